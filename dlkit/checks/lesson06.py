"""Checks for lesson 06: overfitting and regularization.

Exercises: ``weight_penalty`` (L1 and L2 penalties and their gradients),
``dropout`` (inverted dropout, its mask decided by given uniform draws),
``early_stopping`` (the stopping and best epochs from a validation curve) and
``shift_images`` (integer shifts with zero fill, for data augmentation). Every
exercise is a pure numpy function, arrays in and arrays out, so it crosses the
grader's wire. ``dropout`` keeps an entry where its uniform draw ``u >= p``,
the rule :func:`dlkit.reference.layers.dropout_forward` applies to
``rng.random(x.shape)``, so the two agree draw for draw (the lesson's claims
test holds them to it).
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, register


# -- 1. L1 and L2 penalties ------------------------------------------------------------

def weight_penalty(W, l1=0.0, l2=0.0):
    """Answer key: (l1 * sum|W| + l2/2 * sum W**2, its gradient l1 * sign(W) + l2 * W)."""
    W = np.asarray(W, dtype=np.float64)
    return float(l1 * np.abs(W).sum() + 0.5 * l2 * np.square(W).sum()), l1 * np.sign(W) + l2 * W


def _with_zeros(rng: np.random.Generator, shape) -> np.ndarray:
    """Normal weights with about a third of the entries exactly 0 (where sign(0) = 0 matters)."""
    W = rng.normal(size=shape)
    W[rng.random(shape) < 1 / 3] = 0.0
    return W


def _penalty_cases(rng: np.random.Generator) -> list[Case]:
    s1, s2, s3 = cases.shapes(rng, 3, min_rank=2, max_rank=2, min_side=2)
    l1, l2 = (float(v) for v in rng.uniform(1e-4, 0.5, size=2))
    return [
        Case((rng.normal(size=s1),), {"l2": l2}, label="L2 only on a weight matrix",
             hint="L2: penalty l2/2 * sum(W**2) (note the 1/2), gradient l2 * W."),
        Case((rng.normal(size=s2),), {"l1": l1}, label="L1 only on a weight matrix",
             hint="L1: penalty l1 * sum(|W|), gradient l1 * sign(W)."),
        Case((_with_zeros(rng, s3),), {"l1": l1, "l2": l2},
             label="both penalties, some weights exactly 0 (sign(0) = 0)",
             hint="Both penalties add up, and so do their gradients. At W = 0 the L1 gradient is "
                  "sign(0) = 0: no division by |W|."),
        Case((rng.normal(size=s1),), label="no penalty (l1 = l2 = 0): zero penalty, zero gradient"),
    ]


def _penalty_visible() -> list[Case]:
    W = np.array([[1.0, -2.0], [0.0, 3.0]])
    return [
        Case((W,), {"l2": 0.1}, label="L2 on a 2x2 matrix: 0.05 * (1 + 4 + 0 + 9) = 0.7",
             hint="penalty = l2/2 * sum(W**2) = 0.05 * 14 = 0.7; gradient l2 * W."),
        Case((W,), {"l1": 0.1}, label="L1 on a 2x2 matrix: 0.1 * (1 + 2 + 0 + 3) = 0.6",
             hint="penalty = l1 * sum(|W|); gradient l1 * sign(W), which is 0 where W is 0."),
        *_penalty_cases(cases.fixed_rng(61)),
    ]


register(Exercise(
    id="06.penalty", function="weight_penalty", reference=weight_penalty,
    visible=_penalty_visible, hidden=_penalty_cases, rtol=1e-9, atol=1e-12, strict_float=True,
    hint="Return (penalty, gradient): penalty = l1 * sum(|W|) + l2 / 2 * sum(W**2) (a number), "
         "gradient = l1 * sign(W) + l2 * W (an array of W's shape).",
))


# -- 2. inverted dropout ------------------------------------------------------------------

def dropout(x, p, u):
    """Answer key: keep x_i where u_i >= p and scale it by 1 / (1 - p); everything 0 when p = 1."""
    x = np.asarray(x, dtype=np.float64)
    if p >= 1.0:
        return np.zeros_like(x)
    return np.where(np.asarray(u) >= p, x / (1.0 - p), 0.0)


def _dropout_case(rng, shape, p, label, hint=""):
    return Case((rng.normal(size=shape), p, rng.random(shape)), label=label, hint=hint)


def _dropout_cases(rng: np.random.Generator) -> list[Case]:
    s1, s2, s3 = cases.shapes(rng, 3, min_rank=2, max_rank=3, min_side=2)
    return [
        _dropout_case(rng, s1, float(rng.uniform(0.1, 0.9)), "a batch of activations",
                      hint="keep where u >= p, and scale what you keep by 1 / (1 - p)."),
        _dropout_case(rng, s2, float(rng.uniform(0.1, 0.9)), "a batch of activations, another shape"),
        _dropout_case(rng, s3, 0.0, "p = 0: nothing is dropped, the output equals x",
                      hint="With p = 0 every u >= 0 is kept and the scale is 1 / (1 - 0) = 1."),
        _dropout_case(rng, s1, 1.0, "p = 1: everything is dropped (no division by zero)",
                      hint="With p = 1 nothing is kept: return zeros without computing 1 / (1 - p)."),
    ]


def _dropout_visible() -> list[Case]:
    x = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, -2.0, -3.0, -4.0]])
    u = np.array([[0.9, 0.1, 0.5, 0.3], [0.2, 0.75, 0.49, 0.51]])
    return [
        Case((x, 0.5, u), label="p = 0.5: keep where u >= 0.5 (u = 0.5 is kept), double the kept values",
             hint="Expected [[2, 0, 6, 0], [0, -4, 0, -8]]. An entry is kept when u >= p; kept values "
                  "are divided by 1 - p = 0.5 so the expected output stays x."),
        Case((x, 0.25, u), label="p = 0.25: kept values are multiplied by 4/3",
             hint="Scale by 1 / (1 - p), not by 1 / p or by 1 - p."),
        *_dropout_cases(cases.fixed_rng(62)),
    ]


register(Exercise(
    id="06.dropout", function="dropout", reference=dropout,
    visible=_dropout_visible, hidden=_dropout_cases, rtol=1e-9, atol=1e-12, strict_float=True,
    forbidden=("torch.nn.functional.dropout", "dlkit.reference.layers.dropout_forward"),
    hint="out = x * (u >= p) / (1 - p), and zeros when p = 1. The draws u are given: do not draw your own.",
))


# -- 3. early stopping ----------------------------------------------------------------------

def early_stopping(val_losses, patience, min_delta=0.0):
    """Answer key: (best epoch, epoch training stops at), epochs counted from 0."""
    best, best_epoch, waited = np.inf, 0, 0
    losses = [float(v) for v in np.asarray(val_losses).ravel()]
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(losses) - 1


def _curve(rng: np.random.Generator, n: int, *, late_dip: bool = False) -> np.ndarray:
    """A noisy U-shaped validation curve of length n: falls, then rises (overfitting).

    With ``late_dip`` the curve dips below its early minimum near the end, after a
    long rise: patience must stop training before it gets there.
    """
    t = np.linspace(0, 1, n)
    turn = rng.uniform(0.2, 0.4)
    curve = 0.3 + 2.0 * np.exp(-t / 0.08) + 0.8 * np.clip(t - turn, 0, None) + rng.normal(0, 0.01, n)
    if late_dip:
        curve[-3:] = curve.min() - rng.uniform(0.05, 0.2, size=3)
    return np.round(curve, 4)


def _stop_cases(rng: np.random.Generator) -> list[Case]:
    n = int(rng.integers(40, 80))
    patience = int(rng.integers(3, 8))
    falling = np.round(np.sort(rng.uniform(0.1, 2.0, size=int(rng.integers(8, 20))))[::-1], 4)
    plateau = np.round(np.r_[np.sort(rng.uniform(0.6, 2.0, size=3))[::-1], np.full(patience + 4, 0.5)], 4)
    small = np.round(np.r_[1.0, 0.9, 0.8, 0.8 - rng.uniform(0.0001, 0.001, size=patience + 3).cumsum()], 4)
    return [
        Case((_curve(rng, n), patience), label="a noisy U-shaped validation curve",
             hint="Stop when `patience` epochs in a row brought no improvement; return the best epoch "
                  "(the last improvement) and the epoch you stopped at."),
        Case((_curve(rng, n, late_dip=True), patience), label="a lower value after patience ran out does not count",
             hint="Training stops once patience runs out: later epochs are never seen, even if lower."),
        Case((falling, patience), label="a curve that keeps falling: never stops early",
             hint="Without `patience` epochs of no improvement, training runs to the last epoch (len - 1)."),
        Case((plateau, patience), label="a plateau of equal values: equal is not an improvement",
             hint="An epoch improves only if its loss is strictly below best - min_delta."),
        Case((small, patience), {"min_delta": 0.01}, label="min_delta: improvements smaller than it do not count",
             hint="An improvement must beat the best loss by more than min_delta: loss < best - min_delta."),
    ]


def _stop_visible() -> list[Case]:
    return [
        Case(([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.65], 3),
             label="best at epoch 2, three epochs without improvement: stop at epoch 5",
             hint="Epochs 3, 4 and 5 do not improve on 0.7, so training stops at epoch 5 and never sees "
                  "the 0.65 of epoch 6. Expected (2, 5)."),
        *_stop_cases(cases.fixed_rng(63)),
    ]


register(Exercise(
    id="06.early_stop", function="early_stopping", reference=early_stopping,
    visible=_stop_visible, hidden=_stop_cases, rtol=0.0, atol=0.0,
    hint="Walk through the epochs keeping the best loss so far; an epoch improves if loss < best - min_delta, "
         "else it adds one to a counter that an improvement resets. When the counter reaches patience, "
         "stop: return (best_epoch, this_epoch). If it never does, return (best_epoch, len(val_losses) - 1).",
))


# -- 4. shifting images (data augmentation) ------------------------------------------------------

def shift_images(images, shifts):
    """Answer key: move image i by shifts[i] = (dy, dx) pixels (down, right), filling with 0."""
    images = np.asarray(images)
    out = np.zeros_like(images)
    H, W = images.shape[-2:]
    for i, (dy, dx) in enumerate(np.asarray(shifts, dtype=np.int64)):
        if abs(dy) >= H or abs(dx) >= W:
            continue
        out[i, ..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, ..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def _images(rng, n, h, w, channels: bool):
    shape = (n, 1, h, w) if channels else (n, h, w)
    return rng.random(shape).astype(np.float32)


def _shift_cases(rng: np.random.Generator) -> list[Case]:
    n, h, w = (int(v) for v in rng.integers(3, 7, size=3))
    h, w = h + 2, w + 3  # not square: H and W must not be mixed up
    mixed = np.stack([rng.integers(-2, 3, size=n), rng.integers(-2, 3, size=n)], axis=1)
    mixed[0] = (0, 0)
    far = np.array([[h + int(rng.integers(0, 3)), 0], [0, -w - int(rng.integers(0, 3))], [1, -1]])
    return [
        Case((_images(rng, n, h, w, False), mixed), label="a batch of (N, H, W) images, each with its own shift",
             hint="Each image moves by its own (dy, dx); (0, 0) leaves an image unchanged."),
        Case((_images(rng, n, h, w, True), mixed[::-1].copy()), label="(N, 1, H, W) images: shift the last two axes",
             hint="Index the rows and columns from the end (axes -2 and -1) so a channel axis does not matter."),
        Case((_images(rng, 3, h, w, False), far), label="shifts as large as the image leave only zeros",
             hint="Pixels shifted off the image are gone (no wrapping round), and a shift of H or more rows "
                  "leaves nothing."),
    ]


def _shift_visible() -> list[Case]:
    img = np.arange(1, 13, dtype=np.float32).reshape(1, 3, 4)
    two = np.concatenate([img, img])
    return [
        Case((img, np.array([[1, 0]])), label="dy = 1: rows move down one, the top row becomes 0",
             hint="Expected [[0, 0, 0, 0], [1, 2, 3, 4], [5, 6, 7, 8]]: the last row falls off (no wrapping)."),
        Case((img, np.array([[0, -1]])), label="dx = -1: columns move left one, the right column becomes 0",
             hint="Positive dx moves right, negative left; the vacated column is filled with 0."),
        Case((two, np.array([[1, 1], [-1, 2]])), label="two images, two different shifts",
             hint="shifts[i] applies to images[i] only."),
        *_shift_cases(cases.fixed_rng(64)),
    ]


register(Exercise(
    id="06.shift", function="shift_images", reference=shift_images, keep_dtype=True,
    visible=_shift_visible, hidden=_shift_cases, rtol=0.0, atol=0.0,
    forbidden=("scipy.ndimage.shift",),
    hint="Start from zeros of the images' shape; for image i with shift (dy, dx) copy the rows and columns "
         "that stay inside the image: out[i, ..., dy:, dx:] = images[i, ..., :H-dy, :W-dx] for positive "
         "shifts (and the mirror image for negative ones). np.roll wraps round: it is not a shift.",
))
