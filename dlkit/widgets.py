"""Interactive explorers for lessons 01, 02 and 05: move a slider, watch the figure change.

Each explorer is an ipywidgets box holding its controls, a picture of a
matplotlib figure and a caption. The figure is drawn by a plain function of
``dlkit.plot`` (``activation``, ``neuron``, ``descent_path``) whose numbers come
from a pure function (``activation_curve``, ``neuron_accuracy``,
``gradient_descent_path``), so tests and widget-less viewers get the same
picture.

Where the explorer is shown depends on who shows it (:func:`live_frontend`):
a frontend that runs widgets (JupyterLab, Notebook 7, Colab) gets the live
widget; anything else (nbconvert's HTML, a book built from executed
notebooks, GitHub) gets only the current figure, as a PNG and as an HTML
``<img>``, so a static page never shows an empty widget area. The picture is
drawn at :data:`PNG_DPI` and shown at :data:`DISPLAY_DPI` pixels per inch, so
it stays sharp on high-resolution screens. Set ``DLKIT_WIDGETS=live`` (or
``static``) to override the detection.
"""

from __future__ import annotations

import base64
import html
import io
import os
import sys
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from dlkit.plot import ACTIVATIONS, SURFACES, activation, descent_path, neuron
from dlkit.plot._base import new_figure, to_numpy


#: Resolution of an explorer's PNG, and the pixels per inch it is displayed at (2x: sharp on HiDPI screens).
PNG_DPI = 160
DISPLAY_DPI = 80
#: Environment variable that forces ``live`` widgets or ``static`` pictures (default: detect).
WIDGETS_ENV = "DLKIT_WIDGETS"


def live_frontend() -> bool:
    """Whether the notebook is shown by a frontend that runs widgets, so the live explorer should be sent.

    A kernel that a Jupyter server started for a notebook (JupyterLab,
    Notebook 7, anything on jupyter_server) has ``JPY_SESSION_NAME`` in its
    environment; Colab is recognised by its module; another frontend that
    runs widgets (VS Code, say) is recognised once it has opened ipywidgets'
    ``jupyter.widget.control`` comm. nbconvert, nbclient and the book build
    start kernels of their own with none of these, so they get the static
    picture. ``DLKIT_WIDGETS=live`` or ``static`` overrides this.

    The control comm alone is not enough: JupyterLab opens it when it connects
    to the kernel, which is before the first cell has imported ipywidgets, so
    in a fresh kernel the comm is refused and only a reconnection opens it.
    """
    forced = os.environ.get(WIDGETS_ENV, "").strip().lower()
    if forced in ("live", "static"):
        return forced == "live"
    if "google.colab" in sys.modules or os.environ.get("JPY_SESSION_NAME"):
        return True
    return getattr(widgets.Widget, "_control_comm", None) is not None


class Explorer(widgets.VBox):
    """Controls, the figure they drive, and a caption; ``refresh()`` redraws from the controls' values.

    Attributes:
        controls: name -> ipywidgets control; changing a ``value`` redraws.
        figure: the matplotlib Figure currently shown.
        image: the ``ipywidgets.Image`` holding the figure as PNG bytes.
        caption: an ``ipywidgets.HTML`` line (the axes title: accuracy, final loss...).
    """

    def __init__(self, controls: dict[str, widgets.ValueWidget], draw: Callable, *, figsize=(5.2, 3.9)):
        self.controls = controls
        self._draw = draw
        self.figure, _ = new_figure(1, 1, figsize=figsize)
        self.width = int(round(figsize[0] * DISPLAY_DPI))  # CSS pixels; the PNG has PNG_DPI / DISPLAY_DPI times more
        self.image = widgets.Image(format="png", width=self.width)
        self.caption = widgets.HTML()
        super().__init__([widgets.HBox(list(controls.values())), self.image, self.caption])
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Redraw the figure from the controls and update the picture and the caption."""
        self.figure.clear()
        ax = self.figure.add_subplot()
        self._draw(ax=ax, **self.values())
        self.caption.value = ax.get_title()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=PNG_DPI)
        self.image.value = buffer.getvalue()

    def static_bundle(self) -> dict:
        """The current figure as a PNG and as an HTML ``<img>``, with a text caption: what static pages show."""
        png = base64.b64encode(bytes(self.image.value)).decode("ascii")
        caption = html.escape(self.caption.value or "explorer")
        return {
            "text/plain": f"<explorer: {self.caption.value}>",
            "image/png": png,
            "text/html": f'<img src="data:image/png;base64,{png}" width="{self.width}" alt="{caption}"/>'
                         f'<div style="font-size:smaller">{caption} (a static picture: run the notebook '
                         f'in JupyterLab or Colab to move the sliders)</div>',
        }

    def _repr_mimebundle_(self, **kwargs):
        # The live widget only where a frontend will run it; elsewhere the picture alone (see live_frontend).
        bundle = self.static_bundle()
        if live_frontend():
            bundle.update(super()._repr_mimebundle_(**kwargs) or {})
        return bundle, {"image/png": {"width": self.width}}


def _slider(value: float, low: float, high: float, description: str, step: float = 0.05) -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               continuous_update=False, readout_format=".2f")


def activation_explorer(name: str = "sigmoid") -> Explorer:
    """Pick an activation and see it with its derivative (lesson 01).

    Behind it: ``dlkit.plot.activation_curve(name) -> (x, f(x), f'(x))``; static
    figure: ``dlkit.plot.activation(name)``.

    Example:
        >>> activation_explorer("relu")   # last line of a cell
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    choice = widgets.Dropdown(options=list(ACTIVATIONS), value=name, description="activation")
    return Explorer({"fn": choice}, activation)


def neuron_explorer(X, y, *, w1: float = 1.0, w2: float = 1.0, b: float = 0.0, limit: float = 5.0) -> Explorer:
    """Sliders for the weights and bias of one sigmoid neuron over a 2-D dataset (lesson 01).

    The figure shows ``sigma(w1 x1 + w2 x2 + b)`` over the plane, its decision
    boundary ``w1 x1 + w2 x2 + b = 0``, the points, and the accuracy.

    Args:
        X: points, shape ``(N, 2)``; y: their 0/1 labels, shape ``(N,)``.
        w1, w2, b: the sliders' starting values; limit: each slider spans ``[-limit, limit]``.

    Behind it: ``dlkit.plot.neuron_output`` and ``dlkit.plot.neuron_accuracy``;
    static figure: ``dlkit.plot.neuron(X, y, w1, w2, b)``.

    Example:
        >>> X, y = sklearn.datasets.make_blobs(100, centers=2, random_state=0)
        >>> neuron_explorer(X, y)
    """
    X, y = to_numpy(X, "X"), to_numpy(y, "y")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"y must hold 0/1 labels for a single sigmoid neuron, got values {np.unique(y)[:5]}. "
                         f"For more classes pick two, e.g. mask = y < 2.")
    controls = {name: _slider(float(value), -limit, limit, name) for name, value in (("w1", w1), ("w2", w2), ("b", b))}
    return Explorer(controls, lambda *, ax, **wb: neuron(X, y, ax=ax, **wb))


def gradient_descent_explorer(surface: str = "elongated", *, lr: float = 0.1, steps: int = 30,
                              momentum: float = 0.0) -> Explorer:
    """A learning-rate slider (log scale) against the path gradient descent takes on a 2-D surface (lessons 02, 05).

    Args:
        surface: ``"bowl"``, ``"elongated"`` or ``"rosenbrock"``.
        lr, steps, momentum: starting values of the sliders.

    Behind it: ``dlkit.plot.gradient_descent_path``; static figure:
    ``dlkit.plot.descent_path(surface, lr=lr, steps=steps)``.

    Example:
        >>> gradient_descent_explorer("elongated", lr=0.05)   # then drag lr past 0.2 and watch it diverge
    """
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)}.")
    controls = {
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05, description="lr",
                                     continuous_update=False, readout_format=".3g"),
        "steps": widgets.IntSlider(value=steps, min=1, max=200, description="steps", continuous_update=False),
        "momentum": _slider(momentum, 0.0, 0.95, "momentum"),
    }
    return Explorer(controls, lambda *, ax, **kw: descent_path(surface, ax=ax, **kw))
