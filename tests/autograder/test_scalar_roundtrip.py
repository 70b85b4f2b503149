"""A 0-d array (a loss, a learning rate) keeps its shape () through the grader's encoding, both ways."""

from __future__ import annotations

import numpy as np

from autograder.grade import decode_output, encode_value
from autograder.harness import decode_value, encode_array


def test_scalar_output_keeps_shape_through_the_channel():
    for value in (np.array(0.6931), np.float64(2.5), 3):
        decoded = decode_output([encode_array(value)])
        assert decoded[0].shape == () and decoded[0] == np.float64(value)


def test_arrays_keep_shape_and_values_through_the_channel():
    for a in (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T, np.zeros((0, 4))):
        (decoded,) = decode_output([encode_array(a)])
        assert decoded.shape == a.shape and np.array_equal(decoded, a)


def test_scalar_input_keeps_shape_into_the_student_process():
    for value in (np.array(0.5), np.array(7, dtype=np.int64)):
        decoded = decode_value(encode_value(value))
        assert decoded.shape == () and decoded.dtype == value.dtype and decoded == value
    transposed = np.arange(6).reshape(2, 3).T
    assert np.array_equal(decode_value(encode_value(transposed)), transposed)
