"""Explainability and fairness (lesson 12): attributions of a small CNN, group fairness metrics.

The attribution functions explain the lesson's digits CNN, given as its
``state_dict`` in numpy (the only form a check can hand over):
``conv1`` (C1, 1, 3, 3) -> ReLU -> 2x2 max pool -> ``conv2`` (C2, C1, 3, 3) -> ReLU ->
flatten -> ``fc`` (10, C2 * 16), both convolutions with padding 1, on 8x8 images.
They run in float64 with torch autograd; tests hold them to Captum.

The fairness metrics follow Fairlearn's definitions; tests hold them to Fairlearn.
"""

from __future__ import annotations

import numpy as np

#: The keys of the CNN's state dict, in the order ``nn.Module.state_dict()`` gives them.
CNN_KEYS = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias")


def _checked_state(state) -> dict:
    if not isinstance(state, dict) or set(state) != set(CNN_KEYS):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"state must be a dict with the keys {list(CNN_KEYS)} (a DigitsCNN state_dict as numpy "
                         f"arrays), got {got}")
    return state


def cnn_logits(state, x):
    """The digits CNN's logits, differentiable with respect to ``x`` (float64 torch).

    Shapes: state as above; x (N, 1, 8, 8) torch tensor -> (N, 10).
    Formula: fc(flatten(relu(conv2(maxpool2(relu(conv1(x))))))), 3x3 convolutions with padding 1.
    Example: cnn_logits(state, torch.zeros(2, 1, 8, 8, dtype=torch.float64)).shape is (2, 10).
    """
    import torch
    import torch.nn.functional as F

    p = {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) for k, v in _checked_state(state).items()}
    h = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1)), 2)
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"], padding=1))
    return h.flatten(1) @ p["fc.weight"].T + p["fc.bias"]


def _target_logit_grad(state, x, target):
    """(target logits (N,), their gradients with respect to x (N, 1, 8, 8)), both numpy float64."""
    import torch

    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    rows = torch.arange(xt.shape[0])
    chosen = cnn_logits(state, xt)[rows, torch.as_tensor(np.asarray(target, dtype=np.int64))]
    (grad,) = torch.autograd.grad(chosen.sum(), xt)
    return chosen.detach().numpy(), grad.numpy()


def saliency(state, x, target):
    """Gradient saliency: how strongly each pixel moves the target class's logit.

    Shapes: state (a CNN state dict); x (N, 1, 8, 8); target (N,) ints -> (N, 1, 8, 8), >= 0.
    Formula: S[n] = | d logit_{target[n]}(x[n]) / d x[n] |.
    Example: saliency(state, x, y) is zero wherever the logit does not depend on the pixel.
    """
    return np.abs(_target_logit_grad(state, x, target)[1])


def integrated_gradients(state, x, baseline, target, steps=32):
    """Integrated gradients with the midpoint rule along the straight path from baseline to x.

    Shapes: x and baseline (N, 1, 8, 8); target (N,) ints; steps an int >= 1 -> (N, 1, 8, 8).
    Formula: IG = (x - x') * (1/m) sum_{k=0}^{m-1} grad f(x' + a_k (x - x')), a_k = (k + 1/2) / m,
             f the target logit; Captum's ``method="riemann_middle"``.
    Example: the attributions sum to about f(x) - f(x') (completeness).
    """
    x = np.asarray(x, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    steps = int(steps)
    alphas = (np.arange(steps) + 0.5) / steps
    path = baseline[None] + alphas[:, None, None, None, None] * (x - baseline)[None]      # (m, N, 1, 8, 8)
    targets = np.tile(np.asarray(target, dtype=np.int64), steps)
    _, grads = _target_logit_grad(state, path.reshape(-1, *x.shape[1:]), targets)
    return (x - baseline) * grads.reshape(path.shape).mean(axis=0)


def occlusion(state, x, target, window, stride, fill=0.0):
    """Occlusion: how much the target logit drops when a square patch is covered, averaged per pixel.

    Shapes: x (N, 1, 8, 8); target (N,) ints; window >= stride >= 1 ints; fill a float -> (N, 1, 8, 8).
    Formula: windows start at rows and columns 0, s, 2s, ... up to the first start >= H - window (so the
             last one may hang over the edge, covering what lies inside: Captum's ``Occlusion``); for each,
             d = f(x) - f(x with the window set to fill); each pixel gets the mean of d over the windows covering it.
    Example: with window=8 on an 8x8 image every pixel gets f(x) - f(fill everywhere).
    """
    import torch

    x = np.asarray(x, dtype=np.float64)
    window, stride = int(window), int(stride)
    n, _, h, w = x.shape
    rows = torch.arange(n)
    tgt = torch.as_tensor(np.asarray(target, dtype=np.int64))
    with torch.no_grad():
        base = cnn_logits(state, torch.as_tensor(x))[rows, tgt].numpy()
        total, count = np.zeros_like(x), np.zeros_like(x)
        for i in range(0, max(h - window, 0) + stride, stride):
            for j in range(0, max(w - window, 0) + stride, stride):
                covered = x.copy()
                covered[:, :, i:i + window, j:j + window] = fill
                drop = base - cnn_logits(state, torch.as_tensor(covered))[rows, tgt].numpy()
                total[:, :, i:i + window, j:j + window] += drop[:, None, None, None]
                count[:, :, i:i + window, j:j + window] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def fairness_metrics(y_true, y_pred, group):
    """Demographic parity difference and equalised odds difference of binary decisions.

    Shapes: y_true, y_pred (N,) in {0, 1}; group (N,) ints, at least two groups, each with both labels
            -> (dp, eo), two floats in [0, 1].
    Formula: dp = max_g P(pred = 1 | g) - min_g P(pred = 1 | g);
             eo = max(TPR spread, FPR spread), a spread being max_g - min_g (Fairlearn's definitions).
    Example: equal selection rates in every group give dp = 0.
    """
    y_true, y_pred, group = (np.asarray(a).reshape(-1) for a in (y_true, y_pred, group))
    groups = np.unique(group)
    selection = [y_pred[group == g].mean() for g in groups]
    tpr = [y_pred[(group == g) & (y_true == 1)].mean() for g in groups]
    fpr = [y_pred[(group == g) & (y_true == 0)].mean() for g in groups]
    spread = lambda v: float(np.max(v) - np.min(v))  # noqa: E731
    return spread(selection), max(spread(tpr), spread(fpr))
