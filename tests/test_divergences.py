"""The theory of f-GAN, LSGAN and the hinge loss by quadrature: f-divergences against closed
forms, the variational bound tight at the optimal critic and strictly lower elsewhere,
LSGAN's D* and Theorem 1, the hinge loss's D* and total variation."""

import math

import numpy as np
import pytest

from minigan.divergences import (
    crossings,
    f_divergence,
    hinge_discriminator_value,
    hinge_generator_cost,
    hinge_optimal_discriminator,
    lsgan_discriminator_value,
    lsgan_generator_cost,
    lsgan_optimal_discriminator,
    lsgan_pearson,
    optimal_critic,
    optimal_logit,
    pearson_gaussians,
    squared_hellinger_gaussians,
    total_variation,
    total_variation_gaussians,
    variational_bound,
)
from minigan.fgan import FDIVERGENCES, get_divergence
from minigan.theory import Gaussian, GaussianMixture, Uniform, js_divergence, kl_gaussians

NAMES = list(FDIVERGENCES)
GAUSSIAN_PAIRS = [(0, 1, 0.7, 1.3), (-1, 0.6, 0.5, 1.0), (2, 1.5, 2, 1.5), (0, 1, 3, 1)]
MIXTURE = GaussianMixture([0.3, 0.7], [-1, 1.5], [0.5, 0.8])
PAIRS = [(Gaussian(m1, s1), Gaussian(m2, s2)) for m1, s1, m2, s2 in GAUSSIAN_PAIRS[:2]] + [
    (MIXTURE, Gaussian(0.3, 1.6)), (Gaussian(0.5, 0.6), MIXTURE)]


def _closed_form(name, m1, s1, m2, s2):
    p, q = Gaussian(m1, s1), Gaussian(m2, s2)
    return {"kl": kl_gaussians(m1, s1, m2, s2), "reverse_kl": kl_gaussians(m2, s2, m1, s1),
            "pearson": pearson_gaussians(m1, s1, m2, s2),
            "squared_hellinger": squared_hellinger_gaussians(m1, s1, m2, s2),
            # js_divergence is minigan.theory's own JSD, by a different integrand
            "js": 2 * js_divergence(p, q), "gan": 2 * js_divergence(p, q) - math.log(4)}[name]


@pytest.mark.parametrize("args", GAUSSIAN_PAIRS)
@pytest.mark.parametrize("name", NAMES)
def test_f_divergence_of_gaussians_matches_closed_forms(name, args):
    expected = _closed_form(name, *args)
    assert f_divergence(name, Gaussian(*args[:2]), Gaussian(*args[2:])) == pytest.approx(expected, abs=1e-11,
                                                                                         rel=1e-10)
    if args[:2] == args[2:]:
        assert expected == pytest.approx(-math.log(4) if name == "gan" else 0, abs=1e-12)


def test_f_divergence_of_uniforms():
    p, q = Uniform(0, 1), Uniform(-1, 2)  # p/q = 3 on [0, 1]; q has mass where p has none
    assert f_divergence("kl", p, q) == pytest.approx(math.log(3), abs=1e-12)
    assert f_divergence("reverse_kl", p, q) == math.inf
    assert f_divergence("pearson", p, q) == pytest.approx(2, abs=1e-12)  # integral p^2/q - 1 = 3 - 1
    assert f_divergence("squared_hellinger", q, p) == pytest.approx(2 - 2 / math.sqrt(3), abs=1e-12)
    assert f_divergence("squared_hellinger", p, q) == pytest.approx(2 - 2 / math.sqrt(3), abs=1e-12)
    assert f_divergence("pearson", q, p) == math.inf


@pytest.mark.parametrize("pair", range(len(PAIRS)))
@pytest.mark.parametrize("name", NAMES)
def test_variational_bound_is_tight_at_the_optimal_critic_and_lower_elsewhere(name, pair):
    p, q = PAIRS[pair]
    div = f_divergence(name, p, q)

    def v_star(x):
        return optimal_logit(name, p, q, x)

    assert variational_bound(name, p, q, v_star) == pytest.approx(div, abs=1e-10)
    # the gap is second order in a perturbation: about 4x smaller at half the size
    for h in (lambda x: 0.0 * x + 1, np.sin, lambda x: np.tanh(x - 0.5)):
        gaps = [div - variational_bound(name, p, q, lambda x, e=eps, h=h: v_star(x) + e * h(x))
                for eps in (0.1, 0.05)]
        assert gaps[1] > 1e-6 and gaps[0] > gaps[1]
        assert gaps[0] / gaps[1] == pytest.approx(4, rel=0.15)
    # a critic that knows nothing (constant logit 0) gives less still
    assert variational_bound(name, p, q, lambda x: 0.0 * x) < div


@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_is_f_prime_of_the_density_ratio(name):
    p, q = PAIRS[2]
    x = np.linspace(-3, 4, 29)
    direct = get_divergence(name).f_prime(p.pdf(x) / q.pdf(x))
    np.testing.assert_allclose(optimal_critic(name, p, q, x), direct,
                               rtol=1e-12, atol=1e-13)


def test_the_optimal_critic_of_the_gan_divergence_is_log_D_star():
    from minigan.theory import optimal_discriminator

    p, q = PAIRS[0]
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(optimal_critic("gan", p, q, x), np.log(optimal_discriminator(p, q, x)),
                               rtol=1e-13)


def test_unknown_divergence_is_refused():
    with pytest.raises(ValueError, match="divergence must be one of kl, .*, got 'tv'"):
        f_divergence("tv", Gaussian(0, 1), Gaussian(1, 1))


# ----------------------------------------------------------------------------- LSGAN
@pytest.mark.parametrize("coding", ["zero_one", "theorem1", (0.5, -2.0, 3.0)])
def test_lsgan_optimal_discriminator(coding):
    from minigan.objectives import lsgan_coding

    a, b, _ = lsgan_coding(coding)
    p, q = MIXTURE, Gaussian(0.3, 1.6)
    x = np.linspace(-3, 3, 25)
    d_star = lsgan_optimal_discriminator(p, q, x, coding)
    np.testing.assert_allclose(d_star, (b * p.pdf(x) + a * q.pdf(x)) / (p.pdf(x) + q.pdf(x)), rtol=1e-13)
    best = lsgan_discriminator_value(p, q, lambda t: lsgan_optimal_discriminator(p, q, t, coding), coding)
    for h in (lambda t: 0.0 * t + 0.1, lambda t: 0.2 * np.sin(t)):
        def perturbed(t, h=h):
            return lsgan_optimal_discriminator(p, q, t, coding) + h(t)

        worse = lsgan_discriminator_value(p, q, perturbed, coding)
        # the loss is quadratic in D: the excess is exactly 1/2 integral (p + q) h^2
        excess = lsgan_generator_cost(p, q, (0, 1, 0), D=lambda t, h=h: h(t))
        assert worse - best == pytest.approx(excess, rel=1e-9)


@pytest.mark.parametrize("pair", range(len(PAIRS)))
def test_lsgan_theorem_1_pearson_chi2(pair):
    p_data, p_g = PAIRS[pair]
    cost = lsgan_generator_cost(p_data, p_g, "theorem1")
    assert cost == pytest.approx(lsgan_pearson(p_data, p_g), abs=1e-12)
    # in f-GAN's convention: pearson(Q || M), M = (P + Q) / 2, the mixture as a density
    parts = [(w * 0.5, c) for d in (p_data, p_g) for w, c in
             (zip(d.weights, d.components, strict=True) if isinstance(d, GaussianMixture) else [(1.0, d)])]
    m = GaussianMixture([w for w, _ in parts], [c.mean for _, c in parts], [c.std for _, c in parts])
    assert cost == pytest.approx(f_divergence("pearson", p_g, m), abs=1e-12)
    assert cost > 0.01
    assert lsgan_generator_cost(p_g, p_g, "theorem1") == pytest.approx(0, abs=1e-15)


def test_lsgan_zero_one_coding_is_not_a_divergence_and_is_refused_by_the_theorem():
    p = Gaussian(0, 1)
    # with (a, b, c) = (0, 1, 1), C(G) at p_g = p_data is 1/4 (D* = 1/2 everywhere), not 0
    assert lsgan_generator_cost(p, p, "zero_one") == pytest.approx(0.25, abs=1e-14)
    with pytest.raises(ValueError, match=r"Theorem 1 needs b - c = 1 and b - a = 2, got \(a, b, c\) = "
                                         r"\(0, 1, 1\) with b - c = 0, b - a = 1"):
        lsgan_pearson(p, Gaussian(1, 1), "zero_one")
    with pytest.raises(ValueError, match="Theorem 1"):
        lsgan_pearson(p, Gaussian(1, 1), (-2, 2, 1))  # b - c = 1 but b - a = 4


# ----------------------------------------------------------------------------- hinge
@pytest.mark.parametrize("p, q, tv", [
    (Gaussian(0, 1), Gaussian(1.3, 1), total_variation_gaussians(0, 1.3, 1)),
    (Uniform(0, 1), Uniform(0.5, 1.5), 0.5),
    (MIXTURE, Gaussian(0.3, 1.6), None)])
def test_hinge_optimal_discriminator_and_total_variation(p, q, tv):
    tv_quad = total_variation(p, q)
    if tv is not None:
        assert tv_quad == pytest.approx(tv, abs=1e-12)

    def d_star(x):
        return hinge_optimal_discriminator(p, q, x)

    x = np.linspace(-3, 3, 41)
    assert np.all(d_star(x)[p.pdf(x) > q.pdf(x)] == 1) and np.all(d_star(x)[p.pdf(x) < q.pdf(x)] == -1)
    best = hinge_discriminator_value(p, q, d_star)
    assert best == pytest.approx(2 - 2 * tv_quad, abs=1e-10)
    for other in (lambda x: 0.9 * d_star(x), lambda x: np.clip(d_star(x) + 0.3, -1, 1),
                  lambda x: np.tanh(3 * (p.pdf(x) - q.pdf(x))), lambda x: 0.5 * d_star(x)):
        assert hinge_discriminator_value(p, q, other) > best + 1e-3
    # "where it matters": where p = q any D in [-1, 1] is optimal (the two uniforms overlap on [0.5, 1])
    if isinstance(p, Uniform):
        free = hinge_discriminator_value(p, q, lambda x: np.where(d_star(x) == 0, np.sin(7 * x), d_star(x)))
        assert free == pytest.approx(best, abs=1e-12)
        # and where only one density is positive, any D beyond the margin is optimal too
        assert hinge_discriminator_value(p, q, lambda x: 3 * d_star(x)) == pytest.approx(best, abs=1e-12)


def test_hinge_generator_minimises_total_variation():
    """Envelope theorem: d/dtheta of the game value max_D (-L_D) = 2 TV(P, Q_theta) - 2 equals the
    derivative of G's loss -E_{Q_theta}[D*] with D* frozen at theta. Q_theta = N(theta, 1)."""
    p = Gaussian(0, 1)
    h = 1e-4
    for theta in (-1.5, 0.4, 2.0):
        q = Gaussian(theta, 1)
        jumps = crossings(p, q)
        assert jumps == [pytest.approx(theta / 2, abs=1e-13)]

        def frozen(x, q=q):
            return hinge_optimal_discriminator(p, q, x)

        d_loss = (hinge_generator_cost(Gaussian(theta + h, 1), frozen, jumps)
                  - hinge_generator_cost(Gaussian(theta - h, 1), frozen, jumps)) / (2 * h)
        d_tv = 2 * (total_variation_gaussians(0, theta + h, 1)
                    - total_variation_gaussians(0, theta - h, 1)) / (2 * h)
        assert d_loss == pytest.approx(d_tv, rel=1e-6)
        assert np.sign(d_tv) == np.sign(theta)  # descent moves theta towards the data


# ----------------------------------------------------------------------------- losses <-> theory
def _mean_se(values):
    return float(np.mean(values)), float(np.std(values) / math.sqrt(values.size))


@pytest.mark.parametrize("name", NAMES)
def test_the_discriminator_loss_on_samples_estimates_minus_the_divergence_at_the_optimal_critic(name):
    """The batch losses of minigan.fgan are Monte Carlo estimates of -B(V); at V* they average to
    -D_f(P || Q). Each term's per-sample values give its standard error; 5 SE is the bar."""
    from minigan.fgan import fgan_discriminator_loss

    p, q = PAIRS[0]
    rng = np.random.default_rng(7)
    x_real, x_fake = p.sample(100_000, rng)[:, None], q.sample(100_000, rng)[:, None]
    v_real, v_fake = optimal_logit(name, p, q, x_real), optimal_logit(name, p, q, x_fake)
    value, _, _ = fgan_discriminator_loss(v_real, v_fake, name)
    div = get_divergence(name)
    _, se_real = _mean_se(div.activation(v_real))
    _, se_fake = _mean_se(div.conjugate_of_activation(v_fake))
    se = math.hypot(se_real, se_fake)
    assert abs(value + f_divergence(name, p, q)) < 5 * se and se < 0.02


def test_lsgan_and_hinge_losses_on_samples_estimate_their_theory():
    from minigan.objectives import hinge_discriminator_loss, lsgan_discriminator_loss

    p, q = PAIRS[2]
    rng = np.random.default_rng(8)
    x_real, x_fake = p.sample(100_000, rng)[:, None], q.sample(100_000, rng)[:, None]
    value, _, _ = lsgan_discriminator_loss(lsgan_optimal_discriminator(p, q, x_real),
                                           lsgan_optimal_discriminator(p, q, x_fake), "theorem1")
    exact = lsgan_discriminator_value(p, q, lambda x: lsgan_optimal_discriminator(p, q, x))
    # per-sample values are O(1), so with 1e5 samples a standard error is ~0.003: 0.01 is ~3 SE
    assert value == pytest.approx(exact, abs=0.01)
    value, _, _ = hinge_discriminator_loss(hinge_optimal_discriminator(p, q, x_real),
                                           hinge_optimal_discriminator(p, q, x_fake))
    assert value == pytest.approx(2 - 2 * total_variation(p, q), abs=0.01)
