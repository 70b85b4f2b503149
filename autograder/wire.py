"""The wire format between the grader and the in-sandbox harness: cases in, outputs back.

One module for both sides. The grader imports it as :mod:`autograder.wire`;
the sandbox binds this file next to ``harness.py`` (``/opt/grader/wire.py``),
where the harness imports it as ``wire``. It needs only the standard library
and numpy, and it never imports anything of the grader.

Cases (grader -> student) are JSON with arrays as ``{"__nd__": [dtype, shape,
base64, axes]}``: the bytes in the order of ``axes`` (a permutation: the axes
from the largest stride to the smallest), so an array arrives with the memory
layout the notebook would give the student's code. A check cell hands the
function ``copy.deepcopy`` of each input (:meth:`dlkit.checks.core.Case.copy_inputs`),
which keeps a column-major array column-major and makes a strided view
compact in the same axis order; :func:`decode_value` rebuilds exactly that.
numpy scalars keep their dtype (``{"__scalar__": [dtype, base64]}``), tuples
stay tuples (``{"__tuple__": [...]}``).

Outputs (student -> grader) are float64 arrays only (:func:`encode_output`,
:func:`decode_output`), checked against their byte count on arrival.

>>> import numpy as np
>>> x = np.asfortranarray(np.arange(6.0).reshape(2, 3))
>>> y = decode_value(json.loads(json.dumps(encode_value(x))))
>>> bool(y.flags.f_contiguous and not y.flags.c_contiguous), bool((y == x).all())
(True, True)
"""

from __future__ import annotations

import base64
import copy
import json  # noqa: F401  (used by the doctest above)

import numpy as np

#: Kinds of numpy dtype a case may hold: booleans, integers, floats.
CASE_KINDS = "biuf"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encode_value(v):
    """Plain data -> JSON-able data, keeping arrays' dtype and memory layout and scalars' dtype."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in CASE_KINDS:
            raise TypeError(f"cases may hold arrays of booleans, integers or floats, got dtype {v.dtype}")
        a = copy.deepcopy(v)  # what the check cell hands the student: same dtype, same axis order, compact
        axes = [int(i) for i in np.argsort([-s for s in a.strides], kind="stable")] if a.ndim else []
        data = np.asarray(a.transpose(axes), order="C").tobytes()
        return {"__nd__": [a.dtype.str, list(a.shape), _b64(data), axes]}
    if isinstance(v, np.generic):
        if v.dtype.kind not in CASE_KINDS:
            raise TypeError(f"cases may hold boolean, integer or float scalars, got dtype {v.dtype}")
        return {"__scalar__": [v.dtype.str, _b64(v.tobytes())]}
    if isinstance(v, tuple):
        return {"__tuple__": [encode_value(x) for x in v]}
    if isinstance(v, list):
        return [encode_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode_value(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"cases may hold numbers, strings, arrays, tuples, lists and dicts; got {type(v).__name__}")


def decode_value(v):
    """JSON-able data -> Python, the inverse of :func:`encode_value` (arrays writable, own memory)."""
    if isinstance(v, dict):
        if "__nd__" in v:
            dtype, shape, data, axes = v["__nd__"]
            dtype = np.dtype(dtype)
            stored = [shape[i] for i in axes]
            flat = np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(stored).copy()
            return flat.transpose(np.argsort(axes)) if axes else flat
        if "__scalar__" in v:
            dtype, data = v["__scalar__"]
            return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype))[0]
        if "__tuple__" in v:
            return tuple(decode_value(x) for x in v["__tuple__"])
        return {k: decode_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode_value(x) for x in v]
    return v


def encode_output(a) -> dict:
    """One output array (already float64, from :func:`dlkit.checks.core.to_plain`) -> JSON-able data."""
    a = np.asarray(a, dtype="<f8", order="C")  # not ascontiguousarray: it turns a 0-d answer (a loss) into shape (1,)
    return {"__nd__": ["<f8", list(a.shape), _b64(a.tobytes())]}


def decode_output(items) -> tuple[np.ndarray, ...]:
    """Outcome arrays from the channel: float64 only, shape checked against the byte count."""
    if not isinstance(items, list):
        raise ValueError("outputs must be a list")
    out = []
    for item in items:
        dtype, shape, data = item["__nd__"]
        if dtype != "<f8" or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ValueError("outputs must be float64 arrays")
        raw = base64.b64decode(data, validate=True)
        if len(raw) != 8 * int(np.prod(shape, dtype=np.int64)):
            raise ValueError("an output array's size does not match its shape")
        out.append(np.frombuffer(raw, dtype="<f8").reshape(shape).copy())
    return tuple(out)
