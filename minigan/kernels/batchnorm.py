"""BatchNorm's training-mode forward and backward passes, fused (the fast version of
minigan.layers.batchnorm.BatchNorm in training mode).

Both work on a (N, C, M) view of the input: C features (channels), each normalised over the
N samples and M positions (M = 1 for (N, F) input, M = H * W for images). The reference layer
writes the formulas with array operations (a mean, a variance, a normalisation: several
passes, several temporaries); the loops below compute the same numbers in two passes over the
data with no temporaries but the outputs, accumulating the sums in float64.
"""

from __future__ import annotations

import numpy as np

from . import FASTMATH, jit

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


# ----------------------------------------------------------------------------- entry points


def as_ncm(a: np.ndarray) -> np.ndarray:
    """(N, F) -> (N, F, 1) and (N, C, H, W) -> (N, C, H*W), as views when contiguous (sizes
    spelled out, so that N = 0 works). The same helper as minigan.layers.batchnorm's."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], int(np.prod(a.shape[2:])))



def train_forward(x, gamma, beta, eps):
    """Batch statistics and normalised output. x is (N, C, M); returns
    (out, xhat, mean, var, inv_std) with out and xhat (N, C, M) and the rest (C,)."""
    C = x.shape[1]
    out, xhat = np.empty_like(x), np.empty_like(x)
    mean, var, inv_std = np.empty(C, x.dtype), np.empty(C, x.dtype), np.empty(C, x.dtype)
    _train_forward_numba(x, gamma, beta, x.dtype.type(eps), out, xhat, mean, var, inv_std)
    return out, xhat, mean, var, inv_std


def train_backward(dout, xhat, gamma, inv_std):
    """Gradients of BatchNorm in training mode; all (N, C, M) or (C,). Returns (dx, dgamma, dbeta)."""
    C = dout.shape[1]
    dx = np.empty_like(dout)
    dgamma, dbeta = np.empty(C, dout.dtype), np.empty(C, dout.dtype)
    _train_backward_numba(dout, xhat, gamma, inv_std, dx, dgamma, dbeta)
    return dx, dgamma, dbeta
