"""minigan: Generative Adversarial Networks from scratch, every gradient written by hand."""

import os

# OpenBLAS's worker threads keep spinning for about 2^28 CPU cycles after every matrix product,
# waiting for the next one. minigan runs its own single-threaded kernels (im2col, BatchNorm,
# Adam, ...) between products, and on a 2-core machine, whose cores may be two hardware
# threads of one physical core, that spinning slows them down up to 3x (measured: col2im
# 11.3 ms instead of 3.9 ms in the conv GAN; one iteration 81 ms instead of 63 ms). 2^12
# cycles is a few microseconds: long enough for back-to-back products, short enough to get
# out of the way. It takes effect only if NumPy is not imported yet (as in the `minigan`
# command); a value you set yourself is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "12")

from .allocator import keep_freed_memory  # noqa: E402

# Reuse freed memory instead of taking fresh pages from the kernel every training step
# (minigan/allocator.py: the conv GAN spent 15 ms of each 91 ms iteration in page faults).
MEMORY_REUSED = keep_freed_memory()

from .layers import (  # noqa: E402  (after the environment setting above)
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
from .losses import bce_with_logits, discriminator_loss, generator_loss  # noqa: E402
from .network import Sequential  # noqa: E402
from .optim import SGD, Adam, RMSProp  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Layer", "Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "BatchNorm", "Dropout",
    "Flatten", "Reshape", "Sequential", "SGD", "Adam", "RMSProp",
    "bce_with_logits", "discriminator_loss", "generator_loss",
]

from .layers import InstanceNorm, Residual, Skip  # noqa: E402  (image-to-image layers)

__all__ += ["InstanceNorm", "Residual", "Skip"]
