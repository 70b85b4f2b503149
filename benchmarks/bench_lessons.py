"""Seconds per submission, per lesson: the measured side of the capacity model.

For each lesson in ``solutions/`` the grader grades that lesson's correct
submission (the released notebook with the solution's answers, as the demo
builds it) several times in a row, one at a time (``jobs=1``), sandboxed, with
sandboxes started ahead of their submissions as ``grade`` does. Per lesson it
prints the first submission's time (its sandbox started cold: what a
submission costs a worker whose cores are all grading), the median of the
ones after it (their sandbox and imports were started on a spare core while
the one before ran), the student process's peak resident memory (the kernel's VmHWM, read
by the warden) and the score (it must be full marks, or the row says so).

Then, where fork servers can run (root), it grades the same submission as
many times on one fork server: the first loads the lesson (server first s),
the median of the rest is what each further submission of a class costs
(forked s), and the capacity model uses it.

The capacity model: a class of S submissions on W workers (one job each)
takes about ``seconds per submission x S / W``; the last column works it out
from the cold figure for 300 submissions on 2 workers. The machine's load average is printed with
the table: on a busy machine every figure grows.

Run it: ``python -m benchmarks lessons`` (13 lessons, 3 submissions each;
half an hour or more on 2 cores), ``DLKIT_BENCH_LESSONS_REPEATS=N`` for N
submissions per lesson (at least 2), ``DLKIT_BENCH_LESSONS=01,08`` for some
lessons, ``--quick`` (``python -m benchmarks.bench_lessons --quick``) for lesson
01 alone, 2 submissions.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass

QUICK_LESSONS = ("01",)
REPEATS = 3
QUICK_REPEATS = 2
#: Wall clock per submission here: generous, so a slow lesson is measured rather than cut.
TIMEOUT_S = 600.0
CLASS, WORKERS = 300, 2


@dataclass
class LessonTiming:
    lesson: str
    first_s: float
    steady_s: float  # median over the submissions after the first
    peak_mb: float | None
    score: float
    max_score: float
    forked_s: float | None = None  # median on a fork server after its first submission (None: none could run)
    server_s: float | None = None  # the fork server's first submission: loading the lesson, then grading it

    def row(self) -> str:
        peak = f"{self.peak_mb:.0f}" if self.peak_mb is not None else "-"
        per = self.forked_s if self.forked_s is not None else self.first_s
        hours = per * CLASS / WORKERS / 3600
        marks = f"{self.score:g}/{self.max_score:g}" + ("" if self.score == self.max_score else " NOT FULL MARKS")
        forked = "-" if self.forked_s is None else f"{self.forked_s:.1f}"
        server = "-" if self.server_s is None else f"{self.server_s:.1f}"
        return (f"| {self.lesson:<18} | {forked:>8} | {server:>8} | {self.steady_s:>8.1f} | {self.first_s:>8.1f} "
                f"| {peak:>8} | {marks:>7} | {hours:>7.2f} |")


HEADER = ("| lesson             | forked s | server first s | warm s   | cold s   | peak MiB | score   "
          "| h, 300 on 2 |\n"
          "|--------------------|---------:|---------:|---------:|---------:|---------:|--------:|--------:|")


def settings(argv: list[str]) -> tuple[list[str], int]:
    """``(lessons, submissions per lesson)`` from ``--quick`` and the environment."""
    from autograder import SOLUTIONS

    every = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name[:2].isdigit())
    if "--quick" in argv:
        wanted, repeats = QUICK_LESSONS, QUICK_REPEATS
    else:
        chosen = os.environ.get("DLKIT_BENCH_LESSONS", "")
        wanted = tuple(x.strip() for x in chosen.split(",") if x.strip()) or tuple(every)
        value = os.environ.get("DLKIT_BENCH_LESSONS_REPEATS", str(REPEATS))
        if not value.isdigit() or int(value) < 2:
            raise ValueError(f"DLKIT_BENCH_LESSONS_REPEATS must be an integer of at least 2 (a first, cold "
                             f"submission and the steady ones after it), got {value!r}")
        repeats = int(value)
    lessons = []
    for name in wanted:
        match = [lesson for lesson in every if lesson == name or lesson.split("-", 1)[0] == name]
        if not match:
            raise ValueError(f"no lesson {name!r} in {SOLUTIONS}; lessons: {', '.join(every)}")
        lessons.append(match[0])
    return lessons, repeats


def correct_submission(lesson: str) -> bytes:
    """The lesson's released notebook with the solution's answers (the demo's ``correct`` student)."""
    import json

    from autograder import LESSONS
    from autograder import notebooks as nbs
    from autograder.synthetic import demo_class

    released = {p.name: nbs.read(p) for p in sorted((LESSONS / lesson).glob("*.ipynb"))}
    if len(released) != 1:
        raise ValueError(f"one notebook per lesson is graded; {LESSONS / lesson} has {sorted(released)}")
    (notebook,) = demo_class(lesson, released)["correct"].values()
    return (json.dumps(notebook, indent=1) + "\n").encode("utf-8")


def time_lesson(lesson: str, repeats: int) -> LessonTiming:
    """Grade the lesson's correct submission ``repeats`` times in a row with one warm sandbox ahead, then
    ``repeats`` times on one fork server (where one can run)."""
    from autograder.grade import Grader, fork_server_possible, load_lesson
    from autograder.sandbox import Limits

    spec = load_lesson(lesson)
    data = correct_submission(lesson)
    limits = Limits(timeout_s=TIMEOUT_S)
    seed = "bench-lessons-" + "0" * 32
    grader = Grader.create(spec, limits=limits, seed=seed, prewarm=1, fork_server=False)
    grader.pool.expect(repeats)
    times, records = _grade_repeatedly(grader, data, repeats)
    peaks = [p["peak_rss_mb"] for p in grader.profiles.values() if p.get("peak_rss_mb") is not None]
    forked = []
    if fork_server_possible(grader.sandbox):
        server = Grader.create(spec, limits=limits, seed=seed, fork_server=True)
        forked, more = _grade_repeatedly(server, data, repeats)
        records += more
        if server.runner() != "fork servers":
            raise SystemExit(f"lesson {lesson}: {server.runner()}")
    worst = min(records, key=lambda r: r.score)
    return LessonTiming(lesson, times[0], statistics.median(times[1:]), max(peaks) if peaks else None,
                        worst.score, worst.max_score, statistics.median(forked[1:]) if forked else None,
                        forked[0] if forked else None)


def _grade_repeatedly(grader, data: bytes, repeats: int) -> tuple[list[float], list]:
    """Grade ``data`` ``repeats`` times in a row with ``grader`` (closed after): seconds and records."""
    times, records = [], []
    try:
        for k in range(repeats):
            start = time.perf_counter()
            record, _ = grader.grade(f"bench-{k}", data)
            times.append(time.perf_counter() - start)
            records.append(record)
    finally:
        grader.close()
    return times, records


def main(argv: list[str] | None = None) -> list[LessonTiming]:
    argv = sys.argv[1:] if argv is None else argv
    lessons, repeats = settings(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"grading each lesson's correct submission {repeats} times, jobs=1, on {os.cpu_count()} core(s) "
          f"(load average {load:.2f})", flush=True)
    rows = []
    for lesson in lessons:
        timing = time_lesson(lesson, repeats)
        rows.append(timing)
        forked = "" if timing.forked_s is None else f", on a fork server {timing.forked_s:.1f} s"
        print(f"  {lesson}: {timing.steady_s:.1f} s per submission (first {timing.first_s:.1f} s){forked}", flush=True)
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nforked s: median seconds per submission on one fork server after its first (the lesson loaded "
          f"once; root only); server first s: that first, loading the lesson included; "
          f"warm s: median seconds per submission after the first, whose sandbox and imports were started "
          f"while the one before ran (a spare core did that work); cold s: the first, everything started when it "
          f"came, which is what a submission costs when every core grades; peak MiB: the student process's peak "
          f"resident memory; the last column: forked s (cold s where no fork server runs) x {CLASS} submissions / "
          f"{WORKERS} workers, in hours. "
          f"Load average at the end: {load_end:.2f}.\n")
    print(HEADER)
    for timing in rows:
        print(timing.row())
    short = [t.lesson for t in rows if t.score != t.max_score]
    if short:
        raise SystemExit(f"the correct submission did not earn full marks in {', '.join(short)}: "
                         f"a timing of a failing grade measures nothing")
    return rows


if __name__ == "__main__":
    main()
