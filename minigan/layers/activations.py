"""Elementwise activations: LeakyReLU, ReLU, Sigmoid, Tanh.

Each maps out = f(x) elementwise, so the backward is the chain rule elementwise:
dL/dx = dL/dout * f'(x). The shape is unchanged and there are no parameters.
"""

from __future__ import annotations

import numpy as np

from ..functions import sigmoid
from .base import Layer


class LeakyReLU(Layer):
    """f(x) = x for x > 0, alpha * x otherwise;  f'(x) = 1 or alpha.

    alpha = 0.2 as in DCGAN (Keras's own default is 0.3). At x = 0 we use the slope alpha
    (the left derivative); gradient checks keep inputs away from that kink.
    The cache is the output: out > 0 exactly where x > 0, which is all the backward needs.
    """

    def __init__(self, alpha: float = 0.2) -> None:
        super().__init__()
        if not 0 <= alpha < 1:
            raise ValueError(f"LeakyReLU: alpha must be in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def compute_forward(self, x, training):
        out = np.where(x > 0, x, self.alpha * x)
        return out, out

    def compute_backward(self, dout, out):
        # out > 0 exactly where x > 0 (alpha >= 0), so the output tells which slope applies
        return np.where(out > 0, dout, self.alpha * dout)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class ReLU(LeakyReLU):
    """f(x) = max(x, 0);  f'(x) = 1 for x > 0, else 0. A LeakyReLU with alpha = 0."""

    def __init__(self) -> None:
        super().__init__(alpha=0.0)

    def __repr__(self):
        return "ReLU()"


class Sigmoid(Layer):
    """f(x) = 1 / (1 + e^{-x});  f'(x) = f(x) (1 - f(x)), so the cache is the output.

    Computed piecewise (see minigan.functions) so |x| = 1000 gives no warning. A GAN's
    discriminator should *not* end in this layer: the losses take logits instead.
    """

    def compute_forward(self, x, training):
        out = sigmoid(x)
        return out, out

    def compute_backward(self, dout, out):
        return dout * out * (1 - out)


class Tanh(Layer):
    """f(x) = tanh(x);  f'(x) = 1 - tanh(x)^2, so the cache is the output."""

    def compute_forward(self, x, training):
        out = np.tanh(x)
        return out, out

    def compute_backward(self, dout, out):
        return dout * (1 - out * out)
