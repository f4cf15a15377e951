"""Losses between images and the least-squares GAN loss, each returning (value, gradient).

pix2pix and CycleGAN compare a generated image with a target pixel by pixel; both use the
L1 distance, which (unlike the squared error) does not average several plausible answers
into a grey blur as strongly, and whose gradient does not vanish for small errors.
CycleGAN replaces the cross-entropy GAN loss by a least-squares one (Mao et al. 2017).
"""

from __future__ import annotations

import numpy as np


def _same_shape(name: str, a, b) -> None:
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or a.shape != b.shape:
        shapes = [getattr(v, "shape", type(v).__name__) for v in (a, b)]
        raise ValueError(f"{name}: expected two numpy arrays of the same shape, "
                         f"got {shapes[0]} and {shapes[1]}")
    if a.size == 0:
        raise ValueError(f"{name}: the arrays are empty")


def l1_loss(output: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean absolute error over every value, and its (sub)gradient with respect to output:

        L = mean |o - t|,      dL/do = sign(o - t) / n       (n = output.size)

    |u| has no derivative at u = 0; sign(0) = 0 is a valid subgradient (any value in
    [-1, 1] is) and the natural one: an exact pixel is not pushed either way.
    """
    _same_shape("l1_loss", output, target)
    diff = output - target
    return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


def least_squares_loss(scores: np.ndarray, target: float) -> tuple[float, np.ndarray]:
    """The least-squares GAN loss (LSGAN) of a discriminator's raw scores s against a
    constant target t (1 for "real", 0 for "fake"):

        L = mean (s - t)^2,      dL/ds = 2 (s - t) / n

    D minimises L(s_real, 1) + L(s_fake, 0); G minimises L(s_fake, 1). Unlike the
    cross-entropy on logits, the gradient grows with the distance from the target instead
    of saturating, which keeps CycleGAN's training steadier.
    """
    if not isinstance(scores, np.ndarray) or scores.size == 0:
        raise ValueError(f"least_squares_loss: expected a non-empty numpy array of scores, "
                         f"got {scores!r:.60}")
    if not np.isfinite(scores).all():
        raise FloatingPointError("least_squares_loss: the discriminator returned non-finite scores "
                                 "(NaN or inf); training has diverged")
    diff = scores - scores.dtype.type(target)
    return float(np.mean(diff ** 2)), 2 * diff / diff.size
