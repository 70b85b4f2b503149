"""Grading on Dask distributed vs on local threads, and its scaling from 1 to 2 workers.

The batch: the synthetic lesson-01 class of :mod:`benchmarks.bench_grading`
(correct, blank, partly wrong, one student per mutant, repeated), graded into
a fresh workspace each time, without the nbgrader gradebook (the same on both
executors; ``bench_grading`` measures it):

1. ``--executor local --jobs 2``: threads of this process, each running sandboxes;
2. ``--executor dask`` on a local cluster of 2 single-threaded worker processes;
3. the same with 1 worker.

The cluster is started before the clock (a standing cluster, as an
instructor's would be), and its workers are warmed up untimed (a new worker
imports the grader and loads the lesson once; the warm-up times are printed
apart). Each timed run includes connecting to the scheduler, the check of
every worker (seed fingerprint, sandbox, course version) and writing records
and grades.csv. A
fresh secret seed is made for the run and reaches the workers through their
environment, as on a real cluster. Every run must produce the same
grades.csv, or the benchmark stops.

Figures: dask/local time ratio with 2 workers each (target: within 10%), and
the scaling efficiency from 1 to 2 workers, ``t(1) / (2 t(2))`` (1.0 is
perfect). In the full run each leg is timed twice (``DLKIT_BENCH_DASK_ROUNDS``)
and the faster time kept.

Run it: ``python -m benchmarks dask`` (40 submissions; ``DLKIT_BENCH_DASK_N``
changes it), or ``python -m benchmarks.bench_dask --quick`` (4 submissions,
each leg once) for a smoke run. On a shared machine, quote ``uptime`` with it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_grading import positive_env

LESSON = "01-neurons"
FULL_N = 40
QUICK_N = 4
FULL_ROUNDS = 2


def batch_size(argv: list[str]) -> int:
    """Submissions to grade: ``--quick`` -> 4, else ``DLKIT_BENCH_DASK_N`` (default 40)."""
    if "--quick" in argv:
        return QUICK_N
    return positive_env("DLKIT_BENCH_DASK_N", FULL_N, f"e.g. {FULL_N}, or {QUICK_N} for a smoke run")


def rounds(argv: list[str]) -> int:
    """Times each leg is run (the fastest kept): ``--quick`` -> 1, else ``DLKIT_BENCH_DASK_ROUNDS`` (default 2)."""
    if "--quick" in argv:
        return 1
    return positive_env("DLKIT_BENCH_DASK_ROUNDS", FULL_ROUNDS,
                        f"e.g. {FULL_ROUNDS} (each leg timed twice, the faster kept), or 1 for one timing per leg")


def timed_grading(batch: Path, workspace: Path, seed: str, **executor) -> tuple[float, str]:
    """Seconds to grade ``batch`` into a fresh ``workspace`` with these executor options, and its grades.csv."""
    from autograder.grade import grade_lesson

    start = time.perf_counter()
    summary = grade_lesson(LESSON, batch, workspace, progress=False, use_gradebook=False, seed=seed, **executor)
    seconds = time.perf_counter() - start
    if summary.reused or not summary.anything_graded:
        raise RuntimeError(f"expected a fresh grading of {batch}, got: {summary.line()}")
    return seconds, (workspace / "grades.csv").read_text()


def warm(address: str) -> float:
    """Seconds for every worker to load the lesson and build its grader (what a fresh worker pays once)."""
    from dataclasses import asdict

    from distributed import Client

    from autograder.distributed import worker_status
    from autograder.sandbox import Limits

    start = time.perf_counter()
    with Client(address) as client:
        statuses = client.run(worker_status, LESSON, asdict(Limits()))
    problems = [s["refused"] for s in statuses.values() if s["refused"]]
    if problems:
        raise RuntimeError(f"a worker cannot grade: {problems}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print the table and the ratios; return the figures."""
    from distributed import LocalCluster

    from autograder.seeds import new_seed
    from benchmarks.bench_grading import write_batch

    argv = sys.argv[1:] if argv is None else argv
    n = batch_size(argv)
    repeats = rounds(argv)
    seed = new_seed()
    load = os.getloadavg()
    print(f"grading {n} synthetic submissions of lesson {LESSON} on {os.cpu_count()} core(s), "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dlkit-bench-dask-") as tmp:
        tmp = Path(tmp)
        write_batch(tmp / "batch", n)
        grades, warm_up = {}, []
        env = {"DLKIT_HIDDEN_SEED": seed, "OMP_NUM_THREADS": "1"}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          env=env) as cluster:
            legs = [("local, jobs=2", {"executor": "local", "jobs": 2}, None),
                    ("dask, 2 workers", {"executor": "dask", "scheduler": cluster.scheduler_address}, 2),
                    ("dask, 1 worker", {"executor": "dask", "scheduler": cluster.scheduler_address}, 1)]
            for round_ in range(repeats):
                for name, options, workers in legs:
                    if workers is not None:
                        cluster.scale(workers)
                        cluster.wait_for_workers(workers)
                        while len(cluster.scheduler_info["workers"]) != workers:  # scaling down takes a moment
                            time.sleep(0.2)
                        warm_up.append(warm(cluster.scheduler_address))
                    print(f"{name} (round {round_ + 1} of {repeats}) ...", flush=True)
                    workspace = tmp / f"ws-{legs.index((name, options, workers))}-{round_}"
                    seconds, grades[name] = timed_grading(tmp / "batch", workspace, seed, **options)
                    best[name] = min(seconds, best.get(name, float("inf")))
                    print(f"  {seconds:.1f} s", flush=True)
    if len(set(grades.values())) != 1:
        raise RuntimeError("the executors produced different grades.csv files; not reporting timings of wrong results")

    print(f"\n{'executor':<18} {'subs':>5} {'seconds':>9} {'s/sub':>7}")
    for name, seconds in best.items():
        print(f"{name:<18} {n:>5} {seconds:>9.1f} {seconds / n:>7.2f}")
    print(f"untimed warm-up before each dask leg (new workers import the grader and load the lesson): "
          f"{', '.join(f'{w:.1f}' for w in warm_up)} s")
    ratio = best["dask, 2 workers"] / best["local, jobs=2"]
    efficiency = best["dask, 1 worker"] / (2 * best["dask, 2 workers"])
    print(f"\ndask (2 workers) / local (jobs=2) time: {ratio:.2f} (target: at most 1.10)")
    print(f"scaling efficiency from 1 to 2 dask workers: {efficiency:.2f} (1.00 is perfect; 2 cores shared with "
          f"everything else running)")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return {"ratio": ratio, "efficiency": efficiency, "warm_up_s": max(warm_up), **best}


if __name__ == "__main__":
    main()
