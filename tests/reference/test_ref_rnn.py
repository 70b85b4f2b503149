"""dlkit.reference.rnn against torch.nn.RNN / LSTM / RNNCell / LSTMCell and clip_grad_norm_."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.gradcheck import check_gradient
from dlkit.reference import rnn
from tests.reference.strategies import sums_tol as _tol
from tests.reference.helpers import assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import FEW, SOME, arrays, float_dtypes, seeds, sides


KINDS = ["lstm", "rnn_tanh", "rnn_relu"]


@st.composite
def recurrent_problems(draw, kind: str, dtype=np.float64, step: bool = False):
    """A dict with x ``(T, N, D)`` (``(N, D)`` when ``step``), h0, c0 (or None), weights, biases (or None)."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    steps, n, d, h = draw(sides(1, 5)), draw(sides(1, 3)), draw(sides(1, 4)), draw(sides(1, 4))
    g = 4 if kind == "lstm" else 1
    with_bias = draw(st.booleans())
    states = draw(st.booleans()) or step
    return {
        "x": draw(arrays((n, d) if step else (steps, n, d), dtype)),
        "h0": draw(arrays((n, h), dtype)) if states else None,
        "c0": draw(arrays((n, h), dtype)) if states and kind == "lstm" else None,
        "W_ih": draw(arrays((g * h, d), dtype, scale=0.7)),
        "W_hh": draw(arrays((g * h, h), dtype, scale=0.7)),
        "b_ih": draw(arrays((g * h,), dtype)) if with_bias else None,
        "b_hh": draw(arrays((g * h,), dtype)) if with_bias else None,
        "nonlinearity": kind[4:] if kind != "lstm" else None,
    }


def _ours_forward(kind, p):
    if kind == "lstm":
        return rnn.lstm_forward(p["x"], p["h0"], p["c0"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    return rnn.rnn_forward(p["x"], p["h0"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], p["nonlinearity"])


def _torch_module(kind, p, cell: bool = False):
    """A torch RNN/LSTM (or cell) holding copies of the problem's weights."""
    d, h = p["W_ih"].shape[1], p["W_hh"].shape[1]
    bias = p["b_ih"] is not None
    if kind == "lstm":
        module = (torch.nn.LSTMCell if cell else torch.nn.LSTM)(d, h, bias=bias)
    else:
        module = (torch.nn.RNNCell if cell else torch.nn.RNN)(d, h, bias=bias, nonlinearity=p["nonlinearity"])
    module = module.to(torch.float64 if p["x"].dtype == np.float64 else torch.float32)
    suffix = "" if cell else "_l0"
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    with torch.no_grad():
        for name, key in zip(names, ["W_ih", "W_hh", "b_ih", "b_hh"]):
            getattr(module, name + suffix).copy_(t(p[key]))
    return module, [getattr(module, name + suffix) for name in names]


@SOME
@given(data=st.data(), dtype=float_dtypes(), seed=seeds())
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_matches_torch_forward_and_every_gradient(kind, data, dtype, seed):
    p = data.draw(recurrent_problems(kind, dtype))
    out, cache = _ours_forward(kind, p)
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dh_n = rng.standard_normal(out.shape[1:]).astype(dtype)
    dc_n = rng.standard_normal(out.shape[1:]).astype(dtype)

    module, params = _torch_module(kind, p)
    xt = t(p["x"], True)
    h0t = None if p["h0"] is None else t(p["h0"][None], True)
    c0t = None if p["c0"] is None else t(p["c0"][None], True)
    if kind == "lstm":
        out_t, (h_n, c_n) = module(xt, None if h0t is None else (h0t, c0t))
        loss = (out_t * t(dout)).sum() + (h_n[0] * t(dh_n)).sum() + (c_n[0] * t(dc_n)).sum()
        grads = rnn.lstm_backward(dout, cache, dh_n, dc_n)
        states = [h0t, c0t]
        assert_parity(cache.c_n, c_n[0], "c_n", tol=_tol(dtype))
    else:
        out_t, h_n = module(xt, h0t)
        loss = (out_t * t(dout)).sum() + (h_n[0] * t(dh_n)).sum()
        grads = rnn.rnn_backward(dout, cache, dh_n)
        states = [h0t]
    loss.backward()
    bias_grads = [q.grad for q in params[2:]] or [None, None]
    expected = [xt.grad, *(None if s is None else s.grad[0] for s in states), params[0].grad, params[1].grad,
                *bias_grads]
    assert_parity(out, out_t, "out", tol=_tol(dtype))
    assert_parity(cache.h_n, h_n[0], "h_n", tol=_tol(dtype))
    names = ["dx", "dh0", "dc0"][:len(grads) - 4] + ["dW_ih", "dW_hh", "db_ih", "db_hh"]
    assert len(grads) == len(names) == len(expected)
    for name, ours, theirs in zip(names, grads, expected):
        if theirs is None:
            assert ours is None, f"{name} should be None when its input was None"
        else:
            assert_parity(ours, theirs, name, tol=_tol(dtype))


@SOME
@given(data=st.data(), dtype=float_dtypes(), seed=seeds())
@pytest.mark.parametrize("kind", KINDS)
def test_step_matches_torch_cell(kind, data, dtype, seed):
    p = data.draw(recurrent_problems(kind, dtype, step=True))
    module, params = _torch_module(kind, p, cell=True)
    rng = np.random.default_rng(seed)
    xt, h0t, c0t = t(p["x"], True), t(p["h0"], True), t(p["c0"], p["c0"] is not None)
    dh = rng.standard_normal(p["h0"].shape).astype(dtype)
    if kind == "lstm":
        dc = rng.standard_normal(p["h0"].shape).astype(dtype)
        h, c, cache = rnn.lstm_step_forward(p["x"], p["h0"], p["c0"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
        h_t, c_t = module(xt, (h0t, c0t))
        ((h_t * t(dh)).sum() + (c_t * t(dc)).sum()).backward()
        grads = rnn.lstm_step_backward(dh, dc, cache)
        assert_parity(c, c_t, "c", tol=_tol(dtype))
        expected = [xt.grad, h0t.grad, c0t.grad]
    else:
        h, cache = rnn.rnn_step_forward(p["x"], p["h0"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], p["nonlinearity"])
        h_t = module(xt, h0t)
        (h_t * t(dh)).sum().backward()
        grads = rnn.rnn_step_backward(dh, cache)
        expected = [xt.grad, h0t.grad]
    assert_parity(h, h_t, "h", tol=_tol(dtype))
    expected += [q.grad for q in params] + [None] * (4 - len(params))
    for k, (ours, theirs) in enumerate(zip(grads, expected)):
        if theirs is None:
            assert ours is None
        else:
            # float32: where tanh saturates, 1 - h**2 cancels, so a tiny gradient is judged against
            # the scale of the upstream gradient rather than against itself
            floor = float(np.abs(dh).max()) if np.dtype(dtype) == np.float32 else 0.0
            assert_parity(ours, theirs, f"gradient {k}", tol=_tol(dtype), floor=floor)


@FEW
@given(data=st.data(), seed=seeds())
@pytest.mark.parametrize("kind", ["lstm", "rnn_tanh"])
def test_sequence_backward_passes_gradcheck(kind, data, seed):
    p = data.draw(recurrent_problems(kind))
    out, cache = _ours_forward(kind, p)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = rnn.lstm_backward(dout, cache) if kind == "lstm" else rnn.rnn_backward(dout, cache)
    names = ["x", "h0", "c0"][:len(grads) - 4] + ["W_ih", "W_hh", "b_ih", "b_hh"]
    for name, analytic in zip(names, grads):
        if p[name] is None:
            continue

        def f(value, name=name):
            return _ours_forward(kind, {**p, name: value})[0]

        check_gradient(f, p[name].copy(), analytic, dout=dout).assert_passed()


@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward_leave_inputs_unchanged(kind):
    p = _fixed_problem(kind)
    keys = ["x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"]
    before = snapshot(*(p[k] for k in keys))
    out, cache = _ours_forward(kind, p)
    dout = np.ones_like(out)
    grads = rnn.lstm_backward(dout, cache) if kind == "lstm" else rnn.rnn_backward(dout, cache)
    for g in grads:
        if g is not None:
            g += 1.0  # editing a returned gradient must not reach the inputs either
    assert_unchanged(before, [p[k] for k in keys], keys)
    assert_unchanged([np.ones_like(out)], [dout], ["dout"])


def _fixed_problem(kind):
    rng = np.random.default_rng(7)
    g = 4 if kind == "lstm" else 1
    return {"x": rng.standard_normal((4, 2, 3)), "h0": rng.standard_normal((2, 5)),
            "c0": rng.standard_normal((2, 5)) if kind == "lstm" else None,
            "W_ih": rng.standard_normal((g * 5, 3)), "W_hh": rng.standard_normal((g * 5, 5)),
            "b_ih": rng.standard_normal(g * 5), "b_hh": rng.standard_normal(g * 5),
            "nonlinearity": kind[4:] if kind != "lstm" else None}


def test_lstm_gate_order_is_torchs():
    # Only the forget-gate block of b_ih is large: c = f*c0 + i*g keeps c0 when f ~ 1 and i ~ 0.
    h = 3
    b = np.zeros(4 * h)
    b[:h] = -30  # input gate closed
    b[h:2 * h] = 30  # forget gate open
    c0 = np.array([[0.5, -1.0, 2.0]])
    _, c, _ = rnn.lstm_step_forward(np.ones((1, 2)), np.zeros((1, h)), c0, np.zeros((4 * h, 2)),
                                    np.zeros((4 * h, h)), b)
    np.testing.assert_allclose(c, c0, atol=1e-12)


# --------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------


@SOME
@given(data=st.data(), norm_type=st.sampled_from([1.0, 2.0, np.inf]), max_norm=st.sampled_from([0.1, 1.0, 100.0]))
def test_clip_grad_norm_matches_torch(data, norm_type, max_norm):
    grads = [data.draw(arrays(shape)) for shape in [(3, 2), (4,), (1, 2, 2)]]
    before = snapshot(*grads)
    clipped, total = rnn.clip_grad_norm(grads, max_norm, norm_type)
    params = [torch.nn.Parameter(t(g)) for g in grads]
    for param, g in zip(params, grads):
        param.grad = t(g)
    total_t = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    assert abs(total - float(total_t)) <= 1e-12 * max(1.0, total)
    for ours, param in zip(clipped, params):
        assert_parity(ours, param.grad, "clipped gradient")
    assert_unchanged(before, grads, ["g0", "g1", "g2"])


@pytest.mark.parametrize("norm_type", [1.0, 2.0, np.inf])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e9])
def test_clip_grad_norm_shows_a_non_finite_gradient_as_torch_does(norm_type, bad, max_norm):
    """One NaN or infinite entry: the same total and clipped gradients as torch (NaN everywhere for a NaN).

    A large ``max_norm`` is the case the issue found: ``min(1.0, nan)`` is 1.0, which returned the
    other gradients unscaled and hid a diverging run.
    """
    grads = [np.array([[0.3, -1.2], [2.0, 0.5]]), np.array([1.0, bad, -0.25]), np.array([4.0])]
    clipped, total = rnn.clip_grad_norm(grads, max_norm, norm_type)
    params = [torch.nn.Parameter(t(g)) for g in grads]
    for param, g in zip(params, grads):
        param.grad = t(g)
    total_t = float(torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type))
    np.testing.assert_equal(total, total_t)
    for ours, param in zip(clipped, params):
        np.testing.assert_array_equal(ours, param.grad.numpy())   # NaN where torch has NaN, equal elsewhere
    if np.isnan(bad):
        assert np.isnan(total) and all(np.isnan(g).all() for g in clipped)
    assert np.isfinite(grads[0]).all() and np.isnan(grads[1][1]) == np.isnan(bad)   # inputs untouched


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

_Z = np.zeros


@pytest.mark.parametrize("call, error, message", [
    (lambda: rnn.lstm_forward(_Z((2, 3)), None, None, _Z((8, 3)), _Z((8, 2))), ValueError,
     r"x must have 3 dimensions, got shape \(2, 3\)"),
    (lambda: rnn.lstm_forward(_Z((5, 2, 4)), None, None, _Z((8, 3)), _Z((8, 2))), ValueError,
     r"input features.*expected 3, got 4"),
    (lambda: rnn.lstm_forward(_Z((5, 2, 3)), None, None, _Z((8, 3)), _Z((6, 2))), ValueError,
     r"W_hh must have shape \(4\*H, H\) with blocks i, f, g, o.*got \(6, 2\)"),
    (lambda: rnn.lstm_forward(_Z((5, 2, 3)), _Z((3, 2)), None, _Z((8, 3)), _Z((8, 2))), ValueError,
     r"h0 must have shape \(2, 2\)"),
    (lambda: rnn.rnn_forward(_Z((5, 2, 3)), None, _Z((2, 3)), _Z((2, 2)), _Z(3)), ValueError,
     r"b_ih must have shape \(2,\)"),
    (lambda: rnn.rnn_forward(_Z((5, 2, 3)), None, _Z((2, 3)), _Z((2, 2)), nonlinearity="sigmoid"), ValueError,
     r"nonlinearity must be one of 'tanh', 'relu'; got 'sigmoid'"),
    (lambda: rnn.rnn_forward(_Z((5, 2, 3), dtype=int), None, _Z((2, 3)), _Z((2, 2))), TypeError,
     r"x must have dtype float32 or float64"),
    (lambda: rnn.rnn_backward(_Z((5, 2, 3)), rnn.rnn_forward(_Z((5, 2, 3)), None, _Z((2, 3)), _Z((2, 2)))[1]),
     ValueError, r"dout must have shape \(5, 2, 2\)"),
    (lambda: rnn.lstm_backward(_Z((5, 2, 2)), rnn.rnn_forward(_Z((5, 2, 3)), None, _Z((2, 3)), _Z((2, 2)))[1]),
     TypeError, r"cache must be the LSTMCache returned by lstm_forward, got RNNCache"),
    (lambda: rnn.clip_grad_norm(_Z(3), 1.0), TypeError, r"grads must be a list of arrays, got ndarray"),
    (lambda: rnn.clip_grad_norm([_Z(3)], -1.0), ValueError, r"max_norm must be in \[0"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
