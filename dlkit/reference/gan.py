"""GANs in numpy (lesson 10): the two losses with their gradients, one training step, and mode statistics.

The discriminator outputs raw scores (logits), one per sample; "real" is label 1.
The losses are binary cross-entropy on those logits (batch means, as
``torch.nn.functional.binary_cross_entropy_with_logits``), so they are stable for
any logit. The generator and discriminator are layer objects (e.g. a
:class:`~dlkit.reference.modules.Sequential` of ``Linear`` and ``LeakyReLU``) and
the optimizers come from :mod:`dlkit.reference.optim`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_dim, check_int, check_real
from .layers import as_generator
from .losses import binary_cross_entropy_with_logits
from .modules import Module
from .optim import Optimizer


def _logits(x, name: str) -> np.ndarray:
    x = as_float_array(x, name, ndim=(1, 2))
    if x.ndim == 2 and x.shape[1] != 1:
        raise ValueError(f"{name} must hold one logit per sample, shape (N,) or (N, 1), got {x.shape}.")
    return x


def discriminator_loss(real_logits, fake_logits):
    r"""The discriminator's loss: call real samples real (1) and generated ones fake (0).

    Shape:
        - real_logits: ``(N,)`` or ``(N, 1)``, the discriminator's scores on real samples
        - fake_logits: ``(M,)`` or ``(M, 1)``, its scores on generated samples
        - returns ``(loss, dreal_logits, dfake_logits)``: a scalar and two arrays shaped like the inputs

    Formula: :math:`L_D = -\frac{1}{N}\sum \log \sigma(r) - \frac{1}{M}\sum \log(1 - \sigma(f))`,
    i.e. ``BCE(r, 1) + BCE(f, 0)``; :math:`\partial L_D/\partial r = (\sigma(r) - 1)/N`,
    :math:`\partial L_D/\partial f = \sigma(f)/M`.

    Example::

        >>> loss, dr, df = discriminator_loss(np.zeros(2), np.zeros(2))
        >>> round(float(loss), 4), dr.tolist(), df.tolist()   # 2 log 2: a coin-flipping discriminator
        (1.3863, [-0.25, -0.25], [0.25, 0.25])
    """
    real = _logits(real_logits, "real_logits")
    fake = _logits(fake_logits, "fake_logits")
    loss_real, dreal = binary_cross_entropy_with_logits(real, np.ones_like(real))
    loss_fake, dfake = binary_cross_entropy_with_logits(fake, np.zeros_like(fake))
    return loss_real + loss_fake, dreal, dfake


def generator_loss(fake_logits, saturating: bool = False):
    r"""The generator's loss on the discriminator's scores of its samples.

    Shape: ``fake_logits`` ``(M,)`` or ``(M, 1)``; returns ``(loss, dfake_logits)``, the
    gradient shaped like the input.

    Formula (non-saturating, the default and what everyone trains with):
    :math:`L_G = -\frac{1}{M}\sum \log \sigma(f)` = ``BCE(f, 1)``, with
    :math:`\partial L_G/\partial f = (\sigma(f) - 1)/M`, large when the discriminator
    rejects the samples (:math:`f \ll 0`). ``saturating=True`` gives the original
    minimax loss :math:`\frac{1}{M}\sum \log(1 - \sigma(f))` = ``-BCE(f, 0)``, whose
    gradient :math:`-\sigma(f)/M` vanishes exactly then: the reason for the default.

    Example::

        >>> loss, df = generator_loss(np.array([-10.0]))
        >>> round(float(loss), 3), df.round(3).tolist()
        (10.0, [-1.0])
        >>> generator_loss(np.array([-10.0]), saturating=True)[1].round(6).tolist()
        [-4.5e-05]
    """
    fake = _logits(fake_logits, "fake_logits")
    if saturating:
        loss, dfake = binary_cross_entropy_with_logits(fake, np.zeros_like(fake))
        return -loss, -dfake
    return binary_cross_entropy_with_logits(fake, np.ones_like(fake))


class GANStepLosses(NamedTuple):
    """The two losses of one :func:`gan_train_step`, as Python floats."""

    discriminator: float
    generator: float


def gan_train_step(generator: Module, discriminator: Module, g_optimizer: Optimizer, d_optimizer: Optimizer,
                   real, z_dim: int, rng=None) -> GANStepLosses:
    r"""One GAN update: a discriminator step, then a generator step (non-saturating loss).

    Shape:
        - real: ``(N, D)``, a batch of real samples
        - generator: maps noise ``(N, z_dim)`` to samples ``(N, D)``
        - discriminator: maps samples ``(N, D)`` to logits ``(N, 1)``
        - returns :class:`GANStepLosses` (the discriminator's loss before its step,
          the generator's loss before its step)

    Formula:
        1. :math:`z \sim \mathcal{N}(0, I)`, :math:`\tilde x = G(z)`; one forward of D on the
           real and fake samples stacked together; step D on :func:`discriminator_loss`.
        2. New noise, :math:`\tilde x = G(z)`; step G on :func:`generator_loss` of
           :math:`D(\tilde x)`, back-propagated through D (whose weights stay put).

    The discriminator sees real and fake samples in one batch, so it must not mix
    samples (no batch norm inside it).

    Example::

        >>> from dlkit.reference import Sequential, Linear, LeakyReLU, Adam
        >>> G = Sequential(Linear(2, 8, rng=0), LeakyReLU(0.2), Linear(8, 2, rng=1))
        >>> D = Sequential(Linear(2, 8, rng=2), LeakyReLU(0.2), Linear(8, 1, rng=3))
        >>> losses = gan_train_step(G, D, Adam(G, lr=1e-3), Adam(D, lr=1e-3), np.ones((4, 2)), z_dim=2, rng=0)
        >>> sorted(losses._asdict())
        ['discriminator', 'generator']
    """
    real = as_float_array(real, "real", ndim=2)
    z_dim = check_int(z_dim, "z_dim", low=1)
    rng = as_generator(rng)
    n = real.shape[0]

    # 1. discriminator: real -> 1, fake -> 0
    fake = generator.forward(rng.standard_normal((n, z_dim)).astype(real.dtype))
    check_dim(fake.shape[1], real.shape[1], f"sample size: the generator made samples of shape {fake.shape[1:]} "
              f"but the real batch has shape {real.shape[1:]}")
    logits = discriminator.forward(np.concatenate([real, fake]))
    d_loss, dreal, dfake = discriminator_loss(logits[:n], logits[n:])
    discriminator.backward(np.concatenate([dreal, dfake]))
    d_optimizer.step()

    # 2. generator: make D call fresh fakes real; D's gradients are computed but not applied
    fake = generator.forward(rng.standard_normal((n, z_dim)).astype(real.dtype))
    g_loss, dlogits = generator_loss(discriminator.forward(fake))
    generator.backward(discriminator.backward(dlogits))
    g_optimizer.step()
    return GANStepLosses(float(d_loss), float(g_loss))


class ModeStatistics(NamedTuple):
    """How well samples sit on a mixture's modes (see :func:`mode_statistics`)."""

    on_mode: float  # fraction of samples within ``radius`` of their nearest mode
    modes_covered: int  # modes that received at least ``min_share`` of the samples
    counts: np.ndarray  # (K,) samples within ``radius`` of each mode


def mode_statistics(samples, means, radius: float, min_share: float = 0.02) -> ModeStatistics:
    r"""Measure a generator's samples against the modes of a Gaussian mixture.

    Shape:
        - samples: ``(N, D)``; means: ``(K, D)``
        - returns :class:`ModeStatistics` (``on_mode``, ``modes_covered``, ``counts`` ``(K,)``)

    Formula: with :math:`k(x) = \arg\min_k \lVert x - \mu_k \rVert`, a sample is on a mode
    when :math:`\lVert x - \mu_{k(x)} \rVert \le \text{radius}` (e.g. 3 standard deviations);
    a mode is covered when at least ``min_share * N`` samples are on it. A collapsed
    generator has a high ``on_mode`` but few ``modes_covered``.

    Example::

        >>> means = np.array([[0.0, 0.0], [5.0, 0.0]])
        >>> stats = mode_statistics(np.array([[0.1, 0.0], [0.0, 0.1], [2.5, 0.0]]), means, radius=0.3)
        >>> round(stats.on_mode, 3), stats.modes_covered, stats.counts.tolist()
        (0.667, 1, [2, 0])
    """
    samples = as_float_array(samples, "samples", ndim=2)
    means = as_float_array(means, "means", ndim=2)
    check_dim(means.shape[1], samples.shape[1], f"dimension: means (shape {means.shape}) must have as many "
              f"columns as samples (shape {samples.shape})")
    radius = check_real(radius, "radius", low=0, low_inclusive=False)
    min_share = check_real(min_share, "min_share", low=0, high=1)
    distances = np.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1)  # (N, K)
    nearest = distances.argmin(axis=1)
    on_mode = distances[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[on_mode], minlength=len(means))
    covered = int(np.sum(counts >= max(1, min_share * len(samples))))
    return ModeStatistics(float(on_mode.mean()) if len(samples) else 0.0, covered, counts)
