"""dlkit.plot.LivePlot: one figure updated in place in a notebook, one printed line per epoch elsewhere."""

from __future__ import annotations

import io

import pytest

from dlkit.plot import live as live_module
from dlkit.plot.live import LivePlot, epoch_line, resolve_mode


@pytest.fixture
def plain_env(monkeypatch):
    monkeypatch.delenv("DLKIT_LIVE_PLOT", raising=False)
    monkeypatch.delenv("CI", raising=False)


def test_epoch_line_lists_latest_values():
    cols = {"loss": [0.9, 0.51234], "val_loss": [1.0, 0.6], "time": [1.0, 1.0]}
    assert epoch_line(cols, 2, 10) == "epoch 2/10  loss 0.5123  val_loss 0.6"
    assert epoch_line(cols, 1) == "epoch 1  loss 0.9  val_loss 1"


def test_mode_outside_a_notebook_is_print(plain_env):
    assert resolve_mode("auto") == "print"
    assert resolve_mode("display") == "print"  # nothing could show it
    assert resolve_mode("off") == "off"
    with pytest.raises(ValueError, match="mode must be one of"):
        resolve_mode("widget")


def test_mode_in_a_notebook_is_display_unless_ci_or_env(plain_env, monkeypatch):
    monkeypatch.setattr(live_module, "in_notebook", lambda: True)
    assert resolve_mode() == "display"
    monkeypatch.setenv("CI", "true")
    assert resolve_mode() == "print"
    monkeypatch.delenv("CI")
    monkeypatch.setenv("DLKIT_LIVE_PLOT", "print")
    assert resolve_mode() == "print"
    monkeypatch.setenv("DLKIT_LIVE_PLOT", "sometimes")
    with pytest.raises(ValueError, match="DLKIT_LIVE_PLOT"):
        resolve_mode()


def test_print_fallback_one_line_per_epoch(plain_env):
    out = io.StringIO()
    live = LivePlot(file=out).start(epochs=3)
    history = {"loss": [], "val_loss": []}
    for epoch in range(3):
        history["loss"].append(1.0 / (epoch + 1))
        history["val_loss"].append(1.5 / (epoch + 1))
        live.update(history)
    live.close()
    lines = out.getvalue().splitlines()
    assert lines == ["epoch 1/3  loss 1  val_loss 1.5", "epoch 2/3  loss 0.5  val_loss 0.75",
                     "epoch 3/3  loss 0.3333  val_loss 0.5"]
    assert live.figure is None and live.updates == 3


def test_display_mode_shows_once_then_updates_in_place(plain_env, monkeypatch):
    import IPython.display

    shown, updated = [], []

    class Handle:
        def update(self, obj):
            updated.append(obj)

    def fake_display(obj, display_id=False):
        assert display_id is True
        shown.append(obj)
        return Handle()

    monkeypatch.setattr(live_module, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    live = LivePlot(mode="display").start(epochs=4)
    history = {"loss": [], "accuracy": []}
    for epoch in range(4):
        history["loss"].append(1.0 - 0.1 * epoch)
        history["accuracy"].append(0.5 + 0.1 * epoch)
        live.update(history)
    assert len(shown) == 1 and len(updated) == 3
    assert all(picture.data.startswith(b"\x89PNG") for picture in shown + updated)
    assert len({picture.data for picture in shown + updated}) == 4  # each epoch a new picture
    final = live.figure
    assert final._suptitle.get_text().startswith("epoch 4/4")
    assert [ax.get_title() for ax in final.axes] == ["loss", "accuracy"]
    assert len(final.axes[0].lines[0].get_xdata()) == 4


def test_off_mode_does_nothing(capsys):
    live = LivePlot(mode="off")
    live.update({"loss": [1.0]})
    assert capsys.readouterr().out == "" and live.updates == 0
