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


def test_the_moons_network_beats_90_percent_on_held_out_moons_and_matches_scikit_learn():
    """Section 6 says: your two_layer_forward with scikit-learn's weights gets more than 90% of the
    test moons right and agrees with predict_proba to 1e-9. Checked over data and training seeds."""
    from sklearn.neural_network import MLPClassifier

    from dlkit import data
    from dlkit.checks.lesson01 import two_layer_forward

    accuracies = []
    for seed in range(3):
        moons = data.make_moons(n_samples=300, noise=0.15, seed=seed)
        mlp = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", learning_rate_init=0.01,
                            max_iter=3000, random_state=seed).fit(moons.X_train, moons.y_train)
        V1, c1 = mlp.coefs_[0].T, mlp.intercepts_[0]
        V2 = np.vstack([np.zeros((1, 32)), mlp.coefs_[1].T])
        c2 = np.concatenate([[0.0], mlp.intercepts_[1]])
        X = moons.X_test.astype(np.float64)
        P = two_layer_forward(X, V1, c1, V2, c2)
        assert np.allclose(P, mlp.predict_proba(X), atol=1e-9)
        accuracies.append(float(np.mean(P.argmax(axis=1) == moons.y_test)))
    assert min(accuracies) > 0.90, accuracies   # measured: 1.0, 1.0, 1.0 here (45 test moons each)


def test_the_third_hint_of_exercise_6_is_a_start_that_does_not_pass_yet():
    """The hint says the right-hand neuron of the figure gets about 82%: below the 85% target."""
    X, y = _moons(5000, seed=13)
    accuracy = _accuracy(np.array([0.5, -2.0, 1.0]), X, y)
    assert abs(accuracy - 0.82) < 0.015 and accuracy < NEURON_TARGET, accuracy


def test_stated_thresholds_of_the_exercises():
    """Exercise 1: float32's exp overflows above about 88 (float64: 709). Exercise 7: weights 40 times
    larger give logits in the thousands in the large-weights case."""
    from dlkit.checks import cases

    assert abs(cases.EXP_LIMIT[np.dtype(np.float32)] - 88.7) < 0.1
    assert abs(cases.EXP_LIMIT[np.dtype(np.float64)] - 709.8) < 0.1
    for seed in range(5):
        ex = checks.get("01.two_layer")
        for case in ex.cases(hidden=True, seed=seed) + ex.cases():
            if case.label.startswith("large weights"):
                X, W1, b1, W2, b2 = case.args
                logits = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
                assert np.abs(logits).max() > 1000, np.abs(logits).max()
