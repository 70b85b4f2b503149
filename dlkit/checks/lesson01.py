"""Checks for lesson 01: neurons, layers and activation functions.

Exercises: ``sigmoid``, ``tanh``, ``relu``, ``softmax``, ``dense_forward``,
``two_layer_forward``. The answer key is :mod:`dlkit.reference`.
"""

from __future__ import annotations

import numpy as np

from dlkit import reference as ref
from dlkit.checks.core import Case, Exercise, register

F32_TOL = (2e-5, 1e-6)  # float32 keeps about 7 significant digits


def _shapes(rng: np.random.Generator, n: int) -> list[tuple[int, ...]]:
    """Random shapes of rank 1 to 3 with small sides."""
    return [tuple(int(s) for s in rng.integers(1, 7, size=rng.integers(1, 4))) for _ in range(n)]


def _elementwise_hidden(rng: np.random.Generator, extreme: float) -> list[Case]:
    """Hidden cases for an elementwise activation: random shapes, both dtypes, extreme values."""
    cases = []
    for shape in _shapes(rng, 4):
        cases.append(Case((rng.normal(0, 3, size=shape),), label=f"random values, shape {shape}"))
    x32 = rng.normal(0, 4, size=(3, 5)).astype(np.float32)
    cases.append(Case((x32,), label="float32 input", tol=F32_TOL))
    signs = rng.permutation([-1.0, 1.0] * 3 + [rng.choice([-1.0, 1.0])])  # both signs, always
    spikes = extreme * signs * rng.uniform(0.9, 1.0, size=7)  # beyond exp overflow (|x| > 709)
    cases.append(Case((np.concatenate([spikes, rng.normal(size=3)]),), label="very large and very small values"))
    cases.append(Case((np.array([-extreme], dtype=np.float32),), label="a large negative float32", tol=F32_TOL))
    return cases


# -- 1. sigmoid ------------------------------------------------------------------

def _sigmoid_visible() -> list[Case]:
    return [
        Case((np.array([0.0]),), label="sigmoid(0) is 0.5"),
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),), label="small values"),
        Case((np.array([[1.0, -1.0], [3.0, -3.0]]),), label="a 2-D array keeps its shape"),
        Case((np.array([-1000.0, -50.0, 50.0, 1000.0]),), label="large inputs",
             hint="np.exp(-x) overflows for x = -1000. Use exp(-|x|), which is at most 1: "
                  "for x >= 0, 1/(1+exp(-x)); for x < 0, exp(x)/(1+exp(x))."),
    ]


register(Exercise(
    id="01.sigmoid", function="sigmoid", reference=ref.sigmoid,
    visible=_sigmoid_visible, hidden=lambda rng: _elementwise_hidden(rng, 1000.0),
    strict_float=True,
    forbidden=("scipy.special.expit", "torch.sigmoid", "torch.special.expit"),
    hint="sigmoid(x) = 1 / (1 + exp(-x)), computed so that exp never sees a large positive number.",
))


# -- 2. tanh ---------------------------------------------------------------------

def _tanh_visible() -> list[Case]:
    return [
        Case((np.array([0.0]),), label="tanh(0) is 0"),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]),), label="small values (tanh is odd: tanh(-x) = -tanh(x))"),
        Case((np.array([[0.1, -0.1], [1.0, -1.0]]),), label="a 2-D array keeps its shape"),
        Case((np.array([-800.0, 800.0]),), label="large inputs",
             hint="(e^x - e^-x)/(e^x + e^-x) overflows to inf/inf = nan for |x| > 710. "
                  "Rewrite it with exp(-2|x|), or as 2*sigmoid(2x) - 1 with a stable sigmoid."),
    ]


register(Exercise(
    id="01.tanh", function="tanh", reference=ref.tanh,
    visible=_tanh_visible, hidden=lambda rng: _elementwise_hidden(rng, 800.0),
    strict_float=True,
    forbidden=("numpy.tanh", "math.tanh", "torch.tanh", "torch.nn.functional.tanh"),
    hint="tanh(x) = (1 - exp(-2x)) / (1 + exp(-2x)) for x >= 0, and tanh(-x) = -tanh(x).",
))


# -- 3. relu ---------------------------------------------------------------------

def _relu_visible() -> list[Case]:
    return [
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),), label="negatives become 0, positives stay"),
        Case((np.array([[3.0, -1.0], [-4.0, 7.5]]),), label="a 2-D array keeps its shape"),
        Case((np.array([-1e6, 1e6]),), label="large values are not clipped"),
    ]


def _relu_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [Case((rng.normal(0, 5, size=shape),), label=f"random values, shape {shape}") for shape in _shapes(rng, 4)]
    cases.append(Case((rng.normal(0, 1e4, size=(4, 3)),), label="large values"))
    cases.append(Case((rng.normal(size=6).astype(np.float32),), label="float32 input", tol=F32_TOL))
    cases.append(Case((rng.normal(0, 5, size=(5, 3)).T,), label="a transposed (column-major) array"))
    return cases


register(Exercise(
    id="01.relu", function="relu", reference=ref.relu,
    visible=_relu_visible, hidden=_relu_hidden,
    hint="relu(x) = max(x, 0) elementwise; np.maximum compares an array with a number.",
))


# -- 4. softmax --------------------------------------------------------------------

def _softmax_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 2.0, 3.0]),), label="a single vector"),
        Case((np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]),), label="each row of a 2-D array sums to 1",
             hint="With axis=-1 each row is its own distribution: sum over that axis only, with keepdims=True."),
        Case((np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]]),), {"axis": 0}, label="axis=0: each column sums to 1"),
        Case((np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -1001.0]]),), label="large logits",
             hint="exp(1000) overflows. Subtract each row's own maximum (keepdims=True) first; "
                  "it does not change the result."),
    ]


def _softmax_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in _shapes(rng, 4):
        axis = int(rng.integers(-len(shape), len(shape)))
        cases.append(Case((rng.normal(0, 3, size=shape),), {"axis": axis}, label=f"shape {shape}, axis={axis}"))
    offsets = rng.permutation([-900.0, -900.0, 900.0, 900.0])[:, None]  # both scales, always
    cases.append(Case((rng.normal(0, 1, size=(4, 5)) + offsets,), label="rows at very different scales"))
    cases.append(Case((rng.normal(0, 3, size=(3, 4)),), {"axis": 0}, label="axis=0: each column sums to 1"))
    cases.append(Case((rng.normal(0, 3, size=(2, 3, 4)),), {"axis": 1}, label="a middle axis of a 3-D array"))
    cases.append(Case((rng.normal(0, 2, size=(3, 4)).astype(np.float32),), {"axis": 1}, label="float32 input", tol=F32_TOL))
    return cases


register(Exercise(
    id="01.softmax", function="softmax", reference=ref.softmax,
    visible=_softmax_visible, hidden=_softmax_hidden,
    strict_float=True,
    forbidden=("scipy.special.softmax", "torch.softmax", "torch.nn.functional.softmax"),
    hint="softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z), along the given axis.",
))


# -- 5. dense layer ------------------------------------------------------------------

def dense_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Answer key: a dense layer, ``X @ W.T + b`` (W shaped (out_features, in_features))."""
    out, _ = ref.linear_forward(X, W, b)
    return out


def _dense_case(rng: np.random.Generator, n: int, d: int, m: int, label: str = "") -> Case:
    return Case((rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)),
                label=label or f"X {n}x{d}, W {m}x{d}")


def _dense_visible() -> list[Case]:
    rng = np.random.default_rng(1)
    return [
        Case((np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0.5, -0.5, 0.0])),
             label="one sample, 2 inputs, 3 outputs"),
        _dense_case(rng, 4, 3, 2, "a batch of 4 samples"),
        _dense_case(rng, 3, 3, 3, "square weights: W and W.T differ"),
    ]


def _dense_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [_dense_case(rng, *(int(v) for v in rng.integers(1, 8, size=3))) for _ in range(4)]
    d = int(rng.integers(2, 6))
    cases.append(_dense_case(rng, d, d, d, "square shapes everywhere"))
    return cases


register(Exercise(
    id="01.dense", function="dense_forward", reference=dense_forward,
    visible=_dense_visible, hidden=_dense_hidden,
    hint="Each row of X is one sample; W has one row per output neuron, so out = X @ W.T + b, shape (N, M).",
))


# -- 6. a neuron chosen by hand (a "value" exercise, scored on held-out data) ------------

MOONS_NOISE = 0.15
NEURON_TARGET = 0.85  # the best straight line gets about 87% of these moons right


def _moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from dlkit import data

    m = data.make_moons(n_samples=n, noise=MOONS_NOISE, seed=seed)
    X = np.concatenate([m.X_train, m.X_val, m.X_test]).astype(np.float64)
    y = np.concatenate([m.y_train, m.y_val, m.y_test]).astype(np.float64)
    return X, y


def _neuron_score(case: Case, output: tuple) -> "Verdict":
    """Accuracy of the neuron sigmoid(w1 x1 + w2 x2 + b) >= 0.5 on the case's held-out moons."""
    from dlkit.checks.core import Verdict

    weights = np.concatenate([o.reshape(-1) for o in output]) if output else np.zeros(0)
    if weights.shape != (3,):
        return Verdict(False, f"holds {weights.size} number(s); give three: np.array([w1, w2, b])")
    if not np.all(np.isfinite(weights)):
        return Verdict(False, f"holds {weights}, which is not finite")
    X, y = case.secret
    predicted = (X @ weights[:2] + weights[2] >= 0).astype(np.float64)
    accuracy = float(np.mean(predicted == y))
    return Verdict(accuracy >= NEURON_TARGET,
                   f"classifies {accuracy:.1%} of {len(y)} new moons correctly; at least {NEURON_TARGET:.0%} needed")


register(Exercise(
    id="01.neuron", function="neuron_weights", reference=None, kind="value", score=_neuron_score,
    visible=lambda: [Case((), secret=_moons(1000, seed=1), label="1000 moons the explorer did not show")],
    hidden=lambda rng: [Case((), secret=_moons(1000, seed=int(rng.integers(2**31))), label="new moons")],
    hint="Use the explorer: the boundary must run between the two moons, roughly along their "
         "long axis; class 1 (the lower moon) is where w1*x1 + w2*x2 + b >= 0.",
))


# -- 7. two-layer network --------------------------------------------------------------

def two_layer_forward(X, W1, b1, W2, b2) -> np.ndarray:
    """Answer key: class probabilities of a ReLU hidden layer followed by a softmax output layer."""
    hidden = ref.relu(ref.linear_forward(X, W1, b1)[0])
    return ref.softmax(ref.linear_forward(hidden, W2, b2)[0], axis=-1)


def _two_layer_case(rng: np.random.Generator, n: int, d: int, h: int, k: int, label: str = "") -> Case:
    return Case((rng.normal(size=(n, d)), rng.normal(size=(h, d)), rng.normal(size=h),
                 rng.normal(size=(k, h)), rng.normal(size=k)),
                label=label or f"{n} samples, {d} inputs, {h} hidden, {k} classes")


def _two_layer_visible() -> list[Case]:
    rng = np.random.default_rng(2)
    return [
        _two_layer_case(rng, 1, 4, 5, 3, "one iris-like sample"),
        _two_layer_case(rng, 6, 4, 8, 3, "a batch: each row of the output sums to 1"),
    ]


def _two_layer_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [_two_layer_case(rng, *(int(v) for v in rng.integers(1, 9, size=4))) for _ in range(3)]
    big = _two_layer_case(rng, 5, 4, 6, 3, "large weights (softmax must be stable)")
    scaled = Case(tuple(a * (40.0 if i in (1, 3) else 1.0) for i, a in enumerate(big.args)), label=big.label)
    cases.append(scaled)
    return cases


register(Exercise(
    id="01.two_layer", function="two_layer_forward", reference=two_layer_forward,
    visible=_two_layer_visible, hidden=_two_layer_hidden,
    strict_float=True,
    hint="hidden = relu(X @ W1.T + b1); probabilities = softmax(hidden @ W2.T + b2) over the class axis. "
         "Reuse your dense_forward, relu and softmax.",
))

