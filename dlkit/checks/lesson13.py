"""Checks for lesson 13: beyond supervised learning.

Exercises: ``autoencoder`` (the forward pass and reconstruction loss of a
one-hidden-layer autoencoder), ``info_nce`` (the contrastive NT-Xent loss of
SimCLR), ``fedavg`` (the weighted average of client parameters in federated
averaging) and ``forgetting`` (the average forgetting of a sequence of tasks,
read off an accuracy matrix). Each is a pure function of arrays, so it crosses
the grader's wire; the training they serve (self-supervised pretraining, the
federated rounds, the two-task runs) stays in the notebook.

Answer keys are written here in numpy. The lesson's claims test holds
``info_nce`` to ``torch.nn.functional.cross_entropy`` and ``autoencoder`` to
``torch.nn`` layers; the notebook never calls them (the grader withdraws them).

Fair hidden checks: each exercise's random cases come from one builder, called
with ``cases.fixed_rng()`` for the visible list (after the hand-written
teaching cases) and with the grader's generator for the hidden list, under the
same fixed labels.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, register


def _logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(sum(exp(a))) along ``axis``, shifted by the maximum so it never overflows (entries may be -inf)."""
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


# -- 1. an autoencoder's forward pass and loss ------------------------------------------

def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
    """Answer key: code Z = ReLU(X W_enc^T + b_enc), X_hat = sigmoid(Z W_dec^T + b_dec), mean squared error."""
    X = np.asarray(X, dtype=np.float64)
    Z = np.maximum(X @ np.asarray(W_enc).T + b_enc, 0.0)
    a = Z @ np.asarray(W_dec).T + b_dec
    X_hat = np.exp(-np.logaddexp(0.0, -a))                  # sigmoid, without overflow
    return Z, X_hat, np.float64(np.mean((X_hat - X) ** 2))


def _ae_case(rng, n: int, d: int, k: int, label: str, hint: str = "", scale: float = 1.0) -> Case:
    X = rng.uniform(0.0, 1.0, size=(n, d))
    W_enc = rng.normal(0.0, scale, size=(k, d)) / np.sqrt(d)
    b_enc = rng.normal(0.0, 0.5 * scale, size=k)
    W_dec = rng.normal(0.0, scale, size=(d, k)) / np.sqrt(k)
    b_dec = rng.normal(0.0, 0.5 * scale, size=d)
    return Case((X, W_enc, b_enc, W_dec, b_dec), label=label, hint=hint)


def _ae_visible() -> list[Case]:
    z = np.zeros
    return [
        Case((np.full((1, 2), 0.5), z((3, 2)), z(3), z((2, 3)), z(2)),
             label="zero weights: the code is 0, every pixel is reconstructed as 0.5, the loss is 0",
             hint="The decoder ends in a sigmoid, and sigmoid(0) = 0.5."),
        Case((np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [-1.0, 0.0]]), z(2), z((2, 2)), z(2)),
             label="the encoder's ReLU: a negative pre-activation gives a code of 0",
             hint="Z = max(0, X @ W_enc.T + b_enc): ReLU after the encoder's linear map."),
        *_ae_cases(cases.fixed_rng()),
    ]


def _ae_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = [_ae_case(rng, int(rng.integers(2, 9)), int(rng.integers(3, 12)), int(rng.integers(1, 6)),
                    "random batch, pixels and sizes") for _ in range(3)]
    d = int(rng.integers(3, 8))
    out.append(_ae_case(rng, 5, d, d, "as many code units as pixels: W_enc and W_enc.T have the same shape",
                        hint="W_enc is (k, D) and W_dec is (D, k), the layout of nn.Linear's weight: "
                             "X @ W_enc.T, then Z @ W_dec.T."))
    out.append(_ae_case(rng, 1, int(rng.integers(3, 10)), int(rng.integers(1, 5)), "a batch of one"))
    out.append(_ae_case(rng, 6, int(rng.integers(3, 10)), int(rng.integers(2, 5)),
                        "the loss is the mean over every pixel of every example",
                        hint="loss = mean over all N * D entries of (X_hat - X) ** 2: np.mean of the whole array, "
                             "not a sum, and not the mean of per-example sums."))
    return out


register(Exercise(
    id="13.autoencoder", function="autoencoder_forward", reference=autoencoder_forward,
    visible=_ae_visible, hidden=_ae_cases,
    forbidden=("torch.nn.functional.mse_loss", "torch.nn.functional.linear"),
    hint="Z = max(0, X @ W_enc.T + b_enc); X_hat = 1 / (1 + exp(-(Z @ W_dec.T + b_dec))); "
         "loss = np.mean((X_hat - X) ** 2). Return (Z, X_hat, loss).",
))


# -- 2. the contrastive NT-Xent (InfoNCE) loss ---------------------------------------------

def info_nce(z1, z2, temperature):
    """Answer key: SimCLR's NT-Xent over the 2N embeddings of N positive pairs (z1[i], z2[i])."""
    z = np.concatenate([np.asarray(z1, np.float64), np.asarray(z2, np.float64)])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(z)
    logits = z @ z.T / float(temperature)
    logits[np.arange(n2), np.arange(n2)] = -np.inf           # a sample is never its own candidate
    positive = (np.arange(n2) + n2 // 2) % n2
    return np.float64(np.mean(_logsumexp(logits, axis=1) - logits[np.arange(n2), positive]))


def _views(rng, n: int, d: int, noise: float = 0.3, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy views of n random points: row i of each is a positive pair."""
    base = rng.normal(size=(n, d))
    return (scale * (base + noise * rng.normal(size=(n, d))), scale * (base + noise * rng.normal(size=(n, d))))


def _nce_case(rng, n, d, t, label, hint="", scale=1.0, noise=0.3) -> Case:
    z1, z2 = _views(rng, n, d, noise=noise, scale=scale)
    return Case((z1, z2, t), label=label, hint=hint)


def _nce_visible() -> list[Case]:
    eye = np.eye(3)
    return [
        Case((eye, eye.copy(), 1.0),
             label="3 orthogonal pairs, each view identical to its partner, temperature 1: loss = log(e + 4) - 1",
             hint="Each of the 2N = 6 rows has 2N - 1 = 5 candidates: its partner (similarity 1) and 4 others "
                  "(similarity 0); the sample itself is excluded."),
        Case((np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 0.5),
             label="a batch of one pair: the partner is the only candidate, so the loss is 0",
             hint="Exclude each sample's similarity with itself (set it to -inf before the log-sum-exp)."),
        *_nce_cases(cases.fixed_rng()),
    ]


def _nce_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = [_nce_case(rng, int(rng.integers(2, 9)), int(rng.integers(2, 8)), float(rng.uniform(0.1, 1.0)),
                     "random pairs and temperature") for _ in range(3)]
    out.append(_nce_case(rng, int(rng.integers(3, 7)), int(rng.integers(2, 6)), float(rng.uniform(0.2, 0.8)),
                         "rows of very different lengths: similarities are cosines",
                         hint="Normalise every row of z1 and z2 to unit length first: sim(u, v) = u.v / (|u| |v|).",
                         scale=float(rng.uniform(5.0, 50.0))))
    out.append(_nce_case(rng, int(rng.integers(3, 7)), int(rng.integers(2, 6)), float(rng.uniform(0.001, 0.0012)),
                         "a temperature near 0.001 and near-identical views: logits near 1000",
                         hint="exp(1000) overflows: subtract each row's maximum before exp (log-sum-exp).",
                         noise=0.01))
    return out


register(Exercise(
    id="13.info_nce", function="info_nce", reference=info_nce, rtol=1e-6, atol=1e-8,
    visible=_nce_visible, hidden=_nce_cases,
    forbidden=("torch.nn.functional.cross_entropy", "torch.nn.functional.log_softmax",
               "torch.nn.functional.normalize", "torch.logsumexp", "torch.Tensor.logsumexp",
               "scipy.special.logsumexp", "scipy.special.log_softmax"),
    hint="z = unit-length rows of [z1; z2] (2N, D); logits = z @ z.T / temperature with the diagonal set to -inf; "
         "row i's positive is column (i + N) mod 2N; loss = mean over the 2N rows of logsumexp(row) - row[positive].",
))


# -- 3. federated averaging -----------------------------------------------------------------

def fedavg(client_weights, client_sizes):
    """Answer key: sum_k (n_k / n) w_k, the average of the clients' parameter vectors weighted by their data."""
    W = np.asarray(client_weights, dtype=np.float64)
    n = np.asarray(client_sizes, dtype=np.float64)
    return (n / n.sum()) @ W


def _fed_case(rng, k: int, p: int, label: str, hint: str = "", sizes=None) -> Case:
    W = rng.normal(size=(k, p))
    if sizes is None:
        sizes = rng.integers(1, 500, size=k)
    return Case((W, np.asarray(sizes, dtype=np.int64)), label=label, hint=hint)


def _fed_visible() -> list[Case]:
    return [
        Case((np.array([[0.0, 2.0], [4.0, 6.0]]), np.array([1, 1])),
             label="two clients with the same amount of data: the plain mean"),
        Case((np.array([[0.0, 0.0], [4.0, 8.0]]), np.array([1, 3])),
             label="a client with 3 times the data counts 3 times as much: (0 * 1 + 4 * 3) / 4 = 3",
             hint="Weight client k by n_k / n, its share of all the examples, not 1 / K."),
        *_fed_cases(cases.fixed_rng()),
    ]


def _fed_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = [_fed_case(rng, int(rng.integers(2, 8)), int(rng.integers(1, 30)), "random clients, sizes and parameters")
           for _ in range(3)]
    out.append(_fed_case(rng, 1, int(rng.integers(2, 20)), "a single client: its own parameters"))
    k = int(rng.integers(3, 7))
    out.append(_fed_case(rng, k, k, "as many clients as parameters: average over clients, not parameters",
                         hint="client_weights is (K, P), one row per client: the result is (P,)."))
    out.append(_fed_case(rng, 4, int(rng.integers(2, 10)), "sizes that do not divide evenly (integer inputs)",
                         sizes=rng.integers(1, 9, size=4) * 2 + 1,
                         hint="The sizes are integers: n_k / n with / (true division), never //."))
    return out


register(Exercise(
    id="13.fedavg", function="fedavg", reference=fedavg,
    visible=_fed_visible, hidden=_fed_cases, rtol=1e-9, atol=1e-12,
    forbidden=("numpy.average",),
    hint="w = sum over clients k of (n_k / n) * w_k with n = sum of n_k: client_weights is (K, P), "
         "client_sizes (K,), the result (P,).",
))


# -- 4. average forgetting ---------------------------------------------------------------------

def average_forgetting(R):
    """Answer key: mean over tasks j < T-1 of max_{j <= i <= T-2} R[i, j] - R[T-1, j]."""
    R = np.asarray(R, dtype=np.float64)
    T = R.shape[0]
    drops = [R[j:T - 1, j].max() - R[T - 1, j] for j in range(T - 1)]
    return np.float64(np.mean(drops))


def _forget_case(rng, T: int, label: str, hint: str = "", improve: bool = False) -> Case:
    R = rng.uniform(0.0, 1.0, size=(T, T))
    if improve:                                                   # the last row beats every earlier one
        R[T - 1, :] = np.minimum(1.0, R[:T - 1, :].max(axis=0) + rng.uniform(0.0, 0.2, size=T))
    return Case((R,), label=label, hint=hint)


def _forget_visible() -> list[Case]:
    return [
        Case((np.array([[0.95, 0.10], [0.20, 0.97]]),),
             label="two tasks: task 0 falls from 0.95 to 0.20, forgetting 0.75",
             hint="Forgetting of task j = (best accuracy on j before the last task) - (accuracy on j at the end)."),
        Case((np.array([[0.6, 0.0, 0.0], [0.9, 0.8, 0.0], [0.7, 0.6, 0.9]]),),
             label="three tasks: the best earlier accuracy, not the one just after learning the task",
             hint="Task 0's best before the end is max(0.6, 0.9) = 0.9 (it kept improving while task 1 was "
                  "learned); the last task (row and column T-1) cannot be forgotten and is left out of the mean."),
        Case((np.array([[0.1, 0.99, 0.99], [0.1, 0.5, 0.99], [0.05, 0.4, 0.9]]),),
             label="entries above the diagonal (tasks not yet learned) do not count",
             hint="For task j take the maximum over rows i = j .. T-2 only: before row j the task was not learned."),
        *_forget_cases(cases.fixed_rng()),
    ]


def _forget_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = [_forget_case(rng, int(rng.integers(2, 7)), "random accuracy matrix") for _ in range(3)]
    out.append(_forget_case(rng, int(rng.integers(3, 6)), "a final model better than ever: negative forgetting",
                            hint="Do not clip at 0: a task that improved has negative forgetting.", improve=True))
    out.append(_forget_case(rng, 2, "two tasks"))
    return out


register(Exercise(
    id="13.forgetting", function="average_forgetting", reference=average_forgetting,
    visible=_forget_visible, hidden=_forget_cases, rtol=1e-9, atol=1e-12,
    hint="For each task j < T-1: max(R[j:T-1, j]) - R[T-1, j]; return the mean of those T-1 numbers.",
))
