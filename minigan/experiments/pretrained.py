"""Small pretrained generators, shipped in data/checkpoints/ so that notebooks 04 and 05 show
trained GANs in seconds; data/README.md says how each file was made, and its SHA-256.

A full training checkpoint (``MnistRun.save``) holds both networks, both optimizers' moments
and every random state: what resuming needs, 10-20 MB for the MLP-GANs. A lesson needs far
less: the *averaged* generator (the one samples are drawn from), the loss history (for the
plots) and, for watching training, the grid of samples from the fixed noise after every
epoch. ``Pretrained`` holds exactly that; it can be made from a finished run
(``Pretrained.from_run``), saved, and loaded back. The generator's weights are stored in
float16 to halve the files (the samples then differ from the float32 generator's by about
1e-3 in pixel value; data/README.md gives the measured effect on the Frechet distance),
the grids as 8-bit grey levels.

``python -m minigan.experiments.pretrained mnist-mlp [out.npz]`` trains one recipe (the
notebooks' full-mode settings, RECIPES) on the 60,000 training images and writes its file;
a notebook with RETRAIN = True runs the same ``train_recipe``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ..conditional import with_label
from ..data import CHECKPOINT_DIR, sha256
from ..files import atomic_save_npz, load_npz
from .mnist import CONDITIONAL, DATA_PROTOCOL, MODELS, N_CLASSES, PAPER_MODELS, MnistRun, TrainConfig

FORMAT = "minigan-pretrained-generator-1"

# The notebooks' full-mode settings (seed 0, the 60,000 training images). Epoch counts are
# kept small so that each file trains in minutes on one core (data/README.md).
RECIPES = {
    "mnist-mlp": {"config": {"model": "mnist-mlp", "epochs": 4, "grid": 36}, "grids": True},
    "mnist-conv": {"config": {"model": "mnist-conv", "epochs": 4, "grid": 36}, "grids": True},
    "mnist-cgan": {"config": {"model": "mnist-cgan", "epochs": 20, "grid": 100}, "grids": False},
}
# name -> (file in data/checkpoints, its SHA-256): load_pretrained refuses a changed file
SHIPPED = {
    "mnist-mlp": ("mnist-mlp.npz", "08379c14d5f234fe6a123235072dda400e44ac494091cd0c593ab766f42906b7"),
    "mnist-conv": ("mnist-conv.npz", "b8be3affdb22897b86cee2815803f8ae71a87680ffaa91493bb8d46bcb0df473"),
    "mnist-cgan": ("mnist-cgan.npz", "07e0ab426a5e5d1494d68d605cd16aafbdb3a10bdbc4cc877a2bb11a80d6f076"),
}


@dataclass
class Pretrained:
    """What a lesson needs of a trained MNIST GAN (see the module's docstring)."""

    config: TrainConfig
    generator: object                # the averaged generator, a Sequential, used in eval mode
    history: dict                    # name -> (iterations,) float32: d_loss, g_loss, d_real, d_fake, ...
    iterations_per_epoch: int
    epochs: int
    fixed_z: np.ndarray              # (grid, latent) the fixed noise of the grids
    grids: np.ndarray | None = None  # (epochs + 1, grid, 1, 28, 28) in [-1, 1]: G(fixed_z) per epoch

    @classmethod
    def from_run(cls, run: MnistRun, grids=None) -> Pretrained:
        """From a trained run; ``grids``: the list of run.samples() after each epoch (epoch 0
        first), or None."""
        if run.config.model in PAPER_MODELS:
            raise ValueError(f"model {run.config.model!r}: only the course's GANs "
                             f"({', '.join(m for m in MODELS if m not in PAPER_MODELS)}) are kept this way")
        return cls(run.config, run.sampler, {k: np.asarray(v, dtype=np.float32)
                                             for k, v in run.trainer.history.items()},
                   run.iterations_per_epoch, run.epoch, run.fixed_z,
                   None if grids is None else np.stack(grids))

    @property
    def iterations(self) -> int:
        return len(self.history["d_loss"])

    def samples(self, z: np.ndarray | None = None, labels: np.ndarray | None = None) -> np.ndarray:
        """G(z), (n, 1, 28, 28) in [-1, 1], as MnistRun.samples: without z the fixed grid; a
        conditional generator draws ``labels`` (default 0..9 repeated)."""
        z = self.fixed_z if z is None else z
        if self.config.model not in CONDITIONAL:
            if labels is not None:
                raise ValueError(f"{self.config.model} is not conditional: it cannot draw a chosen digit")
            return self.generator.predict(z)
        labels = np.arange(len(z)) % N_CLASSES if labels is None else np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(f"labels must have shape ({len(z)},), got {labels.shape}")
        return self.generator.predict(with_label(z, labels, N_CLASSES))

    def save(self, path) -> None:
        """One .npz, written atomically: the generator in float16, the history in float32,
        the grids as uint8 grey levels, and a JSON record of the configuration."""
        arrays = {k: v.astype(np.float16) for k, v in self.generator.named_arrays(prefix="G/").items()}
        arrays.update({f"history/{k}": np.asarray(v, dtype=np.float32) for k, v in self.history.items()})
        arrays["fixed_z"] = np.asarray(self.fixed_z, dtype=np.float32)
        if self.grids is not None:
            arrays["grids"] = np.round((np.clip(self.grids, -1, 1) + 1) * 127.5).astype(np.uint8)
        meta = {"format": FORMAT, "data": DATA_PROTOCOL, "config": asdict(self.config),
                "epochs": self.epochs, "iterations_per_epoch": self.iterations_per_epoch}
        arrays["meta"] = np.array(json.dumps(meta))
        atomic_save_npz(path, arrays)

    @classmethod
    def load(cls, path) -> Pretrained:
        """Read a file written by ``save``; any damage is one ValueError line naming the file."""
        path = os.fspath(path)
        arrays = load_npz(path, "pretrained generator")
        try:
            meta = json.loads(str(arrays["meta"]))
            if meta["format"] != FORMAT or meta["data"] != DATA_PROTOCOL:
                raise ValueError(f"format {meta['format']!r}, data {meta['data']!r}: not this minigan's")
            names = {f.name for f in fields(TrainConfig)}
            config = TrainConfig(**{k: v for k, v in meta["config"].items() if k in names}).validate()
            if config.model in PAPER_MODELS:
                raise ValueError(f"model {config.model!r} is not kept this way")
            generator = MODELS[config.model][0](seed=0)
            generator.load_arrays(arrays, prefix="G/", source=path)
            epochs, per_epoch = int(meta["epochs"]), int(meta["iterations_per_epoch"])
            history = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("history/")}
            if not {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history) or any(
                    v.shape != (epochs * per_epoch,) or not np.isfinite(v).all() for v in history.values()):
                raise ValueError(f"the loss history is not {epochs} x {per_epoch} finite values")
            fixed_z = arrays["fixed_z"]
            latent = generator.input_shape[0] - (N_CLASSES if config.model in CONDITIONAL else 0)
            if fixed_z.shape != (config.grid, latent) or not np.isfinite(fixed_z).all():
                raise ValueError(f"fixed_z has shape {fixed_z.shape}, expected ({config.grid}, {latent})")
            grids = arrays.get("grids")
            if grids is not None:
                if grids.dtype != np.uint8 or grids.shape != (epochs + 1, config.grid, 1, 28, 28):
                    raise ValueError(f"grids of shape {grids.shape} and dtype {grids.dtype}")
                grids = grids.astype(np.float32) / np.float32(127.5) - np.float32(1)
        except (KeyError, TypeError, ValueError) as err:
            reason = (f"missing entry {err.args[0]!r}" if isinstance(err, KeyError)
                      else " ".join(str(err).split()))
            raise ValueError(f"{path}: not a usable pretrained generator ({reason})") from None
        return cls(config, generator, history, per_epoch, epochs, fixed_z, grids)


def load_pretrained(name: str, folder=None) -> Pretrained:
    """The shipped pretrained generator ``name`` (a key of SHIPPED), after checking that its
    file is the one data/README.md describes (SHA-256)."""
    if name not in SHIPPED:
        raise ValueError(f"name must be one of {', '.join(SHIPPED) or '(none shipped)'}, got {name!r}")
    filename, expected = SHIPPED[name]
    path = Path(folder or CHECKPOINT_DIR) / filename
    if not path.is_file():
        raise ValueError(f"{path}: pretrained generator not found (train it: "
                         f"python -m minigan.experiments.pretrained {name})")
    if sha256(path) != expected:
        raise ValueError(f"{path}: SHA-256 differs from data/README.md's (a changed or damaged file)")
    return Pretrained.load(path)


def train_recipe(name: str, progress: bool = True, checkpoint=None) -> Pretrained:
    """Train recipe ``name`` (RECIPES) from scratch, with a progress bar per epoch; the full
    run's checkpoint is also written to ``checkpoint`` if given."""
    from tqdm.auto import tqdm

    if name not in RECIPES:
        raise ValueError(f"name must be one of {', '.join(RECIPES)}, got {name!r}")
    recipe = RECIPES[name]
    run = MnistRun(TrainConfig(**recipe["config"]))
    grids = [run.samples()] if recipe["grids"] else None
    while run.epoch < run.config.epochs:
        with tqdm(total=run.iterations_per_epoch, desc=f"{name}, epoch {run.epoch + 1}/{run.config.epochs}",
                  unit="it", disable=not progress, mininterval=1) as bar:
            run.train_epoch(bar)
        if grids is not None:
            grids.append(run.samples())
    if checkpoint is not None:
        run.save(checkpoint)
    return Pretrained.from_run(run, grids)


if __name__ == "__main__":  # python -m minigan.experiments.pretrained NAME [OUT.npz [FULL_CHECKPOINT.npz]]
    import time

    import minigan

    minigan.kernels.use("numba")
    which = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else CHECKPOINT_DIR / f"{which}.npz"
    start = time.perf_counter()
    trained = train_recipe(which, checkpoint=sys.argv[3] if len(sys.argv) > 3 else None)
    trained.save(out)
    print(f"{which}: {trained.epochs} epochs, {trained.iterations} iterations in "
          f"{time.perf_counter() - start:.0f} s; wrote {out} ({os.path.getsize(out):,} bytes, "
          f"SHA-256 {sha256(Path(out))})")
