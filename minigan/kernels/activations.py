"""LeakyReLU in one pass each way (the fast version of minigan.layers.activations.LeakyReLU).

NumPy's ``np.where(x > 0, x, alpha * x)`` makes three passes and two temporaries (the mask,
alpha * x); the loop below makes one. The backward needs only the sign of x, which the
output carries (out > 0 exactly when x > 0, for any alpha >= 0), so the layer caches the
output and no mask is stored.
"""

from __future__ import annotations

import numpy as np

from . import jit


@jit()
def _forward_numba(x, alpha, out):
    for i in range(x.size):
        xi = x[i]
        out[i] = xi if xi > 0 else alpha * xi


@jit()
def _backward_numba(dout, out, alpha, dx):
    for i in range(dout.size):
        dx[i] = dout[i] if out[i] > 0 else alpha * dout[i]


def leaky_relu_forward(x: np.ndarray, alpha: float) -> np.ndarray:
    """out = x where x > 0, alpha * x elsewhere."""
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    _forward_numba(x.reshape(-1), x.dtype.type(alpha), out.reshape(-1))
    return out


def leaky_relu_backward(dout: np.ndarray, out: np.ndarray, alpha: float) -> np.ndarray:
    """dx = dout where out > 0, alpha * dout elsewhere."""
    dout, out = np.ascontiguousarray(dout), np.ascontiguousarray(out)
    dx = np.empty_like(dout)
    _backward_numba(dout.reshape(-1), out.reshape(-1), dout.dtype.type(alpha), dx.reshape(-1))
    return dx
