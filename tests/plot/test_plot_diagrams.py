"""dlkit.plot diagrams: nodes and arrows land where they should, colours are the colour-blind-safe set."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from dlkit import plot  # noqa: E402
from dlkit.plot import Layer, Node  # noqa: E402


def _gids(fig, prefix):
    ax = fig.axes[0]
    items = list(ax.patches) + list(ax.texts) + list(ax.get_children())
    return sorted({a.get_gid() for a in items if (a.get_gid() or "").startswith(prefix)})


def test_dense_layers_draw_every_arrow_and_one_node_per_entry():
    fig = plot.layered([Layer(["a", "b", "c"], role="input"), Layer(["d", "e"]), Layer(["f"], role="output")])
    assert len(_gids(fig, "node:")) == 6
    assert len(_gids(fig, "edge:")) == 3 * 2 + 2 * 1
    fig.canvas.draw()  # renders without error (mathtext included)


def test_one_to_one_and_none_connections_per_gap():
    fig = plot.layered([["$z_1$", "$z_2$"], ["$p_1$", "$p_2$"], ["loss"]], connect=["one-to-one", "none"])
    assert _gids(fig, "edge:") == ["edge:(0, 0)->(1, 0)", "edge:(0, 1)->(1, 1)"]


def test_edge_labels_are_drawn_and_unknown_ones_are_refused():
    fig = plot.layered([["$x_1$", "$x_2$"], ["$z$"]], edge_labels={((0, 1), (1, 0)): "$w_2$"})
    assert "$w_2$" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(KeyError, match="does not draw"):
        plot.layered([["a"], ["b"]], edge_labels={((0, 0), (1, 5)): "w"})


def test_roles_use_the_colour_blind_safe_palette_and_captions_sit_under_columns():
    fig = plot.layered([Layer(["x"], "inputs", role="input"), Layer(["y"], "outputs", role="output")])
    fills = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert fills == {plot.ROLE_COLOURS["input"].lower(), plot.ROLE_COLOURS["output"].lower()}
    captions = {t.get_text(): t.get_position() for t in fig.axes[0].texts}
    assert captions["inputs"][0] == 0.0 and captions["outputs"][0] > 0 and captions["inputs"][1] < -0.3


def test_arrows_stop_at_the_outlines_of_circles_and_boxes():
    nodes = {"c": Node("c", (0.0, 0.0)), "b": Node("a wide box", (4.0, 0.0), role="op", shape="box")}
    fig = plot.diagram(nodes, [("c", "b")])
    (arrow,) = [a for a in fig.axes[0].get_children() if (a.get_gid() or "") == "edge:c->b"]
    start, end = np.array(arrow.xyann), np.array(arrow.xy)
    assert np.isclose(start[0], nodes["c"].size)
    assert np.isclose(end[0], 4.0 - nodes["b"].half_extent()[0])


def test_bad_diagrams_say_what_is_wrong():
    with pytest.raises(ValueError, match="at least one node"):
        plot.diagram({}, [])
    with pytest.raises(ValueError, match="unknown role"):
        plot.diagram({"a": Node("a", (0, 0), role="purple")}, [])
    with pytest.raises(ValueError, match="unknown shape"):
        plot.diagram({"a": Node("a", (0, 0), shape="star")}, [])
    with pytest.raises(KeyError, match="not in the diagram"):
        plot.diagram({"a": Node("a", (0, 0))}, [("a", "b")])
    with pytest.raises(ValueError, match="one per gap"):
        plot.layered([["a"], ["b"]], connect="sparse")
    with pytest.raises(ValueError, match="equal size"):
        plot.layered([["a"], ["b", "c"]], connect="one-to-one")
    with pytest.raises(ValueError, match="every layer at least one node"):
        plot.layered([["a"], []])
    with pytest.raises(TypeError, match="dlkit.plot.Node"):
        plot.diagram({"a": ("a", (0, 0))}, [])


def test_wide_boxes_push_columns_apart_so_the_arrow_between_them_shows():
    fig = plot.layered([Layer(["a very long label in a box"], role="op", shape="box"),
                        Layer(["another long label"], role="op", shape="box")], spacing=1.0)
    (arrow,) = [a for a in fig.axes[0].get_children() if (a.get_gid() or "").startswith("edge:")]
    assert arrow.xy[0] - arrow.xyann[0] >= 0.6   # a visible arrow between the two outlines
