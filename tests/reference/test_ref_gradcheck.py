"""dlkit.gradcheck: numerical gradients, relative error, the report."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from dlkit.gradcheck import GradCheckReport, check_gradient, numerical_gradient, relative_error
from tests.reference.strategies import FEW, arrays, shapes


@FEW
@given(x=arrays(shapes(min_dims=0, max_dims=3)))
def test_numerical_gradient_of_known_functions(x):
    # d/dx sum(sin(x) * x) = cos(x) * x + sin(x)
    g = numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert relative_error(g, np.cos(x) * x + np.sin(x)) < 1e-8
    # with an upstream gradient: d/dx sum(exp(x) * dout) = exp(x) * dout
    dout = np.linspace(-1, 1, x.size).reshape(x.shape)
    g = numerical_gradient(np.exp, x, dout=dout)
    assert relative_error(g, np.exp(x) * dout) < 1e-8


def test_numerical_gradient_restores_x_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert np.array_equal(x, before)
    assert calls[1][0] == pytest.approx(1.0 - 1e-6)  # the raise happened while x[0] was perturbed
    # and after a normal run too
    numerical_gradient(lambda v: (v**2).sum(), x)
    assert np.array_equal(x, before)


def test_relative_error_definition():
    a, b = np.array([1.0, -2.0]), np.array([1.0, -2.5])
    assert relative_error(a, b) == pytest.approx(0.5 / 4.5)
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert np.isnan(relative_error(np.array([np.nan]), np.array([1.0])))
    assert relative_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0


def test_check_gradient_names_the_worst_entry():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    analytic = 2 * x
    analytic[1, 2] += 0.5  # a bug in one entry
    report = check_gradient(lambda v: (v**2).sum(), x, analytic)
    assert isinstance(report, GradCheckReport)
    assert not report.passed
    assert report.index == (1, 2)
    assert report.expected == pytest.approx(10.0, abs=1e-6)
    assert report.got == pytest.approx(10.5)
    text = repr(report)
    assert "FAILED" in text and "(1, 2)" in text and "10.5" in text
    with pytest.raises(AssertionError, match=r"worst entry \(1, 2\)"):
        report.assert_passed()
    good = check_gradient(lambda v: (v**2).sum(), x, 2 * x)
    assert good.passed and "passed" in repr(good)
    good.assert_passed()


def test_check_gradient_nan_fails():
    x = np.array([1.0, 2.0])
    report = check_gradient(lambda v: v.sum(), x, np.array([1.0, np.nan]))
    assert not report.passed and report.index == (1,)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: numerical_gradient(np.sum, [1.0, 2.0]), TypeError, "must be a numpy array.*got list"),
        (lambda: numerical_gradient(np.sum, np.ones(2, np.float32)), TypeError, "float64.*got float32"),
        (lambda: numerical_gradient(lambda v: v, np.ones(2)), ValueError, "shape \\(2,\\).*dout"),
        (lambda: numerical_gradient(lambda v: v, np.ones(2), dout=np.ones(3)), ValueError, "dout has shape"),
        (lambda: numerical_gradient(np.sum, np.ones(2), h=0), ValueError, "h must be in"),
        (lambda: relative_error(np.ones(2), np.ones(3)), ValueError, "same shape"),
        (lambda: check_gradient(np.sum, np.ones(2), np.ones(3)), ValueError, "analytic must have the shape"),
    ],
)
def test_gradcheck_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_numerical_gradient_read_only_x():
    x = np.ones(2)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(np.sum, x)


def test_tiny_gradients_are_judged_by_an_absolute_floor():
    """A gradient of size 1e-6 everywhere: rounding noise of the centred difference
    (4e-13 in a real LSTM gradcheck) is a large *relative* error, but not a wrong gradient."""
    x = np.array([0.4, -1.3])
    scale = 1e-6
    exact = 3 * scale * x**2
    noisy = exact + 2e-12  # relative error ~2e-7: over tol, yet far below any real mistake
    strict = check_gradient(lambda v: scale * (v**3).sum(), x.copy(), noisy, atol=0.0)
    assert not strict.passed
    floored = check_gradient(lambda v: scale * (v**3).sum(), x.copy(), noisy)
    assert floored.passed and "absolute error" in repr(floored)
    wrong = check_gradient(lambda v: scale * (v**3).sum(), x.copy(), exact * 1.01)
    assert not wrong.passed, "a 1% error is more than rounding noise, even on a tiny gradient"
