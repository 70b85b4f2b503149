"""Checks for lesson 02: losses and gradient descent.

Exercises: ``mse`` (mean squared error and its gradient), ``linear_gd``
(gradient descent for linear regression), ``learning_rate`` (a learning rate
chosen with the explorer, a value scored from starts the student does not
see), ``bce`` (binary cross-entropy from logits) and ``cross_entropy``
(softmax cross-entropy from logits). The losses' answer key is
:mod:`dlkit.reference.losses`; every loss returns ``(loss, gradient)`` with the
batch mean, as ``torch.nn.functional`` does.

Hidden checks are fair: each exercise's visible and hidden cases come from the
same builder (visible with :func:`dlkit.checks.cases.fixed_rng`, hidden with
the grader's generator), so every hidden kind has a visible case with the same
fixed label; the hand-written visible cases come first, to teach.
"""

from __future__ import annotations

import numpy as np

from dlkit import reference as ref
from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, Verdict, register

F32_TOL = cases.F32_TOL  # float32 keeps about 7 significant digits


# -- 1. mean squared error ------------------------------------------------------------

def _mse_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 3.0]), np.array([1.0, 1.0])), label="two predictions: loss 2, gradient [0, 2]",
             hint="loss = mean((pred - target)**2) = (0 + 4) / 2 = 2; its gradient is 2 * (pred - target) / n."),
        Case((np.array([[0.5, -1.0], [2.0, 0.0], [1.5, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]])),
             label="a 2-D batch: one mean over every entry; the gradient keeps the shape",
             hint="Divide by the number of entries pred.size, not by the number of rows."),
        Case((np.arange(8.0).reshape(2, 2, 2) / 4, np.ones((2, 2, 2))), label="a 3-D array"),
        Case((np.array([2.5]), np.array([2.5])), label="a perfect prediction: loss 0, gradient 0"),
        *_mse_cases(cases.fixed_rng()),
    ]


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    """Random arrays of random shapes (rank 1 to 3), large values, and float32 (visible and hidden)."""
    out = [Case((cases.normal(rng, shape, scale=2.0), cases.normal(rng, shape, scale=2.0)), label="random arrays")
           for shape in cases.shapes(rng, 4)]
    out.append(Case((cases.normal(rng, (5, 3), scale=1e3), cases.normal(rng, (5, 3), scale=1e3)),
                    label="large values"))
    out.append(Case((cases.normal(rng, (4, 2), dtype=np.float32), cases.normal(rng, (4, 2), dtype=np.float32)),
                    label="float32 input", tol=F32_TOL))
    return out


register(Exercise(
    id="02.mse", function="mse_loss", reference=ref.mse_loss,
    visible=_mse_visible, hidden=_mse_cases,
    forbidden=("torch.nn.functional.mse_loss", "sklearn.metrics.mean_squared_error"),
    hint="Return two things: loss = mean((pred - target)^2) over every entry, and dloss/dpred = "
         "2 (pred - target) / n with n = pred.size, an array shaped like pred.",
))


# -- 2. gradient descent for linear regression ---------------------------------------------

def linear_regression_gd(X: np.ndarray, y: np.ndarray, lr: float, steps: int):
    """Answer key: ``steps`` full-batch gradient-descent updates of ``pred = X @ w + b`` on the MSE, from zeros.

    Returns ``(w (D,), b, losses (steps,))``; ``losses[k]`` is the loss computed
    in step ``k``, before that step's update.
    """
    w, b = np.zeros(X.shape[1]), 0.0
    losses = np.empty(steps)
    for k in range(steps):
        residual = X @ w + b - y
        losses[k] = np.mean(residual**2)
        dpred = 2 * residual / len(y)
        w, b = w - lr * (X.T @ dpred), b - lr * dpred.sum()
    return w, b, losses


def _safe_lr(X: np.ndarray, fraction: float) -> float:
    """``fraction`` of the largest stable learning rate 2/lambda_max for the MSE of ``[X, 1]``."""
    A = np.column_stack([X, np.ones(len(X))])
    curvature = np.linalg.eigvalsh(2 * A.T @ A / len(X)).max()  # the Hessian's largest eigenvalue
    return float(fraction * 2 / curvature)


def _gd_case(rng: np.random.Generator, n: int, d: int, steps: int, fraction: float, label: str) -> Case:
    X = rng.normal(0, 1, size=(n, d)) + rng.normal(0, 1, size=d)
    y = X @ rng.normal(0, 2, size=d) + rng.normal(0, 2) + rng.normal(0, 0.3, size=n)
    return Case((X, y, round(_safe_lr(X, fraction), 4), steps), label=label)


def _gd_visible() -> list[Case]:
    rng = np.random.default_rng(2)
    x = np.array([[-1.0], [0.0], [1.0], [2.0]])
    return [
        Case((x, 2 * x[:, 0] + 1, 0.1, 1), label="one step from w = 0, b = 0",
             hint="Start from w = np.zeros(D) and b = 0. One step: w = 0 - lr * dL/dw and b = 0 - lr * dL/db, "
                  "with dL/dw = X.T @ dpred and dL/db = dpred.sum(); losses[0] is the loss at w = 0, b = 0."),
        Case((x, 2 * x[:, 0] + 1, 0.1, 25), label="a line y = 2x + 1: 25 steps",
             hint="losses[k] is the loss of step k, computed before that step's update; it holds `steps` numbers."),
        _gd_case(rng, 12, 3, 40, 0.5, "12 points, 3 features, 40 steps"),
        _gd_case(rng, 6, 2, 10, 0.9, "a large learning rate: the loss still falls, with a zig-zag"),
        *_gd_cases(cases.fixed_rng()),
    ]


def _gd_cases(rng: np.random.Generator) -> list[Case]:
    """Random data of random sizes, step counts and stable learning rates, and one step (visible and hidden)."""
    out = []
    for _ in range(4):
        n, d, steps = int(rng.integers(3, 40)), int(rng.integers(1, 6)), int(rng.integers(1, 60))
        out.append(_gd_case(rng, n, d, steps, float(rng.uniform(0.1, 0.95)), "random data"))
    out.append(_gd_case(rng, int(rng.integers(5, 20)), int(rng.integers(2, 5)), 1, 0.5, "one step"))
    return out


register(Exercise(
    id="02.linear_gd", function="linear_regression_gd", reference=linear_regression_gd,
    visible=_gd_visible, hidden=_gd_cases,
    forbidden=("numpy.linalg.lstsq", "numpy.linalg.solve", "numpy.linalg.inv", "numpy.linalg.pinv"),
    hint="Each step: pred = X @ w + b; loss, dpred = mse_loss(pred, y); record the loss; "
         "w -= lr * (X.T @ dpred); b -= lr * dpred.sum(). Return w, b and the array of losses.",
))


# -- 3. a learning rate chosen with the explorer (a "value" exercise) ---------------------------

LR_SURFACE = "elongated"  # dlkit.plot.SURFACES["elongated"]: L(w1, w2) = (w1^2 + 10 w2^2) / 2
LR_STEPS = 30
LR_TARGET = 1e-3
LR_RADIUS = 3.0  # starts lie at most this far from the minimum (0, 0)
LR_VISIBLE_STARTS = ((-2.5, 1.5), (3.0, 0.0), (0.0, -3.0))
LR_RANDOM_STARTS = 16  # how many random starts a visible or hidden case draws
LR_STARTS_LABEL = f"{LR_RANDOM_STARTS} random starts within distance {LR_RADIUS:g} of the minimum"


def _valley():
    from dlkit.plot.descent import SURFACES

    return SURFACES[LR_SURFACE]


def _descend(lr: float, start) -> tuple[float, float, np.ndarray]:
    """(loss at the start, loss after LR_STEPS steps or inf when it diverged, last point)."""
    from dlkit.plot.descent import gradient_descent_path

    surface = _valley()
    path = gradient_descent_path(surface.grad, start, lr, LR_STEPS)
    last = path[-1]
    final = float(surface.loss(*last)) if len(path) == LR_STEPS + 1 and np.all(np.isfinite(last)) else np.inf
    return float(surface.loss(*np.asarray(start, dtype=float))), final, last


def _learning_rate_score(case: Case, output: tuple) -> Verdict:
    """Gradient descent with the student's learning rate must bring the valley's loss below LR_TARGET from every start."""
    values = np.concatenate([o.reshape(-1) for o in output]) if output else np.zeros(0)
    if values.shape != (1,):
        return Verdict(False, f"holds {values.size} numbers; give one learning rate, e.g. learning_rate = 0.05")
    lr = float(values[0])
    if not np.isfinite(lr) or lr <= 0:
        return Verdict(False, f"is {lr}; a learning rate must be a positive number "
                              f"(with a negative one, descent climbs uphill)")
    runs = [_descend(lr, start) for start in case.secret]
    failed = [(first, final, last) for first, final, last in runs if not final <= LR_TARGET]
    n = len(runs)
    if not failed:
        worst = max(final for _, final, _ in runs)
        return Verdict(True, f"from all {n} starts the loss is below {LR_TARGET:g} after {LR_STEPS} steps "
                             f"(worst {worst:.1e})")
    first, final, last = max(failed, key=lambda r: r[1])
    if not np.isfinite(final) or final >= first:
        why = (f"the loss did not fall ({'it diverged' if not np.isfinite(final) else f'{first:.2g} -> {final:.2g}'}): "
               f"the learning rate is too large, every step overshoots across the steep direction w2")
    elif 10 * last[1] ** 2 > last[0] ** 2:
        why = (f"the loss is still {final:.1e}, mostly from the steep direction w2, where each step overshoots "
               f"and zig-zags: the learning rate is a little too large")
    else:
        why = (f"the loss is still {final:.1e}, mostly from the shallow direction w1, where descent crawls "
               f"along the valley floor: the learning rate is too small")
    return Verdict(False, f"= {lr:g} misses the target from {len(failed)} of {n} starts: after {LR_STEPS} steps "
                          f"{why} (target: a loss below {LR_TARGET:g})")


def _random_starts(rng: np.random.Generator, n: int) -> tuple[tuple[float, float], ...]:
    angle = rng.uniform(0, 2 * np.pi, size=n)
    radius = LR_RADIUS * np.sqrt(rng.uniform(0.2, 1.0, size=n))
    return tuple((float(r * np.cos(a)), float(r * np.sin(a))) for r, a in zip(radius, angle))


def _lr_cases(rng: np.random.Generator) -> list[Case]:
    """Random starts within LR_RADIUS of the minimum (visible with a fixed generator, hidden with new ones)."""
    return [Case((), secret=_random_starts(rng, LR_RANDOM_STARTS), label=LR_STARTS_LABEL)]


register(Exercise(
    id="02.learning_rate", function="learning_rate", reference=None, kind="value", score=_learning_rate_score,
    visible=lambda: [Case((), secret=LR_VISIBLE_STARTS, label="the explorer's start and two starts on the axes"),
                     *_lr_cases(cases.fixed_rng())],
    hidden=_lr_cases,
    hint="Drag the explorer's lr slider: too small and the path crawls along the valley floor (w1); too large "
         "and it zig-zags across the valley (w2) or flies off. The right value makes both directions shrink fast.",
))


# -- 4. binary cross-entropy from logits ---------------------------------------------------

_BCE_LARGE_HINT = ("log(sigmoid(z)) gives log(0) = -inf when sigmoid(z) rounds to 0, and exp(-z) overflows. "
                   "Use loss = max(z, 0) - z t + log(1 + exp(-|z|)) (np.log1p), where exp never sees a positive "
                   "number, and a sigmoid computed from exp(-|z|) for the gradient.")


def _bce_visible() -> list[Case]:
    return [
        Case((np.array([0.0]), np.array([1.0])), label="z = 0 means p = 0.5: loss log 2, gradient -0.5"),
        Case((np.array([2.0, -1.0, 0.5, -3.0]), np.array([1.0, 0.0, 0.0, 1.0])), label="a batch of 0/1 targets",
             hint="The gradient with respect to the logits is (sigmoid(z) - t) / n, with n = z.size."),
        Case((np.array([[0.3, -0.7], [1.2, 0.0]]), np.array([[0.25, 0.9], [1.0, 0.5]])),
             label="a 2-D batch with soft targets in [0, 1]"),
        Case((np.array([-1000.0, 1000.0, -50.0, 50.0, 800.0]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])),
             label="very large logits", hint=_BCE_LARGE_HINT),
        *_bce_cases(cases.fixed_rng()),
    ]


def _bce_cases(rng: np.random.Generator) -> list[Case]:
    """Random logits with 0/1 targets, soft targets, very large logits of both signs, float32 (visible and hidden)."""
    out = []
    for shape in cases.shapes(rng, 3):
        z, t = cases.normal(rng, shape, scale=3.0), rng.integers(0, 2, size=shape).astype(np.float64)
        out.append(Case((z, t), label="random logits, 0/1 targets"))
    out.append(Case((cases.normal(rng, (3, 4), scale=2.0), rng.uniform(0, 1, size=(3, 4))), label="soft targets"))
    z = rng.permutation([-1.0, 1.0] * 4) * rng.uniform(600, 1000, size=8)
    out.append(Case((z, rng.permutation([0.0, 1.0] * 4)), label="very large logits of both signs",
                    hint=_BCE_LARGE_HINT))
    z32 = cases.normal(rng, (4, 3), scale=3.0, dtype=np.float32)
    out.append(Case((z32, rng.integers(0, 2, size=(4, 3)).astype(np.float32)), label="float32 input", tol=F32_TOL))
    return out


register(Exercise(
    id="02.bce", function="bce_with_logits", reference=ref.binary_cross_entropy_with_logits,
    visible=_bce_visible, hidden=_bce_cases,
    strict_float=True,
    forbidden=("torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy",
               "sklearn.metrics.log_loss", "scipy.special.log_expit"),
    hint="loss = mean(max(z, 0) - z t + log(1 + exp(-|z|))); dloss/dz = (sigmoid(z) - t) / n.",
))


# -- 5. softmax cross-entropy from logits --------------------------------------------------

def _ce_case(rng: np.random.Generator, n: int, c: int, label: str, scale: float = 2.0) -> Case:
    return Case((rng.normal(0, scale, size=(n, c)), rng.integers(0, c, size=n)), label=label)


_CE_LARGE_HINT = ("exp(1000) overflows. log softmax(z)_y = z_y - logsumexp(z), and logsumexp(z) = m + "
                  "log(sum(exp(z - m))) with m each row's own maximum (keepdims=True).")


def _ce_visible() -> list[Case]:
    rng = np.random.default_rng(5)
    return [
        Case((np.zeros((1, 2)), np.array([0])), label="equal logits, 2 classes: loss log 2",
             hint="With equal logits softmax gives 1/C to each class, so the loss is log C; the gradient is "
                  "(softmax - onehot) / N = [[-0.5, 0.5]]."),
        Case((np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), np.array([0, 2])), label="two examples, 3 classes",
             hint="Pick each row's log-probability of its own label: logp[np.arange(N), labels]; average over N."),
        _ce_case(rng, 5, 4, "a batch of 5, 4 classes"),
        Case((np.array([[1000.0, 999.0, 998.0], [-1000.0, -1002.0, -999.0]]), np.array([1, 2])),
             label="very large logits, rows at different scales", hint=_CE_LARGE_HINT),
        *_ce_cases(cases.fixed_rng()),
    ]


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    """Random logits of random sizes, rows near +900 and -900 in one batch, float32 (visible and hidden)."""
    out = [_ce_case(rng, int(rng.integers(1, 9)), int(rng.integers(2, 8)), "random logits") for _ in range(4)]
    big = _ce_case(rng, 4, 5, "")
    offsets = rng.permutation([-900.0, -900.0, 900.0, 900.0])[:, None]  # both scales, always
    out.append(Case((big.args[0] + offsets, big.args[1]), label="rows at very different scales", hint=_CE_LARGE_HINT))
    small = _ce_case(rng, 3, 4, "")
    out.append(Case((small.args[0].astype(np.float32), small.args[1]), label="float32 input", tol=F32_TOL))
    return out


register(Exercise(
    id="02.cross_entropy", function="cross_entropy", reference=ref.cross_entropy,
    visible=_ce_visible, hidden=_ce_cases,
    strict_float=True,
    forbidden=("torch.nn.functional.cross_entropy", "torch.nn.functional.log_softmax", "scipy.special.logsumexp",
               "scipy.special.log_softmax", "scipy.special.softmax", "sklearn.metrics.log_loss"),
    hint="loss = mean over rows of logsumexp(z_n) - z_n[y_n]; dloss/dz = (softmax(z) - onehot(y)) / N.",
))
