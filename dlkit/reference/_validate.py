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
    never modified). Numbers become 0-d arrays: a numpy float32 scalar stays
    float32, every other number (Python ``int``/``float``, numpy integer and
    float scalars of other widths) becomes float64, as a Python float does.
    Nested lists of numbers become float64 arrays; a ragged list or one that
    holds anything but numbers is refused with a message saying where.
    Integer arrays are rejected, because silently casting them hides bugs such
    as integer division in a learner's code.
    """
    if isinstance(x, np.floating) and x.dtype.type in FLOAT_DTYPES:
        x = np.asarray(x)  # float32 and float64 scalars keep their dtype, like arrays of them
    elif _is_number(x):
        x = np.asarray(float(x), dtype=np.float64)
    elif isinstance(x, list):
        x = np.asarray(_rectangular(x, name, _is_number, "numbers"), dtype=np.float64)
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


def _is_number(v) -> bool:
    """A real number that is not a boolean: Python int/float or a numpy integer/float scalar."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_integer(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _rectangular(x: list, name: str, is_leaf, what: str) -> list:
    """Return the nested list ``x`` unchanged when it is rectangular with ``is_leaf`` entries, else raise.

    The error names the first offending position, e.g. ``x[1]`` has 1 entries
    where ``x[0]`` has 2, so a learner can find the row to fix.
    """

    def shape_of(item, where: str) -> tuple[int, ...]:
        if isinstance(item, (list, tuple)):
            shapes = [shape_of(v, f"{where}[{i}]") for i, v in enumerate(item)]
            for i, s in enumerate(shapes[1:], start=1):
                if s != shapes[0]:
                    raise ValueError(
                        f"{name} is a ragged list: {where}[{i}] has shape {s} but {where}[0] has shape {shapes[0]}. "
                        f"Every row must have the same length; pad the short rows or pass a numpy array."
                    )
            return (len(item), *(shapes[0] if shapes else ()))
        if not is_leaf(item):
            raise TypeError(f"{name} must hold only {what}, but {where} is {type(item).__name__} ({item!r}).")
        return ()

    shape_of(x, name)
    return x


def as_index_array(y, name: str, *, ndim: int | None = None, high: int | None = None) -> np.ndarray:
    """Return ``y`` as an integer ndarray of class indices in ``[0, high)``."""
    if isinstance(y, list):
        y = np.asarray(_rectangular(y, name, _is_integer, "integer class indices"), dtype=np.int64)
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


# ---- appended by the reference (dense nets) engineer -----------------------


def check_real(value, name: str, *, low: float | None = None, high: float | None = None,
               low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """Return ``value`` as a Python float, or raise when it is not a real number in range.

    Rejects bools, strings, arrays and None with a TypeError; out-of-range values
    (``low``/``high``, inclusive unless told otherwise) with a ValueError.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r}).")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} must be a number, got nan.")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        interval = ("[" if low_inclusive else "(") + f"{lo}, {hi}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{name} must be in {interval}, got {value}.")
    return value


def check_int(value, name: str, *, low: int | None = None) -> int:
    """Return ``value`` as a Python int (at least ``low`` when given), or raise a helpful error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r}).")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}.")
    return value


def check_axis(axis, x: np.ndarray, name: str) -> int:
    """Return ``axis`` normalised to ``[0, x.ndim)``, or raise when ``x`` has no such axis."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__} ({axis!r}).")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis {axis} is out of range for {name} of shape {x.shape} ({x.ndim} dimensions); "
            f"use an axis in [{-x.ndim}, {x.ndim - 1}], e.g. -1 for the last one."
        )
    return int(axis) % x.ndim


def check_min_ndim(x: np.ndarray, name: str, ndim: int, layout: str = "") -> None:
    """Raise a ValueError when ``x`` has fewer than ``ndim`` dimensions (``layout`` names them)."""
    if x.ndim < ndim:
        want = f" ({layout})" if layout else ""
        raise ValueError(f"{name} must have at least {ndim} dimensions{want}, got shape {x.shape}.")


def check_cache(cache, expected: type, producer: str):
    """Return ``cache`` when it is an ``expected`` instance, else say which forward makes one."""
    if not isinstance(cache, expected):
        raise TypeError(
            f"cache must be the {expected.__name__} returned by {producer}, got {type(cache).__name__}. "
            f"Pass the second value that {producer} returned."
        )
    return cache


def check_shape(a: np.ndarray, shape: tuple, name: str, what: str = "") -> None:
    """Raise a ValueError when ``a.shape != shape``; ``what`` says where ``shape`` comes from."""
    if tuple(a.shape) != tuple(shape):
        source = f" ({what})" if what else ""
        raise ValueError(f"{name} must have shape {tuple(shape)}{source}, got {a.shape}.")


# ---- appended by the reference (conv / sequence) engineer ------------------


def as_int_pair(value, name: str, *, low: int = 0) -> tuple[int, int]:
    """Return ``value`` as ``(height, width)`` ints, each at least ``low``.

    Accepts one int (used for both, as ``torch.nn.Conv2d(kernel_size=3)``) or a
    pair ``(h, w)``; anything else gets a TypeError/ValueError saying so.
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r} with {len(value)} entries.")
        return check_int(value[0], f"{name}[0]", low=low), check_int(value[1], f"{name}[1]", low=low)
    value = check_int(value, name, low=low)
    return value, value


def check_choice(value, choices: tuple, name: str):
    """Return ``value`` when it is one of ``choices``, else raise a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}.")
    return value
