"""Where one submission's time goes: a profile of grading lesson 01's correct submission, phase by phase.

Not a ``bench_*`` module (``make bench`` does not run it): run it when you
change the grader, ``python -m benchmarks.profile_grading [REPEATS]`` (default 3;
medians are printed). It prints four tables:

1. process start: a bare interpreter on the host, with and without ``site``,
   and inside the sandbox (bubblewrap + the harness exec'ing it);
2. imports inside the sandbox, in the order the student process does them
   (numpy and dlkit's checks, the reference withdrawn, IPython's shell) and
   then the lesson's own imports (matplotlib, torch, scikit-learn), each
   the time its import statement took;
3. one submission through :meth:`autograder.grade.Grader.grade`, the sandbox
   started when the submission comes (``prewarm=0``), so every phase is on
   its critical path: the grader's steps (timed by wrapping the functions it
   calls) and the sandbox's phases (stamped by the warden: harness start,
   the student process ready with the lesson's modules loaded, the job
   received, the cells done), then writing the record and the gradebook;
4. where fork servers can run (root), the same on a fork server, after the
   submission that had it load the lesson: the warden's fork, the student
   process's, its shell, then the same cells and grader steps.

With sandboxes started ahead (``grade``'s default), the phases up to "the
student process ready" overlap the previous submission.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LESSON = "01-neurons"

IMPORTS = """
import glob, os, shutil, time
for _f in glob.glob("/opt/grader/fontlist-v*.json"):  # as the harness does: matplotlib's font list, ready
    os.makedirs(os.environ["MPLCONFIGDIR"], exist_ok=True)
    shutil.copyfile(_f, os.path.join(os.environ["MPLCONFIGDIR"], os.path.basename(_f)))
_t = [time.perf_counter()]
def _stamp(): _t.append(time.perf_counter())
import numpy; _stamp()
import dlkit.checks.core; _stamp()
import importlib, pkgutil, dlkit.reference
for _i in pkgutil.walk_packages(dlkit.reference.__path__, "dlkit.reference."): importlib.import_module(_i.name)
_stamp()
from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.instance(user_ns={"__name__": "__main__"}); _stamp()
import matplotlib.pyplot; _stamp()
import torch; _stamp()
from dlkit import checks, data, plot; _stamp()
from sklearn.neural_network import MLPClassifier; _stamp()
print("STAMPS", *[round(b - a, 4) for a, b in zip(_t, _t[1:])])
"""
IMPORT_NAMES = ["numpy", "dlkit.checks.core (+ lesson01 checks)", "dlkit.reference, every module",
                "IPython InteractiveShell", "matplotlib.pyplot", "torch", "dlkit data, plot",
                "sklearn.neural_network"]


def _median(fn, repeats: int) -> float:
    from benchmarks._harness import median_seconds

    return median_seconds(fn, repeats, warmup=0)


def process_starts(repeats: int) -> list[tuple[str, float]]:
    from autograder.sandbox import Limits, Sandbox

    sandbox = Sandbox(Limits(timeout_s=60))
    return [
        ("host: python -c pass", _median(lambda: subprocess.run([sys.executable, "-c", "pass"]), repeats)),
        ("host: python -S -c pass (the warden's start)",
         _median(lambda: subprocess.run([sys.executable, "-S", "-c", "pass"]), repeats)),
        ("sandbox: bwrap + harness + exec python -S -c pass",
         _median(lambda: sandbox.run([sys.executable, "-S", "-c", "pass"]), repeats)),
        ("sandbox: bwrap + harness + exec python -c pass",
         _median(lambda: sandbox.run([sys.executable, "-c", "pass"]), repeats)),
    ]


def import_costs(repeats: int) -> list[tuple[str, float]]:
    from autograder.sandbox import Limits, Sandbox

    sandbox = Sandbox(Limits(timeout_s=300))
    runs = []
    for _ in range(repeats):
        out = sandbox.run([sys.executable, "-c", IMPORTS]).output.decode("utf-8", "replace")
        line = next((ln for ln in out.splitlines() if ln.startswith("STAMPS")), None)
        if line is None:
            raise RuntimeError(f"the import probe failed in the sandbox:\n{out[-2000:]}")
        runs.append([float(x) for x in line.split()[1:]])
    return [(name, statistics.median(r[k] for r in runs)) for k, name in enumerate(IMPORT_NAMES)]


def submission_phases(repeats: int, fork_server: bool = False) -> list[tuple[str, float]]:
    """Median seconds of each phase of grading the correct submission: in a sandbox started when it comes
    (``prewarm=0``), or on a fork server after its first submission (``fork_server``: loading the lesson is
    then done once, untimed)."""
    from autograder import gradebook
    from autograder import grade as G
    from autograder.demo import synthetic_class
    from autograder.results import write_result

    spec = G.load_lesson(LESSON)
    with tempfile.TemporaryDirectory(prefix="dlkit-profile-") as tmp:
        tmp = Path(tmp)
        data = synthetic_class(LESSON, tmp / "class", hostile=(), mutant_students=())["correct"].read_bytes()
        timings: dict[str, list[float]] = {}

        def timed(owner, name: str, label: str):
            real = getattr(owner, name)

            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return real(*args, **kwargs)
                finally:
                    timings.setdefault(label, []).append(time.perf_counter() - start)
            setattr(owner, name, wrapper)
            return real

        wrapped = [(G.val, "validate", "grader: validate (JSON read in a capped child process)"),
                   (G.val, "repair", "grader: repair on the release"),
                   (G.val, "scan_answers", "grader: scan answers for the reference"),
                   (G.Grader, "cases_for", "grader: draw cases, expected outputs"),
                   (G, "parse_channel", "grader: parse the channel"),
                   (G.Grader, "_judge", "grader: judge every check"),
                   (G, "cell_notes", "grader: cell notes"),
                   (G, "_with_outputs", "grader: the graded notebook")]
        originals = [(owner, name, timed(owner, name, label)) for owner, name, label in wrapped]
        try:
            gradebook.prepare(tmp / "ws", LESSON)
            grader = G.Grader.create(spec, seed="profile-" + "0" * 32, prewarm=0, fork_server=fork_server)
            if fork_server:
                grader.grade("load", data)  # the server loads the lesson: once per batch, not profiled
                for values in timings.values():
                    values.clear()
            for k in range(repeats):
                start = time.perf_counter()
                record, notebook = grader.grade(f"p{k}", data)
                timings.setdefault("total: Grader.grade", []).append(time.perf_counter() - start)
                phases = grader.profiles[f"p{k}"]["phases"]
                if fork_server:
                    steps = [("fork server: the warden forked (from the job's hand-over)", 0.0, phases["warden"]),
                             ("fork server: namespaces, /tmp, the init and the student process forked",
                              phases["warden"], phases["forked"]),
                             ("fork server: answers withdrawn, Landlock, a fresh shell, the job read",
                              phases["forked"], phases["job"])]
                else:
                    steps = [("sandbox: bwrap, warden start (from Popen)", 0.0, phases["warden"]),
                             ("sandbox: student process start, its imports, the lesson's preload, withdrawal, "
                              "Landlock, shell", phases["warden"], phases["prepared"]),
                             ("sandbox: job written and read", phases["prepared"], phases["job"])]
                steps += [("sandbox: the notebook's cells and checks", phases["job"], phases["cells"]),
                          ("sandbox: done message, teardown (to the run's end)", phases["cells"],
                           grader.profiles[f"p{k}"]["run_s"])]  # the run's clock starts with the job,
                #                                          which prewarm=0 writes right after starting it
                for label, a, b in steps:
                    timings.setdefault(label, []).append(b - a)
                start = time.perf_counter()
                write_result(tmp / "ws", record)
                timings.setdefault("after: write the record", []).append(time.perf_counter() - start)
                start = time.perf_counter()
                gradebook.place(tmp / "ws", LESSON, record.student_id, spec.notebook_name, data, notebook)
                timings.setdefault("after: place it in the gradebook's folders", []).append(time.perf_counter() - start)
                assert record.score == record.max_score, record.checks
        finally:
            for owner, name, real in originals:
                setattr(owner, name, real)
    return [(label, statistics.median(values)) for label, values in timings.items()]


def _table(title: str, rows: list[tuple[str, float]]) -> None:
    print(f"\n{title}\n\n| phase | seconds |\n|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} |")


def main(argv: list[str] | None = None) -> None:
    import os

    argv = sys.argv[1:] if argv is None else argv
    repeats = int(argv[0]) if argv and argv[0].isdigit() else 3
    print(f"profiling lesson {LESSON}'s correct submission, medians of {repeats}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} core(s)", flush=True)
    _table("process start", process_starts(repeats))
    _table("imports inside the sandbox (each statement's own time, in this order)", import_costs(repeats))
    _table("one submission, sandbox started when it comes (prewarm=0)", submission_phases(repeats))
    from autograder.grade import fork_server_possible
    from autograder.sandbox import Limits, Sandbox

    if fork_server_possible(Sandbox(Limits())):
        _table("one submission on a fork server, after the one that loaded the lesson (grade's default as root)",
               submission_phases(repeats, fork_server=True))
    else:
        print("\n(no fork-server table: fork servers need the sandbox and the grader running as root)")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
