"""Small validators shared by the reference implementations.

Every public function checks its arguments with these, so a learner who passes
the wrong thing gets a message that says what came in, what was expected, and
how to fix it (never a bare ``assert``).
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(x, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a float32/float64 ndarray, or raise a helpful error.

    Accepts numpy arrays of a floating dtype (kept as they are: never copied,
    never modified). Python scalars and nested lists are converted to float64.
    Integer arrays are rejected, because silently casting them hides bugs such
    as integer division in a learner's code.
    """
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        x = np.asarray(x, dtype=np.float64)
    elif isinstance(x, list):
        x = np.asarray(x, dtype=np.float64)
    if not isinstance(x, np.ndarray):
        hint = " Convert it with t.detach().cpu().numpy()." if type(x).__module__.startswith("torch") else ""
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}.{hint}")
    if x.dtype.type not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {x.dtype}. "
            f"Convert it with {name}.astype(np.float64)."
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {x.shape} ({x.ndim} dimensions).")
    return x


def as_index_array(y, name: str, *, ndim: int | None = None, high: int | None = None) -> np.ndarray:
    """Return ``y`` as an integer ndarray of class indices in ``[0, high)``."""
    if isinstance(y, list):
        y = np.asarray(y)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of integer class indices, got {type(y).__name__}.")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class indices, got dtype {y.dtype}. Use {name}.astype(np.int64).")
    if ndim is not None and y.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {y.shape}.")
    if high is not None and y.size and (y.min() < 0 or y.max() >= high):
        raise ValueError(f"{name} must hold indices in [0, {high}), got values from {y.min()} to {y.max()}.")
    return y


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError naming both shapes when ``a`` and ``b`` differ in shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}.")


def check_dim(actual: int, expected: int, what: str, fix: str = "") -> None:
    """Raise a ValueError when a size does not match, e.g. input features vs weight columns."""
    if actual != expected:
        raise ValueError(f"{what}: expected {expected}, got {actual}.{(' ' + fix) if fix else ''}")


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """The floating dtype a computation over ``arrays`` returns (float64 wins over float32)."""
    return np.result_type(*[a.dtype for a in arrays])
