"""Matplotlib figures. Every figure of minigan is drawn here, from data handed in: these
functions never train or sample anything themselves. Each returns the Figure, so a notebook
shows it and the command line saves it."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

LOSS_COLOURS = {"saturating": "tab:red", "non_saturating": "tab:blue"}
LOSS_LABELS = {"saturating": "saturating: min log(1 - D(G(z)))",
               "non_saturating": "non-saturating: min -log D(G(z))"}


def figure1_panels(runs_by_loss: dict, p_data, title: str = "") -> Figure:
    """Goodfellow et al.'s Figure 1, for each loss (rows) at a few iterations (columns):
    p_data (black, dotted), the generator's density as a histogram (green) and D(x) (blue,
    dashed). ``runs_by_loss`` maps a loss to one run's ``snapshots`` (dicts with step, x,
    p_g, D); ``p_data`` is a callable density."""
    losses = list(runs_by_loss)
    n_cols = max(len(s) for s in runs_by_loss.values())
    fig = Figure(figsize=(3.2 * n_cols, 2.6 * len(losses) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(losses), n_cols, sharey=True, squeeze=False))
    for row, loss in enumerate(losses):
        for col, snap in enumerate(runs_by_loss[loss]):
            ax = axes[row, col]
            x = snap["x"]
            width = x[1] - x[0]
            ax.fill_between(x, snap["p_g"], step="mid", color="tab:green", alpha=0.35, lw=0)
            ax.step(x, snap["p_g"], where="mid", color="tab:green", lw=1, label="p_g (samples)")
            ax.plot(x, p_data(x), "k:", lw=2, label="p_data")
            ax.plot(x, snap["D"], "--", color="tab:blue", lw=1.5, label="D(x)")
            ax.set_xlim(x[0] - width / 2, x[-1] + width / 2)
            ax.set_ylim(0, 1.05)
            ax.set_title(f"{loss.replace('_', '-')}, iteration {snap['step']}", fontsize=9)
            ax.set_xlabel("x")
        axes[row, 0].set_ylabel("density / D(x)")
    axes[0, -1].legend(loc="upper right", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def training_curves(runs_by_loss: dict, title: str = "") -> Figure:
    """Three panels over training, for every loss and seed (thin lines) and their median
    (thick): the generator's gradient norm (log scale), mean D(G(z)), and JSD(p_data || p_g).
    ``runs_by_loss`` maps a loss to a list of runs with ``history`` and ``evals``."""
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    ax_grad, ax_dfake, ax_jsd = fig.subplots(1, 3)
    for loss, runs in runs_by_loss.items():
        colour = LOSS_COLOURS.get(loss, None)
        label = LOSS_LABELS.get(loss, loss)
        for series, ax, source in (("g_grad_norm", ax_grad, "history"),
                                   ("d_fake", ax_dfake, "history"),
                                   ("jsd", ax_jsd, "evals")):
            curves = [np.asarray(r[source][series]) for r in runs]
            steps = (np.arange(1, len(curves[0]) + 1) if source == "history"
                     else np.asarray(runs[0]["evals"]["step"]))
            for c in curves:
                ax.plot(steps[:len(c)], c, color=colour, lw=0.5, alpha=0.35)
            n = min(len(c) for c in curves)
            ax.plot(steps[:n], np.median([c[:n] for c in curves], axis=0), color=colour, lw=2,
                    label=label)
    ax_grad.set_yscale("log")
    ax_grad.set_title("generator gradient norm |dL_G/dθ_G|", fontsize=10)
    ax_dfake.set_title("mean D(G(z)) in the generator step", fontsize=10)
    ax_dfake.set_ylim(-0.02, 1.02)
    ax_jsd.set_title("JSD(p_data || p_g)  (log 2 = disjoint)", fontsize=10)
    ax_jsd.axhline(np.log(2), color="grey", lw=0.8, ls=":")
    for ax in (ax_grad, ax_dfake, ax_jsd):
        ax.set_xlabel("iteration")
    ax_grad.set_ylabel("gradient norm (log scale)")
    ax_dfake.set_ylabel("D(G(z))")
    ax_jsd.set_ylabel("JSD (nats)")
    ax_jsd.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def generator_costs(d: np.ndarray, maximum_likelihood: bool = True) -> Figure:
    """The generator costs and the size of their derivatives w.r.t. the logit s, against
    D(G(z)) (as in Goodfellow's 2016 tutorial): log(1 - D) is flat where D(G(z)) ~ 0, -log D
    is steep there. With ``maximum_likelihood`` also Goodfellow's maximum-likelihood cost
    -1/2 exp(s) = -1/2 D / (1 - D), flat at the left like the saturating one."""
    d = np.asarray(d)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_cost, ax_grad = fig.subplots(1, 2)
    ax_cost.plot(d, np.log1p(-d), color=LOSS_COLOURS["saturating"], label=LOSS_LABELS["saturating"])
    ax_cost.plot(d, -np.log(d), color=LOSS_COLOURS["non_saturating"],
                 label=LOSS_LABELS["non_saturating"])
    # d cost / d logit: saturating -D, non-saturating -(1 - D), maximum likelihood -1/2 D / (1 - D)
    ax_grad.plot(d, d, color=LOSS_COLOURS["saturating"], label="saturating: |dJ/ds| = D")
    ax_grad.plot(d, 1 - d, color=LOSS_COLOURS["non_saturating"],
                 label="non-saturating: |dJ/ds| = 1 - D")
    if maximum_likelihood:
        ratio = d / (1 - d)
        ax_cost.plot(d, -0.5 * ratio, color="tab:green", ls="--",
                     label="maximum likelihood: min -½ D/(1 - D)")
        ax_grad.plot(d, 0.5 * ratio, color="tab:green", ls="--",
                     label="maximum likelihood: |dJ/ds| = ½ D/(1 - D)")
        ax_cost.set_ylim(-6, 7)
    ax_cost.set_xlabel("D(G(z))")
    ax_cost.set_ylabel("generator cost J")
    ax_cost.legend(fontsize=8, loc="upper center")
    ax_grad.set_yscale("log")
    ax_grad.set_xlabel("D(G(z))")
    ax_grad.set_ylabel("|dJ/ds|, s the logit of D(G(z))")
    ax_grad.legend(fontsize=8, loc="lower center")
    return fig


# ------------------------------------------------------------------- notebooks 01 and 02
def optimal_discriminators(x: np.ndarray, p_data: np.ndarray, generators: dict, dashed: str = "") -> Figure:
    """Left: p_data (a wide grey band, drawn first so no curve can hide it) and each
    generator's density; right: the optimal discriminator D* against each generator.
    ``generators`` maps a name to (p_g(x), D*(x)); x is the grid, p_data its density on it.
    The generator named ``dashed`` (e.g. one equal to p_data) is drawn dashed."""
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    ax_p, ax_d = fig.subplots(1, 2)
    ax_p.plot(x, p_data, color="0.6", lw=6, alpha=0.5, label="p_data = N(0, 1)", zorder=1)
    for k, (name, (p_g, d_star)) in enumerate(generators.items()):
        style = "--" if name == dashed else "-"
        ax_p.plot(x, p_g, style, color=f"C{k}", lw=1.5, label=f"p_g = {name}", zorder=2)
        ax_d.plot(x, d_star, style, color=f"C{k}", lw=1.5, label=f"against {name}")
    ax_p.set_title("densities", fontsize=10)
    ax_p.set_ylabel("density")
    ax_d.set_title("optimal discriminators", fontsize=10)
    ax_d.set_ylabel("D*(x)")
    ax_d.set_ylim(-0.02, 1.02)
    for ax in (ax_p, ax_d):
        ax.set_xlabel("x")
        ax.legend(fontsize=7)
    return fig


def trained_discriminators(x: np.ndarray, p_data: np.ndarray, p_g: np.ndarray, d_star: np.ndarray,
                           trained: dict, fitted: tuple[float, float] = (-3.0, 3.0)) -> Figure:
    """Left: p_data, p_g, the analytic D* and each trained D (``trained`` maps a label to D(x));
    right: |D - D*| on a log scale over the same x. The shaded band is where the training
    samples pin D down (``fitted``)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax, ax_err = fig.subplots(1, 2)
    ax.plot(x, p_data, "k:", lw=2, label="p_data")
    ax.plot(x, p_g, color="tab:green", label="p_g")
    ax.plot(x, d_star, "k", lw=3, alpha=0.3, label="D* (analytic)")
    for (label, d), style in zip(trained.items(), ("--", "-."), strict=False):
        ax.plot(x, d, style, label=label)
        ax_err.plot(x, np.maximum(np.abs(d - d_star), 1e-12), style, label=label)
    for a in (ax, ax_err):
        a.axvspan(*fitted, color="grey", alpha=0.08, lw=0)
        a.set_xlabel("x")
    ax.set_ylabel("density / D(x)")
    ax.set_title("trained discriminators against D*", fontsize=10)
    ax.legend(fontsize=7, loc="center left")
    ax_err.set_yscale("log")
    ax_err.set_ylabel("|D(x) - D*(x)|")
    ax_err.set_title(f"error (shaded: [{fitted[0]:g}, {fitted[1]:g}], where the checks apply)", fontsize=10)
    ax_err.legend(fontsize=7)
    return fig


def optimal_value_curve(means: np.ndarray, c_of_g: np.ndarray) -> Figure:
    """C(G) = V(G, D*) for p_g = N(mu, 1) against p_data = N(0, 1), with its bounds -log 4 and 0."""
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.plot(means, c_of_g, label="C(G) = V(G, D*), p_g = N(μ, 1)")
    ax.axhline(-np.log(4), color="grey", ls=":", label="-log 4 (p_g = p_data)")
    ax.axhline(0.0, color="grey", ls="--", label="0 (JSD = log 2)")
    ax.set_xlabel("mean μ of the generator")
    ax.set_ylabel("C(G) (nats)")
    ax.legend(fontsize=8, loc="center right")
    return fig


def disjoint_supports(shifts: np.ndarray, jsd: np.ndarray, mean_gap: np.ndarray) -> Figure:
    """JSD(p_data || p_g) in nats (left axis) and the distance between the means in units of
    x (right axis, its own scale) as the generator U(2 + t, 3 + t) moves away from U(0, 1)."""
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(shifts, jsd, "o-", color="tab:blue", label="JSD(p_data || p_g)")
    ax.axhline(np.log(2), color="grey", ls=":", lw=1)
    ax.set_ylim(0, 0.8)
    ax.set_xlabel("shift t of the generator U(2 + t, 3 + t)")
    ax.set_ylabel("JSD (nats)", color="tab:blue")
    gap = ax.twinx()
    gap.plot(shifts, mean_gap, "s--", color="tab:orange", label="mean of p_g - mean of p_data")
    gap.set_ylim(0, 1.1 * float(np.max(mean_gap)))
    gap.set_ylabel("difference of the means (units of x)", color="tab:orange")
    lines = ax.get_lines()[:1] + gap.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="lower right")
    return fig


# ------------------------------------------------------------------------- notebook 03
def gradient_vs_distance(theta: np.ndarray, sat: np.ndarray, non: np.ndarray, points: dict) -> Figure:
    """The generator's gradient against D*_theta for p_g = N(theta, 1), p_data = N(0, 1):
    left, both gradients (log scale) with the bound theta exp(-theta^2 / 8) and the central
    differences at a few points (``points``: {"theta", "sat", "non"} lists); right, their ratio."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_grad, ax_ratio = fig.subplots(1, 2)
    ax_grad.semilogy(theta, sat, color=LOSS_COLOURS["saturating"], label="saturating")
    ax_grad.semilogy(theta, non, color=LOSS_COLOURS["non_saturating"], label="non-saturating")
    ax_grad.semilogy(theta, theta * np.exp(-theta**2 / 8), "k--", lw=1,
                     label=r"bound $\theta\, e^{-\theta^2/8}$")
    ax_grad.plot(points["theta"], points["sat"], "o", mfc="none", color=LOSS_COLOURS["saturating"],
                 label="central differences")
    ax_grad.plot(points["theta"], points["non"], "o", mfc="none", color=LOSS_COLOURS["non_saturating"])
    ax_grad.set_xlabel(r"generator mean $\theta$ (data at 0)")
    ax_grad.set_ylabel(r"$dJ/d\theta$ against $D^*_\theta$")
    ax_grad.set_ylim(1e-6, 20)
    ax_grad.legend(fontsize=8)
    ax_ratio.semilogy(theta, non / sat, color="k")
    ax_ratio.axhline(10, color="grey", ls=":", lw=1)
    ax_ratio.set_xlabel(r"generator mean $\theta$")
    ax_ratio.set_ylabel("non-saturating / saturating")
    return fig


def mode_seeking(x: np.ndarray, p_data: np.ndarray, generators: dict, mus: np.ndarray,
                 objectives: dict) -> Figure:
    """Left: a two-mode p_data and a few single-Gaussian generators (``generators``: label ->
    density on x); right: each objective (``objectives``: label -> values over ``mus``) against
    the generator's mean, its minima marked. Legends sit outside the curves."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax_density, ax_objective = fig.subplots(1, 2, width_ratios=(1, 1.45))
    ax_density.plot(x, p_data, "k:", lw=2, label="p_data")
    for k, (label, p_g) in enumerate(generators.items()):
        ax_density.plot(x, p_g, color=("tab:green", "tab:orange", "tab:purple")[k % 3], label=label)
    ax_density.set_xlabel("x")
    ax_density.set_ylabel("density")
    ax_density.set_ylim(0, 1.3 * max(float(np.max(p)) for p in [p_data, *generators.values()]))
    ax_density.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    for label, values in objectives.items():
        values = np.asarray(values)
        line, = ax_objective.plot(mus, values, label=label)
        lowest = np.isclose(values, values.min(), rtol=1e-9, atol=1e-12)  # both minima of a symmetric curve
        ax_objective.plot(np.asarray(mus)[lowest], values[lowest], "o", color=line.get_color(), ms=5)
    ax_objective.set_xlabel("μ, the mean of p_g")
    ax_objective.set_ylabel("objective (nats); dots: minima")
    ax_objective.set_ylim(-0.2, 5)
    ax_objective.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def save(fig: Figure, path) -> None:
    """Save a figure atomically (temp file + rename), as PNG."""
    import io

    from .files import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


def image_grid(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Tile (n, 1, H, W) images in [-1, 1] into one 2-D array in [0, 1], with 2-pixel gaps."""
    n, _, h, w = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.ones((rows * (h + 2) + 2, columns * (w + 2) + 2), dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, columns)
        top, left = 2 + r * (h + 2), 2 + c * (w + 2)
        grid[top: top + h, left: left + w] = (images[k, 0] + 1) / 2
    return np.clip(grid, 0, 1)


def sample_grid(images: np.ndarray, title: str = "", columns: int | None = None) -> Figure:
    """A grid of generated digits (white on black, as MNIST); ``columns`` per row (default:
    a square grid; 10 lays out a conditional GAN's 0..9 one digit per column)."""
    grid = image_grid(images, columns)
    fig = Figure(figsize=(5, 5 * grid.shape[0] / grid.shape[1] + (0.3 if title else 0)), layout="constrained")
    ax = fig.subplots()
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def gan_losses(history: dict, iterations_per_epoch: int, title: str = "") -> Figure:
    """D and G losses (left) and mean D(x), D(G(z)) (right) over training, per iteration
    (thin) and smoothed over each epoch (thick), with the x axis in epochs."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax_loss, ax_d = fig.subplots(1, 2)
    for ax, keys in ((ax_loss, ("d_loss", "g_loss")), (ax_d, ("d_real", "d_fake"))):
        for key, colour in zip(keys, ("tab:blue", "tab:orange"), strict=True):
            y = np.asarray(history[key], dtype=np.float64)
            x = np.arange(1, len(y) + 1) / iterations_per_epoch
            ax.plot(x, y, color=colour, lw=0.4, alpha=0.35)
            window = max(1, min(iterations_per_epoch, len(y)))
            smooth = np.convolve(y, np.ones(window) / window, mode="valid")
            ax.plot(x[window - 1:], smooth, color=colour, lw=2, label=key.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    ax_loss.set_ylabel("loss (nats)")
    ax_d.set_ylabel("mean D output")
    ax_loss.set_title("losses", fontsize=10)
    ax_d.set_title("mean D(x) (real) and D(G(z)) (fake)", fontsize=10)
    ax_d.set_ylim(-0.02, 1.02)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_gif(frames: list[np.ndarray], path, seconds_per_frame: float = 0.4) -> None:
    """An animated GIF (written atomically) from 2-D arrays in [0, 1], e.g. image_grid()s."""
    import io

    from PIL import Image

    from .files import atomic_write_bytes

    pictures = [Image.fromarray((np.asarray(f) * 255).astype(np.uint8), mode="L") for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(seconds_per_frame * 1000), loop=0)
    atomic_write_bytes(path, buffer.getvalue())


# ------------------------------------------------------------------------------ 2-D ring
def ring_samples(snapshots, centres: np.ndarray, title: str = "", max_columns: int = 6,
                 min_share: float = 0.25) -> Figure:
    """Scatter plots of generated 2-D samples over training. Each mode is a circle around its
    centre: filled green when the snapshot's report counts it as covered (at least
    ``min_share`` of its fair share 1/K of the samples, as metrics.ring_report), empty red
    when it is missed, so a collapse shows at a glance as a ring of red circles.
    ``snapshots`` is one run's list of dicts with "step", "samples" (n, 2) and
    optionally "report" (its modes_covered goes in the panel title), or a dict mapping a row
    label (e.g. "pack 1") to such a list, drawn as one row each. At most ``max_columns``
    snapshots per row, evenly spaced and always including the last."""
    rows = snapshots if isinstance(snapshots, dict) else {"": snapshots}
    centres = np.asarray(centres)
    reach = 1.25 * np.abs(centres).max()

    def pick(snaps):
        if len(snaps) <= max_columns:
            return list(snaps)
        idx = np.unique(np.round(np.linspace(0, len(snaps) - 1, max_columns)).astype(int))
        return [snaps[i] for i in idx]

    chosen = {label: pick(snaps) for label, snaps in rows.items()}
    n_cols = max(len(s) for s in chosen.values())
    fig = Figure(figsize=(2.3 * n_cols, 2.4 * len(chosen) + (0.4 if title else 0)), layout="constrained")
    axes = fig.subplots(len(chosen), n_cols, squeeze=False, sharex=True, sharey=True)
    for row, (label, snaps) in enumerate(chosen.items()):
        for col in range(n_cols):
            ax = axes[row, col]
            ax.set_aspect("equal")
            ax.set_xlim(-reach, reach)
            ax.set_ylim(-reach, reach)
            ax.tick_params(labelsize=7)
            if col >= len(snaps):
                ax.set_axis_off()
                continue
            snap = snaps[col]
            x = np.asarray(snap["samples"])
            if "report" in snap:
                shares = np.asarray(snap["report"]["mode_shares"])
                covered = shares >= min_share / len(centres)
                ax.scatter(centres[covered, 0], centres[covered, 1], s=160, color="tab:green", alpha=0.3,
                           lw=0, zorder=1)
                ax.scatter(centres[~covered, 0], centres[~covered, 1], s=160, facecolor="none",
                           edgecolor="tab:red", lw=1.2, zorder=1)
            else:
                ax.scatter(centres[:, 0], centres[:, 1], s=160, facecolor="none", edgecolor="grey",
                           lw=1, zorder=1)
            ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.5, color="black", lw=0, zorder=2)
            text = f"iteration {snap['step']}"
            if "report" in snap:
                text += f"\n{snap['report']['modes_covered']} of {len(centres)} modes covered"
            ax.set_title(text, fontsize=8)
        if label:
            axes[row, 0].set_ylabel(f"{label}\ny", fontsize=9)
        else:
            axes[row, 0].set_ylabel("y", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("x", fontsize=8)
    if title:
        fig.suptitle(title + "  (green disc: mode covered, red circle: missed)", fontsize=10)
    return fig


def mode_histogram(coverage_by_label: dict, title: str = "") -> Figure:
    """How the generated mass is spread over the modes during training. One image per run
    (rows: modes, columns: recorded iterations, colour: share of the samples that are high
    quality and nearest that mode), then the number of covered modes of every run against
    the iteration. ``coverage_by_label`` maps a label (e.g. "pack 1") to a run's coverage
    dict with "step" (S,), "modes_covered" (S,) and "mode_shares" (S, K). Mode hopping shows
    as a bright band moving between rows; a healthy generator lights every row evenly."""
    labels = list(coverage_by_label)
    fig = Figure(figsize=(4.2 * (len(labels) + 1), 3.2), layout="constrained")
    axes = fig.subplots(1, len(labels) + 1, squeeze=False)[0]
    top = max(float(np.max(c["mode_shares"])) for c in coverage_by_label.values())
    image = None
    for ax, label in zip(axes[:-1], labels, strict=True):
        cov = coverage_by_label[label]
        steps, shares = np.asarray(cov["step"]), np.asarray(cov["mode_shares"])
        # columns centred on the recorded iterations
        half = (steps[-1] - steps[0]) / max(len(steps) - 1, 1) / 2
        image = ax.imshow(shares.T, aspect="auto", origin="lower", cmap="viridis", vmin=0,
                          vmax=max(top, 1e-9), interpolation="nearest",
                          extent=(steps[0] - half, steps[-1] + half, -0.5, shares.shape[1] - 0.5))
        ax.set_yticks(range(shares.shape[1]))
        ax.set_xlabel("iteration")
        ax.set_ylabel("mode")
        ax.set_title(f"{label}: share of samples per mode", fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=axes[len(labels) - 1], label="share of samples")
    ax = axes[-1]
    for label in labels:
        cov = coverage_by_label[label]
        ax.plot(cov["step"], cov["modes_covered"], lw=1.5, label=label, drawstyle="steps-mid")
    n_modes = np.asarray(coverage_by_label[labels[0]]["mode_shares"]).shape[1]
    ax.axhline(n_modes, color="grey", lw=0.8, ls=":")
    ax.set_ylim(-0.2, n_modes + 0.5)
    ax.set_xlabel("iteration")
    ax.set_ylabel("modes covered")
    ax.set_title(f"modes covered (of {n_modes})", fontsize=9)
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ------------------------------------------------------------------------------ WGAN, cGAN
def critic_vs_jsd(summary: dict, title: str = "") -> Figure:
    """What the two discriminators measure as p_g = N(mu, 1) moves away from p_data = N(0, 1):
    left, the clipped WGAN critic's estimate divided by its largest slope K, against
    W1 = |mu| itself, which bounds it from above (Kantorovich-Rubinstein); right, the GAN
    discriminator's log 2 + V/2 and the exact JSD, which flatten at log 2.
    ``summary`` is experiments.wgan_1d.summarise's dict."""
    w1 = np.asarray(summary["w1"], dtype=np.float64)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(w1, w1, color="grey", lw=1, ls="--", label="W1 = |μ| (the upper bound)")
    left.plot(w1, summary["estimate_over_slope"], "o-", color="tab:purple",
              label="critic: (mean f(x) - mean f(G(z))) / K")
    left.set_xlabel("W1(p_data, p_g) = |μ|")
    left.set_ylabel("estimate / K (units of x)")
    left.set_title("WGAN critic (weights clipped): a lower bound that keeps growing", fontsize=10)
    left.legend(fontsize=8)
    right.plot(w1, summary["jsd_exact"], color="black", lw=1.5, label="exact JSD (quadrature)")
    right.plot(w1, summary["jsd_estimate"], "o", color="tab:blue", label="trained D: log 2 + V/2")
    right.axhline(np.log(2), color="grey", ls=":", lw=1, label="log 2")
    right.set_xlabel("|μ|")
    right.set_ylabel("JSD (nats)")
    right.set_title("GAN discriminator (JSD): saturates at log 2", fontsize=10)
    right.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def conditional_ring(samples: np.ndarray, labels: np.ndarray, centres: np.ndarray, title: str = "") -> Figure:
    """Samples of a conditional GAN on the ring, coloured by the mode they were asked for
    (samples (n, 2), labels (n,)); the centres are drawn in the same colours."""
    fig = Figure(figsize=(4.2, 4.2), layout="constrained")
    ax = fig.subplots()
    colours = [f"C{j % 10}" for j in range(len(centres))]
    for j, centre in enumerate(centres):
        x = samples[labels == j]
        # the centre as an empty ring behind the samples, so the samples stay visible
        ax.scatter(*centre, s=260, facecolor="none", edgecolor=colours[j], lw=1, alpha=0.7, zorder=1)
        ax.scatter(x[:, 0], x[:, 1], s=4, alpha=0.5, color=colours[j], lw=0, zorder=2)
        ax.annotate(str(j), 1.2 * centre, ha="center", va="center", fontsize=9, color=colours[j])
    reach = 1.35 * np.abs(centres).max()
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or "asked for mode j (colour) -> lands in ring j", fontsize=9)
    return fig


def generator_gradients(curves: dict, title: str = "") -> Figure:
    """Every objective's generator gradient |dL_G/ds| on one sample (log scale). Left: the
    objectives whose D is a probability, against D(G(z)) = sigmoid(s), as Goodfellow's 2016
    tutorial draws its costs; right: all of them against the score s itself (the f-GAN, LSGAN
    and hinge games and the WGAN critic have no probability). ``curves`` as returned by
    trainers.generator_gradient_curves."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax_d, ax_s = fig.subplots(1, 2)
    styles = ("-", "--", "-.", ":")
    n = len(curves)
    # wide lines first, narrower ones drawn over them: objectives with the same gradient
    # (fgan_gan = non_saturating, fgan_js's too) stay visible as a line inside a line
    for i, (name, c) in enumerate(curves.items()):
        g = np.abs(c["grad"])
        shown = np.where(g > 0, g, np.nan)  # 0 (a hinge's flat side) has no log
        kw = dict(color=plt_colours(n)[i], ls=styles[i % 4], lw=3.2 - 2.2 * i / max(n - 1, 1), label=name)
        if c["probability"]:
            ax_d.plot(1 / (1 + np.exp(-c["score"])), shown, **kw)
        ax_s.plot(c["score"], shown, **kw)
    for ax, xlabel in ((ax_d, "D(G(z))"), (ax_s, "D's output on G(z): logit / score s")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("|dL_G / ds| per sample")
    ax_d.set_title("objectives with a probability D", fontsize=10)
    ax_s.set_title("every objective against the score", fontsize=10)
    ax_d.legend(fontsize=8)
    ax_s.legend(fontsize=7, ncol=2)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plt_colours(n: int) -> list:
    """n colours from matplotlib's tab10 map (repeating after 10; line styles tell those apart)."""
    from matplotlib import colormaps

    return [colormaps["tab10"](i % 10) for i in range(n)]


def ring_objectives(rows: list[dict], title: str = "", published: dict | None = None) -> Figure:
    """The ring table as bars, one per objective: modes covered (of 8) and the share of high
    quality samples, at the end of training (means over the last snapshots). ``rows`` are
    experiments.ring.summarise dicts (with "loss" and "pack"); with several seeds of an
    objective the bar is their mean and the whisker one standard deviation, each seed a dot.
    ``published``: {(loss, pack): (modes, high-quality share)}, drawn as black diamonds."""
    from .experiments.ring import over_seeds

    table = over_seeds(rows)
    labels = [t["loss"] + (f" (pack {t['pack']})" if t["pack"] > 1 else "") for t in table]
    fig = Figure(figsize=(max(8, 1.1 * len(table)), 3.8), layout="constrained")
    ax_m, ax_q = fig.subplots(1, 2)
    x = np.arange(len(table))
    several = any(len(t["seeds"]) > 1 for t in table)
    for ax, key, scale, colour in ((ax_m, "modes", 1, "tab:blue"), (ax_q, "high_quality", 100, "tab:green")):
        ax.bar(x, [scale * t[key + "_mean"] for t in table], color=colour, alpha=0.8,
               yerr=[scale * t[key + "_std"] for t in table] if several else None, capsize=3)
        if several:
            for i, t in enumerate(table):
                ax.plot(np.full(len(t[key]), i), scale * np.asarray(t[key]), ".", color="black", ms=3)
        for i, t in enumerate(table):
            if published and (t["loss"], t["pack"]) in published:
                value = published[(t["loss"], t["pack"])][0 if key == "modes" else 1]
                ax.plot(i, scale * value, "D", color="black", ms=6, label="published")
        if published and any((t["loss"], t["pack"]) in published for t in table):
            ax.legend(*[h[:1] for h in ax.get_legend_handles_labels()], fontsize=8, loc="upper right")
    ax_m.set_ylim(0, 8.4)
    ax_m.axhline(8, color="grey", lw=0.8, ls=":")
    ax_m.set_title("modes covered (of 8)", fontsize=10)
    ax_m.set_ylabel("modes covered")
    ax_q.set_ylim(0, 100)
    ax_q.set_title("high-quality samples (within 3 std of a mode), %", fontsize=10)
    ax_q.set_ylabel("high-quality samples (%)")
    for ax in (ax_m, ax_q):
        ax.set_xticks(x, labels, rotation=40, ha="right", fontsize=8)
        ax.set_xlabel("objective")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ------------------------------------------------------------------------------ image to image
def translation_grid(rows: list[tuple[str, np.ndarray]], title: str = "") -> Figure:
    """Image-to-image results, one labelled row per stage (e.g. input / output / truth), the
    same digits in the same columns. ``rows``: (label, (n, 1, H, W) images in [-1, 1])."""
    n = max(len(images) for _, images in rows)
    fig = Figure(figsize=(0.6 * n + 2.0, 0.7 * len(rows) + (0.4 if title else 0.1)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(rows), 1, squeeze=False)[:, 0])
    for ax, (label, images) in zip(axes, rows, strict=True):
        ax.imshow(image_grid(images, columns=n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _draw_decision_view(ax, view: dict, centres: np.ndarray, arrow_scale: float):
    """One GAN Lab panel on ``ax``; returns (image, samples, quiver) for an animation."""
    xs, ys = np.asarray(view["xs"]), np.asarray(view["ys"])
    image = ax.imshow(view["d"], origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), cmap="PiYG",
                      vmin=0, vmax=1, interpolation="bilinear", aspect="equal")
    ax.scatter(centres[:, 0], centres[:, 1], s=120, facecolor="none", edgecolor="black", lw=1, zorder=2)
    x, arrows = np.asarray(view["samples"]), np.asarray(view["arrows"])
    samples = ax.scatter(x[:, 0], x[:, 1], s=9, color="gold", edgecolor="black", lw=0.3, zorder=3)
    quiver = ax.quiver(x[:, 0], x[:, 1], arrows[:, 0], arrows[:, 1], color="black", angles="xy",
                       scale_units="xy", scale=arrow_scale, width=0.004, zorder=4)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return image, samples, quiver


def _arrow_scale(views: list[dict], reach: float) -> float:
    """One arrow scale for all frames: the longest arrow is a tenth of the plot's width."""
    longest = max(float(np.max(np.linalg.norm(v["arrows"], axis=1), initial=0.0)) for v in views)
    return max(longest, 1e-12) / (0.1 * reach)


def decision_map(view: dict, centres: np.ndarray, title: str = "") -> Figure:
    """The GAN Lab view of a 2-D GAN (experiments.ring.decision_view): D(x) as a heat map
    (green: D says real, pink: D says fake), the ring's modes as circles, the generator's
    samples as yellow dots and, on each, an arrow along the generator's gradient step (the
    direction its next update moves that sample), drawn to one common scale."""
    centres = np.asarray(centres)
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.subplots()
    reach = float(np.asarray(view["xs"])[-1] - np.asarray(view["xs"])[0])
    image, _, _ = _draw_decision_view(ax, view, centres, _arrow_scale([view], reach))
    fig.colorbar(image, ax=ax, label="D(x): probability that x is real")
    ax.set_title(title or "D's decision map, and where the generator step moves its samples", fontsize=9)
    return fig


def decision_animation(views: list[dict], centres: np.ndarray, interval_ms: int = 250):
    """The GAN Lab view over training, one frame per view (each a decision_view dict with a
    "step"): a matplotlib animation; show it with ``HTML(anim.to_jshtml())``. decision_map of
    the last view is the static version."""
    from matplotlib.animation import FuncAnimation

    centres = np.asarray(centres)
    fig = Figure(figsize=(5.2, 4.4), dpi=72, layout="constrained")
    ax = fig.subplots()
    reach = float(np.asarray(views[0]["xs"])[-1] - np.asarray(views[0]["xs"])[0])
    image, samples, quiver = _draw_decision_view(ax, views[0], centres, _arrow_scale(views, reach))
    fig.colorbar(image, ax=ax, label="D(x)")
    title = ax.set_title("", fontsize=9)

    def draw(i):
        view = views[i]
        image.set_data(view["d"])
        x = np.asarray(view["samples"])
        samples.set_offsets(x)
        quiver.set_offsets(x)
        quiver.set_UVC(view["arrows"][:, 0], view["arrows"][:, 1])
        title.set_text(f"iteration {view.get('step', i)}: D(x) and the generator's pull")
        return image, samples, quiver, title

    draw(0)
    return FuncAnimation(fig, draw, frames=len(views), interval=interval_ms, blit=False)


# ------------------------------------------------------------------------------ MNIST digits
def digit_shares(results: dict, min_share: float = 0.05) -> Figure:
    """Bar charts of the share of samples classified as each digit, one panel per generator
    (``results``: name -> metrics.evaluate_images report), with the even share 1/10 (dotted)
    and the share ``min_share`` that counts a digit as covered (dashed)."""
    fig = Figure(figsize=(4.5 * len(results), 3), layout="constrained")
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for ax, (name, r) in zip(axes, results.items(), strict=True):
        ax.bar(range(10), r["digit_shares"], color="tab:blue")
        ax.axhline(0.1, color="grey", ls=":", lw=1)
        ax.axhline(min_share, color="tab:red", ls="--", lw=1)
        ax.set_xticks(range(10))
        ax.set_title(f"{name}: digits covered {r['digits_covered']}", fontsize=10)
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("share of samples")
    return fig


# ------------------------------------------------------------------------------ animation
def game_animation(snapshots_by_loss: dict, p_data, interval_ms: int = 300):
    """The 1-D game over training as a matplotlib animation, one row per loss: p_data (black,
    dotted), the generator's histogram (green) and D(x) (blue, dashed) at every snapshot.
    ``snapshots_by_loss`` maps a loss to one run's ``snapshots`` (as figure1_panels); all runs
    must have the same number of snapshots. Show it with ``HTML(anim.to_jshtml())`` (frames
    embedded as PNG, played by JavaScript, no server needed); figure1_panels is the static
    version for renderers that do not run JavaScript."""
    from matplotlib.animation import FuncAnimation

    losses = list(snapshots_by_loss)
    frames = min(len(s) for s in snapshots_by_loss.values())
    fig = Figure(figsize=(6.4, 1.9 * len(losses) + 0.3), dpi=72, layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(losses), 1, sharex=True, squeeze=False)[:, 0])
    artists = []
    for ax, loss in zip(axes, losses, strict=True):
        first = snapshots_by_loss[loss][0]
        x = first["x"]
        ax.plot(x, p_data(x), "k:", lw=2, label="p_data")
        (hist,) = ax.step(x, first["p_g"], where="mid", color="tab:green", lw=1.2, label="p_g (samples)")
        (d_line,) = ax.plot(x, first["D"], "--", color="tab:blue", lw=1.5, label="D(x)")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("density / D(x)")
        title = ax.set_title("", fontsize=9)
        artists.append((loss, hist, d_line, title))
    axes[-1].set_xlabel("x")
    axes[0].legend(fontsize=7, loc="upper right")

    def draw(i):
        changed = []
        for loss, hist, d_line, title in artists:
            snap = snapshots_by_loss[loss][i]
            hist.set_ydata(snap["p_g"])
            d_line.set_ydata(snap["D"])
            title.set_text(f"{loss.replace('_', '-')}, iteration {snap['step']}")
            changed += [hist, d_line, title]
        return changed

    draw(0)
    return FuncAnimation(fig, draw, frames=frames, interval=interval_ms, blit=False)
