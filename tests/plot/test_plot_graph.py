"""plot.computation_graph draws a Value graph: one box per value with its data and grad."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from dlkit import plot
from dlkit.reference import Value


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_draws_every_value_with_its_data_and_gradient():
    x, w = Value(1.5, label="x"), Value(-2.0, label="w")
    y = (x * w).tanh()
    y.label = "y"
    y.backward()
    fig = plot.computation_graph(y, title="a neuron")
    texts = _texts(fig)
    assert isinstance(fig, Figure) and fig.axes[0].get_title() == "a neuron"
    for label in ("x", "w", "y", "*", "tanh", "1.5", "-2"):
        assert label in texts, label
    assert f"grad {round(x.grad, 4)}" in texts and "grad 1" in texts
    assert not any(t.startswith("grad") for t in _texts(plot.computation_graph(y, show_grad=False)))


def test_a_value_used_twice_is_drawn_once():
    a = Value(3.0, label="a")
    y = a * a + a
    y.backward()
    assert _texts(plot.computation_graph(y)).count("a") == 1


def test_a_long_chain_draws_without_recursion_trouble():
    x = Value(1.0)
    total = x
    for _ in range(60):
        total = total + x
    assert isinstance(plot.computation_graph(total), Figure)


def test_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match="root must be a Value"):
        plot.computation_graph(3.0)
