"""Small helpers shared by the tests/reference tests: torch conversion and parity asserts."""

from __future__ import annotations

import numpy as np
import torch

from dlkit.gradcheck import relative_error
from tests.reference.strategies import PARITY_TOL


def t(x, requires_grad: bool = False):
    """A torch tensor holding a copy of ``x`` (None stays None), same dtype."""
    if x is None:
        return None
    return torch.tensor(np.array(x), requires_grad=requires_grad)


#: Absolute differences below this are float32 rounding noise for the O(1) inputs the tests draw.
F32_ATOL = 1e-6


def assert_parity(ours, theirs, what: str = "", tol: float | None = None, floor: float = 0.0) -> None:
    """Assert ``relative_error(ours, theirs) < tol`` (tolerance from ``PARITY_TOL`` by dtype) and same dtype/shape.

    ``floor`` is the smallest size the error is measured against: give it the
    natural scale of the quantity when its exact value can be 0 (a gradient
    that cancels), where rounding noise would otherwise count as a relative error of 1.
    """
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach().numpy()
    assert isinstance(ours, np.ndarray), f"{what}: expected a numpy array, got {type(ours).__name__}"
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != torch {theirs.dtype}"
    tol = PARITY_TOL[ours.dtype] if tol is None else tol
    err = relative_error(ours, theirs)
    if floor:
        size = float(np.max(np.abs(ours.astype(np.float64)) + np.abs(theirs.astype(np.float64)))) if ours.size else 0.0
        err = err * size / max(size, floor) if size else 0.0
    if ours.dtype == np.float32 and ours.size and err >= tol:
        # float32 rounding noise around an exact 0 (torch keeps ~1e-8 where the math cancels)
        # is not a relative error of 1: differences below F32_ATOL pass; float64 has no such floor
        if float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)))) <= F32_ATOL:
            return
    assert err < tol, f"{what}: relative error {err:.3g} >= {tol:g} ({ours.dtype})"


def snapshot(*arrays):
    """Copies of ``arrays`` to compare against after a call (None stays None)."""
    return [None if a is None else np.array(a, copy=True) for a in arrays]


def assert_unchanged(before, after, names) -> None:
    """Assert every array in ``after`` still equals its copy in ``before`` (bit for bit, NaN-safe)."""
    for b, a, name in zip(before, after, names):
        if b is None:
            continue
        assert np.array_equal(a, b, equal_nan=True), f"{name} was modified in place"


def assert_batchnorm_dx_parity(dx, theirs, dout, gamma, inv_std) -> None:
    """Batch-norm ``dx`` vs torch: relative in float64, scaled absolute in float32.

    ``dx = (g - mean(g) - x_hat mean(g x_hat)) / std`` cancels terms of size
    ``|gamma dout| / std``, so a float32 ``dx`` can be tiny and noisy (torch's too);
    its error is bounded by 1e-5 of the size of those terms instead.
    """
    if dx.dtype == np.float64:
        assert_parity(dx, theirs, "batchnorm dx")
        return
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    channel = (1, -1) + (1,) * (dx.ndim - 2)
    scale = np.max(np.abs(dout * gamma.reshape(channel))) * np.max(inv_std)
    err = np.max(np.abs(dx - theirs))
    assert err <= 1e-5 * scale, f"batchnorm dx (float32): error {err:.3g} > 1e-5 * {scale:.3g}"
