"""ObjectiveGANTrainer (every objective, R1 and Roth penalties) and WGANGPTrainer."""

import numpy as np
import pytest

from minigan.double_backward import InputGradient, r1_penalty, roth_penalty
from minigan.gan import GANTrainer
from minigan.gradcheck import trainer_checks
from minigan.layers import BatchNorm, Dense, LeakyReLU
from minigan.models import toy_discriminator, toy_generator
from minigan.network import Sequential
from minigan.optim import SGD, Adam
from minigan.trainers import OBJECTIVES, ObjectiveGANTrainer, get_objective
from minigan.wgan import WGANGPTrainer


def _data(n, rng):
    return rng.normal(0.0, 1.0, (n, 1))


def _noise(n, rng):
    return rng.standard_normal((n, 1))


def _trainer(loss="non_saturating", cls=ObjectiveGANTrainer, seed=0, **kw):
    G, D = toy_generator(1, 1, 8, seed=seed + 1), toy_discriminator(1, 8, seed=seed + 2)
    return cls(G, D, Adam(G.parameters(), 1e-3), Adam(D.parameters(), 1e-3), _data, _noise, loss,
               batch_size=16, rng=seed + 3, **kw)


def test_bce_objectives_reproduce_gan_trainer_exactly():
    # same weights, same random numbers: the new trainer's BCE path is GANTrainer's
    for loss in ("saturating", "non_saturating"):
        a, b = _trainer(loss, GANTrainer), _trainer(loss)
        for _ in range(5):
            a.step(), b.step()
        pa, pb = a.G.parameters() + a.D.parameters(), b.G.parameters() + b.D.parameters()
        for p, q in zip(pa, pb, strict=True):
            np.testing.assert_array_equal(p.value, q.value)


def test_fgan_gan_is_the_non_saturating_gan():
    # f-GAN's "gan" row with the alternative G loss is BCE + the non-saturating loss (to rounding)
    a, b = _trainer("non_saturating"), _trainer("fgan-gan")
    for _ in range(5):
        ra, rb = a.step(), b.step()
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert rb[key] == pytest.approx(ra[key], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("loss", OBJECTIVES)
def test_every_objective_trains_finite_and_moves_both_players(loss):
    t = _trainer(loss)
    before = [p.value.copy() for p in t.G.parameters() + t.D.parameters()]
    for _ in range(3):
        rec = t.step()
    assert all(np.isfinite(v) for v in rec.values()) and rec["penalty"] == 0.0
    after = t.G.parameters() + t.D.parameters()
    moved = [not np.array_equal(b, p.value) for b, p in zip(before, after, strict=True)
             if p.name.endswith("W")]
    assert all(moved)


def test_objective_gradients_reach_D_as_the_losses_say():
    # one D step's gradient equals dL_D/dtheta assembled by hand from the objective's losses
    for loss in ("lsgan_theorem1", "hinge", "fgan_pearson"):
        t = _trainer(loss)
        t.d_opt = SGD(t.D.parameters(), lr=1e-300)  # a step that changes nothing: grads stay readable
        rng_state = t.rng.bit_generator.state
        t.discriminator_step()
        grads = {p.name: p.grad.copy() for p in t.D.parameters()}
        t.rng.bit_generator.state = rng_state
        x, fake = _data(16, t.rng), t.G.forward(_noise(16, t.rng), remember=False)
        t.D.zero_grad()
        obj = get_objective(loss)
        _, dr, df = obj.d_loss(t.D.predict(x, True), t.D.predict(fake, True))
        t.D.forward(x), t.D.backward(dr, need_input_grad=False)
        t.D.forward(fake), t.D.backward(df, need_input_grad=False)
        for p in t.D.parameters():
            np.testing.assert_allclose(grads[p.name], p.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("penalty", ["r1", "roth"])
def test_penalty_is_added_to_D_gradient(penalty):
    t = _trainer("non_saturating", penalty=penalty, gamma=3.0)
    plain = _trainer("non_saturating")
    for tr in (t, plain):
        tr.d_opt = SGD(tr.D.parameters(), lr=1e-300)
    state = t.rng.bit_generator.state
    t.discriminator_step(), plain.discriminator_step()
    t.rng.bit_generator.state = state
    x, fake = _data(16, t.rng), t.G.forward(_noise(16, t.rng), remember=False)
    value, grads = (r1_penalty(t.D, x, 3.0, accumulate=False)[:2] if penalty == "r1"
                    else roth_penalty(t.D, x, fake, 3.0, accumulate=False))
    assert t.last_penalty == pytest.approx(value, rel=1e-12) and value > 0
    for p, q in zip(t.D.parameters(), plain.D.parameters(), strict=True):
        np.testing.assert_allclose(p.grad - q.grad, grads[p.name], rtol=1e-9, atol=1e-13)


def test_roth_penalty_value_by_formula():
    rng = np.random.default_rng(5)
    D = toy_discriminator(2, 6, seed=4)
    xr, xf = rng.standard_normal((7, 2)), rng.standard_normal((5, 2)) + 1
    value, _ = roth_penalty(D, xr, xf, 4.0, accumulate=False)

    def part(x, weight):
        ig = InputGradient(D, x)
        return np.mean(weight(ig.output[:, 0]) * np.sum(ig.value ** 2, axis=1))

    def sig(v):
        return 1 / (1 + np.exp(-v))

    expected = 2.0 * (part(xr, lambda s: (1 - sig(s)) ** 2) + part(xf, lambda s: sig(s) ** 2))
    assert value == pytest.approx(expected, rel=1e-12)


def test_gradcheck_rows_of_the_trainers_pass():
    rows = trainer_checks(seed=2)
    assert len(rows) == 3 and all(r.passed for r in rows), [(r.name, r.rel_error) for r in rows]
    assert all(r.checked > 20 for r in rows)


def test_wgan_gp_linear_critic_reaches_the_penalised_optimum():
    # critic f(x) = w x + b, p = N(0, 1), q = N(4, 0.25): L = w (E_q x - E_p x) + lam (|w| - 1)^2
    # has its minimum at w = -1 - 2 / lam (= -1.2 for lam = 10): the slope held near 1 in norm.
    # (|w| makes it non-convex: from w > 0 descent stops at the local minimum w = 1 - 2 / lam.)
    G = Sequential([Dense(1, 1, rng=np.random.default_rng(0))], (1,), "G")
    G.layers[0].params["W"][...] = 0.5
    G.layers[0].params["b"][...] = 4.0
    critic = Sequential([Dense(1, 1, rng=np.random.default_rng(1))], (1,), "critic")
    critic.layers[0].params["W"][...] = -0.1
    t = WGANGPTrainer(G, critic, SGD(G.parameters(), 1e-300), SGD(critic.parameters(), 0.02), _data, _noise,
                      n_critic=1, lam=10.0, batch_size=2000, rng=3)
    for _ in range(300):
        t.critic_step()
    w = float(critic.layers[0].params["W"][0, 0])
    assert w == pytest.approx(-1.2, abs=0.03)
    assert t.last_norm == pytest.approx(1.2, abs=0.03)


def test_wgan_gp_trains_and_records():
    G, C = toy_generator(1, 1, 8, seed=1), toy_discriminator(1, 8, seed=2)
    t = WGANGPTrainer(G, C, Adam(G.parameters(), 1e-4, betas=(0.5, 0.9)),
                      Adam(C.parameters(), 1e-4, betas=(0.5, 0.9)), _data, _noise, batch_size=16)
    for _ in range(3):
        rec = t.step()
    assert set(rec) == set(WGANGPTrainer.RECORDED) and rec["penalty"] > 0
    assert len(t.history["grad_norm_mean"]) == 3


def _bn_critic():
    rng = np.random.default_rng(0)
    return Sequential([Dense(1, 4, rng=rng), BatchNorm(4), LeakyReLU(0.2), Dense(4, 1, rng=rng)], (1,), "bn")


def test_refusals_are_one_line_and_name_the_argument():
    G = toy_generator(1, 1, 8, seed=1)
    cases = [
        (lambda: _trainer("wasserstein"), "loss must be one of"),
        (lambda: _trainer("hinge", penalty="r1", gamma=-1.0), "gamma"),
        (lambda: _trainer("hinge", penalty="r3"), "penalty must be"),
        (lambda: _trainer("lsgan", real_label=0.9), "real_label"),
        (lambda: _trainer("fgan_kl", fgan_generator="both"), "fgan_generator"),
        (lambda: ObjectiveGANTrainer(G, _bn_critic(), Adam(G.parameters()), Adam(_bn_critic().parameters()),
                                     _data, _noise, "hinge", penalty="r1"), "BatchNorm"),
        (lambda: WGANGPTrainer(G, _bn_critic(), Adam(G.parameters()), Adam(_bn_critic().parameters()),
                               _data, _noise), "BatchNorm"),
        (lambda: WGANGPTrainer(G, toy_discriminator(1, 4), Adam(G.parameters()),
                               Adam(toy_discriminator(1, 4).parameters()), _data, _noise, lam=-10), "lam"),
    ]
    for make, word in cases:
        with pytest.raises(ValueError, match=word) as info:
            make()
        assert "\n" not in str(info.value)
