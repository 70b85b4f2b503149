"""A scalar computation graph drawn left to right: forward values and gradients (lesson 03)."""

from __future__ import annotations

from dlkit.plot._base import figure_and_axes

#: Colour-blind-safe (Okabe-Ito): forward values in blue, gradients in vermillion, operations in grey.
FORWARD, BACKWARD, OPERATION = "#0072B2", "#D55E00", "#555555"


def _number(v: float) -> str:
    """At most four decimals, no trailing zeros: 4, 0.5, -1.5729."""
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _nodes_in_order(root) -> list:
    """Every node ``root`` depends on (``root`` included), each after its inputs; no recursion."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in getattr(node, "_prev", ()))
    return order


def computation_graph(root, *, ax=None, show_grad: bool = True, title: str | None = None):
    """Draw the graph that computed a scalar ``Value``: one box per value, one circle per operation.

    Shape: ``root`` is a :class:`dlkit.reference.Value` or any object with the same
    attributes (``data``, ``grad``, ``_prev``, ``_op``, ``label``), such as the
    ``Value`` written in lesson 03. Inputs sit on the left, the output on the
    right; each box shows ``label``, the forward value ``data`` (blue) and, with
    ``show_grad``, the gradient ``grad`` = d(root)/d(this value) (vermillion).

    Example::

        >>> from dlkit.reference import Value
        >>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        >>> y = (x * w).tanh(); y.label = "y"; y.backward()
        >>> fig = computation_graph(y)
    """
    if not all(hasattr(root, attr) for attr in ("data", "grad", "_prev", "_op")):
        raise TypeError(f"root must be a Value (with data, grad, _prev and _op), got {type(root).__name__}. "
                        "Build it with dlkit.reference.Value or your own Value class.")
    order = _nodes_in_order(root)
    depth: dict[int, int] = {}
    for node in order:  # a node sits one column right of its deepest input
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    columns: dict[int, list] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    n_cols = max(columns) + 1
    n_rows = max(len(c) for c in columns.values())
    fig, ax = figure_and_axes(ax, figsize=(2.3 * n_cols + 0.5, 1.1 * n_rows + 1.0))
    where = {}
    for col, nodes in columns.items():
        for row, node in enumerate(nodes):
            where[id(node)] = (2.0 * col, (len(nodes) - 1) / 2 - row)
    box = dict(boxstyle="round,pad=0.35", facecolor="white", edgecolor="#333333")
    for node in order:
        x, y = where[id(node)]
        if node._prev:  # the operation that made this node, just left of it
            ox = x - 0.75
            for child in node._prev:
                cx, cy = where[id(child)]
                ax.annotate("", xy=(ox - 0.15, y), xytext=(cx + 0.55, cy),
                            arrowprops=dict(arrowstyle="->", color="#777777", lw=1.0))
            ax.annotate("", xy=(x - 0.55, y), xytext=(ox + 0.15, y),
                        arrowprops=dict(arrowstyle="->", color="#777777", lw=1.0))
            ax.text(ox, y, node._op, ha="center", va="center", fontsize=10, color=OPERATION,
                    bbox=dict(boxstyle="circle,pad=0.25", facecolor="#eeeeee", edgecolor=OPERATION))
        name = getattr(node, "label", "") or ""
        ax.text(x, y + 0.14, name, ha="center", va="bottom", fontsize=10, fontweight="bold", bbox=None)
        ax.text(x, y, _number(node.data), ha="center", va="center", fontsize=10, color=FORWARD, bbox=box)
        if show_grad:
            ax.text(x, y - 0.2, f"grad {_number(node.grad)}", ha="center", va="top", fontsize=9, color=BACKWARD)
    ax.set_xlim(-0.8, 2.0 * (n_cols - 1) + 0.8)
    ax.set_ylim(-(n_rows - 1) / 2 - 0.6, (n_rows - 1) / 2 + 0.6)
    ax.axis("off")
    legend = [("forward value", FORWARD)] + ([("gradient d(output)/d(value)", BACKWARD)] if show_grad else [])
    for k, (text, colour) in enumerate(legend):
        ax.text(0.0 + 0.3 * k, -0.02, text, transform=ax.transAxes, color=colour, fontsize=9, va="top")
    if title:
        ax.set_title(title)
    return fig
