"""``python -m autograder demo``: the whole course pipeline on embedded defaults, end to end.

1. regenerate lessons/ from solutions/ (real nbgrader generate_assignment);
2. execute every solution notebook top to bottom with progress (every check must pass);
3. build a synthetic class per lesson: a correct, a blank and a partly wrong
   student, students with plausible wrong answers (the mutation tests'
   mutants), a few hostile submissions from :mod:`autograder.hostile`, and an
   honest student graded after them;
4. grade it with ``grade`` (sandboxed, in parallel), write feedback, grades.csv
   and the class report; check every hostile submission earned what the
   catalogue says, and print where everything is.

The exit code is non-zero when a solution notebook fails, an honest student
does not get exactly their grade, or a hostile submission is not handled.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat

from autograder import LESSONS, SOLUTIONS
from autograder import hostile as H
from autograder import notebooks as nbs
from autograder.execute import execute
from autograder.release import release
from autograder.synthetic import demo_class, fill, mutants, solution_answers

#: Hostile submissions in the demo: quick ones from every family, and one that needs the time limit.
DEMO_HOSTILE = ("infinite-loop", "os-exit", "fork-bomb", "kill-grader", "read-secrets", "monkeypatch",
                "rigged-eq", "call-reference", "unhook-reference", "forge-channel", "tamper-check", "empty-file",
                "bad-json", "wrong-lesson")
#: Wall-clock limit per submission in the demo (a correct lesson 01 takes about 7 s on 2 busy cores).
DEMO_TIMEOUT_S = 45.0
#: What the demo aims for on 2 cores (release, running the solutions, grading every class): the classes'
#: hostile and mutant students are cut to fit it. Each lesson's four honest students (correct, blank, partly
#: wrong, honest after hostile) are always graded, so thirteen lessons take longer than this: their running
#: time is mostly the solutions run once each and four graded submissions per lesson.
DEMO_BUDGET_S = 540.0
#: A lesson's run time assumed when the solutions are not run first (``--no-execute``).
ASSUMED_RUN_S = 30.0
#: Seconds a sandboxed submission costs on top of running the notebook, and nbgrader's release of one lesson.
SANDBOX_OVERHEAD_S, RELEASE_S = 3.0, 10.0
#: Students whose grade the demo knows in advance: id -> "full" or "zero".
HONEST = {"correct": "full", "blank": "zero", "zz-honest-after-hostile": "full"}


def run_demo(workspace: Path, *, lessons: list[str] | None = None, execute_solutions: bool = True,
             hostile: tuple[str, ...] = DEMO_HOSTILE, mutant_students: bool = True, jobs: int = 2,
             timeout_s: float = DEMO_TIMEOUT_S, budget_s: float | None = DEMO_BUDGET_S) -> int:
    """Run the demo; returns the process exit code (0 when everything earned what it should).

    ``hostile`` names the catalogue entries to include, ``mutant_students`` adds
    one student per plausible wrong answer; ``jobs`` and ``timeout_s`` go to ``grade``.
    With ``budget_s``, each lesson's class is cut to its share of it
    (:func:`plan_class`); None grades every student named.
    """
    started = time.perf_counter()
    chosen = nbs.resolve_lessons(lessons)
    if not chosen:
        print(f"no lessons in {SOLUTIONS}")
        return 1

    print(f"[1/4] regenerating student versions of {len(chosen)} lesson(s) with nbgrader", flush=True)
    for path in release(chosen):
        print(f"      {path.relative_to(LESSONS.parent)}")

    failures = 0
    run_seconds: dict[str, float] = {}
    if execute_solutions:
        print("[2/4] running every solution notebook top to bottom", flush=True)
        for lesson in chosen:
            for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
                result = execute(path, timeout=300, allow_errors=True, progress=True)
                run_seconds[lesson] = run_seconds.get(lesson, 0.0) + result.seconds
                print(f"      {'ok' if not result.errors else 'FAILED'}: {result.summary()}")
                for err in result.errors:
                    print(f"        cell {err.index} ({err.grade_id}): {err.ename}: {err.evalue}")
                failures += bool(result.errors)
    else:
        print("[2/4] skipped running the solutions (--no-execute)")

    workspace = Path(workspace).resolve()
    if workspace.exists():
        shutil.rmtree(workspace)
    problems = 0
    share = budget_s / len(chosen) if budget_s else None
    for lesson in chosen:
        kept_hostile, kept_mutants = hostile, mutant_students
        if share is not None:
            kept_hostile, kept_mutants = plan_class(lesson, run_seconds.get(lesson, ASSUMED_RUN_S), share, jobs=jobs,
                                                    hostile=hostile, mutant_students=mutant_students,
                                                    timeout_s=timeout_s)
        problems += _grade_lesson(lesson, workspace, hostile=kept_hostile, mutant_students=kept_mutants, jobs=jobs,
                                  timeout_s=timeout_s)

    print(f"\ngrades:    {workspace / 'grades.csv'}")  # grade_lesson rewrote it over every lesson's records
    print(f"feedback:  {workspace / 'feedback'}/<student>/<lesson>/<lesson>.html")
    for lesson in chosen:
        print(f"report:    {workspace / f'report-{lesson}.html'}")
    print(f"gradebook: {workspace / 'gradebook.db'}  (nbgrader formgrader reads it)")
    verdict = []
    if failures:
        verdict.append(f"{failures} solution notebook(s) FAILED")
    if problems:
        verdict.append(f"{problems} submission(s) did not earn what they should")
    print(f"done in {time.perf_counter() - started:.0f} s" + ("; " + "; ".join(verdict) if verdict else ""))
    return 1 if verdict else 0


def plan_class(lesson: str, run_s: float, share_s: float, *, jobs: int, hostile: tuple[str, ...],
               mutant_students: bool | tuple[str, ...], timeout_s: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The hostile entries and mutant students of a lesson's class that fit its share of the demo's budget.

    A graded submission costs about the lesson's run time ``run_s`` plus the
    sandbox's start; ``jobs`` run at once. The correct, blank, partly wrong and
    honest-after-hostile students always stay; then, while time is left:
    hostile files rejected before anything runs (nearly free), the other
    hostile entries (one that loops costs the whole ``timeout_s``) and one
    mutant student per exercise. Returns ``(hostile, mutant exercises)``.
    """
    each = run_s + SANDBOX_OVERHEAD_S
    left = (share_s - run_s - RELEASE_S) * max(1, jobs) - 4 * each
    kept_hostile = []
    for name in hostile:
        entry = H.by_name(name)
        cost = 0.5 if entry.kind == "file" else (timeout_s if name in H.SLOW else each)
        if cost <= left:
            kept_hostile.append(name)
            left -= cost
    exercises = tuple(mutants(lesson)) if mutant_students is True else tuple(mutant_students or ())
    kept_mutants = []
    for exercise in exercises:
        if each <= left:
            kept_mutants.append(exercise)
            left -= each
    dropped = len(hostile) - len(kept_hostile) + len(exercises) - len(kept_mutants)
    if dropped:
        print(f"      {lesson}: the class leaves out {dropped} of its hostile and mutant students to keep the demo "
              f"near {DEMO_BUDGET_S / 60:.0f} minutes (the lesson runs in {run_s:.0f} s)", flush=True)
    return tuple(kept_hostile), tuple(kept_mutants)


def synthetic_class(lesson: str, folder: Path, *, hostile: tuple[str, ...] = DEMO_HOSTILE,
                    mutant_students: bool | tuple[str, ...] = True) -> dict[str, Path]:
    """Write a synthetic class of ``lesson`` as ``<folder>/<student>.ipynb``; return paths by student id.

    Students: ``correct``, ``blank``, ``partly-wrong``, ``mutant-<exercise>`` (one
    plausible wrong answer each, the rest correct), ``hostile-<name>`` for each
    named catalogue entry, and ``zz-honest-after-hostile`` (correct, sorted last).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    released = {p.name: nbs.read(p) for p in sorted((LESSONS / lesson).glob("*.ipynb"))}
    if len(released) != 1:
        raise ValueError(f"the demo grades one-notebook lessons; {LESSONS / lesson} has {sorted(released)}")
    name, student_nb = next(iter(released.items()))
    students = {sid: nbs_by_name[name] for sid, nbs_by_name in demo_class(lesson, released).items()}
    answers = solution_answers(lesson)[name]
    wanted = mutants(lesson) if mutant_students is True else {e: mutants(lesson).get(e, []) for e in mutant_students or ()}
    for exercise, wrong in wanted.items():
        gid = f"{exercise}-answer"
        if wrong and gid in answers:
            students[f"mutant-{exercise}"] = fill(student_nb, {**answers, gid: wrong[0][1]})
    students["zz-honest-after-hostile"] = fill(student_nb, answers)
    paths = {}
    for sid, nb in students.items():
        paths[sid] = folder / f"{sid}.ipynb"
        nbformat.write(nb, paths[sid])
    paths.update(H.write_submissions(folder, students["correct"], hostile))
    return paths


def _grade_lesson(lesson: str, workspace: Path, *, hostile: tuple[str, ...], mutant_students: bool | tuple[str, ...],
                  jobs: int, timeout_s: float) -> int:
    """Grade the synthetic class of one lesson; print the results; return how many did not earn what they should."""
    from autograder.feedback import write_feedback
    from autograder.grade import grade_lesson
    from autograder.report import write_report
    from autograder.sandbox import Limits, SandboxUnavailable

    submissions = workspace / "incoming" / lesson
    paths = synthetic_class(lesson, submissions, hostile=hostile, mutant_students=mutant_students)
    print(f"[3/4] grading a synthetic class of {len(paths)} for {lesson} "
          f"({len(hostile)} hostile; jobs={jobs}, timeout {timeout_s:.0f} s)", flush=True)
    limits = Limits(timeout_s=timeout_s)
    try:
        summary = grade_lesson(lesson, submissions, workspace, jobs=jobs, limits=limits, public_seed=True)
    except SandboxUnavailable as exc:
        print(f"      !!! NO SANDBOX: {exc}\n      !!! the hostile submissions are left out; the honest ones are "
              f"graded WITHOUT a sandbox (--unsafe)", flush=True)
        for sid in [s for s in paths if s.startswith("hostile-")]:
            paths.pop(sid).unlink()
        summary = grade_lesson(lesson, submissions, workspace, jobs=jobs, limits=limits, unsafe=True,
                               public_seed=True)
    print(f"      {summary.line()}")
    print("[4/4] feedback, report")
    write_feedback(workspace, lesson)
    write_report(workspace, lesson)

    target = H.find_target(H.correct_notebook(lesson, nbs.read(next((LESSONS / lesson).glob("*.ipynb")))))
    problems = 0
    print(f"\n      {'student':<28} {'status':<44} {'score':>11} {'time':>6}  expected")
    for record in sorted(summary.records, key=lambda r: (r.student_id.startswith("hostile-"), r.student_id)):
        found = _problems(record, target)
        problems += bool(found)
        status = record.status if len(record.status) <= 44 else record.status[:43] + "…"
        mark = "ok" if not found else "MISSED: " + "; ".join(found)
        score = f"{record.score:g} / {record.max_score:g}"
        print(f"      {record.student_id:<28} {status:<44} {score:>11} {record.seconds:5.1f}s  {mark}")
    leftovers = H.lingering_processes()
    markers = H.stray_markers(workspace, SOLUTIONS.parent, Path.home())
    if leftovers or markers:
        problems += 1
        print(f"      LEFT BEHIND: processes {leftovers}, files {[str(m) for m in markers]}")
    else:
        print("      nothing left behind: no stray processes, no files written outside the sandboxes")
    return problems


def _problems(record, target: H.Target) -> list[str]:
    """What is wrong with a demo student's record ([] when it earned what it should)."""
    if record.student_id.startswith("hostile-"):
        return H.problems(H.by_name(record.student_id.removeprefix("hostile-")), record, target)
    if record.student_id.startswith("mutant-"):
        wrong = _failing_checks(record.lesson, record.student_id.removeprefix("mutant-"))
        bad = [f"{c.grade_id} earned {c.points:g} of {c.max_points:g}" for c in record.checks
               if c.points != (0.0 if c.grade_id in wrong else c.max_points)]
        return bad if record.graded else [f"expected graded, got {record.status}"]
    want = HONEST.get(record.student_id)
    if want == "full" and not (record.graded and record.score == record.max_score > 0):
        return [f"expected full marks, got {record.status} {record.score:g}/{record.max_score:g}"]
    if want == "zero" and not (record.graded and record.score == 0):
        return [f"expected 0 points, got {record.status} {record.score:g}"]
    return []


def _failing_checks(lesson: str, exercise: str) -> set[str]:
    """The checks a wrong answer to ``exercise`` fails: its own, and those of exercises that call it."""
    import importlib

    number = lesson.split("-", 1)[0]
    requires = getattr(importlib.import_module(f"autograder.mutants.lesson{number}"), "REQUIRES", {})
    return {f"{exercise}-check"} | {f"{user}-check" for user, used in requires.items() if exercise in used}
