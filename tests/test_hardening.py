"""Issue 13, "nothing lost, nothing silently wrong": each test here failed before its fix.

Damaged files, flags that were silently ignored, output folders that were overwritten or
left empty, and promises (a checkpoint "kept") that were not true. Runs are tiny (64-128
training images, one epoch) so the whole file stays fast.
"""

import numpy as np
import pytest

from minigan.functions import sigmoid, softplus
from minigan.losses import bce_with_logits, generator_loss
from minigan.theory import GaussianMixture


# ------------------------------------------------------------------------------ numerics
def test_integer_logits_are_computed_in_float():
    logits = np.array([[-7], [0]])
    value, grad = generator_loss(logits, "saturating")
    exact_value, exact_grad = generator_loss(logits.astype(np.float64), "saturating")
    assert value == exact_value == pytest.approx(-np.mean(np.log1p(np.exp([-7.0, 0.0]))), rel=1e-15)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, exact_grad)
    assert grad[1, 0] == -0.25  # -sigmoid(0) / 2, not 0
    # unsigned logits: -s must not wrap around
    value, _ = generator_loss(np.array([3], dtype=np.uint8), "non_saturating")
    assert value == pytest.approx(np.log1p(np.exp(-3.0)), rel=1e-15)
    assert bce_with_logits(np.array([0, 0]), 1.0)[0] == pytest.approx(np.log(2), rel=1e-15)
    assert sigmoid(np.array([0])).tolist() == [0.5] and softplus(0) == pytest.approx(np.log(2))
    assert sigmoid(np.float32(1)).dtype == np.float32  # floats keep their dtype


def test_complex_logits_are_refused():
    with pytest.raises(TypeError, match="logits must be real numbers, got dtype complex128"):
        generator_loss(np.array([1 + 1j]))
    with pytest.raises(TypeError, match="expected real numbers"):
        sigmoid(np.array([1j]))


def test_mixture_std_does_not_cancel():
    mixture = GaussianMixture([0.5, 0.5], [1e4, 1e4], [1e-4, 1e-4])
    assert mixture.std == pytest.approx(1e-4, rel=1e-12)
    two = GaussianMixture([0.25, 0.75], [1e4 - 1, 1e4 + 1], [0.5, 2.0])
    # total variance: 0.25 * 0.25 + 0.75 * 4 + (the means' spread) 0.25 * 1.5^2 + 0.75 * 0.5^2
    assert two.std == pytest.approx(np.sqrt(0.0625 + 3 + 0.5625 + 0.1875), rel=1e-12)
