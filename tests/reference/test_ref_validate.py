"""How the reference functions take numbers and lists (issue 11, "Found in dlkit.reference").

A numpy float scalar is a number like a Python float: every float width is
accepted, float32 keeps its dtype as a float32 array does, the others become
float64. A ragged list, or one holding anything but numbers, gets our own
message naming the entry to fix, not numpy's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlkit import reference as R

SCALARS = [0.25, np.float64(0.25), np.float32(0.25), np.float16(0.25), np.longdouble(0.25), 2, np.int64(2)]


@pytest.mark.parametrize("x", SCALARS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("fn", [R.sigmoid, R.tanh, R.relu], ids=lambda f: f.__name__)
def test_every_kind_of_real_scalar_is_accepted_and_matches_torch(fn, x):
    out = np.asarray(fn(x))  # a 0-d result may come back as a numpy scalar, as numpy's own ufuncs do
    expected_dtype = np.float32 if isinstance(x, np.float32) else np.float64
    assert out.shape == () and out.dtype == expected_dtype
    theirs = getattr(torch, fn.__name__)(torch.tensor(float(x), dtype=torch.float64)).item()
    assert abs(float(out) - theirs) <= 1e-6 * max(1.0, abs(theirs))


def test_float32_scalar_behaves_like_a_float32_array():
    assert np.asarray(R.sigmoid(np.float32(0.25))).dtype == R.sigmoid(np.array([0.25], dtype=np.float32)).dtype == np.float32
    loss, grad = R.mse_loss(np.float32(1.5), np.float32(0.5))
    assert loss.dtype == grad.dtype == np.float32 and float(loss) == 1.0 and float(grad) == 2.0


@pytest.mark.parametrize("x", [True, np.bool_(False)], ids=["bool", "numpy bool"])
def test_booleans_are_still_refused(x):
    with pytest.raises(TypeError, match="x must be a numpy array, got bool"):
        R.sigmoid(x)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        ([[1.0, 2.0], [3.0]], r"x is a ragged list: x\[1\] has shape \(1,\) but x\[0\] has shape \(2,\).*same length"),
        ([[1.0, 2.0], 3.0], r"x is a ragged list: x\[1\] has shape \(\) but x\[0\] has shape \(2,\)"),
        ([[[1.0], [2.0]], [[1.0], [2.0, 3.0]]], r"ragged list: x\[1\]\[1\] has shape \(2,\) but x\[1\]\[0\] has shape \(1,\)"),
    ],
)
def test_ragged_list_gets_our_message_not_numpys(x, match):
    with pytest.raises(ValueError, match=match) as info:
        R.sigmoid(x)
    assert "inhomogeneous" not in str(info.value)


@pytest.mark.parametrize(
    ("x", "where", "what"),
    [(["a"], r"x\[0\]", "str"), ([1.0, None], r"x\[1\]", "NoneType"), ([1.0, "2"], r"x\[1\]", "str"),
     ([[1.0], [True]], r"x\[1\]\[0\]", "bool")],
)
def test_list_of_non_numbers_is_refused_with_the_position(x, where, what):
    with pytest.raises(TypeError, match=f"x must hold only numbers, but {where} is {what}"):
        R.sigmoid(x)


def test_rectangular_lists_of_numbers_still_work():
    assert R.relu([[-1, 2], [3.5, np.float32(-4)]]).tolist() == [[0.0, 2.0], [3.5, 0.0]]
    assert R.sigmoid([]).shape == (0,)


def test_labels_as_lists():
    loss, _ = R.cross_entropy(np.zeros((2, 3)), [0, np.int64(2)])
    assert np.isclose(loss, np.log(3.0))
    with pytest.raises(ValueError, match=r"labels is a ragged list: labels\[1\] has shape \(2,\)"):
        R.cross_entropy(np.zeros((2, 3)), [[1], [2, 0]])
    with pytest.raises(TypeError, match=r"labels must hold only integer class indices, but labels\[0\] is float"):
        R.cross_entropy(np.zeros((1, 3)), [0.5])
