"""Checks for lesson 08: convolutional networks.

Exercises: ``conv_output_size`` (shape arithmetic), ``conv2d`` (a vectorised
convolution forward pass), ``max_pool2d`` (max pooling forward and backward in
one call) and ``digits_cnn`` (a trained CNN, scored on the held-out test
digits). The answer keys call :mod:`dlkit.reference.conv`, whose tests hold it
to ``torch.nn.functional``; the notebook never calls them (the grader withdraws
them), it compares with torch or with the student's own functions.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, accuracy_at_least, register
from dlkit.reference import conv

#: Exercise 4 passes at this test accuracy; the solution's CNN gets 98.9 to 100% over four seeds.
DIGITS_TARGET = 0.97

#: The one label of exercise 4's cases, visible (the whole test split) and hidden (a new selection of it).
HELD_OUT_DIGITS = "held-out test digits, which training never touches"

#: The digits split the lesson uses; its test part is what exercise 4 is scored on.
DIGITS_SEED = 0

#: The forbidden ways to get a convolution or a pooling done for you.
_CONV_DONE_FOR_YOU = (
    "torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.functional.unfold",
    "scipy.signal.correlate", "scipy.signal.convolve", "scipy.signal.correlate2d", "scipy.signal.convolve2d",
    "scipy.ndimage.correlate", "scipy.ndimage.convolve",
    "dlkit.reference.conv.conv2d_forward", "dlkit.reference.conv.conv2d_forward_naive", "dlkit.reference.conv.im2col",
)
_POOL_DONE_FOR_YOU = (
    "torch.nn.functional.max_pool2d", "torch.max_pool2d", "torch.nn.functional.max_pool2d_with_indices",
    "dlkit.reference.conv.max_pool2d_forward", "dlkit.reference.conv.max_pool2d_backward",
)


# -- 1. output-shape arithmetic --------------------------------------------------------

def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Answer key: how many positions a window of ``kernel_size`` takes along an axis of ``size``."""
    return np.int64(conv.conv_output_size(int(size), int(kernel_size), int(stride), int(padding)))


def _size_visible() -> list[Case]:
    return [
        Case((28, 3), label="28 pixels, a 3-wide kernel, stride 1, no padding: 26 positions",
             hint="The window's left edge can sit at 0, 1, ..., size - kernel_size: that is size - kernel_size + 1."),
        Case((32, 3), {"padding": 1}, label="'same' padding: 32 in, 32 out",
             hint="Padding adds `padding` pixels on *both* sides: the padded length is size + 2 * padding."),
        Case((28, 2), {"stride": 2}, label="2x2 pooling with stride 2 halves 28 to 14"),
        Case((7, 3), {"stride": 2}, label="a stride that does not divide evenly rounds down: 7, kernel 3, stride 2 -> 3",
             hint="A window that would run past the edge is not taken: floor((size + 2p - k) / s) + 1, with //."),
        Case((5, 5), label="kernel as large as the input: one position"),
        *_size_cases(cases.fixed_rng()),
    ]


def _size_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(6):
        k = int(rng.integers(1, 8))
        p = int(rng.integers(0, 4))
        s = int(rng.integers(1, 5))
        size = int(rng.integers(max(1, k - 2 * p), 70))
        out.append(Case((size, k), {"stride": s, "padding": p}, label="random size, kernel, stride and padding"))
    out.append(Case((int(rng.integers(10, 50)) * 2 + 1, 3), {"stride": 2}, label="a stride that does not divide evenly"))
    return out


register(Exercise(
    id="08.output_size", function="conv_output_size", reference=conv_output_size,
    visible=_size_visible, hidden=_size_cases, rtol=0.0, atol=0.0,
    forbidden=("dlkit.reference.conv.conv_output_size", "dlkit.reference.conv.conv2d_output_shape"),
    hint="out = floor((size + 2 * padding - kernel_size) / stride) + 1, computed with integer division //.",
))


# -- 2. conv2d forward, vectorised -----------------------------------------------------------

def conv2d(x, w, b, stride=1, padding=0):
    """Answer key: ``torch.nn.functional.conv2d(x, w, b, stride, padding)`` (cross-correlation, NCHW)."""
    return conv.conv2d_forward(x, w, b, stride=int(stride), padding=int(padding))[0]


def _conv_case(rng, n, c, h, w_, f, k, stride, padding, label, hint=""):
    x = rng.normal(size=(n, c, h, w_))
    w = rng.normal(size=(f, c, k, k)) / np.sqrt(c * k * k)
    b = rng.normal(size=f)
    return Case((x, w, b), {"stride": stride, "padding": padding}, label=label, hint=hint)


def _conv_visible() -> list[Case]:
    rng = np.random.default_rng(81)
    edge = np.array([[[[1.0, 0.0, -1.0]] * 3]])   # (1, 1, 3, 3): a vertical-edge filter, not symmetric
    image = np.zeros((1, 1, 4, 5))
    image[..., :2] = 1.0                           # bright left half
    return [
        Case((image, edge, np.zeros(1)), label="a vertical-edge filter on an image bright on the left",
             hint="Convolution layers compute a cross-correlation: out[y, x] = sum of w[i, j] * x[y + i, x + j], "
                  "with the kernel NOT flipped (torch.nn.functional.conv2d)."),
        _conv_case(rng, 2, 3, 6, 5, 4, 3, 1, 0, "2 images, 3 channels in, 4 filters, no padding",
                   hint="Each output channel f sums over all input channels c and adds its bias b[f] once."),
        _conv_case(rng, 1, 2, 5, 5, 3, 3, 1, 1, "zero padding 1 keeps 5x5 at 5x5",
                   hint="Pad with zeros on all four sides before sliding the window: np.pad(x, ((0, 0), (0, 0), "
                        "(p, p), (p, p)))."),
        _conv_case(rng, 2, 1, 7, 8, 2, 3, 2, 1, "stride 2 with padding 1: 7x8 becomes 4x4",
                   hint="With stride s the window at output (i, j) starts at input (i * s, j * s)."),
        *_conv_cases(cases.fixed_rng()),
    ]


def _conv_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(4):
        k = int(rng.choice([1, 2, 3, 5]))
        p = int(rng.integers(0, 3))
        h, w_ = int(rng.integers(max(k, 3), 10)), int(rng.integers(max(k, 3), 10))
        out.append(_conv_case(rng, int(rng.integers(1, 4)), int(rng.integers(1, 4)), h, w_, int(rng.integers(1, 5)),
                              k, int(rng.integers(1, 3)), p, "random images, filters, stride and padding"))
    out.append(_conv_case(rng, 2, 3, 6, 6, 4, 3, 1, 0, "several channels in and out, no padding"))
    out.append(_conv_case(rng, 1, 2, 9, 7, 3, 3, 2, 1, "stride 2 with padding 1"))
    return out


register(Exercise(
    id="08.conv2d", function="conv2d", reference=conv2d,
    visible=_conv_visible, hidden=_conv_cases, rtol=1e-9, atol=1e-10,
    forbidden=_CONV_DONE_FOR_YOU,
    hint="Pad x, take every kh x kw window (np.lib.stride_tricks.sliding_window_view, then [..., ::s, ::s]), "
         "and contract the windows with w over (channel, kh, kw) in one np.einsum or tensordot; add b[f].",
))


# -- 3. max pooling, forward and backward ------------------------------------------------------

def max_pool2d(x, dout, kernel_size, stride=None):
    """Answer key: torch's max_pool2d output and the gradient of sum(out * dout) with respect to x."""
    out, cache = conv.max_pool2d_forward(x, int(kernel_size), None if stride is None else int(stride))
    return out, conv.max_pool2d_backward(dout, cache)


def _pool_case(rng, x, k, stride, label, hint=""):
    kwargs = {} if stride is None else {"stride": stride}
    s = k if stride is None else stride
    n, c, h, w = x.shape
    dout = rng.normal(size=(n, c, (h - k) // s + 1, (w - k) // s + 1))
    return Case((x, dout, k), kwargs, label=label, hint=hint)


def _ties(rng, shape, levels=3):
    """Whole numbers in 0..levels-1: many windows have their maximum more than once."""
    return rng.integers(0, levels, size=shape).astype(np.float64)


def _pool_visible() -> list[Case]:
    rng = np.random.default_rng(82)
    return [
        _pool_case(rng, rng.normal(size=(1, 1, 4, 4)), 2, None,
                   "2x2 windows, stride defaults to the kernel size: 4x4 -> 2x2",
                   hint="stride=None means stride = kernel_size (non-overlapping windows), as in torch."),
        _pool_case(rng, rng.normal(size=(2, 3, 6, 4)), 2, None, "2 images, 3 channels: each channel pooled on its own"),
        _pool_case(rng, _ties(rng, (1, 2, 4, 6)), 2, None, "ties: the first maximum (row by row) gets the gradient",
                   hint="When a window holds its maximum twice, torch sends the whole gradient to the first one in "
                        "row-major order (np.argmax's choice), not to every copy and not to the last."),
        _pool_case(rng, rng.normal(size=(1, 1, 5, 5)), 3, 1, "overlapping windows (3x3, stride 1): gradients add up",
                   hint="An entry that wins several windows receives the sum of their gradients: use +=, not =."),
        _pool_case(rng, rng.normal(size=(1, 2, 5, 7)), 2, None, "5x7 with 2x2 windows: the last row and column are "
                   "never pooled and get zero gradient"),
        *_pool_cases(cases.fixed_rng()),
    ]


def _pool_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(3):
        k = int(rng.integers(2, 4))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 9)), int(rng.integers(k, 9)))
        out.append(_pool_case(rng, rng.normal(size=shape), k, None, "random images, stride = kernel size"))
    out.append(_pool_case(rng, _ties(rng, (2, 2, 6, 6)), 2, None, "ties"))
    out.append(_pool_case(rng, _ties(rng, (1, 1, 7, 7), 2), 3, 2, "ties in overlapping windows"))
    out.append(_pool_case(rng, rng.normal(size=(1, 3, 6, 7)), 3, 1, "overlapping windows"))
    return out


register(Exercise(
    id="08.maxpool", function="max_pool2d", reference=max_pool2d,
    visible=_pool_visible, hidden=_pool_cases, rtol=1e-12, atol=1e-12,
    forbidden=_POOL_DONE_FOR_YOU,
    hint="out[n, c, i, j] = max of the window starting at (i * s, j * s); in the backward pass add dout[n, c, i, j] "
         "to the first position (np.argmax) of that window's maximum. Return (out, dx), dx shaped like x.",
))


# -- 4. a trained CNN on digits (a "model" exercise, scored on the held-out test split) -----

def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data.load_digits(seed=DIGITS_SEED, as_images=True)``: (N, 1, 8, 8) in [0, 1], labels (N,).

    As in lesson 04, "held out" means the split the lesson's training code never touches; its labels stay
    in the grader (``Case.secret``).
    """
    from dlkit import data

    ds = data.load_digits(seed=DIGITS_SEED, as_images=True)
    return ds.X_test.astype(np.float32), ds.y_test.astype(np.int64)


_digits_visible, _digits_hidden = cases.held_out(held_out_digits, HELD_OUT_DIGITS)


register(Exercise(
    id="08.digits_cnn", function="digits_cnn", reference=None, kind="model",
    score=accuracy_at_least(DIGITS_TARGET),
    visible=_digits_visible, hidden=_digits_hidden,
    hint="Train an nn.Module that maps images (N, 1, 8, 8) with pixels in [0, 1] to 10 logits: two 3x3 conv "
         "layers with padding 1 (32 and 64 channels, each followed by BatchNorm2d and ReLU), a 2x2 max pool, "
         "Flatten, Dropout and one Linear; Adam, about 12 epochs on the training and validation digits.",
))
