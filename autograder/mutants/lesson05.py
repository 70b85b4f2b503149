"""Plausible wrong answers (mutants) and other correct answers for lesson 05's exercises.

Each source is a complete answer cell: the ``def`` of the exercise's function,
executable with ``import numpy as np`` in scope. See ``lesson01.py`` for how
the tables are used (mutation tests, the demo, the grader's synthetic class).
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"05.adam"``).
LESSON = "05"

#: Functions defined by earlier answer cells that an exercise's sources may call.
REQUIRES: dict[str, tuple[str, ...]] = {}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "sgd": [
        ("Sutskever's form v = mu*v - lr*g: same path, but the velocity is -lr times torch's buffer", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                v = momentum * velocity - lr * grad
                if nesterov:
                    return param + momentum * v - lr * grad, v
                return param + v, v
        """)),
        ("dampened average v = mu*v + (1-mu)*g: steps are (1-mu) times too short", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                v = momentum * velocity + (1 - momentum) * grad
                d = grad + momentum * v if nesterov else v
                return param - lr * d, v
        """)),
        ("ignores nesterov: always the heavy-ball step", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                v = momentum * velocity + grad
                return param - lr * v, v
        """)),
        ("Nesterov look-ahead with the old velocity", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                v = momentum * velocity + grad
                d = grad + momentum * velocity if nesterov else v
                return param - lr * d, v
        """)),
        ("steps with the old velocity, then updates it", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                d = grad + momentum * velocity if nesterov else velocity
                return param - lr * d, momentum * velocity + grad
        """)),
        ("updates the caller's arrays in place", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                velocity *= momentum
                velocity += grad
                d = grad + momentum * velocity if nesterov else velocity
                param -= lr * d
                return param, velocity
        """)),
    ],
    "rmsprop": [
        ("eps inside the square root", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = alpha * square_avg + (1 - alpha) * grad**2
                return param - lr * grad / np.sqrt(s + eps), s
        """)),
        ("alpha and 1 - alpha swapped", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = (1 - alpha) * square_avg + alpha * grad**2
                return param - lr * grad / (np.sqrt(s) + eps), s
        """)),
        ("divides by the old average", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = alpha * square_avg + (1 - alpha) * grad**2
                return param - lr * grad / (np.sqrt(square_avg) + eps), s
        """)),
        ("divides by the average itself, not its square root", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = alpha * square_avg + (1 - alpha) * grad**2
                return param - lr * grad / (s + eps), s
        """)),
        ("no eps: 0/0 for a zero gradient from a zero average", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = alpha * square_avg + (1 - alpha) * grad**2
                return param - lr * grad / np.sqrt(s), s
        """)),
        ("bias-corrects the average as if it were Adam (needs a step count it does not have)", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = alpha * square_avg + (1 - alpha) * grad**2
                return param - lr * grad / (np.sqrt(s / (1 - alpha)) + eps), s
        """)),
    ],
    "adam": [
        ("no bias correction", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                return param - lr * m / (np.sqrt(v) + eps), m, v
        """)),
        ("bias correction with t + 1 (counts steps from 0)", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat = m / (1 - beta1 ** (t + 1))
                v_hat = v / (1 - beta2 ** (t + 1))
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """)),
        ("corrects m only", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v
        """)),
        ("eps inside the square root", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / np.sqrt(v_hat + eps), m, v
        """)),
        ("eps added before the bias correction of sqrt(v)", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                denom = (np.sqrt(v) + eps) / np.sqrt(1 - beta2**t)
                return param - lr * (m / (1 - beta1**t)) / denom, m, v
        """)),
        ("returns the bias-corrected moments as the new state", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = (beta1 * m + (1 - beta1) * grad) / (1 - beta1**t)
                v = (beta2 * v + (1 - beta2) * grad**2) / (1 - beta2**t)
                return param - lr * m / (np.sqrt(v) + eps), m, v
        """)),
        ("g instead of g**2 in the second moment", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * np.abs(grad)
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """)),
    ],
    "schedule": [
        ("warm-up starts at 0 (step / warmup_steps)", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * step / max(warmup_steps, 1)
                progress = np.clip((step - warmup_steps) / max(total_steps - warmup_steps, 1), 0, 1)
                cosine = min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * progress)) / 2
                return np.where(step < warmup_steps, warm, cosine)
        """)),
        ("cosine over all steps, not the ones after warm-up", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * (step + 1) / max(warmup_steps, 1)
                progress = np.clip(step / total_steps, 0, 1)
                cosine = min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * progress)) / 2
                return np.where(step < warmup_steps, warm, cosine)
        """)),
        ("no clipping: past total_steps the cosine climbs back up", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * (step + 1) / max(warmup_steps, 1)
                progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
                cosine = min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * progress)) / 2
                return np.where(step < warmup_steps, warm, cosine)
        """)),
        ("ignores min_lr: decays to 0", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * (step + 1) / max(warmup_steps, 1)
                progress = np.clip((step - warmup_steps) / max(total_steps - warmup_steps, 1), 0, 1)
                return np.where(step < warmup_steps, warm, base_lr * (1 + np.cos(np.pi * progress)) / 2)
        """)),
        ("divides by warmup_steps even when it is 0", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * (step + 1) / warmup_steps
                progress = np.clip((step - warmup_steps) / (total_steps - warmup_steps), 0, 1)
                cosine = min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * progress)) / 2
                return np.where(step < warmup_steps, warm, cosine)
        """)),
        ("cos without the 1 + ... / 2: swings from base_lr to -base_lr", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                step = np.asarray(step, dtype=float)
                warm = base_lr * (step + 1) / max(warmup_steps, 1)
                progress = np.clip((step - warmup_steps) / max(total_steps - warmup_steps, 1), 0, 1)
                return np.where(step < warmup_steps, warm, min_lr + (base_lr - min_lr) * np.cos(np.pi * progress))
        """)),
    ],
}


ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "sgd": [
        ("explicit branches for each case", _src("""
            def sgd_step(param, grad, velocity, lr, momentum=0.0, nesterov=False):
                velocity = velocity * momentum + grad
                if nesterov:
                    step = grad + momentum * velocity
                else:
                    step = velocity
                new_param = param.copy()
                new_param -= lr * step
                return new_param, velocity
        """)),
    ],
    "rmsprop": [
        ("written with np.square and np.add", _src("""
            def rmsprop_step(param, grad, square_avg, lr, alpha=0.99, eps=1e-8):
                s = square_avg + (1 - alpha) * (np.square(grad) - square_avg)
                denom = np.add(np.sqrt(s), eps)
                return param - lr * (grad / denom), s
        """)),
    ],
    "adam": [
        ("torch's arrangement: a corrected step size and a corrected denominator", _src("""
            def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                import math
                m = m + (1 - beta1) * (grad - m)
                v = v * beta2 + (1 - beta2) * grad * grad
                step_size = lr / (1 - beta1**t)
                denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
                return param - step_size * m / denom, m, v
        """)),
    ],
    "schedule": [
        ("a loop over the steps with plain floats", _src("""
            def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
                import math
                rates = []
                for s in np.asarray(step).ravel():
                    if s < warmup_steps:
                        rates.append(base_lr * (s + 1) / warmup_steps)
                    elif s >= total_steps:
                        rates.append(min_lr)
                    else:
                        progress = (s - warmup_steps) / (total_steps - warmup_steps)
                        rates.append(min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress)))
                return np.array(rates, dtype=float).reshape(np.shape(step))
        """)),
    ],
}
