"""Sequential and the course's MLP-GAN: parameter counts, summary, save/load, errors."""

import os

import numpy as np
import pytest

from minigan import Adam, BatchNorm, Dense, LeakyReLU, Sequential, Tanh
from minigan.gradcheck import check_model
from minigan.models import mlp_discriminator, mlp_generator


def test_mlp_discriminator_counts_match_the_keras_table():
    D = mlp_discriminator()
    assert D.num_params() == (566_273, 0)
    text = D.summary(print_fn=None)
    for line in ("Total params: 566,273", "Trainable params: 566,273", "Non-trainable params: 0"):
        assert line in text
    assert "(None, 784)" in text and "401,920" in text and "(None, 1)" in text


def test_mlp_generator_counts_match_the_keras_table():
    G = mlp_generator()
    assert G.num_params() == (572_816, 1_792)
    text = G.summary(print_fn=None)
    for line in ("Total params: 574,608", "Trainable params: 572,816",
                 "Non-trainable params: 1,792"):
        assert line in text
    # BatchNorm(128) counts 512 (gamma, beta, running mean, running var), as Keras does
    assert "batchnorm (BatchNorm)" in text and "512" in text
    assert "(None, 1, 28, 28)" in text


def test_summary_prints(capsys):
    mlp_discriminator().summary()
    assert "Total params: 566,273" in capsys.readouterr().out


def test_models_are_seeded():
    a, b, c = mlp_generator(seed=3), mlp_generator(seed=3), mlp_generator(seed=4)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.value, pb.value)
    assert not np.array_equal(a.parameters()[0].value, c.parameters()[0].value)


def test_whole_network_gradients_with_batchnorm(rng):
    net = Sequential([Dense(4, 6, rng=rng, dtype=np.float64), BatchNorm(6, dtype=np.float64),
                      LeakyReLU(0.2), Dense(6, 3, rng=rng, dtype=np.float64), Tanh()], (4,))
    for training in (True, False):
        result = check_model(net, rng.standard_normal((5, 4)), training)
        assert result.rel_error < 1e-8, result.per_array


def test_save_load_round_trip_is_bit_identical(tmp_path, rng):
    G = mlp_generator(seed=1)
    z = rng.standard_normal((8, 32)).astype(np.float32)
    G.forward(z, remember=False)  # move the running statistics away from their start
    path = tmp_path / "g.npz"
    G.save(path)
    H = mlp_generator(seed=99)
    H.load(path)
    for training in (True, False):
        np.testing.assert_array_equal(G.predict(z, training), H.predict(z, training))
    assert [f for f in os.listdir(tmp_path)] == ["g.npz"]  # no temporary file left behind


def test_load_keeps_optimizer_references(tmp_path):
    D = mlp_discriminator(seed=1)
    D.save(tmp_path / "d.npz")
    E = mlp_discriminator(seed=2)
    opt = Adam(E.parameters())
    E.load(tmp_path / "d.npz")
    assert opt.params[0].value is E.layers[1].params["W"]
    np.testing.assert_array_equal(opt.params[0].value, D.layers[1].params["W"])


def test_load_rejects_another_architecture(tmp_path):
    mlp_discriminator().save(tmp_path / "d.npz")
    with pytest.raises(ValueError, match="does not match model 'mlp_generator'"):
        mlp_generator().load(tmp_path / "d.npz")


def test_forward_reports_nan_input():
    D = mlp_discriminator()
    x = np.zeros((2, 1, 28, 28), np.float32)
    x[1, 0, 3, 3] = np.nan
    with pytest.raises(FloatingPointError, match="1 non-finite value"):
        D.forward(x)


def test_forward_wrong_shape_names_model_and_shapes():
    with pytest.raises(ValueError, match=r"model 'mlp_discriminator'.*\(batch, 1, 28, 28\).*\(2, 784\)"):
        mlp_discriminator().forward(np.zeros((2, 784), np.float32))


def test_layers_that_do_not_fit_are_rejected_at_construction():
    with pytest.raises(ValueError, match=r"Dense 'dense_1': expected input of shape \(batch, 5\)"):
        Sequential([Dense(3, 4), Dense(5, 2)], input_shape=(3,))


def test_backward_and_parameters(rng):
    net = Sequential([Dense(3, 4, rng=rng), LeakyReLU(), Dense(4, 2, rng=rng)], (3,), "net")
    assert [p.name for p in net.parameters()] == ["dense.W", "dense.b", "dense_1.W", "dense_1.b"]
    out = net.forward(rng.standard_normal((5, 3)).astype(np.float32))
    dx = net.backward(np.ones_like(out))
    assert dx.shape == (5, 3)
    assert all(p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert not any(p.grad.any() for p in net.parameters())


def test_backward_can_skip_the_input_gradient(rng):
    from minigan import Flatten

    f64 = np.float64
    net = Sequential([Flatten(), Dense(5, 4, rng=rng, dtype=f64), LeakyReLU(),
                      Dense(4, 2, rng=rng, dtype=f64)], (5, 1))
    x, g = rng.standard_normal((3, 5, 1)), rng.standard_normal((3, 2))
    net.forward(x)
    dx = net.backward(g)
    full = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net.forward(x)
    assert net.backward(g, need_input_grad=False) is None
    for p, f in zip(net.parameters(), full, strict=True):
        np.testing.assert_array_equal(p.grad, f)  # parameter gradients unchanged
    assert dx.shape == x.shape
    net.forward(x)  # every cache was consumed or dropped: a new forward is allowed
