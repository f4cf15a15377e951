"""The second-order backward against finite differences of the first derivative (float64),
the penalties against closed forms for a linear critic, and the refusals."""

import numpy as np
import pytest

from minigan import BatchNorm, Dense, Flatten, LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from minigan.double_backward import InputGradient, gradient_penalty, interpolates, r1_penalty
from minigan.gradcheck import input_farthest_from_kinks, numerical_gradient, rel_error, safe_step
from minigan.layers import Conv2D, Dropout

F64 = np.float64


def _critic(rng, image=False):
    """Every supported layer once: Dense, LeakyReLU, Tanh, Sigmoid, ReLU (and Flatten)."""
    d = 6 if image else 3
    layers = ([Flatten()] if image else []) + [
        Dense(d, 6, rng=rng, dtype=F64), LeakyReLU(0.2), Dense(6, 5, rng=rng, dtype=F64), Tanh(),
        Dense(5, 4, rng=rng, dtype=F64), Sigmoid(), Dense(4, 4, rng=rng, dtype=F64), ReLU(),
        Dense(4, 1, rng=rng, dtype=F64)]
    model = Sequential(layers, (1, 2, 3) if image else (3,), "critic")
    for p in model.parameters():  # non-zero biases, so no pre-activation sits at 0 by design
        if p.name.endswith(".b"):
            p.value[...] = 0.3 * rng.standard_normal(p.value.shape)
    return model


def _input(model, shape, tries=40):
    x, margin = input_farthest_from_kinks([model], lambda r: r.standard_normal(shape), tries)
    return x, safe_step(margin)


@pytest.mark.parametrize("image", [False, True])
def test_first_pass_matches_the_layers_own_backward(image, rng):
    D = _critic(rng, image)
    x, _ = _input(D, (5, 1, 2, 3) if image else (5, 3))
    ig = InputGradient(D, x)
    out = D.forward(x)
    np.testing.assert_allclose(ig.output, out, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ig.value, D.backward(np.ones_like(out)), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("image", [False, True])
def test_second_order_backward_against_finite_differences_of_the_first(image, rng):
    """Phi = sum(a * dD/dx) with a random a: dPhi/dtheta and dPhi/dx from InputGradient.backward
    against central differences of Phi, itself computed from the first derivative."""
    D = _critic(rng, image)
    x, h = _input(D, (5, 1, 2, 3) if image else (5, 3))
    a = rng.standard_normal(x.shape)
    grads, dx = InputGradient(D, x).backward(a)

    def phi():
        return float(np.sum(a * InputGradient(D, x).value))

    errors = {p.name: rel_error(grads[p.name].ravel(), numerical_gradient(phi, p.value, None, h))
              for p in D.parameters()}
    errors["x"] = rel_error(dx.ravel(), numerical_gradient(phi, x, None, h))
    assert max(errors.values()) < 1e-8, errors
    # the second-order terms are real: the curved layers' weights get non-zero gradients
    assert np.abs(grads["dense.W"]).max() > 1e-3 and np.abs(dx).max() > 1e-3


def test_penalties_against_finite_differences(rng):
    D = _critic(rng)
    x_real, h = _input(D, (6, 3))
    x_fake = x_real[::-1] + 0.5
    for fn in (lambda: gradient_penalty(D, x_real, x_fake, 7.0, rng=3, accumulate=False)[:2],
               lambda: r1_penalty(D, x_real, 3.0, accumulate=False)[:2]):
        value, grads = fn()
        assert value > 0
        for p in D.parameters():
            n = numerical_gradient(lambda fn=fn: fn()[0], p.value, None, h)
            assert rel_error(grads[p.name].ravel(), n) < 1e-8, p.name


def test_linear_critic_closed_forms(rng):
    """D(x) = x w + b has grad_x D = w at every x: GP = lam (|w| - 1)^2 with
    dGP/dw = 2 lam (|w| - 1) w / |w|, and R1 = gamma/2 |w|^2 with dR1/dw = gamma w."""
    D = Sequential([Dense(4, 1, rng=rng, dtype=F64)], (4,), "linear")
    w = D.layers[0].params["W"][:, 0]
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 4))
    norm = np.linalg.norm(w)
    value, grads, x_hat, norms = gradient_penalty(D, x, y, 10.0, rng=0, accumulate=False)
    assert value == pytest.approx(10 * (norm - 1) ** 2, rel=1e-13)
    np.testing.assert_allclose(norms, norm, rtol=1e-14)
    np.testing.assert_allclose(grads["dense.W"][:, 0], 20 * (norm - 1) * w / norm, rtol=1e-12)
    assert np.all(grads["dense.b"] == 0)
    value, grads, _ = r1_penalty(D, x, 4.0, accumulate=False)
    assert value == pytest.approx(2 * norm ** 2, rel=1e-13)
    np.testing.assert_allclose(grads["dense.W"][:, 0], 4 * w, rtol=1e-13)


def test_interpolates_lie_on_the_segments(rng):
    x, y = rng.standard_normal((50, 3)), rng.standard_normal((50, 3))
    x_hat = interpolates(x, y, np.random.default_rng(0))
    e = (x_hat - y)[:, 0] / (x - y)[:, 0]
    np.testing.assert_allclose(x_hat, e[:, None] * x + (1 - e[:, None]) * y, rtol=1e-12, atol=1e-14)
    assert 0 <= e.min() and e.max() <= 1 and e.std() > 0.2
    # a training loop's Generator is advanced: the next penalty uses new interpolates
    D, gen = Sequential([Dense(3, 1, rng=rng, dtype=F64)], (3,), "linear"), np.random.default_rng(5)
    first = gradient_penalty(D, x, y, rng=gen, accumulate=False)[2]
    assert not np.allclose(first, gradient_penalty(D, x, y, rng=gen, accumulate=False)[2])


def test_accumulate_adds_into_the_critics_grads(rng):
    D = _critic(rng)
    x = rng.standard_normal((4, 3))
    D.zero_grad()
    for p in D.parameters():
        p.grad[...] = 1.0
    _, grads, _ = r1_penalty(D, x, 2.0)
    for p in D.parameters():
        np.testing.assert_allclose(p.grad, 1.0 + grads[p.name], rtol=1e-15)


def test_clear_refusals(rng):
    bn = Sequential([Dense(3, 4, rng=rng), BatchNorm(4), LeakyReLU(0.2), Dense(4, 1, rng=rng)], (3,), "bn")
    x = rng.standard_normal((4, 3))
    with pytest.raises(ValueError, match=r"gradient_penalty: layer 'batchnorm' \(BatchNorm\) has no "
                                         r"second-order rule \(its batch statistics couple the samples"):
        gradient_penalty(bn, x, x, rng=0)
    with pytest.raises(ValueError, match="r1_penalty: layer 'batchnorm'"):
        r1_penalty(bn, x)
    drop = Sequential([Dense(3, 4, rng=rng), Dropout(0.5), Dense(4, 1, rng=rng)], (3,), "drop")
    with pytest.raises(ValueError, match=r"'dropout' \(Dropout\) has no second-order rule; supported: Dense"):
        InputGradient(drop, x)
    conv = Sequential([Conv2D(1, 1, 3, 1, "same", rng=rng), Flatten(), Dense(9, 1, rng=rng)], (1, 3, 3), "c")
    with pytest.raises(ValueError, match="Conv2D"):
        InputGradient(conv, rng.standard_normal((2, 1, 3, 3)))
    D = _critic(rng)
    with pytest.raises(ValueError, match=r"gradient_penalty: lam \(the penalty weight lambda\) must be a "
                                         r"non-negative finite number, got -1"):
        gradient_penalty(D, x, x, lam=-1, rng=0)
    with pytest.raises(ValueError, match=r"gamma \(the R1 weight\) must be a non-negative finite number, "
                                         r"got nan"):
        r1_penalty(D, x, gamma=float("nan"))
    with pytest.raises(ValueError, match="must have one shape"):
        gradient_penalty(D, x, x[:2], rng=0)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 3\), got \(4, 2\)"):
        InputGradient(D, x[:, :2])
