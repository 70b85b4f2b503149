"""Reading, normalising and comparing course notebooks (no nbgrader here)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat

from autograder import SOLUTIONS

LESSON_DIR = re.compile(r"^\d\d-[a-z0-9-]+$")


class UnknownLesson(LookupError):
    """A lesson name that matches no folder of solutions/."""


class NotebookError(ValueError):
    """A notebook that cannot be read, with the path and what is wrong.

    ``problem`` names the check that failed (a key of :data:`PROBLEMS`, or
    ``"unreadable"``/``"malformed"`` from :func:`read`) and ``detail`` is what it
    found, so a caller can word the finding for its own reader (``validate``
    words it for students).
    """

    def __init__(self, message: str, problem: str = "malformed", detail: object = None):
        super().__init__(message)
        self.problem = problem
        self.detail = detail


#: The checks of :func:`parse`, in order, and how each failure is worded (``{detail}``: what was found).
PROBLEMS = {
    "empty": "the file is empty",
    "encoding": "not UTF-8 text ({detail})",
    "json": "not valid notebook JSON ({detail})",
    "not-object": "not a Jupyter notebook (the JSON is not an object)",
    "nbformat": "nbformat {detail!r} is not supported; save it as nbformat 4",
    "no-cells": "not a Jupyter notebook (no list of cells)",
    "nbformat-minor": "its nbformat_minor is {detail!r}, not a number",
    "bounds": "{detail}",
}

#: Bounds on an untrusted notebook's JSON (:func:`parse_untrusted`): nesting depth, values, code characters.
MAX_DEPTH = 64
MAX_ELEMENTS = 500_000
MAX_CODE_CHARS = 1_000_000
#: The child process that first reads an untrusted notebook: address space (MiB), CPU and wall seconds.
PARSE_MEMORY_MB = 512
PARSE_SECONDS = 20

#: Run by ``python -I -S -c`` with the bounds as arguments and the file on stdin; prints one verdict line.
_BOUNDS_CHILD = r"""
import gc, json, resource, sys
gc.disable()  # millions of containers would otherwise trigger collection after collection
depth_max, elements_max, code_max, memory_mb, seconds = map(int, sys.argv[1:6])
resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
sys.setrecursionlimit(depth_max + 40)
def say(verdict, detail=""):
    sys.stdout.write(verdict + " " + " ".join(detail.split())[:200] + chr(10))
    sys.exit(0)
data = sys.stdin.buffer.read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as exc:
    say("ok")  # the grader's own checks word it
del data
try:
    value = json.loads(text)
except RecursionError:
    say("depth")
except MemoryError:
    say("memory")
except json.JSONDecodeError as exc:
    say("json", "%s at line %d" % (exc.msg, exc.lineno))
except ValueError as exc:
    say("json", str(exc))
del text
elements, stack = 0, [(value, 1)]
while stack:
    item, depth = stack.pop()
    elements += 1
    if depth > depth_max:
        say("depth")
    if elements > elements_max:
        say("elements")
    if isinstance(item, dict):
        stack.extend((v, depth + 1) for v in item.values())
    elif isinstance(item, list):
        stack.extend((v, depth + 1) for v in item)
code = 0
cells = value.get("cells") if isinstance(value, dict) else None
for cell in cells if isinstance(cells, list) else []:
    if isinstance(cell, dict) and cell.get("cell_type") == "code":
        source = cell.get("source")
        code += sum(len(x) for x in source if isinstance(x, str)) if isinstance(source, list) else len(str(source))
if code > code_max:
    say("code", str(code))
say("ok")
"""


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


def parse(data: bytes | str, where: object = None) -> dict:
    """The JSON object of an nbformat 4 notebook, or :class:`NotebookError` naming the first check it fails.

    The checks are :data:`PROBLEMS`, in order: not blank, UTF-8 (bytes only),
    valid JSON, a JSON object, ``"nbformat": 4``, a list of ``"cells"``, an
    integer ``"nbformat_minor"``. The
    message starts with ``where`` (a path) when given. Nothing is converted:
    the result is what ``json.loads`` returned.

    >>> parse('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}')["cells"]
    []
    >>> parse(b'{"nbformat": 3, "worksheets": []}', where="old.ipynb")
    Traceback (most recent call last):
    ...
    autograder.notebooks.NotebookError: old.ipynb: nbformat 3 is not supported; save it as nbformat 4
    """
    def fail(problem: str, detail: object = None) -> NotebookError:
        prefix = "" if where is None else f"{where}: "
        return NotebookError(prefix + PROBLEMS[problem].format(detail=detail), problem, detail)

    if not data.strip():
        raise fail("empty")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail("encoding", exc) from exc
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise fail("json", f"{exc.msg} at line {exc.lineno}") from exc
    if not isinstance(raw, dict):
        raise fail("not-object")
    if raw.get("nbformat") != 4:
        raise fail("nbformat", raw.get("nbformat"))
    if not isinstance(raw.get("cells"), list):
        raise fail("no-cells")
    minor = raw.get("nbformat_minor", 0)
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise fail("nbformat-minor", minor)
    return raw


def bounds_problem(data: bytes) -> tuple[str, str]:
    """Read untrusted notebook bytes in a capped child process: ``(verdict, detail)``.

    The child has :data:`PARSE_MEMORY_MB` of address space and
    :data:`PARSE_SECONDS` of CPU and wall time; it parses the JSON, then
    measures nesting depth, values and code characters against
    :data:`MAX_DEPTH`, :data:`MAX_ELEMENTS` and :data:`MAX_CODE_CHARS`.
    ``verdict`` is ``"ok"`` (within bounds, or not UTF-8: :func:`parse` words
    that), ``"json"`` (invalid JSON; ``detail`` says where), ``"depth"``,
    ``"elements"``, ``"code"`` (``detail``: how many characters),
    ``"memory"`` or ``"time"``.
    """
    command = [sys.executable, "-I", "-S", "-c", _BOUNDS_CHILD,
               *map(str, (MAX_DEPTH, MAX_ELEMENTS, MAX_CODE_CHARS, PARSE_MEMORY_MB, PARSE_SECONDS))]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PARSE_SECONDS + 5)
    except subprocess.TimeoutExpired:
        return "time", ""
    verdict, _, detail = done.stdout.decode("utf-8", "replace").strip().partition(" ")
    if done.returncode != 0 or not verdict:  # killed (CPU time), or died of memory outside Python's reach
        return ("time" if done.returncode in (-9, -24) else "memory"), ""
    return verdict, detail


#: What each bounds verdict tells the student (``{detail}``: the child's detail).
BOUNDS_WORDING = {
    "depth": f"the notebook's JSON is nested more than {MAX_DEPTH} levels deep; a notebook saved by Jupyter "
             f"is not: re-download it from Jupyter (File > Download)",
    "elements": f"the notebook's JSON holds more than {MAX_ELEMENTS:,} values; clear the outputs "
                f"(Edit > Clear Outputs of All Cells), save, and submit again",
    "code": f"the notebook's code cells hold {{detail}} characters, more than {MAX_CODE_CHARS:,}; "
            f"remove the pasted data or generated code",
    "memory": f"the notebook takes more than {PARSE_MEMORY_MB} MiB to read; clear the outputs "
              f"(Edit > Clear Outputs of All Cells), save, and submit again",
    "time": f"the notebook takes more than {PARSE_SECONDS} s to read; clear the outputs "
            f"(Edit > Clear Outputs of All Cells), save, and submit again",
}


def parse_untrusted(data: bytes, where: object = None) -> dict:
    """:func:`parse` for a file from a student: first read, with bounds, in a capped child process.

    The grader's own process parses the JSON only once the child found it
    within the bounds (so its memory and time are bounded too); otherwise
    :class:`NotebookError` with problem ``"bounds"`` (or ``"json"``) says why.
    An empty file is refused before any child starts.
    """
    if not data.strip():
        return parse(data, where)
    verdict, detail = bounds_problem(data)
    if verdict == "json":
        prefix = "" if where is None else f"{where}: "
        raise NotebookError(prefix + PROBLEMS["json"].format(detail=detail), "json", detail)
    if verdict != "ok":
        text = BOUNDS_WORDING.get(verdict, f"the notebook could not be read within the grader's bounds ({verdict})")
        text = text.format(detail=detail)
        raise NotebookError(("" if where is None else f"{where}: ") + text, "bounds", text)
    return parse(data, where)


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4, or raise NotebookError saying why it cannot be read (see :func:`parse`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot read the file ({exc})", "unreadable", exc) from exc
    parse(text, where=path)
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for malformed files
        raise NotebookError(f"{path}: malformed notebook ({exc})", "malformed", exc) from exc


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


_PARSE_LOCK = threading.Lock()


def parse_python(source: str) -> ast.Module:
    """``ast.parse(source)``, one thread at a time.

    The grader parses cells in worker threads. CPython 3.11 keeps the AST
    builder's recursion depth in state that threads share, and two parses at
    once can fail with ``SystemError: AST constructor recursion depth
    mismatch`` (python/cpython#106905); the lock rules that out.

    >>> parse_python("def relu(x): return x").body[0].name
    'relu'
    """
    with _PARSE_LOCK:
        return ast.parse(source)
