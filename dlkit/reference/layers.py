"""Functional dense layers: linear, dropout, batch norm and embedding.

Every layer is a pair ``name_forward(...) -> (out, cache)`` and
``name_backward(dout, cache) -> gradients in input order``; the cache is a
small named container holding what backward needs. Layouts follow
``torch.nn``: a linear weight is ``(out_features, in_features)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_cache, check_dim, check_min_ndim, check_same_shape, check_shape

# --------------------------------------------------------------------------
# Linear (lessons 01 and 03)
# --------------------------------------------------------------------------


class LinearCache(NamedTuple):
    """What :func:`linear_forward` keeps: the input ``x``, the weight ``W``, whether a bias was used."""

    x: np.ndarray
    W: np.ndarray
    has_bias: bool


def linear_forward(x, W, b=None):
    r"""Affine layer, as ``torch.nn.functional.linear``.

    Shape:
        - x: ``(*, in_features)``, e.g. ``(N, D)`` for a batch of N rows
        - W: ``(out_features, in_features)``
        - b: ``(out_features,)`` or None
        - out: ``(*, out_features)``

    Formula: :math:`\text{out} = x W^\top + b`.

    Returns ``(out, cache)``; pass ``cache`` to :func:`linear_backward`.

    Example::

        >>> x = np.ones((2, 3)); W = np.ones((4, 3)); b = np.zeros(4)
        >>> out, cache = linear_forward(x, W, b)
        >>> out.shape
        (2, 4)
    """
    x = as_float_array(x, "x")
    check_min_ndim(x, "x", 1, "*, in_features")
    W = as_float_array(W, "W", ndim=2)
    check_dim(
        x.shape[-1], W.shape[1], f"in_features: the last dimension of x (shape {x.shape}) must equal W.shape[1] "
        f"(W has shape {W.shape})", "W is (out_features, in_features), as in torch.nn.Linear; try W.T.",
    )
    out = x @ W.T
    if b is not None:
        b = as_float_array(b, "b", ndim=1)
        check_dim(b.shape[0], W.shape[0], f"out_features: b (shape {b.shape}) must have one entry per row of W "
                  f"(W has shape {W.shape})")
        out = out + b
    return out, LinearCache(x, W, b is not None)


def linear_backward(dout, cache: LinearCache):
    r"""Gradients of the affine layer.

    Shape:
        - dout: ``(*, out_features)``, the upstream gradient
        - returns ``(dx, dW, db)``: ``(*, in_features)``, ``(out_features, in_features)``,
          ``(out_features,)`` (``db`` is None when the forward had no bias)

    Formula: :math:`dx = dout\,W`, :math:`dW = dout^\top x`, :math:`db = \sum_n dout_n`
    (sums run over every leading dimension).

    Example::

        >>> out, cache = linear_forward(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4))
        >>> dx, dW, db = linear_backward(np.ones((2, 4)), cache)
        >>> db
        array([2., 2., 2., 2.])
    """
    cache = check_cache(cache, LinearCache, "linear_forward")
    x, W = cache.x, cache.W
    dout = as_float_array(dout, "dout")
    check_shape(dout, x.shape[:-1] + (W.shape[0],), "dout", "the shape of the forward output")
    dx = dout @ W
    dout2d = dout.reshape(-1, W.shape[0])
    dW = dout2d.T @ x.reshape(-1, W.shape[1])
    db = dout2d.sum(axis=0) if cache.has_bias else None
    return dx, dW, db
