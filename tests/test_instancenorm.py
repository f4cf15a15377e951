"""InstanceNorm: gradients against central differences (float64, random upstream gradient),
the normalisation it promises (per sample and channel), save/load, summary and its errors."""

import numpy as np
import pytest

from minigan.gradcheck import check_model
from minigan.layers import Conv2D, InstanceNorm
from minigan.network import Sequential

F64 = np.float64


def affine_norm(rng, channels=3):
    layer = InstanceNorm(channels, dtype=F64)
    layer.params["gamma"][...] = 1 + 0.5 * rng.standard_normal(channels)
    layer.params["beta"][...] = rng.standard_normal(channels)
    return layer


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 3, 3, 1), (3, 3, 6, 6)])
def test_gradients(affine, shape, rng):
    layer = affine_norm(rng) if affine else InstanceNorm(3, affine=False, dtype=F64)
    x = 3 + 2 * rng.standard_normal(shape)  # an offset and a scale for the layer to remove
    result = check_model(layer, x)
    assert set(result.per_array) == ({"input", "gamma", "beta"} if affine else {"input"})
    assert result.rel_error <= 1e-7
    for label, err in result.per_array.items():
        assert err <= 1e-8, f"{label}: rel error {err:.2e}"


def test_each_sample_and_channel_is_normalised(rng):
    x = 5 + 3 * rng.standard_normal((4, 2, 7, 7))
    out = InstanceNorm(2, affine=False, dtype=F64).forward(x, remember=False)
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(2, 3)), 1, rtol=1e-5)  # var / (var + eps)


def test_affine_and_modes(rng):
    layer = affine_norm(rng, 2)
    x = rng.standard_normal((3, 2, 4, 4))
    plain = InstanceNorm(2, affine=False, dtype=F64).forward(x, remember=False)
    out = layer.forward(x, remember=False)
    g, b = layer.params["gamma"], layer.params["beta"]
    np.testing.assert_allclose(out, g[None, :, None, None] * plain + b[None, :, None, None], rtol=1e-13)
    # no batch statistics: eval mode is the same computation, and no state is kept
    np.testing.assert_array_equal(layer.forward(x, training=False, remember=False), out)
    assert layer.state == {} and layer.num_params() == (4, 0)


def test_samples_do_not_interact(rng):
    """Splitting a batch changes nothing (BatchNorm would): CycleGAN's mixed batches rely on it."""
    layer = affine_norm(rng, 2)
    x = rng.standard_normal((4, 2, 5, 5))
    whole = layer.forward(x, remember=False)
    halves = np.concatenate([layer.forward(x[:2], remember=False), layer.forward(x[2:], remember=False)])
    np.testing.assert_array_equal(whole, halves)


def test_float32_and_gradient_accumulation(rng):
    layer = InstanceNorm(2)
    x = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    dout = rng.standard_normal(x.shape).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    assert layer.backward(dout).dtype == np.float32
    once = layer.grads["gamma"].copy()
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_allclose(layer.grads["gamma"], 2 * once, rtol=1e-6)


def test_save_load_round_trip_and_summary(rng, tmp_path):
    def build(seed):
        r = np.random.default_rng(seed)
        return Sequential([Conv2D(1, 3, 3, padding="same", rng=r), InstanceNorm(3)], (1, 6, 6), "net")

    model = build(0)
    model.layers[1].params["gamma"][...] = rng.random(3)
    model.save(tmp_path / "m.npz")
    other = build(1).load(tmp_path / "m.npz")
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x), other.predict(x))
    text = model.summary(print_fn=None)
    assert "instancenorm (InstanceNorm)" in text and "(None, 3, 6, 6)" in text
    assert "Total params: 36" in text  # conv 27 + 3, gamma 3 + beta 3
    with pytest.raises(ValueError, match="does not match"):
        Sequential([Conv2D(1, 3, 3, padding="same"), InstanceNorm(3, affine=False)], (1, 6, 6),
                   "net").load(tmp_path / "m.npz")


def test_errors(rng):
    with pytest.raises(ValueError, match="num_channels must be a positive integer, got 0"):
        InstanceNorm(0)
    with pytest.raises(ValueError, match="eps must be positive"):
        InstanceNorm(2, eps=0)
    with pytest.raises(TypeError, match="affine must be True or False"):
        InstanceNorm(2, affine="yes")
    layer = InstanceNorm(2, dtype=F64)
    with pytest.raises(ValueError, match=r"input of shape \(batch, 2, H, W\), got \(batch, 3, 4, 4\)"):
        layer.forward(rng.standard_normal((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="at least 2 values per channel.*1x1"):
        layer.forward(rng.standard_normal((2, 2, 1, 1)))
    with pytest.raises(RuntimeError, match="backward called without a matching forward"):
        layer.backward(rng.standard_normal((1, 2, 4, 4)))
