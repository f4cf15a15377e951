"""The conditional GAN: one-hot labels, the label-split backward pass (checked numerically),
the conditional models, and the label control measured by the digit classifier."""

import numpy as np
import pytest

from minigan.conditional import ConditionalGANTrainer, one_hot, with_label
from minigan.gradcheck import numerical_gradient, rel_error
from minigan.losses import generator_loss
from minigan.models import cgan_discriminator, cgan_generator


def test_one_hot_and_with_label():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    x = np.arange(8, dtype=np.float64).reshape(2, 1, 2, 2)
    out = with_label(x, np.array([1, 0]), 2)
    np.testing.assert_array_equal(out, [[0, 1, 2, 3, 0, 1], [4, 5, 6, 7, 1, 0]])
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match="label 10 is not a class: labels must be integers 0..9"):
        one_hot(np.array([3, 10]), 10)
    with pytest.raises(ValueError, match="1-D integer array"):
        one_hot(np.array([0.5]), 10)


def test_conditional_models_have_the_course_shapes_plus_the_label():
    G, D = cgan_generator(), cgan_discriminator()
    assert G.input_shape == (42,) and G.output_shapes[-1] == (1, 28, 28)
    assert D.input_shape == (794,) and D.output_shapes[-1] == (1,)
    # only the first Dense layers grow: 10 label inputs x their widths
    assert G.num_params()[0] == 572_816 + 10 * 128
    assert D.num_params()[0] == 566_273 + 10 * 512


class _NoStep:
    """Stands in for an optimizer: fills nothing, steps nothing, so the gradients a trainer
    step leaves behind can be read."""

    def __init__(self, model):
        self.model, self.grad_norm = model, 0.0

    def zero_grad(self):
        self.model.zero_grad()

    def step(self):
        pass


def test_generator_gradient_through_the_label_concatenation():
    # float64 and no dropout, so the loss is a deterministic function of G's parameters
    G = cgan_generator(seed=1, latent_dim=4, dtype=np.float64)
    D = cgan_discriminator(seed=2, dtype=np.float64)
    images = np.random.default_rng(3).uniform(-1, 1, (16, 1, 28, 28))

    def sample_data(n, r):
        return images[:n], r.integers(0, 10, n)

    def sample_noise(n, r):
        return r.standard_normal((n, 4))

    trainer = ConditionalGANTrainer(G, D, _NoStep(G), _NoStep(D), sample_data, sample_noise,
                                    batch_size=6, rng=5)
    state = trainer.rng.bit_generator.state
    trainer.generator_step()

    def loss():
        r = np.random.default_rng()
        r.bit_generator.state = state  # the labels and noise the step drew, in its order
        y = r.integers(0, 10, 6)
        z = sample_noise(6, r)
        fake = G.forward(with_label(z, y, 10), training=True, remember=False)
        logits = D.forward(with_label(fake, y, 10), training=True, remember=False)
        return generator_loss(logits, "non_saturating")[0]

    pick = np.random.default_rng(0)
    analytic, numeric = [], []
    for p in G.parameters():
        idx = pick.choice(p.value.size, size=min(8, p.value.size), replace=False)  # flat indices
        numeric.append(numerical_gradient(loss, p.value, idx))
        analytic.append(p.grad.reshape(-1)[idx])
    # normwise over all checked entries, as minigan gradcheck does: the Dense biases before
    # BatchNorm have a true gradient of exactly 0, which no entrywise error can check
    assert rel_error(np.concatenate(analytic), np.concatenate(numeric)) < 1e-8
    # the image part of D's input gradient reaches G; a wrong split (say, the label columns
    # first) would leave G's first-layer gradient for the label inputs at the wrong scale
    first = G.parameters()[0]
    assert np.abs(first.grad[4:]).max() > 0  # the label rows of G's first weight learn too


def test_n_classes_must_be_at_least_two():
    # what the labels do (samples asked for mode j land at centre j of the 8-Gaussian ring
    # after 1,500 seeded steps) is asserted by notebook 05's section on the conditional GAN,
    # which tests/test_notebooks.py runs on that setting (training it here as well only
    # doubled the work)
    from minigan.models import toy_discriminator, toy_generator

    G = toy_generator(noise_dim=2 + 8, out_dim=2, hidden=32, seed=1)
    D = toy_discriminator(in_dim=2 + 8, hidden=32, seed=2)
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ConditionalGANTrainer(G, D, None, None, lambda n, r: None, lambda n, r: None, n_classes=1)
