"""The pretrained generators shipped in data/checkpoints/ (notebooks 04 and 05 load them): each is
there, matches its documented SHA-256, stays small, loads, and draws digits; a changed or damaged
file is refused in one line; and the format round-trips a run."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from minigan.experiments import pretrained
from minigan.experiments.mnist import MnistRun, TrainConfig

README = Path(__file__).resolve().parent.parent / "data" / "README.md"


def test_every_shipped_file_is_documented_small_and_loads():
    assert set(pretrained.SHIPPED) == set(pretrained.RECIPES)
    readme = README.read_text()
    for name, (filename, digest) in pretrained.SHIPPED.items():
        path = pretrained.CHECKPOINT_DIR / filename
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
        assert f"`{filename}`" in readme and digest in readme, f"data/README.md does not describe {filename}"
        assert path.stat().st_size < 2 * 2**20, f"{filename} is {path.stat().st_size:,} bytes"
        gan = pretrained.load_pretrained(name)
        recipe = pretrained.RECIPES[name]["config"]
        assert (gan.config.model, gan.epochs, gan.config.train_images, gan.config.seed) == (
            recipe["model"], recipe["epochs"], 0, 0)
        assert gan.iterations_per_epoch == 60_000 // 64 and gan.iterations == gan.epochs * 937
        x = gan.samples(np.random.default_rng(0).standard_normal((20, 32)).astype(np.float32))
        assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32 and -1 <= x.min() and x.max() <= 1
        # trained: a black background (the untrained generators draw mid-grey everywhere)
        assert np.median(x) < -0.9, (name, float(np.median(x)))
        if pretrained.RECIPES[name]["grids"]:
            assert gan.grids.shape == (gan.epochs + 1, recipe["grid"], 1, 28, 28)
            assert np.allclose(gan.grids[-1], gan.samples(), atol=1 / 127.5 + 1e-6)  # 8-bit grid


def test_a_changed_or_damaged_file_is_refused(tmp_path):
    name = "mnist-conv"
    filename, _ = pretrained.SHIPPED[name]
    changed = tmp_path / filename
    shutil.copy(pretrained.CHECKPOINT_DIR / filename, changed)
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 1
    changed.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        pretrained.load_pretrained(name, folder=tmp_path)
    changed.write_bytes(bytes(data[: len(data) // 3]))   # truncated
    with pytest.raises(ValueError, match=r"damaged or not an \.npz"):
        pretrained.Pretrained.load(changed)
    with pytest.raises(ValueError, match="name must be one of"):
        pretrained.load_pretrained("mnist-goodfellow2014")
    with pytest.raises(ValueError, match="not found"):
        pretrained.load_pretrained(name, folder=tmp_path / "nowhere")


def test_a_run_round_trips(tmp_path):
    # a run "trained" for one epoch of two iterations, without reading MNIST: random weights
    # in the averaged generator and a made-up history are all the format has to carry
    run = MnistRun(TrainConfig(model="mnist-cgan", epochs=1, grid=20), data=False)
    rng = np.random.default_rng(0)
    for value in run.sampler.named_arrays().values():
        value += rng.normal(0, 0.05, value.shape).astype(value.dtype)
    run.trainer.history = {k: list(rng.uniform(0, 1, 2)) for k in run.trainer.history}
    run.iterations_per_epoch, run.epoch = 2, 1
    grids = [run.samples(), run.samples()]
    saved = pretrained.Pretrained.from_run(run, grids)
    saved.save(tmp_path / "g.npz")
    back = pretrained.Pretrained.load(tmp_path / "g.npz")
    z = np.random.default_rng(1).standard_normal((30, 32)).astype(np.float32)
    labels = np.arange(30) % 10
    # float16 weights: the samples differ by rounding only
    assert np.max(np.abs(back.samples(z, labels) - run.samples(z, labels=labels))) < 5e-3
    assert np.array_equal(back.fixed_z, run.fixed_z) and back.history["d_loss"].shape == (2,)
    assert np.array_equal(back.history["g_loss"], np.float32(run.trainer.history["g_loss"]))
    with pytest.raises(ValueError, match="labels must have shape"):
        back.samples(z, labels[:3])
    meta_broken = dict(np.load(tmp_path / "g.npz"))
    meta_broken["history/d_loss"] = meta_broken["history/d_loss"][:1]
    np.savez(tmp_path / "h.npz", **meta_broken)
    with pytest.raises(ValueError, match="loss history"):
        pretrained.Pretrained.load(tmp_path / "h.npz")


def test_the_default_quality_classifier_is_shipped(tmp_path, monkeypatch):
    from minigan import metrics

    monkeypatch.setenv("MINIGAN_CACHE", str(tmp_path))  # an empty cache: nothing trained yet
    name = metrics.classifier_cache_path().name
    shipped = pretrained.CHECKPOINT_DIR / name
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert shipped.with_name(name + ".sha256").read_text().strip() == digest and digest in README.read_text()
    assert shipped.stat().st_size < 2 * 2**20
    model = metrics.get_classifier(progress=False)         # loaded, not trained: no training data read
    stored = np.load(shipped)
    assert all(np.array_equal(value, stored[key]) for key, value in model.named_arrays().items())
    assert not list(tmp_path.iterdir())                     # and nothing written to the cache
