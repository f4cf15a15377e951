"""MaxPieces: the max half of a maxout unit (Goodfellow et al. 2013), largest of ``pieces``.

A maxout layer with u units is Dense(n_in, u * pieces) followed by MaxPieces(pieces): the
Dense output is viewed as (N, u, pieces) (unit j's pieces are columns j*pieces ... j*pieces +
pieces - 1) and each unit keeps its largest piece:

    out[n, j] = max_p a[n, j, p],     dL/da[n, j, p] = dL/dout[n, j] if p = argmax_p a[n, j, p], else 0

It is piecewise linear, like ReLU (which is max(a, 0)), with no parameters of its own. Ties
go to the first maximal piece (argmax's rule). The discriminator of the 2-D ring benchmark
(VEEGAN, PacGAN) stacks three maxout layers of 200 units and 5 pieces.
"""

from __future__ import annotations

import numpy as np

from .base import Layer


class MaxPieces(Layer):
    """(N, units * pieces) -> (N, units): the maximum over each unit's consecutive pieces."""

    def __init__(self, pieces: int) -> None:
        super().__init__()
        if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
            raise ValueError(f"MaxPieces: pieces must be a positive integer, got {pieces!r}")
        self.pieces = int(pieces)

    def output_shape(self, input_shape):
        if len(input_shape) != 1 or input_shape[0] % self.pieces:
            raise self._shape_error(f"(batch, units * {self.pieces})", tuple(input_shape))
        return (input_shape[0] // self.pieces,)

    def compute_forward(self, x, training):
        a = x.reshape(x.shape[0], -1, self.pieces)
        winner = a.argmax(axis=2)
        out = np.take_along_axis(a, winner[:, :, None], axis=2)[:, :, 0]
        return out, winner

    def compute_backward(self, dout, winner):
        da = np.zeros(winner.shape + (self.pieces,), dtype=dout.dtype)
        np.put_along_axis(da, winner[:, :, None], dout[:, :, None], axis=2)
        return da.reshape(winner.shape[0], -1)

    def __repr__(self):
        return f"MaxPieces(pieces={self.pieces})"
