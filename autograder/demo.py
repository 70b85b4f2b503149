"""``python -m autograder demo``: the whole course pipeline on embedded defaults.

1. regenerate lessons/ from solutions/ (real nbgrader generate_assignment);
2. execute every solution notebook top to bottom (every check must pass);
3. grade a small synthetic class (correct, blank, partly wrong) with nbgrader:
   autograde, feedback, export; print where grades.csv and the feedback are.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder.execute import execute
from autograder.nbgrader_course import Course, read_grades, released_notebooks
from autograder.release import release
from autograder.synthetic import demo_class


def run_demo(workspace: Path, *, lessons: list[str] | None = None, execute_solutions: bool = True) -> int:
    """Run the demo; returns the process exit code (non-zero when a solution notebook failed)."""
    started = time.perf_counter()
    chosen = nbs.resolve_lessons(lessons)
    if not chosen:
        print(f"no lessons in {SOLUTIONS}")
        return 1

    print(f"[1/3] regenerating student versions of {len(chosen)} lesson(s) with nbgrader")
    for path in release(chosen):
        print(f"      {path.relative_to(LESSONS.parent)}")

    failures = 0
    if execute_solutions:
        print("[2/3] running every solution notebook top to bottom")
        for lesson in chosen:
            for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
                result = _run(path)
                status = "ok" if not result.errors else "FAILED"
                print(f"      {status}: {result.summary()}")
                for err in result.errors:
                    print(f"        cell {err.index} ({err.grade_id}): {err.ename}: {err.evalue}")
                failures += bool(result.errors)
    else:
        print("[2/3] skipped running the solutions (--no-execute)")

    workspace = Path(workspace).resolve()
    if workspace.exists():
        shutil.rmtree(workspace)
    course = Course(workspace)
    print(f"[3/3] grading a synthetic class with nbgrader in {workspace}")
    for lesson in chosen:
        released = released_notebooks(course.generate(lesson))
        for student, notebooks in demo_class(lesson, released).items():
            course.submit(student, lesson, notebooks)
        print(f"      autograding {lesson} ...", flush=True)
        course.autograde(lesson)
        course.feedback(lesson)
    grades_csv = course.export()

    rows = read_grades(grades_csv)
    print("\n      student        lesson            score")
    for (student, lesson), row in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"      {student:<14} {lesson:<17} {float(row['score']):5.1f} / {float(row['max_score']):.1f}")
    print(f"\ngrades:   {grades_csv}")
    print(f"feedback: {course.root / 'feedback'}  (one HTML page per student and lesson)")
    print(f"done in {time.perf_counter() - started:.0f} s" + (f"; {failures} solution notebook(s) FAILED" if failures else ""))
    return 1 if failures else 0


def _run(path: Path):
    return execute(path, timeout=300, allow_errors=True, progress=True)
