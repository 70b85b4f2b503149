"""Recurrent layers in numpy (lesson 09): RNN and LSTM steps, whole sequences (BPTT), gradient clipping.

Layouts follow ``torch.nn.RNN`` / ``torch.nn.LSTM`` with one layer and
``batch_first=False``:

- a sequence ``x`` is ``(T, N, D)``: T time steps, N sequences, D features;
- hidden states are ``(N, H)`` (torch adds a leading ``num_layers = 1`` axis);
- ``W_ih`` is ``(G*H, D)``, ``W_hh`` is ``(G*H, H)``, ``b_ih`` and ``b_hh`` are ``(G*H,)``
  with ``G = 1`` for the RNN and ``G = 4`` for the LSTM, whose gate blocks are in
  torch's order: input ``i``, forget ``f``, cell candidate ``g``, output ``o``.

Steps are pairs ``*_step_forward(...) -> (h, cache)`` (the LSTM step returns
``(h, c, cache)``) and ``*_step_backward(...)``; sequences are
``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> gradients
in input order``. Backpropagation through time is the backward loop over steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import (as_float_array, check_cache, check_choice, check_dim, check_real, check_shape,
                        result_dtype)

NONLINEARITIES = ("tanh", "relu")

# --------------------------------------------------------------------------
# Argument checks shared by the RNN and the LSTM
# --------------------------------------------------------------------------


class _Weights(NamedTuple):
    W_ih: np.ndarray
    W_hh: np.ndarray
    b: np.ndarray  # b_ih + b_hh (zeros where absent): the two biases always appear as a sum
    has_b_ih: bool
    has_b_hh: bool


def _check_weights(W_ih, W_hh, b_ih, b_hh, gates: int) -> _Weights:
    """Validate the four parameters of a recurrent layer with ``gates`` blocks of H rows each."""
    W_ih = as_float_array(W_ih, "W_ih", ndim=2)
    W_hh = as_float_array(W_hh, "W_hh", ndim=2)
    layout = "(4*H, H) with blocks i, f, g, o as torch.nn.LSTM" if gates == 4 else "(H, H) as torch.nn.RNN"
    if W_hh.shape[0] != W_hh.shape[1] * gates:
        raise ValueError(f"W_hh must have shape {layout}, got {W_hh.shape}.")
    hidden = W_hh.shape[1]
    check_dim(W_ih.shape[0], gates * hidden, f"rows of W_ih (shape {W_ih.shape}) must match W_hh (shape "
              f"{W_hh.shape}): {gates} x hidden size {hidden}")
    b = np.zeros(gates * hidden, dtype=result_dtype(W_ih, W_hh))
    for name, bias in (("b_ih", b_ih), ("b_hh", b_hh)):
        if bias is not None:
            bias = as_float_array(bias, name, ndim=1)
            check_shape(bias, (gates * hidden,), name, f"{gates} x hidden size {hidden}")
            b = b + bias
    return _Weights(W_ih, W_hh, b, b_ih is not None, b_hh is not None)


def _common_dtype(w: _Weights, *arrays: np.ndarray):
    """Cast the weights and ``arrays`` to one dtype (float64 wins); returns the new weights and arrays."""
    dtype = result_dtype(w.W_ih, w.W_hh, w.b, *arrays)
    w = w._replace(W_ih=w.W_ih.astype(dtype, copy=False), W_hh=w.W_hh.astype(dtype, copy=False),
                   b=w.b.astype(dtype, copy=False))
    return w, [a.astype(dtype, copy=False) for a in arrays]


def _check_input(x, weights_W_ih, ndim: int) -> np.ndarray:
    layout = "(T, N, D): time first, as torch.nn.LSTM with batch_first=False" if ndim == 3 else "(N, D)"
    x = as_float_array(x, "x", ndim=ndim)
    check_dim(x.shape[-1], weights_W_ih.shape[1], f"input features: x (shape {x.shape}, layout {layout}) must "
              f"have as many features as W_ih has columns (W_ih has shape {weights_W_ih.shape})")
    return x


def _check_state(h, name: str, batch: int, hidden: int, dtype) -> np.ndarray:
    if h is None:
        return np.zeros((batch, hidden), dtype=dtype)
    h = as_float_array(h, name, ndim=2)
    check_shape(h, (batch, hidden), name, "(N, H): batch size of x, hidden size of W_hh")
    return h


def _bias_grads(db: np.ndarray, w: _Weights):
    """``(db_ih, db_hh)``: the same sum, or None where the forward had no such bias."""
    return (db if w.has_b_ih else None), (db.copy() if w.has_b_hh else None)


def _affine_grads(da: np.ndarray, x: np.ndarray, h_prev: np.ndarray, w: _Weights):
    r"""Gradients through the affine map :math:`a = x W_{ih}^\top + h_{prev} W_{hh}^\top + b` of a recurrent layer.

    Shape:
        - da: ``(M, G*H)``, the gradient reaching the pre-activations ``a``
        - x: ``(M, D)``; h_prev: ``(M, H)``, the inputs that produced ``a``
        - returns ``(dx, dW_ih, dW_hh, db_ih, db_hh)``: ``(M, D)``, ``(G*H, D)``, ``(G*H, H)``,
          ``(G*H,)``, ``(G*H,)`` (a bias gradient is None when that bias was None)

    The rows ``M`` are the batch for one step, or every step of a sequence stacked
    (``T*N`` rows): the weights are shared across steps, so their gradients are sums
    over steps, which the matrix products over the stacked rows compute in one go.

    Formula: :math:`dx = da\,W_{ih}`, :math:`dW_{ih} = da^\top x`, :math:`dW_{hh} = da^\top h_{prev}`,
    :math:`db = \sum_m da_m` (the same for both biases). ``dh_prev = da W_hh`` is left to the
    caller: the sequence backward needs it inside its loop, one step at a time.
    """
    return (da @ w.W_ih, da.T @ x, da.T @ h_prev, *_bias_grads(da.sum(axis=0), w))


def _sequence_affine_grads(da: np.ndarray, x: np.ndarray, h0: np.ndarray, h: np.ndarray, w: _Weights):
    """:func:`_affine_grads` over a whole sequence (the tail that :func:`rnn_backward` and :func:`lstm_backward` share).

    Shape: ``da`` ``(T, N, G*H)``, ``x`` ``(T, N, D)``, ``h0`` ``(N, H)``, the states ``h`` ``(T, N, H)``.
    Stacks the T steps into ``T*N`` rows, with ``h_{t-1}`` (``h0`` before the first
    step) as each step's previous state; returns ``dx`` as ``(T, N, D)`` and the
    weight and bias gradients as in :func:`_affine_grads`.
    """
    rows = da.shape[0] * da.shape[1]
    h_prev = np.concatenate([h0[None], h[:-1]])  # h_{t-1} for every t
    dx, *param_grads = _affine_grads(da.reshape(rows, da.shape[-1]), x.reshape(rows, x.shape[-1]),
                                     h_prev.reshape(rows, h.shape[-1]), w)
    return (dx.reshape(x.shape), *param_grads)


# --------------------------------------------------------------------------
# Vanilla RNN
# --------------------------------------------------------------------------


def _activate(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


def _activation_grad(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """d h / d a written with the output h: 1 - h^2 for tanh, [h > 0] for ReLU."""
    return 1 - h * h if nonlinearity == "tanh" else (h > 0).astype(h.dtype)


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_forward` keeps: inputs, the new state ``h`` and the settings."""

    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    weights: _Weights
    nonlinearity: str


def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh"):
    r"""One time step of a vanilla RNN (``torch.nn.RNNCell``).

    Shape:
        - x: ``(N, D)``; h_prev: ``(N, H)``
        - W_ih: ``(H, D)``; W_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None
        - returns ``(h, cache)`` with h: ``(N, H)``

    Formula: :math:`h = \tanh(x W_{ih}^\top + b_{ih} + h_{prev} W_{hh}^\top + b_{hh})`
    (``nonlinearity="relu"`` uses :math:`\max(0, \cdot)`).

    Example::

        >>> h, cache = rnn_step_forward(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)))
        >>> h.shape
        (2, 4)
    """
    nonlinearity = check_choice(nonlinearity, NONLINEARITIES, "nonlinearity")
    w = _check_weights(W_ih, W_hh, b_ih, b_hh, gates=1)
    x = _check_input(x, w.W_ih, ndim=2)
    h_prev = _check_state(h_prev, "h_prev", x.shape[0], w.W_hh.shape[1], x.dtype)
    w, (x, h_prev) = _common_dtype(w, x, h_prev)
    h = _activate(x @ w.W_ih.T + h_prev @ w.W_hh.T + w.b, nonlinearity)
    return h, RNNStepCache(x, h_prev, h, w, nonlinearity)


def rnn_step_backward(dh, cache: RNNStepCache):
    r"""Gradients of one RNN step.

    Shape:
        - dh: ``(N, H)``, the gradient reaching ``h``
        - returns ``(dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh)``: ``(N, D)``, ``(N, H)``,
          ``(H, D)``, ``(H, H)``, ``(H,)``, ``(H,)`` (a bias gradient is None when that
          bias was None)

    Formula: with :math:`da = dh \odot (1 - h^2)` (tanh), :math:`dx = da\,W_{ih}`,
    :math:`dh_{prev} = da\,W_{hh}`, :math:`dW_{ih} = da^\top x`, :math:`dW_{hh} = da^\top h_{prev}`,
    :math:`db = \sum_n da_n` (the same for both biases).

    Example::

        >>> h, cache = rnn_step_forward(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)))
        >>> dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = rnn_step_backward(np.ones((2, 4)), cache)
        >>> dW_ih.shape, db_ih
        ((4, 3), None)
    """
    cache = check_cache(cache, RNNStepCache, "rnn_step_forward")
    dh = as_float_array(dh, "dh", ndim=2)
    check_shape(dh, cache.h.shape, "dh", "the shape of h, (N, H)")
    w = cache.weights
    da = dh * _activation_grad(cache.h, cache.nonlinearity)
    dx, *param_grads = _affine_grads(da, cache.x, cache.h_prev, w)
    return (dx, da @ w.W_hh, *param_grads)


class RNNCache(NamedTuple):
    """What :func:`rnn_forward` keeps. ``h`` is the output ``(T, N, H)``; ``h_n`` the last state."""

    x: np.ndarray
    h0: np.ndarray
    h0_given: bool
    h: np.ndarray
    weights: _Weights
    nonlinearity: str

    @property
    def h_n(self) -> np.ndarray:
        """The final hidden state ``(N, H)`` (torch returns it as ``(1, N, H)``)."""
        return self.h[-1]


def rnn_forward(x, h0, W_ih, W_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh"):
    r"""A vanilla RNN over a whole sequence (``torch.nn.RNN``, one layer, ``batch_first=False``).

    Shape:
        - x: ``(T, N, D)``; h0: ``(N, H)``, or None for zeros
        - W_ih: ``(H, D)``; W_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None
        - returns ``(out, cache)``: out ``(T, N, H)`` holds every hidden state;
          the last one is also ``cache.h_n``

    Formula: :math:`h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`, the same
    weights at every step.

    Example::

        >>> out, cache = rnn_forward(np.ones((5, 2, 3)), None, np.zeros((4, 3)), np.zeros((4, 4)))
        >>> out.shape, cache.h_n.shape
        ((5, 2, 4), (2, 4))
    """
    nonlinearity = check_choice(nonlinearity, NONLINEARITIES, "nonlinearity")
    w = _check_weights(W_ih, W_hh, b_ih, b_hh, gates=1)
    x = _check_input(x, w.W_ih, ndim=3)
    steps, batch, _ = x.shape
    hidden = w.W_hh.shape[1]
    h0_given = h0 is not None
    h0 = _check_state(h0, "h0", batch, hidden, x.dtype)
    w, (x, h0) = _common_dtype(w, x, h0)
    xw = (x.reshape(steps * batch, -1) @ w.W_ih.T + w.b).reshape(steps, batch, hidden)  # all inputs at once
    h = np.empty((steps, batch, hidden), dtype=x.dtype)
    h_prev = h0
    for t in range(steps):
        h[t] = h_prev = _activate(xw[t] + h_prev @ w.W_hh.T, nonlinearity)
    return h, RNNCache(x, h0, h0_given, h, w, nonlinearity)


def _check_seq_dout(dout, h: np.ndarray) -> np.ndarray:
    dout = as_float_array(dout, "dout", ndim=3)
    check_shape(dout, h.shape, "dout", "the shape of the forward output, (T, N, H)")
    return dout


def _check_final_grad(grad, name: str, like: np.ndarray) -> np.ndarray:
    """The gradient reaching a final state (``dh_n``/``dc_n``), zeros when None."""
    if grad is None:
        return np.zeros_like(like)
    grad = as_float_array(grad, name, ndim=2)
    check_shape(grad, like.shape, name, "the shape of the final state, (N, H)")
    return grad


def rnn_backward(dout, cache: RNNCache, dh_n=None):
    r"""Backpropagation through time for :func:`rnn_forward`.

    Shape:
        - dout: ``(T, N, H)``, the gradient reaching every output
        - dh_n: ``(N, H)`` or None, an extra gradient reaching the final state
          (for a loss on ``h_n`` that torch returns separately)
        - returns ``(dx, dh0, dW_ih, dW_hh, db_ih, db_hh)``: ``(T, N, D)``, ``(N, H)``,
          ``(H, D)``, ``(H, H)``, ``(H,)``, ``(H,)``; ``dh0`` is None when ``h0`` was None,
          a bias gradient is None when that bias was None

    Formula: walking back from :math:`t = T-1`, :math:`dh_t = \text{dout}_t + dh_{t+1 \to t}`,
    :math:`da_t = dh_t \odot (1 - h_t^2)`, :math:`dh_{t \to t-1} = da_t W_{hh}`; the weight
    gradients sum over steps: :math:`dW_{hh} = \sum_t da_t^\top h_{t-1}`.

    Example::

        >>> out, cache = rnn_forward(np.ones((5, 2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)))
        >>> dx, dh0, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(np.ones_like(out), cache)
        >>> dx.shape, dh0.shape
        ((5, 2, 3), (2, 4))
    """
    cache = check_cache(cache, RNNCache, "rnn_forward")
    dout = _check_seq_dout(dout, cache.h)
    dh_next = _check_final_grad(dh_n, "dh_n", cache.h[-1])
    w, h = cache.weights, cache.h
    da = np.empty_like(h)
    for t in reversed(range(h.shape[0])):
        da[t] = (dout[t] + dh_next) * _activation_grad(h[t], cache.nonlinearity)
        dh_next = da[t] @ w.W_hh
    dx, *param_grads = _sequence_affine_grads(da, cache.x, cache.h0, h, w)
    return (dx, dh_next if cache.h0_given else None, *param_grads)


# --------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    r"""The logistic sigmoid as :math:`\sigma(x) = (1 + \tanh(x/2)) / 2`.

    The same function as :func:`dlkit.reference.activations.sigmoid` and as stable
    (tanh saturates, never overflows), in one pass of ``tanh``. It is faster on the
    small (N, 4H) blocks an LSTM computes at every step (a review measured 10% of
    ``bench_lstm``'s float32 time and 23% of its float64 time), but less accurate
    far in the negative tail (``sigmoid(-40)`` comes out 0, not 4e-18), which is
    why the lesson answer key in ``activations`` keeps the ``exp(-|x|)`` form.
    """
    out = np.tanh(x * x.dtype.type(0.5))
    out += 1
    out *= x.dtype.type(0.5)
    return out


def _split_gates(act: np.ndarray):
    """Views of the four gate blocks i, f, g, o (torch's order) of ``act`` (..., N, 4H)."""
    hidden = act.shape[-1] // 4
    return tuple(act[..., k * hidden:(k + 1) * hidden] for k in range(4))


def _lstm_cell(pre: np.ndarray, c_prev: np.ndarray):
    """One cell from the pre-activations ``pre = x W_ih^T + h W_hh^T + b`` (N, 4H).

    Returns the gate activations ``act`` (N, 4H), blocks ``[i, f, g, o]``, and the new
    ``c``, ``tanh(c)`` and ``h``, each (N, H).
    """
    hidden = pre.shape[-1] // 4
    act = _sigmoid(pre)  # i, f and o are sigmoids (one call for all: g's block is overwritten next)
    act[:, 2 * hidden:3 * hidden] = np.tanh(pre[:, 2 * hidden:3 * hidden])  # g is a tanh
    i, f, g, o = _split_gates(act)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    return act, c, tanh_c, o * tanh_c


def _gate_slopes(act: np.ndarray) -> np.ndarray:
    r"""Derivative of each gate activation w.r.t. its pre-activation, from the activations ``act`` (..., 4H).

    :math:`\sigma' = \sigma(1 - \sigma)` for i, f, o and :math:`\tanh' = 1 - g^2` for g; computed for
    every step at once before the backward loop.
    """
    slopes = act * (1 - act)
    g = _split_gates(act)[2]
    _split_gates(slopes)[2][...] = 1 - g * g  # slopes is our own new array
    return slopes


def _lstm_cell_backward(dh, dc, act, slopes, c_prev, tanh_c, dpre):
    """Through one cell: writes the gradient of the pre-activations into ``dpre`` (N, 4H); returns ``dc_prev``.

    ``slopes`` is :func:`_gate_slopes` of ``act``.
    """
    i, f, g, o = _split_gates(act)
    dc = dc + dh * o * (1 - tanh_c * tanh_c)  # c reaches the loss directly and through h = o * tanh(c)
    # gradient w.r.t. each gate's activation (i, f, g, o), then through the activation
    np.concatenate([dc * g, dc * c_prev, dc * i, dh * tanh_c], axis=-1, out=dpre)
    dpre *= slopes
    return dc * f


class LSTMStepCache(NamedTuple):
    """What :func:`lstm_step_forward` keeps: inputs, gate activations, the new cell state."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    act: np.ndarray  # (N, 4H): gate activations i, f, g, o
    c: np.ndarray
    tanh_c: np.ndarray
    weights: _Weights


def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    r"""One time step of an LSTM (``torch.nn.LSTMCell``; gates in torch's order i, f, g, o).

    Shape:
        - x: ``(N, D)``; h_prev, c_prev: ``(N, H)``
        - W_ih: ``(4H, D)``; W_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)`` or None
        - returns ``(h, c, cache)`` with h, c: ``(N, H)``

    Formula: :math:`[a_i, a_f, a_g, a_o] = x W_{ih}^\top + b_{ih} + h_{prev} W_{hh}^\top + b_{hh}`;
    :math:`i = \sigma(a_i)`, :math:`f = \sigma(a_f)`, :math:`g = \tanh(a_g)`, :math:`o = \sigma(a_o)`;
    :math:`c = f \odot c_{prev} + i \odot g`, :math:`h = o \odot \tanh(c)`.

    Example::

        >>> z = np.zeros
        >>> h, c, cache = lstm_step_forward(np.ones((2, 3)), z((2, 4)), z((2, 4)), z((16, 3)), z((16, 4)))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """
    w = _check_weights(W_ih, W_hh, b_ih, b_hh, gates=4)
    x = _check_input(x, w.W_ih, ndim=2)
    hidden = w.W_hh.shape[1]
    h_prev = _check_state(h_prev, "h_prev", x.shape[0], hidden, x.dtype)
    c_prev = _check_state(c_prev, "c_prev", x.shape[0], hidden, x.dtype)
    w, (x, h_prev, c_prev) = _common_dtype(w, x, h_prev, c_prev)
    act, c, tanh_c, h = _lstm_cell(x @ w.W_ih.T + h_prev @ w.W_hh.T + w.b, c_prev)
    return h, c, LSTMStepCache(x, h_prev, c_prev, act, c, tanh_c, w)


def lstm_step_backward(dh, dc, cache: LSTMStepCache):
    r"""Gradients of one LSTM step.

    Shape:
        - dh, dc: ``(N, H)``, the gradients reaching ``h`` and ``c`` (pass zeros for an unused ``c``)
        - returns ``(dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)``: ``(N, D)``, ``(N, H)``,
          ``(N, H)``, ``(4H, D)``, ``(4H, H)``, ``(4H,)``, ``(4H,)`` (a bias gradient is None
          when that bias was None)

    Formula: :math:`dc_{tot} = dc + dh \odot o \odot (1 - \tanh^2 c)`; then
    :math:`da_i = dc_{tot} g\, i(1-i)`, :math:`da_f = dc_{tot} c_{prev} f(1-f)`,
    :math:`da_g = dc_{tot} i (1-g^2)`, :math:`da_o = dh \tanh(c)\, o(1-o)`;
    :math:`dc_{prev} = dc_{tot} f`, and with :math:`da = [da_i, da_f, da_g, da_o]`:
    :math:`dx = da\,W_{ih}`, :math:`dh_{prev} = da\,W_{hh}`, :math:`dW_{ih} = da^\top x`,
    :math:`dW_{hh} = da^\top h_{prev}`, :math:`db = \sum_n da_n`.

    Example::

        >>> z = np.zeros
        >>> h, c, cache = lstm_step_forward(np.ones((2, 3)), z((2, 4)), z((2, 4)), z((16, 3)), z((16, 4)))
        >>> grads = lstm_step_backward(np.ones((2, 4)), np.zeros((2, 4)), cache)
        >>> [None if g is None else g.shape for g in grads]
        [(2, 3), (2, 4), (2, 4), (16, 3), (16, 4), None, None]
    """
    cache = check_cache(cache, LSTMStepCache, "lstm_step_forward")
    dh = as_float_array(dh, "dh", ndim=2)
    dc = as_float_array(dc, "dc", ndim=2)
    check_shape(dh, cache.c.shape, "dh", "the shape of h, (N, H)")
    check_shape(dc, cache.c.shape, "dc", "the shape of c, (N, H)")
    w = cache.weights
    dpre = np.empty_like(cache.act)
    dc_prev = _lstm_cell_backward(dh, dc, cache.act, _gate_slopes(cache.act), cache.c_prev, cache.tanh_c, dpre)
    dx, *param_grads = _affine_grads(dpre, cache.x, cache.h_prev, w)
    return (dx, dpre @ w.W_hh, dc_prev, *param_grads)


class LSTMCache(NamedTuple):
    """What :func:`lstm_forward` keeps. ``h`` is the output ``(T, N, H)``; ``h_n``, ``c_n`` the last states."""

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    h0_given: bool
    c0_given: bool
    act: np.ndarray  # (T, N, 4H): gate activations i, f, g, o
    c: np.ndarray  # (T, N, H)
    tanh_c: np.ndarray  # (T, N, H)
    h: np.ndarray  # (T, N, H)
    weights: _Weights

    @property
    def h_n(self) -> np.ndarray:
        """The final hidden state ``(N, H)`` (torch returns it as ``(1, N, H)``)."""
        return self.h[-1]

    @property
    def c_n(self) -> np.ndarray:
        """The final cell state ``(N, H)``."""
        return self.c[-1]


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih=None, b_hh=None):
    r"""An LSTM over a whole sequence (``torch.nn.LSTM``, one layer, ``batch_first=False``).

    Shape:
        - x: ``(T, N, D)``; h0, c0: ``(N, H)``, or None for zeros
        - W_ih: ``(4H, D)``; W_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)`` or None; gate blocks i, f, g, o
        - returns ``(out, cache)``: out ``(T, N, H)`` holds every hidden state;
          ``cache.h_n`` and ``cache.c_n`` are the final states ``(N, H)``

    Formula: :func:`lstm_step_forward` at every step with the same weights,
    :math:`(h_t, c_t) = \text{step}(x_t, h_{t-1}, c_{t-1})`. The input projections
    :math:`x_t W_{ih}^\top` of all steps are one matrix product before the loop.

    Example::

        >>> z = np.zeros
        >>> out, cache = lstm_forward(np.ones((5, 2, 3)), None, None, z((16, 3)), z((16, 4)))
        >>> out.shape, cache.c_n.shape
        ((5, 2, 4), (2, 4))
    """
    w = _check_weights(W_ih, W_hh, b_ih, b_hh, gates=4)
    x = _check_input(x, w.W_ih, ndim=3)
    steps, batch, _ = x.shape
    hidden = w.W_hh.shape[1]
    h0_given, c0_given = h0 is not None, c0 is not None
    h0 = _check_state(h0, "h0", batch, hidden, x.dtype)
    c0 = _check_state(c0, "c0", batch, hidden, x.dtype)
    w, (x, h0, c0) = _common_dtype(w, x, h0, c0)
    xw = (x.reshape(steps * batch, -1) @ w.W_ih.T + w.b).reshape(steps, batch, 4 * hidden)
    act = np.empty((steps, batch, 4 * hidden), dtype=x.dtype)
    c, tanh_c, h = (np.empty((steps, batch, hidden), dtype=x.dtype) for _ in range(3))
    h_prev, c_prev = h0, c0
    for t in range(steps):
        act[t], c[t], tanh_c[t], h[t] = _lstm_cell(xw[t] + h_prev @ w.W_hh.T, c_prev)
        h_prev, c_prev = h[t], c[t]
    return h, LSTMCache(x, h0, c0, h0_given, c0_given, act, c, tanh_c, h, w)


def lstm_backward(dout, cache: LSTMCache, dh_n=None, dc_n=None):
    r"""Backpropagation through time for :func:`lstm_forward`.

    Shape:
        - dout: ``(T, N, H)``, the gradient reaching every output
        - dh_n, dc_n: ``(N, H)`` or None, extra gradients reaching the final states
        - returns ``(dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)``: ``(T, N, D)``, ``(N, H)``,
          ``(N, H)``, ``(4H, D)``, ``(4H, H)``, ``(4H,)``, ``(4H,)``; ``dh0``/``dc0`` are None
          when ``h0``/``c0`` were None, a bias gradient is None when that bias was None

    Formula: :func:`lstm_step_backward` from the last step to the first, carrying
    :math:`dh_{t-1} = da_t W_{hh}` and :math:`dc_{t-1} = dc_{tot,t} \odot f_t` back; the weight
    gradients sum over steps and are computed after the loop as one matrix product each,
    e.g. :math:`dW_{hh} = \sum_t da_t^\top h_{t-1}`.

    Example::

        >>> z = np.zeros
        >>> out, cache = lstm_forward(np.ones((5, 2, 3)), z((2, 4)), None, z((16, 3)), z((16, 4)))
        >>> dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(np.ones_like(out), cache)
        >>> dx.shape, dh0.shape, dc0
        ((5, 2, 3), (2, 4), None)
    """
    cache = check_cache(cache, LSTMCache, "lstm_forward")
    dout = _check_seq_dout(dout, cache.h)
    dh_next = _check_final_grad(dh_n, "dh_n", cache.h[-1])
    dc_next = _check_final_grad(dc_n, "dc_n", cache.c[-1])
    w, h, c = cache.weights, cache.h, cache.c
    steps, batch, hidden = h.shape
    dpre = np.empty((steps, batch, 4 * hidden), dtype=h.dtype)
    slopes = _gate_slopes(cache.act)  # all steps in one go, outside the loop
    for t in reversed(range(steps)):
        c_prev = c[t - 1] if t > 0 else cache.c0
        dc_next = _lstm_cell_backward(dout[t] + dh_next, dc_next, cache.act[t], slopes[t], c_prev, cache.tanh_c[t],
                                      dpre[t])
        dh_next = dpre[t] @ w.W_hh
    dx, *param_grads = _sequence_affine_grads(dpre, cache.x, cache.h0, h, w)
    return (dx, dh_next if cache.h0_given else None, dc_next if cache.c0_given else None, *param_grads)


# --------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------


def clip_grad_norm(grads, max_norm: float, norm_type: float = 2.0):
    r"""Scale a list of gradients down so their joint norm is at most ``max_norm``.

    Shape: ``grads`` a list of arrays of any shapes (None entries are passed through);
    returns ``(clipped, total_norm)``: new arrays of the same shapes, and the norm
    before clipping as a float. The inputs are not modified (``torch.nn.utils.clip_grad_norm_``
    scales in place; this returns copies).

    Formula: :math:`\text{total} = \lVert (\lVert g_1 \rVert_p, \dots, \lVert g_k \rVert_p) \rVert_p`,
    every :math:`g \leftarrow g \cdot \min(1, \text{max\_norm} / (\text{total} + 10^{-6}))`,
    exactly torch's rule (``norm_type`` 2, 1 or ``inf``). As in torch, a NaN anywhere makes
    ``total`` NaN and every clipped gradient NaN, so a diverging run shows at once; an
    infinite ``total`` scales every gradient by 0 (the infinite entries become NaN).

    Example::

        >>> clipped, norm = clip_grad_norm([np.array([3.0, 4.0])], max_norm=1.0)
        >>> norm, clipped[0].round(4)
        (5.0, array([0.6, 0.8]))
    """
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list of arrays, got {type(grads).__name__}. Wrap one array as [g].")
    max_norm = check_real(max_norm, "max_norm", low=0)
    norm_type = check_real(norm_type, "norm_type", low=1)
    arrays = [None if g is None else as_float_array(g, f"grads[{k}]") for k, g in enumerate(grads)]
    present = [g for g in arrays if g is not None]
    if not present:
        return list(arrays), 0.0
    if np.isinf(norm_type):  # np.max, not Python's max: a NaN anywhere must make the total NaN
        total = float(np.max([np.max(np.abs(g), initial=0.0) for g in present]))
    else:
        norms = [np.sum(np.abs(g.astype(np.float64)) ** norm_type) ** (1 / norm_type) for g in present]
        total = float(np.sum(np.array(norms) ** norm_type) ** (1 / norm_type))
    with np.errstate(invalid="ignore", over="ignore"):
        # np.minimum keeps a NaN total (Python's min(1.0, nan) is 1.0 and would hide it): as torch, one
        # NaN gradient makes every clipped gradient NaN, and an infinite norm scales everything by 0.
        scale = np.minimum(1.0, max_norm / (total + 1e-6))
        return [None if g is None else g * g.dtype.type(scale) for g in arrays], total
