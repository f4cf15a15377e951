"""BatchNorm's forward and backward passes, NumPy and fused Numba versions.

Both work on a (N, C, M) view of the input: C features (channels), each normalised over the
N samples and M positions (M = 1 for (N, F) input, M = H * W for images). The NumPy versions
are the formulas of minigan.layers.batchnorm written with array operations (a mean, a
variance, a normalisation: several passes, several temporaries); the Numba versions compute
the same numbers in two passes over the data with no temporaries but the outputs.
"""

from __future__ import annotations

import numpy as np

from . import FASTMATH, jit, use_numba

# ----------------------------------------------------------------------------- NumPy twins


def _train_forward_numpy(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2))
    var = x.var(axis=(0, 2))
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xhat = (x - mean[None, :, None]) * inv_std[None, :, None]
    return gamma[None, :, None] * xhat + beta[None, :, None], xhat, mean, var, inv_std


def _train_backward_numpy(dout, xhat, gamma, inv_std):
    m = dout.shape[0] * dout.shape[2]
    dgamma = (dout * xhat).sum(axis=(0, 2))
    dbeta = dout.sum(axis=(0, 2))
    dxhat = dout * gamma[None, :, None]
    sum_dxhat = (gamma * dbeta)[None, :, None]           # sum(dxhat) = gamma * sum(dout)
    sum_dxhat_xhat = (gamma * dgamma)[None, :, None]     # sum(dxhat * xhat) = gamma * dgamma
    dx = (inv_std[None, :, None] / m) * (m * dxhat - sum_dxhat - xhat * sum_dxhat_xhat)
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- Numba


@jit(fastmath=FASTMATH)
def _train_forward_numba(x, gamma, beta, eps, out, xhat, mean, var, inv_std):
    N, C, M = x.shape
    count = N * M
    s = np.zeros(C)   # float64 accumulators: sums of many float32 numbers
    for n in range(N):
        for c in range(C):
            acc = 0.0
            for j in range(M):
                acc += x[n, c, j]
            s[c] += acc
    for c in range(C):
        mean[c] = s[c] / count
        s[c] = 0.0
    for n in range(N):                      # second pass: the variance around the mean
        for c in range(C):
            mc = mean[c]
            acc = 0.0
            for j in range(M):
                d = x[n, c, j] - mc
                acc += d * d
            s[c] += acc
    for c in range(C):
        var[c] = s[c] / count
        inv_std[c] = 1.0 / np.sqrt(var[c] + eps)
    for n in range(N):                      # normalise, scale and shift in one sweep
        for c in range(C):
            mc, ic, gc, bc = mean[c], inv_std[c], gamma[c], beta[c]
            for j in range(M):
                h = (x[n, c, j] - mc) * ic
                xhat[n, c, j] = h
                out[n, c, j] = gc * h + bc


@jit(fastmath=FASTMATH)
def _train_backward_numba(dout, xhat, gamma, inv_std, dx, dgamma, dbeta):
    N, C, M = dout.shape
    m = N * M
    sg = np.zeros(C)
    sb = np.zeros(C)
    for n in range(N):
        for c in range(C):
            ag, ab = 0.0, 0.0
            for j in range(M):
                d = dout[n, c, j]
                ag += d * xhat[n, c, j]
                ab += d
            sg[c] += ag
            sb[c] += ab
    for c in range(C):
        dgamma[c] = sg[c]
        dbeta[c] = sb[c]
    for n in range(N):
        for c in range(C):
            g = gamma[c]
            scale = inv_std[c] / m
            sum_dxhat, sum_dxhat_xhat = g * sb[c], g * sg[c]
            for j in range(M):
                dx[n, c, j] = scale * (m * g * dout[n, c, j] - sum_dxhat - xhat[n, c, j] * sum_dxhat_xhat)


# ----------------------------------------------------------------------------- dispatch


def as_ncm(a: np.ndarray) -> np.ndarray:
    """(N, F) -> (N, F, 1) and (N, C, H, W) -> (N, C, H*W), as views when contiguous."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def train_forward(x, gamma, beta, eps):
    """Batch statistics and normalised output. x is (N, C, M); returns
    (out, xhat, mean, var, inv_std) with out and xhat (N, C, M) and the rest (C,)."""
    if not use_numba():
        return _train_forward_numpy(x, gamma, beta, eps)
    C = x.shape[1]
    out, xhat = np.empty_like(x), np.empty_like(x)
    mean, var, inv_std = np.empty(C, x.dtype), np.empty(C, x.dtype), np.empty(C, x.dtype)
    _train_forward_numba(x, gamma, beta, x.dtype.type(eps), out, xhat, mean, var, inv_std)
    return out, xhat, mean, var, inv_std


def train_backward(dout, xhat, gamma, inv_std):
    """Gradients of BatchNorm in training mode; all (N, C, M) or (C,). Returns (dx, dgamma, dbeta)."""
    if not use_numba():
        return _train_backward_numpy(dout, xhat, gamma, inv_std)
    C = dout.shape[1]
    dx = np.empty_like(dout)
    dgamma, dbeta = np.empty(C, dout.dtype), np.empty(C, dout.dtype)
    _train_backward_numba(dout, xhat, gamma, inv_std, dx, dgamma, dbeta)
    return dx, dgamma, dbeta
