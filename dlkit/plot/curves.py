"""Training curves (train vs validation), hyperparameter-search results (lessons 04 to 07) and trade-offs (12)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from dlkit.plot._base import figure_and_axes, new_figure

_NOT_METRICS = ("lr", "time", "epoch")


def _history_columns(history) -> tuple[dict[str, list[float]], int | None]:
    """``(columns, best_epoch)`` from a ``dlkit.train.History`` or a mapping name -> per-epoch values."""
    if hasattr(history, "metrics") and isinstance(history.metrics, Mapping):
        return dict(history.metrics), getattr(history, "best_epoch", None)
    if isinstance(history, Mapping):
        return dict(history), None
    raise TypeError(
        f"history must be a dlkit.train.History or a dict such as {{'loss': [...], 'val_loss': [...]}}, "
        f"got {type(history).__name__}."
    )


def curves(history, metrics: str | Sequence[str] | None = None, *, ax=None):
    """Per-epoch training curves, train vs validation, one panel per metric.

    Args:
        history: a ``dlkit.train.History`` (from ``fit``) or a dict of
            per-epoch lists, e.g. ``{"loss": [...], "val_loss": [...]}``.
            A key ``val_<m>`` is drawn in the same panel as ``<m>``.
        metrics: which panels to draw, e.g. ``"loss"`` or ``("loss", "accuracy")``;
            default every metric in the history, loss first.
        ax: an Axes to draw into; only when a single metric is drawn.

    Returns:
        the matplotlib Figure. Each panel has a ``train`` line, a
        ``validation`` line when the history has one, and a dashed vertical
        line at the best epoch when the history knows it.

    Example:
        >>> fig = dlkit.plot.curves({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.8]})
    """
    columns, best_epoch = _history_columns(history)
    available = []
    for key in columns:
        base = key[4:] if key.startswith("val_") else key
        if base not in available and base not in _NOT_METRICS:
            available.append(base)
    available = sorted(available, key=lambda m: m != "loss")  # stable: loss first, the rest in order
    if metrics is None:
        metrics = available
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    missing = [m for m in metrics if m not in available]
    if missing or not metrics:
        raise ValueError(f"history has no values for {missing or 'any metric'}; it holds {available}.")
    if ax is not None and len(metrics) != 1:
        raise ValueError(f"ax holds one panel but {len(metrics)} metrics were asked for ({metrics}); "
                         f"pass metrics='loss' (one name) or leave ax=None.")
    if ax is None:
        fig, axes = new_figure(1, len(metrics), figsize=(4.6 * len(metrics), 3.4))
        axes = list(axes.ravel())
    else:
        fig, ax = figure_and_axes(ax)
        axes = [ax]
    for panel, metric in zip(axes, metrics):
        for key, label, style in ((metric, "train", "-"), ("val_" + metric, "validation", "-")):
            values = columns.get(key)
            if values is not None and len(values):
                epochs = np.arange(1, len(values) + 1)
                panel.plot(epochs, np.asarray(values, dtype=float), style, marker="o", markersize=3, label=label)
        if best_epoch is not None:
            panel.axvline(best_epoch, color="gray", linestyle="--", linewidth=1, label=f"best epoch {best_epoch}")
        panel.set_title(metric)
        panel.set_xlabel("epoch")
        panel.set_ylabel(metric)
        panel.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def _as_columns(results) -> dict[str, list]:
    """A list of dicts or a dict of lists, as a dict of equal-length lists."""
    if isinstance(results, Mapping):
        columns = {str(k): list(v) for k, v in results.items()}
    elif isinstance(results, Sequence) and results and all(isinstance(r, Mapping) for r in results):
        keys = list(dict.fromkeys(k for r in results for k in r))
        columns = {str(k): [r.get(k) for r in results] for k in keys}
    else:
        raise TypeError(
            f"results must be a non-empty list of dicts (one per trial, e.g. {{'lr': 0.1, 'score': 0.9}}) "
            f"or a dict of lists such as scikit-learn's cv_results_; got {type(results).__name__}."
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"every column of results must have one value per trial; got lengths {sorted(lengths)}.")
    return columns


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def hyperparameter_search(results, *, score: str = "score", params: Sequence[str] | None = None,
                          higher_is_better: bool = True):
    """Score against each hyperparameter, one panel per hyperparameter, best trial starred.

    Args:
        results: one entry per trial: a list of dicts ``[{"lr": 0.1, "width": 32,
            "score": 0.91}, ...]`` or a dict of lists (scikit-learn's
            ``cv_results_`` works with ``score="mean_test_score"``; its
            ``param_<name>`` columns are drawn under ``<name>``).
        score: the column holding each trial's score.
        params: the hyperparameters to draw; default every other column that
            varies. Numbers are drawn on a log axis when they span 100x or
            more; anything else (e.g. optimizer names) as categories.
        higher_is_better: whether the best trial has the largest score (accuracy)
            or the smallest (loss).

    Returns:
        the Figure; one panel per hyperparameter with ``n_trials`` points and
        the best trial as a star; the figure title names the best trial.

    Example:
        >>> fig = dlkit.plot.hyperparameter_search([{"lr": 1e-3, "score": 0.8}, {"lr": 1e-1, "score": 0.9}])
    """
    columns = _as_columns(results)
    if score not in columns:
        raise ValueError(f"results have no column {score!r}; columns are {list(columns)}. Pass score='<column name>'.")
    y = np.asarray(columns[score], dtype=float)
    names = {k: (k[len("param_"):] if k.startswith("param_") else k) for k in columns if k != score}
    if params is None:
        params = [k for k in names if len({repr(v) for v in columns[k]}) > 1
                  and (k.startswith("param_") or not any(s in k for s in ("score", "time", "rank")))]
    else:
        lookup = {names[k]: k for k in names} | {k: k for k in names}
        unknown = [p for p in params if p not in lookup]
        if unknown:
            raise ValueError(f"results have no hyperparameter {unknown}; columns are {list(columns)}.")
        params = [lookup[p] for p in params]
    if not params:
        raise ValueError("results have no hyperparameter that varies between trials; nothing to plot.")
    best = int(np.nanargmax(y) if higher_is_better else np.nanargmin(y))
    fig, axes = new_figure(1, len(params), figsize=(4.0 * len(params), 3.4))
    for ax, key in zip(axes.ravel(), params):
        values = columns[key]
        if all(_is_number(v) for v in values):
            x = np.asarray(values, dtype=float)
            if x.min() > 0 and x.max() / x.min() >= 100:
                ax.set_xscale("log")
        else:
            categories = list(dict.fromkeys(str(v) for v in values))
            x = np.asarray([categories.index(str(v)) for v in values], dtype=float)
            ax.set_xticks(range(len(categories)), categories)
        ax.scatter(x, y, alpha=0.7, label="trial")
        ax.scatter(x[best], y[best], marker="*", s=220, color="crimson", zorder=3, label="best")
        ax.set_xlabel(names[key])
        ax.set_ylabel(score)
        ax.legend(loc="best", fontsize="small")
    summary = ", ".join(f"{names[k]}={columns[k][best]}" for k in params)
    fig.suptitle(f"best: {summary} ({score} {y[best]:.4g})")
    fig.tight_layout()
    return fig


def tradeoff(points: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, xlabel: str, ylabel: str,
             annotate: Mapping[str, Sequence[str]] | None = None, ax=None):
    """A trade-off between two measures: one line of points per method (e.g. unfairness against accuracy).

    Args:
        points: method name -> ``(x values, y values)``, equal lengths.
        xlabel, ylabel: the axis labels, in the lesson's notation.
        annotate: method name -> a short text per point (e.g. the setting that produced it).
        ax: an Axes to draw into; default a new figure.

    Returns:
        the Figure.

    Example:
        >>> fig = dlkit.plot.tradeoff({"per-group thresholds": (dp, acc)}, xlabel="DP difference", ylabel="accuracy")
    """
    from dlkit.plot.boundary import CLASS_COLOURS, CLASS_MARKERS

    if not isinstance(points, Mapping) or not points:
        raise TypeError("points must be a non-empty dict: method name -> (x values, y values).")
    fig, ax = figure_and_axes(ax, figsize=(5.6, 4.0))
    for k, (name, (xs, ys)) in enumerate(points.items()):
        xs, ys = np.asarray(xs, dtype=float).reshape(-1), np.asarray(ys, dtype=float).reshape(-1)
        if xs.shape != ys.shape:
            raise ValueError(f"points[{name!r}]: {xs.size} x values but {ys.size} y values; give one of each per point.")
        ax.plot(xs, ys, marker=CLASS_MARKERS[k % 8], color=CLASS_COLOURS[k % 8], label=name)
        for x, y, text in zip(xs, ys, (annotate or {}).get(name, ())):
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
