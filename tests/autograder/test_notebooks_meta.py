"""nbgrader cell metadata helpers of autograder.notebooks, on plain dicts, NotebookNodes and lesson 01."""

from __future__ import annotations

import doctest

import nbformat
import pytest

from autograder import LESSONS
from autograder import notebooks as nbs
from autograder import validate as val

LESSON = "01-neurons"


def _code(**nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x = 1")
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


@pytest.mark.parametrize("cell, meta, gid, answer, graded", [
    (_code(), {}, None, False, False),
    (_code(grade_id="relu-answer", solution=True, grade=False), None, "relu-answer", True, False),
    (_code(grade_id="relu-check", solution=False, grade=True, points=2), None, "relu-check", False, True),
    ({"cell_type": "code", "metadata": {"nbgrader": "not a dict"}}, {}, None, False, False),
    ({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": 7, "solution": True}}}, None, None, True, False),
    ({"cell_type": "markdown"}, {}, None, False, False),
])
def test_helpers_read_what_the_metadata_says(cell, meta, gid, answer, graded):
    expected_meta = cell.get("metadata", {}).get("nbgrader") if meta is None else meta
    assert nbs.nbgrader_meta(cell) == expected_meta
    assert nbs.grade_id(cell) == gid
    assert nbs.is_answer(cell) is answer
    assert nbs.is_graded(cell) is graded


def test_helpers_do_not_change_the_cell():
    cell = {"cell_type": "code", "metadata": {}}
    nbs.nbgrader_meta(cell), nbs.grade_id(cell), nbs.is_answer(cell), nbs.is_graded(cell)
    assert cell == {"cell_type": "code", "metadata": {}}


def test_released_lesson_cells_are_classified_as_nbgrader_marks_them():
    nb = nbs.read(LESSONS / LESSON / f"{LESSON}.ipynb")
    answers = [nbs.grade_id(c) for c in nb.cells if nbs.is_answer(c)]
    checks = [nbs.grade_id(c) for c in nb.cells if nbs.is_graded(c)]
    assert answers and checks and not set(answers) & set(checks)
    assert all(gid.endswith("-answer") for gid in answers)
    assert all(gid.endswith("-check") for gid in checks)
    assert all(nbs.nbgrader_meta(c)["points"] > 0 for c in nb.cells if nbs.is_graded(c))


def test_validate_keeps_the_old_names_as_aliases():
    assert val.nbgrader_meta is nbs.nbgrader_meta
    assert val.grade_id is nbs.grade_id
    assert val.is_answer is nbs.is_answer


def test_docstring_examples_run():
    failed, attempted = doctest.testmod(nbs, verbose=False)
    assert attempted >= 2 and failed == 0
