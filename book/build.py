"""Build the course as a static book: ``python book/build.py`` (``make book``).

Every lesson that exists joins the book by existing: for each
``solutions/NN-slug/NN-slug.ipynb`` with its generated student version
``lessons/NN-slug/NN-slug.ipynb``, this script writes one page that shows

* every cell as the student sees it (the exercise stubs included, not run),
* right after each exercise, the solution folded behind "Show solution",
* the outputs of running the solution notebook (figures, and each widget's
  static picture), and the student notebook's "Open in Colab" badge.

The pages and the landing page's lesson map (read from README.md's lesson
table) are staged in ``<out>/src``; Sphinx (myst-nb, sphinx-book-theme) turns
them into ``<out>/html`` with warnings as errors, so a broken internal link
fails the build. Executed notebooks are cached in ``<out>/jupyter_cache``: a
rebuild after a prose edit re-runs nothing.

The test suite, which runs every solution notebook anyway, hands :func:`build`
those executions (``executed``): their outputs go onto the pages, and Sphinx
runs no lesson a second time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
DEFAULT_OUT = REPO / "build" / "book"
LESSON_DIR = re.compile(r"^(\d\d)-[a-z0-9][a-z0-9-]*$")
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE_IMAGE = "../open-in-colab.svg"   # relative to a lesson page (src/lessons/NN-slug.ipynb)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
README_ROW = re.compile(r"^\|\s*(\d\d)\s*\|\s*(.+?)\s*\|\s*([a-z ]+?)\s*\|\s*$", re.MULTILINE)
MAP_PLACEHOLDER = "<!-- lesson map -->"
#: A check cell's hidden part (solutions/ only), and the line ``dlkit.checks.run(..., hidden=True)`` prints on passing.
HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
HIDDEN_CONFIRMATION = re.compile(r"^✔ [^\n]*: (?:the hidden check|all \d+ hidden checks) passed[^\n]*\n?", re.MULTILINE)


class BookError(Exception):
    """The book cannot be built from the repository as it is; the message says how to fix it."""


# -- lessons -------------------------------------------------------------------------


def lessons(repo: Path = REPO) -> list[str]:
    """The lesson folders that exist, in course order: ``["01-neurons", ...]``."""
    found = []
    for folder in sorted((repo / "solutions").iterdir()):
        if folder.is_dir() and LESSON_DIR.match(folder.name) and (folder / f"{folder.name}.ipynb").is_file():
            found.append(folder.name)
    return found


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value   # nbformat allows a list of lines


def _cell_source(cell) -> str:
    return _text(cell.get("source", ""))


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _clean(cell, source: str, tags: list[str] = (), **extra_metadata) -> dict:
    """A copy of ``cell`` with ``source``, no outputs, and only the metadata the book uses."""
    new = {"cell_type": cell["cell_type"], "metadata": {}, "source": source}
    if tags:
        new["metadata"]["tags"] = list(tags)
    new["metadata"].update(extra_metadata)
    if cell["cell_type"] == "code":
        new["outputs"] = []
        new["execution_count"] = None
    return new


def _local_badge(markdown: str) -> str:
    # The reader may be offline: the badge's picture is served by the book, its link still opens Colab.
    return markdown.replace(COLAB_BADGE_IMAGE, LOCAL_BADGE_IMAGE)


def _executed_outputs(executed: dict, solution: dict, name: str) -> list[list[dict]]:
    """Each cell's outputs in ``executed``, a run of ``solution``, as the page shows them.

    A check cell's page shows its visible checks only, so the lines its hidden
    checks printed are cut. An executed notebook of other sources than the
    solution, or a cell that raised, is refused (the page would show what its
    code does not do).
    """
    where = f"solutions/{name}/{name}.ipynb"
    ran, cells = executed.get("cells", []), solution["cells"]
    if [_cell_source(c) for c in ran] != [_cell_source(c) for c in cells]:
        raise BookError(f"the executed notebook handed in for {where} is a run of other cells than the solution's "
                        f"now: run the solution again and build again.")
    outputs = []
    for index, (cell, source) in enumerate(zip(ran, (_cell_source(c) for c in cells))):
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise BookError(f"cell {index} of {where} raised {output.get('ename')}: "
                                f"{output.get('evalue', '')[:300]}. The book shows no failing cell: fix it.")
            if HIDDEN_TESTS in source and output.get("output_type") == "stream":
                text = HIDDEN_CONFIRMATION.sub("", _text(output.get("text", "")))
                if not text:
                    continue
                output = {**output, "text": text}
            kept.append(output)
        outputs.append(kept)
    return outputs


def book_notebook(solution: dict, student: dict, name: str, executed: dict | None = None) -> dict:
    """The book page of one lesson: the student's cells, each exercise followed by its folded solution.

    Args:
        solution: the instructor notebook (nbformat 4 JSON as a dict).
        student: the student notebook generated from it by ``make release``.
        name: the lesson folder, e.g. ``"01-neurons"``, for error messages.
        executed: a run of ``solution`` top to bottom (nbclient's executed notebook). Given, the page
            carries its outputs and Sphinx does not run the page; else Sphinx runs it.

    Raises:
        BookError: when the student notebook lacks an exercise of the solution (it is stale), or
            ``executed`` is not a clean run of the solution.
    """
    solutions = {_grade_id(c): c for c in solution["cells"] if _is_solution(c)}
    student_ids = {_grade_id(c) for c in student["cells"]}
    missing = sorted(i for i in solutions if i not in student_ids)
    if missing:
        raise BookError(f"lessons/{name}/{name}.ipynb has no cell for the exercise(s) {missing} of "
                        f"solutions/{name}/{name}.ipynb: it is stale. Run `make release` and build again.")
    outputs = None
    if executed is not None:
        if [_grade_id(c) for c in student["cells"]] != [_grade_id(c) for c in solution["cells"]]:
            raise BookError(f"lessons/{name}/{name}.ipynb has other cells than solutions/{name}/{name}.ipynb: "
                            f"it is stale. Run `make release` and build again.")
        outputs = _executed_outputs(executed, solution, name)
    prompts = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}
    cells = []
    for index, cell in enumerate(student["cells"]):
        source = _cell_source(cell)
        ran = outputs[index] if outputs is not None else []
        if cell["cell_type"] == "markdown":
            cells.append(_clean(cell, _local_badge(source)))
            if _is_solution(cell):    # a written answer: the stub above, the model answer folded below
                answer = SOLUTION_MARKERS.sub("", _cell_source(solutions[_grade_id(cell)]))
                cells.append(_clean(cell, f":::{{admonition}} Show solution\n:class: dropdown\n\n{answer}\n:::"))
        elif cell["cell_type"] == "code":
            if _is_solution(cell):    # the stub as the student sees it (not run), then the solution, folded
                answer = SOLUTION_MARKERS.sub("", _cell_source(solutions[_grade_id(cell)]))
                cells.append(_clean(cell, source, ["skip-execution"]))
                cells.append(_clean(cell, answer, ["hide-input"], mystnb=prompts) | {"outputs": ran})
            else:
                cells.append(_clean(cell, source) | {"outputs": ran})
        # raw cells are not part of a lesson's page
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"}}
    if outputs is not None:
        metadata["mystnb"] = {"execution_mode": "off"}   # the outputs are there already
        # As a run by Sphinx leaves them: the kernel's language (code highlighted as IPython) and the widgets' state.
        metadata.update({key: executed["metadata"][key] for key in ("language_info", "widgets")
                         if key in executed.get("metadata", {})})
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}


def read_notebook(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookError(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} is missing: "
                        f"run `make release` to generate the student notebooks, then build again.") from None
    except json.JSONDecodeError as error:
        raise BookError(f"{path} is not a notebook (invalid JSON: {error}).") from None


# -- landing page ----------------------------------------------------------------------


def planned_lessons(readme: Path) -> list[tuple[str, str]]:
    """``(number, title)`` of every lesson in README.md's lesson table, links stripped."""
    rows = []
    for number, title, _status in README_ROW.findall(readme.read_text(encoding="utf-8")):
        rows.append((number, re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", title)))
    if not rows:
        raise BookError(f"{readme} has no lesson table (rows like `| 01 | title | status |`); "
                        f"the landing page's lesson map is read from it.")
    return rows


def lesson_map(planned: list[tuple[str, str]], ready: list[str]) -> str:
    """The landing page's table: every planned lesson, a link for each one in the book, what it builds on."""
    pages = {name[:2]: name for name in ready}
    lines = ["| # | lesson | builds on | status |", "|---|---|---|---|"]
    for index, (number, title) in enumerate(planned):
        link = f"[{title}](lessons/{pages[number]}.ipynb)" if number in pages else title
        before = planned[index - 1][0] if index else "Python and numpy basics"
        state = "ready" if number in pages else "planned"
        lines.append(f"| {number} | {link} | {before} | {state} |")
    return "\n".join(lines)


# -- staging and building ------------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files keep their time stamps, so Sphinx re-reads only what changed.
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def stage(out: Path, repo: Path = REPO, executed: Mapping[str, Path] | None = None) -> list[str]:
    """Write the book's sources under ``out/src``; returns the lessons it holds.

    ``executed`` maps a lesson (``"01-neurons"``) to its executed solution notebook (see :func:`book_notebook`).
    """
    src = out / "src"
    names = lessons(repo)
    if not names:
        raise BookError(f"no lesson found under {repo / 'solutions'} (folders NN-slug holding NN-slug.ipynb).")
    wanted = set()
    for name in names:
        solution = read_notebook(repo / "solutions" / name / f"{name}.ipynb")
        student = read_notebook(repo / "lessons" / name / f"{name}.ipynb")
        ran = read_notebook(Path(executed[name])) if executed and name in executed else None
        target = src / "lessons" / f"{name}.ipynb"
        _write_if_changed(target, json.dumps(book_notebook(solution, student, name, ran), indent=1) + "\n")
        wanted.add(target)
    for stale in (src / "lessons").glob("*.ipynb"):   # a lesson folder was renamed or removed
        if stale not in wanted:
            stale.unlink()
    for page in BOOK.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        if MAP_PLACEHOLDER in text:
            text = text.replace(MAP_PLACEHOLDER, lesson_map(planned_lessons(repo / "README.md"), names))
        _write_if_changed(src / page.name, text)
    _write_if_changed(src / "open-in-colab.svg", (BOOK / "open-in-colab.svg").read_text(encoding="utf-8"))
    return names


def build(out: Path = DEFAULT_OUT, *, repo: Path = REPO, clean: bool = False, quiet: bool = True,
          executed: Mapping[str, Path] | None = None) -> Path:
    """Stage the lessons of ``repo`` and build the book; returns the folder of the HTML site (``out/html``).

    ``executed``: lesson -> its executed solution notebook; those lessons' pages show its outputs and are not
    run again (the test suite's path). Every other lesson is run by Sphinx (cached in ``out/jupyter_cache``).
    """
    from sphinx.cmd.build import build_main

    out = Path(out).resolve()
    if clean:
        shutil.rmtree(out, ignore_errors=True)
    stage(out, repo, executed)
    html = out / "html"
    args = ["-b", "html", "-W", "--keep-going", "-c", str(BOOK), "-d", str(out / "doctrees"),
            "-D", f"nb_execution_cache_path={out / 'jupyter_cache'}", str(out / "src"), str(html)]
    if quiet:
        args.insert(0, "-q")
    # The kernels that execute the lessons inherit this process's environment. A headless
    # MPLBACKEND (the test suite sets Agg) would keep matplotlib's inline backend from showing
    # the figures a cell draws without returning them, so the pages would lose those figures.
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        status = build_main(args)
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved
    if status != 0:
        raise BookError("Sphinx reported errors (above): fix them, e.g. a broken link or a failing cell.")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"build folder (default: {DEFAULT_OUT})")
    parser.add_argument("--clean", action="store_true", help="start from nothing: drop pages and executed outputs")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        html = build(options.out, clean=options.clean, quiet=not options.verbose)
    except BookError as error:
        print(f"book: {error}", file=sys.stderr)
        return 1
    print(f"book: built in {time.perf_counter() - started:.1f} s; open {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
