"""Image figures: grids with labels and predictions, conv filters and feature maps, GAN samples, saliency (lessons 08, 10, 12)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from dlkit.plot._base import figure_and_axes, grid_shape, hide_unused, new_figure, to_numpy


def as_images(images, name: str = "images", *, image_shape=None) -> np.ndarray:
    """A batch of images as ``(N, H, W)`` (grey) or ``(N, H, W, 3)`` (colour) floats, for ``imshow``.

    Accepts ``(N, H, W)``; ``(N, C, H, W)`` with C in {1, 3} (PyTorch layout);
    ``(N, H, W, C)`` with C in {1, 3}; and flat rows ``(N, D)`` that are reshaped
    to ``image_shape`` or, by default, to a square (digits: 64 -> 8 x 8).
    Colour images outside ``[0, 1]`` are rescaled to it per image.
    """
    x = to_numpy(images, name).astype(float)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        shape = tuple(image_shape) if image_shape is not None else (side, side)
        if math.prod(shape) != x.shape[1]:
            raise ValueError(f"{name} has shape {x.shape}: rows of {x.shape[1]} values that are not a square image. "
                             f"Pass image_shape=(H, W) or reshape to (N, H, W).")
        x = x.reshape((x.shape[0], *shape))
    if x.ndim == 4:
        if x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
            x = x.transpose(0, 2, 3, 1)
        if x.shape[-1] == 1:
            x = x[..., 0]
        elif x.shape[-1] != 3:
            raise ValueError(f"{name} has shape {x.shape}; expected 1 or 3 channels in (N, C, H, W) or (N, H, W, C).")
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} must hold a batch of images: (N, H, W), (N, C, H, W), (N, H, W, C) or flat "
                         f"(N, H*W); got shape {x.shape}. For one image, add a batch axis: x[None].")
    if x.ndim == 4:
        low = x.min(axis=(1, 2, 3), keepdims=True)
        high = x.max(axis=(1, 2, 3), keepdims=True)
        outside = (low < 0) | (high > 1)
        x = np.where(outside, (x - low) / np.maximum(high - low, 1e-12), x)
    return x


def _draw_panels(panels: np.ndarray, titles: Sequence[str], *, ncols: int, cmap: str, symmetric: bool = False,
                 colours: Sequence[str] | None = None, size: float = 1.4):
    """One image per axes on a grid; returns the Figure."""
    rows, cols = grid_shape(len(panels), ncols)
    fig, axes = new_figure(rows, cols, figsize=(size * cols + 0.4, (size + 0.35) * rows + 0.3))
    for i, (ax, img) in enumerate(zip(axes.ravel(), panels)):
        scale = {}
        if symmetric and img.ndim == 2:
            bound = float(np.abs(img).max()) or 1.0
            scale = {"vmin": -bound, "vmax": bound}
        ax.imshow(img, cmap=None if img.ndim == 3 else cmap, interpolation="nearest", **scale)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles[i]:
            ax.set_title(titles[i], fontsize=9, color=(colours[i] if colours else "black"))
    hide_unused(axes, len(panels))
    fig.tight_layout()
    return fig


def _name(classes, k) -> str:
    k = int(k)
    return str(classes[k]) if classes is not None else str(k)


def image_grid(images, labels=None, predictions=None, *, class_names: Sequence[str] | None = None, ncols: int = 8,
               image_shape=None, cmap: str = "gray", max_images: int = 64):
    """A grid of images, each titled with its label, or its prediction (green if right, red if wrong).

    Args:
        images: ``(N, H, W)``, ``(N, C, H, W)``, ``(N, H, W, C)`` or flat ``(N, H*W)``
            (numpy or torch); see ``as_images``.
        labels: the true classes ``(N,)`` (optional).
        predictions: the predicted classes ``(N,)`` (optional).
        class_names: names to show instead of class indices.
        ncols: images per row.
        max_images: draw at most this many (the first ones).

    Returns:
        the Figure, one visible axes per image drawn.

    Example:
        >>> fig = dlkit.plot.image_grid(ds.X_test[:16], ds.y_test[:16], predictions=pred[:16])
    """
    x = as_images(images, image_shape=image_shape)[:max_images]
    n = len(x)
    truth = None if labels is None else to_numpy(labels, "labels").ravel()[:n]
    guess = None if predictions is None else to_numpy(predictions, "predictions").ravel()[:n]
    for arr, what in ((truth, "labels"), (guess, "predictions")):
        if arr is not None and len(arr) != n:
            raise ValueError(f"{what} must have one entry per image: {n} images, {len(arr)} {what}.")
    titles, colours = [], []
    for i in range(n):
        if guess is not None and truth is not None:
            right = int(guess[i]) == int(truth[i])
            titles.append(_name(class_names, guess[i]) if right
                          else f"{_name(class_names, guess[i])} (true {_name(class_names, truth[i])})")
            colours.append("green" if right else "red")
        elif guess is not None:
            titles.append(f"pred {_name(class_names, guess[i])}")
            colours.append("black")
        else:
            titles.append("" if truth is None else _name(class_names, truth[i]))
            colours.append("black")
    return _draw_panels(x, titles, ncols=ncols, cmap=cmap, colours=colours)


def filters(weight, *, ncols: int = 8, channel: int = 0, max_filters: int = 64):
    """The learned filters of a conv layer, one small image per filter.

    Args:
        weight: ``(F, C, kh, kw)``, e.g. ``model.conv1.weight``. With C = 3 each
            filter is shown in colour; otherwise input channel ``channel``, in a
            red-blue map centred on zero (red positive, blue negative).
        ncols: filters per row; max_filters: draw at most this many.

    Returns:
        the Figure, one visible axes per filter drawn.

    Example:
        >>> fig = dlkit.plot.filters(model.conv1.weight)   # (8, 1, 3, 3) -> 8 panels
    """
    w = to_numpy(weight, "weight").astype(float)
    if w.ndim != 4:
        raise ValueError(f"weight must be a conv weight of shape (F, C, kh, kw), got shape {w.shape}.")
    w = w[:max_filters]
    if w.shape[1] == 3:
        panels = as_images(w, "weight")
        symmetric = False
    else:
        if not 0 <= channel < w.shape[1]:
            raise ValueError(f"channel must be in [0, {w.shape[1]}) for a weight with {w.shape[1]} input channels, "
                             f"got {channel}.")
        panels, symmetric = w[:, channel], True
    return _draw_panels(panels, [f"filter {i}" for i in range(len(w))], ncols=ncols, cmap="RdBu_r",
                        symmetric=symmetric)


def feature_maps(maps, *, ncols: int = 8, max_maps: int = 64, cmap: str = "viridis"):
    """The activations of a conv layer for one input, one image per channel.

    Args:
        maps: ``(C, H, W)`` or ``(1, C, H, W)`` (a batch of one).
        ncols: maps per row; max_maps: draw at most this many.

    Returns:
        the Figure, one visible axes per channel drawn.

    Example:
        >>> fig = dlkit.plot.feature_maps(model.conv1(x[:1]))
    """
    m = to_numpy(maps, "maps").astype(float)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (C, H, W) or (1, C, H, W), got shape {m.shape}. "
                         f"For a batch, pick one input: maps[:1].")
    m = m[:max_maps]
    return _draw_panels(m, [f"channel {i}" for i in range(len(m))], ncols=ncols, cmap=cmap)


def gan_samples(snapshots, *, steps: Sequence | None = None, real=None, n_samples: int = 8, image_shape=None):
    """What a GAN's generator produced as training went on: one row (images) or panel (2-D points) per snapshot.

    Args:
        snapshots: a list of generator outputs, one per moment of training, or
            a dict ``{step: samples}``. Each is a batch of images (any layout
            ``image_grid`` takes) or of 2-D points ``(N, 2)``.
        steps: the label of each snapshot (epoch or step); default its index,
            or the dict keys.
        real: for 2-D points, real data ``(M, 2)`` drawn in grey behind each panel.
        n_samples: images per row.

    Returns:
        the Figure: ``len(snapshots)`` rows of ``n_samples`` images, or
        ``len(snapshots)`` scatter panels.

    Example:
        >>> fig = dlkit.plot.gan_samples({1: G(z1), 10: G(z10), 50: G(z50)})
    """
    if isinstance(snapshots, Mapping):
        steps = list(snapshots) if steps is None else steps
        snapshots = list(snapshots.values())
    if not isinstance(snapshots, Sequence) or isinstance(snapshots, str) or len(snapshots) == 0:
        raise TypeError(f"snapshots must be a non-empty list (or dict) of sample batches, got {type(snapshots).__name__}.")
    steps = list(range(len(snapshots))) if steps is None else list(steps)
    if len(steps) != len(snapshots):
        raise ValueError(f"steps must label every snapshot: {len(snapshots)} snapshots, {len(steps)} steps.")
    first = to_numpy(snapshots[0], "snapshots[0]")
    if first.ndim == 2 and first.shape[1] == 2 and image_shape is None:
        fig, axes = new_figure(1, len(snapshots), figsize=(2.8 * len(snapshots) + 0.4, 3.0))
        background = None if real is None else to_numpy(real, "real")
        for i, (ax, snap) in enumerate(zip(axes.ravel(), snapshots)):
            pts = to_numpy(snap, f"snapshots[{i}]")
            if background is not None:
                ax.scatter(background[:, 0], background[:, 1], s=4, color="lightgray", label="real")
            ax.scatter(pts[:, 0], pts[:, 1], s=4, color="crimson", label="generated")
            ax.set_title(f"step {steps[i]}")
        axes.ravel()[0].legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig
    rows = [as_images(s, f"snapshots[{i}]", image_shape=image_shape)[:n_samples] for i, s in enumerate(snapshots)]
    cols = max(len(r) for r in rows)
    fig, axes = new_figure(len(rows), cols, figsize=(1.2 * cols + 0.8, 1.25 * len(rows) + 0.3))
    for r, row in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(row):
                ax.imshow(row[c], cmap=None if row[c].ndim == 3 else "gray", interpolation="nearest")
            else:
                ax.set_visible(False)
        axes[r, 0].set_ylabel(f"step {steps[r]}", fontsize=9)
    fig.tight_layout()
    return fig


def saliency(image, saliency_map, *, alpha: float = 0.5, ax=None, cmap: str = "hot", image_shape=None):
    """An image, how much each pixel matters to the prediction, and the two overlaid.

    Args:
        image: one image ``(H, W)``, ``(C, H, W)``, ``(H, W, C)`` or flat ``(H*W,)``.
        saliency_map: ``(H, W)`` or per channel ``(C, H, W)`` (reduced by the
            largest absolute value over channels), e.g. ``|d score / d pixel|``.
        alpha: opacity of the saliency layer in the overlay.
        ax: an Axes for the overlay alone; default a new figure with three
            panels: image, saliency, overlay.

    Returns:
        the Figure.

    Example:
        >>> fig = dlkit.plot.saliency(x[0], grad[0].abs())
    """
    img = as_images(to_numpy(image, "image")[None], "image", image_shape=image_shape)[0]
    sal = to_numpy(saliency_map, "saliency_map").astype(float)
    if sal.ndim == 1:
        sal = sal.reshape(img.shape[:2]) if sal.size == img.shape[0] * img.shape[1] else sal
    if sal.ndim == 3:
        sal = np.abs(sal).max(axis=0 if sal.shape[0] in (1, 3) else -1)
    if sal.shape != img.shape[:2]:
        raise ValueError(f"saliency_map must have the image's height and width {img.shape[:2]}, got shape {sal.shape}.")
    grey = {} if img.ndim == 3 else {"cmap": "gray"}
    if ax is not None:
        fig, ax = figure_and_axes(ax)
        panels = [("overlay", ax)]
    else:
        fig, axes = new_figure(1, 3, figsize=(8.4, 3.0))
        panels = list(zip(("image", "saliency", "overlay"), axes.ravel()))
    for title, panel in panels:
        if title in ("image", "overlay"):
            panel.imshow(img, interpolation="nearest", **grey)
        if title in ("saliency", "overlay"):
            panel.imshow(sal, cmap=cmap, alpha=alpha if title == "overlay" else 1.0, interpolation="nearest")
        panel.set_title(title)
        panel.set_xticks([])
        panel.set_yticks([])
    fig.tight_layout()
    return fig


def attributions(images, maps: Mapping[str, object], *, titles: Sequence[str] | None = None, signed=None,
                 size: float = 1.9):
    """Attribution maps side by side with the images they explain: one row per image, one column per method.

    Args:
        images: ``(N, 1, H, W)``, ``(N, H, W)`` or flat ``(N, H*W)`` grey images.
        maps: method name -> its maps, each of the images' shape (e.g. ``{"saliency": s, "IG": ig}``).
        titles: a title per row (e.g. ``"label 3"``), shown over the image.
        signed: the method names whose maps have a sign (drawn red positive, blue negative, 0 white,
            on a scale symmetric about 0); default every map with a negative value. The others are
            drawn from white to black.
        size: inches per panel.

    Every panel has its own colourbar, since methods measure in different units.

    Returns:
        the Figure.

    Example:
        >>> fig = dlkit.plot.attributions(x[:3], {"saliency": sal, "integrated gradients": ig})
    """
    imgs = as_images(images, "images")
    if imgs.ndim != 3:
        raise ValueError(f"images must be grey images; got colour images of shape {imgs.shape}.")
    if not isinstance(maps, Mapping) or not maps:
        raise TypeError("maps must be a non-empty dict: method name -> attribution maps of the images' shape.")
    panels = {}
    for name, m in maps.items():
        arr = to_numpy(m, f"maps[{name!r}]").astype(float)
        if arr.size != imgs.size:
            raise ValueError(f"maps[{name!r}] must hold one map per image, {imgs.shape[0]} maps of "
                             f"{imgs.shape[1]}x{imgs.shape[2]}; got shape {arr.shape}.")
        panels[name] = arr.reshape(imgs.shape)
    if signed is None:
        signed = [name for name, arr in panels.items() if (arr < 0).any()]
    if titles is not None and len(titles) != len(imgs):
        raise ValueError(f"titles must have one entry per image ({len(imgs)}), got {len(titles)}.")
    rows, cols = len(imgs), 1 + len(panels)
    fig, axes = new_figure(rows, cols, figsize=(size * 1.25 * cols, size * rows + 0.4))
    for r in range(rows):
        ax = axes[r, 0]
        ax.imshow(imgs[r], cmap="gray", interpolation="nearest")
        ax.set_title(titles[r] if titles is not None else "image", fontsize=9)
        for c, (name, arr) in enumerate(panels.items(), start=1):
            ax = axes[r, c]
            if name in signed:
                bound = float(np.abs(arr[r]).max()) or 1.0
                shown = ax.imshow(arr[r], cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
            else:
                shown = ax.imshow(arr[r], cmap="Greys", vmin=0, interpolation="nearest")
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
            if r == 0:
                ax.set_title(name, fontsize=9)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig
