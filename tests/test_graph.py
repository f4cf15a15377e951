"""Composite layers (Residual, Skip) and channel concatenation: gradients against central
differences (float64, random upstream gradient), the Layer contract, parameters inside a
Sequential (unique, stable names; optimizers; save/load; summary), the L1 and
least-squares losses, and clear errors."""

import numpy as np
import pytest

from minigan.gradcheck import check_function, check_model
from minigan.image_losses import l1_loss, least_squares_loss
from minigan.layers import (
    Conv2D,
    ConvTranspose2D,
    Dense,
    Dropout,
    InstanceNorm,
    Residual,
    Skip,
    Tanh,
)
from minigan.layers.composite import concat_channels, split_channels
from minigan.network import Sequential
from minigan.optim import Adam

F64 = np.float64


def residual_block(rng, channels=2, dtype=F64):
    return Residual([Conv2D(channels, channels, 3, padding="same", rng=rng, dtype=dtype),
                     InstanceNorm(channels, dtype=dtype), Tanh(),
                     Conv2D(channels, channels, 3, padding="same", rng=rng, dtype=dtype)])


def small_unet(seed=0, dtype=F64):
    """Two levels: 8x8 -> 4x4 -> 2x2 and back, a Skip inside a Skip."""
    rng = np.random.default_rng(seed)
    inner = Skip([Conv2D(3, 4, 4, 2, "same", rng=rng, dtype=dtype), Tanh(),
                  ConvTranspose2D(4, 3, 4, 2, "same", rng=rng, dtype=dtype), InstanceNorm(3, dtype=dtype)])
    outer = Skip([Conv2D(2, 3, 4, 2, "same", rng=rng, dtype=dtype), Tanh(), inner,
                  ConvTranspose2D(6, 2, 4, 2, "same", rng=rng, dtype=dtype)])
    return Sequential([Conv2D(1, 2, 3, padding="same", rng=rng, dtype=dtype), outer,
                       Conv2D(4, 1, 3, padding="same", rng=rng, dtype=dtype), Tanh()], (1, 8, 8), "unet")


def randomise_biases(model, rng):
    for p in model.parameters():
        if p.name.endswith(".b") or p.name.endswith(".beta"):
            p.value[...] = rng.standard_normal(p.value.shape)


def test_residual_gradients(rng):
    block = residual_block(rng)
    randomise_biases(Sequential([block], (2, 5, 5)), rng)
    result = check_model(block, rng.standard_normal((2, 2, 5, 5)))
    assert result.rel_error <= 1e-7
    assert set(result.per_array) == {"input", "conv2d.W", "conv2d.b", "instancenorm.gamma",
                                     "instancenorm.beta", "conv2d_1.W", "conv2d_1.b"}


def test_skip_gradients(rng):
    block = Skip([Conv2D(2, 3, 4, 2, "same", rng=rng, dtype=F64), Tanh(),
                  ConvTranspose2D(3, 2, 4, 2, "same", rng=rng, dtype=F64)])
    result = check_model(block, rng.standard_normal((2, 2, 6, 6)))
    assert result.rel_error <= 1e-7 and max(result.per_array.values()) <= 1e-7


def test_nested_unet_gradients(rng):
    model = small_unet()
    randomise_biases(model, rng)
    result = check_model(model, rng.standard_normal((2, 1, 8, 8)), max_entries=24)
    assert result.rel_error <= 1e-7
    assert len(result.per_array) == 1 + len(model.parameters())  # every array, 24 entries each


def test_forward_values(rng):
    x = rng.standard_normal((2, 2, 4, 4))
    branch = [Conv2D(2, 2, 3, padding="same", rng=rng, dtype=F64)]
    conv = branch[0]
    fx = conv.forward(x, remember=False)
    np.testing.assert_array_equal(Residual(branch).forward(x, remember=False), x + fx)
    conv2 = Conv2D(2, 3, 3, padding="same", rng=rng, dtype=F64)
    out = Skip([conv2]).forward(x, remember=False)
    assert out.shape == (2, 5, 4, 4)
    np.testing.assert_array_equal(out[:, :2], x)
    np.testing.assert_array_equal(out[:, 2:], conv2.forward(x, remember=False))


def test_parameters_are_the_layers_arrays_and_optimizers_step_them(rng):
    model = small_unet()
    names = [p.name for p in model.parameters()]
    assert len(set(names)) == len(names)
    assert names == [p.name for p in small_unet(seed=5).parameters()]  # stable across builds
    assert "skip.skip.convtranspose2d.W" in names and "skip.conv2d_1.W" not in names
    inner_conv = model.layers[1].layers[0]
    assert model.parameters()[2].value is inner_conv.params["W"]
    before = inner_conv.params["W"].copy()
    opt = Adam(model.parameters(), lr=0.1)
    model.forward(rng.standard_normal((2, 1, 8, 8)))
    model.backward(rng.standard_normal((2, 1, 8, 8)))
    assert np.abs(inner_conv.grads["W"]).sum() > 0
    opt.step()
    assert not np.array_equal(inner_conv.params["W"], before)  # the layer sees the update
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_astype_keeps_the_arrays_shared(rng):
    model = small_unet(dtype=np.float32).astype(F64)
    inner_conv = model.layers[1].layers[0]
    assert model.layers[1].params["conv2d.W"] is inner_conv.params["W"]
    assert all(p.value.dtype == F64 and p.grad.dtype == F64 for p in model.parameters())


def test_gradients_accumulate_and_need_dx(rng):
    block = residual_block(rng)
    x, dout = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((2, 2, 4, 4))
    block.forward(x)
    dx = block.backward(dout)
    once = {k: g.copy() for k, g in block.grads.items()}
    block.forward(x)
    assert block.backward(dout, need_dx=False) is None
    for k, g in block.grads.items():
        np.testing.assert_allclose(g, 2 * once[k], rtol=1e-12, atol=1e-14)
    assert dx.shape == x.shape


def test_contract_errors(rng):
    block = residual_block(rng)
    x = rng.standard_normal((2, 2, 4, 4))
    with pytest.raises(RuntimeError, match="Residual 'residual': backward called without a matching forward"):
        block.backward(x)
    block.forward(x)
    with pytest.raises(RuntimeError, match="forward called again before backward"):
        block.forward(x)
    with pytest.raises(ValueError, match=r"backward expects dout of the output's shape \(2, 2, 4, 4\)"):
        block.backward(rng.standard_normal((2, 2, 3, 3)))
    block.forget()
    block.forward(x)  # forget dropped the block's cache and its layers' caches
    block.backward(x)
    with pytest.raises(ValueError, match=r"maps \(2, 4, 4\) to \(3, 4, 4\); a residual branch must keep"):
        Residual([Conv2D(2, 3, 3, padding="same")]).forward(x)
    with pytest.raises(ValueError, match="skip connection needs the branch to return the input's height"):
        Sequential([Skip([Conv2D(2, 3, 3, 2, "same")])], (2, 4, 4))
    with pytest.raises(TypeError, match="Skip: layers must be a non-empty list"):
        Skip([])
    conv = Conv2D(2, 2, 3, padding="same")
    with pytest.raises(ValueError, match="the same layer object appears twice"):
        Residual([conv, conv])
    with pytest.raises(ValueError, match="Dropout owns a random generator"):
        Residual([Dense(3, 3), Dropout(0.5, rng=0)])


def test_concat_and_split(rng):
    a, b = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    both = concat_channels(a, b)
    da, db = split_channels(both, 1)
    np.testing.assert_array_equal(da, a)
    np.testing.assert_array_equal(db, b)
    with pytest.raises(ValueError, match="equal N, H and W"):
        concat_channels(a, rng.standard_normal((2, 1, 4, 3)))
    with pytest.raises(ValueError, match="cannot split 3 channels"):
        split_channels(both, 3)


def test_save_load_round_trip_and_summary(rng, tmp_path):
    model = small_unet(seed=0)
    randomise_biases(model, rng)
    model.save(tmp_path / "unet.npz")
    other = small_unet(seed=1).load(tmp_path / "unet.npz")
    x = rng.standard_normal((2, 1, 8, 8))
    np.testing.assert_array_equal(model.predict(x), other.predict(x))
    text = model.summary(print_fn=None)
    assert "skip (Skip)" in text and "(None, 4, 8, 8)" in text
    total = sum(p.value.size for p in model.parameters())
    assert f"Total params: {total:,}" in text
    with pytest.raises(ValueError, match="does not match"):
        other = Sequential([Conv2D(1, 1, 3, padding="same", dtype=F64)], (1, 8, 8), "unet")
        other.load(tmp_path / "unet.npz")


def test_losses(rng):
    target = rng.standard_normal((3, 1, 4, 4))
    out = target + away(rng, target.shape)
    assert check_function(lambda o: l1_loss(o, target), out, "l1").rel_error <= 1e-7
    value, grad = l1_loss(out, target)
    assert value == pytest.approx(np.mean(np.abs(out - target)))
    assert l1_loss(target, target)[1].any() == 0  # the subgradient at 0 is 0
    scores = rng.standard_normal((4, 1, 3, 3))
    for t in (0.0, 1.0):
        assert check_function(lambda s, t=t: least_squares_loss(s, t), scores, "ls").rel_error <= 1e-7
    assert least_squares_loss(np.ones((2, 1)), 1.0) == (0.0, pytest.approx(np.zeros((2, 1))))
    with pytest.raises(ValueError, match=r"same shape, got \(3, 1, 4, 4\) and \(3, 1, 1\)"):
        l1_loss(out, target[:, :, 0, :1])
    with pytest.raises(FloatingPointError, match="diverged"):
        least_squares_loss(np.array([np.nan]), 1.0)


def away(rng, shape, margin=0.05):
    """Differences kept away from 0, where |u| has its kink."""
    d = rng.standard_normal(shape)
    return np.sign(d) * (margin + np.abs(d))
