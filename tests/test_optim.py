"""Optimizers: three steps against numbers worked out by hand, state save/restore, and the
NaN guard. One scalar parameter p = 1 with gradients 0.5, -1, 2 on steps 1, 2, 3."""

import numpy as np
import pytest

from minigan.network import Parameter
from minigan.optim import SGD, Adam, RMSProp

GRADS = [0.5, -1.0, 2.0]


def run(make, grads=GRADS, shape=()):
    p = Parameter("p", np.full(shape, 1.0), np.zeros(shape))
    opt = make([p])
    trace = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        trace.append(p.value.copy())
    return np.array(trace), opt, p


def test_sgd_plain():
    # p <- p - 0.1 g:  1 - 0.05 = 0.95;  0.95 + 0.1 = 1.05;  1.05 - 0.2 = 0.85
    trace, _, _ = run(lambda ps: SGD(ps, lr=0.1))
    np.testing.assert_allclose(trace, [0.95, 1.05, 0.85], rtol=0, atol=1e-15)


def test_sgd_momentum():
    # v1 = 0.5            p1 = 1 - 0.05 = 0.95
    # v2 = 0.45 - 1 = -0.55            p2 = 0.95 + 0.055 = 1.005
    # v3 = -0.495 + 2 = 1.505          p3 = 1.005 - 0.1505 = 0.8545
    trace, _, _ = run(lambda ps: SGD(ps, lr=0.1, momentum=0.9))
    np.testing.assert_allclose(trace, [0.95, 1.005, 0.8545], rtol=0, atol=1e-15)


def test_adam():
    # t=1: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25 -> step 0.1 * 0.5/0.5 = 0.1
    # t=2: m = 0.045 - 0.1 = -0.055,  v = 0.00024975 + 0.001 = 0.00124975
    #      m_hat = -0.055 / 0.19 = -0.289473684..., v_hat = 0.00124975 / 0.001999 = 0.625187594...
    #      step = 0.1 * m_hat / sqrt(v_hat) = -0.036610354...
    # t=3: m = -0.0495 + 0.2 = 0.1505,  v = 0.00124850025 + 0.004 = 0.00524850025
    #      m_hat = 0.1505 / 0.271 = 0.555350553..., v_hat = 0.00524850025 / 0.002997001 = 1.751250750...
    #      step = 0.1 * 0.555350553 / 1.323348310 = 0.041965561...
    trace, opt, _ = run(lambda ps: Adam(ps, lr=0.1, betas=(0.9, 0.999), eps=1e-8))
    np.testing.assert_allclose(trace, [0.900000002, 0.9366103542405653, 0.8946447927181044],
                               rtol=0, atol=1e-12)
    assert opt.t == 3


def test_rmsprop():
    # s1 = 0.1 * 0.25 = 0.025          p1 = 1 - 0.1 * 0.5 / 0.158113883 = 0.683772254
    # s2 = 0.0225 + 0.1 = 0.1225       p2 = p1 + 0.1 / 0.35 = 0.969486531
    # s3 = 0.11025 + 0.4 = 0.51025     p3 = p2 - 0.2 / 0.714317156 = 0.689499135
    trace, _, _ = run(lambda ps: RMSProp(ps, lr=0.1, rho=0.9, eps=1e-8))
    np.testing.assert_allclose(trace, [0.6837722539831608, 0.9694865315341814,
                                       0.6894991346033924], rtol=0, atol=1e-12)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, 0.05, momentum=0.8),
                                  lambda ps: Adam(ps, 0.01, betas=(0.5, 0.999)),
                                  lambda ps: RMSProp(ps, 0.01)], ids=["sgd", "adam", "rmsprop"])
def test_state_round_trip_resumes_exactly(make, rng):
    grads = rng.standard_normal((6, 3))
    full, _, _ = run(make, grads, shape=(3,))
    # run 3 steps, save the state, rebuild everything, restore, run the other 3
    first, opt, p = run(make, grads[:3], shape=(3,))
    state = {k: v.copy() for k, v in opt.state_dict().items()}
    p2 = Parameter("p", p.value.copy(), np.zeros(3))
    opt2 = make([p2])
    opt2.load_state_dict(state)
    rest = []
    for g in grads[3:]:
        p2.grad[...] = g
        opt2.step()
        rest.append(p2.value.copy())
    np.testing.assert_array_equal(np.vstack([first, rest]), full)


def test_nan_gradient_stops_before_any_update():
    a = Parameter("a", np.ones(2), np.array([0.1, 0.2]))
    b = Parameter("b", np.ones(2), np.array([np.nan, 0.0]))
    opt = Adam([a, b], lr=0.1)
    with pytest.raises(FloatingPointError, match="gradient of b"):
        opt.step()
    np.testing.assert_array_equal(a.value, 1.0)
    assert opt.t == 0


def test_zero_grad_and_bad_arguments():
    p = Parameter("p", np.ones(2), np.ones(2))
    SGD([p], lr=0.1).zero_grad()
    assert not p.grad.any()
    with pytest.raises(ValueError, match="lr must be a positive number, got -1"):
        Adam([p], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="does not match"):
        Adam([p]).load_state_dict({"t": np.array(1), "m/q": np.zeros(2)})


def test_weight_average_follows_the_formula_with_warm_up():
    from minigan.models import mlp_generator
    from minigan.optim import WeightAverage

    model, average = mlp_generator(seed=1, dtype=np.float64), mlp_generator(seed=2, dtype=np.float64)
    tracker = WeightAverage(model, average, decay=0.9)
    for p, a in zip(model.parameters(), average.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, p.value)  # starts as a copy
    rng = np.random.default_rng(0)
    expected = [p.value.copy() for p in model.parameters()]
    for t in range(30):
        for p in model.parameters():
            p.value[...] = rng.standard_normal(p.value.shape)
        d = min(0.9, (1 + t) / (10 + t))  # the warm-up: d = 0.1, 0.18, ... until it reaches 0.9
        expected = [d * e + (1 - d) * p.value for e, p in zip(expected, model.parameters(), strict=True)]
        tracker.update()
    for e, a in zip(expected, average.parameters(), strict=True):
        np.testing.assert_allclose(a.value, e, rtol=1e-12, atol=1e-15)
    # running statistics are averaged too, and the model's own arrays are left alone
    assert set(average.state_arrays()) == set(model.state_arrays())
    with pytest.raises(ValueError, match="decay must be in"):
        WeightAverage(model, average, decay=1.0)


def test_linear_decay_holds_then_falls_to_zero():
    from minigan.optim import linear_decay

    factors = [linear_decay(i, 10, 0.4) for i in range(10)]
    # 4 decaying iterations: 1 until iteration 6, then 4/4, 3/4, 2/4, 1/4
    assert factors == [1, 1, 1, 1, 1, 1, 1.0, 0.75, 0.5, 0.25]
    assert [linear_decay(i, 10, 0.0) for i in range(10)] == [1.0] * 10
    assert [linear_decay(i, 4, 1.0) for i in range(4)] == [1.0, 0.75, 0.5, 0.25]


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
def test_a_checkpoint_from_before_the_reference_layers_still_loads(kernels):
    """tests/data/old_checkpoint_*.npz were written by minigan at commit 3634c1b (see
    tests/data/make_old_checkpoint.py): same keys, and the same numbers from the loaded state
    (bit for bit with the reference, which computes what that code's NumPy backend did)."""
    import importlib.util
    from pathlib import Path

    from minigan.kernels import backend

    data = Path(__file__).parent / "data"
    spec = importlib.util.spec_from_file_location("make_old", data / "make_old_checkpoint.py")
    make_old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_old)  # its build(): the fixture's architecture
    with np.load(data / "old_checkpoint_expected.npz") as f:
        expected = dict(f)
    with np.load(data / "old_checkpoint_adam.npz") as f:
        adam_state = dict(f)
    model = make_old.build().load(data / "old_checkpoint_model.npz")
    opt = Adam(model.parameters(), 1e-2, (0.5, 0.999))
    opt.load_state_dict(adam_state)
    assert opt.t == 2
    check = np.testing.assert_array_equal if kernels == "numpy" else (
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6))
    with backend(kernels):
        check(model.predict(expected["x"], training=False), expected["eval_out"])
        check(model.forward(expected["x"], training=True), expected["train_out"])
        model.backward(expected["dout"])
        opt.step()
    if kernels == "numpy":
        # (not compared for numba: the conv bias feeds a BatchNorm, so its gradient is rounding
        # noise, which Adam's normalised step turns into a different step of size ~lr)
        for p in model.parameters():
            check(p.value, expected[f"after_step/{p.name}"])
