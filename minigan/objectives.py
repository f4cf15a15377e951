"""Two more GAN objectives on D's raw output s (a "logit" with no sigmoid after it): the
least-squares GAN and the hinge loss. Each loss returns (value, d value / d scores), means
over the batch (so every gradient carries 1/N), like minigan.losses; f-GAN is in minigan.fgan.

LSGAN (Mao et al., 2017). D regresses its output onto a code: b for data, a for generated
samples; G pulls D's output on its samples towards c:

    L_D = 1/2 mean (s_real - b)^2 + 1/2 mean (s_fake - a)^2,   dL_D/ds = (s - target) / N
    L_G = 1/2 mean (s_fake - c)^2,                             dL_G/ds = (s - c) / N

Codings: "zero_one" (a, b, c) = (0, 1, 1), the paper's experiments; "theorem1" (-1, 1, 0),
which satisfies b - c = 1 and b - a = 2, the condition of their Theorem 1 under which G
minimises a Pearson chi^2 divergence (minigan.divergences.lsgan_pearson). Any (a, b, c)
with a != b is accepted as a tuple.

Hinge loss (Lim & Ye 2017, used by SAGAN and BigGAN):

    L_D = mean relu(1 - s_real) + mean relu(1 + s_fake)
          dL_D/ds_real = -[s_real < 1] / N,   dL_D/ds_fake = [s_fake > -1] / N
    L_G = -mean s_fake,                       dL_G/ds_fake = -1 / N

D stops pushing a sample once it is on the right side of its margin (s >= 1 for data,
s <= -1 for fakes). At the kinks s = +-1 the gradient returned is the one-sided value 0.
"""

from __future__ import annotations

import math

import numpy as np

from .losses import _check_logits

LSGAN_CODINGS = {"zero_one": (0.0, 1.0, 1.0), "theorem1": (-1.0, 1.0, 0.0)}


def float_logits(logits, name: str) -> np.ndarray:
    """losses' checks (a non-empty, finite array), then integer logits as float64: gradients
    take the logits' dtype, and an integer gradient would be truncated to 0."""
    _check_logits(logits, name)
    return logits if np.issubdtype(logits.dtype, np.floating) else logits.astype(np.float64)


def lsgan_coding(coding) -> tuple[float, float, float]:
    """(a, b, c) from a coding name ('zero_one', 'theorem1') or a 3-tuple of finite numbers
    with a != b (a D that must output the same code for data and fakes learns nothing)."""
    if isinstance(coding, str):
        key = coding.strip().lower().replace("-", "_")
        if key not in LSGAN_CODINGS:
            raise ValueError(f"LSGAN coding must be one of {', '.join(LSGAN_CODINGS)} or a tuple "
                             f"(a, b, c), got {coding!r}")
        return LSGAN_CODINGS[key]
    try:
        a, b, c = (float(t) for t in coding)
    except (TypeError, ValueError):
        raise ValueError(f"LSGAN coding must be one of {', '.join(LSGAN_CODINGS)} or a tuple "
                         f"(a, b, c) of three numbers, got {coding!r}") from None
    if not all(math.isfinite(t) for t in (a, b, c)):
        raise ValueError(f"LSGAN coding (a, b, c) must be finite numbers, got {coding!r}")
    if a == b:
        raise ValueError(f"LSGAN coding (a, b, c) needs a != b (the codes of fake and real samples), "
                         f"got {coding!r}")
    return a, b, c


def lsgan_discriminator_loss(real_scores: np.ndarray, fake_scores: np.ndarray, coding="zero_one"):
    """L_D = 1/2 mean (s_real - b)^2 + 1/2 mean (s_fake - a)^2. Returns (L_D, dL_D/d real, dL_D/d fake)."""
    a, b, _ = lsgan_coding(coding)
    real_scores = float_logits(real_scores, "lsgan_discriminator_loss: real_scores")
    fake_scores = float_logits(fake_scores, "lsgan_discriminator_loss: fake_scores")
    er, ef = real_scores - b, fake_scores - a
    value = float(0.5 * np.mean(er * er) + 0.5 * np.mean(ef * ef))
    return value, er / real_scores.size, ef / fake_scores.size


def lsgan_generator_loss(fake_scores: np.ndarray, coding="zero_one"):
    """L_G = 1/2 mean (s_fake - c)^2. Returns (L_G, dL_G/d fake_scores)."""
    _, _, c = lsgan_coding(coding)
    fake_scores = float_logits(fake_scores, "lsgan_generator_loss")
    e = fake_scores - c
    return float(0.5 * np.mean(e * e)), e / fake_scores.size


def hinge_discriminator_loss(real_scores: np.ndarray, fake_scores: np.ndarray):
    """L_D = mean relu(1 - s_real) + mean relu(1 + s_fake). Returns (L_D, dL_D/d real, dL_D/d fake)."""
    real_scores = float_logits(real_scores, "hinge_discriminator_loss: real_scores")
    fake_scores = float_logits(fake_scores, "hinge_discriminator_loss: fake_scores")
    value = float(np.mean(np.maximum(1 - real_scores, 0)) + np.mean(np.maximum(1 + fake_scores, 0)))
    d_real = -(real_scores < 1).astype(real_scores.dtype) / real_scores.size
    d_fake = (fake_scores > -1).astype(fake_scores.dtype) / fake_scores.size
    return value, d_real, d_fake


def hinge_generator_loss(fake_scores: np.ndarray):
    """L_G = -mean s_fake (G raises D's score on its samples, with no margin). Returns (L_G, dL_G/ds)."""
    fake_scores = float_logits(fake_scores, "hinge_generator_loss")
    return float(-np.mean(fake_scores)), np.full_like(fake_scores, -1.0 / fake_scores.size)
