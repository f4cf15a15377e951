"""minigan's layers: each file holds one concept, its forward and backward side by side."""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D, ConvTranspose2D, UpSampling2D
from .dense import Dense
from .maxout import Maxout as Maxout
from .shape import Dropout, Flatten, Reshape

__all__ = [
    "Layer", "Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "BatchNorm",
    "Dropout", "Flatten", "Reshape", "Conv2D", "ConvTranspose2D", "UpSampling2D",
]
from .composite import Residual, Skip  # noqa: E402  (image-to-image layers)
from .instancenorm import InstanceNorm  # noqa: E402

__all__ += ["InstanceNorm", "Residual", "Skip"]
