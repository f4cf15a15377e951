"""Sample-quality measures.

In 1-D we know p_data exactly but the generator's distribution p_g only through samples, so
the JSD between them is estimated on a histogram: with bin masses P_i = p_data's mass in bin
i (from its CDF) and Q_i = the fraction of samples in bin i,

    JSD(P || Q) = 1/2 sum_i P_i log(P_i / M_i) + 1/2 sum_i Q_i log(Q_i / M_i),  M = (P + Q) / 2

Binning can only merge differences, so this is a (slightly low) estimate of the continuous
JSD; with n samples its noise floor is about (number of bins) / (8 n).
"""

from __future__ import annotations

import os

import numpy as np


def discrete_js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """JSD (nats) between two probability vectors of the same length (0 log 0 = 0)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"discrete_js_divergence: shapes differ, {p.shape} vs {q.shape}")
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl_to_m(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / m[nz])))

    return 0.5 * kl_to_m(p) + 0.5 * kl_to_m(q)


def histogram_js_divergence(samples: np.ndarray, cdf, edges: np.ndarray) -> float:
    """JSD between a distribution with CDF ``cdf`` and the empirical distribution of 1-D
    ``samples``, on the bins ``edges`` plus two open-ended outer bins."""
    samples = np.asarray(samples, dtype=np.float64).ravel()
    if samples.size == 0:
        raise ValueError("histogram_js_divergence: need at least one sample")
    edges = np.asarray(edges, dtype=np.float64)
    cdf_at = np.concatenate([[0.0], cdf(edges), [1.0]])
    p = np.diff(cdf_at)
    inner, _ = np.histogram(samples, bins=edges)
    q = np.concatenate([[np.sum(samples < edges[0])], inner, [np.sum(samples > edges[-1])]])
    return discrete_js_divergence(np.clip(p, 0, None), q.astype(np.float64))


# ------------------------------------------------------------------------------------ MNIST
# How good are generated digits? We measure them with a classifier trained (by minigan, on
# the training split only) to recognise digits, and compare generated and real images in the
# classifier's 64-dimensional penultimate features, the idea of the Frechet Inception
# Distance with a small MNIST network in place of Inception.

CLASSIFIER_EPOCHS = (8, 4)  # epochs at lr 1e-3, then at lr 2e-4


def train_classifier(seed: int = 0, data_dir=None, progress=None):
    """Train the digit classifier deterministically on the training split; returns
    (model, held-out accuracy)."""
    from .data import load_mnist
    from .losses import softmax_cross_entropy
    from .models import mnist_classifier
    from .optim import Adam

    x, y = load_mnist("train", data_dir)
    xh, yh = load_mnist("heldout", data_dir)
    model = mnist_classifier(seed=seed)
    opt = Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    for phase, (epochs, lr) in enumerate(zip(CLASSIFIER_EPOCHS, (1e-3, 2e-4), strict=True)):
        opt.lr = lr
        for epoch in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x) - 63, 64):
                idx = order[start:start + 64]
                opt.zero_grad()
                _, grad = softmax_cross_entropy(model.forward(x[idx]), y[idx])
                model.backward(grad, need_input_grad=False)
                opt.step()
            if progress:
                progress(f"classifier: phase {phase + 1}, epoch {epoch + 1}")
    return model, accuracy(model, xh, yh)


def classify(model, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate features (n, 64), logits (n, 10)) of the classifier, in eval mode."""
    features, logits = [], []
    for start in range(0, len(images), batch):
        h = images[start:start + batch]
        for layer in model.layers[:-1]:
            h = layer.forward(h, training=False, remember=False)
        features.append(h)
        logits.append(model.layers[-1].forward(h, training=False, remember=False))
    return np.concatenate(features).astype(np.float64), np.concatenate(logits).astype(np.float64)


def accuracy(model, images, labels) -> float:
    return float(np.mean(classify(model, images)[1].argmax(axis=1) == labels))


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (n, d):

        |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)

    the 2-Wasserstein distance between N(mu_a, S_a) and N(mu_b, S_b). Symmetric square
    roots by eigendecomposition (the matrices are symmetric positive semi-definite)."""
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    S_a, S_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    root_a = _sqrt_psd(S_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ S_b @ root_a), 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(S_a) + np.trace(S_b) - 2 * cross)


def digit_report(logits: np.ndarray, min_share: float = 0.05) -> dict:
    """Histogram of predicted digits, how many digits hold at least ``min_share`` of the
    samples (a mode-collapse detector: a collapsed generator covers few digits), and the
    classifier's mean confidence (mean of the largest softmax probability)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    counts = np.bincount(logits.argmax(axis=1), minlength=10)
    shares = counts / counts.sum()
    return {"digit_shares": shares.tolist(), "digits_covered": int(np.sum(shares >= min_share)),
            "mean_confidence": float(probs.max(axis=1).mean())}


def classifier_cache_path(seed: int = 0):
    from pathlib import Path

    folder = Path(os.environ.get("MINIGAN_CACHE", Path.home() / ".cache" / "minigan"))
    return folder / f"mnist_classifier-seed{seed}-epochs{'-'.join(map(str, CLASSIFIER_EPOCHS))}.npz"


def get_classifier(seed: int = 0, data_dir=None, progress=None):
    """The quality classifier: loaded from the cache (MINIGAN_CACHE, default ~/.cache/minigan)
    when it was trained before on the shipped data, else trained (about 5 s) and cached.
    Training is deterministic, so the cache only saves time."""
    from .models import mnist_classifier

    path = classifier_cache_path(seed)
    if data_dir is None and path.is_file():
        try:
            return mnist_classifier(seed=seed).load(path)
        except (ValueError, OSError):
            pass  # an unreadable cache is simply rebuilt
    model, _ = train_classifier(seed, data_dir, progress)
    if data_dir is None:
        model.save(path)
    return model


def evaluate_images(model, images: np.ndarray, reference_features: np.ndarray,
                    labels: np.ndarray | None = None) -> dict:
    """Frechet distance to the reference features, and the digit report, for a set of images;
    with the digits ``labels`` a conditional generator was asked for, also the fraction the
    classifier recognises as that digit ("label_agreement"; chance is about 10%)."""
    features, logits = classify(model, images)
    report = {"frechet_distance": frechet_distance(features, reference_features), **digit_report(logits)}
    if labels is not None:
        report["label_agreement"] = float(np.mean(logits.argmax(axis=1) == np.asarray(labels)))
    return report


def calibration(model, n: int = 2000, seed: int = 0, data_dir=None) -> list[dict]:
    """What the distance means: held-out real images against (a) other real images (the
    floor: two samples of the same distribution), (b) real images with Gaussian pixel noise
    of sigma 0.1, 0.2, 0.4, (c) an untrained generator. The distance must rise along the list."""
    from .data import load_mnist
    from .models import mlp_generator

    rng = np.random.default_rng(seed)
    reference, _ = classify(model, load_mnist("heldout", data_dir)[0][:n])
    train = load_mnist("train", data_dir)[0]
    real = train[rng.choice(len(train), size=min(n, len(train)), replace=False)]
    rows = [("training images (the floor)", real)]
    for sigma in (0.1, 0.2, 0.4):
        noisy = np.clip(real + sigma * rng.standard_normal(real.shape).astype(np.float32), -1, 1)
        rows.append((f"training images + noise, sigma {sigma}", noisy))
    z = rng.standard_normal((len(real), 32)).astype(np.float32)
    rows.append(("untrained MLP generator", mlp_generator(seed=seed).predict(z)))
    return [{"images": name, **evaluate_images(model, images, reference)} for name, images in rows]


# ------------------------------------------------------------------------------ 2-D ring
RING_MIN_SHARE = 0.25  # a mode is "covered" with at least a quarter of its fair share


def ring_report(samples: np.ndarray, centres: np.ndarray, std: float,
                min_share: float = RING_MIN_SHARE) -> dict:
    """Quality and diversity of 2-D samples from a mixture of K Gaussians of width ``std``
    (Srivastava et al. 2017, Lin et al. 2018). samples (n, d), centres (K, d).

    Each sample x_i is assigned to its nearest centre j(i) = argmin_j |x_i - c_j|; it is of
    high quality when |x_i - c_j(i)| <= 3 std (a real sample is, with probability
    1 - exp(-9/2) = 98.9% in 2-D).

        high_quality   = #{i : |x_i - c_j(i)| <= 3 std} / n
        mode_counts[j] = #{i high quality : j(i) = j}
        modes_covered  = #{j : mode_counts[j] >= min_share * n / K}

    With the default min_share = 1/4, a mode counts when it holds a quarter of the n / K
    samples it would hold under p_data (12.5 of 400 samples for K = 8): stray samples that
    land on a mode while the generator moves between modes do not count, and a real sample
    of a few hundred points covers every mode with near certainty. Also returned:
    mode_shares = mode_counts / n.
    """
    samples = np.asarray(samples, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"ring_report: expected samples (n, d) and centres (K, d), got "
                         f"{samples.shape} and {centres.shape}")
    if len(samples) == 0:
        raise ValueError("ring_report: need at least one sample")
    if not std > 0:
        raise ValueError(f"ring_report: std must be positive, got {std!r}")
    # distance of every sample to every centre, (n, K), then the nearest centre
    distances = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    n, k = len(samples), len(centres)
    return {"high_quality": float(good.mean()),
            "modes_covered": int(np.sum(counts >= min_share * n / k)),
            "mode_counts": counts.tolist(),
            "mode_shares": (counts / n).tolist()}
