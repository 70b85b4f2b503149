"""benchmarks/bench_grading.py's batch and sample.

The benchmark itself (``make bench``, or ``python -m benchmarks.bench_grading --quick``
for 4 submissions) grades one class several ways and fails when their total
scores on the sample differ; it is not run by the test suite, whose time on
2 cores goes to the lessons.
"""

from __future__ import annotations

import pytest

from benchmarks import bench_grading as bench


def test_batch_size_from_flag_and_environment(monkeypatch):
    assert bench.batch_size(["--quick"]) == bench.QUICK_N
    monkeypatch.setenv("DLKIT_BENCH_GRADING_N", "7")
    assert bench.batch_size([]) == 7
    monkeypatch.setenv("DLKIT_BENCH_GRADING_N", "many")
    with pytest.raises(ValueError, match="positive integer"):
        bench.batch_size([])


def test_sample_size_is_capped_by_the_class(monkeypatch):
    assert bench.sample_size(["--quick"]) == bench.QUICK_SAMPLE
    monkeypatch.setenv("DLKIT_BENCH_GRADING_SAMPLE", "50")
    assert bench.sample_size([], 20) == 20
    monkeypatch.setenv("DLKIT_BENCH_GRADING_SAMPLE", "0")
    with pytest.raises(ValueError, match="positive integer"):
        bench.sample_size([])


def test_the_sample_is_spread_over_the_honest_kinds_and_leaves_hostile_ones_out(tmp_path):
    batch = {f"s{i:03d}-{kind}": tmp_path / f"{i}.ipynb"
             for i, kind in enumerate(["hostile-os-exit", "hostile-fork-bomb"]
                                      + ["correct", "blank", "partly-wrong", "mutant-relu"] * 25, start=1)}
    sample = bench.sample_of(batch, 10)
    assert len(sample) == 10 and not any("hostile" in s for s in sample)
    assert {bench.kind_of(s) for s in sample} == {"correct", "blank", "partly-wrong", "mutant-relu"}
