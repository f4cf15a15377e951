"""minigan: Generative Adversarial Networks from scratch, every gradient written by hand.

Importing minigan changes nothing global: the layers and optimizers run their plain NumPy
reference code. For speed, ``minigan.kernels.use("numba")`` switches on the compiled kernels
and tunes the process (the ``minigan`` command does this by itself); see minigan/kernels.
"""

from . import kernels  # noqa: F401  (minigan.kernels.use(...) without a second import)
from .layers import (
    BatchNorm,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
)
from .layers.maxout import Maxout
from .losses import bce_with_logits, discriminator_loss, generator_loss
from .network import Sequential
from .optim import SGD, Adam, RMSProp

__version__ = "0.1.0"

__all__ = [
    "Layer", "Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "BatchNorm", "Dropout",
    "Flatten", "Reshape", "Maxout", "Sequential", "SGD", "Adam", "RMSProp",
    "bce_with_logits", "discriminator_loss", "generator_loss",
]

from .layers import InstanceNorm, Residual, Skip  # noqa: E402  (image-to-image layers)

__all__ += ["InstanceNorm", "Residual", "Skip"]
