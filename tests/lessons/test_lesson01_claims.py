"""The numbers lesson 01's prose states about the moons, checked.

Section 4 and exercise 6 say: no straight line gets far past 85 to 90% of the
moons, the best one gets about 87%, and 85% passes. Here the best line is
found by logistic regression on many moons and measured on fresh ones.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from dlkit import checks
from dlkit.checks.lesson01 import NEURON_TARGET, _moons
from tests.lessons.test_lesson01_notebook_structure import answer_sources


def _accuracy(weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(((X @ weights[:2] + weights[2]) >= 0) == y))


def test_the_best_straight_line_gets_about_87_percent_of_the_moons():
    X, y = _moons(5000, seed=11)
    fit = LogisticRegression(C=1e4).fit(X, y)
    best = np.r_[fit.coef_[0], fit.intercept_[0]]
    fresh_X, fresh_y = _moons(5000, seed=12)
    accuracy = _accuracy(best, fresh_X, fresh_y)
    assert 0.85 < accuracy < 0.90, accuracy        # "not far past 85 to 90%"
    assert abs(accuracy - 0.87) < 0.015, accuracy   # "the best straight line gets about 87%"
    assert NEURON_TARGET == 0.85                    # "at least 85% passes"


def test_the_solution_neuron_passes_for_any_hidden_seed():
    """The margin between 87% and the 85% target holds for every instructor seed we try."""
    namespace = {"np": np}
    exec(answer_sources()["neuron"], namespace)
    for seed in range(20):
        checks.run("01.neuron", namespace["neuron_weights"], hidden=True, seed=seed, quiet=True)
