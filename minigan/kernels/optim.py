"""Fused optimizer updates (the fast versions of the updates in minigan.optim).

NumPy evaluates ``m = b1*m + (1-b1)*g; v = ...; p -= lr * m_hat / (sqrt(v_hat) + eps)`` as
about a dozen separate passes over the parameter array, each allocating a temporary. The
Numba versions do the whole update in one pass, element by element, with no temporaries
(docs/benchmarks.md has the measured difference for the MLP-GAN).

Each update works on flat views of contiguous arrays, updates them in place, and returns the
sum of squares of the updated parameters (accumulated in float64), which the optimizer uses
to notice a parameter that became NaN or inf.

The loops are compiled with the fast-math flags 'reassoc' and 'contract' only: they let LLVM
reorder the running sum and fuse multiply-adds, so the loop is vectorised (without them the
float64 sum must be added strictly in order and the loop runs one element at a time). The
flags that assume there are no NaN or inf values are deliberately *not* set: the sum exists
to detect them. Scalars are cast to the arrays' dtype, so float32 arrays are updated in
float32 arithmetic, as NumPy does.
"""

from __future__ import annotations

import numpy as np

from . import FASTMATH, jit

# ----------------------------------------------------------------------------- sum of squares


@jit(fastmath=FASTMATH)
def _sum_squares_numba(a):
    total = 0.0
    for i in range(a.size):
        x = np.float64(a[i])
        total += x * x
    return total


def sum_squares(a: np.ndarray) -> float:
    """sum(a**2) accumulated in float64 (NaN or inf if any entry is): one pass gives both a
    gradient norm and a finiteness check."""
    flat = a.reshape(-1)
    return _sum_squares_numba(flat)


# ----------------------------------------------------------------------------- Adam


@jit(fastmath=FASTMATH)
def _adam_numba(p, g, m, v, lr, b1, b2, eps, bc1, bc2):
    one = p.dtype.type(1)
    total = 0.0
    for i in range(p.size):
        gi = g[i]
        mi = b1 * m[i] + (one - b1) * gi
        vi = b2 * v[i] + (one - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        pi = p[i] - lr * (mi / bc1) / (np.sqrt(vi / bc2) + eps)
        p[i] = pi
        total += np.float64(pi) * np.float64(pi)
    return total


def adam_update(p, g, m, v, lr, b1, b2, eps, t) -> float:
    """In place: m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Returns sum(p^2)."""
    f = p.dtype.type
    args = (p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), f(lr), f(b1), f(b2), f(eps),
            f(1.0 - b1 ** t), f(1.0 - b2 ** t))
    return _adam_numba(*args)


# ----------------------------------------------------------------------------- RMSProp


@jit(fastmath=FASTMATH)
def _rmsprop_numba(p, g, s, lr, rho, eps):
    one = p.dtype.type(1)
    total = 0.0
    for i in range(p.size):
        gi = g[i]
        si = rho * s[i] + (one - rho) * gi * gi
        s[i] = si
        pi = p[i] - lr * gi / (np.sqrt(si) + eps)
        p[i] = pi
        total += np.float64(pi) * np.float64(pi)
    return total


def rmsprop_update(p, g, s, lr, rho, eps) -> float:
    """In place: s <- rho s + (1-rho) g^2;  p <- p - lr g / (sqrt(s) + eps). Returns sum(p^2)."""
    f = p.dtype.type
    args = (p.reshape(-1), g.reshape(-1), s.reshape(-1), f(lr), f(rho), f(eps))
    return _rmsprop_numba(*args)


# ----------------------------------------------------------------------------- SGD


@jit(fastmath=FASTMATH)
def _sgd_numba(p, g, vel, lr, momentum):
    total = 0.0
    for i in range(p.size):
        if momentum == 0:
            step = g[i]
        else:
            step = momentum * vel[i] + g[i]
            vel[i] = step
        pi = p[i] - lr * step
        p[i] = pi
        total += np.float64(pi) * np.float64(pi)
    return total


def sgd_update(p, g, velocity, lr, momentum) -> float:
    """In place: v <- momentum v + g;  p <- p - lr v  (plain p <- p - lr g when momentum = 0;
    ``velocity`` is then unused and may be ``g`` itself). Returns sum(p^2)."""
    f = p.dtype.type
    args = (p.reshape(-1), g.reshape(-1), velocity.reshape(-1), f(lr), f(momentum))
    return _sgd_numba(*args)
