"""Submissions the grader failed on (a grader bug, or on Dask workers that kept dying): the batch's summary,
``grade``'s exit status and the student's feedback say so plainly, and never blame the student.

The Dask path that produces such records is tested with real workers in test_grade_dask.py.
"""

from __future__ import annotations

from autograder import feedback as fb
from autograder import grade as G
from autograder import results as R
from autograder.__main__ import MAX_LISTED, main

DIED = ("internal grader error (WorkersDied: the Dask worker grading this submission died while it ran, 2 times, "
        "...; the workers that died running it: worker w1 at tcp://10.0.0.1:4000, worker w2 at tcp://10.0.0.2:4000. "
        "It may be a submission that kills its worker's machine, e.g. by memory ...)")


def _records(failed: int) -> list[R.SubmissionResult]:
    graded = R.SubmissionResult(student_id="ok", lesson="01-neurons", status=R.STATUS_GRADED, score=1, max_score=1)
    empty = R.rejected("empty", "01-neurons", "the file is empty")
    return [graded, empty, *(R.rejected(f"s{k:03d}", "01-neurons", DIED) for k in range(failed))]


def test_the_summary_line_counts_grader_failures_apart_from_the_students_rejections():
    clean = G.BatchSummary(_records(0))
    assert clean.count("grader_error") == 0 and "NOT GRADED" not in clean.line()
    summary = G.BatchSummary(_records(2))
    assert summary.count("rejected") == 3 and summary.count("grader_error") == 2
    assert [r.student_id for r in summary.grader_errors()] == ["s000", "s001"]
    assert ("3 rejected (2 of them NOT GRADED because the grader or its workers failed, not for anything the "
            "student did; re-running the same command grades them again)") in summary.line()


def test_the_pace_line_says_how_long_the_batch_took_and_how_fast_it_went_once_running():
    summary = G.BatchSummary(_records(0), finished_s=[9.0, 11.0, 13.5, 15.0], seconds=16.2)
    assert summary.pace() == (9.0, 2.0)
    assert summary.pace_line() == "4 run in 16 s: the first graded after 9.0 s, then one every 2.00 s"
    assert G.BatchSummary(_records(0), finished_s=[3.0], seconds=3.5).pace_line() == "1 run in 4 s"
    assert G.BatchSummary(_records(0)).pace_line() == "" and G.BatchSummary(_records(0)).pace() is None


def _grade_cli(monkeypatch, tmp_path, capsys, records):
    monkeypatch.setattr(G, "grade_lesson", lambda *a, **kw: G.BatchSummary(records))
    code = main(["grade", "01", str(tmp_path), "--workspace", str(tmp_path / "ws"), "--seed", "1"])
    return code, capsys.readouterr()


def test_grade_exits_5_naming_each_student_the_grader_failed_on(monkeypatch, tmp_path, capsys):
    code, out = _grade_cli(monkeypatch, tmp_path, capsys, _records(2))
    assert code == 5
    assert "NOT GRADED: 2 submission(s), because the grader or its workers failed" in out.err
    assert f"  s000: {DIED}" in out.err and f"  s001: {DIED}" in out.err
    assert "empty:" not in out.err, "a student's own rejection is no grader failure"
    assert "Re-run the same command to grade them again" in out.err


def test_a_long_list_of_failures_is_cut(monkeypatch, tmp_path, capsys):
    code, out = _grade_cli(monkeypatch, tmp_path, capsys, _records(MAX_LISTED + 3))
    assert code == 5 and out.err.count(DIED) == MAX_LISTED and "... and 3 more" in out.err


def test_a_clean_batch_still_exits_0(monkeypatch, tmp_path, capsys):
    code, out = _grade_cli(monkeypatch, tmp_path, capsys, _records(0))
    assert code == 0 and "NOT GRADED" not in out.err


def test_nothing_graded_because_the_grader_failed_exits_3_and_lists_them(monkeypatch, tmp_path, capsys):
    code, out = _grade_cli(monkeypatch, tmp_path, capsys, _records(1)[1:])
    assert code == 3 and "NOTHING WAS GRADED" in out.err and f"  s000: {DIED}" in out.err


def test_the_students_feedback_does_not_blame_the_notebook():
    """The reason mentions memory and times: the advice must not say the notebook ran out of either."""
    text = fb.advice(DIED)
    assert "could not finish grading" in text and "do not need to submit it again" in text
    assert "memory" not in text and "time limit" not in text
