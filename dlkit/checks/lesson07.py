"""Checks for lesson 07: hyperparameter tuning.

Exercises: ``grid`` (the configurations of a grid search), ``random`` (the
configurations of a random search, from given uniform draws), ``kfold`` (the
indices of one fold of k-fold cross-validation) and ``ei`` (expected
improvement, the acquisition function of Bayesian optimisation). Each is a pure
function of arrays and numbers, so it crosses the grader's wire: the search
itself (training a model per configuration) stays in the notebook, and the rng
of random search is replaced by the draws it would produce.

Answer keys: ``grid_configs`` and ``random_configs`` are written here;
``kfold_split`` asks ``sklearn.model_selection.KFold`` (no shuffling);
``expected_improvement`` is the closed form, which the lesson's claims test
holds to a Monte Carlo estimate.

Fair hidden checks: each exercise's random cases come from one builder
(``_grid_cases``, ``_random_cases``, ``_kfold_cases``, ``_ei_cases``), called
with ``cases.fixed_rng()`` for the visible list (after the hand-written
teaching cases) and with the grader's seeded generator for the hidden list. So
every hidden case is of a kind the student sees, under the same fixed label;
hidden cases change bounds, sizes and values, never the rules.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, register


def _axis_values(low: float, high: float, n: int, log: bool) -> np.ndarray:
    """``n`` evenly spaced values from ``low`` to ``high`` (both included), geometrically if ``log``."""
    if log:
        return np.exp(np.linspace(math.log(low), math.log(high), n))
    return np.linspace(low, high, n)


def _bounds(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random (low, high, log_scale) for ``d`` axes; log axes have positive bounds spanning decades."""
    log = rng.random(d) < 0.5
    low, high = np.empty(d), np.empty(d)
    for j in range(d):
        if log[j]:
            low[j] = 10.0 ** rng.uniform(-6, -1)
            high[j] = low[j] * 10.0 ** rng.uniform(1, 4)
        else:
            low[j] = rng.uniform(-5, 5)
            high[j] = low[j] + rng.uniform(0.5, 20)
    return low, high, log


# -- 1. grid search ----------------------------------------------------------------------

def grid_configs(low, high, per_axis, log_scale):
    """Answer key: every combination of ``per_axis`` values per axis, the last axis varying fastest."""
    axes = [_axis_values(float(lo), float(hi), int(per_axis), bool(lg)) for lo, hi, lg in zip(low, high, log_scale)]
    return np.array(list(itertools.product(*axes)), dtype=np.float64).reshape(-1, len(axes))


def _grid_case(rng, d, per_axis, label, hint=""):
    low, high, log = _bounds(rng, d)
    return Case((low, high, per_axis, log), label=label, hint=hint)


def _grid_visible() -> list[Case]:
    return [
        Case((np.array([0.0]), np.array([1.0]), 5, np.array([False])),
             label="one linear axis: 5 values from low to high, both included",
             hint="np.linspace(low, high, per_axis) includes both ends."),
        Case((np.array([1e-4]), np.array([1e-1]), 4, np.array([True])),
             label="one log axis: 1e-4, 1e-3, 1e-2, 1e-1",
             hint="A log axis is evenly spaced in log(value): equal ratios between neighbours, not equal steps."),
        Case((np.array([0.0, 1e-3]), np.array([1.0, 1e-1]), 3, np.array([False, True])),
             label="two axes (linear, log): 9 rows, the last axis varying fastest",
             hint="Row order as itertools.product(values_0, values_1): (a0, b0), (a0, b1), (a0, b2), (a1, b0), ..."),
        Case((np.array([1e-5, -1.0, 1e-2]), np.array([1e-2, 1.0, 10.0]), 2, np.array([True, False, True])),
             label="two values per axis: just the corners"),
        *_grid_cases(cases.fixed_rng()),
    ]


def _grid_cases(rng: np.random.Generator) -> list[Case]:
    """Random bounds (each axis linear or log at random) with 1 to 3 axes and 2 to 7 values per axis."""
    return [
        _grid_case(rng, 1, int(rng.integers(2, 8)), "one axis, random bounds"),
        *(_grid_case(rng, 2, int(rng.integers(2, 6)), "two axes, random bounds") for _ in range(2)),
        _grid_case(rng, 3, int(rng.integers(2, 4)), "three axes, random bounds"),
        _grid_case(rng, int(rng.integers(2, 4)), 2, "two values per axis, random bounds"),
    ]


register(Exercise(
    id="07.grid", function="grid_configs", reference=grid_configs,
    visible=_grid_visible, hidden=_grid_cases, rtol=1e-9, atol=1e-12,
    hint="One np.linspace (log axes: np.exp of a linspace of the logs) per axis, then every combination "
         "in itertools.product order: an array of shape (per_axis ** d, d).",
))


# -- 2. random search ----------------------------------------------------------------------

def random_configs(low, high, log_scale, u):
    """Answer key: map uniform draws ``u`` (n, d) in [0, 1) onto the box, log-uniformly on log axes."""
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    log = np.asarray(log_scale, dtype=bool)
    out = np.empty(np.shape(u), dtype=np.float64)
    for j in range(out.shape[1]):
        if log[j]:
            out[:, j] = np.exp(math.log(low[j]) + u[:, j] * (math.log(high[j]) - math.log(low[j])))
        else:
            out[:, j] = low[j] + u[:, j] * (high[j] - low[j])
    return out


def _random_case(rng, n, d, label, hint=""):
    low, high, log = _bounds(rng, d)
    return Case((low, high, log, rng.random((n, d))), label=label, hint=hint)


def _random_visible() -> list[Case]:
    return [
        Case((np.array([2.0]), np.array([6.0]), np.array([False]), np.array([[0.0], [0.25], [0.5]])),
             label="one linear axis: u = 0, 0.25, 0.5 give 2, 3, 4",
             hint="value = low + u * (high - low)."),
        Case((np.array([1e-4]), np.array([1e-1]), np.array([True]), np.array([[0.0], [1 / 3], [2 / 3]])),
             label="one log axis: u = 0, 1/3, 2/3 give 1e-4, 1e-3, 1e-2",
             hint="On a log axis interpolate the logarithms: exp(log(low) + u * (log(high) - log(low)))."),
        Case((np.array([0.0, 1e-3]), np.array([1.0, 1e-1]), np.array([False, True]),
              np.array([[0.5, 0.5], [0.1, 0.9], [0.9, 0.1], [0.3, 0.0]])),
             label="two axes (linear, log): column j of u is axis j",
             hint="Each column of u is mapped with its own axis's bounds and scale."),
        *_random_cases(cases.fixed_rng()),
    ]


def _random_cases(rng: np.random.Generator) -> list[Case]:
    """Random bounds (each axis linear or log at random), 1 to 4 axes, 1 to 11 draws."""
    return [
        _random_case(rng, int(rng.integers(1, 10)), 1, "one axis, random bounds"),
        _random_case(rng, int(rng.integers(2, 12)), 2, "two axes, random bounds"),
        _random_case(rng, int(rng.integers(2, 12)), 2, "two axes, random bounds"),
        _random_case(rng, int(rng.integers(2, 12)), 3, "three axes, random bounds"),
        _random_case(rng, int(rng.integers(2, 12)), 4, "four axes, random bounds"),
    ]


register(Exercise(
    id="07.random", function="random_configs", reference=random_configs,
    visible=_random_visible, hidden=_random_cases, rtol=1e-9, atol=1e-12,
    hint="Column j: low[j] + u[:, j] * (high[j] - low[j]) on a linear axis; on a log axis the same "
         "interpolation between log(low[j]) and log(high[j]), then exp.",
))


# -- 3. k-fold cross-validation -------------------------------------------------------------

def kfold_split(n, k, fold):
    """Answer key: (train, validation) indices of fold ``fold`` of ``KFold(k)`` (no shuffling) over ``n`` samples."""
    from sklearn.model_selection import KFold

    train, val = list(KFold(n_splits=int(k)).split(np.zeros((int(n), 1))))[int(fold)]
    return train.astype(np.int64), val.astype(np.int64)


def _kfold_visible() -> list[Case]:
    return [
        Case((10, 5, 0), label="10 samples, 5 folds, fold 0: validation [0, 1]"),
        Case((10, 5, 4), label="10 samples, 5 folds, the last fold: validation [8, 9]"),
        Case((11, 3, 0), label="11 samples, 3 folds: the first 11 % 3 = 2 folds get one extra sample",
             hint="Fold sizes are n // k + 1 for the first n % k folds and n // k for the rest: 4, 4, 3."),
        Case((11, 3, 2), label="11 samples, 3 folds, the last (short) fold",
             hint="Sizes 4, 4, 3: the last fold holds samples 8, 9, 10."),
        Case((10, 4, 2), label="10 samples, 4 folds: sizes 3, 3, 2, 2 (not 3, 3, 3, 1)",
             hint="Spread the remainder over the first folds: 10 = 3 + 3 + 2 + 2, so fold 2 holds samples 6 and 7."),
        Case((23, 4, 1), label="23 samples, 4 folds, a middle fold",
             hint="Sizes 6, 6, 6, 5: fold 1 holds samples 6 to 11; the training indices are all the others, in order."),
        *_kfold_cases(cases.fixed_rng()),
    ]


def _kfold_cases(rng: np.random.Generator) -> list[Case]:
    """Random n (4 to 62) and k (2 to 7): n a multiple of k or not, a random fold, the first and the last."""
    out = []
    for label in ("n a multiple of k", "n not a multiple of k", "n not a multiple of k",
                  "the last fold", "the first fold"):
        k = int(rng.integers(2, 8))
        n = k * int(rng.integers(2, 9)) + (0 if label == "n a multiple of k" else int(rng.integers(1, k)))
        fold = {"the last fold": k - 1, "the first fold": 0}.get(label, int(rng.integers(0, k)))
        out.append(Case((n, k, fold), label=label))
    return out


register(Exercise(
    id="07.kfold", function="kfold_split", reference=kfold_split,
    visible=_kfold_visible, hidden=_kfold_cases, rtol=0.0, atol=0.0,
    forbidden=("sklearn.model_selection.KFold", "sklearn.model_selection._split.KFold"),
    hint="Fold f is one contiguous block; the first n % k folds hold n // k + 1 samples, the others n // k. "
         "Return (train, val), both sorted integer arrays.",
))


# -- 4. expected improvement ------------------------------------------------------------------

def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(z / math.sqrt(2.0)))


def expected_improvement(mu, sigma, best, xi=0.0):
    """Answer key: E[max(best - xi - f, 0)] for f ~ N(mu, sigma**2) (minimisation), 0 where sigma = 0 and no gain."""
    mu, sigma = np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    gain = best - xi - mu
    safe = np.where(sigma > 0, sigma, 1.0)
    z = gain / safe
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    ei = gain * _normal_cdf(z) + safe * pdf
    return np.where(sigma > 0, ei, np.maximum(gain, 0.0))


def _ei_case(rng, n, label, hint="", with_zero=False, xi=None):
    mu = rng.normal(0, 1, size=n)
    sigma = rng.uniform(0.05, 1.5, size=n)
    best = float(rng.normal(-0.5, 0.5))
    if with_zero:
        zero = rng.permutation(n)[: max(2, n // 3)]
        sigma[zero] = 0.0
        mu[zero[0]] = best  # the best observed point itself: no uncertainty, no gain
    kwargs = {} if xi is None else {"xi": xi}
    return Case((mu, sigma, best), kwargs, label=label, hint=hint)


def _ei_visible() -> list[Case]:
    return [
        Case((np.array([0.0]), np.array([1.0]), 0.0), label="mu = best, sigma = 1: EI = phi(0) = 0.3989",
             hint="With no expected gain, EI = sigma * phi(0) = 1 / sqrt(2 pi): the chance of landing below best."),
        Case((np.array([-1.0, 0.0, 1.0, 3.0]), np.array([0.5, 0.5, 0.5, 0.5]), 0.0),
             label="we minimise: points with mu below best have the larger EI",
             hint="The gain is best - mu (we look for lower losses), not mu - best."),
        Case((np.array([0.5, -0.5, 0.2, 0.0]), np.array([0.0, 0.0, 0.3, 0.0]), 0.0),
             label="sigma = 0: EI is max(best - mu, 0), also at the best point itself (mu = best)",
             hint="Where sigma is 0 the outcome is certain: return max(best - xi - mu, 0) there. At mu = best, "
                  "sigma = 0 the formula computes 0 / 0 = nan: do not divide by a zero sigma."),
        *_ei_cases(cases.fixed_rng()),
    ]


def _ei_cases(rng: np.random.Generator) -> list[Case]:
    """Random mu and sigma, some points with sigma = 0 (one of them at mu = best), and a random xi > 0."""
    return [
        _ei_case(rng, int(rng.integers(3, 30)), "random mu and sigma"),
        _ei_case(rng, int(rng.integers(3, 30)), "random mu and sigma"),
        _ei_case(rng, int(rng.integers(3, 12)), "sigma = 0 at some points, one of them at mu = best",
                 with_zero=True,
                 hint="Where sigma is 0 return max(best - xi - mu, 0), without dividing by the zero sigma."),
        _ei_case(rng, int(rng.integers(3, 12)), "xi > 0 asks for a gain of at least xi",
                 xi=float(rng.uniform(0.01, 0.3)), hint="xi raises the bar to beat: the gain is best - xi - mu."),
    ]


register(Exercise(
    id="07.ei", function="expected_improvement", reference=expected_improvement,
    visible=_ei_visible, hidden=_ei_cases, rtol=1e-7, atol=1e-10,
    hint="gain = best - xi - mu; z = gain / sigma; EI = gain * Phi(z) + sigma * phi(z), and max(gain, 0) "
         "where sigma = 0. Phi(z) = (1 + erf(z / sqrt(2))) / 2.",
))
