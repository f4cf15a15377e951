"""LSGAN, hinge and f-GAN losses on logits: values against direct formulas, the f-GAN table
against its own definitions (conjugates by numerical maximisation), gradients by central
differences, stability at logits +-1000, and clear refusals."""

import math
import warnings

import numpy as np
import pytest
from scipy import optimize

from minigan.fgan import FDIVERGENCES, fgan_discriminator_loss, fgan_generator_loss, get_divergence
from minigan.gradcheck import check_function, objective_checks
from minigan.losses import discriminator_loss, generator_loss
from minigan.objectives import (
    hinge_discriminator_loss,
    hinge_generator_loss,
    lsgan_coding,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
)

NAMES = list(FDIVERGENCES)
EXTREME = np.array([[-1000.0], [-710.0], [-80.0], [0.0], [0.5], [80.0], [710.0], [1000.0]])


@pytest.fixture
def scores(rng):
    return 2 * rng.standard_normal((10, 1))


# ----------------------------------------------------------------------------- LSGAN, hinge
@pytest.mark.parametrize("coding, abc", [("zero_one", (0, 1, 1)), ("theorem1", (-1, 1, 0)),
                                         ((0.5, 2.0, -3.0), (0.5, 2.0, -3.0))])
def test_lsgan_values_and_gradients(coding, abc, scores):
    a, b, c = abc
    real, fake = scores[:6], scores[6:]
    value, d_real, d_fake = lsgan_discriminator_loss(real, fake, coding)
    assert value == pytest.approx(0.5 * np.mean((real - b) ** 2) + 0.5 * np.mean((fake - a) ** 2), rel=1e-14)
    np.testing.assert_allclose(d_real, (real - b) / 6, rtol=1e-14)
    np.testing.assert_allclose(d_fake, (fake - a) / 4, rtol=1e-14)
    value, d = lsgan_generator_loss(fake, coding)
    assert value == pytest.approx(0.5 * np.mean((fake - c) ** 2), rel=1e-14)
    assert check_function(lambda s: lsgan_generator_loss(s, coding), scores, "g").rel_error < 1e-9
    # D's loss is minimised exactly at the codes
    assert lsgan_discriminator_loss(np.full((3, 1), float(b)), np.full((2, 1), float(a)), coding)[0] == 0


def test_hinge_values_and_gradients():
    real = np.array([[-2.0], [0.5], [1.5], [3.0]])
    fake = np.array([[-3.0], [-0.5], [2.0]])
    value, d_real, d_fake = hinge_discriminator_loss(real, fake)
    assert value == pytest.approx((3 + 0.5 + 0 + 0) / 4 + (0 + 0.5 + 3) / 3, rel=1e-15)
    np.testing.assert_array_equal(d_real, [[-0.25], [-0.25], [0], [0]])
    np.testing.assert_array_equal(d_fake, [[0], [1 / 3], [1 / 3]])
    value, d = hinge_generator_loss(fake)
    assert value == pytest.approx(0.5, rel=1e-15) and np.all(d == -1 / 3)


# ----------------------------------------------------------------------------- the f-GAN table
@pytest.mark.parametrize("name", NAMES)
def test_f_is_convex_zero_at_one_and_f_prime_is_its_derivative(name):
    div = get_divergence(name)
    u = np.array([0.05, 0.3, 0.9, 1.0, 1.7, 4.0, 20.0])
    # f(1) = 0 makes D_f(P || P) = 0; the paper's "gan" row keeps f(1) = -log 4 (D_f = 2 JSD - log 4)
    assert float(div.f(np.array(1.0))) == pytest.approx(-math.log(4) if name == "gan" else 0, abs=1e-15)
    h = 1e-6
    np.testing.assert_allclose(div.f_prime(u), (div.f(u + h) - div.f(u - h)) / (2 * h), rtol=1e-7, atol=1e-9)
    # convex: f at a midpoint lies below the chord
    x, y = u[:-1], u[1:]
    assert np.all(div.f((x + y) / 2) <= (div.f(x) + div.f(y)) / 2 + 1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_the_supremum_and_composes_with_the_activation(name):
    """f*(t) = sup_u (t u - f(u)), found by a scalar optimiser, for t = g_f(v) at several
    logits (so every t is inside f*'s domain); and the closed form f*(g_f(v)) used by the
    losses equals the two steps composed."""
    div = get_divergence(name)
    for v in (-2.0, -0.5, 0.0, 0.7, 1.5):
        t = float(div.activation(np.array(v)))
        def minus_objective(s, t=t):
            return -(t * math.exp(s) - float(div.f(np.array(math.exp(s)))))

        res = optimize.minimize_scalar(minus_objective, bounds=(-30, 30), method="bounded",
                                       options={"xatol": 1e-12})
        assert -res.fun == pytest.approx(float(div.conjugate(np.array(t))), rel=1e-8, abs=1e-10)
        assert float(div.conjugate_of_activation(np.array(v))) == pytest.approx(
            float(div.conjugate(np.array(t))), rel=1e-12, abs=1e-14)
        # the maximiser u* satisfies f'(u*) = t: the optimal logit inverts g_f o f'
        u_star = math.exp(res.x)
        v_star = div.optimal_logit(np.array(math.log(u_star)))
        assert float(div.activation(v_star)) == pytest.approx(t, abs=1e-6)
    v = np.linspace(-3, 3, 13)
    h = 1e-6
    numeric = (div.activation(v + h) - div.activation(v - h)) / (2 * h)
    np.testing.assert_allclose(div.activation_grad(v), numeric, rtol=1e-7, atol=1e-9)


def test_outside_its_domain_the_conjugate_is_infinite():
    assert get_divergence("gan").conjugate(np.array(0.1)) == np.inf
    assert get_divergence("js").conjugate(np.array(0.7)) == np.inf
    assert get_divergence("reverse_kl").conjugate(np.array(0.0)) == np.inf
    assert get_divergence("squared_hellinger").conjugate(np.array(1.0)) == np.inf


@pytest.mark.parametrize("name", NAMES)
def test_fgan_losses_match_the_objective(name, scores):
    div = get_divergence(name)
    real, fake = scores[:4], scores[4:]
    with np.errstate(all="ignore"):
        naive_fake = div.conjugate(div.activation(fake))
    F = np.mean(div.activation(real)) - np.mean(naive_fake)
    value, d_real, d_fake = fgan_discriminator_loss(real, fake, name)
    assert value == pytest.approx(-F, rel=1e-12)
    assert fgan_generator_loss(fake, name, "minimax")[0] == pytest.approx(-np.mean(naive_fake), rel=1e-12)
    assert fgan_generator_loss(fake, name, "alternative")[0] == pytest.approx(
        -np.mean(div.activation(fake)), rel=1e-12)
    n = real.shape[0]

    def f(x):
        value, dr, df = fgan_discriminator_loss(x[:n], x[n:], name)
        return value, np.concatenate([dr, df])

    assert check_function(f, scores, name).rel_error < 1e-9
    for kind in ("minimax", "alternative"):
        check = check_function(lambda s, k=kind: fgan_generator_loss(s, name, k), scores, name)
        assert check.rel_error < 1e-9


def test_the_gan_divergence_is_the_original_game(scores):
    real, fake = scores[:5], scores[5:]
    f_value, f_real, f_fake = fgan_discriminator_loss(real, fake, "gan")
    value, d_real, d_fake = discriminator_loss(real, fake)
    assert f_value == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(f_real, d_real, rtol=1e-14)
    np.testing.assert_allclose(f_fake, d_fake, rtol=1e-14)
    for kind, original in (("minimax", "saturating"), ("alternative", "non_saturating")):
        mine, theirs = fgan_generator_loss(fake, "gan", kind), generator_loss(fake, original)
        np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-14)
        assert mine[0] == pytest.approx(theirs[0], rel=1e-14)


# ----------------------------------------------------------------------------- extremes
def _quietly(fn):
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_no_warning_and_no_nan(dtype):
    s = EXTREME.astype(dtype)
    results = _quietly(lambda: [lsgan_discriminator_loss(s, s, "theorem1"), lsgan_generator_loss(s),
                                hinge_discriminator_loss(s, s), hinge_generator_loss(s)]
                       + [fgan_discriminator_loss(s, s, n) for n in NAMES]
                       + [fgan_generator_loss(s, n, k) for n in NAMES for k in ("minimax", "alternative")])
    for value, *grads in results:
        assert not math.isnan(value)
        for g in grads:
            assert g.shape == s.shape and g.dtype == dtype and not np.isnan(g).any()


def test_bounded_divergences_stay_finite_and_exact_at_extremes():
    """js and gan (softplus and sigmoid only) are finite at any logit; kl, reverse_kl and
    squared_hellinger are finite wherever their exact value is below ~1.8e308."""
    s = EXTREME
    for name in ("js", "gan", "pearson"):
        for value, *grads in _quietly(lambda n=name: [fgan_discriminator_loss(s, s, n),
                                                      fgan_generator_loss(s, n, "minimax"),
                                                      fgan_generator_loss(s, n, "alternative")]):
            assert math.isfinite(value) and all(np.isfinite(g).all() for g in grads)
    gan = get_divergence("gan")
    assert gan.conjugate_of_activation(np.array(1000.0)) == 1000.0     # softplus(1000)
    assert gan.activation(np.array(-1000.0)) == -1000.0                 # -softplus(1000)
    assert get_divergence("js").conjugate_of_activation(np.array(-1000.0)) == pytest.approx(-math.log(2))
    assert get_divergence("reverse_kl").conjugate_of_activation(np.array(-1000.0)) == -1001.0
    # where a value overflows it is +-inf on the side the maths says, never NaN
    kl = get_divergence("kl")
    assert kl.conjugate_of_activation(np.array(1000.0)) == np.inf
    assert kl.conjugate_of_activation(np.array(700.0)) == pytest.approx(math.exp(699), rel=1e-13)
    sub = np.array([[-700.0], [0.0], [700.0]])
    for name in ("kl", "reverse_kl", "squared_hellinger"):
        results = _quietly(lambda n=name: [fgan_discriminator_loss(sub, sub, n)]
                           + [fgan_generator_loss(sub, n, k) for k in ("minimax", "alternative")])
        for value, *grads in results:
            assert math.isfinite(value) and all(np.isfinite(g).all() for g in grads)


# ----------------------------------------------------------------------------- refusals
def test_clear_refusals():
    with pytest.raises(ValueError, match=r"divergence must be one of kl, reverse_kl, pearson, "
                                         r"squared_hellinger, js, gan, got 'wasserstein'"):
        fgan_discriminator_loss(np.zeros((2, 1)), np.zeros((2, 1)), "wasserstein")
    assert get_divergence("Reverse-KL").name == "reverse_kl"
    with pytest.raises(ValueError, match="f-GAN generator loss must be one of minimax, alternative, got 'x'"):
        fgan_generator_loss(np.zeros((2, 1)), "kl", "x")
    with pytest.raises(ValueError, match=r"needs a != b .* got \(1, 1, 0\)"):
        lsgan_coding((1, 1, 0))
    with pytest.raises(ValueError, match="must be finite numbers, got"):
        lsgan_discriminator_loss(np.zeros((2, 1)), np.zeros((2, 1)), (0, float("nan"), 1))
    with pytest.raises(ValueError, match="LSGAN coding must be one of zero_one, theorem1 or a tuple"):
        lsgan_generator_loss(np.zeros((2, 1)), "symmetric")
    with pytest.raises(ValueError, match="of three numbers, got"):
        lsgan_coding((0, 1))
    assert lsgan_coding("Zero-One") == (0, 1, 1)
    with pytest.raises(FloatingPointError, match="non-finite logits"):
        hinge_generator_loss(np.array([[np.inf]]))


def test_gradcheck_rows_pass():
    rows = objective_checks(seed=3)
    assert len(rows) == 4 + 2 + 3 * len(NAMES) + 3  # the last 3: minigan.double_backward
    assert all(r.passed for r in rows), [(r.name, r.rel_error) for r in rows if not r.passed]
    worst = max(rows[:-3], key=lambda r: r.rel_error)  # the losses alone are far below 1e-7
    assert worst.rel_error < 1e-8, (worst.name, worst.rel_error)


def test_integer_logits_give_float_gradients():
    """An integer array of scores is read as float64: a gradient in the scores' integer dtype
    would be truncated to 0."""
    s_int, s = np.array([[-2], [0], [3]]), np.array([[-2.0], [0.0], [3.0]])
    pairs = [(lambda x: hinge_generator_loss(x)), (lambda x: lsgan_generator_loss(x, "theorem1")),
             (lambda x: hinge_discriminator_loss(x, x)), (lambda x: fgan_discriminator_loss(x, x, "kl")),
             (lambda x: fgan_generator_loss(x, "gan", "minimax"))]
    for fn in pairs:
        got, expected = fn(s_int), fn(s)
        assert got[0] == expected[0]
        for g, e in zip(got[1:], expected[1:], strict=True):
            assert g.dtype == np.float64 and np.array_equal(g, e) and np.abs(e).max() > 0
