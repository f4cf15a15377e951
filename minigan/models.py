"""The named architectures of the course.

MLP-GAN for 28x28 MNIST digits, exactly as the course's Keras tables give them (minigan is
NCHW, so an image is (1, 28, 28) where Keras writes (28, 28, 1)):

    discriminator  Flatten -> 784-512-256-128-1 with LeakyReLU     566,273 parameters
    generator      32-128-256-512-784, each hidden Dense followed by BatchNorm and LeakyReLU,
                   tanh output reshaped to (1, 28, 28)            574,608 parameters
                   (572,816 trainable + 1,792 running statistics)

The convolutional GAN, also from the course's tables (Keras 'same' padding, stride 2):

    discriminator  Conv2D(32) 28->14, Conv2D(64) 14->7, Conv2D(128, 'valid') 7->3, each with
                   LeakyReLU; Flatten (1152), Dropout, Dense(1)          93,825 parameters
    generator      Dense(32 -> 1152), LeakyReLU, Reshape (128, 3, 3), ConvTranspose2D to
                   128x7x7, BatchNorm, LeakyReLU, ConvTranspose2D to 64x14x14, BatchNorm,
                   LeakyReLU, ConvTranspose2D to 1x28x28, tanh          260,737 parameters
                   (260,353 trainable + 384 running statistics)

The original GAN of Goodfellow et al. (2014) for MNIST, from the paper and its released
configuration (mnist.yaml of github.com/goodfeli/adversarial):

    generator      100 -> 1200 ReLU -> 1200 ReLU -> 784 sigmoid (pixels in [0, 1])
                   weights U(-0.05, 0.05); output bias logit(mean pixel)   2,503,984 parameters
    discriminator  dropout 0.2 on the input, maxout 240 x 5, dropout 0.5, maxout 240 x 5,
                   dropout 0.5, 1 logit; weights U(-0.005, 0.005)          1,231,441 parameters

The discriminators return a logit (no sigmoid): the losses work on logits.
"""

from __future__ import annotations

import numpy as np

from .layers import (
    BatchNorm,
    Conv2D,
    ConvTranspose2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    Maxout,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
)
from .layers.init import as_rng
from .network import Sequential

IMAGE_SHAPE = (1, 28, 28)
LATENT_DIM = 32


def mlp_discriminator(seed: int | np.random.Generator | None = 0, alpha: float = 0.2,
                      dropout: float = 0.0, dtype=np.float32, n_classes: int = 0) -> Sequential:
    """The course's MLP discriminator. ``dropout`` > 0 adds a Dropout after each hidden
    LeakyReLU (no parameters, so the count stays 566,273): on the 8,000 shipped images the
    plain network memorises its training set within a few dozen epochs (see
    experiments/mnist.py), and dropout is the conv discriminator's own answer to that.

    n_classes > 0 makes it conditional: the input is then (784 + n_classes,), a flattened
    image followed by a one-hot label (minigan.conditional), and the first layer is wider."""
    rng = as_rng(seed)
    widths = [784 + n_classes, 512, 256, 128]
    layers = [] if n_classes else [Flatten()]
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out, rng=rng, dtype=dtype), LeakyReLU(alpha)]
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Dense(widths[-1], 1, rng=rng, dtype=dtype))
    if n_classes:
        return Sequential(layers, input_shape=(784 + n_classes,), name="cgan_discriminator")
    return Sequential(layers, input_shape=IMAGE_SHAPE, name="mlp_discriminator")


def mlp_generator(seed: int | np.random.Generator | None = 0, latent_dim: int = LATENT_DIM,
                  alpha: float = 0.2, dtype=np.float32, n_classes: int = 0) -> Sequential:
    """The course's MLP generator; n_classes > 0 makes it conditional: its input is then
    (latent_dim + n_classes,), the noise followed by a one-hot label."""
    rng = as_rng(seed)
    widths = [latent_dim + n_classes, 128, 256, 512]
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out, rng=rng, dtype=dtype), BatchNorm(n_out, dtype=dtype),
                   LeakyReLU(alpha)]
    layers += [Dense(widths[-1], 784, rng=rng, dtype=dtype), Tanh(), Reshape(IMAGE_SHAPE)]
    return Sequential(layers, input_shape=(latent_dim + n_classes,),
                      name="cgan_generator" if n_classes else "mlp_generator")


def cgan_discriminator(seed: int | np.random.Generator | None = 0, dropout: float = 0.0,
                       n_classes: int = 10, dtype=np.float32) -> Sequential:
    """The conditional MLP discriminator: 794-512-256-128-1 (image + one-hot label)."""
    return mlp_discriminator(seed, dropout=dropout, dtype=dtype, n_classes=n_classes)


def cgan_generator(seed: int | np.random.Generator | None = 0, latent_dim: int = LATENT_DIM,
                   n_classes: int = 10, dtype=np.float32) -> Sequential:
    """The conditional MLP generator: 42-128-256-512-784 (noise + one-hot label)."""
    return mlp_generator(seed, latent_dim=latent_dim, dtype=dtype, n_classes=n_classes)


def conv_discriminator(seed: int | np.random.Generator | None = 0, alpha: float = 0.2,
                       dropout: float = 0.3, dtype=np.float32) -> Sequential:
    rng = as_rng(seed)
    layers = [Conv2D(1, 32, 3, stride=2, padding="same", rng=rng, dtype=dtype), LeakyReLU(alpha),
              Conv2D(32, 64, 3, stride=2, padding="same", rng=rng, dtype=dtype), LeakyReLU(alpha),
              Conv2D(64, 128, 3, stride=2, padding="valid", rng=rng, dtype=dtype), LeakyReLU(alpha),
              Flatten(), Dropout(dropout, rng=rng), Dense(1152, 1, rng=rng, dtype=dtype)]
    return Sequential(layers, input_shape=IMAGE_SHAPE, name="conv_discriminator")


def conv_generator(seed: int | np.random.Generator | None = 0, latent_dim: int = LATENT_DIM,
                   alpha: float = 0.2, dtype=np.float32) -> Sequential:
    rng = as_rng(seed)
    layers = [Dense(latent_dim, 1152, rng=rng, dtype=dtype), LeakyReLU(alpha), Reshape((128, 3, 3)),
              ConvTranspose2D(128, 128, 3, stride=2, padding="valid", rng=rng, dtype=dtype),
              BatchNorm(128, dtype=dtype), LeakyReLU(alpha),
              ConvTranspose2D(128, 64, 3, stride=2, padding="same", rng=rng, dtype=dtype),
              BatchNorm(64, dtype=dtype), LeakyReLU(alpha),
              ConvTranspose2D(64, 1, 3, stride=2, padding="same", rng=rng, dtype=dtype), Tanh()]
    return Sequential(layers, input_shape=(latent_dim,), name="conv_generator")


GOODFELLOW2014_LATENT = 100


def _uniform_weights(layer, limit: float, rng: np.random.Generator) -> None:
    """pylearn2's 'irange' initialisation: W ~ U(-limit, limit), biases 0."""
    layer.params["W"][...] = rng.uniform(-limit, limit, layer.params["W"].shape)


def goodfellow2014_generator(seed: int | np.random.Generator | None = 0,
                             latent_dim: int = GOODFELLOW2014_LATENT, dtype=np.float32,
                             pixel_means: np.ndarray | None = None) -> Sequential:
    """The paper's MNIST generator: 100 -> 1200 ReLU -> 1200 ReLU -> 784 sigmoid, output
    (1, 28, 28) in [0, 1]. ``pixel_means`` (784 values in [0, 1], the training images' mean)
    sets the output bias to logit(mean), so that G starts at the average digit."""
    rng = as_rng(seed)
    layers = [Dense(latent_dim, 1200, rng=rng, dtype=dtype), ReLU(),
              Dense(1200, 1200, rng=rng, dtype=dtype), ReLU(),
              Dense(1200, 784, rng=rng, dtype=dtype), Sigmoid(), Reshape(IMAGE_SHAPE)]
    for layer in layers[0:5:2]:
        _uniform_weights(layer, 0.05, rng)
    if pixel_means is not None:
        p = np.clip(np.asarray(pixel_means, dtype=np.float64).reshape(784), 1e-7, 1 - 1e-7)
        layers[4].params["b"][...] = np.log(p / (1 - p))
    return Sequential(layers, input_shape=(latent_dim,), name="goodfellow2014_generator")


def goodfellow2014_discriminator(seed: int | np.random.Generator | None = 0, dropout: float = 0.5,
                                 input_dropout: float = 0.2, dtype=np.float32) -> Sequential:
    """The paper's MNIST discriminator: maxout 240 x 5 twice, a logit; dropout ``input_dropout``
    on the image and ``dropout`` on each hidden layer (the paper's 0.2 and 0.5)."""
    rng = as_rng(seed)
    layers = [Flatten(), Dropout(input_dropout, rng=rng), Maxout(784, 240, 5, rng=rng, dtype=dtype),
              Dropout(dropout, rng=rng), Maxout(240, 240, 5, rng=rng, dtype=dtype),
              Dropout(dropout, rng=rng), Dense(240, 1, rng=rng, dtype=dtype)]
    for layer in layers[2::2]:
        _uniform_weights(layer, 0.005, rng)
    return Sequential(layers, input_shape=IMAGE_SHAPE, name="goodfellow2014_discriminator")


def mnist_classifier(seed: int | np.random.Generator | None = 0, dtype=np.float32) -> Sequential:
    """The digit classifier behind minigan's quality measures: two stride-2 convolutions
    (32 and 64 channels) and a 128-unit penultimate layer (the features of the Frechet
    distance), 10 logits. 421,642 parameters."""
    rng = as_rng(seed)
    layers = [Conv2D(1, 32, 3, stride=2, padding="same", rng=rng, dtype=dtype), LeakyReLU(0.1),
              Conv2D(32, 64, 3, stride=2, padding="same", rng=rng, dtype=dtype), LeakyReLU(0.1),
              Flatten(), Dense(64 * 7 * 7, 128, rng=rng, dtype=dtype), LeakyReLU(0.1),
              Dense(128, 10, rng=rng, dtype=dtype)]
    return Sequential(layers, input_shape=IMAGE_SHAPE, name="mnist_classifier")


# ----------------------------------------------------------------------- toy models (1-D, 2-D)
def toy_discriminator(in_dim: int = 1, hidden: int = 32, seed: int | np.random.Generator | None = 0,
                      alpha: float = 0.2, dtype=np.float64, depth: int = 2) -> Sequential:
    """A per-sample classifier for low-dimensional data: in_dim-hidden-...-hidden-1 with
    ``depth`` hidden layers and LeakyReLU, returning a logit. It sees one x at a time, so the
    optimal D*(x) of the theory applies."""
    rng = as_rng(seed)
    widths = [in_dim] + [hidden] * depth
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out, rng=rng, dtype=dtype), LeakyReLU(alpha)]
    layers.append(Dense(widths[-1], 1, rng=rng, dtype=dtype))
    return Sequential(layers, input_shape=(in_dim,), name="toy_discriminator")


def toy_generator(noise_dim: int = 1, out_dim: int = 1, hidden: int = 16,
                  seed: int | np.random.Generator | None = 0, activation: str = "tanh",
                  dtype=np.float64, depth: int = 2) -> Sequential:
    """noise_dim-hidden-...-hidden-out_dim (``depth`` hidden layers), linear output: x = G(z).

    Tanh hidden units by default: near z = 0 they are almost linear, so the generator can
    represent a Gaussian (a linear map of Gaussian noise) closely; piecewise-linear LeakyReLU
    units leave kinks in the generated density that keep the JSD from falling as far.
    """
    if activation not in ("tanh", "leaky_relu"):
        raise ValueError(f"activation must be 'tanh' or 'leaky_relu', got {activation!r}")
    rng = as_rng(seed)

    def act():
        return Tanh() if activation == "tanh" else LeakyReLU(0.2)

    widths = [noise_dim] + [hidden] * depth
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out, rng=rng, dtype=dtype), act()]
    layers.append(Dense(widths[-1], out_dim, rng=rng, dtype=dtype))
    return Sequential(layers, input_shape=(noise_dim,), name="toy_generator")


# ----------------------------------------------------------------------- the 2-D ring benchmark
def ring_benchmark_generator(noise_dim: int = 2, hidden: int = 400, depth: int = 4,
                             seed: int | np.random.Generator | None = 0, dtype=np.float32) -> Sequential:
    """The generator of the 2-D ring benchmark as VEEGAN (Srivastava et al. 2017) and PacGAN
    (Lin et al. 2018) train it: noise_dim-400-400-400-400-2, each hidden Dense followed by
    BatchNorm and ReLU, a linear output; weights drawn from N(0, 0.02^2), biases 0 (their
    hidden layers have no bias; ours start at 0 and BatchNorm removes any shift anyway)."""
    from .layers import ReLU

    rng = as_rng(seed)
    widths = [noise_dim] + [hidden] * depth
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out, rng=rng, dtype=dtype), BatchNorm(n_out, dtype=dtype), ReLU()]
    layers.append(Dense(widths[-1], 2, rng=rng, dtype=dtype))
    return _normal_init(Sequential(layers, input_shape=(noise_dim,), name="ring_generator"), rng)


def ring_benchmark_discriminator(in_dim: int = 2, hidden: int = 200, pieces: int = 5, depth: int = 3,
                                 seed: int | np.random.Generator | None = 0,
                                 dtype=np.float32) -> Sequential:
    """The benchmark's discriminator: three maxout layers of 200 units with 5 pieces each
    (Dense to 1000, then the max of every 5), a linear logit; N(0, 0.02^2) weights, 0 biases.
    ``in_dim`` = 2 * pack for PacGAN."""
    from .layers.maxpieces import MaxPieces

    rng = as_rng(seed)
    widths = [in_dim] + [hidden] * depth
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Dense(n_in, n_out * pieces, rng=rng, dtype=dtype), MaxPieces(pieces)]
    layers.append(Dense(widths[-1], 1, rng=rng, dtype=dtype))
    return _normal_init(Sequential(layers, input_shape=(in_dim,), name="ring_discriminator"), rng)


def _normal_init(model: Sequential, rng: np.random.Generator, std: float = 0.02) -> Sequential:
    for layer in model.layers:
        if isinstance(layer, Dense):
            layer.params["W"][...] = std * rng.standard_normal(layer.params["W"].shape)
            layer.params["b"][...] = 0
    return model
