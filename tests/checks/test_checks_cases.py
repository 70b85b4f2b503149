"""dlkit.checks.cases: the shared case builders keep their promises (kinds, labels, dtypes, both signs)."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit.checks import cases
from dlkit.checks.core import Case


def _labels(built: list[Case]) -> list[str]:
    return [c.label for c in built]


@pytest.mark.parametrize("builder", [cases.elementwise, cases.along_axis])
def test_visible_and_hidden_lists_hold_the_same_kinds_with_labels_that_leak_nothing(builder):
    visible = builder(cases.fixed_rng())
    for seed in range(5):
        hidden = builder(np.random.default_rng(seed))
        assert _labels(hidden) == _labels(visible)   # the same kinds, in the same order
        assert [c.kwargs for c in hidden] == [c.kwargs for c in visible]
        assert [c.args[0].dtype for c in hidden] == [c.args[0].dtype for c in visible]
        for case in hidden:
            shape_text = str(case.args[0].shape)
            assert shape_text not in case.label and not any(ch.isdigit() and ch not in "-" for ch in
                                                            case.label.replace("3-D", "").replace("float32", "")
                                                            .replace("axis=0", "").replace("axis=1", "")
                                                            .replace("axis=-2", "")), case.label


def test_visible_cases_are_the_same_every_run():
    a, b = cases.elementwise(cases.fixed_rng()), cases.elementwise(cases.fixed_rng())
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b))


@pytest.mark.parametrize("dtype", cases.FLOAT_DTYPES)
def test_extremes_hold_both_signs_past_the_overflow_of_exp(dtype):
    for seed in range(20):
        x = cases.extremes(np.random.default_rng(seed), dtype=dtype)
        limit = cases.EXP_LIMIT[np.dtype(dtype)]
        assert x.dtype == dtype
        assert (x > limit).any() and (x < -limit).any()
        with np.errstate(over="raise"):
            with pytest.raises(FloatingPointError):
                np.exp(x[x > 0])
            with pytest.raises(FloatingPointError):
                np.exp(-x[x < 0])


def _softmax(z, shift):
    e = np.exp(z - shift(z))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", cases.FLOAT_DTYPES)
def test_wide_rows_defeat_every_shift_but_each_rows_maximum(dtype):
    z = cases.wide_rows(np.random.default_rng(0), 4, 5, dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        good = _softmax(z, lambda a: a.max(axis=-1, keepdims=True))
        assert np.allclose(good.sum(axis=-1), 1.0)
        for wrong in (lambda a: a.mean(axis=-1, keepdims=True), lambda a: a.min(axis=-1, keepdims=True),
                      lambda a: a.max()):
            with pytest.raises(FloatingPointError):
                _softmax(z, wrong)


def test_square_matrices_are_far_from_symmetric_and_column_major_keeps_values():
    for n in (2, 3, 6):
        W = cases.square(np.random.default_rng(n), n)
        assert W.shape == (n, n) and np.abs(W - W.T).max() > 0.5
    a = cases.normal(np.random.default_rng(0), (3, 4))
    f = cases.column_major(a)
    assert f.flags.f_contiguous and not f.flags.c_contiguous and np.array_equal(f, a)


def test_elementwise_cases_cover_every_promised_kind():
    built = cases.elementwise(cases.fixed_rng())
    by_label = {c.label: c for c in built}
    assert by_label["a 3-D array"].args[0].ndim == 3
    assert by_label["a batch of one"].args[0].shape[0] == 1
    assert by_label["float32 input"].tol == cases.F32_TOL
    assert by_label["a column-major (transposed) array"].args[0].flags.f_contiguous
    exact = cases.elementwise(cases.fixed_rng(), exact=True, extreme=False)
    assert all(c.tol in (None, cases.EXACT) for c in exact)
    assert not any("very large" in c.label for c in exact)


def test_along_axis_spells_a_middle_axis_both_ways():
    built = cases.along_axis(cases.fixed_rng())
    axes = [c.kwargs.get("axis", -1) for c in built]
    assert 0 in axes and 1 in axes and -2 in axes and -1 in axes
    assert any(c.args[0].ndim == 3 for c in built)


def test_bad_arguments_say_what_was_wrong():
    rng = cases.fixed_rng()
    with pytest.raises(ValueError, match="min_rank"):
        cases.shapes(rng, 2, min_rank=3, max_rank=2)
    with pytest.raises(ValueError, match="n=1"):
        cases.square(rng, 1)
    with pytest.raises(ValueError, match="2 columns"):
        cases.wide_rows(rng, 2, 1)
    assert cases.tol(np.float32) == cases.F32_TOL and cases.tol(np.float64) is None
    assert cases.tol(np.float32, exact=True) == cases.EXACT


def test_held_out_shows_the_whole_set_and_hides_a_drawn_share_under_the_same_label():
    X = np.arange(30, dtype=np.float32).reshape(15, 2)
    y = np.arange(15) % 3
    visible, hidden = cases.held_out(lambda: (X, y), "held-out points")
    [shown] = visible()
    assert shown.label == "held-out points" and np.array_equal(shown.args[0], X) and np.array_equal(shown.secret, y)
    [one] = hidden(np.random.default_rng(1))
    [two] = hidden(np.random.default_rng(2))
    assert one.label == two.label == "held-out points"
    assert len(one.secret) == len(two.secret) == 10
    rows = {tuple(r) for r in one.args[0]}
    assert all(tuple(r) in {tuple(x) for x in X} for r in rows)          # rows of the set, each with its own label
    assert all(one.secret[i] == y[int(one.args[0][i, 0]) // 2] for i in range(10))
    assert not np.array_equal(one.args[0], two.args[0])                  # the grader's seed draws which rows
    with pytest.raises(ValueError, match="share"):
        cases.held_out(lambda: (X, y), "x", share=0)
