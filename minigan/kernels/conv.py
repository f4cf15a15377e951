"""im2col and col2im compiled with Numba (the fast versions of the NumPy im2col and col2im
in minigan.layers.conv, which explain what the two functions compute and why).

Same layout as the reference: cols has shape (C * kh * kw, N * OH * OW), rows ordered
(channel, kernel row, kernel col), columns ordered (sample, out row, out col). The kernels
fill (and col2im reads) one row of cols, a fixed (channel, kernel offset), at a time, sweeping
the output positions in order, so the inner loop writes cols contiguously.

How the kernels find the pixels: the input is first copied into a zero-padded array
(``np.pad``, as the reference does), each (channel) plane flattened into one row. A kernel
offset (i, j) then reads the padded plane at a fixed list of positions, one per output
pixel, ``window_offsets``, computed once per layer shape. The inner loop is
``dst[p] = plane[src[p]]`` over all OH * OW outputs of an image: no test for padding and no
short loop per output row. col2im adds into a padded array the same way and then drops its
border. (docs/benchmarks.md has the measured gains over loops that test for padding.)
"""

from __future__ import annotations

import functools

import numpy as np

from . import jit


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Number of window positions along one axis: floor((size + pads - kernel) / stride) + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


# ----------------------------------------------------------------------------- Numba


@functools.lru_cache(maxsize=128)
def window_offsets(kh: int, kw: int, stride: int, OH: int, OW: int, Wp: int) -> np.ndarray:
    """offsets[i * kw + j, oh * OW + ow] = (oh * stride + i) * Wp + ow * stride + j: where, in a
    zero-padded input plane of width Wp flattened to one row, output position (oh, ow) reads
    for kernel offset (i, j). Shape (kh * kw, OH * OW); cached per layer geometry, read-only."""
    i = np.arange(kh)[:, None, None, None]
    j = np.arange(kw)[None, :, None, None]
    oh = np.arange(OH)[None, None, :, None]
    ow = np.arange(OW)[None, None, None, :]
    offsets = ((oh * stride + i) * Wp + ow * stride + j).reshape(kh * kw, OH * OW)
    offsets.flags.writeable = False
    return offsets


@jit()
def _im2col_numba(xp, offsets, cols):
    """xp (N, C, Hp * Wp): the zero-padded input, each plane flattened; cols as im2col's."""
    N, C, _ = xp.shape
    K, P = offsets.shape                        # kernel offsets, output positions per image
    for c in range(C):
        for k in range(K):
            row = c * K + k                     # one (channel, kernel offset) at a time
            src = offsets[k]
            for n in range(N):
                plane = xp[n, c]
                dst = cols[row, n * P:(n + 1) * P]
                for p in range(P):              # no padding tests: the zeros are in xp
                    dst[p] = plane[src[p]]


@jit()
def _col2im_numba(cols, offsets, xp):
    """Adds each row of cols into the zero-initialised padded planes xp (N, C, Hp * Wp)."""
    N, C, _ = xp.shape
    K, P = offsets.shape
    for c in range(C):
        for k in range(K):
            row = c * K + k
            dst = offsets[k]
            for n in range(N):
                plane = xp[n, c]
                src = cols[row, n * P:(n + 1) * P]
                for p in range(P):              # overlapping windows add up
                    plane[dst[p]] += src[p]


# ----------------------------------------------------------------------------- entry points


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """x (N, C, H, W) -> cols (C * kh * kw, N * OH * OW). pads = (top, bottom, left, right)."""
    pt, pb, pl, pr = pads
    N, C, H, W = x.shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    cols = np.empty((C * kh * kw, N * OH * OW), dtype=x.dtype)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))    # a contiguous copy, zero-padded
    offsets = window_offsets(kh, kw, stride, OH, OW, W + pl + pr)
    _im2col_numba(xp.reshape(N, C, xp.shape[2] * xp.shape[3]), offsets, cols)  # no -1: N may be 0
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int, stride: int,
           pads: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of im2col: cols (C * kh * kw, N * OH * OW) -> x (N, C, H, W), summing the
    contributions of overlapping windows."""
    pt, pb, pl, pr = pads
    N, C, H, W = x_shape
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    offsets = window_offsets(kh, kw, stride, OH, OW, W + pl + pr)
    _col2im_numba(np.ascontiguousarray(cols), offsets, xp.reshape(N, C, xp.shape[2] * xp.shape[3]))
    # drop the sums that fell in the padding (no copy when there is none)
    return np.ascontiguousarray(xp[:, :, pt:pt + H, pl:pl + W])
