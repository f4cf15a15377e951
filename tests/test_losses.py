"""Losses on logits: values against the direct formulas, gradients against central
differences, and stability at extreme logits."""

import warnings

import numpy as np
import pytest

from minigan.functions import sigmoid, softplus
from minigan.gradcheck import check_function
from minigan.losses import bce_with_logits, discriminator_loss, generator_loss


@pytest.fixture
def logits(rng):
    return 3 * rng.standard_normal((16, 1))


def test_values_match_direct_formulas(logits):
    d = 1 / (1 + np.exp(-logits))
    value, _, _ = discriminator_loss(logits, logits[::-1].copy())
    direct = -np.mean(np.log(d)) - np.mean(np.log(1 - d[::-1]))
    assert value == pytest.approx(direct, rel=1e-13)
    assert generator_loss(logits, "saturating")[0] == pytest.approx(np.mean(np.log(1 - d)), rel=1e-13)
    assert generator_loss(logits, "non_saturating")[0] == pytest.approx(-np.mean(np.log(d)), rel=1e-13)
    assert bce_with_logits(logits, 0.3)[0] == pytest.approx(
        -np.mean(0.3 * np.log(d) + 0.7 * np.log(1 - d)), rel=1e-13)


def test_gradients_match_direct_formulas(logits):
    n = logits.size
    d = 1 / (1 + np.exp(-logits))
    _, d_real, d_fake = discriminator_loss(logits, logits)
    np.testing.assert_allclose(d_real, -1 / (1 + np.exp(logits)) / n, rtol=1e-13)
    np.testing.assert_allclose(d_fake, d / n, rtol=1e-13)
    np.testing.assert_allclose(generator_loss(logits, "saturating")[1], -d / n, rtol=1e-13)
    # 1 - D(x) written as 1 / (1 + e^s) to avoid the cancellation of 1 - d
    np.testing.assert_allclose(generator_loss(logits, "non_saturating")[1],
                               -1 / (1 + np.exp(logits)) / n, rtol=1e-13)


@pytest.mark.parametrize("kind", ["saturating", "non_saturating"])
def test_generator_loss_gradient_numerically(kind, logits):
    assert check_function(lambda s: generator_loss(s, kind), logits, kind).rel_error < 1e-9


def test_bce_gradient_numerically(logits):
    for target in (0.0, 0.25, 1.0):
        assert check_function(lambda s, t=target: bce_with_logits(s, t), logits, "bce").rel_error < 1e-9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite(dtype):
    s = np.array([[-1000.0], [-80.0], [0.0], [80.0], [1000.0]], dtype=dtype)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [discriminator_loss(s, s), generator_loss(s, "saturating"),
                   generator_loss(s, "non_saturating"), bce_with_logits(s, 0.5)]
    for value, *grads in results:
        assert np.isfinite(value)
        for g in grads:
            assert g.shape == s.shape and np.all(np.isfinite(g))
    # the limits are right: D(x) = sigmoid(1000) = 1, so the real-sample loss is ~0 there
    _, d_real, _ = discriminator_loss(s, s)
    assert abs(d_real[-1, 0]) < 1e-30 and d_real[0, 0] == pytest.approx(-1 / 5)


def test_saturating_gradient_vanishes_when_D_rejects():
    """The lesson of notebook 03 in one assertion: at D(G(z)) = sigmoid(-10), the saturating
    loss's gradient is about e^-10 times the non-saturating one's."""
    s = np.array([[-10.0]])
    sat = abs(generator_loss(s, "saturating")[1][0, 0])
    non = abs(generator_loss(s, "non_saturating")[1][0, 0])
    assert sat / non == pytest.approx(np.exp(-10), rel=1e-12)


def test_stable_functions():
    x = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(softplus(x), np.log1p(np.exp(x)), rtol=1e-14)
    assert softplus(np.array(1000.0)) == 1000.0


def test_bad_input():
    with pytest.raises(ValueError, match="generator loss must be one of saturating, "
                                         "non_saturating, got 'wasserstein'"):
        generator_loss(np.zeros((2, 1)), "wasserstein")
    assert generator_loss(np.zeros((2, 1)), "non-saturating")[0] == pytest.approx(np.log(2))
    with pytest.raises(FloatingPointError, match="non-finite logits"):
        generator_loss(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="target must be in"):
        bce_with_logits(np.zeros((2, 1)), 2.0)
