"""The original paper's MNIST GAN (mnist-goodfellow2014): its networks, its optimiser and
schedule, its data, and the refusal of checkpoints trained on the old 8,000-image split."""

import json

import numpy as np
import pytest

from minigan import models
from minigan.experiments.mnist import (
    PAPER_LR_DECAY,
    MnistRun,
    TrainConfig,
    paper_momentum,
)
from minigan.gan import SimultaneousGANTrainer
from minigan.layers import Maxout
from minigan.optim import SGD


def test_the_papers_networks():
    G = models.goodfellow2014_generator(seed=0, pixel_means=np.full(784, 0.25))
    D = models.goodfellow2014_discriminator(seed=0)
    assert G.num_params() == (100 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 784 + 784, 0)
    maxouts = [layer for layer in D.layers if isinstance(layer, Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(240, 5), (240, 5)]
    assert [layer.rate for layer in D.layers if type(layer).__name__ == "Dropout"] == [0.2, 0.5, 0.5]
    # weights uniform in +-0.05 (G) and +-0.005 (D); G's output bias at logit(0.25)
    assert np.abs(G.layers[0].params["W"]).max() <= 0.05 and np.abs(G.layers[0].params["W"]).max() > 0.049
    assert np.abs(maxouts[0].params["W"]).max() <= 0.005
    np.testing.assert_allclose(G.layers[4].params["b"], np.log(0.25 / 0.75), rtol=1e-6)
    x = G.predict(np.random.default_rng(0).uniform(-1.7, 1.7, (3, 100)).astype(np.float32))
    assert x.shape == (3, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    assert D.predict(x).shape == (3, 1)


def test_momentum_schedule():
    assert paper_momentum(0) == paper_momentum(1) == 0.5
    assert paper_momentum(250) == paper_momentum(400) == pytest.approx(0.7)
    assert paper_momentum(125.5) == pytest.approx(0.6)


def test_k_other_than_one_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"k \(--k\) must be 1 for mnist-goodfellow2014.*got 3"):
        MnistRun(TrainConfig(model="mnist-goodfellow2014", k=3), data=False)


@pytest.fixture(scope="module")
def run():
    run = MnistRun(TrainConfig(model="mnist-goodfellow2014", epochs=2, train_images=200, grid=4))
    run.train_epoch()
    return run


def test_a_short_run_follows_the_papers_recipe(run):
    c, t = run.config, run.trainer
    assert (c.batch_size, c.lr_g, c.lr_d) == (100, 0.1, 0.05)
    assert isinstance(t.g_opt, SGD) and isinstance(t.d_opt, SGD) and t.iteration == 2
    assert type(t) is SimultaneousGANTrainer  # the paper's update, not Algorithm 1's alternation
    assert t.g_opt.momentum == paper_momentum(0) == 0.5
    # the rate of the last step taken (iteration 1): 0.1 / 1.000004^1
    assert t.g_opt.lr == pytest.approx(0.1 / PAPER_LR_DECAY, rel=1e-12)
    # data in [0, 1] from the first 50,000 training images; noise uniform, unit variance
    assert run.images.min() == 0 and run.images.max() == 1
    z = run.noise(20000, np.random.default_rng(0))
    assert np.abs(z).max() <= np.sqrt(3) and z.var() == pytest.approx(1, abs=0.02)
    x = run.samples()
    assert x.shape == (4, 1, 28, 28) and -1 <= x.min() and x.max() <= 1  # returned in [-1, 1]
    assert all(np.isfinite(v).all() for v in t.history.values())


def test_save_load_and_the_old_split_refused(run, tmp_path):
    path = tmp_path / "checkpoint.npz"
    run.save(path)
    loaded = MnistRun.load(path)
    np.testing.assert_array_equal(loaded.samples(), run.samples())
    # a checkpoint from before the full MNIST has no "data" entry in its metadata
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["data"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(ValueError, match="trained by an older minigan on 8,000 images of the MNIST test set"):
        MnistRun.load(tmp_path / "old.npz")
