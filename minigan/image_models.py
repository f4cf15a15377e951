"""The image-to-image architectures, scaled down to 28x28 MNIST digits.

pix2pix (Isola et al. 2017)

    unet_generator      a U-Net: an encoder halves the image ``depth`` times with 4x4 stride-2
                        convolutions, a decoder doubles it back with transposed ones, and every
                        encoder level hands its features across to the decoder (Skip blocks,
                        nested). For depth 2 on 28x28:
                            Conv 1->32 (14x14)
                            Skip[ LeakyReLU, Conv 32->64 (7x7), ReLU, Conv 3x3 64->64, ReLU,
                                  ConvT 64->32 (14x14), InstanceNorm ]          -> 64 channels
                            ReLU, ConvT 64->1 (28x28), tanh
    patch_discriminator a PatchGAN: a few stride-2 convolutions and a 1-channel output map, one
                        logit per overlapping patch (here 7x7 logits, each seeing an 18x18
                        patch), so D judges local texture and sharpness, and L1 takes care of
                        the image's overall layout. Conditioned on the input: it sees the
                        input and the output stacked as channels.

CycleGAN (Zhu et al. 2017)

    resnet_generator    two convolutions down to 14x14, ``blocks`` residual blocks
                        x + [Conv 3x3, InstanceNorm, ReLU, Conv 3x3, InstanceNorm](x), a
                        transposed convolution back to 28x28 and a 3x3 convolution, tanh.
    patch_discriminator as for pix2pix, on one image (1 channel).

Normalisation is InstanceNorm throughout (the papers use it for CycleGAN and, with a batch of
one, effectively for pix2pix too): it never mixes two samples, so real and fake images can
share a batch, and training and eval mode agree.
"""

from __future__ import annotations

import numpy as np

from .layers import Conv2D, ConvTranspose2D, InstanceNorm, LeakyReLU, ReLU, Residual, Skip, Tanh
from .layers.init import as_rng
from .network import Sequential


def _positive(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def unet_generator(seed: int | np.random.Generator | None = 0, in_channels: int = 1,
                   out_channels: int = 1, image_size: int = 28, width: int = 32, depth: int = 2,
                   dtype=np.float32) -> Sequential:
    """A U-Net of ``depth`` halvings; image_size must be divisible by 2**depth (28: depth <= 2)."""
    depth = _positive("depth", depth)
    width = _positive("width", width)
    image_size = _positive("image_size", image_size, 2)
    if image_size % 2 ** depth:
        raise ValueError(f"image_size {image_size} cannot be halved {depth} times by the U-Net: it "
                         f"must be a multiple of 2**depth = {2 ** depth} (use a smaller depth)")
    rng = as_rng(seed)
    widths = [width * 2 ** i for i in range(depth)]

    def down(c_in, c_out):
        return Conv2D(c_in, c_out, 4, stride=2, padding="same", rng=rng, dtype=dtype)

    def up(c_in, c_out):
        return ConvTranspose2D(c_in, c_out, 4, stride=2, padding="same", rng=rng, dtype=dtype)

    inner = None  # built from the innermost level outwards
    for level in range(depth - 1, 0, -1):
        c, c_down = widths[level - 1], widths[level]
        branch = [LeakyReLU(0.2), down(c, c_down)]
        if inner is None:  # the bottleneck: one more 3x3 convolution widens what it sees
            branch += [ReLU(), Conv2D(c_down, c_down, 3, padding="same", rng=rng, dtype=dtype),
                       ReLU(), up(c_down, c)]
        else:
            branch += [InstanceNorm(c_down, dtype=dtype), inner, ReLU(), up(2 * c_down, c)]
        inner = Skip(branch + [InstanceNorm(c, dtype=dtype)])
    layers = [down(in_channels, widths[0])]
    if inner is not None:
        layers.append(inner)
    layers += [ReLU(), up(2 * widths[0] if inner is not None else widths[0], out_channels), Tanh()]
    return Sequential(layers, input_shape=(in_channels, image_size, image_size), name="unet_generator")


def patch_discriminator(seed: int | np.random.Generator | None = 0, in_channels: int = 2,
                        image_size: int = 28, width: int = 32, dtype=np.float32) -> Sequential:
    """PatchGAN: Conv 4x4/2 (in->w), LeakyReLU, Conv 4x4/2 (w->2w), InstanceNorm, LeakyReLU,
    Conv 3x3 (2w->1): logits of shape (1, image_size/4, image_size/4)."""
    rng = as_rng(seed)
    width = _positive("width", width)
    layers = [Conv2D(in_channels, width, 4, stride=2, padding="same", rng=rng, dtype=dtype),
              LeakyReLU(0.2),
              Conv2D(width, 2 * width, 4, stride=2, padding="same", rng=rng, dtype=dtype),
              InstanceNorm(2 * width, dtype=dtype), LeakyReLU(0.2),
              Conv2D(2 * width, 1, 3, padding="same", rng=rng, dtype=dtype)]
    return Sequential(layers, input_shape=(in_channels, image_size, image_size), name="patch_discriminator")


def residual_block(channels: int, rng, dtype=np.float32) -> Residual:
    """x + [Conv 3x3, InstanceNorm, ReLU, Conv 3x3, InstanceNorm](x)."""
    return Residual([Conv2D(channels, channels, 3, padding="same", rng=rng, dtype=dtype),
                     InstanceNorm(channels, dtype=dtype), ReLU(),
                     Conv2D(channels, channels, 3, padding="same", rng=rng, dtype=dtype),
                     InstanceNorm(channels, dtype=dtype)])


def resnet_generator(seed: int | np.random.Generator | None = 0, channels: int = 1,
                     image_size: int = 28, width: int = 16, blocks: int = 3,
                     dtype=np.float32) -> Sequential:
    """CycleGAN's generator: c3s1-w, d3s2-2w, ``blocks`` x R(2w), u3s2-w, c3s1-channels, tanh."""
    rng = as_rng(seed)
    width, blocks = _positive("width", width), _positive("blocks", blocks)
    if _positive("image_size", image_size, 2) % 2:
        raise ValueError(f"image_size {image_size} cannot be halved: the ResNet generator needs "
                         "an even image size")
    w2 = 2 * width
    layers = [Conv2D(channels, width, 3, padding="same", rng=rng, dtype=dtype),
              InstanceNorm(width, dtype=dtype), ReLU(),
              Conv2D(width, w2, 3, stride=2, padding="same", rng=rng, dtype=dtype),
              InstanceNorm(w2, dtype=dtype), ReLU()]
    layers += [residual_block(w2, rng, dtype) for _ in range(blocks)]
    layers += [ConvTranspose2D(w2, width, 3, stride=2, padding="same", rng=rng, dtype=dtype),
               InstanceNorm(width, dtype=dtype), ReLU(),
               Conv2D(width, channels, 3, padding="same", rng=rng, dtype=dtype), Tanh()]
    return Sequential(layers, input_shape=(channels, image_size, image_size), name="resnet_generator")
