"""Conditional GAN (Mirza & Osindero, 2014): both networks are told which class to draw.

The label y travels as a one-hot vector concatenated to each network's input:

    generator      x = G([z, onehot(y)])                  z: (n, latent), onehot(y): (n, classes)
    discriminator  logit = D([flatten(x), onehot(y)])     is x a real example *of class y*?

Nothing else changes: the same losses, the same Algorithm 1. D now rejects a good "3" drawn
when a "7" was asked for (real data never pairs a 3 with the label 7), so the generator can
only fool it by obeying the label.

Concatenation is a linear map that copies numbers, so its backward pass splits the gradient:
of dL/d[flatten(x), onehot(y)] (n, features + classes), the first ``features`` columns are
dL/dx (reshaped back to x's shape) and the rest, the gradient for the label, is dropped (a
label is given, not learned).
"""

from __future__ import annotations

import numpy as np

from .functions import sigmoid
from .gan import GANTrainer
from .losses import bce_with_logits, generator_loss


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float32) -> np.ndarray:
    """(n,) integer labels -> (n, n_classes) rows with a single 1 at column labels[i]."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got shape {labels.shape}, "
                         f"dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(f"label {bad} is not a class: labels must be integers 0..{n_classes - 1}")
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def with_label(x: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """[flatten(x), onehot(labels)]: (n, ...) and (n,) -> (n, prod(...) + n_classes)."""
    return np.concatenate([x.reshape(len(x), -1), one_hot(labels, n_classes, x.dtype)], axis=1)


class ConditionalGANTrainer(GANTrainer):
    """GANTrainer for a conditional GAN.

    sample_data(n, rng) -> (x, y): n real samples and their integer labels
    sample_noise(n, rng) -> (n, latent) noise; G's input size is latent + n_classes
    D's input size is prod(x.shape[1:]) + n_classes. The labels of generated samples are
    drawn uniformly from the classes.
    """

    def __init__(self, *args, n_classes: int = 10, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.pack != 1:
            raise ValueError("ConditionalGANTrainer: packing (pack > 1) is not supported")
        if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        self.n_classes = int(n_classes)

    def generate(self, z: np.ndarray, labels: np.ndarray, training: bool = True,
                 remember: bool = True) -> np.ndarray:
        """G([z, onehot(labels)])."""
        return self.G.forward(with_label(z, labels, self.n_classes), training=training, remember=remember)

    def _fake_labels(self, n: int) -> np.ndarray:
        return self.rng.integers(0, self.n_classes, size=n)

    def discriminator_step(self) -> tuple[float, float]:
        m = self.batch_size
        self.d_opt.zero_grad()
        x, y = self.sample_data(m, self.rng)
        y_fake = self._fake_labels(m)
        fake = self.generate(self.sample_noise(m, self.rng), y_fake, remember=False)
        real_logits = self.D.forward(with_label(x, y, self.n_classes))
        real_loss, d_real = bce_with_logits(real_logits, self.real_label)
        self.D.backward(d_real, need_input_grad=False)
        fake_logits = self.D.forward(with_label(fake, y_fake, self.n_classes))
        fake_loss, d_fake = bce_with_logits(fake_logits, 0.0)
        self.D.backward(d_fake, need_input_grad=False)
        self.d_opt.step()
        return real_loss + fake_loss, float(np.mean(sigmoid(real_logits)))

    def generator_step(self) -> tuple[float, float]:
        m = self.batch_size
        self.g_opt.zero_grad()
        y = self._fake_labels(m)
        fake = self.generate(self.sample_noise(m, self.rng), y)
        logits = self.D.forward(with_label(fake, y, self.n_classes))
        loss, dlogits = generator_loss(logits, self.loss)
        d_input = self.D.backward(dlogits, need_param_grads=False)  # (m, features + n_classes)
        d_fake = d_input[:, :-self.n_classes].reshape(fake.shape)  # the label's share is dropped
        self.G.backward(d_fake, need_input_grad=False)
        self.g_opt.step()
        return loss, float(np.mean(sigmoid(logits)))
