"""The ring with every objective (issue 15), the published benchmark's networks, maxout, the CLI."""

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.double_backward import gradient_penalty
from minigan.experiments import ring
from minigan.experiments.ring import (
    RING_LOSSES,
    RingConfig,
    build_trainer,
    published_config,
    summarise,
    train_ring,
)
from minigan.gradcheck import check_model, input_farthest_from_kinks, safe_step
from minigan.layers import BatchNorm, Dense
from minigan.layers.maxpieces import MaxPieces
from minigan.models import ring_benchmark_discriminator, ring_benchmark_generator
from minigan.network import Sequential
from minigan.trainers import ObjectiveGANTrainer
from minigan.unrolled import UnrolledGANTrainer
from minigan.wgan import WGANGPTrainer, WGANTrainer


def test_maxout_forward_backward_by_hand():
    layer = MaxPieces(3)
    x = np.array([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]])
    out = layer.forward(x)
    np.testing.assert_array_equal(out, [[5.0, -1.0]])
    np.testing.assert_array_equal(layer.backward(np.array([[2.0, 7.0]])), [[0, 2.0, 0, 7.0, 0, 0]])
    with pytest.raises(ValueError, match="pieces"):
        MaxPieces(0)
    with pytest.raises(ValueError, match="units \\* 3"):
        MaxPieces(3).forward(np.zeros((2, 4)))


def _maxout_D(seed=1):
    D = ring_benchmark_discriminator(4, 6, 3, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for layer in D.layers:  # O(1) weights and biases: pieces well apart, a clean finite difference
        if isinstance(layer, Dense):
            shape = layer.params["W"].shape
            layer.params["W"][...] = rng.standard_normal(shape) / np.sqrt(shape[0])
            layer.params["b"][...] = 0.5 * rng.standard_normal(layer.params["b"].shape)
    return D


def test_maxout_discriminator_gradients_and_penalty():
    D = _maxout_D()
    x, margin = input_farthest_from_kinks([D], lambda r: r.standard_normal((5, 4)), 20)
    row = check_model(D, x, h=safe_step(margin))
    assert row.passed, row
    # the WGAN-GP penalty through maxout: its parameter gradient against central differences
    x_fake = x[::-1] + 0.5
    value, grads, _, _ = gradient_penalty(D, x, x_fake, 10.0, rng=0, accumulate=False)
    h = 1e-6
    for p in D.parameters():
        idx = tuple(np.unravel_index(np.argmax(np.abs(grads[p.name])), p.value.shape))
        old = p.value[idx]
        p.value[idx] = old + h
        up = gradient_penalty(D, x, x_fake, 10.0, rng=0, accumulate=False)[0]
        p.value[idx] = old - h
        down = gradient_penalty(D, x, x_fake, 10.0, rng=0, accumulate=False)[0]
        p.value[idx] = old
        assert (up - down) / (2 * h) == pytest.approx(grads[p.name][idx], rel=1e-6, abs=1e-9)


def test_published_networks_have_the_benchmark_shapes():
    G, D = ring_benchmark_generator(seed=0), ring_benchmark_discriminator(4, seed=0)
    assert [type(layer) for layer in G.layers].count(BatchNorm) == 4
    assert G.output_shapes[-1] == (2,) and D.input_shape == (4,) and D.output_shapes[-1] == (1,)
    widths = [layer.params["W"].shape for layer in D.layers if isinstance(layer, Dense)]
    assert widths == [(4, 1000), (200, 1000), (200, 1000), (200, 1)]
    w = np.concatenate([layer.params["W"].ravel() for layer in D.layers if isinstance(layer, Dense)])
    assert abs(w.std() - 0.02) < 0.001


def test_published_config_is_the_benchmark():
    c = published_config().validate()
    assert (c.radius, c.std, c.lr_d, c.lr_g, c.beta1, c.batch_size, c.eval_samples) == \
        (1.0, 0.01, 1e-4, 1e-4, 0.8, 100, 2500)
    assert c.steps == 400_000  # 400 epochs of 100,000 samples in batches of 100


def test_every_ring_loss_builds_its_trainer_and_trains():
    kinds = {"wgan_clip": WGANTrainer, "wgan_gp": WGANGPTrainer, "unrolled_exact": UnrolledGANTrainer,
             "unrolled_approx": UnrolledGANTrainer, "unrolled_adam": UnrolledGANTrainer}
    for loss in RING_LOSSES:
        c = RingConfig(loss=loss, steps=2, snapshot_every=1, eval_samples=50, plot_samples=10, g_hidden=8,
                       d_hidden=8, n_critic=2, unroll_steps=2, batch_size=8)
        run = train_ring(c)
        assert run["diverged"] is None and len(run["snapshots"]) == 3
        assert isinstance(build_trainer(c, *_small_pair(c)), kinds.get(loss, ObjectiveGANTrainer))
        assert summarise(run)["loss"] == loss


def _small_pair(c):
    from minigan.experiments.ring import _networks
    return _networks(c) + (lambda n, r: r.standard_normal((n, 2)), lambda n, r: r.standard_normal((n, 2)))


def test_published_setup_runs_briefly():
    run = train_ring(published_config(loss="hinge", steps=2, snapshot_every=1, batch_size=10,
                                      eval_samples=100))
    assert run["diverged"] is None and run["snapshots"][-1]["samples"].shape == (100, 2)


def test_ring_config_refusals():
    for kw, word in ((dict(loss="wgan"), "loss"), (dict(setup="big"), "setup"),
                     (dict(loss="wgan_gp", pack=2), "pack"), (dict(lam=-1.0), "lam")):
        with pytest.raises(ValueError, match=word):
            RingConfig(**kw).validate()


def test_cli_train_ring_with_a_loss(tmp_path, capsys):
    assert main(["train", "ring", "--loss", "lsgan", "--steps", "2", "--no-progress",
                 "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "summary.json").read_text())["runs"]
    assert rows[0]["loss"] == "lsgan" and (tmp_path / "samples.png").exists()
    assert "lsgan" in capsys.readouterr().out


def test_cli_train_ring_refuses_an_unknown_loss(tmp_path, capsys):
    assert main(["train", "ring", "--loss", "wasserstein", "--out", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "--loss for the ring must be one of" in err and "Traceback" not in err


def test_bn_discriminator_is_refused_for_wgan_gp_in_the_ring():
    c = RingConfig(loss="wgan_gp")
    D = Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], (2,), "bn")
    G = ring_benchmark_generator(seed=0)
    with pytest.raises(ValueError, match="BatchNorm"):
        build_trainer(c, G, D, None, None)


def test_over_seeds_gives_mean_and_spread_per_objective():
    rows = [{"loss": loss, "pack": pack, "seed": seed, "steps": 100, "seconds": 0.5 + seed,
             "modes_covered_end": m, "high_quality_end": q}
            for loss, pack, seed, m, q in [("vanilla", 1, 0, 3.0, 0.4), ("vanilla", 2, 0, 7.0, 0.6),
                                           ("vanilla", 1, 1, 5.0, 0.6), ("hinge", 1, 0, 2.0, 0.5)]]
    table = ring.over_seeds(rows)
    assert [(t["loss"], t["pack"], t["seeds"]) for t in table] == [
        ("vanilla", 1, [0, 1]), ("vanilla", 2, [0]), ("hinge", 1, [0])]
    vanilla = table[0]
    assert vanilla["modes_mean"] == 4.0 and vanilla["modes_std"] == pytest.approx(np.sqrt(2), rel=1e-12)
    assert vanilla["high_quality_mean"] == pytest.approx(0.5) and table[1]["modes_std"] == 0.0
    assert vanilla["ms_per_iteration"] == pytest.approx(10.0)  # (5 + 15) / 2 ms
    with pytest.raises(ValueError, match=r"seed repeated for vanilla \(pack 1\): \[0, 1, 0\]"):
        ring.over_seeds(rows + [dict(rows[0])])
