"""Saturating vs non-saturating generator loss on a 1-D Gaussian.

The setting of Goodfellow et al.'s Figure 1 and of Arjovsky & Bottou's analysis: p_data is
N(data_mean, data_std^2); the generator is a small MLP x = G(z), z ~ N(0, 1), that starts
far from p_data; the discriminator is a per-sample MLP that is first trained on its own
until it rejects the generator's samples confidently. Then, from *identical* weights and the
*same* random numbers, one GAN is trained with each generator loss, for several seeds.

Expected (and asserted by the tests): the non-saturating loss converges in every seed; the
saturating loss starts with a generator gradient at least ten times smaller (its gradient
through D is -sigmoid(s) instead of -sigmoid(-s), and D(G(z)) = sigmoid(s) is tiny) and
converges later or not at all.

Plain SGD is the default optimizer on purpose: Adam divides each step by a running gradient
scale, which largely hides how small the saturating gradient is (try --optimizer adam).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..functions import sigmoid
from ..gan import train_discriminator
from ..losses import GENERATOR_LOSSES
from ..metrics import histogram_js_divergence
from ..models import toy_discriminator, toy_generator
from ..optim import SGD, Adam
from ..theory import Gaussian
from ..trainers import OBJECTIVES, ObjectiveGANTrainer, get_objective
from ..wgan import WGANGPTrainer, WGANTrainer

# Every generator objective the comparison can train (issue 15): the GAN family of
# minigan.trainers, and the two WGAN critics (weight clipping; gradient penalty lam).
# `minigan compare-losses --losses all` runs them all; the default stays the two of Figure 1.
CRITIC_LOSSES = ("wgan_clip", "wgan_gp")
ALL_LOSSES = OBJECTIVES + CRITIC_LOSSES


def normalise_compare_loss(name) -> str:
    key = str(name).strip().lower().replace("-", "_")
    if key not in ALL_LOSSES:
        raise ValueError(f"losses (--losses) must be among {', '.join(ALL_LOSSES)} or 'all', got {name!r}")
    return key


@dataclass
class CompareConfig:
    data_mean: float = 0.0
    data_std: float = 1.0
    offset: float = -8.0          # the generator starts at mean data_mean + offset
    start_std: float = 0.5        # ... and standard deviation start_std * data_std
    steps: int = 2000             # GAN iterations per run
    seeds: int = 5
    k: int = 3                    # discriminator steps per iteration (a strong D, as the theory assumes)
    batch_size: int = 64
    lr_d: float = 1e-3
    lr_g: float = 0.003
    momentum: float = 0.5         # for SGD
    d_optimizer: str = "adam"     # "adam" (betas 0.5, 0.999) or "sgd" (with momentum)
    g_optimizer: str = "sgd"
    pretrain_d: int = 300         # D-only steps before the GAN starts
    eval_every: int = 10
    eval_samples: int = 5_000
    jsd_threshold: float = 0.03   # "converged": JSD(p_data || p_g) below this from then on
    early_steps: int = 20         # the "start" over which gradient norms are compared
    snapshot_steps: tuple[int, ...] = field(default=())  # empty: 0, steps/10, steps/3, steps
    losses: tuple[str, ...] = GENERATOR_LOSSES
    clip: float = 0.01            # wgan_clip: the weight-clipping bound
    lam: float = 10.0             # wgan_gp: the gradient-penalty weight

    def validate(self) -> CompareConfig:
        def need(ok, arg, value, expected):
            if not ok:  # name the field and its command-line flag
                flag = "--" + arg.replace("_", "-")
                raise ValueError(f"{arg} ({flag}) must be {expected}, got {value!r}")

        for arg in ("data_mean", "offset"):
            need(math.isfinite(getattr(self, arg)), arg, getattr(self, arg), "a finite number")
        for arg in ("data_std", "start_std", "lr_d", "lr_g", "jsd_threshold"):
            v = getattr(self, arg)
            need(math.isfinite(v) and v > 0, arg, v, "a positive number")
        for arg in ("steps", "seeds", "k", "batch_size", "eval_every", "eval_samples", "early_steps"):
            v = getattr(self, arg)
            need(isinstance(v, int) and v >= 1, arg, v, "a positive integer")
        need(isinstance(self.pretrain_d, int) and self.pretrain_d >= 0, "pretrain_d",
             self.pretrain_d, "a non-negative integer")
        need(0 <= self.momentum < 1, "momentum", self.momentum, "in [0, 1)")
        for arg in ("d_optimizer", "g_optimizer"):
            need(getattr(self, arg) in ("sgd", "adam"), arg, getattr(self, arg), "'sgd' or 'adam'")
        self.early_steps = min(self.early_steps, self.steps)
        if tuple(self.losses) == ("all",):
            self.losses = ALL_LOSSES
        self.losses = tuple(normalise_compare_loss(loss) for loss in self.losses)
        need(math.isfinite(self.clip) and self.clip > 0, "clip", self.clip, "a positive number")
        need(math.isfinite(self.lam) and self.lam >= 0, "lam", self.lam, "a non-negative number")
        need(len(self.losses) >= 1, "losses", self.losses, "at least one generator loss")
        for s in self.snapshot_steps:
            need(0 <= s <= self.steps, "snapshot_steps", self.snapshot_steps,
                 f"steps between 0 and {self.steps}")
        return self

    def checkpoints(self) -> list[int]:
        if self.snapshot_steps:
            return sorted(set(self.snapshot_steps))
        return sorted({0, self.steps // 10, self.steps // 3, self.steps})


class _Setup:
    """Everything one (config, seed) pair fixes: initial weights and the plotting grid."""

    def __init__(self, config: CompareConfig, seed: int):
        c = config
        self.config, self.seed = c, seed
        self.G = toy_generator(seed=seed * 1000 + 1)
        self.D = toy_discriminator(seed=seed * 1000 + 2)
        # Place the generator's initial distribution: rescale and shift its last layer so that
        # its outputs have mean data_mean + offset and std start_std * data_std.
        z = np.random.default_rng(seed * 1000 + 3).standard_normal((4096, 1))
        out = self.G.predict(z).ravel()
        last = self.G.layers[-1]
        last.params["W"] *= c.start_std * c.data_std / out.std()
        last.params["b"] += c.data_mean + c.offset - self.G.predict(z).mean()
        # D first learns to reject the initial generator (the regime of Arjovsky & Bottou)
        train_discriminator(
            self.D, lambda n, rng: rng.normal(c.data_mean, c.data_std, (n, 1)),
            lambda n, rng: self.G.predict(rng.standard_normal((n, 1)), training=True),
            self._optimizer(self.D, c.lr_d, c.d_optimizer), c.pretrain_d, c.batch_size,
            np.random.default_rng(seed * 1000 + 4))
        self.weights = {name: [p.value.copy() for p in m.parameters()]
                        for name, m in (("G", self.G), ("D", self.D))}
        lo = min(c.data_mean - 5 * c.data_std, c.data_mean + c.offset - 5 * c.start_std * c.data_std)
        hi = max(c.data_mean + 5 * c.data_std, c.data_mean + c.offset + 5 * c.start_std * c.data_std)
        self.edges = np.linspace(lo, hi, 121)
        self.eval_z = np.random.default_rng(seed * 1000 + 5).standard_normal((c.eval_samples, 1))

    def _optimizer(self, model, lr, kind):
        if kind == "adam":
            return Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
        return SGD(model.parameters(), lr=lr, momentum=self.config.momentum)

    def fresh_models(self):
        """G and D with the post-pretraining weights (a copy per run, so runs are independent)."""
        G, D = toy_generator(seed=0), toy_discriminator(seed=0)
        for model, name in ((G, "G"), (D, "D")):
            for p, w in zip(model.parameters(), self.weights[name], strict=True):
                p.value[...] = w
        return G, D


def run_one(setup: _Setup, loss: str, progress=None) -> dict:
    """Train one GAN from the setup's weights with one generator loss. Returns its history,
    evaluations (JSD, mean, std every eval_every iterations) and Figure-1 snapshots."""
    c = setup.config
    G, D = setup.fresh_models()
    args = (G, D, setup._optimizer(G, c.lr_g, c.g_optimizer), setup._optimizer(D, c.lr_d, c.d_optimizer),
            lambda n, rng: rng.normal(c.data_mean, c.data_std, (n, 1)),
            lambda n, rng: rng.standard_normal((n, 1)))
    # the critics start from the same pretrained D (a logit is a score too); k critic steps
    if loss == "wgan_clip":
        trainer = WGANTrainer(*args, n_critic=c.k, clip=c.clip, batch_size=c.batch_size,
                              rng=setup.seed * 1000 + 6)
    elif loss == "wgan_gp":
        trainer = WGANGPTrainer(*args, n_critic=c.k, lam=c.lam, batch_size=c.batch_size,
                                rng=setup.seed * 1000 + 6)
    else:  # for saturating / non_saturating this is GANTrainer, step for step
        trainer = ObjectiveGANTrainer(*args, loss, k=c.k, batch_size=c.batch_size, rng=setup.seed * 1000 + 6)
    probability = loss in OBJECTIVES and get_objective(loss).probability
    p_data = Gaussian(c.data_mean, c.data_std)
    grid = 0.5 * (setup.edges[1:] + setup.edges[:-1])
    evals = {"step": [], "jsd": [], "mean": [], "std": []}
    snapshots = []
    checkpoints = set(c.checkpoints())

    def evaluate(step):
        x = G.predict(setup.eval_z, training=True).ravel()
        evals["step"].append(step)
        evals["jsd"].append(histogram_js_divergence(x, p_data.cdf, setup.edges))
        evals["mean"].append(float(x.mean()))
        evals["std"].append(float(x.std()))
        if step in checkpoints:
            counts, _ = np.histogram(x, bins=setup.edges)
            # a density; all zeros when every sample has left the plotted range (no 0/0)
            density = counts / (max(counts.sum(), 1) * np.diff(setup.edges))
            score = D.predict(grid[:, None], training=True).ravel()
            snapshots.append({"step": step, "x": grid, "p_g": density, "score": score,
                              "D": sigmoid(score) if probability else None})

    evaluate(0)
    diverged = None
    for step in range(1, c.steps + 1):
        try:
            trainer.step()
        except FloatingPointError as err:  # keep what was learned so far, report it
            diverged = str(err)
            break
        if step % c.eval_every == 0 or step in checkpoints:
            evaluate(step)
        if progress is not None:
            progress.update(1)
    if progress is not None and diverged:
        progress.update(c.steps - trainer.iteration)

    jsd = np.array(evals["jsd"])
    below = jsd < c.jsd_threshold
    converged_at = None
    if below[-1] and not diverged:
        # the first evaluation from which the JSD stays below the threshold to the end
        last_above = np.flatnonzero(~below)
        first = 0 if last_above.size == 0 else last_above[-1] + 1
        converged_at = int(evals["step"][first])
    history = {k: np.array(v) for k, v in trainer.history.items()}
    if "d_fake" not in history:  # a critic: its mean score on the fakes, -L_G
        history["d_fake"] = -history["g_loss"]
    return {
        "loss": loss, "seed": setup.seed, "history": history,
        "evals": {k: np.array(v) for k, v in evals.items()}, "snapshots": snapshots,
        "converged_at": converged_at, "diverged": diverged,
        "final": {"abs_mean_error": abs(evals["mean"][-1] - c.data_mean),
                  "abs_std_error": abs(evals["std"][-1] - c.data_std),
                  "jsd": float(jsd[-1])},
        "early_g_grad_norm": float(np.mean(history["g_grad_norm"][:c.early_steps])),
        "early_d_fake": float(np.mean(history["d_fake"][:c.early_steps])),
    }


def compare_losses(config: CompareConfig | None = None, progress: bool = True) -> dict:
    """Train one GAN per (seed, loss). Returns {"config", "runs": {loss: [run, ...]}}."""
    config = (config or CompareConfig()).validate()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=config.seeds * len(config.losses) * config.steps, unit="it",
                   desc="training GANs", mininterval=0.5)
    runs = {loss: [] for loss in config.losses}
    try:
        for seed in range(config.seeds):
            for loss, run in run_seed(config, seed, bar).items():
                runs[loss].append(run)
    finally:
        if bar is not None:
            bar.close()
    return {"config": config, "runs": runs}


def run_seed(config: CompareConfig, seed: int, progress=None) -> dict[str, dict]:
    """The runs of one seed, {loss: run}: one GAN per loss, all from the seed's setup. Seeds are
    independent of each other (each draws from its own generators), so seed s here is seed s
    of ``compare_losses``, run for run."""
    config = config.validate()
    setup = _Setup(config, seed)
    runs = {}
    for loss in config.losses:
        if progress is not None:
            progress.set_postfix_str(f"seed {seed}, {loss}")
        runs[loss] = run_one(setup, loss, progress)
    return runs


def summarise(results: dict) -> dict:
    """The table of the comparison: per loss, over seeds."""
    config = results["config"]
    table = {}
    for loss, runs in results["runs"].items():
        steps = [r["converged_at"] for r in runs if r["converged_at"] is not None]
        table[loss] = {
            "seeds": len(runs),
            "success_rate": len(steps) / len(runs),
            "median_steps_to_converge": float(np.median(steps)) if steps else None,
            "median_final_abs_mean_error": float(np.median([r["final"]["abs_mean_error"] for r in runs])),
            "median_final_abs_std_error": float(np.median([r["final"]["abs_std_error"] for r in runs])),
            "median_final_jsd": float(np.median([r["final"]["jsd"] for r in runs])),
            "median_early_g_grad_norm": float(np.median([r["early_g_grad_norm"] for r in runs])),
            "median_early_d_fake": float(np.median([r["early_d_fake"] for r in runs])),
            "diverged_runs": sum(r["diverged"] is not None for r in runs),
        }
    summary = {"config": {k: (list(v) if isinstance(v, tuple) else v)
                          for k, v in asdict(config).items()},
               "losses": table}
    if "saturating" in table and "non_saturating" in table:
        sat = table["saturating"]["median_early_g_grad_norm"]
        summary["early_gradient_ratio_non_saturating_over_saturating"] = (
            table["non_saturating"]["median_early_g_grad_norm"] / sat if sat > 0 else math.inf)
    return summary


def format_summary(summary: dict) -> str:
    c = summary["config"]
    lines = [f"p_data = N({c['data_mean']:g}, {c['data_std']:g}^2); generator starts at mean "
             f"{c['data_mean'] + c['offset']:g}; {c['steps']} iterations, k = {c['k']}, "
             f"G: {c['g_optimizer']}, D: {c['d_optimizer']}, {c['seeds']} seeds",
             f"converged = JSD(p_data || p_g) < {c['jsd_threshold']:g} from then on", ""]
    width = max(16, max(len(loss) for loss in summary["losses"]) + 2)
    head = (f"{'loss':<{width}}{'success':>9}{'median steps':>14}{'|mean err|':>12}{'|std err|':>11}"
            f"{'JSD':>9}{'early |grad G|':>16}{'early D(G(z))':>15}")
    lines += [head, "-" * len(head)]
    for loss, row in summary["losses"].items():
        steps = row["median_steps_to_converge"]
        lines.append(
            f"{loss:<{width}}{row['success_rate']:>8.0%} {('-' if steps is None else f'{steps:.0f}'):>13}"
            f"{row['median_final_abs_mean_error']:>12.3f}{row['median_final_abs_std_error']:>11.3f}"
            f"{row['median_final_jsd']:>9.4f}{row['median_early_g_grad_norm']:>16.2e}"
            f"{row['median_early_d_fake']:>15.2e}")
    ratio = summary.get("early_gradient_ratio_non_saturating_over_saturating")
    if ratio is not None:
        lines += ["", f"early generator gradient, non-saturating / saturating: {ratio:.3g}x"]
    if any(loss not in ("saturating", "non_saturating", "fgan_gan") for loss in summary["losses"]):
        lines.append("(early D(G(z)): mean D(G(z)) for the BCE games and fgan_gan; the mean raw score "
                     "of D or the critic on G(z) for the others)")
    lines.append("(medians over seeds; 'early' = mean over the first "
                 f"{c['early_steps']} iterations)")
    return "\n".join(lines)
