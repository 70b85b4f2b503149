"""Plausible wrong answers (mutants) and other correct answers for lesson 06's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function,
executable with ``import numpy as np`` in scope. See ``lesson01.py`` for how
the tables are used (mutation tests, the demo, the grader's synthetic class).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"06.dropout"``).
LESSON = "06"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "penalty": [
        ("L2 penalty without the 1/2: its gradient is then 2 * l2 * W, not l2 * W", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                return l1 * np.abs(W).sum() + l2 * (W**2).sum(), l1 * np.sign(W) + l2 * W
        """)),
        ("L1 gradient l1 * W, as if it were L2", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                return l1 * np.abs(W).sum() + 0.5 * l2 * (W**2).sum(), l1 * W + l2 * W
        """)),
        ("L1 gradient W / |W|: 0/0 where a weight is exactly 0", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                return l1 * np.abs(W).sum() + 0.5 * l2 * (W**2).sum(), l1 * W / np.abs(W) + l2 * W
        """)),
        ("mean instead of sum: the penalty shrinks with the layer's size", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                return l1 * np.abs(W).mean() + 0.5 * l2 * (W**2).mean(), l1 * np.sign(W) + l2 * W
        """)),
        ("L1 penalty of the sum, not the sum of absolute values", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                return l1 * abs(W.sum()) + 0.5 * l2 * (W**2).sum(), l1 * np.sign(W) + l2 * W
        """)),
    ],
    "dropout": [
        ("no scaling: kept values are not divided by 1 - p", _src("""
            def dropout(x, p, u):
                return x * (u >= p)
        """)),
        ("scales by 1 / p instead of 1 / (1 - p)", _src("""
            def dropout(x, p, u):
                if p == 0:
                    return x.copy()
                return x * (u >= p) / p
        """)),
        ("keeps where u < p: drops with probability 1 - p", _src("""
            def dropout(x, p, u):
                if p == 1:
                    return np.zeros_like(x)
                return x * (u < p) / (1 - p)
        """)),
        ("multiplies by 1 - p (the old, non-inverted scaling at test time)", _src("""
            def dropout(x, p, u):
                return x * (u >= p) * (1 - p)
        """)),
        ("divides by zero when p = 1", _src("""
            def dropout(x, p, u):
                return x * (u >= p) / (1 - p)
        """)),
        ("u > p: an entry whose draw equals p is dropped", _src("""
            def dropout(x, p, u):
                if p == 1:
                    return np.zeros_like(x)
                return x * (u > p) / (1 - p)
        """)),
        ("draws its own mask instead of using u", _src("""
            def dropout(x, p, u):
                if p == 1:
                    return np.zeros_like(x)
                return x * (np.random.default_rng(0).random(x.shape) >= p) / (1 - p)
        """)),
    ],
    "early_stop": [
        ("the minimum of the whole curve: early stopping that peeks at the future", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                return int(np.argmin(val_losses)), len(val_losses) - 1
        """)),
        ("an equal loss counts as an improvement (<= instead of <)", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                best, best_epoch, waited = float("inf"), 0, 0
                for epoch, loss in enumerate(val_losses):
                    if loss <= best - min_delta:
                        best, best_epoch, waited = loss, epoch, 0
                    else:
                        waited += 1
                        if waited >= patience:
                            return best_epoch, epoch
                return best_epoch, len(val_losses) - 1
        """)),
        ("one epoch too late: waits patience + 1 epochs", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                best, best_epoch, waited = float("inf"), 0, 0
                for epoch, loss in enumerate(val_losses):
                    if loss < best - min_delta:
                        best, best_epoch, waited = loss, epoch, 0
                    else:
                        waited += 1
                        if waited > patience:
                            return best_epoch, epoch
                return best_epoch, len(val_losses) - 1
        """)),
        ("ignores min_delta", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                best, best_epoch, waited = float("inf"), 0, 0
                for epoch, loss in enumerate(val_losses):
                    if loss < best:
                        best, best_epoch, waited = loss, epoch, 0
                    else:
                        waited += 1
                        if waited >= patience:
                            return best_epoch, epoch
                return best_epoch, len(val_losses) - 1
        """)),
        ("returns the stopping epoch as the best one", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                best, waited = float("inf"), 0
                for epoch, loss in enumerate(val_losses):
                    if loss < best - min_delta:
                        best, waited = loss, 0
                    else:
                        waited += 1
                        if waited >= patience:
                            return epoch, epoch
                return len(val_losses) - 1, len(val_losses) - 1
        """)),
        ("counts epochs without improvement in total, never resetting", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                best, best_epoch, waited = float("inf"), 0, 0
                for epoch, loss in enumerate(val_losses):
                    if loss < best - min_delta:
                        best, best_epoch = loss, epoch
                    else:
                        waited += 1
                        if waited >= patience:
                            return best_epoch, epoch
                return best_epoch, len(val_losses) - 1
        """)),
    ],
    "shift": [
        ("np.roll: pixels that leave one side come back on the other", _src("""
            def shift_images(images, shifts):
                out = np.empty_like(images)
                for i, (dy, dx) in enumerate(shifts):
                    out[i] = np.roll(images[i], (dy, dx), axis=(-2, -1))
                return out
        """)),
        ("dy and dx swapped", _src("""
            def shift_images(images, shifts):
                out = np.zeros_like(images)
                H, W = images.shape[-2:]
                for i, (dx, dy) in enumerate(shifts):
                    if abs(dy) < H and abs(dx) < W:
                        out[i, ..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
                            images[i, ..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
                return out
        """)),
        ("the opposite direction: positive dy moves up", _src("""
            def shift_images(images, shifts):
                out = np.zeros_like(images)
                H, W = images.shape[-2:]
                for i, (dy, dx) in enumerate(shifts):
                    dy, dx = -dy, -dx
                    if abs(dy) < H and abs(dx) < W:
                        out[i, ..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
                            images[i, ..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
                return out
        """)),
        ("the first image's shift for every image", _src("""
            def shift_images(images, shifts):
                out = np.zeros_like(images)
                H, W = images.shape[-2:]
                dy, dx = shifts[0]
                if abs(dy) < H and abs(dx) < W:
                    out[..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
                        images[..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
                return out
        """)),
        ("returns float64 for float32 images", _src("""
            def shift_images(images, shifts):
                H, W = images.shape[-2:]
                out = np.zeros(images.shape)
                for i, (dy, dx) in enumerate(shifts):
                    if abs(dy) < H and abs(dx) < W:
                        out[i, ..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
                            images[i, ..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
                return out
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "penalty": [
        ("np.where for the sign and a dot product for the squares", _src("""
            def weight_penalty(W, l1=0.0, l2=0.0):
                flat = W.ravel()
                sign = np.where(W > 0, 1.0, np.where(W < 0, -1.0, 0.0))
                penalty = l1 * np.linalg.norm(flat, 1) + l2 / 2 * float(flat @ flat)
                return penalty, l1 * sign + l2 * W
        """)),
    ],
    "dropout": [
        ("a float mask scaled once, with an explicit branch for p = 1", _src("""
            def dropout(x, p, u):
                scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
                mask = (u >= p).astype(float) * scale
                return x * mask
        """)),
    ],
    "early_stop": [
        ("the first epoch sets the best, then a while loop", _src("""
            def early_stopping(val_losses, patience, min_delta=0.0):
                losses = list(val_losses)
                best_epoch, epoch = 0, 1
                while epoch < len(losses):
                    if losses[epoch] < losses[best_epoch] - min_delta:
                        best_epoch = epoch
                    elif epoch - best_epoch >= patience:
                        return best_epoch, epoch
                    epoch += 1
                return best_epoch, len(losses) - 1
        """)),
    ],
    "shift": [
        ("pad with zeros, then crop the shifted window", _src("""
            def shift_images(images, shifts):
                H, W = images.shape[-2:]
                pad = [(0, 0)] * (images.ndim - 3) + [(H, H), (W, W)]
                out = np.empty_like(images)
                for i, (dy, dx) in enumerate(shifts):
                    dy, dx = min(max(dy, -H), H), min(max(dx, -W), W)
                    padded = np.pad(images[i], pad)
                    out[i] = padded[..., H - dy:2 * H - dy, W - dx:2 * W - dx]
                return out
        """)),
    ],
}
