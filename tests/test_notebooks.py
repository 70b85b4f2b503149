"""Every lesson notebook, executed for real with nbclient.

- A solution notebook runs top to bottom with every graded check passing,
  within the lesson budget (90 s of wall time and 2 GiB of memory on 2 cores).
- A student notebook runs its cells before the first exercise cleanly, and
  every graded check cell fails while the exercises are unanswered: a check
  that passes on a blank answer is a defect.
"""

from __future__ import annotations

import pytest

from autograder.execute import execute
from tests.conftest import REPO

BUDGET_SECONDS = 90   # DESIGN: every lesson within 90 s and 2 GiB on 2 cores
CLAIMED_SECONDS = 60  # what the lessons tell students: "runs in under a minute on a laptop CPU"
BUDGET_MB = 2048

SOLUTIONS = sorted((REPO / "solutions").glob("*/*.ipynb"))
STUDENT = sorted((REPO / "lessons").glob("*/*.ipynb"))

pytestmark = pytest.mark.notebook


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_solution_runs_with_every_check_passing_within_budget(path, record_notebook_time):
    result = execute(path, timeout=BUDGET_SECONDS)
    record_notebook_time(f"solutions/{path.parent.name}", result.seconds, result.peak_rss_mb)
    assert not result.errors, f"cells raised: {result.errors}"
    graded = [c for c in result.notebook.cells if _meta(c).get("grade") and c.cell_type == "code"]
    assert graded, "a lesson needs graded check cells"
    for cell in graded:
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        assert "passed" in text, f"check cell {_meta(cell)['grade_id']} printed no confirmation: {text!r}"
    assert result.seconds <= BUDGET_SECONDS, f"took {result.seconds:.0f} s, budget {BUDGET_SECONDS} s"
    if "under a minute" in result.notebook.cells[0].source:
        assert result.seconds < CLAIMED_SECONDS, f"the lesson promises under a minute; it took {result.seconds:.0f} s"
    if result.peak_rss_mb is not None:
        assert result.peak_rss_mb <= BUDGET_MB, f"peak memory {result.peak_rss_mb:.0f} MiB, budget {BUDGET_MB} MiB"


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.parent.name)
def test_student_version_fails_every_check_until_answered(path, record_notebook_time):
    result = execute(path, timeout=BUDGET_SECONDS, allow_errors=True)
    record_notebook_time(f"lessons/{path.parent.name}", result.seconds, result.peak_rss_mb)
    cells = result.notebook.cells
    first_answer = next(i for i, c in enumerate(cells) if _meta(c).get("solution"))
    early = [e for e in result.errors if e.index < first_answer]
    assert not early, f"cells before the first exercise must run cleanly: {early}"
    failed = {e.grade_id for e in result.errors if e.ename in ("CheckFailed", "AssertionError")}
    graded = [_meta(c)["grade_id"] for c in cells if _meta(c).get("grade") and c.cell_type == "code"]
    passing = [gid for gid in graded if gid not in failed]
    assert not passing, f"these checks pass on an unanswered notebook: {passing}"
