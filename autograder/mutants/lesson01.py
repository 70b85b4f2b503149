"""Plausible wrong answers (mutants) and other correct answers for lesson 01's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function,
executable with ``import numpy as np`` in scope. The ``two_layer`` sources may
call ``dense_forward``, ``relu`` and ``softmax``, which the earlier answer
cells of the same notebook define (see :data:`REQUIRES`).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.

The generic lesson tests (``tests/lessons/test_lesson_answers.py``) hold the
checks to both; the demo and the grader reuse these sources to build synthetic
submissions (replace the cell with grade id ``<name>-answer``).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"01.sigmoid"``).
LESSON = "01"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {"two_layer": ("relu", "softmax", "dense")}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "sigmoid": [
        ("textbook formula 1/(1+exp(-x)): exp overflows for large negative x", _src("""
            def sigmoid(x):
                return 1 / (1 + np.exp(-x))
        """)),
        ("two branches inside np.where: both are evaluated, so exp still overflows", _src("""
            def sigmoid(x):
                return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
        """)),
        ("exp(x)/(1+exp(x)) everywhere: overflows for large positive x", _src("""
            def sigmoid(x):
                e = np.exp(x)
                return e / (1 + e)
        """)),
        ("sign error: 1/(1+exp(x)) is sigmoid(-x)", _src("""
            def sigmoid(x):
                z = np.exp(-np.abs(x))
                return np.where(x >= 0, z / (1 + z), 1 / (1 + z))
        """)),
        ("stable form but one branch for both signs: sigmoid(|x|)", _src("""
            def sigmoid(x):
                z = np.exp(-np.abs(x))
                return 1 / (1 + z)
        """)),
        ("via tanh without halving x: 0.5*(1+tanh(x))", _src("""
            def sigmoid(x):
                return 0.5 * (1 + np.tanh(x))
        """)),
        ("stable, but flips the signs of the caller's array in place to get -|x|", _src("""
            def sigmoid(x):
                pos = x >= 0
                x[pos] = -x[pos]                     # x is now -|x|: reuses the input's memory
                z = np.exp(x)
                return np.where(pos, 1 / (1 + z), z / (1 + z))
        """)),
        ("caps x at float64's exp limit before exp(x)/(1+exp(x)): overflows for large positive float32", _src("""
            def sigmoid(x):
                e = np.exp(np.minimum(x, 709.0))
                return e / (1 + e)
        """)),
        ("clips x to [-500, 500] before the textbook formula: exp(500) overflows in float32", _src("""
            def sigmoid(x):
                return 1 / (1 + np.exp(-np.clip(x, -500, 500)))
        """)),
        ("scipy's expit under another name, imported inside the function", _src("""
            def sigmoid(x):
                from scipy.special import expit as logistic
                return logistic(x)
        """)),
        ("torch's sigmoid as a tensor method", _src("""
            def sigmoid(x):
                import torch
                return torch.from_numpy(np.asarray(x)).sigmoid().numpy()
        """)),
        ("stable, but computed and returned in float32 whatever the input", _src("""
            def sigmoid(x):
                x = np.asarray(x, dtype=np.float32)
                z = np.exp(-np.abs(x))
                return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        """)),
    ],
    "tanh": [
        ("textbook formula (e^x - e^-x)/(e^x + e^-x): inf/inf for |x| > 710", _src("""
            def tanh(x):
                return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        """)),
        ("(1 - e^-2x)/(1 + e^-2x) without the symmetry trick: overflows for large negative x", _src("""
            def tanh(x):
                e = np.exp(-2 * x)
                return (1 - e) / (1 + e)
        """)),
        ("calls np.tanh, which the exercise forbids", _src("""
            def tanh(x):
                return np.tanh(x)
        """)),
        ("2*sigmoid(x) - 1: forgets to double x (that is tanh(x/2))", _src("""
            def tanh(x):
                z = np.exp(-np.abs(x))
                s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
                return 2 * s - 1
        """)),
        ("symmetry trick without the sign: returns tanh(|x|)", _src("""
            def tanh(x):
                e = np.exp(-2 * np.abs(x))
                return (1 - e) / (1 + e)
        """)),
        ("2*sigmoid(2x) - 1 with the unstable sigmoid", _src("""
            def tanh(x):
                return 2 / (1 + np.exp(-2 * x)) - 1
        """)),
        ("clips x to [-300, 300] before the textbook formula: exp(300) overflows in float32", _src("""
            def tanh(x):
                x = np.clip(x, -300, 300)
                return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        """)),
        ("torch's functional tanh", _src("""
            def tanh(x):
                import torch
                import torch.nn.functional as F
                return F.tanh(torch.from_numpy(np.asarray(x))).numpy()
        """)),
        ("numpy's tanh through a name bound before the call (a default argument)", _src("""
            def tanh(x, hyperbolic_tangent=np.tanh):
                return hyperbolic_tangent(x)
        """)),
        ("stable, but returns float32 for float64 inputs", _src("""
            def tanh(x):
                e = np.exp(-2 * np.abs(x))
                return (np.sign(x) * (1 - e) / (1 + e)).astype(np.float32)
        """)),
    ],
    "relu": [
        ("absolute value instead of max(x, 0)", _src("""
            def relu(x):
                return np.abs(x)
        """)),
        ("clips to [0, 1] like a hard sigmoid", _src("""
            def relu(x):
                return np.clip(x, 0, 1)
        """)),
        ("zeroes the negatives of the caller's array in place", _src("""
            def relu(x):
                x[x < 0] = 0
                return x
        """)),
        ("np.max(x, 0) reduces over axis 0 instead of comparing with 0", _src("""
            def relu(x):
                return np.max(x, 0)
        """)),
        ("leaky ReLU with slope 0.01 on the negative side", _src("""
            def relu(x):
                return np.where(x > 0, x, 0.01 * x)
        """)),
        ("loop over reshape(-1) of a copy: for a transposed input that is another copy, so nothing changes", _src("""
            def relu(x):
                out = np.array(x, copy=True)
                flat = out.reshape(-1)
                for i in range(flat.size):
                    if flat[i] < 0:
                        flat[i] = 0
                return out
        """)),
        ("returns the mask x > 0 instead of the values", _src("""
            def relu(x):
                return x > 0
        """)),
        ("adds a tiny epsilon to every entry (within a loose tolerance, but not exact)", _src("""
            def relu(x):
                return np.maximum(x, 0) + 1e-12
        """)),
        ("np.maximum(x, 1e-12): a floor slightly above 0", _src("""
            def relu(x):
                return np.maximum(x, 1e-12)
        """)),
        ("writes through ravel() of an empty_like buffer: for a column-major input ravel copies", _src("""
            def relu(x):
                out = np.empty_like(x)
                flat = out.ravel()
                flat[:] = np.maximum(x.ravel(), 0)
                return out
        """)),
        ("returns float32 whatever the input", _src("""
            def relu(x):
                return np.maximum(x, 0).astype(np.float32)
        """)),
    ],
    "softmax": [
        ("no max-subtraction: exp overflows for large logits", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z)
                return e / np.sum(e, axis=axis, keepdims=True)
        """)),
        ("normalises over the whole array instead of along the axis", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.max(z))
                return e / np.sum(e)
        """)),
        ("subtracts the global max: rows at a lower scale underflow to 0/0", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.max(z))
                return e / np.sum(e, axis=axis, keepdims=True)
        """)),
        ("ignores the axis argument (always the last axis)", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.max(z, axis=-1, keepdims=True))
                return e / np.sum(e, axis=-1, keepdims=True)
        """)),
        ("sums without keepdims: broadcasts against the wrong axis", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.max(z, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis)
        """)),
        ("divides by the max instead of the sum", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.max(z, axis=axis, keepdims=True))
                return e / np.max(e, axis=axis, keepdims=True)
        """)),
        ("subtracts each slice's mean instead of its maximum: overflows when a slice spans a wide range", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.mean(z, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis, keepdims=True)
        """)),
        ("subtracts each slice's minimum: exp(max - min) overflows for a wide slice", _src("""
            def softmax(z, axis=-1):
                e = np.exp(z - np.min(z, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis, keepdims=True)
        """)),
        ("transposes for any axis but the last: right for 2-D arrays only", _src("""
            def softmax(z, axis=-1):
                if axis not in (-1, z.ndim - 1):
                    return softmax(z.T, axis=-1).T
                e = np.exp(z - np.max(z, axis=-1, keepdims=True))
                return e / np.sum(e, axis=-1, keepdims=True)
        """)),
        ("scipy's softmax under another name, imported inside the function", _src("""
            def softmax(z, axis=-1):
                from scipy.special import softmax as library_softmax
                return library_softmax(z, axis=axis)
        """)),
        ("torch's softmax as a tensor method", _src("""
            def softmax(z, axis=-1):
                import torch
                return torch.from_numpy(np.asarray(z)).softmax(dim=axis).numpy()
        """)),
    ],
    "dense": [
        ("X @ W + b: uses W as (in, out), fails or is silently wrong for square W", _src("""
            def dense_forward(X, W, b):
                return X @ W + b
        """)),
        ("forgets the bias", _src("""
            def dense_forward(X, W, b):
                return X @ W.T
        """)),
        ("W @ X.T + b: returns (out, N) instead of (N, out)", _src("""
            def dense_forward(X, W, b):
                return W @ X.T + b[:, None]
        """)),
        ("applies a ReLU inside the layer", _src("""
            def dense_forward(X, W, b):
                return np.maximum(X @ W.T + b, 0)
        """)),
        ("subtracts the bias", _src("""
            def dense_forward(X, W, b):
                return X @ W.T - b
        """)),
        ("computes in float32 whatever the input", _src("""
            def dense_forward(X, W, b):
                return X.astype(np.float32) @ W.T.astype(np.float32) + b.astype(np.float32)
        """)),
        ("W.T @ X.T, transposed back the wrong way for square shapes", _src("""
            def dense_forward(X, W, b):
                return (W.T @ X.T).T + b if X.shape[1] == W.shape[0] else X @ W.T + b
        """)),
    ],
    # exercise 6 is a "value" exercise: the answer is an assignment, rated on held-out moons
    "neuron": [
        ("left at zero: every point lands on class 1, half the moons are wrong", _src("""
            neuron_weights = np.array([0.0, 0.0, 0.0])
        """)),
        ("the right line with the classes swapped (all signs flipped)", _src("""
            neuron_weights = np.array([-1.2, 4.7, -0.4])
        """)),
        ("the first neuron of the figure, w = (1, 1), b = 0: the line runs across the moons", _src("""
            neuron_weights = np.array([1.0, 1.0, 0.0])
        """)),
        ("the bias forgotten: only two numbers", _src("""
            neuron_weights = np.array([1.2, -4.7])
        """)),
        ("the right-hand neuron of the figure copied without tuning (about 82%)", _src("""
            neuron_weights = np.array([0.5, -2.0, 1.0])
        """)),
    ],
    "two_layer": [
        ("sigmoid instead of ReLU in the hidden layer", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                a = dense_forward(X, W1, b1)
                z = np.exp(-np.abs(a))
                hidden = np.where(a >= 0, 1 / (1 + z), z / (1 + z))
                return softmax(dense_forward(hidden, W2, b2), axis=-1)
        """)),
        ("softmax over the sample axis (axis=0) instead of the classes", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                hidden = relu(dense_forward(X, W1, b1))
                return softmax(dense_forward(hidden, W2, b2), axis=0)
        """)),
        ("returns the logits: forgets the softmax", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                hidden = relu(dense_forward(X, W1, b1))
                return dense_forward(hidden, W2, b2)
        """)),
        ("no activation between the layers: the network collapses to one linear map", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                return softmax(dense_forward(dense_forward(X, W1, b1), W2, b2), axis=-1)
        """)),
        ("ReLU after the softmax instead of between the layers", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                return relu(softmax(dense_forward(dense_forward(X, W1, b1), W2, b2), axis=-1))
        """)),
        ("inline softmax without max-subtraction: overflows for large weights", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                logits = dense_forward(relu(dense_forward(X, W1, b1)), W2, b2)
                e = np.exp(logits)
                return e / e.sum(axis=1, keepdims=True)
        """)),
        ("inline softmax that subtracts each row's mean: overflows for large weights", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                logits = dense_forward(relu(dense_forward(X, W1, b1)), W2, b2)
                e = np.exp(logits - logits.mean(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
        """)),
        ("scipy's softmax instead of your own", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                from scipy.special import softmax as library_softmax
                return library_softmax(dense_forward(relu(dense_forward(X, W1, b1)), W2, b2), axis=-1)
        """)),
        ("computes in float32 whatever the input", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                X, W1, b1, W2, b2 = (np.asarray(a, dtype=np.float32) for a in (X, W1, b1, W2, b2))
                return softmax(dense_forward(relu(dense_forward(X, W1, b1)), W2, b2), axis=-1)
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "sigmoid": [
        ("boolean masks: each sign gets its own stable formula", _src("""
            def sigmoid(x):
                out = np.empty_like(x)
                pos = x >= 0
                out[pos] = 1 / (1 + np.exp(-x[pos]))
                e = np.exp(x[~pos])
                out[~pos] = e / (1 + e)
                return out
        """)),
        ("through tanh: sigmoid(x) = (1 + tanh(x/2)) / 2", _src("""
            def sigmoid(x):
                return 0.5 * (1 + np.tanh(0.5 * x))
        """)),
        ("log-sum-exp: sigmoid(x) = exp(-log(1 + exp(-x))) with np.logaddexp", _src("""
            def sigmoid(x):
                return np.exp(-np.logaddexp(0, -x))
        """)),
    ],
    "tanh": [
        ("2*sigmoid(2x) - 1 with a stable sigmoid", _src("""
            def tanh(x):
                z = np.exp(-2 * np.abs(x))
                s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))     # sigmoid(2x), stably
                return 2 * s - 1
        """)),
        ("odd symmetry with np.where and expm1 for precision near 0", _src("""
            def tanh(x):
                e = np.exp(-2 * np.abs(x))
                t = -np.expm1(-2 * np.abs(x)) / (1 + e)           # tanh(|x|)
                return np.where(x < 0, -t, t)
        """)),
        ("one formula per sign, both written with exp(-2|x|)", _src("""
            def tanh(x):
                e = np.exp(-2 * np.abs(x))
                return np.where(x >= 0, (1 - e) / (1 + e), (e - 1) / (e + 1))
        """)),
    ],
    "relu": [
        ("np.where", _src("""
            def relu(x):
                return np.where(x > 0, x, 0.0)
        """)),
        ("a loop over every index of a copy", _src("""
            def relu(x):
                out = np.array(x, copy=True)
                for index in np.ndindex(out.shape):
                    if out[index] < 0:
                        out[index] = 0
                return out
        """)),
        ("multiplies by the mask x > 0", _src("""
            def relu(x):
                return x * (x > 0)
        """)),
        ("np.clip with no upper bound", _src("""
            def relu(x):
                return np.clip(x, 0, None)
        """)),
    ],
    "softmax": [
        ("log-sum-exp: exp(z - logsumexp(z))", _src("""
            def softmax(z, axis=-1):
                m = np.max(z, axis=axis, keepdims=True)
                log_norm = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
                return np.exp(z - log_norm)
        """)),
        ("moves the axis last and loops over the slices", _src("""
            def softmax(z, axis=-1):
                moved = np.moveaxis(z, axis, -1)
                rows = moved.reshape(-1, moved.shape[-1])
                out = np.empty_like(rows)
                for i, row in enumerate(rows):
                    e = np.exp(row - row.max())
                    out[i] = e / e.sum()
                return np.moveaxis(out.reshape(moved.shape), -1, axis)
        """)),
        ("converts to float64 first: a float32 input comes back more precise, which is allowed", _src("""
            def softmax(z, axis=-1):
                z = np.asarray(z, dtype=np.float64)
                e = np.exp(z - np.max(z, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis, keepdims=True)
        """)),
        ("np.apply_along_axis with a softmax of one vector", _src("""
            def softmax(z, axis=-1):
                def one(v):
                    e = np.exp(v - v.max())
                    return e / e.sum()
                return np.apply_along_axis(one, axis, z)
        """)),
    ],
    "dense": [
        ("loops over samples and output neurons", _src("""
            def dense_forward(X, W, b):
                N, M = X.shape[0], W.shape[0]
                out = np.zeros((N, M), dtype=np.result_type(X, W, b))
                for n in range(N):
                    for m in range(M):
                        out[n, m] = np.dot(W[m], X[n]) + b[m]
                return out
        """)),
        ("np.einsum", _src("""
            def dense_forward(X, W, b):
                return np.einsum("nd,md->nm", X, W) + b
        """)),
        ("(W @ X.T).T + b", _src("""
            def dense_forward(X, W, b):
                return (W @ X.T).T + b
        """)),
        ("np.tensordot over the feature axes", _src("""
            def dense_forward(X, W, b):
                return np.tensordot(X, W, axes=(1, 1)) + b
        """)),
    ],
    "neuron": [
        ("the same line scaled by 10 (same boundary, sharper sigmoid), as a list", _src("""
            neuron_weights = [12.0, -47.0, 4.0]
        """)),
        ("another good line found with the sliders", _src("""
            neuron_weights = np.array([1.0, -4.0, 0.3])
        """)),
        ("a tuple of three plain numbers", _src("""
            neuron_weights = (1.1, -4.5, 0.35)
        """)),
    ],
    "two_layer": [
        ("everything inline, no helper functions", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                hidden = np.maximum(X @ W1.T + b1, 0)
                logits = hidden @ W2.T + b2
                e = np.exp(logits - logits.max(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
        """)),
        ("one sample at a time", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                rows = []
                for x in X:
                    h = relu(dense_forward(x[None, :], W1, b1))
                    rows.append(softmax(dense_forward(h, W2, b2), axis=-1)[0])
                return np.stack(rows)
        """)),
        ("np.einsum for both layers and a log-sum-exp softmax", _src("""
            def two_layer_forward(X, W1, b1, W2, b2):
                hidden = np.maximum(np.einsum("nd,hd->nh", X, W1) + b1, 0)
                logits = np.einsum("nh,kh->nk", hidden, W2) + b2
                m = logits.max(axis=-1, keepdims=True)
                return np.exp(logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True)))
        """)),
    ],
}

