"""Optimizers (lesson 05): SGD with momentum / Nesterov, RMSprop and Adam, step for step like torch.optim.

An optimizer is built over the layers of a model (a layer object, a list of them)
or over one ``(params, grads)`` pair of dicts, and updates every parameter that
has a gradient::

    opt = Adam(model, lr=1e-3)
    model.backward(dlogits)
    opt.step()

``step`` puts a *new* array into the parameter dict for every update; it never
modifies an array in place, so arrays you handed to a model stay as they were.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_real
from .modules import Module

# A slot is one parameter: the dict that holds it, the dict that holds its gradient, its key.
_Slot = tuple


def _collect_slots(target) -> list[_Slot]:
    """Every (params, grads, name) the optimizer updates, from modules or a (params, grads) pair."""
    if isinstance(target, tuple) and len(target) == 2 and all(isinstance(d, dict) for d in target):
        params, grads = target
        return [(params, grads, name) for name in params]
    modules = [target] if isinstance(target, Module) else target
    if not isinstance(modules, (list, tuple)) or not all(isinstance(m, Module) for m in modules):
        raise TypeError(
            f"an optimizer takes a layer object, a list of layer objects, or a (params, grads) pair of dicts; "
            f"got {type(target).__name__}. Example: SGD(model, lr=0.1) or SGD((params, grads), lr=0.1)."
        )
    slots = []
    for top in modules:
        for module in top.modules():
            if not module.children():  # containers only hold views of their layers
                slots.extend((module.params, module.grads, name) for name in module.params)
    return slots


class Optimizer:
    """Base class: collects parameter slots, keeps per-parameter state, counts steps.

    Subclasses implement ``_update(p, g, state) -> new p`` for one parameter;
    ``state`` is that parameter's dict (momentum buffers, ...), empty on the first step.
    """

    def __init__(self, target, lr: float, weight_decay: float = 0.0):
        self.slots = _collect_slots(target)
        if not self.slots:
            raise ValueError("the optimizer got no parameters: the model has no layer with params.")
        self.lr = check_real(lr, "lr", low=0.0)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.state: list[dict] = [{} for _ in self.slots]
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every gradient to zeros."""
        for params, grads, name in self.slots:
            grads[name] = np.zeros_like(params[name])

    def step(self) -> None:
        """Update every parameter once, from its current gradient."""
        self.steps += 1
        for (params, grads, name), state in zip(self.slots, self.state):
            if name not in grads:
                raise KeyError(f"no gradient for parameter {name!r}: call backward before step().")
            p, g = params[name], grads[name]
            if g.shape != p.shape:
                raise ValueError(f"gradient for {name!r} has shape {g.shape}, but the parameter has shape {p.shape}.")
            if self.weight_decay:
                g = g + self.weight_decay * p  # L2 penalty folded into the gradient, as torch
            params[name] = self._update(p, g, state)

    def _update(self, p, g, state):
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self._settings().items())
        return f"{type(self).__name__}({len(self.slots)} parameters, {settings})"

    def _settings(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay}


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum and Nesterov, as ``torch.optim.SGD``.

    Update for each parameter :math:`p` with gradient :math:`g` (after weight decay
    :math:`g \leftarrow g + \lambda p`):

    .. math::
        b_1 = g,\quad b_t = \mu b_{t-1} + (1 - \tau) g \qquad
        d = g + \mu b_t \text{ (Nesterov) or } b_t, \qquad p \leftarrow p - \eta d

    (:math:`d = g` without momentum; :math:`\mu` momentum, :math:`\tau` dampening.)

    Example::

        >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> opt = SGD((params, grads), lr=0.1, momentum=0.9)
        >>> opt.step(); params["w"]
        array([0.95])
    """

    def __init__(self, target, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(target, lr, weight_decay)
        self.momentum = check_real(momentum, "momentum", low=0.0)
        self.dampening = check_real(dampening, "dampening", low=0.0, high=1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"Nesterov momentum needs momentum > 0 and dampening = 0 (as torch), got momentum={self.momentum}, "
                f"dampening={self.dampening}."
            )

    def _update(self, p, g, state):
        if self.momentum:
            if "buf" not in state:
                state["buf"] = g.copy()
            else:
                state["buf"] = self.momentum * state["buf"] + (1 - self.dampening) * g
            g = g + self.momentum * state["buf"] if self.nesterov else state["buf"]
        return p - self.lr * g

    def _settings(self) -> dict:
        return {**super()._settings(), "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov}


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop`` (including ``momentum`` and ``centered``).

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g^2, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g \text{ (centered only)}

        s = \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered) or } \sqrt{v_t} + \epsilon

        p \leftarrow p - \eta\, g / s \quad\text{or, with momentum } \mu:\quad
        b_t = \mu b_{t-1} + g / s,\ \ p \leftarrow p - \eta b_t

    with :math:`v_0 = \bar g_0 = b_0 = 0`.

    Example::

        >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> opt = RMSprop((params, grads), lr=0.01); opt.step(); params["w"].round(4)
        array([0.9])
    """

    def __init__(self, target, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(target, lr, weight_decay)
        self.alpha = check_real(alpha, "alpha", low=0.0, high=1.0)
        self.eps = check_real(eps, "eps", low=0.0)
        self.momentum = check_real(momentum, "momentum", low=0.0)
        self.centered = bool(centered)

    def _update(self, p, g, state):
        a = self.alpha
        state["square_avg"] = a * state.get("square_avg", 0) + (1 - a) * g * g
        if self.centered:
            state["grad_avg"] = a * state.get("grad_avg", 0) + (1 - a) * g
            denom = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + self.eps
        else:
            denom = np.sqrt(state["square_avg"]) + self.eps
        if self.momentum:
            state["buf"] = self.momentum * state.get("buf", 0) + g / denom
            return p - self.lr * state["buf"]
        return p - self.lr * g / denom

    def _settings(self) -> dict:
        return {**super()._settings(), "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum,
                "centered": self.centered}


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (weight decay added to the gradient; not AdamW).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2

        p \leftarrow p - \frac{\eta}{1-\beta_1^t}\,
        \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`m_0 = v_0 = 0` and :math:`t` the step count (from 1).

    Example::

        >>> params, grads = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> opt = Adam((params, grads), lr=0.1); opt.step(); params["w"].round(6)
        array([0.9])
    """

    def __init__(self, target, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(target, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}. Example: betas=(0.9, 0.999).")
        self.betas = (check_real(betas[0], "betas[0]", low=0.0, high=1.0, high_inclusive=False),
                      check_real(betas[1], "betas[1]", low=0.0, high=1.0, high_inclusive=False))
        self.eps = check_real(eps, "eps", low=0.0)

    def _update(self, p, g, state):
        b1, b2 = self.betas
        t = self.steps
        state["exp_avg"] = b1 * state.get("exp_avg", 0) + (1 - b1) * g
        state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0) + (1 - b2) * g * g
        step_size = self.lr / (1 - b1**t)
        denom = np.sqrt(state["exp_avg_sq"]) / math.sqrt(1 - b2**t) + self.eps  # a Python float keeps float32
        return p - step_size * state["exp_avg"] / denom

    def _settings(self) -> dict:
        return {**super()._settings(), "betas": self.betas, "eps": self.eps}
