"""`minigan train mnist-mlp | mnist-conv | mnist-cgan | mnist-goodfellow2014`: train the
course's GANs, or the original paper's, on MNIST, with checkpoints.

The course's GANs train on the 60,000 training images; the paper's (mnist-goodfellow2014)
on the first 50,000, as in its released configuration, whose last 10,000 are the
validation images that choose the Parzen window (metrics.parzen_evaluation).

One epoch is (training images / batch size) iterations of Algorithm 1; each real batch is
drawn at random, without replacement within the batch, from the training split. After every
epoch the run folder gets, each written atomically:

    samples/epoch_NNN.png   a grid of G(z) for one fixed batch of z (so the grids form a sequence)
    losses.png              D and G losses, D(x) and D(G(z)) over training
    checkpoint.npz          both models, both optimizers, the history, every random state

``resume`` continues from checkpoint.npz exactly: the resumed run computes the same numbers,
bit for bit, as one that was never interrupted. A NaN or inf stops training with a message and
leaves the last checkpoint as it was; so does Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import models
from ..conditional import ConditionalGANTrainer, with_label
from ..data import load_mnist
from ..files import atomic_save_npz, load_npz
from ..gan import GANTrainer, SimultaneousGANTrainer
from ..losses import normalise_generator_loss
from ..optim import SGD, Adam, WeightAverage, linear_decay

CHECKPOINT_FORMAT = "minigan-mnist-checkpoint-2"
MODELS = {"mnist-mlp": (models.mlp_generator, models.mlp_discriminator),
          "mnist-conv": (models.conv_generator, models.conv_discriminator),
          "mnist-cgan": (models.cgan_generator, models.cgan_discriminator),
          "mnist-goodfellow2014": (models.goodfellow2014_generator, models.goodfellow2014_discriminator)}
CONDITIONAL = {"mnist-cgan"}
N_CLASSES = 10
# Per-model defaults. The epochs are for the 60,000 training images (937 iterations per epoch
# at batch 64). They were 100, tuned on the earlier 8,000 images (12,500 iterations); on
# 60,000 that is 93,700 iterations, hours per run: measured on one core with one BLAS thread,
# an iteration takes 41 ms (MLP-GAN), 43 ms (cGAN) and 216 ms (conv GAN). Measured on the
# full data (Frechet distance of 10,000 samples against the 10,000 test images, seeds 0-2;
# README, docs/mnist_full_results.json): the MLP-GAN scored 29.2 +- 1.2 after 10 epochs and
# 15.5 +- 0.9 after 15, the cGAN 22.4 +- 0.3 and 10.4 +- 0.7; after 20 epochs (18,740
# iterations, about 13 min of CPU time on one core, well within 45 min) 10.9 +- 0.6 and
# 6.4 +- 0.1, with the cGAN drawing the asked-for digit 93% of the time (90% after 15). Both
# still improve there, so the default is 20. The conv GAN gets 6 epochs (5,622 iterations,
# about 20 min of CPU time), the longest that fitted the measuring session: 25.1 +- 3.8.
# Longer conv runs were not measured and may do better.
# The other settings come from measurements on the earlier 8,000 training images (Frechet
# distance of 2,000 samples against the held-out images; README), kept unchanged.
# - MLP: the course's discriminator, without dropout, memorises those images: the distance
#   was best near epoch 40 (46.9) and then rose (55.2 at 70, 72.2 at 100). With dropout after
#   each hidden layer it keeps improving (0.3: 29.6 at 60 epochs, 22.2 at 100; 0.5: 32.2 and
#   22.4), and sampling from the generator's weight average instead of its last iterate
#   lowers it further (0.5: 16.3 at 100 epochs). Decaying the learning rates over the last
#   half hurt it (23.1 at 100): it is still improving when the decay would freeze it.
# - conv: the course's dropout of 0.3 and the weight average level off at 17-18 from epoch 70
#   (18.0 at 100; 0.5 was worse: 20.5 at 80). A slower discriminator (1e-4) with both learning
#   rates falling linearly to 0 over the second half reaches 16.2 (seed 0) and 13.0 (seed 1)
#   at 100, against 18.0 and 15.9 without.
MODEL_DEFAULTS = {
    "mnist-mlp": dict(epochs=20, d_dropout=0.5, lr_d=2e-4, lr_decay=0.0, grid=64),
    "mnist-conv": dict(epochs=6, d_dropout=0.3, lr_d=1e-4, lr_decay=0.5, grid=64),
    # the conditional grid is 10 x 10, one digit per column
    "mnist-cgan": dict(epochs=20, d_dropout=0.5, lr_d=2e-4, lr_decay=0.0, grid=100),
    # the paper's settings (mnist.yaml): SGD, batch 100, lr 0.1 for both players. minigan's
    # discriminator loss is the sum of the real and fake terms, the paper's their mean, so
    # D's rate is halved to take the same steps. The paper gives no epoch count; 60 epochs
    # (30,000 iterations of about 4 GFLOP each) took 93 min on one shared core (README).
    "mnist-goodfellow2014": dict(epochs=60, d_dropout=0.5, lr_d=0.05, lr_decay=0.0, grid=64,
                                 lr_g=0.1, batch_size=100),
}
for _defaults in MODEL_DEFAULTS.values():
    _defaults.setdefault("lr_g", 2e-4)
    _defaults.setdefault("batch_size", 64)
# The paper's schedule (mnist.yaml), for mnist-goodfellow2014: both learning rates shrink by
# a factor 1.000004 every iteration (to at least 1e-6); the momentum rises linearly from 0.5
# after epoch 1 to 0.7 at epoch 250 (pylearn2's MomentumAdjustor); the noise is uniform on
# [-sqrt 3, sqrt 3] (unit variance) in 100 dimensions; the images are pixels in [0, 1].
PAPER_MODELS = {"mnist-goodfellow2014"}
# written into every checkpoint: older ones trained on 8,000 test images and carry no such key
DATA_PROTOCOL = "mnist-standard-split"
PAPER_LR_DECAY, PAPER_MIN_LR = 1.000004, 1e-6
PAPER_MOMENTUM = (0.5, 0.7, 1, 250)  # initial, final, from epoch, saturating at epoch


def paper_momentum(epoch: int) -> float:
    """The momentum of the paper's run after ``epoch`` completed epochs."""
    start, final, first, last = PAPER_MOMENTUM
    return start + (final - start) * min(1.0, max(0.0, (epoch - first) / (last - first)))


@dataclass
class TrainConfig:
    model: str = "mnist-mlp"
    epochs: int | None = None     # None: the model's default (MODEL_DEFAULTS)
    batch_size: int | None = None  # None: the model's default (64; the paper's model 100)
    lr_g: float | None = None     # None: the model's default (2e-4; the paper's model 0.1)
    lr_d: float | None = None     # None: the model's default (MODEL_DEFAULTS)
    beta1: float = 0.5            # DCGAN's Adam settings
    beta2: float = 0.999
    loss: str = "non_saturating"
    k: int = 1
    seed: int = 0
    train_images: int = 0         # 0: the whole training split; n: its first n (quick runs)
    data_dir: str | None = None
    grid: int | None = None       # samples in each epoch's grid; None: the model's default
    real_label: float = 1.0       # < 1: one-sided label smoothing of D's real targets
    d_dropout: float | None = None  # dropout in D; None: the model's default
    average: float = 0.999        # decay of G's weight average, which draws the samples; 0: off
    lr_decay: float | None = None   # last fraction of the run over which both learning rates
    #                                 fall linearly to 0; 0: constant; None: the model's default
    blas_threads: int | None = None  # BLAS threads of the whole run. `minigan train` fixes it at
    #   a fresh start (--blas-threads, else from the machine's load) and records it here, so that
    #   --resume repeats the same arithmetic: OpenBLAS's results change in the last bits with
    #   its thread count. None: not fixed (a run made from Python leaves BLAS alone)

    def validate(self) -> TrainConfig:
        def need(ok, arg, value, expected):
            if not ok:
                raise ValueError(f"{arg} (--{arg.replace('_', '-')}) must be {expected}, got {value!r}")

        need(self.model in MODELS, "model", self.model, f"one of {', '.join(MODELS)}")
        for arg in ("epochs", "lr_d", "d_dropout", "lr_decay", "grid", "lr_g", "batch_size"):
            if getattr(self, arg) is None:
                setattr(self, arg, MODEL_DEFAULTS[self.model][arg])
        for arg in ("epochs", "batch_size", "k", "grid"):
            v = getattr(self, arg)
            need(isinstance(v, int) and v >= 1, arg, v, "a positive integer")
        need(self.batch_size >= 2, "batch_size", self.batch_size, "at least 2 (BatchNorm needs two samples)")
        for arg in ("lr_g", "lr_d"):
            v = getattr(self, arg)
            need(math.isfinite(v) and v > 0, arg, v, "a positive number")
        for arg in ("beta1", "beta2"):
            v = getattr(self, arg)
            need(0 <= v < 1, arg, v, "in [0, 1)")
        need(0.5 < self.real_label <= 1, "real_label", self.real_label, "in (0.5, 1]")
        need(0 <= self.d_dropout < 1, "d_dropout", self.d_dropout, "in [0, 1)")
        need(self.average == 0 or 0 < self.average < 1, "average", self.average, "0 (off) or in (0, 1)")
        need(0 <= self.lr_decay <= 1, "lr_decay", self.lr_decay, "in [0, 1] (0: constant learning rates)")
        need(isinstance(self.train_images, int) and self.train_images >= 0, "train_images",
             self.train_images, "a non-negative integer")
        need(isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0, "seed",
             self.seed, "a non-negative integer")
        n = self.blas_threads
        need(n is None or (isinstance(n, int) and not isinstance(n, bool) and n >= 1),
             "blas_threads", n, "a positive integer (or None: chosen from the load)")
        self.loss = normalise_generator_loss(self.loss)
        return self


class MnistRun:
    """Everything a run holds; ``save``/``load`` make it resumable."""

    def __init__(self, config: TrainConfig, data: bool = True):
        """``data=False`` builds the run without its training images: enough to sample and
        evaluate (they need no training data, and the data folder a run was trained from may
        be gone), not to train."""
        self.config = c = config.validate()
        self.conditional = c.model in CONDITIONAL
        self.paper = c.model in PAPER_MODELS
        self.images = self.labels = None
        if data:
            # the paper's GAN trains on the first 50,000 training images, in [0, 1]
            self.images, self.labels = load_mnist("train50k" if self.paper else "train", c.data_dir,
                                                  limit=c.train_images)
            if c.train_images > len(self.images):  # fewer than asked: every image was returned
                raise ValueError(f"train_images (--train-images) must be at most the {len(self.images):,} "
                                 f"training images, got {c.train_images:,}")
            if self.paper:
                self.images = (self.images + np.float32(1)) / np.float32(2)
        if data and len(self.images) < c.batch_size:
            raise ValueError(f"batch_size ({c.batch_size}) is larger than the {len(self.images)} "
                             "training images")
        make_G, make_D = MODELS[c.model]
        rng = np.random.default_rng(c.seed)
        G, D = make_G(seed=rng), make_D(seed=rng, dropout=c.d_dropout)
        if self.paper and data:  # the output bias starts at logit(mean pixel), as in the paper's code
            means = self.images.mean(axis=0)
            G.layers[4].params["b"][...] = make_G(seed=0, pixel_means=means).layers[4].params["b"]
        # the averaged generator: same architecture, weights copied from G by WeightAverage
        self.G_average = make_G(seed=0) if c.average else None
        self.average = WeightAverage(G, self.G_average, c.average) if c.average else None
        betas = (c.beta1, c.beta2)
        latent = G.input_shape[0] - (N_CLASSES if self.conditional else 0)
        images, labels = self.images, self.labels

        def sample_data(n, r):
            if images is None:
                raise RuntimeError("this run was loaded without its training data (data=False)")
            idx = r.choice(len(images), size=n, replace=False)
            return (images[idx], labels[idx].astype(np.int64)) if self.conditional else images[idx]

        def sample_noise(n, r):
            return self.noise(n, r)

        # no per-iteration snapshot (the guard): at MNIST scale it would copy every parameter
        # and moment each step; the epoch checkpoint is the last good state instead
        if self.paper:
            momentum = paper_momentum(0)
            g_opt, d_opt = SGD(G.parameters(), c.lr_g, momentum), SGD(D.parameters(), c.lr_d, momentum)
        else:
            g_opt, d_opt = Adam(G.parameters(), c.lr_g, betas), Adam(D.parameters(), c.lr_d, betas)
        Trainer = ConditionalGANTrainer if self.conditional else GANTrainer
        if self.paper:
            # the paper's code updates both players at once from one batch (gan.py explains);
            # with Algorithm 1's alternation this GAN collapsed: in epoch 3 D's loss was 0.004,
            # D(G(z)) below 0.005, and G drew black images; the simultaneous update kept the game going
            if c.k != 1:
                raise ValueError(f"k (--k) must be 1 for {c.model}: its update is the paper's "
                                 f"simultaneous one, one D step per G step, got {c.k}")
            Trainer = SimultaneousGANTrainer
        self.trainer = Trainer(G, D, g_opt, d_opt, sample_data, sample_noise, c.loss, c.k,
                               c.batch_size, rng, guard=False, real_label=c.real_label)
        fixed = np.random.default_rng(c.seed + 12345)
        self.latent_dim = latent
        self.fixed_z = self.noise(c.grid, fixed)
        # the conditional grid asks for 0, 1, ..., 9, 0, 1, ...: one digit per column
        self.fixed_labels = np.arange(c.grid) % N_CLASSES
        self.epoch = 0
        self.iterations_per_epoch = len(self.images) // c.batch_size if data else None

    def noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, latent) float32 noise z: standard normal, or for the paper's GAN uniform on
        [-sqrt 3, sqrt 3] (its noise, also of unit variance)."""
        if self.paper:
            return rng.uniform(-np.sqrt(3), np.sqrt(3), (n, self.latent_dim)).astype(np.float32)
        return rng.standard_normal((n, self.latent_dim), dtype=np.float32)

    # ------------------------------------------------------------------ checkpoints
    def _random_states(self) -> dict:
        t = self.trainer
        states = {"trainer": t.rng.bit_generator.state}
        for name, model in (("G", t.G), ("D", t.D)):
            for layer in model.layers:
                if layer.rng is not None:
                    states[f"{name}.{layer.name}"] = layer.rng.bit_generator.state
        return states

    def save(self, path) -> None:
        t = self.trainer
        arrays = {}
        for name, model in self._models():
            arrays.update(model.named_arrays(prefix=f"{name}/"))
        for name, opt in (("g_opt", t.g_opt), ("d_opt", t.d_opt)):
            arrays.update({f"{name}/{k}": v for k, v in opt.state_dict().items()})
        arrays.update({f"history/{k}": np.asarray(v, dtype=np.float64) for k, v in t.history.items()})
        meta = {"config": asdict(self.config), "epoch": self.epoch, "iteration": t.iteration,
                "average_updates": self.average.t if self.average else 0,
                "random_states": self._random_states(), "format": CHECKPOINT_FORMAT,
                "data": DATA_PROTOCOL}
        arrays["meta"] = np.array(json.dumps(meta))
        atomic_save_npz(path, arrays)

    @classmethod
    def load(cls, path, data_dir: str | None = None, data: bool = True) -> MnistRun:
        """The run saved at ``path``, ready to continue (``data=False``: without its training
        images, to sample or evaluate; ``data_dir`` replaces the folder it was trained from).
        Any damage (an unreadable file,
        missing or malformed metadata, arrays that are missing, of the wrong shape, not real
        floating point, NaN or inf) is one ValueError line naming the file."""
        path = os.fspath(path)
        arrays, meta, config = _read_checkpoint(path)
        if data_dir is not None:
            config.data_dir = data_dir
        run = cls(config, data=data)  # a missing data folder is reported as such, not as damage
        try:
            run._restore(arrays, meta, path)
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as err:
            raise ValueError(f"{path}: damaged checkpoint ({_describe(err)})") from None
        if data and run.trainer.iteration != run.epoch * run.iterations_per_epoch:
            # other data (another --data-dir) would silently make it another run
            raise ValueError(f"{path}: the run did {run.trainer.iteration} iterations in {run.epoch} "
                             f"epochs, but its training data now give {run.iterations_per_epoch} per "
                             f"epoch ({len(run.images):,} images): not the data it was trained on")
        return run

    def _restore(self, arrays: dict, meta: dict, path: str) -> None:
        t = self.trainer
        for name, model in self._models():
            model.load_arrays(arrays, prefix=f"{name}/", source=path)
        for name, opt in (("g_opt", t.g_opt), ("d_opt", t.d_opt)):
            state = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(name + "/")}
            for key, value in state.items():
                if value.dtype.kind not in "fiu" or not np.isfinite(value).all():
                    raise ValueError(f"optimizer state {name}/{key} is not finite real numbers")
            opt.load_state_dict(state)
        history = {k: arrays[f"history/{k}"] for k in t.history}
        for key, values in history.items():
            if values.shape != (meta["iteration"],) or values.dtype.kind != "f":
                raise ValueError(f"history/{key} has shape {values.shape}, expected ({meta['iteration']},)")
        t.history = {k: list(v) for k, v in history.items()}
        t.iteration, self.epoch = meta["iteration"], meta["epoch"]
        if self.average:
            self.average.t = meta["average_updates"]
        states = meta["random_states"]
        t.rng.bit_generator.state = states["trainer"]
        for name, model in (("G", t.G), ("D", t.D)):
            for layer in model.layers:
                if layer.rng is not None:
                    layer.rng.bit_generator.state = states[f"{name}.{layer.name}"]

    def _models(self) -> list[tuple[str, object]]:
        """(checkpoint prefix, model) of every network the run holds."""
        pairs = [("G", self.trainer.G), ("D", self.trainer.D)]
        if self.G_average is not None:
            pairs.append(("G_average", self.G_average))
        return pairs

    # ------------------------------------------------------------------ training
    @property
    def sampler(self):
        """The generator that draws samples: the weight average when there is one."""
        return self.G_average if self.G_average is not None else self.trainer.G

    def samples(self, z: np.ndarray | None = None, averaged: bool = True,
                labels: np.ndarray | None = None) -> np.ndarray:
        """G(z) in eval mode (running BatchNorm statistics), (n, 1, 28, 28) in [-1, 1]; from
        the averaged weights unless ``averaged`` is False (then the last iterate, G itself).
        Without z, the run's fixed grid. A conditional run draws the digits ``labels`` (n,),
        by default 0..9 repeated; an unconditional run refuses labels."""
        G = self.sampler if averaged else self.trainer.G
        if self.paper and labels is None:  # sigmoid output: [0, 1] pixels, returned in [-1, 1]
            return G.predict(self.fixed_z if z is None else z) * np.float32(2) - np.float32(1)
        if z is None:
            z = self.fixed_z
            if self.conditional and labels is None:
                labels = self.fixed_labels
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"{self.config.model} is not conditional: it cannot draw a chosen "
                                 "digit (train mnist-cgan for that)")
            return G.predict(z)
        if labels is None:
            labels = np.arange(len(z)) % N_CLASSES
        labels = np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(f"labels must have shape ({len(z)},), got {labels.shape}")
        return G.predict(with_label(z, labels, N_CLASSES))

    def train_epoch(self, progress=None) -> dict:
        """One epoch of iterations; returns the epoch's mean losses and D outputs."""
        c, t = self.config, self.trainer
        start = len(t.history["d_loss"])
        total = c.epochs * self.iterations_per_epoch
        for _ in range(self.iterations_per_epoch):
            # the rates follow the iteration count, so a resumed run gets the same ones
            factor = linear_decay(t.iteration, total, c.lr_decay)
            t.g_opt.lr, t.d_opt.lr = c.lr_g * factor, c.lr_d * factor
            if self.paper:  # the paper's exponential decay and momentum schedule
                t.g_opt.lr, t.d_opt.lr = (max(lr * PAPER_LR_DECAY ** -t.iteration, PAPER_MIN_LR)
                                          for lr in (c.lr_g, c.lr_d))
                t.g_opt.momentum = t.d_opt.momentum = paper_momentum(self.epoch)
            record = t.step()
            if self.average is not None:
                self.average.update()
            if progress is not None:
                progress.update(1)
                progress.set_postfix(D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}",
                                     Dx=f"{record['d_real']:.2f}", DGz=f"{record['d_fake']:.2f}",
                                     refresh=False)
        self.epoch += 1
        return {k: float(np.mean(v[start:])) for k, v in t.history.items()}


# ---------------------------------------------------------------------- reading checkpoints
def _describe(err: Exception) -> str:
    """A one-line reason for a loader's message (a KeyError's text is only the key)."""
    if isinstance(err, KeyError):
        return f"missing entry {err.args[0]!r}" if err.args else "missing entry"
    return " ".join(str(err).split()) or type(err).__name__


def _read_checkpoint(path: str) -> tuple[dict, dict, TrainConfig]:
    """The arrays, the metadata and the validated configuration of a checkpoint, each
    checked before anything is built from them; ValueError lines name the file."""
    arrays = load_npz(path, "checkpoint")

    def damaged(reason):
        return ValueError(f"{path}: not a usable minigan MNIST checkpoint ({reason})")

    raw = arrays.get("meta")
    if raw is None or raw.shape != () or raw.dtype.kind != "U":
        raise damaged("no metadata record")
    try:
        meta = json.loads(str(raw))
    except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        raise damaged(f"its metadata is not valid JSON: {_describe(err)}") from None
    if not isinstance(meta, dict):
        raise damaged("its metadata is not a JSON object")
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: a checkpoint of an older minigan ({meta.get('format')}); "
                         "train it again")
    if meta.get("data") != DATA_PROTOCOL and meta.get("config", {}).get("data_dir") is None:
        raise ValueError(f"{path}: trained by an older minigan on 8,000 images of the MNIST test "
                         "set, which is now the reference its samples are measured against; "
                         "train it again on the full MNIST")
    for key, kind in (("config", dict), ("random_states", dict), ("epoch", int),
                      ("iteration", int), ("average_updates", int)):
        value = meta.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 0):
            raise damaged(f"metadata {key!r} missing or not a "
                          f"{'JSON object' if kind is dict else 'non-negative integer'}")
    names = {f.name for f in fields(TrainConfig)}
    try:
        config = TrainConfig(**{k: v for k, v in meta["config"].items() if k in names}).validate()
        if config.data_dir is not None and not isinstance(config.data_dir, str):
            raise ValueError(f"data_dir must be a path, got {config.data_dir!r}")
    except (TypeError, ValueError) as err:
        raise damaged(f"invalid configuration: {_describe(err)}") from None
    if meta["epoch"] > config.epochs:
        raise damaged(f"epoch {meta['epoch']} is beyond the configured {config.epochs}")
    return arrays, meta, config
