"""dlkit.checks: checks are data, comparisons cannot be rigged, messages say what and how."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlkit import checks
from dlkit.checks import core


def stable_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def test_a_passing_check_prints_a_confirmation_and_returns_none(capsys):
    assert checks.run("01.sigmoid", stable_sigmoid) is None  # a number would be read as partial credit
    assert "sigmoid: all 4 checks passed" in capsys.readouterr().out


def test_hidden_cases_depend_on_the_instructor_seed():
    ex = checks.get("01.relu")
    a = ex.cases(hidden=True, seed=1)
    b = ex.cases(hidden=True, seed=2)
    again = ex.cases(hidden=True, seed=1)
    assert [c.args[0].shape for c in a] == [c.args[0].shape for c in again]
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, again))
    assert not all(x.args[0].shape == y.args[0].shape and np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b))


def test_seed_comes_from_the_environment(monkeypatch):
    ex = checks.get("01.relu")
    monkeypatch.setenv(core.HIDDEN_SEED_ENV, "5")
    from_env = ex.cases(hidden=True)
    explicit = ex.cases(hidden=True, seed=5)
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(from_env, explicit))


def test_failure_message_names_expected_got_and_hint():
    with pytest.raises(checks.CheckFailed) as err:
        checks.run("01.relu", lambda x: np.abs(x))
    msg = str(err.value)
    assert isinstance(err.value, AssertionError)
    assert "relu: check 1 of 3 failed" in msg
    assert "expected" in msg and "got" in msg and "Hint:" in msg


def test_an_object_with_rigged_comparisons_cannot_pass():
    class Rigged(np.ndarray):
        def __eq__(self, other):
            return True

        def __abs__(self):
            return np.zeros(self.shape)

        def __sub__(self, other):
            return np.zeros(self.shape)

    class Anything:
        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            return np.zeros(5)

    with pytest.raises(checks.CheckFailed):
        checks.run("01.relu", lambda x: np.full(x.shape, 7.0).view(Rigged))
    with pytest.raises(checks.CheckFailed, match="expected a numpy array, got Anything"):
        checks.run("01.relu", lambda x: Anything())


def test_torch_tensors_and_tuples_are_converted_to_plain_arrays():
    (out,) = core.to_plain(torch.tensor([1.0, 2.0]))
    assert type(out) is np.ndarray and out.dtype == np.float64
    a, b = core.to_plain((np.array([1], dtype=np.int32), 2.5))
    assert a.dtype == np.float64 and b.shape == ()
    with pytest.raises(TypeError, match="boolean"):
        core.to_plain(True)
    with pytest.raises(TypeError, match="array of numbers"):
        core.to_plain(np.array(["a"]))


def test_wrong_shape_is_reported_before_values():
    with pytest.raises(checks.CheckFailed, match=r"has shape \(1, 5\), expected \(5,\)"):
        checks.run("01.relu", lambda x: np.maximum(x, 0)[None, :])


def test_changing_the_input_in_place_fails_even_with_the_right_values():
    def relu_in_place(x):
        x[x < 0] = 0
        return x

    with pytest.raises(checks.CheckFailed, match="changed its input argument 1 in place"):
        checks.run("01.relu", relu_in_place)


def test_overflow_fails_a_strict_exercise_even_when_the_value_comes_out_right():
    with pytest.raises(checks.CheckFailed, match="overflow"):
        checks.run("01.sigmoid", lambda x: 1 / (1 + np.exp(-x)))
    assert np.geterr()["over"] == "warn", "the float error state must be restored after a check"


def test_forbidden_functions_and_the_reference_are_caught_and_restored():
    with pytest.raises(checks.CheckFailed, match="calls `numpy.tanh`"):
        checks.run("01.tanh", lambda x: np.tanh(x))
    assert np.tanh(0.5) == pytest.approx(0.46211715726), "numpy.tanh must be restored afterwards"

    from dlkit.reference import sigmoid as aliased_reference

    with pytest.raises(checks.CheckFailed, match="calls `dlkit.reference.activations.sigmoid`"):
        checks.run("01.sigmoid", lambda x: aliased_reference(x))
    import sys

    assert sys.getprofile() is None


def test_not_implemented_gets_a_friendly_message():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(checks.CheckFailed, match="not implemented yet"):
        checks.run("01.relu", stub)


def test_student_errors_are_reported_not_raised():
    with pytest.raises(checks.CheckFailed, match="raised ZeroDivisionError"):
        checks.run("01.relu", lambda x: 1 / 0)
    with pytest.raises(checks.CheckFailed, match="is not a function"):
        checks.run("01.relu", 3)


def test_judge_is_pure_data_comparison():
    ex = checks.get("01.relu")
    case = ex.cases()[0]
    expected = checks.expected_output(ex, case)
    good = checks.Outcome(output=tuple(e.copy() for e in expected))
    assert checks.judge(ex, case, good, expected).passed
    nan = checks.Outcome(output=(np.full_like(expected[0], np.nan),))
    assert not checks.judge(ex, case, nan, expected).passed, "NaN must never match a number"
    err = checks.Outcome(output=None, error="raised ValueError: boom")
    verdict = checks.judge(ex, case, err, expected)
    assert not verdict.passed and "boom" in verdict.message


def test_unknown_exercises_say_what_exists():
    with pytest.raises(KeyError, match="01.sigmoid"):
        checks.get("01.nope")
    with pytest.raises(KeyError, match="no checks for lesson 77"):
        checks.get("77.x")
    with pytest.raises(KeyError, match="look like"):
        checks.get("sigmoid")


def test_every_lesson01_exercise_rejects_its_reference_passed_directly():
    for ex in checks.all_exercises("01"):
        with pytest.raises(checks.CheckFailed, match="calls"):
            checks.run(ex.id, ex.reference)
