"""Gradient checking: compare hand-written backward passes with numerical derivatives.

For a scalar function f of an array p, the central difference

    df/dp_i ~ (f(p + h e_i) - f(p - h e_i)) / (2h)

has error O(h^2) from the Taylor series plus O(eps_machine * |f| / h) from rounding, so in
float64 with h = 1e-5 both are around 1e-10: well below the 1e-7 we require.

A layer or network maps an array to an array, so we check the scalar L = sum(out * g) with a
random upstream gradient g (dL/dout = g). g must not be all ones: BatchNorm's output sums to
a constant over the batch, so with g = 1 its true dx is exactly zero and a wrong dx can pass.

The relative error of a check is

    rel_error = max_i |a_i - n_i| / max(1e-8, max_i (|a_i| + |n_i|))

with the maxima over every checked entry of the thing (all its parameters and its input).
Normalising by the largest gradient rather than entry by entry keeps the test meaningful
when some true gradients are exactly zero: a Dense bias followed by BatchNorm has zero
gradient (BatchNorm subtracts the mean), and no entrywise relative error can check a zero.
The per-array errors are reported as well.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .layers import (
    BatchNorm,
    Conv2D,
    ConvTranspose2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
    UpSampling2D,
)
from .layers.base import Layer
from .layers.maxout import Maxout
from .losses import bce_with_logits, generator_loss
from .models import conv_discriminator, conv_generator, mlp_discriminator, mlp_generator
from .network import Sequential

DEFAULT_TOLERANCE = 1e-7


@dataclass
class CheckResult:
    """One row of a gradient-check report."""

    name: str
    rel_error: float
    tolerance: float = DEFAULT_TOLERANCE
    checked: int = 0  # number of entries compared
    per_array: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.rel_error <= self.tolerance)

    def as_dict(self) -> dict:
        return {"name": self.name, "rel_error": self.rel_error, "tolerance": self.tolerance,
                "passed": self.passed, "checked_entries": self.checked,
                "per_array": self.per_array}


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max|a - n| / max(1e-8, max(|a| + |n|)) over all entries."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n)) / max(1e-8, float(np.max(np.abs(a) + np.abs(n)))))


def numerical_gradient(f, p: np.ndarray, indices=None, h: float = 1e-5) -> np.ndarray:
    """Central differences of the scalar function f() with respect to the array p, which f
    reads. p is perturbed in place and restored. Returns the derivatives at ``indices``
    (flat indices; all entries if None) as a 1-D array."""
    flat = p.reshape(-1)  # a view: writing to it perturbs p
    if not np.shares_memory(flat, p):
        raise ValueError("numerical_gradient: p must be a contiguous array")
    indices = np.arange(p.size) if indices is None else np.asarray(indices)
    grad = np.empty(len(indices))
    for k, i in enumerate(indices):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        grad[k] = (f_plus - f_minus) / (2 * h)
    return grad


# ---------------------------------------------------------------------------- plumbing
def _layers_of(model) -> list[Layer]:
    return model.layers if isinstance(model, Sequential) else [model]


def _parameters_of(model) -> list[tuple[str, np.ndarray, np.ndarray]]:
    if isinstance(model, Sequential):
        return [(p.name, p.value, p.grad) for p in model.parameters()]
    return [(k, model.params[k], model.grads[k]) for k in model.params]


class _Snapshot:
    """Remembers the state arrays (BatchNorm running statistics) and random generators of
    the given models so every evaluation of f starts from the same point: a training-mode
    forward moves the running statistics, and Dropout draws a new mask on every call."""

    def __init__(self, *models):
        self.items = []
        for model in models:
            for layer in _layers_of(model):
                rng_state = None if layer.rng is None else copy.deepcopy(layer.rng.bit_generator.state)
                self.items.append((layer, {k: v.copy() for k, v in layer.state.items()}, rng_state))

    def restore(self):
        for layer, state, rng_state in self.items:
            for k, v in state.items():
                layer.state[k][...] = v
            if rng_state is not None:
                layer.rng.bit_generator.state = copy.deepcopy(rng_state)


def _compare(name, loss, arrays, analytic, rng, max_entries, h, tolerance) -> CheckResult:
    """arrays: {label: array read by loss()}; analytic: {label: its analytic gradient}."""
    all_a, all_n, per_array = [], [], {}
    for label, p in arrays.items():
        if p.size == 0:
            continue
        if max_entries is None or p.size <= max_entries:
            idx = np.arange(p.size)
        else:
            idx = np.sort(rng.choice(p.size, size=max_entries, replace=False))
        n = numerical_gradient(loss, p, idx, h)
        a = np.asarray(analytic[label], dtype=np.float64).reshape(-1)[idx]
        per_array[label] = rel_error(a, n)
        all_a.append(a)
        all_n.append(n)
    a, n = np.concatenate(all_a), np.concatenate(all_n)
    return CheckResult(name, rel_error(a, n), tolerance, int(a.size), per_array)


def _require_float64(*arrays):
    for a in arrays:
        if a.dtype != np.float64:
            raise TypeError("gradient checks need float64 arrays (model.astype(np.float64)); "
                            f"got {a.dtype}")


# ---------------------------------------------------------------------------- checks
def check_model(model, x: np.ndarray, training: bool = True, name: str | None = None,
                seed: int = 0, max_entries: int | None = None, h: float = 1e-5,
                tolerance: float = DEFAULT_TOLERANCE) -> CheckResult:
    """Check dL/dx and dL/d(every parameter) of a Layer or a Sequential at input x, for
    L = sum(model(x) * g) with a random upstream gradient g. ``max_entries`` samples that
    many entries of each array (all when None)."""
    params = _parameters_of(model)
    _require_float64(x, *(p for _, p, _ in params))
    rng = np.random.default_rng(seed)
    x = x.copy()
    snapshot = _Snapshot(model)

    out = model.forward(x, training=training, remember=False)
    upstream = rng.standard_normal(out.shape)
    snapshot.restore()

    def loss():
        snapshot.restore()
        return float(np.sum(model.forward(x, training=training, remember=False) * upstream))

    model.zero_grad()
    model.forward(x, training=training)
    analytic = {"input": model.backward(upstream)}
    analytic.update({label: g.copy() for label, _, g in params})
    arrays = {"input": x, **{label: p for label, p, _ in params}}
    result = _compare(name or _default_name(model, training), loss, arrays, analytic,
                      rng, max_entries, h, tolerance)
    snapshot.restore()
    model.zero_grad()
    return result


def check_generator_step(generator: Sequential, discriminator: Sequential, z: np.ndarray,
                         kind, name: str | None = None, seed: int = 0,
                         max_entries: int | None = None, h: float = 1e-5,
                         tolerance: float = DEFAULT_TOLERANCE, labels: np.ndarray | None = None,
                         n_classes: int = 10) -> CheckResult:
    """Check the generator's gradients of a generator loss taken *through* D:
    L = generator_loss(D(G(z))), both networks in training mode, with respect to every
    parameter of G and to z. This is the path a generator step actually uses; a bug in
    D's dx would leave D's own checks green but starve G of its signal.

    ``kind`` is "saturating" or "non_saturating", or a callable scores -> (loss, dloss/dscores)
    (e.g. wgan.wgan_generator_loss for a critic). With ``labels`` (n,), the conditional GAN's
    path: L = loss(D([G([z, onehot(y)]), onehot(y)])), and dL/dz is the z part of G's input
    gradient."""
    from .conditional import with_label

    def loss_of(scores):
        return kind(scores) if callable(kind) else generator_loss(scores, kind)

    def G_input(z):
        return z if labels is None else with_label(z, labels, n_classes)

    def D_input(fake):
        return fake if labels is None else with_label(fake, labels, n_classes)

    def fake_grad(d_input, fake):  # the image columns of D's input gradient, reshaped
        return d_input if labels is None else d_input[:, :-n_classes].reshape(fake.shape)

    params = _parameters_of(generator)
    _require_float64(z, *(p for _, p, _ in params),
                     *(p for _, p, _ in _parameters_of(discriminator)))
    rng = np.random.default_rng(seed)
    z = z.copy()
    snapshot = _Snapshot(generator, discriminator)

    def loss():
        snapshot.restore()
        fake = generator.forward(G_input(z), training=True, remember=False)
        return loss_of(discriminator.forward(D_input(fake), training=True, remember=False))[0]

    snapshot.restore()
    generator.zero_grad()
    discriminator.zero_grad()
    fake = generator.forward(G_input(z), training=True)
    _, dlogits = loss_of(discriminator.forward(D_input(fake), training=True))
    dz = generator.backward(fake_grad(discriminator.backward(dlogits), fake))
    analytic = {"z": dz[:, :z.shape[1]]}  # without labels that is all of dz
    analytic.update({label: g.copy() for label, _, g in params})
    arrays = {"z": z, **{label: p for label, p, _ in params}}
    result = _compare(name or f"generator step ({kind}) through D", loss, arrays, analytic,
                      rng, max_entries, h, tolerance)
    snapshot.restore()
    generator.zero_grad()
    discriminator.zero_grad()
    return result


def check_function(f, x: np.ndarray, name: str, tolerance: float = DEFAULT_TOLERANCE,
                   h: float = 1e-5) -> CheckResult:
    """Check a loss written as f(x) -> (value, dvalue/dx), e.g. the GAN losses on logits."""
    _require_float64(x)
    x = x.copy()
    analytic = {"input": f(x)[1]}
    return _compare(name, lambda: f(x)[0], {"input": x}, analytic, None, None, h, tolerance)


def _default_name(model, training: bool) -> str:
    label = model.name if isinstance(model, Sequential) else repr(model)
    return f"{label} [{'train' if training else 'eval'}]"


def kink_margin(model: Sequential, x: np.ndarray, training: bool = True) -> float:
    """The smallest |input| of any (Leaky)ReLU in a forward pass of ``model`` on ``x``.

    A central difference straddles a kink when a perturbation of size h moves a
    pre-activation across 0, and then measures a slope that is neither side's. In a big
    network some of the many pre-activations are always close to 0, so a whole-network check
    should use inputs whose margin is comfortably larger than h times the typical input.
    """
    snapshot = _Snapshot(model)
    margin = np.inf
    for layer in model.layers:
        if isinstance(layer, LeakyReLU):
            margin = min(margin, float(np.abs(x).min()))
        elif type(layer).__name__ == "MaxPieces":  # maxout's kink: a tie between the top two pieces
            top2 = np.sort(x.reshape(x.shape[0], -1, layer.pieces), axis=2)[:, :, -2:]
            margin = min(margin, float((top2[:, :, 1] - top2[:, :, 0]).min()) / 2)
        x = layer.forward(x, training=training, remember=False)
    snapshot.restore()
    return margin


def input_farthest_from_kinks(models, make, tries: int = 100, modes=(True,)):
    """Of ``tries`` seeded inputs make(rng), the one whose LeakyReLU inputs stay farthest from
    0 in every model of the chain (G, then D on G's output) and every mode in ``modes``
    (training=True/False); returns (input, margin). Deterministic.

    With tens of thousands of pre-activations some always lie within h = 1e-5 of a kink, where
    a central difference measures neither slope: use a step below the margin (``safe_step``).
    """
    def margin(x0):
        m = np.inf
        for training in modes:
            x = x0
            for model in models:
                m = min(m, kink_margin(model, x, training))
                x = model.predict(x, training=training)
        return m

    inputs = [make(np.random.default_rng(seed)) for seed in range(tries)]
    margins = [margin(x) for x in inputs]
    best = int(np.argmax(margins))
    return inputs[best], margins[best]


def safe_step(margin: float, h: float = 1e-5) -> float:
    """A difference step that moves no pre-activation across a kink: a third of the margin
    (a unit change in one parameter moves a pre-activation by about its input, which is O(1)
    here), at most h. Rounding error grows like 1/h, and stays ~1e-9 relative down to 1e-7."""
    return min(h, margin / 3)


# ---------------------------------------------------------------------------- the report
def away_from_kink(rng: np.random.Generator, shape, margin: float = 0.1) -> np.ndarray:
    """Standard normal numbers pushed at least ``margin`` away from 0, so that no central
    difference straddles the kink of a (Leaky)ReLU."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (margin + np.abs(x))


def standard_checks(seed: int = 0, max_entries: int = 12,
                    tolerance: float = DEFAULT_TOLERANCE) -> list[CheckResult]:
    """The rows of `minigan gradcheck`: every layer type (training and eval mode where they
    differ), the losses, the whole seed D and G, and the generator's gradient of both
    generator losses taken through D (one plain D, one with BatchNorm). All in float64."""
    rng = np.random.default_rng(seed)
    f64 = np.float64
    rows = []

    def layer_row(label, layer, x, training=True):
        rows.append(check_model(layer.astype(f64), x, training, name=label, seed=seed,
                                tolerance=tolerance))

    x_dense = away_from_kink(rng, (5, 7))
    layer_row("Dense(7, 4)", Dense(7, 4, rng=rng, dtype=f64), x_dense)
    layer_row("LeakyReLU(0.2)", LeakyReLU(0.2), away_from_kink(rng, (5, 7)))
    layer_row("ReLU", ReLU(), away_from_kink(rng, (5, 7)))
    layer_row("Sigmoid", Sigmoid(), 3 * rng.standard_normal((5, 7)))
    layer_row("Tanh", Tanh(), 2 * rng.standard_normal((5, 7)))
    for shape, label in (((6, 5), "(N, F)"), ((4, 3, 5, 5), "(N, C, H, W)")):
        x = 3 + 2 * rng.standard_normal(shape)  # an offset and a scale for BN to remove
        for training in (True, False):
            bn = BatchNorm(shape[1], dtype=f64)
            bn.params["gamma"][...] = 1 + 0.5 * rng.standard_normal(shape[1])
            bn.params["beta"][...] = rng.standard_normal(shape[1])
            bn.state["running_mean"][...] = rng.standard_normal(shape[1])
            bn.state["running_var"][...] = 0.5 + rng.random(shape[1])
            layer_row(f"BatchNorm {label} [{'train' if training else 'eval'}]", bn, x, training)
    layer_row("Dropout(0.5) [train]", Dropout(0.5, rng=seed), rng.standard_normal((5, 7)))
    layer_row("Flatten", Flatten(), rng.standard_normal((3, 2, 4, 4)))
    for label, layer, shape in (
            ("Conv2D 3x3, stride 2, 'same'", Conv2D(2, 3, 3, 2, "same", rng=rng, dtype=f64), (2, 2, 6, 5)),
            ("Conv2D 2x3, stride 3, padding 1", Conv2D(2, 2, (2, 3), 3, 1, rng=rng, dtype=f64), (1, 2, 7, 5)),
            ("ConvTranspose2D 3x3, stride 2, 'valid'", ConvTranspose2D(2, 3, 3, 2, rng=rng, dtype=f64),
             (2, 2, 3, 3)),
            ("ConvTranspose2D 3x3, stride 2, 'same'", ConvTranspose2D(2, 3, 3, 2, "same", rng=rng, dtype=f64),
             (2, 2, 3, 4)),
            ("UpSampling2D(2)", UpSampling2D(2), (2, 2, 3, 3))):
        if "b" in layer.params:
            layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
        layer_row(label, layer, rng.standard_normal(shape))
    layer_row("Reshape((2, 3))", Reshape((2, 3)), rng.standard_normal((4, 6)))
    maxout = Maxout(7, 4, 3, rng=rng, dtype=f64)  # the input whose pieces are farthest from a tie
    x_max = max((rng.standard_normal((5, 7)) for _ in range(20)), key=maxout.tie_margin)
    layer_row("Maxout(7, units 4, pieces 3)", maxout, x_max)

    logits = 4 * rng.standard_normal((8, 1))
    rows.append(check_function(lambda s: bce_with_logits(s, 1.0), logits,
                               "loss: D on real (BCE, label 1)", tolerance))
    rows.append(check_function(lambda s: bce_with_logits(s, 0.0), logits,
                               "loss: D on fake (BCE, label 0)", tolerance))
    for kind in ("saturating", "non_saturating"):
        rows.append(check_function(lambda s, k=kind: generator_loss(s, k), logits,
                                   f"loss: generator, {kind}", tolerance))
    rows.extend(objective_checks(seed, tolerance))  # LSGAN, hinge, f-GAN (issue 15)
    rows.extend(trainer_checks(seed, tolerance))  # G through a WGAN-GP critic, Roth's penalty

    # batch sizes: BatchNorm over (N, F) needs several samples to be well conditioned (with
    # N = 2 every normalised value is +-1 and the gradients are mostly rounding error); over
    # (N, C, H, W) it has H * W values per sample, and fewer samples mean fewer kinks
    for family, make_D, make_G, n in (("MLP", mlp_discriminator, mlp_generator, 6),
                                      ("conv", conv_discriminator, conv_generator, 2)):
        D = make_D(seed=seed, dtype=f64)
        G = make_G(seed=seed + 1, dtype=f64)
        n_D, n_G = f"{sum(D.num_params()):,}", f"{sum(G.num_params()):,}"
        images, margin = input_farthest_from_kinks(
            [D], lambda r: np.tanh(r.standard_normal((2, 1, 28, 28))), 20)
        rows.append(check_model(D, images, True, f"seed {family} discriminator ({n_D} params)", seed,
                                max_entries, safe_step(margin), tolerance))
        z, margin = input_farthest_from_kinks([G, D], lambda r, n=n: r.standard_normal((n, 32)), 20,
                                              (True, False))
        for training in (True, False):
            rows.append(check_model(G, z, training, f"seed {family} generator ({n_G}) "
                                    f"[{'train' if training else 'eval'}]", seed, max_entries,
                                    safe_step(margin), tolerance))
        # every evaluation runs both whole networks, and G's arrays are checked in full just
        # above: a third as many entries per array still checks D's input gradient feeding G
        for kind in ("saturating", "non_saturating"):
            rows.append(check_generator_step(G, D, z, kind, f"G step through seed {family} D, {kind}",
                                             seed, None if max_entries is None else max(1, max_entries // 3),
                                             safe_step(margin), tolerance))
    # A small D with BatchNorm: its batch statistics couple the samples, so dL/dG(z_i)
    # depends on every other sample in the batch; the check covers that coupling too.
    small_G = Sequential([Dense(3, 8, rng=rng, dtype=f64), BatchNorm(8, dtype=f64),
                          LeakyReLU(0.2), Dense(8, 5, rng=rng, dtype=f64)], (3,), "small_G")
    bn_D = Sequential([Dense(5, 8, rng=rng, dtype=f64), BatchNorm(8, dtype=f64),
                       LeakyReLU(0.2), Dense(8, 1, rng=rng, dtype=f64)], (5,), "bn_D")
    z_small = rng.standard_normal((6, 3))
    for kind in ("saturating", "non_saturating"):
        rows.append(check_generator_step(small_G, bn_D, z_small, kind,
                                         f"G step through a BatchNorm D, {kind}", seed,
                                         tolerance=tolerance))

    # the variants of notebook 05: a WGAN critic's score (no sigmoid, clipped weights) and a
    # conditional GAN, whose label is concatenated to both inputs
    from .wgan import clip_weights, wgan_generator_loss

    critic = Sequential([Dense(5, 8, rng=rng, dtype=f64), LeakyReLU(0.2), Dense(8, 1, rng=rng, dtype=f64)],
                        (5,), "critic")
    clip_weights(critic, 0.1)
    z_w, margin = input_farthest_from_kinks([small_G, critic], lambda r: r.standard_normal((6, 3)), 20)
    rows.append(check_generator_step(small_G, critic, z_w, wgan_generator_loss,
                                     "G step through a clipped WGAN critic", seed, None,
                                     safe_step(margin), tolerance))
    cond_G = mlp_generator(seed=seed + 2, latent_dim=4, n_classes=10, dtype=f64)
    cond_D = mlp_discriminator(seed=seed + 3, n_classes=10, dtype=f64)
    labels = rng.integers(0, 10, 6)
    z_c, margin = input_farthest_from_kinks(
        [cond_G], lambda r: np.concatenate([r.standard_normal((6, 4)), np.eye(10)[labels]], axis=1), 20)
    rows.append(check_generator_step(cond_G, cond_D, z_c[:, :4], "non_saturating",
                                     "G step through the conditional D (cGAN)", seed, max_entries,
                                     safe_step(margin), tolerance, labels=labels))
    rows += image_to_image_checks(seed, max_entries, tolerance)  # issue 16: pix2pix, CycleGAN
    return rows


def objective_checks(seed: int = 0, tolerance: float = DEFAULT_TOLERANCE) -> list[CheckResult]:
    """Rows for the losses of minigan.objectives and minigan.fgan. A discriminator loss takes
    two batches; it is checked as one function of both, stacked (real rows, then fake rows)."""
    from .fgan import FDIVERGENCES, fgan_discriminator_loss, fgan_generator_loss
    from .objectives import (
        LSGAN_CODINGS,
        hinge_discriminator_loss,
        hinge_generator_loss,
        lsgan_discriminator_loss,
        lsgan_generator_loss,
    )

    rng = np.random.default_rng(seed + 15)
    scores = 2 * rng.standard_normal((12, 1))
    # the hinge's kinks are at +-1: keep every score at least 0.1 away from both
    hinge_scores = np.where(np.abs(np.abs(scores) - 1) < 0.1, scores + 0.3, scores)
    rows = []

    def pair_row(loss, s, label):
        n = s.shape[0] // 2

        def f(x):
            value, d_real, d_fake = loss(x[:n], x[n:])
            return value, np.concatenate([d_real, d_fake])

        rows.append(check_function(f, s, label, tolerance))

    for coding in LSGAN_CODINGS:
        pair_row(lambda r, f, c=coding: lsgan_discriminator_loss(r, f, c), scores, f"loss: LSGAN D, {coding}")
        rows.append(check_function(lambda s, c=coding: lsgan_generator_loss(s, c), scores,
                                   f"loss: LSGAN G, {coding}", tolerance))
    pair_row(hinge_discriminator_loss, hinge_scores, "loss: hinge D")
    rows.append(check_function(hinge_generator_loss, hinge_scores, "loss: hinge G", tolerance))
    for name in FDIVERGENCES:
        pair_row(lambda r, f, d=name: fgan_discriminator_loss(r, f, d), scores, f"loss: f-GAN D, {name}")
        for kind in ("minimax", "alternative"):
            rows.append(check_function(lambda s, d=name, k=kind: fgan_generator_loss(s, d, k), scores,
                                       f"loss: f-GAN G, {name}, {kind}", tolerance))
    rows.extend(second_order_checks(seed, tolerance))
    return rows


def trainer_checks(seed: int = 0, tolerance: float = DEFAULT_TOLERANCE) -> list[CheckResult]:
    """Rows for the trainers of issue 15: G's step through an unclipped (WGAN-GP) critic, and
    Roth et al.'s regulariser with respect to D's parameters (it uses D's value and slope)."""
    from .double_backward import roth_penalty
    from .wgan import wgan_generator_loss

    rng = np.random.default_rng(seed + 17)
    f64 = np.float64
    G = Sequential([Dense(3, 6, rng=rng, dtype=f64), Tanh(), Dense(6, 2, rng=rng, dtype=f64)], (3,), "G")
    critic = Sequential([Dense(2, 8, rng=rng, dtype=f64), LeakyReLU(0.2), Dense(8, 8, rng=rng, dtype=f64),
                         Tanh(), Dense(8, 1, rng=rng, dtype=f64)], (2,), "critic")
    z, margin = input_farthest_from_kinks([G, critic], lambda r: r.standard_normal((6, 3)), 20)
    rows = [check_generator_step(G, critic, z, wgan_generator_loss,
                                 "G step through a WGAN-GP critic (unclipped)", seed, None,
                                 safe_step(margin), tolerance)]
    x_real, m1 = input_farthest_from_kinks([critic], lambda r: r.standard_normal((5, 2)), 20)
    x_fake, m2 = input_farthest_from_kinks([critic], lambda r: 1 + r.standard_normal((5, 2)), 20)
    params = {p.name: p.value for p in critic.parameters()}
    rows.append(_compare("penalty: Roth et al. 2 [(1-D)^2 |grad|^2 real + D^2 |grad|^2 fake]",
                         lambda: roth_penalty(critic, x_real, x_fake, 2.0, accumulate=False)[0], params,
                         roth_penalty(critic, x_real, x_fake, 2.0, accumulate=False)[1], rng, None,
                         safe_step(min(m1, m2)), tolerance))
    # the ring benchmark's maxout D (small), with O(1) weights so that pieces are well apart
    from .models import ring_benchmark_discriminator

    maxout_D = ring_benchmark_discriminator(2, 6, 3, seed=seed + 18, dtype=f64)
    for p in maxout_D.parameters():
        p.value[...] = rng.standard_normal(p.value.shape) / np.sqrt(p.value.shape[0])
    z_m, margin = input_farthest_from_kinks([G, maxout_D], lambda r: r.standard_normal((6, 3)), 20)
    rows.append(check_generator_step(G, maxout_D, z_m, "non_saturating",
                                     "G step through a maxout D (ring benchmark)", seed, None,
                                     safe_step(margin), tolerance))
    return rows


def second_order_checks(seed: int = 0, tolerance: float = DEFAULT_TOLERANCE) -> list[CheckResult]:
    """Rows for minigan.double_backward: the gradient of sum(a * dD/dx) (a random) with respect
    to D's parameters and x, by central differences of the first derivative; then the WGAN-GP
    and R1 penalties with respect to D's parameters. D holds every supported layer once."""
    from .double_backward import InputGradient, gradient_penalty, interpolates, r1_penalty

    rng = np.random.default_rng(seed + 16)
    f64 = np.float64
    D = Sequential([Dense(3, 6, rng=rng, dtype=f64), ReLU(), Dense(6, 5, rng=rng, dtype=f64), Tanh(),
                    Dense(5, 4, rng=rng, dtype=f64), Sigmoid(), Dense(4, 4, rng=rng, dtype=f64),
                    LeakyReLU(0.2), Dense(4, 1, rng=rng, dtype=f64)], (3,), "critic")
    for p in D.parameters():
        if p.name.endswith(".b"):
            p.value[...] = 0.3 * rng.standard_normal(p.value.shape)
    x, margin = input_farthest_from_kinks([D], lambda r: r.standard_normal((5, 3)), 40)
    h = safe_step(margin)
    # scale the output layer so that |dD/dx| ~ 1, where WGAN-GP holds it: near |g| = 0 the norm
    # has curvature ~ 1/|g|, and a central difference's O(h^2) error would dominate the check
    D.layers[-1].params["W"] /= np.mean(np.linalg.norm(InputGradient(D, x).value, axis=1))
    params = {p.name: p.value for p in D.parameters()}
    a = rng.standard_normal(x.shape)
    grads, dx = InputGradient(D, x).backward(a)
    rows = [_compare("second order: d/dtheta, d/dx of sum(a * dD/dx)",
                     lambda: float(np.sum(a * InputGradient(D, x).value)), {"x": x, **params},
                     {"x": dx, **grads}, rng, None, h, tolerance)]
    # the penalty is taken at interpolates between x and x_fake (drawn with rng=seed): choose the
    # x_fake whose interpolates stay farthest from a kink, and a step below that margin too
    fakes = [x[::-1] + r.standard_normal(x.shape) for r in (np.random.default_rng(k) for k in range(20))]
    margins = [kink_margin(D, interpolates(x, f, np.random.default_rng(seed))) for f in fakes]
    x_fake = fakes[int(np.argmax(margins))]
    h = min(h, safe_step(max(margins)))
    for label, penalty in (("penalty: WGAN-GP 10 (|grad D(x_hat)| - 1)^2",
                            lambda: gradient_penalty(D, x, x_fake, 10.0, rng=seed, accumulate=False)),
                           ("penalty: R1 5 |grad D(x)|^2", lambda: r1_penalty(D, x, 10.0, accumulate=False))):
        rows.append(_compare(label, lambda penalty=penalty: penalty()[0], params, penalty()[1], rng, None, h,
                             tolerance))
    return rows


def format_table(rows: list[CheckResult]) -> str:
    width = max(len(r.name) for r in rows) + 2
    lines = [f"{'checked':<{width}}{'entries':>8}  {'max rel error':>13}  result",
             "-" * (width + 33)]
    for r in rows:
        lines.append(f"{r.name:<{width}}{r.checked:>8}  {r.rel_error:>13.2e}  "
                     f"{'pass' if r.passed else 'FAIL'}")
    failed = sum(not r.passed for r in rows)
    lines.append("-" * (width + 33))
    lines.append(f"{len(rows) - failed} of {len(rows)} rows pass at rel_error <= "
                 f"{rows[0].tolerance:g} (float64, central differences, h = 1e-5, or less "
                 "for the whole models: below their inputs' distance to a LeakyReLU kink)")
    return "\n".join(lines)


def numerical_gradients(model, x: np.ndarray, upstream: np.ndarray, training: bool = True,
                        h: float = 1e-5) -> dict[str, np.ndarray]:
    """Central differences of L = sum(model(x) * upstream) with respect to x ("input") and
    every parameter (keyed as in ``params``, or by Parameter name for a Sequential), as
    arrays of the same shapes. Running statistics and random generators are restored
    between evaluations, so each one starts from the same point. For the course's checks,
    which compare a student's backward with these numbers array by array."""
    params = _parameters_of(model)
    _require_float64(x, *(p for _, p, _ in params))
    x = x.copy()
    snapshot = _Snapshot(model)

    def loss():
        snapshot.restore()
        return float(np.sum(model.forward(x, training=training, remember=False) * upstream))

    result = {}
    for label, p in [("input", x), *((label, p) for label, p, _ in params)]:
        result[label] = numerical_gradient(loss, p, None, h).reshape(p.shape)
    snapshot.restore()
    return result


# ---------------------------------------------------------------------------- image to image
def check_objective(name: str, objective, models, seed: int = 0, max_entries: int | None = None,
                    h: float = 1e-5, tolerance: float = DEFAULT_TOLERANCE) -> CheckResult:
    """Check the parameter gradients that ``objective()`` fills in ``models`` (a dict
    {label: Sequential}) against central differences of the value it returns. For training
    steps that are more than L(D(G(z))): pix2pix's and CycleGAN's generator objectives."""
    params = [(f"{label}.{p.name}", p.value, p.grad) for label, m in models.items() for p in m.parameters()]
    _require_float64(*(p for _, p, _ in params))

    def zero():
        for m in models.values():
            m.zero_grad()

    zero()
    objective()
    analytic = {label: g.copy() for label, _, g in params}
    result = _compare(name, lambda: float(objective()), {label: p for label, p, _ in params}, analytic,
                      np.random.default_rng(seed), max_entries, h, tolerance)
    zero()
    return result


def image_to_image_checks(seed: int = 0, max_entries: int = 12,
                          tolerance: float = DEFAULT_TOLERANCE) -> list[CheckResult]:
    """Rows for issue 16's layers and objectives: InstanceNorm, a residual block, a U-Net
    skip, a small U-Net, L1 and least-squares losses, and the whole pix2pix and CycleGAN
    generator objectives (gradients through the discriminators and the cycle), in float64."""
    from . import image_models as im
    from .image_losses import l1_loss, least_squares_loss
    from .image_to_image import cyclegan_generator_step, pix2pix_generator_step
    from .layers import InstanceNorm, Skip

    rng = np.random.default_rng(seed + 16)
    f64 = np.float64
    rows = []
    for affine in (True, False):
        norm = InstanceNorm(3, affine=affine, dtype=f64)
        if affine:
            norm.params["gamma"][...] = 1 + 0.5 * rng.standard_normal(3)
            norm.params["beta"][...] = rng.standard_normal(3)
        rows.append(check_model(norm, 3 + 2 * rng.standard_normal((2, 3, 4, 5)), True,
                                f"InstanceNorm(3, affine={affine})", seed, tolerance=tolerance))
    rows.append(check_model(im.residual_block(2, rng, f64), rng.standard_normal((2, 2, 5, 5)), True,
                            "Residual(Conv, IN, ReLU, Conv, IN)", seed, tolerance=tolerance))
    skip = Skip([Conv2D(2, 3, 4, 2, "same", rng=rng, dtype=f64), LeakyReLU(0.2),
                 ConvTranspose2D(3, 2, 4, 2, "same", rng=rng, dtype=f64)])
    rows.append(check_model(skip, away_from_kink(rng, (2, 2, 6, 6)), True, "Skip (concat x, f(x))", seed,
                            tolerance=tolerance))
    unet = im.unet_generator(rng, image_size=8, width=2, dtype=f64)
    rows.append(check_model(unet, rng.standard_normal((2, 1, 8, 8)), True,
                            f"U-Net generator, 2 levels ({sum(unet.num_params()):,} params)", seed,
                            max_entries, tolerance=tolerance))
    target = rng.standard_normal((3, 1, 4, 4))
    out = target + away_from_kink(rng, target.shape, 0.05)
    rows.append(check_function(lambda o: l1_loss(o, target), out, "loss: L1 (away from 0)", tolerance))
    rows.append(check_function(lambda s: least_squares_loss(s, 1.0), rng.standard_normal((4, 1, 3, 3)),
                               "loss: least squares, target 1", tolerance))

    x, y = np.tanh(rng.standard_normal((2, 1, 8, 8))), np.tanh(rng.standard_normal((2, 1, 8, 8)))
    G = im.unet_generator(rng, image_size=8, width=2, dtype=f64)
    D = im.patch_discriminator(rng, image_size=8, width=2, dtype=f64)
    rows.append(check_objective("pix2pix G: BCE through D(x, G(x)) + 100 L1",
                                lambda: sum(v if k == "g_gan" else 100 * v
                                            for k, v in pix2pix_generator_step(G, D, x, y).items()),
                                {"G": G}, seed, max_entries, tolerance=tolerance))
    G_AB, G_BA = (im.resnet_generator(rng, image_size=6, width=2, blocks=1, dtype=f64) for _ in range(2))
    D_A, D_B = (im.patch_discriminator(rng, 1, image_size=6, width=2, dtype=f64) for _ in range(2))
    a, b = np.tanh(rng.standard_normal((2, 1, 6, 6))), np.tanh(rng.standard_normal((2, 1, 6, 6)))
    # the costliest row (every evaluation runs both generators and both discriminators, and
    # it has the most arrays), and each of its layers is checked by a row above: a third as
    # many entries per array still checks how the cycle, identity and LSGAN terms combine
    rows.append(check_objective("CycleGAN G_AB, G_BA: LSGAN + cycle + identity",
                                lambda: cyclegan_generator_step(G_AB, G_BA, D_A, D_B, a, b)[0]["g_loss"],
                                {"G_AB": G_AB, "G_BA": G_BA}, seed,
                                None if max_entries is None else max(1, max_entries // 3),
                                tolerance=tolerance))
    return rows
