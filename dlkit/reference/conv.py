"""Convolution and pooling in numpy (lesson 08): naive loops, im2col, and a fast path.

Layouts follow ``torch.nn.functional``: images are NCHW ``(N, C, H, W)``, a
convolution weight is ``(F, C, kh, kw)`` (F filters), and ``stride`` /
``padding`` are an int or an ``(h, w)`` pair. Every layer is a pair
``name_forward(...) -> (out, cache)`` and ``name_backward(dout, cache) ->
gradients in input order``.

Three ways to compute one convolution, from slowest to fastest:

- :func:`conv2d_forward_naive` loops over every output number: read it first.
- :func:`im2col` copies every receptive field into one column, so the whole
  convolution becomes one matrix product with ``w.reshape(F, -1)``.
- :func:`conv2d_forward` does exactly that; its backward reuses the columns for
  ``dw`` and builds ``dx = col2im(W^T dout)`` a few images at a time, which keeps
  peak memory near the size of the columns.

Not supported (asking for them raises a ValueError that says so, rather than
computing something else): convolution ``dilation`` other than 1 (and
``groups``), max-pool ``dilation`` and ``ceil_mode=True``, average-pool
``ceil_mode=True`` and ``count_include_pad=False``. Use ``torch.nn.functional``
for those.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_float_array, as_int_pair, check_cache, check_dim, check_int, check_shape, result_dtype

# --------------------------------------------------------------------------
# Shapes and windows
# --------------------------------------------------------------------------


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    r"""Length of a convolution or pooling output along one axis.

    Shape: four ints in, one int out.

    Formula: :math:`\lfloor (\text{size} + 2\,\text{padding} - \text{kernel}) / \text{stride} \rfloor + 1`
    (``torch.nn.Conv2d``'s formula with dilation 1).

    Example::

        >>> conv_output_size(32, 3, stride=1, padding=1)
        32
        >>> conv_output_size(28, 2, stride=2)
        14
    """
    size = check_int(size, "size", low=1)
    kernel_size = check_int(kernel_size, "kernel_size", low=1)
    stride = check_int(stride, "stride", low=1)
    padding = check_int(padding, "padding", low=0)
    if size + 2 * padding < kernel_size:
        raise ValueError(
            f"the kernel ({kernel_size}) is larger than the padded input ({size} + 2*{padding} = "
            f"{size + 2 * padding}); use a smaller kernel or more padding."
        )
    return (size + 2 * padding - kernel_size) // stride + 1


def conv2d_output_shape(x_shape, w_shape, stride=1, padding=0) -> tuple[int, int, int, int]:
    r"""Output shape of :func:`conv2d_forward`.

    Shape: ``x_shape`` is ``(N, C, H, W)``, ``w_shape`` is ``(F, C, kh, kw)``;
    returns ``(N, F, H_out, W_out)``.

    Formula: :math:`H_{out} = \lfloor (H + 2 p_h - k_h) / s_h \rfloor + 1`, same for W.

    Example::

        >>> conv2d_output_shape((64, 3, 32, 32), (16, 3, 3, 3), padding=1)
        (64, 16, 32, 32)
    """
    x_shape, w_shape = tuple(x_shape), tuple(w_shape)
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"expected x_shape (N, C, H, W) and w_shape (F, C, kh, kw), got {x_shape} and {w_shape}.")
    sh, sw = as_int_pair(stride, "stride", low=1)
    ph, pw = as_int_pair(padding, "padding", low=0)
    check_dim(w_shape[1], x_shape[1], f"channels: w_shape {w_shape} must have w_shape[1] equal to the input's "
              f"channels x_shape[1] (x_shape {x_shape})", "Weights are (F, C, kh, kw), as in torch.nn.Conv2d.")
    return (x_shape[0], w_shape[0], conv_output_size(x_shape[2], w_shape[2], sh, ph),
            conv_output_size(x_shape[3], w_shape[3], sw, pw))


def _only_default(what: str, value, default, name: str, doing: str) -> None:
    """Raise a ValueError when ``value`` asks for a torch option these references do not implement."""
    normal = (default, default) if isinstance(default, int) and not isinstance(default, bool) else default
    given = value
    if isinstance(default, int) and not isinstance(default, bool):
        given = as_int_pair(value, name, low=1)
    elif not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}.")
    if given != normal:
        raise ValueError(f"{what}: {name}={value!r} is not supported by dlkit.reference (only {name}={default!r}, "
                         f"{doing}). Use torch.nn.functional for it, or leave {name} at its default.")


def _pad(x: np.ndarray, ph: int, pw: int, value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) with ``ph`` rows and ``pw`` columns of ``value`` on each side (a new array)."""
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """Read-only view ``(N, C, kh, kw, H_out, W_out)``: entry ``[n, c, i, j, y, x]`` is
    ``xp[n, c, y*sh + i, x*sw + j]``. No data is copied."""
    view = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, Ho, Wo, kh, kw)
    return view.transpose(0, 1, 4, 5, 2, 3)


def _add_at_offset(dxp: np.ndarray, i: int, j: int, sh: int, sw: int, values: np.ndarray) -> None:
    """Add ``values`` (N, C, H_out, W_out) into ``dxp`` at the inputs that kernel offset ``(i, j)`` read.

    Output ``(y, x)`` read input ``(y*sh + i, x*sw + j)``; this is the backward
    of one slice of :func:`_windows`. ``dxp`` is our own buffer, never a caller's.
    """
    ho, wo = values.shape[-2:]
    dxp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += values


def _unpad(xp: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """The inside of a padded (N, C, H + 2ph, W + 2pw) array."""
    return xp[:, :, ph:xp.shape[2] - ph, pw:xp.shape[3] - pw]


def _check_image(x, name: str = "x") -> np.ndarray:
    return as_float_array(x, name, ndim=4)


# --------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------


def im2col(x, kernel_size, stride=1, padding=0) -> np.ndarray:
    r"""Copy every receptive field of ``x`` into a column.

    Shape:
        - x: ``(N, C, H, W)``
        - returns cols: ``(N, C * kh * kw, H_out * W_out)``; row ``c*kh*kw + i*kw + j``
          holds input channel ``c`` at kernel offset ``(i, j)``, the same order as
          ``w.reshape(F, -1)``, so a convolution is ``w.reshape(F, -1) @ cols``.

    Formula: :math:`\text{cols}[n, (c, i, j), (y, x)] = x_{pad}[n, c, y s_h + i, x s_w + j]`.

    Example::

        >>> cols = im2col(np.zeros((2, 3, 5, 5)), 3, padding=1)
        >>> cols.shape
        (2, 27, 25)
    """
    x = _check_image(x)
    kh, kw = as_int_pair(kernel_size, "kernel_size", low=1)
    sh, sw = as_int_pair(stride, "stride", low=1)
    ph, pw = as_int_pair(padding, "padding", low=0)
    n, c = x.shape[:2]
    _, _, ho, wo = conv2d_output_shape(x.shape, (1, c, kh, kw), stride, padding)
    return _windows(_pad(x, ph, pw), kh, kw, sh, sw).reshape(n, c * kh * kw, ho * wo)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0) -> np.ndarray:
    r"""Adjoint of :func:`im2col`: add every column back onto the input positions it came from.

    Shape:
        - cols: ``(N, C * kh * kw, H_out * W_out)``
        - x_shape: ``(N, C, H, W)``, the shape of the image ``im2col`` was called on
        - returns: ``(N, C, H, W)``

    Formula: :math:`x[n, c, y s_h + i - p_h, x s_w + j - p_w] \mathrel{+}= \text{cols}[n, (c, i, j), (y, x)]`;
    positions read by several windows receive the sum, so ``col2im(im2col(x))`` is
    ``x`` times the number of windows that cover each pixel, not ``x``. This is
    why it is the backward of ``im2col``.

    Example::

        >>> col2im(im2col(np.ones((1, 1, 3, 3)), 2), (1, 1, 3, 3), 2)[0, 0]
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    cols = as_float_array(cols, "cols", ndim=3)
    kh, kw = as_int_pair(kernel_size, "kernel_size", low=1)
    sh, sw = as_int_pair(stride, "stride", low=1)
    ph, pw = as_int_pair(padding, "padding", low=0)
    n, c, h, w = tuple(x_shape)
    _, _, ho, wo = conv2d_output_shape(x_shape, (1, c, kh, kw), stride, padding)
    check_shape(cols, (n, c * kh * kw, ho * wo), "cols", f"im2col of an image of shape {tuple(x_shape)}")
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    _col2im_add(dxp, cols.reshape(n, c, kh, kw, ho, wo), sh, sw)
    return _unpad(dxp, ph, pw)


def _col2im_add(dxp: np.ndarray, cols6: np.ndarray, sh: int, sw: int) -> None:
    """Add columns ``cols6`` (n, C, kh, kw, H_out, W_out) into the padded images ``dxp`` (n, C, Hp, Wp)."""
    for i in range(cols6.shape[2]):
        for j in range(cols6.shape[3]):
            _add_at_offset(dxp, i, j, sh, sw, cols6[:, :, i, j])


# --------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------


#: conv2d_backward turns the gradient of the columns into dx this many images at a time.
_BACKWARD_CHUNK = 4


class Conv2dCache(NamedTuple):
    """What a conv2d forward keeps: inputs, hyper-parameters and (fast path only) the im2col columns."""

    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    stride: tuple[int, int]
    padding: tuple[int, int]
    cols: np.ndarray | None


def _conv_inputs(x, w, b, stride, padding, dilation=1):
    """Validate conv2d arguments; return x, w, b in one dtype and the normalised hyper-parameters."""
    _only_default("conv2d", dilation, 1, "dilation", "kernels of adjacent pixels")
    x = _check_image(x)
    w = as_float_array(w, "w", ndim=4)
    arrays = [x, w]
    if b is not None:
        b = as_float_array(b, "b", ndim=1)
        check_dim(b.shape[0], w.shape[0], f"bias: b (shape {b.shape}) needs one entry per filter "
                  f"(w has shape {w.shape}, so F = {w.shape[0]})")
        arrays.append(b)
    stride = as_int_pair(stride, "stride", low=1)
    padding = as_int_pair(padding, "padding", low=0)
    out_shape = conv2d_output_shape(x.shape, w.shape, stride, padding)
    dtype = result_dtype(*arrays)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    b = None if b is None else b.astype(dtype, copy=False)
    return x, w, b, stride, padding, out_shape


def conv2d_forward_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    r"""2-D convolution (cross-correlation, as torch) with four plain loops: the teaching version.

    Shape:
        - x: ``(N, C, H, W)``
        - w: ``(F, C, kh, kw)``
        - b: ``(F,)`` or None
        - out: ``(N, F, H_out, W_out)``, see :func:`conv2d_output_shape`

    Formula: :math:`\text{out}[n, f, y, x] = b_f + \sum_{c, i, j} w[f, c, i, j]\, x_{pad}[n, c, y s_h + i, x s_w + j]`.

    Returns ``(out, cache)``; pass ``cache`` to :func:`conv2d_backward_naive`.
    Same numbers as :func:`conv2d_forward`, hundreds of times slower.

    Example::

        >>> out, cache = conv2d_forward_naive(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
        >>> out[0, 0]
        array([[4., 4.],
               [4., 4.]])
    """
    x, w, b, (sh, sw), (ph, pw), (n_img, n_filt, ho, wo) = _conv_inputs(x, w, b, stride, padding, dilation)
    kh, kw = w.shape[2:]
    xp = _pad(x, ph, pw)
    out = np.zeros((n_img, n_filt, ho, wo), dtype=x.dtype)
    for n in range(n_img):
        for f in range(n_filt):
            for y in range(ho):
                for x_ in range(wo):
                    window = xp[n, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw]
                    out[n, f, y, x_] = np.sum(window * w[f])
    if b is not None:
        out += b[:, None, None]
    return out, Conv2dCache(x, w, b is not None, (sh, sw), (ph, pw), None)


def conv2d_backward_naive(dout, cache: Conv2dCache):
    r"""Gradients of the convolution with four plain loops: the teaching version.

    Shape:
        - dout: ``(N, F, H_out, W_out)``
        - returns ``(dx, dw, db)``: ``(N, C, H, W)``, ``(F, C, kh, kw)``, ``(F,)``
          (``db`` is None when the forward had no bias)

    Formula: each output number was :math:`\sum w \cdot \text{window}`, so it sends
    :math:`\text{dout} \cdot \text{window}` to ``dw[f]`` and :math:`\text{dout} \cdot w[f]`
    to the window's pixels in ``dx``; :math:`db_f = \sum_{n,y,x} \text{dout}[n, f, y, x]`.

    Example::

        >>> out, cache = conv2d_forward_naive(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
        >>> dx, dw, db = conv2d_backward_naive(np.ones_like(out), cache)
        >>> dx[0, 0]
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    cache = check_cache(cache, Conv2dCache, "conv2d_forward_naive or conv2d_forward")
    x, w, (sh, sw), (ph, pw) = cache.x, cache.w, cache.stride, cache.padding
    dout = _check_dout(dout, cache)
    kh, kw = w.shape[2:]
    xp = _pad(x, ph, pw)
    dxp = np.zeros(xp.shape, dtype=x.dtype)
    dw = np.zeros_like(w)
    n_img, n_filt, ho, wo = dout.shape
    for n in range(n_img):
        for f in range(n_filt):
            for y in range(ho):
                for x_ in range(wo):
                    rows, cols = slice(y * sh, y * sh + kh), slice(x_ * sw, x_ * sw + kw)
                    dw[f] += dout[n, f, y, x_] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, y, x_] * w[f]
    db = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return _unpad(dxp, ph, pw), dw, db


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
    r"""2-D convolution, fast: one im2col copy and one matrix product (``torch.nn.functional.conv2d``).

    Shape:
        - x: ``(N, C, H, W)``
        - w: ``(F, C, kh, kw)``
        - b: ``(F,)`` or None
        - out: ``(N, F, H_out, W_out)``, see :func:`conv2d_output_shape`

    Formula: :math:`\text{out}[n] = W_{2d}\, \text{cols}[n] + b` with
    :math:`W_{2d}` = ``w.reshape(F, C*kh*kw)`` and ``cols = im2col(x)``; the same
    numbers as :func:`conv2d_forward_naive`.

    ``dilation`` must stay 1 (torch's default): dilated kernels are not supported and
    raise a ValueError.

    Returns ``(out, cache)``; the cache keeps the columns, ``(N, C*kh*kw, H_out*W_out)``,
    which backward reuses for ``dw``. The output has the dtype of the inputs
    (float32 stays float32; float32 with float64 gives float64).

    Example::

        >>> out, cache = conv2d_forward(np.ones((2, 3, 8, 8)), np.ones((4, 3, 3, 3)), np.zeros(4), padding=1)
        >>> out.shape
        (2, 4, 8, 8)
    """
    x, w, b, stride, padding, (n_img, n_filt, ho, wo) = _conv_inputs(x, w, b, stride, padding, dilation)
    cols = im2col(x, w.shape[2:], stride, padding)  # (N, C*kh*kw, Ho*Wo)
    out = np.matmul(w.reshape(n_filt, -1), cols)  # (N, F, Ho*Wo): already NCHW order
    if b is not None:
        out += b[:, None]
    return out.reshape(n_img, n_filt, ho, wo), Conv2dCache(x, w, b is not None, stride, padding, cols)


def _check_dout(dout, cache: Conv2dCache) -> np.ndarray:
    dout = as_float_array(dout, "dout", ndim=4)
    expected = conv2d_output_shape(cache.x.shape, cache.w.shape, cache.stride, cache.padding)
    check_shape(dout, expected, "dout", "the shape of the forward output")
    return dout.astype(cache.x.dtype, copy=False)


def conv2d_backward(dout, cache: Conv2dCache):
    r"""Gradients of :func:`conv2d_forward`.

    Shape:
        - dout: ``(N, F, H_out, W_out)``
        - returns ``(dx, dw, db)``: ``(N, C, H, W)``, ``(F, C, kh, kw)``, ``(F,)``
          (``db`` is None when the forward had no bias)

    Formula: with :math:`D_n` = ``dout[n].reshape(F, -1)``,
    :math:`dw = \sum_n D_n\, \text{cols}[n]^\top`, :math:`db = \sum_{n,y,x} \text{dout}`,
    and :math:`dx = \text{col2im}(W_{2d}^\top D)`. The last one is computed for a few
    images at a time, so the ``(N, C*kh*kw, H_out*W_out)`` gradient of the columns
    never exists in full (peak memory stays near the size of the columns).

    Example::

        >>> out, cache = conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
        >>> dx, dw, db = conv2d_backward(np.ones_like(out), cache)
        >>> dw[0, 0]
        array([[4., 4.],
               [4., 4.]])
    """
    cache = check_cache(cache, Conv2dCache, "conv2d_forward")
    x, w, (sh, sw), (ph, pw) = cache.x, cache.w, cache.stride, cache.padding
    dout = _check_dout(dout, cache)
    n_img, n_filt, ho, wo = dout.shape
    n_chan, kh, kw = w.shape[1:]
    cols = cache.cols if cache.cols is not None else im2col(x, (kh, kw), (sh, sw), (ph, pw))
    d2 = dout.reshape(n_img, n_filt, ho * wo)
    dw = np.matmul(d2, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    dxp = np.zeros((n_img, n_chan, x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), dtype=x.dtype)
    w2t = w.reshape(n_filt, -1).T  # (C*kh*kw, F)
    for first in range(0, n_img, _BACKWARD_CHUNK):
        images = slice(first, first + _BACKWARD_CHUNK)
        dcols = np.matmul(w2t, d2[images])  # gradient of these images' columns
        _col2im_add(dxp[images], dcols.reshape(-1, n_chan, kh, kw, ho, wo), sh, sw)
    return _unpad(dxp, ph, pw), dw, db


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------


class PoolCache(NamedTuple):
    """What a pooling forward keeps: input shape and dtype, hyper-parameters, and (max pool) the winners."""

    x_shape: tuple[int, int, int, int]
    dtype: np.dtype
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    argmax: np.ndarray | None


def _pool_inputs(x, kernel_size, stride, padding):
    x = _check_image(x)
    kernel = as_int_pair(kernel_size, "kernel_size", low=1)
    stride = kernel if stride is None else as_int_pair(stride, "stride", low=1)
    padding = as_int_pair(padding, "padding", low=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"padding {padding} must be at most half the kernel size {kernel} (as in torch), "
                         f"so that no window sees only padding; use a smaller padding.")
    out_shape = conv2d_output_shape(x.shape, (x.shape[1], x.shape[1], *kernel), stride, padding)
    return x, kernel, stride, padding, out_shape


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    r"""2-D max pooling (``torch.nn.functional.max_pool2d``).

    Shape:
        - x: ``(N, C, H, W)``
        - out: ``(N, C, H_out, W_out)``, the formula of :func:`conv_output_size`
        - ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel)
          pads with :math:`-\infty`, so padding never wins.

    Formula: :math:`\text{out}[n, c, y, x] = \max_{i, j} x_{pad}[n, c, y s_h + i, x s_w + j]`.

    Not supported (a ValueError says so): ``dilation`` other than 1 and ``ceil_mode=True``;
    the output size is always rounded down, as torch's defaults.

    Returns ``(out, cache)``; the cache remembers which entry of each window won
    (the first one on ties, as torch; always a real entry, never padding, even when
    every real entry of the window is -inf).

    Example::

        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> max_pool2d_forward(x, 2)[0][0, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    _only_default("max_pool2d", dilation, 1, "dilation", "windows of adjacent pixels")
    _only_default("max_pool2d", ceil_mode, False, "ceil_mode", "output sizes rounded down")
    x, (kh, kw), (sh, sw), (ph, pw), (n, c, ho, wo) = _pool_inputs(x, kernel_size, stride, padding)
    flat = _windows(_pad(x, ph, pw, -np.inf), kh, kw, sh, sw).reshape(n, c, kh * kw, ho, wo)
    argmax = flat.argmax(axis=2)
    out = np.take_along_axis(flat, argmax[:, :, None], axis=2)[:, :, 0]
    if ph or pw:
        # A window whose real entries are all -inf ties with its padding; the winner must be a real
        # entry (as in torch), so take the first real entry equal to the maximum (NaN: the first NaN).
        real = _pad(np.ones((1, 1, *x.shape[2:]), dtype=bool), ph, pw, False)
        real = _windows(real, kh, kw, sh, sw).reshape(1, 1, kh * kw, ho, wo)
        wins = np.where(np.isnan(out)[:, :, None], np.isnan(flat), flat == out[:, :, None])
        argmax = (wins & real).argmax(axis=2)
    return out, PoolCache(x.shape, x.dtype, (kh, kw), (sh, sw), (ph, pw), argmax)


def max_pool2d_backward(dout, cache: PoolCache):
    r"""Gradient of :func:`max_pool2d_forward`: each window's gradient goes to its winner.

    Shape:
        - dout: ``(N, C, H_out, W_out)``
        - returns dx: ``(N, C, H, W)``

    Formula: :math:`dx[p] = \sum_{\text{windows won by } p} \text{dout}`; every other entry gets 0.

    Example::

        >>> out, cache = max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)
        >>> max_pool2d_backward(np.ones_like(out), cache)[0, 0]
        array([[0., 0., 0., 0.],
               [0., 1., 0., 1.],
               [0., 0., 0., 0.],
               [0., 1., 0., 1.]])
    """
    cache = check_cache(cache, PoolCache, "max_pool2d_forward")
    if cache.argmax is None:
        raise TypeError("this cache came from avg_pool2d_forward; pass it to avg_pool2d_backward instead.")
    dout = _check_pool_dout(dout, cache)
    (kh, kw), (sh, sw), (ph, pw) = cache.kernel_size, cache.stride, cache.padding
    dxp = _padded_zeros(cache)
    for k in range(kh * kw):
        i, j = divmod(k, kw)
        _add_at_offset(dxp, i, j, sh, sw, np.where(cache.argmax == k, dout, 0))
    return _unpad(dxp, ph, pw)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    r"""2-D average pooling (``torch.nn.functional.avg_pool2d`` with its defaults).

    Shape:
        - x: ``(N, C, H, W)``
        - out: ``(N, C, H_out, W_out)``; ``stride`` defaults to ``kernel_size``

    Formula: :math:`\text{out}[n, c, y, x] = \frac{1}{k_h k_w} \sum_{i, j} x_{pad}[n, c, y s_h + i, x s_w + j]`;
    zero padding counts in the average (torch's ``count_include_pad=True``).
    Not supported (a ValueError says so): ``count_include_pad=False`` (dividing by the
    number of real entries) and ``ceil_mode=True``.

    Example::

        >>> avg_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0][0, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    _only_default("avg_pool2d", ceil_mode, False, "ceil_mode", "output sizes rounded down")
    _only_default("avg_pool2d", count_include_pad, True, "count_include_pad",
                  "padding zeros count in every average")
    x, (kh, kw), (sh, sw), (ph, pw), _ = _pool_inputs(x, kernel_size, stride, padding)
    out = _windows(_pad(x, ph, pw), kh, kw, sh, sw).mean(axis=(2, 3))
    return out, PoolCache(x.shape, x.dtype, (kh, kw), (sh, sw), (ph, pw), None)


def avg_pool2d_backward(dout, cache: PoolCache):
    r"""Gradient of :func:`avg_pool2d_forward`: each window shares its gradient equally.

    Shape:
        - dout: ``(N, C, H_out, W_out)``
        - returns dx: ``(N, C, H, W)``

    Formula: :math:`dx[p] = \sum_{\text{windows containing } p} \text{dout} / (k_h k_w)`.

    Example::

        >>> out, cache = avg_pool2d_forward(np.ones((1, 1, 2, 2)), 2)
        >>> avg_pool2d_backward(np.ones_like(out), cache)[0, 0]
        array([[0.25, 0.25],
               [0.25, 0.25]])
    """
    cache = check_cache(cache, PoolCache, "avg_pool2d_forward")
    if cache.argmax is not None:
        raise TypeError("this cache came from max_pool2d_forward; pass it to max_pool2d_backward instead.")
    dout = _check_pool_dout(dout, cache)
    (kh, kw), (sh, sw), (ph, pw) = cache.kernel_size, cache.stride, cache.padding
    share = dout / (kh * kw)
    dxp = _padded_zeros(cache)
    for i in range(kh):
        for j in range(kw):
            _add_at_offset(dxp, i, j, sh, sw, share)
    return _unpad(dxp, ph, pw)


def _check_pool_dout(dout, cache: PoolCache) -> np.ndarray:
    dout = as_float_array(dout, "dout", ndim=4)
    expected = conv2d_output_shape(cache.x_shape, (cache.x_shape[1], cache.x_shape[1], *cache.kernel_size), cache.stride,
                                   cache.padding)
    check_shape(dout, expected, "dout", "the shape of the forward output")
    return dout.astype(cache.dtype, copy=False)


def _padded_zeros(cache: PoolCache) -> np.ndarray:
    n, c, h, w = cache.x_shape
    ph, pw = cache.padding
    return np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cache.dtype)
