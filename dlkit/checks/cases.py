"""Shared builders of check cases, so every lesson tests the same things the same way.

Hidden checks must be fair: every kind of case a hidden check tries also has a
visible case of the same kind, and hidden cases change values and shapes, never
the rules. The builders make that easy: a lesson calls the *same* builder for
its visible cases (with a fixed generator, ``fixed_rng()``) and for its hidden
cases (with the seeded generator the grader passes in), so both lists hold the
same kinds with the same fixed labels. Labels never contain drawn values or
shapes (the label is shown in feedback and must not leak a hidden case).

Arrays (each takes a ``numpy.random.Generator`` first):

* :func:`shapes` random shapes; :func:`normal` a random array in a given dtype;
* :func:`extremes` very large values of *both* signs, past ``exp``'s overflow;
* :func:`wide_rows` rows that each span a wide range (a softmax stress test);
* :func:`square` a square matrix that is far from symmetric (``W`` vs ``W.T``);
* :func:`column_major` the same values in Fortran (transposed) memory order.

Case lists with fixed labels:

* :func:`elementwise` the standard cases of an elementwise function
  (random shapes, a 3-D array, a batch of one, float32, extremes of both signs
  in both float dtypes, a column-major array);
* :func:`along_axis` the standard cases of a function of one axis (softmax,
  log-softmax, normalisation): every axis in both its positive and negative
  spelling, 3-D inputs, wide-ranging slices, float32.

Trained models (``kind="model"``):

* :func:`held_out` the visible and hidden builders of a model scored on a
  held-out set: the whole set visibly, a drawn two thirds of it hidden.

Example (a lesson's check module)::

    from dlkit.checks import cases

    register(Exercise(
        id="01.sigmoid", function="sigmoid", reference=ref.sigmoid, keep_precision=True, strict_float=True,
        visible=lambda: [Case((np.array([0.0]),), label="sigmoid(0) is 0.5"),
                         *cases.elementwise(cases.fixed_rng(), scale=3.0)],
        hidden=lambda rng: cases.elementwise(rng, scale=3.0),
    ))
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from dlkit.checks.core import Case

#: The two float dtypes every lesson's functions should handle.
FLOAT_DTYPES: tuple[type, ...] = (np.float64, np.float32)

#: (rtol, atol) for comparing a float32 computation with the float64 reference
#: (float32 keeps about 7 significant digits).
F32_TOL: tuple[float, float] = (2e-5, 1e-6)

#: Tolerance that demands an exact answer (for functions such as ReLU that only compare and copy).
EXACT: tuple[float, float] = (0.0, 0.0)

#: The largest x for which exp(x) is finite, per dtype (about 709.78 and 88.72).
EXP_LIMIT = {np.dtype(np.float64): float(np.log(np.finfo(np.float64).max)),
             np.dtype(np.float32): float(np.log(np.finfo(np.float32).max))}

#: Default seed of :func:`fixed_rng`, the generator of visible cases.
VISIBLE_SEED = 0


def fixed_rng(seed: int = VISIBLE_SEED) -> np.random.Generator:
    """The generator for visible cases: the same arrays every time the check cell runs."""
    return np.random.default_rng(seed)


def tol(dtype, *, exact: bool = False) -> tuple[float, float] | None:
    """The case tolerance for inputs of ``dtype``: ``F32_TOL`` for float32, ``EXACT`` when ``exact``, else None.

    None means "use the exercise's rtol/atol" (the usual float64 setting).
    """
    if exact:
        return EXACT
    return F32_TOL if np.dtype(dtype) == np.float32 else None


def shapes(rng: np.random.Generator, n: int, *, min_rank: int = 1, max_rank: int = 3,
           min_side: int = 1, max_side: int = 6) -> list[tuple[int, ...]]:
    """``n`` random shapes with ``min_rank..max_rank`` dimensions of size ``min_side..max_side``.

    Example: ``shapes(rng, 2)`` -> ``[(3,), (2, 5, 1)]`` (depends on ``rng``).
    """
    if not 1 <= min_rank <= max_rank or not 1 <= min_side <= max_side:
        raise ValueError(f"need 1 <= min_rank <= max_rank and 1 <= min_side <= max_side, "
                         f"got ranks {min_rank}..{max_rank}, sides {min_side}..{max_side}")
    ranks = rng.integers(min_rank, max_rank + 1, size=n)
    return [tuple(int(s) for s in rng.integers(min_side, max_side + 1, size=int(r))) for r in ranks]


def normal(rng: np.random.Generator, shape: Sequence[int] | int, *, scale: float = 1.0,
           dtype=np.float64) -> np.ndarray:
    """Normal values with standard deviation ``scale``, shape ``shape``, in ``dtype``."""
    return (rng.normal(0.0, scale, size=shape)).astype(dtype)


def extremes(rng: np.random.Generator, *, dtype=np.float64, n: int = 8, small: int = 2) -> np.ndarray:
    """A 1-D array of ``n`` values far past exp's overflow for ``dtype``, half of each sign, then ``small`` near 0.

    The large values lie between 1.3 and 1.5 times :data:`EXP_LIMIT` (so ``exp(x)``
    and ``exp(-x)`` both overflow somewhere in the array), in random order. Both
    signs are always present: an answer that overflows only for large positive
    (or only for large negative) inputs fails.
    Example: ``extremes(rng, dtype=np.float32)`` -> values like ``[-126.3, 119.1, ..., 0.4, -1.2]``.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2 (one value of each sign), got {n}")
    limit = EXP_LIMIT[np.dtype(dtype)]
    signs = rng.permutation(np.resize([-1.0, 1.0], n))
    big = signs * limit * rng.uniform(1.3, 1.5, size=n)
    return np.concatenate([big, rng.normal(size=small)]).astype(dtype)


def wide_rows(rng: np.random.Generator, rows: int, cols: int, *, dtype=np.float64) -> np.ndarray:
    """A ``(rows, cols)`` array whose every row spans about 2.6 x :data:`EXP_LIMIT` (cols >= 2).

    Each row holds one value ``1.3 * limit`` above its centre and one ``1.3 * limit``
    below, the others in between; the centres are ``+-1.2 * limit`` (both signs when
    ``rows >= 2``). Only an answer that subtracts each row's own maximum before
    ``exp`` stays finite and exact: subtracting the row's mean or minimum
    overflows, and the array's global maximum underflows a whole row to ``0/0``.
    """
    if cols < 2:
        raise ValueError(f"a wide row needs at least 2 columns, got {cols}")
    limit = EXP_LIMIT[np.dtype(dtype)]
    out = rng.uniform(-1.2, 1.2, size=(rows, cols)) * limit
    for r in range(rows):
        hi, lo = rng.choice(cols, size=2, replace=False)
        out[r, hi], out[r, lo] = 1.3 * limit, -1.3 * limit
    centres = rng.permutation(np.resize([1.2, -1.2], rows))[:, None] * limit
    return (out + centres).astype(dtype)


def square(rng: np.random.Generator, n: int, *, scale: float = 1.0, dtype=np.float64) -> np.ndarray:
    """An ``(n, n)`` normal matrix far from symmetric, so an answer using ``W`` for ``W.T`` fails (n >= 2)."""
    if n < 2:
        raise ValueError(f"a transpose only shows in a matrix of size 2 or more, got n={n}")
    m = rng.normal(0.0, scale, size=(n, n))
    m += scale * np.triu(np.ones((n, n)), k=1)  # upper and lower triangles differ by about scale
    return m.astype(dtype)


def column_major(a: np.ndarray) -> np.ndarray:
    """The same values in Fortran (column-major) order, like the transpose of a row-major array."""
    return np.asfortranarray(a)


def elementwise(rng: np.random.Generator, *, scale: float = 3.0, n_random: int = 2,
                extreme: bool = True, exact: bool = False) -> list[Case]:
    """The standard cases of an elementwise function ``f(x)`` with fixed labels (about 9 cases).

    Args:
        rng: the generator (``fixed_rng()`` for visible cases, the grader's for hidden ones).
        scale: standard deviation of the ordinary values.
        n_random: how many "random values, random shape" cases (ranks 1 to 3).
        extreme: add very large values of both signs in float64 and in float32
            (see :func:`extremes`); leave it out for functions that overflow by definition.
        exact: compare float32 cases exactly too (for functions that only compare and copy).

    Labels: "random values, random shape", "a 3-D array", "a batch of one",
    "float32 input", "very large values of both signs",
    "very large float32 values of both signs", "a column-major (transposed) array".
    """
    cases = [Case((normal(rng, shape, scale=scale),), label="random values, random shape")
             for shape in shapes(rng, n_random)]
    cases.append(Case((normal(rng, shapes(rng, 1, min_rank=3, min_side=2, max_side=4)[0], scale=scale),), label="a 3-D array"))
    cases.append(Case((normal(rng, (1, int(rng.integers(1, 6))), scale=scale),), label="a batch of one"))
    cases.append(Case((normal(rng, (3, 4), scale=scale, dtype=np.float32),),
                      label="float32 input", tol=tol(np.float32, exact=exact)))
    if extreme:
        for dtype, label in ((np.float64, "very large values of both signs"),
                             (np.float32, "very large float32 values of both signs")):
            cases.append(Case((extremes(rng, dtype=dtype),), label=label, tol=tol(dtype, exact=exact)))
    cases.append(Case((column_major(normal(rng, (4, 3), scale=scale)),), label="a column-major (transposed) array"))
    return cases


def along_axis(rng: np.random.Generator, *, scale: float = 3.0, wide: bool = True) -> list[Case]:
    """The standard cases of a function of one axis ``f(z, axis=...)`` with fixed labels (about 9 cases).

    Covers the default axis, ``axis=0``, a middle axis of a 3-D array as
    ``axis=1`` and as ``axis=-2``, a batch of one, float32, and (with ``wide``)
    rows that each span a wide range in float64 and float32 (see :func:`wide_rows`).
    """
    n, k = (int(v) for v in rng.integers(2, 6, size=2))
    d3 = tuple(int(v) for v in rng.integers(2, 5, size=3))
    cases = [
        Case((normal(rng, (n, k), scale=scale),), label="random values, random shape, default axis"),
        Case((normal(rng, (n, k), scale=scale),), {"axis": 0}, label="axis=0"),
        Case((normal(rng, d3, scale=scale),), {"axis": 1}, label="a middle axis of a 3-D array, axis=1"),
        Case((normal(rng, d3, scale=scale),), {"axis": -2}, label="a middle axis of a 3-D array, axis=-2"),
        Case((normal(rng, (1, k), scale=scale),), label="a batch of one"),
        Case((normal(rng, (n, k), scale=scale, dtype=np.float32),), {"axis": 1},
             label="float32 input", tol=F32_TOL),
        Case((column_major(normal(rng, (n, k), scale=scale)),), label="a column-major (transposed) array"),
    ]
    if wide:
        cases.append(Case((wide_rows(rng, n, k + 1),), label="every row spans a very wide range"))
        cases.append(Case((wide_rows(rng, n, k + 1, dtype=np.float32),),
                          label="float32 rows that span a very wide range", tol=F32_TOL))
    return cases


def held_out(load: Callable[[], tuple[np.ndarray, np.ndarray]], label: str, *, share: float = 2 / 3):
    """``(visible, hidden)`` case builders for a model scored on a held-out set ``load() -> (X, y)``.

    The visible case is the whole set; the hidden one a random ``share`` of it, drawn
    with the grader's generator, under the same fixed ``label``. The labels ``y`` go
    in ``Case.secret``: the grader scores the model's outputs with them, and they never
    reach the student's code.

    Example::

        visible, hidden = cases.held_out(held_out_digits, "held-out test digits, which training never touches")
        register(Exercise(id="04.digits", function="digits_model", reference=None, kind="model",
                          score=accuracy_at_least(0.95), visible=visible, hidden=hidden))
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")

    def visible() -> list[Case]:
        X, y = load()
        return [Case((X,), secret=y, label=label)]

    def hidden(rng: np.random.Generator) -> list[Case]:
        X, y = load()
        pick = rng.permutation(len(y))[: max(1, round(len(y) * share))]
        return [Case((X[pick],), secret=y[pick], label=label)]

    return visible, hidden


__all__ = [
    "EXACT", "EXP_LIMIT", "F32_TOL", "FLOAT_DTYPES", "VISIBLE_SEED", "along_axis", "column_major", "elementwise",
    "extremes", "fixed_rng", "held_out", "normal", "shapes", "square", "tol", "wide_rows",
]
