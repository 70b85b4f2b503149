"""benchmarks/bench_grading.py's batch size.

The benchmark itself (``make bench``, or ``DLKIT_BENCH_GRADING_N=2 python -m benchmarks grading``
for 2 submissions in about two minutes) grades one batch three ways and fails
when their total scores differ; it is not run by the test suite, whose time on
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
