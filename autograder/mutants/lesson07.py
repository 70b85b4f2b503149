"""Plausible wrong answers (mutants) and other correct answers for lesson 07's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function,
executable with the names of :data:`IMPORTS` in scope (``np``, ``math``,
``itertools``). See ``lesson01.py`` for how the tables are used (mutation tests,
the demo, the grader's synthetic class).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"07.grid"``).
LESSON = "07"

#: What an exercise's sources need run first: the notebook's imports cell (grade id ``imports``),
#: which binds ``itertools`` and ``math`` (the sources of ``grid`` and ``ei`` use them).
REQUIRES: dict[str, tuple[str, ...]] = {"grid": ("imports",), "ei": ("imports",)}

#: What the notebook's imports cell has defined when an answer cell runs (the part the sources use).
IMPORTS = dedent("""
    import itertools
    import math
    import numpy as np
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "grid": [
        ("ignores log_scale: a learning-rate axis spaced linearly", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                axes = [np.linspace(lo, hi, per_axis) for lo, hi in zip(low, high)]
                return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))
        """)),
        ("np.meshgrid's default 'xy' indexing: the first two axes swap their speed", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                axes = [np.geomspace(lo, hi, per_axis) if lg else np.linspace(lo, hi, per_axis)
                        for lo, hi, lg in zip(low, high, log_scale)]
                mesh = np.meshgrid(*axes)
                return np.stack([m.ravel() for m in mesh], axis=1)
        """)),
        ("high left out, as with np.arange: low + i * (high - low) / per_axis", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                axes = []
                for lo, hi, lg in zip(low, high, log_scale):
                    if lg:
                        axes.append(np.exp(np.log(lo) + np.arange(per_axis) * (np.log(hi) - np.log(lo)) / per_axis))
                    else:
                        axes.append(lo + np.arange(per_axis) * (hi - lo) / per_axis)
                return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))
        """)),
        ("the first axis varies fastest (product over the reversed axes)", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                axes = [np.geomspace(lo, hi, per_axis) if lg else np.linspace(lo, hi, per_axis)
                        for lo, hi, lg in zip(low, high, log_scale)]
                rows = [row[::-1] for row in itertools.product(*axes[::-1])]
                return np.array(rows, dtype=float).reshape(-1, len(axes))
        """)),
    ],
    "random": [
        ("ignores log_scale: log axes drawn uniformly, so almost every learning rate is near high", _src("""
            def random_configs(low, high, log_scale, u):
                return low + u * (high - low)
        """)),
        ("exp of a linear draw between low and high, not between their logs", _src("""
            def random_configs(low, high, log_scale, u):
                linear = low + u * (high - low)
                return np.where(log_scale, np.exp(linear), linear)
        """)),
        ("forgets to shift by low: u * (high - low)", _src("""
            def random_configs(low, high, log_scale, u):
                lo = np.where(log_scale, np.log(np.where(log_scale, low, 1.0)), 0.0)
                hi = np.where(log_scale, np.log(np.where(log_scale, high, 1.0)), high - low)
                z = u * (hi - lo) + lo
                return np.where(log_scale, np.exp(z), z)
        """)),
        ("log axis interpolated from high down to low (u = 0 gives high)", _src("""
            def random_configs(low, high, log_scale, u):
                out = low + u * (high - low)
                for j in range(u.shape[1]):
                    if log_scale[j]:
                        out[:, j] = high[j] * (low[j] / high[j]) ** u[:, j]
                return out
        """)),
    ],
    "kfold": [
        ("the remainder goes to the last fold (folds of n // k, the last one longer)", _src("""
            def kfold_split(n, k, fold):
                size = n // k
                start = fold * size
                stop = n if fold == k - 1 else start + size
                val = np.arange(start, stop)
                train = np.concatenate([np.arange(0, start), np.arange(stop, n)])
                return train, val
        """)),
        ("folds of ceil(n / k): the short fold is the last one only by accident", _src("""
            def kfold_split(n, k, fold):
                size = -(-n // k)
                val = np.arange(fold * size, min((fold + 1) * size, n))
                train = np.setdiff1d(np.arange(n), val)
                return train, val
        """)),
        ("strided folds (i % k == fold) instead of contiguous blocks", _src("""
            def kfold_split(n, k, fold):
                idx = np.arange(n)
                return idx[idx % k != fold], idx[idx % k == fold]
        """)),
        ("returns (validation, train): the tuple in the wrong order", _src("""
            def kfold_split(n, k, fold):
                parts = np.array_split(np.arange(n), k)
                val = parts[fold]
                train = np.concatenate([p for i, p in enumerate(parts) if i != fold])
                return val, train
        """)),
    ],
    "ei": [
        ("the maximisation form: gain = mu - best", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                erf = np.vectorize(math.erf)
                gain = mu - best - xi
                s = np.where(sigma > 0, sigma, 1.0)
                z = gain / s
                ei = gain * 0.5 * (1 + erf(z / math.sqrt(2))) + s * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
                return np.where(sigma > 0, ei, np.maximum(gain, 0.0))
        """)),
        ("forgets the sigma * phi(z) term: only the mean gain times the probability of a gain", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                erf = np.vectorize(math.erf)
                gain = best - xi - mu
                s = np.where(sigma > 0, sigma, 1.0)
                ei = gain * 0.5 * (1 + erf(gain / s / math.sqrt(2)))
                return np.where(sigma > 0, ei, np.maximum(gain, 0.0))
        """)),
        ("sigma = 0 not handled: 0 / 0 gives nan there", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                erf = np.vectorize(math.erf)
                gain = best - xi - mu
                z = gain / sigma
                return gain * 0.5 * (1 + erf(z / math.sqrt(2))) + sigma * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        """)),
        ("xi added to the bar instead of subtracted: gain = best + xi - mu", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                erf = np.vectorize(math.erf)
                gain = best + xi - mu
                s = np.where(sigma > 0, sigma, 1.0)
                z = gain / s
                ei = gain * 0.5 * (1 + erf(z / math.sqrt(2))) + s * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
                return np.where(sigma > 0, ei, np.maximum(gain, 0.0))
        """)),
        ("Phi and phi swapped", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                erf = np.vectorize(math.erf)
                gain = best - xi - mu
                s = np.where(sigma > 0, sigma, 1.0)
                z = gain / s
                ei = gain * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi) + s * 0.5 * (1 + erf(z / math.sqrt(2)))
                return np.where(sigma > 0, ei, np.maximum(gain, 0.0))
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "grid": [
        ("np.meshgrid with indexing='ij' and np.geomspace", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                axes = [np.geomspace(lo, hi, per_axis) if lg else np.linspace(lo, hi, per_axis)
                        for lo, hi, lg in zip(low, high, log_scale)]
                mesh = np.meshgrid(*axes, indexing="ij")
                return np.stack([m.ravel() for m in mesh], axis=1)
        """)),
        ("row by row from a mixed-radix counter, log axes as 10 ** linspace of log10", _src("""
            def grid_configs(low, high, per_axis, log_scale):
                d = len(low)
                rows = []
                for r in range(per_axis ** d):
                    digits = [(r // per_axis ** (d - 1 - j)) % per_axis for j in range(d)]
                    row = []
                    for j, i in enumerate(digits):
                        t = i / (per_axis - 1)
                        if log_scale[j]:
                            row.append(10 ** (math.log10(low[j]) + t * (math.log10(high[j]) - math.log10(low[j]))))
                        else:
                            row.append(low[j] + t * (high[j] - low[j]))
                    rows.append(row)
                return np.array(rows)
        """)),
    ],
    "random": [
        ("vectorised with np.where over the columns, log10", _src("""
            def random_configs(low, high, log_scale, u):
                lo = np.where(log_scale, np.log10(np.where(log_scale, low, 1.0)), low)
                hi = np.where(log_scale, np.log10(np.where(log_scale, high, 1.0)), high)
                z = lo + u * (hi - lo)
                return np.where(log_scale, 10.0 ** z, z)
        """)),
        ("ratio form on log axes: low * (high / low) ** u", _src("""
            def random_configs(low, high, log_scale, u):
                out = np.empty(u.shape)
                for j in range(u.shape[1]):
                    if log_scale[j]:
                        out[:, j] = low[j] * (high[j] / low[j]) ** u[:, j]
                    else:
                        out[:, j] = low[j] + u[:, j] * (high[j] - low[j])
                return out
        """)),
    ],
    "kfold": [
        ("np.array_split, which puts the extra samples in the first folds", _src("""
            def kfold_split(n, k, fold):
                parts = np.array_split(np.arange(n), k)
                train = np.concatenate([p for i, p in enumerate(parts) if i != fold])
                return train, parts[fold]
        """)),
        ("fold sizes and a boolean mask", _src("""
            def kfold_split(n, k, fold):
                sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
                start = sum(sizes[:fold])
                mask = np.zeros(n, dtype=bool)
                mask[start:start + sizes[fold]] = True
                idx = np.arange(n)
                return idx[~mask], idx[mask]
        """)),
    ],
    "ei": [
        ("a loop over points with math.erf and an explicit sigma = 0 branch", _src("""
            def expected_improvement(mu, sigma, best, xi=0.0):
                out = np.zeros(len(mu))
                for i, (m, s) in enumerate(zip(mu, sigma)):
                    gain = best - xi - m
                    if s == 0:
                        out[i] = max(gain, 0.0)
                        continue
                    z = gain / s
                    cdf = 0.5 * math.erfc(-z / math.sqrt(2))
                    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
                    out[i] = gain * cdf + s * pdf
                return out
        """)),
    ],
}
