"""Plausible wrong answers (mutants) and other correct answers for lesson 08's exercises.

Each source is a complete answer cell. The function exercises (``output_size``,
``conv2d``, ``maxpool``) are one ``def``; the model exercise (``digits_cnn``) is
the cell's training code, starting from ``digits_cnn = None``. Sources run with
the notebook's imports in scope, which :data:`IMPORTS` spells out (``np``,
``torch``, ``nn``, ``F``, ``DataLoader``, ``TensorDataset``, ``data``, ``train``,
and ``digits``, the image split the notebook loads before exercise 4).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"08.conv2d"``).
LESSON = "08"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {}

#: What the notebook has defined when an answer cell runs (its imports cell, and the digits images).
IMPORTS = dedent("""
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    from dlkit import data, train
    digits = data.load_digits(seed=0, as_images=True)
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _digits(body: str) -> str:
    """A digits answer cell: the unset line, then the student's training code."""
    return "digits_cnn = None\n" + _src(body)


_CNN = """
    nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                  nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 4 * 4, 10))
"""

MUTANTS: dict[str, list[tuple[str, str]]] = {
    "output_size": [
        ("true division: a float, not rounded down", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                return (size + 2 * padding - kernel_size) / stride + 1
        """)),
        ("forgets the + 1", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                return (size + 2 * padding - kernel_size) // stride
        """)),
        ("padding on one side only", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                return (size + padding - kernel_size) // stride + 1
        """)),
        ("rounds up (ceil mode)", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                return -(-(size + 2 * padding - kernel_size) // stride) + 1
        """)),
        ("divides the whole padded size by the stride", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                return (size + 2 * padding) // stride - kernel_size + 1
        """)),
    ],
    "conv2d": [
        ("flips the kernel (a true convolution, not torch's cross-correlation)", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                w = w[:, :, ::-1, ::-1]
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
                return np.einsum("nchwuv,fcuv->nfhw", win, w) + b[None, :, None, None]
        """)),
        ("forgets the bias", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
                return np.einsum("nchwuv,fcuv->nfhw", win, w)
        """)),
        ("adds the bias once per input channel", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
                return np.einsum("nchwuv,fcuv->nfhw", win, w) + x.shape[1] * b[None, :, None, None]
        """)),
        ("pads only the bottom and right", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
                return np.einsum("nchwuv,fcuv->nfhw", win, w) + b[None, :, None, None]
        """)),
        ("stride applied before taking windows (subsamples the image)", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))[:, :, ::stride, ::stride]
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
                return np.einsum("nchwuv,fcuv->nfhw", win, w) + b[None, :, None, None]
        """)),
        ("kernel rows and columns swapped in the contraction", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
                return np.einsum("nchwuv,fcvu->nfhw", win, w) + b[None, :, None, None]
        """)),
    ],
    "maxpool": [
        ("the gradient to every tied maximum", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = k if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for i in range(Ho):
                    for j in range(Wo):
                        win = x[:, :, i*s:i*s+k, j*s:j*s+k]
                        m = win.max(axis=(2, 3))
                        out[:, :, i, j] = m
                        dx[:, :, i*s:i*s+k, j*s:j*s+k] += (win == m[:, :, None, None]) * dout[:, :, i, j][:, :, None, None]
                return out, dx
        """)),
        ("overlapping windows overwrite instead of adding", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = k if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for n in range(N):
                    for c in range(C):
                        for i in range(Ho):
                            for j in range(Wo):
                                win = x[n, c, i*s:i*s+k, j*s:j*s+k]
                                u, v = np.unravel_index(np.argmax(win), win.shape)
                                out[n, c, i, j] = win[u, v]
                                dx[n, c, i*s + u, j*s + v] = dout[n, c, i, j]
                return out, dx
        """)),
        ("the last maximum wins ties", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = k if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for n in range(N):
                    for c in range(C):
                        for i in range(Ho):
                            for j in range(Wo):
                                win = x[n, c, i*s:i*s+k, j*s:j*s+k].ravel()
                                last = len(win) - 1 - np.argmax(win[::-1])
                                u, v = divmod(last, k)
                                out[n, c, i, j] = win[last]
                                dx[n, c, i*s + u, j*s + v] += dout[n, c, i, j]
                return out, dx
        """)),
        ("stride defaults to 1", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = 1 if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for n in range(N):
                    for c in range(C):
                        for i in range(min(Ho, dout.shape[2])):
                            for j in range(min(Wo, dout.shape[3])):
                                win = x[n, c, i*s:i*s+k, j*s:j*s+k]
                                u, v = np.unravel_index(np.argmax(win), win.shape)
                                out[n, c, i, j] = win[u, v]
                                dx[n, c, i*s + u, j*s + v] += dout[n, c, i, j]
                return out, dx
        """)),
        ("spreads the gradient over the window, as average pooling would", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = k if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for i in range(Ho):
                    for j in range(Wo):
                        out[:, :, i, j] = x[:, :, i*s:i*s+k, j*s:j*s+k].max(axis=(2, 3))
                        dx[:, :, i*s:i*s+k, j*s:j*s+k] += dout[:, :, i, j][:, :, None, None] / (k * k)
                return out, dx
        """)),
    ],
    "digits_cnn": [
        ("left unanswered", "digits_cnn = None\n"),
        ("an untrained network", _digits(f"""
            torch.manual_seed(0)
            digits_cnn = {_CNN.strip()}
            digits_cnn.eval()
        """)),
        ("expects flat (N, 64) inputs, as the MLP of lesson 04", _digits("""
            torch.manual_seed(0)
            digits_cnn = nn.Sequential(nn.Linear(64, 10))
            digits_cnn.eval()
        """)),
        ("trained for a handful of steps only", _digits(f"""
            torch.manual_seed(0)
            digits_cnn = {_CNN.strip()}
            optimizer = torch.optim.SGD(digits_cnn.parameters(), lr=1e-3)
            X, y = torch.as_tensor(digits.X_train[:64]), torch.as_tensor(digits.y_train[:64])
            for step in range(3):
                optimizer.zero_grad()
                F.cross_entropy(digits_cnn(X), y).backward()
                optimizer.step()
            digits_cnn.eval()
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "output_size": [
        ("counts the window positions one by one", _src("""
            def conv_output_size(size, kernel_size, stride=1, padding=0):
                count, start = 0, 0
                while start + kernel_size <= size + 2 * padding:
                    count += 1
                    start += stride
                return count
        """)),
    ],
    "conv2d": [
        ("im2col: the windows as columns of a matrix, then one matrix product", _src("""
            def conv2d(x, w, b, stride=1, padding=0):
                N, C, H, W = x.shape
                Fn, _, kh, kw = w.shape
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                Ho = (H + 2 * padding - kh) // stride + 1
                Wo = (W + 2 * padding - kw) // stride + 1
                cols = np.empty((C, kh, kw, N, Ho, Wo))
                for u in range(kh):
                    for v in range(kw):
                        cols[:, u, v] = xp[:, :, u:u + stride * Ho:stride, v:v + stride * Wo:stride].transpose(1, 0, 2, 3)
                out = w.reshape(Fn, -1) @ cols.reshape(C * kh * kw, -1) + b[:, None]
                return out.reshape(Fn, N, Ho, Wo).transpose(1, 0, 2, 3)
        """)),
    ],
    "maxpool": [
        ("plain loops over every window, one image and channel at a time", _src("""
            def max_pool2d(x, dout, kernel_size, stride=None):
                k = kernel_size
                s = k if stride is None else stride
                N, C, H, W = x.shape
                Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
                out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
                for n in range(N):
                    for c in range(C):
                        for i in range(Ho):
                            for j in range(Wo):
                                win = x[n, c, i*s:i*s+k, j*s:j*s+k]
                                u, v = np.unravel_index(np.argmax(win), win.shape)
                                out[n, c, i, j] = win[u, v]
                                dx[n, c, i*s + u, j*s + v] += dout[n, c, i, j]
                return out, dx
        """)),
    ],
    "digits_cnn": [
        ("an nn.Module class without batch normalization, trained with dlkit.train.fit", _digits("""
            class SmallCNN(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
                    self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
                    self.head = nn.Linear(64 * 4 * 4, 10)

                def forward(self, x):
                    x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
                    return self.head(x.flatten(1))

            torch.manual_seed(1)
            digits_cnn = SmallCNN()
            X = torch.as_tensor(np.concatenate([digits.X_train, digits.X_val]))
            y = torch.as_tensor(np.concatenate([digits.y_train, digits.y_val]))
            loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
                                generator=torch.Generator().manual_seed(1))
            train.fit(digits_cnn, loader, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(digits_cnn.parameters(), lr=2e-3), epochs=15,
                      device="cpu", progress=False)
            digits_cnn.eval()
        """)),
    ],
}
