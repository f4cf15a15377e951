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


def sample_grid(images: np.ndarray, title: str = "") -> Figure:
    """A grid of generated digits (white on black, as MNIST)."""
    grid = image_grid(images)
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
