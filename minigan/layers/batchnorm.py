"""Batch normalisation, per feature on (N, F) input and per channel on (N, C, H, W) input."""

from __future__ import annotations

import math

import numpy as np

from .base import Layer


def as_ncm(a: np.ndarray) -> np.ndarray:
    """(N, F) -> (N, F, 1) and (N, C, H, W) -> (N, C, H*W), as views when contiguous.
    The sizes are spelled out (no -1) so that an empty batch, N = 0, reshapes too."""
    N, C = a.shape[0], a.shape[1]
    return np.ascontiguousarray(a).reshape(N, C, math.prod(a.shape[2:]))


class BatchNorm(Layer):
    """out = gamma * xhat + beta,  xhat = (x - mu) / sqrt(var + eps).

    Statistics are taken per feature over the batch for (N, F) input, and per channel over
    the batch and both spatial axes for (N, C, H, W) input; m is the number of values
    averaged (N, or N*H*W).

    - training=True: mu and var are the batch's (biased) mean and variance, and the running
      estimates move towards them: running = (1 - momentum) * running + momentum * batch,
      with the unbiased variance var * m / (m - 1) (PyTorch's convention: momentum 0.1,
      eps 1e-5; Keras writes the same rule from the other side, momentum 0.99, eps 1e-3).
    - training=False: mu and var are the running estimates, so the layer is a fixed affine map.

    Backward in training mode (mu and var depend on every x in the group):
        dxhat = dout * gamma
        dx    = (1 / (m * sqrt(var + eps))) * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
    which follows from d xhat_i / d x_j = (delta_ij - 1/m - xhat_i xhat_j / m) / sqrt(var + eps).
    In eval mode mu and var are constants, so dx = dout * gamma / sqrt(running_var + eps).
    In both modes dgamma = sum(dout * xhat) and dbeta = sum(dout), summed over the group.

    gamma and beta are trainable; running_mean and running_var are state (non-trainable):
    4 * num_features numbers in all, as Keras counts them.
    """

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype=np.float32) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm: num_features must be a positive integer, got {num_features!r}")
        if not 0 < momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in (0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be positive, got {eps!r}")
        self.num_features, self.momentum, self.eps = int(num_features), float(momentum), float(eps)
        self._add_param("gamma", np.ones(num_features, dtype=dtype))
        self._add_param("beta", np.zeros(num_features, dtype=dtype))
        self.state["running_mean"] = np.zeros(num_features, dtype=dtype)
        self.state["running_var"] = np.ones(num_features, dtype=dtype)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (1, 3) or shape[0] != self.num_features:
            raise self._shape_error(
                f"(batch, {self.num_features}) or (batch, {self.num_features}, H, W)", shape)
        return shape

    def check_batch(self, x3: np.ndarray, x_shape: tuple[int, ...]) -> int:
        """m, the number of values per feature; training mode needs m >= 2 for a variance."""
        m = x3.shape[0] * x3.shape[2]
        if m < 2:
            raise ValueError(
                f"{self.describe()}: training mode needs at least 2 values per feature to "
                f"estimate a variance, got input of shape {x_shape}")
        return m

    def update_running(self, mu: np.ndarray, var: np.ndarray, m: int) -> None:
        """running = (1 - momentum) * running + momentum * batch (unbiased variance)."""
        mom = self.momentum
        rm, rv = self.state["running_mean"], self.state["running_var"]
        rm[...] = (1 - mom) * rm + mom * mu
        rv[...] = (1 - mom) * rv + mom * var * (m / (m - 1))

    def compute_forward(self, x, training):
        # Work on a (N, C, M) view: M = 1 for (N, F) input, H*W for images, so one code path
        # serves both layouts. Per-channel vectors (C,) broadcast as v[None, :, None].
        x3 = as_ncm(x)
        gamma, beta = self.params["gamma"][None, :, None], self.params["beta"][None, :, None]
        if training:
            m = self.check_batch(x3, x.shape)
            mu = x3.mean(axis=(0, 2))                          # (C,)
            var = x3.var(axis=(0, 2))                          # biased: divides by m
            self.update_running(mu, var, m)
        else:
            mu, var = self.state["running_mean"], self.state["running_var"]
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        xhat = (x3 - mu[None, :, None]) * inv_std[None, :, None]
        out = gamma * xhat + beta
        return out.reshape(x.shape), (xhat, inv_std, training)

    def compute_backward(self, dout, cache):
        xhat, inv_std, training = cache
        dout3 = as_ncm(dout)
        gamma = self.params["gamma"]
        dgamma = (dout3 * xhat).sum(axis=(0, 2))               # sum(dout * xhat)
        dbeta = dout3.sum(axis=(0, 2))                         # sum(dout)
        if training:
            m = dout3.shape[0] * dout3.shape[2]
            dxhat = dout3 * gamma[None, :, None]
            sum_dxhat = (gamma * dbeta)[None, :, None]         # = sum(dxhat), already computed
            sum_dxhat_xhat = (gamma * dgamma)[None, :, None]   # = sum(dxhat * xhat)
            dx = (inv_std[None, :, None] / m) * (m * dxhat - sum_dxhat - xhat * sum_dxhat_xhat)
        else:
            dx = dout3 * (gamma * inv_std)[None, :, None]      # a fixed affine map
        self.grads["gamma"] += dgamma
        self.grads["beta"] += dbeta
        return dx.reshape(dout.shape)

    def __repr__(self):
        return f"BatchNorm({self.num_features}, momentum={self.momentum}, eps={self.eps})"
