"""Convolutions on NCHW images: Conv2D, ConvTranspose2D (its exact adjoint), UpSampling2D.

im2col and col2im: convolution as one matrix product
----------------------------------------------------
A convolution slides a kh x kw window over every position of the (padded) input and takes a
dot product with the filter there. im2col copies each window into one column of a matrix,
so that all those dot products become a single matrix product:

    input, 1 channel, 4 x 4      windows (3 x 3, stride 1)      cols: one COLUMN per window
    a b c d                      a b c   b c d                  (0,0) (0,1) (1,0) (1,1)
    e f g h         ->           e f g   f g h        ->          a     b     e     f
    i j k l                      i j k   j k l                    b     c     f     g
    m n o p                      (and the two below)              c     d     g     h
                                                                  ...   ...   ...   ...
                                                                  k     l     o     p

cols has shape (C * kh * kw, N * OH * OW): rows ordered (channel, kernel row, kernel col) to
match W.reshape(F, C * kh * kw), columns ordered (sample, out row, out col), so that the
convolution is W.reshape(F, -1) @ cols, of shape (F, N * OH * OW).

col2im is its adjoint: it adds every row back into the window it came from. Windows overlap
(when stride < kernel), so contributions to the same input pixel are summed; this is exactly
what the gradient with respect to the input needs, and what a transposed convolution is.

Padding is given per side (top, bottom, left, right) because TensorFlow/Keras "same" padding
is asymmetric for even sizes and stride 2 (it pads one more row at the bottom than at the top).

``direct_conv2d`` and ``direct_conv2d_backward`` at the end compute the same thing from the
definition, with loops: slow, but a line-by-line reading of the formulas (the tests check
that both ways agree).
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .init import as_rng, initialise


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Number of window positions along one axis: floor((size + pads - kernel) / stride) + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """x (N, C, H, W) -> cols (C * kh * kw, N * OH * OW). pads = (top, bottom, left, right).

    For each kernel offset (i, j), the pixels that offset sees in every window form one
    strided slice of the padded input, xp[:, :, i::stride, j::stride] (OH x OW of them), so
    kh * kw slice copies fill the matrix."""
    N, C, H, W = x.shape
    pt, pb, pl, pr = pads
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    cols = np.empty((C, kh, kw, N, OH, OW), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            window_pixels = xp[:, :, i: i + stride * OH: stride, j: j + stride * OW: stride]  # (N, C, OH, OW)
            cols[:, i, j] = window_pixels.transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * OH * OW)


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int, stride: int,
           pads: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of im2col: cols (C * kh * kw, N * OH * OW) -> x (N, C, H, W), adding each
    window's values back where im2col took them from (overlapping windows add up)."""
    N, C, H, W = x_shape
    pt, pb, pl, pr = pads
    OH, OW = output_size(H, kh, stride, pt, pb), output_size(W, kw, stride, pl, pr)
    blocks = cols.reshape(C, kh, kw, N, OH, OW).transpose(3, 0, 1, 2, 4, 5)  # (N, C, kh, kw, OH, OW)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for i in range(kh):          # each kernel offset adds back into one strided slice
        for j in range(kw):
            xp[:, :, i: i + stride * OH: stride, j: j + stride * OW: stride] += blocks[:, :, i, j]
    return np.ascontiguousarray(xp[:, :, pt: pt + H, pl: pl + W])  # drop what fell in the padding


def _positive(layer: str, name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow/Keras 'same': out = ceil(size / stride), padding split with the extra row
    (if the total is odd) at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _check_padding(layer: str, padding):
    if padding in ("valid", "same"):
        return padding
    if isinstance(padding, (int, np.integer)) and padding >= 0:
        return int(padding)
    raise ValueError(f"{layer}: padding must be 'valid', 'same' or a non-negative integer, got {padding!r}")


class Conv2D(Layer):
    """out[n, f] = b[f] + sum_c W[f, c] (*) x[n, c]   (cross-correlation, as every framework)

    Shapes: x (N, C, H, W), W (F, C, kh, kw), b (F,), out (N, F, OH, OW) with
    OH = floor((H + pad_top + pad_bottom - kh) / stride) + 1 (likewise OW).
    padding: "valid" (none), "same" (Keras: OH = ceil(H / stride)) or an integer p.

    With cols = im2col(x) of shape (C*kh*kw, N*OH*OW) and Wm = W.reshape(F, C*kh*kw), the
    layer is one matrix product, out2 = Wm @ cols + b, so its backward is Dense's:
        dWm = dout2 @ cols^T,    db = sum of dout2 over columns,    dcols = Wm^T @ dout2,
        dx = col2im(dcols)       (each window's gradient added back where it came from)
    where dout2 is dout laid out as (F, N*OH*OW).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding="valid", init: str = "glorot_uniform",
                 rng: np.random.Generator | int | None = None, dtype=np.float32) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = _positive(name, "in_channels", in_channels)
        self.out_channels = _positive(name, "out_channels", out_channels)
        kh, kw = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
        self.kernel = (_positive(name, "kernel_size", kh), _positive(name, "kernel_size", kw))
        self.stride = _positive(name, "stride", stride)
        self.padding = _check_padding(name, padding)
        rng = as_rng(rng)
        shape = self._weight_shape()
        fan_in, fan_out = self._fans()
        self._add_param("W", initialise(init, shape, fan_in, fan_out, rng, dtype))
        self._add_param("b", np.zeros(self.out_channels, dtype=dtype))

    def _weight_shape(self):
        return (self.out_channels, self.in_channels, *self.kernel)

    def _fans(self):
        kh, kw = self.kernel
        return self.in_channels * kh * kw, self.out_channels * kh * kw  # as Keras counts them

    def pads(self, H: int, W: int) -> tuple[int, int, int, int]:
        kh, kw = self.kernel
        if self.padding == "valid":
            return 0, 0, 0, 0
        if self.padding == "same":
            return (*_same_pads(H, kh, self.stride), *_same_pads(W, kw, self.stride))
        p = self.padding
        return p, p, p, p

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise self._shape_error(f"(batch, {self.in_channels}, H, W)", shape)
        _, H, W = shape
        pt, pb, pl, pr = self.pads(H, W)
        kh, kw = self.kernel
        if H + pt + pb < kh or W + pl + pr < kw:
            raise ValueError(
                f"{self.describe()}: kernel {kh}x{kw} is larger than the padded input "
                f"{H + pt + pb}x{W + pl + pr} (input {H}x{W}, padding {self.padding!r})")
        return (self.out_channels, output_size(H, kh, self.stride, pt, pb),
                output_size(W, kw, self.stride, pl, pr))

    def compute_forward(self, x, training):
        N, _, H, W = x.shape
        kh, kw = self.kernel
        pads = self.pads(H, W)
        _, OH, OW = self.output_shape(x.shape[1:])
        F = self.out_channels
        cols = im2col(x, kh, kw, self.stride, pads)                    # (C*kh*kw, N*OH*OW)
        Wm = self.params["W"].reshape(F, -1)                          # (F, C*kh*kw)
        out2 = Wm @ cols + self.params["b"][:, None]                   # (F, N*OH*OW)
        out = np.ascontiguousarray(out2.reshape(F, N, OH, OW).transpose(1, 0, 2, 3))
        return out, (cols, x.shape, pads)

    def compute_backward(self, dout, cache):
        cols, x_shape, pads = cache
        F = self.out_channels
        dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(F, -1)   # (F, N*OH*OW)
        Wm = self.params["W"].reshape(F, -1)
        if self.need_param_grads:
            self.grads["W"] += (dout2 @ cols.T).reshape(self.params["W"].shape)
            self.grads["b"] += dout2.sum(axis=1)
        if not self.need_dx:
            return None
        return col2im(Wm.T @ dout2, x_shape, *self.kernel, self.stride, pads)

    def __repr__(self):
        kh, kw = self.kernel
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, ({kh}, {kw}), "
                f"stride={self.stride}, padding={self.padding!r})")


class ConvTranspose2D(Conv2D):
    """The adjoint (transpose) of a Conv2D: it maps a small image to a larger one.

    Shapes: x (N, C_in, H, W), W (C_in, C_out, kh, kw) (PyTorch's layout), b (C_out,),
    out (N, C_out, OH, OW) with
        "valid":  OH = (H - 1) * stride + kh + output_padding
        integer p: OH = (H - 1) * stride - 2p + kh + output_padding
        "same":   OH = H * stride (Keras: the adjoint of a 'same' Conv2D from OH down to H)

    If conv is the Conv2D from C_out channels of size OH to C_in channels of size H with
    weights W, this layer computes conv's input-gradient map: with x2 = x as (C_in, N*H*W)
    and Wm = W.reshape(C_in, C_out*kh*kw),
        out = col2im(Wm^T @ x2) + b
    and so its backward is conv's forward:
        cols = im2col(dout),   dx2 = Wm @ cols,   dWm = x2 @ cols^T,   db = sum(dout).
    <conv(y), x> = <y, conv_transpose(x)> holds exactly (bias zero), and the tests check it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding="valid", output_padding: int = 0,
                 init: str = "glorot_uniform", rng: np.random.Generator | int | None = None,
                 dtype=np.float32) -> None:
        if not isinstance(output_padding, (int, np.integer)) or output_padding < 0:
            raise ValueError(f"ConvTranspose2D: output_padding must be a non-negative integer, "
                             f"got {output_padding!r}")
        self.output_padding = int(output_padding)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, init, rng, dtype)
        if self.output_padding >= self.stride:
            raise ValueError(f"ConvTranspose2D: output_padding ({self.output_padding}) must be "
                             f"smaller than stride ({self.stride})")
        if self.padding == "same" and self.output_padding:
            raise ValueError("ConvTranspose2D: output_padding is not used with padding='same'")

    def _weight_shape(self):
        return (self.in_channels, self.out_channels, *self.kernel)

    def _fans(self):
        kh, kw = self.kernel
        # Keras counts a transposed convolution's fans from its kernel (kh, kw, out, in)
        return self.out_channels * kh * kw, self.in_channels * kh * kw

    def _out_size(self, size: int, kernel: int) -> int:
        if self.padding == "same":
            return size * self.stride
        p = 0 if self.padding == "valid" else self.padding
        return (size - 1) * self.stride - 2 * p + kernel + self.output_padding

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise self._shape_error(f"(batch, {self.in_channels}, H, W)", shape)
        _, H, W = shape
        (kh, kw) = self.kernel
        OH, OW = self._out_size(H, kh), self._out_size(W, kw)
        if OH < 1 or OW < 1:
            raise ValueError(f"{self.describe()}: padding {self.padding!r} leaves no output for "
                             f"a {H}x{W} input with a {kh}x{kw} kernel")
        return self.out_channels, OH, OW

    def compute_forward(self, x, training):
        N, _, H, W = x.shape
        _, OH, OW = self.output_shape(x.shape[1:])
        pads = self.pads(OH, OW)  # those of the Conv2D from OH x OW down to H x W
        x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(self.in_channels, -1)  # (C_in, N*H*W)
        Wm = self.params["W"].reshape(self.in_channels, -1)                  # (C_in, C_out*kh*kw)
        out = col2im(Wm.T @ x2, (N, self.out_channels, OH, OW), *self.kernel, self.stride, pads)
        out += self.params["b"].reshape(1, -1, 1, 1)
        return out, (x2, x.shape, pads)

    def compute_backward(self, dout, cache):
        x2, x_shape, pads = cache
        cols = im2col(dout, *self.kernel, self.stride, pads)                # (C_out*kh*kw, N*H*W)
        Wm = self.params["W"].reshape(self.in_channels, -1)
        if self.need_param_grads:
            self.grads["W"] += (x2 @ cols.T).reshape(self.params["W"].shape)
            self.grads["b"] += dout.sum(axis=(0, 2, 3))
        if not self.need_dx:
            return None
        N, C, H, W = x_shape
        return np.ascontiguousarray((Wm @ cols).reshape(C, N, H, W).transpose(1, 0, 2, 3))

    def __repr__(self):
        return super().__repr__()[:-1] + f", output_padding={self.output_padding})"


class UpSampling2D(Layer):
    """Nearest-neighbour upsampling: each pixel becomes a size x size block.
    (N, C, H, W) -> (N, C, H*size, W*size); backward sums each block of dout:
    dx[n, c, h, w] = sum over the block of dout[n, c, h*size + i, w*size + j]."""

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = _positive("UpSampling2D", "size", size)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise self._shape_error("(batch, C, H, W)", shape)
        C, H, W = shape
        return C, H * self.size, W * self.size

    def compute_forward(self, x, training):
        s = self.size
        return x.repeat(s, axis=2).repeat(s, axis=3), x.shape

    def compute_backward(self, dout, x_shape):
        N, C, H, W = x_shape
        s = self.size
        return dout.reshape(N, C, H, s, W, s).sum(axis=(3, 5))

    def __repr__(self):
        return f"UpSampling2D(size={self.size})"


# ----------------------------------------------------------------------------- the definition, as loops


def direct_conv2d(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int,
                  pads: tuple[int, int, int, int]) -> np.ndarray:
    """Conv2D's forward from the definition (slow; for reading and testing):
        out[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*stride + u, j*stride + v]
    where xp is x zero-padded by pads = (top, bottom, left, right)."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    N, _, Hp, Wp = xp.shape
    F, _, kh, kw = W.shape
    OH, OW = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    out = np.zeros((N, F, OH, OW), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride: i * stride + kh, j * stride: j * stride + kw]
                    out[n, f, i, j] = b[f] + np.sum(W[f] * window)
    return out


def direct_conv2d_backward(dout: np.ndarray, x: np.ndarray, W: np.ndarray, stride: int,
                           pads: tuple[int, int, int, int]):
    """Conv2D's backward from the definition: every output out[n, f, i, j] used the window
    xp[n, :, i*s : i*s + kh, j*s : j*s + kw] and the filter W[f], so, by the chain rule,
        dW[f]     += dout[n, f, i, j] * window        db[f] += dout[n, f, i, j]
        dwindow   += dout[n, f, i, j] * W[f]          (added into dxp, then the padding cut off)
    Returns (dx, dW, db)."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    dxp = np.zeros_like(xp)
    dW, db = np.zeros_like(W), np.zeros(W.shape[0], dtype=W.dtype)
    N, F, OH, OW = dout.shape
    kh, kw = W.shape[2:]
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
                    dW[f] += g * xp[n, :, rows, cols]
                    db[f] += g
                    dxp[n, :, rows, cols] += g * W[f]
    H, Wd = x.shape[2:]
    return dxp[:, :, pt: pt + H, pl: pl + Wd], dW, db
