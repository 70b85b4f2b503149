"""benchmarks/bench_dask.py's batch size.

The benchmark itself (``python -m benchmarks dask``, or ``python -m benchmarks.bench_dask --quick``
for 4 submissions) grades one batch on local threads and on a local Dask cluster and fails when
their grades.csv differ; the suite does not run it (tests/autograder/test_grade_dask.py tests the
Dask path itself).
"""

from __future__ import annotations

import pytest

from benchmarks import bench_dask as bench


def test_batch_size_from_flag_and_environment(monkeypatch):
    monkeypatch.setenv("DLKIT_BENCH_DASK_N", "9")
    assert bench.batch_size(["--quick"]) == bench.QUICK_N
    assert bench.batch_size([]) == 9
    monkeypatch.delenv("DLKIT_BENCH_DASK_N")
    assert bench.batch_size([]) == bench.FULL_N
    monkeypatch.setenv("DLKIT_BENCH_DASK_N", "0")
    with pytest.raises(ValueError, match="positive integer"):
        bench.batch_size([])
