"""RNN / LSTM layer objects vs torch.nn, and a numpy LSTM that learns a task needing memory."""

from __future__ import annotations


import numpy as np
import pytest
import torch

import dlkit.reference.rnn
from dlkit.reference.losses import cross_entropy
from dlkit.reference.modules import Linear
from dlkit.reference.modules_seq import LSTM, RNN
from dlkit.reference.optim import Adam
from tests.reference.helpers import assert_parity, t


@pytest.mark.parametrize("kind, batch_first, bias", [("lstm", False, True), ("lstm", True, False),
                                                     ("rnn", True, True), ("rnn", False, False)])
def test_recurrent_layer_matches_torch_module(kind, batch_first, bias):
    ours = (LSTM if kind == "lstm" else RNN)(3, 4, bias=bias, batch_first=batch_first, rng=0)
    theirs = (torch.nn.LSTM if kind == "lstm" else torch.nn.RNN)(3, 4, bias=bias, batch_first=batch_first).double()
    assert list(ours.params) == [name for name, _ in theirs.named_parameters()]
    with torch.no_grad():
        for name, param in theirs.named_parameters():
            param.copy_(t(ours.params[name]))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    out = ours.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = ours.backward(dout)
    xt = t(x, True)
    out_t, state = theirs(xt)
    out_t.backward(t(dout))
    assert_parity(out, out_t, "out")
    assert_parity(ours.h_n, (state[0] if kind == "lstm" else state)[0], "h_n")
    assert_parity(dx, xt.grad, "dx")
    for name, param in theirs.named_parameters():
        assert_parity(ours.grads[name], param.grad, f"grad {name}")


def test_recurrent_init_follows_torchs_bound_and_repr():
    lstm = LSTM(5, 16, rng=0)
    assert lstm.params["weight_hh_l0"].shape == (64, 16)
    assert all(np.abs(p).max() <= 0.25 for p in lstm.params.values())  # 1 / sqrt(16)
    assert repr(lstm) == "LSTM(5, 16, bias=True, batch_first=False)"
    assert repr(RNN(2, 3, nonlinearity="relu", rng=0)) == "RNN(2, 3, bias=True, batch_first=False, nonlinearity='relu')"


def test_numpy_lstm_learns_a_task_that_needs_memory():
    """Label = sign of the first step of a 15-step noisy sequence (a flag channel marks that step).

    Every later step is noise, so the answer must be carried 14 steps. Measured for
    seeds 0, 1, 2: about 50% before training, 100% on held-out sequences after 8
    epochs (under a second each); the plateau at chance lasts 1 to 5 epochs.
    """
    rng = np.random.default_rng(0)
    steps = 15

    def make(n):
        x = np.zeros((steps, n, 2))
        x[:, :, 0] = rng.standard_normal((steps, n))  # channel 0: noise, except at step 0 ...
        y = rng.integers(0, 2, n)
        x[0, :, 0] = np.where(y == 1, 1.0, -1.0)  # ... where it holds the label's sign
        x[0, :, 1] = 1.0  # channel 1 flags the step that matters
        return x, y

    x_train, y_train = make(2000)
    x_test, y_test = make(500)
    lstm, head = LSTM(2, 16, rng=rng), Linear(16, 2, rng=rng)
    optimizer = Adam([lstm, head], lr=1e-2)

    def accuracy():
        return np.mean(head.forward(lstm.forward(x_test)[-1]).argmax(axis=1) == y_test)

    before = accuracy()
    for _ in range(8):
        order = rng.permutation(len(y_train))
        for first in range(0, len(order), 50):
            batch = order[first:first + 50]
            out = lstm.forward(x_train[:, batch])
            loss, dlogits = cross_entropy(head.forward(out[-1]), y_train[batch])
            dout = np.zeros_like(out)
            dout[-1] = head.backward(dlogits)  # only the last output is used
            lstm.backward(dout)
            optimizer.step()
    after = accuracy()
    assert before < 0.65, f"an untrained LSTM should be near chance, got {before:.3f}"
    assert after > 0.95, f"held-out accuracy {after:.3f} after training, expected > 0.95"
