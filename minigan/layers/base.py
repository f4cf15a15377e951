"""The Layer contract that every minigan layer follows.

A layer is a pair of functions written side by side, in the style of the classic course
assignments::

    out, cache = layer.compute_forward(x, training)     # what the subclass writes
    dx         = layer.compute_backward(dout, cache)     # fills layer.grads, returns dx

and this base class does the bookkeeping around them, so every layer gets the same checks:

- ``forward(x)`` validates the input (a float32 or float64 array, its shape via
  ``output_shape``) and keeps the cache;
- ``backward(dout)`` consumes that cache. A backward with no matching forward, or a second
  forward that would silently overwrite a cache not yet back-propagated, raises a clear error.
- ``backward`` *accumulates* into ``grads`` (``+=``) and never changes a parameter: stepping
  is the optimizer's job, and ``zero_grad`` resets the gradients.

The compute methods of the layers are the reference, in plain NumPy. When a fast backend is
switched on (minigan.kernels), ``forward`` and ``backward`` call the registered fast versions
of ``compute_forward``/``compute_backward`` instead; the layer files do not change.

Attributes
----------
params : dict[str, ndarray]   trainable arrays, e.g. {"W": ..., "b": ...}
grads  : dict[str, ndarray]   same keys and shapes as params, filled by backward
state  : dict[str, ndarray]   non-trainable arrays (BatchNorm's running mean and variance)
rng    : np.random.Generator or None   the layer's own randomness (Dropout), so that a
         gradient check can replay it
"""

from __future__ import annotations

import numpy as np

from .. import kernels

# The dtypes every layer (and every fast kernel) supports. float16 is refused rather than
# silently upcast: its 11-bit mantissa is too coarse for the sums in BatchNorm and the optimizers.
SUPPORTED_DTYPES = (np.float32, np.float64)


class Layer:
    """Base class: subclasses implement ``compute_forward``, ``compute_backward`` and,
    when the layer changes or constrains the shape, ``output_shape``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.rng: np.random.Generator | None = None
        self.name = type(self).__name__.lower()
        self._cache = None
        self._has_cache = False
        self.need_dx = True  # set by backward for compute_backward to read
        self.need_param_grads = True  # likewise

    # ----------------------------------------------------------------- the public contract
    def forward(self, x: np.ndarray, training: bool = True, remember: bool = True) -> np.ndarray:
        """Compute the layer's output for a batch ``x`` (first axis is the batch).

        ``training`` selects batch statistics / active dropout; it says nothing about
        whether the layer will be updated. ``remember=False`` computes the output without
        keeping a cache (for samples you will not back-propagate through).
        """
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.describe()}: input must be a numpy array, got {type(x).__name__}")
        if x.ndim < 1:
            raise ValueError(f"{self.describe()}: input must have a batch axis, got a scalar")
        if x.dtype not in SUPPORTED_DTYPES:
            raise TypeError(f"{self.describe()}: input dtype must be float32 or float64, got {x.dtype}")
        self.output_shape(tuple(x.shape[1:]))  # raises a ValueError naming the shapes
        if remember and self._has_cache:
            raise RuntimeError(
                f"{self.describe()}: forward called again before backward; the cache of the "
                "previous forward would be lost. Call backward first, or pass remember=False "
                "for a forward you do not intend to back-propagate (Sequential.predict does)."
            )
        fast = kernels.fast_methods(self, ("compute_forward", "compute_backward"))
        if fast is None:
            out, cache = self.compute_forward(x, training)
        else:
            out, cache = fast[0](self, x, training)
        if remember:
            # the backward must be the partner of this forward (same cache layout), even if
            # the backend is switched in between
            backward = None if fast is None else fast[1]
            self._cache, self._has_cache = (cache, out.shape, backward), True
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True,
                 need_param_grads: bool = True) -> np.ndarray | None:
        """Back-propagate ``dout`` = dL/d(out); add the parameter gradients to ``grads`` and
        return dL/dx. Consumes the cache of the matching forward call.

        ``need_dx=False`` says nobody will use dL/dx (the first layer of a network whose input
        is data): a layer may then skip computing it and return None. Dense does, which saves
        the largest matrix product of a discriminator step.

        ``need_param_grads=False`` says the parameter gradients will be thrown away (the
        discriminator's, while the generator steps through it): a layer may then leave
        ``grads`` as they are. Dense and the convolutions do, which saves one matrix product
        per layer; the cheap ones (BatchNorm's gamma and beta) still add theirs.
        """
        if not self._has_cache:
            raise RuntimeError(
                f"{self.describe()}: backward called without a matching forward "
                "(call forward(x) first; each forward can be back-propagated once)."
            )
        cache, out_shape, fast_backward = self._cache
        if not isinstance(dout, np.ndarray) or dout.shape != out_shape:
            given = getattr(dout, "shape", type(dout).__name__)
            raise ValueError(
                f"{self.describe()}: backward expects dout of the output's shape {out_shape}, "
                f"got {given}"
            )
        self._cache, self._has_cache = None, False
        self.need_dx, self.need_param_grads = need_dx, need_param_grads
        if fast_backward is not None:
            return fast_backward(self, dout, cache)
        return self.compute_backward(dout, cache)

    def forget(self) -> None:
        """Drop a pending cache (e.g. after an exception between forward and backward)."""
        self._cache, self._has_cache = None, False

    def zero_grad(self) -> None:
        for g in self.grads.values():
            g.fill(0)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape (no batch axis).
        Raises ValueError if the layer cannot take that input. Default: shape unchanged."""
        return tuple(input_shape)

    def astype(self, dtype) -> Layer:
        """Convert parameters, gradients and state to ``dtype`` (e.g. float64 for checks)."""
        for d in (self.params, self.grads, self.state):
            for k in d:
                d[k] = d[k].astype(dtype)
        return self

    def num_params(self) -> tuple[int, int]:
        """(trainable, non-trainable) element counts."""
        trainable = sum(p.size for p in self.params.values())
        frozen = sum(s.size for s in self.state.values())
        return trainable, frozen

    def describe(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # ----------------------------------------------------------------- for subclasses
    def compute_forward(self, x: np.ndarray, training: bool):
        raise NotImplementedError

    def compute_backward(self, dout: np.ndarray, cache) -> np.ndarray:
        raise NotImplementedError

    def _add_param(self, key: str, value: np.ndarray) -> None:
        self.params[key] = value
        self.grads[key] = np.zeros_like(value)

    def _shape_error(self, expected: str, given: tuple[int, ...]) -> ValueError:
        given_text = "(batch" + "".join(f", {n}" for n in given) + ")"
        return ValueError(f"{self.describe()}: expected input of shape {expected}, got {given_text}")
