"""Grading throughput: plain ``nbgrader autograde`` vs ``python -m autograder grade`` on the same batch.

The batch: 40 synthetic submissions of lesson 01 (correct, blank, partly wrong,
one student per mutant, repeated), written once and graded three times:

1. plain nbgrader: ``nbgrader autograde`` through :mod:`autograder.nbgrader_course`
   (it runs one notebook after another in the instructor's own account);
2. our grader with ``jobs=1``; 3. our grader with ``jobs=2`` (sandboxed,
   verdicts in the grader, records, gradebook sync and grades.csv included).

Each system's one-off setup (``nbgrader generate_assignment`` recording the
lesson in the gradebook) is done before its clock starts; the clock covers
the whole batch command. Throughput is submissions per second; ratios are
against plain nbgrader.

Per-submission overhead beyond the notebook's own execution time, three figures:

- against a Jupyter kernel: the "own" time of a submission is the sum of its
  cells' execution times when a plain nbclient kernel runs it, no sandbox, no
  grading (from the kernel's ``execute_input``/``execute_reply`` timestamps,
  so kernel start-up is not counted as the notebook's), measured once for
  every distinct notebook of the batch. Overhead = batch time with ``jobs=1``
  / submissions - mean own time: everything the grader adds per submission,
  sandbox, interpreter start, validation, judging, records and gradebook
  included. It can be negative: the grader runs cells in a bare IPython
  shell, without a kernel's messaging and inline figure rendering.
- the sandbox alone: the same correct submission graded with and without the
  sandbox (``confine=False``) by the same grader, median of 3 each; the difference
  is what bubblewrap, the rlimits and the unprivileged uid cost.
- the grader outside the sandbox: batch time with ``jobs=1`` / submissions -
  mean time recorded inside the sandbox (validation, repair, judging, records,
  gradebook, grades.csv).

Run it: ``python -m benchmarks grading`` (40 submissions, about 15 minutes on
2 cores). ``DLKIT_BENCH_GRADING_N=4`` (or ``--quick``, 2 submissions, when
run as ``python -m benchmarks.bench_grading --quick``) makes a smoke run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LESSON = "01-neurons"
FULL_N = 40
QUICK_N = 2


@dataclass
class Measurement:
    """The outcome of one measured run: what ran, on how many submissions, how long, and their total score."""

    name: str
    submissions: int
    seconds: float
    total_score: float
    inside_s: float | None = None  # mean time each submission spent in its sandbox run

    @property
    def per_second(self) -> float:
        return self.submissions / self.seconds


def batch_size(argv: list[str] | None = None) -> int:
    """Submissions to grade: ``--quick`` -> 2, else ``DLKIT_BENCH_GRADING_N`` (default 40)."""
    if argv and "--quick" in argv:
        return QUICK_N
    value = os.environ.get("DLKIT_BENCH_GRADING_N", str(FULL_N))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"DLKIT_BENCH_GRADING_N must be a positive integer, got {value!r}; e.g. 40, or 2 for a smoke run")
    return int(value)


def write_batch(folder: Path, n: int) -> dict[str, Path]:
    """``n`` synthetic submissions as ``<folder>/<student>.ipynb``: the demo's honest class, repeated."""
    from autograder.demo import synthetic_class

    with tempfile.TemporaryDirectory(prefix="dlkit-bench-kinds-") as tmp:
        kinds = synthetic_class(LESSON, Path(tmp), hostile=())
        order = ["correct", "blank", "partly-wrong"] + sorted(k for k in kinds if k.startswith("mutant-"))
        folder.mkdir(parents=True, exist_ok=True)
        batch = {}
        for i in range(n):
            kind = order[i % len(order)]
            path = folder / f"s{i + 1:03d}-{kind}.ipynb"
            shutil.copyfile(kinds[kind], path)
            batch[path.stem] = path
    return batch


def own_seconds(path: Path) -> float:
    """Sum of the cells' execution times of a notebook run by a plain nbclient kernel (no sandbox, no grading)."""
    from autograder.execute import execute

    result = execute(path, timeout=300, allow_errors=True)
    total = 0.0
    for cell in result.notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if start and end:
            total += (_time(end) - _time(start))
    return total


def _time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def run_nbgrader(batch: dict[str, Path], root: Path) -> Measurement:
    """Plain nbgrader: generate (untimed), submit, then time ``nbgrader autograde``."""
    import nbformat

    from autograder.nbgrader_course import Course, read_grades

    course = Course(root)
    course.generate(LESSON)
    for student, path in batch.items():
        course.submit(student, LESSON, {f"{LESSON}.ipynb": nbformat.read(path, as_version=4)})
    start = time.perf_counter()
    course.autograde(LESSON)
    seconds = time.perf_counter() - start
    grades = read_grades(course.export())
    return Measurement("nbgrader autograde", len(batch), seconds,
                       sum(float(row["score"]) for row in grades.values()))


def run_ours(batch_folder: Path, root: Path, jobs: int) -> Measurement:
    """Our grader: gradebook prepared (untimed), then time ``grade_lesson`` on the whole batch."""
    from autograder import gradebook
    from autograder.grade import grade_lesson

    gradebook.prepare(root, LESSON)
    start = time.perf_counter()
    summary = grade_lesson(LESSON, batch_folder, root, jobs=jobs, progress=False, public_seed=True)
    seconds = time.perf_counter() - start
    return Measurement(f"autograder grade --jobs {jobs}", len(summary.records), seconds,
                       sum(r.score for r in summary.records), statistics.fmean(r.seconds for r in summary.records))


def sandbox_cost(path: Path, repeats: int = 3) -> tuple[float, float] | None:
    """Median seconds to grade one submission with and without the sandbox (None when there is no sandbox)."""
    from autograder.grade import Grader, load_lesson
    from autograder.sandbox import SandboxUnavailable

    spec = load_lesson(LESSON)
    data = path.read_bytes()
    medians = []
    for confine in (True, False):
        try:
            grader = Grader.create(spec, unsafe=not confine, confine=confine)
        except SandboxUnavailable as exc:
            print(f"no sandbox, so no sandbox cost to measure: {exc}")
            return None
        assert grader.sandbox.confined == confine, "the two legs must differ in confinement alone"
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            grader.grade("bench", data)
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times))
    return medians[0], medians[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print a table and the ratios; return the figures (for tests)."""
    argv = sys.argv[1:] if argv is None else argv
    n = batch_size(argv)
    cores = os.cpu_count() or 1
    print(f"grading {n} synthetic submissions of lesson {LESSON} on {cores} core(s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="dlkit-bench-grading-") as tmp:
        tmp = Path(tmp)
        batch = write_batch(tmp / "batch", n)
        kinds = {}
        for student, path in batch.items():
            kinds.setdefault(student.split("-", 1)[1], path)
        print(f"measuring each notebook's own execution time ({len(kinds)} distinct notebooks) ...", flush=True)
        own = {kind: own_seconds(path) for kind, path in kinds.items()}
        mean_own = statistics.fmean(own[s.split("-", 1)[1]] for s in batch)

        runs = []
        print("plain nbgrader autograde ...", flush=True)
        runs.append(run_nbgrader(batch, tmp / "nbgrader"))
        for jobs in (1, 2):
            print(f"our grader, jobs={jobs} ...", flush=True)
            runs.append(run_ours(tmp / "batch", tmp / f"ours-{jobs}", jobs))
        print("the sandbox alone: one correct submission with and without it ...", flush=True)
        sandbox = sandbox_cost(kinds["correct"], repeats=1 if n <= QUICK_N else 3)

    base = runs[0]
    print(f"\n{'system':<28} {'subs':>5} {'seconds':>9} {'subs/s':>8} {'vs nbgrader':>12} {'total score':>12}")
    for m in runs:
        print(f"{m.name:<28} {m.submissions:>5} {m.seconds:>9.1f} {m.per_second:>8.3f} "
              f"{m.per_second / base.per_second:>11.2f}x {m.total_score:>12g}")
    overhead = runs[1].seconds / runs[1].submissions - mean_own
    nbgrader_overhead = base.seconds / base.submissions - mean_own
    print(f"\nnotebook's own execution time (mean over the batch): {mean_own:.2f} s "
          f"(per kind: {', '.join(f'{k} {v:.2f}' for k, v in sorted(own.items()))})")
    print(f"per-submission overhead beyond it, jobs=1: ours {overhead:.2f} s (target <= 1 s), "
          f"plain nbgrader {nbgrader_overhead:.2f} s")
    outside = runs[1].seconds / runs[1].submissions - runs[1].inside_s
    print(f"  of which the grader outside the sandbox: {outside:.2f} s per submission "
          f"(batch time / submissions - mean time inside the sandbox, {runs[1].inside_s:.2f} s)")
    sandbox_s = None
    if sandbox is not None:
        sandbox_s = sandbox[0] - sandbox[1]
        print(f"  the sandbox itself: {sandbox_s:.2f} s per submission "
              f"(one correct submission graded in {sandbox[0]:.2f} s with it, {sandbox[1]:.2f} s without)")
    ratio2 = runs[2].per_second / base.per_second
    print(f"throughput jobs=2 vs plain nbgrader: {ratio2:.2f}x (target >= 1.8x on 2 cores); "
          f"jobs=2 vs jobs=1: {runs[2].per_second / runs[1].per_second:.2f}x")
    if len({m.total_score for m in runs}) != 1 or not runs[0].total_score > 0:
        # A benchmark of graders that disagree measures nothing: fail `make bench` rather than print ratios.
        raise SystemExit("the graders disagree on the same batch (total scores: "
                         + ", ".join(f"{m.name} {m.total_score:g}" for m in runs) + ")")
    return {"n": n, "own_s": mean_own, "overhead_s": overhead, "outside_s": outside, "sandbox_s": sandbox_s, "nbgrader_s": base.seconds,
            "jobs1_s": runs[1].seconds, "jobs2_s": runs[2].seconds, "ratio_jobs1": runs[1].per_second / base.per_second,
            "ratio_jobs2": ratio2, "scores": [m.total_score for m in runs]}


if __name__ == "__main__":
    main()
