"""Arrays keep their shape through the wire (autograder.wire), 0-d ones included.

A loss is a 0-d array (lesson 02's losses return ``(loss, gradient)``); an
encoder built on ``np.ascontiguousarray`` once turned it into shape ``(1,)``,
so every correct loss was marked wrong in the sandbox only.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.wire import decode_output, decode_value, encode_output, encode_value

ARRAYS = {
    "0-d": np.array(2.5),
    "1-d": np.array([1.0, -2.0]),
    "transposed": np.arange(6.0).reshape(2, 3).T,
    "empty": np.zeros((0, 3)),
    "float32 0-d": np.array(0.25, dtype=np.float32),
    "numpy scalar": np.float64(-1.5),
    "column-major": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_student_outputs_keep_shape_and_values(name):
    a = ARRAYS[name]
    (back,) = decode_output([encode_output(a)])
    assert back.shape == a.shape and back.dtype == np.float64
    assert np.array_equal(back, a.astype(np.float64))


@pytest.mark.parametrize("name", list(ARRAYS))
def test_case_inputs_keep_shape_dtype_and_values(name):
    a = ARRAYS[name]
    back = decode_value(encode_value((a, 0.5)))
    assert isinstance(back, tuple) and back[1] == 0.5
    assert type(back[0]) is type(a) and back[0].shape == a.shape and back[0].dtype == a.dtype
    assert np.array_equal(back[0], a)
