"""Checks for lesson 11: attention and transformers.

Exercises: ``attention`` (scaled dot-product attention with an optional
boolean mask, returning the output and the weights), ``masked_attention``
(padding and causal masks built from sequence lengths), ``multi_head``
(multi-head self-attention with ``torch.nn.MultiheadAttention``'s parameter
layout), ``positional_encoding`` (the sinusoidal encoding) and ``reverser``
(a tiny transformer trained to reverse token sequences, scored on sequences
drawn at grade time). The answer keys call :mod:`dlkit.reference.attention`,
whose tests hold it to ``torch.nn.functional.scaled_dot_product_attention``
and ``torch.nn.MultiheadAttention``; the notebook never calls them (the grader
withdraws them), it compares with torch.

Mask convention throughout (torch's ``scaled_dot_product_attention``): a
boolean mask is ``True`` where a query **may attend** to a key. Every case
leaves each query at least one key, so no check depends on what a fully masked
row gives.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, Verdict, register
from dlkit.reference import attention as ref

#: Exercise 5 passes at this share of correct output tokens; the solution gets 99.9 to 100% over four seeds.
REVERSE_TARGET = 0.95

#: The sequence task of exercise 5: ``data.make_sequence_task(**REVERSE_TASK)``.
REVERSE_TASK = {"task": "reverse", "n_samples": 3000, "length": 8, "vocab_size": 10, "seed": 0}

#: The one label of exercise 5's cases: visible (the test split) and hidden (new sequences drawn at grade time).
HELD_OUT_SEQUENCES = "held-out sequences of 8 tokens, which training never touches"

_ATTENTION_DONE_FOR_YOU = (
    "torch.nn.functional.scaled_dot_product_attention", "torch.nn.functional.multi_head_attention_forward",
    "dlkit.reference.attention.attention_forward", "dlkit.reference.attention.multi_head_attention_forward",
)


# -- 1. scaled dot-product attention ---------------------------------------------------------

def attention(q, k, v, mask=None):
    """Answer key: ``(out, weights)`` of scaled dot-product attention, boolean mask True = may attend."""
    out, cache = ref.attention_forward(q, k, v, mask=mask)
    return out, cache.p


def _allowed(rng, shape) -> np.ndarray:
    """A random boolean mask of ``shape`` (..., L, S) in which every query may attend to at least one key."""
    mask = rng.random(shape) < 0.6
    keep = rng.integers(0, shape[-1], size=shape[:-1])
    np.put_along_axis(mask, keep[..., None], True, axis=-1)
    return mask


def _qkv(rng, lead, L, S, d, dv, dtype=np.float64, scale=1.0):
    return (cases.normal(rng, (*lead, L, d), scale=scale, dtype=dtype),
            cases.normal(rng, (*lead, S, d), scale=scale, dtype=dtype),
            cases.normal(rng, (*lead, S, dv), dtype=dtype))


def _attention_visible() -> list[Case]:
    q = np.array([[[1.0, 0.0]]])                         # one query
    k = np.array([[[1.0, 0.0], [0.0, 1.0]]])             # two keys
    v = np.array([[[10.0], [20.0]]])
    return [
        Case((q, k, v), label="one query, two keys: weights softmax(q k / sqrt(2))",
             hint="scores = q @ k^T / sqrt(d) with d = 2 here; the weights are the softmax of each row of scores."),
        *_attention_cases(cases.fixed_rng()),
    ]


def _attention_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    n, L, S = int(rng.integers(1, 4)), int(rng.integers(2, 6)), int(rng.integers(2, 7))
    d, dv = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    out = [
        Case(_qkv(rng, (n,), L, L, d, d), label="self-attention sizes, no mask"),
        Case(_qkv(rng, (n,), L, S + 1, d, dv), label="more keys than queries, values of another width",
             hint="q (*, L, d), k (*, S, d), v (*, S, d_v): the weights are (*, L, S) and the output (*, L, d_v)."),
        Case(_qkv(rng, (2, 3), L, S, d, dv), label="two leading dimensions (batch, heads)",
             hint="Transpose only the last two axes of k: np.swapaxes(k, -1, -2), not k.T."),
        Case(_qkv(rng, (n,), L, S, 4 * d, dv), label="a wider feature size: the scale is 1 / sqrt(d)"),
        Case(_qkv(rng, (n,), L, S, d, dv, scale=30.0), label="large scores: the softmax must not overflow",
             hint="Subtract each row's largest score before exp (the softmax of lesson 01)."),
        Case(_qkv(rng, (n,), L, S, d, dv, np.float32), label="float32 inputs", tol=cases.F32_TOL),
    ]
    q, k, v = _qkv(rng, (n,), L, S, d, dv)
    out.append(Case((q, k, v), {"mask": _allowed(rng, (L, S))}, label="a mask (L, S) shared by the batch",
                    hint="Where mask is False the weight must be exactly 0: set those scores to -inf (or a very "
                         "negative number) before the softmax, so each row's weights still add up to 1."))
    q, k, v = _qkv(rng, (n,), L, S, d, dv)
    out.append(Case((q, k, v), {"mask": _allowed(rng, (n, L, S))}, label="a mask (N, L, S), one per sequence",
                    hint="True means 'may attend': keep the scores where mask is True, hide the others."))
    q, k, v = _qkv(rng, (n,), L, S, d, dv, scale=30.0)
    out.append(Case((q, k, v), {"mask": _allowed(rng, (n, L, S))}, label="a mask with large scores"))
    return out


register(Exercise(
    id="11.attention", function="attention", reference=attention,
    visible=_attention_visible, hidden=_attention_cases, rtol=1e-7, atol=1e-10,
    forbidden=_ATTENTION_DONE_FOR_YOU,
    hint="scores = q @ swapaxes(k) / sqrt(d); hide the scores where mask is False (-inf); weights = softmax of each "
         "row, computed stably; return (weights @ v, weights).",
))


# -- 2. padding and causal masks ---------------------------------------------------------------

def masked_attention(q, k, v, lengths, causal=False):
    """Answer key: attention over the first ``lengths[n]`` keys of sequence ``n``, optionally causal."""
    allowed = np.arange(k.shape[-2])[None, None, :] < np.asarray(lengths)[:, None, None]   # (N, 1, S)
    out, cache = ref.attention_forward(q, k, v, mask=allowed, causal=bool(causal))
    return out, cache.p


def _lengths(rng, n, S, full=False) -> np.ndarray:
    lengths = np.full(n, S) if full else rng.integers(1, S + 1, size=n)
    if not full and n > 1:
        lengths[0] = S          # one sequence fills the batch, as the longest one does after padding
        lengths[1] = 1          # and one is a single token
    return lengths.astype(np.int64)


def _masked_visible() -> list[Case]:
    q = k = np.array([[[1.0], [1.0], [1.0]]])
    v = np.array([[[3.0], [6.0], [9.0]]])
    return [
        Case((q, k, v, np.array([2])), label="equal scores, 2 real tokens and 1 pad: weights 1/2, 1/2, 0",
             hint="Key positions s >= lengths[n] are padding: their weight must be exactly 0 for every query."),
        Case((q, k, v, np.array([3])), {"causal": True}, label="equal scores, causal: query t averages keys 0..t",
             hint="Causal: query t may attend to keys s <= t only (a lower-triangular mask, np.tril)."),
        *_masked_cases(cases.fixed_rng()),
    ]


def _masked_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    n, L = int(rng.integers(2, 5)), int(rng.integers(3, 7))
    d, dv = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    out = []
    for label, causal, full, S in (
            ("padding: keys past each sequence's length get zero weight", False, False, L),
            ("padding with more keys than queries", False, False, L + 2),
            ("causal, no padding", True, True, L),
            ("padding and causal together", True, False, L),
            ("lengths equal to the full size: plain attention", False, True, L)):
        q, k, v = _qkv(rng, (n,), L, S, d, dv)
        kwargs = {"causal": True} if causal else {}
        out.append(Case((q, k, v, _lengths(rng, n, S, full)), kwargs, label=label))
    q, k, v = _qkv(rng, (n,), L, L, d, dv, np.float32)
    out.append(Case((q, k, v, _lengths(rng, n, L)), {"causal": True}, label="float32, padding and causal",
                    tol=cases.F32_TOL))
    return out


register(Exercise(
    id="11.masked_attention", function="masked_attention", reference=masked_attention,
    visible=_masked_visible, hidden=_masked_cases, rtol=1e-7, atol=1e-10,
    forbidden=(*_ATTENTION_DONE_FOR_YOU, "dlkit.reference.attention.causal_mask"),
    hint="Build a boolean mask (N, L, S), True = may attend: key s is allowed when s < lengths[n] and, if causal, "
         "s <= t; then call your attention(q, k, v, mask).",
))


# -- 3. multi-head self-attention ------------------------------------------------------------------

def multi_head_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, mask=None):
    """Answer key: ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)(x, x, x)[0]``, mask True = may attend."""
    return ref.multi_head_attention_forward(x, x, x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                            int(num_heads), mask=mask)[0]


def _mha_case(rng, n, L, E, heads, label, mask=None, dtype=np.float64, hint=""):
    x = cases.normal(rng, (n, L, E), scale=1.0, dtype=dtype)
    w_in = cases.normal(rng, (3 * E, E), scale=1 / np.sqrt(E), dtype=dtype)
    b_in = cases.normal(rng, (3 * E,), scale=0.5, dtype=dtype)
    w_out = cases.normal(rng, (E, E), scale=1 / np.sqrt(E), dtype=dtype)
    b_out = cases.normal(rng, (E,), scale=0.5, dtype=dtype)
    kwargs = {} if mask is None else {"mask": mask}
    return Case((x, w_in, b_in, w_out, b_out, heads), kwargs, label=label, hint=hint,
                tol=cases.F32_TOL if dtype == np.float32 else None)


def _mha_visible() -> list[Case]:
    rng = np.random.default_rng(111)
    return [
        _mha_case(rng, 1, 3, 4, 1, "one head: the projections around plain attention",
                  hint="Q = x @ W_q^T + b_q, with W_q the first E rows of in_proj_weight (then W_k, then W_v); the "
                       "output is heads @ out_proj_weight^T + out_proj_bias."),
        _mha_case(rng, 2, 4, 4, 2, "two heads of size 2",
                  hint="Split the E features into num_heads contiguous blocks: head h gets features "
                       "h*d .. (h+1)*d - 1 (reshape (N, L, h, d), then move h in front of L)."),
        *_mha_cases(cases.fixed_rng()),
    ]


def _mha_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    n, L = int(rng.integers(1, 4)), int(rng.integers(2, 7))
    heads = int(rng.choice([2, 3, 4]))
    E = heads * int(rng.integers(2, 5))
    return [
        _mha_case(rng, n, L, E, heads, "several heads",
                  hint="Each head runs attention with its own scale 1 / sqrt(E / num_heads), not 1 / sqrt(E)."),
        _mha_case(rng, n, L, E, 1, "one head of the full width"),
        _mha_case(rng, 1, L, E, heads, "a batch of one"),
        _mha_case(rng, n, L, E, heads, "a causal mask (L, L), True = may attend", mask=np.tri(L, dtype=bool),
                  hint="The same (L, L) mask applies to every sequence and every head: it broadcasts."),
        _mha_case(rng, n, L, E, heads, "a random mask (L, L)", mask=_allowed(rng, (L, L))),
        _mha_case(rng, n, L, E, heads, "float32 inputs", dtype=np.float32),
    ]


register(Exercise(
    id="11.multi_head", function="multi_head_attention", reference=multi_head_attention,
    visible=_mha_visible, hidden=_mha_cases, rtol=1e-7, atol=1e-9,
    forbidden=_ATTENTION_DONE_FOR_YOU,
    hint="Project x to Q, K, V with the three (E, E) blocks of in_proj_weight, reshape each to (N, heads, L, d), "
         "run your attention with the mask, move the heads back to (N, L, E) and apply the output projection.",
))


# -- 4. sinusoidal positional encoding ------------------------------------------------------------

def positional_encoding(length, d_model):
    """Answer key: the (length, d_model) sinusoidal encoding of "Attention Is All You Need"."""
    return ref.sinusoidal_positional_encoding(int(length), int(d_model))


def _pe_visible() -> list[Case]:
    return [
        Case((1, 4), label="position 0 is [0, 1, 0, 1]: sin 0 and cos 0",
             hint="Even columns 2i hold sin, odd columns 2i + 1 hold cos, of the same angle p / 10000^(2i / d)."),
        Case((3, 2), label="d_model = 2: one pair, the angle is the position itself"),
        *_pe_cases(cases.fixed_rng()),
    ]


def _pe_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    return [
        Case((int(rng.integers(2, 20)), 2 * int(rng.integers(2, 9))), label="a short sequence",
             hint="The frequency of pair i is 10000^(-2i / d_model): the exponent uses 2i, the column of the sin."),
        Case((int(rng.integers(20, 60)), 2 * int(rng.integers(8, 33))), label="a longer sequence, wider model"),
        Case((int(rng.integers(300, 600)), 2 * int(rng.integers(2, 6))), label="hundreds of positions"),
    ]


register(Exercise(
    id="11.positional_encoding", function="positional_encoding", reference=positional_encoding,
    visible=_pe_visible, hidden=_pe_cases, rtol=1e-9, atol=1e-10, keep_precision=True,
    forbidden=("dlkit.reference.attention.sinusoidal_positional_encoding",),
    hint="PE[p, 2i] = sin(p / 10000^(2i / d_model)), PE[p, 2i + 1] = cos(the same angle), as a float64 "
         "array of shape (length, d_model).",
))


# -- 5. a trained transformer that reverses sequences (scored on new sequences) -----------------

def held_out_reverse() -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data.make_sequence_task(**REVERSE_TASK)``: tokens (N, 8) int64 and targets (N, 8)."""
    from dlkit import data

    ds = data.make_sequence_task(**REVERSE_TASK)
    return ds.X_test.astype(np.int64), ds.y_test.astype(np.int64)


def token_accuracy_at_least(threshold: float):
    """A ``score``: the share of output tokens predicted right must reach ``threshold``.

    Predictions are logits ``(N, L, V)`` (the largest of the ``V`` wins) or tokens ``(N, L)``, for targets
    ``case.secret`` ``(N, L)``.
    """
    return _TokenScore(threshold)


class _TokenScore:
    """Per-token accuracy of a sequence model's predictions (see :func:`token_accuracy_at_least`)."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def __call__(self, case: Case, output: tuple) -> Verdict:
        targets = np.asarray(case.secret)
        pred = output[0]
        if pred.ndim == 3:
            pred = pred.argmax(axis=-1).astype(np.float64)
        if pred.shape != targets.shape:
            return Verdict(False, f"gave predictions of shape {output[0].shape} for targets of shape "
                                  f"{targets.shape}; return logits (N, L, vocab_size) or tokens (N, L)")
        right = pred == targets
        tokens, whole = float(np.mean(right)), float(np.mean(right.all(axis=1)))
        message = (f"{tokens:.1%} of the output tokens of {targets.shape[0]} held-out sequences are right "
                   f"({whole:.1%} of the sequences entirely); at least {self.threshold:.0%} of the tokens needed")
        return Verdict(tokens >= self.threshold, message)


def _reverse_visible() -> list[Case]:
    X, y = held_out_reverse()
    return [Case((X,), secret=y, label=HELD_OUT_SEQUENCES)]


def _reverse_hidden(rng: np.random.Generator) -> list[Case]:
    X = rng.integers(0, REVERSE_TASK["vocab_size"], size=(600, REVERSE_TASK["length"])).astype(np.int64)
    return [Case((X,), secret=X[:, ::-1].copy(), label=HELD_OUT_SEQUENCES)]


register(Exercise(
    id="11.reverser", function="reverser", reference=None, kind="model",
    score=token_accuracy_at_least(REVERSE_TARGET),
    visible=_reverse_visible, hidden=_reverse_hidden,
    hint="Train a TinyTransformer (token embedding + positional encoding, two encoder layers of width 32 with "
         "2 heads, a linear layer to 10 logits per position) with Adam and cross-entropy over every output "
         "position, on reverse.X_train and reverse.X_val; 4 epochs are enough.",
))
