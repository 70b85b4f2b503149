"""Optimizers: 20 steps match torch.optim to 1e-10 (float64); no in-place updates; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given

import dlkit.reference as R
from dlkit.gradcheck import relative_error
from tests.reference.strategies import FEW, seeds

CONFIGS = [
    (R.SGD, torch.optim.SGD, {"lr": 0.05}),
    (R.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (R.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    (R.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    (R.RMSprop, torch.optim.RMSprop, {"lr": 0.01}),
    (R.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.05}),
    (R.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "centered": True, "eps": 1e-6}),
    (R.Adam, torch.optim.Adam, {"lr": 0.01}),
    (R.Adam, torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
]
IDS = [f"{ours.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for ours, _, kw in CONFIGS]


def gradient(p, A):
    """A non-quadratic loss's gradient, written once for numpy and torch arrays: A p + sin(3p)."""
    lib = torch if isinstance(p, torch.Tensor) else np
    return A @ p + lib.sin(3 * p)


@pytest.mark.parametrize(("ours_cls", "torch_cls", "kwargs"), CONFIGS, ids=IDS)
@FEW
@given(seed=seeds())
def test_twenty_steps_match_torch_optim(ours_cls, torch_cls, kwargs, seed):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal((4, 3))
    A = rng.standard_normal((4, 4))
    params, grads = {"w": p0.copy()}, {}
    opt = ours_cls((params, grads), **kwargs)
    w = torch.tensor(p0, requires_grad=True)
    topt = torch_cls([w], **kwargs)
    At = torch.tensor(A)
    for step in range(20):
        grads["w"] = gradient(params["w"], A)
        opt.step()
        with torch.no_grad():
            w.grad = gradient(w.detach(), At)
        topt.step()
        err = relative_error(params["w"], w.detach().numpy())
        assert err < 1e-10, f"step {step + 1}: relative error {err:.3g}"


@pytest.mark.parametrize(("ours_cls", "torch_cls", "kwargs"), [CONFIGS[3], CONFIGS[5], CONFIGS[8]], ids=[IDS[3], IDS[5], IDS[8]])
def test_training_a_model_matches_torch_for_20_steps(ours_cls, torch_cls, kwargs):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    ours = R.Sequential(R.Linear(5, 7, rng=rng), R.ReLU(), R.Linear(7, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3)).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(ours.params[name]))
    opt, topt = ours_cls(ours, **kwargs), torch_cls(theirs.parameters(), **kwargs)
    for _ in range(20):
        _, dlogits = R.cross_entropy(ours.forward(x), y)
        ours.backward(dlogits)
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for name, p in theirs.named_parameters():
        assert relative_error(ours.params[name], p.detach().numpy()) < 1e-10, name


def test_step_never_modifies_arrays_in_place():
    w0 = np.array([1.0, -2.0])
    w0_before = w0.copy()
    params, grads = {"w": w0}, {"w": np.array([0.5, 0.5])}
    grad_before = grads["w"].copy()
    opt = R.Adam((params, grads), lr=0.1, weight_decay=0.1)
    opt.step()
    assert np.array_equal(w0, w0_before), "the caller's array was updated in place"
    assert np.array_equal(grads["w"], grad_before)
    assert params["w"] is not w0 and not np.array_equal(params["w"], w0)


def test_float32_parameters_stay_float32():
    for cls in (R.SGD, R.RMSprop, R.Adam):
        params, grads = {"w": np.ones(3, np.float32)}, {"w": np.full(3, 0.5, np.float32)}
        opt = cls((params, grads), lr=0.1, weight_decay=0.01) if cls is not R.SGD else cls((params, grads), lr=0.1, momentum=0.9)
        opt.step()
        opt.step()
        assert params["w"].dtype == np.float32, cls.__name__


def test_zero_grad_and_repr():
    layer = R.Linear(2, 2, rng=0)
    opt = R.SGD(layer, lr=0.1, momentum=0.9)
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    assert layer.grads["weight"].any()
    opt.zero_grad()
    assert not layer.grads["weight"].any()
    assert repr(opt) == "SGD(2 parameters, lr=0.1, weight_decay=0.0, momentum=0.9, dampening=0.0, nesterov=False)"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: R.SGD("model", lr=0.1), TypeError, "a layer object, a list of layer objects, or a \\(params, grads\\)"),
        (lambda: R.SGD(R.ReLU(), lr=0.1), ValueError, "no parameters"),
        (lambda: R.SGD(R.Linear(2, 2, rng=0), lr=-1), ValueError, "lr must be in \\[0.0, inf\\], got -1.0"),
        (lambda: R.SGD(R.Linear(2, 2, rng=0), lr=0.1, nesterov=True), ValueError, "Nesterov momentum needs momentum > 0"),
        (lambda: R.Adam(R.Linear(2, 2, rng=0), betas=0.9), TypeError, "betas must be a pair"),
        (lambda: R.Adam(R.Linear(2, 2, rng=0), betas=(0.9, 1.0)), ValueError, "betas\\[1\\] must be in \\[0.0, 1.0\\)"),
        (lambda: R.SGD(({"w": np.ones(2)}, {}), lr=0.1).step(), KeyError, "no gradient for parameter 'w'"),
        (lambda: R.SGD(({"w": np.ones(2)}, {"w": np.ones(3)}), lr=0.1).step(), ValueError, "has shape \\(3,\\)"),
    ],
)
def test_optimizer_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
