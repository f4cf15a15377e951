"""Sequential: a stack of layers, run forward in order and backward in reverse."""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .files import atomic_save_npz, load_npz
from .layers.base import Layer


class Parameter(NamedTuple):
    """A trainable array, its gradient (same shape) and a stable name such as '0_dense.W'.
    Optimizers update ``value`` in place, so the layer sees the new numbers."""

    name: str
    value: np.ndarray
    grad: np.ndarray


class Sequential:
    """out = layer_L(... layer_2(layer_1(x))).

    Backward is the chain rule applied layer by layer in reverse:
    dL/dx_{l-1} = layer_l.backward(dL/dx_l), each layer adding its parameter gradients.

    ``input_shape`` is the per-sample shape (no batch axis); it lets the constructor check
    that the layers fit together and lets ``summary()`` print every output shape.
    """

    def __init__(self, layers: list[Layer], input_shape: tuple[int, ...], name: str = "model"):
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("Sequential: layers must be a non-empty list of minigan Layer objects")
        self.layers = list(layers)
        self.name = name
        self.input_shape = tuple(int(n) for n in input_shape)
        counts: dict[str, int] = {}
        for layer in self.layers:
            # Keras-like names (dense, dense_1, ...) that are stable, so files saved from one
            # run load into a freshly built model of the same architecture.
            kind = type(layer).__name__.lower()
            layer.name = kind if kind not in counts else f"{kind}_{counts[kind]}"
            counts[kind] = counts.get(kind, 0) + 1
        self.output_shapes = []
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)  # raises if two layers do not fit together
            self.output_shapes.append(shape)

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x: np.ndarray, training: bool = True, remember: bool = True) -> np.ndarray:
        """Run the layers in order. x has shape (batch, *input_shape). Non-finite input is
        reported here, before it can spread NaN through every layer."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"model '{self.name}': input must be a numpy array, got {type(x).__name__}")
        if x.ndim < 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"model '{self.name}': expected input of shape (batch, "
                f"{', '.join(map(str, self.input_shape))}), got {x.shape}")
        if not np.isfinite(x).all():
            bad = int(x.size - np.isfinite(x).sum())
            raise FloatingPointError(
                f"model '{self.name}': input contains {bad} non-finite value(s) (NaN or inf) "
                f"out of {x.size}")
        for layer in self.layers:
            x = layer.forward(x, training=training, remember=remember)
        return x

    def predict(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Forward without keeping caches (eval mode by default): for sampling and plots."""
        return self.forward(x, training=training, remember=False)

    def backward(self, dout: np.ndarray, need_input_grad: bool = True,
                 need_param_grads: bool = True) -> np.ndarray | None:
        """Back-propagate dL/d(out); fills every layer's grads and returns dL/dx.
        With need_input_grad=False (the input is data, not a generator's output), nothing
        below the first layer with parameters needs a gradient: that layer skips its dL/dx,
        the parameter-free layers before it (a Flatten) just drop their caches, and None is
        returned. With need_param_grads=False only dL/dx is wanted (the generator's step
        through D, whose optimizer zeroes D's grads before its own step): the layers may
        leave their grads as they are (see Layer.backward)."""
        stop = 0
        if not need_input_grad:
            stop = next((i for i, layer in enumerate(self.layers) if layer.params), len(self.layers))
        for i in range(len(self.layers) - 1, -1, -1):
            if i < stop:
                self.layers[i].forget()
                continue
            dout = self.layers[i].backward(dout, need_dx=need_input_grad or i > stop,
                                           need_param_grads=need_param_grads)
        return dout if need_input_grad else None

    def forget(self) -> None:
        for layer in self.layers:
            layer.forget()

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[Parameter]:
        return [Parameter(f"{layer.name}.{key}", value, layer.grads[key])
                for layer in self.layers for key, value in layer.params.items()]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Non-trainable arrays (BatchNorm running statistics), by name."""
        return {f"{layer.name}.{key}": value
                for layer in self.layers for key, value in layer.state.items()}

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    def astype(self, dtype) -> Sequential:
        """Convert every array to ``dtype`` in place (float64 for gradient checks).
        Build optimizers after this: it replaces the arrays they would hold."""
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def num_params(self) -> tuple[int, int]:
        """(trainable, non-trainable) counts over all layers."""
        counts = [layer.num_params() for layer in self.layers]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def summary(self, print_fn=print) -> str:
        """A Keras-style table: layer, output shape, parameter count, then the totals
        (BatchNorm's running mean and variance count as non-trainable). Printed and returned."""
        rows = [(f"{layer.name} ({type(layer).__name__})",
                 "(None, " + ", ".join(map(str, shape)) + ")",
                 f"{sum(layer.num_params()):,}")
                for layer, shape in zip(self.layers, self.output_shapes, strict=True)]
        header = ("Layer (type)", "Output Shape", "Param #")
        w0 = max(len(header[0]), *(len(r[0]) for r in rows)) + 2
        w1 = max(len(header[1]), *(len(r[1]) for r in rows)) + 2
        w2 = max(len(header[2]), *(len(r[2]) for r in rows))
        line = "=" * (w0 + w1 + w2)
        trainable, frozen = self.num_params()
        text = [f'Model: "{self.name}"', line,
                f"{header[0]:<{w0}}{header[1]:<{w1}}{header[2]:>{w2}}", line]
        text += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in rows]
        text += [line,
                 f"Total params: {trainable + frozen:,}",
                 f"Trainable params: {trainable:,}",
                 f"Non-trainable params: {frozen:,}"]
        text = "\n".join(text)
        if print_fn is not None:
            print_fn(text)
        return text

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n], input_shape={self.input_shape}, name={self.name!r})"

    # ------------------------------------------------------------------ save / load
    def named_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every parameter and state array, by a stable key ('param/dense.W', 'state/...'),
        the arrays themselves (not copies): what save writes and load_arrays fills."""
        arrays = {f"{prefix}param/{p.name}": p.value for p in self.parameters()}
        arrays.update({f"{prefix}state/{k}": v for k, v in self.state_arrays().items()})
        return arrays

    def load_arrays(self, data: dict[str, np.ndarray], prefix: str = "", source: str = "") -> None:
        """Copy arrays keyed as by named_arrays into this model, in place (optimizers holding
        the arrays stay valid). A missing key, a wrong shape, an array that is not real floating
        point (complex, integer, text) or holds NaN or inf is a ValueError, and then nothing
        is copied: every array is checked first."""
        targets = self.named_arrays(prefix)
        for key, target in targets.items():
            value = data.get(key)
            if value is None or np.shape(value) != target.shape:
                raise ValueError(f"{source}: array {key!r} missing or of the wrong shape")
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
                raise ValueError(f"{source}: array {key!r} must be real floating point, got dtype "
                                 f"{getattr(value, 'dtype', type(value).__name__)}")
            if not np.isfinite(value).all():
                raise ValueError(f"{source}: array {key!r} holds NaN or inf values")
        for key, target in targets.items():
            target[...] = data[key]

    def save(self, path: str | os.PathLike) -> None:
        """Write parameters and state to one .npz file, atomically (temp file + rename),
        so an interrupted save never leaves a half-written file behind."""
        arrays = self.named_arrays()
        arrays["architecture"] = np.array(repr(self))
        atomic_save_npz(path, arrays)

    def load(self, path: str | os.PathLike) -> Sequential:
        """Copy parameters and state from a file written by ``save`` into this model, in place
        (optimizers holding the arrays stay valid). The architecture must match."""
        data = load_npz(path, "model file")
        if "architecture" not in data:
            raise ValueError(f"{path}: not a minigan model file (no architecture record)")
        saved, mine = str(data["architecture"]).splitlines(), repr(self).splitlines()
        if saved != mine:
            # one line: the first line where the two architectures differ
            i = next((i for i, (a, b) in enumerate(zip(saved, mine, strict=False)) if a != b),
                     min(len(saved), len(mine)))
            where = lambda lines: lines[i].strip() if i < len(lines) else "(ends)"  # noqa: E731
            raise ValueError(f"{path}: saved architecture does not match model '{self.name}' "
                             f"(saved: {where(saved)}; this model: {where(mine)})")
        self.load_arrays(data, source=str(path))
        return self

