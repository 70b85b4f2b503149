"""A number returned by student code keeps its shape () across the grader's wire.

``np.ascontiguousarray`` returns at least one dimension, so a loss returned as a
numpy scalar came back as shape (1,) and failed against the reference's shape
() in the grader while passing in the notebook (lesson 03's cross-entropy).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.grade import decode_output, encode_value
from autograder.harness import decode_value, encode_array


@pytest.mark.parametrize("value", [np.float64(2.5), np.array(2.5), np.array(-1.0, dtype=np.float32)])
def test_a_scalar_output_stays_0_d(value):
    (back,) = decode_output([encode_array(np.asarray(value))])
    assert back.shape == () and back == np.float64(value)


@pytest.mark.parametrize("shape", [(), (1,), (2, 3), (0, 2)])
def test_case_arrays_keep_their_shape(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    back = decode_value(encode_value(a))
    assert back.shape == shape and np.array_equal(back, a)
