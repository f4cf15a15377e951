"""The theory module against closed forms, scipy as an independent oracle, and Monte Carlo."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from minigan.functions import sigmoid
from minigan.theory import (
    Gaussian,
    GaussianMixture,
    Uniform,
    js_divergence,
    js_divergence_mc,
    kl_divergence,
    kl_divergence_mc,
    kl_gaussians,
    non_saturating_cost,
    non_saturating_cost_logits,
    optimal_discriminator,
    optimal_value,
    quad,
    saturating_cost,
    saturating_cost_logits,
    value_function,
    value_function_logits,
    value_function_mc,
)

LOG2, LOG4 = math.log(2), math.log(4)
FAMILY = [Gaussian(0, 1), Gaussian(1, 1), Gaussian(3, 0.5), Gaussian(-2, 2.5),
          GaussianMixture([0.3, 0.7], [-2, 1], [0.5, 1]), Uniform(-1, 2), Uniform(5, 6)]


@pytest.mark.parametrize("p", FAMILY, ids=repr)
def test_densities_integrate_to_one_and_match_scipy(p, rng):
    assert quad(p.pdf, p) == pytest.approx(1, abs=1e-12)
    x = np.linspace(p.interval()[0], p.interval()[1], 57)
    if isinstance(p, Gaussian):
        ref = stats.norm(p.mean, p.std)
    elif isinstance(p, Uniform):
        ref = stats.uniform(p.low, p.high - p.low)
    else:
        ref = None
    if ref is not None:
        np.testing.assert_allclose(p.pdf(x), ref.pdf(x), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(p.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-15)
    samples = p.sample(200_000, rng)
    se = p.std / math.sqrt(samples.size)
    assert abs(samples.mean() - p.mean) < 4 * se
    assert samples.std() == pytest.approx(p.std, rel=0.01)


@pytest.mark.parametrize("args", [(0, 1, 1, 1), (0, 1, 2, 0.5), (-1, 2, 3, 1.5), (0.3, 0.7, 0.3, 0.7)])
def test_kl_of_gaussians_quadrature_vs_closed_form_and_scipy(args):
    m1, s1, m2, s2 = args
    p, q = Gaussian(m1, s1), Gaussian(m2, s2)
    assert kl_divergence(p, q) == pytest.approx(kl_gaussians(*args), abs=1e-9)
    ref, _ = integrate.quad(lambda x: stats.norm.pdf(x, m1, s1) * (stats.norm.logpdf(x, m1, s1)
                                                                   - stats.norm.logpdf(x, m2, s2)),
                            -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)
    assert kl_divergence(p, q) == pytest.approx(ref, abs=1e-8)
    assert kl_divergence(p, p) == pytest.approx(0, abs=1e-14)


def test_kl_is_infinite_where_q_has_no_mass():
    assert kl_divergence(Gaussian(0, 1), Uniform(0, 1)) == math.inf
    assert kl_divergence(Uniform(0, 1), Gaussian(0, 1)) < math.inf


def test_jsd_properties_and_scipy():
    p, q = Gaussian(0, 1), Gaussian(1.5, 0.8)
    j = js_divergence(p, q)
    assert 0 < j < LOG2
    assert js_divergence(q, p) == pytest.approx(j, abs=1e-14)
    assert js_divergence(p, p) == pytest.approx(0, abs=1e-14)

    def integrand(x):
        a, b = stats.norm.pdf(x, 0, 1), stats.norm.pdf(x, 1.5, 0.8)
        m = (a + b) / 2
        return 0.5 * a * np.log(a / m) + 0.5 * b * np.log(b / m) if m > 0 else 0.0

    ref, _ = integrate.quad(integrand, -15, 15, epsabs=1e-13, epsrel=1e-13, limit=200)
    assert j == pytest.approx(ref, abs=1e-8)


@pytest.mark.parametrize("shift", [0.0, 1.5, 10.0])
def test_jsd_is_log2_for_disjoint_supports(shift):
    p, q = Uniform(0, 1), Uniform(2 + shift, 3 + shift)
    assert js_divergence(p, q) == pytest.approx(LOG2, abs=1e-12)
    assert optimal_value(p, q) == pytest.approx(0, abs=1e-12)  # -log 4 + 2 log 2


def test_optimal_discriminator_maximises_V_pointwise():
    p, q = Gaussian(0, 1), GaussianMixture([0.5, 0.5], [-1, 2], [0.7, 0.7])
    x = np.linspace(-4, 5, 91)
    a, b = p.pdf(x), q.pdf(x)
    d = optimal_discriminator(p, q, x)

    def integrand(y):
        return a * np.log(y) + b * np.log1p(-y)

    for eps in (1e-3, -1e-3):
        assert np.all(integrand(d) > integrand(np.clip(d + eps, 1e-12, 1 - 1e-12)))
    # and over whole functions D: the optimal one wins against logistic curves
    best = optimal_value(p, q)
    for w, c in [(1, 0), (-1, 0.5), (-2, 1), (0.5, -0.3)]:
        assert value_function_logits(p, q, lambda t, w=w, c=c: w * t + c) < best


def test_optimal_discriminator_where_both_vanish():
    d = optimal_discriminator(Uniform(0, 1), Uniform(2, 3), np.array([0.5, 1.5, 2.5]))
    np.testing.assert_array_equal(d, [1.0, 0.5, 0.0])


@pytest.mark.parametrize("p_g", FAMILY, ids=repr)
def test_C_of_G_equals_minus_log4_plus_2_jsd(p_g):
    p_data = Gaussian(0, 1)
    assert optimal_value(p_data, p_g) == pytest.approx(-LOG4 + 2 * js_divergence(p_data, p_g), abs=1e-8)


def test_C_of_G_minimum_is_minus_log4_at_p_data():
    p = GaussianMixture([0.4, 0.6], [0, 3], [1, 0.5])
    assert optimal_value(p, p) == pytest.approx(-LOG4, abs=1e-12)
    assert all(optimal_value(p, q) > -LOG4 for q in FAMILY)


def test_value_function_with_logits_matches_and_is_stable():
    p, q = Gaussian(0, 1), Gaussian(2, 1)

    def logit(x):
        return 1.0 - 1.3 * x

    assert value_function_logits(p, q, logit) == pytest.approx(
        value_function(p, q, lambda x: sigmoid(logit(x))), abs=1e-10)
    with np.errstate(all="raise"):
        for scale in (1000.0, -1000.0):
            assert math.isfinite(value_function_logits(p, q, lambda x, s=scale: s * np.sign(x - 1)))


def test_quadrature_agrees_with_monte_carlo_within_three_standard_errors(rng):
    p, q = Gaussian(0, 1), GaussianMixture([0.5, 0.5], [1, 3], [1, 0.5])
    for exact, (est, se) in [(kl_divergence(p, q), kl_divergence_mc(p, q, 50_000, rng)),
                             (js_divergence(p, q), js_divergence_mc(p, q, 50_000, rng))]:
        assert abs(est - exact) < 3 * se, (exact, est, se)

    def D(x):
        return sigmoid(0.5 - 0.8 * x)

    est, se = value_function_mc(p.sample(50_000, rng), q.sample(50_000, rng), D)
    assert abs(est - value_function(p, q, D)) < 3 * se


def test_arjovsky_bottou_gradient_identity():
    """With D = D*_{theta0} held fixed, d/dtheta E_{p_theta}[-log D] equals
    d/dtheta [KL(p_theta || p_data) - 2 JSD(p_theta || p_data)] at theta0."""
    p_data, theta0, h = Gaussian(0, 1), 1.5, 1e-4

    def D(x):
        return optimal_discriminator(p_data, Gaussian(theta0, 1), x)

    lhs = (non_saturating_cost(Gaussian(theta0 + h, 1), D)
           - non_saturating_cost(Gaussian(theta0 - h, 1), D)) / (2 * h)

    def objective(t):
        return kl_divergence(Gaussian(t, 1), p_data) - 2 * js_divergence(Gaussian(t, 1), p_data)

    rhs = (objective(theta0 + h) - objective(theta0 - h)) / (2 * h)
    assert lhs == pytest.approx(rhs, abs=1e-6)
    assert saturating_cost(Gaussian(theta0, 1), D) < 0 < non_saturating_cost(Gaussian(theta0, 1), D)


@pytest.mark.parametrize("make, message", [
    (lambda: Gaussian(0, -1), "std must be a positive number, got -1"),
    (lambda: Gaussian(float("nan"), 1), "mean must be a finite number"),
    (lambda: Uniform(2, 1), "low must be less than high"),
    (lambda: GaussianMixture([0.5, 0.6], [0, 1], [1, 1]), "weights must be non-negative and sum to 1"),
    (lambda: GaussianMixture([1.0], [0, 1], [1, 1]), "one length"),
    (lambda: kl_gaussians(0, 0, 0, 1), "std1 must be a positive number"),
])
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ------------------------------------------------------------------ the far tails
def test_far_tails_stay_finite_and_exact():
    # the densities underflow long before their ratio does: N(0, 0.1) at x = 4 is ~1e-348
    wide, narrow = Gaussian(0, 10), Gaussian(0, 0.1)
    assert kl_divergence(wide, narrow) == pytest.approx(kl_gaussians(0, 10, 0, 0.1), rel=1e-12)
    assert kl_divergence(narrow, wide) == pytest.approx(kl_gaussians(0, 0.1, 0, 10), rel=1e-10)
    # D* of N(0,1) vs N(2,1) is sigmoid(2 - 2x) in closed form, also at x = +-100
    x = np.array([-100.0, -30.0, 0.0, 1.0, 30.0, 100.0])
    expected = sigmoid(2.0 - 2.0 * x)
    np.testing.assert_allclose(optimal_discriminator(Gaussian(0, 1), Gaussian(2, 1), x), expected,
                               rtol=1e-12, atol=0)
    # CDF's lower tail keeps its relative accuracy (1 + erf(-u) would round to 0)
    np.testing.assert_allclose(Gaussian(0, 1).cdf(np.array([-10.0, -30.0])),
                               stats.norm.cdf([-10.0, -30.0]), rtol=1e-12)


def test_a_narrow_component_of_a_wide_mixture_is_integrated():
    # one grid of 400 panels over [-112, 62] would put at most a node or two on N(50, 1e-3)
    mix = GaussianMixture([0.5, 0.5], [0, 50], [10, 1e-3])
    assert quad(mix.pdf, mix) == pytest.approx(1, abs=1e-12)
    assert js_divergence(mix, Gaussian(0, 10)) == pytest.approx(
        js_divergence_by_scipy(mix, Gaussian(0, 10)), abs=1e-10)


def js_divergence_by_scipy(p, q):
    """The JSD by adaptive quadrature, split at the narrow component so scipy sees it."""
    def f(x):
        a, b = p.pdf(x), q.pdf(x)
        m = 0.5 * (a + b)
        return 0.5 * (a * math.log(a / m) if a > 0 else 0) + 0.5 * (b * math.log(b / m) if b > 0 else 0)

    pieces = [(-150, 49.9), (49.9, 49.99), (49.99, 50.01), (50.01, 50.1), (50.1, 150)]
    return sum(integrate.quad(f, a, b, epsabs=1e-13, epsrel=1e-12, limit=500)[0] for a, b in pieces)


def test_generator_costs_with_logits_match_and_stay_finite():
    p_data = Gaussian(0, 1)
    for theta in (1.0, 3.0):
        p_g = Gaussian(theta, 1)

        def D(x, p_g=p_g):
            return optimal_discriminator(p_data, p_g, x)

        def logit(x, p_g=p_g):
            return p_data.logpdf(x) - p_g.logpdf(x)

        assert saturating_cost_logits(p_g, logit) == pytest.approx(saturating_cost(p_g, D), rel=1e-10)
        assert non_saturating_cost_logits(p_g, logit) == pytest.approx(non_saturating_cost(p_g, D),
                                                                       rel=1e-10)
    # far from the data D* rounds to 0 inside p_g's mass: the probability form gives inf,
    # the logit form the exact value. For unit Gaussians the logit is theta^2/2 - theta x,
    # so E_{p_g}[softplus(-s)] ~ E[theta x - theta^2/2] = theta^2/2 when that is large.
    theta = 40.0
    p_g = Gaussian(theta, 1)
    assert non_saturating_cost(p_g, lambda x: optimal_discriminator(p_data, p_g, x)) == math.inf
    cost = non_saturating_cost_logits(p_g, lambda x: p_data.logpdf(x) - p_g.logpdf(x))
    assert cost == pytest.approx(theta ** 2 / 2, rel=1e-12)
