"""dlkit.plot.attributions and dlkit.plot.tradeoff (lesson 12): panels, colourbars, labels, clear errors."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from dlkit import plot

matplotlib.use("Agg")
RNG = np.random.default_rng(0)


def test_attributions_one_row_per_image_one_column_per_method_each_with_a_colourbar():
    x = RNG.random((2, 1, 8, 8))
    maps = {"saliency": RNG.random((2, 1, 8, 8)), "IG": RNG.normal(size=(2, 8, 8))}
    fig = plot.attributions(x, maps, titles=["a", "b"])
    fig.canvas.draw()
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 3
    assert len(fig.axes) - len(images) == 2 * 2                          # a colourbar per map panel
    assert [ax.get_title() for ax in images[:3]] == ["a", "saliency", "IG"]
    ig = images[2].images[0]
    assert ig.get_cmap().name == "RdBu_r" and ig.get_clim()[0] == -ig.get_clim()[1]   # signed: symmetric about 0
    assert images[1].images[0].get_clim()[0] == 0                        # sizes start at 0


def test_attributions_errors():
    x = RNG.random((2, 1, 8, 8))
    with pytest.raises(ValueError, match="one map per image"):
        plot.attributions(x, {"bad": RNG.random((3, 8, 8))})
    with pytest.raises(TypeError, match="non-empty dict"):
        plot.attributions(x, {})
    with pytest.raises(ValueError, match="one entry per image"):
        plot.attributions(x, {"s": RNG.random((2, 8, 8))}, titles=["only one"])


def test_tradeoff_lines_labels_and_annotations():
    fig = plot.tradeoff({"records": ([0.2, 0.1, 0.0], [0.8, 0.78, 0.76]), "merit": ([0.2, 0.1, 0.0], [0.75] * 3)},
                        xlabel="DP difference", ylabel="accuracy", annotate={"records": ["a", "b", "c"]})
    fig.canvas.draw()
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["records", "merit"]
    assert ax.get_xlabel() == "DP difference" and ax.get_ylabel() == "accuracy"
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="one of each per point"):
        plot.tradeoff({"x": ([1, 2], [1])}, xlabel="x", ylabel="y")
