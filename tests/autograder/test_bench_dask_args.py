"""benchmarks/bench_dask.py's batch size and rounds.

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


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", ""])
def test_bad_rounds_are_refused_with_the_variable_the_value_and_an_example(monkeypatch, value):
    monkeypatch.setenv("DLKIT_BENCH_DASK_ROUNDS", value)
    with pytest.raises(ValueError) as caught:
        bench.rounds([])
    text = str(caught.value)
    assert "DLKIT_BENCH_DASK_ROUNDS must be a positive integer" in text and repr(value) in text and "e.g. 2" in text
    assert bench.rounds(["--quick"]) == 1, "--quick times each leg once whatever the variable says"


def test_rounds_from_the_environment(monkeypatch):
    monkeypatch.delenv("DLKIT_BENCH_DASK_ROUNDS", raising=False)
    assert bench.rounds([]) == bench.FULL_ROUNDS == 2
    monkeypatch.setenv("DLKIT_BENCH_DASK_ROUNDS", "3")
    assert bench.rounds([]) == 3
