"""Every lesson's checks reject its plausible wrong answers and accept its other correct ones.

The answers come from ``autograder/mutants/lessonNN.py`` (``LESSON``,
``REQUIRES``, ``MUTANTS``, ``ALTERNATIVES``). Each source (mutant,
alternative, or the solution notebook's own answer cell) runs in a fresh
namespace holding ``np`` and, first, what ``REQUIRES`` names (see
:func:`tests.lessons.course.prerequisites`).

Each is judged twice:

- **in process**, as a check cell does (``checks.run``);
- **through the wire**, as the grader does: cases encoded by the grader,
  decoded and answered by the harness's own code, outcomes encoded back and
  judged by the grader (:func:`autograder.grade.judge_cases`). A case that
  the wire format changes on the way (a memory layout, a dtype) shows up
  as a mutant caught in process but not through the wire.

A mutant that only hidden checks catch must be caught for every hidden seed
tried, since the grader draws hidden inputs from an instructor seed we do not
know here.
"""

from __future__ import annotations

import ast
import copy
import json

import numpy as np
import pytest

from autograder import grade, harness
from autograder.wire import decode_value, encode_value
from dlkit import checks
from dlkit.checks import core
from tests.lessons.course import LESSONS, Lesson, binds, blank, define

HIDDEN_SEEDS = (None, 1, 2, 3, 4)  # None: the default seed (DLKIT_HIDDEN_SEED or the built-in one)


def _exercise(lesson: Lesson, name: str):
    return checks.get(f"{lesson.number}.{name}")


def in_process(lesson: Lesson, name: str, answer, *, hidden: bool, seed: int | None = None) -> str | None:
    """The check failure message, or None when every case passes."""
    try:
        checks.run(f"{lesson.number}.{name}", answer, hidden=hidden, seed=seed, quiet=True)
    except checks.CheckFailed as exc:
        return str(exc)
    return None


def through_wire(lesson: Lesson, name: str, answer, seed: int | None) -> str | None:
    """What the grader says about an answer for one seed, by the grader's and harness's own code; None: full marks."""
    exercise = _exercise(lesson, name)
    cases = grade.case_set(exercise, seed)
    sent = json.loads(json.dumps(grade.encode_cases(cases), allow_nan=True))
    outcomes = harness.answer_cases(exercise, answer, sent, core.call_student, core.Case)
    received = json.loads(json.dumps(outcomes, allow_nan=True))
    visible_ok, hidden_ok, message = grade.judge_cases(exercise, cases, received)
    return None if visible_ok and hidden_ok else (message or "failed without a message")


def caught_by(lesson: Lesson, name: str, source: str) -> str:
    """``"visible"``, ``"hidden"`` or ``"none"``: which checks reject a source in process (hidden: every seed)."""
    answer = define(lesson, name, source)
    if in_process(lesson, name, answer, hidden=False) is not None:
        return "visible"
    if all(in_process(lesson, name, answer, hidden=True, seed=s) is not None for s in HIDDEN_SEEDS):
        return "hidden"
    return "none"


def _table(attr: str) -> list:
    params = []
    for lesson in LESSONS:
        try:
            table = getattr(lesson.mutants(), attr)
        except Exception as exc:  # noqa: BLE001 - reported by test_tables_cover_every_exercise
            params.append(pytest.param(lesson, "-", "-", "", id=f"{lesson}:unreadable",
                                       marks=pytest.mark.skip(reason=f"mutants file unreadable: {exc}")))
            continue
        params += [pytest.param(lesson, name, desc, src, id=f"{lesson}:{name}: {desc[:50]}")
                   for name, items in table.items() for desc, src in items]
    return params


MUTANT_CASES = _table("MUTANTS")
ALTERNATIVE_CASES = _table("ALTERNATIVES")
lessons = pytest.mark.parametrize("lesson", LESSONS, ids=str)


# -- the tables themselves ----------------------------------------------------------------

@lessons
def test_tables_cover_every_exercise_of_the_lesson(lesson):
    module = lesson.mutants()
    functions = lesson.functions()
    assert module.LESSON == lesson.number, f"{lesson.mutants_file.name}: LESSON must be {lesson.number!r}"
    assert list(module.MUTANTS) == list(functions) == list(module.ALTERNATIVES), \
        "MUTANTS and ALTERNATIVES have one entry per exercise, in registration order"
    for name in functions:
        assert len(module.MUTANTS[name]) >= 3, f"{name}: at least three plausible wrong answers"
        assert len(module.ALTERNATIVES[name]) >= 1, f"{name}: at least one other correct answer"
        descriptions = [d for d, _ in module.MUTANTS[name] + module.ALTERNATIVES[name]]
        assert len(set(descriptions)) == len(descriptions), f"duplicate descriptions for {name}"
    assert set(module.REQUIRES) <= set(functions), "REQUIRES is keyed by exercise name"


@pytest.mark.parametrize("lesson,name,desc,source", MUTANT_CASES + ALTERNATIVE_CASES)
def test_source_is_a_complete_answer_cell(lesson, name, desc, source):
    """function: a single def; value: assignments only; model: binds the name. Never the solution itself."""
    tree = ast.parse(source)
    function, kind = lesson.functions()[name], lesson.kinds()[name]
    if kind == "function":
        assert [type(node) for node in tree.body] == [ast.FunctionDef], f"{desc}: one def and nothing else"
        assert tree.body[0].name == function, desc
    elif kind == "value":
        assert all(isinstance(node, ast.Assign) for node in tree.body), f"{desc}: assignments only"
        assert function in binds(tree), desc
    else:
        assert function in binds(tree), f"{desc}: must bind {function}"
    module = lesson.mutants()
    others = [s for d, s in module.MUTANTS[name] + module.ALTERNATIVES[name] if d != desc]
    assert source not in others, "duplicate source"
    assert ast.unparse(tree) != ast.unparse(ast.parse(lesson.answers()[name])), "the solution itself"


# -- the checks against the tables --------------------------------------------------------

@pytest.mark.parametrize("lesson,name,desc,source", MUTANT_CASES)
def test_mutant_is_rejected_in_process(lesson, name, desc, source, record_property):
    answer = define(lesson, name, source)
    visible = in_process(lesson, name, answer, hidden=False)
    if visible is not None:
        record_property("caught_by", "visible")
        message = visible
    else:
        hidden = [in_process(lesson, name, answer, hidden=True, seed=s) for s in HIDDEN_SEEDS]
        missed = [s for s, msg in zip(HIDDEN_SEEDS, hidden) if msg is None]
        assert not missed, f"mutant {desc!r} of {name} passes the visible checks and the hidden ones for seeds {missed}"
        record_property("caught_by", "hidden")
        message = hidden[0]
    # rejected for what it does, not because the source is broken
    assert "NameError" not in message and "SyntaxError" not in message, message


@pytest.mark.parametrize("lesson,name,desc,source", MUTANT_CASES)
def test_mutant_is_rejected_through_the_wire(lesson, name, desc, source):
    missed = [s for s in HIDDEN_SEEDS if through_wire(lesson, name, define(lesson, name, source), s) is None]
    assert not missed, (f"mutant {desc!r} of {name} earns full marks in the grader for seeds {missed}: "
                        "the wire format changed a case on the way (see autograder/wire.py)")


@pytest.mark.parametrize("lesson,name,desc,source", ALTERNATIVE_CASES)
def test_alternative_is_accepted_in_process_and_through_the_wire(lesson, name, desc, source):
    answer = define(lesson, name, source)
    assert in_process(lesson, name, answer, hidden=False) is None
    for seed in HIDDEN_SEEDS:
        assert in_process(lesson, name, answer, hidden=True, seed=seed) is None, f"seed {seed}"
        assert through_wire(lesson, name, answer, seed) is None, f"seed {seed}"


@lessons
def test_alternatives_also_pass_on_other_correct_building_blocks(lesson):
    """An exercise that builds on earlier ones passes on top of their alternatives too, not only the solution's."""
    module = lesson.mutants()
    for name, required in module.REQUIRES.items():
        others = {r: module.ALTERNATIVES[r][-1][1] for r in required if r in module.ALTERNATIVES}
        for desc, source in module.ALTERNATIVES[name] + [("solution", lesson.answers()[name])]:
            answer = define(lesson, name, source, sources=others)
            assert in_process(lesson, name, answer, hidden=False) is None, desc
            assert in_process(lesson, name, answer, hidden=True) is None, desc


@lessons
def test_solution_answers_pass_in_process_and_through_the_wire(lesson):
    for name, source in lesson.answers().items():
        answer = define(lesson, name, source)
        assert in_process(lesson, name, answer, hidden=False) is None, name
        for seed in HIDDEN_SEEDS:
            assert in_process(lesson, name, answer, hidden=True, seed=seed) is None, f"{name}, seed {seed}"
            assert through_wire(lesson, name, answer, seed) is None, f"{name}, seed {seed}"


@lessons
def test_blank_student_answers_fail_saying_what_to_do(lesson):
    """What nbgrader hands out: the solution region replaced by ``raise NotImplementedError()``."""
    for name, source in lesson.answers().items():
        kind, function = lesson.kinds()[name], lesson.functions()[name]
        stub = blank(source)
        try:
            answer = define(lesson, name, stub)
            wanted = "not implemented yet"
        except NotImplementedError:  # a value or model cell raises when it runs; the name keeps None
            assert kind != "function", f"{name}: the blank def itself raised"
            answer = None
            wanted = "not set yet"
        for hidden in (False, True):
            message = in_process(lesson, name, answer, hidden=hidden)
            assert message is not None and wanted in message, f"{name}: {message}"
        assert through_wire(lesson, name, answer, None) is not None, f"{function}: blank answer passes in the grader"


@lessons
def test_wire_hands_the_student_what_the_notebook_would(lesson):
    """Every case's inputs arrive with the values, dtypes and memory layout a check cell hands the function."""
    for exercise in lesson.exercises():
        for seed in HIDDEN_SEEDS:
            for k, case in enumerate(grade.case_set(exercise, seed).cases):
                notebook_gets, _ = case.copy_inputs()  # what checks.run passes
                grader_gets = decode_value(json.loads(json.dumps(encode_value(tuple(case.args)), allow_nan=True)))
                where = f"{exercise.id} case {k + 1} (seed {seed})"
                assert len(grader_gets) == len(notebook_gets), where
                for a, b in zip(notebook_gets, grader_gets):
                    assert type(a) is type(b), f"{where}: {type(a).__name__} arrives as {type(b).__name__}"
                    if isinstance(a, (np.ndarray, np.generic)):
                        assert a.dtype == b.dtype and a.shape == b.shape, where
                        assert np.array_equal(a, b, equal_nan=True), where
                    if isinstance(a, np.ndarray):
                        assert a.strides == b.strides, f"{where}: strides {a.strides} arrive as {b.strides}"
                        assert a.flags.writeable == b.flags.writeable, where


def test_wire_keeps_layouts_dtypes_and_scalars():
    """The layouts a hidden case may use (column-major, a transposed 3-D view, a strided view) survive the wire."""
    x = np.arange(24.0).reshape(2, 3, 4)
    for value in (np.asfortranarray(x), x.transpose(2, 0, 1), x[:, ::2, ::-1], x.astype(np.float32).T,
                  np.float32(1.5), np.int64(3), (x[0].T, {"axis": -1})):
        notebook_gets = copy.deepcopy(value)
        got = decode_value(json.loads(json.dumps(encode_value(value))))
        for a, b in zip(notebook_gets if isinstance(value, tuple) else (notebook_gets,),
                        got if isinstance(value, tuple) else (got,)):
            assert type(a) is type(b)
            if isinstance(a, np.ndarray):
                assert (a.dtype, a.shape, a.strides) == (b.dtype, b.shape, b.strides)
                assert np.array_equal(a, b)
            else:
                assert a == b and getattr(a, "dtype", None) == getattr(b, "dtype", None)


@lessons
def test_report_which_checks_catch_each_mutant(lesson, capsys):
    """Print which checks catch each mutant; most must fail the visible checks, so students see them early."""
    module = lesson.mutants()
    rows = [(name, caught_by(lesson, name, src), desc) for name, items in module.MUTANTS.items() for desc, src in items]
    with capsys.disabled():
        print(f"\nlesson {lesson.number} mutants: which checks reject them")
        for name, by, desc in rows:
            print(f"  {name:<12} {by:<8} {desc}")
    assert all(by != "none" for _, by, _ in rows)
    for name in module.MUTANTS:
        visible = sum(by == "visible" for n, by, _ in rows if n == name)
        assert visible * 2 > len(module.MUTANTS[name]), f"the visible checks of {name} catch only {visible} mutants"


def test_wire_keeps_the_shape_of_every_output():
    """A scalar loss (0-d) came back as shape (1,) through np.ascontiguousarray and failed a correct answer."""
    from autograder.wire import decode_output, encode_output

    for value in (np.array(2.5), np.arange(6.0).reshape(2, 3).T, np.zeros((0, 3)), np.ones((1, 1, 2))):
        (back,) = decode_output(json.loads(json.dumps([encode_output(core.to_plain(value)[0])])))
        assert back.shape == value.shape and np.array_equal(back, value)
