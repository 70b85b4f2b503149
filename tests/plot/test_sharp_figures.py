"""Inline figures are sharp on high-resolution screens: dlkit.start switches IPython to 2x ("retina") PNGs."""

from __future__ import annotations

import struct

import pytest

IPython = pytest.importorskip("IPython")


def test_start_makes_inline_figures_twice_as_dense_as_they_are_shown():
    from IPython.core.interactiveshell import InteractiveShell

    import dlkit
    from dlkit.plot._base import new_figure

    shell = InteractiveShell.instance()
    try:
        dlkit.start(seed=0, quiet=True)
        fig, _ = new_figure(1, 1, figsize=(4.0, 3.0))
        data, metadata = shell.display_formatter.format(fig)
        png = data["image/png"]
        png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
        pixel_width = struct.unpack(">I", png[16:20])[0]
        assert metadata["image/png"]["width"] * 2 == pytest.approx(pixel_width, abs=2)
    finally:
        InteractiveShell.clear_instance()
