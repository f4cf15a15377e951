"""The Parzen-window log-likelihood of Goodfellow et al. (2014): against a direct computation
and scipy, its memory-bounded blocks, its numerical range, and the sigma selection."""

import numpy as np
import pytest

from minigan import metrics

scipy_special = pytest.importorskip("scipy.special")
scipy_stats = pytest.importorskip("scipy.stats")


def direct(samples, data, sigma):
    """log (1/m) sum_i N(x; mu_i, sigma^2 I) from the explicit (n, m, d) differences, with
    scipy's log-sum-exp (small sizes only)."""
    diff = data.reshape(len(data), 1, -1) - samples.reshape(1, len(samples), -1)
    d = diff.shape[2]
    logs = -(diff ** 2).sum(axis=2) / (2 * sigma ** 2) - 0.5 * d * np.log(2 * np.pi * sigma ** 2)
    return scipy_special.logsumexp(logs, axis=1) - np.log(len(samples))


@pytest.mark.parametrize("sigma", [0.05, 0.3, 2.0])
def test_matches_a_direct_computation_with_scipy(rng, sigma):
    samples = rng.random((40, 3, 4))  # image-like (m, ...) arrays are flattened
    data = rng.random((25, 3, 4))
    got = metrics.parzen_log_likelihood(samples, data, sigma)
    np.testing.assert_allclose(got, direct(samples, data, sigma), rtol=1e-11, atol=1e-9)
    # and scipy's own Gaussian density, point by point, for one data point
    logs = scipy_stats.norm.logpdf(data[0].ravel(), loc=samples.reshape(40, -1), scale=sigma).sum(axis=1)
    assert got[0] == pytest.approx(scipy_special.logsumexp(logs) - np.log(40), rel=1e-11)


def test_single_kernel_closed_form(rng):
    x = rng.standard_normal((7, 5))
    sigma = 0.4
    expected = -(x ** 2).sum(axis=1) / (2 * sigma ** 2) - 2.5 * np.log(2 * np.pi * sigma ** 2)
    got = metrics.parzen_log_likelihood(np.zeros((1, 5)), x, sigma)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_blocks_give_the_same_numbers_and_bound_memory(rng):
    samples, data = rng.random((300, 20)), rng.random((50, 20))
    whole = metrics.parzen_log_likelihood(samples, data, 0.2, max_bytes=1 << 30)
    one_row = metrics.parzen_log_likelihood(samples, data, 0.2, max_bytes=1)  # block of 1 row
    np.testing.assert_allclose(one_row, whole, rtol=1e-13)
    blocks = []
    original = metrics._squared_distances

    def spy(x, mu, mu_sq):
        blocks.append(x.shape[0])
        return original(x, mu, mu_sq)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(metrics, "_squared_distances", spy)
        metrics.parzen_log_likelihood(samples, data, 0.2, max_bytes=8 * 300 * 7)
    assert max(blocks) == 7 and sum(blocks) == 50  # 7 rows x 300 samples x 8 bytes per block


def test_far_points_and_tiny_sigma_stay_finite():
    # every kernel underflows to 0 in exp: the log-sum-exp keeps the exact (huge negative) value
    samples = np.zeros((3, 784))
    data = np.ones((2, 784))
    with np.errstate(all="raise"):
        ll = metrics.parzen_log_likelihood(samples, data, 0.01)
    expected = -784 / (2 * 0.01 ** 2) - 392 * np.log(2 * np.pi * 0.01 ** 2)
    np.testing.assert_allclose(ll, expected, rtol=1e-12)


def test_sigma_is_chosen_on_validation_and_reported_with_its_standard_error(rng):
    # samples from N(0, 0.3^2 I) in 4-D: the Parzen window fitted to them approximates the
    # density best near the data's own scale, neither at the smallest nor the largest sigma
    samples = 0.3 * rng.standard_normal((400, 4))
    validation = 0.3 * rng.standard_normal((200, 4))
    test = 0.3 * rng.standard_normal((300, 4))
    sigmas = np.logspace(-2, 1, 12)
    report = metrics.parzen_evaluation(samples, validation, test, sigmas)
    valid_means = [direct(samples, validation, s).mean() for s in sigmas]
    best = int(np.argmax(valid_means))
    assert 0 < best < len(sigmas) - 1
    assert report["sigma"] == pytest.approx(sigmas[best], rel=1e-15)
    np.testing.assert_allclose(list(report["validation_mean_ll"].values()), valid_means, rtol=1e-11)
    ll = direct(samples, test, sigmas[best])
    assert report["log_likelihood"] == pytest.approx(ll.mean(), rel=1e-11)
    assert report["standard_error"] == pytest.approx(ll.std() / np.sqrt(300), rel=1e-9)
    assert (report["n_samples"], report["n_validation"], report["n_test"]) == (400, 200, 300)


def test_default_sigmas_are_the_papers():
    np.testing.assert_allclose(metrics.PARZEN_SIGMAS, 10 ** np.linspace(-1, 0, 10), rtol=1e-15)


def test_bad_input(rng):
    with pytest.raises(ValueError, match="sigma must be a positive number, got 0"):
        metrics.parzen_log_likelihood(rng.random((3, 4)), rng.random((2, 4)), 0)
    with pytest.raises(ValueError, match="samples have 4 values each, data 5"):
        metrics.parzen_log_likelihood(rng.random((3, 4)), rng.random((2, 5)), 0.1)
