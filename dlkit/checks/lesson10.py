"""Checks for lesson 10: generative adversarial networks.

Exercises: ``discriminator_loss`` and ``generator_loss`` (the two losses on
logits, with their gradients, stable for any logit), ``gan_step`` (one GAN
training step of a linear generator against a logistic discriminator, in
numpy) and ``mixture_gan`` (a trained torch generator, scored at grade time on
fresh noise by how many of the ring's eight modes its samples cover). The answer
keys call :mod:`dlkit.reference.gan`, whose tests hold it to
``torch.nn.functional.binary_cross_entropy_with_logits``; the notebook never
calls them (the grader withdraws them), it compares with torch.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, Verdict, register
from dlkit.reference import gan

#: The ring the lesson's generator learns: ``data.make_gaussian_mixture`` with these settings.
RING_COMPONENTS, RING_RADIUS, RING_STD = 8, 2.0, 0.1

#: A sample is "on a mode" within this distance of a mean (3 standard deviations).
ON_MODE_RADIUS = 3 * RING_STD

#: Exercise 4 passes when the samples cover at least this many modes (each with at least 2% of them) ...
MODES_TARGET = 7
#: ... and at least this share of them lies on a mode (the solution: 8 modes and 44 to 64% over five seeds).
ON_MODE_TARGET = 0.3

#: The noise the generator of exercise 4 reads: standard normal, this many numbers per sample.
Z_DIM = 8

#: The one label of exercise 4's cases, visible and hidden (new noise each).
FRESH_NOISE = "2000 fresh noise vectors z ~ N(0, I)"

_LOSSES_DONE_FOR_YOU = (
    "torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy",
    "torch.binary_cross_entropy_with_logits", "torch.nn.functional.logsigmoid",
    "dlkit.reference.losses.binary_cross_entropy_with_logits", "dlkit.reference.gan.discriminator_loss",
    "dlkit.reference.gan.generator_loss", "dlkit.reference.gan.gan_train_step",
)


def ring_means() -> np.ndarray:
    """The eight means of the ring, ``(8, 2)``: ``radius * (cos 2 pi k / 8, sin 2 pi k / 8)``."""
    angle = 2 * np.pi * np.arange(RING_COMPONENTS) / RING_COMPONENTS
    return RING_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)


# -- 1. the discriminator's loss ----------------------------------------------------------------

def _logits(rng, n, scale=3.0):
    return rng.normal(scale=scale, size=n)


def _d_loss_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    n, m = int(rng.integers(2, 9)), int(rng.integers(9, 20))
    big = cases.extremes(rng, n=8)
    return [
        Case((_logits(rng, n), _logits(rng, n)), label="random logits, as many real as fake"),
        Case((_logits(rng, n), _logits(rng, m)), label="more fake samples than real: each term is its own mean",
             hint="L_D is the mean over the real samples plus the mean over the fake ones, not one mean over "
                  "all N + M; the gradients are divided by N and by M."),
        Case((_logits(rng, m), _logits(rng, n)), label="more real samples than fake"),
        Case((big, rng.permutation(big)), label="logits far beyond exp's overflow, of both signs",
             hint="Never compute log(sigmoid(z)) or exp(z) of a large z: use -log sigmoid(z) = "
                  "max(-z, 0) + log1p(exp(-|z|)), which is exact for every z."),
        Case((_logits(rng, 1), _logits(rng, 1)), label="one real and one fake sample"),
    ]


def _d_loss_visible() -> list[Case]:
    return [
        Case((np.zeros(2), np.zeros(2)), label="a coin-flipping discriminator: loss 2 log 2",
             hint="Logit 0 is probability 1/2 for both; -log(1/2) - log(1 - 1/2) = 2 log 2."),
        Case((np.array([4.0, 2.0]), np.array([-3.0, 1.0])), label="a discriminator mostly right",
             hint="Real samples have label 1 (loss -log sigmoid(r)), fake ones label 0 (loss -log(1 - sigmoid(f)))."),
        *_d_loss_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="10.d_loss", function="discriminator_loss", reference=gan.discriminator_loss,
    visible=_d_loss_visible, hidden=_d_loss_cases, rtol=1e-9, atol=1e-12, strict_float=True,
    forbidden=_LOSSES_DONE_FOR_YOU,
    hint="Return (loss, d_real, d_fake): loss = mean(-log sigmoid(r)) + mean(-log(1 - sigmoid(f))), "
         "d_real = (sigmoid(r) - 1) / N, d_fake = sigmoid(f) / M, all computed without overflow.",
))


# -- 2. the non-saturating generator loss ---------------------------------------------------

def _g_loss_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    return [
        Case((_logits(rng, int(rng.integers(2, 20))),), label="random logits"),
        Case((-np.abs(_logits(rng, int(rng.integers(2, 10)), scale=8.0)),),
             label="a discriminator that rejects every fake: the gradient must stay large",
             hint="The non-saturating loss is -log sigmoid(f); its gradient (sigmoid(f) - 1) / M tends to -1/M "
                  "when f is very negative. log(1 - sigmoid(f)) is the saturating loss, whose gradient vanishes."),
        Case((cases.extremes(rng, n=8),), label="logits far beyond exp's overflow, of both signs",
             hint="-log sigmoid(f) = max(-f, 0) + log1p(exp(-|f|)) never overflows."),
        Case((_logits(rng, 1),), label="one fake sample"),
    ]


def _g_loss_visible() -> list[Case]:
    return [
        Case((np.zeros(4),), label="logit 0: loss log 2"),
        Case((np.array([-10.0]),), label="D is sure the sample is fake: loss 10, gradient -1",
             hint="With the non-saturating loss -log sigmoid(f), f = -10 gives about 10 and a gradient near -1."),
        *_g_loss_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="10.g_loss", function="generator_loss", reference=gan.generator_loss,
    visible=_g_loss_visible, hidden=_g_loss_cases, rtol=1e-9, atol=1e-12, strict_float=True,
    forbidden=_LOSSES_DONE_FOR_YOU,
    hint="Return (loss, d_fake) with loss = mean(-log sigmoid(f)) and d_fake = (sigmoid(f) - 1) / M.",
))


# -- 3. one GAN training step, linear G against logistic D -------------------------------------

def gan_step(real, z_d, z_g, Wg, bg, wd, bd, lr):
    """Answer key: one discriminator step on (real, G(z_d)), then one generator step on G(z_g) against the new D.

    G(z) = z @ Wg + bg, D(x) = x @ wd + bd (logits); plain gradient descent with step ``lr``.
    Returns ``(Wg, bg, wd, bd)`` after the two steps.
    """
    fake = z_d @ Wg + bg
    _, d_real, d_fake = gan.discriminator_loss(real @ wd + bd[0], fake @ wd + bd[0])
    wd_new = wd - lr * (real.T @ d_real + fake.T @ d_fake)
    bd_new = bd - lr * np.array([d_real.sum() + d_fake.sum()])
    fake = z_g @ Wg + bg
    _, d_logits = gan.generator_loss(fake @ wd_new + bd_new[0])
    d_fake_x = np.outer(d_logits, wd_new)                 # (M, D): through the new discriminator
    return Wg - lr * (z_g.T @ d_fake_x), bg - lr * d_fake_x.sum(axis=0), wd_new, bd_new


def _step_case(rng, n, m, k, d, label, *, scale=1.0, lr=0.1, hint=""):
    real = rng.normal(loc=2.0, size=(n, d))
    args = (real, rng.normal(size=(m, k)), rng.normal(size=(m, k)), rng.normal(scale=scale, size=(k, d)),
            rng.normal(size=d), rng.normal(scale=scale, size=d), rng.normal(size=1), lr)
    return Case(args, label=label, hint=hint)


def _step_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible and hidden alike."""
    out = [_step_case(rng, int(rng.integers(3, 12)), int(rng.integers(3, 12)), int(rng.integers(1, 5)),
                      int(rng.integers(1, 4)), "random sizes and weights", lr=float(rng.uniform(0.01, 0.5)))
           for _ in range(3)]
    out.append(_step_case(rng, 6, 4, 3, 2, "more real than fake samples, noise size differs from the data size"))
    out.append(_step_case(rng, 5, 5, 2, 2, "large weights: the discriminator is sure, the losses must stay stable",
                          scale=60.0, lr=0.05))
    return out


def _step_visible() -> list[Case]:
    rng = np.random.default_rng(103)
    return [
        _step_case(rng, 4, 4, 2, 2, "4 real 2-D points, noise of size 2, lr 0.1",
                   hint="First update wd, bd on discriminator_loss(D(real), D(G(z_d))); then compute G(z_g) and "
                        "update Wg, bg on generator_loss of the *updated* discriminator's logits."),
        _step_case(rng, 3, 5, 1, 1, "1-D data and 1-D noise",
                   hint="dL/dfake = outer(dL/dlogits, wd) and dL/dWg = z_g.T @ dL/dfake; the generator step uses "
                        "z_g, not z_d."),
        *_step_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="10.gan_step", function="gan_step", reference=gan_step,
    visible=_step_visible, hidden=_step_cases, rtol=1e-8, atol=1e-10, strict_float=True,
    forbidden=_LOSSES_DONE_FOR_YOU + ("torch.autograd.grad", "torch.Tensor.backward"),
    hint="Discriminator step: logits r = real @ wd + bd, f = (z_d @ Wg + bg) @ wd + bd; with (_, dr, df) from "
         "discriminator_loss, wd -= lr * (real.T @ dr + fake.T @ df), bd -= lr * (sum dr + sum df). Generator "
         "step: fake = z_g @ Wg + bg, (_, dg) = generator_loss(fake @ wd_new + bd_new), dfake = outer(dg, wd_new), "
         "Wg -= lr * z_g.T @ dfake, bg -= lr * dfake.sum(0). Return (Wg, bg, wd, bd) as new arrays.",
))


# -- 4. a trained generator on the ring of eight Gaussians (scored on fresh noise) ------------------

def mode_coverage(case: Case, output: tuple) -> Verdict:
    """Score a generator's samples: modes covered (each with >= 2% of the samples) and the share on a mode."""
    samples = output[0]
    n = case.args[0].shape[0]
    if samples.shape != (n, 2):
        return Verdict(False, f"gave samples of shape {samples.shape} for {n} noise vectors; expected ({n}, 2)")
    if not np.isfinite(samples).all():
        return Verdict(False, "gave samples that are not all finite numbers")
    stats = gan.mode_statistics(samples, case.secret, radius=ON_MODE_RADIUS)
    message = (f"covers {stats.modes_covered} of {RING_COMPONENTS} modes (at least {MODES_TARGET} needed) with "
               f"{stats.on_mode:.0%} of its samples within {ON_MODE_RADIUS:g} of a mode (at least "
               f"{ON_MODE_TARGET:.0%} needed)")
    return Verdict(stats.modes_covered >= MODES_TARGET and stats.on_mode >= ON_MODE_TARGET, message)


def _noise_cases(rng: np.random.Generator) -> list[Case]:
    z = rng.standard_normal((2000, Z_DIM)).astype(np.float32)
    return [Case((z,), secret=ring_means(), label=FRESH_NOISE)]


register(Exercise(
    id="10.mixture_gan", function="mixture_G", reference=None, kind="model", score=mode_coverage,
    visible=lambda: _noise_cases(cases.fixed_rng()), hidden=_noise_cases,
    hint=f"mixture_G must map noise (N, {Z_DIM}) to points (N, 2). Train it as a GAN on the ring (two hidden "
         "layers of 128 for G and D, Adam lr 1e-3 with betas (0.5, 0.999), batches of 128, about 1000 steps); "
         "a generator that puts everything on one or two modes has collapsed.",
))
