"""Plausible wrong answers (mutants) and other correct answers for lesson 02's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function
(or, for the value exercise ``learning_rate``, the assignment), executable with
``import numpy as np`` in scope. The ``linear_gd`` sources may call
``mse_loss``, which the earlier answer cell of the same notebook defines (see
:data:`REQUIRES`).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"02.mse"``).
LESSON = "02"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {"linear_gd": ("mse",)}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "mse": [
        ("gradient without the factor 2 (the derivative of (p - t)^2 is 2(p - t))", _src("""
            def mse_loss(pred, target):
                diff = pred - target
                return np.mean(diff**2), diff / diff.size
        """)),
        ("gradient divided by the number of rows instead of the number of entries", _src("""
            def mse_loss(pred, target):
                diff = pred - target
                return np.mean(diff**2), 2 * diff / len(pred)
        """)),
        ("sum instead of mean (reduction='sum')", _src("""
            def mse_loss(pred, target):
                diff = pred - target
                return np.sum(diff**2), 2 * diff
        """)),
        ("gradient with respect to the target: the sign is flipped", _src("""
            def mse_loss(pred, target):
                diff = target - pred
                return np.mean(diff**2), 2 * diff / diff.size
        """)),
        ("returns the loss only, not (loss, gradient)", _src("""
            def mse_loss(pred, target):
                return np.mean((pred - target) ** 2)
        """)),
        ("root mean squared error instead of mean squared error", _src("""
            def mse_loss(pred, target):
                diff = pred - target
                rmse = np.sqrt(np.mean(diff**2))
                return rmse, diff / (diff.size * max(rmse, 1e-12))
        """)),
        ("mean absolute error with its sign gradient", _src("""
            def mse_loss(pred, target):
                diff = pred - target
                return np.mean(np.abs(diff)), np.sign(diff) / diff.size
        """)),
    ],
    "linear_gd": [
        ("the gradient of the sum of squares: forgets to divide by N", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    residual = X @ w + b - y
                    losses.append(np.mean(residual**2))
                    w, b = w - lr * (X.T @ (2 * residual)), b - lr * np.sum(2 * residual)
                return w, b, np.array(losses)
        """)),
        ("updates b with the gradient at the new w (not this step's gradient)", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(X @ w + b, y)
                    losses.append(loss)
                    w = w - lr * (X.T @ dpred)
                    _, dpred = mse_loss(X @ w + b, y)
                    b = b - lr * dpred.sum()
                return w, b, np.array(losses)
        """)),
        ("records the loss after the update instead of before it", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    _, dpred = mse_loss(X @ w + b, y)
                    w, b = w - lr * (X.T @ dpred), b - lr * dpred.sum()
                    losses.append(mse_loss(X @ w + b, y)[0])
                return w, b, np.array(losses)
        """)),
        ("never updates the bias", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(X @ w + b, y)
                    losses.append(loss)
                    w = w - lr * (X.T @ dpred)
                return w, b, np.array(losses)
        """)),
        ("gradient ascent: adds the gradient", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(X @ w + b, y)
                    losses.append(loss)
                    w, b = w + lr * (X.T @ dpred), b + lr * dpred.sum()
                return w, b, np.array(losses)
        """)),
        ("averages the weight gradient over N a second time", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.zeros(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(X @ w + b, y)
                    losses.append(loss)
                    w, b = w - lr * (X.T @ dpred) / len(y), b - lr * dpred.mean()
                return w, b, np.array(losses)
        """)),
        ("starts from w = 1 instead of w = 0", _src("""
            def linear_regression_gd(X, y, lr, steps):
                w, b = np.ones(X.shape[1]), 0.0
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(X @ w + b, y)
                    losses.append(loss)
                    w, b = w - lr * (X.T @ dpred), b - lr * dpred.sum()
                return w, b, np.array(losses)
        """)),
    ],
    # exercise 3 is a "value" exercise: the answer is an assignment, scored from starts the student does not see
    "learning_rate": [
        ("the explorer's default 0.1: crawls along the valley floor", _src("""
            learning_rate = 0.1
        """)),
        ("0.2: the steep direction flips sign every step and never settles", _src("""
            learning_rate = 0.2
        """)),
        ("0.19: just past the window, the zig-zag shrinks too slowly", _src("""
            learning_rate = 0.19
        """)),
        ("0.5: diverges", _src("""
            learning_rate = 0.5
        """)),
        ("a negative learning rate climbs uphill", _src("""
            learning_rate = -0.16
        """)),
        ("two candidates instead of one", _src("""
            learning_rate = [0.15, 0.17]
        """)),
    ],
    "bce": [
        ("log of a sigmoid computed first: exp(-z) overflows and log(0) for large logits", _src("""
            def bce_with_logits(logits, targets):
                p = 1 / (1 + np.exp(-logits))
                loss = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
                return loss, (p - targets) / logits.size
        """)),
        ("clips the probabilities to [1e-7, 1 - 1e-7]: a confidently wrong logit costs 16, not 1000", _src("""
            def bce_with_logits(logits, targets):
                e = np.exp(-np.abs(logits))
                p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
                q = np.clip(p, 1e-7, 1 - 1e-7)
                loss = -np.mean(targets * np.log(q) + (1 - targets) * np.log(1 - q))
                return loss, (p - targets) / logits.size
        """)),
        ("gradient not divided by n", _src("""
            def bce_with_logits(logits, targets):
                e = np.exp(-np.abs(logits))
                loss = np.mean(np.maximum(logits, 0) - logits * targets + np.log1p(e))
                p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
                return loss, p - targets
        """)),
        ("gradient with the sign flipped, t - sigmoid(z)", _src("""
            def bce_with_logits(logits, targets):
                e = np.exp(-np.abs(logits))
                loss = np.mean(np.maximum(logits, 0) - logits * targets + np.log1p(e))
                p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
                return loss, (targets - p) / logits.size
        """)),
        ("log(1 + exp(-z)) + (1 - t) z without the |z| trick: overflows for large negative logits", _src("""
            def bce_with_logits(logits, targets):
                loss = np.mean(np.log(1 + np.exp(-logits)) + (1 - targets) * logits)
                p = 1 / (1 + np.exp(-logits))
                return loss, (p - targets) / logits.size
        """)),
        ("drops the max(z, 0) term of the stable formula", _src("""
            def bce_with_logits(logits, targets):
                e = np.exp(-np.abs(logits))
                loss = np.mean(-logits * targets + np.log1p(e))
                p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
                return loss, (p - targets) / logits.size
        """)),
        ("sums over the batch instead of averaging", _src("""
            def bce_with_logits(logits, targets):
                e = np.exp(-np.abs(logits))
                loss = np.sum(np.maximum(logits, 0) - logits * targets + np.log1p(e))
                p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
                return loss, p - targets
        """)),
    ],
    "cross_entropy": [
        ("no max-subtraction: exp overflows for large logits", _src("""
            def cross_entropy(logits, labels):
                e = np.exp(logits)
                probs = e / e.sum(axis=1, keepdims=True)
                rows = np.arange(len(labels))
                grad = probs.copy()
                grad[rows, labels] -= 1
                return -np.log(probs[rows, labels]).mean(), grad / len(labels)
        """)),
        ("subtracts the global maximum: a row far below it underflows to log(0)", _src("""
            def cross_entropy(logits, labels):
                shifted = logits - logits.max()
                logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                rows = np.arange(len(labels))
                grad = np.exp(logp)
                grad[rows, labels] -= 1
                return -logp[rows, labels].mean(), grad / len(labels)
        """)),
        ("gradient not divided by N", _src("""
            def cross_entropy(logits, labels):
                m = logits.max(axis=1, keepdims=True)
                logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
                rows = np.arange(len(labels))
                grad = np.exp(logp)
                grad[rows, labels] -= 1
                return -logp[rows, labels].mean(), grad
        """)),
        ("gradient is the softmax alone: forgets to subtract the one-hot target", _src("""
            def cross_entropy(logits, labels):
                m = logits.max(axis=1, keepdims=True)
                logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
                rows = np.arange(len(labels))
                return -logp[rows, labels].mean(), np.exp(logp) / len(labels)
        """)),
        ("logp[:, labels]: every row's log-probability of every label, averaged", _src("""
            def cross_entropy(logits, labels):
                m = logits.max(axis=1, keepdims=True)
                logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
                grad = np.exp(logp)
                grad[np.arange(len(labels)), labels] -= 1
                return -logp[:, labels].mean(), grad / len(labels)
        """)),
        ("averages over every entry of the one-hot product, dividing by N*C", _src("""
            def cross_entropy(logits, labels):
                m = logits.max(axis=1, keepdims=True)
                logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
                onehot = np.eye(logits.shape[1])[labels]
                return -(onehot * logp).mean(), (np.exp(logp) - onehot) / logits.size
        """)),
        ("sums over the batch instead of averaging", _src("""
            def cross_entropy(logits, labels):
                m = logits.max(axis=1, keepdims=True)
                logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
                rows = np.arange(len(labels))
                grad = np.exp(logp)
                grad[rows, labels] -= 1
                return -logp[rows, labels].sum(), grad
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "mse": [
        ("np.square and an explicit count", _src("""
            def mse_loss(pred, target):
                n = np.size(pred)
                diff = np.subtract(pred, target)
                return float(np.sum(np.square(diff)) / n), 2.0 / n * diff
        """)),
        ("a loop over every entry", _src("""
            def mse_loss(pred, target):
                total = 0.0
                grad = np.zeros_like(pred)
                n = pred.size
                for index in np.ndindex(pred.shape):
                    d = pred[index] - target[index]
                    total += d * d
                    grad[index] = 2 * d / n
                return total / n, grad
        """)),
    ],
    "linear_gd": [
        ("the gradient written out in one line, without mse_loss", _src("""
            def linear_regression_gd(X, y, lr, steps):
                N = len(y)
                w, b = np.zeros(X.shape[1]), 0.0
                losses = np.zeros(steps)
                for k in range(steps):
                    r = X @ w + b - y
                    losses[k] = r @ r / N
                    grad_w, grad_b = 2 / N * X.T @ r, 2 / N * r.sum()
                    w -= lr * grad_w
                    b -= lr * grad_b
                return w, b, losses
        """)),
        ("a column of ones for the bias: one weight vector of D + 1 entries", _src("""
            def linear_regression_gd(X, y, lr, steps):
                A = np.hstack([X, np.ones((len(y), 1))])
                theta = np.zeros(A.shape[1])
                losses = []
                for _ in range(steps):
                    loss, dpred = mse_loss(A @ theta, y)
                    losses.append(loss)
                    theta = theta - lr * A.T @ dpred
                return theta[:-1], theta[-1], np.array(losses)
        """)),
    ],
    "learning_rate": [
        ("2/11, where both directions shrink at the same rate", _src("""
            learning_rate = 2 / 11
        """)),
        ("a value near the low end of the window, as a numpy number", _src("""
            learning_rate = np.float64(0.14)
        """)),
    ],
    "bce": [
        ("np.logaddexp: log(1 + e^-z) = logaddexp(0, -z)", _src("""
            def bce_with_logits(logits, targets):
                loss = np.mean(targets * np.logaddexp(0, -logits) + (1 - targets) * np.logaddexp(0, logits))
                p = np.exp(-np.logaddexp(0, -logits))
                return loss, (p - targets) / logits.size
        """)),
        ("boolean masks: each sign gets its own stable formula", _src("""
            def bce_with_logits(logits, targets):
                z = logits
                per = np.empty_like(z)
                p = np.empty_like(z)
                pos = z >= 0
                per[pos] = z[pos] * (1 - targets[pos]) + np.log1p(np.exp(-z[pos]))
                per[~pos] = -z[~pos] * targets[~pos] + np.log1p(np.exp(z[~pos]))
                p[pos] = 1 / (1 + np.exp(-z[pos]))
                e = np.exp(z[~pos])
                p[~pos] = e / (1 + e)
                return per.mean(), (p - targets) / z.size
        """)),
    ],
    "cross_entropy": [
        ("a one-hot matrix from np.eye", _src("""
            def cross_entropy(logits, labels):
                N, C = logits.shape
                onehot = np.eye(C)[labels]
                shifted = logits - logits.max(axis=1, keepdims=True)
                lse = np.log(np.exp(shifted).sum(axis=1))
                loss = np.mean(lse - (shifted * onehot).sum(axis=1))
                probs = np.exp(shifted - lse[:, None])
                return loss, (probs - onehot) / N
        """)),
        ("one example at a time", _src("""
            def cross_entropy(logits, labels):
                N = len(labels)
                total = 0.0
                grad = np.zeros_like(logits)
                for n in range(N):
                    z = logits[n] - logits[n].max()
                    p = np.exp(z) / np.exp(z).sum()
                    total += -np.log(p[labels[n]])
                    grad[n] = p
                    grad[n, labels[n]] -= 1
                return total / N, grad / N
        """)),
    ],
}
