"""The grader's message for a failing hidden case: which requirement and how far off, never the hidden data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder import grade, harness
from dlkit.checks import core

SECRET_SIZE = 37  # a hidden side length that must never be shown


def _reference(x):
    return 2.0 * x


EXERCISE = core.Exercise(
    id="00.twice", function="twice", reference=_reference,
    visible=lambda: [core.Case((np.array([1.0, 2.0]),), label="a vector")],
    hidden=lambda rng: [core.Case((rng.normal(size=(SECRET_SIZE, 3)),), label="a tall matrix")],
    hint="Multiply by two.")


def _message(answer) -> str:
    cases = grade.case_set(EXERCISE, seed=0)
    sent = json.loads(json.dumps(grade.encode_cases(cases)))
    outcomes = json.loads(json.dumps(harness.answer_cases(EXERCISE, answer, sent, core.call_student, core.Case)))
    visible_ok, hidden_ok, message = grade.judge_cases(EXERCISE, cases, outcomes)
    assert visible_ok and not hidden_ok, message
    return message


def _tall_only(fn):
    return lambda x: fn(x) if x.ndim == 2 else 2.0 * x


@pytest.mark.parametrize("answer,says", [
    (_tall_only(lambda x: 2.0 * x + 0.5), ["wrong in 100% of its entries", "largest error is 0.5"]),
    (_tall_only(lambda x: (2.0 * x)[:, :2]), ["wrong shape"]),
    (_tall_only(lambda x: np.where(x > 0, np.inf, 2 * x)), ["inf or NaN"]),
])
def test_a_wrong_hidden_answer_gets_its_label_and_the_size_of_the_error(answer, says):
    message = _message(answer)
    assert "fails a hidden check (a tall matrix)" in message and "Hint: Multiply by two." in message
    for words in says:
        assert words in message, message
    assert str(SECRET_SIZE) not in message and "(37" not in message, message


def test_text_the_students_code_made_from_hidden_inputs_is_never_shown():
    def leaky(x):
        if x.ndim == 2:
            print(f"PRINTED {x.shape} {x[0, 0]}")
            raise ValueError(f"LEAK shape={x.shape} first={x[0, 0]!r}")
        return 2.0 * x

    message = _message(leaky)
    assert "ValueError" in message and "(a tall matrix)" in message
    assert "LEAK" not in message and "PRINTED" not in message and str(SECRET_SIZE) not in message, message
