"""Attention in numpy (lesson 11): scaled dot-product attention with masks, multi-head attention, positions.

Semantics follow ``torch.nn.functional.scaled_dot_product_attention``: queries
``(*, L, d)``, keys ``(*, S, d)``, values ``(*, S, d_v)``; a boolean mask is
``True`` where a query may attend to a key (broadcast to ``(*, L, S)``), a float
mask is added to the scores; a query with no key to attend to gets an output
(and gradients) of zero, as torch does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_cache, check_dim, check_int, check_real, check_shape, result_dtype
from .layers import linear_backward, linear_forward

# --------------------------------------------------------------------------
# Masks and positions
# --------------------------------------------------------------------------


def causal_mask(query_length: int, key_length: int | None = None) -> np.ndarray:
    r"""Boolean mask letting query ``t`` attend to keys ``0..t`` only (no peeking at the future).

    Shape: returns ``(L, S)`` bool, ``S = L`` unless ``key_length`` is given.

    Formula: :math:`M_{ts} = [s \le t]`, torch's ``torch.ones(L, S, dtype=torch.bool).tril()``.

    Example::

        >>> causal_mask(3).astype(int)
        array([[1, 0, 0],
               [1, 1, 0],
               [1, 1, 1]])
    """
    query_length = check_int(query_length, "query_length", low=1)
    key_length = query_length if key_length is None else check_int(key_length, "key_length", low=1)
    return np.tri(query_length, key_length, dtype=bool)


def sinusoidal_positional_encoding(length: int, d_model: int, base: float = 10000.0, dtype=np.float64) -> np.ndarray:
    r"""The fixed positional encoding of "Attention Is All You Need".

    Shape: returns ``(length, d_model)``; add it to a ``(N, length, d_model)`` batch of embeddings.

    Formula: :math:`PE[p, 2i] = \sin(p / \text{base}^{2i/d})`, :math:`PE[p, 2i+1] = \cos(p / \text{base}^{2i/d})`.
    Every position gets a distinct pattern, and :math:`PE[p + k]` is a rotation of
    :math:`PE[p]`, so relative offsets are easy to read.

    Example::

        >>> sinusoidal_positional_encoding(2, 4).round(3)
        array([[0.   , 1.   , 0.   , 1.   ],
               [0.841, 0.54 , 0.01 , 1.   ]])
    """
    length = check_int(length, "length", low=1)
    d_model = check_int(d_model, "d_model", low=1)
    base = check_real(base, "base", low=0, low_inclusive=False)
    position = np.arange(length)[:, None]
    frequency = base ** (-np.arange(0, d_model, 2) / d_model)  # one per (sin, cos) pair
    angles = position * frequency  # (length, ceil(d/2))
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, :d_model // 2])
    return pe.astype(dtype)


# --------------------------------------------------------------------------
# Scaled dot-product attention
# --------------------------------------------------------------------------


class AttentionCache(NamedTuple):
    """What :func:`attention_forward` keeps: inputs, the scale and the attention weights ``p`` ``(*, L, S)``."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    scale: float
    p: np.ndarray


def _masked_softmax(scores: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Softmax over the last axis using only ``allowed`` entries; a row with none allowed is all zeros."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # a fully masked row: exp(-inf - 0) = 0 everywhere
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1)


def attention_forward(q, k, v, mask=None, causal: bool = False, scale: float | None = None):
    r"""Scaled dot-product attention (``torch.nn.functional.scaled_dot_product_attention``).

    Shape:
        - q: ``(*, L, d)``; k: ``(*, S, d)``; v: ``(*, S, d_v)``; the leading ``*`` the same for all
        - mask: None, a bool array broadcastable to ``(*, L, S)`` (True = may attend), or a
          float array added to the scores
        - causal: also hide the keys after the query: query ``t`` sees keys ``0..t``
          (torch's ``is_causal``; see :func:`causal_mask`)
        - returns ``(out, cache)`` with out ``(*, L, d_v)``; ``cache.p`` holds the attention
          weights ``(*, L, S)``

    Formula: :math:`\text{out} = \mathrm{softmax}(q k^\top \cdot \text{scale} + M)\, v`, with
    :math:`\text{scale} = 1/\sqrt{d}` by default and :math:`M = -\infty` where attention is not allowed.

    Example::

        >>> q = k = v = np.eye(2)[None]
        >>> out, cache = attention_forward(q, k, v, causal=True)
        >>> out[0].round(3)
        array([[1.  , 0.  ],
               [0.33, 0.67]])
    """
    q = as_float_array(q, "q")
    k = as_float_array(k, "k")
    v = as_float_array(v, "v")
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(f"{name} must have at least 2 dimensions (*, length, features), got shape {a.shape}.")
    check_dim(k.shape[-1], q.shape[-1], f"feature size: k (shape {k.shape}) must have the last dimension of q "
              f"(shape {q.shape})", "Queries and keys are compared by a dot product.")
    check_shape(v, k.shape[:-1] + (v.shape[-1],), "v", f"one value per key: k has shape {k.shape}")
    if q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"q, k and v must share their leading dimensions, got q {q.shape} and k {k.shape}.")
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else check_real(scale, "scale")
    dtype = result_dtype(q, k, v)
    q, k, v = (a.astype(dtype, copy=False) for a in (q, k, v))
    scores = (q @ np.swapaxes(k, -1, -2)) * dtype.type(scale)  # (*, L, S)
    allowed = None
    if mask is not None:
        mask = np.asarray(mask)
        try:
            np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to the scores' shape {scores.shape} "
                             f"(*, L, S).") from None
        if mask.dtype == bool:
            allowed = mask
        elif np.issubdtype(mask.dtype, np.floating):
            scores = scores + mask.astype(dtype, copy=False)
        else:
            raise TypeError(f"mask must be bool (True = may attend) or float (added to the scores), got {mask.dtype}.")
    if causal:
        tri = causal_mask(q.shape[-2], k.shape[-2])
        allowed = tri if allowed is None else allowed & tri
    p = _masked_softmax(scores, allowed)
    return p @ v, AttentionCache(q, k, v, scale, p)


def attention_backward(dout, cache: AttentionCache):
    r"""Gradients of :func:`attention_forward`.

    Shape:
        - dout: ``(*, L, d_v)``
        - returns ``(dq, dk, dv)``: ``(*, L, d)``, ``(*, S, d)``, ``(*, S, d_v)`` (no gradient for the mask)

    Formula: with :math:`P` the attention weights, :math:`dv = P^\top dout`,
    :math:`dP = dout\, v^\top`, :math:`dS = P \odot (dP - \mathrm{rowsum}(dP \odot P))`
    (the softmax backward), :math:`dq = dS\, k \cdot \text{scale}`, :math:`dk = dS^\top q \cdot \text{scale}`.

    Example::

        >>> out, cache = attention_forward(np.ones((1, 2, 3)), np.ones((1, 4, 3)), np.ones((1, 4, 5)))
        >>> [g.shape for g in attention_backward(np.ones_like(out), cache)]
        [(1, 2, 3), (1, 4, 3), (1, 4, 5)]
    """
    cache = check_cache(cache, AttentionCache, "attention_forward")
    q, k, v, p = cache.q, cache.k, cache.v, cache.p
    dout = as_float_array(dout, "dout")
    check_shape(dout, q.shape[:-1] + (v.shape[-1],), "dout", "the shape of the forward output, (*, L, d_v)")
    dv = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(v, -1, -2)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    scale = q.dtype.type(cache.scale)
    return (ds @ k) * scale, (np.swapaxes(ds, -1, -2) @ q) * scale, dv


# --------------------------------------------------------------------------
# Multi-head attention
# --------------------------------------------------------------------------


class MultiHeadCache(NamedTuple):
    """What :func:`multi_head_attention_forward` keeps: the caches of its three stages."""

    projections: tuple  # LinearCache for q, k, v
    attention: AttentionCache
    output: object  # LinearCache of the output projection
    num_heads: int


def _split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """``(N, L, E)`` -> ``(N, heads, L, E / heads)``."""
    n, length, e = x.shape
    return x.reshape(n, length, num_heads, e // num_heads).transpose(0, 2, 1, 3)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    """``(N, heads, L, d)`` -> ``(N, L, heads * d)``."""
    n, heads, length, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, length, heads * d)


def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 num_heads: int, mask=None, causal: bool = False):
    r"""Multi-head attention, as ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)``.

    Shape:
        - query: ``(N, L, E)``; key, value: ``(N, S, E)``
        - in_proj_weight: ``(3E, E)`` (rows for q, k, v); in_proj_bias: ``(3E,)`` or None
        - out_proj_weight: ``(E, E)``; out_proj_bias: ``(E,)`` or None
        - mask: as :func:`attention_forward` (bool True = may attend; note that
          ``torch.nn.MultiheadAttention``'s own ``attn_mask`` uses True = blocked)
        - returns ``(out, cache)`` with out ``(N, L, E)``

    Formula: :math:`Q = \text{query}\, W_q^\top + b_q` (same for K, V), split E into
    ``num_heads`` heads of size :math:`d = E / h`, run :func:`attention_forward` in each
    head, concatenate the heads and apply :math:`W_o, b_o`.

    Example::

        >>> E = 4; x = np.ones((2, 3, E))
        >>> out, cache = multi_head_attention_forward(x, x, x, np.eye(3 * E, E), None, np.eye(E), None, 2)
        >>> out.shape
        (2, 3, 4)
    """
    num_heads = check_int(num_heads, "num_heads", low=1)
    query = as_float_array(query, "query", ndim=3)
    key = as_float_array(key, "key", ndim=3)
    value = as_float_array(value, "value", ndim=3)
    in_proj_weight = as_float_array(in_proj_weight, "in_proj_weight", ndim=2)
    embed = query.shape[-1]
    if embed % num_heads:
        raise ValueError(f"the embedding size {embed} must be divisible by num_heads={num_heads}; "
                         f"choose num_heads among the divisors of {embed}.")
    check_shape(in_proj_weight, (3 * embed, embed), "in_proj_weight", "(3E, E): rows for q, k and v")
    weights = np.split(in_proj_weight, 3)
    biases = [None] * 3 if in_proj_bias is None else np.split(as_float_array(in_proj_bias, "in_proj_bias", ndim=1), 3)
    projected, projections = [], []
    for x, w, b in zip((query, key, value), weights, biases):
        y, cache = linear_forward(x, w, b)
        projected.append(_split_heads(y, num_heads))
        projections.append(cache)
    heads, attention = attention_forward(*projected, mask=mask, causal=causal)
    out, output = linear_forward(_merge_heads(heads), out_proj_weight, out_proj_bias)
    return out, MultiHeadCache(tuple(projections), attention, output, num_heads)


def multi_head_attention_backward(dout, cache: MultiHeadCache):
    r"""Gradients of :func:`multi_head_attention_forward`, the three stages in reverse.

    Shape:
        - dout: ``(N, L, E)``
        - returns ``(dquery, dkey, dvalue, din_proj_weight, din_proj_bias, dout_proj_weight, dout_proj_bias)``
          shaped like the inputs (bias gradients None when the bias was None). When
          ``query``, ``key`` and ``value`` are the same array (self-attention), its
          gradient is ``dquery + dkey + dvalue``.

    Formula: the chain rule through output projection, per-head attention
    (:func:`attention_backward`) and the three input projections.

    Example::

        >>> E = 4; x = np.ones((2, 3, E))
        >>> out, cache = multi_head_attention_forward(x, x, x, np.eye(3 * E, E), None, np.eye(E), None, 2)
        >>> len(multi_head_attention_backward(np.ones_like(out), cache))
        7
    """
    cache = check_cache(cache, MultiHeadCache, "multi_head_attention_forward")
    dmerged, dW_out, db_out = linear_backward(dout, cache.output)
    dheads = attention_backward(_split_heads(dmerged, cache.num_heads), cache.attention)
    grads = [linear_backward(_merge_heads(d), proj) for d, proj in zip(dheads, cache.projections)]
    dW_in = np.concatenate([g[1] for g in grads])
    db_in = None if grads[0][2] is None else np.concatenate([g[2] for g in grads])
    return grads[0][0], grads[1][0], grads[2][0], dW_in, db_in, dW_out, db_out
