"""Numerical gradients for checking a backward pass (lesson 03 onwards).

- :func:`numerical_gradient`: centred differences of any function of an array;
- :func:`relative_error`: one number comparing two gradients;
- :func:`check_gradient`: both at once, with a report naming the worst entry.

Example::

    >>> import numpy as np
    >>> from dlkit.gradcheck import check_gradient
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> report = check_gradient(lambda x: (x**2).sum(), x, analytic=2 * x)
    >>> report.passed
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from dlkit.reference._validate import as_float_array, check_real, check_same_shape

__all__ = ["numerical_gradient", "relative_error", "check_gradient", "GradCheckReport"]

#: Floor for the denominator of :func:`relative_error`, so 0 vs 0 is 0, not nan.
TINY = np.finfo(np.float64).tiny


def _scalar_output(value, dout) -> float:
    """``f(x)`` as one number: the value itself, or ``sum(f(x) * dout)`` when ``dout`` is given."""
    value = np.asarray(value, dtype=np.float64)
    if dout is None:
        if value.size != 1:
            raise ValueError(
                f"f returned an array of shape {value.shape}, but without dout it must return one number. "
                "Pass dout=<upstream gradient, same shape as f(x)> to check an array-valued function."
            )
        return float(value.reshape(()))
    if value.shape != dout.shape:
        raise ValueError(f"f(x) has shape {value.shape} but dout has shape {dout.shape}; they must match.")
    return float(np.sum(value * dout))


def numerical_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, h: float = 1e-6, dout=None) -> np.ndarray:
    r"""Centred-difference gradient of ``f`` at ``x``.

    Shape:
        - x: any shape ``(*)``, float64 (float32 cannot resolve a step of 1e-6)
        - dout: None when ``f`` returns one number; else the upstream gradient,
          shaped like ``f(x)``
        - returns: ``(*)``, like ``x``, float64

    Formula: :math:`\frac{\partial L}{\partial x_i} \approx \frac{L(x + h e_i) - L(x - h e_i)}{2h}`
    with :math:`L = f(x)`, or :math:`L = \sum f(x) \odot dout` when ``dout`` is given.

    ``x`` is perturbed in place, one entry at a time, and every entry is put back
    (even when ``f`` raises), so ``f`` may read ``x`` through a closure. ``f`` is
    called as ``f(x)``; it must not modify ``x`` itself.

    Example::

        >>> numerical_gradient(lambda x: (x**2).sum(), np.array([1.0, 2.0]))
        array([2., 4.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"x must be a numpy array (it is perturbed in place, then restored), got {type(x).__name__}. "
            "Use x = np.asarray(x, dtype=np.float64)."
        )
    if x.dtype != np.float64:
        raise TypeError(
            f"x must have dtype float64 for numerical gradients, got {x.dtype}: a step of h=1e-6 is "
            "below float32 resolution. Check with x.astype(np.float64) (and float64 weights)."
        )
    if not x.flags.writeable:
        raise ValueError("x must be writeable (it is perturbed in place, then restored); pass a copy: x.copy().")
    h = check_real(h, "h", low=0, low_inclusive=False)
    if dout is not None:
        dout = np.asarray(as_float_array(dout, "dout"), dtype=np.float64)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(*x.shape):
        original = x[index]
        try:
            x[index] = original + h
            plus = _scalar_output(f(x), dout)
            x[index] = original - h
            minus = _scalar_output(f(x), dout)
        finally:
            x[index] = original  # put the entry back, even when f raised
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b) -> float:
    r"""One number saying how far apart two arrays are, relative to their size.

    Shape: ``a`` and ``b`` the same shape ``(*)``; returns a Python float.

    Formula: :math:`\max_i |a_i - b_i| \,/\, \max(\max_i (|a_i| + |b_i|),\ \text{tiny})`
    with ``tiny`` the smallest normal float64, so two zero arrays give 0.
    It is 0 for equal arrays, at most 1, and NaN when either holds NaN.
    Rules of thumb for float64: < 1e-7 is correct, > 1e-2 is a bug.

    Example::

        >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.1]))  # 0.1 / 4.1
        0.02439024390243905
    """
    a = np.asarray(as_float_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b"), dtype=np.float64)
    check_same_shape(a, b, "a", "b")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), TINY))


@dataclass(frozen=True)
class GradCheckReport:
    """The result of :func:`check_gradient`.

    Attributes:
        relative_error: :func:`relative_error` of the analytic vs numerical gradient.
        tol: the threshold; ``passed`` is ``relative_error <= tol``, or the
            largest absolute difference is at most ``atol``.
        index: the entry where the two differ most (a tuple, ``()`` for a 0-d ``x``).
        expected: the numerical gradient there.
        got: the analytic gradient there.
        atol: the absolute floor: a centred difference cannot resolve
            differences smaller than its own rounding noise (about
            ``eps * |f| / h``, 1e-10 for outputs of size 1 and ``h = 1e-6``), so a
            gradient that is tiny everywhere is judged by absolute error instead.
    """

    relative_error: float
    tol: float
    index: tuple
    expected: float
    got: float
    atol: float = 0.0

    @property
    def passed(self) -> bool:
        if self.relative_error <= self.tol:
            return True
        return bool(abs(self.expected - self.got) <= self.atol)  # NaN fails

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        if self.passed and not self.relative_error <= self.tol:
            measure = f"absolute error {abs(self.expected - self.got):.3g} <= atol {self.atol:g}"
        else:
            measure = f"relative error {self.relative_error:.3g} {'<=' if self.passed else '>'} tol {self.tol:g}"
        return (
            f"GradCheckReport({verdict}: {measure}; "
            f"worst entry {self.index}: expected {self.expected:.8g} (numerical), got {self.got:.8g} (analytic))"
        )

    def assert_passed(self) -> None:
        """Raise an AssertionError with this report as its message unless it passed."""
        if not self.passed:
            raise AssertionError(repr(self))


def check_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, analytic, *, dout=None,
                   h: float = 1e-6, tol: float = 1e-7, atol: float = 1e-10) -> GradCheckReport:
    """Compare an analytic gradient with :func:`numerical_gradient` and report the worst entry.

    Shape:
        - x: ``(*)`` float64, perturbed in place and restored (see :func:`numerical_gradient`)
        - analytic: ``(*)``, the gradient your backward computed for ``x``
        - dout: None, or the upstream gradient shaped like ``f(x)``
        - returns: a :class:`GradCheckReport` (``.passed``, ``.assert_passed()``)

    ``tol`` bounds the relative error; ``atol`` is the absolute floor below
    which a difference is rounding noise of the centred difference (see
    :class:`GradCheckReport`).

    Example::

        >>> x = np.array([1.0, 2.0])
        >>> check_gradient(lambda x: (x**3).sum(), x, analytic=3 * x**2).passed
        True
    """
    analytic = as_float_array(analytic, "analytic")
    if analytic.shape != np.shape(x):
        raise ValueError(
            f"analytic must have the shape of x, {np.shape(x)}, got {analytic.shape}: pass the gradient "
            "with respect to x, not to another input."
        )
    tol = check_real(tol, "tol", low=0)
    atol = check_real(atol, "atol", low=0)
    numerical = numerical_gradient(f, x, h=h, dout=dout)
    analytic = analytic.astype(np.float64)
    worst = np.unravel_index(int(np.argmax(np.abs(numerical - analytic))), x.shape) if x.size else ()
    return GradCheckReport(
        relative_error=relative_error(analytic, numerical),
        tol=tol,
        index=tuple(int(i) for i in worst),
        expected=float(numerical[worst]) if x.size else 0.0,
        got=float(analytic[worst]) if x.size else 0.0,
        atol=atol,
    )
