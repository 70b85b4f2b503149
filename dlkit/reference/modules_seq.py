"""Layer objects for images and sequences (lessons 08 and 09): Conv2d, pooling, Flatten, RNN, LSTM.

They follow the :class:`~dlkit.reference.modules.Module` contract (``params``,
``grads``, ``forward``, ``backward``) over the functional forms in
:mod:`dlkit.reference.conv` and :mod:`dlkit.reference.rnn`, with torch's
parameter names, shapes and default initialisation, so a CNN reads like torch::

    model = Sequential(Conv2d(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10, rng=1))
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, as_int_pair, check_choice, check_int
from .conv import (_only_default, avg_pool2d_backward, avg_pool2d_forward, conv2d_backward, conv2d_forward,
                   max_pool2d_backward, max_pool2d_forward)
from .layers import as_generator
from .modules import Module, _uniform
from .rnn import NONLINEARITIES, lstm_backward, lstm_forward, rnn_backward, rnn_forward


class Conv2d(Module):
    r"""2-D convolution layer, as ``torch.nn.Conv2d`` (no dilation or groups: ``dilation`` other than 1 raises).

    Shape: input ``(N, C_in, H, W)``, output ``(N, C_out, H_out, W_out)``;
    ``params["weight"]`` is ``(C_out, C_in, kh, kw)``, ``params["bias"]`` ``(C_out,)``.

    Formula: :math:`\text{out}[n, f] = b_f + \sum_c w[f, c] \star x[n, c]` (cross-correlation),
    computed by :func:`~dlkit.reference.conv.conv2d_forward` (im2col and one matrix product).

    Init (torch's default): weight and bias from :math:`U(-1/\sqrt{k}, 1/\sqrt{k})`,
    :math:`k = C_{in} k_h k_w`, drawn with ``rng`` (a ``np.random.Generator`` or an int seed).

    Example::

        >>> conv = Conv2d(3, 8, 3, padding=1, rng=0)
        >>> conv.forward(np.zeros((2, 3, 16, 16))).shape
        (2, 8, 16, 16)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, *, rng=None, dtype=np.float64):
        super().__init__()
        _only_default("Conv2d", dilation, 1, "dilation", "kernels of adjacent pixels")
        self.in_channels = check_int(in_channels, "in_channels", low=1)
        self.out_channels = check_int(out_channels, "out_channels", low=1)
        self.kernel_size = as_int_pair(kernel_size, "kernel_size", low=1)
        self.stride = as_int_pair(stride, "stride", low=1)
        self.padding = as_int_pair(padding, "padding", low=0)
        rng = as_generator(rng)
        bound = 1 / np.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.params["weight"] = _uniform(rng, bound, (self.out_channels, self.in_channels, *self.kernel_size), dtype)
        if bias:
            self.params["bias"] = _uniform(rng, bound, (self.out_channels,), dtype)
        self.zero_grad()

    def forward(self, x):
        out, self._cache = conv2d_forward(x, self.params["weight"], self.params.get("bias"), self.stride,
                                          self.padding)
        return out

    def backward(self, dout):
        dx, dw, db = conv2d_backward(dout, self._saved())
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return dx

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={'bias' in self.params}")


class _Pool2d(Module):
    """Shared by the pooling layers: stores the window settings."""

    _forward = staticmethod(max_pool2d_forward)
    _backward = staticmethod(max_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0, **options):
        super().__init__()
        self.options = dict(options)
        type(self)._forward(np.zeros((1, 1, 1, 1)), 1, **self.options)  # unsupported options raise now, not later
        self.kernel_size = as_int_pair(kernel_size, "kernel_size", low=1)
        self.stride = self.kernel_size if stride is None else as_int_pair(stride, "stride", low=1)
        self.padding = as_int_pair(padding, "padding", low=0)

    def forward(self, x):
        out, self._cache = type(self)._forward(x, self.kernel_size, self.stride, self.padding, **self.options)
        return out

    def backward(self, dout):
        return type(self)._backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over each window, as ``torch.nn.MaxPool2d``. Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    ``dilation`` other than 1 and ``ceil_mode=True`` are not supported (a ValueError says so).

    Example::

        >>> MaxPool2d(2).forward(np.zeros((1, 3, 8, 8))).shape
        (1, 3, 4, 4)
    """


class AvgPool2d(_Pool2d):
    """Mean over each window, as ``torch.nn.AvgPool2d``. Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    ``ceil_mode=True`` and ``count_include_pad=False`` are not supported (a ValueError says so).

    Example::

        >>> AvgPool2d(2).forward(np.zeros((1, 3, 8, 8))).shape
        (1, 3, 4, 4)
    """

    _forward = staticmethod(avg_pool2d_forward)
    _backward = staticmethod(avg_pool2d_backward)


class Flatten(Module):
    """Keep the batch axis, flatten the rest, as ``torch.nn.Flatten()``. Shape: ``(N, *) -> (N, prod(*))``.

    Example::

        >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
        (2, 48)
    """

    def forward(self, x):
        x = as_float_array(x, "x")
        if x.ndim < 1:
            raise ValueError(f"Flatten needs at least a batch axis, got a 0-dimensional array {x!r}.")
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return as_float_array(dout, "dout").reshape(self._saved())


class _Recurrent(Module):
    """Shared by RNN and LSTM: torch's parameter names, shapes and initialisation; time-first or batch-first."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        self.input_size = check_int(input_size, "input_size", low=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", low=1)
        self.batch_first = bool(batch_first)
        rng = as_generator(rng)
        bound = 1 / np.sqrt(self.hidden_size)
        rows = self.gates * self.hidden_size
        self.params["weight_ih_l0"] = _uniform(rng, bound, (rows, self.input_size), dtype)
        self.params["weight_hh_l0"] = _uniform(rng, bound, (rows, self.hidden_size), dtype)
        if bias:
            self.params["bias_ih_l0"] = _uniform(rng, bound, (rows,), dtype)
            self.params["bias_hh_l0"] = _uniform(rng, bound, (rows,), dtype)
        self.zero_grad()

    def _weights(self):
        p = self.params
        return p["weight_ih_l0"], p["weight_hh_l0"], p.get("bias_ih_l0"), p.get("bias_hh_l0")

    def _time_first(self, x, name: str) -> np.ndarray:
        x = as_float_array(x, name, ndim=3)
        return x.transpose(1, 0, 2) if self.batch_first else x

    def _store_grads(self, dW_ih, dW_hh, db_ih, db_hh) -> None:
        self.grads["weight_ih_l0"], self.grads["weight_hh_l0"] = dW_ih, dW_hh
        if db_ih is not None:
            self.grads["bias_ih_l0"], self.grads["bias_hh_l0"] = db_ih, db_hh

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, bias={'bias_ih_l0' in self.params}, "
                f"batch_first={self.batch_first}")


class RNN(_Recurrent):
    r"""Vanilla RNN over a sequence, as ``torch.nn.RNN`` (one layer).

    Shape: input ``(T, N, D)`` (``(N, T, D)`` with ``batch_first=True``), output the
    hidden state at every step, ``(T, N, H)`` (or ``(N, T, H)``); after ``forward``,
    ``h_n`` is the last state ``(N, H)``. ``params``: ``weight_ih_l0 (H, D)``,
    ``weight_hh_l0 (H, H)``, ``bias_ih_l0 (H,)``, ``bias_hh_l0 (H,)``, torch's names.

    Formula: :math:`h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`
    (``nonlinearity="relu"`` for ReLU).

    Init (torch's default): every entry from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`.

    ``forward(x, h0=None)``; ``backward(dout, dh_n=None)`` returns ``dx`` and keeps the
    gradient of ``h0`` in ``self.dh0`` (None when ``h0`` was None).

    Example::

        >>> rnn = RNN(3, 5, rng=0)
        >>> rnn.forward(np.zeros((7, 2, 3))).shape, rnn.h_n.shape
        ((7, 2, 5), (2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", bias: bool = True,
                 batch_first: bool = False, *, rng=None, dtype=np.float64):
        self.nonlinearity = check_choice(nonlinearity, NONLINEARITIES, "nonlinearity")
        super().__init__(input_size, hidden_size, bias, batch_first, rng=rng, dtype=dtype)
        self.h_n = self.dh0 = None

    def forward(self, x, h0=None):
        out, self._cache = rnn_forward(self._time_first(x, "x"), h0, *self._weights(), self.nonlinearity)
        self.h_n = self._cache.h_n
        return out.transpose(1, 0, 2) if self.batch_first else out

    def backward(self, dout, dh_n=None):
        dx, self.dh0, *weight_grads = rnn_backward(self._time_first(dout, "dout"), self._saved(), dh_n)
        self._store_grads(*weight_grads)
        return dx.transpose(1, 0, 2) if self.batch_first else dx

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, nonlinearity={self.nonlinearity!r}"


class LSTM(_Recurrent):
    r"""LSTM over a sequence, as ``torch.nn.LSTM`` (one layer; gate blocks i, f, g, o).

    Shape: input ``(T, N, D)`` (``(N, T, D)`` with ``batch_first=True``), output the
    hidden state at every step, ``(T, N, H)`` (or ``(N, T, H)``); after ``forward``,
    ``h_n`` and ``c_n`` are the last states ``(N, H)``. ``params``: ``weight_ih_l0 (4H, D)``,
    ``weight_hh_l0 (4H, H)``, ``bias_ih_l0 (4H,)``, ``bias_hh_l0 (4H,)``, torch's names.

    Formula: see :func:`~dlkit.reference.rnn.lstm_step_forward`:
    :math:`c_t = f_t c_{t-1} + i_t g_t`, :math:`h_t = o_t \tanh(c_t)`.

    Init (torch's default): every entry from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`.

    ``forward(x, h0=None, c0=None)``; ``backward(dout, dh_n=None, dc_n=None)`` returns ``dx``
    and keeps the gradients of the initial states in ``self.dh0``, ``self.dc0``.

    Example::

        >>> lstm = LSTM(3, 5, batch_first=True, rng=0)
        >>> lstm.forward(np.zeros((2, 7, 3))).shape, lstm.c_n.shape
        ((2, 7, 5), (2, 5))
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False, *,
                 rng=None, dtype=np.float64):
        super().__init__(input_size, hidden_size, bias, batch_first, rng=rng, dtype=dtype)
        self.h_n = self.c_n = self.dh0 = self.dc0 = None

    def forward(self, x, h0=None, c0=None):
        out, self._cache = lstm_forward(self._time_first(x, "x"), h0, c0, *self._weights())
        self.h_n, self.c_n = self._cache.h_n, self._cache.c_n
        return out.transpose(1, 0, 2) if self.batch_first else out

    def backward(self, dout, dh_n=None, dc_n=None):
        dx, self.dh0, self.dc0, *weight_grads = lstm_backward(self._time_first(dout, "dout"), self._saved(), dh_n,
                                                              dc_n)
        self._store_grads(*weight_grads)
        return dx.transpose(1, 0, 2) if self.batch_first else dx
