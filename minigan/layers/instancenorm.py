"""Instance normalisation (Ulyanov et al. 2016): BatchNorm's formula, per sample and channel."""

from __future__ import annotations

import numpy as np

from .base import Layer


class InstanceNorm(Layer):
    """out = gamma[c] * xhat + beta[c],  xhat = (x - mu[n, c]) / sqrt(var[n, c] + eps).

    Shapes: x and out (N, C, H, W); gamma, beta (C,) (only with ``affine=True``).
    mu[n, c] and var[n, c] are the mean and (biased) variance of the m = H * W values of
    image n, channel c. Unlike BatchNorm, no statistic mixes two samples, so training and
    eval mode compute the same thing, there are no running estimates, and a batch can be
    split or concatenated without changing any sample's output (CycleGAN and pix2pix rely on
    this: their networks see real and fake images in one batch).

    Backward: per (n, c) group this is BatchNorm's training-mode backward with m = H * W.
    With dxhat = dout * gamma, and d xhat_i / d x_j = (delta_ij - 1/m - xhat_i xhat_j / m)
    / sqrt(var + eps) (mu moves by 1/m, var by 2 (x_j - mu) / m per unit of x_j):
        dx     = (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)) / (m * sqrt(var + eps))
        dgamma = sum over n, h, w of dout * xhat,      dbeta = sum over n, h, w of dout
    with the inner sums over the H * W values of each (n, c).
    """

    def __init__(self, num_channels: int, affine: bool = True, eps: float = 1e-5,
                 dtype=np.float32) -> None:
        super().__init__()
        if isinstance(num_channels, bool) or not isinstance(num_channels, (int, np.integer)) \
                or num_channels < 1:
            raise ValueError(f"InstanceNorm: num_channels must be a positive integer, got {num_channels!r}")
        if not isinstance(affine, bool):
            raise TypeError(f"InstanceNorm: affine must be True or False, got {affine!r}")
        if not eps > 0:
            raise ValueError(f"InstanceNorm: eps must be positive, got {eps!r}")
        self.num_channels, self.affine, self.eps = int(num_channels), affine, float(eps)
        if affine:
            self._add_param("gamma", np.ones(num_channels, dtype=dtype))
            self._add_param("beta", np.zeros(num_channels, dtype=dtype))

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != self.num_channels:
            raise self._shape_error(f"(batch, {self.num_channels}, H, W)", shape)
        if shape[1] * shape[2] < 2:
            raise ValueError(f"{self.describe()}: needs at least 2 values per channel to estimate "
                             f"a variance, got an image of {shape[1]}x{shape[2]}")
        return shape

    def _gamma_beta(self, dtype):
        if self.affine:
            return self.params["gamma"][None, :, None, None], self.params["beta"][None, :, None, None]
        return dtype.type(1), dtype.type(0)

    def compute_forward(self, x, training):
        # training and eval are the same computation: the statistics are the sample's own
        mu = x.mean(axis=(2, 3), keepdims=True)                      # (N, C, 1, 1)
        var = ((x - mu) ** 2).mean(axis=(2, 3), keepdims=True)
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        xhat = (x - mu) * inv_std
        gamma, beta = self._gamma_beta(x.dtype)
        return gamma * xhat + beta, (xhat, inv_std)

    def compute_backward(self, dout, cache):
        xhat, inv_std = cache
        m = xhat.shape[2] * xhat.shape[3]
        if self.affine:
            self.grads["gamma"] += (dout * xhat).sum(axis=(0, 2, 3))
            self.grads["beta"] += dout.sum(axis=(0, 2, 3))
        if not self.need_dx:
            return None
        gamma, _ = self._gamma_beta(dout.dtype)
        dxhat = dout * gamma
        sum_d = dxhat.sum(axis=(2, 3), keepdims=True)
        sum_dx = (dxhat * xhat).sum(axis=(2, 3), keepdims=True)
        return (m * dxhat - sum_d - xhat * sum_dx) * (inv_std / m)

    def __repr__(self):
        return f"InstanceNorm({self.num_channels}, affine={self.affine}, eps={self.eps})"
