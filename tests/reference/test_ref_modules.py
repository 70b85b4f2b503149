"""Layer objects and Sequential vs torch.nn, init, modes, repr, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import dlkit.reference as R
from tests.reference.helpers import assert_batchnorm_dx_parity, assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import FEW, arrays, float_dtypes, seeds, sides


def copy_into_torch(ours: R.Module, theirs: torch.nn.Module) -> None:
    """Give the torch module our parameters (torch's names are ours)."""
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(ours.params[name]))


def build_pair(kind: str, d: int, dtype, rng: np.random.Generator):
    if kind == "linear":
        return R.Linear(d, 3, rng=rng, dtype=dtype), torch.nn.Linear(d, 3)
    if kind == "batchnorm":
        ours = R.BatchNorm1d(d, momentum=0.3, dtype=dtype)
        ours.params["weight"] = rng.standard_normal(d).astype(dtype)
        ours.params["bias"] = rng.standard_normal(d).astype(dtype)
        return ours, torch.nn.BatchNorm1d(d, momentum=0.3)
    if kind == "leaky_relu":
        return R.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)
    return {"relu": (R.ReLU(), torch.nn.ReLU()), "sigmoid": (R.Sigmoid(), torch.nn.Sigmoid()),
            "tanh": (R.Tanh(), torch.nn.Tanh())}[kind]


@pytest.mark.parametrize("kind", ["linear", "batchnorm", "relu", "sigmoid", "tanh", "leaky_relu"])
@FEW
@given(dtype=float_dtypes(), seed=seeds(), n=sides(2, 6), d=sides(1, 5), data=st.data())
def test_layer_object_matches_torch_in_train_and_eval(kind, dtype, seed, n, d, data):
    rng = np.random.default_rng(seed)
    ours, theirs = build_pair(kind, d, dtype, rng)
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_into_torch(ours, theirs)
    for training in (True, False, True):
        ours.train(training)
        theirs.train(training)
        x = data.draw(arrays((n, d), dtype, scale=2.0, away_from=1e-3))
        dout = data.draw(arrays(x.shape[:-1] + ((3,) if kind == "linear" else (d,)), dtype, salt=1))
        before = snapshot(x, dout)
        out = ours.forward(x)
        dx = ours.backward(dout)
        assert_unchanged(before, [x, dout], ["x", "dout"])
        xt = t(x, True)
        theirs.zero_grad()
        yt = theirs(xt)
        yt.backward(t(dout))
        assert_parity(out, yt, f"{kind} out (training={training})")
        if kind == "batchnorm":
            assert_batchnorm_dx_parity(dx, xt.grad, dout, ours.params["weight"], ours._cache.inv_std)
        else:
            assert_parity(dx, xt.grad, f"{kind} dx (training={training})")
        for name, p in theirs.named_parameters():
            assert_parity(ours.grads[name], p.grad, f"{kind} d{name}")
        if kind == "batchnorm":
            assert_parity(ours.running_mean, theirs.running_mean, "running_mean")
            assert_parity(ours.running_var, theirs.running_var, "running_var")


@FEW
@given(seed=seeds(), data=st.data())
def test_sequential_mlp_matches_torch(seed, data):
    rng = np.random.default_rng(seed)
    # (batch norm right after a linear layer would make that layer's bias gradient exactly 0: no parity to test)
    ours = R.Sequential(R.Linear(4, 8, rng=rng), R.Tanh(), R.BatchNorm1d(8), R.Linear(8, 6, rng=rng),
                        R.LeakyReLU(0.1), R.Dropout(0.0), R.Linear(6, 3, rng=rng), R.Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.BatchNorm1d(8),
                                 torch.nn.Linear(8, 6), torch.nn.LeakyReLU(0.1), torch.nn.Dropout(0.0),
                                 torch.nn.Linear(6, 3), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(ours.params[name]))
    assert list(ours.params) == [name for name, _ in theirs.named_parameters()]
    x = data.draw(arrays((5, 4)))
    dout = data.draw(arrays((5, 3), salt=1))
    out = ours.forward(x)
    dx = ours.backward(dout)
    xt = t(x, True)
    yt = theirs(xt)
    yt.backward(t(dout))
    assert_parity(out, yt, "mlp out")
    assert_parity(dx, xt.grad, "mlp dx")
    for name, p in theirs.named_parameters():
        assert_parity(ours.grads[name], p.grad, f"mlp d{name}")


def test_embedding_object_matches_torch():
    ours = R.Embedding(7, 3, rng=0)
    theirs = torch.nn.Embedding(7, 3).double()
    copy_into_torch(ours, theirs)
    idx = np.array([[1, 6, 1], [0, 1, 2]])
    dout = np.random.default_rng(1).standard_normal((2, 3, 3))
    out = ours.forward(idx)
    assert ours.backward(dout) is None
    yt = theirs(torch.tensor(idx))
    yt.backward(t(dout))
    assert_parity(out, yt, "embedding out")
    assert_parity(ours.grads["weight"], theirs.weight.grad, "embedding dW")


def test_linear_init_is_torch_default_and_seeded():
    a, b = R.Linear(50, 40, rng=3), R.Linear(50, 40, rng=np.random.default_rng(3))
    assert np.array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], R.Linear(50, 40, rng=4).params["weight"])
    bound = 1 / np.sqrt(50)
    w = a.params["weight"]
    assert np.abs(w).max() <= bound and np.abs(a.params["bias"]).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound  # the std of U(-bound, bound), 2000 draws
    assert R.Linear(3, 2, rng=0, dtype=np.float32).params["weight"].dtype == np.float32
    assert "bias" not in R.Linear(3, 2, bias=False, rng=0).params
    assert a.grads["weight"].shape == (40, 50) and not a.grads["weight"].any()


def test_dropout_object_modes_and_seed():
    x = np.ones((4, 50))
    layer = R.Dropout(0.5, rng=0)
    out = layer.forward(x)
    assert set(np.unique(out)) == {0.0, 2.0}
    assert np.array_equal(layer.backward(np.ones_like(x)), out)  # the mask is reused by backward
    assert np.array_equal(R.Dropout(0.5, rng=0).forward(x), out)  # same seed, same mask
    assert np.array_equal(layer.eval().forward(x), x)


def test_train_eval_recurse_and_repr():
    net = R.Sequential(R.Linear(2, 3, rng=0), R.ReLU(), R.Dropout(0.25), R.BatchNorm1d(3))
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert all(m.training for m in net.train().modules())
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.25)\n"
        "  (3): BatchNorm1d(3, eps=1e-05, momentum=0.1)\n"
        ")"
    )
    assert repr(R.Embedding(5, 2, rng=0)) == "Embedding(5, 2)"
    assert repr(R.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert list(net.params) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert len(net) == 4 and net[1].__class__ is R.ReLU


def test_module_errors():
    with pytest.raises(RuntimeError, match="Linear.backward was called before forward"):
        R.Linear(2, 3, rng=0).backward(np.ones((1, 3)))
    with pytest.raises(TypeError, match="Sequential takes layer objects.*got list at position 0"):
        R.Sequential([R.ReLU()])
    with pytest.raises(ValueError, match="in_features must be at least 1, got 0"):
        R.Linear(0, 3)
    with pytest.raises(TypeError, match="in_features must be an integer, got float"):
        R.Linear(2.5, 3)
    with pytest.raises(ValueError, match="x must have 2 or 3 dimensions, got shape \\(3,\\)"):
        R.BatchNorm1d(3).forward(np.ones(3))
    with pytest.raises(ValueError, match="in_features"):
        R.Linear(2, 3, rng=0).forward(np.ones((4, 5)))
    with pytest.raises(NotImplementedError, match="must implement forward"):
        R.Module().forward(np.ones(2))
