"""What pix2pix and CycleGAN runs share: resumable checkpoints, the epoch loop, image measures.

A run holds named networks, one Adam per network, a history of per-iteration numbers and one
random generator (the data order). ``save`` writes all of it atomically to one .npz file and
``load`` rebuilds the run from it, so a resumed run computes the same numbers, bit for bit,
as one that was never interrupted (tests/test_image_to_image.py checks this).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, fields

import numpy as np

from ..files import atomic_save_npz
from ..optim import Adam


def need(ok: bool, arg: str, value, expected: str) -> None:
    """The house's one-line error: the argument, its value and what was expected."""
    if not ok:
        raise ValueError(f"{arg} (--{arg.replace('_', '-')}) must be {expected}, got {value!r}")


def check_common(c) -> None:
    """Validate the fields every image-to-image config has."""
    for arg in ("epochs", "batch_size", "grid"):
        v = getattr(c, arg)
        need(isinstance(v, int) and not isinstance(v, bool) and v >= 1, arg, v, "a positive integer")
    for arg in ("lr_g", "lr_d"):
        v = getattr(c, arg)
        need(isinstance(v, (int, float)) and math.isfinite(v) and v > 0, arg, v, "a positive number")
    for arg in ("beta1", "beta2"):
        v = getattr(c, arg)
        need(0 <= v < 1, arg, v, "in [0, 1)")
    need(isinstance(c.train_images, int) and c.train_images >= 0, "train_images", c.train_images,
         "a non-negative integer")


# ------------------------------------------------------------------------------ measures
def psnr(output: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio per image, in dB, for images in [-1, 1] (peak-to-peak 2):
    10 log10(2^2 / MSE). Identical images give inf; it is capped at 100 dB."""
    mse = ((output.astype(np.float64) - truth) ** 2).reshape(len(output), -1).mean(axis=1)
    return np.minimum(10 * np.log10(4.0 / np.maximum(mse, 1e-30)), 100.0)


def high_frequency_energy(images: np.ndarray) -> float:
    """Mean squared response of the discrete Laplacian (4 x centre - the 4 neighbours) over
    the interior pixels: large for sharp strokes, small for blurred ones."""
    x = images[:, 0].astype(np.float64)
    lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
    return float(np.mean(lap ** 2))


def image_report(images: np.ndarray, truth: np.ndarray, labels: np.ndarray, classifier=None) -> dict:
    """L1 and PSNR against the true images, sharpness (high-frequency energy, and its ratio to
    the true images'), and with a classifier its accuracy on ``images`` against ``labels``
    and its mean confidence (largest softmax probability)."""
    report = {"l1": float(np.mean(np.abs(images.astype(np.float64) - truth))),
              "psnr_db": float(np.mean(psnr(images, truth))),
              "high_frequency_energy": high_frequency_energy(images),
              "high_frequency_ratio": high_frequency_energy(images) / high_frequency_energy(truth)}
    if classifier is not None:
        from ..metrics import classify

        _, logits = classify(classifier, images)
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        report["classifier_accuracy"] = float(np.mean(logits.argmax(axis=1) == labels))
        report["classifier_confidence"] = float(probs.max(axis=1).mean())
    return report


def predict_in_batches(model, x: np.ndarray, batch: int = 500) -> np.ndarray:
    return np.concatenate([model.predict(x[i:i + batch]) for i in range(0, len(x), batch)])


# ------------------------------------------------------------------------------ the run
class ImageRun:
    """Subclasses set FORMAT and KIND, build ``self.models`` (name -> Sequential) in
    ``__init__`` and call ``_setup``, and implement ``step(batch_index)`` -> dict of numbers."""

    @staticmethod
    def training_images(config):
        """The training images the run uses: the first ``train_images`` (0: all) of the split."""
        from ..data import load_mnist

        return load_mnist("train", config.data_dir, limit=config.train_images)[0]

    FORMAT = ""
    KIND = ""
    CONFIG = None  # the config dataclass

    def _setup(self, lr: dict[str, float]) -> None:
        c = self.config
        self.optimizers = {name: Adam(model.parameters(), lr[name], (c.beta1, c.beta2))
                           for name, model in self.models.items() if name in lr}
        self.history: dict[str, list[float]] = {}
        self.epoch = 0
        self.iteration = 0

    def train_epoch(self, progress=None) -> dict:
        """One epoch: the training pairs (or domain-A images) in a fresh random order, in
        batches; returns the epoch's mean of every recorded number."""
        order = self.rng.permutation(self.epoch_size)
        start = self.iteration
        for k in range(self.iterations_per_epoch):
            record = self.step(order[k * self.config.batch_size:(k + 1) * self.config.batch_size])
            for key, value in record.items():
                self.history.setdefault(key, []).append(float(value))
            self.iteration += 1
            if progress is not None:
                progress.update(1)
                progress.set_postfix({k: f"{v:.3f}" for k, v in list(record.items())[:4]}, refresh=False)
        self.epoch += 1
        n = self.iteration - start
        return {k: float(np.mean(v[-n:])) for k, v in self.history.items()}

    @property
    def iterations_per_epoch(self) -> int:
        return self.epoch_size // self.config.batch_size

    # checkpoints
    def save(self, path) -> None:
        arrays = {}
        for name, model in self.models.items():
            arrays.update(model.named_arrays(prefix=f"{name}/"))
        for name, opt in self.optimizers.items():
            arrays.update({f"opt_{name}/{k}": v for k, v in opt.state_dict().items()})
        arrays.update({f"history/{k}": np.asarray(v, dtype=np.float64) for k, v in self.history.items()})
        meta = {"format": self.FORMAT, "config": asdict(self.config), "epoch": self.epoch,
                "iteration": self.iteration, "rng": self.rng.bit_generator.state}
        arrays["meta"] = np.array(json.dumps(meta))
        atomic_save_npz(path, arrays)

    @classmethod
    def load(cls, path, data_dir: str | None = None):
        if not os.path.isfile(path):
            raise ValueError(f"{path}: checkpoint not found")
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
            meta = json.loads(str(arrays["meta"]))
            kind = meta.get("format")
        except (OSError, ValueError, KeyError, AttributeError) as err:
            raise ValueError(f"{path}: not a minigan {cls.KIND} checkpoint ({err})") from None
        if kind != cls.FORMAT:
            raise ValueError(f"{path}: not a {cls.KIND} checkpoint (it holds {kind or 'something else'})")
        names = {f.name for f in fields(cls.CONFIG)}
        config = cls.CONFIG(**{k: v for k, v in meta["config"].items() if k in names})
        if data_dir is not None:
            config.data_dir = data_dir
        run = cls(config)
        for name, model in run.models.items():
            model.load_arrays(arrays, prefix=f"{name}/", source=str(path))
        for name, opt in run.optimizers.items():
            prefix = f"opt_{name}/"
            opt.load_state_dict({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        run.history = {k.split("/", 1)[1]: list(v) for k, v in arrays.items() if k.startswith("history/")}
        run.epoch, run.iteration = meta["epoch"], meta["iteration"]
        run.rng.bit_generator.state = meta["rng"]
        return run
