"""Activation functions and their derivatives, as numbers and as a figure (lesson 01)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlkit.plot._base import figure_and_axes, to_numpy

# The curves are drawn with formulas of their own, not dlkit.reference's: the
# grader withdraws the reference answers of the lesson being graded, and a
# lesson's figures must still draw there.


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))  # the same curve, and never overflows


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _gelu(x):
    # tanh approximation, as torch.nn.GELU(approximate="tanh")
    c = np.sqrt(2.0 / np.pi)
    return 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x**3)))


def _gelu_grad(x):
    c = np.sqrt(2.0 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * c * (1.0 + 3 * 0.044715 * x**2)


#: name -> (f, f'), both numpy functions of an array, as in torch.nn (leaky slope 0.01, ELU alpha 1).
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    "softplus": (_softplus, _sigmoid),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1.0 + x * (1.0 - _sigmoid(x)))),
    "gelu": (_gelu, _gelu_grad),
    "linear": (lambda x: np.asarray(x, dtype=float).copy(), lambda x: np.ones_like(x, dtype=float)),
}


#: Legend labels of the two lines of :func:`activation`, in the lessons' notation (z is the pre-activation).
VALUE_LABEL = r"$\phi(z)$"
SLOPE_LABEL = r"$\phi'(z)$"


def numerical_derivative(f: Callable, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred difference ``(f(x + h) - f(x - h)) / 2h``, elementwise; shape of ``x``."""
    return (np.asarray(f(x + h), dtype=float) - np.asarray(f(x - h), dtype=float)) / (2 * h)


def activation_curve(fn: str | Callable, x=None, derivative: Callable | None = None):
    """The values an activation plot draws: ``(x, f(x), f'(x))``, each of shape ``(N,)``.

    Args:
        fn: a name from ``ACTIVATIONS`` (``"sigmoid"``, ``"tanh"``, ``"relu"``,
            ``"leaky_relu"``, ``"elu"``, ``"softplus"``, ``"silu"``, ``"gelu"``,
            ``"linear"``) or a numpy function of an array.
        x: the points, shape ``(N,)``; default 401 points on ``[-5, 5]``.
        derivative: ``f'`` as a function; default the exact derivative for a
            named activation, else a centred difference of ``fn``.

    Example:
        >>> x, y, dy = activation_curve("relu", np.array([-1.0, 2.0]))   # y = [0, 2], dy = [0, 1]
    """
    x = np.linspace(-5.0, 5.0, 401) if x is None else to_numpy(x, "x").astype(float).ravel()
    if isinstance(fn, str):
        if fn not in ACTIVATIONS:
            raise ValueError(f"unknown activation {fn!r}; choose one of {sorted(ACTIVATIONS)} or pass a function.")
        f, exact = ACTIVATIONS[fn]
        derivative = derivative or exact
    elif callable(fn):
        f = fn
    else:
        raise TypeError(f"fn must be an activation name or a function, got {type(fn).__name__}.")
    y = np.asarray(f(x), dtype=float)
    dy = np.asarray(derivative(x), dtype=float) if derivative is not None else numerical_derivative(f, x)
    if y.shape != x.shape or dy.shape != x.shape:
        raise ValueError(f"the activation must map an array of shape {x.shape} to the same shape; "
                         f"got f(x) {y.shape} and f'(x) {dy.shape}. Use elementwise numpy operations.")
    return x, y, dy


def activation(fn: str | Callable = "sigmoid", *, x=None, derivative: Callable | None = None, ax=None,
               name: str | None = None):
    """An activation function and its derivative on one axes: two lines, ``f`` and ``f'``.

    Args:
        fn, x, derivative: as in ``activation_curve``.
        ax: an Axes to draw into; default a new figure.
        name: the title; default ``fn``'s name.

    Returns:
        the Figure; its axes holds the lines labelled ``phi(z)`` and ``phi'(z)``
        (:data:`VALUE_LABEL`, :data:`SLOPE_LABEL`) in blue and dashed vermilion.

    Example:
        >>> fig = dlkit.plot.activation("tanh")
    """
    x, y, dy = activation_curve(fn, x, derivative)
    fig, ax = figure_and_axes(ax, figsize=(5.0, 3.6))
    title = name or (fn if isinstance(fn, str) else getattr(fn, "__name__", "activation"))
    ax.plot(x, y, label=VALUE_LABEL, linewidth=2, color="#0072B2")
    ax.plot(x, dy, label=SLOPE_LABEL, linestyle="--", linewidth=2, color="#D55E00")
    ax.axhline(0, color="gray", linewidth=0.6)
    ax.axvline(0, color="gray", linewidth=0.6)
    ax.set_title(title)
    ax.set_xlabel("pre-activation $z$")
    ax.legend(loc="best")
    return fig
