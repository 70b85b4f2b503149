"""Feedback pages from hand-written result records: verdicts, points, repairs, flags, escaping, no hidden leak."""

from __future__ import annotations

import html
import re

import pytest

from autograder import feedback as fb
from autograder import results as res

LESSON = "01-neurons"
POINTS = {"sigmoid-check": 2.0, "tanh-check": 2.0, "relu-check": 1.0}


def make_record(student: str, passed: dict[str, bool] | None = None, *, status: str = "graded", seconds: float = 2.0,
                flags=(), repairs=(), messages: dict[str, str] | None = None, timed_out: bool = False,
                hidden_failed=()) -> res.SubmissionResult:
    """A record of the shared shape: ``passed`` says which checks passed (default: all)."""
    passed = passed if passed is not None else {gid: True for gid in POINTS}
    messages = messages or {}
    checks = []
    if not status.startswith("rejected"):
        for gid, pts in POINTS.items():
            ok = passed.get(gid, False)
            hidden_bad = gid in hidden_failed
            checks.append(res.CheckResult(
                gid, [f"01.{gid.removesuffix('-check')}"], pts if ok else 0.0, pts, ok,
                visible_passed=ok or hidden_bad, hidden_passed=ok,
                message=messages.get(gid, "ok" if ok else f"`{gid}` is wrong at index (0,): expected 0.5, got 0.7")))
    score = sum(c.points for c in checks)
    return res.SubmissionResult(student, LESSON, status, score=score, max_score=sum(POINTS.values()),
                                seconds=seconds, timed_out=timed_out, submission_sha256="ab" * 32,
                                graded_at="2026-11-23T10:00:00+00:00", checks=checks, repairs=list(repairs),
                                flags=list(flags), log_tail="print output <script>alert('log')</script>")


def make_class() -> list[res.SubmissionResult]:
    """A small class: full marks, partial, hidden failures, flagged, timed out, rejected."""
    return [
        make_record("s001"),
        make_record("s002", {"sigmoid-check": True}, seconds=3.5),
        make_record("s003", {"relu-check": True}, hidden_failed=("sigmoid-check",), seconds=2.6),
        make_record("s004", {"tanh-check": True, "relu-check": True}, seconds=1.8,
                    flags=["called the reference implementation in 01.sigmoid"],
                    repairs=["restored locked cell 'sigmoid-check' from the gradebook"]),
        make_record("s005", {}, seconds=30.0, timed_out=True),
        make_record("s006", status="rejected: the file is empty", seconds=0.1),
        make_record("s007", status="rejected: not valid notebook JSON (Expecting value at line 1)", seconds=0.1),
    ]


def write_class(workspace, records=None) -> list[res.SubmissionResult]:
    records = make_class() if records is None else records
    for record in records:
        res.write_result(workspace, record)
    return records


def _text(page: str) -> str:
    """The visible text of a page (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_page_shows_each_check_points_total_repairs_and_flags():
    rec = make_record("s004", {"tanh-check": True, "relu-check": True},
                      flags=["called the reference implementation in 01.sigmoid"],
                      repairs=["restored locked cell 'sigmoid-check' from the gradebook"])
    page = fb.render_feedback(rec)
    text = _text(page)
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "3 / 5" in text  # total
    for gid, pts in POINTS.items():
        assert gid.removesuffix("-check") in text
    assert re.search(r"sigmoid\s+failed\s+0 / 2", " ".join(text.split()))
    assert re.search(r"tanh\s+passed\s+2 / 2", " ".join(text.split()))
    assert "restored locked cell 'sigmoid-check' from the gradebook" in text
    assert "called the reference implementation in 01.sigmoid" in text
    assert "expected 0.5, got 0.7" in text


def test_rejected_page_gives_the_reason_and_advice():
    page = fb.render_feedback(make_record("s006", status="rejected: the file is empty"))
    text = _text(page)
    assert "could not be graded" in text and "the file is empty" in text
    assert "Save the notebook" in text
    assert "<table" not in page  # no check table for a rejected submission


def test_timed_out_page_says_so():
    assert "Time limit reached" in _text(fb.render_feedback(make_record("s005", {}, timed_out=True)))


def test_everything_from_the_submission_is_escaped():
    evil = "<script>alert('x')</script>"
    rec = make_record(f"s{evil}", {}, flags=[f"flag {evil}"], repairs=[f"repair {evil}"],
                      messages={"sigmoid-check": f"raised ValueError: {evil}"})
    page = fb.render_feedback(rec)
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;") >= 4  # id in title and heading, message, flag, repair
    assert "alert('log')" not in page  # the printed output is not part of the feedback


def test_self_contained_no_external_resources_or_scripts():
    page = fb.render_feedback(make_record("s001"))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "<link" not in page


def test_hidden_inputs_and_hidden_source_are_never_shown():
    from dlkit.checks.core import get

    seed = 424242
    exercise = get("01.sigmoid")
    hidden = exercise.cases(hidden=True, seed=seed)
    small = next(c for c in hidden if "array of shape" not in c.describe())
    leak_input = f"`sigmoid({small.describe()})` is wrong at index (0,): expected 0.1, got 0.2"
    leak_source = 'checks.run("01.sigmoid", sigmoid, hidden=True) failed'
    rec = make_record("s003", {"relu-check": True},
                      messages={"sigmoid-check": leak_input, "tanh-check": leak_source})
    redactor = fb.Redactor(["01.sigmoid", "01.tanh", "01.relu"], seed=seed)
    page = fb.render_feedback(rec, redactor=redactor)
    assert small.describe() not in html.unescape(page)
    assert "hidden=True" not in page
    assert page.count(fb.HIDDEN_MESSAGE) == 2
    # the hidden source never leaks even without a redactor
    assert "hidden=True" not in fb.render_feedback(rec)
    # visible-case messages are kept as they are
    visible = exercise.cases()[1]
    kept = f"`sigmoid({visible.describe()})` is wrong"
    assert redactor.clean(kept) == kept
    # another seed draws other hidden inputs, which the redactor does not know
    assert fb.Redactor(["01.sigmoid"], seed=seed + 1).fingerprints != redactor.fingerprints


def test_write_feedback_one_page_per_student(tmp_path):
    records = write_class(tmp_path)
    paths = fb.write_feedback(tmp_path, LESSON)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        f"feedback/{r.student_id}/{LESSON}/{LESSON}.html" for r in sorted(records, key=lambda r: r.student_id)]
    assert all("<!DOCTYPE html>" in p.read_text() for p in paths)
    assert not list(tmp_path.rglob("*.tmp"))
    again = fb.write_feedback(tmp_path, LESSON)  # idempotent: same pages, same bytes
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def test_bad_input_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="grade first"):
        fb.write_feedback(tmp_path, LESSON)
    with pytest.raises(TypeError, match="SubmissionResult"):
        fb.render_feedback({"student_id": "s"})
    with pytest.raises(ValueError, match="folder name"):
        fb.feedback_path(tmp_path, LESSON, "..")


@pytest.mark.parametrize("module", ["autograder.feedback", "autograder.report", "autograder.templates",
                                    "autograder.hostile", "autograder.nbgrader_hidden", "autograder.seeds",
                                    "dlkit.checks.core"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
