"""Decision boundaries of 2-D classifiers, and the single sigmoid neuron (lessons 01 to 04)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlkit.plot._base import figure_and_axes, to_numpy
from dlkit.plot.activations import ACTIVATIONS


#: Colours of classes 0, 1, 2, ... (Okabe-Ito: blue, orange, bluish green, reddish purple, sky blue,
#: vermilion, yellow, black), distinguishable with every common colour-vision deficiency.
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Markers of classes 0, 1, 2, ...: shape tells the classes apart even in grey.
CLASS_MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")


def _points_2d(X) -> np.ndarray:
    X = to_numpy(X, "X")
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (N, 2): N points with 2 features, got shape {X.shape}. "
                         f"Pick two columns, e.g. X[:, :2], or reduce with PCA first.")
    return X


def boundary_grid(predict: Callable, X, *, resolution: int = 200, padding: float = 0.1):
    """What ``decision_boundary`` draws: a grid over ``X``'s range and the model's answer on it.

    Args:
        predict: maps points of shape ``(M, 2)`` (same dtype as ``X``) to class
            labels ``(M,)``, class probabilities ``(M, K)``, or the probability
            of class 1 ``(M,)`` / ``(M, 1)`` with values in ``[0, 1]``.
            numpy arrays and torch tensors are both accepted.
        X: the data, shape ``(N, 2)``; the grid covers its range plus ``padding``
            times the range on every side.
        resolution: grid points per axis.

    Returns:
        ``(xx, yy, labels, proba)``: ``xx, yy`` of shape ``(resolution, resolution)``,
        ``labels`` (the predicted class) of the same shape, and ``proba`` the
        probability of class 1 for a binary probability output, else ``None``.

    Example:
        >>> xx, yy, labels, _ = boundary_grid(lambda P: (P[:, 0] > 0).astype(int), X)
    """
    X = _points_2d(X)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or not 2 <= resolution <= 2000:
        raise ValueError(f"resolution must be an integer in [2, 2000], got {resolution!r}.")
    if not callable(predict):
        raise TypeError(f"predict must be a function from points (M, 2) to labels or probabilities, "
                        f"got {type(predict).__name__}. Pass e.g. model.predict or lambda P: ...")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    low, high = X.min(axis=0).astype(float), X.max(axis=0).astype(float)
    pad = padding * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(dtype)
    out = to_numpy(predict(grid), "predict(points)")
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != grid.shape[0] or out.ndim not in (1, 2):
        raise ValueError(f"predict returned shape {out.shape} for {grid.shape[0]} points; expected "
                         f"({grid.shape[0]},) labels or probabilities, or ({grid.shape[0]}, K) class probabilities.")
    proba = None
    if out.ndim == 2:
        labels = out.argmax(axis=1)
    elif np.issubdtype(out.dtype, np.floating) and out.min() >= 0 and out.max() <= 1 and not np.all(np.isin(out, (0, 1))):
        proba = out.reshape(xx.shape)
        labels = (out >= 0.5).astype(int)
    else:
        labels = np.rint(out).astype(int)
    return xx, yy, labels.reshape(xx.shape), proba


def decision_boundary(predict: Callable, X, y=None, *, ax=None, resolution: int = 200, padding: float = 0.1,
                      title: str | None = None):
    """The regions a 2-D classifier assigns to each class, with the data on top.

    Args:
        predict, X, resolution, padding: as in ``boundary_grid``.
        y: the true labels ``(N,)`` to colour the points by (optional).
        ax: an Axes to draw into; default a new figure.
        title: the axes title.

    Returns:
        the Figure: filled class regions (or the probability of class 1 with
        its 0.5 contour), the ``N`` points (one scatter per class, each with its
        colour and marker from :data:`CLASS_COLOURS`, :data:`CLASS_MARKERS`), and a legend.

    Example:
        >>> X, y = sklearn.datasets.make_moons(200, noise=0.2, random_state=0)
        >>> fig = dlkit.plot.decision_boundary(lambda P: (P[:, 1] > 0.25).astype(int), X, y)
    """
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap
    from matplotlib.lines import Line2D

    X = _points_2d(X)
    xx, yy, labels, proba = boundary_grid(predict, X, resolution=resolution, padding=padding)
    fig, ax = figure_and_axes(ax, figsize=(5.0, 4.2))
    classes = None if y is None else to_numpy(y, "y").ravel()
    if classes is not None and classes.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per point: X has {X.shape[0]} points, y has shape {classes.shape}.")
    handles = []
    if proba is not None:
        ramp = LinearSegmentedColormap.from_list("class0-white-class1", [CLASS_COLOURS[0], "#FFFFFF", CLASS_COLOURS[1]])
        ax.contourf(xx, yy, proba, levels=np.linspace(0, 1, 11), cmap=ramp, alpha=0.4)
        if proba.min() < 0.5 < proba.max():  # the boundary exists inside the window
            ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=1.5)
            handles.append(Line2D([], [], color="k", linewidth=1.5, label="boundary (output 0.5)"))
    else:
        n_classes = int(max(labels.max(), 0 if classes is None else np.max(classes))) + 1
        palette = ListedColormap([CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n_classes)])
        ax.contourf(xx, yy, labels, levels=np.arange(-0.5, n_classes), cmap=palette, vmin=-0.5,
                    vmax=n_classes - 0.5, alpha=0.3)
    if classes is None:
        ax.scatter(X[:, 0], X[:, 1], color="#555555", edgecolors="k", linewidths=0.5, s=22)
    else:
        for k in np.unique(classes).astype(int):
            mask = classes == k
            ax.scatter(X[mask, 0], X[mask, 1], color=CLASS_COLOURS[k % len(CLASS_COLOURS)],
                       marker=CLASS_MARKERS[k % len(CLASS_MARKERS)], edgecolors="k", linewidths=0.5, s=24,
                       label=f"class {k}")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if classes is not None or handles:
        ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, loc="best", fontsize=8, framealpha=0.85)
    if title:
        ax.set_title(title)
    return fig


def neuron_output(X, w1: float, w2: float, b: float) -> np.ndarray:
    """A single sigmoid neuron on 2-D points: ``sigma(w1 * x1 + w2 * x2 + b)``, shape ``(N,)`` for ``X`` ``(N, 2)``."""
    X = _points_2d(X).astype(float)
    sigmoid = ACTIVATIONS["sigmoid"][0]
    return sigmoid(w1 * X[:, 0] + w2 * X[:, 1] + b)


def neuron_accuracy(X, y, w1: float, w2: float, b: float) -> float:
    """Fraction of points the neuron classifies right (class 1 where its output is at least 0.5)."""
    y = to_numpy(y, "y").ravel()
    out = neuron_output(X, w1, w2, b)
    if y.shape != out.shape:
        raise ValueError(f"y must have one 0/1 label per point: X has {out.shape[0]} points, y has shape {y.shape}.")
    return float(np.mean((out >= 0.5).astype(int) == y))


def neuron(X, y, w1: float, w2: float, b: float, *, ax=None):
    """A single sigmoid neuron's output over the plane, its boundary ``w1 x1 + w2 x2 + b = 0`` and its accuracy.

    Args:
        X: points, shape ``(N, 2)``; y: their 0/1 labels, shape ``(N,)``.
        w1, w2, b: the neuron's weights and bias.
        ax: an Axes to draw into; default a new figure.

    Returns:
        the Figure; the title states the weights and the accuracy.

    Example:
        >>> fig = dlkit.plot.neuron(X, y, w1=2.0, w2=-1.0, b=0.5)
    """
    acc = neuron_accuracy(X, y, w1, w2, b)
    title = f"w1={w1:.2f}, w2={w2:.2f}, b={b:.2f}: accuracy {acc:.0%}"  # plain text: the widget caption shows it
    return decision_boundary(lambda P: neuron_output(P, w1, w2, b), X, y, ax=ax, resolution=120, title=title)
