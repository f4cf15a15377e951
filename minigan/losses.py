"""GAN losses on logits. Each returns (value, d value / d logits).

The discriminator returns a logit s (a real number); D(x) = sigmoid(s) is never formed
before taking a log, because the log of a sigmoid has stable closed forms:

    -log D      = -log sigmoid(s)     = softplus(-s)
    -log(1 - D) = -log sigmoid(-s)    = softplus(s)
    d softplus(s) / ds = sigmoid(s)

All losses are means over the batch, so every gradient carries a factor 1/N.
"""

from __future__ import annotations

import numpy as np

from .functions import sigmoid, softplus

GENERATOR_LOSSES = ("saturating", "non_saturating")


def _check_logits(logits, name: str) -> np.ndarray:
    """The logits as a float array (integers and booleans become float64, so -s and the
    losses are exact; complex logits are refused), after checking they are finite."""
    if not isinstance(logits, np.ndarray) or logits.size == 0:
        raise ValueError(f"{name}: expected a non-empty numpy array of logits, got {logits!r:.60}")
    if logits.dtype.kind in "biu":
        logits = logits.astype(np.float64)
    elif logits.dtype.kind != "f":
        raise TypeError(f"{name}: logits must be real numbers, got dtype {logits.dtype}")
    if not np.isfinite(logits).all():
        raise FloatingPointError(
            f"{name}: the discriminator returned non-finite logits (NaN or inf); "
            "training has diverged")
    return logits


def bce_with_logits(logits: np.ndarray, target: float) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of sigmoid(logits) against a constant label ``target`` in [0, 1]:

        L = mean( t * softplus(-s) + (1 - t) * softplus(s) ),   dL/ds = (sigmoid(s) - t) / N
    """
    logits = _check_logits(logits, "bce_with_logits")
    if not 0 <= target <= 1:
        raise ValueError(f"bce_with_logits: target must be in [0, 1], got {target!r}")
    n = logits.size
    # the labels of a GAN are 1 and 0, where one of the two terms vanishes (the same numbers
    # as the general formula below, with half the work)
    if target == 1:
        return float(np.mean(softplus(-logits))), -sigmoid(-logits) / n
    if target == 0:
        return float(np.mean(softplus(logits))), sigmoid(logits) / n
    value = float(np.mean(target * softplus(-logits) + (1 - target) * softplus(logits)))
    # sigmoid(s) - t written as (1 - t) sigmoid(s) - t sigmoid(-s): the same number, but
    # without the cancellation of 1 - sigmoid(s) when s is large and t = 1
    return value, ((1 - target) * sigmoid(logits) - target * sigmoid(-logits)) / n


def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray):
    """The discriminator minimises -[ mean log D(x) + mean log(1 - D(G(z))) ]
    (the negative of the value function V: D's gradient ascent on V written as descent).

    Returns (value, dL/d real_logits, dL/d fake_logits).
    """
    real_value, d_real = bce_with_logits(real_logits, 1.0)
    fake_value, d_fake = bce_with_logits(fake_logits, 0.0)
    return real_value + fake_value, d_real, d_fake


def generator_loss(fake_logits: np.ndarray, kind: str = "non_saturating"):
    """The generator's loss on D's logits for its samples, s = logit(D(G(z))).

    - "saturating" (the minimax game): minimise mean log(1 - D(G(z))) = -mean softplus(s),
      dL/ds = -sigmoid(s) / N, which vanishes when D confidently rejects the samples
      (s -> -inf): early in training, exactly when the generator needs a signal.
    - "non_saturating" (Goodfellow's heuristic): minimise -mean log D(G(z)) = mean softplus(-s),
      dL/ds = -sigmoid(-s) / N, which tends to -1/N when D rejects the samples.

    Returns (value, dL/d fake_logits).
    """
    kind = normalise_generator_loss(kind)
    fake_logits = _check_logits(fake_logits, "generator_loss")
    n = fake_logits.size
    if kind == "saturating":
        return float(-np.mean(softplus(fake_logits))), -sigmoid(fake_logits) / n
    return float(np.mean(softplus(-fake_logits))), -sigmoid(-fake_logits) / n


def normalise_generator_loss(kind: str) -> str:
    """Accept 'non-saturating' or 'non_saturating'; reject anything else with a clear error."""
    name = str(kind).replace("-", "_").lower()
    if name not in GENERATOR_LOSSES:
        raise ValueError(
            f"generator loss must be one of {', '.join(GENERATOR_LOSSES)}, got {kind!r}")
    return name


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer class labels (for the MNIST
    quality classifier). logits (N, K), labels (N,) in [0, K).

        L = mean_n [ logsumexp(s_n) - s_n[y_n] ],     dL/ds_n = (softmax(s_n) - onehot(y_n)) / N

    The row maximum is subtracted before exponentiating, so no exp overflows.
    """
    _check_logits(logits, "softmax_cross_entropy")
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"softmax_cross_entropy: expected logits (N, K) and labels (N,), got "
                         f"{logits.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"softmax_cross_entropy: labels must be in [0, {logits.shape[1]}), "
                         f"got {int(labels.min())}..{int(labels.max())}")
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    value = float(np.mean(np.log(total[:, 0]) - shifted[rows, labels]))
    grad = exp / total
    grad[rows, labels] -= 1
    return value, grad / n
