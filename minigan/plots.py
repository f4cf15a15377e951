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
    ax_jsd.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def generator_costs(d: np.ndarray) -> Figure:
    """The two generator costs and their derivatives w.r.t. the logit, against D(G(z)) (as
    in Goodfellow's 2016 tutorial): log(1 - D) is flat where D(G(z)) ~ 0, -log D is steep."""
    d = np.asarray(d)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_cost, ax_grad = fig.subplots(1, 2)
    ax_cost.plot(d, np.log1p(-d), color=LOSS_COLOURS["saturating"], label=LOSS_LABELS["saturating"])
    ax_cost.plot(d, -np.log(d), color=LOSS_COLOURS["non_saturating"],
                 label=LOSS_LABELS["non_saturating"])
    ax_cost.set_xlabel("D(G(z))")
    ax_cost.set_ylabel("generator cost")
    ax_cost.legend(fontsize=8)
    # d cost / d logit: saturating -D, non-saturating -(1 - D)
    ax_grad.plot(d, d, color=LOSS_COLOURS["saturating"], label="saturating: |dJ/ds| = D")
    ax_grad.plot(d, 1 - d, color=LOSS_COLOURS["non_saturating"],
                 label="non-saturating: |dJ/ds| = 1 - D")
    ax_grad.set_yscale("log")
    ax_grad.set_xlabel("D(G(z))")
    ax_grad.set_ylabel("|d cost / d logit|")
    ax_grad.legend(fontsize=8)
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
def ring_samples(snapshots, centres: np.ndarray, title: str = "", max_columns: int = 6) -> Figure:
    """Scatter plots of generated 2-D samples over training, the mode centres marked (black
    crosses). ``snapshots`` is one run's list of dicts with "step", "samples" (n, 2) and
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
            ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.4, color="tab:green", lw=0)
            ax.scatter(centres[:, 0], centres[:, 1], marker="x", s=25, color="black", lw=1)
            text = f"iteration {snap['step']}"
            if "report" in snap:
                text += f"\n{snap['report']['modes_covered']} of {len(centres)} modes"
            ax.set_title(text, fontsize=8)
        if label:
            axes[row, 0].set_ylabel(label, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
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
    left, the clipped WGAN critic's estimate against W1 = |mu| with its least-squares line;
    right, the GAN discriminator's log 2 + V/2 and the exact JSD, which flatten at log 2.
    ``summary`` is experiments.wgan_1d.summarise's dict."""
    w1 = np.asarray(summary["w1"], dtype=np.float64)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(w1, summary["critic_estimate"], "o", color="tab:purple", label="critic's estimate")
    left.plot(w1, summary["slope"] * w1 + summary["intercept"], color="tab:purple", lw=1, alpha=0.6,
              label=f"line fit, Pearson r = {summary['pearson_r']:.3f}")
    left.set_xlabel("W1(p_data, p_g) = |mu|")
    left.set_ylabel("mean f(x) - mean f(G(z))")
    left.set_title("WGAN critic (weights clipped): keeps growing", fontsize=10)
    left.legend(fontsize=8)
    right.plot(w1, summary["jsd_exact"], color="black", lw=1.5, label="exact JSD (quadrature)")
    right.plot(w1, summary["jsd_estimate"], "o", color="tab:blue", label="trained D: log 2 + V/2")
    right.axhline(np.log(2), color="grey", ls=":", lw=1, label="log 2")
    right.set_xlabel("|mu|")
    right.set_ylabel("nats")
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
        ax.scatter(x[:, 0], x[:, 1], s=4, alpha=0.5, color=colours[j], lw=0)
        ax.scatter(*centre, marker="x", s=60, color=colours[j], lw=2)
        ax.annotate(str(j), 1.2 * centre, ha="center", va="center", fontsize=9, color=colours[j])
    reach = 1.35 * np.abs(centres).max()
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_title(title or "asked for mode j (colour) -> lands at centre j", fontsize=9)
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


def ring_objectives(rows: list[dict], title: str = "") -> Figure:
    """The ring table as bars, one per objective: modes covered (of 8) and the share of high
    quality samples, at the end of training (means over the last snapshots). ``rows`` are
    experiments.ring.summarise dicts (with "loss" and "pack")."""
    labels = [r["loss"] + (f" (pack {r['pack']})" if r["pack"] > 1 else "") for r in rows]
    fig = Figure(figsize=(max(8, 1.1 * len(rows)), 3.8), layout="constrained")
    ax_m, ax_q = fig.subplots(1, 2)
    x = np.arange(len(rows))
    ax_m.bar(x, [r["modes_covered_end"] for r in rows], color="tab:blue")
    ax_m.set_ylim(0, 8.4)
    ax_m.axhline(8, color="grey", lw=0.8, ls=":")
    ax_m.set_title("modes covered (of 8)", fontsize=10)
    ax_q.bar(x, [100 * r["high_quality_end"] for r in rows], color="tab:green")
    ax_q.set_ylim(0, 100)
    ax_q.set_title("high-quality samples (within 3 std of a mode), %", fontsize=10)
    for ax in (ax_m, ax_q):
        ax.set_xticks(x, labels, rotation=40, ha="right", fontsize=8)


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
