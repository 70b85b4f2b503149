"""Plausible wrong answers (mutants) and other correct answers for lesson 11's exercises.

Each source is a complete answer cell. The function exercises (``attention``,
``masked_attention``, ``multi_head``, ``positional_encoding``) are one ``def``;
``masked_attention`` and ``multi_head`` may call ``attention`` from the first
answer cell (see :data:`REQUIRES`). The model exercise (``reverser``) is the
cell's training code, starting from ``reverser = None``; it runs after the
notebook's data cell (``reverse``) and model cell (``TinyTransformer``,
``train_tokens``, ``sequence_loss``), which use the ``positional_encoding`` answer.

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"11.attention"``).
LESSON = "11"

#: Earlier answer cells (by exercise name) and other cells (by grade id) an exercise's sources need first.
REQUIRES: dict[str, tuple[str, ...]] = {
    "masked_attention": ("attention",),
    "multi_head": ("attention",),
    "reverser": ("positional_encoding", "reverse-data", "model-def"),
}

#: What the notebook has imported when an answer cell runs (its imports cell).
IMPORTS = dedent("""
    import os
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    from dlkit import data, train
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _attention(scores_line: str, softmax: str = "stable", mask_line: str = "scores = np.where(mask, scores, -np.inf)",
               ret: str = "return w @ v, w") -> str:
    """An attention answer that differs from a correct one in the given line."""
    soft = {"stable": "e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n    w = e / e.sum(axis=-1, keepdims=True)",
            "unstable": "e = np.exp(scores)\n    w = e / e.sum(axis=-1, keepdims=True)",
            "queries": "e = np.exp(scores - scores.max(axis=-2, keepdims=True))\n    w = e / e.sum(axis=-2, keepdims=True)",
            }[softmax]
    return (f"def attention(q, k, v, mask=None):\n    {scores_line}\n    if mask is not None:\n        {mask_line}\n"
            f"    {soft}\n    {ret}\n")


_SCORES = "scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])"

_MHA = """
    def multi_head_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, mask=None):
        n, length, embed = x.shape
        d = embed // num_heads
        wq, wk, wv = np.split(in_proj_weight, 3)
        bq, bk, bv = np.split(in_proj_bias, 3)
        q, k, v = (x @ w.T + b for w, b in ((wq, bq), (wk, bk), (wv, bv)))
        {split}
        heads, _ = attention(q, k, v, mask=mask)
        {merge}
        return {out}
"""
_SPLIT = "q, k, v = (y.reshape(n, length, num_heads, d).transpose(0, 2, 1, 3) for y in (q, k, v))"
_MERGE = "merged = heads.transpose(0, 2, 1, 3).reshape(n, length, embed)"
_OUT = "merged @ out_proj_weight.T + out_proj_bias"


def _mha(split: str = _SPLIT, merge: str = _MERGE, out: str = _OUT) -> str:
    return _src(_MHA.format(split=split, merge=merge, out=out))


def _reverser(body: str) -> str:
    """A reverser answer cell: the unset line, then the student's code."""
    return "reverser = None\n" + _src(body)


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "attention": [
        ("forgets to scale the scores by 1 / sqrt(d)",
         _attention("scores = q @ np.swapaxes(k, -1, -2)")),
        ("scales by 1 / d instead of 1 / sqrt(d)",
         _attention("scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1]")),
        ("softmax over the queries (axis -2) instead of the keys",
         _attention(_SCORES, softmax="queries")),
        ("k.T reverses every axis, not just the last two",
         _attention("scores = q @ k.T / np.sqrt(q.shape[-1])")),
        ("softmax without subtracting the row maximum: overflows for large scores",
         _attention(_SCORES, softmax="unstable", mask_line="scores = np.where(mask, scores, -1e9)")),
        ("mask read the other way round (True = blocked)",
         _attention(_SCORES, mask_line="scores = np.where(mask, -np.inf, scores)")),
        ("zeroes the masked weights after the softmax without renormalising", _src("""
            def attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
                e = np.exp(scores - scores.max(axis=-1, keepdims=True))
                w = e / e.sum(axis=-1, keepdims=True)
                if mask is not None:
                    w = w * mask
                return w @ v, w
        """)),
        ("returns only the output, not the weights",
         _attention(_SCORES, ret="return w @ v")),
    ],
    "masked_attention": [
        ("pads the queries instead of the keys", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[-2], k.shape[-2]
                mask = (np.arange(L)[None, :] < np.asarray(lengths)[:, None])[:, :, None]
                if causal:
                    mask = mask & np.tril(np.ones((L, S), dtype=bool))
                return attention(q, k, v, mask=mask)
        """)),
        ("causal mask upper-triangular: each query sees the future", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[-2], k.shape[-2]
                mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None])[:, None, :]
                if causal:
                    mask = mask & np.triu(np.ones((L, S), dtype=bool))
                return attention(q, k, v, mask=mask)
        """)),
        ("off by one: the key at position lengths[n] is kept", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[-2], k.shape[-2]
                mask = (np.arange(S)[None, :] <= np.asarray(lengths)[:, None])[:, None, :]
                if causal:
                    mask = mask & np.tril(np.ones((L, S), dtype=bool))
                return attention(q, k, v, mask=mask)
        """)),
        ("ignores causal", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                S = k.shape[-2]
                mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None])[:, None, :]
                return attention(q, k, v, mask=mask)
        """)),
        ("causal without the diagonal: a query may not see itself", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[-2], k.shape[-2]
                mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None])[:, None, :]
                if causal:
                    mask = mask & np.tril(np.ones((L, S), dtype=bool), k=-1)
                return attention(q, k, v, mask=mask)
        """)),
        ("causal replaces the padding mask instead of combining with it", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[-2], k.shape[-2]
                mask = (np.arange(S)[None, :] < np.asarray(lengths)[:, None])[:, None, :]
                if causal:
                    mask = np.tril(np.ones((L, S), dtype=bool))
                return attention(q, k, v, mask=mask)
        """)),
    ],
    "multi_head": [
        ("heads take every h-th feature instead of contiguous blocks",
         _mha(split="q, k, v = (y.reshape(n, length, d, num_heads).transpose(0, 3, 1, 2) for y in (q, k, v))",
              merge="merged = heads.transpose(0, 2, 3, 1).reshape(n, length, embed)")),
        ("reshapes to (N, heads, L, d) without moving the axes", _mha(
            split="q, k, v = (y.reshape(n, num_heads, length, d) for y in (q, k, v))",
            merge="merged = heads.reshape(n, length, embed)")),
        ("ignores num_heads: one head of width E",
         _mha(split="q, k, v = q, k, v", merge="merged = heads")),
        ("projects with W instead of W^T", _src("""
            def multi_head_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads,
                                     mask=None):
                n, length, embed = x.shape
                d = embed // num_heads
                ys = [x @ w + b for w, b in zip(np.split(in_proj_weight, 3, axis=0), np.split(in_proj_bias, 3))]
                q, k, v = (y.reshape(n, length, num_heads, d).transpose(0, 2, 1, 3) for y in ys)
                heads, _ = attention(q, k, v, mask=mask)
                return heads.transpose(0, 2, 1, 3).reshape(n, length, embed) @ out_proj_weight + out_proj_bias
        """)),
        ("forgets the output projection's bias", _mha(out="merged @ out_proj_weight.T")),
        ("leaves out the output projection", _mha(out="merged")),
    ],
    "positional_encoding": [
        ("sine and cosine swapped", _src("""
            def positional_encoding(length, d_model):
                angles = np.arange(length)[:, None] / 10000 ** (np.arange(0, d_model, 2) / d_model)
                pe = np.zeros((length, d_model))
                pe[:, 0::2], pe[:, 1::2] = np.cos(angles), np.sin(angles)
                return pe
        """)),
        ("exponent i / d instead of 2i / d", _src("""
            def positional_encoding(length, d_model):
                angles = np.arange(length)[:, None] / 10000 ** (np.arange(d_model // 2) / d_model)
                pe = np.zeros((length, d_model))
                pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
                return pe
        """)),
        ("all sines first, then all cosines (not interleaved)", _src("""
            def positional_encoding(length, d_model):
                angles = np.arange(length)[:, None] / 10000 ** (np.arange(0, d_model, 2) / d_model)
                return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
        """)),
        ("computed in float32", _src("""
            def positional_encoding(length, d_model):
                angles = np.arange(length, dtype=np.float32)[:, None] / np.float32(10000) ** (
                    np.arange(0, d_model, 2, dtype=np.float32) / np.float32(d_model))
                pe = np.zeros((length, d_model), dtype=np.float32)
                pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
                return pe
        """)),
        ("positions counted from 1", _src("""
            def positional_encoding(length, d_model):
                angles = np.arange(1, length + 1)[:, None] / 10000 ** (np.arange(0, d_model, 2) / d_model)
                pe = np.zeros((length, d_model))
                pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
                return pe
        """)),
    ],
    "reverser": [
        ("an untrained model", _reverser("""
            torch.manual_seed(0)
            reverser = TinyTransformer(vocab_size=10, length=8).eval()
        """)),
        ("copies its input: the targets were never reversed", _reverser("""
            def reverser(X):
                return np.eye(10)[np.asarray(X).astype(int)]
        """)),
        ("memorises the training sequences, copies anything new", _reverser("""
            memory = {tuple(x): y for x, y in zip(reverse.X_train, reverse.y_train)}
            def reverser(X):
                X = np.asarray(X).astype(int)
                return np.stack([memory.get(tuple(x), x) for x in X])
        """)),
        ("no positional encoding: the model cannot tell the positions apart", _reverser("""
            torch.manual_seed(0)
            reverser = train_tokens(TinyTransformer(vocab_size=10, length=8, positions=False),
                                    reverse.X_train, reverse.y_train, epochs=2)
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "attention": [
        ("einsum, a large negative number for hidden scores", _src("""
            def attention(q, k, v, mask=None):
                scores = np.einsum("...ld,...sd->...ls", q, k) / np.sqrt(q.shape[-1])
                if mask is not None:
                    scores = np.where(mask, scores, -1e30)
                w = np.exp(scores - scores.max(axis=-1, keepdims=True))
                w /= w.sum(axis=-1, keepdims=True)
                return np.einsum("...ls,...sv->...lv", w, v), w
        """)),
    ],
    "masked_attention": [
        ("one mask by broadcasting positions, without calling attention", _src("""
            def masked_attention(q, k, v, lengths, causal=False):
                L, S = q.shape[1], k.shape[1]
                t, s = np.arange(L)[:, None], np.arange(S)[None, :]
                allowed = s[None] < np.asarray(lengths)[:, None, None]
                if causal:
                    allowed = allowed & (s <= t)[None]
                scores = np.where(allowed, q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1]), -np.inf)
                w = np.exp(scores - scores.max(axis=-1, keepdims=True))
                w = w / w.sum(axis=-1, keepdims=True)
                return w @ v, w
        """)),
    ],
    "multi_head": [
        ("a loop over the heads, concatenated", _src("""
            def multi_head_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads,
                                     mask=None):
                E = x.shape[-1]
                d = E // num_heads
                q, k, v = (x @ in_proj_weight[i * E:(i + 1) * E].T + in_proj_bias[i * E:(i + 1) * E] for i in range(3))
                outs = [attention(q[..., h * d:(h + 1) * d], k[..., h * d:(h + 1) * d], v[..., h * d:(h + 1) * d],
                                  mask=mask)[0] for h in range(num_heads)]
                return np.concatenate(outs, axis=-1) @ out_proj_weight.T + out_proj_bias
        """)),
    ],
    "positional_encoding": [
        ("two loops, position by position", _src("""
            def positional_encoding(length, d_model):
                pe = np.zeros((length, d_model))
                for p in range(length):
                    for i in range(0, d_model, 2):
                        angle = p / 10000 ** (i / d_model)
                        pe[p, i] = np.sin(angle)
                        pe[p, i + 1] = np.cos(angle)
                return pe
        """)),
    ],
    "reverser": [
        ("a wider model with a plain loop and a constant learning rate", _reverser("""
            torch.manual_seed(1)
            reverser = TinyTransformer(vocab_size=10, length=8, d_model=48, num_heads=4)
            X = torch.as_tensor(np.concatenate([reverse.X_train, reverse.X_val]))
            Y = torch.as_tensor(np.concatenate([reverse.y_train, reverse.y_val]))
            optimizer = torch.optim.Adam(reverser.parameters(), lr=2e-3)
            for epoch in range(5):
                for xb, yb in DataLoader(TensorDataset(X, Y), batch_size=64, shuffle=True):
                    optimizer.zero_grad()
                    F.cross_entropy(reverser(xb).reshape(-1, 10), yb.reshape(-1)).backward()
                    optimizer.step()
            reverser.eval()
        """)),
    ],
}
