"""Boxes and arrows: diagrams of neurons, layers and networks (lesson 01; CNNs and RNNs later).

Two levels:

* :func:`diagram` draws any graph: named :class:`Node` s at given positions and
  arrows between them, optionally labelled (a computation graph, an unrolled RNN).
* :func:`layered` lays out a :class:`Layer` per column, top to bottom, and
  connects consecutive columns densely (every node to every node), one to one,
  or not at all: a neuron, a dense layer, a multi-layer network, a pipeline of
  boxes (``conv -> relu -> pool``).

Colours follow a node's ``role`` with the Okabe-Ito palette, which stays
distinguishable with every common kind of colour blindness; text is black on
every fill. Labels may use matplotlib mathtext (``"$x_1$"``, ``r"$\\phi$"``).

Example:
    >>> fig = layered([Layer(["$x_1$", "$x_2$"], "inputs", role="input"),
    ...                Layer(["$a_1$", "$a_2$", "$a_3$"], "3 neurons")])   # 6 arrows
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from dlkit.plot._base import figure_and_axes

#: Fill colour of each node role (Okabe-Ito: sky blue, orange, bluish green, yellow, grey, reddish purple).
ROLE_COLOURS: dict[str, str] = {
    "input": "#56B4E9",
    "hidden": "#E69F00",
    "output": "#009E73",
    "op": "#F0E442",
    "bias": "#D9D9D9",
    "loss": "#CC79A7",
}
SHAPES = ("circle", "box")
CONNECTIONS = ("dense", "one-to-one", "none")


@dataclass(frozen=True)
class Node:
    """One node of a diagram: ``text`` drawn inside a circle or a box centred at ``xy``."""

    text: str
    xy: tuple[float, float]
    role: str = "hidden"
    shape: str = "circle"
    #: the circle's radius, or half the box's height; a box's half-width grows with its text.
    size: float = 0.32

    def half_extent(self) -> tuple[float, float]:
        """Half-width and half-height of the node in data units."""
        if self.shape == "circle":
            return self.size, self.size
        return max(self.size, 0.1 * _visible_length(self.text) + 0.15), self.size


@dataclass(frozen=True)
class Layer:
    """A column of :func:`layered`: the texts of its nodes (top to bottom), a caption, a role and a shape."""

    nodes: Sequence[str]
    name: str = ""
    role: str = "hidden"
    shape: str = "circle"


def diagram(nodes: Mapping[str, Node], edges: Sequence[tuple], *, ax=None, title: str | None = None,
            figsize=None, captions: Mapping[tuple[float, float], str] | None = None):
    """Draw nodes and arrows; returns the Figure.

    Args:
        nodes: key -> :class:`Node`.
        edges: ``(from_key, to_key)`` or ``(from_key, to_key, label)``; arrows
            stop at the nodes' outlines; a labelled arrow is drawn darker, its label
            on it, nearer its tail.
        ax: an Axes to draw into; default a new figure sized to the diagram.
        title: the axes title.
        captions: ``(x, y) -> text`` written in grey (e.g. a layer's name under its column).

    Returns:
        the Figure; its axes holds one patch per node and one arrow per edge.

    Example:
        >>> fig = diagram({"x": Node("$x$", (0, 0), "input"), "y": Node("$y$", (2, 0), "output")},
        ...               [("x", "y", "$w$")])
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    if not nodes:
        raise ValueError("a diagram needs at least one node")
    for key, node in nodes.items():
        if not isinstance(node, Node):
            raise TypeError(f"node {key!r} must be a dlkit.plot.Node, got {type(node).__name__}")
        if node.role not in ROLE_COLOURS:
            raise ValueError(f"node {key!r} has unknown role {node.role!r}; choose one of {sorted(ROLE_COLOURS)}")
        if node.shape not in SHAPES:
            raise ValueError(f"node {key!r} has unknown shape {node.shape!r}; choose one of {SHAPES}")
    xs = [n.xy[0] for n in nodes.values()]
    ys = [n.xy[1] for n in nodes.values()]
    if figsize is None:
        figsize = (min(12.0, 1.1 * (max(xs) - min(xs)) + 2.2), min(8.0, 0.75 * (max(ys) - min(ys)) + 1.6))
    fig, ax = figure_and_axes(ax, figsize=figsize)
    for key, node in nodes.items():
        colour = ROLE_COLOURS[node.role]
        hw, hh = node.half_extent()
        if node.shape == "circle":
            patch = Circle(node.xy, node.size, facecolor=colour, edgecolor="black", linewidth=1.2, zorder=3)
        else:
            patch = FancyBboxPatch((node.xy[0] - hw, node.xy[1] - hh), 2 * hw, 2 * hh,
                                   boxstyle="round,pad=0,rounding_size=0.08", facecolor=colour,
                                   edgecolor="black", linewidth=1.2, zorder=3)
        patch.set_gid(f"node:{key}")
        ax.add_patch(patch)
        ax.text(*node.xy, node.text, ha="center", va="center", fontsize=12, color="black", zorder=4)
    for edge in edges:
        if len(edge) not in (2, 3):
            raise ValueError(f"an edge is (from, to) or (from, to, label), got {edge!r}")
        start, end = edge[0], edge[1]
        for key in (start, end):
            if key not in nodes:
                raise KeyError(f"edge {edge!r} names node {key!r}, which is not in the diagram; "
                               f"nodes are {sorted(map(str, nodes))[:10]}")
        p, q = _outline_point(nodes[start], nodes[end].xy), _outline_point(nodes[end], nodes[start].xy)
        label = edge[2] if len(edge) == 3 else ""
        arrow = ax.annotate("", xy=q, xytext=p, zorder=2 + bool(label),
                            arrowprops={"arrowstyle": "-|>", "color": "black" if label else "#6E6E6E",
                                        "linewidth": 1.6 if label else 0.9,
                                        "shrinkA": 0, "shrinkB": 1, "mutation_scale": 11})
        arrow.set_gid(f"edge:{start}->{end}")
        if label:  # on its own (darker) arrow, near the tail, where converging arrows are still apart
            lx, ly = p[0] + 0.3 * (q[0] - p[0]), p[1] + 0.3 * (q[1] - p[1])
            ax.text(lx, ly, label, ha="center", va="center", fontsize=10, zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.9})
    for (x, y), text in (captions or {}).items():
        ax.text(x, y, text, ha="center", va="top", fontsize=10, color="#333333")
    margin_x = max(n.half_extent()[0] for n in nodes.values()) + 0.3
    low = min(ys) - 0.9 if captions else min(ys) - 0.6
    ax.set_xlim(min(xs) - margin_x, max(xs) + margin_x)
    ax.set_ylim(low, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def layered(layers: Sequence[Layer | Sequence[str]], *, connect: str | Sequence[str] = "dense",
            edge_labels: Mapping[tuple[tuple[int, int], tuple[int, int]], str] | None = None,
            spacing: float = 2.2, ax=None, title: str | None = None, figsize=None):
    """A layered graph: one column per layer, arrows between consecutive columns; returns the Figure.

    Args:
        layers: :class:`Layer` s (or plain lists of node texts), left to right.
        connect: how each column feeds the next: ``"dense"`` (every node to
            every node), ``"one-to-one"`` (node i to node i; equal sizes), or
            ``"none"``; one value for all gaps or one per gap.
        edge_labels: ``((layer, node), (layer, node)) -> text`` for some arrows,
            e.g. ``{((0, 0), (1, 0)): "$w_1$"}``; each must be an arrow that exists.
        spacing: horizontal distance between columns (more where wide boxes need it).
        ax, title, figsize: as in :func:`diagram`.

    Node keys are ``(layer index, node index)``; a node's y is centred so each column is symmetric.

    Example:
        >>> fig = layered([Layer(["$x_1$", "$x_2$", "$x_3$"], "input", role="input"),
        ...                Layer(["$z$"], "weighted sum", role="op", shape="box")],
        ...               edge_labels={((0, 0), (1, 0)): "$w_1$"})
    """
    layers = [layer if isinstance(layer, Layer) else Layer(list(layer)) for layer in layers]
    if not layers or any(len(layer.nodes) == 0 for layer in layers):
        raise ValueError("layered needs at least one layer, and every layer at least one node")
    gaps = len(layers) - 1
    modes = [connect] * gaps if isinstance(connect, str) else list(connect)
    if len(modes) != gaps or any(m not in CONNECTIONS for m in modes):
        raise ValueError(f"connect must be one of {CONNECTIONS} or a list of {gaps} of them (one per gap), "
                         f"got {connect!r}")
    nodes: dict[tuple[int, int], Node] = {}
    columns: list[float] = []
    for i, layer in enumerate(layers):
        column = [Node(text, (0.0, 0.0), role=layer.role, shape=layer.shape) for text in layer.nodes]
        half = max(n.half_extent()[0] for n in column)
        if columns:  # wide boxes push their neighbours apart, so an arrow always shows between them
            columns.append(columns[-1] + max(spacing, previous_half + half + 0.7))
        else:
            columns.append(0.0)
        previous_half = half
        top = (len(column) - 1) / 2
        for j, node in enumerate(column):
            nodes[(i, j)] = Node(node.text, (columns[i], top - j), role=node.role, shape=node.shape)
    labels = dict(edge_labels or {})
    edges = []
    for i, mode in enumerate(modes):
        a, b = len(layers[i].nodes), len(layers[i + 1].nodes)
        if mode == "one-to-one" and a != b:
            raise ValueError(f"one-to-one needs layers of equal size; layer {i} has {a} nodes, layer {i + 1} has {b}")
        pairs = ([(j, k) for j in range(a) for k in range(b)] if mode == "dense"
                 else [(j, j) for j in range(a)] if mode == "one-to-one" else [])
        edges += [((i, j), (i + 1, k), labels.pop(((i, j), (i + 1, k)), "")) for j, k in pairs]
    if labels:
        raise KeyError(f"edge_labels name arrows that the diagram does not draw: {sorted(labels)}")
    lowest = min(n.xy[1] for n in nodes.values())
    captions = {(columns[i], lowest - 0.5): layer.name for i, layer in enumerate(layers) if layer.name}
    return diagram(nodes, edges, ax=ax, title=title, figsize=figsize, captions=captions)


def _outline_point(node: Node, towards: tuple[float, float]) -> tuple[float, float]:
    """Where the straight line from the node's centre to ``towards`` leaves the node's outline."""
    d = np.subtract(towards, node.xy, dtype=float)
    length = float(np.hypot(*d))
    if length == 0:
        return node.xy
    hw, hh = node.half_extent()
    if node.shape == "circle":
        t = node.size / length
    else:
        t = min(hw / abs(d[0]) if d[0] else np.inf, hh / abs(d[1]) if d[1] else np.inf)
    return float(node.xy[0] + t * d[0]), float(node.xy[1] + t * d[1])


def _visible_length(text: str) -> int:
    """Roughly how many characters a mathtext label shows (commands and braces do not count)."""
    import re

    shown = re.sub(r"\\[a-zA-Z]+", "x", text.replace("$", ""))
    return max(1, len(re.sub(r"[{}_^]", "", shown)))
