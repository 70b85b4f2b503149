"""``make demo`` stays within its budget however many lessons there are: each class is cut to its share."""

from __future__ import annotations

from autograder import demo
from autograder import hostile as H

LESSON = "01-neurons"


def _plan(run_s: float, lessons: int):
    return demo.plan_class(LESSON, run_s, demo.DEMO_BUDGET_S / lessons, jobs=2, hostile=demo.DEMO_HOSTILE,
                           mutant_students=True, timeout_s=demo.DEMO_TIMEOUT_S)


def _estimate(run_s: float, hostile: tuple[str, ...], mutant_exercises: tuple[str, ...]) -> float:
    """Seconds one lesson of the demo takes on 2 cores by the planner's own cost model."""
    each = run_s + demo.SANDBOX_OVERHEAD_S
    graded = 4 * each + len(mutant_exercises) * each + sum(
        0.5 if H.by_name(n).kind == "file" else demo.DEMO_TIMEOUT_S if n in H.SLOW else each for n in hostile)
    return run_s + demo.RELEASE_S + graded / 2


def test_one_quick_lesson_gets_its_whole_class():
    hostile, mutant_exercises = _plan(9.0, 1)
    assert hostile == demo.DEMO_HOSTILE
    assert set(mutant_exercises) == set(demo.mutants(LESSON))


def test_thirteen_lessons_share_the_budget():
    for run_s in (5.0, 9.0, 20.0):
        hostile, mutant_exercises = _plan(run_s, 13)
        assert set(hostile) <= set(demo.DEMO_HOSTILE) and set(mutant_exercises) <= set(demo.mutants(LESSON))
        cost = _estimate(run_s, hostile, mutant_exercises)
        mandatory = _estimate(run_s, (), ())
        assert cost <= max(demo.DEMO_BUDGET_S / 13, mandatory) + 1e-9, (run_s, cost)
    few, _ = _plan(5.0, 13)
    assert set(few) >= {n for n in demo.DEMO_HOSTILE if H.by_name(n).kind == "file"}, "rejected files are nearly free"
    assert len(_plan(20.0, 13)[0]) < len(_plan(5.0, 2)[0])
