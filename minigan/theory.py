"""The theory of the original GAN paper, in 1-D, computed so that it can be checked.

Densities (Gaussian, mixture of Gaussians, uniform), the optimal discriminator
D*(x) = p_data(x) / (p_data(x) + p_g(x)), the Kullback-Leibler and Jensen-Shannon
divergences, the value function V(G, D) and the two generator costs, all by numerical
quadrature; and Monte Carlo estimates of the same quantities from samples, each with its
standard error, so the two routes can be compared.

Quadrature: composite Gauss-Legendre on many panels over an interval that holds all the
mass, plus extra panel edges from each distribution: the points where a density jumps (the
ends of a uniform) and a fine set of edges across every Gaussian (so a narrow component of
a wide mixture still gets hundreds of nodes). For the smooth integrands here that is
accurate to ~1e-13, far below the tolerances the tests use.

Everything is computed from log-densities: in the far tails the densities themselves
underflow to 0 (N(0, 0.1) at x = 4 is below 1e-300) although their ratio, and so D* and
the integrands of KL and JSD, are perfectly finite there.
All divergences are in nats, so 0 <= JSD <= log 2.
"""

from __future__ import annotations

import math

import numpy as np

from .functions import softplus

# --------------------------------------------------------------------------- densities


def _positive(name: str, value) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


class Gaussian:
    """N(mean, std^2):  p(x) = exp(-(x - mean)^2 / (2 std^2)) / (std sqrt(2 pi))."""

    def __init__(self, mean: float, std: float) -> None:
        self.mean = float(mean)
        if not math.isfinite(self.mean):
            raise ValueError(f"mean must be a finite number, got {mean!r}")
        self.std = _positive("std", std)

    def logpdf(self, x):
        u = (np.asarray(x, dtype=np.float64) - self.mean) / self.std
        return -0.5 * u * u - math.log(self.std * math.sqrt(2 * math.pi))

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        # 0.5 (1 + erf(u)) loses the lower tail to cancellation (1 + erf(-9) rounds to 0);
        # 0.5 erfc(-u) is the same function and keeps full relative accuracy there
        u = (np.asarray(x, dtype=np.float64) - self.mean) / (self.std * math.sqrt(2))
        return 0.5 * np.vectorize(math.erfc, otypes=[float])(-u)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.std, size=int(n))

    def interval(self) -> tuple[float, float]:
        return self.mean - 12 * self.std, self.mean + 12 * self.std

    def panel_edges(self) -> list[float]:
        """48 panels of std/2 across mean +- 12 std, whatever the rest of the grid is."""
        return (self.mean + self.std * np.linspace(-12, 12, 49)).tolist()

    def __repr__(self):
        return f"Gaussian({self.mean:g}, {self.std:g})"


class GaussianMixture:
    """sum_i w_i N(means_i, stds_i^2), with weights w_i >= 0 summing to 1."""

    def __init__(self, weights, means, stds) -> None:
        weights, means, stds = (np.atleast_1d(np.asarray(a, dtype=np.float64))
                                for a in (weights, means, stds))
        if not (weights.ndim == 1 and weights.shape == means.shape == stds.shape and weights.size):
            raise ValueError(f"weights, means and stds must be 1-D of one length, got lengths "
                             f"{weights.size}, {means.size}, {stds.size}")
        if np.any(weights < 0) or abs(weights.sum() - 1) > 1e-12:
            raise ValueError(f"weights must be non-negative and sum to 1, got {weights.tolist()}")
        self.weights = weights
        self.components = [Gaussian(m, s) for m, s in zip(means, stds, strict=True)]
        self.mean = float(np.dot(weights, means))
        # the law of total variance, sum_i w_i (s_i^2 + (m_i - mean)^2): a sum of non-negative
        # terms. E[x^2] - mean^2 would cancel catastrophically when |mean| >> std.
        self.std = float(np.sqrt(np.dot(weights, stds ** 2 + (means - self.mean) ** 2)))

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def logpdf(self, x):
        """log sum_i w_i p_i(x), by log-sum-exp over the components' log-densities."""
        with np.errstate(divide="ignore"):
            terms = [math.log(w) + c.logpdf(x) if w > 0 else None
                     for w, c in zip(self.weights, self.components, strict=True)]
        terms = [t for t in terms if t is not None]
        out = terms[0]
        for t in terms[1:]:
            out = np.logaddexp(out, t)
        return out

    def cdf(self, x):
        return sum(w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.choice(len(self.components), size=int(n), p=self.weights)
        means = np.array([c.mean for c in self.components])[which]
        stds = np.array([c.std for c in self.components])[which]
        return means + stds * rng.standard_normal(int(n))

    def interval(self) -> tuple[float, float]:
        ends = [c.interval() for c in self.components]
        return min(e[0] for e in ends), max(e[1] for e in ends)

    def panel_edges(self) -> list[float]:
        return [e for c in self.components for e in c.panel_edges()]

    def __repr__(self):
        parts = ", ".join(f"{w:g}·N({c.mean:g}, {c.std:g})"
                          for w, c in zip(self.weights, self.components, strict=True))
        return f"GaussianMixture({parts})"


class Uniform:
    """U(low, high): p(x) = 1 / (high - low) on [low, high], 0 elsewhere."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"low must be less than high, got low={low!r}, high={high!r}")
        self.mean = 0.5 * (self.low + self.high)
        self.std = (self.high - self.low) / math.sqrt(12)

    def pdf(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def logpdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(x))

    def cdf(self, x):
        return np.clip((np.asarray(x, dtype=np.float64) - self.low) / (self.high - self.low), 0, 1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=int(n))

    def interval(self) -> tuple[float, float]:
        return self.low, self.high

    def panel_edges(self) -> list[float]:
        return [self.low, self.high]  # the density jumps here: no panel may straddle them

    def __repr__(self):
        return f"Uniform({self.low:g}, {self.high:g})"


# --------------------------------------------------------------------------- quadrature
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)


def quad(f, *distributions, panels: int = 400) -> float:
    """Integral of f(x) over the real line, where f vanishes outside the distributions'
    intervals: composite 20-point Gauss-Legendre on ``panels`` equal panels, with the
    distributions' own panel edges added (so no panel straddles a jump, and no Gaussian,
    however narrow, falls between two nodes)."""
    if not distributions:
        raise ValueError("quad needs at least one distribution to know where to integrate")
    lo = min(d.interval()[0] for d in distributions)
    hi = max(d.interval()[1] for d in distributions)
    edges = np.union1d(np.linspace(lo, hi, panels + 1),
                       [e for d in distributions for e in d.panel_edges() if lo <= e <= hi])
    a, b = edges[:-1, None], edges[1:, None]
    x = 0.5 * (b - a) * _NODES[None, :] + 0.5 * (a + b)
    w = 0.5 * (b - a) * _WEIGHTS[None, :]
    return float(np.sum(w * f(x)))


def _p_log_ratio(log_p, log_q):
    """p log(p / q) elementwise from log p and log q, with 0 log(0 / q) = 0 and
    p log(p / 0) = inf. Where p underflows to 0 the term is below 1e-300 and dropped."""
    p = np.exp(log_p)
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, p * (log_p - log_q), 0.0)


# --------------------------------------------------------------------------- divergences
def optimal_discriminator(p_data, p_g, x):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the pointwise maximiser of V(G, D).
    Computed as sigmoid(log p_data(x) - log p_g(x)), so it stays right where both densities
    underflow (far in a tail, D* of two Gaussians goes to 0 or 1, not to 0/0). Where either
    density is exactly zero (outside a uniform) D* is 0 or 1; where both are, D* is arbitrary
    (V does not depend on it) and we return 1/2."""
    from .functions import sigmoid

    la, lb = np.asarray(p_data.logpdf(x)), np.asarray(p_g.logpdf(x))
    both_zero = np.isneginf(la) & np.isneginf(lb)
    with np.errstate(invalid="ignore"):
        return np.where(both_zero, 0.5, sigmoid(np.where(both_zero, 0.0, la - lb)))


def kl_divergence(p, q) -> float:
    """KL(p || q) = integral of p log(p / q); inf when p has mass where q has none."""
    return quad(lambda x: _p_log_ratio(p.logpdf(x), q.logpdf(x)), p, q)


def js_divergence(p, q) -> float:
    """JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2. Symmetric, in [0, log 2]."""
    def integrand(x):
        la, lb = p.logpdf(x), q.logpdf(x)
        lm = np.logaddexp(la, lb) - math.log(2)
        return 0.5 * _p_log_ratio(la, lm) + 0.5 * _p_log_ratio(lb, lm)

    return quad(integrand, p, q)


def kl_gaussians(mean1: float, std1: float, mean2: float, std2: float) -> float:
    """Closed form KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1-m2)^2) / (2 s2^2) - 1/2."""
    std1, std2 = _positive("std1", std1), _positive("std2", std2)
    return math.log(std2 / std1) + (std1 ** 2 + (mean1 - mean2) ** 2) / (2 * std2 ** 2) - 0.5


# --------------------------------------------------------------------------- value function
def _expect_log(p, prob_fn, complement: bool) -> float:
    """E_p[log D] (or E_p[log(1 - D)]) with 0 log 0 = 0 where p vanishes."""
    def integrand(x):
        d = np.asarray(prob_fn(x), dtype=np.float64)
        d = 1 - d if complement else d
        dens = p.pdf(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dens > 0, dens * np.log(d), 0.0)

    return quad(integrand, p)


def value_function(p_data, p_g, D) -> float:
    """V(G, D) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))], D a callable x -> probability.
    A D that rounds to exactly 0 or 1 where the density is positive gives -inf; for
    discriminators given by logits use value_function_logits, which cannot."""
    return _expect_log(p_data, D, False) + _expect_log(p_g, D, True)


def value_function_logits(p_data, p_g, logit_fn) -> float:
    """V(G, D) for D(x) = sigmoid(s(x)), using log D = -softplus(-s), log(1 - D) = -softplus(s),
    which stay finite for any finite logit."""
    return (quad(lambda x: -p_data.pdf(x) * softplus(-np.asarray(logit_fn(x))), p_data)
            + quad(lambda x: -p_g.pdf(x) * softplus(np.asarray(logit_fn(x))), p_g))


def optimal_value(p_data, p_g) -> float:
    """C(G) = V(G, D*) by direct quadrature (not via the JSD identity, so that a test can
    check C(G) = -log 4 + 2 JSD(p_data || p_g)).

    log D* = log p_data - log(p_data + p_g) and log(1 - D*) = log p_g - log(p_data + p_g) are
    formed from log-densities: in the far tails D* rounds to exactly 0 or 1 and log(D*)
    would give -inf where the true value is finite.
    """
    def integrand(x):
        la, lb = p_data.logpdf(x), p_g.logpdf(x)
        with np.errstate(invalid="ignore"):
            lm = np.logaddexp(la, lb)
            a, b = np.exp(la), np.exp(lb)
            return np.where(a > 0, a * (la - lm), 0.0) + np.where(b > 0, b * (lb - lm), 0.0)

    return quad(integrand, p_data, p_g)


def saturating_cost(p_g, D) -> float:
    """The minimax generator cost E_{p_g}[log(1 - D(x))] (the generator minimises it).
    D is a probability: where it rounds to 1 the cost is -inf; see saturating_cost_logits."""
    return _expect_log(p_g, D, True)


def non_saturating_cost(p_g, D) -> float:
    """The non-saturating generator cost E_{p_g}[-log D(x)]. D is a probability: where it
    rounds to 0 the cost is inf; see non_saturating_cost_logits."""
    return -_expect_log(p_g, D, False)


def saturating_cost_logits(p_g, logit_fn) -> float:
    """E_{p_g}[log(1 - D(x))] for D = sigmoid(s): log(1 - D) = -softplus(s), finite for any
    finite logit (far from the data, where D* rounds to 0 or 1, this is the route to use)."""
    return quad(lambda x: -p_g.pdf(x) * softplus(np.asarray(logit_fn(x), dtype=np.float64)), p_g)


def non_saturating_cost_logits(p_g, logit_fn) -> float:
    """E_{p_g}[-log D(x)] for D = sigmoid(s): -log D = softplus(-s)."""
    return quad(lambda x: p_g.pdf(x) * softplus(-np.asarray(logit_fn(x), dtype=np.float64)), p_g)


# --------------------------------------------------------------------------- Monte Carlo
def _mean_and_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def value_function_mc(x_real, x_fake, D) -> tuple[float, float]:
    """Estimate of V(G, D) = mean log D(x_real) + mean log(1 - D(x_fake)) and its standard
    error (the two sample means are independent, so their variances add)."""
    m1, s1 = _mean_and_se(np.log(D(np.asarray(x_real))))
    m2, s2 = _mean_and_se(np.log1p(-np.asarray(D(np.asarray(x_fake)))))
    return m1 + m2, math.sqrt(s1 ** 2 + s2 ** 2)


def kl_divergence_mc(p, q, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """KL(p || q) ~ mean over x ~ p of log p(x) - log q(x)."""
    x = p.sample(n, rng)
    return _mean_and_se(p.logpdf(x) - q.logpdf(x))


def js_divergence_mc(p, q, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """JSD ~ 1/2 mean_{x~p} log(p/m) + 1/2 mean_{x~q} log(q/m), with n samples from each."""
    x, y = p.sample(n, rng), q.sample(n, rng)

    def log_m(t):
        return np.logaddexp(p.logpdf(t), q.logpdf(t)) - math.log(2)

    mx, sx = _mean_and_se(p.logpdf(x) - log_m(x))
    my, sy = _mean_and_se(q.logpdf(y) - log_m(y))
    return 0.5 * (mx + my), 0.5 * math.sqrt(sx ** 2 + sy ** 2)
