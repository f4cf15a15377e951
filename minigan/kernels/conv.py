"""im2col and col2im: convolution as one matrix product.

A convolution slides a kh x kw window over every position of the (padded) input and takes a
dot product with the filter there. im2col copies each window into one row of a matrix, so
that all those dot products become a single matrix product handed to BLAS:

    input, 1 channel, 4 x 4      windows (3 x 3, stride 1)      cols: one COLUMN per window
    a b c d                      a b c   b c d                  (0,0) (0,1) (1,0) (1,1)
    e f g h         ->           e f g   f g h        ->          a     b     e     f
    i j k l                      i j k   j k l                    b     c     f     g
    m n o p                      (and the two below)              c     d     g     h
                                                                  ...   ...   ...   ...
                                                                  k     l     o     p

    cols has shape (C * kh * kw, N * OH * OW): rows ordered (channel, kernel row, kernel col)
    to match W.reshape(F, C * kh * kw), columns ordered (sample, out row, out col), so that
    the convolution is W.reshape(F, -1) @ cols, of shape (F, N * OH * OW).

Why columns rather than rows: the kernels fill (and col2im reads) one row of cols, a fixed
(channel, kernel offset), at a time, sweeping the output positions in order. The inner loop
then writes cols contiguously and reads the image along a row with the conv's stride, which
keeps both in cache; a row-per-window layout scatters across channels instead (measured:
3x slower for the course's conv GAN).

col2im is its adjoint: it adds every row back into the window it came from. Windows overlap
(when stride < kernel), so contributions to the same input pixel are summed; this is exactly
what the gradient with respect to the input needs, and what a transposed convolution is.

Padding is given per side (top, bottom, left, right) because TensorFlow/Keras "same" padding
is asymmetric for even sizes and stride 2 (it pads one more row at the bottom than at the top).
"""

from __future__ import annotations

import numpy as np

from . import jit, use_numba


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Number of window positions along one axis: floor((size + pads - kernel) / stride) + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


# ----------------------------------------------------------------------------- NumPy twins


def _im2col_numpy(x, kh, kw, stride, pt, pb, pl, pr):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    # (N, C, H', W', kh, kw) view of every window, then every stride-th one
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, : (OH - 1) * stride + 1 : stride, : (OW - 1) * stride + 1 : stride]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * OH * OW)


def _col2im_numpy(cols, x_shape, kh, kw, stride, pt, pb, pl, pr):
    N, C, H, W = x_shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    blocks = cols.reshape(C, kh, kw, N, OH, OW).transpose(3, 0, 1, 2, 4, 5)  # (N, C, kh, kw, OH, OW)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for i in range(kh):          # each kernel offset adds one strided slice of the input
        for j in range(kw):
            xp[:, :, i: i + stride * OH: stride, j: j + stride * OW: stride] += blocks[:, :, i, j]
    return xp[:, :, pt: pt + H, pl: pl + W]


# ----------------------------------------------------------------------------- Numba


@jit()
def _im2col_numba(x, kh, kw, stride, pt, pl, OH, OW, cols):
    N, C, H, W = x.shape
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j          # one (channel, kernel offset) at a time
                # the output columns whose input column ow * stride + j - pl lies in [0, W)
                lo = max(0, (pl - j + stride - 1) // stride)
                hi = max(lo, min(OW, (W - 1 + pl - j) // stride + 1))
                for n in range(N):
                    for oh in range(OH):
                        h = oh * stride + i - pt
                        start = (n * OH + oh) * OW
                        if h < 0 or h >= H:          # a padded row: zeros
                            for ow in range(OW):
                                cols[row, start + ow] = 0
                            continue
                        for ow in range(lo):         # padded columns on the left ...
                            cols[row, start + ow] = 0
                        for ow in range(lo, hi):     # ... the image, with no test per element ...
                            cols[row, start + ow] = x[n, c, h, ow * stride + j - pl]
                        for ow in range(hi, OW):     # ... and padded columns on the right
                            cols[row, start + ow] = 0


@jit()
def _col2im_numba(cols, kh, kw, stride, pt, pl, OH, OW, x):
    N, C, H, W = x.shape
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                # the output columns whose input column ow * stride + j - pl lies in [0, W)
                lo = max(0, (pl - j + stride - 1) // stride)
                hi = max(lo, min(OW, (W - 1 + pl - j) // stride + 1))
                for n in range(N):
                    for oh in range(OH):
                        h = oh * stride + i - pt
                        if h < 0 or h >= H:          # that window row lies in the padding
                            continue
                        start = (n * OH + oh) * OW
                        for ow in range(lo, hi):
                            x[n, c, h, ow * stride + j - pl] += cols[row, start + ow]


# ----------------------------------------------------------------------------- dispatch


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """x (N, C, H, W) -> cols (C * kh * kw, N * OH * OW). pads = (top, bottom, left, right)."""
    pt, pb, pl, pr = pads
    if not use_numba():
        return np.ascontiguousarray(_im2col_numpy(x, kh, kw, stride, pt, pb, pl, pr))
    N, C, H, W = x.shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    cols = np.empty((C * kh * kw, N * OH * OW), dtype=x.dtype)
    _im2col_numba(np.ascontiguousarray(x), kh, kw, stride, pt, pl, OH, OW, cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int, stride: int,
           pads: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of im2col: cols (C * kh * kw, N * OH * OW) -> x (N, C, H, W), summing the
    contributions of overlapping windows."""
    pt, pb, pl, pr = pads
    if not use_numba():
        return np.ascontiguousarray(_col2im_numpy(cols, x_shape, kh, kw, stride, pt, pb, pl, pr))
    N, C, H, W = x_shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    x = np.zeros(x_shape, dtype=cols.dtype)
    _col2im_numba(np.ascontiguousarray(cols), kh, kw, stride, pt, pl, OH, OW, x)
    return x
