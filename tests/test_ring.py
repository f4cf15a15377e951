"""The ring of 8 Gaussians: its sampler, the mode-coverage metric, packing (PacGAN) in the
trainer, and short seeded runs (three seeds) where packing covers more modes than a vanilla GAN."""

import numpy as np
import pytest

from minigan import SGD, Adam
from minigan.data import Ring
from minigan.experiments.ring import RingConfig, quick_config, train_ring
from minigan.gan import GANTrainer
from minigan.losses import bce_with_logits, generator_loss
from minigan.metrics import ring_report
from minigan.models import toy_discriminator, toy_generator


# ------------------------------------------------------------------------------ the data
def test_ring_centres_and_samples(rng):
    ring = Ring()
    c = ring.centres
    assert c.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 2.0)
    np.testing.assert_allclose(c[0], [2.0, 0.0])
    np.testing.assert_allclose(c[2], [0.0, 2.0], atol=1e-15)
    x = ring.sample(5000, rng)
    assert x.shape == (5000, 2) and x.dtype == np.float64
    # every sample lies near the circle: radius 2, spread 0.02
    assert np.abs(np.linalg.norm(x, axis=1) - 2).max() < 10 * 0.02


@pytest.mark.parametrize("kwargs, message", [
    ({"n_modes": 1}, "n_modes must be an integer >= 2, got 1"),
    ({"n_modes": 2.5}, "n_modes must be an integer >= 2, got 2.5"),
    ({"radius": 0.0}, "radius must be a positive number, got 0.0"),
    ({"std": -0.1}, "std must be a positive number, got -0.1"),
    ({"std": float("nan")}, "std must be a positive number, got nan"),
])
def test_ring_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Ring(**kwargs)


# ------------------------------------------------------------------------------ the metric
def test_exact_ring_samples_cover_every_mode(rng):
    ring = Ring()
    report = ring_report(ring.sample(20_000, rng), ring.centres, ring.std)
    assert report["modes_covered"] == 8
    assert sum(report["mode_counts"]) == pytest.approx(report["high_quality"] * 20_000)
    # |x - c| / std of a 2-D Gaussian sample is Rayleigh: P(|x - c| <= 3 std) = 1 - exp(-9/2)
    # = 0.9889; with 20,000 samples the binomial standard deviation is 0.0007, so 0.004 is
    # over five standard deviations
    assert report["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.004)
    # points exactly on the centres are all of high quality, shared out evenly
    exact = ring_report(np.repeat(ring.centres, 50, axis=0), ring.centres, ring.std)
    assert exact["high_quality"] == 1.0 and exact["modes_covered"] == 8
    assert exact["mode_counts"] == [50] * 8


def test_all_samples_at_one_centre_cover_one_mode(rng):
    ring = Ring()
    x = ring.centres[3] + 0.01 * rng.standard_normal((1000, 2))
    report = ring_report(x, ring.centres, ring.std)
    assert report["modes_covered"] == 1
    assert report["mode_counts"][3] == sum(report["mode_counts"]) > 990


def test_uniform_noise_has_the_predictable_high_quality_fraction(rng):
    """Uniform points in the box [-3, 3]^2 are of high quality with probability (area of the
    8 discs of radius 3 std) / (box area), as the discs neither overlap (neighbouring centres
    are 1.53 apart) nor leave the box."""
    ring = Ring(std=0.1)  # discs of radius 0.3: a fraction big enough to measure precisely
    n = 100_000
    report = ring_report(rng.uniform(-3, 3, (n, 2)), ring.centres, ring.std)
    expected = 8 * np.pi * 0.3 ** 2 / 36  # 0.0628
    # binomial standard deviation sqrt(p (1 - p) / n) = 0.00077; allow four of them
    assert report["high_quality"] == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    # each mode holds 0.8% of the samples, below a quarter of its fair share (3.1%): noise
    # spread over the plane covers no mode, however evenly
    assert report["modes_covered"] == 0


def test_a_mode_needs_a_quarter_of_its_fair_share():
    ring = Ring()
    c = ring.centres
    # 400 samples, fair share 50: mode 0 gets 388, mode 1 gets 12 (< 12.5), mode 2 gets 0
    x = np.concatenate([np.repeat(c[:1], 388, axis=0), np.repeat(c[1:2], 12, axis=0)])
    assert ring_report(x, c, ring.std)["modes_covered"] == 1
    x = np.concatenate([np.repeat(c[:1], 387, axis=0), np.repeat(c[1:2], 13, axis=0)])
    assert ring_report(x, c, ring.std)["modes_covered"] == 2


def test_ring_report_rejects_bad_input():
    c = Ring().centres
    with pytest.raises(ValueError, match="expected samples"):
        ring_report(np.zeros((5, 3)), c, 0.02)
    with pytest.raises(ValueError, match="std must be positive"):
        ring_report(np.zeros((5, 2)), c, -1.0)


# ------------------------------------------------------------------------------ packing
def make_trainer(pack, G_seed=1, D_seed=2, tanh=True, batch_size=8):
    """A tiny 2-D GAN on the ring, float64. ``tanh`` G has no kinks (for gradient checks)."""
    G = toy_generator(noise_dim=2, out_dim=2, hidden=8, seed=G_seed,
                      activation="tanh" if tanh else "leaky_relu")
    D = toy_discriminator(in_dim=2 * pack, hidden=8, seed=D_seed)
    ring = Ring()
    return GANTrainer(G, D, Adam(G.parameters(), 1e-3), Adam(D.parameters(), 1e-3), ring.sample,
                      lambda n, rng: rng.standard_normal((n, 2)), batch_size=batch_size, rng=0,
                      pack=pack)


def test_packed_discriminator_sees_pack_samples_per_row():
    trainer = make_trainer(pack=3)
    seen, real = [], []
    forward, sample = trainer.D.forward, trainer.sample_data

    def spy_forward(x, *args, **kwargs):
        seen.append(x.copy())
        return forward(x, *args, **kwargs)

    def spy_sample(n, rng):
        real.append(sample(n, rng))
        return real[-1]

    trainer.D.forward, trainer.sample_data = spy_forward, spy_sample
    trainer.step()
    # D step: real then fake, each (8, 6); G step: fakes (8, 6). 24 samples drawn per batch
    assert [x.shape for x in seen] == [(8, 6)] * 3
    assert real[0].shape == (24, 2)
    # row i of D's input is samples 3i, 3i+1, 3i+2 side by side
    np.testing.assert_array_equal(seen[0][1], np.concatenate(real[0][3:6]))
    assert trainer.D.input_shape == (6,)


def test_pack_one_is_bit_identical_to_the_plain_algorithm():
    """A trainer with pack = 1 against Algorithm 1 written out by hand with the same models,
    optimizers and random numbers: every parameter must match exactly."""
    trainer = make_trainer(pack=1, tanh=False)
    G, D = toy_generator(2, 2, 8, seed=1, activation="leaky_relu"), toy_discriminator(2, 8, seed=2)
    g_opt, d_opt = Adam(G.parameters(), 1e-3), Adam(D.parameters(), 1e-3)
    rng, ring, m = np.random.default_rng(0), Ring(), 8
    for _ in range(5):
        trainer.step()
        d_opt.zero_grad()
        x = ring.sample(m, rng)
        fake = G.forward(rng.standard_normal((m, 2)), training=True, remember=False)
        D.backward(bce_with_logits(D.forward(x), 1.0)[1], need_input_grad=False)
        D.backward(bce_with_logits(D.forward(fake), 0.0)[1], need_input_grad=False)
        d_opt.step()
        g_opt.zero_grad()
        fake = G.forward(rng.standard_normal((m, 2)), training=True)
        dlogits = generator_loss(D.forward(fake), "non_saturating")[1]
        G.backward(D.backward(dlogits), need_input_grad=False)
        g_opt.step()
    for mine, theirs in ((trainer.G, G), (trainer.D, D)):
        for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
            np.testing.assert_array_equal(p.value, q.value)


def test_generator_gradient_through_a_packed_discriminator(rng):
    """G's gradient in the trainer's generator step equals a central difference of
    L(theta_G) = generator_loss(D(pack(G(z)))) for every parameter of G (float64, tanh G
    without kinks; z fixed). A wrong unpacking (e.g. a transposed reshape) would fail."""
    pack = 2
    trainer = make_trainer(pack=pack)
    z = rng.standard_normal((8 * pack, 2))
    trainer.sample_noise = lambda n, r: z
    trainer.g_opt = SGD(trainer.G.parameters(), lr=1e-300)  # the step changes nothing
    trainer.generator_step()
    analytic = [p.grad.copy() for p in trainer.G.parameters()]

    def loss():
        fake = trainer.G.predict(z, training=True)
        return generator_loss(trainer.D.predict(fake.reshape(8, 2 * pack), True), "non_saturating")[0]

    h = 1e-6
    worst = 0.0
    for p, a in zip(trainer.G.parameters(), analytic, strict=True):
        for i in range(p.value.size):
            old = p.value.flat[i]
            p.value.flat[i] = old + h
            up = loss()
            p.value.flat[i] = old - h
            down = loss()
            p.value.flat[i] = old
            n = (up - down) / (2 * h)
            worst = max(worst, abs(a.flat[i] - n) / max(1e-8, abs(a.flat[i]) + abs(n)))
    assert worst < 1e-6
    assert any(np.abs(a).max() > 1e-4 for a in analytic)  # a real signal, not all zeros


@pytest.mark.parametrize("pack", [0, -1, 1.5, True, "2"])
def test_bad_pack_is_rejected(pack):
    G, D = toy_generator(2, 2), toy_discriminator(2)
    with pytest.raises(ValueError, match="pack .* must be a positive integer"):
        GANTrainer(G, D, Adam(G.parameters()), Adam(D.parameters()), None, None, pack=pack)


def test_a_discriminator_of_the_wrong_width_gives_a_clear_error():
    trainer = make_trainer(pack=2)
    trainer.D = toy_discriminator(in_dim=2)  # built for unpacked input
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 2\), got \(8, 4\)"):
        trainer.discriminator_step()


# ------------------------------------------------------------------------------ the remedy
def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="pack must be a positive integer, got 0"):
        RingConfig(pack=0).validate()
    with pytest.raises(ValueError, match="n_modes must be an integer >= 2, got 1"):
        RingConfig(n_modes=1).validate()
    with pytest.raises(ValueError, match="std must be a positive number, got -0.02"):
        RingConfig(std=-0.02).validate()


# PacGAN's claim itself (packed runs cover more modes than vanilla ones, over seeds 0-2 of the
# quick config) is asserted by notebook 05 (its check_packing, with planted failures in
# tests/test_lessons.py), which tests/test_notebooks.py runs on exactly that setting: training
# those six runs here as well doubled the suite's longest item. These tests need one short run.
SHORT = {"steps": 300, "snapshot_every": 50}  # 7 snapshots: more than a figure row shows


@pytest.fixture(scope="module")
def quick_runs():
    """{pack: [run of seed 0]} on the quick config, cut to 300 iterations."""
    return {pack: [train_ring(quick_config(pack=pack, seed=0, **SHORT))] for pack in (1, 2)}


@pytest.mark.slow
def test_ring_runs_are_reproducible(quick_runs):
    """A fresh run repeats the first 100 iterations of the stored one exactly."""
    again = train_ring(quick_config(pack=2, seed=0, **{**SHORT, "steps": 100}))
    first = quick_runs[2][0]["snapshots"][2]  # iteration 100
    assert first["step"] == again["snapshots"][-1]["step"] == 100
    np.testing.assert_array_equal(first["samples"], again["snapshots"][-1]["samples"])


@pytest.mark.slow
def test_ring_figures(quick_runs):
    from matplotlib.figure import Figure

    from minigan import plots

    centres = quick_runs[1][0]["centres"]
    fig = plots.ring_samples({f"pack {p}": r[0]["snapshots"] for p, r in quick_runs.items()}, centres, "t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2 * 6
    fig = plots.mode_histogram({f"pack {p}": r[0]["coverage"] for p, r in quick_runs.items()})
    assert isinstance(fig, Figure)
