"""The lessons the generic lesson tests run over, and what those tests share.

A lesson is found by existing: a folder ``solutions/NN-slug/`` holding
``NN-slug.ipynb``. Its exercises live in ``dlkit/checks/lessonNN.py`` and its
wrong and other correct answers in ``autograder/mutants/lessonNN.py``; a
lesson folder without either is still found, and the tests that need the
missing file fail and say which file to write.

``DLKIT_COURSE_ROOT`` points discovery at another tree laid out like the
repository (the tests of these tests build a fake lesson there); its check
and mutants modules are loaded from that tree under their usual names.

Executing a notebook (nbclient, the sandboxed grader, nbgrader) is what makes
the suite slow, so each is done once per test session and shared: see
:func:`once`.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("DLKIT_COURSE_ROOT") or REPO).resolve()
LESSON_DIR = re.compile(r"^(\d\d)-[a-z0-9-]+$")
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.M)


def grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


@dataclass(frozen=True)
class Lesson:
    """One lesson folder and the files that belong to it."""

    number: str        # "01"
    name: str          # "01-neurons"
    root: Path

    def __str__(self) -> str:  # the id of every parametrized test
        return self.name

    @property
    def source(self) -> Path:
        return self.root / "solutions" / self.name / f"{self.name}.ipynb"

    @property
    def student(self) -> Path:
        return self.root / "lessons" / self.name / f"{self.name}.ipynb"

    @property
    def checks_file(self) -> Path:
        return self.root / "dlkit" / "checks" / f"lesson{self.number}.py"

    @property
    def mutants_file(self) -> Path:
        return self.root / "autograder" / "mutants" / f"lesson{self.number}.py"

    @property
    def student_path(self) -> str:
        """The student notebook's path in the repository, as the Colab badge names it."""
        return f"lessons/{self.name}/{self.name}.ipynb"

    # -- what the files hold ---------------------------------------------------------------

    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(self.source, as_version=4)

    def exercises(self) -> list:
        """The lesson's registered exercises, in registration order (imports its check module)."""
        from dlkit.checks import core

        _load(f"dlkit.checks.lesson{self.number}", self.checks_file)
        return core.all_exercises(self.number)

    def functions(self) -> dict[str, str]:
        """Exercise name -> the name the student's answer binds: ``{"dense": "dense_forward"}``."""
        return {ex.id.split(".", 1)[1]: ex.function for ex in self.exercises()}

    def kinds(self) -> dict[str, str]:
        return {ex.id.split(".", 1)[1]: ex.kind for ex in self.exercises()}

    def mutants(self) -> types.ModuleType:
        """``autograder/mutants/lessonNN.py``: ``LESSON``, ``REQUIRES``, ``MUTANTS``, ``ALTERNATIVES``."""
        return _load(f"autograder.mutants.lesson{self.number}", self.mutants_file)

    def sources(self, nb: nbformat.NotebookNode | None = None) -> dict[str, str]:
        """Grade id -> source of every cell with a grade id (answer cells keep their solution markers)."""
        nb = nb or self.notebook()
        return {grade_id(c): c.source for c in nb.cells if grade_id(c)}

    def answers(self, nb: nbformat.NotebookNode | None = None) -> dict[str, str]:
        """Exercise name -> source of its answer cell (``<name>-answer``), in notebook order."""
        return {gid[: -len("-answer")]: src for gid, src in self.sources(nb).items() if gid.endswith("-answer")}


def discover(root: Path = ROOT) -> list[Lesson]:
    """Every lesson folder of ``root/solutions`` that holds its notebook, in course order."""
    folder = root / "solutions"
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = LESSON_DIR.match(path.name)
        if match and (path / f"{path.name}.ipynb").is_file():
            found.append(Lesson(match.group(1), path.name, root))
    return found


LESSONS = discover()


def _load(module_name: str, path: Path) -> types.ModuleType:
    """Import ``module_name``; from ``path`` when discovery looks at another tree than this repository."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every lesson needs it (see CONTRIBUTING.md)")
    if ROOT == REPO:
        return importlib.import_module(module_name)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


# -- answers run in this process -----------------------------------------------------------

def prerequisites(lesson: Lesson, name: str, sources: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``(label, source)`` of what an exercise's answer needs first, from ``REQUIRES[name]``.

    Each entry of ``REQUIRES`` names an earlier exercise (its ``<name>-answer``
    cell is run, or ``sources[name]`` when given) or any other cell of the
    notebook by grade id (e.g. a data cell a model exercise trains on).
    """
    cells = lesson.sources()
    out = []
    for required in lesson.mutants().REQUIRES.get(name, ()):
        if sources is not None and required in sources:
            out.append((f"{required}-answer", sources[required]))
        elif f"{required}-answer" in cells:
            out.append((f"{required}-answer", cells[f"{required}-answer"]))
        elif required in cells:
            out.append((required, cells[required]))
        else:
            raise KeyError(f"REQUIRES[{name!r}] names {required!r}, which is neither an exercise nor a grade id "
                           f"of {lesson.source.name}")
    return out


def define(lesson: Lesson, name: str, source: str, sources: dict[str, str] | None = None):
    """Run an answer cell's source in a fresh namespace and return what it binds.

    The namespace holds ``np``, then what the mutants file's optional ``IMPORTS``
    source defines (e.g. ``import torch``), then the answer's prerequisites.
    """
    namespace = {"np": np, "__name__": f"answer_{name}"}
    imports = getattr(lesson.mutants(), "IMPORTS", "")  # optional: what the notebook defines before any answer
    if imports:
        exec(compile(imports, f"<{lesson.mutants_file.name}:IMPORTS>", "exec"), namespace)
    for label, required in prerequisites(lesson, name, sources):
        exec(compile(required, f"<{label}>", "exec"), namespace)
    function = lesson.functions()[name]
    namespace.pop(function, None)
    exec(compile(source, f"<{name}-answer>", "exec"), namespace)
    assert function in namespace, f"the source for {name} must bind {function}"
    return namespace[function]


def blank(source: str) -> str:
    """What nbgrader hands out: the solution region replaced by ``raise NotImplementedError()``, same indent."""
    match = re.search(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*", source, flags=re.S | re.M)
    assert match, "an answer cell needs a ### BEGIN SOLUTION ... ### END SOLUTION region"
    indent = match.group(1)
    return source[:match.start()] + f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()" + source[match.end():]


def binds(tree: ast.Module) -> set[str]:
    """Names bound at the top level of a module (defs, classes, assignments)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


# -- once per session ------------------------------------------------------------------------

#: Set by tests/conftest.py to a folder under pytest's base temporary folder of this session (shared by
#: the xdist workers; pytest keeps the last three sessions' and deletes older ones).
SESSION_FOLDER: Path | None = None


def session_folder() -> Path:
    """A folder every process of this test session shares (pytest-xdist workers included)."""
    if SESSION_FOLDER is not None:
        folder = SESSION_FOLDER
    else:  # imported outside pytest's session fixtures
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
        folder = Path("/tmp") / f"dlkit-lesson-runs-{os.getuid()}" / run
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def once(key: str, compute: Callable[[], dict], *, wait: bool = True) -> dict | None:
    """``compute()``'s JSON-able result, computed once per test session whichever process asks first.

    Why a file under a lock rather than only a session fixture: pytest-xdist
    runs tests in several processes, and a session fixture is per process; a
    notebook run by two workers would cost twice. The key names what is run
    and a hash of the files it reads, so a stale entry is never reused, and
    the folder belongs to this session (under pytest's base temporary folder,
    which the xdist workers share), so nothing carries over to the next run. The
    execution tests also carry ``xdist_group(lesson)``, so under ``--dist
    loadgroup`` (``make test``) one worker runs a lesson's executions and no
    other worker waits on the lock.

    With ``wait=False`` a key that another process is computing right now
    returns None at once (the caller comes back for it later) instead of waiting.
    """
    folder = session_folder()
    path = folder / f"{key}.json"
    with open(folder / f"{key}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        if path.exists():
            return json.loads(path.read_text())
        value = compute()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(value))
        os.replace(tmp, path)
        return value


def content_key(kind: str, lesson: Lesson, *paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return f"{kind}-{lesson.name}-{digest.hexdigest()[:16]}"


# -- the lesson executions the tests share -------------------------------------------------

#: DESIGN: every lesson within 90 s of wall time on 2 cores; no cell may take longer than that either.
BUDGET_SECONDS = 90
#: The kernel draws figures as JupyterLab and Colab do (the suite itself runs headless, MPLBACKEND=Agg), so an
#: executed solution carries the figures a student sees and the book's pages are made from it (tests/book).
INLINE_FIGURES = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def is_graded(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))


def _executed(key: str, path: Path, *, allow_errors: bool) -> dict:
    """Run the notebook at ``path``; keep the executed notebook in the session folder as ``<key>.ipynb``."""
    from autograder.execute import execute

    result = execute(path, timeout=BUDGET_SECONDS, allow_errors=allow_errors, env=INLINE_FIGURES)
    nb = result.notebook
    nbformat.write(nb, session_folder() / f"{key}.ipynb")
    return {
        "seconds": result.seconds,
        "peak_mb": result.peak_rss_mb,
        "errors": [[e.index, e.grade_id, e.ename, e.evalue[:500]] for e in result.errors],
        "first_answer": next((i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")), None),
        "graded": {grade_id(c): "".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream")
                   for c in nb.cells if is_graded(c)},
        "notebook": f"{key}.ipynb",
    }


def solution_run(lesson: Lesson, *, wait: bool = True) -> dict | None:
    """The solution notebook run top to bottom (stops at the first cell that raises); once per session."""
    key = content_key("solution", lesson, lesson.source, lesson.checks_file)
    return once(key, lambda: _executed(key, lesson.source, allow_errors=False), wait=wait)


def student_run(lesson: Lesson) -> dict:
    """The student notebook run top to bottom, going on past the cells that raise; once per session."""
    key = content_key("student", lesson, lesson.student, lesson.checks_file)
    return once(key, lambda: _executed(key, lesson.student, allow_errors=True))


def executed_solution(lesson: Lesson, *, wait: bool = True) -> Path | None:
    """The executed solution notebook of :func:`solution_run` (None when another process is running it and
    ``wait`` is False): the lesson-run tests read its outputs, and the book built by the tests shows them."""
    run = solution_run(lesson, wait=wait)
    return None if run is None else session_folder() / run["notebook"]


def nbgrader_course(lesson: Lesson):
    """``(course, release folder)``: this session's nbgrader course of the lesson, generated once.

    ``nbgrader generate_assignment`` runs here once per session; the nbgrader-run tests grade in
    this course, and tests/test_release.py compares its output (stamped) with lessons/.
    """
    from autograder.nbgrader_course import Course

    course = Course(session_folder() / f"nbgrader-{lesson.name}", source_root=lesson.root / "solutions")
    folder = lesson.source.parent
    key = content_key("generated", lesson, *sorted(p for p in folder.rglob("*") if p.is_file()))
    once(key, lambda: {"release": str(course.generate(lesson.name))})
    return course, course.release_root / lesson.name
