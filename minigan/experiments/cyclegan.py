"""`minigan train cyclegan [--no-cycle]`: unpaired image-to-image on MNIST.

Domain A is the plain digits of the first half of the training split; domain B is *other*
digits, from the second half, with thick strokes: each pixel replaced by the brightest pixel
of its 3x3 neighbourhood (a grey-scale dilation). No digit of A has its thick version in B,
so the pairs are unknown: the networks must discover the mapping (of the first n training
images, --train-images n, 8,000 by default, n/2 each; 0 takes all 60,000, 30,000 each).

Why dilation: it is a known transform, so the test digits' true translations exist and the
learned mapping can be scored against them; and it is not trivial for a network. Thickening
(A -> B) is a 3x3 maximum, a non-linear operation that a convolution must approximate; thinning
back (B -> A) has no exact inverse at all, since dilation fills small holes and joins nearby
strokes (the loops of 8, 6, 9 shrink or close), so G_BA must guess what was lost. A
brightness change or a flip would be learned by a single linear layer.

Without the cycle loss nothing ties G_AB(a) to a: any thick digit fools D_B, so the label may
not survive the round trip a -> G_AB(a) -> G_BA(G_AB(a)). The measures on held-out digits:
the error of G_AB(a) against dilate(a), and how often the classifier gives G_BA(G_AB(a)) and
G_AB(a) the label of a.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import load_mnist
from ..image_models import patch_discriminator, resnet_generator
from ..image_to_image import (
    CYCLE_WEIGHT,
    IDENTITY_WEIGHT,
    cyclegan_generator_step,
    least_squares_discriminator_step,
)
from .image_to_image import ImageRun, check_common, image_report, need, predict_in_batches


def dilate(images: np.ndarray) -> np.ndarray:
    """Thick strokes: out[i, j] = max of the 3x3 neighbourhood of (i, j) (the border padded with
    the background, -1). images (n, 1, H, W) in [-1, 1]."""
    h, w = images.shape[2:]
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-1.0)
    out = images.copy()
    for di in range(3):
        for dj in range(3):
            np.maximum(out, padded[:, :, di:di + h, dj:dj + w], out=out)
    return out


@dataclass
class CycleGANConfig:
    cycle: bool = True
    cycle_weight: float = CYCLE_WEIGHT
    identity_weight: float = IDENTITY_WEIGHT
    # the size of the README's measured runs (250 iterations: 5 min on one shared core), so
    # that a run stays well within half an hour on any machine; 3 epochs of the whole split at
    # batch 64 were estimated at 55 min on that core
    epochs: int = 2
    batch_size: int = 32
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    train_images: int = 8000  # the first N training images, half A, half B; 0: all 60,000
    data_dir: str | None = None
    grid: int = 10
    width: int = 16         # channels of the generators' first layer
    blocks: int = 3         # residual blocks per generator

    def validate(self) -> CycleGANConfig:
        need(isinstance(self.cycle, bool), "cycle", self.cycle, "True or False")
        for arg in ("cycle_weight", "identity_weight"):
            v = getattr(self, arg)
            need(isinstance(v, (int, float)) and v >= 0, arg, v, "a non-negative number")
        check_common(self)
        return self

    @property
    def title(self) -> str:
        """What a run of this config shows, for figure titles: the generator's loss terms."""
        terms = ["LSGAN"] + (["cycle"] if self.cycle and self.cycle_weight > 0 else [])
        terms += ["identity"] if self.identity_weight > 0 else []
        return "CycleGAN, " + " + ".join(terms)


class CycleGANRun(ImageRun):
    FORMAT = "minigan-cyclegan-checkpoint-1"
    KIND = "cyclegan"
    CONFIG = CycleGANConfig

    def __init__(self, config: CycleGANConfig):
        self.config = c = config.validate()
        images = self.training_images(c)
        half = len(images) // 2
        if half < c.batch_size:
            raise ValueError(f"batch_size ({c.batch_size}) is larger than the {half} images of each "
                             f"domain (half of {len(images)} training images)")
        self.domain_A, self.domain_B = images[:half], dilate(images[half: 2 * half])
        self.epoch_size = half
        rng = np.random.default_rng(c.seed)
        size = images.shape[2]
        self.models = {
            "G_AB": resnet_generator(rng, image_size=size, width=c.width, blocks=c.blocks),
            "G_BA": resnet_generator(rng, image_size=size, width=c.width, blocks=c.blocks),
            "D_A": patch_discriminator(rng, in_channels=1, image_size=size),
            "D_B": patch_discriminator(rng, in_channels=1, image_size=size)}
        self._setup({"G_AB": c.lr_g, "G_BA": c.lr_g, "D_A": c.lr_d, "D_B": c.lr_d})
        self.rng = rng

    def step(self, idx) -> dict:
        c, m, opt = self.config, self.models, self.optimizers
        a = self.domain_A[idx]
        b = self.domain_B[self.rng.choice(len(self.domain_B), size=len(idx), replace=False)]
        for name in ("G_AB", "G_BA"):
            opt[name].zero_grad()
        cycle_weight = c.cycle_weight if c.cycle else 0.0
        terms, fake_A, fake_B = cyclegan_generator_step(m["G_AB"], m["G_BA"], m["D_A"], m["D_B"], a, b,
                                                        cycle_weight, c.identity_weight)
        opt["G_AB"].step()
        opt["G_BA"].step()
        record = {"g_loss": terms["g_loss"], "cycle": terms["cycle_A"] + terms["cycle_B"]}
        # the discriminators judge the fakes of this step (zeroing drops what the G step left)
        for name, real, fake in (("D_A", a, fake_A), ("D_B", b, fake_B)):
            opt[name].zero_grad()
            record[f"{name}_loss"] = least_squares_discriminator_step(m[name], real, fake)["d_loss"]
            opt[name].step()
        return record

    def evaluate(self, classifier=None, n: int | None = None) -> dict:
        """On held-out digits a: G_AB(a) against dilate(a) (and, for reference, a itself, i.e.
        doing nothing), the round trip G_BA(G_AB(a)) against a, and the classifier's labels."""
        a, labels = load_mnist("heldout", self.config.data_dir, limit=n or 0)
        thick = dilate(a)
        fake_B = predict_in_batches(self.models["G_AB"], a)
        round_trip = predict_in_batches(self.models["G_BA"], fake_B)
        thin = predict_in_batches(self.models["G_BA"], thick)
        return {"cycle_loss": self.config.cycle, "epoch": self.epoch, "test_images": len(a),
                "G_AB(a) vs dilate(a)": image_report(fake_B, thick, labels, classifier),
                "a vs dilate(a) (no change)": image_report(a, thick, labels, classifier),
                "G_BA(G_AB(a)) vs a (round trip)": image_report(round_trip, a, labels, classifier),
                "G_BA(dilate(a)) vs a": image_report(thin, a, labels, classifier)}

    def figure_rows(self) -> list[tuple[str, np.ndarray]]:
        a = load_mnist("heldout", self.config.data_dir, limit=self.config.grid)[0]
        fake_B = self.models["G_AB"].predict(a)
        return [("a", a), ("G_AB(a)", fake_B), ("dilate(a)", dilate(a)),
                ("G_BA(G_AB(a))", self.models["G_BA"].predict(fake_B))]


def format_report(report: dict) -> str:
    lines = [f"CycleGAN, {'with' if report['cycle_loss'] else 'without'} the cycle loss, epoch "
             f"{report['epoch']}, {report['test_images']} held-out digits a",
             f"{'':<34}{'L1':>8}{'PSNR dB':>9}{'label kept':>12}"]
    for key, r in report.items():
        if isinstance(r, dict):
            kept = f"{r['classifier_accuracy']:>12.1%}" if "classifier_accuracy" in r else ""
            lines.append(f"{key:<34}{r['l1']:>8.4f}{r['psnr_db']:>9.2f}{kept}")
    return "\n".join(lines)
