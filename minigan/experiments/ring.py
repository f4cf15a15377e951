"""Mode collapse on a ring of 8 Gaussians, and packing (PacGAN) as the remedy.

p_data is the ring of ``data.Ring``: 8 narrow Gaussians (std 0.02) on a circle of radius 2.
The generator is a small MLP (2-64-64-2, LeakyReLU), x = G(z) with z ~ N(0, I_2); the
discriminator is deeper and wider (2p-128-128-128-1) and learns twice as fast (Adam, lr 1e-3
against 5e-4, batch 100, non-saturating loss). A strong D is what makes the vanilla GAN's
collapse visible: D quickly finds the modes G over-fills and pushes it off them, G moves its
mass to the modes D currently under-rates, and the covered set keeps changing. With packing
(Lin et al. 2018) D judges ``pack`` samples at once; a pack of samples from a collapsed G
looks alike where a pack of real samples does not, so D can punish the lack of diversity
itself and G is pushed to cover the ring.

Measured at the defaults (4000 iterations), seeds 0-5, modes
covered averaged over the last 5 snapshots (iterations 3600-4000; one snapshot alone is
noisy because covered sets change between snapshots):

    vanilla (pack 1)   4.0  4.6  5.2  3.4  3.0  3.6    mean 4.0
    packed  (pack 2)   7.8  8.0  7.4  7.4  7.4  6.0    mean 7.3

Packing wins on every seed, by 3.3 modes on average. The vanilla GAN covers 2-5 modes at
most snapshots and its covered set changed at 4-17 of the 20 snapshots of the second half
of training (only seed 4 settles, on 3 modes). Packing is slower to start (D must learn to
compare samples first), so the packed run trails for the first ~1000 iterations.

The run is seeded: the same config gives the same weights, samples and reports. Every
``snapshot_every`` iterations it records ring_report on ``eval_samples`` generated points
(always from the same noise) and a few of the points themselves for the scatter plots.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..data import Ring
from ..functions import sigmoid
from ..metrics import RING_MIN_SHARE, ring_report
from ..models import ring_benchmark_discriminator, ring_benchmark_generator, toy_discriminator, toy_generator
from ..optim import Adam, RMSProp
from ..trainers import ObjectiveGANTrainer
from ..unrolled import UnrolledGANTrainer
from ..wgan import WGANGPTrainer, WGANTrainer


@dataclass
class RingConfig:
    pack: int = 1                  # samples per discriminator input (1: a vanilla GAN)
    steps: int = 4000              # GAN iterations
    batch_size: int = 100          # D's inputs per step (batch_size * pack samples are drawn)
    lr_d: float = 1e-3
    lr_g: float = 5e-4             # G slower than D: D keeps up with where G's mass is
    beta1: float = 0.5             # Adam's first-moment decay, as in DCGAN
    k: int = 1                     # discriminator steps per iteration
    noise_dim: int = 2
    g_hidden: int = 64             # units per hidden layer of G
    d_hidden: int = 128            # a bigger D than G: it sees collapse sooner
    g_layers: int = 2              # hidden layers of G
    d_layers: int = 3              # hidden layers of D
    seed: int = 0
    snapshot_every: int = 100      # record ring_report every this many iterations
    final_window: int = 5          # summaries average the last this many snapshots
    eval_samples: int = 1000       # generated points per report
    plot_samples: int = 400        # of which kept for the scatter plots
    n_modes: int = 8
    radius: float = 2.0
    std: float = 0.02
    min_share: float = RING_MIN_SHARE  # see metrics.ring_report
    # issue 15: which game, and which networks (see RING_LOSSES and published_config)
    loss: str = "vanilla"          # one of RING_LOSSES ("vanilla" with pack > 1 is PacGAN)
    setup: str = "small"           # "small": the networks above; "published": VEEGAN/PacGAN's
    beta2: float = 0.999           # Adam's second-moment decay
    n_critic: int = 5              # WGAN critic steps per iteration
    clip: float = 0.01             # WGAN weight clipping bound
    lam: float = 10.0              # WGAN-GP penalty weight
    lr_critic: float = 1e-4        # WGAN-GP: Adam lr of both networks (WGAN-clip: RMSProp 5e-5)
    unroll_steps: int = 5          # unrolled GAN: K
    unroll_lr: float = 0.01        # unrolled GAN: lr of the K SGD steps on D's copy

    def validate(self) -> RingConfig:
        def need(ok, arg, value, expected):
            if not ok:
                raise ValueError(f"{arg} must be {expected}, got {value!r}")

        for arg in ("pack", "steps", "batch_size", "k", "noise_dim", "g_hidden", "d_hidden",
                    "g_layers", "d_layers", "snapshot_every", "eval_samples", "plot_samples", "final_window"):
            v = getattr(self, arg)
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 1, arg, v, "a positive integer")
        for arg in ("lr_d", "lr_g", "radius", "std", "min_share"):
            v = getattr(self, arg)
            need(math.isfinite(v) and v > 0, arg, v, "a positive number")
        need(0 <= self.beta1 < 1, "beta1", self.beta1, "in [0, 1)")
        need(0 <= self.beta2 < 1, "beta2", self.beta2, "in [0, 1)")
        need(self.loss in RING_LOSSES, "loss", self.loss, f"one of {', '.join(RING_LOSSES)}")
        need(self.setup in ("small", "published"), "setup", self.setup, "'small' or 'published'")
        need(self.loss not in ("wgan_clip", "wgan_gp") or self.pack == 1, "pack", self.pack,
             f"1 with loss {self.loss!r} (the WGAN critics here judge one sample)")
        for arg in ("clip", "lr_critic", "unroll_lr"):
            v = getattr(self, arg)
            need(math.isfinite(v) and v > 0, arg, v, "a positive number")
        need(math.isfinite(self.lam) and self.lam >= 0, "lam", self.lam, "a non-negative number")
        for arg in ("n_critic", "unroll_steps"):
            v = getattr(self, arg)
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 0 + (arg == "n_critic"), arg, v,
                 "a positive integer" if arg == "n_critic" else "a non-negative integer")
        need(isinstance(self.seed, int) and self.seed >= 0, "seed", self.seed, "a non-negative integer")
        Ring(self.n_modes, self.radius, self.std)  # its own checks
        return self


# The tests' setting, 13-16 s a run on one idle core. After 2000 iterations the packed run is
# still spreading out, but it is already ahead of the vanilla run on each of seeds 0-5 (last-5
# average 3.8-4.8 against 2.4-3.0 modes), so the tests compare several seeds, not one.
QUICK = {"steps": 2000}


def quick_config(**overrides) -> RingConfig:
    """The short setting used by the tests: fewer iterations and evaluation samples."""
    return RingConfig(**{**QUICK, **overrides})


# The objectives `minigan train ring --loss` trains (issue 15). "vanilla" is the non-saturating
# GAN (PacGAN when pack > 1); the other GAN objectives are minigan.trainers'; "unrolled_exact" and
# "unrolled_approx" unroll K SGD steps of D (minigan.unrolled), "unrolled_adam" K Adam steps
# (approximate gradient, as Metz et al. run it).
RING_LOSSES = ("vanilla", "lsgan", "lsgan_theorem1", "hinge", "wgan_clip", "wgan_gp", "unrolled_exact",
               "unrolled_approx", "unrolled_adam")

# The ring benchmark as published (Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN,
# whose released configuration we follow): 8 modes on the unit circle with std 0.01, G and D of
# models.ring_benchmark_*, Adam(lr 1e-4, beta1 0.8) for both, batch 100 (per pack), noise in 2-D,
# and 2,500 samples scored: high quality within 3 std of a mode, a mode covered when it holds at
# least one of them. Their runs train 400 epochs of 100,000 samples, i.e. 400,000 iterations.
PUBLISHED = {"setup": "published", "radius": 1.0, "std": 0.01, "lr_d": 1e-4, "lr_g": 1e-4, "beta1": 0.8,
             "batch_size": 100, "noise_dim": 2, "eval_samples": 2500, "plot_samples": 500,
             "min_share": 1e-9, "steps": 400_000, "snapshot_every": 1000}


def published_config(**overrides) -> RingConfig:
    """RingConfig with the published benchmark's data, networks, optimiser and scoring."""
    return RingConfig(**{**PUBLISHED, **overrides})


def _networks(c: RingConfig):
    if c.setup == "published":
        return (ring_benchmark_generator(c.noise_dim, seed=c.seed * 1000 + 1),
                ring_benchmark_discriminator(2 * c.pack, seed=c.seed * 1000 + 2))
    G = toy_generator(c.noise_dim, 2, c.g_hidden, seed=c.seed * 1000 + 1, activation="leaky_relu",
                      depth=c.g_layers)
    D = toy_discriminator(2 * c.pack, c.d_hidden, seed=c.seed * 1000 + 2, depth=c.d_layers)
    return G, D


def build_trainer(c: RingConfig, G, D, sample_data, sample_noise):
    """The trainer of c.loss for G and D (see RING_LOSSES)."""
    rng = c.seed * 1000 + 3
    if c.loss == "wgan_clip":  # the paper's optimiser and settings
        return WGANTrainer(G, D, RMSProp(G.parameters(), 5e-5), RMSProp(D.parameters(), 5e-5), sample_data,
                           sample_noise, n_critic=c.n_critic, clip=c.clip, batch_size=c.batch_size, rng=rng)
    if c.loss == "wgan_gp":  # Gulrajani et al.'s toy settings: Adam 1e-4, betas (0.5, 0.9)
        return WGANGPTrainer(G, D, Adam(G.parameters(), c.lr_critic, betas=(0.5, 0.9)),
                             Adam(D.parameters(), c.lr_critic, betas=(0.5, 0.9)), sample_data, sample_noise,
                             n_critic=c.n_critic, lam=c.lam, batch_size=c.batch_size, rng=rng)
    g_opt = Adam(G.parameters(), c.lr_g, betas=(c.beta1, c.beta2))
    d_opt = Adam(D.parameters(), c.lr_d, betas=(c.beta1, c.beta2))
    common = dict(k=c.k, batch_size=c.batch_size, rng=rng, pack=c.pack)
    if c.loss.startswith("unrolled"):
        return UnrolledGANTrainer(G, D, g_opt, d_opt, sample_data, sample_noise, "non_saturating",
                                  unroll_steps=c.unroll_steps, exact=c.loss == "unrolled_exact",
                                  unroll="adam" if c.loss == "unrolled_adam" else "sgd",
                                  unroll_lr=c.unroll_lr, **common)
    loss = "non_saturating" if c.loss == "vanilla" else c.loss
    return ObjectiveGANTrainer(G, D, g_opt, d_opt, sample_data, sample_noise, loss, **common)


def train_ring(config: RingConfig | None = None, progress=None, watch=None) -> dict:
    """Train one GAN on the ring. ``progress``, if given, has an ``update(n)`` method (a tqdm
    bar) called once per iteration; ``watch``, if given, is called as watch(step, G, D) at
    every snapshot (e.g. to record ``decision_view``s for an animation).

    Returns {"config", "centres" (K, 2), "snapshots": [{"step", "samples" (plot_samples, 2),
    "report"}], "coverage": {"step" (S,), "modes_covered" (S,), "high_quality" (S,),
    "mode_shares" (S, K)}, "history" (the trainer's), "seconds", "diverged"}.
    """
    c = (config or RingConfig()).validate()
    ring = Ring(c.n_modes, c.radius, c.std)
    # separate seeds for weights, training noise and the evaluation noise, all from c.seed,
    # so that changing pack changes D's shape but not G's initial weights
    G, D = _networks(c)
    trainer = build_trainer(c, G, D, ring.sample, lambda n, rng: rng.standard_normal((n, c.noise_dim)))
    eval_z = np.random.default_rng(c.seed * 1000 + 4).standard_normal((c.eval_samples, c.noise_dim))
    centres = ring.centres
    snapshots = []

    def record(step):
        x = G.predict(eval_z, training=True)
        report = ring_report(x, centres, c.std, c.min_share)
        snapshots.append({"step": step, "samples": x[:c.plot_samples].copy(), "report": report})
        if watch is not None:
            watch(step, G, D)

    start = time.perf_counter()
    record(0)
    diverged = None
    for step in range(1, c.steps + 1):
        try:
            trainer.step()
        except FloatingPointError as err:  # keep what was learned, report it
            diverged = str(err)
            break
        if step % c.snapshot_every == 0 or step == c.steps:
            record(step)
        if progress is not None:
            progress.update(1)
    coverage = {
        "step": np.array([s["step"] for s in snapshots]),
        "modes_covered": np.array([s["report"]["modes_covered"] for s in snapshots]),
        "high_quality": np.array([s["report"]["high_quality"] for s in snapshots]),
        "mode_shares": np.array([s["report"]["mode_shares"] for s in snapshots]),
    }
    return {"config": c, "centres": centres, "snapshots": snapshots, "coverage": coverage,
            "history": {k: np.array(v) for k, v in trainer.history.items()},
            "seconds": time.perf_counter() - start, "diverged": diverged}


def covered_sets(run: dict) -> list[frozenset]:
    """The set of covered modes at every snapshot (same threshold as ring_report)."""
    c = run["config"]
    fair = 1.0 / c.n_modes
    return [frozenset(np.flatnonzero(shares >= c.min_share * fair).tolist())
            for shares in run["coverage"]["mode_shares"]]


def summarise(run: dict) -> dict:
    """The numbers of one run:

    - final_modes_covered, final_high_quality: at the last snapshot
    - modes_covered_end, high_quality_end: means over the last ``final_window`` snapshots,
      the headline numbers (the covered set can change between snapshots, so one is noisy)
    - mean_modes_covered_late: mean over the second half of the snapshots (less noisy)
    - modes_ever_covered: modes covered at some snapshot of the second half; larger than
      the number covered at a time when G hops from mode to mode
    - covered_set_changes: how often the covered set changed between consecutive snapshots
      of the second half (0 for a generator that settled)
    """
    cov = run["coverage"]
    sets = covered_sets(run)
    half = len(sets) // 2
    late = sets[half:]
    return {
        "loss": run["config"].loss, "setup": run["config"].setup,
        "pack": run["config"].pack, "seed": run["config"].seed, "steps": run["config"].steps,
        "final_modes_covered": int(cov["modes_covered"][-1]),
        "final_high_quality": float(cov["high_quality"][-1]),
        "modes_covered_end": float(np.mean(cov["modes_covered"][-run["config"].final_window:])),
        "high_quality_end": float(np.mean(cov["high_quality"][-run["config"].final_window:])),
        "mean_modes_covered_late": float(np.mean(cov["modes_covered"][half:])),
        "modes_ever_covered": len(frozenset().union(*late)),
        "covered_set_changes": sum(a != b for a, b in zip(late[:-1], late[1:], strict=True)),
        "seconds": run["seconds"], "diverged": run["diverged"],
    }


def compare_packing(config: RingConfig | None = None, packs=(1, 2), seeds=(0,), progress=None,
                    watch=None) -> dict:
    """Train one run per (pack, seed) from the same config otherwise; ``watch``, if given, is
    called as watch(pack, seed, step, G, D) at every snapshot of every run. Returns
    {"runs": {pack: [run, ...]}, "summary": {pack: [summary, ...]}}."""
    base = (config or RingConfig()).validate()

    def watcher(p, s):
        return None if watch is None else (lambda step, G, D: watch(p, s, step, G, D))

    runs = {p: [train_ring(replace(base, pack=p, seed=s), progress, watcher(p, s)) for s in seeds]
            for p in packs}
    return {"runs": runs, "summary": {p: [summarise(r) for r in rs] for p, rs in runs.items()}}


# The two rows of the published ring table that issue 15 measures against: Lin et al. (2018,
# PacGAN), Table 2, 2-D ring, 10 runs each, the published setup (published_config) trained to
# the end: (modes covered of 8, high-quality share), means.
PUBLISHED_RING_ROWS = {("vanilla", 1): (6.3, 0.982), ("vanilla", 2): (7.9, 0.956)}


def over_seeds(rows: list[dict]) -> list[dict]:
    """summarise rows of several seeds -> one row per (loss, pack), in the order first seen:
    {"loss", "pack", "seeds", "modes", "high_quality" (one value per seed, in the order of
    "seeds"), "modes_mean", "modes_std", "high_quality_mean", "high_quality_std",
    "ms_per_iteration"}, from each run's modes_covered_end and high_quality_end (standard
    deviations over seeds, ddof = 1; 0 for one seed)."""
    def spread(v):
        return float(v.std(ddof=1)) if v.size > 1 else 0.0

    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["loss"], r["pack"]), []).append(r)
    table = []
    for (loss, pack), rs in groups.items():
        seeds = [r["seed"] for r in rs]
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"over_seeds: seed repeated for {loss} (pack {pack}): {seeds}")
        rs = sorted(rs, key=lambda r: r["seed"])
        modes = np.array([r["modes_covered_end"] for r in rs])
        quality = np.array([r["high_quality_end"] for r in rs])
        table.append({"loss": loss, "pack": pack, "seeds": [r["seed"] for r in rs],
                      "modes": modes.tolist(), "high_quality": quality.tolist(),
                      "modes_mean": float(modes.mean()), "modes_std": spread(modes),
                      "high_quality_mean": float(quality.mean()), "high_quality_std": spread(quality),
                      "ms_per_iteration": float(np.mean([1e3 * r["seconds"] / r["steps"] for r in rs]))})
    return table


def format_summary(rows: list[dict]) -> str:
    head = (f"{'loss':<16}{'pack':>4}{'seed':>6}{'modes (last)':>13}{'modes (end)':>12}{'mean late':>11}"
            f"{'ever late':>11}{'changes':>9}{'high quality':>14}{'seconds':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.get('loss', 'vanilla'):<16}{r['pack']:>4}{r['seed']:>6}"
                     f"{r['final_modes_covered']:>13}"
                     f"{r['modes_covered_end']:>12.1f}{r['mean_modes_covered_late']:>11.1f}"
                     f"{r['modes_ever_covered']:>11}"
                     f"{r['covered_set_changes']:>9}{r['final_high_quality']:>14.2f}{r['seconds']:>9.1f}")
    return "\n".join(lines)


def config_dict(config: RingConfig) -> dict:
    return asdict(config)


def decision_view(G, D, z: np.ndarray, extent: float = 2.6, resolution: int = 61) -> dict:
    """What GAN Lab draws: D's decision map and the generator's pull on its samples.

    D(x) = sigmoid(D's logit s(x)) on a resolution x resolution grid over [-extent, extent]^2,
    the samples x_i = G(z_i), and at each the direction the non-saturating generator step
    moves it: -dL_G/dx_i with L_G = softplus(-s(x_i)), i.e. sigmoid(-s(x_i)) * grad s(x_i)
    (uphill on D's logit, weighted by how surely D rejects the sample). For a D that judges
    one 2-D point at a time (pack 1). Returns {"xs", "ys" (resolution,), "d" (resolution,
    resolution; rows follow ys), "samples" (n, 2), "arrows" (n, 2)}."""
    if D.input_shape != (2,):
        raise ValueError(f"D must judge one 2-D point (input shape (2,)), got {D.input_shape}")
    xs = ys = np.linspace(-extent, extent, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    d = sigmoid(D.predict(grid)[:, 0])
    samples = G.predict(z)
    s = D.forward(samples, training=False)[:, 0]
    pull = sigmoid(-s)  # = -dL_G/ds
    arrows = D.backward(pull[:, None].astype(samples.dtype))  # sigmoid(-s) * ds/dx
    D.zero_grad()  # the backward filled D's gradients; this view must not leave them behind
    return {"xs": xs, "ys": ys, "d": d.reshape(resolution, resolution), "samples": samples,
            "arrows": np.asarray(arrows)}
