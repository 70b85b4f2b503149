"""dlkit.reference.conv against torch.nn.functional: conv2d (naive and fast), im2col/col2im, pooling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dlkit.gradcheck import check_gradient, relative_error
from dlkit import reference as ref
from dlkit.reference import conv
from tests.reference.helpers import assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import FEW, SOME, arrays, float_dtypes, seeds, sides, sums_tol


_tol = sums_tol

# --------------------------------------------------------------------------
# Strategies: small conv and pooling problems
# --------------------------------------------------------------------------


@st.composite
def conv_problems(draw, dtype=np.float64, max_side: int = 7):
    """``(x, w, b, stride, padding)`` with a kernel that fits the padded input."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    n, c, f = draw(sides(1, 3)), draw(sides(1, 3)), draw(sides(1, 4))
    kh, kw = draw(sides(1, 3)), draw(sides(1, 3))
    ph, pw = draw(sides(0, 2)), draw(sides(0, 2))
    h = draw(sides(max(1, kh - 2 * ph), max_side))
    w_ = draw(sides(max(1, kw - 2 * pw), max_side))
    stride = draw(st.one_of(sides(1, 3), st.tuples(sides(1, 3), sides(1, 3))))
    padding = (ph, pw) if draw(st.booleans()) or ph != pw else ph
    x = draw(arrays((n, c, h, w_), dtype))
    w = draw(arrays((f, c, kh, kw), dtype))
    b = draw(arrays((f,), dtype)) if draw(st.booleans()) else None
    return x, w, b, stride, padding


@st.composite
def pool_problems(draw, dtype=np.float64):
    """``(x, kernel_size, stride, padding)`` valid for torch's pooling (padding <= kernel // 2)."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    kh, kw = draw(sides(1, 3)), draw(sides(1, 3))
    ph, pw = draw(sides(0, kh // 2)), draw(sides(0, kw // 2))
    shape = (draw(sides(1, 3)), draw(sides(1, 3)), draw(sides(max(1, kh - 2 * ph), 7)),
             draw(sides(max(1, kw - 2 * pw), 7)))
    stride = draw(st.one_of(st.none(), sides(1, 3), st.tuples(sides(1, 3), sides(1, 3))))
    return draw(arrays(shape, dtype)), (kh, kw), stride, (ph, pw)


def _torch_conv(x, w, b, stride, padding, dout):
    xt, wt, bt = t(x, True), t(w, True), t(b, b is not None)
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(t(dout))
    return out, xt.grad, wt.grad, None if b is None else bt.grad


# --------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------


@SOME
@given(problem=conv_problems(dtype=float_dtypes()), seed=seeds())
def test_conv2d_fast_matches_torch_forward_and_every_gradient(problem, seed):
    x, w, b, stride, padding = problem
    out, cache = conv.conv2d_forward(x, w, b, stride, padding)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(x.dtype)
    out_t, dx_t, dw_t, db_t = _torch_conv(x, w, b, stride, padding, dout)
    dx, dw, db = conv.conv2d_backward(dout, cache)
    assert_parity(out, out_t, "out", tol=_tol(x.dtype))
    assert_parity(dx, dx_t, "dx", tol=_tol(x.dtype))
    assert_parity(dw, dw_t, "dw", tol=_tol(x.dtype))
    if b is None:
        assert db is None
    else:
        assert_parity(db, db_t, "db", tol=_tol(x.dtype))


@FEW
@given(problem=conv_problems(dtype=float_dtypes(), max_side=5), seed=seeds())
def test_conv2d_naive_matches_torch_and_the_fast_path(problem, seed):
    x, w, b, stride, padding = problem
    out, cache = conv.conv2d_forward_naive(x, w, b, stride, padding)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(x.dtype)
    out_t, dx_t, dw_t, _ = _torch_conv(x, w, b, stride, padding, dout)
    grads = conv.conv2d_backward_naive(dout, cache)
    assert_parity(out, out_t, "naive out", tol=_tol(x.dtype))
    assert_parity(grads[0], dx_t, "naive dx", tol=_tol(x.dtype))
    assert_parity(grads[1], dw_t, "naive dw", tol=_tol(x.dtype))
    fast_out, fast_cache = conv.conv2d_forward(x, w, b, stride, padding)
    assert_parity(out, fast_out, "naive vs fast out", tol=_tol(x.dtype))
    for name, slow, fast in zip(("dx", "dw", "db"), grads, conv.conv2d_backward(dout, fast_cache)):
        if slow is None:
            assert fast is None
        else:
            assert_parity(slow, fast, f"naive vs fast {name}", tol=_tol(x.dtype))


@FEW
@given(problem=conv_problems(max_side=5), seed=seeds())
def test_conv2d_backward_passes_gradcheck(problem, seed):
    x, w, b, stride, padding = problem
    out, cache = conv.conv2d_forward(x, w, b, stride, padding)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx, dw, db = conv.conv2d_backward(dout, cache)
    check_gradient(lambda x_: conv.conv2d_forward(x_, w, b, stride, padding)[0], x.copy(), dx, dout=dout).assert_passed()
    check_gradient(lambda w_: conv.conv2d_forward(x, w_, b, stride, padding)[0], w.copy(), dw, dout=dout).assert_passed()
    if b is not None:
        check_gradient(lambda b_: conv.conv2d_forward(x, w, b_, stride, padding)[0], b.copy(), db,
                       dout=dout).assert_passed()


@pytest.mark.parametrize("forward, backward", [(conv.conv2d_forward, conv.conv2d_backward),
                                               (conv.conv2d_forward_naive, conv.conv2d_backward_naive)])
def test_conv2d_leaves_its_inputs_unchanged(forward, backward):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    before = snapshot(x, w, b)
    out, cache = forward(x, w, b, 2, 1)
    dout = rng.standard_normal(out.shape)
    dout_before = snapshot(dout)
    dx, dw, db = backward(dout, cache)
    assert_unchanged(before, [x, w, b], ["x", "w", "b"])
    assert_unchanged(dout_before, [dout], ["dout"])
    dx += 1  # writing to a returned gradient must not reach the caller's arrays either
    assert_unchanged(before, [x, w, b], ["x", "w", "b"])


def test_conv2d_keeps_float32_and_promotes_mixed_dtypes():
    x32, w32 = np.ones((1, 2, 4, 4), np.float32), np.ones((3, 2, 3, 3), np.float32)
    out, cache = conv.conv2d_forward(x32, w32)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv.conv2d_backward(np.ones_like(out), cache)[:2])
    assert conv.conv2d_forward(x32, w32.astype(np.float64))[0].dtype == np.float64


@pytest.mark.parametrize("size, kernel, stride, padding", [(32, 3, 1, 1), (28, 5, 2, 0), (7, 7, 3, 2), (5, 2, 2, 0)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding):
    x = torch.zeros(1, 1, size, size)
    expected = F.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride, padding=padding).shape[-1]
    assert conv.conv_output_size(size, kernel, stride, padding) == expected
    assert conv.conv2d_output_shape((2, 1, size, size + 1), (4, 1, kernel, kernel), stride, padding) == (
        2, 4, expected, conv.conv_output_size(size + 1, kernel, stride, padding))


# --------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------


@SOME
@given(problem=conv_problems(dtype=float_dtypes()))
def test_im2col_matches_torch_unfold_and_col2im_matches_fold(problem):
    x, w, _, stride, padding = problem
    kernel = w.shape[2:]
    cols = conv.im2col(x, kernel, stride, padding)
    expected = F.unfold(t(x), kernel, padding=padding, stride=stride)
    assert_parity(cols, expected, "im2col")
    back = conv.col2im(cols, x.shape, kernel, stride, padding)
    assert_parity(back, F.fold(expected, x.shape[2:], kernel, padding=padding, stride=stride), "col2im")


@FEW
@given(problem=conv_problems(), seed=seeds())
def test_col2im_is_the_adjoint_of_im2col(problem, seed):
    # <im2col(x), y> == <x, col2im(y)>: col2im is exactly the backward of im2col.
    x, w, _, stride, padding = problem
    cols = conv.im2col(x, w.shape[2:], stride, padding)
    y = np.random.default_rng(seed).standard_normal(cols.shape)
    lhs = np.sum(cols * y)
    rhs = np.sum(x * conv.col2im(y, x.shape, w.shape[2:], stride, padding))
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))


def test_im2col_small_example_by_hand():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = conv.im2col(x, 2)
    # columns are the four 2x2 windows, read row by row
    np.testing.assert_array_equal(cols[0].T, [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------


@SOME
@given(problem=pool_problems(dtype=float_dtypes()), seed=seeds())
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch_forward_and_backward(kind, problem, seed):
    x, kernel, stride, padding = problem
    forward = conv.max_pool2d_forward if kind == "max" else conv.avg_pool2d_forward
    backward = conv.max_pool2d_backward if kind == "max" else conv.avg_pool2d_backward
    torch_pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out, cache = forward(x, kernel, stride, padding)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(x.dtype)
    xt = t(x, True)
    out_t = torch_pool(xt, kernel, stride, padding)
    out_t.backward(t(dout))
    assert_parity(out, out_t, f"{kind} pool out")
    assert_parity(backward(dout, cache), xt.grad, f"{kind} pool dx")


@FEW
@given(problem=pool_problems(), seed=seeds())
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_backward_passes_gradcheck(kind, problem, seed):
    x, kernel, stride, padding = problem
    forward = conv.max_pool2d_forward if kind == "max" else conv.avg_pool2d_forward
    backward = conv.max_pool2d_backward if kind == "max" else conv.avg_pool2d_backward
    out, cache = forward(x, kernel, stride, padding)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    # standard normals: the top two entries of a window are far apart compared with h = 1e-6
    check_gradient(lambda x_: forward(x_, kernel, stride, padding)[0], x.copy(), backward(dout, cache),
                   dout=dout).assert_passed()


def test_max_pool_sends_ties_to_the_first_entry_like_torch():
    x = np.zeros((1, 1, 2, 2))
    out, cache = conv.max_pool2d_forward(x, 2)
    dx = conv.max_pool2d_backward(np.ones_like(out), cache)
    xt = t(x, True)
    F.max_pool2d(xt, 2).backward(torch.ones(1, 1, 1, 1, dtype=torch.float64))
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    np.testing.assert_array_equal(dx[0, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool_routes_an_all_minus_inf_window_to_a_real_entry_like_torch(stride):
    # windows next to the padding whose real entries are all -inf tie with the padding; torch picks a real entry
    x = np.array([[[[-np.inf, 1.0, 2.0], [-np.inf, 0.0, np.nan], [0.0, -np.inf, -np.inf]]]])
    x = np.concatenate([x, np.full_like(x, -np.inf)], axis=1)       # a second channel entirely -inf
    out, cache = conv.max_pool2d_forward(x, 2, stride=stride, padding=1)
    dout = np.arange(1.0, out.size + 1).reshape(out.shape)
    dx = conv.max_pool2d_backward(dout, cache)
    xt = t(x, True)
    out_t = F.max_pool2d(xt, 2, stride=stride, padding=1)
    out_t.backward(t(dout))
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert dx.sum() == dout.sum()                                    # no gradient is lost in the padding


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_leaves_its_inputs_unchanged(kind):
    forward = conv.max_pool2d_forward if kind == "max" else conv.avg_pool2d_forward
    backward = conv.max_pool2d_backward if kind == "max" else conv.avg_pool2d_backward
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 6))
    before = snapshot(x)
    out, cache = forward(x, 3, 2, 1)
    dout = np.ones_like(out)
    backward(dout, cache)
    assert_unchanged(before, [x], ["x"])
    assert_unchanged([np.ones_like(out)], [dout], ["dout"])


# --------------------------------------------------------------------------
# Bad input: the message says what came in and what was expected
# --------------------------------------------------------------------------

X, W = np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv.conv2d_forward(np.ones((3, 5, 5)), W), ValueError, r"x must have 4 dimensions, got shape \(3, 5, 5\)"),
    (lambda: conv.conv2d_forward(X, np.ones((4, 2, 3, 3))), ValueError, r"channels.*expected 3, got 2"),
    (lambda: conv.conv2d_forward(X.astype(int), W), TypeError, r"x must have dtype float32 or float64, got int"),
    (lambda: conv.conv2d_forward(torch.ones(2, 3, 5, 5), W), TypeError, r"numpy array, got Tensor.*numpy\(\)"),
    (lambda: conv.conv2d_forward(X, W, np.ones(3)), ValueError, r"one entry per filter.*F = 4"),
    (lambda: conv.conv2d_forward(X, np.ones((4, 3, 9, 9))), ValueError, r"kernel \(9\) is larger than the padded"),
    (lambda: conv.conv2d_forward(X, W, stride=0), ValueError, r"stride must be at least 1, got 0"),
    (lambda: conv.conv2d_forward(X, W, padding=(1, 2, 3)), ValueError, r"padding must be an int or a pair"),
    (lambda: conv.conv2d_forward(X, W, stride=1.5), TypeError, r"stride must be an integer, got float"),
    (lambda: conv.conv2d_backward(np.ones((2, 4, 3, 3)), conv.conv2d_forward(X, W, padding=1)[1]), ValueError,
     r"dout must have shape \(2, 4, 5, 5\) \(the shape of the forward output\), got \(2, 4, 3, 3\)"),
    (lambda: conv.conv2d_backward(np.ones((2, 4, 3, 3)), (X, W)), TypeError, r"cache must be the Conv2dCache"),
    (lambda: conv.max_pool2d_forward(X, 2, padding=2), ValueError, r"padding \(2, 2\) must be at most half"),
    (lambda: conv.avg_pool2d_backward(np.ones((2, 3, 2, 2)), conv.max_pool2d_forward(X, 2)[1]), TypeError,
     r"came from max_pool2d_forward"),
    (lambda: conv.col2im(np.ones((2, 26, 9)), X.shape, 3), ValueError, r"cols must have shape \(2, 27, 9\)"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_relative_error_helper_sees_a_wrong_conv():
    # guards the parity tests themselves: a transposed kernel must be caught
    x, w = np.random.default_rng(2).standard_normal((1, 2, 5, 5)), np.random.default_rng(3).standard_normal((3, 2, 3, 3))
    wrong = conv.conv2d_forward(x, w.transpose(0, 1, 3, 2))[0]
    assert relative_error(wrong, F.conv2d(t(x), t(w)).numpy()) > 1e-2


# --------------------------------------------------------------------------
# torch options the references do not implement: a clear error, never a silent different answer
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: conv.conv2d_forward(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), dilation=2),
     r"conv2d: dilation=2 is not supported by dlkit.reference \(only dilation=1"),
    (lambda: conv.conv2d_forward_naive(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), dilation=(1, 2)),
     r"dilation=\(1, 2\) is not supported"),
    (lambda: conv.max_pool2d_forward(np.ones((1, 1, 5, 5)), 2, ceil_mode=True),
     r"max_pool2d: ceil_mode=True is not supported.*Use torch.nn.functional"),
    (lambda: conv.max_pool2d_forward(np.ones((1, 1, 5, 5)), 2, dilation=2), r"max_pool2d: dilation=2"),
    (lambda: conv.avg_pool2d_forward(np.ones((1, 1, 5, 5)), 2, padding=1, count_include_pad=False),
     r"avg_pool2d: count_include_pad=False is not supported"),
    (lambda: conv.avg_pool2d_forward(np.ones((1, 1, 5, 5)), 2, ceil_mode=True), r"avg_pool2d: ceil_mode=True"),
    (lambda: ref.Conv2d(1, 2, 3, dilation=2), r"Conv2d: dilation=2 is not supported"),
    (lambda: ref.MaxPool2d(2, ceil_mode=True), r"ceil_mode=True is not supported"),
    (lambda: ref.AvgPool2d(2, count_include_pad=False), r"count_include_pad=False is not supported"),
])
def test_unsupported_torch_options_raise_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_default_options_spelled_out_give_torchs_numbers():
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    w = np.random.default_rng(1).normal(size=(4, 3, 3, 3))
    out = conv.conv2d_forward(x, w, None, 2, 1, dilation=1)[0]
    np.testing.assert_allclose(out, F.conv2d(torch.tensor(x), torch.tensor(w), None, 2, 1, dilation=1).numpy(),
                               rtol=1e-10, atol=1e-12)
    xt = torch.tensor(x)
    np.testing.assert_array_equal(conv.max_pool2d_forward(x, 3, 2, 1, dilation=1, ceil_mode=False)[0],
                                  F.max_pool2d(xt, 3, 2, 1, dilation=1, ceil_mode=False).numpy())
    np.testing.assert_allclose(conv.avg_pool2d_forward(x, 3, 2, 1, ceil_mode=False, count_include_pad=True)[0],
                               F.avg_pool2d(xt, 3, 2, 1, ceil_mode=False, count_include_pad=True).numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ref.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=False).forward(x),
                                  conv.max_pool2d_forward(x, 3, 2, 1)[0])
