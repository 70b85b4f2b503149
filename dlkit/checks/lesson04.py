"""Checks for lesson 04: your first network in PyTorch.

Exercises: ``loss_and_grads`` (autograd), ``train_linear`` (the training
loop), ``confusion_matrix`` (evaluation) and ``digits_model`` (a trained MLP,
scored on the held-out test digits). The answer keys are written here in
numpy on top of :mod:`dlkit.reference`, so they check the student's PyTorch
code against an independent computation.
"""

from __future__ import annotations

import numpy as np

from dlkit import reference as ref
from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, accuracy_at_least, register

#: The student's PyTorch code may run in float32 (torch's default): about 7 significant digits.
TORCH_F32_TOL = (1e-4, 1e-5)

#: Exercise 4 passes at this test accuracy; the solution's MLP gets about 97% (96.7 to 97.0% over five seeds).
DIGITS_TARGET = 0.95

#: The digits split the lesson uses; its test part is what exercise 4 is scored on.
DIGITS_SEED = 0

#: The one label of exercise 4's cases: visible, all the test digits; hidden, two thirds of them in a new order.
HELD_OUT_DIGITS = "held-out test digits, which training never touches"


def _classification(rng: np.random.Generator, n: int, d: int, k: int) -> tuple[np.ndarray, ...]:
    """Random inputs X (n, d), labels y (n,) covering as many classes as fit, weights W (k, d), b (k,)."""
    X = rng.normal(size=(n, d))
    y = rng.permutation(np.resize(np.arange(k), n)).astype(np.int64)
    W = rng.normal(0, 0.5, size=(k, d))
    b = rng.normal(0, 0.5, size=k)
    return X, y, W, b


# -- 1. autograd: a loss and its gradients ----------------------------------------------

def loss_and_grads(X, y, W, b):
    """Answer key: mean cross-entropy of the logits ``X @ W.T + b`` and its gradients w.r.t. W and b."""
    logits, cache = ref.linear_forward(np.asarray(X, dtype=np.float64), W, b)
    loss, dlogits = ref.cross_entropy(logits, y)
    dX, dW, db = ref.linear_backward(dlogits, cache)
    return np.float64(loss), dW, db


def _autograd_visible() -> list[Case]:
    rng = np.random.default_rng(41)
    return [
        Case((np.array([[1.0, 2.0]]), np.array([0]), np.zeros((2, 2)), np.zeros(2)),
             label="one example, zero weights: the loss is log 2"),
        Case(_classification(rng, 6, 3, 4), label="a batch of 6, 3 features, 4 classes"),
        Case(_classification(rng, 5, 3, 3), label="square weights (3 classes, 3 features): W and W.T differ",
             hint="The logits are X @ W.T + b with W shaped (classes, features), as in nn.Linear."),
        Case(_classification(rng, 8, 2, 3), label="the loss is the mean over the batch, not the sum",
             hint="nn.CrossEntropyLoss() (and F.cross_entropy) averages over the batch by default; "
                  "do not apply a softmax first: the loss takes raw logits."),
        *_autograd_cases(cases.fixed_rng()),
    ]


def _autograd_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = [Case(_classification(rng, int(rng.integers(1, 12)), int(rng.integers(1, 6)), int(rng.integers(2, 6))),
                label="random batch sizes, features and classes") for _ in range(3)]
    out.append(Case(_classification(rng, 1, int(rng.integers(1, 6)), int(rng.integers(2, 6))),
                    label="a batch of one"))
    d = int(rng.integers(2, 6))
    out.append(Case(_classification(rng, 7, d, d), label="square weights (as many classes as features): "
                    "W and W.T differ",
                    hint="The logits are X @ W.T + b with W shaped (classes, features), as in nn.Linear."))
    out.append(Case(_classification(rng, 9, 2, 3), label="the loss is the mean over the batch, not the sum",
                    hint="nn.CrossEntropyLoss() (and F.cross_entropy) averages over the batch by default; "
                         "do not apply a softmax first: the loss takes raw logits."))
    return out


register(Exercise(
    id="04.autograd", function="loss_and_grads", reference=loss_and_grads,
    visible=_autograd_visible, hidden=_autograd_cases,
    rtol=TORCH_F32_TOL[0], atol=TORCH_F32_TOL[1],
    hint="Make W and b tensors with requires_grad=True, compute the logits X @ W.T + b and "
         "F.cross_entropy(logits, y) on those raw logits (no softmax first: it applies its own log-softmax), "
         "call loss.backward(), then read W.grad and b.grad.",
))


# -- 2. the training loop --------------------------------------------------------------

def train_linear(X, y, W, b, lr, epochs, batch_size):
    """Answer key: plain mini-batch SGD on a linear classifier, batches in order, one loss per step."""
    W = np.array(W, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    losses = []
    for _ in range(int(epochs)):
        for start in range(0, len(X), int(batch_size)):
            xb, yb = X[start:start + int(batch_size)], y[start:start + int(batch_size)]
            logits, cache = ref.linear_forward(xb, W, b)
            loss, dlogits = ref.cross_entropy(logits, yb)
            _, dW, db = ref.linear_backward(dlogits, cache)
            losses.append(float(loss))
            W = W - lr * dW
            b = b - lr * db
    return W, b, np.array(losses)


def _train_case(rng: np.random.Generator, n: int, d: int, k: int, lr: float, epochs: int, batch_size: int,
                label: str, hint: str = "") -> Case:
    X, y, W, b = _classification(rng, n, d, k)
    return Case((X, y, W, b, lr, epochs, batch_size), label=label, hint=hint)


def _train_visible() -> list[Case]:
    rng = np.random.default_rng(42)
    return [
        _train_case(rng, 6, 2, 3, 0.5, 1, 6, "one epoch, one batch of all 6 examples: a single step"),
        _train_case(rng, 8, 3, 3, 0.5, 1, 4, "two batches: gradients must not carry over from batch 1",
                    hint="Two usual causes: gradients carried over from batch 1 (call optimizer.zero_grad() "
                         "before every backward(): PyTorch adds new gradients to the old ones in .grad), or "
                         "batches out of order (DataLoader(..., shuffle=False))."),
        _train_case(rng, 10, 3, 4, 0.3, 3, 4, "3 epochs of batches of 4 (the last batch has 2 examples)",
                    hint="Keep the batches in order (shuffle=False) and record loss.item() of every batch, "
                         "before its optimizer.step()."),
        *_train_cases(cases.fixed_rng()),
    ]


def _train_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = []
    for _ in range(3):
        n, d, k = int(rng.integers(4, 20)), int(rng.integers(1, 6)), int(rng.integers(2, 5))
        out.append(_train_case(rng, n, d, k, float(rng.uniform(0.05, 0.8)), int(rng.integers(1, 4)),
                               int(rng.integers(1, n + 1)), "random data, learning rate, epochs and batch size"))
    d = int(rng.integers(2, 5))
    out.append(_train_case(rng, 9, d, d, float(rng.uniform(0.05, 0.5)), 2, 2,
                           "square weights (as many classes as features), batches of 2, 2 epochs",
                           hint="W is (classes, features), the layout of nn.Linear's weight: copy it in as it is, "
                                "not transposed."))
    return out


register(Exercise(
    id="04.train", function="train_linear", reference=train_linear,
    visible=_train_visible, hidden=_train_cases,
    rtol=TORCH_F32_TOL[0], atol=TORCH_F32_TOL[1],
    hint="Copy W and b into an nn.Linear, then for each epoch and each batch of a DataLoader(..., shuffle=False): "
         "zero_grad, forward, CrossEntropyLoss, backward, record the loss, step. Return the final weight, bias "
         "and the list of losses.",
))


# -- 3. evaluation: a confusion matrix ---------------------------------------------------

def confusion_matrix(y_true, y_pred, num_classes):
    """Answer key: C[i, j] counts the examples of true class i predicted as class j."""
    counts = np.zeros((int(num_classes), int(num_classes)), dtype=np.int64)
    for t, p in zip(np.asarray(y_true).astype(np.int64), np.asarray(y_pred).astype(np.int64)):
        counts[t, p] += 1
    return counts


def _confusion_visible() -> list[Case]:
    return [
        Case((np.array([0, 1, 1]), np.array([0, 1, 0]), 2), label="3 examples, 2 classes"),
        Case((np.array([0, 0, 2, 2, 2]), np.array([1, 1, 2, 2, 2]), 3),
             label="the same (true, predicted) pair several times counts several times",
             hint="C[y_true, y_pred] = 1 (or += 1) on arrays writes each repeated cell once. "
                  "Loop over the pairs, or use np.add.at."),
        Case((np.array([2, 0, 1, 1]), np.array([1, 0, 2, 1]), 3),
             label="rows are the true class, columns the predicted class",
             hint="C[i, j] = how many examples of true class i were predicted as j."),
        Case((np.array([0, 1, 0]), np.array([1, 1, 0]), 4),
             label="num_classes=4 although classes 2 and 3 never occur: the matrix is still 4x4"),
        *_confusion_cases(cases.fixed_rng()),
    ]


def _confusion_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = []
    for _ in range(3):
        k = int(rng.integers(2, 11))
        n = int(rng.integers(1, 60))
        t = rng.integers(0, k, size=n)
        p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k, size=n))  # mostly right, like a real model
        out.append(Case((t, p, k), label="random labels and predictions"))
    t = rng.integers(0, 3, size=20)
    out.append(Case((t, t.copy(), 5), label="a perfect model, num_classes larger than the labels seen",
                    hint="The matrix is num_classes x num_classes even when the largest label is smaller."))
    return out


register(Exercise(
    id="04.confusion", function="confusion_matrix", reference=confusion_matrix,
    visible=_confusion_visible, hidden=_confusion_cases,
    forbidden=("sklearn.metrics.confusion_matrix", "dlkit.plot.heatmaps.confusion_counts",
               "dlkit.plot.confusion_counts"),
    hint="Start from np.zeros((num_classes, num_classes)) and add 1 at [true, predicted] for every example.",
))


# -- 4. a trained MLP on digits (a "model" exercise, scored on the held-out test split) -----

def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data.load_digits(seed=DIGITS_SEED)``: inputs (N, 64) in [0, 1] and labels (N,).

    Offline there are no other digits: scikit-learn ships 1797. "Held out" therefore means the split
    that the lesson's training code never touches; its labels stay in the grader (``Case.secret``),
    but a student who deliberately loads and trains on the test split could pass without generalising.
    """
    from dlkit import data

    ds = data.load_digits(seed=DIGITS_SEED)
    return ds.X_test.astype(np.float32), ds.y_test.astype(np.int64)


_digits_visible, _digits_hidden = cases.held_out(held_out_digits, HELD_OUT_DIGITS)


register(Exercise(
    id="04.digits", function="digits_model", reference=None, kind="model",
    score=accuracy_at_least(DIGITS_TARGET),
    visible=_digits_visible, hidden=_digits_hidden,
    hint="Train an nn.Module that maps a batch of raw pixels (N, 64) in [0, 1] to 10 logits: "
         "a hidden layer of 128 ReLUs, Adam, about 20 epochs. If you normalise the inputs, do it inside "
         "the model, since the check feeds raw pixels.",
))
