"""Value (scalar autograd) vs torch autograd, accumulation, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.reference import Value
from tests.reference.strategies import SOME


def expression(a, b, c):
    """Every operation Value supports, written once for Value and torch scalars."""
    d = a * b + b**3 - c / a  # + * ** - /
    e = (-d).tanh() + d.sigmoid() * 2 + (c * c + 1.0).log()
    f = (a - 0.5).relu() + e.exp() / 10 + 3 - b
    g = 1 / (f * f + 1) + 2 * a - (1 - c)  # reversed operators
    return g * d + f


@SOME
@given(values=st.lists(st.floats(-2, 2).filter(lambda v: abs(v) > 0.1), min_size=3, max_size=3))
def test_value_matches_torch_autograd(values):
    a, b, c = (Value(v) for v in values)
    out = expression(a, b, c)
    out.backward()
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    tout = expression(*ts)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for ours, theirs, name in zip((a, b, c), ts, "abc"):
        assert ours.grad == pytest.approx(theirs.grad.item(), rel=1e-10, abs=1e-12), name


def test_a_value_used_twice_gets_both_contributions():
    a = Value(3.0)
    b = a + a  # the bug micrograd's README warns about: = instead of +=
    b.backward()
    assert a.grad == 2.0
    x = Value(2.0)
    y = x * x * x  # x^3, x used three times
    y.backward()
    assert x.grad == 12.0


def test_neuron_matches_hand_derivation():
    x1, x2, w1, w2, bias = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    out = (x1 * w1 + x2 * w2 + bias).tanh()
    out.backward()
    t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
    assert out.data == pytest.approx(t)
    assert w1.grad == pytest.approx(2.0 * (1 - t**2))
    assert x2.grad == pytest.approx(1.0 * (1 - t**2))
    assert w2.grad == 0.0


def test_relu_and_sigmoid_edges():
    z = Value(0.0)
    z.relu().backward()
    assert z.grad == 0.0  # as torch
    big = Value(-1e3).sigmoid()
    assert big.data == 0.0 and Value(1e3).sigmoid().data == 1.0


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Value(1.0)
    total = x
    for _ in range(5000):
        total = total + x * 0.5
    total.backward()
    assert x.grad == pytest.approx(1 + 5000 * 0.5)


def test_value_repr_and_numpy_scalars():
    v = Value(np.float64(2.5), label="w")
    assert repr(v) == "Value(data=2.5, grad=0, label='w')"
    assert (Value(np.array([4.0])) * 2).data == 8.0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Value("3"), TypeError, "Value holds one number, got str"),
        (lambda: Value(np.ones(3)), TypeError, "got ndarray"),
        (lambda: Value(2.0) ** Value(3.0), TypeError, "plain number k, got Value"),
    ],
)
def test_value_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# Out-of-range values: what torch (float64) returns, never a Python exception.
EDGES = {
    "sqrt at 0": (0.0, lambda a: a**0.5),
    "1 / 0": (0.0, lambda a: 1.0 / a),
    "0 / 0": (0.0, lambda a: a / a),
    "exp(1000)": (1000.0, lambda a: a.exp()),
    "exp(-1000)": (-1000.0, lambda a: a.exp()),
    "cube root of a negative number": (-8.0, lambda a: a ** (1 / 3)),
    "10 ** 400": (10.0, lambda a: a**400),
    "x ** -2 at 0": (0.0, lambda a: a**-2),
    "x ** 0 at 0": (0.0, lambda a: a**0),
    "log(0)": (0.0, lambda a: a.log()),
    "log(-1)": (-1.0, lambda a: a.log()),
    "tanh(exp(1000))": (1000.0, lambda a: a.exp().tanh()),
    "inf - inf": (1000.0, lambda a: a.exp() - a.exp()),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_out_of_range_values_follow_torch(name):
    x, f = EDGES[name]
    ours = Value(x)
    out = f(ours)
    out.backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tout = f(theirs)
    tout.backward()
    np.testing.assert_equal(out.data, tout.item(), err_msg=f"{name}: forward")
    np.testing.assert_equal(ours.grad, theirs.grad.item(), err_msg=f"{name}: gradient")


def test_out_of_range_values_raise_no_python_error_or_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, f in EDGES.values():
            v = Value(x)
            f(v).backward()
