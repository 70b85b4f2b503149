"""dlkit.reference.attention against torch: scaled dot-product attention (masks), multi-head, positions."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import dlkit.reference.attention
from dlkit.gradcheck import check_gradient
from dlkit.reference import attention as att
from tests.reference.strategies import sums_tol as _tol
from tests.reference.helpers import assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import FEW, SOME, arrays, float_dtypes, seeds, sides



@st.composite
def attention_problems(draw, dtype=np.float64):
    """``(q, k, v, mask, causal)``; mask None, bool (True = may attend) or float, broadcast over the batch."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    lead = draw(st.sampled_from([(), (2,), (2, 3)]))
    length, keys, d, dv = draw(sides(1, 5)), draw(sides(1, 5)), draw(sides(1, 4)), draw(sides(1, 4))
    q = draw(arrays(lead + (length, d), dtype))
    k = draw(arrays(lead + (keys, d), dtype))
    v = draw(arrays(lead + (keys, dv), dtype))
    kind = draw(st.sampled_from(["none", "bool", "float"]))
    rng = np.random.default_rng(draw(seeds()))
    mask = {"none": None, "bool": rng.random((length, keys)) < 0.7,
            "float": rng.standard_normal((length, keys)).astype(dtype)}[kind]
    return q, k, v, mask, draw(st.booleans()) and kind != "float"


def _torch_attention(q, k, v, mask, causal, dout):
    qt, kt, vt = t(q, True), t(k, True), t(v, True)
    if causal and mask is not None:  # torch takes is_causal or attn_mask, not both: combine them by hand
        mask, causal = mask & att.causal_mask(q.shape[-2], k.shape[-2]), False
    out = F.scaled_dot_product_attention(qt, kt, vt, attn_mask=None if mask is None else t(mask), is_causal=causal)
    out.backward(t(dout))
    return out, qt.grad, kt.grad, vt.grad


@SOME
@given(problem=attention_problems(dtype=float_dtypes()), seed=seeds())
def test_attention_matches_torch_forward_and_every_gradient(problem, seed):
    q, k, v, mask, causal = problem
    out, cache = att.attention_forward(q, k, v, mask, causal)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(q.dtype)
    expected = _torch_attention(q, k, v, mask, causal, dout)
    # float32: a gradient can be exactly 0 (a query that sees one key) where torch keeps
    # rounding noise, so gradients are judged against the scale they are built from
    # (float64 stays strict: no floor)
    size = max(float(np.abs(a).max()) for a in (q, k, v))
    floor = float(np.abs(dout).max()) * max(size, 1.0) ** 2 if q.dtype == np.float32 else 0.0
    for name, ours, theirs in zip(("out", "dq", "dk", "dv"), (out, *att.attention_backward(dout, cache)), expected):
        assert_parity(ours, theirs, name, tol=_tol(q.dtype), floor=0.0 if name == "out" else floor)


@FEW
@given(problem=attention_problems(), seed=seeds())
def test_attention_backward_passes_gradcheck(problem, seed):
    q, k, v, mask, causal = problem
    out, cache = att.attention_forward(q, k, v, mask, causal)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = att.attention_backward(dout, cache)
    args = {"q": q, "k": k, "v": v}
    for (name, value), analytic in zip(args.items(), grads):
        def f(x, name=name):
            return att.attention_forward(**{**args, name: x}, mask=mask, causal=causal)[0]

        check_gradient(f, value.copy(), analytic, dout=dout).assert_passed()


def test_causal_attention_ignores_the_future():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((1, 4, 3)) for _ in range(3))
    out, _ = att.attention_forward(q, k, v, causal=True)
    k2, v2 = k.copy(), v.copy()
    k2[:, 2:] += 10.0  # change keys and values of the last two positions only
    v2[:, 2:] -= 10.0
    out2, _ = att.attention_forward(q, k2, v2, causal=True)
    np.testing.assert_array_equal(out[:, :2], out2[:, :2])
    assert not np.allclose(out[:, 2:], out2[:, 2:])


def test_a_query_with_nothing_to_attend_to_gets_zeros_like_torch():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    mask = np.array([[True, False, True, False], [False] * 4])
    out, cache = att.attention_forward(q, k, v, mask)
    dq, dk, dv = att.attention_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(out[1], 0)
    np.testing.assert_array_equal(dq[1], 0)
    assert np.isfinite(dk).all() and np.isfinite(dv).all()
    out_t, *_ = _torch_attention(q, k, v, mask, False, np.ones_like(out))
    assert_parity(out, out_t, "fully masked row")


def test_attention_leaves_inputs_unchanged():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    mask = rng.random((3, 5)) < 0.5
    before = snapshot(q, k, v, mask)
    out, cache = att.attention_forward(q, k, v, mask, causal=True)
    dout = np.ones_like(out)
    att.attention_backward(dout, cache)
    assert_unchanged(before, [q, k, v, mask], ["q", "k", "v", "mask"])
    assert_unchanged([np.ones_like(out)], [dout], ["dout"])


# --------------------------------------------------------------------------
# Multi-head attention
# --------------------------------------------------------------------------


@FEW
@given(dtype=float_dtypes(), heads=st.sampled_from([1, 2, 4]), self_attention=st.booleans(), causal=st.booleans(),
       bias=st.booleans(), seed=seeds())
def test_multi_head_attention_matches_torch(dtype, heads, self_attention, causal, bias, seed):
    embed, n, length, keys = 8, 2, 3, 3 if self_attention else 5
    torch.manual_seed(seed % 2**31)
    module = torch.nn.MultiheadAttention(embed, heads, bias=bias, batch_first=True)
    module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
    rng = np.random.default_rng(seed)
    query = rng.standard_normal((n, length, embed)).astype(dtype)
    key = query if self_attention else rng.standard_normal((n, keys, embed)).astype(dtype)
    params = [module.in_proj_weight, module.in_proj_bias, module.out_proj.weight, module.out_proj.bias]
    ours_params = [None if p is None else p.detach().numpy().copy() for p in params]
    out, cache = att.multi_head_attention_forward(query, key, key, *ours_params, heads, causal=causal)
    dout = rng.standard_normal(out.shape).astype(dtype)
    grads = att.multi_head_attention_backward(dout, cache)

    qt = t(query, True)
    kt = qt if self_attention else t(key, True)
    blocked = torch.from_numpy(~att.causal_mask(length, keys)) if causal else None  # torch's MHA: True = blocked
    out_t, _ = module(qt, kt, kt, need_weights=False, attn_mask=blocked)
    out_t.backward(t(dout))
    assert_parity(out, out_t, "out", tol=_tol(dtype))
    dinputs = grads[0] + grads[1] + grads[2] if self_attention else grads[0]
    assert_parity(dinputs, qt.grad, "dquery", tol=_tol(dtype))
    if not self_attention:
        assert_parity(grads[1] + grads[2], kt.grad, "dkey + dvalue (the same array)", tol=_tol(dtype))
    for name, ours, param in zip(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], grads[3:],
                                 params):
        if param is None:
            assert ours is None
        else:
            assert_parity(ours, param.grad, name, tol=_tol(dtype))


# --------------------------------------------------------------------------
# Positional encoding
# --------------------------------------------------------------------------


@pytest.mark.parametrize("d_model", [1, 4, 7])
def test_positional_encoding_follows_the_formula_entry_by_entry(d_model):
    pe = att.sinusoidal_positional_encoding(6, d_model)
    assert pe.shape == (6, d_model)
    for p in range(6):
        for j in range(d_model):
            angle = p / 10000 ** ((j - j % 2) / d_model)
            expected = np.sin(angle) if j % 2 == 0 else np.cos(angle)
            assert abs(pe[p, j] - expected) < 1e-12, (p, j)


def test_positional_encoding_gives_distinct_positions_and_keeps_dtype():
    pe = att.sinusoidal_positional_encoding(50, 16, dtype=np.float32)
    assert pe.dtype == np.float32
    distances = np.linalg.norm(pe[:, None] - pe[None], axis=-1)
    assert distances[~np.eye(50, dtype=bool)].min() > 0.1




# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

_O = np.ones


@pytest.mark.parametrize("call, error, message", [
    (lambda: att.attention_forward(_O((2, 3)), _O((4, 5)), _O((4, 2))), ValueError,
     r"feature size.*expected 3, got 5"),
    (lambda: att.attention_forward(_O((2, 3)), _O((4, 3)), _O((5, 2))), ValueError, r"v must have shape \(4, 2\)"),
    (lambda: att.attention_forward(_O(3), _O((4, 3)), _O((4, 2))), ValueError, r"q must have at least 2 dimensions"),
    (lambda: att.attention_forward(_O((2, 3)), _O((4, 3)), _O((4, 2)), mask=_O((3, 3), bool)), ValueError,
     r"mask of shape \(3, 3\) does not broadcast to the scores' shape \(2, 4\)"),
    (lambda: att.attention_forward(_O((2, 3)), _O((4, 3)), _O((4, 2)), mask=_O((2, 4), int)), TypeError,
     r"mask must be bool .* or float"),
    (lambda: att.attention_forward(_O((2, 2, 3)), _O((3, 4, 3)), _O((3, 4, 2))), ValueError,
     r"share their leading dimensions"),
    (lambda: att.multi_head_attention_forward(_O((1, 2, 6)), _O((1, 2, 6)), _O((1, 2, 6)), _O((18, 6)), None,
                                              _O((6, 6)), None, 4), ValueError, r"divisible by num_heads=4"),
    (lambda: att.attention_backward(_O((3, 2)), att.attention_forward(_O((2, 3)), _O((4, 3)), _O((4, 2)))[1]),
     ValueError, r"dout must have shape \(2, 2\) \(the shape of the forward output, \(\*, L, d_v\)\), got \(3, 2\)"),
    (lambda: att.causal_mask(0), ValueError, r"query_length must be at least 1, got 0"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
