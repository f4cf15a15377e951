"""Weight initialisers.

- ``glorot_uniform`` (Keras's default for Dense and Conv): U(-a, a) with
  a = sqrt(6 / (fan_in + fan_out)), which keeps the variance of activations and of
  gradients roughly constant from layer to layer.
- ``normal_002`` (DCGAN): N(0, 0.02^2), the initialisation Radford et al. used for GANs.
"""

from __future__ import annotations

import numpy as np

INITIALISERS = ("glorot_uniform", "normal_002", "zeros")


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Accept a Generator, an integer seed, or None (a fresh, unseeded generator)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def initialise(
    name: str, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype
) -> np.ndarray:
    """Return an array of ``shape`` drawn by the initialiser ``name``."""
    if name == "glorot_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)
    if name == "normal_002":
        return (0.02 * rng.standard_normal(shape)).astype(dtype)
    if name == "zeros":
        return np.zeros(shape, dtype=dtype)
    raise ValueError(f"init must be one of {INITIALISERS}, got {name!r}")
