"""Activations: plain functions and forward/backward pairs vs torch, gradcheck, stability, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import dlkit.reference as R
from dlkit.gradcheck import check_gradient
from tests.reference.helpers import assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import FEW, arrays, extreme_arrays, float_dtypes, shapes

# name -> (plain function, forward, backward, torch function, kwargs, needs an axis)
ACTIVATIONS = {
    "sigmoid": (R.sigmoid, R.sigmoid_forward, R.sigmoid_backward, torch.sigmoid, {}),
    "tanh": (R.tanh, R.tanh_forward, R.tanh_backward, torch.tanh, {}),
    "relu": (R.relu, R.relu_forward, R.relu_backward, F.relu, {}),
    "leaky_relu": (R.leaky_relu, R.leaky_relu_forward, R.leaky_relu_backward, F.leaky_relu, {"negative_slope": 0.1}),
    "softmax": (R.softmax, R.softmax_forward, R.softmax_backward, F.softmax, {"axis": 0}),
    "log_softmax": (R.log_softmax, R.log_softmax_forward, R.log_softmax_backward, F.log_softmax, {"axis": -1}),
}
NAMES = sorted(ACTIVATIONS)


def torch_kwargs(kwargs):
    return {("dim" if k == "axis" else k): v for k, v in kwargs.items()}


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(data=st.data(), dtype=float_dtypes())
def test_activation_matches_torch_forward_and_backward(name, data, dtype):
    plain, forward, backward, torch_fn, kwargs = ACTIVATIONS[name]
    x = data.draw(arrays(shapes(max_dims=3), dtype, scale=3.0, away_from=1e-3))
    dout = data.draw(arrays(x.shape, dtype))
    before = snapshot(x, dout)
    out, cache = forward(x, **kwargs)
    dx = backward(dout, cache)
    assert_unchanged(before, [x, dout], ["x", "dout"])
    assert np.array_equal(plain(x, **kwargs), out)

    xt = t(x, requires_grad=True)
    yt = torch_fn(xt, **torch_kwargs(kwargs))
    yt.backward(t(dout))
    assert_parity(out, yt, f"{name} forward")
    if dtype == np.float32 and name in ("sigmoid", "tanh"):
        # Their derivatives, y(1-y) and 1-y^2, are computed from the float32 output y, so where the
        # curve is flat they carry an absolute error of about eps32 * |dout| (torch's too): the
        # relative error there grows like 1/(1-|y|). Bound the absolute error instead.
        err = np.max(np.abs(dx - xt.grad.numpy()))
        assert err <= 1e-6 * max(np.max(np.abs(dout)), 1e-30), f"{name} backward (float32): error {err:.3g}"
    else:
        assert_parity(dx, xt.grad, f"{name} backward")


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(data=st.data())
def test_activation_backward_passes_gradcheck(name, data):
    _, forward, backward, _, kwargs = ACTIVATIONS[name]
    x = data.draw(arrays(shapes(max_dims=3, max_side=4), away_from=1e-2))  # kinks stay > h away
    dout = data.draw(arrays(x.shape))
    _, cache = forward(x, **kwargs)
    report = check_gradient(lambda v: forward(v, **kwargs)[0], x, backward(dout, cache), dout=dout)
    report.assert_passed()


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(data=st.data(), dtype=float_dtypes())
def test_activation_is_stable_for_magnitude_1e3(name, data, dtype):
    plain, _, _, torch_fn, kwargs = ACTIVATIONS[name]
    x = data.draw(extreme_arrays(shapes(max_dims=2), dtype))
    x.flat[0] = 1e3
    x.flat[-1] = -1e3
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = plain(x, **kwargs)
    assert np.all(np.isfinite(out)), f"{name} gave non-finite values for {x}"
    assert_parity(out, torch_fn(t(x), **torch_kwargs(kwargs)), f"{name} at 1e3", tol=1e-6 if dtype == np.float32 else None)


def test_sigmoid_and_softmax_extreme_values():
    with np.errstate(all="raise", under="ignore"):
        assert R.sigmoid(np.array([-1e3, 1e3])).tolist() == [0.0, 1.0]
        assert R.softmax(np.array([1e3, 1e3, -1e3])).tolist() == [0.5, 0.5, 0.0]
        assert R.log_softmax(np.array([0.0, 1e3])).tolist() == [-1e3, 0.0]
        assert R.sigmoid(np.float32(-1e3) * np.ones(2, np.float32)).dtype == np.float32


def test_plain_functions_keep_dtype_and_accept_python_numbers():
    for dtype in (np.float32, np.float64):
        x = np.linspace(-2, 2, 6, dtype=dtype).reshape(2, 3)
        for name in NAMES:
            plain, *_, kwargs = ACTIVATIONS[name]
            out = plain(x, **kwargs)
            assert out.dtype == dtype and out.shape == x.shape, name
    assert R.sigmoid(0.0) == 0.5
    assert R.relu([-1.0, 2.0]).tolist() == [0.0, 2.0]


def test_relu_gradient_at_zero_matches_torch():
    x = np.array([-1.0, 0.0, 1.0])
    _, cache = R.relu_forward(x)
    assert R.relu_backward(np.ones(3), cache).tolist() == [0.0, 0.0, 1.0]
    _, cache = R.leaky_relu_forward(x, 0.2)
    assert R.leaky_relu_backward(np.ones(3), cache).tolist() == [0.2, 0.2, 1.0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: R.sigmoid("1.0"), TypeError, "x must be a numpy array, got str"),
        (lambda: R.relu(np.arange(3)), TypeError, "dtype float32 or float64, got int64.*astype"),
        (lambda: R.tanh(torch.zeros(2)), TypeError, "got Tensor.*numpy"),
        (lambda: R.softmax(np.zeros(3), axis=1), ValueError, "axis 1 is out of range.*shape \\(3,\\)"),
        (lambda: R.log_softmax(np.zeros(3), axis=0.5), TypeError, "axis must be an integer"),
        (lambda: R.softmax(np.float64(1.0) * np.ones(())), ValueError, "axis -1 is out of range"),
        (lambda: R.leaky_relu(np.zeros(3), negative_slope="a"), TypeError, "negative_slope must be a real number"),
        (lambda: R.sigmoid_backward(np.ones(3), R.sigmoid_forward(np.ones(2))[1]), ValueError,
         "dout and the forward output must have the same shape, got \\(3,\\) and \\(2,\\)"),
        (lambda: R.relu_backward(np.ones(2), (np.ones(2),)), TypeError, "cache must be the ReluCache.*relu_forward"),
        (lambda: R.tanh_backward(np.ones(2, int), R.tanh_forward(np.ones(2))[1]), TypeError, "dout must have dtype"),
    ],
)
def test_activation_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
