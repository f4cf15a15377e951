"""Wasserstein GAN with weight clipping (Arjovsky, Chintala & Bottou, 2017).

The distance. The Wasserstein-1 (earth mover's) distance between the data distribution p
and the generator's distribution q is the least average distance mass must travel to turn
q into p. Its dual form (Kantorovich-Rubinstein) trades the transport plan for a function:

    W1(p, q) = sup over f with Lip(f) <= 1 of   E_{x~p} f(x) - E_{x~q} f(x)

so a network f, the *critic*, trained to make its mean score on real data exceed its mean
score on generated data, measures how far apart the two are. Unlike the JSD behind the
original GAN it keeps growing with the distance (two 1-D Gaussians with the same std and
means mu apart have W1 = |mu|, while their JSD saturates at log 2), so the generator gets a
useful gradient even when the two distributions barely overlap.

The constraint. Nothing in a plain network keeps f 1-Lipschitz. The paper's remedy: after
every critic update, clip every weight (and bias) into [-c, c]. The set of such networks is
compact, so all of them are K-Lipschitz for one K that depends on c and the architecture
(for a Dense-LeakyReLU stack, at most the product over layers of fan_in * c). Scaling a
1-Lipschitz function by K scales the supremum by K, so a clipped critic's estimate is at
most K * W1 (estimate / K is a lower bound on W1), reaching it only as far as the clipped
family can approach K times the optimal f. A constant factor does not change the direction of the generator's
gradient, only its scale, and RMSProp divides the scale out anyway.

The two losses, both minimised, both means over a batch of n (so gradients carry 1/n):

    critic:     L_C = mean_i f(G(z_i)) - mean_i f(x_i)     dL_C/df(x_i) = -1/n, dL_C/df(G(z_i)) = +1/n
    generator:  L_G = -mean_i f(G(z_i))                    dL_G/df(G(z_i)) = -1/n

-L_C is the critic's current estimate, at most K * W1, on that batch (recorded as "w_estimate").
The critic returns raw scores, no sigmoid: there are no probabilities here.

Paper defaults (Algorithm 1): RMSProp with lr = 5e-5 for both networks, c = 0.01,
n_critic = 5 critic steps per generator step, batch size 64. The paper avoids momentum-based
optimizers (Adam) because they made critic training unstable with clipping.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .gan import GuardedTrainer, TrainingDiverged
from .network import Sequential

__all__ = ["critic_loss", "wgan_generator_loss", "clip_weights", "WGANTrainer", "WGANGPTrainer",
           "TrainingDiverged"]


def _check_scores(scores, name: str) -> np.ndarray:
    """Scores must be a finite (n, 1) float array with n >= 1 (one raw critic output per sample)."""
    if not isinstance(scores, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array of critic scores, got {type(scores).__name__}")
    if scores.ndim != 2 or scores.shape[1] != 1 or scores.shape[0] < 1:
        raise ValueError(f"{name}: expected critic scores of shape (n, 1) with n >= 1, got {scores.shape}")
    if not np.issubdtype(scores.dtype, np.floating):
        raise ValueError(f"{name}: expected floating-point scores, got dtype {scores.dtype}")
    if not np.isfinite(scores).all():
        bad = int(scores.size - np.isfinite(scores).sum())
        raise ValueError(f"{name}: {bad} of {scores.size} critic scores are NaN or inf")
    return scores


def critic_loss(real_scores: np.ndarray, fake_scores: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The critic's loss L_C = mean f(G(z)) - mean f(x), to be minimised.

    real_scores: (n, 1) critic outputs on real samples; fake_scores: (m, 1) on generated ones
    (n and m may differ). Returns (L_C, dL_C/d real_scores, dL_C/d fake_scores), the
    gradients shaped like their scores: a mean over n samples has derivative 1/n in each,
    so d real = -1/n everywhere and d fake = +1/m everywhere.
    """
    _check_scores(real_scores, "critic_loss: real_scores")
    _check_scores(fake_scores, "critic_loss: fake_scores")
    value = float(np.mean(fake_scores) - np.mean(real_scores))
    d_real = np.full_like(real_scores, -1.0 / real_scores.shape[0])
    d_fake = np.full_like(fake_scores, 1.0 / fake_scores.shape[0])
    return value, d_real, d_fake


def wgan_generator_loss(fake_scores: np.ndarray) -> tuple[float, np.ndarray]:
    """The generator's loss L_G = -mean f(G(z)), to be minimised (it wants high critic
    scores). fake_scores: (n, 1). Returns (L_G, dL_G/d fake_scores), the latter (n, 1) of -1/n.

    Unlike the non-saturating GAN loss its gradient with respect to the scores never
    vanishes: everything G learns comes from the slope of f at its samples.
    """
    _check_scores(fake_scores, "wgan_generator_loss: fake_scores")
    return float(-np.mean(fake_scores)), np.full_like(fake_scores, -1.0 / fake_scores.shape[0])


def clip_weights(model: Sequential, c: float) -> int:
    """Clip every trainable parameter of ``model`` (weights and biases alike, as in the
    paper) into [-c, c], in place, so optimizers holding the arrays keep working.
    Returns how many entries were changed (a rising count means the critic is pressing
    against the constraint, which the paper observed: weights pile up at +-c)."""
    if isinstance(c, bool) or not isinstance(c, (int, float, np.floating, np.integer)) \
            or not (math.isfinite(c) and c > 0):
        raise ValueError(f"clip_weights: c (the clipping bound) must be a positive finite number, got {c!r}")
    changed = 0
    for p in model.parameters():
        outside = np.abs(p.value) > c
        changed += int(np.count_nonzero(outside))
        np.clip(p.value, -c, c, out=p.value)
    return changed



def _check_critic_steps(n_critic, batch_size) -> None:
    """The two counts both critic trainers take: one-line errors naming the argument."""
    if isinstance(n_critic, bool) or not isinstance(n_critic, (int, np.integer)) or n_critic < 1:
        raise ValueError(
            f"n_critic (critic steps per iteration) must be a positive integer, got {n_critic!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")

class WGANTrainer(GuardedTrainer):
    """Holds G, the critic, their optimizers and samplers, and runs WGAN's Algorithm 1 one
    iteration at a time:

        repeat n_critic times:
            sample m data points x and m noise vectors z
            descend L_C = mean f(G(z)) - mean f(x) in the critic's parameters
            clip the critic's parameters into [-clip, clip]
        sample m noise vectors z
        descend L_G = -mean f(G(z)) in G's parameters (back-propagated through the critic)

    sample_data(n, rng) -> (n, *critic.input_shape) real samples
    sample_noise(n, rng) -> (n, *G.input_shape) noise
    The paper's optimizers are RMSProp(lr=5e-5) for both; they must be built on
    G.parameters() and critic.parameters() respectively.

    ``history`` maps each recorded quantity to a list with one entry per iteration:
    critic_loss and w_estimate (= -critic_loss) of the last critic step, g_loss, the
    gradient norms of the last critic step and of the generator step, and clipped (how many
    critic entries the last clipping changed).
    """

    RECORDED = ("critic_loss", "w_estimate", "g_loss", "critic_grad_norm", "g_grad_norm", "clipped")
    WHAT = "WGAN training"

    def __init__(self, generator: Sequential, critic: Sequential, g_optimizer, c_optimizer,
                 sample_data: Callable, sample_noise: Callable, n_critic: int = 5, clip: float = 0.01,
                 batch_size: int = 64, rng: np.random.Generator | int = 0, guard: bool = True) -> None:
        _check_critic_steps(n_critic, batch_size)
        if isinstance(clip, bool) or not isinstance(clip, (int, float, np.floating)) \
                or not (math.isfinite(clip) and clip > 0):
            raise ValueError(
                f"clip (the weight-clipping bound c) must be a positive finite number, got {clip!r}")
        self.G, self.critic = generator, critic
        self.g_opt, self.c_opt = g_optimizer, c_optimizer
        self.sample_data, self.sample_noise = sample_data, sample_noise
        self.n_critic, self.clip, self.batch_size = int(n_critic), float(clip), int(batch_size)
        super().__init__(rng, guard)
        # The paper clips from the start too: the critic's initial weights are usually
        # larger than c, and the estimate only means K * W1 once the constraint holds.
        self.last_clipped = clip_weights(self.critic, self.clip)

    def _scores(self, x: np.ndarray, what: str) -> np.ndarray:
        scores = self.critic.forward(x, training=True)
        if not np.isfinite(scores).all():
            # a divergence, not a caller's mistake: FloatingPointError is what step() guards
            raise FloatingPointError(f"the critic returned NaN or inf scores on {what} samples")
        return scores

    # ------------------------------------------------------------------ the two halves
    def critic_step(self) -> float:
        """One descent step on L_C, then clipping. Returns the estimate mean f(x) - mean f(G(z))
        on this step's batches (before the step: the scores that produced the gradient)."""
        m = self.batch_size
        self.c_opt.zero_grad()
        x = self.sample_data(m, self.rng)
        fake = self.G.forward(self.sample_noise(m, self.rng), training=True, remember=False)
        # As in GANTrainer: real and fake batches pass through the critic separately, each
        # forward followed by its own backward; the parameter gradients of the two add up.
        # The inputs are data and a detached G output: no input gradient is needed.
        real_scores = self._scores(x, "real")
        # dL_C/d real_scores is the constant -1/n for n real scores (critic_loss returns the
        # same array); it is applied now, before the fake forward pass replaces the caches
        self.critic.backward(np.full_like(real_scores, -1.0 / len(real_scores)), need_input_grad=False)
        fake_scores = self._scores(fake, "generated")
        loss, _, d_fake = critic_loss(real_scores, fake_scores)
        self.critic.backward(d_fake, need_input_grad=False)
        self.c_opt.step()
        self.last_clipped = clip_weights(self.critic, self.clip)
        return -loss

    def generator_step(self) -> float:
        """One descent step on L_G = -mean f(G(z)), back-propagated through the critic;
        only G's optimizer steps. Returns L_G."""
        self.g_opt.zero_grad()
        fake = self.G.forward(self.sample_noise(self.batch_size, self.rng), training=True)
        scores = self._scores(fake, "generated")
        loss, d_scores = wgan_generator_loss(scores)
        # the critic's parameter gradients would be thrown away (its optimizer zeroes them
        # before its next step), so it skips them
        self.G.backward(self.critic.backward(d_scores, need_param_grads=False), need_input_grad=False)
        self.g_opt.step()
        return loss

    # ------------------------------------------------------------------ one iteration
    def players(self) -> list[tuple[str, Sequential, object]]:
        return [("G", self.G, self.g_opt), ("critic", self.critic, self.c_opt)]

    def iterate(self) -> dict[str, float]:
        """n_critic critic steps (each followed by clipping), then one generator step; the
        guard and the history are GuardedTrainer.step's."""
        for _ in range(self.n_critic):
            w_estimate = self.critic_step()
        critic_grad_norm = self.c_opt.grad_norm  # of the last critic step
        g_loss = self.generator_step()
        return {"critic_loss": -w_estimate, "w_estimate": w_estimate, "g_loss": g_loss,
                "critic_grad_norm": critic_grad_norm, "g_grad_norm": self.g_opt.grad_norm,
                "clipped": float(self.last_clipped)}


class WGANGPTrainer(WGANTrainer):
    """WGAN with a gradient penalty instead of clipping (Gulrajani et al. 2017, Algorithm 1):

        repeat n_critic times:
            sample x, z and one e ~ U[0, 1] per sample;  x_hat = e x + (1 - e) G(z)
            descend L_C + lam mean (|grad_x f(x_hat)| - 1)^2 in the critic's parameters
        descend L_G = -mean f(G(z)) in G's parameters

    An optimal critic of the dual has slope 1 almost everywhere on the segments between p and
    q, so the penalty softly enforces the Lipschitz constraint where it matters, without
    clipping's pile-up of weights at +-c. The penalty's parameter gradient is a derivative of
    a derivative: minigan.double_backward computes it exactly (the critic must be built from
    layers with second-order rules; BatchNorm is refused, as the paper drops it from the critic).

    Paper defaults: lam = 10, n_critic = 5, Adam(lr = 1e-4, betas = (0, 0.9)) for both networks
    (their toy experiments use (0.5, 0.9)). The history: critic_loss and w_estimate of the last
    critic step (without the penalty), penalty, grad_norm_mean (mean |grad f(x_hat)|, near 1
    when the penalty holds), g_loss and the two gradient norms.
    """

    RECORDED = ("critic_loss", "w_estimate", "penalty", "grad_norm_mean", "g_loss", "critic_grad_norm",
                "g_grad_norm")
    WHAT = "WGAN-GP training"

    def __init__(self, generator: Sequential, critic: Sequential, g_optimizer, c_optimizer,
                 sample_data: Callable, sample_noise: Callable, n_critic: int = 5, lam: float = 10.0,
                 batch_size: int = 64, rng: np.random.Generator | int = 0, guard: bool = True) -> None:
        from .double_backward import _rules_for, _weight

        _check_critic_steps(n_critic, batch_size)
        self.lam = _weight(lam, "lam (the gradient-penalty weight lambda)", "WGANGPTrainer")
        _rules_for(critic, "WGANGPTrainer: the gradient penalty")
        self.G, self.critic = generator, critic
        self.g_opt, self.c_opt = g_optimizer, c_optimizer
        self.sample_data, self.sample_noise = sample_data, sample_noise
        self.n_critic, self.batch_size = int(n_critic), int(batch_size)
        self.last_penalty, self.last_norm = 0.0, 0.0
        # WGANTrainer.__init__ is not called: it would clip the critic's weights
        GuardedTrainer.__init__(self, rng, guard)

    def critic_step(self) -> float:
        """One descent step on L_C + penalty. Returns mean f(x) - mean f(G(z)) on this batch."""
        from .double_backward import gradient_penalty

        m = self.batch_size
        self.c_opt.zero_grad()
        x = self.sample_data(m, self.rng)
        fake = self.G.forward(self.sample_noise(m, self.rng), training=True, remember=False)
        real_scores = self._scores(x, "real")
        self.critic.backward(np.full_like(real_scores, -1.0 / len(real_scores)), need_input_grad=False)
        fake_scores = self._scores(fake, "generated")
        loss, _, d_fake = critic_loss(real_scores, fake_scores)
        self.critic.backward(d_fake, need_input_grad=False)
        # the penalty's gradient is added into the critic's grads before the step
        self.last_penalty, _, _, norms = gradient_penalty(self.critic, x, fake, self.lam, rng=self.rng,
                                                          accumulate=True)
        self.last_norm = float(np.mean(norms))
        self.c_opt.step()
        return -loss

    def iterate(self) -> dict[str, float]:
        for _ in range(self.n_critic):
            w_estimate = self.critic_step()
        critic_grad_norm = self.c_opt.grad_norm
        g_loss = self.generator_step()
        return {"critic_loss": -w_estimate, "w_estimate": w_estimate, "penalty": self.last_penalty,
                "grad_norm_mean": self.last_norm, "g_loss": g_loss, "critic_grad_norm": critic_grad_norm,
                "g_grad_norm": self.g_opt.grad_norm}
