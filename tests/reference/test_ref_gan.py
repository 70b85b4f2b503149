"""dlkit.reference.gan: losses vs torch, gradchecks, and a numpy GAN that moves its samples onto a mixture's modes."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import dlkit.reference.gan
from dlkit.data.embedded import make_gaussian_mixture
from dlkit.gradcheck import check_gradient
from dlkit.reference import Adam, LeakyReLU, Linear, Sequential
from dlkit.reference import gan
from tests.reference.helpers import assert_parity, assert_unchanged, snapshot, t
from tests.reference.strategies import SOME, arrays, float_dtypes, sides

logit_shapes = st.one_of(st.tuples(sides(1, 6)), st.tuples(sides(1, 6), st.just(1)))


@SOME
@given(dtype=float_dtypes(), data=st.data())
def test_discriminator_loss_matches_torch(dtype, data):
    real = data.draw(arrays(logit_shapes, dtype, scale=3.0))
    fake = data.draw(arrays(logit_shapes, dtype, scale=3.0))
    before = snapshot(real, fake)
    loss, dreal, dfake = gan.discriminator_loss(real, fake)
    rt, ft = t(real, True), t(fake, True)
    loss_t = (F.binary_cross_entropy_with_logits(rt, torch.ones_like(rt))
              + F.binary_cross_entropy_with_logits(ft, torch.zeros_like(ft)))
    loss_t.backward()
    assert_parity(np.asarray(loss), loss_t, "loss")
    assert_parity(dreal, rt.grad, "dreal")
    assert_parity(dfake, ft.grad, "dfake")
    assert_unchanged(before, [real, fake], ["real_logits", "fake_logits"])


@SOME
@given(dtype=float_dtypes(), saturating=st.booleans(), data=st.data())
def test_generator_loss_matches_torch(dtype, saturating, data):
    fake = data.draw(arrays(logit_shapes, dtype, scale=3.0))
    loss, dfake = gan.generator_loss(fake, saturating=saturating)
    ft = t(fake, True)
    if saturating:  # the original minimax objective: minimise log(1 - D(G(z)))
        loss_t = torch.log1p(-torch.sigmoid(ft)).mean()
    else:  # non-saturating: maximise log D(G(z))
        loss_t = -F.logsigmoid(ft).mean()
    loss_t.backward()
    assert_parity(np.asarray(loss), loss_t, "loss", tol=1e-5 if dtype == np.float32 else 1e-7)
    assert_parity(dfake, ft.grad, "dfake")


@pytest.mark.parametrize("saturating", [False, True])
def test_generator_loss_passes_gradcheck(saturating):
    fake = np.random.default_rng(0).standard_normal((5, 1)) * 3
    _, dfake = gan.generator_loss(fake, saturating)
    check_gradient(lambda f: gan.generator_loss(f, saturating)[0], fake.copy(), dfake).assert_passed()


def test_discriminator_loss_passes_gradcheck():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal(4) * 3, rng.standard_normal(6) * 3
    _, dreal, dfake = gan.discriminator_loss(real, fake)
    check_gradient(lambda r: gan.discriminator_loss(r, fake)[0], real.copy(), dreal).assert_passed()
    check_gradient(lambda f: gan.discriminator_loss(real, f)[0], fake.copy(), dfake).assert_passed()


def test_saturating_loss_vanishes_where_the_non_saturating_one_does_not():
    rejected = np.full(4, -8.0)  # the discriminator is sure these fakes are fake
    _, d_ns = gan.generator_loss(rejected)
    _, d_sat = gan.generator_loss(rejected, saturating=True)
    assert np.abs(d_ns).min() > 1000 * np.abs(d_sat).max()


def test_losses_are_finite_for_huge_logits():
    loss, dreal, dfake = gan.discriminator_loss(np.array([-1e3, 1e3]), np.array([1e3, -1e3]))
    assert np.isfinite(loss) and np.isfinite(dreal).all() and np.isfinite(dfake).all()
    assert abs(float(loss) - 1000.0) < 1e-9  # one badly wrong answer on each side: (1000 + 0)/2 + (1000 + 0)/2


def _mlp(n_in, n_out, hidden, rng):
    return Sequential(Linear(n_in, hidden, rng=rng), LeakyReLU(0.2), Linear(hidden, hidden, rng=rng), LeakyReLU(0.2),
                      Linear(hidden, n_out, rng=rng))


def test_gan_step_updates_both_nets_and_leaves_the_batch_alone():
    rng = np.random.default_rng(0)
    G, D = _mlp(2, 2, 8, rng), _mlp(2, 1, 8, rng)
    real = rng.standard_normal((16, 2))
    before = snapshot(real)
    g_before, d_before = snapshot(*G.params.values()), snapshot(*D.params.values())
    losses = gan.gan_train_step(G, D, Adam(G, lr=1e-2), Adam(D, lr=1e-2), real, z_dim=2, rng=1)
    assert np.isfinite(losses.discriminator) and np.isfinite(losses.generator)
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, G.params.values()))
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, D.params.values()))
    assert_unchanged(before, [real], ["real"])


def test_numpy_gan_moves_its_samples_onto_the_modes():
    """8 Gaussians (std 0.05) on a ring of radius 2; a sample is on a mode within 3 std (0.15).

    Measured with this seed: before training 0% of samples on a mode and 0/8 modes
    covered; after 2000 steps about 68% on a mode with 8/8 modes covered.
    """
    data = make_gaussian_mixture(4000, n_components=8, std=0.05, radius=2.0, seed=0)
    real, means = data.X_train.astype(np.float64), data.info["means"].astype(np.float64)
    rng = np.random.default_rng(0)
    G, D = _mlp(2, 2, 64, rng), _mlp(2, 1, 64, rng)
    g_opt, d_opt = Adam(G, lr=1e-3, betas=(0.5, 0.999)), Adam(D, lr=1e-3, betas=(0.5, 0.999))
    z = np.random.default_rng(99).standard_normal((2000, 2))
    before = gan.mode_statistics(G.forward(z), means, radius=0.15)
    for _ in range(2000):
        gan.gan_train_step(G, D, g_opt, d_opt, real[rng.integers(0, len(real), 128)], z_dim=2, rng=rng)
    after = gan.mode_statistics(G.forward(z), means, radius=0.15)
    assert before.on_mode < 0.05 and before.modes_covered <= 1, before
    assert after.on_mode > 0.45, f"only {after.on_mode:.0%} of samples on a mode after training: {after}"
    assert after.modes_covered >= 6, f"mode collapse: {after.modes_covered}/8 modes covered: {after}"


def test_mode_statistics_tell_collapse_from_coverage():
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    collapsed = np.zeros((100, 2))
    spread = np.repeat(means, 25, axis=0)
    assert gan.mode_statistics(collapsed, means, 0.1)[:2] == (1.0, 1)
    assert gan.mode_statistics(spread, means, 0.1)[:2] == (1.0, 4)
    assert gan.mode_statistics(spread + 0.5, means, 0.1).on_mode == 0.0




@pytest.mark.parametrize("call, error, message", [
    (lambda: gan.discriminator_loss(np.zeros((3, 2)), np.zeros(3)), ValueError,
     r"real_logits must hold one logit per sample, shape \(N,\) or \(N, 1\), got \(3, 2\)"),
    (lambda: gan.generator_loss([[[0.0]]]), ValueError, r"fake_logits must have 1 or 2 dimensions"),
    (lambda: gan.generator_loss(np.zeros(3, dtype=int)), TypeError, r"fake_logits must have dtype float32 or float64"),
    (lambda: gan.mode_statistics(np.zeros((3, 2)), np.zeros((4, 3)), 0.1), ValueError, r"dimension.*expected 2, got 3"),
    (lambda: gan.gan_train_step(_mlp(2, 3, 4, 0), _mlp(2, 1, 4, 1), None, None, np.zeros((4, 2)), 2), ValueError,
     r"sample size: the generator made samples of shape \(3,\)"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
