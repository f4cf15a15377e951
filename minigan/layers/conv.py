"""Convolutions on NCHW images: Conv2D, ConvTranspose2D (its exact adjoint), UpSampling2D."""

from __future__ import annotations

import numpy as np

from ..kernels.conv import col2im, im2col, output_size
from ..kernels.matmul import matmul
from .base import Layer
from .init import as_rng, initialise


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
        cols = im2col(x, kh, kw, self.stride, pads)                    # (C*kh*kw, N*OH*OW)
        Wm = self.params["W"].reshape(self.out_channels, -1)          # (F, C*kh*kw)
        out2 = matmul(Wm, cols)                                        # (F, N*OH*OW)
        out2 += self.params["b"][:, None]
        out = np.ascontiguousarray(out2.reshape(-1, N, OH, OW).transpose(1, 0, 2, 3))
        return out, (cols, x.shape, pads)

    def compute_backward(self, dout, cache):
        cols, x_shape, pads = cache
        F = self.out_channels
        dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(F, -1)   # (F, N*OH*OW)
        Wm = self.params["W"].reshape(F, -1)
        self.grads["W"] += matmul(dout2, cols.T).reshape(self.params["W"].shape)
        self.grads["b"] += dout2.sum(axis=1)
        if not self.need_dx:
            return None
        return col2im(matmul(Wm.T, dout2), x_shape, *self.kernel, self.stride, pads)

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
        out = col2im(matmul(Wm.T, x2), (N, self.out_channels, OH, OW), *self.kernel, self.stride, pads)
        out += self.params["b"].reshape(1, -1, 1, 1)
        return out, (x2, x.shape, pads)

    def compute_backward(self, dout, cache):
        x2, x_shape, pads = cache
        cols = im2col(dout, *self.kernel, self.stride, pads)                # (C_out*kh*kw, N*H*W)
        Wm = self.params["W"].reshape(self.in_channels, -1)
        self.grads["W"] += matmul(x2, cols.T).reshape(self.params["W"].shape)
        self.grads["b"] += dout.sum(axis=(0, 2, 3))
        if not self.need_dx:
            return None
        N, C, H, W = x_shape
        return np.ascontiguousarray(matmul(Wm, cols).reshape(C, N, H, W).transpose(1, 0, 2, 3))

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
