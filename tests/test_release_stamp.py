"""Released student notebooks are pinned to the release they came from (setup cell and Colab badge)."""

from __future__ import annotations

import copy

import nbformat
import pytest

import dlkit
from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder.release import stamp_release
from dlkit import notebook


def test_the_pinned_setup_cell_installs_the_release_from_the_one_repository_setting(monkeypatch):
    monkeypatch.setattr(dlkit, "REPOSITORY_URL", "https://github.com/a-fork/course")
    monkeypatch.setattr(dlkit, "RELEASE_REF", "v9.9.9")
    cell = notebook.released_setup_cell()
    assert '%pip install --quiet "dlkit @ git+https://github.com/a-fork/course@v9.9.9"' in cell
    assert "v9.9.9, the release this notebook came from" in cell
    assert notebook.colab_url("lessons/x/x.ipynb", "v9.9.9") == \
        "https://colab.research.google.com/github/a-fork/course/blob/v9.9.9/lessons/x/x.ipynb"
    # the solutions' cell stays unpinned, the release's differs from it only in what it installs
    assert "@" not in notebook.install_spec().split("git+")[1]
    assert notebook.SETUP_CELL.splitlines()[1:] != cell.splitlines()[1:]


def _notebook(setup: str, path: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# T\n\n{notebook.colab_badge(path)}"),
                nbformat.v4.new_code_cell(setup)]
    nb.cells[1].metadata["nbgrader"] = {"locked": True, "grade": False, "solution": False, "grade_id": "setup",
                                        "schema_version": 3, "checksum": "stale"}
    return nb


def test_stamp_pins_setup_and_badge_and_refreshes_the_checksum():
    from nbgrader.utils import compute_checksum

    path = "lessons/07-x/07-x.ipynb"
    nb = _notebook(notebook.SETUP_CELL, path)
    assert stamp_release(nb, path, "abc1234") == [0, 1]
    assert nb.cells[1].source == notebook.released_setup_cell("abc1234")
    assert notebook.colab_url(path, "abc1234") in nb.cells[0].source
    assert notebook.colab_url(path) not in nb.cells[0].source
    assert nb.cells[1].metadata["nbgrader"]["checksum"] == compute_checksum(nb.cells[1])
    again = copy.deepcopy(nb)
    assert stamp_release(again, path, "abc1234") == []   # stamping twice changes nothing


def test_a_notebook_without_the_setup_cell_cannot_be_pinned_silently():
    nb = _notebook("import dlkit", "lessons/x/x.ipynb")
    with pytest.raises(ValueError, match="no setup cell to pin"):
        notebook.stamp(nb, "lessons/x/x.ipynb")


@pytest.mark.parametrize("solution", sorted(SOLUTIONS.glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_every_committed_student_notebook_is_pinned_to_this_release(solution):
    student = LESSONS / solution.parent.name / solution.name
    nb = nbs.read(student)
    path = f"lessons/{solution.parent.name}/{solution.name}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == notebook.released_setup_cell(), "run `python -m autograder release` again"
    assert notebook.colab_url(path, dlkit.RELEASE_REF) in nb.cells[0].source
