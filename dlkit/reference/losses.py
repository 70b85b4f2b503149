"""Losses (lesson 02), each returning ``(loss, gradient with respect to its first argument)``.

Semantics follow ``torch.nn.functional`` with ``reduction="mean"`` by default:
cross-entropy takes raw logits and integer labels and averages over the batch.
The loss is a numpy scalar of the input's dtype; the gradient has the input's
shape and dtype.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, as_index_array, check_choice, check_dim, check_same_shape
from .activations import log_softmax, sigmoid

REDUCTIONS = ("mean", "sum")


def _reduce(per_element: np.ndarray, grad: np.ndarray, reduction: str):
    """Apply the reduction to the losses and scale the gradient to match."""
    reduction = check_choice(reduction, REDUCTIONS, "reduction")
    if reduction == "sum":
        return per_element.sum(), grad
    n = max(per_element.size, 1)
    return per_element.sum() / per_element.dtype.type(n), grad / grad.dtype.type(n)


def _pair(pred, target, pred_name: str, target_name: str):
    pred = as_float_array(pred, pred_name)
    target = as_float_array(target, target_name)
    check_same_shape(pred, target, pred_name, target_name)
    return pred, target


def mse_loss(pred, target, reduction: str = "mean"):
    r"""Mean squared error and its gradient, as ``torch.nn.functional.mse_loss``.

    Shape: ``pred (*)``, ``target (*)`` the same shape; returns ``(loss, dpred)``,
    ``loss`` a scalar, ``dpred (*)``.

    Formula: :math:`L = \frac{1}{n}\sum_i (p_i - t_i)^2`,
    :math:`\partial L/\partial p_i = \frac{2}{n}(p_i - t_i)` (no :math:`1/n` with ``reduction="sum"``).

    Example::

        >>> loss, dpred = mse_loss(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
        >>> float(loss), dpred.tolist()
        (2.0, [0.0, 2.0])
    """
    pred, target = _pair(pred, target, "pred", "target")
    diff = pred - target
    return _reduce(diff**2, 2 * diff, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean"):
    r"""Binary cross-entropy on raw scores, as ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Shape: ``logits (*)``, ``target (*)`` the same shape with values in ``[0, 1]``;
    returns ``(loss, dlogits)``.

    Formula: with :math:`p = \sigma(z)`,
    :math:`L = -\frac{1}{n}\sum_i t_i \log p_i + (1-t_i)\log(1-p_i)`, computed stably as
    :math:`\max(z,0) - z t + \log(1 + e^{-|z|})`; :math:`\partial L/\partial z = (\sigma(z) - t)/n`.

    Example::

        >>> loss, dz = binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))
        >>> round(float(loss), 4), dz.tolist()
        (0.6931, [-0.5])
    """
    z, t = _pair(logits, target, "logits", "target")
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(
            f"target must hold probabilities in [0, 1], got values from {t.min()} to {t.max()}. "
            "For class indices use cross_entropy."
        )
    per_element = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return _reduce(per_element, sigmoid(z) - t, reduction)


def cross_entropy(logits, labels, reduction: str = "mean"):
    r"""Softmax cross-entropy on raw logits with integer labels, as ``torch.nn.functional.cross_entropy``.

    Shape: ``logits (N, C)``, ``labels (N,)`` integers in ``[0, C)``; returns
    ``(loss, dlogits)`` with ``dlogits (N, C)``.

    Formula: :math:`L = -\frac{1}{N}\sum_n \log\mathrm{softmax}(z_n)_{y_n}`,
    :math:`\partial L/\partial z_n = (\mathrm{softmax}(z_n) - \mathrm{onehot}(y_n)) / N`.

    Example::

        >>> loss, dz = cross_entropy(np.zeros((1, 2)), np.array([0]))
        >>> round(float(loss), 4), dz.tolist()
        (0.6931, [[-0.5, 0.5]])
    """
    z = as_float_array(logits, "logits", ndim=2)
    y = as_index_array(labels, "labels", ndim=1, high=z.shape[1])
    check_dim(y.shape[0], z.shape[0], f"labels (shape {y.shape}) needs one label per row of logits (shape {z.shape})")
    logp = log_softmax(z, axis=1)
    rows = np.arange(z.shape[0])
    grad = np.exp(logp)
    grad[rows, y] -= 1  # grad is our own new array: safe to edit
    return _reduce(-logp[rows, y], grad, reduction)
