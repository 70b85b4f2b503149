"""A smoke run of benchmarks/bench_grading.py on 2 submissions: every system grades, and they agree."""

from __future__ import annotations

import math

import pytest

from benchmarks import bench_grading as bench

pytestmark = pytest.mark.slow


def test_batch_size_from_flag_and_environment(monkeypatch):
    assert bench.batch_size(["--quick"]) == bench.QUICK_N
    monkeypatch.setenv("DLKIT_BENCH_GRADING_N", "7")
    assert bench.batch_size([]) == 7
    monkeypatch.setenv("DLKIT_BENCH_GRADING_N", "many")
    with pytest.raises(ValueError, match="positive integer"):
        bench.batch_size([])


def test_quick_run_grades_the_same_batch_three_ways(capsys):
    figures = bench.main(["--quick"])
    out = capsys.readouterr().out
    assert figures["n"] == 2
    # correct (full marks) + blank (0) under nbgrader, jobs=1 and jobs=2: the same total score
    assert len(set(figures["scores"])) == 1 and figures["scores"][0] > 0
    assert 0 < figures["own_s"] < figures["jobs1_s"]
    assert figures["ratio_jobs1"] > 0 and figures["ratio_jobs2"] > 0
    assert figures["outside_s"] > 0
    from autograder.sandbox import probe

    if probe()[0] is not None:  # bubblewrap runs here: the sandbox's own cost was measured
        assert math.isfinite(figures["sandbox_s"])
    else:
        assert figures["sandbox_s"] is None
    for line in ("nbgrader autograde", "autograder grade --jobs 1", "autograder grade --jobs 2",
                 "per-submission overhead", "outside the sandbox", "throughput jobs=2 vs plain nbgrader"):
        assert line in out
