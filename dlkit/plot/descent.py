"""Gradient descent on 2-D loss surfaces: the path and its figure (lessons 02 and 05)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlkit.plot._base import figure_and_axes


@dataclass(frozen=True)
class Surface:
    """A 2-D loss ``f(w1, w2)``, its gradient, a default start and the window to draw."""

    loss: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    start: tuple[float, float]
    window: tuple[tuple[float, float], tuple[float, float]]
    log_levels: bool = False


#: Built-in surfaces: a round bowl, an elongated valley (condition number 10) and Rosenbrock's banana.
SURFACES: dict[str, Surface] = {
    "bowl": Surface(lambda a, b: a**2 + b**2, lambda a, b: (2 * a, 2 * b), (-2.5, 2.0), ((-3, 3), (-3, 3))),
    "elongated": Surface(lambda a, b: 0.5 * (a**2 + 10 * b**2), lambda a, b: (a, 10 * b), (-2.5, 1.5),
                         ((-3, 3), (-2, 2))),
    "rosenbrock": Surface(lambda a, b: (1 - a) ** 2 + 100 * (b - a**2) ** 2,
                          lambda a, b: (-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)), (-1.5, 2.0),
                          ((-2, 2), (-1, 3)), log_levels=True),
}


def _surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface in SURFACES:
        return SURFACES[surface]
    raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)} or pass a dlkit.plot.Surface.")


def gradient_descent_path(grad: Callable, start, lr: float, steps: int, *, momentum: float = 0.0,
                          limit: float = 1e6) -> np.ndarray:
    """The points gradient descent visits, shape ``(k + 1, 2)`` with ``k <= steps``.

    ``v <- momentum * v - lr * grad(p);  p <- p + v``  (plain descent when ``momentum = 0``).
    The path stops early once a coordinate leaves ``[-limit, limit]`` or stops
    being finite (the learning rate is too large: descent diverged), so its
    last point is the first one outside.

    Args:
        grad: ``grad(w1, w2) -> (dL/dw1, dL/dw2)``.
        start: the first point ``(w1, w2)``.
        lr: the learning rate, > 0.
        steps: how many updates, >= 0.
        momentum: in ``[0, 1)``.

    Example:
        >>> gradient_descent_path(lambda a, b: (2 * a, 2 * b), (1.0, 1.0), lr=0.25, steps=2)
        array([[1.  , 1.  ],
               [0.5 , 0.5 ],
               [0.25, 0.25]])
    """
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}.")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}.")
    p = np.array(start, dtype=float)
    if p.shape != (2,):
        raise ValueError(f"start must be a point (w1, w2), got {start!r}.")
    v = np.zeros(2)
    path = [p.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps)):
            g = np.asarray(grad(p[0], p[1]), dtype=float)
            v = momentum * v - lr * g
            p = p + v
            path.append(p.copy())
            if not np.all(np.isfinite(p)) or np.abs(p).max() > limit:
                break
    return np.array(path)


def descent_path(surface: str | Surface = "elongated", *, lr: float = 0.1, steps: int = 30, start=None,
                 momentum: float = 0.0, ax=None):
    """Contours of a 2-D loss surface and the path gradient descent takes on it.

    Args:
        surface: ``"bowl"``, ``"elongated"``, ``"rosenbrock"`` or a ``Surface``.
        lr, steps, momentum: as in ``gradient_descent_path``.
        start: the first point; default the surface's.
        ax: an Axes to draw into; default a new figure.

    Returns:
        the Figure: loss contours, and one line through the ``steps + 1``
        visited points (fewer when it diverged); the title gives the final loss.

    Example:
        >>> fig = dlkit.plot.descent_path("elongated", lr=0.19, steps=40)   # zig-zags, then converges
    """
    s = _surface(surface)
    path = gradient_descent_path(s.grad, s.start if start is None else start, lr, steps, momentum=momentum)
    (x0, x1), (y0, y1) = s.window
    xx, yy = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 160))
    zz = s.loss(xx, yy)
    fig, ax = figure_and_axes(ax, figsize=(5.2, 4.2))
    levels = np.geomspace(max(zz.min(), 1e-3), zz.max(), 20) if s.log_levels else 20
    ax.contour(xx, yy, zz, levels=levels, cmap="viridis", linewidths=0.8)
    ax.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=3, linewidth=1.2, label="path")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    diverged = not np.all(np.isfinite(path[-1])) or np.abs(path[-1]).max() > 1e6
    if diverged:
        ax.set_title(f"lr={lr:g}: diverged after {len(path) - 1} steps")
    else:
        ax.set_title(f"lr={lr:g}: loss {float(s.loss(*path[-1])):.3g} after {len(path) - 1} steps")
    return fig
