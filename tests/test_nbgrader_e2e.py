"""nbgrader end to end on a temporary course: generate, submit, autograde, feedback, export.

Uses nbgrader's own command line through autograder.nbgrader_course, on the
real lessons: the solution copy earns full marks, the student copy zero.
"""

from __future__ import annotations

import pytest

from autograder import SOLUTIONS
from autograder import notebooks as nbs
from autograder.nbgrader_course import Course, read_grades, released_notebooks
from autograder.synthetic import fill, solution_answers

pytestmark = pytest.mark.slow

LESSON = nbs.lesson_names(SOLUTIONS)[0] if nbs.lesson_names(SOLUTIONS) else None


def _max_points(lesson: str) -> float:
    total = 0.0
    for path in (SOLUTIONS / lesson).glob("*.ipynb"):
        total += sum(float(c.metadata["nbgrader"].get("points", 0)) for c in nbs.read(path).cells
                     if c.metadata.get("nbgrader", {}).get("grade"))
    return total


@pytest.mark.skipif(LESSON is None, reason="no lessons yet")
def test_solution_gets_full_marks_and_blank_gets_zero(tmp_path):
    course = Course(tmp_path / "course")
    released = released_notebooks(course.generate(LESSON))
    answers = solution_answers(LESSON)
    course.submit("full", LESSON, {name: fill(nb, answers[name]) for name, nb in released.items()})
    course.submit("blank", LESSON, released)
    course.autograde(LESSON)
    feedback = course.feedback(LESSON)
    grades = read_grades(course.export())

    max_points = _max_points(LESSON)
    assert max_points > 0
    assert float(grades[("full", LESSON)]["score"]) == max_points
    assert float(grades[("full", LESSON)]["max_score"]) == max_points
    assert float(grades[("blank", LESSON)]["score"]) == 0.0
    for student in ("full", "blank"):
        pages = list((feedback / student / LESSON).glob("*.html"))
        assert pages, f"no feedback for {student}"
        html = pages[0].read_text()
        assert "hidden=True" not in html, "hidden checks leaked into feedback"
