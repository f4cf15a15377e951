"""minigan: Generative Adversarial Networks from scratch, every gradient written by hand."""

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
from .losses import bce_with_logits, discriminator_loss, generator_loss
from .network import Sequential
from .optim import SGD, Adam, RMSProp

__version__ = "0.1.0"

__all__ = [
    "Layer", "Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "BatchNorm", "Dropout",
    "Flatten", "Reshape", "Sequential", "SGD", "Adam", "RMSProp",
    "bce_with_logits", "discriminator_loss", "generator_loss",
]
