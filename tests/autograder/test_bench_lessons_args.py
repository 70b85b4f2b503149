"""benchmarks/bench_lessons.py's choice of lessons and repeats (the benchmark itself is `make bench`'s)."""

from __future__ import annotations

import pytest

from benchmarks import bench_lessons as bench


def test_quick_is_lesson_01_twice():
    assert bench.settings(["--quick"]) == (["01-neurons"], bench.QUICK_REPEATS)


def test_every_lesson_by_default_and_some_by_number(monkeypatch):
    monkeypatch.delenv("DLKIT_BENCH_LESSONS", raising=False)
    monkeypatch.delenv("DLKIT_BENCH_LESSONS_REPEATS", raising=False)
    lessons, repeats = bench.settings([])
    assert len(lessons) == 13 and lessons[0] == "01-neurons" and repeats == bench.REPEATS
    monkeypatch.setenv("DLKIT_BENCH_LESSONS", "08, 01-neurons")
    assert bench.settings([])[0] == ["08-cnn", "01-neurons"]


def test_bad_settings_say_what_is_expected(monkeypatch):
    monkeypatch.setenv("DLKIT_BENCH_LESSONS_REPEATS", "1")
    with pytest.raises(ValueError, match="at least 2"):
        bench.settings([])
    monkeypatch.setenv("DLKIT_BENCH_LESSONS_REPEATS", "2")
    monkeypatch.setenv("DLKIT_BENCH_LESSONS", "99")
    with pytest.raises(ValueError, match="no lesson '99'"):
        bench.settings([])


def test_the_correct_submission_is_the_release_with_the_solution_answers():
    from autograder import notebooks as nbs

    nb = nbs.parse_untrusted(bench.correct_submission("01-neurons"))
    answers = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert answers and all("BEGIN SOLUTION" not in "".join(c["source"]) for c in answers)
    assert all("raise NotImplementedError" not in "".join(c["source"]) for c in answers)
