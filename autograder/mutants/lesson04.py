"""Plausible wrong answers (mutants) and other correct answers for lesson 04's exercises.

Each source is a complete answer cell. The function exercises (``autograd``,
``train``, ``confusion``) are one ``def``; the model exercise (``digits``) is
the cell's training code, starting from ``digits_model = None``. Sources run
with the notebook's imports in scope, which :data:`IMPORTS` spells out
(``np``, ``torch``, ``nn``, ``F``, ``DataLoader``, ``TensorDataset``, ``data``,
``train``, and ``digits``, the split the notebook loads before exercise 4).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"04.train"``).
LESSON = "04"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {}

#: What the notebook has defined when an answer cell runs (its imports cell, and the digits split).
IMPORTS = dedent("""
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset, TensorDataset
    from dlkit import data, train
    digits = data.load_digits(seed=0)
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _digits(body: str) -> str:
    """A digits answer cell: the unset line, then the student's training code."""
    return "digits_model = None\n" + _src(body)


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "autograd": [
        ("a softmax before F.cross_entropy: the loss applies its own log-softmax", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, dtype=torch.float32, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float32, requires_grad=True)
                logits = torch.as_tensor(X, dtype=torch.float32) @ W.T + b
                loss = F.cross_entropy(torch.softmax(logits, dim=1), torch.as_tensor(y, dtype=torch.long))
                loss.backward()
                return loss.item(), W.grad.numpy(), b.grad.numpy()
        """)),
        ("the sum over the batch instead of the mean", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, dtype=torch.float32, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float32, requires_grad=True)
                logits = torch.as_tensor(X, dtype=torch.float32) @ W.T + b
                loss = F.cross_entropy(logits, torch.as_tensor(y, dtype=torch.long), reduction="sum")
                loss.backward()
                return loss.item(), W.grad.numpy(), b.grad.numpy()
        """)),
        ("X @ W instead of X @ W.T: wrong for square weights", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, dtype=torch.float32, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float32, requires_grad=True)
                logits = torch.as_tensor(X, dtype=torch.float32) @ W + b
                loss = F.cross_entropy(logits, torch.as_tensor(y, dtype=torch.long))
                loss.backward()
                return loss.item(), W.grad.numpy(), b.grad.numpy()
        """)),
        ("F.nll_loss on raw logits: forgets the log-softmax", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, dtype=torch.float32, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float32, requires_grad=True)
                logits = torch.as_tensor(X, dtype=torch.float32) @ W.T + b
                loss = F.nll_loss(logits, torch.as_tensor(y, dtype=torch.long))
                loss.backward()
                return loss.item(), W.grad.numpy(), b.grad.numpy()
        """)),
        ("requires_grad set before .float(): W is no longer a leaf, so W.grad stays None", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, requires_grad=True).float()
                b = torch.tensor(b, requires_grad=True).float()
                logits = torch.as_tensor(X, dtype=torch.float32) @ W.T + b
                loss = F.cross_entropy(logits, torch.as_tensor(y, dtype=torch.long))
                loss.backward()
                return loss.item(), W.grad.numpy(), b.grad.numpy()
        """)),
    ],
    "train": [
        ("forgets optimizer.zero_grad(): gradients pile up across batches", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                with torch.no_grad():
                    model.weight.copy_(torch.as_tensor(W))
                    model.bias.copy_(torch.as_tensor(b))
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)), batch_size=batch_size)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        loss = F.cross_entropy(model(xb), yb)
                        loss.backward()
                        optimizer.step()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
        ("shuffles the batches (shuffle=True)", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                with torch.no_grad():
                    model.weight.copy_(torch.as_tensor(W))
                    model.bias.copy_(torch.as_tensor(b))
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)),
                                    batch_size=batch_size, shuffle=True)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        optimizer.zero_grad()
                        loss = F.cross_entropy(model(xb), yb)
                        loss.backward()
                        optimizer.step()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
        ("a softmax before nn.CrossEntropyLoss", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                with torch.no_grad():
                    model.weight.copy_(torch.as_tensor(W))
                    model.bias.copy_(torch.as_tensor(b))
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)), batch_size=batch_size)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                loss_fn = nn.CrossEntropyLoss()
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        optimizer.zero_grad()
                        loss = loss_fn(torch.softmax(model(xb), dim=1), yb)
                        loss.backward()
                        optimizer.step()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
        ("zero_grad between backward and step: every update is zero", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                with torch.no_grad():
                    model.weight.copy_(torch.as_tensor(W))
                    model.bias.copy_(torch.as_tensor(b))
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)), batch_size=batch_size)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        loss = F.cross_entropy(model(xb), yb)
                        loss.backward()
                        optimizer.zero_grad()
                        optimizer.step()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
        ("a fresh nn.Linear: never copies the given starting weights in", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)), batch_size=batch_size)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        optimizer.zero_grad()
                        loss = F.cross_entropy(model(xb), yb)
                        loss.backward()
                        optimizer.step()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
        ("step before backward: each update uses the previous batch's gradient", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                with torch.no_grad():
                    model.weight.copy_(torch.as_tensor(W))
                    model.bias.copy_(torch.as_tensor(b))
                loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                                                  torch.as_tensor(y, dtype=torch.long)), batch_size=batch_size)
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for epoch in range(epochs):
                    for xb, yb in loader:
                        optimizer.zero_grad()
                        loss = F.cross_entropy(model(xb), yb)
                        optimizer.step()
                        loss.backward()
                        losses.append(loss.item())
                return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)
        """)),
    ],
    "confusion": [
        ("rows and columns swapped: C[predicted, true]", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                C = np.zeros((num_classes, num_classes), dtype=np.int64)
                for t, p in zip(y_true, y_pred):
                    C[p, t] += 1
                return C
        """)),
        ("C[y_true, y_pred] += 1 on arrays: a repeated pair is counted once", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                C = np.zeros((num_classes, num_classes), dtype=np.int64)
                C[y_true, y_pred] += 1
                return C
        """)),
        ("size from the labels seen (max + 1), ignoring num_classes", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                k = int(max(np.max(y_true), np.max(y_pred))) + 1
                C = np.zeros((k, k), dtype=np.int64)
                np.add.at(C, (y_true, y_pred), 1)
                return C
        """)),
        ("each row divided by its total (fractions, not counts)", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                C = np.zeros((num_classes, num_classes))
                np.add.at(C, (y_true, y_pred), 1)
                return C / np.maximum(C.sum(axis=1, keepdims=True), 1)
        """)),
    ],
    "digits": [
        ("built but never trained (about 10%)", _digits("""
            torch.manual_seed(0)
            digits_model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        """)),
        ("the articles' 5 epochs with batches of 64 and no normalisation: short of 95%", _digits("""
            torch.manual_seed(0)
            digits_model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
            loader, _, _ = digits.dataloaders(batch_size=64)
            train.fit(digits_model, loader, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(digits_model.parameters(), lr=1e-3), epochs=5,
                      device="cpu", progress=False)
        """)),
        ("a softmax before the cross-entropy: learns too slowly in 5 epochs", _digits("""
            torch.manual_seed(0)
            digits_model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))
            loader, _, _ = digits.dataloaders(batch_size=64)
            train.fit(digits_model, loader, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(digits_model.parameters(), lr=1e-3), epochs=5,
                      device="cpu", progress=False)
        """)),
        ("trained on inputs normalised outside the model: the check's raw pixels look different", _digits("""
            torch.manual_seed(0)
            digits_model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
            X = torch.as_tensor((digits.X_train - digits.X_train.mean(0)) / (digits.X_train.std(0) + 1e-3))
            loader = DataLoader(TensorDataset(X, torch.as_tensor(digits.y_train)), batch_size=32, shuffle=True)
            train.fit(digits_model, loader, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(digits_model.parameters(), lr=3e-3), epochs=20,
                      device="cpu", progress=False)
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "autograd": [
        ("by hand in numpy: softmax minus one-hot, averaged", _src("""
            def loss_and_grads(X, y, W, b):
                Z = X @ W.T + b
                Z = Z - Z.max(axis=1, keepdims=True)
                P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
                n = len(y)
                loss = -np.mean(np.log(P[np.arange(n), y]))
                dZ = P.copy()
                dZ[np.arange(n), y] -= 1
                dZ /= n
                return loss, dZ.T @ X, dZ.sum(axis=0)
        """)),
        ("an nn.Linear holding the weights, in float64", _src("""
            def loss_and_grads(X, y, W, b):
                layer = nn.Linear(W.shape[1], W.shape[0]).double()
                with torch.no_grad():
                    layer.weight.copy_(torch.from_numpy(W))
                    layer.bias.copy_(torch.from_numpy(b))
                loss = nn.CrossEntropyLoss()(layer(torch.from_numpy(X).double()), torch.from_numpy(y).long())
                loss.backward()
                return loss.item(), layer.weight.grad.numpy(), layer.bias.grad.numpy()
        """)),
        ("torch.autograd.grad instead of backward, log_softmax + nll_loss", _src("""
            def loss_and_grads(X, y, W, b):
                W = torch.tensor(W, dtype=torch.float32, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float32, requires_grad=True)
                logits = torch.as_tensor(X, dtype=torch.float32) @ W.T + b
                loss = F.nll_loss(F.log_softmax(logits, dim=1), torch.as_tensor(y, dtype=torch.long))
                dW, db = torch.autograd.grad(loss, [W, b])
                return float(loss), dW.numpy(), db.numpy()
        """)),
    ],
    "train": [
        ("manual SGD updates under no_grad, batches by slicing", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                W = torch.tensor(W, dtype=torch.float64, requires_grad=True)
                b = torch.tensor(b, dtype=torch.float64, requires_grad=True)
                X = torch.as_tensor(X, dtype=torch.float64)
                y = torch.as_tensor(y, dtype=torch.long)
                losses = []
                for epoch in range(epochs):
                    for start in range(0, len(X), batch_size):
                        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
                        loss = F.cross_entropy(xb @ W.T + b, yb)
                        loss.backward()
                        with torch.no_grad():
                            W -= lr * W.grad
                            b -= lr * b.grad
                        W.grad = None
                        b.grad = None
                        losses.append(loss.item())
                return W.detach().numpy(), b.detach().numpy(), np.array(losses)
        """)),
        ("model.zero_grad() and log_softmax + NLLLoss", _src("""
            def train_linear(X, y, W, b, lr, epochs, batch_size):
                model = nn.Linear(W.shape[1], W.shape[0])
                model.weight.data = torch.tensor(W, dtype=torch.float32)
                model.bias.data = torch.tensor(b, dtype=torch.float32)
                dataset = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y).long())
                optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
                nll = nn.NLLLoss()
                losses = []
                for epoch in range(epochs):
                    for xb, yb in DataLoader(dataset, batch_size=batch_size):
                        model.zero_grad()
                        loss = nll(F.log_softmax(model(xb), dim=1), yb)
                        loss.backward()
                        optimizer.step()
                        losses.append(float(loss))
                return model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy(), np.array(losses)
        """)),
    ],
    "confusion": [
        ("np.add.at", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                C = np.zeros((num_classes, num_classes), dtype=np.int64)
                np.add.at(C, (np.asarray(y_true), np.asarray(y_pred)), 1)
                return C
        """)),
        ("np.bincount of the flat index true * K + predicted", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                flat = np.asarray(y_true) * num_classes + np.asarray(y_pred)
                return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
        """)),
        ("one comparison per cell", _src("""
            def confusion_matrix(y_true, y_pred, num_classes):
                y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
                return np.array([[np.sum((y_true == i) & (y_pred == j)) for j in range(num_classes)]
                                 for i in range(num_classes)])
        """)),
    ],
    "digits": [
        ("its own loop: 256 hidden units, SGD with momentum, 30 epochs", _digits("""
            torch.manual_seed(1)
            digits_model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
            loader = DataLoader(TensorDataset(torch.as_tensor(digits.X_train), torch.as_tensor(digits.y_train)),
                                batch_size=32, shuffle=True)
            optimizer = torch.optim.SGD(digits_model.parameters(), lr=0.1, momentum=0.9)
            for epoch in range(30):
                digits_model.train()
                for xb, yb in loader:
                    optimizer.zero_grad()
                    F.cross_entropy(digits_model(xb), yb).backward()
                    optimizer.step()
        """)),
        ("the MNIST recipe with its normalisation inside the model, 30 epochs on train + validation", _digits("""
            class Centre(nn.Module):
                def forward(self, x):
                    return (x - 0.5) / 0.5
            torch.manual_seed(2)
            digits_model = nn.Sequential(Centre(), nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
            X = torch.as_tensor(np.concatenate([digits.X_train, digits.X_val]))
            y = torch.as_tensor(np.concatenate([digits.y_train, digits.y_val]))
            loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
            train.fit(digits_model, loader, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(digits_model.parameters(), lr=1e-3), epochs=30,
                      device="cpu", progress=False)
        """)),
    ],
}
