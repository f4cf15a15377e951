"""Maxout (Goodfellow et al., 2013): each unit is the largest of several affine pieces."""

from __future__ import annotations

import numpy as np

from .base import Layer
from .init import as_rng, initialise


class Maxout(Layer):
    """``units`` maxout units of ``pieces`` affine pieces each:

        z_njk = sum_i x_ni W_i,(j*pieces + k) + b_(j*pieces + k)     (an affine map, as Dense)
        out_nj = max_k z_njk

    Shapes: x (N, in_features), W (in_features, units * pieces), b (units * pieces,),
    out (N, units). The columns of unit j's pieces are j*pieces ... j*pieces + pieces - 1.

    Backward: the max passes its gradient to the piece that won and to no other,
        dL/dz_njk = dout_nj if k == k*(n, j) = argmax_k z_njk, else 0,
    and then, as for Dense, dW = x^T dz, db = sum_n dz_n, dx = dz W^T. When pieces tie, the
    first of them (numpy's argmax) takes the whole gradient: the max is not differentiable
    there, and any split of dout among the tied pieces is a valid subgradient.

    The paper's GAN uses maxout in its discriminator (240 units of 5 pieces on MNIST).
    """

    def __init__(self, in_features: int, units: int, pieces: int, init: str = "glorot_uniform",
                 rng: np.random.Generator | int | None = None, dtype=np.float32) -> None:
        super().__init__()
        for arg, value in (("in_features", in_features), ("units", units), ("pieces", pieces)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Maxout: {arg} must be a positive integer, got {value!r}")
        self.in_features, self.units, self.pieces = int(in_features), int(units), int(pieces)
        width = self.units * self.pieces
        W = initialise(init, (self.in_features, width), self.in_features, self.units, as_rng(rng), dtype)
        self._add_param("W", W)
        self._add_param("b", np.zeros(width, dtype=dtype))

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise self._shape_error(f"(batch, {self.in_features})", tuple(input_shape))
        return (self.units,)

    def compute_forward(self, x, training):
        n = x.shape[0]
        z = (x @ self.params["W"] + self.params["b"]).reshape(n, self.units, self.pieces)
        winner = z.argmax(axis=2)                                    # k*(n, j), (N, units)
        out = np.take_along_axis(z, winner[:, :, None], axis=2)[:, :, 0]
        return out, (x, winner)

    def compute_backward(self, dout, cache):
        x, winner = cache
        n = x.shape[0]
        dz = np.zeros((n, self.units, self.pieces), dtype=dout.dtype)
        np.put_along_axis(dz, winner[:, :, None], dout[:, :, None], axis=2)  # only the winner
        dz = dz.reshape(n, self.units * self.pieces)
        if self.need_param_grads:
            self.grads["W"] += x.T @ dz
            self.grads["b"] += dz.sum(axis=0)
        if not self.need_dx:
            return None
        return dz @ self.params["W"].T

    def tie_margin(self, x: np.ndarray) -> float:
        """The smallest gap, over samples and units, between the winning piece and the
        runner-up: a central difference of step h is exact only while h moves no piece
        past the winner (as for a ReLU's kink)."""
        z = (x @ self.params["W"] + self.params["b"]).reshape(x.shape[0], self.units, self.pieces)
        top2 = np.sort(z, axis=2)[:, :, -2:] if self.pieces > 1 else None
        return np.inf if top2 is None else float((top2[:, :, 1] - top2[:, :, 0]).min())

    def __repr__(self):
        return f"Maxout({self.in_features}, units={self.units}, pieces={self.pieces})"
