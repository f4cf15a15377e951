"""f-GAN (Nowozin, Cseke & Tomioka, 2016): one game for every f-divergence.

An f-divergence compares P (the data) and Q (the generator) through a convex f, f(1) = 0:

    D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx

Its convex conjugate f*(t) = sup_u (t u - f(u)) gives, for every function T (Fenchel's
inequality t u <= f(u) + f*(t), applied at u = p/q and integrated against q), a lower bound

    D_f(P || Q) >= E_P[T(x)] - E_Q[f*(T(x))],   with equality at T*(x) = f'(p(x) / q(x)).

The discriminator outputs an unbounded logit v = V(x); an output activation g_f maps it into
the domain of f* (T = g_f(v)), and the game is

    F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))]      (D maximises F, G minimises it).

The paper also trains G with the alternative loss -E_Q[g_f(V(x))] (Goodfellow's trick):
the same fixed point, a stronger gradient where D rejects the samples.

The table (the paper's Tables 2 and 6), written here as g_f and f*(g_f(v)) composed
on the logit, because the composition has closed forms that the two steps do not:

    name               f(u)                              g_f(v)              f*(g_f(v))
    kl                 u log u                           v                   exp(v - 1)
    reverse_kl         -log u                            -exp(-v)            v - 1
    pearson            (u - 1)^2                         v                   v^2/4 + v
    squared_hellinger  (sqrt(u) - 1)^2                   1 - exp(-v)         exp(v) - 1
    js                 u log u - (u+1) log((u+1)/2)      log 2 - softplus(-v)  softplus(v) - log 2
    gan                u log u - (u+1) log(u+1)          -softplus(-v)       softplus(v)

For "gan" the discriminator's loss -F is exactly the BCE of the original GAN and the
alternative generator loss is the non-saturating one. With the paper's f for "js",
D_f = 2 JSD (twice minigan.theory's js_divergence); for "gan", D_f = 2 JSD - log 4
(its f(1) = -log 4, not 0: the minimum of the original game, -log 4, at P = Q).

Numerics. js and gan only ever see softplus and sigmoid: finite for any finite logit. kl,
reverse_kl and squared_hellinger have an exponential on one side (exp(v - 1) as v -> +inf,
exp(-v) as v -> -inf): at |v| ~ 710 the exact value exceeds the largest float64 (~1.8e308),
and it is returned as inf, silently, which is its correctly rounded value; never NaN. A
critic only outputs such logits when training has run away, and an inf loss is exactly what
a divergence guard (gan.GuardedTrainer) looks for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .functions import sigmoid, softplus
from .objectives import float_logits

LOG2 = math.log(2)


def _exp(x):
    """exp without the overflow warning: exp(x > 709) is inf, its correctly rounded value."""
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(x)


def _ignore(fn):
    """Evaluate fn() with floating-point warnings off (used for f and f* outside their
    domains, where +inf is the mathematical value)."""
    with np.errstate(all="ignore"):
        return fn()


@dataclass(frozen=True)
class FDivergence:
    """One row of the f-GAN table. Every callable is elementwise on arrays.

    f, f_prime            the generator function and its derivative, u > 0
    conjugate             f*(t), +inf outside its domain (the sup is unbounded there)
    activation            g_f(v): logit -> domain of f*;  activation_grad = g_f'(v)
    conjugate_of_activation   f*(g_f(v)), composed in closed form;  ..._grad its derivative
    optimal_logit         v*(r) with g_f(v*) = f'(e^r), r = log p - log q (the logit of T*)
    """

    name: str
    f: Callable
    f_prime: Callable
    conjugate: Callable
    activation: Callable
    activation_grad: Callable
    conjugate_of_activation: Callable
    conjugate_of_activation_grad: Callable
    optimal_logit: Callable


def _xlogx(u):
    u = np.asarray(u, dtype=np.float64)
    return _ignore(lambda: np.where(u > 0, u * np.log(np.where(u > 0, u, 1.0)), 0.0))


FDIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        "kl",
        f=lambda u: _xlogx(u),
        f_prime=lambda u: _ignore(lambda: 1 + np.log(u)),
        conjugate=lambda t: _exp(np.asarray(t) - 1),
        activation=lambda v: np.asarray(v) * 1,
        activation_grad=lambda v: np.ones_like(v),
        conjugate_of_activation=lambda v: _exp(np.asarray(v) - 1),
        conjugate_of_activation_grad=lambda v: _exp(np.asarray(v) - 1),
        optimal_logit=lambda r: 1 + np.asarray(r)),
    "reverse_kl": FDivergence(
        "reverse_kl",
        f=lambda u: _ignore(lambda: -np.log(u)),
        f_prime=lambda u: -1 / np.asarray(u),
        conjugate=lambda t: _ignore(lambda: np.where(np.asarray(t) < 0, -1 - np.log(-np.asarray(t)), np.inf)),
        activation=lambda v: -_exp(-np.asarray(v)),
        activation_grad=lambda v: _exp(-np.asarray(v)),
        conjugate_of_activation=lambda v: np.asarray(v) - 1,  # -1 - log(exp(-v))
        conjugate_of_activation_grad=lambda v: np.ones_like(v),
        optimal_logit=lambda r: np.asarray(r) * 1),  # -exp(-r) = -q/p = f'(p/q)
    "pearson": FDivergence(
        "pearson",
        f=lambda u: (np.asarray(u) - 1) ** 2,
        f_prime=lambda u: 2 * (np.asarray(u) - 1),
        conjugate=lambda t: np.asarray(t) ** 2 / 4 + np.asarray(t),
        activation=lambda v: np.asarray(v) * 1,
        activation_grad=lambda v: np.ones_like(v),
        conjugate_of_activation=lambda v: np.asarray(v) ** 2 / 4 + np.asarray(v),
        conjugate_of_activation_grad=lambda v: np.asarray(v) / 2 + 1,
        optimal_logit=lambda r: 2 * np.expm1(np.asarray(r))),
    "squared_hellinger": FDivergence(
        "squared_hellinger",
        f=lambda u: (np.sqrt(u) - 1) ** 2,
        f_prime=lambda u: 1 - 1 / np.sqrt(u),
        conjugate=lambda t: _ignore(lambda: np.where(np.asarray(t) < 1, np.asarray(t) / (1 - np.asarray(t)),
                                                     np.inf)),
        activation=lambda v: _ignore(lambda: -np.expm1(-np.asarray(v))),  # 1 - e^{-v}, exact near 0
        activation_grad=lambda v: _exp(-np.asarray(v)),
        # (1 - e^{-v}) / e^{-v} = e^v - 1: the quotient of two overflowing numbers is avoided
        conjugate_of_activation=lambda v: _ignore(lambda: np.expm1(np.asarray(v))),
        conjugate_of_activation_grad=lambda v: _exp(np.asarray(v)),
        optimal_logit=lambda r: np.asarray(r) / 2),  # 1 - exp(-r/2) = 1 - sqrt(q/p)
    "js": FDivergence(
        "js",
        f=lambda u: _xlogx(u) - _xlogx(np.asarray(u) + 1) + (np.asarray(u) + 1) * LOG2,
        f_prime=lambda u: _ignore(lambda: np.log(2 * np.asarray(u) / (1 + np.asarray(u)))),
        conjugate=lambda t: _ignore(lambda: np.where(np.asarray(t) < LOG2, -np.log(2 - np.exp(t)), np.inf)),
        activation=lambda v: LOG2 - softplus(-np.asarray(v)),
        activation_grad=lambda v: sigmoid(-np.asarray(v)),
        # -log(2 - 2 sigmoid(v)) = -log 2 - log sigmoid(-v) = softplus(v) - log 2
        conjugate_of_activation=lambda v: softplus(np.asarray(v)) - LOG2,
        conjugate_of_activation_grad=lambda v: sigmoid(np.asarray(v)),
        optimal_logit=lambda r: np.asarray(r) * 1),  # log 2 + log sigmoid(r) = log(2p / (p + q))
    "gan": FDivergence(
        "gan",
        f=lambda u: _xlogx(u) - _xlogx(np.asarray(u) + 1),
        f_prime=lambda u: _ignore(lambda: np.log(np.asarray(u) / (1 + np.asarray(u)))),
        conjugate=lambda t: _ignore(lambda: np.where(np.asarray(t) < 0, -np.log(-np.expm1(t)), np.inf)),
        activation=lambda v: -softplus(-np.asarray(v)),
        activation_grad=lambda v: sigmoid(-np.asarray(v)),
        # -log(1 - sigmoid(v)) = softplus(v)
        conjugate_of_activation=lambda v: softplus(np.asarray(v)),
        conjugate_of_activation_grad=lambda v: sigmoid(np.asarray(v)),
        optimal_logit=lambda r: np.asarray(r) * 1),  # log sigmoid(r) = log(p / (p + q)) = log D*
}

FGAN_GENERATOR_LOSSES = ("minimax", "alternative")


def get_divergence(name) -> FDivergence:
    """The table row for ``name`` ('kl', 'reverse-kl', ... ; case and -/_ do not matter)."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in FDIVERGENCES:
        raise ValueError(f"divergence must be one of {', '.join(FDIVERGENCES)}, got {name!r}")
    return FDIVERGENCES[key]


def fgan_discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray, divergence):
    """D maximises F; it minimises L_D = -F = -mean g_f(v_real) + mean f*(g_f(v_fake)).

        dL_D/dv_real = -g_f'(v_real) / n,     dL_D/dv_fake = (f* o g_f)'(v_fake) / m

    Returns (L_D, dL_D/d real_logits, dL_D/d fake_logits). -L_D is D's current estimate of
    the lower bound on D_f(P || Q) on this batch.
    """
    div = get_divergence(divergence)
    real_logits = float_logits(real_logits, "fgan_discriminator_loss: real_logits")
    fake_logits = float_logits(fake_logits, "fgan_discriminator_loss: fake_logits")
    n, m = real_logits.size, fake_logits.size
    with np.errstate(over="ignore", under="ignore"):  # exp(+-710) and the like: inf or 0
        value = float(-np.mean(div.activation(real_logits))
                      + np.mean(div.conjugate_of_activation(fake_logits)))
        d_real = -div.activation_grad(real_logits) / n
        d_fake = div.conjugate_of_activation_grad(fake_logits) / m
    return value, d_real.astype(real_logits.dtype, copy=False), d_fake.astype(fake_logits.dtype, copy=False)


def fgan_generator_loss(fake_logits: np.ndarray, divergence, kind: str = "alternative"):
    """The generator's loss on D's logits for its samples, v = V(G(z)).

    - "minimax": G minimises F; only its second term depends on G:
      L_G = -mean f*(g_f(v)),  dL_G/dv = -(f* o g_f)'(v) / n.
    - "alternative" (the paper's practical choice): L_G = -mean g_f(v),  dL_G/dv = -g_f'(v) / n.
      For "gan" these are the saturating and non-saturating losses of losses.generator_loss.

    Returns (L_G, dL_G/d fake_logits).
    """
    div = get_divergence(divergence)
    name = str(kind).strip().lower().replace("-", "_")
    if name not in FGAN_GENERATOR_LOSSES:
        raise ValueError(f"f-GAN generator loss must be one of {', '.join(FGAN_GENERATOR_LOSSES)}, "
                         f"got {kind!r}")
    fake_logits = float_logits(fake_logits, "fgan_generator_loss")
    n = fake_logits.size
    with np.errstate(over="ignore", under="ignore"):  # exp(+-710) and the like: inf or 0
        if name == "minimax":
            value = float(-np.mean(div.conjugate_of_activation(fake_logits)))
            grad = -div.conjugate_of_activation_grad(fake_logits) / n
        else:
            value = float(-np.mean(div.activation(fake_logits)))
            grad = -div.activation_grad(fake_logits) / n
    return value, grad.astype(fake_logits.dtype, copy=False)
