"""Checks for lesson 01: neurons, layers and activation functions.

Exercises: ``sigmoid``, ``tanh``, ``relu``, ``softmax``, ``dense_forward``,
``two_layer_forward``. The answer key is :mod:`dlkit.reference`.
"""

from __future__ import annotations

import numpy as np

from dlkit import reference as ref
from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, plural, register

#: Library versions of each function that an exercise asks students to write themselves.
SIGMOIDS = ("scipy.special.expit", "torch.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid",
            "torch.Tensor.sigmoid", "torch.Tensor.sigmoid_")
TANHS = ("numpy.tanh", "math.tanh", "torch.tanh", "torch.nn.functional.tanh", "torch.Tensor.tanh",
         "torch.Tensor.tanh_")
SOFTMAXES = ("scipy.special.softmax", "torch.softmax", "torch.special.softmax", "torch.nn.functional.softmax",
             "torch.Tensor.softmax")


# -- 1. sigmoid ------------------------------------------------------------------

def _sigmoid_visible() -> list[Case]:
    return [
        Case((np.array([0.0]),), label="sigmoid(0) is 0.5"),
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),), label="small values"),
        Case((np.array([[1.0, -1.0], [3.0, -3.0]]),), label="a 2-D array keeps its shape"),
        Case((np.array([-1000.0, -50.0, 50.0, 1000.0]),), label="large inputs",
             hint="np.exp(-x) overflows for x = -1000. Use exp(-|x|), which is at most 1, "
                  "and the form of sigmoid that fits the sign of x."),
        *cases.elementwise(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.sigmoid", function="sigmoid", reference=ref.sigmoid,
    visible=_sigmoid_visible, hidden=cases.elementwise,
    strict_float=True, keep_precision=True, forbidden=SIGMOIDS,
    hint="exp must never see a large positive number, in float64 (above 709) or float32 (above 88): "
         "use exp(-|x|) and choose the form of sigmoid by the sign of x.",
))


# -- 2. tanh ---------------------------------------------------------------------

def _tanh_visible() -> list[Case]:
    return [
        Case((np.array([0.0]),), label="tanh(0) is 0"),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]),), label="small values (tanh is odd: tanh(-x) = -tanh(x))"),
        Case((np.array([[0.1, -0.1], [1.0, -1.0]]),), label="a 2-D array keeps its shape"),
        Case((np.array([-800.0, 800.0]),), label="large inputs",
             hint="(e^x - e^-x)/(e^x + e^-x) overflows to inf/inf = nan for |x| > 710. "
                  "Compute tanh(|x|) with exp(-2|x|), then restore the sign."),
        *cases.elementwise(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.tanh", function="tanh", reference=ref.tanh,
    visible=_tanh_visible, hidden=cases.elementwise,
    strict_float=True, keep_precision=True, forbidden=TANHS,
    hint="Only ever exponentiate a number <= 0: compute tanh(|x|) from exp(-2|x|) and use tanh(-x) = -tanh(x).",
))


# -- 3. relu ---------------------------------------------------------------------

def _relu_cases(rng: np.random.Generator) -> list[Case]:
    return [*cases.elementwise(rng, scale=5.0, extreme=False, exact=True),
            Case((cases.normal(rng, (4, 3), scale=1e6),), label="large values are not clipped")]


def _relu_visible() -> list[Case]:
    return [
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),), label="negatives become 0, positives stay"),
        Case((np.array([[3.0, -1.0], [-4.0, 7.5]]),), label="a 2-D array keeps its shape"),
        *_relu_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.relu", function="relu", reference=ref.relu,
    visible=_relu_visible, hidden=_relu_cases,
    rtol=0.0, atol=0.0, keep_precision=True,  # relu only compares and copies: the answer is exact
    hint="relu keeps every positive entry exactly as it is and puts 0 elsewhere: compare each entry with 0, "
         "elementwise, into a new array.",
))


# -- 4. softmax --------------------------------------------------------------------

def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    offsets = rng.permutation([-900.0, -900.0, 900.0, 900.0])[:, None]  # both scales, always
    return [*cases.along_axis(rng),
            Case((cases.normal(rng, (4, 5)) + offsets,), label="rows at very different scales")]


def _softmax_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 2.0, 3.0]),), label="a single vector"),
        Case((np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]),), label="each row of a 2-D array sums to 1",
             hint="With axis=-1 each row is its own distribution: sum over that axis only, keeping its dimension."),
        Case((np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]]),), {"axis": 0}, label="axis=0: each column sums to 1"),
        Case((np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -1001.0]]),), label="large logits",
             hint="exp(1000) overflows. Subtract each row's own maximum first; it does not change the result."),
        Case((np.array([[-800.0, 0.0, 800.0]]),), label="one row spans a very wide range",
             hint="Only the row's maximum keeps every exponent <= 0 and the largest term exactly 1; "
                  "its mean or minimum overflow here."),
        *_softmax_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.softmax", function="softmax", reference=ref.softmax,
    visible=_softmax_visible, hidden=_softmax_cases,
    strict_float=True, keep_precision=True, forbidden=SOFTMAXES,
    hint="softmax(z)_i = exp(z_i - m) / sum_j exp(z_j - m), where m is the maximum of the slice along `axis`, "
         "kept with a size-1 dimension so that it broadcasts.",
))


# -- 5. dense layer ------------------------------------------------------------------

def dense_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Answer key: a dense layer, ``X @ W.T + b`` (W shaped (out_features, in_features))."""
    out, _ = ref.linear_forward(X, W, b)
    return out


def _dense_args(rng: np.random.Generator, n: int, d: int, m: int, *, dtype=np.float64, square: bool = False):
    W = cases.square(rng, d, dtype=dtype) if square else cases.normal(rng, (m, d), dtype=dtype)
    return cases.normal(rng, (n, d), dtype=dtype), W, cases.normal(rng, W.shape[0], dtype=dtype)


def _dense_cases(rng: np.random.Generator) -> list[Case]:
    n, d, m = (int(v) for v in rng.integers(2, 8, size=3))
    X, W, b = _dense_args(rng, n, d, m)
    return [
        Case(_dense_args(rng, n, d, m), label="random sizes"),
        Case(_dense_args(rng, 1, d, m), label="a batch of one"),
        Case(_dense_args(rng, d, d, d, square=True), label="square shapes everywhere: W and W.T differ"),
        Case(_dense_args(rng, n, d, m, dtype=np.float32), label="float32 inputs", tol=cases.F32_TOL),
        Case((cases.column_major(X), cases.column_major(W), b), label="column-major (transposed) arrays"),
    ]


def _dense_visible() -> list[Case]:
    return [
        Case((np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0.5, -0.5, 0.0])),
             label="one sample, 2 inputs, 3 outputs"),
        Case(_dense_args(cases.fixed_rng(1), 4, 3, 2), label="a batch of 4 samples"),
        *_dense_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.dense", function="dense_forward", reference=dense_forward,
    visible=_dense_visible, hidden=_dense_cases, keep_precision=True,
    hint="Each row of X is one sample and each row of W one output neuron; the output has shape (N, M).",
))


# -- 6. a neuron chosen by hand (a "value" exercise, scored on held-out data) ------------

MOONS_NOISE = 0.15
NEURON_TARGET = 0.85  # the best straight line gets about 87% of these moons right
NEW_MOONS = "1000 new moons the explorer did not show"


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
        return Verdict(False, f"holds {plural(weights.size, 'number')}; give three: np.array([w1, w2, b])")
    if not np.all(np.isfinite(weights)):
        return Verdict(False, f"holds {weights}, which is not finite")
    X, y = case.secret
    predicted = (X @ weights[:2] + weights[2] >= 0).astype(np.float64)
    accuracy = float(np.mean(predicted == y))
    return Verdict(accuracy >= NEURON_TARGET,
                   f"classifies {accuracy:.1%} of {len(y)} new moons correctly; at least {NEURON_TARGET:.0%} needed")


register(Exercise(
    id="01.neuron", function="neuron_weights", reference=None, kind="value", score=_neuron_score,
    visible=lambda: [Case((), secret=_moons(1000, seed=1), label=NEW_MOONS)],
    hidden=lambda rng: [Case((), secret=_moons(1000, seed=int(rng.integers(2**31))), label=NEW_MOONS)],
    hint="Use the explorer: the boundary must run between the two moons, roughly along their "
         "long axis; class 1 (the lower moon) is where w1*x1 + w2*x2 + b >= 0.",
))


# -- 7. two-layer network --------------------------------------------------------------

def two_layer_forward(X, W1, b1, W2, b2) -> np.ndarray:
    """Answer key: class probabilities of a ReLU hidden layer followed by a softmax output layer."""
    hidden = ref.relu(ref.linear_forward(X, W1, b1)[0])
    return ref.softmax(ref.linear_forward(hidden, W2, b2)[0], axis=-1)


def _two_layer_args(rng: np.random.Generator, n: int, d: int, h: int, k: int, *, scale: float = 1.0,
                    dtype=np.float64) -> tuple:
    """Inputs (X, W1, b1, W2, b2); ``scale`` multiplies both weight matrices."""
    return (cases.normal(rng, (n, d), dtype=dtype), cases.normal(rng, (h, d), scale=scale, dtype=dtype),
            cases.normal(rng, h, dtype=dtype), cases.normal(rng, (k, h), scale=scale, dtype=dtype),
            cases.normal(rng, k, dtype=dtype))


def _two_layer_cases(rng: np.random.Generator) -> list[Case]:
    n, d, h, k = (int(v) for v in rng.integers(2, 9, size=4))
    return [
        Case(_two_layer_args(rng, n, d, h, k), label="random sizes"),
        Case(_two_layer_args(rng, 1, d, h, k), label="a batch of one"),
        Case(_two_layer_args(rng, n, d, h, k, scale=40.0), label="large weights (the softmax must be stable)",
             hint="Large weights give logits in the thousands: the softmax must subtract each row's maximum."),
        Case(_two_layer_args(rng, n, d, h, k, dtype=np.float32), label="float32 inputs", tol=cases.F32_TOL),
    ]


def _two_layer_visible() -> list[Case]:
    return [
        Case(_two_layer_args(cases.fixed_rng(2), 1, 4, 5, 3), label="one iris-like sample"),
        Case(_two_layer_args(cases.fixed_rng(3), 6, 4, 8, 3), label="a batch: each row of the output sums to 1"),
        *_two_layer_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="01.two_layer", function="two_layer_forward", reference=two_layer_forward,
    visible=_two_layer_visible, hidden=_two_layer_cases,
    strict_float=True, keep_precision=True, forbidden=SOFTMAXES,
    hint="A dense layer, then ReLU, then a second dense layer, then softmax over the class axis (the last one). "
         "Reuse your dense_forward, relu and softmax.",
))

