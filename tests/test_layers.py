"""Every layer: gradients against central differences (float64, random upstream gradient),
plus the behaviour each layer promises and its errors on bad input."""

import warnings

import numpy as np
import pytest

from minigan.gradcheck import away_from_kink, check_model
from minigan.layers import (
    BatchNorm,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
)

F64 = np.float64
TIGHT = 1e-8  # every array of every layer, checked separately


def assert_gradients(layer, x, training=True):
    result = check_model(layer, x, training)
    assert result.per_array, "nothing was checked"
    for label, err in result.per_array.items():
        assert err < TIGHT, f"{layer!r}: {label} rel error {err:.2e}"
    return result


def test_dense_gradients(rng):
    layer = Dense(7, 4, rng=rng, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(4)  # a non-zero bias exercises db
    result = assert_gradients(layer, rng.standard_normal((5, 7)))
    assert set(result.per_array) == {"input", "W", "b"}
    assert result.checked == 5 * 7 + 7 * 4 + 4


def test_dense_batch_of_one(rng):
    assert_gradients(Dense(3, 2, rng=rng, dtype=F64), rng.standard_normal((1, 3)))


@pytest.mark.parametrize("layer", [LeakyReLU(0.2), LeakyReLU(0.01), ReLU()], ids=repr)
def test_piecewise_linear_gradients(layer, rng):
    assert_gradients(layer, away_from_kink(rng, (6, 9)))


@pytest.mark.parametrize("layer", [Sigmoid(), Tanh()], ids=repr)
def test_smooth_activation_gradients(layer, rng):
    assert_gradients(layer, 3 * rng.standard_normal((6, 9)))


def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    np.testing.assert_array_equal(LeakyReLU(0.2).forward(x, remember=False), [[-0.4, -0.1, 0.5, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x, remember=False), [[0, 0, 0.5, 3.0]])
    np.testing.assert_allclose(Sigmoid().forward(x, remember=False), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(Tanh().forward(x, remember=False), np.tanh(x), rtol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extreme_inputs_are_finite_and_silent(dtype):
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Sigmoid().forward(x, remember=False)
    assert out.dtype == dtype
    assert np.all(np.isfinite(out))
    assert out[0, 0] == 0 or out[0, 0] < 1e-300
    assert out[0, 2] == 0.5 and out[0, 4] == 1.0


def _random_batchnorm(rng, features):
    bn = BatchNorm(features, dtype=F64)
    bn.params["gamma"][...] = 1 + 0.5 * rng.standard_normal(features)
    bn.params["beta"][...] = rng.standard_normal(features)
    bn.state["running_mean"][...] = rng.standard_normal(features)
    bn.state["running_var"][...] = 0.5 + rng.random(features)
    return bn


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 6)], ids=["NF", "NCHW"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_gradients(shape, training, rng):
    x = 2 + 3 * rng.standard_normal(shape)
    assert_gradients(_random_batchnorm(rng, shape[1]), x, training)


def test_batchnorm_dx_is_not_trivially_zero(rng):
    """With a random upstream gradient, dx of BatchNorm is far from zero (with all-ones it
    would be zero and any bug in dx could hide)."""
    bn = BatchNorm(4, dtype=F64)
    x = rng.standard_normal((6, 4))
    bn.forward(x)
    assert np.abs(bn.backward(rng.standard_normal((6, 4)))).max() > 0.1
    bn.forward(x)
    assert np.abs(bn.backward(np.ones((6, 4)))).max() < 1e-14


def test_batchnorm_training_statistics_nchw_are_per_channel(rng):
    x = rng.standard_normal((5, 3, 4, 4)) * np.array([1, 5, 10]).reshape(1, 3, 1, 1) + 7
    out = BatchNorm(3, eps=1e-12, dtype=F64).forward(x, remember=False)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, rtol=1e-9)


def test_batchnorm_running_statistics_update(rng):
    bn = BatchNorm(2, momentum=0.1, dtype=F64)
    x = rng.standard_normal((10, 2)) + np.array([3.0, -1.0])
    bn.forward(x, remember=False)
    np.testing.assert_allclose(bn.state["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(bn.state["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1),
                               rtol=1e-14)
    # eval mode uses the running statistics and leaves them alone
    before = {k: v.copy() for k, v in bn.state.items()}
    out = bn.forward(x, training=False, remember=False)
    expected = (x - before["running_mean"]) / np.sqrt(before["running_var"] + bn.eps)
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    for k in before:
        np.testing.assert_array_equal(bn.state[k], before[k])


def test_batchnorm_needs_two_values_in_training():
    with pytest.raises(ValueError, match="at least 2 values"):
        BatchNorm(3).forward(np.ones((1, 3), np.float32))


def test_dropout_gradients_and_behaviour(rng):
    layer = Dropout(0.3, rng=5)
    x = rng.standard_normal((50, 40))
    assert_gradients(layer, x[:4, :6])
    out = layer.forward(x, remember=False)
    dropped = out == 0
    assert 0.25 < dropped.mean() < 0.35
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.7, rtol=1e-15)
    np.testing.assert_array_equal(layer.forward(x, training=False, remember=False), x)
    # seeded: two layers with the same seed draw the same masks
    a = Dropout(0.5, rng=9).forward(x, remember=False)
    b = Dropout(0.5, rng=9).forward(x, remember=False)
    np.testing.assert_array_equal(a, b)


def test_flatten_and_reshape(rng):
    x = rng.standard_normal((3, 2, 4, 4))
    assert_gradients(Flatten(), x)
    assert Flatten().forward(x, remember=False).shape == (3, 32)
    assert_gradients(Reshape((1, 4, 8)), rng.standard_normal((3, 32)))
    assert Reshape((2, 16)).output_shape((32,)) == (2, 16)


def test_float32_in_float32_out(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    layers = [Dense(5, 5, rng=rng), LeakyReLU(), BatchNorm(5), Tanh(), Sigmoid(), Dropout(0.5, 1)]
    for layer in layers:
        out = layer.forward(x)
        assert out.dtype == np.float32, repr(layer)
        assert layer.backward(np.ones_like(out)).dtype == np.float32, repr(layer)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kernels", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, np.int32])
def test_unsupported_dtypes_are_one_clear_error_on_both_backends(dtype, kernels):
    """float16 used to raise an internal error from Numba and be computed in float32 by NumPy."""
    from minigan.kernels import backend

    x = np.ones((4, 3), dtype=dtype)
    for layer in (Dense(3, 3), LeakyReLU(), BatchNorm(3), Tanh()):
        with backend(kernels), pytest.raises(TypeError) as error:
            layer.forward(x)
        assert str(error.value) == (f"{layer.describe()}: input dtype must be float32 or float64, "
                                    f"got {np.dtype(dtype)}")


def test_wrong_input_shape_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Dense 'dense'.*\(batch, 7\).*\(batch, 6\)"):
        Dense(7, 3).forward(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm.*\(batch, 4\).*\(batch, 5\)"):
        BatchNorm(4).forward(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"Reshape.*\(batch, 10\)"):
        Reshape((3, 3)).forward(np.zeros((2, 10), np.float32))


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="without a matching forward"):
        Dense(2, 2).backward(np.zeros((1, 2), np.float32))
    layer = Tanh()
    layer.forward(np.zeros((1, 2)))
    layer.backward(np.zeros((1, 2)))
    with pytest.raises(RuntimeError, match="without a matching forward"):
        layer.backward(np.zeros((1, 2)))  # the cache was consumed


def test_second_forward_does_not_silently_overwrite_the_cache():
    layer = LeakyReLU()
    layer.forward(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="before backward"):
        layer.forward(np.ones((2, 2)))
    layer.forward(np.ones((2, 2)), remember=False)  # allowed: keeps no cache
    layer.forget()
    layer.forward(np.ones((2, 2)))


def test_backward_checks_dout_shape():
    layer = Dense(3, 2)
    layer.forward(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"dout of the output's shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3), np.float32))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_features"):
        Dense(0, 3)
    with pytest.raises(ValueError, match="init must be one of"):
        Dense(2, 3, init="he")
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=0)
    with pytest.raises(TypeError, match="float32 or float64"):
        Tanh().forward(np.ones((2, 2), dtype=int))


def test_backward_accumulates_and_zero_grad_resets(rng):
    layer = Dense(3, 2, rng=rng, dtype=F64)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(g)
    once = layer.grads["W"].copy()
    layer.forward(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.grads["W"], 2 * once, rtol=1e-15)
    layer.zero_grad()
    assert not layer.grads["W"].any() and not layer.grads["b"].any()


def test_initialisers(rng):
    W = Dense(300, 200, rng=rng).params["W"]
    limit = np.sqrt(6 / 500)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    assert abs(W.std() - limit / np.sqrt(3)) < 0.01 * limit
    W = Dense(300, 200, init="normal_002", rng=rng).params["W"]
    assert abs(W.std() - 0.02) < 5e-4 and abs(W.mean()) < 1e-4
    a, b = Dense(4, 4, rng=3).params["W"], Dense(4, 4, rng=3).params["W"]
    np.testing.assert_array_equal(a, b)
