"""Plausible wrong answers (mutants) and other correct answers for lesson 09's exercises.

Each source is a complete answer cell. The function exercises (``rnn_forward``,
``rnn_backward``, ``clip_grad_norm``, ``lstm_step``) are one ``def``; the model
exercise (``digits_rnn``) is the cell's training code, starting from
``digits_rnn = None``. Sources run with the notebook's imports in scope, which
:data:`IMPORTS` spells out; ``rnn_backward`` runs after the solution's
``rnn_forward``, and ``digits_rnn`` after the notebook's ``helpers`` cell
(``LastStep``, ``batches``) and ``digits-data`` cell (``X_fit``, ``y_fit``).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"09.rnn_forward"``).
LESSON = "09"

#: What an exercise's sources need first: earlier answers and the cells that define the digits data.
REQUIRES: dict[str, tuple[str, ...]] = {
    "rnn_backward": ("rnn_forward",),
    "digits_rnn": ("helpers", "digits-data"),
}

#: What the notebook has defined when an answer cell runs (its imports cell and its device).
IMPORTS = dedent("""
    import numpy as np
    import matplotlib.pyplot as plt
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from dlkit import checks, data, plot, train
    DEVICE = torch.device("cpu")
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _digits(body: str) -> str:
    """A digits answer cell: the unset line, then the student's training code."""
    return "digits_rnn = None\n" + _src(body)


_FORWARD = """
    def rnn_forward(x, h0, W_ih, W_hh, b):
        out = []
        h = {start}
        for t in range(x.shape[0]):
            {step}
            out.append({store})
        return {result}
"""


def _forward(start="h0", step="h = np.tanh(x[t] @ W_ih.T + h @ W_hh.T + b)", store="h", result="np.stack(out)"):
    return _src(_FORWARD.format(start=start, step=step, store=store, result=result))


_BACKWARD = """
    def rnn_backward(dout, x, h0, W_ih, W_hh, b):
        h = rnn_forward(x, h0, W_ih, W_hh, b)
        dx = np.zeros_like(x)
        dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(x))):
            {da}
            h_prev = {h_prev}
            dx[t] = da @ W_ih
            dW_ih += da.T @ x[t]
            dW_hh += {dW_hh}
            db += {db}
            dh_next = {dh_next}
        return dx, {dh0}, dW_ih, dW_hh, db
"""


def _backward(da="da = (dout[t] + dh_next) * (1 - h[t] ** 2)", h_prev="h[t - 1] if t > 0 else h0",
              dW_hh="da.T @ h_prev", db="da.sum(axis=0)", dh_next="da @ W_hh", dh0="dh_next"):
    return _src(_BACKWARD.format(da=da, h_prev=h_prev, dW_hh=dW_hh, db=db, dh_next=dh_next, dh0=dh0))


_CLIP = """
    def clip_grad_norm(grads, max_norm):
        total = {total}
        {scale}
        return tuple({clipped} for g in grads) + (float(total),)
"""


def _clip(total="np.sqrt(sum(np.sum(g ** 2) for g in grads))", scale="scale = np.minimum(1.0, max_norm / (total + 1e-6))",
          clipped="g * scale"):
    return _src(_CLIP.format(total=total, scale=scale, clipped=clipped))


_LSTM = """
    def lstm_step(x, h_prev, c_prev, W_ih, W_hh, b):
        a = x @ W_ih.T + h_prev @ W_hh.T + b
        {split}
        sig = lambda z: 1 / (1 + np.exp(-z))
        {cell}
        return {h}, c
"""


def _lstm(split="a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)",
          cell="c = sig(a_f) * c_prev + sig(a_i) * np.tanh(a_g)", h="sig(a_o) * np.tanh(c)"):
    return _src(_LSTM.format(split=split, cell=cell, h=h))


_GRU = "LastStep(nn.GRU(8, 64, batch_first=True), nn.Linear(64, 10))"

MUTANTS: dict[str, list[tuple[str, str]]] = {
    "rnn_forward": [
        ("starts from zeros, ignoring h0", _forward(start="np.zeros((x.shape[1], W_hh.shape[0]))")),
        ("h @ W_hh without the transpose", _forward(step="h = np.tanh(x[t] @ W_ih.T + h @ W_hh + b)")),
        ("returns only the last state", _forward(result="out[-1]")),
        ("stores the state before the update (off by one step)",
         _forward(step="h_new = np.tanh(x[t] @ W_ih.T + h @ W_hh.T + b)", store="h); h = (h_new")),
        ("ReLU instead of tanh", _forward(step="h = np.maximum(x[t] @ W_ih.T + h @ W_hh.T + b, 0)")),
        ("forgets the bias", _forward(step="h = np.tanh(x[t] @ W_ih.T + h @ W_hh.T)")),
        ("tanh applied to the recurrent term only", _forward(step="h = x[t] @ W_ih.T + np.tanh(h @ W_hh.T) + b")),
    ],
    "rnn_backward": [
        ("ignores the gradient arriving from the next step (truncated to one step)",
         _backward(da="da = dout[t] * (1 - h[t] ** 2)")),
        ("forgets the tanh derivative", _backward(da="da = dout[t] + dh_next")),
        ("pairs da_t with h_t instead of h_{t-1} in dW_hh", _backward(dW_hh="da.T @ h[t]")),
        ("db not summed over the batch (one sequence's gradient)", _backward(db="da[0]")),
        ("returns the gradient reaching the first state h_0 as dh0, one step short of h0",
         _backward(da="dh = dout[t] + dh_next; da = dh * (1 - h[t] ** 2)", dh0="dh")),
        ("sends the gradient back through W_hh.T", _backward(dh_next="da @ W_hh.T")),
        ("tanh derivative taken at the previous state", _backward(da="da = (dout[t] + dh_next) * (1 - (h[t - 1] if t "
                                                                     "> 0 else h0) ** 2)")),
    ],
    "clip_grad_norm": [
        ("Python min hides a NaN (min(1.0, nan) is 1.0)",
         _clip(scale="scale = min(1.0, max_norm / (total + 1e-6))")),
        ("an if that never fires for a NaN total",
         _clip(scale="scale = max_norm / (total + 1e-6) if total > max_norm else 1.0")),
        ("clips each gradient by its own norm", _src("""
            def clip_grad_norm(grads, max_norm):
                total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
                out = [g * np.minimum(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
                return (*out, float(total))
        """)),
        ("always rescales to max_norm, blowing up small gradients",
         _clip(scale="scale = max_norm / (total + 1e-6)")),
        ("forgets the square root", _clip(total="sum(np.sum(g ** 2) for g in grads)")),
        ("sum of the gradients' norms instead of the global norm",
         _clip(total="sum(np.sqrt(np.sum(g ** 2)) for g in grads)")),
        ("scales in place and returns the inputs", _src("""
            def clip_grad_norm(grads, max_norm):
                total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
                scale = np.minimum(1.0, max_norm / (total + 1e-6))
                for g in grads:
                    g *= scale
                return (*grads, float(total))
        """)),
        ("returns the norm after clipping", _src("""
            def clip_grad_norm(grads, max_norm):
                total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
                scale = np.minimum(1.0, max_norm / (total + 1e-6))
                return (*[g * scale for g in grads], float(total * scale))
        """)),
    ],
    "lstm_step": [
        ("Keras-like order mistaken as i, f, o, g", _lstm(split="a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)")),
        ("h = o * c, without the tanh", _lstm(h="sig(a_o) * c")),
        ("writes the candidate without the input gate", _lstm(cell="c = sig(a_f) * c_prev + np.tanh(a_g)")),
        ("h from the old cell state", _lstm(h="sig(a_o) * np.tanh(c_prev)")),
        ("sigmoid on the candidate g", _lstm(cell="c = sig(a_f) * c_prev + sig(a_i) * sig(a_g)")),
        ("forget gate used as 1 - f", _lstm(cell="c = (1 - sig(a_f)) * c_prev + sig(a_i) * np.tanh(a_g)")),
    ],
    "digits_rnn": [
        ("left unanswered", "digits_rnn = None\n"),
        ("an untrained network", _digits(f"""
            torch.manual_seed(0)
            digits_rnn = {_GRU}
            digits_rnn.eval()
        """)),
        ("expects flat (N, 64) inputs, as the MLP of lesson 04", _digits("""
            torch.manual_seed(0)
            digits_rnn = nn.Sequential(nn.Linear(64, 10))
            digits_rnn.eval()
        """)),
        ("trained for a handful of steps only", _digits(f"""
            torch.manual_seed(0)
            digits_rnn = {_GRU}
            optimizer = torch.optim.SGD(digits_rnn.parameters(), lr=1e-3)
            X, y = torch.as_tensor(X_fit[:64]), torch.as_tensor(y_fit[:64])
            for step in range(3):
                optimizer.zero_grad()
                nn.functional.cross_entropy(digits_rnn(X), y).backward()
                optimizer.step()
            digits_rnn.eval()
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "rnn_forward": [
        ("a list of states stacked at the end", _forward()),
        ("inputs projected for all steps at once, then the loop", _src("""
            def rnn_forward(x, h0, W_ih, W_hh, b):
                xw = np.einsum("tnd,hd->tnh", x, W_ih) + b
                h = np.empty(xw.shape)
                prev = h0
                for t in range(len(x)):
                    prev = h[t] = np.tanh(xw[t] + prev @ W_hh.T)
                return h
        """)),
    ],
    "rnn_backward": [
        ("a while loop, the previous states as a shifted array", _src("""
            def rnn_backward(dout, x, h0, W_ih, W_hh, b):
                h = rnn_forward(x, h0, W_ih, W_hh, b)
                previous = np.concatenate([h0[None], h[:-1]])
                da = np.zeros_like(h)
                dh = np.zeros_like(h0)
                t = len(x) - 1
                while t >= 0:
                    da[t] = (dout[t] + dh) * (1 - h[t] ** 2)
                    dh = da[t] @ W_hh
                    t -= 1
                dx = da @ W_ih
                dW_ih = np.einsum("tnh,tnd->hd", da, x)
                dW_hh = np.einsum("tnh,tnk->hk", da, previous)
                return dx, dh, dW_ih, dW_hh, da.sum(axis=(0, 1))
        """)),
    ],
    "clip_grad_norm": [
        ("the norm of one flat vector, a NaN checked by hand", _src("""
            def clip_grad_norm(grads, max_norm):
                flat = np.concatenate([np.ravel(g) for g in grads])
                total = float(np.linalg.norm(flat))
                if np.isnan(total):
                    return tuple(np.full(np.shape(g), np.nan) for g in grads) + (total,)
                scale = min(1.0, max_norm / (total + 1e-6))
                return tuple(np.array(g) * scale for g in grads) + (total,)
        """)),
    ],
    "lstm_step": [
        ("gates sliced by hand, sigmoid through exp", _src("""
            def lstm_step(x, h_prev, c_prev, W_ih, W_hh, b):
                H = h_prev.shape[1]
                a = x @ W_ih.T + h_prev @ W_hh.T + b
                with np.errstate(over="ignore"):
                    i, f, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
                g = np.tanh(a[:, 2 * H:3 * H])
                c = f * c_prev + i * g
                h = o * np.tanh(c)
                return h, c
        """)),
    ],
    "digits_rnn": [
        ("an LSTM trained with a hand-written loop", _digits("""
            torch.manual_seed(1)
            digits_rnn = LastStep(nn.LSTM(8, 64, batch_first=True), nn.Linear(64, 10))
            optimizer = torch.optim.Adam(digits_rnn.parameters(), lr=1e-2)
            for epoch in range(12):
                for X, y in batches(X_fit, y_fit, batch_size=32):
                    optimizer.zero_grad()
                    nn.functional.cross_entropy(digits_rnn(X), y).backward()
                    torch.nn.utils.clip_grad_norm_(digits_rnn.parameters(), 1.0)
                    optimizer.step()
            digits_rnn.eval()
        """)),
    ],
}
