"""Convolution layers: gradients, the adjoint identity, the direct (loop) definition, the
course's conv GAN, empty batches and errors. (The fast kernels against these reference layers:
tests/test_kernels.py.)"""

import numpy as np
import pytest

from minigan.gradcheck import check_generator_step, check_model, input_farthest_from_kinks, safe_step
from minigan.layers import BatchNorm, Conv2D, ConvTranspose2D, UpSampling2D
from minigan.layers.conv import col2im, direct_conv2d, direct_conv2d_backward, im2col
from minigan.models import conv_discriminator, conv_generator

F64 = np.float64

CONV_CASES = [  # (in, out, kernel, stride, padding, input shape)
    (2, 3, 3, 1, "valid", (2, 2, 5, 6)),
    (2, 3, 3, 2, "same", (2, 2, 6, 6)),     # even size: asymmetric padding (0 top, 1 bottom)
    (2, 3, 3, 2, "same", (2, 2, 7, 5)),     # odd sizes
    (1, 2, (2, 3), 3, 1, (1, 1, 7, 5)),     # batch 1, non-square kernel, stride 3 not dividing
    (3, 2, 1, 1, 0, (2, 3, 4, 3)),          # 1x1 kernel
]
TRANSPOSE_CASES = [  # (in, out, kernel, stride, padding, output_padding, input shape)
    (2, 3, 3, 2, "valid", 0, (2, 2, 3, 3)),
    (2, 3, 3, 2, "same", 0, (2, 2, 3, 4)),
    (2, 3, 3, 2, 1, 1, (1, 2, 3, 3)),
    (3, 2, (2, 3), 3, "valid", 2, (2, 3, 2, 3)),
]


def with_random_bias(layer, rng):
    layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    return layer


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_gradients(case, rng):
    cin, cout, k, s, p, shape = case
    layer = with_random_bias(Conv2D(cin, cout, k, s, p, rng=rng, dtype=F64), rng)
    result = check_model(layer, rng.standard_normal(shape))
    assert max(result.per_array.values()) < 1e-8, result.per_array


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_conv_transpose_gradients(case, rng):
    cin, cout, k, s, p, op, shape = case
    layer = with_random_bias(ConvTranspose2D(cin, cout, k, s, p, op, rng=rng, dtype=F64), rng)
    result = check_model(layer, rng.standard_normal(shape))
    assert max(result.per_array.values()) < 1e-8, result.per_array


def test_upsampling_gradients_and_values(rng):
    x = rng.standard_normal((2, 3, 2, 3))
    assert max(check_model(UpSampling2D(2), x).per_array.values()) < 1e-8
    out = UpSampling2D(3).forward(np.arange(4.0).reshape(1, 1, 2, 2), remember=False)
    np.testing.assert_array_equal(out[0, 0, :3, :3], 0.0)
    np.testing.assert_array_equal(out[0, 0, 3:, 3:], 3.0)


@pytest.mark.parametrize("padding, H, W, op", [("valid", 7, 7, 0), ("valid", 8, 10, 1), ("same", 8, 6, 0),
                                              ("same", 4, 4, 0), (1, 7, 9, 0), (1, 8, 6, 1)])
def test_adjoint_identity(padding, H, W, op, rng):
    """<conv(x), y> = <x, conv_transpose(y)> for the same weights (bias zero), where the
    transposed layer maps the conv's output shape back to its input shape."""
    conv = Conv2D(3, 4, 3, 2, padding, rng=rng, dtype=F64)
    transpose = ConvTranspose2D(4, 3, 3, 2, padding, output_padding=op, rng=rng, dtype=F64)
    transpose.params["W"][...] = conv.params["W"]
    x = rng.standard_normal((2, 3, H, W))
    y = rng.standard_normal((2, *conv.output_shape(x.shape[1:])))
    assert transpose.output_shape(y.shape[1:]) == x.shape[1:]
    lhs = np.sum(conv.forward(x, remember=False) * y)
    rhs = np.sum(x * transpose.forward(y, remember=False))
    assert abs(lhs - rhs) <= 1e-10 * (np.abs(x).sum() * np.abs(y).sum() / x.size) + 1e-12
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_equals_the_direct_definition(case, rng):
    """im2col + one matrix product (the layer) = the loops of the definition, both ways."""
    cin, cout, k, s, p, shape = case
    layer = with_random_bias(Conv2D(cin, cout, k, s, p, rng=rng, dtype=F64), rng)
    x = rng.standard_normal(shape)
    out = layer.forward(x)
    pads = layer.pads(*shape[2:])
    np.testing.assert_allclose(out, direct_conv2d(x, layer.params["W"], layer.params["b"], s, pads),
                               rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    ref_dx, ref_dW, ref_db = direct_conv2d_backward(dout, x, layer.params["W"], s, pads)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], ref_db, rtol=1e-12, atol=1e-12)


def test_same_padding_is_keras_asymmetric():
    assert Conv2D(1, 1, 3, 2, "same").pads(28, 28) == (0, 1, 0, 1)
    assert Conv2D(1, 1, 3, 2, "same").pads(7, 7) == (1, 1, 1, 1)
    assert Conv2D(1, 1, 3, 1, "same").pads(5, 6) == (1, 1, 1, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k, s, pads", [((1, 1, 5, 5), (3, 3), 1, (0, 0, 0, 0)),
                                               ((2, 3, 7, 6), (3, 2), 2, (0, 1, 1, 0)),
                                               ((3, 2, 9, 4), (2, 2), 3, (1, 1, 2, 2)),
                                               ((1, 4, 28, 28), (3, 3), 2, (0, 1, 0, 1))], ids=str)
def test_col2im_is_the_adjoint_of_im2col(shape, k, s, pads, dtype, rng):
    """<im2col(x), g> = <x, col2im(g)>, and im2col copies every window exactly."""
    x = rng.standard_normal(shape).astype(dtype)
    cols = im2col(x, *k, s, pads)
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    kh, kw = k
    # the window of output (n=0, oh=0, ow=1) is column 1, its rows ordered channel, kernel
    # row, kernel column (every case here has at least 2 output columns)
    np.testing.assert_array_equal(cols[:, 1], xp[0, :, 0:kh, s:s + kw].reshape(-1))
    g = rng.standard_normal(cols.shape).astype(dtype)
    dx = col2im(g, shape, *k, s, pads)
    assert dx.dtype == dtype and dx.shape == shape
    tol = {np.float32: 1e-5, np.float64: 1e-12}[dtype]
    lhs, rhs = np.sum(cols.astype(F64) * g), np.sum(x.astype(F64) * dx)
    assert lhs == pytest.approx(rhs, rel=tol * 10)


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
def test_empty_batch_gives_empty_outputs(kernels, rng):
    """N = 0: Conv2D, ConvTranspose2D and BatchNorm in eval mode return empty arrays of the
    right shape (and empty gradients); BatchNorm in training mode says it needs 2 values."""
    from minigan.kernels import backend

    with backend(kernels):
        for layer, shape in ((Conv2D(2, 3, 3, 2, "same", rng=rng), (0, 2, 6, 6)),
                             (ConvTranspose2D(2, 3, 3, 2, rng=rng), (0, 2, 3, 3)),
                             (BatchNorm(2), (0, 2, 4, 4)), (BatchNorm(2), (0, 2))):
            x = np.zeros(shape, np.float32)
            training = not isinstance(layer, BatchNorm)
            out = layer.forward(x, training)
            assert out.shape == (0, *layer.output_shape(shape[1:])) and out.dtype == np.float32
            dx = layer.backward(out)
            assert dx.shape == shape
            for g in layer.grads.values():
                np.testing.assert_array_equal(g, 0)
        with pytest.raises(ValueError, match=r"BatchNorm 'batchnorm': training mode needs at least 2 "
                                             r"values per feature .*got input of shape \(0, 2, 4, 4\)"):
            BatchNorm(2).forward(np.zeros((0, 2, 4, 4), np.float32), training=True)


def test_course_conv_shapes_and_counts():
    D, G = conv_discriminator(), conv_generator()
    assert D.num_params() == (93_825, 0) and G.num_params() == (260_353, 384)
    assert [s for s in D.output_shapes[:6:2]] == [(32, 14, 14), (64, 7, 7), (128, 3, 3)]
    assert [sum(layer.num_params()) for layer in D.layers if layer.params] == [320, 18_496, 73_856, 1_153]
    convs = [layer for layer in G.layers if isinstance(layer, ConvTranspose2D)]
    assert [sum(c.num_params()) for c in convs] == [147_584, 73_792, 577]
    assert G.output_shapes[-1] == (1, 28, 28)
    for text in ("Total params: 93,825", "Non-trainable params: 0"):
        assert text in D.summary(print_fn=None)
    for text in ("Total params: 260,737", "Trainable params: 260,353", "Non-trainable params: 384"):
        assert text in G.summary(print_fn=None)


def test_course_conv_models_gradients():
    D = conv_discriminator(seed=1, dtype=F64)
    G = conv_generator(seed=2, dtype=F64)
    images, margin = input_farthest_from_kinks([D], lambda r: np.tanh(r.standard_normal((1, 1, 28, 28))))
    assert check_model(D, images, True, max_entries=8, h=safe_step(margin)).rel_error < 1e-8
    z, margin = input_farthest_from_kinks([G, D], lambda r: r.standard_normal((2, 32)), modes=(True, False))
    for training in (True, False):
        assert check_model(G, z, training, max_entries=8, h=safe_step(margin)).rel_error < 1e-8
    for kind in ("saturating", "non_saturating"):
        assert check_generator_step(G, D, z, kind, max_entries=8, h=safe_step(margin)).rel_error < 1e-8


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(1, 2, 3, stride=0), "Conv2D: stride must be a positive integer, got 0"),
    (lambda: Conv2D(1, 2, 0), "Conv2D: kernel_size must be a positive integer, got 0"),
    (lambda: Conv2D(1, 2, 3, padding="full"), "padding must be 'valid', 'same' or a non-negative integer"),
    (lambda: ConvTranspose2D(1, 2, 3, stride=2, output_padding=2),
     r"output_padding \(2\) must be smaller than stride \(2\)"),
    (lambda: Conv2D(1, 2, 5).forward(np.zeros((1, 1, 3, 4), np.float32)),
     r"Conv2D 'conv2d': kernel 5x5 is larger than the padded input 3x4"),
    (lambda: Conv2D(3, 2, 3).forward(np.zeros((1, 1, 8, 8), np.float32)),
     r"Conv2D 'conv2d': expected input of shape \(batch, 3, H, W\), got \(batch, 1, 8, 8\)"),
    (lambda: ConvTranspose2D(4, 2, 3).forward(np.zeros((1, 2, 3, 3), np.float32)),
     r"ConvTranspose2D 'convtranspose2d': expected input of shape \(batch, 4, H, W\)"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
