"""The theory behind minigan.fgan and minigan.objectives, in 1-D, by quadrature.

f-divergences. D_f(P || Q) = integral of q f(p / q), integrated from log-densities (the
densities underflow in the tails long before their ratio does). The variational bound
B(V) = E_P[g_f(V)] - E_Q[f*(g_f(V))] of any critic logit V is at most D_f, with equality at
the optimal critic T* = f'(p / q), i.e. the logit V* = fgan's optimal_logit(log p - log q).

LSGAN (Mao et al. 2017). For fixed G, D's loss 1/2 E_p[(D - b)^2] + 1/2 E_q[(D - a)^2] is a
pointwise quadratic in D(x), minimised at D* = (b p + a q) / (p + q). Their Theorem 1: with
b - c = 1 and b - a = 2, G's cost at D* (with the data term, which G does not change)
1/2 E_p[(D* - c)^2] + 1/2 E_q[(D* - c)^2] = 1/2 integral (2q - (p + q))^2 / (p + q), half the
"Pearson chi^2 of p + q from 2q" in their notation; in f-GAN's convention that is
pearson(Q || M) with M = (P + Q) / 2.

Hinge. For fixed G, E_p relu(1 - D) + E_q relu(1 + D) is minimised pointwise by D* = +1
where p > q and -1 where q > p (any D in [-1, 1] where p = q), with minimum
integral 2 min(p, q) = 2 - 2 TV(P, Q), TV = 1/2 integral |p - q|. So the game value
max_D (-L_D) = 2 TV - 2, which G minimises: G minimises the total variation.

Here P is the data (p_data) and Q the generator (p_g) throughout. The densities are
minigan.theory's Gaussian, GaussianMixture and Uniform.
"""

from __future__ import annotations

import math

import numpy as np

from .fgan import LOG2, get_divergence
from .objectives import lsgan_coding
from .theory import quad


def _log_densities(p, q, x):
    """log p(x), log q(x) and a mask of the points where both are 0 (outside two uniforms):
    every integrand here is 0 there."""
    lp, lq = np.asarray(p.logpdf(x), dtype=np.float64), np.asarray(q.logpdf(x), dtype=np.float64)
    return lp, lq, np.isneginf(lp) & np.isneginf(lq)


def _log_abs_expm1(r):
    """log |e^r - 1| without overflow for large r (= r + log(1 - e^{-r})); -inf at r = 0."""
    with np.errstate(all="ignore"):
        return np.where(r > 1, r + np.log1p(-np.exp(-np.abs(r))), np.log(np.abs(np.expm1(np.minimum(r, 1)))))


def _integrand(name: str, lp, lq):
    """q f(p/q) from log p and log q, each in a form with no 0 * inf (in nats)."""
    r = lp - lq
    p, q = np.exp(lp), np.exp(lq)
    if name == "kl":            # q (p/q) log(p/q) = p log(p/q)
        return np.where(p > 0, p * r, 0.0)
    if name == "reverse_kl":    # -q log(p/q)
        return np.where(q > 0, -q * r, 0.0)
    q_zero = np.isneginf(lq)  # and p > 0: the limits are inf (pearson) and p (hellinger)
    if name == "pearson":       # q (p/q - 1)^2 = exp(log q + 2 log|e^r - 1|)
        return np.where(q_zero, np.inf, np.exp(lq + 2 * _log_abs_expm1(r)))
    if name == "squared_hellinger":  # q (sqrt(p/q) - 1)^2 = (sqrt p - sqrt q)^2
        return np.where(q_zero, p, np.exp(lq + 2 * _log_abs_expm1(r / 2)))
    lm = np.logaddexp(lp, lq)
    gan = np.where(p > 0, p * (lp - lm), 0.0) + np.where(q > 0, q * (lq - lm), 0.0)
    return gan + LOG2 * (p + q) if name == "js" else gan  # js: p log(2p/(p+q)) + q log(2q/(p+q))


def f_divergence(name, p, q) -> float:
    """D_f(P || Q) = integral of q(x) f(p(x)/q(x)) dx for the f of fgan's table ``name``.
    kl is KL(P || Q), reverse_kl is KL(Q || P), js is 2 JSD, gan is 2 JSD - log 4.
    inf where the integrand is (P with mass where Q has none, for kl and pearson).
    The integral runs over the distributions' intervals (+-12 std of every Gaussian): for
    pearson, whose integrand p^2/q grows where q's tails are lighter than p's, choose Q with
    the heavier tails (2 std_q^2 > std_p^2 for Gaussians, else D_f is infinite anyway)."""
    key = get_divergence(name).name

    def integrand(x):
        lp, lq, both_zero = _log_densities(p, q, x)
        with np.errstate(all="ignore"):
            return np.where(both_zero, 0.0, _integrand(key, lp, lq))

    return quad(integrand, p, q)


def optimal_logit(name, p, q, x) -> np.ndarray:
    """The critic logit V*(x) whose activation is the optimal critic: g_f(V*) = T* = f'(p/q).
    A function of the log-ratio r = log p - log q only: 1 + r (kl), r (reverse_kl, js, gan),
    2 (e^r - 1) (pearson), r / 2 (squared_hellinger). Where only one density is 0, r = +-inf
    and so is V*; where both are, V* is arbitrary and 0 is returned."""
    div = get_divergence(name)
    lp, lq, both_zero = _log_densities(p, q, x)
    with np.errstate(all="ignore"):
        return np.where(both_zero, 0.0, div.optimal_logit(np.where(both_zero, 0.0, lp - lq)))


def optimal_critic(name, p, q, x) -> np.ndarray:
    """T*(x) = f'(p(x)/q(x)), the maximiser of E_P[T] - E_Q[f*(T)] (pointwise: the derivative
    of p T - q f*(T) in T vanishes where (f*)'(T) = p/q, i.e. T = f'(p/q))."""
    div = get_divergence(name)
    with np.errstate(all="ignore"):
        return div.activation(optimal_logit(name, p, q, x))


def variational_bound(name, p, q, logit_fn) -> float:
    """B(V) = E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] for a critic given by its logits V(x),
    the quantity f-GAN's D maximises (-B is fgan_discriminator_loss in expectation).
    B(V) <= D_f(P || Q) for every V (Fenchel: t u <= f(u) + f*(t)), = at V = V*."""
    div = get_divergence(name)

    def integrand(x):
        v = np.asarray(logit_fn(x), dtype=np.float64)
        dp, dq = p.pdf(x), q.pdf(x)
        with np.errstate(all="ignore"):
            return (np.where(dp > 0, dp * div.activation(v), 0.0)
                    - np.where(dq > 0, dq * div.conjugate_of_activation(v), 0.0))

    return quad(integrand, p, q)


# ----------------------------------------------------------------------------- closed forms
def squared_hellinger_gaussians(m1: float, s1: float, m2: float, s2: float) -> float:
    """integral (sqrt p - sqrt q)^2 = 2 - 2 BC for Gaussians, with the Bhattacharyya coefficient
    BC = sqrt(2 s1 s2 / (s1^2 + s2^2)) exp(-(m1 - m2)^2 / (4 (s1^2 + s2^2)))."""
    v = s1 ** 2 + s2 ** 2
    return 2 - 2 * math.sqrt(2 * s1 * s2 / v) * math.exp(-(m1 - m2) ** 2 / (4 * v))


def pearson_gaussians(m1: float, s1: float, m2: float, s2: float) -> float:
    """integral (p - q)^2 / q = integral p^2 / q - 1 for p = N(m1, s1^2), q = N(m2, s2^2): a
    Gaussian integral, finite only when 2 s2^2 > s1^2 (else the tails of p^2/q do not decay):
    s2^2 / (s1 sqrt(2 s2^2 - s1^2)) exp((m1 - m2)^2 / (2 s2^2 - s1^2)) - 1."""
    d = 2 * s2 ** 2 - s1 ** 2
    if d <= 0:
        return math.inf
    return s2 ** 2 / (s1 * math.sqrt(d)) * math.exp((m1 - m2) ** 2 / d) - 1


def total_variation_gaussians(m1: float, m2: float, s: float) -> float:
    """TV(N(m1, s^2), N(m2, s^2)) = 2 Phi(|m1 - m2| / (2 s)) - 1 = erf(|m1 - m2| / (2 sqrt 2 s))
    (the densities cross once, at the midpoint)."""
    return math.erf(abs(m1 - m2) / (2 * math.sqrt(2) * s))


# ----------------------------------------------------------------------------- where p = q
class _Crossings:
    """The points where p = q, as extra panel edges for quad: the hinge's D* and |p - q| jump
    or kink there, and Gauss-Legendre on a panel straddling a jump is only first-order."""

    def __init__(self, p, q, n: int = 20001):
        lo = min(p.interval()[0], q.interval()[0])
        hi = max(p.interval()[1], q.interval()[1])
        self.lo, self.hi = lo, hi
        x = np.linspace(lo, hi, n)
        with np.errstate(invalid="ignore"):
            r = p.logpdf(x) - q.logpdf(x)
        r = np.nan_to_num(r, nan=0.0)
        # a grid point may land exactly on a crossing (r = 0 between opposite signs)
        sign = np.sign(r)
        exact = (sign[1:-1] == 0) & (sign[:-2] * sign[2:] < 0)
        roots = x[1:-1][exact].tolist()
        for i in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
            a, b = x[i], x[i + 1]
            fa = float(p.logpdf(a) - q.logpdf(a))
            for _ in range(80):  # bisection to the last bit
                m = 0.5 * (a + b)
                fm = float(p.logpdf(m) - q.logpdf(m))
                if m in (a, b):
                    break
                if np.sign(fm) == np.sign(fa):
                    a, fa = m, fm
                else:
                    b = m
            roots.append(0.5 * (a + b))
        self.roots = sorted(roots)

    def interval(self):
        return self.lo, self.hi

    def panel_edges(self):
        return self.roots


def total_variation(p, q) -> float:
    """TV(P, Q) = 1/2 integral |p - q| = sup over events A of P(A) - Q(A)."""
    return quad(lambda x: 0.5 * np.abs(p.pdf(x) - q.pdf(x)), p, q, _Crossings(p, q))


# ----------------------------------------------------------------------------- LSGAN
def lsgan_optimal_discriminator(p_data, p_g, x, coding="theorem1") -> np.ndarray:
    """D*(x) = (b p_data + a p_g) / (p_data + p_g) = a + (b - a) sigmoid(log p_data - log p_g):
    the minimiser of the pointwise quadratic p (D - b)^2 + q (D - a)^2 (set its derivative
    2 p (D - b) + 2 q (D - a) to 0). Written with the sigmoid so that it stays right where
    both densities underflow; (a + b) / 2 where both are 0."""
    from .functions import sigmoid

    a, b, _ = lsgan_coding(coding)
    lp, lq, both_zero = _log_densities(p_data, p_g, x)
    with np.errstate(invalid="ignore"):
        return np.where(both_zero, 0.5 * (a + b), a + (b - a) * sigmoid(np.where(both_zero, 0.0, lp - lq)))


def lsgan_discriminator_value(p_data, p_g, D, coding="theorem1") -> float:
    """D's LSGAN loss in expectation, 1/2 E_p[(D - b)^2] + 1/2 E_q[(D - a)^2], D a callable."""
    a, b, _ = lsgan_coding(coding)
    return (quad(lambda x: 0.5 * p_data.pdf(x) * (np.asarray(D(x)) - b) ** 2, p_data)
            + quad(lambda x: 0.5 * p_g.pdf(x) * (np.asarray(D(x)) - a) ** 2, p_g))


def lsgan_generator_cost(p_data, p_g, coding="theorem1", D=None) -> float:
    """C(G) = 1/2 E_p[(D - c)^2] + 1/2 E_q[(D - c)^2] at D = D* (or a given callable D): the
    generator's loss with the data term added, which G cannot change (Mao et al., eq. 8)."""
    _, _, c = lsgan_coding(coding)
    D = D or (lambda x: lsgan_optimal_discriminator(p_data, p_g, x, coding))
    return quad(lambda x: 0.5 * (p_data.pdf(x) + p_g.pdf(x)) * (np.asarray(D(x)) - c) ** 2, p_data, p_g)


def lsgan_pearson(p_data, p_g, coding="theorem1") -> float:
    """Mao et al.'s Theorem 1: with b - c = 1 and b - a = 2,
    C(G) = 1/2 integral (2 p_g - (p_data + p_g))^2 / (p_data + p_g)
         = 1/2 integral (p_g - p_data)^2 / (p_data + p_g)   (>= 0, = 0 only at p_g = p_data).
    (Substitute D* - c = ((b - c)(p + q) - (b - a) q) / (p + q) into C(G).) Refuses codings
    for which the theorem does not hold; lsgan_generator_cost works for any coding."""
    a, b, c = lsgan_coding(coding)
    if b - c != 1 or b - a != 2:
        raise ValueError(f"lsgan_pearson: Mao et al.'s Theorem 1 needs b - c = 1 and b - a = 2, got "
                         f"(a, b, c) = ({a:g}, {b:g}, {c:g}) with b - c = {b - c:g}, b - a = {b - a:g}; "
                         "use coding 'theorem1' = (-1, 1, 0)")

    def integrand(x):
        lp, lq, both_zero = _log_densities(p_data, p_g, x)
        with np.errstate(all="ignore"):
            # (q - p)^2 / (p + q) = (p + q) tanh(r / 2)^2 with r = log p - log q
            lm = np.logaddexp(lp, lq)
            return np.where(both_zero, 0.0, 0.5 * np.exp(lm) * np.tanh(0.5 * (lp - lq)) ** 2)

    return quad(integrand, p_data, p_g)


# ----------------------------------------------------------------------------- hinge
def hinge_optimal_discriminator(p_data, p_g, x) -> np.ndarray:
    """D*(x) = sign(p_data(x) - p_g(x)): where p > q, p relu(1 - D) + q relu(1 + D) falls with
    slope q - p < 0 up to D = 1 and rises beyond it; symmetrically -1 where q > p. Where p = q
    (or both are 0) every D in [-1, 1] is optimal: 0 is returned."""
    lp, lq, both_zero = _log_densities(p_data, p_g, x)
    with np.errstate(invalid="ignore"):
        return np.where(both_zero, 0.0, np.sign(np.where(both_zero, 0.0, lp - lq)))


def hinge_discriminator_value(p_data, p_g, D) -> float:
    """D's hinge loss in expectation, E_p relu(1 - D) + E_q relu(1 + D), D a callable
    (at D* it is 2 - 2 TV(P, Q))."""
    edges = _Crossings(p_data, p_g)
    return quad(lambda x: p_data.pdf(x) * np.maximum(1 - np.asarray(D(x)), 0)
                + p_g.pdf(x) * np.maximum(1 + np.asarray(D(x)), 0), p_data, p_g, edges)


def crossings(p, q) -> list[float]:
    """The points where the densities p and q cross (found on a grid, refined by bisection)."""
    return list(_Crossings(p, q).roots)


class _Breaks:
    def __init__(self, points):
        self.points = [float(t) for t in points]

    def interval(self):
        return (min(self.points), max(self.points)) if self.points else (0.0, 0.0)

    def panel_edges(self):
        return self.points


def hinge_generator_cost(p_g, D, breaks=()) -> float:
    """The generator's hinge loss in expectation, -E_q[D(x)], for a fixed D (a callable).
    ``breaks``: the points where D jumps (for a frozen D*, crossings(p_data, p_g) of the
    p_g it was made for), so that no quadrature panel straddles a jump."""
    return quad(lambda x: -p_g.pdf(x) * np.asarray(D(x)), p_g, _Breaks(breaks))
