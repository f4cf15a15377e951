"""Every fast method against the reference method it replaces (float32 within 1e-5 relative,
float64 within 1e-12, on odd shapes; bit-identical where the arithmetic is the same), the
registry's rules, and the backend switch."""

import os
import subprocess
import sys

import numpy as np
import pytest

from minigan import kernels
from minigan.kernels import backend, fast_methods, get_backend, set_backend
from minigan.layers import BatchNorm, Conv2D, ConvTranspose2D, Dense, LeakyReLU, ReLU, Tanh
from minigan.network import Parameter
from minigan.optim import SGD, Adam, RMSProp, sum_squares

TOL = {np.float32: 1e-5, np.float64: 1e-12}
SHAPES = [(1,), (7,), (3, 5), (64, 33), (2, 3, 5, 7)]


def reference_and_fast(run):
    """run() under the reference backend and under numba: (reference result, fast result)."""
    results = []
    for name in ("numpy", "numba"):
        with backend(name):
            results.append(run())
    return results


def layer_pass(layer, x, dout, training=True):
    """forward + backward on a fresh copy of ``layer``'s gradients: (out, dx, grads, state)."""
    layer.zero_grad()
    out = layer.forward(x, training)
    dx = layer.backward(dout)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    return out, dx, grads, {k: s.copy() for k, s in layer.state.items()}


def assert_passes_match(ref, fast, dtype, exact=False):
    for a, b in zip(ref[:2], fast[:2], strict=True):
        assert b.dtype == a.dtype == dtype and b.shape == a.shape
        if exact:
            np.testing.assert_array_equal(b, a)
        else:
            np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, np.abs(a).max()))
    for d_ref, d_fast in ((ref[2], fast[2]), (ref[3], fast[3])):
        assert d_ref.keys() == d_fast.keys()
        for k in d_ref:
            scale = max(1.0, np.abs(d_ref[k]).max())
            np.testing.assert_allclose(d_fast[k], d_ref[k], rtol=TOL[dtype], atol=TOL[dtype] * scale)


# ----------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["adam", "rmsprop", "sgd", "sgd_momentum"])
def test_fast_optimizer_steps_match_the_reference(kind, shape, dtype, rng):
    p0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    make = {"adam": lambda ps: Adam(ps, 1e-3, (0.5, 0.999)), "rmsprop": lambda ps: RMSProp(ps, 1e-2),
            "sgd": lambda ps: SGD(ps, 0.1), "sgd_momentum": lambda ps: SGD(ps, 0.1, momentum=0.9)}[kind]

    def run():
        p = Parameter("p", p0.copy(), np.zeros_like(p0))
        opt = make([p])
        for g in grads:  # three steps: the bias correction and the moment buffers at work
            p.grad[...] = g
            opt.step()
        return p.value, opt.state_dict(), opt.grad_norm

    (ref, ref_state, ref_norm), (out, state, norm) = reference_and_fast(run)
    assert out.dtype == dtype
    # fused multiply-adds round once where NumPy rounds twice: errors of the order of the
    # values' own rounding, so measured against the largest value (not each small one)
    np.testing.assert_allclose(out, ref, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(ref).max())
    assert state.keys() == ref_state.keys()
    for k in ref_state:
        scale = np.abs(ref_state[k]).max()
        np.testing.assert_allclose(state[k], ref_state[k], rtol=TOL[dtype], atol=TOL[dtype] * scale)
    assert norm == pytest.approx(ref_norm, rel=1e-12)
    assert not np.array_equal(out, p0)  # the parameter really moved, in place


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fast_sum_squares_matches_the_reference(shape, dtype, rng):
    from minigan.kernels.optim import sum_squares as fast_sum_squares

    a = rng.standard_normal(shape).astype(dtype)
    assert fast_sum_squares(a) == pytest.approx(sum_squares(a), rel=1e-12)
    assert sum_squares(a) == pytest.approx(float(np.sum(a.astype(np.float64) ** 2)), rel=1e-12)
    a.flat[0] = np.nan
    assert np.isnan(fast_sum_squares(a)) and np.isnan(sum_squares(a))


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_nan_gradient_stops_both_backends_before_any_update(name):
    p = Parameter("layer.W", np.ones(4, np.float32), np.array([1, np.nan, 0, 0], np.float32))
    q = Parameter("layer.b", np.ones(2, np.float32), np.ones(2, np.float32))
    opt = Adam([q, p])
    with backend(name), pytest.raises(FloatingPointError, match="gradient of layer.W contains NaN"):
        opt.step()
    np.testing.assert_array_equal(q.value, 1)  # checked before anything changed


# ----------------------------------------------------------------------------- layers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (64, 33), (2, 3, 5, 7)], ids=str)
@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_fast_leaky_relu_is_bit_identical(shape, dtype, alpha, rng):
    layer = LeakyReLU(alpha)
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    ref, fast = reference_and_fast(lambda: layer_pass(layer, x, dout))
    assert_passes_match(ref, fast, dtype, exact=True)  # a select and a product


def test_fast_leaky_relu_on_a_non_contiguous_input(rng):
    x = rng.standard_normal((6, 8))[:, ::2]  # a strided view
    ref, fast = reference_and_fast(lambda: ReLU().forward(x, remember=False))
    np.testing.assert_array_equal(fast, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_dense_is_bit_identical_and_the_teaching_matmul_close(dtype, rng):
    layer = Dense(37, 19, rng=rng, dtype=dtype)
    layer.params["b"][...] = rng.standard_normal(19)
    x = rng.standard_normal((11, 37)).astype(dtype)
    g = rng.standard_normal((11, 19)).astype(dtype)
    ref, fast = reference_and_fast(lambda: layer_pass(layer, x, g))
    assert_passes_match(ref, fast, dtype, exact=True)  # the same BLAS products, the same sums
    with backend("numba-matmul"):
        teaching = layer_pass(layer, x, g)
    assert_passes_match(ref, teaching, dtype)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 1), (7, 5), (64, 512), (1, 3, 5, 7), (4, 2, 3, 1)], ids=str)
def test_fast_batchnorm_matches_the_reference(shape, dtype, training, rng):
    layer = BatchNorm(shape[1], dtype=dtype)
    layer.params["gamma"][...] = 1 + 0.3 * rng.standard_normal(shape[1])
    layer.params["beta"][...] = rng.standard_normal(shape[1])
    layer.state["running_mean"][...] = rng.standard_normal(shape[1])
    x = (3 + 2 * rng.standard_normal(shape)).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    state = {k: v.copy() for k, v in layer.state.items()}

    def run():
        for k, v in state.items():
            layer.state[k][...] = v
        return layer_pass(layer, x, dout, training)

    ref, fast = reference_and_fast(run)
    if not training:
        assert_passes_match(ref, fast, dtype, exact=True)  # the fast path *is* the reference here
        return
    # dx is a difference of terms of size |dout * gamma / std|; measure its error on that scale
    # (with two samples per feature the terms cancel almost exactly and dx itself is ~1e-6)
    gamma = layer.params["gamma"].reshape(1, -1, *[1] * (len(shape) - 2))
    axes = (0, *range(2, len(shape)))
    dx_scale = np.abs(dout * gamma / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)).max()
    np.testing.assert_allclose(fast[0], ref[0], rtol=TOL[dtype], atol=TOL[dtype] * np.abs(ref[0]).max())
    np.testing.assert_allclose(fast[1], ref[1], rtol=TOL[dtype], atol=TOL[dtype] * dx_scale)
    assert_passes_match((ref[0], ref[0], ref[2], ref[3]), (ref[0], ref[0], fast[2], fast[3]), dtype)


@pytest.mark.parametrize("shape", [(2, 1), (7, 5), (64, 512), (128, 1024)], ids=str)
def test_batchnorm_kernel_for_dense_input_gives_the_same_bits(shape, rng):
    """The vectorised float32 (N, F) kernels against the general (N, C, M) ones on the same
    input: every output bit for bit (the training runs made before it must repeat)."""
    from minigan.kernels import batchnorm as bn

    N, F = shape
    x = (1 + 3 * rng.standard_normal((N, F, 1))).astype(np.float32)
    gamma = (1 + 0.3 * rng.standard_normal(F)).astype(np.float32)
    beta = rng.standard_normal(F).astype(np.float32)
    dout = rng.standard_normal((N, F, 1)).astype(np.float32)
    general = [np.empty_like(x), np.empty_like(x)] + [np.empty(F, np.float32) for _ in range(3)]
    bn._train_forward_numba(x, gamma, beta, np.float32(1e-5), *general)
    fast = bn.train_forward(x, gamma, beta, 1e-5)  # dispatches to the (N, F) kernel
    for a, b in zip(fast, general, strict=True):
        np.testing.assert_array_equal(a, b)
    xhat, inv_std = general[1], general[4]
    general_back = [np.empty_like(dout), np.empty(F, np.float32), np.empty(F, np.float32)]
    bn._train_backward_numba(dout, xhat, gamma, inv_std, *general_back)
    for a, b in zip(bn.train_backward(dout, xhat, gamma, inv_std), general_back, strict=True):
        np.testing.assert_array_equal(a, b)


CONV_CASES = [  # (in, out, kernel, stride, padding, input shape)
    (2, 3, 3, 1, "valid", (2, 2, 5, 6)),
    (2, 3, 3, 2, "same", (2, 2, 6, 6)),
    (1, 2, (2, 3), 3, 1, (1, 1, 7, 5)),
    (1, 4, 3, 2, "same", (3, 1, 28, 28)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose", [False, True], ids=["conv", "transpose"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_fast_convolutions_match_the_reference(case, transpose, dtype, rng):
    cin, cout, k, s, p, shape = case
    layer = (ConvTranspose2D(cin, cout, k, s, p, rng=rng, dtype=dtype) if transpose
             else Conv2D(cin, cout, k, s, p, rng=rng, dtype=dtype))
    layer.params["b"][...] = rng.standard_normal(cout)
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal((shape[0], *layer.output_shape(shape[1:]))).astype(dtype)
    ref, fast = reference_and_fast(lambda: layer_pass(layer, x, dout))
    # im2col copies, the products are the same BLAS calls; col2im may add in another order
    assert_passes_match(ref, fast, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k, s, pads", [((1, 1, 5, 5), (3, 3), 1, (0, 0, 0, 0)),
                                               ((2, 3, 7, 6), (3, 2), 2, (0, 1, 1, 0)),
                                               ((3, 2, 9, 4), (2, 2), 3, (1, 1, 2, 2)),
                                               ((1, 4, 28, 28), (3, 3), 2, (0, 1, 0, 1))], ids=str)
def test_fast_im2col_col2im_match_the_reference(shape, k, s, pads, dtype, rng):
    from minigan.kernels import conv as fast
    from minigan.layers import conv as reference

    x = rng.standard_normal(shape).astype(dtype)
    cols = reference.im2col(x, *k, s, pads)
    np.testing.assert_array_equal(fast.im2col(x, *k, s, pads), cols)  # copies: bit-identical
    dcols = rng.standard_normal(cols.shape).astype(dtype)
    back = reference.col2im(dcols, shape, *k, s, pads)
    np.testing.assert_allclose(fast.col2im(dcols, shape, *k, s, pads), back, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((1, 1), (1, 1)), ((3, 7), (7, 5)), ((1, 130), (130, 259)),
                                    ((67, 300), (300, 3)), ((129, 257), (257, 131)),
                                    # a row block with a group of four rows and 2 more, and a
                                    # second panel with one group of four depths and 3 more
                                    ((70, 263), (263, 9))], ids=str)
def test_teaching_matmul_matches_blas(shapes, dtype, rng):
    from minigan.kernels.matmul import blocked_matmul

    A = rng.standard_normal(shapes[0]).astype(dtype)
    B = rng.standard_normal(shapes[1]).astype(dtype)
    ref = A @ B
    for a, b in ((A, B), (np.asfortranarray(A), B)):
        C = blocked_matmul(a, b)
        assert C.dtype == dtype and C.shape == ref.shape
        scale = np.abs(A) @ np.abs(B)  # the size of the sums: the right yardstick for rounding
        assert np.max(np.abs(C - ref) / scale) < TOL[dtype]
    # transposed views, as Dense's backward passes them
    np.testing.assert_allclose(blocked_matmul(A.T.copy().T, B), ref, rtol=TOL[dtype] * 10, atol=TOL[dtype])


def test_teaching_matmul_rejects_bad_shapes():
    from minigan.kernels.matmul import blocked_matmul

    with pytest.raises(ValueError, match=r"cannot multiply shapes \(2, 3\) and \(4, 5\)"):
        blocked_matmul(np.zeros((2, 3)), np.zeros((4, 5)))


def test_whole_conv_gan_pass_close_across_backends(rng):
    """D(G(z)) forward and backward through the course's conv GAN, every layer kind at once."""
    from minigan.models import conv_discriminator, conv_generator

    z = rng.standard_normal((3, conv_generator(seed=0).input_shape[0]))
    dlogits = rng.standard_normal((3, 1))

    def run():  # fresh seeded models: the same weights and the same dropout masks
        G, D = conv_generator(seed=0).astype(np.float64), conv_discriminator(seed=1).astype(np.float64)
        logits = D.forward(G.forward(z))
        G.backward(D.backward(dlogits))
        return logits, [p.grad.copy() for p in G.parameters() + D.parameters()]

    (ref, ref_grads), (out, grads) = reference_and_fast(run)
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    # (a bias followed by BatchNorm has a gradient of exactly 0 in theory, rounding noise in
    # practice: the yardstick is the size of the largest gradient)
    scale = max(np.abs(a).max() for a in ref_grads)
    for a, b in zip(ref_grads, grads, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-12 * scale)


# ----------------------------------------------------------------------------- the registry


def test_registry_accelerates_only_the_registered_methods():
    with backend("numba"):
        assert fast_methods(Dense(2, 2), ("compute_forward", "compute_backward")) is not None
        assert fast_methods(ReLU(), ("compute_forward", "compute_backward")) is not None  # inherits
        assert fast_methods(Tanh(), ("compute_forward", "compute_backward")) is None  # no kernel

        class MyDense(Dense):  # a student's variant: runs its own code, forward and backward
            def compute_backward(self, dout, x):
                return super().compute_backward(dout, x)

        assert fast_methods(MyDense(2, 2), ("compute_forward", "compute_backward")) is None
    with backend("numpy"):
        assert fast_methods(Dense(2, 2), ("compute_forward", "compute_backward")) is None


def test_backward_follows_the_forward_even_if_the_backend_changes(rng):
    layer = BatchNorm(3)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    g = rng.standard_normal((5, 3)).astype(np.float32)
    ref = layer_pass(layer, x, g)
    layer.zero_grad()
    with backend("numba"):
        out = layer.forward(x)
    dx = layer.backward(g)  # reference backend now; the fast forward's partner runs
    np.testing.assert_allclose(out, ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, ref[1], rtol=1e-4, atol=1e-5)


def test_backend_switch():
    before = get_backend()
    with backend("numpy"):
        assert get_backend() == "numpy"
    assert get_backend() == before
    with pytest.raises(ValueError, match="must be one of numba, numpy, numba-matmul, got 'cuda'"):
        set_backend("cuda")


def test_import_uses_the_reference_and_use_opts_in():
    code = ("import os, sys, numpy as np, minigan\n"
            "from minigan.models import mlp_generator\n"
            "G = mlp_generator(); G.forward(np.zeros((4, 32), np.float32), remember=False)\n"
            "assert minigan.kernels.get_backend() == 'numpy'\n"
            "assert 'numba' not in sys.modules, 'numba was imported'\n"
            "assert minigan.kernels.use('numba') == 'numba'\n"
            "G.forward(np.zeros((4, 32), np.float32), remember=False)\n"
            "assert 'numba' in sys.modules\n")
    env = {k: v for k, v in os.environ.items() if k != "MINIGAN_KERNELS"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_environment_variable_selects_the_backend():
    code = "import minigan; print(minigan.kernels.get_backend())"
    env = {**os.environ, "MINIGAN_KERNELS": "numba-matmul"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "numba-matmul", result.stderr


def test_bad_environment_value_is_one_clear_error():
    env = {**os.environ, "MINIGAN_KERNELS": "fortran"}
    result = subprocess.run([sys.executable, "-m", "minigan", "gradcheck"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("minigan gradcheck: error: MINIGAN_KERNELS must be one of "
                                     "numba, numpy, numba-matmul, got 'fortran'")


def test_command_backend_defaults_to_numba_and_restores(monkeypatch):
    monkeypatch.delenv("MINIGAN_KERNELS", raising=False)
    before = kernels.get_backend()
    with kernels.command_backend() as name:
        assert name == kernels.get_backend() == "numba"
    assert kernels.get_backend() == before
    monkeypatch.setenv("MINIGAN_KERNELS", "numpy")
    with kernels.command_backend() as name:
        assert name == kernels.get_backend() == "numpy"
