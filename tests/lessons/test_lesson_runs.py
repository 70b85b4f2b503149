"""Every lesson, executed for real: by nbclient, by our sandboxed grader, and by nbgrader.

Each execution happens once per test session and is shared by the tests that
read it (:func:`tests.lessons.course.once`):

- the solution notebook runs top to bottom with every graded check passing,
  within the lesson budget (90 s of wall time, 2 GiB of memory; both printed
  in the "notebook execution" summary), drawing its figures as JupyterLab does;
  the book the tests build shows this run's outputs (tests/book/conftest.py);
- the student notebook runs its cells before the first exercise cleanly, and
  every graded check fails while the exercises are unanswered;
- the correct notebook (the released notebook with the solution's answers),
  graded by *our* grader in the real sandbox with every exercise's reference
  withdrawn, earns full marks with no cell raising;
- nbgrader itself gives the correct notebook full marks and the blank one zero,
  and its feedback shows no hidden test (in the course whose generated release
  tests/test_release.py compares with lessons/).
"""

from __future__ import annotations

import html
import re

import pytest

from autograder import notebooks as nbs
from tests.helpers import require
from tests.lessons.course import (BUDGET_SECONDS, LESSONS, SOLUTION_MARKERS, Lesson, content_key, grade_id, is_graded,
                                  nbgrader_course, once, solution_run, student_run)

CLAIMED_SECONDS = 60  # what a lesson may tell students: "runs in under a minute on a laptop CPU"
BUDGET_MB = 2048
GRADER_SEED = 12345

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def per_lesson():
    """Parametrize over lessons, each in its own xdist group: under ``--dist loadgroup`` one worker runs them all."""
    return pytest.mark.parametrize("lesson", [pytest.param(lesson, id=str(lesson),
                                                           marks=pytest.mark.xdist_group(lesson.name))
                                              for lesson in LESSONS])


def correct_answers(lesson: Lesson) -> dict[str, str]:
    """Answer cell grade id -> the solution's code without its markers: what a correct student submits."""
    return {gid: SOLUTION_MARKERS.sub("", src).strip("\n") + "\n"
            for gid, src in lesson.sources().items() if gid.endswith("-answer")}


def grader_run(lesson: Lesson) -> dict:
    def grade() -> dict:
        from autograder.grade import Grader, load_lesson
        from autograder.synthetic import fill

        spec = load_lesson(lesson.name, source_root=lesson.root / "solutions", release_root=lesson.root / "lessons")
        submission = fill(spec.released, correct_answers(lesson))
        record, graded = Grader.create(spec, seed=GRADER_SEED).grade("correct", nbs.dumps(submission).encode())
        raised = [[grade_id(c), o.get("ename"), o.get("evalue", "")[:300]] for c in (graded.cells if graded else [])
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        figures = sum("image/png" in o.get("data", {}) for c in (graded.cells if graded else [])
                      for o in c.get("outputs", []))
        return {"record": record.to_dict(), "raised": raised, "figures": figures}

    return once(content_key("grader", lesson, lesson.source, lesson.student, lesson.checks_file), grade)


def nbgrader_run(lesson: Lesson) -> dict:
    def run() -> dict:
        from nbgrader.api import Gradebook

        from autograder.nbgrader_course import released_notebooks
        from autograder.synthetic import fill

        course, release = nbgrader_course(lesson)   # generated once, also for tests/test_release.py
        released = released_notebooks(release)
        answers = correct_answers(lesson)
        course.submit("full", lesson.name, {name: fill(nb, answers) for name, nb in released.items()})
        course.submit("blank", lesson.name, released)
        course.autograde(lesson.name)
        feedback = course.feedback(lesson.name)
        # The scores as nbgrader's gradebook holds them (what `nbgrader export` writes out; the export
        # itself is tested once, in tests/autograder, rather than started again for every lesson).
        with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
            grades = {student: {"score": gradebook.find_submission(lesson.name, student).score,
                                "max_score": gradebook.find_submission(lesson.name, student).max_score}
                      for student in ("full", "blank")}
        pages = {student: [p.read_text() for p in (feedback / student / lesson.name).glob("*.html")]
                 for student in ("full", "blank")}
        return {"grades": grades, "feedback": pages}

    return once(content_key("nbgrader", lesson, lesson.source, lesson.checks_file), run)


def max_points(lesson: Lesson) -> float:
    return float(sum(c.metadata["nbgrader"].get("points", 0) for c in lesson.notebook().cells if is_graded(c)))


# -- nbclient --------------------------------------------------------------------------------

@per_lesson()
def test_solution_runs_with_every_check_passing(lesson):
    run = solution_run(lesson)
    assert not run["errors"], f"cells raised: {run['errors']}"
    assert run["graded"], "a lesson needs graded check cells"
    for gid, text in run["graded"].items():
        assert "passed" in text, f"check cell {gid} printed no confirmation: {text!r}"


@per_lesson()
def test_solution_runs_within_budget(lesson, record_notebook_time):
    run = solution_run(lesson)
    record_notebook_time(f"solutions/{lesson.name}", run["seconds"], run["peak_mb"])
    assert run["seconds"] <= BUDGET_SECONDS, f"took {run['seconds']:.0f} s, budget {BUDGET_SECONDS} s"
    if "under a minute" in lesson.notebook().cells[0].source:
        assert run["seconds"] < CLAIMED_SECONDS, f"the lesson promises under a minute; it took {run['seconds']:.0f} s"
    if run["peak_mb"] is not None:
        assert run["peak_mb"] <= BUDGET_MB, f"peak memory {run['peak_mb']:.0f} MiB, budget {BUDGET_MB} MiB"


@per_lesson()
def test_student_version_runs_cleanly_up_to_the_first_exercise(lesson, record_notebook_time):
    require(lesson.student.is_file(), f"{lesson.student_path} (run `python -m autograder release {lesson.number}`)")
    run = student_run(lesson)
    record_notebook_time(f"lessons/{lesson.name}", run["seconds"], run["peak_mb"])
    assert run["first_answer"] is not None, "the student version has no answer cell"
    early = [e for e in run["errors"] if e[0] < run["first_answer"]]
    assert not early, f"cells before the first exercise must run cleanly: {early}"


@per_lesson()
def test_student_version_fails_every_check_until_answered(lesson):
    run = student_run(lesson)
    failed = {gid for _, gid, ename, _ in run["errors"] if ename in ("CheckFailed", "AssertionError")}
    passing = [gid for gid in run["graded"] if gid not in failed]
    assert run["graded"] and not passing, f"these checks pass on an unanswered notebook: {passing}"


# -- our grader, in the sandbox --------------------------------------------------------------

@per_lesson()
@pytest.mark.usefixtures("sandbox_available")
def test_our_grader_gives_the_correct_notebook_full_marks(lesson):
    """References withdrawn, Landlock on: a notebook cell or dlkit helper calling a reference fails here."""
    record = grader_run(lesson)["record"]
    assert record["status"] == "graded", record["status"]
    failing = {c["grade_id"]: c["message"] for c in record["checks"] if not c["passed"]}
    assert not failing, f"checks failing under the grader: {failing}\nlog: {record['log_tail'][-2000:]}"
    assert record["score"] == record["max_score"] == max_points(lesson)
    assert record["flags"] == [], record["flags"]


@per_lesson()
@pytest.mark.usefixtures("sandbox_available")
def test_the_notebook_our_grader_returns_shows_the_lessons_figures(lesson):
    """What nbgrader turns into the student's feedback page: the figures the cells drew, as in the lesson."""
    draws = any(re.search(r"\b(plt|plot)\.\w+\(|\.imshow\(|\bsubplots\(", cell.source)
                for cell in lesson.notebook().cells if cell.cell_type == "code")
    assert not draws or grader_run(lesson)["figures"] > 0, "the graded notebook has none of the lesson's figures"


@per_lesson()
@pytest.mark.usefixtures("sandbox_available")
def test_no_cell_fails_when_our_grader_runs_the_correct_notebook(lesson):
    run = grader_run(lesson)
    assert run["raised"] == [], (f"cells raised under the grader (a cell or dlkit helper calling a withdrawn "
                                 f"reference fails only here): {run['raised']}")
    assert not run["record"]["timed_out"]


@per_lesson()
@pytest.mark.usefixtures("sandbox_available")
def test_the_class_report_analyses_every_check_our_grader_graded(lesson):
    """The instructor's item analysis lists each graded cell of the lesson, in notebook order, with its points."""
    from autograder.report import check_stats, render_report
    from autograder.results import SubmissionResult

    record = SubmissionResult.from_dict(grader_run(lesson)["record"])
    cells = [(grade_id(c), float(c.metadata["nbgrader"]["points"])) for c in lesson.notebook().cells if is_graded(c)]
    stats = check_stats([record])
    assert [(s.grade_id, s.max_points) for s in stats] == cells
    assert all(s.passed == 1.0 and s.graded == 1 for s in stats)
    page = html.unescape(render_report([record], lesson.name))
    assert all(f"<code>{gid}</code>" in page for gid, _ in cells)


# -- nbgrader --------------------------------------------------------------------------------

@per_lesson()
def test_nbgrader_gives_full_marks_to_the_solution_and_zero_to_the_blank(lesson):
    grades = nbgrader_run(lesson)["grades"]
    points = max_points(lesson)
    assert points > 0
    assert float(grades["full"]["score"]) == float(grades["full"]["max_score"]) == points
    assert float(grades["blank"]["score"]) == 0.0


@per_lesson()
def test_nbgrader_feedback_shows_no_hidden_test(lesson):
    pages = nbgrader_run(lesson)["feedback"]
    for student in ("full", "blank"):
        assert pages[student], f"no feedback for {student}"
        for page in pages[student]:
            text = html.unescape(re.sub(r"<[^>]+>", "", page))  # code is highlighted token by token
            assert "hidden=True" not in text and "HIDDEN TESTS" not in text, "hidden checks leaked into feedback"
