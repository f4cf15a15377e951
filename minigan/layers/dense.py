"""Dense (fully connected) layer."""

from __future__ import annotations

import numpy as np

from .base import Layer
from .init import as_rng, initialise


class Dense(Layer):
    """Affine map ``out = x @ W + b``.

    Shapes: x (N, in_features), W (in_features, out_features), b (out_features,),
    out (N, out_features).

    Backward, from out_nj = sum_i x_ni W_ij + b_j:
        dL/dW = x^T @ dout        (sum over the batch of outer products)
        dL/db = sum_n dout_n      (b is added to every row)
        dL/dx = dout @ W^T
    NumPy hands the three products to BLAS (minigan.kernels can swap in the teaching kernel).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str = "glorot_uniform",
        rng: np.random.Generator | int | None = None,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        for arg, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense: {arg} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = as_rng(rng)
        W = initialise(init, (self.in_features, self.out_features),
                       self.in_features, self.out_features, rng, dtype)
        self._add_param("W", W)
        self._add_param("b", np.zeros(self.out_features, dtype=dtype))

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise self._shape_error(f"(batch, {self.in_features})", tuple(input_shape))
        return (self.out_features,)

    def compute_forward(self, x, training):
        out = x @ self.params["W"] + self.params["b"]
        return out, x  # the backward needs x for dW

    def compute_backward(self, dout, x):
        if self.need_param_grads:  # False: D while G steps through it (grads thrown away)
            self.grads["W"] += x.T @ dout
            self.grads["b"] += dout.sum(axis=0)
        if not self.need_dx:  # the first layer of a network: nobody needs dL/dx
            return None
        return dout @ self.params["W"].T

    def __repr__(self):
        return f"Dense({self.in_features}, {self.out_features})"
