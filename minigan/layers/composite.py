"""Layers made of layers: a residual block and a U-Net skip connection.

Most networks in minigan are a chain, which Sequential runs. Image-to-image networks are
not: a ResNet block adds its input to its output, and a U-Net hands each encoder's output
across to the decoder at the same resolution. Both are a *branch* f (a short chain of
layers) combined with the branch's own input x:

    Residual(f):   out = x + f(x)                 dx = dout + f'(dout)
    Skip(f):       out = concat_c(x, f(x))        dx = dout[:, :C] + f'(dout[:, C:])

where f' is the branch's backward. x feeds two paths, so its gradient is the *sum* of the
two paths' gradients (the chain rule at a fork); an addition passes dout to both inputs
unchanged; a concatenation hands each input its own slice of dout.

Why composite layers and not a general graph: these two patterns are all that ResNet
generators and U-Nets need, a composite layer is itself a Layer, and so it nests (a U-Net is
Skips inside Skips) and drops into a Sequential, whose optimizers, save/load, summary and
gradient checks then work unchanged. A general graph would need a topological sort and a
gradient accumulator per node, machinery that hides the two lines of calculus above.

Parameters: the block's ``params``/``grads``/``state`` hold the *same arrays* as its
layers', under names such as 'conv2d.W' (names given like Sequential's: conv2d, conv2d_1,
...); a Sequential then calls them 'residual.conv2d.W', unique and stable across runs, so
checkpoints load into a freshly built model. Layers with their own random generator
(Dropout) are not supported inside a block (a checkpoint saves the generators of the
top-level layers only), and ``forward`` says so.
"""

from __future__ import annotations

import numpy as np

from .base import Layer


def concat_channels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, Ca, H, W) and (N, Cb, H, W) -> (N, Ca + Cb, H, W); backward: split_channels."""
    if a.ndim != 4 or b.ndim != 4 or a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
        raise ValueError(f"concat_channels: expected (N, C, H, W) arrays with equal N, H and W, "
                         f"got {a.shape} and {b.shape}")
    return np.concatenate([a, b], axis=1)


def split_channels(d: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """The backward of concat_channels: dL/d(concat) -> (dL/da, dL/db), a's ``channels``
    channels first. Concatenation only copies numbers, so each input gets its own slice."""
    if d.ndim != 4 or not 0 < channels < d.shape[1]:
        raise ValueError(f"split_channels: cannot split {channels} channels off an array of shape {d.shape}")
    # contiguous copies: the layers below may hand them to kernels that expect C order
    return np.ascontiguousarray(d[:, :channels]), np.ascontiguousarray(d[:, channels:])


class Block(Layer):
    """A branch f of layers run in order, combined with the block's input by ``combine``
    (subclasses). The bookkeeping (one cache per forward, errors on a missing forward, shape
    checks) is Layer's; the branch's layers keep their own caches."""

    def __init__(self, layers: list[Layer]) -> None:
        super().__init__()
        kind = type(self).__name__
        if not isinstance(layers, (list, tuple)) or not layers \
                or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(f"{kind}: layers must be a non-empty list of minigan Layer objects")
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError(f"{kind}: the same layer object appears twice; build a new layer for "
                             "each position (each holds its own cache)")
        for layer in layers:
            if layer.rng is not None:
                raise ValueError(f"{kind}: {type(layer).__name__} owns a random generator, which "
                                 "checkpoints do not save inside a block; put it outside the block")
        self.layers = list(layers)
        counts: dict[str, int] = {}
        for layer in self.layers:  # the names Sequential would give
            name = type(layer).__name__.lower()
            layer.name = name if name not in counts else f"{name}_{counts[name]}"
            counts[name] = counts.get(name, 0) + 1
        self._collect()
        self._remember = True

    def _collect(self) -> None:
        """Point params/grads/state at the branch's arrays (the same objects, not copies)."""
        self.params = {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.params.items()}
        self.grads = {f"{layer.name}.{k}": layer.grads[k] for layer in self.layers for k in layer.params}
        self.state = {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.state.items()}

    def branch_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    # the contract: Layer.forward/backward check and cache; these run the branch
    def forward(self, x, training=True, remember=True):
        self._remember = remember  # read by compute_forward, which Layer.forward calls
        return super().forward(x, training, remember)

    def compute_forward(self, x, training):
        h = x
        for layer in self.layers:
            h = layer.forward(h, training=training, remember=self._remember)
        return self.combine(x, h), x.shape[1]

    def compute_backward(self, dout, in_channels):
        d_skip, d_branch = self.split(dout, in_channels)
        for i in range(len(self.layers) - 1, -1, -1):
            # the first layer's dx is needed only if the block's own dx is
            d_branch = self.layers[i].backward(d_branch, need_dx=self.need_dx or i > 0,
                                               need_param_grads=self.need_param_grads)
        if not self.need_dx:
            return None
        return d_skip + d_branch  # x fed both paths: their gradients add

    def forget(self) -> None:
        super().forget()
        for layer in self.layers:
            layer.forget()

    def astype(self, dtype) -> Block:
        for layer in self.layers:
            layer.astype(dtype)
        self._collect()  # the layers hold new arrays now
        return self

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}([{inner}])"

    # for subclasses
    def combine(self, x, fx):
        raise NotImplementedError

    def split(self, dout, in_channels):
        raise NotImplementedError


class Residual(Block):
    """out = x + f(x) (He et al. 2016): the branch learns a correction to the identity, and
    the gradient reaches x undiminished through the '+ x' path.

    Shapes: f must keep the shape, (N, *s) -> (N, *s). Backward: dx = dout + f'(dout).
    """

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        out = self.branch_shape(shape)
        if out != shape:
            raise ValueError(f"{self.describe()}: the branch maps {shape} to {out}; a residual "
                             "branch must keep the shape")
        return shape

    def combine(self, x, fx):
        return x + fx

    def split(self, dout, in_channels):
        return dout, dout  # an addition passes dout to both of its inputs


class Skip(Block):
    """out = concat_c(x, f(x)): the input is passed on beside the branch's output, channels
    stacked (the U-Net's skip connection; Ronneberger et al. 2015, pix2pix's generator).

    Shapes: x (N, C, H, W), f(x) (N, F, H, W) (same H, W), out (N, C + F, H, W).
    Backward: dx = dout[:, :C] + f'(dout[:, C:]). A U-Net is Skips nested inside Skips:
    Skip([down, Skip([down, ..., up]), up]), each level keeping its encoder's features.
    """

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise self._shape_error("(batch, C, H, W)", shape)
        out = self.branch_shape(shape)
        if len(out) != 3 or out[1:] != shape[1:]:
            raise ValueError(f"{self.describe()}: the branch maps {shape} to {out}; a skip "
                             "connection needs the branch to return the input's height and width")
        return (shape[0] + out[0], *shape[1:])

    def combine(self, x, fx):
        return concat_channels(x, fx)

    def split(self, dout, in_channels):
        return split_channels(dout, in_channels)
