"""A small fake lesson ("97-fake"), laid out like the repository, for testing the generic lesson tests.

Its first exercise is a ``value``, then a ``function`` and a ``model`` one,
so the generic tests meet every kind, and a first exercise without a
reference. :func:`write` builds the tree; :func:`environment` is what a
subprocess needs to import the fake's check module (also in the kernels that
nbclient and nbgrader start).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlkit.notebook import SETUP_CELL, colab_badge

NUMBER, NAME = "97", "97-fake"

CHECKS = '''
"""Checks of the fake lesson 97 (tests only)."""
import numpy as np

from dlkit.checks.core import Case, Exercise, accuracy_at_least, register


def _offset():
    return np.array([0.5, -1.0])


def _double(x):
    return 2.0 * x


def _points(rng, n):
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(np.float64)


def _classifier_cases(seed, n, label):
    X, y = _points(np.random.default_rng(seed), n)
    return [Case((X,), label=label, secret=y)]


register(Exercise(id="97.offset", function="offset", reference=_offset, kind="value",
                  visible=lambda: [Case(())], hidden=lambda rng: [Case((), label="the same two numbers")]))
register(Exercise(id="97.double", function="double", reference=_double,
                  visible=lambda: [Case((np.array([1.0, -2.0]),), label="a vector"),
                                   Case((np.arange(6.0).reshape(2, 3).T,), label="a transposed matrix")],
                  hidden=lambda rng: [Case((rng.normal(size=(3, 4)).T,), label="a transposed matrix"),
                                      Case((rng.normal(size=5).astype(np.float32),), label="float32",
                                           tol=(1e-6, 1e-7))]))
register(Exercise(id="97.classifier", function="classifier", reference=None, kind="model",
                  score=accuracy_at_least(0.9, binary_cutoff=0.0),
                  visible=lambda: _classifier_cases(0, 50, "50 points"),
                  hidden=lambda rng: _classifier_cases(int(rng.integers(1 << 30)), 200, "held-out points")))
'''

MUTANTS = '''
"""Wrong and other correct answers of the fake lesson 97 (tests only)."""
LESSON = "97"
REQUIRES = {}
MUTANTS = {
    "offset": [("signs swapped", "offset = np.array([-0.5, 1.0])\\n"),
               ("one number", "offset = np.array([0.5])\\n"),
               ("halves forgotten", "offset = np.array([1.0, -1.0])\\n")],
    "double": [("triples", "def double(x):\\n    return 3.0 * x\\n"),
               ("squares", "def double(x):\\n    return x ** 2\\n"),
               ("doubles in place", "def double(x):\\n    x *= 2\\n    return x\\n"),
               ("flat loop over a raveled empty_like: wrong for column-major input",
                "def double(x):\\n    out = np.empty_like(x)\\n    flat = out.ravel()\\n"
                "    for i, v in enumerate(x.ravel()):\\n        flat[i] = 2 * v\\n    return out\\n")],
    "classifier": [("the wrong feature", "classifier = lambda X: X[:, 1]\\n"),
                   ("the sign flipped", "classifier = lambda X: -X[:, 0]\\n"),
                   ("always class 0", "classifier = lambda X: np.zeros(len(X))\\n")],
}
ALTERNATIVES = {
    "offset": [("a quotient", "offset = np.array([1.0, -2.0]) / 2\\n")],
    "double": [("a sum", "def double(x):\\n    return x + x\\n")],
    "classifier": [("labels, not scores", "classifier = lambda X: np.where(X[:, 0] > 0, 1.0, 0.0)\\n")],
}
'''


def _meta(gid: str, *, answer: bool = False, check: int | None = None) -> dict:
    meta = {"grade": check is not None, "grade_id": gid, "locked": not answer, "schema_version": 3,
            "solution": answer, "task": False}
    if check is not None:
        meta["points"] = check
    return {"nbgrader": meta}


def _check(name: str) -> str:
    return (f'checks.run("97.{name}", {name})\n### BEGIN HIDDEN TESTS\n'
            f'checks.run("97.{name}", {name}, hidden=True)\n### END HIDDEN TESTS')


def _hint(name: str) -> str:
    return (f"Now write `{name}`.\n\n<details><summary>Hint 1: the idea</summary>\n\nThink first.\n</details>\n\n"
            "<details><summary>Hint 2: a nudge</summary>\n\nLook at the cases.\n</details>")


def notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    double = textwrap.dedent('''\
        def double(x):
            """Twice the input.

            Shapes: x (...) -> (...).
            Formula: 2 x.
            Example: double(np.array([1.0])) is array([2.]).
            """
            ### BEGIN SOLUTION
            return 2.0 * x
            ### END SOLUTION''')
    nb.cells = [
        new_markdown_cell(f"# 97 · A fake lesson\n\n{colab_badge(f'lessons/{NAME}/{NAME}.ipynb')}\n\n"
                          "After this lesson you can\n\n1. set a value,\n2. write a function,\n3. train a model.",
                          metadata=_meta("title")),
        new_code_cell(SETUP_CELL, metadata=_meta("setup")),
        new_code_cell("import numpy as np\nfrom dlkit import checks", metadata=_meta("imports")),
        new_markdown_cell(_hint("offset"), metadata=_meta("offset-md")),
        new_code_cell("offset = None\n### BEGIN SOLUTION\noffset = np.array([0.5, -1.0])\n### END SOLUTION",
                      metadata=_meta("offset-answer", answer=True)),
        new_code_cell(_check("offset"), metadata=_meta("offset-check", check=3)),
        new_markdown_cell(_hint("double"), metadata=_meta("double-md")),
        new_code_cell(double, metadata=_meta("double-answer", answer=True)),
        new_code_cell(_check("double"), metadata=_meta("double-check", check=4)),
        new_markdown_cell(_hint("classifier"), metadata=_meta("classifier-md")),
        new_code_cell("classifier = None\n### BEGIN SOLUTION\nclassifier = lambda X: X[:, 0]\n### END SOLUTION",
                      metadata=_meta("classifier-answer", answer=True)),
        new_code_cell(_check("classifier"), metadata=_meta("classifier-check", check=4)),
        new_markdown_cell("## Summary\n\nValues, functions, models.", metadata=_meta("summary")),
        new_markdown_cell("## Further reading\n\n- [a](https://example.org/a)\n- [b](https://example.org/b)\n"
                          "- [c](https://example.org/c)", metadata=_meta("reading")),
    ]
    return nb


def write(root: Path) -> Path:
    """Write the fake lesson's notebook, check module and mutants under ``root``; return ``root``."""
    root = Path(root)
    path = root / "solutions" / NAME / f"{NAME}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(), path)
    for where, text in ((root / "dlkit" / "checks" / f"lesson{NUMBER}.py", CHECKS),
                        (root / "autograder" / "mutants" / f"lesson{NUMBER}.py", MUTANTS)):
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(textwrap.dedent(text).lstrip())
    (root / "autograder" / "mutants" / f"lesson{NUMBER}.py").write_text(
        "import numpy as np  # noqa: F401\n" + textwrap.dedent(MUTANTS).lstrip())
    site = root / "site"
    site.mkdir(exist_ok=True)
    # Every Python process of the fake course (nbclient's and nbgrader's kernels too) finds the fake checks.
    (site / "sitecustomize.py").write_text(
        "import os\nimport dlkit.checks\n"
        "dlkit.checks.__path__.append(os.path.join(os.environ['DLKIT_COURSE_ROOT'], 'dlkit', 'checks'))\n")
    return root


def environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DLKIT_COURSE_ROOT"] = str(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(root) / "site"), env.get("PYTHONPATH", "")]))
    env.pop("PYTEST_XDIST_TESTRUNUID", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return env
