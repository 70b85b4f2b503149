"""dlkit.reference.explain (lesson 12's answer keys) against the maintained libraries: Captum and Fairlearn."""

from __future__ import annotations

import captum.attr as captum_attr          # course dependencies (pyproject.toml): never skipped
import fairlearn.metrics as fairlearn_metrics
import numpy as np
import pytest
import torch

from dlkit.checks.lesson12 import random_cnn_state
from dlkit.reference import explain


class _Net(torch.nn.Module):
    """The reference's CNN as a module, for Captum."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def forward(self, x):
        return explain.cnn_logits(self.state, x)


def _setup(seed, n=3, c1=8, c2=16):
    rng = np.random.default_rng(seed)
    state = random_cnn_state(rng, c1, c2)
    x = rng.random((n, 1, 8, 8))
    target = rng.integers(0, 10, n)
    return state, x, target, _Net(state)


@pytest.mark.parametrize("seed", range(3))
def test_saliency_and_integrated_gradients_match_captum(seed):
    state, x, target, net = _setup(seed, c1=3 + seed, c2=5 + seed)
    xt, tt = torch.as_tensor(x), torch.as_tensor(target)
    sal = captum_attr.Saliency(net).attribute(xt.clone().requires_grad_(True), target=tt).numpy()
    np.testing.assert_allclose(explain.saliency(state, x, target), sal, rtol=1e-10, atol=1e-12)
    baseline = np.full_like(x, 0.25)
    for steps in (2, 7, 32):  # Captum needs at least 2
        theirs = captum_attr.IntegratedGradients(net).attribute(
            xt, baselines=torch.as_tensor(baseline), target=tt, n_steps=steps, method="riemann_middle").numpy()
        # Captum's step positions come from a float32 torch.linspace: agreement to float32's precision
        np.testing.assert_allclose(explain.integrated_gradients(state, x, baseline, target, steps), theirs,
                                   rtol=1e-6, atol=1e-9)


def test_integrated_gradients_complete_as_the_steps_grow():
    state, x, target, _ = _setup(5)
    with torch.no_grad():
        change = (explain.cnn_logits(state, torch.as_tensor(x)) - explain.cnn_logits(state, torch.zeros(3, 1, 8, 8,
                  dtype=torch.float64)))[np.arange(3), target].numpy()
    gap = np.abs(explain.integrated_gradients(state, x, np.zeros_like(x), target, 512).sum(axis=(1, 2, 3)) - change)
    assert gap.max() < 0.02 * np.abs(change).max()


@pytest.mark.parametrize("window,stride,fill", [(2, 2, 0.0), (3, 1, 0.5), (3, 2, 0.0), (4, 3, 0.2), (8, 1, 1.0)])
def test_occlusion_matches_captum(window, stride, fill):
    state, x, target, net = _setup(window)
    theirs = captum_attr.Occlusion(net).attribute(torch.as_tensor(x), sliding_window_shapes=(1, window, window),
                                                  strides=(1, stride, stride), baselines=fill,
                                                  target=torch.as_tensor(target)).numpy()
    # Captum accumulates the drops in float32: agreement to float32's precision
    np.testing.assert_allclose(explain.occlusion(state, x, target, window, stride, fill), theirs,
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_fairness_metrics_match_fairlearn(seed):
    rng = np.random.default_rng(seed)
    n, k = 300, 2 + seed % 3
    group = rng.integers(0, k, n) * 3 + 1
    y_true = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < 0.3 + 0.4 * y_true * (group == 1)).astype(int)
    dp, eo = explain.fairness_metrics(y_true, y_pred, group)
    assert dp == pytest.approx(fairlearn_metrics.demographic_parity_difference(y_true, y_pred,
                                                                               sensitive_features=group), abs=1e-12)
    assert eo == pytest.approx(fairlearn_metrics.equalized_odds_difference(y_true, y_pred,
                                                                           sensitive_features=group), abs=1e-12)


def test_a_state_with_missing_weights_is_refused():
    state = random_cnn_state(np.random.default_rng(0))
    del state["fc.bias"]
    with pytest.raises(ValueError, match="state must be a dict with the keys"):
        explain.saliency(state, np.zeros((1, 1, 8, 8)), np.array([0]))
