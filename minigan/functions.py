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
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^{-x}), elementwise, without overflow."""
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^{x}), elementwise, without overflow. Note -log sigmoid(x) = softplus(-x)
    and -log(1 - sigmoid(x)) = softplus(x)."""
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)
