"""Conv2d / MaxPool2d / AvgPool2d / Flatten layer objects vs torch.nn, and a numpy CNN that learns digits."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import dlkit.reference.conv
import dlkit.reference.modules_seq
from dlkit.reference.losses import cross_entropy
from dlkit.reference.modules import Linear, ReLU, Sequential
from dlkit.reference.modules_seq import AvgPool2d, Conv2d, Flatten, MaxPool2d
from dlkit.reference.optim import Adam
from tests.reference.helpers import assert_parity, t


@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_layer_matches_torch_module(bias):
    layer = Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, bias=bias, rng=0)
    torch_layer = torch.nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, bias=bias).double()
    with torch.no_grad():
        for name, value in layer.params.items():
            getattr(torch_layer, name).copy_(t(value))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    xt = t(x, True)
    out_t = torch_layer(xt)
    out_t.backward(t(dout))
    assert_parity(out, out_t, "out")
    assert_parity(dx, xt.grad, "dx")
    assert sorted(layer.grads) == sorted(name for name, _ in torch_layer.named_parameters())
    for name, param in torch_layer.named_parameters():
        assert_parity(layer.grads[name], param.grad, f"grad {name}")


def test_conv2d_init_follows_torchs_bounds():
    layer = Conv2d(4, 16, 3, rng=0)
    bound = 1 / np.sqrt(4 * 9)
    for name in ("weight", "bias"):
        p = layer.params[name]
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.8 * bound  # drawn over the whole interval, not a narrower one
    assert Conv2d(4, 16, 3, rng=0).params["weight"].tolist() == layer.params["weight"].tolist()  # seeded
    assert repr(layer) == "Conv2d(4, 16, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), bias=True)"


@pytest.mark.parametrize("layer, torch_layer", [
    (MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
    (AvgPool2d(2), torch.nn.AvgPool2d(2)),
    (Flatten(), torch.nn.Flatten()),
])
def test_parameter_free_layers_match_torch(layer, torch_layer):
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6))
    out = layer.forward(x)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    xt = t(x, True)
    out_t = torch_layer(xt)
    out_t.backward(t(dout))
    assert_parity(out, out_t, f"{layer!r} out")
    assert_parity(layer.backward(dout), xt.grad, f"{layer!r} dx")
    assert layer.params == {}


def test_backward_before_forward_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"Conv2d.backward was called before forward"):
        Conv2d(1, 1, 1, rng=0).backward(np.zeros((1, 1, 1, 1)))




def test_numpy_cnn_learns_digits_above_90_percent():
    """One conv layer, ReLU, 2x2 max pool and a linear head, trained with Adam on sklearn's 8x8 digits."""
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).reshape(-1, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.25, random_state=0,
                                                        stratify=labels)
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 8, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(8 * 4 * 4, 10,
                                                                                                     rng=rng))
    optimizer = Adam(model, lr=5e-3)
    accuracy_before = np.mean(model.forward(x_test).argmax(axis=1) == y_test)
    start = time.perf_counter()
    for _ in range(8):
        order = rng.permutation(len(x_train))
        for first in range(0, len(order), 64):
            batch = order[first:first + 64]
            loss, dlogits = cross_entropy(model.forward(x_train[batch]), y_train[batch])
            model.backward(dlogits)
            optimizer.step()
    seconds = time.perf_counter() - start
    accuracy = np.mean(model.forward(x_test).argmax(axis=1) == y_test)
    assert accuracy_before < 0.3, f"an untrained net should be near chance (0.1), got {accuracy_before:.3f}"
    assert accuracy > 0.90, f"test accuracy {accuracy:.3f} after 8 epochs, expected > 0.90"
    # A loaded CI machine is several times slower than a quiet one; benchmarks/bench_conv.py measures speed.
    assert seconds < 120, f"training took {seconds:.1f} s; it should take a few seconds"
