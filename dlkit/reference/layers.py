"""Functional dense layers: linear, dropout, batch norm and embedding.

Every layer is a pair ``name_forward(...) -> (out, cache)`` and
``name_backward(dout, cache) -> gradients in input order``; the cache is a
small named container holding what backward needs. Layouts follow
``torch.nn``: a linear weight is ``(out_features, in_features)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import (
    as_float_array,
    as_index_array,
    check_cache,
    check_dim,
    check_min_ndim,
    check_real,
    check_shape,
)

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


# --------------------------------------------------------------------------
# Dropout (lesson 06)
# --------------------------------------------------------------------------


class DropoutCache(NamedTuple):
    """What :func:`dropout_forward` keeps: the scaled mask (0 or ``1/(1-p)``), None in eval mode."""

    mask: np.ndarray | None
    shape: tuple


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """``rng`` as a ``np.random.Generator``: a Generator is used as is, an int seeds a new one, None draws fresh entropy."""
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a np.random.Generator, an int seed or None, got {type(rng).__name__}. "
            "Create one with np.random.default_rng(0)."
        )
    return rng


def dropout_forward(x, p: float = 0.5, *, train: bool = True, rng=None):
    r"""Inverted dropout, as ``torch.nn.functional.dropout``.

    Shape: ``x (*)`` -> ``out (*)``, same dtype.

    Formula (training): :math:`\text{out} = x \odot m / (1 - p)` with
    :math:`m_i \sim \text{Bernoulli}(1 - p)`, so :math:`E[\text{out}] = x`; in eval
    mode (``train=False``) the layer is the identity. ``p = 1`` zeroes everything.

    Args:
        p: probability of zeroing an entry, in ``[0, 1]``.
        rng: a ``np.random.Generator`` or an int seed (reproducible masks); None draws fresh entropy.

    Example::

        >>> out, cache = dropout_forward(np.ones(4), p=0.5, rng=0)
        >>> sorted(set(out.tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    x = as_float_array(x, "x")
    p = check_real(p, "p", low=0.0, high=1.0)
    if not train or p == 0.0:
        return x.copy(), DropoutCache(None, x.shape)
    keep = as_generator(rng).random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.astype(x.dtype) * x.dtype.type(scale)
    return x * mask, DropoutCache(mask, x.shape)


def dropout_backward(dout, cache: DropoutCache) -> np.ndarray:
    r"""Gradient of dropout. Shape: ``dout (*)`` -> ``dx (*)``.

    Formula: :math:`dx = dout \odot m / (1 - p)`, the same mask as the forward pass
    (:math:`dx = dout` in eval mode).

    Example::

        >>> out, cache = dropout_forward(np.ones(3), p=0.0)
        >>> dropout_backward(np.ones(3), cache)
        array([1., 1., 1.])
    """
    cache = check_cache(cache, DropoutCache, "dropout_forward")
    dout = as_float_array(dout, "dout")
    check_shape(dout, cache.shape, "dout", "the shape of the forward output")
    return dout.copy() if cache.mask is None else dout * cache.mask


# --------------------------------------------------------------------------
# Batch normalisation (lesson 06)
# --------------------------------------------------------------------------


class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_forward` keeps, plus the updated running statistics.

    ``running_mean`` / ``running_var`` are *new* arrays (the caller's are never
    modified): a layer object stores them for the next step. They are None when
    none were passed in.
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    train: bool
    axes: tuple
    running_mean: np.ndarray | None
    running_var: np.ndarray | None


def _channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    """A ``(C,)`` vector as ``(1, C, 1, ...)`` so it broadcasts against ``(N, C, *)``."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batchnorm_forward(x, gamma, beta, running_mean=None, running_var=None, *, train: bool = True,
                      momentum: float = 0.1, eps: float = 1e-5):
    r"""Batch normalisation over every axis but the channel axis 1, as ``torch.nn.functional.batch_norm``.

    Shape:
        - x: ``(N, C)`` or ``(N, C, L)`` (BatchNorm1d), ``(N, C, H, W)`` (BatchNorm2d)
        - gamma, beta, running_mean, running_var: ``(C,)``
        - out: like ``x``

    Formula: :math:`\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}`,
    :math:`\text{out} = \gamma \hat x + \beta`. In training :math:`\mu, \sigma^2` are the
    batch mean and biased variance per channel, and the running statistics become
    :math:`(1-\text{momentum})\,r + \text{momentum}\cdot s` (with the *unbiased*
    variance, as torch). In eval mode the running statistics are used.

    Returns ``(out, cache)``; the updated running statistics are ``cache.running_mean``
    and ``cache.running_var`` (new arrays; the ones passed in are not modified).

    Example::

        >>> x = np.array([[1.0], [3.0]])
        >>> out, cache = batchnorm_forward(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1))
        >>> out.round(3).ravel().tolist(), cache.running_mean.tolist()
        ([-1.0, 1.0], [0.2])
    """
    x = as_float_array(x, "x")
    check_min_ndim(x, "x", 2, "N, C, *")
    c = x.shape[1]
    gamma = as_float_array(gamma, "gamma", ndim=1)
    beta = as_float_array(beta, "beta", ndim=1)
    for vec, vname in ((gamma, "gamma"), (beta, "beta")):
        check_shape(vec, (c,), vname, f"one entry per channel of x, whose shape is {x.shape}")
    stats = []
    for vec, vname in ((running_mean, "running_mean"), (running_var, "running_var")):
        if vec is not None:
            vec = as_float_array(vec, vname, ndim=1)
            check_shape(vec, (c,), vname, f"one entry per channel of x, whose shape is {x.shape}")
        stats.append(vec)
    running_mean, running_var = stats
    if (running_mean is None) != (running_var is None):
        raise ValueError("pass both running_mean and running_var, or neither.")
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
    eps = check_real(eps, "eps", low=0.0, low_inclusive=False)
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // c if c else 0
    if train:
        if count <= 1:
            raise ValueError(
                f"batch norm in training needs more than one value per channel, got x of shape {x.shape}. "
                "Use a batch of at least 2, or train=False."
            )
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        if running_mean is not None:
            unbiased = var * (count / (count - 1))
            running_mean = (1 - momentum) * running_mean + momentum * mean
            running_var = (1 - momentum) * running_var + momentum * unbiased
    else:
        if running_mean is None:
            raise ValueError("batch norm in eval mode (train=False) needs running_mean and running_var.")
        mean, var = running_mean, running_var
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - _channel_view(mean, x.ndim)) * _channel_view(inv_std, x.ndim)
    out = _channel_view(gamma, x.ndim) * x_hat + _channel_view(beta, x.ndim)
    return out, BatchNormCache(x_hat, inv_std, gamma, train, axes, running_mean, running_var)


def batchnorm_backward(dout, cache: BatchNormCache):
    r"""Gradients of batch normalisation.

    Shape:
        - dout: like ``x``, ``(N, C, *)``
        - returns ``(dx, dgamma, dbeta)``: like ``x``, ``(C,)``, ``(C,)``

    Formula, with :math:`m` values per channel and :math:`g = \gamma\, dout`:
    :math:`d\beta = \sum dout`, :math:`d\gamma = \sum dout \odot \hat x`, and in training
    :math:`dx = \frac{1}{m\sqrt{\sigma^2+\epsilon}} (m g - \sum g - \hat x \sum g \hat x)`
    (the batch statistics depend on ``x``); in eval mode :math:`dx = g / \sqrt{\sigma^2+\epsilon}`.

    Example::

        >>> out, cache = batchnorm_forward(np.array([[1.0], [3.0]]), np.ones(1), np.zeros(1))
        >>> dx, dgamma, dbeta = batchnorm_backward(np.ones((2, 1)), cache)
        >>> dbeta.tolist()
        [2.0]
    """
    cache = check_cache(cache, BatchNormCache, "batchnorm_forward")
    dout = as_float_array(dout, "dout")
    x_hat, axes = cache.x_hat, cache.axes
    check_shape(dout, x_hat.shape, "dout", "the shape of the forward output")
    ndim = x_hat.ndim
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    g = dout * _channel_view(cache.gamma, ndim)
    inv_std = _channel_view(cache.inv_std, ndim)
    if not cache.train:
        return g * inv_std, dgamma, dbeta
    m = x_hat.size // x_hat.shape[1]
    sum_g = g.sum(axis=axes, keepdims=True)
    sum_g_xhat = (g * x_hat).sum(axis=axes, keepdims=True)
    dx = inv_std / m * (m * g - sum_g - x_hat * sum_g_xhat)
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------
# Embedding (lesson 09)
# --------------------------------------------------------------------------


class EmbeddingCache(NamedTuple):
    """What :func:`embedding_forward` keeps: the indices and the table's shape and dtype."""

    indices: np.ndarray
    weight_shape: tuple
    dtype: np.dtype


def embedding_forward(indices, W):
    r"""Look up rows of a table, as ``torch.nn.functional.embedding``.

    Shape:
        - indices: ``(*)`` integers in ``[0, num_embeddings)``
        - W: ``(num_embeddings, embedding_dim)``
        - out: ``(*, embedding_dim)``

    Formula: :math:`\text{out}[\dots] = W[\text{indices}[\dots]]`.

    Example::

        >>> out, cache = embedding_forward(np.array([2, 0]), np.arange(6.0).reshape(3, 2))
        >>> out.tolist()
        [[4.0, 5.0], [0.0, 1.0]]
    """
    W = as_float_array(W, "W", ndim=2)
    indices = as_index_array(indices, "indices", high=W.shape[0])
    return W[indices], EmbeddingCache(indices, W.shape, W.dtype)


def embedding_backward(dout, cache: EmbeddingCache) -> np.ndarray:
    r"""Gradient of the table. Shape: ``dout (*, embedding_dim)`` -> ``dW (num_embeddings, embedding_dim)``.

    Formula: :math:`dW_k = \sum_{i:\ \text{indices}_i = k} dout_i`; a row used twice
    gets both contributions (``np.add.at``, not ``dW[idx] += dout``, which would keep one).

    Example::

        >>> out, cache = embedding_forward(np.array([1, 1]), np.zeros((3, 2)))
        >>> embedding_backward(np.ones((2, 2)), cache).tolist()
        [[0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]
    """
    cache = check_cache(cache, EmbeddingCache, "embedding_forward")
    dout = as_float_array(dout, "dout")
    check_shape(dout, cache.indices.shape + (cache.weight_shape[1],), "dout", "the shape of the forward output")
    dW = np.zeros(cache.weight_shape, dtype=np.result_type(dout.dtype, cache.dtype))
    np.add.at(dW, cache.indices, dout)
    return dW
