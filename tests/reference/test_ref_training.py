"""The pieces compose: a numpy MLP (layer objects + Adam) learns 3-class spirals to > 95%."""

from __future__ import annotations

import time

import numpy as np

import dlkit.reference as R


def spirals(n_per_class: int, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """``(x (N, 2), y (N,))``: ``classes`` interleaved arms, radius 0..1, ``noise`` std on the angle."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        theta = np.linspace(k * 4, (k + 1) * 4, n_per_class) + rng.normal(0, noise, n_per_class)
        xs.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        ys.append(np.full(n_per_class, k))
    return np.concatenate(xs), np.concatenate(ys)


def accuracy(model: R.Module, x, y) -> float:
    return float((model.eval().forward(x).argmax(axis=1) == y).mean())


def test_numpy_mlp_learns_spirals_above_95_percent():
    x, y = spirals(200, seed=0)
    x_test, y_test = spirals(100, seed=1)
    rng = np.random.default_rng(0)
    model = R.Sequential(R.Linear(2, 64, rng=rng), R.ReLU(), R.Linear(64, 64, rng=rng), R.ReLU(),
                         R.Linear(64, 3, rng=rng))
    opt = R.Adam(model, lr=0.01)
    start = time.perf_counter()
    first_loss = None
    for step in range(400):
        batch = rng.choice(len(x), size=128, replace=False)
        loss, dlogits = R.cross_entropy(model.train().forward(x[batch]), y[batch])
        first_loss = float(loss) if first_loss is None else first_loss
        model.backward(dlogits)
        opt.step()
    seconds = time.perf_counter() - start
    train_acc, test_acc = accuracy(model, x, y), accuracy(model, x_test, y_test)
    assert float(loss) < 0.5 * first_loss
    assert train_acc > 0.95, f"train accuracy {train_acc:.3f}"
    assert test_acc > 0.95, f"held-out accuracy {test_acc:.3f}"
    # A loaded CI machine is several times slower than a quiet one; the benchmarks measure speed.
    assert seconds < 60, f"training took {seconds:.1f} s (about 2 s on a quiet machine)"


def test_spirals_are_not_linearly_separable():
    """The MLP test means something only if a linear classifier fails on the same set."""
    x, y = spirals(200, seed=0)
    linear = R.Linear(2, 3, rng=0)
    opt = R.Adam(linear, lr=0.01)
    for _ in range(400):
        _, dlogits = R.cross_entropy(linear.forward(x), y)
        linear.backward(dlogits)
        opt.step()
    assert accuracy(linear, x, y) < 0.7
