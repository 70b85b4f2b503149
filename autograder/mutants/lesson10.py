"""Plausible wrong answers (mutants) and other correct answers for lesson 10's exercises.

Each source is a complete answer cell. The function exercises (``d_loss``,
``g_loss``, ``gan_step``) are one ``def``; the model exercise (``mixture_gan``)
is the cell's training code, starting from ``mixture_G = None``. Sources run
with the notebook's imports in scope (:data:`IMPORTS`: ``np``, ``torch``,
``nn``, ``F``, ``data``) and ``ring_X``, the ring the notebook loads before
exercise 4. ``gan_step`` sources call the student's ``discriminator_loss`` and
``generator_loss`` (the solution's, run first).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"10.d_loss"``).
LESSON = "10"

#: What an exercise's sources need first: earlier answers, or a notebook cell by grade id.
REQUIRES: dict[str, tuple[str, ...]] = {
    "gan_step": ("d_loss", "g_loss"),
    "mixture_gan": ("ring-data",),
}

#: What the notebook has defined when an answer cell runs (its imports cell).
IMPORTS = dedent("""
    import numpy as np
    import matplotlib.pyplot as plt
    import torch
    from torch import nn
    import torch.nn.functional as F
    from dlkit import data, plot
    from dlkit.reference.gan import mode_statistics
    OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


_STABLE = """
    def softplus(t):
        return np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))

    def sigmoid(t):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1 / (1 + e), e / (1 + e))
"""


def _d_loss(body: str) -> str:
    return _src("def discriminator_loss(real_logits, fake_logits):\n" + dedent(_STABLE).replace("\n", "\n    ")
                + "\n" + dedent(body).replace("\n", "\n    "))


def _g_loss(body: str) -> str:
    return _src("def generator_loss(fake_logits):\n" + dedent(_STABLE).replace("\n", "\n    ")
                + "\n" + dedent(body).replace("\n", "\n    "))


def _step(d_part: str, g_part: str) -> str:
    head = "def gan_step(real, z_d, z_g, Wg, bg, wd, bd, lr):\n"
    return _src(head + "    " + dedent(d_part).strip().replace("\n", "\n    ") + "\n    "
                + dedent(g_part).strip().replace("\n", "\n    "))


_D_STEP = """
    fake = z_d @ Wg + bg
    _, g_real, g_fake = discriminator_loss(real @ wd + bd, fake @ wd + bd)
    wd_new = wd - lr * (real.T @ g_real + fake.T @ g_fake)
    bd_new = bd - lr * (g_real.sum() + g_fake.sum())
"""
_G_STEP = """
    _, g = generator_loss((z_g @ Wg + bg) @ wd_new + bd_new)
    d_samples = np.outer(g, wd_new)
    return Wg - lr * z_g.T @ d_samples, bg - lr * d_samples.sum(axis=0), wd_new, bd_new
"""


def _ring(body: str) -> str:
    return "mixture_G = None\n" + _src(body)


_RING_LOOP = """
    torch.manual_seed({seed})
    mixture_G = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
    D = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))
    opt_G = torch.optim.Adam(mixture_G.parameters(), lr={lr_g}, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr={lr_d}, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits
    for step in range({steps}):
        real = ring_X[torch.randint(len(ring_X), (128,))]
        fake = mixture_G(torch.randn(128, 8))
        r, f = D(real), D(fake.detach())
        loss_D = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
        opt_D.zero_grad(); loss_D.backward(); opt_D.step()
        f = D(fake)
        loss_G = {g_loss}
        opt_G.zero_grad(); loss_G.backward(); opt_G.step()
    mixture_G.eval()
"""

MUTANTS: dict[str, list[tuple[str, str]]] = {
    "d_loss": [
        ("one mean over all N + M logits", _d_loss("""
            logits = np.concatenate([real_logits, fake_logits])
            per = np.concatenate([softplus(-real_logits), softplus(fake_logits)])
            n = len(logits)
            return float(per.mean()), (sigmoid(real_logits) - 1) / n, sigmoid(fake_logits) / n
        """)),
        ("the naive log(sigmoid): overflows for large logits", _src("""
            def discriminator_loss(real_logits, fake_logits):
                p_real = 1 / (1 + np.exp(-real_logits))
                p_fake = 1 / (1 + np.exp(-fake_logits))
                loss = -np.log(p_real).mean() - np.log(1 - p_fake).mean()
                return float(loss), (p_real - 1) / len(real_logits), p_fake / len(fake_logits)
        """)),
        ("labels swapped: real called 0, fake called 1", _d_loss("""
            loss = softplus(real_logits).mean() + softplus(-fake_logits).mean()
            return float(loss), sigmoid(real_logits) / len(real_logits), (sigmoid(fake_logits) - 1) / len(fake_logits)
        """)),
        ("gradients not divided by the batch sizes", _d_loss("""
            loss = softplus(-real_logits).mean() + softplus(fake_logits).mean()
            return float(loss), sigmoid(real_logits) - 1, sigmoid(fake_logits)
        """)),
        ("sums instead of means", _d_loss("""
            loss = softplus(-real_logits).sum() + softplus(fake_logits).sum()
            return float(loss), sigmoid(real_logits) - 1, sigmoid(fake_logits)
        """)),
    ],
    "g_loss": [
        ("the saturating minimax loss log(1 - sigmoid(f))", _g_loss("""
            return float(-softplus(fake_logits).mean()), -sigmoid(fake_logits) / len(fake_logits)
        """)),
        ("the naive log(sigmoid): overflows for large logits", _src("""
            def generator_loss(fake_logits):
                p = 1 / (1 + np.exp(-fake_logits))
                return float(-np.log(p).mean()), (p - 1) / len(fake_logits)
        """)),
        ("gradient with the wrong sign", _g_loss("""
            return float(softplus(-fake_logits).mean()), (1 - sigmoid(fake_logits)) / len(fake_logits)
        """)),
        ("the discriminator's fake term (label 0) instead of label 1", _g_loss("""
            return float(softplus(fake_logits).mean()), sigmoid(fake_logits) / len(fake_logits)
        """)),
    ],
    "gan_step": [
        ("the generator step scores with the old discriminator", _step(_D_STEP, """
            _, g = generator_loss((z_g @ Wg + bg) @ wd + bd)
            d_samples = np.outer(g, wd)
            return Wg - lr * z_g.T @ d_samples, bg - lr * d_samples.sum(axis=0), wd_new, bd_new
        """)),
        ("the generator step reuses z_d", _step(_D_STEP, """
            _, g = generator_loss((z_d @ Wg + bg) @ wd_new + bd_new)
            d_samples = np.outer(g, wd_new)
            return Wg - lr * z_d.T @ d_samples, bg - lr * d_samples.sum(axis=0), wd_new, bd_new
        """)),
        ("the discriminator ignores the fakes' gradient", _step("""
            fake = z_d @ Wg + bg
            _, g_real, g_fake = discriminator_loss(real @ wd + bd, fake @ wd + bd)
            wd_new = wd - lr * (real.T @ g_real)
            bd_new = bd - lr * g_real.sum()
        """, _G_STEP)),
        ("gradient ascent on the generator's loss", _step(_D_STEP, """
            _, g = generator_loss((z_g @ Wg + bg) @ wd_new + bd_new)
            d_samples = np.outer(g, wd_new)
            return Wg + lr * z_g.T @ d_samples, bg + lr * d_samples.sum(axis=0), wd_new, bd_new
        """)),
        ("changes the discriminator's weights in place", _step("""
            fake = z_d @ Wg + bg
            _, g_real, g_fake = discriminator_loss(real @ wd + bd, fake @ wd + bd)
            wd -= lr * (real.T @ g_real + fake.T @ g_fake)
            bd -= lr * (g_real.sum() + g_fake.sum())
            wd_new, bd_new = wd, bd
        """, _G_STEP)),
    ],
    "mixture_gan": [
        ("left unanswered", "mixture_G = None\n"),
        ("an untrained generator", _ring("""
            torch.manual_seed(0)
            mixture_G = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
            mixture_G.eval()
        """)),
        ("a generator that outpaces its discriminator: collapsed", _ring(_RING_LOOP.format(
            seed=0, lr_g="5e-3", lr_d="2e-4", steps=600, g_loss="bce(f, torch.ones_like(f))"))),
        ("outputs the mean of the data for every noise vector", _ring("""
            centre = ring_X.mean(dim=0)
            mixture_G = lambda z: centre.expand(len(z), 2).numpy()
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "d_loss": [
        ("log-sigmoid through np.logaddexp, sigmoid through tanh", _src("""
            def discriminator_loss(real_logits, fake_logits):
                loss = np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()
                sig = lambda t: 0.5 * (1 + np.tanh(t / 2))
                return loss, (sig(real_logits) - 1) / real_logits.size, sig(fake_logits) / fake_logits.size
        """)),
    ],
    "g_loss": [
        ("np.logaddexp and a tanh sigmoid", _src("""
            def generator_loss(fake_logits):
                sig = 0.5 * (1 + np.tanh(fake_logits / 2))
                return np.logaddexp(0, -fake_logits).mean(), (sig - 1) / fake_logits.size
        """)),
    ],
    "gan_step": [
        ("gradients written with sigmoids instead of calling the losses", _src("""
            def gan_step(real, z_d, z_g, Wg, bg, wd, bd, lr):
                sig = lambda t: 0.5 * (1 + np.tanh(t / 2))
                fake = z_d @ Wg + bg
                g_real = (sig(real @ wd + bd) - 1) / len(real)
                g_fake = sig(fake @ wd + bd) / len(fake)
                wd2 = wd - lr * (g_real @ real + g_fake @ fake)
                bd2 = bd - lr * np.sum(np.concatenate([g_real, g_fake]))
                fake = z_g @ Wg + bg
                g = (sig(fake @ wd2 + bd2) - 1) / len(fake)
                dW = np.einsum("m,mk,d->kd", g, z_g, wd2)
                return Wg - lr * dW, bg - lr * g.sum() * wd2, wd2, bd2
        """)),
    ],
    "mixture_gan": [
        ("a minibatch-std discriminator, softplus losses, another seed", _ring("""
            class BatchStd(nn.Module):
                def forward(self, x):
                    return torch.cat([x, x.std(dim=0).mean().expand(len(x), 1)], dim=1)

            torch.manual_seed(1)
            mixture_G = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
            D = nn.Sequential(BatchStd(), nn.Linear(3, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2),
                              nn.Linear(128, 1))
            opt_G = torch.optim.Adam(mixture_G.parameters(), lr=1e-3, betas=(0.5, 0.999))
            opt_D = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
            for step in range(1000):
                real = ring_X[torch.randint(len(ring_X), (128,))]
                fake = mixture_G(torch.randn(128, 8))
                loss_D = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
                opt_D.zero_grad(); loss_D.backward(); opt_D.step()
                loss_G = F.softplus(-D(fake)).mean()
                opt_G.zero_grad(); loss_G.backward(); opt_G.step()
            mixture_G.eval()
        """)),
    ],
}
