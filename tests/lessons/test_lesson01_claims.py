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
from tests.lessons.course import REPO, Lesson


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
    exec(Lesson("01", "01-neurons", REPO).answers()["neuron"], namespace)
    for seed in range(20):
        checks.run("01.neuron", namespace["neuron_weights"], hidden=True, seed=seed, quiet=True)


# -- moved from the former per-lesson structure test (lesson 01's own layout claims) --------

def _cells():
    nb = Lesson("01", "01-neurons", REPO).notebook()
    return nb, [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in nb.cells]


def test_accuracy_claim_is_asserted_in_a_locked_cell_after_the_last_exercise():
    import re

    nb, ids = _cells()
    last_check = max(i for i, g in enumerate(ids) if g.endswith("-check"))
    claims = [(i, c) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and re.search(r"^assert test_accuracy > 0\.90\b", c.source, re.M)]
    assert len(claims) == 1
    i, cell = claims[0]
    assert i > last_check and cell.metadata["nbgrader"]["locked"] and not cell.metadata["nbgrader"]["grade"]
    assert nb.cells[i - 1].cell_type == "markdown" and "90%" in nb.cells[i - 1].source, \
        "state the claim right before its assert"


def test_student_facing_widget_and_static_figure_both_present():
    nb, _ = _cells()
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    widget = [i for i, s in enumerate(code) if "widgets.neuron_explorer(" in s]
    static = [i for i, s in enumerate(code) if "plot.neuron(" in s]
    assert widget and static and static[0] < widget[0], "show the static figure before the slider"
