"""The Maxout layer: values, gradients against central differences (float64, random upstream
gradient), the tie rule, and errors on bad input."""

import numpy as np
import pytest

from minigan import Maxout as TopLevelMaxout
from minigan.gradcheck import check_model
from minigan.layers import Maxout

F64 = np.float64


def separated_input(layer, rng, shape, tries=20):
    """Of a few random inputs, the one whose winning pieces lead by the most."""
    return max((rng.standard_normal(shape) for _ in range(tries)), key=layer.tie_margin)


def test_forward_is_the_max_over_each_units_pieces(rng):
    layer = Maxout(6, 4, 3, rng=rng, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(12)
    x = rng.standard_normal((5, 6))
    z = x @ layer.params["W"] + layer.params["b"]
    expected = np.stack([z[:, 3 * j:3 * j + 3].max(axis=1) for j in range(4)], axis=1)
    out = layer.forward(x, remember=False)
    assert out.shape == (5, 4)
    np.testing.assert_array_equal(out, expected)
    assert TopLevelMaxout is Maxout


@pytest.mark.parametrize("n_in, units, pieces, batch", [(7, 4, 3, 5), (3, 2, 5, 1), (5, 3, 1, 4)])
def test_gradients_against_central_differences(n_in, units, pieces, batch, rng):
    layer = Maxout(n_in, units, pieces, rng=rng, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(units * pieces)
    x = separated_input(layer, rng, (batch, n_in))
    assert layer.tie_margin(x) > 1e-3  # central differences of step 1e-5 stay on one piece
    result = check_model(layer, x)
    assert set(result.per_array) == {"input", "W", "b"}
    assert result.checked == batch * n_in + n_in * units * pieces + units * pieces
    for label, err in result.per_array.items():
        assert err < 1e-8, f"{label}: rel error {err:.2e}"


def test_only_the_winning_piece_gets_gradient(rng):
    layer = Maxout(4, 3, 4, rng=rng, dtype=F64)
    x = separated_input(layer, rng, (6, 4))
    layer.forward(x)
    dout = rng.standard_normal((6, 3))
    layer.backward(dout)
    z = (x @ layer.params["W"]).reshape(6, 3, 4)
    winners = z.argmax(axis=2)
    db = layer.grads["b"].reshape(3, 4)
    for j in range(3):
        for k in range(4):
            np.testing.assert_allclose(db[j, k], dout[winners[:, j] == k, j].sum(), rtol=1e-14, atol=0)


def test_ties_send_the_whole_gradient_to_the_first_tied_piece(rng):
    # pieces 0 and 1 of every unit are identical: they tie exactly for every input
    layer = Maxout(3, 2, 3, rng=rng, dtype=F64)
    W = layer.params["W"].reshape(3, 2, 3)
    W[:, :, 1] = W[:, :, 0]
    W[:, :, 2] = W[:, :, 0] - 10  # never wins
    x = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 2))
    layer.forward(x)
    dx = layer.backward(dout)
    dW = layer.grads["W"].reshape(3, 2, 3)
    np.testing.assert_allclose(dW[:, :, 0], x.T @ dout, rtol=1e-14)
    assert np.all(dW[:, :, 1] == 0) and np.all(dW[:, :, 2] == 0)
    # dx is well defined at this tie (both pieces have the same weights): check it numerically
    result = check_model(layer, x)
    assert result.per_array["input"] < 1e-8
    np.testing.assert_allclose(dx, dout @ W[:, :, 0].T, rtol=1e-13)


def test_float32_and_errors(rng):
    layer = Maxout(4, 2, 2, rng=rng)
    out = layer.forward(rng.standard_normal((3, 4)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((3, 2), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 4\), got \(batch, 5\)"):
        layer.forward(np.zeros((2, 5), np.float32))
    for kwargs in ({"units": 0}, {"pieces": 1.5}, {"in_features": True}):
        args = {"in_features": 4, "units": 2, "pieces": 2, **kwargs}
        with pytest.raises(ValueError, match="Maxout: .* must be a positive integer"):
            Maxout(**args)

