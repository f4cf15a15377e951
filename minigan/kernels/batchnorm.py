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


# The same two kernels for float32 (N, F) input (M = 1), which a Dense layer feeds to
# BatchNorm in the MLP GANs. With the loop over j gone, the loop over the features c is
# innermost and runs along contiguous memory, so LLVM vectorises it (4-5 times faster for
# (128, 1024) and (64, 512)); each feature's sums still run over n in the same order, with the
# same arithmetic, so the results are bit for bit those of the kernels above
# (tests/test_kernels.py). Only float32: in float64 LLVM fuses the final multiply-add of the
# two kernels differently and the last bits of the output differ, so float64 (gradient
# checks, small nets) keeps the general kernels.


@jit(fastmath=FASTMATH)
def _train_forward_nf_numba(x, gamma, beta, eps, out, xhat, mean, var, inv_std):
    N, C = x.shape
    s = np.zeros(C)
    for n in range(N):
        for c in range(C):
            s[c] += x[n, c]
    for c in range(C):
        mean[c] = s[c] / N
        s[c] = 0.0
    for n in range(N):
        for c in range(C):
            d = x[n, c] - mean[c]
            s[c] += d * d
    scale = np.empty_like(gamma)
    for c in range(C):
        var[c] = s[c] / N
        inv_std[c] = 1.0 / np.sqrt(var[c] + eps)
        # gamma * inv_std once per feature: the kernel above gets the same product because
        # 'reassoc' lets LLVM hoist it out of its loop over j, so the bits agree
        scale[c] = gamma[c] * inv_std[c]
    for n in range(N):
        for c in range(C):
            d = x[n, c] - mean[c]
            xhat[n, c] = d * inv_std[c]
            out[n, c] = scale[c] * d + beta[c]


@jit(fastmath=FASTMATH)
def _train_backward_nf_numba(dout, xhat, gamma, inv_std, dx, dgamma, dbeta):
    N, C = dout.shape
    sg = np.zeros(C)
    sb = np.zeros(C)
    for n in range(N):
        for c in range(C):
            sg[c] += dout[n, c] * xhat[n, c]
            sb[c] += dout[n, c]
    for c in range(C):
        dgamma[c] = sg[c]
        dbeta[c] = sb[c]
    # per feature, in float64 as the kernel above computes them (an int times a float32 is a
    # float64 in Numba, and so is a float32 times a float64 sum)
    scale, n_gamma = np.empty(C), np.empty(C)
    sum_dxhat, sum_dxhat_xhat = np.empty(C), np.empty(C)
    for c in range(C):
        scale[c] = inv_std[c] / N
        n_gamma[c] = N * gamma[c]
        sum_dxhat[c] = gamma[c] * sb[c]
        sum_dxhat_xhat[c] = gamma[c] * sg[c]
    for n in range(N):
        for c in range(C):
            dx[n, c] = scale[c] * (n_gamma[c] * dout[n, c] - sum_dxhat[c] - xhat[n, c] * sum_dxhat_xhat[c])


# ----------------------------------------------------------------------------- entry points


def _dense_float32(a) -> bool:
    """Is this (N, C, M) array float32 (N, F) input (M = 1), for the vectorised kernels?"""
    return a.shape[2] == 1 and a.dtype == np.float32


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
    if _dense_float32(x):  # the vectorised kernel, same bits
        _train_forward_nf_numba(x[:, :, 0], gamma, beta, x.dtype.type(eps), out[:, :, 0], xhat[:, :, 0],
                                mean, var, inv_std)
    else:
        _train_forward_numba(x, gamma, beta, x.dtype.type(eps), out, xhat, mean, var, inv_std)
    return out, xhat, mean, var, inv_std


def train_backward(dout, xhat, gamma, inv_std):
    """Gradients of BatchNorm in training mode; all (N, C, M) or (C,). Returns (dx, dgamma, dbeta)."""
    C = dout.shape[1]
    dx = np.empty_like(dout)
    dgamma, dbeta = np.empty(C, dout.dtype), np.empty(C, dout.dtype)
    if _dense_float32(dout):
        _train_backward_nf_numba(dout[:, :, 0], xhat[:, :, 0], gamma, inv_std, dx[:, :, 0], dgamma, dbeta)
    else:
        _train_backward_numba(dout, xhat, gamma, inv_std, dx, dgamma, dbeta)
    return dx, dgamma, dbeta
