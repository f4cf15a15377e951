"""One GAN iteration, as in Algorithm 1 of Goodfellow et al. (2014), and its history.

    for each training iteration:
        repeat k times:                                  (the discriminator's steps)
            sample m noise vectors z and m data points x
            descend  -[ mean log D(x) + mean log(1 - D(G(z))) ]   in D's parameters
        sample m noise vectors z                         (the generator's step)
        descend the generator loss in G's parameters:
            saturating:      mean log(1 - D(G(z)))       (the minimax game itself)
            non-saturating:  -mean log D(G(z))           (same fixed point, strong early gradient)

The generator's gradient flows *through* D (D.backward gives dL/dG(z)), but only G's
optimizer steps: D is "frozen" in the generator step simply because nobody updates it.
Both networks stay in training mode throughout.

Packing (PacGAN, Lin et al. 2018), optional: with ``pack = p > 1`` D judges p samples at once.
m * p samples (m * p, d) are reshaped to (m, p * d), row i being samples i*p .. i*p + p - 1
side by side (for images (m * p, C, H, W) -> (m, p * C, H, W): channels stacked), and D's
input size is p * d. Real packs hold p real samples, fake packs p generated ones. A collapsed
generator gives fake packs whose members look alike, while real packs are spread over the
modes: one sample cannot show a lack of diversity, a pack can, so D penalises collapse and G
is pushed to spread out. In the generator step dL/d(packed input) (m, p * d) is reshaped back
to (m * p, d), one row per generated sample, before G.backward.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .functions import sigmoid
from .losses import bce_with_logits, generator_loss, normalise_generator_loss
from .network import Sequential


class TrainingDiverged(FloatingPointError):
    """A NaN or inf appeared; the models and optimizers were restored to the last good step."""


def grad_norm(model: Sequential) -> float:
    """Euclidean norm of all of a model's parameter gradients, sqrt(sum_p |dL/dp|^2)."""
    return float(np.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2))
                             for p in model.parameters())))


def train_discriminator(D: Sequential, sample_real: Callable, sample_fake: Callable, optimizer,
                        steps: int, batch_size: int, rng: np.random.Generator) -> list[float]:
    """Train D alone against fixed real and fake samplers: the inner maximisation of the game,
    max_D V(G, D) for a fixed G, by descent on -V. Returns the loss of every step.

    sample_real(n, rng) and sample_fake(n, rng) return (n, *D.input_shape) batches.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        real_loss, d_real = bce_with_logits(D.forward(sample_real(batch_size, rng)), 1.0)
        D.backward(d_real, need_input_grad=False)
        fake_loss, d_fake = bce_with_logits(D.forward(sample_fake(batch_size, rng)), 0.0)
        D.backward(d_fake, need_input_grad=False)
        optimizer.step()
        losses.append(real_loss + fake_loss)
    return losses


class GuardedTrainer:
    """What every trainer here shares: one iteration at a time, a history row per iteration,
    and the divergence guard. A subclass sets RECORDED (the keys of a row) and defines
    ``players()`` -> [(name, model, optimizer)] and ``iterate()`` -> the row, and calls
    ``GuardedTrainer.__init__(self, rng, guard)`` for ``rng``, ``guard``, ``iteration`` and
    ``history``.

    With the guard on, ``step()`` snapshots everything an iteration changes before running it;
    a NaN or inf anywhere (a FloatingPointError, or a non-finite value in the row) restores
    that snapshot and raises TrainingDiverged.
    """

    RECORDED: tuple[str, ...] = ()
    WHAT = "training"  # how the divergence message names the run

    def __init__(self, rng: np.random.Generator | int, guard: bool) -> None:
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.guard = guard
        self.iteration = 0
        self.history: dict[str, list[float]] = {name: [] for name in self.RECORDED}

    def players(self) -> list[tuple[str, Sequential, object]]:
        raise NotImplementedError

    def iterate(self) -> dict[str, float]:
        raise NotImplementedError

    def step(self) -> dict[str, float]:
        """One iteration; appends its row to the history and returns it."""
        saved = self.snapshot() if self.guard else None
        try:
            record = self.iterate()
            if not all(np.isfinite(v) for v in record.values()):
                raise FloatingPointError("a loss or gradient norm is NaN or inf")
        except FloatingPointError as err:
            for _, model, _ in self.players():
                model.forget()
            if saved is not None:
                self.restore(saved)
            where = "restored to the end of the last good iteration" if saved else "not restored"
            raise TrainingDiverged(
                f"{self.WHAT} diverged at iteration {self.iteration + 1} ({err}); "
                f"models and optimizers {where} ({self.iteration})") from err
        self.iteration += 1
        for key, value in record.items():
            self.history[key].append(value)
        return record

    def snapshot(self) -> dict:
        """Copies of everything an iteration changes: parameters, running statistics,
        optimizer moments and step counts, the random generator. Keys per player ``name``:
        name (parameter values), name_state, and name.lower()_opt."""
        saved = {"rng": self.rng.bit_generator.state}
        for name, model, opt in self.players():
            saved[name] = [p.value.copy() for p in model.parameters()]
            saved[name + "_state"] = {k: v.copy() for k, v in model.state_arrays().items()}
            saved[name.lower() + "_opt"] = {k: np.array(v, copy=True) for k, v in opt.state_dict().items()}
        return saved

    def restore(self, saved: dict) -> None:
        for name, model, opt in self.players():
            for p, value in zip(model.parameters(), saved[name], strict=True):
                p.value[...] = value
            for key, value in model.state_arrays().items():
                value[...] = saved[name + "_state"][key]
            opt.load_state_dict(saved[name.lower() + "_opt"])
        self.rng.bit_generator.state = saved["rng"]


class GANTrainer(GuardedTrainer):
    """Holds G, D, their optimizers and samplers, and runs Algorithm 1 one iteration at a time.

    sample_data(n, rng) -> (n, *D.input_shape) real samples
    sample_noise(n, rng) -> (n, *G.input_shape) noise
    ``history`` maps each recorded quantity to a list with one entry per iteration.
    """

    RECORDED = ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "d_grad_norm")

    def __init__(self, generator: Sequential, discriminator: Sequential, g_optimizer, d_optimizer,
                 sample_data: Callable, sample_noise: Callable, loss: str = "non_saturating",
                 k: int = 1, batch_size: int = 64, rng: np.random.Generator | int = 0,
                 guard: bool = True, real_label: float = 1.0, pack: int = 1) -> None:
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k (discriminator steps per iteration) must be a positive integer, got {k!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(pack, bool) or not isinstance(pack, (int, np.integer)) or pack < 1:
            raise ValueError(f"pack (samples per discriminator input, PacGAN) must be a positive "
                             f"integer, got {pack!r}")
        self.G, self.D = generator, discriminator
        self.g_opt, self.d_opt = g_optimizer, d_optimizer
        self.sample_data, self.sample_noise = sample_data, sample_noise
        self.loss = normalise_generator_loss(loss)
        self.k, self.batch_size = int(k), int(batch_size)
        # batch_size counts D's inputs: with packing each step draws batch_size * pack samples
        self.pack = int(pack)
        if not 0.5 < real_label <= 1:
            raise ValueError(f"real_label must be in (0.5, 1], got {real_label!r}")
        # one-sided label smoothing (Salimans et al., 2016): training D towards 0.9 instead of
        # 1 on real data keeps it from becoming over-confident; fake labels stay 0
        self.real_label = float(real_label)
        super().__init__(rng, guard)

    # ------------------------------------------------------------------ packing
    def packed(self, x: np.ndarray) -> np.ndarray:
        """(m * pack, d, ...) -> (m, pack * d, ...): each row of D's input holds ``pack``
        consecutive samples side by side. The identity when pack = 1."""
        if self.pack == 1:
            return x
        if x.shape[0] % self.pack:
            raise ValueError(f"cannot pack {x.shape[0]} samples in groups of {self.pack}")
        return x.reshape((x.shape[0] // self.pack, self.pack * x.shape[1]) + x.shape[2:])

    def unpacked(self, dx: np.ndarray) -> np.ndarray:
        """The inverse of ``packed``: (m, pack * d, ...) -> (m * pack, d, ...). Packing only
        moves numbers, so the gradient w.r.t. the samples is D's input gradient moved back."""
        if self.pack == 1:
            return dx
        return dx.reshape((dx.shape[0] * self.pack, dx.shape[1] // self.pack) + dx.shape[2:])

    # ------------------------------------------------------------------ the two halves
    def discriminator_step(self) -> tuple[float, float]:
        """One descent step on D's loss. Returns (loss, mean D(x) on the real batch)."""
        m = self.batch_size * self.pack  # samples drawn; D sees batch_size (packed) inputs
        self.d_opt.zero_grad()
        x = self.packed(self.sample_data(m, self.rng))
        fake = self.packed(self.G.forward(self.sample_noise(m, self.rng), training=True, remember=False))
        # Real and fake batches go through D separately (as in DCGAN), each forward followed
        # by its own backward; D's gradients from the two add up before the step. Nothing
        # flows back into the samples here, so D's input gradient is not computed.
        real_logits = self.D.forward(x)
        real_loss, d_real = bce_with_logits(real_logits, self.real_label)
        self.D.backward(d_real, need_input_grad=False)
        fake_logits = self.D.forward(fake)
        fake_loss, d_fake = bce_with_logits(fake_logits, 0.0)
        self.D.backward(d_fake, need_input_grad=False)
        self.d_opt.step()
        return real_loss + fake_loss, self._summary(real_logits)

    def generator_step(self) -> tuple[float, float]:
        """One descent step on the generator loss, back-propagated through D.
        Returns (loss, mean D(G(z)))."""
        self.g_opt.zero_grad()
        fake = self.G.forward(self.sample_noise(self.batch_size * self.pack, self.rng), training=True)
        logits = self.D.forward(self.packed(fake), training=True)
        loss, dlogits = self._g_loss(logits)
        # only dL/dG(z) is wanted from D: its parameter gradients would be thrown away (its
        # optimizer zeroes them before its next step), so D skips them; G's input is noise:
        # no dL/dz either
        self.G.backward(self.unpacked(self.D.backward(dlogits, need_param_grads=False)),
                        need_input_grad=False)
        self.g_opt.step()
        return loss, self._summary(logits)

    def _g_loss(self, logits: np.ndarray) -> tuple[float, np.ndarray]:
        """The generator's loss on D's logits and its gradient (subclasses with other
        objectives replace this, not the step)."""
        return generator_loss(logits, self.loss)

    def _summary(self, logits: np.ndarray) -> float:
        """What the history records of D's output on a batch: mean D = mean sigmoid(logit)."""
        return float(np.mean(sigmoid(logits)))

    # ------------------------------------------------------------------ one iteration
    def players(self) -> list[tuple[str, Sequential, object]]:
        return [("G", self.G, self.g_opt), ("D", self.D, self.d_opt)]

    def iterate(self) -> dict[str, float]:
        """k discriminator steps, then one generator step; returns the iteration's record."""
        for _ in range(self.k):
            d_loss, d_real = self.discriminator_step()
        g_loss, d_fake = self.generator_step()
        # the optimizers measured the gradient norms while checking them for NaN/inf
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake,
                "g_grad_norm": self.g_opt.grad_norm, "d_grad_norm": self.d_opt.grad_norm}


class SimultaneousGANTrainer(GANTrainer):
    """The update of the original paper's released code (Goodfellow et al. 2014, its
    ``AdversaryCost2``), instead of Algorithm 1's alternation: one batch of m real and m
    generated samples, one pass of D over each, and from those same passes both gradients,

        D:  d/dθ_D [ BCE(D(x), 1) + BCE(D(G(z)), 0) ]
        G:  d/dθ_G [ generator loss of D(G(z)) ]         (the same D(G(z)), same dropout masks)

    then both players step. G's gradient is taken at D's parameters *before* D's step, where
    Algorithm 1 lets G answer the D that has just stepped. Only k = 1 and pack = 1.

    A layer's backward consumes its forward's cache, so the fake batch goes through D twice
    with the same dropout masks (D's random generators are rewound between the two passes):
    the first backward gives D's gradient, the second G's. The second also adds G's loss
    gradient to D's parameters; D's own gradients are put back before D steps.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.k != 1 or self.pack != 1:
            raise ValueError(f"SimultaneousGANTrainer: k and pack must be 1 (one batch, one update "
                             f"of each player), got k={self.k}, pack={self.pack}")

    def iterate(self) -> dict[str, float]:
        m = self.batch_size
        self.d_opt.zero_grad()
        self.g_opt.zero_grad()
        x = self.sample_data(m, self.rng)
        fake = self.G.forward(self.sample_noise(m, self.rng), training=True)
        real_logits = self.D.forward(x)
        real_loss, d_real = bce_with_logits(real_logits, self.real_label)
        self.D.backward(d_real, need_input_grad=False)
        # the random generators of D's layers (its dropout masks), to replay the fake pass
        unique = {id(layer.rng): layer.rng for layer in self.D.layers if layer.rng is not None}
        generators = list(unique.values())
        states = [g.bit_generator.state for g in generators]
        fake_logits = self.D.forward(fake)
        fake_loss, d_fake = bce_with_logits(fake_logits, 0.0)
        self.D.backward(d_fake, need_input_grad=False)
        d_grads = [p.grad.copy() for p in self.D.parameters()]
        for g, state in zip(generators, states, strict=True):
            g.bit_generator.state = state
        logits = self.D.forward(fake)  # the same pass again: same weights, same masks
        g_loss, dlogits = generator_loss(logits, self.loss)
        # D's parameter gradients of this pass are not wanted (as in GANTrainer); the cheap
        # ones a layer still adds (BatchNorm's) are undone by restoring D's below
        self.G.backward(self.D.backward(dlogits, need_param_grads=False), need_input_grad=False)
        for p, grad in zip(self.D.parameters(), d_grads, strict=True):
            p.grad[...] = grad
        self.d_opt.step()
        self.g_opt.step()
        return {"d_loss": real_loss + fake_loss, "g_loss": g_loss,
                "d_real": float(np.mean(sigmoid(real_logits))), "d_fake": float(np.mean(sigmoid(logits))),
                "g_grad_norm": self.g_opt.grad_norm, "d_grad_norm": self.d_opt.grad_norm}
