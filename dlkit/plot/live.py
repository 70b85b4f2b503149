"""A training plot that redraws itself in place each epoch, or prints one line per epoch where it cannot."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence

from dlkit.plot.curves import _history_columns, curves

MODES = ("auto", "display", "print", "off")
_ENV = "DLKIT_LIVE_PLOT"


def epoch_line(columns: Mapping[str, Sequence[float]], epoch: int, epochs: int | None = None) -> str:
    """One line summing up an epoch: ``"epoch 3/20  loss 0.4123  accuracy 0.8812  val_loss 0.4410 ..."``.

    Args:
        columns: name -> per-epoch values (a ``History``'s ``metrics``).
        epoch: which epoch, counting from 1.
        epochs: the planned number of epochs, shown as ``/epochs`` when given.
    """
    parts = [f"epoch {epoch}" + (f"/{epochs}" if epochs else "")]
    for name, values in columns.items():
        if len(values) >= epoch and name != "time":
            parts.append(f"{name} {values[epoch - 1]:.4g}")
    return "  ".join(parts)


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter/Colab kernel that can show and update rich output."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def resolve_mode(mode: str = "auto") -> str:
    """``"display"`` or ``"print"`` (or ``"off"``) for a requested mode.

    ``"auto"`` shows the figure in a notebook kernel and prints elsewhere (a
    terminal, a script, pytest). The environment variable ``DLKIT_LIVE_PLOT``
    (``print`` or ``display``) overrides ``auto``; so does ``CI`` being set,
    which selects ``print``, as plain nbclient execution has no one to look
    at a figure that changes.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
    if mode != "auto":
        return mode if mode != "display" or in_notebook() else "print"
    forced = os.environ.get(_ENV, "").strip().lower()
    if forced in ("print", "display", "off"):
        return forced if forced != "display" or in_notebook() else "print"
    if forced:
        raise ValueError(f"{_ENV}={forced!r} is not understood; set it to 'print', 'display' or 'off', or unset it.")
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return "print"
    return "display" if in_notebook() else "print"


class LivePlot:
    """Training curves that update in place once per epoch (``fit(..., live_plot=True)`` makes one).

    In JupyterLab and Colab the curves are one output that is replaced each
    epoch (an IPython display handle); in a terminal, a script or CI it prints
    one summary line per epoch instead (see ``resolve_mode``).

    Args:
        metrics: the panels to draw (as ``dlkit.plot.curves``); default all.
        mode: ``"auto"``, ``"display"``, ``"print"`` or ``"off"``.
        file: where printed lines go; default ``sys.stdout`` at print time.

    Example:
        >>> live = LivePlot()
        >>> for epoch in range(3):
        ...     hist["loss"].append(...); live.update(hist)
        >>> live.close()
    """

    def __init__(self, metrics: str | Sequence[str] | None = None, *, mode: str = "auto", file=None):
        self.metrics = metrics
        self.mode = resolve_mode(mode)
        self.file = file
        self.epochs: int | None = None
        self.figure = None
        self.updates = 0
        self._handle = None

    def __repr__(self) -> str:
        return f"LivePlot(mode={self.mode!r}, updates={self.updates})"

    def start(self, epochs: int | None = None) -> LivePlot:
        """Note the planned number of epochs (for ``epoch 3/20``); returns ``self``."""
        self.epochs = epochs
        return self

    def update(self, history) -> None:
        """Show the latest epoch of ``history`` (a ``History`` or a dict of per-epoch lists)."""
        columns, _ = _history_columns(history)
        epoch = max((len(v) for v in columns.values()), default=0)
        if epoch == 0 or self.mode == "off":
            return
        self.updates += 1
        line = epoch_line(columns, epoch, self.epochs)
        if self.mode == "print":
            print(line, file=self.file if self.file is not None else sys.stdout, flush=True)
            return
        from IPython.display import Image, display

        self.figure = curves(history, self.metrics)
        self.figure.suptitle(line, fontsize=9)
        self.figure.tight_layout()
        # A PNG, not the Figure: it shows whatever matplotlib backend the kernel runs.
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90)
        picture = Image(data=buffer.getvalue(), format="png")
        if self._handle is None:
            self._handle = display(picture, display_id=True)
        else:
            self._handle.update(picture)

    def close(self) -> None:
        """Stop updating: the last figure stays where it is."""
        self._handle = None
