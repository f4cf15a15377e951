"""Unrolled GAN: the exact gradient through K SGD steps of D against finite differences."""

import numpy as np
import pytest

from minigan.gradcheck import rel_error
from minigan.layers import Dense, LeakyReLU, Sigmoid, Tanh
from minigan.models import toy_discriminator, toy_generator
from minigan.network import Sequential
from minigan.optim import SGD, Adam
from minigan.trainers import ObjectiveGANTrainer
from minigan.unrolled import (
    UnrolledGANTrainer,
    loss_grad,
    parameters_of,
    unrolled_generator_backward,
    unrolled_loss,
)


def _data(n, rng):
    return rng.normal(1.0, 0.5, (n, 2))


def _noise(n, rng):
    return rng.standard_normal((n, 2))


def _smooth_pair(seed=0, pack=2):
    # smooth activations only: no kink for a finite difference to cross, and Tanh/Sigmoid
    # exercise the curvature term s''(a) of the R-operator
    rng = np.random.default_rng(seed)
    f64 = np.float64
    G = Sequential([Dense(2, 5, rng=rng, dtype=f64), Tanh(), Dense(5, 2, rng=rng, dtype=f64)], (2,), "G")
    D = Sequential([Dense(2 * pack, 6, rng=rng, dtype=f64), Tanh(), Dense(6, 5, rng=rng, dtype=f64),
                    Sigmoid(), Dense(5, 1, rng=rng, dtype=f64)], (2 * pack,), "D")
    return G, D


def _trainer(loss="non_saturating", exact=True, k=3, pack=2, unroll="sgd", seed=0):
    G, D = _smooth_pair(seed, pack)
    return UnrolledGANTrainer(G, D, SGD(G.parameters(), 0.1), Adam(D.parameters(), 0.05), _data, _noise,
                              loss, unroll_steps=k, exact=exact, unroll=unroll, unroll_lr=0.5, batch_size=4,
                              rng=seed, pack=pack)


def _fixed_batches(t, rng):
    m = t.batch_size * t.pack
    noises = [_noise(m, rng) for _ in range(t.unroll_steps)]
    batches = [(t.packed(_data(m, rng)), t.packed(t.G.forward(z, remember=False))) for z in noises]
    return batches, noises, _noise(m, rng)


@pytest.mark.parametrize("loss", ["non_saturating", "lsgan_theorem1"])
def test_exact_unrolled_gradient_matches_finite_differences(loss):
    t = _trainer(loss)
    rng = np.random.default_rng(7)
    theta = parameters_of(t.D)
    batches, noises, z_g = _fixed_batches(t, rng)
    for p in t.G.parameters():
        p.grad.fill(0)
    unrolled_generator_backward(t, theta, batches, noises, z_g)
    h = 1e-5
    worst = 0.0
    for p in t.G.parameters():
        numeric = np.zeros_like(p.value)
        for idx in np.ndindex(p.value.shape):
            old = p.value[idx]
            p.value[idx] = old + h
            up = unrolled_loss(t, theta, batches, noises, z_g)
            p.value[idx] = old - h
            down = unrolled_loss(t, theta, batches, noises, z_g)
            p.value[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        worst = max(worst, rel_error(p.grad, numeric))
    assert worst < 1e-7


def test_approximation_differs_from_exact_and_ignores_the_unrolled_dependence():
    exact, approx = _trainer(exact=True), _trainer(exact=False)
    rng = np.random.default_rng(3)
    theta = parameters_of(exact.D)
    batches, noises, z_g = _fixed_batches(exact, rng)
    grads = []
    for t in (exact, approx):
        for p in t.G.parameters():
            p.grad.fill(0)
        unrolled_generator_backward(t, theta, batches, noises, z_g)
        grads.append(np.concatenate([p.grad.ravel() for p in t.G.parameters()]))
    # the second-order term is not negligible here, and the approximation is the gradient
    # through D_{theta_K} with theta_K held fixed
    assert rel_error(grads[0], grads[1]) > 1e-3
    thetas, _ = approx._unroll(theta, batches)
    for p in approx.G.parameters():
        p.grad.fill(0)
    fake = approx.G.forward(z_g)
    _, dlogits = approx.objective.g_loss(_logits(approx, thetas[-1], fake))
    _, _, dx, _, _ = loss_grad(approx.D, thetas[-1], approx.packed(fake), lambda s: (0.0, dlogits, None))
    approx.G.backward(approx.unpacked(dx), need_input_grad=False)
    direct = np.concatenate([p.grad.ravel() for p in approx.G.parameters()])
    np.testing.assert_allclose(grads[1], direct, rtol=1e-12)


def _logits(t, theta, fake):
    from minigan.unrolled import _forward
    return _forward(t.D, theta, t.packed(fake))[-1]


def test_zero_unrolling_steps_is_the_plain_generator_step():
    a = _trainer(k=0, pack=1)
    G, D = _smooth_pair(0, pack=1)
    b = ObjectiveGANTrainer(G, D, SGD(G.parameters(), 0.1), Adam(D.parameters(), 0.05), _data, _noise,
                            "non_saturating", batch_size=4, rng=0, pack=1)
    for _ in range(3):
        ra, rb = a.step(), b.step()
    assert ra["g_loss"] == pytest.approx(rb["g_loss"], rel=1e-12)
    for p, q in zip(a.G.parameters(), b.G.parameters(), strict=True):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-12)


def test_unrolled_trainer_runs_on_the_toy_models_with_adam_and_sgd():
    for unroll, exact in (("sgd", True), ("sgd", False), ("adam", False)):
        G, D = toy_generator(2, 2, 8, seed=1, activation="leaky_relu"), toy_discriminator(2, 8, seed=2)
        t = UnrolledGANTrainer(G, D, Adam(G.parameters(), 1e-3), Adam(D.parameters(), 1e-3), _data, _noise,
                               unroll_steps=2, unroll=unroll, exact=exact, batch_size=8)
        rec = t.step()
        assert np.isfinite(rec["unrolled_d_loss"]) and rec["g_grad_norm"] > 0


def test_unrolled_refusals():
    G, D = _smooth_pair()
    bad = [(dict(unroll="adam", exact=True), "exact gradient through Adam"),
           (dict(unroll_steps=-1), "unroll_steps"), (dict(unroll="rmsprop"), "unroll must be"),
           (dict(loss="fgan_kl"), "loss must be one of"), (dict(unroll_lr=-1.0), "unroll_lr")]
    for kw, word in bad:
        loss = kw.pop("loss", "non_saturating")
        with pytest.raises(ValueError, match=word):
            UnrolledGANTrainer(G, D, SGD(G.parameters(), 0.1), Adam(D.parameters()), _data, _noise, loss,
                               **kw)
    D_kink = Sequential([Dense(2, 3), LeakyReLU(0.2), Dense(3, 1)], (2,), "ok")
    UnrolledGANTrainer(G, D_kink, SGD(G.parameters(), 0.1), Adam(D_kink.parameters()), _data, _noise)
