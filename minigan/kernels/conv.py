"""im2col and col2im: convolution as one matrix product.

A convolution slides a kh x kw window over every position of the (padded) input and takes a
dot product with the filter there. im2col copies each window into one row of a matrix, so
that all those dot products become a single matrix product handed to BLAS:

    input, 1 channel, 4 x 4            windows (3 x 3, stride 1)     cols: one row per window
    a b c d                            a b c   b c d                  row (0,0): a b c e f g i j k
    e f g h           ->               e f g   f g h        ->        row (0,1): b c d f g h j k l
    i j k l                            i j k   j k l                  row (1,0): e f g i j k m n o
    m n o p                            (and the two below)            row (1,1): f g h j k l n o p

    cols has shape (N * OH * OW, C * kh * kw): rows ordered (sample, out row, out col),
    columns ordered (channel, kernel row, kernel col) to match W.reshape(F, C * kh * kw).

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
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)


def _col2im_numpy(cols, x_shape, kh, kw, stride, pt, pb, pl, pr):
    N, C, H, W = x_shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    blocks = cols.reshape(N, OH, OW, C, kh, kw).transpose(0, 3, 4, 5, 1, 2)  # (N, C, kh, kw, OH, OW)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for i in range(kh):          # each kernel offset adds one strided slice of the input
        for j in range(kw):
            xp[:, :, i: i + stride * OH: stride, j: j + stride * OW: stride] += blocks[:, :, i, j]
    return xp[:, :, pt: pt + H, pl: pl + W]


# ----------------------------------------------------------------------------- Numba


@jit()
def _im2col_numba(x, kh, kw, stride, pt, pl, OH, OW, cols):
    N, C, H, W = x.shape
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                col = 0
                for c in range(C):
                    for i in range(kh):
                        h = oh * stride + i - pt
                        for j in range(kw):
                            w = ow * stride + j - pl
                            if 0 <= h < H and 0 <= w < W:
                                cols[row, col] = x[n, c, h, w]
                            else:
                                cols[row, col] = 0   # a padded position
                            col += 1


@jit()
def _col2im_numba(cols, kh, kw, stride, pt, pl, OH, OW, x):
    N, C, H, W = x.shape
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                col = 0
                for c in range(C):
                    for i in range(kh):
                        h = oh * stride + i - pt
                        for j in range(kw):
                            w = ow * stride + j - pl
                            if 0 <= h < H and 0 <= w < W:
                                x[n, c, h, w] += cols[row, col]
                            col += 1


# ----------------------------------------------------------------------------- dispatch


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """x (N, C, H, W) -> cols (N * OH * OW, C * kh * kw). pads = (top, bottom, left, right)."""
    pt, pb, pl, pr = pads
    if not use_numba():
        return np.ascontiguousarray(_im2col_numpy(x, kh, kw, stride, pt, pb, pl, pr))
    N, C, H, W = x.shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    cols = np.empty((N * OH * OW, C * kh * kw), dtype=x.dtype)
    _im2col_numba(np.ascontiguousarray(x), kh, kw, stride, pt, pl, OH, OW, cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int, stride: int,
           pads: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of im2col: cols (N * OH * OW, C * kh * kw) -> x (N, C, H, W), summing the
    contributions of overlapping windows."""
    pt, pb, pl, pr = pads
    if not use_numba():
        return np.ascontiguousarray(_col2im_numpy(cols, x_shape, kh, kw, stride, pt, pb, pl, pr))
    N, C, H, W = x_shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    x = np.zeros(x_shape, dtype=cols.dtype)
    _col2im_numba(np.ascontiguousarray(cols), kh, kw, stride, pt, pl, OH, OW, x)
    return x
