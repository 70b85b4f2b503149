"""Checks for lesson 05: optimization.

Exercises: ``sgd_step`` (momentum and Nesterov), ``rmsprop_step``, ``adam_step``
and ``warmup_cosine`` (a learning-rate schedule). Each optimizer exercise is a
pure step function, arrays in and arrays out, so it crosses the grader's wire;
its answer key runs one step of the matching :mod:`dlkit.reference.optim`
optimizer (which the reference tests hold to ``torch.optim``) from the same
state. Cases start from states reached by running that optimizer for several
steps on a real problem, and from the edge cases the exercise text states
(zero state at step 1, tiny gradients where ``eps`` decides, momentum 0).
"""

from __future__ import annotations

import math

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, register
from dlkit.reference import optim

#: Optimizer steps are compared to this tolerance: float64 in, float64 out.
STEP_TOL = (1e-9, 1e-12)


def _one_step(opt_cls, param, grad, state: dict, steps_done: int, **settings):
    """One step of a dlkit.reference.optim optimizer from a given state: (new param, new state)."""
    params, grads = {"p": np.array(param, dtype=np.float64)}, {"p": np.array(grad, dtype=np.float64)}
    opt = opt_cls((params, grads), **settings)
    opt.state[0].update({k: np.array(v, dtype=np.float64) for k, v in state.items()})
    opt.steps = steps_done
    opt.step()
    return params["p"], opt.state[0]


def _quadratic_grads(rng: np.random.Generator, shape: tuple[int, ...], steps: int, opt_cls, **settings):
    """Run an optimizer ``steps`` times on a random ill-conditioned quadratic; return (param, grad, state).

    The gradient of 0.5 * sum(c * p**2) is c * p; ``c`` spans two orders of
    magnitude so the coordinates move at different speeds, as in a real network.
    """
    curvature = np.exp(rng.uniform(np.log(0.1), np.log(10.0), size=shape))
    params, grads = {"p": rng.normal(0, 2, size=shape)}, {}
    opt = opt_cls((params, grads), **settings)
    for _ in range(steps):
        grads["p"] = curvature * params["p"] + rng.normal(0, 0.1, size=shape)  # a noisy (stochastic) gradient
        opt.step()
    grad = curvature * params["p"] + rng.normal(0, 0.1, size=shape)
    return params["p"], grad, opt.state[0]


def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 3)))


# -- 1. SGD with momentum and Nesterov ------------------------------------------------

def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
    """Answer key: one step of ``torch.optim.SGD`` (dampening 0) from momentum buffer ``velocity``."""
    settings = {"lr": lr, "momentum": momentum, "nesterov": nesterov}
    if momentum == 0:
        settings.pop("nesterov")
        new_param, _ = _one_step(optim.SGD, param, grad, {}, 0, **settings)
        return new_param, np.array(grad, dtype=np.float64)  # without momentum the buffer is just g
    new_param, state = _one_step(optim.SGD, param, grad, {"buf": velocity}, 1, **settings)
    return new_param, state["buf"]


def _sgd_case(rng, shape, steps, lr, momentum, nesterov, label, hint=""):
    if momentum == 0:
        param, grad = rng.normal(size=shape), rng.normal(size=shape)
        velocity = np.zeros(shape)
    else:
        param, grad, state = _quadratic_grads(rng, shape, steps, optim.SGD, lr=lr, momentum=momentum,
                                              nesterov=nesterov)
        velocity = state.get("buf", np.zeros(shape))
    return Case((param, grad, velocity, lr), {"momentum": momentum, "nesterov": nesterov}, label=label, hint=hint)


def _sgd_visible() -> list[Case]:
    rng = np.random.default_rng(51)
    return [
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.zeros(2), 0.1), {"momentum": 0.0},
             label="plain SGD (momentum 0): p - lr * g"),
        Case((np.array([1.0, -2.0]), np.array([0.5, -1.0]), np.zeros(2), 0.1), {"momentum": 0.9},
             label="first step: velocity starts at zero, so the new velocity is g",
             hint="With velocity 0, v = 0.9 * 0 + g = g. Is the velocity the sum of gradients (torch), "
                  "not -lr times it?"),
        _sgd_case(rng, (4,), 5, 0.05, 0.9, False, "after 5 steps of momentum 0.9 on a quadratic",
                  hint="v <- momentum * v + g, then p <- p - lr * v (no (1 - momentum) factor, no lr inside v)."),
        _sgd_case(rng, (2, 3), 5, 0.05, 0.9, True, "Nesterov, after 5 steps",
                  hint="Nesterov steps along g + momentum * v_new, using the velocity already updated."),
        *_sgd_cases(cases.fixed_rng()),
    ]


def _sgd_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = []
    for nesterov in (False, True, False, True):
        momentum = float(rng.uniform(0.5, 0.99))
        label = "Nesterov, after several steps" if nesterov else "momentum, after several steps"
        hint = ("Nesterov steps along g + momentum * v_new, using the velocity already updated." if nesterov
                else "v <- momentum * v + g, then p <- p - lr * v (no (1 - momentum) factor, no lr inside v).")
        out.append(_sgd_case(rng, _shape(rng), int(rng.integers(2, 20)), float(rng.uniform(0.001, 0.1)),
                             momentum, nesterov, label, hint=hint))
    out.append(_sgd_case(rng, _shape(rng), 0, float(rng.uniform(0.01, 1.0)), 0.0, False, "plain SGD (momentum 0)",
                         hint="With momentum 0 the step is p - lr * g and the returned velocity is g."))
    shape = _shape(rng)
    out.append(Case((rng.normal(size=shape), rng.normal(size=shape), np.zeros(shape), float(rng.uniform(0.01, 0.5))),
                    {"momentum": float(rng.uniform(0.5, 0.99)), "nesterov": True}, label="Nesterov, first step",
                    hint="From velocity 0, v_new = g, and Nesterov steps along g + momentum * v_new."))
    return out


register(Exercise(
    id="05.sgd", function="sgd_step", reference=sgd_step,
    visible=_sgd_visible, hidden=_sgd_cases, rtol=STEP_TOL[0], atol=STEP_TOL[1],
    forbidden=("torch.optim.SGD", "torch.optim.sgd.SGD", "dlkit.reference.optim.SGD"),
    hint="v_new = momentum * v + g; p_new = p - lr * v_new, or p - lr * (g + momentum * v_new) with Nesterov. "
         "Return (p_new, v_new).",
))


# -- 2. RMSprop -------------------------------------------------------------------------

def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    """Answer key: one step of ``torch.optim.RMSprop`` (no momentum, not centered)."""
    new_param, state = _one_step(optim.RMSprop, param, grad, {"square_avg": square_avg}, 0,
                                 lr=lr, alpha=alpha, eps=eps)
    return new_param, state["square_avg"]


def _rmsprop_case(rng, shape, steps, lr, alpha, label, hint="", scale=1.0):
    param, grad, state = _quadratic_grads(rng, shape, steps, optim.RMSprop, lr=lr, alpha=alpha)
    square_avg = state.get("square_avg", np.zeros(shape))
    return Case((param, grad * scale, square_avg * scale**2, lr), {"alpha": alpha}, label=label, hint=hint)


def _rmsprop_visible() -> list[Case]:
    rng = np.random.default_rng(52)
    return [
        Case((np.array([1.0, -2.0, 0.5]), np.array([0.5, -4.0, 0.01]), np.zeros(3), 0.01),
             label="first step from a zero average: every coordinate moves by about lr * 10",
             hint="s = 0.99 * 0 + 0.01 * g**2, so g / sqrt(s) = 10 * sign(g): the step size no longer "
                  "depends on how large g is."),
        _rmsprop_case(rng, (5,), 10, 0.01, 0.99, "after 10 steps on a quadratic",
                      hint="s_new = alpha * s + (1 - alpha) * g**2; p_new = p - lr * g / (sqrt(s_new) + eps)."),
        _rmsprop_case(rng, (2, 2), 5, 0.001, 0.9, "alpha = 0.9, tiny gradients (eps matters)", scale=1e-7,
                      hint="eps is added after the square root: sqrt(s_new) + eps, not sqrt(s_new + eps)."),
        Case((np.array([0.3, -0.7]), np.zeros(2), np.zeros(2), 0.01), {"alpha": 0.9},
             label="a zero gradient from a zero average leaves p unchanged (no 0/0)",
             hint="sqrt(0) + eps > 0, so 0 / (sqrt(0) + eps) = 0."),
        *_rmsprop_cases(cases.fixed_rng()),
    ]


def _rmsprop_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = [_rmsprop_case(rng, _shape(rng), int(rng.integers(2, 30)), float(rng.uniform(1e-3, 0.05)),
                         float(rng.uniform(0.8, 0.999)), "after several steps on a quadratic",
                         hint="s_new = alpha * s + (1 - alpha) * g**2; p_new = p - lr * g / (sqrt(s_new) + eps).")
           for _ in range(4)]
    out.append(_rmsprop_case(rng, _shape(rng), int(rng.integers(2, 10)), 0.001, float(rng.uniform(0.8, 0.99)),
                             "tiny gradients (eps matters)", scale=float(rng.uniform(1e-8, 1e-6)),
                             hint="eps is added after the square root: sqrt(s_new) + eps, not sqrt(s_new + eps)."))
    shape = _shape(rng)
    out.append(Case((rng.normal(size=shape), rng.normal(size=shape), np.zeros(shape), float(rng.uniform(0.001, 0.1))),
                    label="first step from a zero average",
                    hint="s = alpha * 0 + (1 - alpha) * g**2 with the default alpha = 0.99."))
    out.append(Case((rng.normal(size=shape), np.zeros(shape), np.zeros(shape), 0.01),
                    {"alpha": float(rng.uniform(0.8, 0.99))}, label="a zero gradient from a zero average",
                    hint="sqrt(0) + eps > 0, so 0 / (sqrt(0) + eps) = 0."))
    return out


register(Exercise(
    id="05.rmsprop", function="rmsprop_step", reference=rmsprop_step,
    visible=_rmsprop_visible, hidden=_rmsprop_cases, rtol=STEP_TOL[0], atol=STEP_TOL[1], strict_float=True,
    forbidden=("torch.optim.RMSprop", "torch.optim.rmsprop.RMSprop", "dlkit.reference.optim.RMSprop"),
    hint="s_new = alpha * s + (1 - alpha) * g**2; p_new = p - lr * g / (sqrt(s_new) + eps). Return (p_new, s_new).",
))


# -- 3. Adam ----------------------------------------------------------------------------

def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Answer key: step number ``t`` (from 1) of ``torch.optim.Adam`` from moments ``m``, ``v``."""
    t = int(t)
    new_param, state = _one_step(optim.Adam, param, grad, {"exp_avg": m, "exp_avg_sq": v}, t - 1,
                                 lr=lr, betas=(beta1, beta2), eps=eps)
    return new_param, state["exp_avg"], state["exp_avg_sq"]


def _adam_case(rng, shape, steps, lr, betas, label, hint="", scale=1.0):
    param, grad, state = _quadratic_grads(rng, shape, steps, optim.Adam, lr=lr, betas=betas)
    m, v = state["exp_avg"] * scale, state["exp_avg_sq"] * scale**2
    return Case((param, grad * scale, m, v, steps + 1), {"lr": lr, "beta1": betas[0], "beta2": betas[1]},
                label=label, hint=hint)


def _adam_visible() -> list[Case]:
    rng = np.random.default_rng(53)
    return [
        Case((np.array([1.0, -2.0, 0.5]), np.array([0.5, -4.0, 1e-3]), np.zeros(3), np.zeros(3), 1), {"lr": 0.1},
             label="step t = 1 from zero moments: bias correction makes every step about lr",
             hint="At t = 1, m_hat = m / (1 - beta1) = g and v_hat = v / (1 - beta2) = g**2, so the step is "
                  "lr * g / (|g| + eps), about lr for every coordinate. Without the correction it is far off; "
                  "with eps anywhere but after sqrt(v_hat) it is off by a little."),
        _adam_case(rng, (4,), 2, 0.01, (0.9, 0.999), "step t = 3, after 2 steps on a quadratic",
                   hint="m_new = b1*m + (1-b1)*g; v_new = b2*v + (1-b2)*g**2; correct with 1 - b**t, "
                        "t the number of this step (1 on the first)."),
        _adam_case(rng, (2, 3), 49, 0.01, (0.8, 0.99), "step t = 50 with beta1 = 0.8, beta2 = 0.99"),
        _adam_case(rng, (3,), 4, 0.001, (0.9, 0.999), "tiny gradients (eps matters)", scale=1e-9,
                   hint="eps is added to sqrt(v_hat), after the square root and after the bias correction."),
        *_adam_cases(cases.fixed_rng()),
    ]


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = []
    for steps in (int(rng.integers(1, 5)), int(rng.integers(5, 30)), int(rng.integers(30, 200))):
        betas = (float(rng.uniform(0.7, 0.95)), float(rng.uniform(0.95, 0.9999)))
        out.append(_adam_case(rng, _shape(rng), steps, float(rng.uniform(1e-3, 0.05)), betas,
                              "after several steps on a quadratic",
                              hint="Correct with 1 - beta1**t and 1 - beta2**t, t the number of this step "
                                   "(1 on the first), and use the given beta1 and beta2."))
    out.append(_adam_case(rng, _shape(rng), int(rng.integers(2, 10)), 0.001, (0.9, 0.999),
                          "tiny gradients (eps matters)", scale=float(rng.uniform(1e-10, 1e-8)),
                          hint="eps is added to sqrt(v_hat), after the square root and after the bias correction."))
    shape = _shape(rng)
    out.append(Case((rng.normal(size=shape), rng.normal(0, 10, size=shape), np.zeros(shape), np.zeros(shape), 1),
                    {"lr": float(rng.uniform(0.001, 0.1)), "beta1": float(rng.uniform(0.8, 0.95))},
                    label="step t = 1 from zero moments",
                    hint="At t = 1 the bias correction makes m_hat = g and v_hat = g**2: every step is about lr."))
    return out


register(Exercise(
    id="05.adam", function="adam_step", reference=adam_step,
    visible=_adam_visible, hidden=_adam_cases, rtol=STEP_TOL[0], atol=STEP_TOL[1], strict_float=True,
    forbidden=("torch.optim.Adam", "torch.optim.adam.Adam", "torch.optim.AdamW", "dlkit.reference.optim.Adam"),
    hint="m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g**2; p -= lr * (m / (1-b1**t)) / (sqrt(v / (1-b2**t)) + eps). "
         "Return (p_new, m_new, v_new).",
))


# -- 4. a learning-rate schedule: linear warm-up, then cosine decay ----------------------------

def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Answer key: the learning rate at each optimizer step (0-based), warm-up then cosine."""
    step = np.asarray(step, dtype=np.float64)
    warm = base_lr * (step + 1) / max(warmup_steps, 1)
    progress = np.clip((step - warmup_steps) / max(total_steps - warmup_steps, 1), 0.0, 1.0)
    cosine = min_lr + (base_lr - min_lr) * 0.5 * (1 + np.cos(math.pi * progress))
    return np.where(step < warmup_steps, warm, cosine)


def _schedule_visible() -> list[Case]:
    steps = np.arange(12)
    return [
        Case((steps, 1.0, 0, 10), label="no warm-up: a cosine from 1.0 at step 0 down to 0 at step 10, then 0",
             hint="With warmup_steps = 0 there is no warm-up (and no division by zero); past total_steps "
                  "the rate stays at min_lr."),
        Case((steps, 0.1, 4, 12), label="4 warm-up steps: 0.025, 0.05, 0.075, 0.1, then the cosine",
             hint="During warm-up lr = base_lr * (step + 1) / warmup_steps: the first step is not 0."),
        Case((np.arange(0, 30, 3), 0.5, 5, 25), {"min_lr": 0.05}, label="min_lr: the cosine ends at min_lr, not 0",
             hint="cosine part: min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2, progress = "
                  "(step - warmup_steps) / (total_steps - warmup_steps)."),
        *_schedule_cases(cases.fixed_rng()),
    ]


def _schedule_cases(rng: np.random.Generator) -> list[Case]:
    """The kinds of case both checks try (visible with a fixed generator, hidden with the grader's)."""
    out = []
    for _ in range(3):
        total = int(rng.integers(10, 200))
        warm = int(rng.integers(1, total // 2))
        steps = np.sort(rng.integers(0, total + 20, size=int(rng.integers(5, 40))))
        out.append(Case((steps, float(rng.uniform(1e-4, 1.0)), warm, total),
                        {"min_lr": float(rng.uniform(0, 1e-4))}, label="warm-up, then cosine to min_lr",
                        hint="Warm-up: base_lr * (step + 1) / warmup_steps; then the cosine from base_lr to "
                             "min_lr, and min_lr past total_steps."))
    total = int(rng.integers(10, 100))
    out.append(Case((np.arange(total + 5), float(rng.uniform(0.01, 1.0)), 0, total), label="no warm-up",
                    hint="With warmup_steps = 0 there is no warm-up (and no division by zero)."))
    return out


register(Exercise(
    id="05.schedule", function="warmup_cosine", reference=warmup_cosine,
    visible=_schedule_visible, hidden=_schedule_cases, rtol=1e-9, atol=1e-12, strict_float=True,
    forbidden=("torch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.LinearLR",
               "torch.optim.lr_scheduler.SequentialLR"),
    hint="step < warmup_steps: base_lr * (step + 1) / warmup_steps; afterwards min_lr + (base_lr - min_lr) * "
         "(1 + cos(pi * progress)) / 2 with progress clipped to [0, 1]. Work on the whole array of steps at once.",
))
