"""The class report and the demo do their bookkeeping once: one summary per report, one grades.csv per lesson."""

from __future__ import annotations

import csv

from autograder import export
from autograder import report as rp
from autograder.results import SubmissionResult, write_result
from tests.autograder.test_feedback_html import LESSON, make_class


def test_render_report_summarizes_the_class_once(monkeypatch):
    calls = []
    real = rp.summarize

    def counting(records):
        calls.append(len(records))
        return real(records)

    monkeypatch.setattr(rp, "summarize", counting)
    rp.render_report(make_class(), LESSON)
    assert calls == [7]


def test_plot_scores_draws_the_same_with_or_without_a_given_summary():
    records = make_class()
    assert rp.plot_scores(records, rp.summarize(records)) == rp.plot_scores(records)


def test_grades_csv_written_after_one_lesson_covers_every_lesson(tmp_path):
    """What demo relies on: grade_lesson's write_grades(workspace) rewrites grades.csv from all lessons' records."""
    write_result(tmp_path, SubmissionResult("s1", "01-neurons", "graded", score=3, max_score=4))
    write_result(tmp_path, SubmissionResult("s1", "02-losses", "graded", score=1, max_score=2))
    with open(export.write_grades(tmp_path), newline="") as fh:
        rows = [(r["student_id"], r["lesson"], r["score"]) for r in csv.DictReader(fh)]
    assert rows == [("s1", "01-neurons", "3"), ("s1", "02-losses", "1")]
