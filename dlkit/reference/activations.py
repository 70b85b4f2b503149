"""Activation functions (lesson 01) and their backward passes (lesson 03).

Two forms of each activation:

- the plain function, ``sigmoid(x) -> out``, which lesson 01 asks a learner to write;
- the layer pair, ``sigmoid_forward(x) -> (out, cache)`` and
  ``sigmoid_backward(dout, cache) -> dx``, which lesson 03 chains by hand.

Every function keeps the input's dtype (float32 stays float32), keeps its
shape, returns a new array and never modifies its input. All are numerically
stable: ``sigmoid(-1e3)`` and ``softmax`` over values of magnitude ``1e3`` give
finite answers without overflow warnings.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_axis, check_cache, check_real, check_same_shape

# --------------------------------------------------------------------------
# Plain forward functions (lesson 01)
# --------------------------------------------------------------------------


def sigmoid(x) -> np.ndarray:
    r"""Logistic sigmoid, element-wise.

    Shape: ``x`` any shape ``(*)``; returns the same shape and dtype.

    Formula: :math:`\sigma(x) = 1 / (1 + e^{-x})`.  Computed as
    :math:`1/(1+e^{-|x|})` for :math:`x \ge 0` and :math:`e^{-|x|}/(1+e^{-|x|})`
    otherwise, so ``exp`` only ever sees non-positive numbers and cannot overflow.

    Example::

        >>> sigmoid(np.array([-1e3, 0.0, 1e3]))
        array([0. , 0.5, 1. ])
    """
    x = as_float_array(x, "x")
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def tanh(x) -> np.ndarray:
    r"""Hyperbolic tangent, element-wise.

    Shape: ``x`` any shape ``(*)``; returns the same shape and dtype.

    Formula: :math:`\tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x}) = 2\sigma(2x) - 1`.

    Example::

        >>> tanh(np.array([-1e3, 0.0, 1e3]))
        array([-1.,  0.,  1.])
    """
    x = as_float_array(x, "x")
    return np.tanh(x)


def relu(x) -> np.ndarray:
    r"""Rectified linear unit, element-wise.

    Shape: ``x`` any shape ``(*)``; returns the same shape and dtype.

    Formula: :math:`\mathrm{ReLU}(x) = \max(0, x)` (NaN stays NaN, as in torch).

    Example::

        >>> relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
    """
    x = as_float_array(x, "x")
    return np.maximum(x, 0)


def leaky_relu(x, negative_slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU, element-wise.

    Shape: ``x`` any shape ``(*)``; returns the same shape and dtype.

    Formula: :math:`x` where :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`
    (``torch.nn.functional.leaky_relu``).

    Example::

        >>> leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.1)
        array([-0.2,  3. ])
    """
    x = as_float_array(x, "x")
    negative_slope = check_real(negative_slope, "negative_slope")
    return np.where(x > 0, x, x * negative_slope)


def softmax(x, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: every slice becomes a probability vector.

    Shape: ``x`` any shape with at least one dimension; returns the same shape and dtype.

    Formula: :math:`\mathrm{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}` with
    :math:`m = \max_j x_j`. Subtracting the maximum changes nothing mathematically
    but keeps every exponent :math:`\le 0`, so ``exp`` cannot overflow.

    Example::

        >>> softmax(np.array([1000.0, 1000.0]))
        array([0.5, 0.5])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x, "x")
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along ``axis``, computed without taking ``log(0)``.

    Shape: ``x`` any shape with at least one dimension; returns the same shape and dtype.

    Formula: :math:`\log\mathrm{softmax}(x)_i = (x_i - m) - \log\sum_j e^{x_j - m}`
    with :math:`m = \max_j x_j` (the log-sum-exp trick).

    Example::

        >>> log_softmax(np.array([0.0, 1000.0]))
        array([-1000.,     0.])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x, "x")
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# --------------------------------------------------------------------------
# Layer pairs: forward -> (out, cache), backward(dout, cache) -> dx (lesson 03)
# --------------------------------------------------------------------------


class OutputCache(NamedTuple):
    """What sigmoid and tanh keep for backward: their own output ``out``."""

    out: np.ndarray


class ReluCache(NamedTuple):
    """What ReLU keeps for backward: the input ``x``."""

    x: np.ndarray


class LeakyReluCache(NamedTuple):
    """What leaky ReLU keeps for backward: the input ``x`` and the slope."""

    x: np.ndarray
    negative_slope: float


class SoftmaxCache(NamedTuple):
    """What softmax / log-softmax keep for backward: the output and the axis."""

    out: np.ndarray
    axis: int


def _check_dout(dout, like: np.ndarray) -> np.ndarray:
    """``dout`` must be a float array shaped like the forward output."""
    dout = as_float_array(dout, "dout")
    check_same_shape(dout, like, "dout", "the forward output")
    return dout


def sigmoid_forward(x):
    """Sigmoid as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, OutputCache)``.

    See :func:`sigmoid` for the formula. Example::

        >>> out, cache = sigmoid_forward(np.zeros(3))
    """
    out = sigmoid(x)
    return out, OutputCache(out)


def sigmoid_backward(dout, cache: OutputCache) -> np.ndarray:
    r"""Gradient of sigmoid. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`\partial L/\partial x = \partial L/\partial y \cdot y (1 - y)`.

    Example::

        >>> out, cache = sigmoid_forward(np.zeros(3))
        >>> sigmoid_backward(np.ones(3), cache)
        array([0.25, 0.25, 0.25])
    """
    cache = check_cache(cache, OutputCache, "sigmoid_forward")
    dout = _check_dout(dout, cache.out)
    return dout * cache.out * (1 - cache.out)


def tanh_forward(x):
    """Tanh as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, OutputCache)``.

    See :func:`tanh` for the formula. Example::

        >>> out, cache = tanh_forward(np.zeros(3))
    """
    out = tanh(x)
    return out, OutputCache(out)


def tanh_backward(dout, cache: OutputCache) -> np.ndarray:
    r"""Gradient of tanh. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`\partial L/\partial x = \partial L/\partial y \cdot (1 - y^2)`.

    Example::

        >>> out, cache = tanh_forward(np.zeros(2))
        >>> tanh_backward(np.ones(2), cache)
        array([1., 1.])
    """
    cache = check_cache(cache, OutputCache, "tanh_forward")
    dout = _check_dout(dout, cache.out)
    return dout * (1 - cache.out**2)


def relu_forward(x):
    """ReLU as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, ReluCache)``.

    See :func:`relu` for the formula. Example::

        >>> out, cache = relu_forward(np.array([-1.0, 2.0]))
    """
    out = relu(x)
    return out, ReluCache(as_float_array(x, "x"))


def relu_backward(dout, cache: ReluCache) -> np.ndarray:
    r"""Gradient of ReLU. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`\partial L/\partial x = \partial L/\partial y \cdot [x > 0]`
    (0 at :math:`x = 0`, as in torch).

    Example::

        >>> out, cache = relu_forward(np.array([-1.0, 2.0]))
        >>> relu_backward(np.array([5.0, 5.0]), cache)
        array([0., 5.])
    """
    cache = check_cache(cache, ReluCache, "relu_forward")
    dout = _check_dout(dout, cache.x)
    return np.where(cache.x > 0, dout, 0)


def leaky_relu_forward(x, negative_slope: float = 0.01):
    """Leaky ReLU as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, LeakyReluCache)``.

    See :func:`leaky_relu` for the formula. Example::

        >>> out, cache = leaky_relu_forward(np.array([-1.0, 2.0]), 0.1)
    """
    out = leaky_relu(x, negative_slope)
    return out, LeakyReluCache(as_float_array(x, "x"), float(negative_slope))


def leaky_relu_backward(dout, cache: LeakyReluCache) -> np.ndarray:
    r"""Gradient of leaky ReLU. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`\partial L/\partial x = \partial L/\partial y` where :math:`x > 0`,
    else :math:`\text{negative\_slope} \cdot \partial L/\partial y` (as in torch).

    Example::

        >>> out, cache = leaky_relu_forward(np.array([-1.0, 2.0]), 0.1)
        >>> leaky_relu_backward(np.array([1.0, 1.0]), cache)
        array([0.1, 1. ])
    """
    cache = check_cache(cache, LeakyReluCache, "leaky_relu_forward")
    dout = _check_dout(dout, cache.x)
    return np.where(cache.x > 0, dout, dout * cache.negative_slope)


def softmax_forward(x, axis: int = -1):
    """Softmax as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, SoftmaxCache)``.

    See :func:`softmax` for the formula. Example::

        >>> out, cache = softmax_forward(np.zeros((2, 3)))
    """
    out = softmax(x, axis)
    return out, SoftmaxCache(out, check_axis(axis, out, "x"))


def softmax_backward(dout, cache: SoftmaxCache) -> np.ndarray:
    r"""Gradient of softmax. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula (Jacobian-vector product, no Jacobian built):
    :math:`\partial L/\partial x_i = y_i\,(g_i - \sum_j g_j y_j)` with
    :math:`g = \partial L/\partial y`, summed along the softmax axis.

    Example::

        >>> out, cache = softmax_forward(np.zeros(2))
        >>> softmax_backward(np.array([1.0, 0.0]), cache)
        array([ 0.25, -0.25])
    """
    cache = check_cache(cache, SoftmaxCache, "softmax_forward")
    dout = _check_dout(dout, cache.out)
    y = cache.out
    return y * (dout - (dout * y).sum(axis=cache.axis, keepdims=True))


def log_softmax_forward(x, axis: int = -1):
    """Log-softmax as a layer. Shape: ``x (*)`` -> ``out (*)``; returns ``(out, SoftmaxCache)``.

    See :func:`log_softmax` for the formula. Example::

        >>> out, cache = log_softmax_forward(np.zeros((2, 3)))
    """
    out = log_softmax(x, axis)
    return out, SoftmaxCache(out, check_axis(axis, out, "x"))


def log_softmax_backward(dout, cache: SoftmaxCache) -> np.ndarray:
    r"""Gradient of log-softmax. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`\partial L/\partial x_i = g_i - \mathrm{softmax}(x)_i \sum_j g_j`
    with :math:`g = \partial L/\partial y`, summed along the axis, and
    :math:`\mathrm{softmax}(x) = e^{y}`.

    Example::

        >>> out, cache = log_softmax_forward(np.zeros(2))
        >>> log_softmax_backward(np.array([1.0, 0.0]), cache)
        array([ 0.5, -0.5])
    """
    cache = check_cache(cache, SoftmaxCache, "log_softmax_forward")
    dout = _check_dout(dout, cache.out)
    return dout - np.exp(cache.out) * dout.sum(axis=cache.axis, keepdims=True)
