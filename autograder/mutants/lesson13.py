"""Plausible wrong answers (mutants) and other correct answers for lesson 13's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function,
executable with only ``np`` in scope (``torch`` where a source imports it
itself). See ``lesson01.py`` for how the tables are used (mutation tests, the
demo, the grader's synthetic class).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"13.fedavg"``).
LESSON = "13"

#: No exercise needs another's answer or a notebook cell first.
REQUIRES: dict[str, tuple[str, ...]] = {}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "autoencoder": [
        ("decoder weight not transposed (Z @ W_dec)", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.maximum(X @ W_enc.T + b_enc, 0)
                X_hat = 1 / (1 + np.exp(-(Z @ W_dec + b_dec)))
                return Z, X_hat, np.mean((X_hat - X) ** 2)
        """)),
        ("no sigmoid on the decoder's output", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.maximum(X @ W_enc.T + b_enc, 0)
                X_hat = Z @ W_dec.T + b_dec
                return Z, X_hat, np.mean((X_hat - X) ** 2)
        """)),
        ("no ReLU on the code", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = X @ W_enc.T + b_enc
                X_hat = 1 / (1 + np.exp(-(Z @ W_dec.T + b_dec)))
                return Z, X_hat, np.mean((X_hat - X) ** 2)
        """)),
        ("loss summed over pixels, averaged over examples", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.maximum(X @ W_enc.T + b_enc, 0)
                X_hat = 1 / (1 + np.exp(-(Z @ W_dec.T + b_dec)))
                return Z, X_hat, np.mean(np.sum((X_hat - X) ** 2, axis=1))
        """)),
        ("root mean squared error", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.maximum(X @ W_enc.T + b_enc, 0)
                X_hat = 1 / (1 + np.exp(-(Z @ W_dec.T + b_dec)))
                return Z, X_hat, np.sqrt(np.mean((X_hat - X) ** 2))
        """)),
        ("bias added after the ReLU", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.maximum(X @ W_enc.T, 0) + b_enc
                X_hat = 1 / (1 + np.exp(-(Z @ W_dec.T + b_dec)))
                return Z, X_hat, np.mean((X_hat - X) ** 2)
        """)),
    ],
    "info_nce": [
        ("no normalisation: dot products, not cosines", _src("""
            def info_nce(z1, z2, temperature):
                z = np.concatenate([z1, z2])
                logits = z @ z.T / temperature
                np.fill_diagonal(logits, -np.inf)
                n2 = len(z)
                top = logits.max(axis=1, keepdims=True)
                lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                rows = np.arange(n2)
                return np.mean(lse - logits[rows, (rows + n2 // 2) % n2])
        """)),
        ("the sample itself left among the candidates", _src("""
            def info_nce(z1, z2, temperature):
                z = np.concatenate([z1, z2])
                z = z / np.linalg.norm(z, axis=1, keepdims=True)
                logits = z @ z.T / temperature
                n2 = len(z)
                top = logits.max(axis=1, keepdims=True)
                lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                rows = np.arange(n2)
                return np.mean(lse - logits[rows, (rows + n2 // 2) % n2])
        """)),
        ("unstable log-sum-exp: overflows at small temperatures", _src("""
            def info_nce(z1, z2, temperature):
                z = np.concatenate([z1, z2])
                z = z / np.linalg.norm(z, axis=1, keepdims=True)
                logits = z @ z.T / temperature
                np.fill_diagonal(logits, -np.inf)
                n2 = len(z)
                rows = np.arange(n2)
                return np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[rows, (rows + n2 // 2) % n2])
        """)),
        ("one direction only: z1 against z2 (the CLIP form), N x N logits", _src("""
            def info_nce(z1, z2, temperature):
                a = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
                b = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
                logits = a @ b.T / temperature
                top = logits.max(axis=1, keepdims=True)
                lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                return np.mean(lse - np.diag(logits))
        """)),
        ("temperature multiplies instead of divides", _src("""
            def info_nce(z1, z2, temperature):
                z = np.concatenate([z1, z2])
                z = z / np.linalg.norm(z, axis=1, keepdims=True)
                logits = z @ z.T * temperature
                np.fill_diagonal(logits, -np.inf)
                n2 = len(z)
                top = logits.max(axis=1, keepdims=True)
                lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                rows = np.arange(n2)
                return np.mean(lse - logits[rows, (rows + n2 // 2) % n2])
        """)),
        ("loss summed over the 2N rows, not averaged", _src("""
            def info_nce(z1, z2, temperature):
                z = np.concatenate([z1, z2])
                z = z / np.linalg.norm(z, axis=1, keepdims=True)
                logits = z @ z.T / temperature
                np.fill_diagonal(logits, -np.inf)
                n2 = len(z)
                top = logits.max(axis=1, keepdims=True)
                lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                rows = np.arange(n2)
                return np.sum(lse - logits[rows, (rows + n2 // 2) % n2])
        """)),
    ],
    "fedavg": [
        ("plain mean over clients, sizes ignored", _src("""
            def fedavg(client_weights, client_sizes):
                return np.mean(client_weights, axis=0)
        """)),
        ("weighted sum not divided by the total", _src("""
            def fedavg(client_weights, client_sizes):
                return client_sizes @ client_weights
        """)),
        ("integer division of the sizes", _src("""
            def fedavg(client_weights, client_sizes):
                return (client_sizes // np.sum(client_sizes)) @ client_weights
        """)),
        ("averages over parameters instead of clients", _src("""
            def fedavg(client_weights, client_sizes):
                return np.mean(client_weights, axis=1)
        """)),
        ("weights relative to the largest client, not to the total", _src("""
            def fedavg(client_weights, client_sizes):
                return (client_sizes / client_sizes.max()) @ client_weights
        """)),
    ],
    "forgetting": [
        ("drop from the accuracy just after learning the task, not from its best", _src("""
            def average_forgetting(R):
                T = len(R)
                return np.mean([R[j, j] - R[T - 1, j] for j in range(T - 1)])
        """)),
        ("maximum over the whole column before the end, tasks not yet learned included", _src("""
            def average_forgetting(R):
                T = len(R)
                return np.mean([R[:T - 1, j].max() - R[T - 1, j] for j in range(T - 1)])
        """)),
        ("the last task included in the mean", _src("""
            def average_forgetting(R):
                T = len(R)
                drops = [R[j:T - 1, j].max() - R[T - 1, j] for j in range(T - 1)]
                return np.sum(drops) / T
        """)),
        ("negative forgetting clipped at 0", _src("""
            def average_forgetting(R):
                T = len(R)
                return np.mean([max(0.0, R[j:T - 1, j].max() - R[T - 1, j]) for j in range(T - 1)])
        """)),
        ("sign flipped: final minus best", _src("""
            def average_forgetting(R):
                T = len(R)
                return np.mean([R[T - 1, j] - R[j:T - 1, j].max() for j in range(T - 1)])
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "autoencoder": [
        ("torch, float64, nn.functional", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                import torch
                t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))
                Z = torch.relu(t(X) @ t(W_enc).T + t(b_enc))
                X_hat = torch.sigmoid(Z @ t(W_dec).T + t(b_dec))
                loss = ((X_hat - t(X)) ** 2).mean()
                return Z.numpy(), X_hat.numpy(), loss.item()
        """)),
        ("einsum and a stable sigmoid via tanh", _src("""
            def autoencoder_forward(X, W_enc, b_enc, W_dec, b_dec):
                Z = np.einsum("nd,kd->nk", X, W_enc) + b_enc
                Z = np.where(Z > 0, Z, 0.0)
                a = np.einsum("nk,dk->nd", Z, W_dec) + b_dec
                X_hat = 0.5 * (1 + np.tanh(a / 2))
                return Z, X_hat, ((X_hat - X) ** 2).sum() / X.size
        """)),
    ],
    "info_nce": [
        ("a loop over the 2N rows with a log-softmax of the other candidates", _src("""
            def info_nce(z1, z2, temperature):
                z = np.vstack([z1, z2]).astype(float)
                z /= np.sqrt((z ** 2).sum(axis=1))[:, None]
                n2, n = len(z), len(z1)
                total = 0.0
                for i in range(n2):
                    others = [j for j in range(n2) if j != i]
                    s = z[others] @ z[i] / temperature
                    partner = others.index((i + n) % n2)
                    m = s.max()
                    total += m + np.log(np.exp(s - m).sum()) - s[partner]
                return total / n2
        """)),
        ("torch, float64, masked logsumexp", _src("""
            def info_nce(z1, z2, temperature):
                import torch
                z = torch.cat([torch.as_tensor(z1, dtype=torch.float64), torch.as_tensor(z2, dtype=torch.float64)])
                z = z / z.norm(dim=1, keepdim=True)
                logits = z @ z.T / temperature
                logits = logits - torch.diag(torch.full((len(z),), float("inf"), dtype=torch.float64))
                n = len(z1)
                partners = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
                log_p = logits - logits.max(dim=1, keepdim=True).values
                log_p = log_p - torch.log(torch.exp(log_p).sum(dim=1, keepdim=True))
                return -log_p[torch.arange(2 * n), partners].mean().item()
        """)),
    ],
    "fedavg": [
        ("a loop over clients accumulating n_k * w_k, divided at the end", _src("""
            def fedavg(client_weights, client_sizes):
                total = np.zeros(client_weights.shape[1])
                for w_k, n_k in zip(client_weights, client_sizes):
                    total += n_k * w_k
                return total / float(np.sum(client_sizes))
        """)),
        ("broadcasting and a sum over axis 0", _src("""
            def fedavg(client_weights, client_sizes):
                shares = client_sizes[:, None] / client_sizes.sum()
                return (shares * client_weights).sum(axis=0)
        """)),
    ],
    "forgetting": [
        ("the running maximum down each column (np.maximum.accumulate on the lower triangle)", _src("""
            def average_forgetting(R):
                T = R.shape[0]
                lower = np.where(np.tril(np.ones((T, T), dtype=bool)), R, -np.inf)
                best = np.maximum.accumulate(lower[:T - 1], axis=0)[T - 2]
                return float(np.mean(best[:T - 1] - R[T - 1, :T - 1]))
        """)),
        ("plain loops", _src("""
            def average_forgetting(R):
                T = len(R)
                total = 0.0
                for j in range(T - 1):
                    best = R[j][j]
                    for i in range(j + 1, T - 1):
                        best = max(best, R[i][j])
                    total += best - R[T - 1][j]
                return total / (T - 1)
        """)),
    ],
}
