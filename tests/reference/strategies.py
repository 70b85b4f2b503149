"""Hypothesis strategies shared by every tests/reference test (the one shared module).

Values come from a seeded ``np.random.Generator`` rather than from hypothesis'
element strategies: shapes, dtypes and seeds are drawn (and shrunk) by
hypothesis, while the numbers are well-spread normals, so gradient checks do
not trip over ties or kinks that element strategies love to produce. Use
:func:`extreme_arrays` when you do want adversarial magnitudes.

Typical use::

    @given(x=arrays(shapes()), dtype=float_dtypes())
    def test_something(x, dtype): ...
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Settings for the reference tests: few examples, no deadline (2 shared cores).
FEW = settings(max_examples=8, deadline=None)
SOME = settings(max_examples=15, deadline=None)

#: Tolerances on dlkit.gradcheck.relative_error against torch, per dtype.
#: float64: the issue's bound. float32: about 100 ulp of float32, enough for the
#: reductions (matmul, sums over <= a few hundred terms) these tests draw.
PARITY_TOL = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-5}

#: float32 bound for layers whose outputs and gradients are long sums (conv, RNN,
#: attention): terms over the batch, time and positions can cancel, and a sum of a
#: few float32 products then loses ~1e-5 relative. float64 keeps PARITY_TOL's 1e-7.
SUMS_FLOAT32_TOL = 1e-4


def sums_tol(dtype):
    """The parity tolerance for a summing layer: SUMS_FLOAT32_TOL in float32, None (PARITY_TOL) in float64."""
    return SUMS_FLOAT32_TOL if np.dtype(dtype) == np.float32 else None


def float_dtypes() -> st.SearchStrategy[np.dtype]:
    """float32 or float64."""
    return st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``np.random.default_rng``."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def sides(low: int = 1, high: int = 5) -> st.SearchStrategy[int]:
    """One dimension size in ``[low, high]``."""
    return st.integers(min_value=low, max_value=high)


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 5):
    """Array shapes, e.g. ``(3,)``, ``(2, 4, 1)``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def arrays(draw, shape, dtype=np.float64, scale: float = 1.0, away_from: float | None = None,
           salt: int = 0) -> np.ndarray:
    """A normal(0, scale) array of ``shape`` (a tuple or a strategy of tuples) and ``dtype``.

    Hypothesis shrinks every seed to 0, so two same-shaped arrays of one failing
    example end up proportional; where that makes a degenerate case (an upstream
    gradient parallel to the input), draw one of them with another ``salt``.

    ``away_from=d`` pushes every entry to ``|x| >= d`` so kinks at 0 (ReLU, leaky ReLU)
    stay further than a finite-difference step away.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    rng = np.random.default_rng([draw(seeds()), salt])
    x = rng.standard_normal(shape) * scale
    if away_from is not None:
        x = np.where(x >= 0, x + away_from, x - away_from)
    return np.asarray(x, dtype=dtype)  # an ndarray even for shape ()


def extreme_arrays(shape, dtype=np.float64, magnitude: float = 1e3):
    """Arrays whose entries reach ``+-magnitude`` (and include 0, ties and repeats)."""
    dtype = np.dtype(dtype)
    elements = st.floats(-magnitude, magnitude, width=dtype.itemsize * 8, allow_nan=False, allow_infinity=False)
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def linear_problems(draw, dtype=np.float64, max_batch_dims: int = 2, bias=None):
    """``(x, W, b)`` for a linear layer: ``x (*, D)``, ``W (M, D)``, ``b (M,)`` or None."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    batch = draw(shapes(min_dims=0, max_dims=max_batch_dims, max_side=4))
    d, m = draw(sides(1, 6)), draw(sides(1, 6))
    use_bias = draw(st.booleans()) if bias is None else bias
    x = draw(arrays(batch + (d,), dtype))
    W = draw(arrays((m, d), dtype))
    b = draw(arrays((m,), dtype)) if use_bias else None
    return x, W, b


@st.composite
def classification_batches(draw, dtype=np.float64, max_batch: int = 6, max_classes: int = 5):
    """``(logits (N, C), labels (N,) int64)`` with ``N >= 1``, ``C >= 2``."""
    if isinstance(dtype, st.SearchStrategy):
        dtype = draw(dtype)
    n, c = draw(sides(1, max_batch)), draw(sides(2, max_classes))
    logits = draw(arrays((n, c), dtype, scale=2.0))
    rng = np.random.default_rng(draw(seeds()))
    return logits, rng.integers(0, c, size=n).astype(np.int64)
