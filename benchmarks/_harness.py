"""The timing harness every ``bench_*`` module shares: pinned threads, a child process, medians, verdicts.

Both libraries run with the same number of threads: a measurement runs in a
child process whose ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS`` are set before numpy loads its BLAS, and which calls
``torch.set_num_threads`` with the same number. Set ``DLKIT_BENCH_THREADS``
(default 1) to change it. Times are the median of repeated runs after warm-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def bench_threads() -> int:
    """The thread count every benchmark gives numpy and torch (``DLKIT_BENCH_THREADS``, default 1)."""
    value = os.environ.get("DLKIT_BENCH_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"DLKIT_BENCH_THREADS must be a positive integer, got {value!r}.")
    return int(value)


def run_measurement_in_child(module: str, function: str) -> None:
    """Run ``module.function()`` in a fresh interpreter whose BLAS and torch use ``bench_threads()`` threads.

    numpy reads the thread variables only when it loads its BLAS, which has already
    happened in this process, so a child process is the one reliable way to pin them.
    """
    threads = bench_threads()
    env = {**os.environ, **{name: str(threads) for name in THREAD_VARIABLES}}
    code = f"import {module} as m; m.{function}()"
    result = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the {module} measurement failed (exit status {result.returncode}); see its output above.")


def median_seconds(fn, repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_agreement(worst: float, limit: float, what: str) -> None:
    """Refuse to time code whose results differ from torch's by more than ``limit``."""
    if worst > limit:
        raise AssertionError(f"dlkit and torch {what} differ by {worst:g} (> {limit:g}); not benchmarking wrong code")


def verdict(ratio: float, target: float) -> str:
    """``"(target <= 1.5x) OK"`` when ``ratio`` meets ``target``, else ``... MISSED``."""
    return f"(target <= {target:g}x) {'OK' if ratio <= target else 'MISSED'}"


def setup_torch_threads():
    """Import torch and give it the same thread count as numpy's BLAS; returns ``(torch, threads)``."""
    import torch

    threads = bench_threads()
    torch.set_num_threads(threads)
    return torch, threads


def describe_threads(threads: int) -> str:
    """One line saying how many threads numpy and torch were given, for a benchmark's header."""
    return (f"threads: {threads} for both (torch.set_num_threads({threads}); "
            f"{'/'.join(THREAD_VARIABLES)}={threads})")
