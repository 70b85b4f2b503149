"""dlkit.widgets: explorers build, and moving a control redraws the figure from the pure function."""

from __future__ import annotations

import base64

import ipywidgets
import numpy as np
import pytest

from dlkit import plot, widgets


def _line(fig, label):
    (line,) = [l for l in fig.axes[0].lines if l.get_label() == label]
    return line


def test_activation_explorer_switches_function():
    ex = widgets.activation_explorer("sigmoid")
    assert isinstance(ex, ipywidgets.VBox) and bytes(ex.image.value).startswith(b"\x89PNG")
    first_png = bytes(ex.image.value)
    ex.controls["fn"].value = "relu"  # what the dropdown does when a student picks relu
    assert ex.caption.value == "relu"
    x, y, dy = plot.activation_curve("relu")
    np.testing.assert_allclose(_line(ex.figure, plot.activations.VALUE_LABEL).get_ydata(), y)
    np.testing.assert_allclose(_line(ex.figure, plot.activations.SLOPE_LABEL).get_ydata(), dy)
    assert bytes(ex.image.value) != first_png
    with pytest.raises(ValueError, match="unknown activation"):
        widgets.activation_explorer("swish2")


def test_neuron_explorer_sliders_change_boundary_and_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    ex = widgets.neuron_explorer(X, y, w1=0.0, w2=1.0, b=0.0)
    assert set(ex.controls) == {"w1", "w2", "b"}
    before = plot.neuron_accuracy(X, y, 0.0, 1.0, 0.0)
    assert ex.caption.value.endswith(f"accuracy {before:.0%}")
    ex.controls["w1"].value = 3.0
    ex.controls["w2"].value = 0.0
    assert ex.values() == {"w1": 3.0, "w2": 0.0, "b": 0.0}
    assert ex.caption.value == "w1=3.00, w2=0.00, b=0.00: accuracy 100%"
    with pytest.raises(ValueError, match="0/1 labels"):
        widgets.neuron_explorer(X, np.arange(60) % 3)


def test_gradient_descent_explorer_learning_rate_changes_path():
    ex = widgets.gradient_descent_explorer("elongated", lr=0.05, steps=20)
    surface = plot.SURFACES["elongated"]
    expected = plot.gradient_descent_path(surface.grad, surface.start, 0.05, 20)
    np.testing.assert_allclose(_line(ex.figure, "path").get_xdata(), expected[:, 0])
    ex.controls["lr"].value = 0.3  # beyond 2 / 10, the steep direction diverges
    assert "diverged" in ex.caption.value
    png = base64.b64decode(ex._repr_mimebundle_()[0]["image/png"])  # viewers without widgets still see the figure
    assert png == bytes(ex.image.value)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_static_viewers_get_the_picture_and_live_frontends_the_widget(monkeypatch):
    monkeypatch.delenv(widgets.WIDGETS_ENV, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ex = widgets.activation_explorer("tanh")
    data, metadata = ex._repr_mimebundle_()
    assert WIDGET_VIEW not in data  # no frontend has opened the widget control comm here (as under nbconvert)
    assert data["text/html"].startswith('<img src="data:image/png;base64,' + data["image/png"])
    assert metadata["image/png"]["width"] == ex.width
    png = bytes(ex.image.value)
    import struct
    pixel_width = struct.unpack(">I", png[16:20])[0]   # the IHDR chunk: drawn at twice the shown width
    assert pixel_width == pytest.approx(ex.width * widgets.PNG_DPI / widgets.DISPLAY_DPI, abs=2)

    monkeypatch.setattr(ipywidgets.Widget, "_control_comm", object())   # what JupyterLab's manager opens
    assert widgets.live_frontend() and WIDGET_VIEW in ex._repr_mimebundle_()[0]
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    assert not widgets.live_frontend()
    monkeypatch.setattr(ipywidgets.Widget, "_control_comm", None)
    monkeypatch.setenv(widgets.WIDGETS_ENV, "live")
    assert widgets.live_frontend()


def test_a_kernel_started_by_a_jupyter_server_gets_the_live_widget_before_any_control_comm(monkeypatch):
    # JupyterLab opens the control comm when it connects, before a cell has imported ipywidgets, so a fresh
    # kernel has none; what marks a server-started kernel is the session name the server puts in its environment.
    monkeypatch.delenv(widgets.WIDGETS_ENV, raising=False)
    monkeypatch.setattr(ipywidgets.Widget, "_control_comm", None)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not widgets.live_frontend()
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/student/01-neurons.ipynb")
    assert widgets.live_frontend()
    assert WIDGET_VIEW in widgets.activation_explorer("tanh")._repr_mimebundle_()[0]
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    assert not widgets.live_frontend()
