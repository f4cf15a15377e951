"""Numerically stable sigmoid and softplus, shared by the Sigmoid layer and the losses.

The naive forms overflow: 1 / (1 + exp(-x)) computes exp(1000) for x = -1000, and
log(1 + exp(x)) computes exp(1000) for x = 1000. Both are rewritten so that exp only ever
sees a non-positive argument:

    sigmoid(x)  = 1 / (1 + e^{-x})          for x >= 0
                = e^{x} / (1 + e^{x})       for x <  0
    softplus(x) = log(1 + e^{x}) = max(x, 0) + log1p(e^{-|x|})

exp of a very negative number underflows to 0, which is the correct limit here, so that one
floating-point event is silenced (a caller running under np.errstate(all="raise") still gets
finite answers and no exception).

Both compute in floating point: a float array keeps its dtype, anything else (integers,
booleans, Python numbers) is computed and returned in float64. Casting back to an integer
dtype would round sigmoid(0) = 0.5 to 0 and silently give wrong losses and zero gradients.
"""

from __future__ import annotations

import numpy as np


def _as_float(x) -> np.ndarray:
    """x as a floating array: float arrays unchanged, everything else as float64. Complex or
    non-numeric input is refused (a logit is a real number)."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind not in "biu":
        raise TypeError(f"expected real numbers, got an array of dtype {x.dtype}")
    return x.astype(np.float64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^{-x}), elementwise, without overflow."""
    x = _as_float(x)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^{x}), elementwise, without overflow. Note -log sigmoid(x) = softplus(-x)
    and -log(1 - sigmoid(x)) = softplus(x)."""
    x = _as_float(x)
    with np.errstate(under="ignore"):
        return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)
