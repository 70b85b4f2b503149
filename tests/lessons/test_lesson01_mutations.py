"""Lesson 01's checks reject plausible wrong answers and accept other correct ones.

Every source (mutant, alternative, or the solution notebook's own answer cell)
is executed in a fresh namespace holding only ``np``; sources of exercises
that build on earlier ones (``REQUIRES``) get the solution notebook's earlier
answer cells first. A mutant must fail the exercise's visible checks or its
hidden checks; a mutant that only the hidden checks catch must be caught for
every hidden seed we try, since the grader draws hidden inputs from an
instructor seed we do not know here.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from autograder.mutants.lesson01 import ALTERNATIVES, LESSON, MUTANTS, REQUIRES
from dlkit import checks
from tests.lessons.test_lesson01_notebook_structure import answer_sources, exercise_names

FUNCTIONS = dict(exercise_names())          # "dense" -> "dense_forward"
SOLUTIONS = answer_sources()
HIDDEN_SEEDS = (None, 1, 2, 3, 4)           # None: the default seed (DLKIT_HIDDEN_SEED or the built-in one)


def define(name: str, source: str, prerequisites: dict[str, str] = SOLUTIONS):
    """Execute an answer cell in a fresh namespace and return the function it defines."""
    namespace = {"np": np, "__name__": f"answer_{name}"}
    for required in REQUIRES.get(name, ()):
        exec(compile(prerequisites[required], f"<{required}-answer>", "exec"), namespace)
    before = set(namespace)
    exec(compile(source, f"<{name}-answer>", "exec"), namespace)
    defined = set(namespace) - before
    assert FUNCTIONS[name] in defined, f"the source for {name} must define {FUNCTIONS[name]}"
    return namespace[FUNCTIONS[name]]


def failure(name: str, fn, *, hidden: bool, seed: int | None = None) -> str | None:
    """The check failure message, or None when every case passes."""
    try:
        checks.run(f"{LESSON}.{name}", fn, hidden=hidden, seed=seed, quiet=True)
    except checks.CheckFailed as exc:
        return str(exc)
    return None


def caught_by(name: str, source: str) -> str:
    """``"visible"``, ``"hidden"`` or ``"none"``: which checks reject a source (hidden: for every seed)."""
    fn = define(name, source)
    if failure(name, fn, hidden=False) is not None:
        return "visible"
    if all(failure(name, fn, hidden=True, seed=s) is not None for s in HIDDEN_SEEDS):
        return "hidden"
    return "none"


def _cases(table: dict[str, list[tuple[str, str]]]):
    return [pytest.param(name, desc, src, id=f"{name}: {desc[:50]}") for name, items in table.items()
            for desc, src in items]


# -- the tables themselves ----------------------------------------------------------------

def test_tables_cover_every_exercise_of_the_lesson():
    assert list(MUTANTS) == list(FUNCTIONS) == list(ALTERNATIVES)
    for name in FUNCTIONS:
        assert len(MUTANTS[name]) >= 3, name
        assert len(ALTERNATIVES[name]) >= 1, name
        descriptions = [d for d, _ in MUTANTS[name] + ALTERNATIVES[name]]
        assert len(set(descriptions)) == len(descriptions), f"duplicate descriptions for {name}"


@pytest.mark.parametrize("name,desc,source", _cases(MUTANTS) + _cases(ALTERNATIVES))
def test_source_is_a_single_def_of_the_exercise_function(name, desc, source):
    tree = ast.parse(source)
    if checks.get(f"{LESSON}.{name}").kind == "value":  # an answer is an assignment, not a def
        assert [type(node) for node in tree.body] == [ast.Assign], f"{desc}: one assignment and nothing else"
        assert [t.id for t in tree.body[0].targets] == [FUNCTIONS[name]], desc
    else:
        assert [type(node) for node in tree.body] == [ast.FunctionDef], f"{desc}: one def and nothing else"
        assert tree.body[0].name == FUNCTIONS[name], desc
    assert source not in {s for d, s in MUTANTS[name] + ALTERNATIVES[name] if d != desc}, "duplicate source"
    assert source != SOLUTIONS[name]


# -- the checks against the tables --------------------------------------------------------

@pytest.mark.parametrize("name,desc,source", _cases(MUTANTS))
def test_mutant_is_rejected(name, desc, source, record_property):
    fn = define(name, source)
    visible = failure(name, fn, hidden=False)
    if visible is not None:
        record_property("caught_by", "visible")
        message = visible
    else:
        hidden = [failure(name, fn, hidden=True, seed=s) for s in HIDDEN_SEEDS]
        missed = [s for s, msg in zip(HIDDEN_SEEDS, hidden) if msg is None]
        assert not missed, f"mutant {desc!r} of {name} passes the visible checks and the hidden ones for seeds {missed}"
        record_property("caught_by", "hidden")
        message = hidden[0]
    # rejected for what it does, not because the source is broken
    assert "NameError" not in message and "SyntaxError" not in message, message


@pytest.mark.parametrize("name,desc,source", _cases(ALTERNATIVES))
def test_alternative_is_accepted(name, desc, source):
    fn = define(name, source)
    assert failure(name, fn, hidden=False) is None
    for seed in HIDDEN_SEEDS:
        assert failure(name, fn, hidden=True, seed=seed) is None, f"seed {seed}"


def test_two_layer_alternatives_accept_alternative_building_blocks():
    """The two-layer answers work on top of other correct relu/softmax/dense answers too."""
    others = {name: ALTERNATIVES[name][-1][1] for name in REQUIRES["two_layer"]}
    for desc, source in ALTERNATIVES["two_layer"] + [("solution", SOLUTIONS["two_layer"])]:
        fn = define("two_layer", source, prerequisites=others)
        assert failure("two_layer", fn, hidden=False) is None, desc
        assert failure("two_layer", fn, hidden=True) is None, desc


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_solution_notebook_answer_passes(name):
    fn = define(name, SOLUTIONS[name])
    assert failure(name, fn, hidden=False) is None
    for seed in HIDDEN_SEEDS:
        assert failure(name, fn, hidden=True, seed=seed) is None, f"seed {seed}"


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_blank_student_answer_fails_with_a_not_implemented_message(name):
    """What nbgrader hands out: the solution region replaced by ``raise NotImplementedError()``."""
    if checks.get(f"{LESSON}.{name}").kind == "value":
        # The stub raises when the cell runs; the name keeps its placeholder None.
        blank = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "# YOUR CODE HERE\nraise NotImplementedError()",
                       SOLUTIONS[name], flags=re.S)
        namespace = {"np": np}
        with pytest.raises(NotImplementedError):
            exec(compile(blank, f"<{name}-answer>", "exec"), namespace)
        for hidden in (False, True):
            message = failure(name, namespace[FUNCTIONS[name]], hidden=hidden)
            assert message is not None and "not set yet" in message
        return
    blank = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "# YOUR CODE HERE\n    raise NotImplementedError()",
                   SOLUTIONS[name], flags=re.S)
    assert "BEGIN SOLUTION" not in blank
    fn = define(name, blank)
    for hidden in (False, True):
        message = failure(name, fn, hidden=hidden)
        assert message is not None and "not implemented yet" in message


def test_report_which_checks_catch_each_mutant(capsys):
    """Print which checks catch each mutant; most must fail the visible checks, so students see them early."""
    rows = [(name, caught_by(name, src), desc) for name, items in MUTANTS.items() for desc, src in items]
    with capsys.disabled():
        print("\nlesson 01 mutants: which checks reject them")
        for name, by, desc in rows:
            print(f"  {name:<10} {by:<8} {desc}")
    assert all(by != "none" for _, by, _ in rows)
    for name in MUTANTS:
        visible = sum(by == "visible" for n, by, _ in rows if n == name)
        assert visible * 2 > len(MUTANTS[name]), f"the visible checks of {name} catch only {visible} mutants"
