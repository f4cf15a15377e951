"""`minigan train pix2pix --task inpaint|superres [--no-gan]`: paired image-to-image on MNIST.

Two tasks are made from the training digits y, each with its input x:

    inpaint    x = y with its lower half (rows 14-27) set to the background (-1); G draws
               the missing half.
    superres   x = y averaged over 4x4 blocks (a 7x7 digit) and enlarged back to 28x28 by
               repeating each pixel; G restores the detail.

G is a small U-Net (minigan.image_models), D a PatchGAN that sees [x, output] stacked as
channels. With the GAN (default), G minimises BCE(D(x, G(x)), 1) + 100 L1(G(x), y); with
--no-gan, L1 alone. L1 alone is the pixel-wise *median* of the plausible outputs, blurred
wherever the input leaves the answer open (which lower half completes this upper half?);
the GAN term asks instead for an output D cannot tell from a real pair, i.e. one sharp digit.
The measures on the held-out digits show the trade: L1/PSNR favour (a), sharpness (b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import load_mnist
from ..image_models import patch_discriminator, unet_generator
from ..image_to_image import PIX2PIX_L1_WEIGHT, pix2pix_discriminator_step, pix2pix_generator_step
from .image_to_image import ImageRun, check_common, image_report, need, predict_in_batches

TASKS = ("inpaint", "superres")
SUPERRES_FACTOR = 4  # 28x28 -> 7x7


def make_input(task: str, images: np.ndarray) -> np.ndarray:
    """The task's input for true digits (n, 1, 28, 28) in [-1, 1]."""
    if task == "inpaint":
        x = images.copy()
        x[:, :, images.shape[2] // 2:, :] = -1.0
        return x
    if task == "superres":
        f = SUPERRES_FACTOR
        n, c, h, w = images.shape
        if h % f or w % f:
            raise ValueError(f"superres: the image size {h}x{w} is not a multiple of {f}")
        small = images.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5))
        return small.repeat(f, axis=2).repeat(f, axis=3).astype(images.dtype)
    raise ValueError(f"task (--task) must be one of {', '.join(TASKS)}, got {task!r}")


@dataclass
class Pix2PixConfig:
    task: str = "inpaint"
    gan: bool = True
    l1_weight: float = PIX2PIX_L1_WEIGHT
    # 3 epochs of the 60,000 training pairs: the README's measured runs (with the GAN 17.6 min
    # on one shared core, L1 alone 4.9), within half an hour on any machine; 10 epochs with
    # the GAN were estimated at 58 min on that core
    epochs: int = 3
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    train_images: int = 0   # 0: the whole training split
    data_dir: str | None = None
    grid: int = 10          # test digits shown in each epoch's figure
    width: int = 32         # channels of the U-Net's first level
    depth: int = 2          # halvings in the U-Net (28 -> 14 -> 7)

    def validate(self) -> Pix2PixConfig:
        need(self.task in TASKS, "task", self.task, f"one of {', '.join(TASKS)}")
        need(isinstance(self.gan, bool), "gan", self.gan, "True or False")
        need(self.l1_weight >= 0, "l1_weight", self.l1_weight, "a non-negative number")
        need(self.gan or self.l1_weight > 0, "l1_weight", self.l1_weight, "positive without the GAN")
        check_common(self)
        return self

    @property
    def objective(self) -> str:
        return "L1 + GAN" if self.gan else "L1 alone"

    @property
    def title(self) -> str:
        """What a run of this config shows, for figure titles: the task and the objective."""
        return f"pix2pix {self.task}, {self.objective}"


class Pix2PixRun(ImageRun):
    FORMAT = "minigan-pix2pix-checkpoint-1"
    KIND = "pix2pix"
    CONFIG = Pix2PixConfig

    def __init__(self, config: Pix2PixConfig):
        self.config = c = config.validate()
        images = self.training_images(c)
        if len(images) < c.batch_size:
            raise ValueError(f"batch_size ({c.batch_size}) is larger than the {len(images)} training images")
        self.truth, self.inputs = images, make_input(c.task, images)
        self.epoch_size = len(images)
        rng = np.random.default_rng(c.seed)
        G = unet_generator(rng, image_size=images.shape[2], width=c.width, depth=c.depth)
        self.models = {"G": G}
        if c.gan:
            self.models["D"] = patch_discriminator(rng, in_channels=2, image_size=images.shape[2])
        self._setup({"G": c.lr_g, "D": c.lr_d})
        self.rng = rng

    def step(self, idx) -> dict:
        c = self.config
        x, y = self.inputs[idx], self.truth[idx]
        G, g_opt = self.models["G"], self.optimizers["G"]
        fake = G.forward(x)  # its cache waits for the generator step below
        record = {}
        if c.gan:  # D first, on the current G(x) (as in pix2pix), then G against the new D
            D, d_opt = self.models["D"], self.optimizers["D"]
            d_opt.zero_grad()
            record.update(pix2pix_discriminator_step(D, x, y, fake))
            d_opt.step()
        g_opt.zero_grad()
        terms = pix2pix_generator_step(G, self.models.get("D"), x, y, c.l1_weight, c.gan, fake=fake)
        g_opt.step()
        return {**terms, **record}

    def evaluate(self, classifier=None, n: int | None = None) -> dict:
        """The measures on the held-out digits: the generator's outputs and, for reference, the
        task's input itself, against the true digits."""
        images, labels = load_mnist("heldout", self.config.data_dir, limit=n or 0)
        x = make_input(self.config.task, images)
        return {"task": self.config.task, "objective": self.config.objective,
                "epoch": self.epoch, "test_images": len(images),
                "output": image_report(predict_in_batches(self.models["G"], x), images, labels, classifier),
                "input": image_report(x, images, labels, classifier),
                "truth": image_report(images, images, labels, classifier)}

    def figure_rows(self) -> list[tuple[str, np.ndarray]]:
        truth = load_mnist("heldout", self.config.data_dir, limit=self.config.grid)[0]
        x = make_input(self.config.task, truth)
        return [("input", x), ("output", self.models["G"].predict(x)), ("truth", truth)]


def format_report(report: dict) -> str:
    lines = [f"pix2pix {report['task']}, {report['objective']}, epoch {report['epoch']}, "
             f"{report['test_images']} held-out digits",
             f"{'':<8}{'L1':>8}{'PSNR dB':>9}{'HF energy':>11}{'HF ratio':>10}"
             f"{'accuracy':>10}{'confidence':>12}"]
    for row in ("input", "output", "truth"):
        r = report[row]
        acc = (f"{r['classifier_accuracy']:>10.1%}{r['classifier_confidence']:>12.3f}"
               if "classifier_accuracy" in r else "")
        psnr = f"{r['psnr_db']:>9.2f}" if r["psnr_db"] < 100 else f"{'inf':>9}"
        lines.append(f"{row:<8}{r['l1']:>8.4f}{psnr}{r['high_frequency_energy']:>11.4f}"
                     f"{r['high_frequency_ratio']:>10.2f}{acc}")
    return "\n".join(lines)
