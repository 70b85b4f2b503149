"""Functional dense layers (linear, dropout, batch norm, embedding) and losses vs torch."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import dlkit.gradcheck
import dlkit.reference as R
import dlkit.reference.activations
import dlkit.reference.layers
import dlkit.reference.losses
from dlkit.gradcheck import check_gradient
from tests.reference.helpers import assert_batchnorm_dx_parity, assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import (
    FEW,
    SOME,
    arrays,
    classification_batches,
    float_dtypes,
    linear_problems,
    seeds,
    shapes,
    sides,
)

# ---------------------------------------------------------------- linear


@SOME
@given(problem=linear_problems(dtype=float_dtypes()), data=st.data())
def test_linear_matches_torch(problem, data):
    x, W, b = problem
    before = snapshot(x, W, b)
    out, cache = R.linear_forward(x, W, b)
    dout = data.draw(arrays(out.shape, out.dtype))
    dx, dW, db = R.linear_backward(dout, cache)
    assert_unchanged(before, [x, W, b], ["x", "W", "b"])

    xt, Wt, bt = t(x, True), t(W, True), t(b, b is not None)
    yt = F.linear(xt, Wt, bt)
    yt.backward(t(dout))
    assert_parity(out, yt, "linear out")
    assert_parity(dx, xt.grad, "linear dx")
    assert_parity(dW, Wt.grad, "linear dW")
    if b is None:
        assert db is None
    else:
        assert_parity(db, bt.grad, "linear db")


@FEW
@given(problem=linear_problems(bias=True), data=st.data())
def test_linear_gradcheck(problem, data):
    x, W, b = problem
    dout = data.draw(arrays(x.shape[:-1] + (W.shape[0],)))
    dx, dW, db = R.linear_backward(dout, R.linear_forward(x, W, b)[1])
    check_gradient(lambda v: R.linear_forward(v, W, b)[0], x, dx, dout=dout).assert_passed()
    check_gradient(lambda v: R.linear_forward(x, v, b)[0], W, dW, dout=dout).assert_passed()
    check_gradient(lambda v: R.linear_forward(x, W, v)[0], b, db, dout=dout).assert_passed()


# ---------------------------------------------------------------- dropout


@FEW
@given(x=arrays(shapes(min_dims=1, max_dims=3), away_from=0.1), p=st.sampled_from([0.0, 0.2, 0.5, 1.0]), seed=seeds())
def test_dropout_mask_scaling_and_backward(x, p, seed):
    before = snapshot(x)
    out, cache = R.dropout_forward(x, p, rng=seed)
    again, _ = R.dropout_forward(x, p, rng=np.random.default_rng(seed))
    assert np.array_equal(out, again), "same seed, same mask"
    kept = out != 0
    if p < 1:
        assert np.allclose(out[kept], x[kept] / (1 - p), rtol=1e-12)
    else:
        assert not kept.any()
    dout = np.ones_like(x)
    dx = R.dropout_backward(dout, cache)
    assert np.array_equal(dx != 0, kept) and np.array_equal(dx * x, out)
    assert_unchanged(before, [x], ["x"])
    # eval mode is the identity and returns a new array
    out_eval, cache_eval = R.dropout_forward(x, p, train=False)
    assert np.array_equal(out_eval, x) and out_eval is not x
    assert np.array_equal(R.dropout_backward(dout, cache_eval), dout)


def test_dropout_keeps_about_one_minus_p_and_the_mean():
    x = np.ones(200_000, dtype=np.float32)
    out, _ = R.dropout_forward(x, 0.3, rng=0)
    assert out.dtype == np.float32
    assert abs((out != 0).mean() - 0.7) < 0.005  # 5 standard deviations of a Bernoulli mean
    assert abs(out.mean() - 1.0) < 0.01  # inverted dropout keeps the expectation


def test_dropout_matches_torch_semantics_in_distribution():
    # torch's mask is a different random stream; compare what it must agree on.
    x = np.full((1000,), 2.0)
    ours, _ = R.dropout_forward(x, 0.25, rng=1)
    theirs = F.dropout(t(x), 0.25, training=True).numpy()
    assert set(np.unique(ours)) <= {0.0, 2.0 / 0.75} and set(np.unique(theirs)) <= {0.0, 2.0 / 0.75}


# ---------------------------------------------------------------- batch norm


@st.composite
def batchnorm_problems(draw, dtype=np.float64):
    dtype = np.dtype(draw(dtype) if isinstance(dtype, st.SearchStrategy) else dtype)
    # N >= 3: with 2 values per channel the true dx is ~eps/var and pure rounding noise
    n, c = draw(sides(3, 5)), draw(sides(1, 4))
    spatial = draw(st.sampled_from([(), (3,), (2, 3)]))
    x = draw(arrays((n, c) + spatial, dtype, scale=2.0)) + dtype.type(1.5)
    gamma = draw(arrays((c,), dtype))
    beta = draw(arrays((c,), dtype))
    running_mean = draw(arrays((c,), dtype))
    running_var = np.abs(draw(arrays((c,), dtype))) + dtype.type(0.5)
    return x, gamma, beta, running_mean, running_var


@pytest.mark.parametrize("train", [True, False])
@SOME
@given(problem=batchnorm_problems(dtype=float_dtypes()), data=st.data(), momentum=st.sampled_from([0.1, 0.5]))
def test_batchnorm_matches_torch(train, problem, data, momentum):
    x, gamma, beta, rm, rv = problem
    before = snapshot(*problem)
    out, cache = R.batchnorm_forward(x, gamma, beta, rm, rv, train=train, momentum=momentum, eps=1e-5)
    dout = data.draw(arrays(x.shape, x.dtype, salt=1))
    dx, dgamma, dbeta = R.batchnorm_backward(dout, cache)
    assert_unchanged(before, [x, gamma, beta, rm, rv], ["x", "gamma", "beta", "running_mean", "running_var"])

    xt, gt, bt, rmt, rvt = t(x, True), t(gamma, True), t(beta, True), t(rm), t(rv)
    yt = F.batch_norm(xt, rmt, rvt, gt, bt, training=train, momentum=momentum, eps=1e-5)
    yt.backward(t(dout))
    assert_parity(out, yt, "batchnorm out")
    assert_batchnorm_dx_parity(dx, xt.grad, dout, gamma, cache.inv_std)
    assert_parity(dgamma, gt.grad, "batchnorm dgamma")
    assert_parity(dbeta, bt.grad, "batchnorm dbeta")
    assert_parity(cache.running_mean, rmt, "running_mean")  # torch updates its copies in place
    assert_parity(cache.running_var, rvt, "running_var")


@pytest.mark.parametrize("train", [True, False])
@FEW
@given(problem=batchnorm_problems(), data=st.data())
def test_batchnorm_gradcheck(train, problem, data):
    x, gamma, beta, rm, rv = problem
    dout = data.draw(arrays(x.shape, salt=1))

    def fwd(x=x, gamma=gamma, beta=beta):
        return R.batchnorm_forward(x, gamma, beta, rm, rv, train=train)[0]

    dx, dgamma, dbeta = R.batchnorm_backward(dout, R.batchnorm_forward(x, gamma, beta, rm, rv, train=train)[1])
    check_gradient(lambda v: fwd(x=v), x, dx, dout=dout).assert_passed()
    check_gradient(lambda v: fwd(gamma=v), gamma, dgamma, dout=dout).assert_passed()
    check_gradient(lambda v: fwd(beta=v), beta, dbeta, dout=dout).assert_passed()


# ---------------------------------------------------------------- embedding


@FEW
@given(dtype=float_dtypes(), data=st.data())
def test_embedding_matches_torch(dtype, data):
    num, dim = data.draw(sides(1, 6)), data.draw(sides(1, 4))
    W = data.draw(arrays((num, dim), dtype))
    idx_shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=6))
    indices = np.random.default_rng(data.draw(seeds())).integers(0, num, size=idx_shape)  # repeats likely
    before = snapshot(W, indices)
    out, cache = R.embedding_forward(indices, W)
    dout = data.draw(arrays(out.shape, dtype))
    dW = R.embedding_backward(dout, cache)
    assert_unchanged(before, [W, indices], ["W", "indices"])
    Wt = t(W, True)
    yt = F.embedding(torch.tensor(indices), Wt)
    yt.backward(t(dout))
    assert_parity(out, yt, "embedding out")
    assert_parity(dW, Wt.grad, "embedding dW")
    if dtype == np.float64:
        check_gradient(lambda v: R.embedding_forward(indices, v)[0], W.copy(), dW, dout=dout).assert_passed()


# ---------------------------------------------------------------- losses


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@FEW
@given(dtype=float_dtypes(), data=st.data())
def test_regression_losses_match_torch(reduction, dtype, data):
    shape = data.draw(shapes(max_dims=3))
    pred = data.draw(arrays(shape, dtype, scale=3.0))
    target = data.draw(arrays(shape, dtype))
    probs = R.sigmoid(data.draw(arrays(shape, dtype, scale=3.0)))
    cases = [
        (R.mse_loss, F.mse_loss, target),
        (R.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, probs),
    ]
    for ours, theirs, tgt in cases:
        before = snapshot(pred, tgt)
        loss, grad = ours(pred, tgt, reduction=reduction)
        assert_unchanged(before, [pred, tgt], ["pred", "target"])
        pt = t(pred, True)
        lt = theirs(pt, t(tgt), reduction=reduction)
        lt.backward()
        assert_parity(np.asarray(loss), lt, f"{ours.__name__} loss")
        # The gradient is exactly 0 where the prediction equals the target, so
        # measure it against its natural scale (1/N for a mean) rather than itself.
        natural = 1.0 / max(pred.size, 1) if reduction == "mean" else 1.0
        assert_parity(grad, pt.grad, f"{ours.__name__} grad", floor=natural)
        if dtype == np.float64:
            check_gradient(lambda v: ours(v, tgt, reduction=reduction)[0], pred.copy(), grad).assert_passed()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@SOME
@given(batch=classification_batches(dtype=float_dtypes()))
def test_cross_entropy_matches_torch(reduction, batch):
    logits, labels = batch
    before = snapshot(logits, labels)
    loss, dlogits = R.cross_entropy(logits, labels, reduction=reduction)
    assert_unchanged(before, [logits, labels], ["logits", "labels"])
    zt = t(logits, True)
    lt = F.cross_entropy(zt, torch.tensor(labels), reduction=reduction)
    lt.backward()
    assert_parity(np.asarray(loss), lt, "cross_entropy loss")
    assert_parity(dlogits, zt.grad, "cross_entropy grad")
    if logits.dtype == np.float64:
        check_gradient(lambda v: R.cross_entropy(v, labels, reduction)[0], logits.copy(), dlogits).assert_passed()


def test_losses_are_stable_for_large_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, _ = R.cross_entropy(np.array([[1e3, -1e3]]), np.array([1]))
        assert float(loss) == pytest.approx(2e3)
        loss, _ = R.binary_cross_entropy_with_logits(np.array([-1e3, 1e3]), np.array([1.0, 0.0]))
        assert float(loss) == pytest.approx(1e3)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: R.linear_forward(np.ones((2, 3)), np.ones((3, 4))), ValueError, "in_features.*\\(3, 4\\).*try W.T"),
        (lambda: R.linear_forward(np.ones((2, 3)), np.ones(3)), ValueError, "W must have 2 dimensions, got shape \\(3,\\)"),
        (lambda: R.linear_forward(np.ones(()), np.ones((2, 1))), ValueError, "x must have at least 1 dimensions"),
        (lambda: R.linear_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(3)), ValueError, "one entry per row of W"),
        (lambda: R.linear_forward(np.ones((2, 3), np.int32), np.ones((4, 3))), TypeError, "x must have dtype float32 or float64, got int32"),
        (lambda: R.linear_forward("x", np.ones((4, 3))), TypeError, "x must be a numpy array, got str"),
        (lambda: R.linear_backward(np.ones((2, 3)), R.linear_forward(np.ones((2, 3)), np.ones((4, 3)))[1]),
         ValueError, "dout must have shape \\(2, 4\\)"),
        (lambda: R.dropout_forward(np.ones(3), 1.5), ValueError, "p must be in \\[0.0, 1.0\\], got 1.5"),
        (lambda: R.dropout_forward(np.ones(3), 0.5, rng="seed"), TypeError, "np.random.Generator.*default_rng"),
        (lambda: R.batchnorm_forward(np.ones(3), np.ones(3), np.ones(3)), ValueError, "at least 2 dimensions \\(N, C, \\*\\)"),
        (lambda: R.batchnorm_forward(np.ones((2, 3)), np.ones(2), np.ones(3)), ValueError, "gamma must have shape \\(3,\\)"),
        (lambda: R.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3)), ValueError, "more than one value per channel"),
        (lambda: R.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), train=False), ValueError, "needs running_mean"),
        (lambda: R.embedding_forward(np.array([0, 3]), np.ones((3, 2))), ValueError, "indices in \\[0, 3\\)"),
        (lambda: R.embedding_forward(np.array([0.0]), np.ones((3, 2))), TypeError, "integer class indices"),
        (lambda: R.mse_loss(np.ones(3), np.ones(2)), ValueError, "pred and target must have the same shape"),
        (lambda: R.mse_loss(np.ones(3), np.ones(3), reduction="avg"), ValueError, "reduction must be one of 'mean', 'sum'"),
        (lambda: R.binary_cross_entropy_with_logits(np.ones(2), np.array([0.0, 2.0])), ValueError, "probabilities in \\[0, 1\\]"),
        (lambda: R.cross_entropy(np.ones((2, 3)), np.array([0, 3])), ValueError, "indices in \\[0, 3\\)"),
        (lambda: R.cross_entropy(np.ones((2, 3)), np.array([0])), ValueError, "one label per row"),
        (lambda: R.cross_entropy(np.ones(3), np.array([0])), ValueError, "logits must have 2 dimensions"),
        (lambda: R.cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])), TypeError, "integer class indices"),
    ],
)
def test_layer_and_loss_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
