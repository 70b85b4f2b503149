"""Matrix figures: confusion matrices (lesson 04 on) and attention maps (lesson 11)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlkit.plot._base import figure_and_axes, grid_shape, hide_unused, new_figure, to_numpy


def _labels(y, name: str) -> np.ndarray:
    y = to_numpy(y, name).ravel()
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise TypeError(f"{name} must hold integer class indices, got values such as {y[np.mod(y, 1) != 0][0]}. "
                        f"For scores or probabilities take the class first: scores.argmax(1).")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} must hold class indices >= 0, got {y.min()}.")
    return y.astype(np.int64)


def confusion_counts(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C`` of shape ``(K, K)``: ``C[i, j]`` = how many examples of class ``i`` were predicted ``j``.

    Args:
        y_true, y_pred: class indices, shape ``(N,)`` each (numpy or torch).
        n_classes: ``K``; default one more than the largest index seen.

    Example:
        >>> confusion_counts([0, 1, 1], [0, 1, 0])
        array([[1, 0],
               [1, 1]])
    """
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {t.shape[0]} and {p.shape[0]}.")
    k = int(max(t.max(initial=-1), p.max(initial=-1))) + 1 if n_classes is None else int(n_classes)
    if t.size and max(t.max(), p.max()) >= k:
        raise ValueError(f"n_classes={k} but the labels go up to {max(t.max(), p.max())}.")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)
    return counts


def confusion_matrix(y_true, y_pred, *, class_names: Sequence[str] | None = None, normalize: bool = False, ax=None):
    """A confusion matrix: true class down, predicted class across, each cell annotated.

    Args:
        y_true, y_pred: class indices, shape ``(N,)``.
        class_names: tick labels, one per class; default the indices.
        normalize: show each row as fractions of that class (recall on the diagonal).
        ax: an Axes to draw into; default a new figure.

    Returns:
        the Figure; ``K * K`` text annotations and the accuracy in the title.

    Example:
        >>> fig = dlkit.plot.confusion_matrix(ds.y_test, pred, class_names=[str(d) for d in range(10)])
    """
    n_classes = None if class_names is None else len(class_names)
    counts = confusion_counts(y_true, y_pred, n_classes)
    k = counts.shape[0]
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    fig, ax = figure_and_axes(ax, figsize=(1.0 + 0.5 * max(k, 4), 0.6 + 0.5 * max(k, 4)))
    ax.imshow(shown, cmap="Blues", vmin=0)
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    ax.set_xticks(range(k), names, rotation=45 if max(len(n) for n in names) > 2 else 0)
    ax.set_yticks(range(k), names)
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > threshold else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = counts.sum()
    ax.set_title(f"accuracy {np.trace(counts) / total:.1%} (n={total})" if total else "no examples")
    return fig


def attention(weights, *, queries: Sequence[str] | None = None, keys: Sequence[str] | None = None, ax=None,
              ncols: int = 4):
    """Attention weights as a heatmap: query position down, key position across; one panel per head.

    Args:
        weights: ``(Lq, Lk)``, ``(H, Lq, Lk)`` or ``(1, H, Lq, Lk)``; each row
            (one query) should sum to 1.
        queries, keys: token labels for the rows and columns (optional).
        ax: an Axes to draw into; only for a single head.
        ncols: heads per row.

    Returns:
        the Figure, one image per head.

    Example:
        >>> fig = dlkit.plot.attention(attn[0], queries=list("hello"), keys=list("hello"))
    """
    w = to_numpy(weights, "weights").astype(float)
    if w.ndim == 4 and w.shape[0] == 1:
        w = w[0]
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(f"weights must have shape (Lq, Lk), (H, Lq, Lk) or (1, H, Lq, Lk), got shape {w.shape}. "
                         f"For a batch, pick one example: weights[0].")
    heads, lq, lk = w.shape
    for tokens, size, what in ((queries, lq, "queries"), (keys, lk, "keys")):
        if tokens is not None and len(tokens) != size:
            raise ValueError(f"{what} must label all {size} positions, got {len(tokens)} labels.")
    if ax is not None:
        if heads != 1:
            raise ValueError(f"ax holds one panel but weights has {heads} heads; leave ax=None or pass weights[h].")
        fig, ax = figure_and_axes(ax)
        axes = np.array([ax])
    else:
        rows, cols = grid_shape(heads, ncols)
        fig, axes = new_figure(rows, cols, figsize=(0.9 + (0.3 * lk + 1.2) * cols, 0.6 + (0.3 * lq + 1.0) * rows))
    for h, panel in enumerate(axes.ravel()[:heads]):
        image = panel.imshow(w[h], cmap="viridis", vmin=0, vmax=max(1e-12, w[h].max()))
        if keys is not None:
            panel.set_xticks(range(lk), [str(t) for t in keys], rotation=90)
        if queries is not None:
            panel.set_yticks(range(lq), [str(t) for t in queries])
        panel.set_xlabel("key")
        panel.set_ylabel("query")
        panel.set_title(f"head {h}" if heads > 1 else "attention")
        if heads == 1:
            fig.colorbar(image, ax=panel, fraction=0.046)
    hide_unused(axes, heads)
    fig.tight_layout()
    return fig
