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
# classifier's 128-dimensional penultimate features, the idea of the Frechet Inception
# Distance with a small MNIST network in place of Inception.

# Everything that decides the classifier's weights. Its cache file is named by a hash of this
# and of the training data's content, so a change to either trains a new one.
CLASSIFIER_RECIPE = {"architecture": "conv32s2-conv64s2-dense128-dense10, LeakyReLU 0.1",
                     "optimizer": "Adam", "batch": 64, "schedule": [[1e-3, 3], [3e-4, 1], [1e-4, 1]],
                     "version": 2}
CLASSIFIER_FLOOR = 0.90   # a cached classifier must reach this on the check images, or is rebuilt
CHECK_IMAGES = 2000       # the first test images: the cache's quick accuracy check


def _data_hash(images: np.ndarray, labels: np.ndarray) -> str:
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()


def classifier_key(seed: int = 0, data_dir=None, train_images: int = 0) -> str:
    """16 hex digits identifying a classifier: the recipe, the seed and the content (not the
    name) of its training images and labels."""
    import hashlib
    import json

    from .data import load_mnist_uint8

    images, labels = load_mnist_uint8("train", data_dir)
    if train_images:
        images, labels = images[:train_images], labels[:train_images]
    text = json.dumps({"recipe": CLASSIFIER_RECIPE, "seed": seed, "data": _data_hash(images, labels)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def train_classifier(seed: int = 0, data_dir=None, progress: bool = False, train_images: int = 0,
                     test_images: int = 0):
    """Train the digit classifier deterministically on the training split (or its first
    ``train_images``); returns (model, accuracy on the test split, or on its first
    ``test_images``). ``progress`` shows a bar on stderr."""
    import sys

    from tqdm.auto import tqdm

    from .data import load_mnist
    from .losses import softmax_cross_entropy
    from .models import mnist_classifier
    from .optim import Adam

    x, y = load_mnist("train", data_dir, limit=train_images)
    batch = CLASSIFIER_RECIPE["batch"]
    if len(x) < batch:
        raise ValueError(f"train_images must be at least {batch} for the classifier, got {len(x)}")
    model = mnist_classifier(seed=seed)
    opt = Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    schedule = CLASSIFIER_RECIPE["schedule"]
    steps = sum(epochs for _, epochs in schedule) * (len(x) // batch)
    with tqdm(total=steps, desc="training the quality classifier (once; then cached)", unit="it",
              file=sys.stderr, disable=not progress, leave=False) as bar:
        for lr, epochs in schedule:
            opt.lr = lr
            for _ in range(epochs):
                order = rng.permutation(len(x))
                for start in range(0, len(x) - batch + 1, batch):
                    idx = order[start:start + batch]
                    opt.zero_grad()
                    _, grad = softmax_cross_entropy(model.forward(x[idx]), y[idx])
                    model.backward(grad, need_input_grad=False)
                    opt.step()
                    bar.update(1)
    return model, accuracy(model, *load_mnist("test", data_dir, limit=test_images))


def classify(model, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate features (n, 128), logits (n, 10)) of the classifier, in eval mode."""
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

    the *squared* 2-Wasserstein distance W2^2 between N(mu_a, S_a) and N(mu_b, S_b) (so it
    is in squared feature units: doubling every feature quadruples it). Symmetric square
    roots by eigendecomposition (the matrices are symmetric positive semi-definite)."""
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    # atleast_2d: one feature gives np.cov a 0-d variance
    S_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    S_b = np.atleast_2d(np.cov(features_b, rowvar=False))
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


def cache_folder():
    from pathlib import Path

    return Path(os.environ.get("MINIGAN_CACHE", Path.home() / ".cache" / "minigan"))


def classifier_cache_path(seed: int = 0, data_dir=None, train_images: int = 0):
    """MINIGAN_CACHE/mnist_classifier-<key>.npz (default ~/.cache/minigan); its SHA-256 is kept
    beside it in the same name + '.sha256'."""
    return cache_folder() / f"mnist_classifier-{classifier_key(seed, data_dir, train_images)}.npz"


def _load_cached_classifier(path, seed: int, data_dir):
    """The cached classifier, or (None, why it cannot be used). It is used only when its
    file's SHA-256 matches the one written beside it (a truncated or replaced file does not)
    and it still classifies the check images at least as well as CLASSIFIER_FLOOR."""
    from .data import load_mnist, sha256
    from .models import mnist_classifier

    checksum = path.with_name(path.name + ".sha256")
    if not path.is_file():
        return None, "not trained yet"
    if not checksum.is_file() or checksum.read_text().strip() != sha256(path):
        return None, "its checksum does not match (damaged or changed)"
    try:
        model = mnist_classifier(seed=seed).load(path)
    except (ValueError, OSError, KeyError) as err:
        return None, f"unreadable ({str(err).splitlines()[0]})"
    score = accuracy(model, *load_mnist("test", data_dir, limit=CHECK_IMAGES))
    if score < CLASSIFIER_FLOOR:
        return None, (f"it classifies only {score:.1%} of {CHECK_IMAGES} test images "
                      f"(floor {CLASSIFIER_FLOOR:.0%})")
    return model, ""


def get_classifier(seed: int = 0, data_dir=None, progress: bool = True, train_images: int = 0):
    """The quality classifier: from the cache (MINIGAN_CACHE, default ~/.cache/minigan) when a
    verified one exists for this recipe and training data, else the copy shipped in
    data/checkpoints (the default classifier on the 60,000 training images, so that a fresh
    clone does not spend minutes training it; verified the same way), else trained (with a
    progress bar on stderr) and cached. Training is deterministic, so the cache only saves
    time; a damaged cache, or one whose classifier fails the accuracy floor, is rebuilt (with a
    one-line note on stderr). A freshly trained classifier below the floor is used but not cached."""
    import sys

    from .data import CHECKPOINT_DIR, sha256
    from .files import atomic_write_text

    path = classifier_cache_path(seed, data_dir, train_images)
    model, why = _load_cached_classifier(path, seed, data_dir)
    if model is not None:
        return model
    shipped = CHECKPOINT_DIR / path.name
    if shipped.is_file():  # same name: same recipe, seed and training data
        model, _ = _load_cached_classifier(shipped, seed, data_dir)
        if model is not None:
            return model
    if path.exists() or why != "not trained yet":
        print(f"minigan: rebuilding the quality classifier cache {path.name}: {why}", file=sys.stderr)
    # judged on the check images, as a cached one is (not on all 10,000 test images, which
    # took half of a small classifier's training time)
    model, score = train_classifier(seed, data_dir, progress, train_images, test_images=CHECK_IMAGES)
    if score >= CLASSIFIER_FLOOR:
        model.save(path)
        atomic_write_text(path.with_name(path.name + ".sha256"),
                          sha256(path) + "\n")
    else:
        print(f"minigan: the quality classifier reached only {score:.1%} on {CHECK_IMAGES} test images "
              f"(floor {CLASSIFIER_FLOOR:.0%}); used, but not cached", file=sys.stderr)
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


def calibration(model, n: int = 10000, seed: int = 0, data_dir=None) -> list[dict]:
    """What the distance means: the first ``n`` test images against (a) ``n`` training images
    drawn at random (the floor: two samples of the same distribution), (b) those images with
    Gaussian pixel noise of sigma 0.1, 0.2, 0.4, (c) an untrained generator. The distance
    must rise along the list (``calibration_ordered``)."""
    from .data import load_mnist
    from .models import mlp_generator

    rng = np.random.default_rng(seed)
    reference, _ = classify(model, load_mnist("test", data_dir, limit=n)[0])
    train = load_mnist("train", data_dir)[0]
    real = train[rng.choice(len(train), size=min(n, len(train)), replace=False)]
    rows = [("training images (the floor)", real)]
    for sigma in (0.1, 0.2, 0.4):
        noisy = np.clip(real + sigma * rng.standard_normal(real.shape).astype(np.float32), -1, 1)
        rows.append((f"training images + noise, sigma {sigma}", noisy))
    z = rng.standard_normal((len(real), 32)).astype(np.float32)
    rows.append(("untrained MLP generator", mlp_generator(seed=seed).predict(z)))
    return [{"images": name, **evaluate_images(model, images, reference)} for name, images in rows]


def calibration_ordered(rows: list[dict]) -> bool:
    """True when the Frechet distance rises strictly along the calibration rows."""
    distances = [r["frechet_distance"] for r in rows]
    return all(a < b for a, b in zip(distances, distances[1:], strict=False))


# ------------------------------------------------------------------ Parzen-window likelihood
# Goodfellow et al. (2014) reported log-likelihoods of the test set under a Gaussian Parzen
# window fitted to generated samples mu_1..mu_m (pixels in [0, 1], d = 784):
#
#     p(x) = 1/m sum_i N(x; mu_i, sigma^2 I)
#     log p(x) = logsumexp_i(-|x - mu_i|^2 / (2 sigma^2)) - log m - d/2 log(2 pi sigma^2)
#
# with sigma chosen on validation images. Theis et al. (2016) showed why the figure says
# little about sample quality: it rewards spread-out samples, a k-means of the training set
# beats real data, and in 784 dimensions it needs far more than 10,000 samples to converge.
PARZEN_SIGMAS = tuple(np.logspace(-1, 0, 10))


def _squared_distances(x: np.ndarray, mu: np.ndarray, mu_sq: np.ndarray) -> np.ndarray:
    """|x_n - mu_i|^2 for a block of rows x (b, d): |x|^2 + |mu|^2 - 2 x.mu, in float64."""
    x = x.astype(np.float64)
    d2 = (x * x).sum(axis=1)[:, None] + mu_sq[None, :] - 2.0 * (x @ mu.T)
    return np.maximum(d2, 0.0)  # rounding can make a tiny distance slightly negative


def _parzen_blocks(data, samples, sigmas, max_bytes):
    """log p(x) for every row of data and every sigma, (len(sigmas), n): the data go through
    in blocks so that a block's distances to all samples take at most ``max_bytes``; never an
    (n, m, d) array. The distances do not depend on sigma, so all sigmas share them."""
    mu = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    data = np.asarray(data).reshape(len(data), -1)
    if mu.shape[1] != data.shape[1]:
        raise ValueError(f"parzen: samples have {mu.shape[1]} values each, data {data.shape[1]}")
    m, d = mu.shape
    mu_sq = (mu * mu).sum(axis=1)
    block = max(1, int(max_bytes // (8 * m)))
    out = np.empty((len(sigmas), len(data)))
    for start in range(0, len(data), block):
        d2 = _squared_distances(data[start:start + block], mu, mu_sq)
        for j, sigma in enumerate(sigmas):
            a = -d2 / (2 * sigma * sigma)
            top = a.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(a - top).sum(axis=1))
            out[j, start:start + block] = lse - np.log(m) - 0.5 * d * np.log(2 * np.pi * sigma * sigma)
    return out


def parzen_log_likelihood(samples: np.ndarray, data: np.ndarray, sigma: float,
                          max_bytes: int = 64 << 20) -> np.ndarray:
    """log p(x) of each row of ``data`` (n, ...) under a Gaussian Parzen window of width
    ``sigma`` centred on ``samples`` (m, ...), in float64; memory about ``max_bytes``."""
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"parzen: sigma must be a positive number, got {sigma!r}")
    if len(samples) == 0 or len(data) == 0:
        raise ValueError("parzen: need at least one sample and one data point")
    return _parzen_blocks(data, samples, [float(sigma)], max_bytes)[0]


def parzen_evaluation(samples: np.ndarray, validation: np.ndarray, test: np.ndarray,
                      sigmas=PARZEN_SIGMAS, max_bytes: int = 64 << 20) -> dict:
    """The protocol of Goodfellow et al. (2014): choose sigma among ``sigmas`` by the mean
    log-likelihood of the validation images, then report the test images' mean
    log-likelihood and its standard error (std / sqrt(n)). Images in [0, 1]."""
    sigmas = [float(s) for s in sigmas]
    valid = _parzen_blocks(validation, samples, sigmas, max_bytes).mean(axis=1)
    best = int(np.argmax(valid))
    ll = _parzen_blocks(test, samples, [sigmas[best]], max_bytes)[0]
    return {"sigma": sigmas[best], "log_likelihood": float(ll.mean()),
            "standard_error": float(ll.std() / np.sqrt(len(ll))),
            "validation_mean_ll": dict(zip([f"{s:.4g}" for s in sigmas], valid.tolist(), strict=True)),
            "n_samples": len(samples), "n_validation": len(validation), "n_test": len(test)}


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
