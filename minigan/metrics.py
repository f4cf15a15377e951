"""Sample-quality measures.

In 1-D we know p_data exactly but the generator's distribution p_g only through samples, so
the JSD between them is estimated on a histogram: with bin masses P_i = p_data's mass in bin
i (from its CDF) and Q_i = the fraction of samples in bin i,

    JSD(P || Q) = 1/2 sum_i P_i log(P_i / M_i) + 1/2 sum_i Q_i log(Q_i / M_i),  M = (P + Q) / 2

Binning can only merge differences, so this is a (slightly low) estimate of the continuous
JSD; with n samples its noise floor is about (number of bins) / (8 n).
"""

from __future__ import annotations

import numpy as np


def discrete_js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """JSD (nats) between two probability vectors of the same length (0 log 0 = 0)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"discrete_js_divergence: shapes differ, {p.shape} vs {q.shape}")
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl_to_m(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / m[nz])))

    return 0.5 * kl_to_m(p) + 0.5 * kl_to_m(q)


def histogram_js_divergence(samples: np.ndarray, cdf, edges: np.ndarray) -> float:
    """JSD between a distribution with CDF ``cdf`` and the empirical distribution of 1-D
    ``samples``, on the bins ``edges`` plus two open-ended outer bins."""
    samples = np.asarray(samples, dtype=np.float64).ravel()
    if samples.size == 0:
        raise ValueError("histogram_js_divergence: need at least one sample")
    edges = np.asarray(edges, dtype=np.float64)
    cdf_at = np.concatenate([[0.0], cdf(edges), [1.0]])
    p = np.diff(cdf_at)
    inner, _ = np.histogram(samples, bins=edges)
    q = np.concatenate([[np.sum(samples < edges[0])], inner, [np.sum(samples > edges[-1])]])
    return discrete_js_divergence(np.clip(p, 0, None), q.astype(np.float64))
