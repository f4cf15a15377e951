"""The GAN training loop: Algorithm 1's k discriminator steps, which parameters each half
updates, the recorded history, and the divergence guard."""

import numpy as np
import pytest

from minigan import SGD, Adam
from minigan.gan import GANTrainer, TrainingDiverged, grad_norm
from minigan.models import toy_discriminator, toy_generator


def make_trainer(k=1, loss="non_saturating", guard=True, lr=1e-3):
    G, D = toy_generator(seed=1), toy_discriminator(seed=2)
    data_calls = []

    def sample_data(n, rng):
        data_calls.append(n)
        return rng.normal(0.0, 1.0, (n, 1))

    trainer = GANTrainer(G, D, Adam(G.parameters(), lr), Adam(D.parameters(), lr), sample_data,
                         lambda n, rng: rng.standard_normal((n, 1)), loss=loss, k=k,
                         batch_size=16, rng=0, guard=guard)
    return trainer, data_calls


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_steps_per_iteration(k):
    trainer, data_calls = make_trainer(k=k)
    for _ in range(4):
        trainer.step()
    assert len(data_calls) == 4 * k  # one real batch per discriminator step
    assert trainer.d_opt.t == 4 * k and trainer.g_opt.t == 4
    assert all(len(v) == 4 for v in trainer.history.values())


def test_each_half_updates_only_its_own_network():
    trainer, _ = make_trainer()
    G_before = [p.value.copy() for p in trainer.G.parameters()]
    D_before = [p.value.copy() for p in trainer.D.parameters()]
    trainer.discriminator_step()
    assert all(np.array_equal(p.value, b) for p, b in zip(trainer.G.parameters(), G_before, strict=True))
    assert all(not np.array_equal(p.value, b) for p, b in zip(trainer.D.parameters(), D_before, strict=True))
    D_after = [p.value.copy() for p in trainer.D.parameters()]
    trainer.generator_step()
    assert all(np.array_equal(p.value, b) for p, b in zip(trainer.D.parameters(), D_after, strict=True))
    assert any(not np.array_equal(p.value, b) for p, b in zip(trainer.G.parameters(), G_before, strict=True))


def test_generator_step_gradient_equals_the_loss_gradient_through_D(rng):
    """The trainer's G gradient is the gradient of the generator loss through D: compare
    with a central difference of the same loss on the same noise, in one parameter."""
    trainer, _ = make_trainer()
    z = rng.standard_normal((16, 1))
    trainer.sample_noise = lambda n, r: z
    trainer.g_opt = SGD(trainer.G.parameters(), lr=1e-12)  # a step too small to matter
    trainer.generator_step()
    W = trainer.G.layers[0].params["W"]
    analytic = trainer.G.layers[0].grads["W"][0, 3]

    from minigan.losses import generator_loss

    def loss():
        return generator_loss(trainer.D.predict(trainer.G.predict(z, True), True), "non_saturating")[0]

    h = 1e-6
    W[0, 3] += h
    up = loss()
    W[0, 3] -= 2 * h
    down = loss()
    W[0, 3] += h
    assert analytic == pytest.approx((up - down) / (2 * h), rel=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_the_generator_step_skips_only_gradients_nobody_uses(backend):
    """D's parameter gradients in G's step would be thrown away, so D leaves its grads as
    they are (a sentinel survives), while G gets exactly the gradient of a backward that
    computes them all."""
    from minigan import kernels

    with kernels.backend(backend):
        trainer, _ = make_trainer()
        trainer.discriminator_step()
        z = np.random.default_rng(5).standard_normal((16, 1))
        trainer.sample_noise = lambda n, r: z
        for p in trainer.D.parameters():
            p.grad.fill(7.0)
        trainer.g_opt.step = lambda: None  # keep G's weights for the second pass
        trainer.generator_step()
        assert all(np.all(p.grad == 7.0) for p in trainer.D.parameters())
        skipped = [p.grad.copy() for p in trainer.G.parameters()]

        from minigan.losses import generator_loss

        trainer.G.zero_grad()
        logits = trainer.D.forward(trainer.G.forward(z, training=True), training=True)
        dlogits = generator_loss(logits, "non_saturating")[1]
        trainer.G.backward(trainer.D.backward(dlogits), need_input_grad=False)  # everything
        assert not all(np.all(p.grad == 7.0) for p in trainer.D.parameters())
        for p, g in zip(trainer.G.parameters(), skipped, strict=True):
            np.testing.assert_array_equal(p.grad, g)


def test_history_records_sensible_values():
    trainer, _ = make_trainer()
    record = trainer.step()
    assert set(record) == set(GANTrainer.RECORDED)
    assert 0 < record["d_real"] < 1 and 0 < record["d_fake"] < 1
    assert record["g_grad_norm"] > 0 and record["d_grad_norm"] > 0
    assert record["g_grad_norm"] == pytest.approx(grad_norm(trainer.G))


def test_divergence_restores_the_last_good_state():
    trainer, _ = make_trainer()
    for _ in range(3):
        trainer.step()
    good = trainer.snapshot()
    real_sampler = trainer.sample_data
    trainer.sample_data = lambda n, rng: np.full((n, 1), np.nan)
    with pytest.raises(TrainingDiverged, match="diverged at iteration 4.*restored"):
        trainer.step()
    assert trainer.iteration == 3 and len(trainer.history["d_loss"]) == 3
    for p, v in zip(trainer.G.parameters(), good["G"], strict=True):
        np.testing.assert_array_equal(p.value, v)
    for p, v in zip(trainer.D.parameters(), good["D"], strict=True):
        np.testing.assert_array_equal(p.value, v)
    assert trainer.d_opt.t == good["d_opt"]["t"]
    trainer.sample_data = real_sampler
    trainer.step()  # the models are usable again: no stale caches
    assert trainer.iteration == 4


def test_exploding_parameters_are_caught():
    trainer, _ = make_trainer()
    trainer.g_opt = SGD(trainer.G.parameters(), lr=1e308)
    with pytest.raises(TrainingDiverged):
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(5):  # parameters of ~1e306 overflow within a step or two
                trainer.step()
    assert trainer.iteration < 5
    assert all(np.isfinite(p.value).all() for p in trainer.G.parameters())


def test_bad_arguments():
    G, D = toy_generator(), toy_discriminator()
    opt = Adam(G.parameters())
    with pytest.raises(ValueError, match="k .* must be a positive integer, got 0"):
        GANTrainer(G, D, opt, opt, None, None, k=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        GANTrainer(G, D, opt, opt, None, None, batch_size=0)
    with pytest.raises(ValueError, match="generator loss must be one of"):
        GANTrainer(G, D, opt, opt, None, None, loss="minimax")


def test_one_sided_label_smoothing():
    """With real_label = 0.9 the discriminator's real-batch target is 0.9: its loss on the
    first real batch is the cross-entropy against 0.9, not 1."""
    from minigan.losses import bce_with_logits

    trainer, _ = make_trainer()
    smooth, _ = make_trainer()
    smooth.real_label = 0.9
    x = trainer.sample_data(16, np.random.default_rng(5))
    logits = trainer.D.predict(x, training=True)
    assert bce_with_logits(logits, 0.9)[0] != bce_with_logits(logits, 1.0)[0]
    d_plain, d_smooth = trainer.discriminator_step()[0], smooth.discriminator_step()[0]
    assert d_plain != d_smooth  # same weights, same noise: only the target differs
    G, D = toy_generator(), toy_discriminator()
    with pytest.raises(ValueError, match=r"real_label must be in \(0.5, 1\], got 0.4"):
        GANTrainer(G, D, Adam(G.parameters()), Adam(D.parameters()), None, None, real_label=0.4)


def _simultaneous_pair():
    """A small G and a D with dropout on its input and hidden layer, fixed samplers, SGD."""
    from minigan.layers import Dense, Dropout, LeakyReLU
    from minigan.network import Sequential

    G = toy_generator(seed=1)
    D = Sequential([Dropout(0.2, rng=7), Dense(1, 8, rng=3), LeakyReLU(0.2), Dropout(0.5, rng=8),
                    Dense(8, 1, rng=4)], input_shape=(1,))
    x = np.random.default_rng(10).normal(0.0, 1.0, (16, 1))
    z = np.random.default_rng(11).standard_normal((16, 1))
    return G, D, (lambda n, rng: x), (lambda n, rng: z), x


def test_simultaneous_update_takes_both_gradients_at_the_same_D():
    """The paper's update equals Algorithm 1's two halves each run from the *same* starting
    point: D's half as a discriminator step, G's half as a generator step against the old D
    and the same dropout masks of D's fake pass."""
    import copy

    from minigan.gan import SimultaneousGANTrainer

    G, D, data, noise, x = _simultaneous_pair()
    halves = []
    for _ in range(2):
        g, d = copy.deepcopy(G), copy.deepcopy(D)
        halves.append(GANTrainer(g, d, SGD(g.parameters(), 0.1, momentum=0.5),
                                 SGD(d.parameters(), 0.1, momentum=0.5), data, noise, rng=0, batch_size=16))
    half_d, half_g = halves
    both = SimultaneousGANTrainer(G, D, SGD(G.parameters(), 0.1, momentum=0.5),
                                  SGD(D.parameters(), 0.1, momentum=0.5), data, noise, rng=0, batch_size=16)
    record = both.step()
    half_d.discriminator_step()
    half_g.D.forward(x, training=True, remember=False)  # D's real pass draws its masks first
    half_g.generator_step()
    for p, q in zip(both.D.parameters(), half_d.D.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    for p, q in zip(both.G.parameters(), half_g.G.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    assert set(record) == set(GANTrainer.RECORDED) and 0 < record["d_fake"] < 1


@pytest.mark.parametrize("k, pack", [(2, 1), (1, 2)])
def test_simultaneous_update_refuses_k_and_pack(k, pack):
    from minigan.gan import SimultaneousGANTrainer

    G, D, data, noise, _ = _simultaneous_pair()
    with pytest.raises(ValueError, match=f"k and pack must be 1 .*got k={k}, pack={pack}"):
        SimultaneousGANTrainer(G, D, SGD(G.parameters(), 0.1), SGD(D.parameters(), 0.1), data, noise,
                               k=k, pack=pack)
