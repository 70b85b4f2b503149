"""Reading, normalising and comparing course notebooks (no nbgrader here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from autograder import SOLUTIONS

LESSON_DIR = re.compile(r"^\d\d-[a-z0-9-]+$")


class UnknownLesson(LookupError):
    """A lesson name that matches no folder of solutions/."""


class NotebookError(ValueError):
    """A notebook that cannot be read, with the path and what is wrong."""


def lesson_names(root: Path = SOLUTIONS) -> list[str]:
    """The lesson folders (``01-neurons``, ...) under ``root``, in course order."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and LESSON_DIR.match(p.name))


def resolve_lessons(requested: list[str] | None, root: Path = SOLUTIONS) -> list[str]:
    """Turn names like ``01`` or ``01-neurons`` into lesson folder names; all lessons when empty."""
    available = lesson_names(root)
    if not requested:
        return available
    chosen = []
    for name in requested:
        matches = [lesson for lesson in available if lesson == name or lesson.split("-", 1)[0] == name.zfill(2)]
        if not matches:
            raise UnknownLesson(f"no lesson {name!r} in {root}; available: {', '.join(available) or 'none'}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4, or raise NotebookError saying why it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot read the file ({exc})") from exc
    if not text.strip():
        raise NotebookError(f"{path}: the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not valid notebook JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{path}: not a Jupyter notebook (no 'cells')")
    major = raw.get("nbformat")
    if major != 4:
        raise NotebookError(f"{path}: nbformat {major!r} is not supported; save it as nbformat 4")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for malformed files
        raise NotebookError(f"{path}: malformed notebook ({exc})") from exc


# -- nbgrader cell metadata ---------------------------------------------------------------

def nbgrader_meta(cell) -> dict:
    """The ``metadata.nbgrader`` dict of a cell (a NotebookNode or a plain JSON dict); ``{}`` when it has none.

    >>> nbgrader_meta({"metadata": {"nbgrader": {"grade_id": "relu-answer", "solution": True}}})["solution"]
    True
    """
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    """The cell's nbgrader grade id, or None when it has none (or a grade id that is not a string).

    >>> grade_id({"metadata": {"nbgrader": {"grade_id": "relu-check"}}}), grade_id({"metadata": {}})
    ('relu-check', None)
    """
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_answer(cell) -> bool:
    """Whether the cell is an answer cell (nbgrader ``solution``): the student writes code in it."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_graded(cell) -> bool:
    """Whether the cell is a graded check cell (nbgrader ``grade``): it carries points."""
    return bool(nbgrader_meta(cell).get("grade"))


# -- committed form ---------------------------------------------------------------------

def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and per-run metadata, in place; returns ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook in the committed form: stripped, 1-space indent, trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(strip(nb)) + "\n"


def has_outputs(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
