"""Checks for the theory assignment (A4): the optimal discriminator, a quadrature rule, and
the Jensen-Shannon divergence, each against minigan.theory (composite Gauss-Legendre, accurate
to ~1e-13) and closed forms.

    check_optimal_discriminator(optimal_discriminator)   # fn(p_data, p_g, x) -> D*(x)
    check_integrate(integrate)                           # fn(f, a, b, n) -> float
    check_js_divergence(js_divergence)                   # fn(p, q, integrate=...) -> float, in nats

The JSD check passes its own accurate ``integrate`` to the student's function, so a mistake
in the student's quadrature rule shows up in that exercise only.
"""

from __future__ import annotations

import math

import numpy as np

from .. import theory
from .checks import call_student
from .report import StudentCodeError, compare, fail_on_error, finish

TOLERANCE = 1e-7
LOG_HINT = ("compute D* from log-densities, sigmoid(log p_data(x) - log p_g(x)): far in a tail both "
            "densities underflow to 0 and p_data / (p_data + p_g) becomes 0/0")


def check_optimal_discriminator(fn, tolerance: float = TOLERANCE, quiet: bool = False) -> None:
    """fn(p_data, p_g, x) -> D*(x) for distributions with .pdf and .logpdf, on a grid that
    reaches x = +-60, where the densities underflow but D* is still 0 or 1 (not NaN)."""
    name = getattr(fn, "__name__", "optimal_discriminator")
    pairs = [(theory.Gaussian(0, 1), theory.Gaussian(2, 1), "N(0,1) vs N(2,1)"),
             (theory.Gaussian(0, 1), theory.Gaussian(1, 3), "N(0,1) vs N(1,3²)"),
             (theory.GaussianMixture([0.5, 0.5], [-2, 2], [0.5, 0.5]), theory.Gaussian(0, 2),
              "mixture vs N(0,2²)")]
    rows = []
    try:
        for p, q, label in pairs:
            x = np.linspace(-6, 6, 121)
            rows.append(compare(f"D* on [-6, 6], {label}", "minigan.theory", call_student(name, fn, p, q, x),
                                theory.optimal_discriminator(p, q, x), tolerance))
        p, q, label = pairs[0]
        x = np.array([-60.0, -45.0, 45.0, 60.0])
        with np.errstate(all="ignore"):
            tails = np.asarray(call_student(name, fn, p, q, x), dtype=float)
        row = compare(f"D* at |x| = 45, 60, {label}", "minigan.theory", tails,
                      theory.optimal_discriminator(p, q, x), tolerance)
        if not row.passed:
            row.hint = LOG_HINT
        rows.append(row)
    except StudentCodeError as err:
        fail_on_error(name, err)
    finish(name, f"check_optimal_discriminator({name}): tolerance {tolerance:g}", rows, quiet)


def check_integrate(fn, tolerance: float = 1e-9, quiet: bool = False) -> None:
    """fn(f, a, b, n) -> the integral of f over [a, b] with n panels; f takes an array."""
    name = getattr(fn, "__name__", "integrate")
    cases = [(lambda x: x ** 3 - 2 * x, 0.0, 3.0, 11.25, "x³ - 2x on [0, 3]"),
             (np.sin, 0.0, math.pi, 2.0, "sin on [0, π]"),
             (theory.Gaussian(1, 2).pdf, -23.0, 25.0, 1.0, "N(1, 2²) density on ±12σ"),
             (np.exp, -1.0, 1.0, math.e - 1 / math.e, "exp on [-1, 1]")]
    rows = []
    try:
        for f, a, b, exact, label in cases:
            value = call_student(name, fn, f, a, b, 2000)
            rows.append(compare(label, "exact", np.float64(value), np.float64(exact), tolerance))
    except StudentCodeError as err:
        fail_on_error(name, err)
    for row in rows:
        if not row.passed:
            row.hint = ("use a rule of order 4 or more (Simpson: weights 1, 4, 2, 4, ..., 2, 4, 1 "
                        "times h/3), with n panels of width h = (b - a) / n")
    finish(name, f"check_integrate({name}): n = 2000 panels, tolerance {tolerance:g}", rows, quiet)


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(10)


def reference_integrate(f, a, b, n=2000):
    """Composite 10-point Gauss-Legendre on n equal panels (order 20): exact enough to stand in
    for the student's rule."""
    edges = np.linspace(a, b, n + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    x = 0.5 * (hi - lo) * _NODES[None, :] + 0.5 * (lo + hi)
    return float(np.sum(0.5 * (hi - lo) * _WEIGHTS[None, :] * f(x)))


def check_js_divergence(fn, tolerance: float = TOLERANCE, quiet: bool = False) -> None:
    """fn(p, q, integrate=...) -> JSD(p || q) in nats: 0 for equal distributions, log 2 for
    disjoint ones. The check hands fn an accurate ``integrate(f, a, b, n)``."""
    name = getattr(fn, "__name__", "js_divergence")
    pairs = [(theory.Gaussian(0, 1), theory.Gaussian(0, 1), "N(0,1), N(0,1)"),
             (theory.Gaussian(0, 1), theory.Gaussian(1, 1), "N(0,1), N(1,1)"),
             (theory.Gaussian(0, 1), theory.Gaussian(0.5, 2), "N(0,1), N(0.5,2²)"),
             (theory.Gaussian(0, 1), theory.Gaussian(30, 1), "N(0,1), N(30,1)")]
    rows, values = [], []
    try:
        for p, q, label in pairs:
            value = float(call_student(name, fn, p, q, integrate=reference_integrate))
            values.append(value)
            rows.append(compare(label, "minigan.theory", np.float64(value),
                                np.float64(theory.js_divergence(p, q)), tolerance))
        forward = values[2]
        backward = float(call_student(name, fn, pairs[2][1], pairs[2][0], integrate=reference_integrate))
    except StudentCodeError as err:
        fail_on_error(name, err)
    rows.append(compare("symmetry: JSD(q || p)", "JSD(p || q)", np.float64(backward), np.float64(forward),
                        tolerance))
    exact = [theory.js_divergence(p, q) for p, q, _ in pairs]
    for row, value, want in zip(rows, values, exact, strict=False):
        if row.passed or want == 0:
            continue
        if abs(value * math.log(2) - want) <= 1e-6 * want:
            row.hint = "JSD is in nats here: natural logarithms (np.log); its maximum is log 2 = 0.693"
        elif abs(value - 2 * want) <= 1e-6 * want:
            row.hint = "JSD = ½ KL(p || m) + ½ KL(q || m): the factors ½ are missing"
        elif abs(value - 0.5 * want) <= 1e-6 * want:
            row.hint = "m = (p + q) / 2 is the mixture, and JSD = ½ KL(p || m) + ½ KL(q || m): check the ½s"
    if values and not rows[-2].passed and not rows[-2].hint:
        rows[-2].hint = ("for distributions that do not overlap JSD = log 2; work with log-densities "
                         "(np.logaddexp) so that log p - log m stays finite where p underflows")
    finish(name, f"check_js_divergence({name}): nats, tolerance {tolerance:g}", rows, quiet)

