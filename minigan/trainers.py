"""The plain GAN trainer with every objective of issue 15, and D's gradient regularisers.

GANTrainer (gan.py) plays the original game: BCE for D, the saturating or non-saturating
loss for G. ObjectiveGANTrainer runs the same Algorithm 1 (k D steps, one G step, packing,
the divergence guard) with any pair of losses on D's raw output s:

    name               D's loss (real, fake)         G's loss                  module
    saturating         BCE (real 1, fake 0)          mean log(1 - D(G(z)))     losses
    non_saturating     BCE                           -mean log D(G(z))         losses
    lsgan              1/2 (s - 1)^2, 1/2 s^2        1/2 (s - 1)^2             objectives (0, 1, 1)
    lsgan_theorem1     1/2 (s - 1)^2, 1/2 (s + 1)^2  1/2 s^2                   objectives (-1, 1, 0)
    hinge              relu(1 - s), relu(1 + s)      -mean s                   objectives
    fgan_<divergence>  -F (the variational bound)    -mean g_f(s) ("alternative")
                                                     or -mean f*(g_f(s)) ("minimax")   fgan

(the f-GAN divergences: kl, reverse_kl, pearson, squared_hellinger, js, gan).

Regularisers of D, added to D's loss before its step (both on D's input gradient, so they
need minigan.double_backward's exact second-order backward, and refuse BatchNorm):

    penalty="r1"    gamma/2 mean_real |grad_x s|^2                (Mescheder et al. 2018)
    penalty="roth"  gamma/2 [mean_real (1 - D)^2 |grad_x s|^2 + mean_fake D^2 |grad_x s|^2]
                                                                  (Roth et al. 2017, D = sigmoid(s))

Every D loss here is a sum of a term on the real batch and one on the fake batch, so, as in
GANTrainer, each batch goes forward and backward through D on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .double_backward import _rules_for, _weight, r1_penalty, roth_penalty
from .fgan import FDIVERGENCES, FGAN_GENERATOR_LOSSES, fgan_discriminator_loss, fgan_generator_loss
from .functions import sigmoid
from .gan import GANTrainer
from .losses import bce_with_logits, generator_loss
from .network import Sequential
from .objectives import (
    hinge_discriminator_loss,
    hinge_generator_loss,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
)

OBJECTIVES = ("saturating", "non_saturating", "lsgan", "lsgan_theorem1", "hinge") + tuple(
    f"fgan_{name}" for name in FDIVERGENCES)
PENALTIES = ("r1", "roth")


@dataclass(frozen=True)
class Objective:
    """A D loss d_loss(real, fake, real_label) -> (value, d real, d fake) and a G loss
    g_loss(fake) -> (value, d fake), both on D's raw outputs. ``probability``: D's output is a
    logit of a probability (sigmoid(s) = D(x)), so the history records sigmoid(s); otherwise it
    records the raw mean score."""

    name: str
    d_loss: Callable
    g_loss: Callable
    probability: bool


def _bce_pair(real, fake, real_label=1.0):
    vr, dr = bce_with_logits(real, real_label)
    vf, df = bce_with_logits(fake, 0.0)
    return vr + vf, dr, df


def get_objective(name, fgan_generator: str = "alternative") -> Objective:
    """The Objective called ``name`` (case and -/_ do not matter; see OBJECTIVES)."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in OBJECTIVES:
        raise ValueError(f"loss must be one of {', '.join(OBJECTIVES)}, got {name!r}")
    kind = str(fgan_generator).strip().lower().replace("-", "_")
    if kind not in FGAN_GENERATOR_LOSSES:
        raise ValueError(f"fgan_generator must be one of {', '.join(FGAN_GENERATOR_LOSSES)}, "
                         f"got {fgan_generator!r}")
    if key in ("saturating", "non_saturating"):
        return Objective(key, _bce_pair, lambda s: generator_loss(s, key), True)
    if key.startswith("lsgan"):
        coding = "theorem1" if key == "lsgan_theorem1" else "zero_one"
        return Objective(key, lambda r, f, _=1.0: lsgan_discriminator_loss(r, f, coding),
                         lambda s: lsgan_generator_loss(s, coding), False)
    if key == "hinge":
        return Objective(key, lambda r, f, _=1.0: hinge_discriminator_loss(r, f), hinge_generator_loss, False)
    div = key[len("fgan_"):]
    return Objective(key, lambda r, f, _=1.0: fgan_discriminator_loss(r, f, div),
                     lambda s: fgan_generator_loss(s, div, kind), div == "gan")


def check_penalty(penalty, gamma, D: Sequential, what: str = "GAN trainer") -> tuple[str | None, float]:
    """Validate (penalty, gamma) for D: a known name, gamma >= 0 and finite, and a D whose
    every layer has a second-order rule (no BatchNorm). Returns (name or None, gamma)."""
    if penalty is None:
        return None, 0.0
    key = str(penalty).strip().lower()
    if key not in PENALTIES:
        raise ValueError(f"penalty must be None or one of {', '.join(PENALTIES)}, got {penalty!r}")
    gamma = _weight(gamma, "gamma (the penalty weight)", what)
    _rules_for(D, f"{what}: penalty {key!r}")
    return key, gamma


class ObjectiveGANTrainer(GANTrainer):
    """GANTrainer with ``loss`` any of OBJECTIVES and an optional ``penalty`` ('r1', 'roth')
    of weight ``gamma`` on D. ``fgan_generator`` picks the f-GAN generator loss ('alternative',
    the paper's practical choice, or 'minimax'). real_label < 1 (one-sided label smoothing)
    applies to the BCE objectives only. The history adds "penalty" (D's regulariser on the
    last D step, 0 without one); d_real and d_fake are mean D(x) for objectives whose D is a
    probability (BCE, fgan_gan) and the mean raw score otherwise."""

    RECORDED = GANTrainer.RECORDED + ("penalty",)

    def __init__(self, generator: Sequential, discriminator: Sequential, g_optimizer, d_optimizer,
                 sample_data: Callable, sample_noise: Callable, loss: str = "non_saturating", *,
                 penalty: str | None = None, gamma: float = 10.0, fgan_generator: str = "alternative",
                 real_label: float = 1.0, **kwargs) -> None:
        self.objective = get_objective(loss, fgan_generator)
        if real_label != 1.0 and self.objective.name not in ("saturating", "non_saturating"):
            raise ValueError(f"real_label (label smoothing) applies to the BCE losses only, got "
                             f"real_label={real_label!r} with loss {self.objective.name!r}")
        self.penalty, self.gamma = check_penalty(penalty, gamma, discriminator)
        # GANTrainer checks the rest; its own loss name is only used by its _g_loss, which
        # this class replaces
        super().__init__(generator, discriminator, g_optimizer, d_optimizer, sample_data, sample_noise,
                         "non_saturating", real_label=real_label, **kwargs)
        self.loss = self.objective.name
        self.last_penalty = 0.0

    def _g_loss(self, logits: np.ndarray) -> tuple[float, np.ndarray]:
        return self.objective.g_loss(logits)  # GANTrainer.generator_step calls it

    def _summary(self, logits: np.ndarray) -> float:
        return float(np.mean(sigmoid(logits) if self.objective.probability else logits))

    def discriminator_step(self) -> tuple[float, float]:
        """One descent step on D's loss (plus its penalty). Returns (loss, mean D(x) or score)."""
        if self.objective.d_loss is _bce_pair and self.penalty is None:
            # the original GAN: GANTrainer's step computes the same numbers with each of the
            # two cross-entropy terms evaluated once (below, every term is evaluated twice)
            return super().discriminator_step()
        m = self.batch_size * self.pack
        self.d_opt.zero_grad()
        x = self.packed(self.sample_data(m, self.rng))
        fake = self.packed(self.G.forward(self.sample_noise(m, self.rng), training=True, remember=False))
        real_logits = self.D.forward(x)
        # the real term's gradient depends on the real logits only (the losses are sums of a
        # real and a fake term), so it is applied before the fake batch replaces D's caches
        _, d_real, _ = self.objective.d_loss(real_logits, real_logits, self.real_label)
        self.D.backward(d_real, need_input_grad=False)
        fake_logits = self.D.forward(fake)
        loss, _, d_fake = self.objective.d_loss(real_logits, fake_logits, self.real_label)
        self.D.backward(d_fake, need_input_grad=False)
        if self.penalty == "r1":
            self.last_penalty = r1_penalty(self.D, x, self.gamma, accumulate=True)[0]
        elif self.penalty == "roth":
            self.last_penalty = roth_penalty(self.D, x, fake, self.gamma, accumulate=True)[0]
        self.d_opt.step()
        return loss + self.last_penalty, self._summary(real_logits)

    def iterate(self) -> dict[str, float]:
        record = super().iterate()
        record["penalty"] = float(self.last_penalty)
        return record


def generator_gradient_curves(scores: np.ndarray) -> dict[str, dict]:
    """Each objective's generator gradient on one sample, dL_G/ds, against D's output s on it
    (the per-sample derivative: the batch mean's 1/N taken out), plus WGAN's -1. Returns
    {name: {"score": s, "grad": dL_G/ds, "probability": bool}}; for a probability objective
    D(G(z)) = sigmoid(s) is the natural axis (Goodfellow's tutorial draws the saturating and
    non-saturating costs against it)."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    curves = {}
    for name in OBJECTIVES:
        obj = get_objective(name)
        with np.errstate(over="ignore"):
            grad = np.array([obj.g_loss(v.reshape(1, 1))[1][0, 0] for v in s[:, 0]])
        curves[name] = {"score": s[:, 0], "grad": grad, "probability": obj.probability}
    curves["wgan"] = {"score": s[:, 0], "grad": np.full(len(s), -1.0), "probability": False}
    return curves
