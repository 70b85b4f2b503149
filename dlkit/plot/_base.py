"""Shared figure plumbing for dlkit.plot: new figures, array conversion, grid sizes."""

from __future__ import annotations

import math

import numpy as np


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = False, **subplot_kw):
    """A new Figure and its axes array of shape ``(nrows, ncols)``, not left open in pyplot.

    The figure is created through pyplot (so a notebook's inline backend is
    set up and knows how to show it) and then closed: it is shown once when
    it is the last value of a cell, and a loop that draws hundreds of figures
    leaks none of them.
    """
    import matplotlib.pyplot as plt

    if figsize is None:
        figsize = (3.2 * ncols + 0.6, 2.9 * nrows + 0.4)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=squeeze, subplot_kw=subplot_kw or None)
    plt.close(fig)
    return fig, axes


def figure_and_axes(ax=None, *, figsize=(5.0, 4.0)):
    """``(fig, ax)``: the caller's axes and its figure, or a new single-axes figure."""
    if ax is None:
        fig, axes = new_figure(1, 1, figsize=figsize)
        return fig, axes[0, 0]
    if not hasattr(ax, "get_figure") or not hasattr(ax, "plot"):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()), got {type(ax).__name__}.")
    return ax.get_figure(), ax


def to_numpy(x, name: str) -> np.ndarray:
    """``x`` (numpy array, list or torch tensor on any device) as a numpy array; never a view the caller can mutate."""
    if type(x).__module__.startswith("torch"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.array(x, copy=True)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be array-like (numpy array, list or torch tensor), got {type(x).__name__}.") from err
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__} holding Python objects. "
                        f"Pass a numpy array or a tensor of numbers.")
    return arr


def grid_shape(n: int, ncols: int) -> tuple[int, int]:
    """``(rows, cols)`` of a grid that holds ``n`` panels with at most ``ncols`` per row."""
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}.")
    cols = max(1, min(int(ncols), n))
    return max(1, math.ceil(n / cols)), cols


def hide_unused(axes: np.ndarray, used: int) -> None:
    """Turn off the axes of a grid after the first ``used`` panels."""
    for ax in axes.ravel()[used:]:
        ax.set_visible(False)
