"""Validate a submitted notebook, repair tampering, and scan answers for forbidden calls.

Three small steps, each pure (no student code runs here):

- :func:`validate` turns the submitted bytes into a notebook or raises
  :class:`Rejected` with a student-facing reason: the file checks of
  :func:`autograder.notebooks.parse` (empty file, malformed JSON, nbformat
  other than 4), worded for students, then an nbformat 4 minor version newer
  than this nbformat knows, nbgrader metadata schema newer than 3, two answer
  cells with one grade id and different code, a notebook of another lesson,
  a file too large.
- :func:`repair` rebuilds the notebook on the released student version: locked
  and check cells come from the release whatever the student did to them,
  deleted ones are re-inserted, answer cells are taken from the student
  (matched by grade id, or by the function they define when the id was
  renamed), cells the student added are kept in place. Each change is listed.
- :func:`scan_answers` parses answer cells with ``ast`` and reports the ones
  that name the reference implementation of their exercise (or a function the
  exercise forbids), or that swap interpreter hooks.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

import nbformat

from autograder import notebooks as nbs

# used below, and importable from here as before
from autograder.notebooks import grade_id, is_answer, is_graded, nbgrader_meta

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
NBGRADER_SCHEMA = 3


class Rejected(ValueError):
    """A submission that cannot be graded; ``str(exc)`` is the reason shown to the student."""


# -- validation ------------------------------------------------------------------------

def validate(data: bytes, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Parse submitted bytes into a v4 notebook of the released lesson, or raise :class:`Rejected`."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Rejected(f"the notebook is {len(data) / 1e6:.1f} MB; at most {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB "
                       f"is accepted (clear the outputs before submitting)")
    try:
        raw = nbs.parse_untrusted(data)  # bounded: read first in a capped child process
    except nbs.NotebookError as exc:
        raise Rejected(_for_students(exc)) from None
    minor = raw.get("nbformat_minor", 0)
    if minor > nbformat.current_nbformat_minor:
        raise Rejected(f"nbformat 4.{minor} is newer than this grader knows (4.{nbformat.current_nbformat_minor}); "
                       f"save it with the course's JupyterLab")
    for cell in raw["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Rejected("a cell of the notebook is malformed (no valid cell_type)")
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict) or not isinstance(metadata.get("nbgrader", {}), dict):
            raise Rejected("a cell of the notebook has malformed metadata (not a JSON object); "
                           "re-download it from Jupyter (File > Download)")
        schema = nbgrader_meta(cell).get("schema_version", NBGRADER_SCHEMA)
        if not isinstance(schema, int) or schema > NBGRADER_SCHEMA:
            raise Rejected(f"nbgrader metadata schema {schema!r} is newer than {NBGRADER_SCHEMA}, "
                           f"the version this course uses")
    try:
        nb = nbformat.from_dict(raw)
        for cell in nb.cells:
            if isinstance(cell.get("source"), list):
                cell.source = "".join(cell.source)
    except Exception as exc:  # nbformat raises several types for malformed input
        raise Rejected(f"malformed notebook ({type(exc).__name__})") from None
    _check_lesson(nb, released)
    _check_duplicate_answers(nb)
    return nb


#: How students are told what :func:`autograder.notebooks.parse` found, where the instructor's words do not fit.
_STUDENT_WORDING = {
    "bounds": "{detail}",
    "encoding": "the file is not UTF-8 text; submit the .ipynb file that Jupyter saved",
    "json": "malformed notebook JSON ({detail}); re-download it from Jupyter (File > Download)",
    "nbformat": "nbformat {detail!r} is not supported; save the notebook as nbformat 4",
    "nbformat-minor": ("the notebook's nbformat_minor is {detail!r}, not a number; "
                       "re-download it from Jupyter (File > Download)"),
}


def _for_students(exc: nbs.NotebookError) -> str:
    """The rejection reason for a notebook that :func:`autograder.notebooks.parse` refused."""
    wording = _STUDENT_WORDING.get(exc.problem)
    return wording.format(detail=exc.detail) if wording else str(exc)


def _check_lesson(nb, released) -> None:
    """Reject a notebook that shares no graded cell id with the released lesson."""
    ours = {grade_id(c) for c in released.cells if grade_id(c)}
    graded_ids = {grade_id(c) for c in released.cells if is_answer(c) or is_graded(c)}
    theirs = {grade_id(c) for c in nb.cells if grade_id(c)}
    if theirs and not theirs & ours:
        raise Rejected("this notebook belongs to another lesson (none of its cell ids match this lesson); "
                       "submit the notebook of this lesson")
    if not theirs & graded_ids and not _defines_any(nb, released):
        raise Rejected("this notebook has none of this lesson's answer or check cells; "
                       "submit the notebook of this lesson")


def _defines_any(nb, released) -> bool:
    wanted = {name for c in released.cells if is_answer(c) for name in defined_functions(c.source)}
    return any(defined_functions(c.source) & wanted for c in nb.cells if c.cell_type == "code")


def _check_duplicate_answers(nb) -> None:
    seen: dict[str, str] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None or not is_answer(cell):
            continue
        if gid in seen and seen[gid].strip() != cell.source.strip():
            raise Rejected(f"two answer cells have the grade id {gid!r} and different code, so it is unclear "
                           f"which one is the answer; delete one of them")
        seen[gid] = cell.source


# -- repair ------------------------------------------------------------------------------

def defined_functions(source: str) -> set[str]:
    """Names of the top-level functions a cell defines (empty when it does not parse)."""
    try:
        tree = nbs.parse_python(source)
    except (SyntaxError, ValueError):
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@dataclass
class Repaired:
    """The notebook to grade, and each repair made (student-facing)."""

    notebook: nbformat.NotebookNode
    repairs: list[str]


def repair(nb: nbformat.NotebookNode, released: nbformat.NotebookNode,
           source: nbformat.NotebookNode | None = None) -> Repaired:
    """Rebuild ``nb`` on the released notebook's cells, listing each repair.

    Check cells come from ``source`` (the instructor version, hidden tests
    included) when given, else from the release; points never come from the
    submission.
    """
    repairs: list[str] = []
    source_cells = {grade_id(c): c for c in (source or released).cells if grade_id(c)}
    released_ids = [grade_id(c) for c in released.cells]
    student_by_id: dict[str, list] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is not None:
            student_by_id.setdefault(gid, []).append(cell)
    answers = _match_answers(nb, released, student_by_id, repairs)

    out_cells = []
    used = set()
    # student cells without a known id are kept after the known cell that precedes them
    extras_after: dict[str | None, list] = {}
    last_known = None
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in released_ids or id(cell) in answers.values():
            last_known = gid if gid in released_ids else _answer_gid(answers, cell)
            continue
        if gid is not None and nbgrader_meta(cell).get("locked"):
            repairs.append(f"removed a locked cell with unknown id {gid!r}")
            continue
        extras_after.setdefault(last_known, []).append(_unmarked(cell))
    out_cells.extend(extras_after.get(None, []))
    for cell in released.cells:
        gid = grade_id(cell)
        if gid is None:
            out_cells.append(copy.deepcopy(cell))
        elif is_answer(cell):
            theirs = answers.get(gid)
            new = copy.deepcopy(cell)
            if theirs is None:
                repairs.append(f"answer cell {gid!r} was deleted; graded as unanswered")
            else:
                new.source = _cell_by_id(nb, theirs).source
            out_cells.append(new)
        else:
            out_cells.append(_restore_locked(cell, source_cells.get(gid, cell), student_by_id.get(gid), repairs))
        used.add(gid)
        out_cells.extend(extras_after.get(gid, []))
    result = copy.deepcopy(released)
    result.cells = out_cells
    _unique_cell_ids(nb, result, repairs)
    return Repaired(result, repairs)


def _unique_cell_ids(submitted, result, repairs: list[str]) -> None:
    """Report cell ids the submission used twice, and make every cell id of ``result`` unique."""
    ids = [c.get("id") for c in submitted.cells if c.get("id")]
    shared = sorted({i for i in ids if ids.count(i) > 1})
    if shared:
        repairs.append(f"several cells shared the cell id(s) {', '.join(map(repr, shared[:3]))}; gave them fresh ids")
    seen: set[str] = set()
    for k, cell in enumerate(result.cells):
        if "id" in cell and cell["id"] in seen:
            cell["id"] = f"cell-{k}"
        if "id" in cell:
            seen.add(cell["id"])


def _restore_locked(released_cell, source_cell, theirs: list | None, repairs: list[str]):
    gid = grade_id(released_cell)
    kind = "check cell" if is_graded(released_cell) else "locked cell"
    if not theirs:
        repairs.append(f"re-inserted the deleted {kind} {gid!r}")
    else:
        if len(theirs) > 1:
            repairs.append(f"removed {len(theirs) - 1} duplicate(s) of the {kind} {gid!r}")
        mine = theirs[0]
        if mine.source.strip() != released_cell.source.strip():
            repairs.append(f"restored the {kind} {gid!r}, which had been edited")
        their_points = nbgrader_meta(mine).get("points")
        our_points = nbgrader_meta(released_cell).get("points")
        if is_graded(released_cell) and their_points != our_points:
            repairs.append(f"ignored the changed points of {gid!r} ({their_points!r}; it is worth {our_points})")
    return copy.deepcopy(source_cell)


def _match_answers(nb, released, student_by_id, repairs) -> dict[str, int]:
    """Released answer grade id -> id() of the student's cell holding that answer."""
    matched: dict[str, int] = {}
    taken: set[int] = set()
    for cell in released.cells:
        gid = grade_id(cell)
        if gid and is_answer(cell) and student_by_id.get(gid):
            mine = student_by_id[gid][-1]
            matched[gid] = id(mine)
            taken.add(id(mine))
            if len(student_by_id[gid]) > 1:
                repairs.append(f"answer cell {gid!r} appeared {len(student_by_id[gid])} times with the same code; "
                               f"kept one")
                taken.update(id(c) for c in student_by_id[gid])
    released_ids = {grade_id(c) for c in released.cells}
    for cell in released.cells:
        gid = grade_id(cell)
        if not gid or not is_answer(cell) or gid in matched:
            continue
        wanted = defined_functions(cell.source)
        for mine in nb.cells:
            their_gid = grade_id(mine)
            if (id(mine) not in taken and is_answer(mine) and their_gid not in released_ids
                    and wanted and wanted <= defined_functions(mine.source)):
                matched[gid] = id(mine)
                taken.add(id(mine))
                repairs.append(f"answer cell id {their_gid!r} renamed back to {gid!r}")
                break
    return matched


def _answer_gid(answers: dict[str, int], cell) -> str | None:
    for gid, ident in answers.items():
        if ident == id(cell):
            return gid
    return None


def _cell_by_id(nb, ident: int):
    return next(c for c in nb.cells if id(c) == ident)


def _unmarked(cell):
    """A copy of a student-added cell without nbgrader metadata (it is ungraded scratch work)."""
    new = copy.deepcopy(cell)
    new.metadata.pop("nbgrader", None)
    if new.cell_type == "code":
        new.outputs = []
        new.execution_count = None
    return new


# -- static scan of answer cells -------------------------------------------------------------

#: Calls that change the interpreter's own hooks; nothing in an answer needs them.
HOOK_NAMES = {"setprofile", "settrace", "set_trace"}


def scan_answers(nb: nbformat.NotebookNode, forbidden_by_function: dict[str, set[str]]) -> dict[str, list[str]]:
    """For each function name, the forbidden names its defining answer cell refers to.

    ``forbidden_by_function`` maps a student function name (``"sigmoid"``) to
    dotted names it may not use (``{"dlkit.reference.sigmoid", "numpy.tanh"}``).
    An answer cell refers to a dotted name through an import (``from
    dlkit.reference import sigmoid as s``), a module alias (``ref.sigmoid``)
    or the full path. Returns ``{function: [finding, ...]}`` for functions with
    findings.
    """
    findings: dict[str, list[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_answer(cell):
            continue
        try:
            tree = nbs.parse_python(cell.source)
        except (SyntaxError, ValueError):
            continue
        names = _referenced_names(tree)
        for function in defined_functions(cell.source):
            bad = forbidden_by_function.get(function, set())
            hits = sorted(n for n in names if n in bad or n.rsplit(".", 1)[-1] in HOOK_NAMES and n.startswith("sys."))
            if hits:
                findings[function] = hits
    return findings


def _referenced_names(tree: ast.AST) -> set[str]:
    """Dotted names a module refers to, with import aliases resolved (``ref.relu`` -> ``dlkit.reference.relu``)."""
    alias: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                alias[(a.asname or a.name).split(".")[0] if not a.asname else a.asname] = \
                    a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                alias[a.asname or a.name] = f"{node.module}.{a.name}"
    alias.setdefault("np", "numpy")
    found: set[str] = set(alias.values())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                base = alias.get(inner.id, inner.id)
                found.add(".".join([base, *reversed(parts)]))
        elif isinstance(node, ast.Name) and node.id in alias:
            found.add(alias[node.id])
    return found
