"""Layers that move numbers around without learning anything: Flatten, Reshape, Dropout."""

from __future__ import annotations

import math

import numpy as np

from .base import Layer
from .init import as_rng


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...). Backward reshapes dout back: dx = dout.reshape(x.shape)."""

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def compute_forward(self, x, training):
        return x.reshape(x.shape[0], -1), x.shape

    def compute_backward(self, dout, x_shape):
        return dout.reshape(x_shape)


class Reshape(Layer):
    """(N, *input_shape) -> (N, *target_shape), with the same number of values per sample.

    minigan images are NCHW, so a generator's 784 outputs become (1, 28, 28), where Keras's
    channels-last tables write (28, 28, 1).
    """

    def __init__(self, target_shape: tuple[int, ...]) -> None:
        super().__init__()
        target_shape = tuple(int(n) for n in target_shape)
        if not target_shape or min(target_shape) < 1:
            raise ValueError(f"Reshape: target_shape must be positive integers, got {target_shape!r}")
        self.target_shape = target_shape

    def output_shape(self, input_shape):
        if math.prod(input_shape) != math.prod(self.target_shape):
            raise self._shape_error(
                f"(batch, ...) with {math.prod(self.target_shape)} values per sample "
                f"to reshape to {self.target_shape}", tuple(input_shape))
        return self.target_shape

    def compute_forward(self, x, training):
        return x.reshape((x.shape[0],) + self.target_shape), x.shape

    def compute_backward(self, dout, x_shape):
        return dout.reshape(x_shape)

    def __repr__(self):
        return f"Reshape({self.target_shape})"


class Dropout(Layer):
    """Inverted dropout: in training, out = x * mask / (1 - rate) with mask ~ Bernoulli(1 - rate),
    so the expected output equals x and eval mode is the identity. dx = dout * mask / (1 - rate).

    The layer owns its random generator (seeded by ``rng``), so runs are reproducible and a
    gradient check can replay the same mask.
    """

    def __init__(self, rate: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = as_rng(rng)

    def compute_forward(self, x, training):
        if not training or self.rate == 0:
            return x, None
        keep = self.rng.random(x.shape) >= self.rate
        scale = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * scale, scale

    def compute_backward(self, dout, scale):
        return dout if scale is None else dout * scale

    def __repr__(self):
        return f"Dropout(rate={self.rate})"
