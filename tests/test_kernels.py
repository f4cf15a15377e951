"""Every Numba kernel against its NumPy twin: float32 within 1e-5 relative, float64 within
1e-12, on odd shapes. Plus the backend switch."""

import os
import subprocess
import sys

import numpy as np
import pytest

from minigan.kernels import backend, get_backend, set_backend
from minigan.kernels.activations import leaky_relu_backward, leaky_relu_forward
from minigan.kernels.optim import adam_update, rmsprop_update, sgd_update, sum_squares

TOL = {np.float32: 1e-5, np.float64: 1e-12}
SHAPES = [(1,), (7,), (3, 5), (64, 33), (2, 3, 5, 7)]


def both_backends(fn, *arrays):
    """Run fn on copies of the arrays with each backend; return (numpy results, numba results)."""
    results = []
    for name in ("numpy", "numba"):
        copies = [a.copy() for a in arrays]
        with backend(name):
            out = fn(*copies)
        results.append((out, copies))
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["adam", "rmsprop", "sgd", "sgd_momentum"])
def test_optimizer_kernels_match_numpy(kind, shape, dtype, rng):
    p, g = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    m = (0.1 * rng.standard_normal(shape)).astype(dtype)
    v = rng.random(shape).astype(dtype)
    fns = {
        "adam": lambda p, g, m, v: adam_update(p, g, m, v, 1e-3, 0.5, 0.999, 1e-8, 3),
        "rmsprop": lambda p, g, m, v: rmsprop_update(p, g, v, 1e-2, 0.9, 1e-8),
        "sgd": lambda p, g, m, v: sgd_update(p, g, g, 0.1, 0.0),
        "sgd_momentum": lambda p, g, m, v: sgd_update(p, g, m, 0.1, 0.9),
    }
    (ref_ss, ref), (ss, out) = both_backends(fns[kind], p, g, m, v)
    for a, b in zip(ref, out, strict=True):
        np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype] * 1e-3)
    assert ss == pytest.approx(ref_ss, rel=TOL[dtype])
    assert not np.array_equal(out[0], p)  # the parameter really moved, in place


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sum_squares_matches_numpy(shape, dtype, rng):
    a = rng.standard_normal(shape).astype(dtype)
    (ref, _), (out, _) = both_backends(sum_squares, a)
    assert out == pytest.approx(ref, rel=1e-12)
    assert out == pytest.approx(float(np.sum(a.astype(np.float64) ** 2)), rel=1e-12)
    a.flat[0] = np.nan
    for name in ("numpy", "numba"):
        with backend(name):
            assert np.isnan(sum_squares(a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_leaky_relu_kernels_match_numpy(shape, dtype, alpha, rng):
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    (ref, _), (out, _) = both_backends(lambda x: leaky_relu_forward(x, alpha), x)
    np.testing.assert_array_equal(out, ref)  # a select and a product: bit-identical
    assert out.dtype == dtype
    (ref_dx, _), (dx, _) = both_backends(lambda d, o: leaky_relu_backward(d, o, alpha), dout, ref)
    np.testing.assert_array_equal(dx, ref_dx)


def test_leaky_relu_kernel_on_a_non_contiguous_input(rng):
    x = rng.standard_normal((6, 8))[:, ::2]  # a strided view
    with backend("numba"):
        out = leaky_relu_forward(x, 0.2)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0.2 * x))


def test_backend_switch():
    before = get_backend()
    with backend("numpy"):
        assert get_backend() == "numpy"
    assert get_backend() == before
    with pytest.raises(ValueError, match="must be one of numba, numpy, numba-matmul, got 'cuda'"):
        set_backend("cuda")


def test_numpy_backend_never_imports_numba():
    code = ("import sys, numpy as np, minigan\n"
            "from minigan.models import mlp_generator\n"
            "G = mlp_generator(); G.forward(np.zeros((4, 32), np.float32))\n"
            "assert 'numba' not in sys.modules, 'numba was imported'\n")
    env = {**os.environ, "MINIGAN_KERNELS": "numpy"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_bad_environment_value_is_one_clear_error():
    env = {**os.environ, "MINIGAN_KERNELS": "fortran"}
    result = subprocess.run([sys.executable, "-m", "minigan", "gradcheck"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("minigan gradcheck: error: MINIGAN_KERNELS must be one of "
                                     "numba, numpy, numba-matmul, got 'fortran'")


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


def test_dense_layer_identical_results_across_backends(rng):
    from minigan.layers import Dense

    layer = Dense(37, 19, rng=rng)
    x = rng.standard_normal((11, 37)).astype(np.float32)
    g = rng.standard_normal((11, 19)).astype(np.float32)
    outputs = {}
    for name in ("numpy", "numba", "numba-matmul"):
        with backend(name):
            layer.zero_grad()
            out = layer.forward(x)
            dx = layer.backward(g)
            outputs[name] = (out, dx, layer.grads["W"].copy())
    for name in ("numba", "numba-matmul"):
        for a, b in zip(outputs["numpy"], outputs[name], strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 1), (7, 5), (64, 512), (1, 3, 5, 7), (4, 2, 3, 1)], ids=str)
def test_batchnorm_kernels_match_numpy(shape, dtype, rng):
    from minigan.kernels.batchnorm import as_ncm, train_backward, train_forward

    x = as_ncm((3 + 2 * rng.standard_normal(shape)).astype(dtype))
    gamma = (1 + 0.3 * rng.standard_normal(shape[1])).astype(dtype)
    beta = rng.standard_normal(shape[1]).astype(dtype)
    dout = as_ncm(rng.standard_normal(shape).astype(dtype))
    results = {}
    for name in ("numpy", "numba"):
        with backend(name):
            forward = train_forward(x, gamma, beta, 1e-5)
            backward = train_backward(dout, forward[1], gamma, forward[4])
            results[name] = (*forward, *backward)
    # dx is a difference of terms of size |dout * gamma / std|; measure its error on that scale
    # (with two samples per feature the terms cancel almost exactly and dx itself is ~1e-6)
    dx_scale = np.abs(dout * (gamma / np.sqrt(x.var(axis=(0, 2)) + 1e-5))[None, :, None]).max()
    for i, (a, b) in enumerate(zip(results["numpy"], results["numba"], strict=True)):
        assert b.dtype == dtype and b.shape == a.shape
        scale = dx_scale if i == 5 else np.abs(a).max()
        np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype] * scale)
