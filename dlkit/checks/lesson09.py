"""Checks for lesson 09: recurrent networks.

Exercises: ``rnn_forward`` (a vanilla RNN over a sequence), ``rnn_backward``
(backpropagation through time), ``clip_grad_norm`` (clipping by the global
norm, NaN made visible as torch does), ``lstm_step`` (one LSTM step, gates in
torch's order i, f, g, o) and ``digits_rnn`` (a trained recurrent network that
reads digits row by row, scored on the held-out test digits). The answer keys
call :mod:`dlkit.reference.rnn`, whose tests hold it to ``torch.nn``; the
notebook never calls them (the grader withdraws them), it compares with torch
or with the student's own functions.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, accuracy_at_least, register
from dlkit.reference import rnn

#: Exercise 5 passes at this test accuracy; the solution's GRU gets 94.4 to 98.1% over seeds 0 to 4.
DIGITS_TARGET = 0.93

#: The one label of exercise 5's cases, visible (the whole test split) and hidden (a new selection of it).
HELD_OUT_DIGITS = "held-out test digits read row by row, which training never touches"

#: The digits split the lesson uses; its test part is what exercise 5 is scored on.
DIGITS_SEED = 0

#: Ways to have the gradients computed for you instead of writing backpropagation through time.
_AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")
_REFERENCE_RNN = ("dlkit.reference.rnn.rnn_forward", "dlkit.reference.rnn.rnn_step_forward",
                  "dlkit.reference.rnn.rnn_backward", "dlkit.reference.rnn.rnn_step_backward")
_RECURRENT_LAYERS = ("torch.nn.functional.rnn_tanh", "torch.rnn_tanh", "torch.rnn_tanh_cell", "torch.lstm",
                     "torch.lstm_cell")


def _weights(rng, d, h, gates=1, scale=1.0):
    """``W_ih`` (G*H, D), ``W_hh`` (G*H, H) (far from symmetric when square), ``b`` (G*H,)."""
    return (rng.normal(size=(gates * h, d)) * scale / np.sqrt(d),
            rng.normal(size=(gates * h, h)) * scale / np.sqrt(h) + np.triu(np.full((gates * h, h), 0.5 * scale), 1),
            rng.normal(size=gates * h) * 0.5)


# -- 1. an RNN over a sequence -----------------------------------------------------------------

def rnn_forward(x, h0, W_ih, W_hh, b):
    """Answer key: every hidden state of ``torch.nn.RNN`` (tanh, one layer, one bias ``b``), ``(T, N, H)``."""
    return rnn.rnn_forward(x, h0, W_ih, W_hh, b)[0]


def _sequence_case(rng, t, n, d, h, label, hint="", scale=1.0, h0_scale=1.0):
    x = rng.normal(size=(t, n, d))
    h0 = rng.normal(size=(n, h)) * h0_scale
    W_ih, W_hh, b = _weights(rng, d, h, scale=scale)
    return Case((x, h0, W_ih, W_hh, b), label=label, hint=hint)


def _forward_visible() -> list[Case]:
    rng = np.random.default_rng(91)
    x = np.zeros((3, 1, 1))
    x[0] = 1.0                                      # one input at t = 0, then silence
    one = Case((x, np.zeros((1, 1)), np.array([[2.0]]), np.array([[0.5]]), np.zeros(1)),
               label="one unit: an input at t = 0 echoes through W_hh at t = 1 and t = 2",
               hint="h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b), with h_{t-1} the state you just computed "
                    "(h0 at t = 0); store every h_t, not only the last one.")
    x, h0, W_ih, W_hh, b = _sequence_case(rng, 4, 2, 3, 3, "").args
    start = Case((x, h0, W_ih, (W_hh + W_hh.T) / 2, b), label="a non-zero starting state h0 (a symmetric W_hh)",
                 hint="The first step uses h0, not zeros: h_0 = tanh(x_0 W_ih^T + h0 W_hh^T + b).")
    return [one, start, *_forward_cases(rng), *_forward_cases(cases.fixed_rng())]


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    out = [_sequence_case(rng, int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 6)),
                          int(rng.integers(2, 7)), "random sizes, a square W_hh far from symmetric",
                          hint="The recurrent term is h_{t-1} @ W_hh.T (W_hh is (H, H) and not symmetric).")
           for _ in range(3)]
    out.append(_sequence_case(rng, 1, 3, 2, 4, "a single time step"))
    out.append(_sequence_case(rng, 6, 2, 3, 5, "large weights: the tanh saturates", scale=8.0))
    return out


register(Exercise(
    id="09.rnn_forward", function="rnn_forward", reference=rnn_forward,
    visible=_forward_visible, hidden=_forward_cases, rtol=1e-9, atol=1e-12,
    forbidden=(*_REFERENCE_RNN, *_RECURRENT_LAYERS),
    hint="Loop over t: h = np.tanh(x[t] @ W_ih.T + h @ W_hh.T + b), starting from h = h0; "
         "put each h in out[t] of an array of shape (T, N, H).",
))


# -- 2. backpropagation through time -------------------------------------------------------------

def rnn_backward(dout, x, h0, W_ih, W_hh, b):
    """Answer key: gradients of ``sum(dout * rnn_forward(x, h0, W_ih, W_hh, b))``: (dx, dh0, dW_ih, dW_hh, db)."""
    _, cache = rnn.rnn_forward(x, h0, W_ih, W_hh, b)
    dx, dh0, dW_ih, dW_hh, db, _ = rnn.rnn_backward(dout, cache)
    return dx, dh0, dW_ih, dW_hh, db


def _backward_case(rng, t, n, d, h, label, hint="", scale=1.0, only_last=False):
    x, h0, W_ih, W_hh, b = _sequence_case(rng, t, n, d, h, label, scale=scale).args
    dout = rng.normal(size=(t, n, h))
    if only_last:
        dout[:-1] = 0.0
    return Case((dout, x, h0, W_ih, W_hh, b), label=label, hint=hint)


def _backward_visible() -> list[Case]:
    rng = np.random.default_rng(92)
    return [
        _backward_case(rng, 1, 2, 3, 4, "a single step: the gradients of one tanh layer",
                       hint="da = dh * (1 - h**2); dx = da @ W_ih, dh_prev = da @ W_hh, dW_ih = da.T @ x, "
                            "dW_hh = da.T @ h_prev, db = da.sum(axis=0)."),
        _backward_case(rng, 5, 2, 3, 4, "a loss on the last output only: the gradient must travel back through time",
                       only_last=True,
                       hint="Walk t from T-1 down to 0 carrying dh_next = da_t @ W_hh into step t-1; at step t the "
                            "gradient reaching h_t is dout[t] + dh_next."),
        *_backward_cases(rng),
        *_backward_cases(cases.fixed_rng()),
    ]


def _backward_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    out = [_backward_case(rng, int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 6)),
                          int(rng.integers(2, 7)), "random sizes, a loss on every output",
                          hint="The weights are shared by all steps: their gradients are sums over t, and dW_hh "
                               "pairs da_t with the PREVIOUS state h_{t-1} (h0 at t = 0).")
           for _ in range(3)]
    out.append(_backward_case(rng, int(rng.integers(3, 7)), 2, 3, 4, "a loss on the last output only", only_last=True))
    out.append(_backward_case(rng, 4, 3, 2, 3, "large weights: the tanh saturates", scale=8.0))
    return out


register(Exercise(
    id="09.rnn_backward", function="rnn_backward", reference=rnn_backward,
    visible=_backward_visible, hidden=_backward_cases, rtol=1e-7, atol=1e-10,
    forbidden=(*_AUTOGRAD, *_REFERENCE_RNN, *_RECURRENT_LAYERS),
    hint="Run your rnn_forward to get h, then loop t = T-1 ... 0: dh = dout[t] + dh_next; da = dh * (1 - h[t]**2); "
         "add da.T @ x[t] to dW_ih, da.T @ h_prev to dW_hh, da.sum(0) to db; dx[t] = da @ W_ih; dh_next = da @ W_hh. "
         "After the loop dh0 = dh_next. Return (dx, dh0, dW_ih, dW_hh, db).",
))


# -- 3. clipping by the global norm -----------------------------------------------------------

def clip_grad_norm(grads, max_norm):
    """Answer key: ``torch.nn.utils.clip_grad_norm_`` as a function: (clipped_1, ..., clipped_k, total_norm)."""
    clipped, total = rnn.clip_grad_norm(grads, max_norm)
    return (*clipped, total)


def _grads(rng, shapes, scale):
    return [rng.normal(size=s) * scale for s in shapes]


def _clip_visible() -> list[Case]:
    return [
        Case(([np.array([3.0, 4.0])], 1.0), label="one gradient of norm 5 clipped to norm 1",
             hint="The total norm is sqrt(3^2 + 4^2) = 5 > 1, so every entry is multiplied by "
                  "max_norm / (total + 1e-6): about [0.6, 0.8]. Return (clipped, total)."),
        Case(([np.array([0.3, 0.4])], 1.0), label="a gradient already small enough is returned unchanged",
             hint="The scale is min(1, max_norm / (total + 1e-6)): never above 1, so small gradients are "
                  "not blown up to max_norm."),
        Case(([np.array([[3.0, 0.0]]), np.array([4.0])], 2.5),
             label="two gradients: ONE norm over all of them (sqrt(3^2 + 4^2) = 5), one common scale",
             hint="Clip by the GLOBAL norm: the square root of the sum of the squares of every entry of every "
                  "gradient; each gradient is then scaled by the same factor (so their directions are kept)."),
        Case(([np.array([1.0, np.nan]), np.array([3.0, 4.0])], 1.0),
             label="a NaN in one gradient makes the total norm and EVERY returned gradient NaN, as in torch",
             hint="Python's min(1.0, nan) is 1.0 and `nan > max_norm` is False, so both hide the NaN; "
                  "np.minimum(1.0, max_norm / (total + 1e-6)) keeps it, and every gradient times NaN is NaN."),
        *_clip_cases(cases.fixed_rng()),
    ]


def _clip_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    shapes = [tuple(int(v) for v in s) for s in cases.shapes(rng, int(rng.integers(2, 5)), min_rank=1, max_rank=3)]
    big = _grads(rng, shapes, 10.0)
    small = _grads(rng, shapes, 1e-3)
    with_nan = _grads(rng, shapes, 1.0)
    with_nan[int(rng.integers(len(shapes)))].flat[0] = np.nan
    return [
        Case((big, float(rng.uniform(0.5, 5.0))), label="several gradients far above max_norm"),
        Case((small, float(rng.uniform(0.5, 5.0))), label="several gradients below max_norm, returned unchanged"),
        Case((with_nan, float(rng.uniform(0.5, 5.0))), label="a NaN in one of several gradients"),
        Case((_grads(rng, shapes[:1], 5.0), float(rng.uniform(0.1, 1.0))), label="a single gradient above max_norm"),
    ]


register(Exercise(
    id="09.clip_grad_norm", function="clip_grad_norm", reference=clip_grad_norm,
    visible=_clip_visible, hidden=_clip_cases, rtol=1e-9, atol=1e-12,
    forbidden=("torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_norm", "torch.nn.utils.clip_grads_with_norm_",
               "torch.nn.utils.get_total_norm", "dlkit.reference.rnn.clip_grad_norm"),
    hint="total = sqrt(sum over every gradient of (g**2).sum()); scale = np.minimum(1.0, max_norm / (total + 1e-6)); "
         "return (*[g * scale for g in grads], total), new arrays, the inputs left unchanged.",
))


# -- 4. one LSTM step ---------------------------------------------------------------------------

def lstm_step(x, h_prev, c_prev, W_ih, W_hh, b):
    """Answer key: ``torch.nn.LSTMCell`` with one bias ``b``: returns ``(h, c)``."""
    h, c, _ = rnn.lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b)
    return h, c


def _lstm_case(rng, n, d, h, label, hint="", scale=1.0):
    W_ih, W_hh, b = _weights(rng, d, h, gates=4, scale=scale)
    return Case((rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h)) * 2, W_ih, W_hh, b),
                label=label, hint=hint)


def _lstm_visible() -> list[Case]:
    rng = np.random.default_rng(94)
    h = 2
    b = np.zeros(4 * h)
    b[h:2 * h] = 50.0       # forget gate fully open, every other gate at sigmoid(0) = 0.5 or tanh(0) = 0
    gates = Case((np.zeros((1, 3)), np.zeros((1, h)), np.array([[1.0, -2.0]]), np.zeros((4 * h, 3)),
                  np.zeros((4 * h, h)), b),
                 label="only the forget gate's bias is large: the cell state is kept, c = c_prev",
                 hint="The rows of W_ih, W_hh and b come in torch's order: input gate i, forget gate f, cell "
                      "candidate g, output gate o, each H rows. c = f * c_prev + i * g, h = o * tanh(c).")
    return [gates, *_lstm_cases(rng), *_lstm_cases(cases.fixed_rng())]


def _lstm_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    out = [_lstm_case(rng, int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(2, 6)),
                      "random sizes, gates in the order i, f, g, o",
                      hint="i, f, o go through the sigmoid, the candidate g through tanh; h = o * tanh(c) uses "
                           "the NEW cell state c.")
           for _ in range(3)]
    out.append(_lstm_case(rng, 1, 3, 4, "a batch of one"))
    out.append(_lstm_case(rng, 3, 2, 3, "large weights: the gates saturate at 0 or 1", scale=8.0))
    return out


register(Exercise(
    id="09.lstm_step", function="lstm_step", reference=lstm_step,
    visible=_lstm_visible, hidden=_lstm_cases, rtol=1e-9, atol=1e-12,
    forbidden=("dlkit.reference.rnn.lstm_step_forward", "dlkit.reference.rnn.lstm_forward", *_RECURRENT_LAYERS),
    hint="a = x @ W_ih.T + h_prev @ W_hh.T + b has 4H columns: split it into i, f, g, o (H each, in that order); "
         "i, f, o = sigmoid(...), g = tanh(...); c = f * c_prev + i * g; h = o * tanh(c); return (h, c).",
))


# -- 5. a trained recurrent network on digits read row by row ("model", scored on held-out digits) --

def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data.digits_as_sequences(seed=DIGITS_SEED)``: (N, 8, 8) rows in [0, 1], labels (N,).

    "Held out" means the split the lesson's training code never touches; its labels stay
    in the grader (``Case.secret``).
    """
    from dlkit import data

    ds = data.digits_as_sequences(seed=DIGITS_SEED)
    return ds.X_test.astype(np.float32), ds.y_test.astype(np.int64)


def _digits_visible() -> list[Case]:
    X, y = held_out_digits()
    return [Case((X,), secret=y, label=HELD_OUT_DIGITS)]


def _digits_hidden(rng: np.random.Generator) -> list[Case]:
    X, y = held_out_digits()
    pick = rng.permutation(len(y))[: 2 * len(y) // 3]
    return [Case((X[pick],), secret=y[pick], label=HELD_OUT_DIGITS)]


register(Exercise(
    id="09.digits_rnn", function="digits_rnn", reference=None, kind="model",
    score=accuracy_at_least(DIGITS_TARGET),
    visible=_digits_visible, hidden=_digits_hidden,
    hint="Train an nn.Module that maps row sequences (N, 8, 8), batch first, pixels in [0, 1], to 10 logits: "
         "nn.GRU(8, 64, batch_first=True), then nn.Linear(64, 10) on the output of the last step; Adam with "
         "lr 1e-2, gradient clipping, about 12 epochs on the training and validation digits.",
))
