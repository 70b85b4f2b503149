"""dlkit.plot: every figure renders with Agg and holds what it claims (lines, labels, panels, images)."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from dlkit import plot

matplotlib.use("Agg")
RNG = np.random.default_rng(0)


def _visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _render(fig):
    fig.canvas.draw()  # fails loudly if anything in the figure cannot be drawn
    return fig


def test_import_draws_nothing_and_skips_pyplot():
    code = "import sys, dlkit.plot, dlkit.train; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_figures_are_not_left_open_in_pyplot():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    for _ in range(3):
        plot.activation("tanh")
    assert len(plt.get_fignums()) == before


# curves -----------------------------------------------------------------------------------------


def test_curves_train_and_validation_per_metric():
    history = {"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9], "accuracy": [0.5, 0.7, 0.8],
               "val_accuracy": [0.4, 0.6, 0.7], "lr": [0.1, 0.1, 0.1]}
    fig = _render(plot.curves(history))
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes  # loss first, lr is not a panel
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert [line.get_label() for line in loss_ax.lines] == ["train", "validation"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [1.1, 0.8, 0.9])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    assert loss_ax.get_xlabel() == "epoch"


def test_curves_marks_best_epoch_of_a_history_object():
    class FakeHistory:
        metrics = {"loss": [3.0, 2.0, 1.0], "val_loss": [2.0, 1.0, 1.5]}
        best_epoch = 2

    fig = plot.curves(FakeHistory(), "loss")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["train", "validation", "best epoch 2"]


def test_curves_into_given_axes_and_errors():
    fig0, axes = plot._base.new_figure(1, 2)
    fig = plot.curves({"loss": [1, 2]}, "loss", ax=axes[0, 1])
    assert fig is fig0 and len(axes[0, 1].lines) == 1 and len(axes[0, 0].lines) == 0
    with pytest.raises(ValueError, match="one panel"):
        plot.curves({"loss": [1], "accuracy": [1]}, ax=axes[0, 0])
    with pytest.raises(ValueError, match="no values for"):
        plot.curves({"loss": [1]}, "accuracy")
    with pytest.raises(TypeError, match="History or a dict"):
        plot.curves([1, 2, 3])


# activations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(plot.ACTIVATIONS))
def test_activation_derivatives_match_torch_autograd(name):
    x = np.linspace(-4, 4, 41) + 0.013  # avoid the kink of relu-like functions at 0
    _, y, dy = plot.activation_curve(name, x)
    t = torch.tensor(x, requires_grad=True)
    torch_fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                "leaky_relu": torch.nn.functional.leaky_relu, "elu": torch.nn.functional.elu,
                "softplus": torch.nn.functional.softplus, "silu": torch.nn.functional.silu,
                "gelu": lambda v: torch.nn.functional.gelu(v, approximate="tanh"), "linear": lambda v: v * 1.0}[name]
    out = torch_fn(t)
    out.sum().backward()
    np.testing.assert_allclose(y, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dy, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_activation_figure_two_labelled_lines_and_callable_uses_numerical_derivative():
    fig = _render(plot.activation("sigmoid"))
    ax = fig.axes[0]
    assert ax.get_title() == "sigmoid"
    labels = [l.get_label() for l in ax.lines if not l.get_label().startswith("_")]
    assert labels == [plot.activations.VALUE_LABEL, plot.activations.SLOPE_LABEL]
    assert ax.get_xlabel() == "pre-activation $z$"
    x, y, dy = plot.activation_curve(np.sin, np.array([0.0, 1.0]))
    np.testing.assert_allclose(dy, np.cos([0.0, 1.0]), atol=1e-8)
    with pytest.raises(ValueError, match="unknown activation"):
        plot.activation("relu6")


# decision boundary and neuron -------------------------------------------------------------------


def test_boundary_grid_labels_probabilities_and_class_scores():
    X = RNG.normal(size=(30, 2))
    xx, yy, labels, proba = plot.boundary_grid(lambda P: (P[:, 0] > 0).astype(int), X, resolution=20)
    assert xx.shape == yy.shape == labels.shape == (20, 20) and proba is None
    np.testing.assert_array_equal(labels, (xx > 0).astype(int))
    _, _, labels, proba = plot.boundary_grid(lambda P: 1 / (1 + np.exp(-P[:, 1])), X, resolution=20)
    np.testing.assert_array_equal(labels, (yy >= 0).astype(int))
    assert proba.shape == (20, 20) and 0 < proba.min() < 0.5 < proba.max() < 1
    scores = lambda P: torch.tensor(np.stack([P[:, 0], -P[:, 0], P[:, 1]], axis=1))  # torch output is accepted
    _, _, labels, _ = plot.boundary_grid(scores, X, resolution=10)
    assert set(np.unique(labels)) <= {0, 1, 2}


def test_decision_boundary_draws_regions_and_all_points():
    X = RNG.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fig = _render(plot.decision_boundary(lambda P: (P.sum(1) > 0).astype(int), X, y, title="sum rule"))
    ax = fig.axes[0]
    assert ax.get_title() == "sum rule"
    scatters = [c for c in ax.collections if c.get_label().startswith("class ")]
    assert sum(len(c.get_offsets()) for c in scatters) == 40  # the data, one scatter per class
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    assert len({tuple(c.get_facecolor()[0]) for c in scatters}) == 2


def test_decision_boundary_bad_input():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot.decision_boundary(lambda P: P[:, 0], RNG.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="predict returned shape"):
        plot.decision_boundary(lambda P: P[:3, 0], RNG.normal(size=(5, 2)))
    with pytest.raises(TypeError, match="predict must be a function"):
        plot.boundary_grid("model", RNG.normal(size=(5, 2)))


def test_neuron_accuracy_and_title():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0], [-2.0, 1.0]])
    y = np.array([1, 0, 1, 1])
    assert plot.neuron_accuracy(X, y, 1.0, 0.0, 0.0) == 0.75
    np.testing.assert_allclose(plot.neuron_output(X, 0.0, 0.0, 0.0), 0.5)
    fig = plot.neuron(X, y, 1.0, 0.0, 0.0)
    assert fig.axes[0].get_title() == "w1=1.00, w2=0.00, b=0.00: accuracy 75%"


# gradient descent -------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(lr=st.floats(0.01, 0.9), steps=st.integers(0, 25))
def test_descent_on_bowl_shrinks_by_one_minus_2lr(lr, steps):
    path = plot.gradient_descent_path(lambda a, b: (2 * a, 2 * b), (1.0, -2.0), lr, steps)
    assert path.shape == (steps + 1, 2)
    np.testing.assert_allclose(path[-1], np.array([1.0, -2.0]) * (1 - 2 * lr) ** steps, rtol=1e-9, atol=1e-300)


def test_descent_stops_when_it_diverges_and_title_says_so():
    path = plot.gradient_descent_path(lambda a, b: (2 * a, 2 * b), (1.0, 1.0), lr=2.0, steps=100)
    assert len(path) < 101 and np.abs(path[-1]).max() > 1e6
    fig = plot.descent_path("elongated", lr=0.25, steps=100)
    assert "diverged" in fig.axes[0].get_title()
    fig = _render(plot.descent_path("elongated", lr=0.1, steps=30))
    (line,) = [l for l in fig.axes[0].lines if l.get_label() == "path"]
    assert len(line.get_xdata()) == 31 and "loss" in fig.axes[0].get_title()


def test_descent_with_momentum_and_bad_arguments():
    plain = plot.gradient_descent_path(SURFACE.grad, SURFACE.start, 0.01, 50)
    heavy = plot.gradient_descent_path(SURFACE.grad, SURFACE.start, 0.01, 50, momentum=0.9)
    assert SURFACE.loss(*heavy[-1]) < SURFACE.loss(*plain[-1])
    with pytest.raises(ValueError, match="lr must be a positive"):
        plot.gradient_descent_path(SURFACE.grad, (0, 0), -1.0, 5)
    with pytest.raises(ValueError, match="unknown surface"):
        plot.descent_path("egg")


SURFACE = plot.SURFACES["elongated"]


# images -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 8, 8), (6, 1, 8, 8), (6, 8, 8, 1), (6, 64), (6, 3, 8, 8), (6, 8, 8, 3)])
def test_as_images_layouts(shape):
    imgs = plot.as_images(RNG.normal(size=shape))
    assert imgs.shape[:3] == (6, 8, 8) and imgs.ndim == (4 if 3 in shape[1:2] + shape[-1:] else 3)
    if imgs.ndim == 4:
        assert imgs.min() >= 0 and imgs.max() <= 1


def test_image_grid_titles_predictions_in_colour():
    imgs = torch.rand(10, 1, 8, 8)
    labels = np.arange(10) % 3
    preds = np.array([0, 1, 2, 0, 1, 2, 0, 0, 0, 0])
    fig = _render(plot.image_grid(imgs, labels, preds, ncols=4, class_names=["a", "b", "c"]))
    shown = _visible_axes(fig)
    assert len(shown) == 10 and len(fig.axes) == 12  # 3 rows of 4, two hidden
    assert sum(len(ax.images) for ax in shown) == 10
    assert shown[0].get_title() == "a" and shown[0].title.get_color() == "green"
    assert shown[7].get_title() == "a (true b)" and shown[7].title.get_color() == "red"
    with pytest.raises(ValueError, match="one entry per image"):
        plot.image_grid(imgs, labels[:3])
    with pytest.raises(ValueError, match="not a square"):
        plot.image_grid(np.zeros((2, 10)))


def test_filters_and_feature_maps_one_panel_each():
    conv = torch.nn.Conv2d(1, 6, 3)
    fig = _render(plot.filters(conv.weight, ncols=4))
    assert len(_visible_axes(fig)) == 6 and _visible_axes(fig)[5].get_title() == "filter 5"
    assert len(_visible_axes(plot.filters(RNG.normal(size=(4, 3, 3, 3))))) == 4
    maps = conv(torch.rand(1, 1, 8, 8))
    fig = plot.feature_maps(maps)
    assert [ax.get_title() for ax in _visible_axes(fig)] == [f"channel {i}" for i in range(6)]
    with pytest.raises(ValueError, match=r"\(F, C, kh, kw\)"):
        plot.filters(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="pick one input"):
        plot.feature_maps(np.zeros((2, 3, 4, 4)))


def test_gan_samples_images_rows_and_points_panels():
    snaps = {1: RNG.random((5, 1, 8, 8)), 10: RNG.random((5, 64)), 50: RNG.random((5, 8, 8))}
    fig = _render(plot.gan_samples(snaps, n_samples=4))
    assert len(fig.axes) == 12 and sum(len(ax.images) for ax in fig.axes) == 12
    assert [fig.axes[r * 4].get_ylabel() for r in range(3)] == ["step 1", "step 10", "step 50"]
    fig = plot.gan_samples([RNG.normal(size=(20, 2))] * 2, real=RNG.normal(size=(30, 2)))
    assert [ax.get_title() for ax in fig.axes] == ["step 0", "step 1"]
    assert [len(c.get_offsets()) for c in fig.axes[0].collections] == [30, 20]


def test_saliency_three_panels_or_one_overlay():
    fig = _render(plot.saliency(torch.rand(1, 8, 8), torch.rand(1, 8, 8)))
    assert [ax.get_title() for ax in fig.axes] == ["image", "saliency", "overlay"]
    assert [len(ax.images) for ax in fig.axes] == [1, 1, 2]
    _, axes = plot._base.new_figure(1, 1)
    fig = plot.saliency(RNG.random((8, 8, 3)), RNG.random((8, 8)), ax=axes[0, 0])
    assert len(fig.axes) == 1 and len(axes[0, 0].images) == 2
    with pytest.raises(ValueError, match="height and width"):
        plot.saliency(RNG.random((8, 8)), RNG.random((4, 4)))


# heatmaps ---------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40))
def test_confusion_counts_matches_loop(pairs):
    t, p = np.array(pairs).T
    counts = plot.confusion_counts(t, p, 5)
    expected = np.zeros((5, 5), dtype=int)
    for i, j in pairs:
        expected[i, j] += 1
    np.testing.assert_array_equal(counts, expected)


def test_confusion_matrix_annotations_and_accuracy():
    fig = _render(plot.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], class_names=["cat", "dog", "owl"]))
    ax = fig.axes[0]
    assert ax.get_title() == "accuracy 75.0% (n=4)"
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "0", "1", "0", "0", "2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "owl"]
    fig = plot.confusion_matrix(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), normalize=True)
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "0.50", "0.00", "1.00"]
    with pytest.raises(TypeError, match="argmax"):
        plot.confusion_matrix([0, 1], [0.2, 0.7])


def test_attention_one_panel_per_head_with_token_labels():
    w = torch.softmax(torch.randn(1, 3, 4, 5), dim=-1)
    fig = _render(plot.attention(w, queries=list("abcd"), keys=list("vwxyz"), ncols=2))
    heads = _visible_axes(fig)
    assert [ax.get_title() for ax in heads] == ["head 0", "head 1", "head 2"]
    assert [t.get_text() for t in heads[0].get_xticklabels()] == list("vwxyz")
    single = plot.attention(w[0, 0])
    assert single.axes[0].get_title() == "attention" and len(single.axes) == 2  # the map and its colour bar
    with pytest.raises(ValueError, match="label all 5"):
        plot.attention(w[0, 0], keys=list("ab"))


# hyperparameter search --------------------------------------------------------------------------


def test_hyperparameter_search_panels_best_star_and_log_axis():
    trials = [{"lr": lr, "optimizer": opt, "score": s} for lr, opt, s in
              [(1e-4, "sgd", 0.5), (1e-3, "adam", 0.8), (1e-2, "adam", 0.93), (1e-1, "sgd", 0.7)]]
    fig = _render(plot.hyperparameter_search(trials))
    lr_ax, opt_ax = fig.axes
    assert lr_ax.get_xlabel() == "lr" and lr_ax.get_xscale() == "log"
    assert [t.get_text() for t in opt_ax.get_xticklabels()] == ["sgd", "adam"]
    assert len(lr_ax.collections[0].get_offsets()) == 4
    np.testing.assert_allclose(lr_ax.collections[1].get_offsets(), [[1e-2, 0.93]])
    assert fig._suptitle.get_text() == "best: lr=0.01, optimizer=adam (score 0.93)"
    loss_fig = plot.hyperparameter_search({"param_width": [8, 16], "mean_test_score": [0.3, 0.2]},
                                          score="mean_test_score", higher_is_better=False)
    assert loss_fig.axes[0].get_xlabel() == "width" and "width=16" in loss_fig._suptitle.get_text()
    with pytest.raises(ValueError, match="no column 'acc'"):
        plot.hyperparameter_search(trials, score="acc")
