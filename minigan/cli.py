"""The `minigan` command: a thin argparse layer over the library and experiments."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

import numpy as np


def _cmd_gradcheck(args) -> int:
    from .gradcheck import format_table, standard_checks

    rows = standard_checks(seed=args.seed, max_entries=args.entries, tolerance=args.tol)
    if args.json:
        print(json.dumps({"tolerance": args.tol, "all_passed": all(r.passed for r in rows),
                          "rows": [r.as_dict() for r in rows]}, indent=2))
    else:
        print(format_table(rows))
    return 0 if all(r.passed for r in rows) else 1


def _fresh_folder(parent: str, prefix: str) -> str:
    """runs/<prefix>-YYYYmmdd-HHMMSS, with a counter if that already exists."""
    import os
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(parent, f"{prefix}-{stamp}")
    folder, n = base, 1
    while os.path.exists(folder):
        n += 1
        folder = f"{base}-{n}"
    os.makedirs(folder)
    return folder


def _check_writable(folder: str, flag: str = "--out") -> None:
    """Before any work: can ``folder`` (existing or to be created) take files? Walks up to the
    nearest existing ancestor and tries a temporary file there; creates nothing that stays."""
    import os
    import tempfile

    folder = os.path.abspath(folder)
    probe = folder
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise ValueError(f"{flag} {folder}: {probe} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        raise ValueError(f"{flag} {folder}: cannot write in {probe} ({err.strerror})") from None


def _check_output(out: str | None) -> None:
    """Before any work: the output folder (``out``, or runs/) can be written, and an ``out``
    that already holds results (a summary.json) is refused rather than overwritten."""
    import os

    if out is not None and os.path.exists(os.path.join(out, "summary.json")):
        raise ValueError(f"--out {out} already holds results (summary.json): give a new folder")
    _check_writable(out or "runs")


@contextlib.contextmanager
def _output_folder(out: str | None, prefix: str):
    """The folder results are written to, created only now (after the work): ``out``, or a
    fresh one under runs/. If writing fails or is interrupted, a folder this call created is
    removed again, so no empty or half-written folder is left."""
    import os
    import shutil

    created = out is None or not os.path.exists(out)
    folder = out or _fresh_folder("runs", prefix)
    os.makedirs(folder, exist_ok=True)
    try:
        yield folder
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _cmd_compare_losses(args) -> int:
    import os

    from . import plots
    from .experiments.gaussian_1d import (
        CompareConfig,
        compare_losses,
        format_summary,
        summarise,
    )
    from .files import atomic_write_text, save_json
    from .theory import Gaussian

    config = CompareConfig(
        data_mean=args.data_mean, data_std=args.data_std, offset=args.offset,
        start_std=args.start_std, steps=args.steps, seeds=args.seeds, k=args.k,
        batch_size=args.batch_size, lr_d=args.lr_d, lr_g=args.lr_g,
        d_optimizer=args.d_optimizer, g_optimizer=args.g_optimizer,
        losses=tuple(x.strip() for x in args.losses.split(",") if x.strip()), lam=args.lam,
    ).validate()  # bad values fail here, before any folder is made
    _check_output(args.out)
    results = compare_losses(config, progress=not args.no_progress)
    summary = summarise(results)
    runs = results["runs"]
    p_data = Gaussian(config.data_mean, config.data_std).pdf
    title = (f"p_data = N({config.data_mean:g}, {config.data_std:g}²), generator starting at "
             f"{config.data_mean + config.offset:g}; seed 0")
    with _output_folder(args.out, "compare-losses") as folder:
        summary["output_dir"] = os.path.abspath(folder)
        text = format_summary(summary)
        # Figure 1 draws D(x) as a probability: only for the games whose D is one
        with_d = {loss: rs[0]["snapshots"] for loss, rs in runs.items()
                  if rs[0]["snapshots"][0]["D"] is not None}
        if with_d:
            plots.save(plots.figure1_panels(with_d, p_data, title), os.path.join(folder, "figure1.png"))
        if len(runs) > 2 or set(runs) - {"saturating", "non_saturating"}:
            from .trainers import generator_gradient_curves

            plots.save(plots.generator_gradients(generator_gradient_curves(np.linspace(-8, 8, 321))),
                       os.path.join(folder, "generator_gradients.png"))
        plots.save(plots.training_curves(runs, f"{config.seeds} seeds, thin lines; medians, thick"),
                   os.path.join(folder, "training_curves.png"))
        save_json(os.path.join(folder, "summary.json"), summary)
        atomic_write_text(os.path.join(folder, "summary.txt"), text + "\n")

    if args.json:
        print(json.dumps(summary, indent=2))
        print(f"figures and summary written to {folder}/", file=sys.stderr)
    else:
        print(text)
        print(f"\nfigures and summary written to {folder}/")
        print("  figure1.png          p_data, p_g and D(x) at a few iterations, per loss (seed 0)")
        if os.path.exists(os.path.join(folder, "generator_gradients.png")):
            print("  generator_gradients.png  each objective's |dL_G/ds| against D(G(z)) and the score")
        print("  training_curves.png  generator gradient norm, mean D(G(z)) and JSD over training")
        print("  summary.json         the table above, with the configuration")
    return 0


def _cmd_bench(args) -> int:
    from .experiments import bench

    batches = []
    for part in args.batch.split(","):
        try:
            batches.append(int(part))
        except ValueError:
            raise ValueError(f"--batch must be comma-separated integers, got {args.batch!r}") from None
    models = tuple(m.strip() for m in args.model.split(","))

    def progress(message):
        if not args.json:
            print(f"... {message}", file=sys.stderr, flush=True)

    report = bench.run(models, tuple(batches), quick=args.quick, with_torch=not args.no_torch,
                       progress=progress, load=args.load, profile=args.profile, rounds=args.rounds)
    print(json.dumps(report, indent=2) if args.json else bench.format_report(report))
    return 0


def _cmd_wgan_critic(args) -> int:
    import os

    from . import plots
    from .experiments.wgan_1d import DEFAULT_MUS, WGAN1DConfig, format_summary, summarise
    from .files import save_json

    mus = DEFAULT_MUS
    if args.mus is not None:
        try:
            mus = tuple(float(m) for m in args.mus.split(","))
        except ValueError:
            raise ValueError(f"--mus must be comma-separated numbers, got {args.mus!r}") from None
    if not all(np.isfinite(mus)):
        raise ValueError(f"--mus must be finite numbers, got {args.mus!r}")
    config = WGAN1DConfig(seed=args.seed).validate()
    _check_output(args.out)
    summary = summarise(mus, config)
    with _output_folder(args.out, "wgan-critic") as folder:
        plots.save(plots.critic_vs_jsd(summary), os.path.join(folder, "critic_vs_jsd.png"))
        save_json(os.path.join(folder, "summary.json"), summary)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
        print(f"figure critic_vs_jsd.png and summary.json in {folder}/")
    return 0


def _cmd_train_ring(args) -> int:
    """`minigan train ring [--pack P] [--compare]`: the 2-D ring of Gaussians (mode collapse)."""
    import os
    from dataclasses import replace

    from tqdm.auto import tqdm

    from . import plots
    from .experiments.ring import (
        RING_LOSSES,
        RingConfig,
        format_summary,
        published_config,
        summarise,
        train_ring,
    )
    from .files import save_json

    ignored = _given(args, ("epochs", "resume", "data_dir",
                            *(f for f in _MNIST_FLAGS[1:] if f != "loss")))  # all but --seed, --loss
    if ignored:
        raise ValueError(f"{', '.join(ignored)}: not used by the ring (it takes --pack, --steps, "
                         "--seed, --loss, --setup, --compare, --out)")
    pack = 1 if args.pack is None else args.pack
    if isinstance(pack, int) and pack > MAX_PACK:
        # D's input and every batch grow with the pack (100,000 took 15 GB); PacGAN uses 2-4
        raise ValueError(f"--pack must be at most {MAX_PACK}, got {pack}")
    # the ring's objectives; no --loss means the vanilla GAN
    given_loss = "vanilla" if args.loss in (None, "non_saturating") else args.loss
    loss = str(given_loss).strip().lower().replace("-", "_")
    if loss not in RING_LOSSES:
        raise ValueError(f"--loss for the ring must be one of {', '.join(RING_LOSSES)}, got {args.loss!r}")
    if args.setup not in ("small", "published"):
        raise ValueError(f"--setup must be 'small' or 'published', got {args.setup!r}")
    config = (published_config if args.setup == "published" else RingConfig)(
        pack=pack, seed=0 if args.seed is None else args.seed, loss=loss)
    if args.steps is not None:
        config = replace(config, steps=args.steps)
    config.validate()
    packs = sorted({1, config.pack}) if args.compare else [config.pack]
    _check_output(args.out)
    runs = {}
    with tqdm(total=config.steps * len(packs), unit="it", disable=args.no_progress, desc="ring") as bar:
        for pack in packs:
            runs[pack] = train_ring(replace(config, pack=pack), bar)
    label = {p: (f"{loss} (pack 1)" if p == 1 else f"{loss}, packed D (pack {p})") for p in packs}
    centres = runs[packs[0]]["centres"]
    rows = [summarise(r) for r in runs.values()]
    with _output_folder(args.out, "train-ring") as folder:
        plots.save(plots.ring_samples({label[p]: r["snapshots"] for p, r in runs.items()}, centres),
                   os.path.join(folder, "samples.png"))
        plots.save(plots.mode_histogram({label[p]: r["coverage"] for p, r in runs.items()}),
                   os.path.join(folder, "modes.png"))
        save_json(os.path.join(folder, "summary.json"), {"runs": rows})
    print(format_summary(rows))
    print(f"figures samples.png (points over training) and modes.png (mode shares over training), "
          f"summary.json in {folder}/")
    return 0


# the MNIST training flags (argparse leaves each at None unless given; TrainConfig fills
# the defaults); --seed first, as the ring takes it too
_MNIST_FLAGS = ("seed", "batch_size", "lr_g", "lr_d", "lr_decay", "beta1", "beta2", "loss", "k",
                "real_label", "d_dropout", "average", "train_images", "blas_threads")
MAX_PACK = 64
MAX_SAMPLES = 10_000  # `sample` draws one grid image: 100 x 100 digits is already 3,000 pixels wide


def _given(args, names) -> list[str]:
    """The flags among ``names`` that were given on the command line (not None)."""
    return ["--" + n.replace("_", "-") for n in names if getattr(args, n) is not None]


def _run_holds(folder: str) -> bool:
    import os

    return any(os.path.exists(os.path.join(folder, name))
               for name in ("checkpoint.npz", "samples", "samples.gif", "losses.png"))


I2I_FLAGS = (("--task", "task", None), ("--no-gan", "no_gan", False), ("--no-cycle", "no_cycle", False),
             ("--depth", "depth", None), ("--test-images", "test_images", 0), ("--json", "json", False))


def _cmd_train_i2i(args) -> int:
    """`minigan train pix2pix --task inpaint|superres [--no-gan]` and `minigan train cyclegan
    [--no-cycle]`: image-to-image on MNIST (minigan/experiments/pix2pix.py, cyclegan.py)."""
    import os
    import time

    from tqdm.auto import tqdm

    from . import metrics, plots
    from .experiments import cyclegan, pix2pix
    from .files import save_json

    pix = args.model == "pix2pix"
    if args.test_images < 0:
        raise ValueError(f"--test-images must be a non-negative integer, got {args.test_images}")
    unused = [flag for flag, value in (
        ("--task", not pix and args.task is not None), ("--no-gan", not pix and args.no_gan),
        ("--depth", not pix and args.depth is not None), ("--no-cycle", pix and args.no_cycle),
        ("--loss", args.loss is not None), ("--k", args.k is not None),
        ("--real-label", args.real_label is not None),
        ("--d-dropout", args.d_dropout is not None), ("--average", args.average is not None),
        ("--lr-decay", args.lr_decay is not None), ("--pack", args.pack is not None),
        ("--steps", args.steps is not None), ("--compare", args.compare),
        ("--blas-threads", args.blas_threads is not None)) if value]
    if unused:
        raise ValueError(f"{', '.join(unused)}: not used by minigan train {args.model}")
    module, Run = (pix2pix, pix2pix.Pix2PixRun) if pix else (cyclegan, cyclegan.CycleGANRun)
    if args.resume:
        path = os.path.join(args.resume, "checkpoint.npz") if os.path.isdir(args.resume) else args.resume
        run = Run.load(path, args.data_dir)
        if args.epochs is not None:
            run.config.epochs = args.epochs
            run.config.validate()
        folder = os.path.dirname(os.path.abspath(path))
    else:
        given = dict(batch_size=args.batch_size, lr_g=args.lr_g, beta1=args.beta1, beta2=args.beta2,
                     seed=args.seed, train_images=args.train_images, epochs=args.epochs, lr_d=args.lr_d)
        options = {k: v for k, v in given.items() if v is not None}  # the config's defaults otherwise
        options["data_dir"] = args.data_dir
        if pix:
            options.update(task=args.task or "inpaint", gan=not args.no_gan)
            if args.depth is not None:
                options["depth"] = args.depth
            config = pix2pix.Pix2PixConfig(**options).validate()
        else:
            config = cyclegan.CycleGANConfig(cycle=not args.no_cycle, **options).validate()
        run = Run(config)
        name = f"pix2pix-{config.task}{'-nogan' if not config.gan else ''}" if pix else \
            f"cyclegan{'-nocycle' if not config.cycle else ''}"
        folder = args.out or _fresh_folder("runs", name)
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    checkpoint = os.path.join(folder, "checkpoint.npz")
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    c = run.config
    say(f"training {args.model}: {run.epoch_size} {'pairs' if pix else 'images per domain'}, batch "
        f"{c.batch_size}, {run.iterations_per_epoch} iterations per epoch, "
        f"epochs {run.epoch + 1}-{c.epochs}; output in {folder}/")
    start = time.perf_counter()
    bar = tqdm(total=max(c.epochs - run.epoch, 0) * run.iterations_per_epoch, unit="it",
               disable=args.no_progress, desc=args.model)
    try:
        while run.epoch < c.epochs:
            means = run.train_epoch(bar)
            title = f"{c.title}, epoch {run.epoch}"
            plots.save(plots.translation_grid(run.figure_rows(), title),
                       os.path.join(folder, "samples", f"epoch_{run.epoch:03d}.png"))
            run.save(checkpoint)
            bar.write(f"epoch {run.epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()),
                      file=sys.stderr if args.json else None)
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted; the checkpoint of epoch {run.epoch} is intact: continue with "
              f"minigan train {args.model} --resume {folder}", file=sys.stderr)
        return 130
    except FloatingPointError as err:
        bar.close()
        print(f"minigan train: {err}. The checkpoint of epoch {run.epoch} was kept.", file=sys.stderr)
        return 1
    bar.close()
    seconds = time.perf_counter() - start
    report = run.evaluate(metrics.get_classifier(data_dir=args.data_dir), args.test_images or None)
    report["train_seconds"] = seconds
    report["output_dir"] = os.path.abspath(folder)
    save_json(os.path.join(folder, "results.json"), report)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(module.format_report(report))
        print(f"done in {seconds:.1f} s; checkpoint.npz, samples/ and results.json in {folder}/")
    return 0


def _fix_blas_threads(config):
    """One BLAS thread count for the whole run (minigan.kernels.threads says why): the count
    recorded in ``config`` (a resumed run), else the one chosen now from the machine's load,
    which is then recorded. A thread variable the user set (OPENBLAS_NUM_THREADS, ...) rules;
    if it contradicts the recorded count, say that the resumed run will differ in the last
    bits. Returns the policy, to be stopped when the command ends."""
    from .kernels.threads import ThreadPolicy

    recorded = config.blas_threads
    policy = ThreadPolicy("auto" if recorded is None else recorded)
    policy.start()
    in_force = policy.count
    if recorded is None:
        config.blas_threads = in_force
    elif in_force is not None and in_force != recorded:
        print(f"note: this run was trained with {recorded} BLAS thread(s) and "
              f"{policy.user_variable} gives {in_force}: from here on it will differ in the last bits "
              "from a run that was never stopped", file=sys.stderr)
    return policy


def _cmd_train(args) -> int:
    import os
    import shutil
    import time

    if args.model in ("pix2pix", "cyclegan"):
        return _cmd_train_i2i(args)
    given = [flag for flag, key, default in I2I_FLAGS if getattr(args, key) != default]
    if given:  # the MNIST GANs' flags and the ring's
        raise ValueError(f"{', '.join(given)}: only for minigan train pix2pix or cyclegan")
    if args.model == "ring":
        return _cmd_train_ring(args)
    for flag, value in (("--pack", args.pack is not None), ("--steps", args.steps is not None),
                        ("--compare", args.compare), ("--setup", args.setup != "small")):
        if value:
            raise ValueError(f"{flag} applies to the ring only (minigan train ring {flag} ...)")

    from tqdm.auto import tqdm

    from . import plots
    from .experiments.mnist import MnistRun, TrainConfig
    from .gan import TrainingDiverged

    if args.resume:
        # A resumed run continues bit for bit, so every setting comes from its checkpoint:
        # a changed rate, batch size or seed would silently make it another run. Refused.
        fixed = _given(args, _MNIST_FLAGS)
        if fixed:
            raise ValueError(f"{', '.join(fixed)}: a resumed run keeps the settings of its checkpoint "
                             "(so that it continues bit for bit); only --epochs and --data-dir can be "
                             "given with --resume. Start a new run to change them")
        path = os.path.join(args.resume, "checkpoint.npz") if os.path.isdir(args.resume) else args.resume
        folder = os.path.dirname(os.path.abspath(path))
        if args.out is not None and os.path.abspath(args.out) != folder:
            raise ValueError(f"--out {args.out}: a resumed run writes into its own folder {folder}; "
                             "leave out --out")
        run = MnistRun.load(path, args.data_dir)
        if run.config.model != args.model:
            raise ValueError(f"--resume: {path} holds a {run.config.model} run, not {args.model}")
        if args.epochs is not None:
            if args.epochs < max(run.epoch, 1):
                raise ValueError(f"--epochs must be at least the {run.epoch} epochs {path} has done, "
                                 f"got {args.epochs}")
            run.config.epochs = args.epochs
        _check_writable(folder)
        created, saved_epoch = False, run.epoch  # the epoch of the checkpoint on disk
    else:
        given = {name: getattr(args, name) for name in ("epochs", "data_dir", *_MNIST_FLAGS)
                 if getattr(args, name) is not None}
        config = TrainConfig(model=args.model, **given).validate()
        folder = args.out or os.path.join("runs", f"train-{args.model}-{time.strftime('%Y%m%d-%H%M%S')}")
        if args.out is not None and os.path.exists(folder):
            if not os.path.isdir(folder):
                raise ValueError(f"--out {folder}: exists and is not a folder")
            if _run_holds(folder):
                raise ValueError(f"--out {folder} already holds a run: continue it with minigan train "
                                 f"{args.model} --resume {folder}, or give a new --out folder")
            if os.listdir(folder):
                raise ValueError(f"--out {folder} is not empty: give a new or empty folder")
        _check_writable(folder)
        run = MnistRun(config)
        created = args.out is None or not os.path.exists(folder)  # removed again if nothing is kept
        if args.out is None:
            folder = _fresh_folder("runs", f"train-{args.model}")
        saved_epoch = None  # no checkpoint yet
    checkpoint = os.path.join(folder, "checkpoint.npz")

    def nothing_kept() -> str:
        """Remove the outputs of a run stopped before its first checkpoint; say so."""
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:  # an empty folder given with --out: empty it again
            for name in os.listdir(folder):
                target = os.path.join(folder, name)
                shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
        return f"it stopped in epoch {run.epoch + 1}, before the first checkpoint: nothing was kept"

    remaining = run.config.epochs - run.epoch
    start, bar = time.perf_counter(), None
    policy = _fix_blas_threads(run.config)
    try:  # from the folder's creation on, so that a Ctrl-C at any point is handled below
        os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
        print(f"training {run.config.model}: {len(run.images)} images, batch {run.config.batch_size}, "
              f"{run.iterations_per_epoch} iterations per epoch, epochs {run.epoch + 1}-{run.config.epochs}; "
              f"{policy.describe()}; output in {folder}/", flush=True)
        bar = tqdm(total=max(remaining, 0) * run.iterations_per_epoch, unit="it", disable=args.no_progress,
                   desc=run.config.model)
        while run.epoch < run.config.epochs:
            means = run.train_epoch(bar)
            plots.save(plots.sample_grid(run.samples(), f"{run.config.model}, epoch {run.epoch}",
                                         columns=10 if run.conditional else None),
                       os.path.join(folder, "samples", f"epoch_{run.epoch:03d}.png"))
            plots.save(plots.gan_losses(run.trainer.history, run.iterations_per_epoch, run.config.model),
                       os.path.join(folder, "losses.png"))
            run.save(checkpoint)
            saved_epoch = run.epoch
            rates = (f", lr x{run.trainer.g_opt.lr / run.config.lr_g:.2f}"
                     if run.config.lr_decay else "")  # the decay's factor at the epoch's end
            bar.write(f"epoch {run.epoch}: D loss {means['d_loss']:.3f}, G loss {means['g_loss']:.3f}, "
                      f"D(x) {means['d_real']:.2f}, D(G(z)) {means['d_fake']:.2f}{rates}")
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        if saved_epoch is None:
            print(f"\nminigan train: interrupted; {nothing_kept()}", file=sys.stderr)
        else:
            print(f"\nminigan train: interrupted; the checkpoint of epoch {saved_epoch} is intact: continue "
                  f"with minigan train {run.config.model} --resume {folder}", file=sys.stderr)
        return 130
    except TrainingDiverged as err:
        if bar is not None:
            bar.close()
        kept = (nothing_kept() if saved_epoch is None else
                f"the checkpoint of epoch {saved_epoch} in {folder} was kept")
        print(f"minigan train: {err}. {kept[0].upper()}{kept[1:]}", file=sys.stderr)
        return 1
    finally:
        policy.stop()
    bar.close()
    # this run's frames only: a grid written just before an interruption may lie beyond it
    frames = [os.path.join(folder, "samples", f"epoch_{e:03d}.png") for e in range(1, run.epoch + 1)]
    frames = [f for f in frames if os.path.exists(f)]
    if frames:
        from PIL import Image

        grids = [np.asarray(Image.open(f).convert("L")) / 255.0 for f in frames]
        plots.save_gif(grids, os.path.join(folder, "samples.gif"))
    print(f"done in {time.perf_counter() - start:.1f} s; checkpoint, losses.png, samples/ and "
          f"samples.gif in {folder}/")
    return 0


def _cmd_sample(args) -> int:
    import os

    from . import plots
    from .experiments.mnist import MnistRun

    if not 1 <= args.n <= MAX_SAMPLES:  # one grid image; a million would only exhaust memory
        raise ValueError(f"--n must be an integer from 1 to {MAX_SAMPLES:,}, got {args.n}")
    if args.digit is not None and not 0 <= args.digit <= 9:
        raise ValueError(f"--digit must be one of 0-9, got {args.digit}")
    if os.path.splitext(args.out)[1].lower() != ".png":  # the grid is PNG: no other bytes behind a name
        raise ValueError(f"--out must name a .png file, got {args.out!r}")
    _check_writable(os.path.dirname(os.path.abspath(args.out)))
    run = MnistRun.load(args.checkpoint, data=False)  # sampling needs no training data
    z = run.noise(args.n, np.random.default_rng(args.seed))
    labels, what = None, ""
    if args.digit is not None:
        if not run.conditional:
            raise ValueError(f"--digit needs a conditional model (mnist-cgan); {args.checkpoint} "
                             f"holds {run.config.model}")
        labels, what = np.full(args.n, args.digit), f" of the digit {args.digit}"
    images = run.samples(z, labels=labels)
    columns = 10 if run.conditional and labels is None else None  # one digit per column
    title = f"{run.config.model}, epoch {run.epoch}" + (f", digit {args.digit}" if what else "")
    plots.save(plots.sample_grid(images, title, columns=columns), args.out)
    print(f"{args.n} samples{what} from {args.checkpoint} (epoch {run.epoch}) written to {args.out}")
    return 0


def _cmd_evaluate(args) -> int:
    from . import metrics
    from .data import load_mnist
    from .experiments.mnist import MnistRun

    if args.n < 2:
        raise ValueError(f"--n must be an integer >= 2, got {args.n}")
    if args.train_images < 0:
        raise ValueError(f"--train-images must be a non-negative integer, got {args.train_images}")
    if args.checkpoint is None and not args.calibrate:
        raise ValueError("give a CHECKPOINT to evaluate, or --calibrate")
    if args.parzen and args.checkpoint is None:
        raise ValueError("--parzen needs a CHECKPOINT whose samples to measure")
    # fail fast on a bad path; the run's training data are not needed (and may have moved):
    # the test images come from --data-dir
    run = MnistRun.load(args.checkpoint, data=False) if args.checkpoint else None
    test_images, test_labels = load_mnist("test", args.data_dir)
    if args.n > len(test_images):  # the table says "against N test images": it must be true
        raise ValueError(f"--n must be at most the {len(test_images):,} test images the samples are "
                         f"compared with, got {args.n:,}")
    model = metrics.get_classifier(data_dir=args.data_dir, train_images=args.train_images,
                                   progress=not args.no_progress)
    report = {"classifier_test_accuracy": metrics.accuracy(model, test_images, test_labels)}
    if run is not None:
        reference, _ = metrics.classify(model, test_images[: args.n])
        z = run.noise(args.n, np.random.default_rng(args.seed))
        # a conditional model is asked for each digit equally often; the classifier then says
        # how often it drew the digit it was asked for
        labels = np.arange(args.n) % 10 if run.conditional else None
        samples = run.samples(z, labels=labels)
        report["checkpoint"] = {"path": args.checkpoint, "model": run.config.model, "epoch": run.epoch,
                                **metrics.evaluate_images(model, samples, reference, labels)}
        last = None if run.G_average is None else run.samples(z, averaged=False, labels=labels)
        if last is not None:  # the last iterate too: what averaging the weights buys
            report["last_iterate"] = metrics.evaluate_images(model, last, reference, labels)
        if args.parzen:  # Goodfellow et al. 2014's protocol, on pixels in [0, 1]
            validation = (load_mnist("validation", args.data_dir)[0] + 1) / 2
            report["parzen"] = metrics.parzen_evaluation((samples + 1) / 2, validation,
                                                         (test_images + 1) / 2)
            if last is not None:  # the paper sampled its last iterate (it kept no average)
                report["last_iterate"]["parzen"] = metrics.parzen_evaluation(
                    (last + 1) / 2, validation, (test_images + 1) / 2)
    if args.calibrate:
        report["calibration"] = metrics.calibration(model, args.n, args.seed, args.data_dir)
        report["calibration_ordered"] = metrics.calibration_ordered(report["calibration"])
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"quality classifier: {report['classifier_test_accuracy']:.2%} accuracy on the test split")
    rows = report.get("calibration", [])
    if "checkpoint" in report:
        c = report["checkpoint"]
        if "last_iterate" in report:
            rows = [*rows, {"images": f"{c['model']}, epoch {c['epoch']}, last iterate",
                            **report["last_iterate"]}]
        averaged = ", averaged weights" if "last_iterate" in report else ""
        rows = [*rows, {"images": f"{c['model']}, epoch {c['epoch']}{averaged}", **c}]
    print(f"{'images (against ' + str(min(args.n, len(test_images))) + ' test images)':<46}"
          f"{'Frechet':>9}{'digits':>8}{'confidence':>12}")
    for r in rows:
        print(f"{r['images']:<46}{r['frechet_distance']:>9.2f}{r['digits_covered']:>8}"
              f"{r['mean_confidence']:>12.3f}")
    if args.calibrate and not report["calibration_ordered"]:
        print("warning: the calibration distances do not rise along the list", file=sys.stderr)
    if "checkpoint" in report:
        shares = report["checkpoint"]["digit_shares"]
        print("predicted digits: " + "  ".join(f"{d}:{s:.0%}" for d, s in enumerate(shares)))
        if "label_agreement" in report["checkpoint"]:
            print(f"asked-for digit drawn (classifier agrees with the label): "
                  f"{report['checkpoint']['label_agreement']:.1%}")
    parzens = (("", report.get("parzen")), (", last iterate", report.get("last_iterate", {}).get("parzen")))
    for label, p in parzens:
        if p is not None:
            print(f"Parzen window{label}: sigma {p['sigma']:.4f} (chosen on {p['n_validation']} validation "
                  f"images); test log-likelihood {p['log_likelihood']:.1f} +- {p['standard_error']:.1f} "
                  f"({p['n_samples']} samples, {p['n_test']} test images)")
    return 0


def _cmd_course(args) -> int:
    """`minigan course release|grade`: the assignments' student versions and their grading."""
    try:
        if args.course_command == "release":
            from .course.release import release

            for path in release(args.src, args.dest):
                print(f"wrote {path}")
            return 0
        from .course.grade import grade

        reports = [grade(path, timeout=args.timeout, fast=args.fast, in_process=args.in_process)
                   for path in args.notebooks]
    except ImportError as err:  # nbformat / nbclient missing: name the extra, no traceback
        print(f"minigan course: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        data = [r.as_dict() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        print("\n\n".join(r.format() for r in reports))
    return 0


def _int_at_least(text: str, minimum: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1, "a positive integer")


def _seed(text: str) -> int:
    return _int_at_least(text, 0, "a non-negative integer")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigan", description="GANs from scratch in NumPy: train, check, compare.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("gradcheck", help="check every hand-written gradient numerically",
                       description="Compare every layer's, loss's and seed model's backward "
                                   "pass with central differences in float64.")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--seed", type=_seed, default=0, help="seed for inputs and weights (0)")
    p.add_argument("--entries", type=_positive_int, default=12,
                   help="entries sampled per parameter array of the big models (12)")
    p.add_argument("--tol", type=_positive_float, default=1e-7,
                   help="largest relative error that passes (1e-7)")
    p.set_defaults(func=_cmd_gradcheck)

    from .experiments.gaussian_1d import CompareConfig

    d = CompareConfig()
    p = sub.add_parser(
        "compare-losses", help="saturating vs non-saturating generator loss on a 1-D Gaussian",
        description="Train one GAN per generator loss from identical weights and noise, for "
                    "several seeds, starting from a generator that a trained D rejects; write "
                    "figures and a summary table into a fresh folder under runs/.")
    p.add_argument("--data-mean", type=float, default=d.data_mean, help=f"mean of p_data ({d.data_mean:g})")
    p.add_argument("--data-std", type=float, default=d.data_std, help=f"std of p_data ({d.data_std:g})")
    p.add_argument("--offset", type=float, default=d.offset,
                   help=f"the generator starts at data mean + offset ({d.offset:g})")
    p.add_argument("--start-std", type=float, default=d.start_std,
                   help=f"initial generator std, as a fraction of the data std ({d.start_std:g})")
    p.add_argument("--steps", type=int, default=d.steps, help=f"GAN iterations per run ({d.steps})")
    p.add_argument("--seeds", type=int, default=d.seeds, help=f"number of seeds ({d.seeds})")
    p.add_argument("--k", type=int, default=d.k, help=f"discriminator steps per iteration ({d.k})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"batch size ({d.batch_size})")
    p.add_argument("--lr-d", type=float, default=d.lr_d, help=f"discriminator learning rate ({d.lr_d:g})")
    p.add_argument("--lr-g", type=float, default=d.lr_g, help=f"generator learning rate ({d.lr_g:g})")
    p.add_argument("--d-optimizer", default=d.d_optimizer, help=f"adam or sgd ({d.d_optimizer})")
    p.add_argument("--g-optimizer", default=d.g_optimizer, help=f"sgd or adam ({d.g_optimizer})")
    p.add_argument("--lam", type=float, default=d.lam,
                   help=f"wgan_gp: the gradient-penalty weight ({d.lam:g})")
    p.add_argument("--losses", default=",".join(d.losses),
                   help="comma-separated generator losses (saturating,non_saturating), or 'all': also "
                        "lsgan, lsgan_theorem1, hinge, fgan_<kl, reverse_kl, pearson, "
                        "squared_hellinger, js, gan>, wgan_clip, wgan_gp")
    p.add_argument("--out", help="output folder (default: a fresh folder under runs/)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_compare_losses)

    p = sub.add_parser("bench", help="time one GAN iteration against BLAS alone and PyTorch",
                       description="Time one GAN iteration (Adam, float32) with each kernel "
                                   "backend, the same matrix products alone through BLAS, and "
                                   "PyTorch if it is installed (pip install -e '.[bench]').")
    p.add_argument("--model", default="mlp", help="mlp, conv or both comma-separated (mlp)")
    p.add_argument("--batch", default="64,128", help="comma-separated batch sizes (64,128)")
    p.add_argument("--quick", action="store_true",
                   help="few iterations, small matmul, no JIT measurement, minigan's contenders in one "
                        "process (for tests)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--load", action="store_true",
                   help="also time minigan with another process keeping one core busy, for each "
                        "BLAS thread policy (all cores, one, auto)")
    p.add_argument("--rounds", type=int, default=1,
                   help="time the whole sequence of contenders this many times and report the median "
                        "ratio with its range: on a shared machine whose speed drifts (1)")
    p.add_argument("--profile", action="store_true",
                   help="also show where an iteration's time goes: matrix products, im2col/col2im, "
                        "each layer type's own work, the optimizers, the rest")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("train", help="train a GAN: the course's MNIST GANs, a conditional GAN, or the ring",
                       description="Train a GAN on MNIST with Adam (DCGAN settings by default). "
                                   "Every epoch writes a sample grid, the loss curves and a "
                                   "checkpoint; --resume continues exactly. MODEL ring trains "
                                   "on the 2-D ring of 8 Gaussians instead (--pack, --steps, "
                                   "--compare) and writes figures of its modes.")
    p.add_argument("model", metavar="MODEL",
                   help="mnist-mlp, mnist-conv, mnist-cgan (conditional), mnist-goodfellow2014 (the "
                        "original paper's GAN: maxout D, SGD), ring (2-D, mode collapse), pix2pix "
                        "or cyclegan (image to image)")
    p.add_argument("--epochs", type=int, default=None,
                   help="total epochs (mnist-mlp, mnist-cgan 20; mnist-conv 6; mnist-goodfellow2014 60; "
                        "pix2pix 3; cyclegan 2)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="batch size (64; 100 for mnist-goodfellow2014)")
    p.add_argument("--lr-g", type=float, default=None,
                   help="generator learning rate (2e-4; 0.1 for mnist-goodfellow2014)")
    p.add_argument("--lr-d", type=float, default=None,
                   help="discriminator learning rate (2e-4; 1e-4 for mnist-conv; 0.05 for "
                        "mnist-goodfellow2014)")
    p.add_argument("--lr-decay", type=float, default=None,
                   help="last fraction of the run over which both learning rates fall linearly "
                        "to 0 (0: constant, for mnist-mlp and mnist-cgan; 0.5 for mnist-conv). "
                        "The schedule spans --epochs: resuming with a new --epochs moves it")
    p.add_argument("--beta1", type=float, default=None, help="Adam beta1 (0.5)")
    p.add_argument("--beta2", type=float, default=None, help="Adam beta2 (0.999)")
    p.add_argument("--loss", default=None,
                   help="saturating or non_saturating (non_saturating); ring: vanilla, lsgan, "
                        "lsgan-theorem1, hinge, wgan-clip, wgan-gp, unrolled-exact, unrolled-approx, "
                        "unrolled-adam")
    p.add_argument("--k", type=int, default=None, help="discriminator steps per iteration (1)")
    p.add_argument("--seed", type=int, default=None, help="seed of weights, data order and noise (0)")
    p.add_argument("--real-label", type=float, default=None,
                   help="D's target for real images; 0.9 is one-sided label smoothing (1.0)")
    p.add_argument("--d-dropout", type=float, default=None,
                   help="dropout rate in the discriminator (0.5 for mnist-mlp and mnist-cgan, 0.3 "
                        "for mnist-conv; 0 gives the course's MLP exactly)")
    p.add_argument("--average", type=float, default=None,
                   help="decay of the generator's weight average, which draws the samples "
                        "(0.999; 0: sample from the last iterate)")
    p.add_argument("--train-images", type=int, default=None,
                   help="use only the first N training images (0: all; for quick looks)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="BLAS threads for the whole run (default: all cores, one fewer per core "
                        "that other programs keep busy; recorded, and reused by --resume)")
    p.add_argument("--data-dir", help="a folder with the four standard MNIST IDX files")
    p.add_argument("--out", help="output folder (default: a fresh folder under runs/)")
    p.add_argument("--resume", metavar="RUN",
                   help="a run folder or checkpoint.npz to continue, with its own settings (only "
                        "--epochs and --data-dir may be given)")
    p.add_argument("--pack", type=int, default=None,
                   help="ring: samples the discriminator judges at once (PacGAN; 1: vanilla)")
    p.add_argument("--steps", type=int, default=None, help="ring: GAN iterations")
    p.add_argument("--compare", action="store_true",
                   help="ring: also train the vanilla GAN (pack 1), same seed, side by side")
    p.add_argument("--setup", default="small",
                   help="ring: 'small' (minigan's fast networks) or 'published' (VEEGAN/PacGAN's "
                        "networks, Adam 1e-4, 2,500 scored samples)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    # image to image (issue 16): minigan train pix2pix | cyclegan
    p.add_argument("--task", help="pix2pix: inpaint (restore the lower half) or superres (from 7x7)")
    p.add_argument("--no-gan", action="store_true", help="pix2pix: L1 loss alone, no discriminator")
    p.add_argument("--depth", type=int, default=None, help="pix2pix: halvings in the U-Net (2)")
    p.add_argument("--no-cycle", action="store_true", help="cyclegan: without the cycle-consistency loss")
    p.add_argument("--test-images", type=int, default=0,
                   help="pix2pix, cyclegan: score only the first N held-out digits (0: all 10,000)")
    p.add_argument("--json", action="store_true", help="pix2pix, cyclegan: print the results as JSON")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("wgan-critic", help="WGAN: the clipped critic measures W1, the GAN's D saturates",
                       description="For p_data = N(0, 1) and fixed p_g = N(mu, 1), train a fresh "
                                   "weight-clipped WGAN critic and a GAN discriminator per mu; "
                                   "compare the critic's estimate with W1 = |mu| and the "
                                   "discriminator's log 2 + V/2 with the JSD.")
    p.add_argument("--mus", help="comma-separated means of p_g (0,0.5,1,2,3,4,6,8)")
    p.add_argument("--seed", type=int, default=0, help="seed (0)")
    p.add_argument("--out", help="output folder (default: a fresh folder under runs/)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_cmd_wgan_critic)

    p = sub.add_parser("sample", help="draw a grid of samples from a training checkpoint")
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint.npz written by minigan train")
    p.add_argument("--n", type=int, default=64, help="number of samples (64)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the noise (0)")
    p.add_argument("--out", default="grid.png", help="output PNG (grid.png)")
    p.add_argument("--digit", type=int, default=None,
                   help="draw only this digit, 0-9 (mnist-cgan; default: 0-9 in columns)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("evaluate", help="measure the quality of a checkpoint's samples",
                       description="Frechet distance between a digit classifier's features of "
                                   "generated and held-out real images, digit coverage and mean "
                                   "confidence; --calibrate prints the reference table.")
    p.add_argument("checkpoint", metavar="CHECKPOINT", nargs="?", help="a checkpoint.npz")
    p.add_argument("--n", type=int, default=10000, help="samples to compare (10000)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the noise (0)")
    p.add_argument("--calibrate", action="store_true",
                   help="also measure real, noisy-real and untrained-generator images")
    p.add_argument("--parzen", action="store_true",
                   help="also the Parzen-window log-likelihood of the test images (Goodfellow "
                        "et al. 2014: sigma chosen on the validation images)")
    p.add_argument("--train-images", type=int, default=0,
                   help="train the quality classifier on the first N training images only "
                        "(0: all; for quick looks and tests)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--data-dir", help="a folder with the four standard MNIST IDX files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("course", help="release and grade the assignments (nbgrader format)",
                       description="Tools for teaching with the assignments in notebooks/assignments: "
                                   "make the student versions, and grade a notebook.")
    course = p.add_subparsers(dest="course_command", metavar="ACTION", required=True)
    q = course.add_parser("release", help="write student versions: solutions stubbed, hidden tests "
                                          "removed, outputs cleared",
                          description="For each notebook of SRC (a notebook or a folder of them), "
                                      "write its student version into the folder DEST.")
    q.add_argument("src", metavar="SRC", help="an instructor notebook or a folder of them")
    q.add_argument("dest", metavar="DEST", help="the folder for the student versions")
    q.set_defaults(func=_cmd_course)
    q = course.add_parser("grade", help="run a notebook and score its graded test cells",
                          description="Execute each notebook top to bottom in a fresh kernel, errors "
                                      "allowed, and give each graded test cell its points if it ran "
                                      "without raising; one line per failed exercise.")
    q.add_argument("notebooks", metavar="NOTEBOOK", nargs="+", help="a notebook to grade")
    q.add_argument("--json", action="store_true", help="print the scores as JSON")
    q.add_argument("--fast", action="store_true", help="set MINIGAN_FAST=1 (the notebooks' short mode)")
    q.add_argument("--timeout", type=_positive_int, default=600, help="seconds per cell (600)")
    q.add_argument("--in-process", action="store_true",
                   help="run the cells in this process instead of a kernel (faster; trusted notebooks only)")
    q.set_defaults(func=_cmd_course)
    return parser


def openblas_reexec_argv(args, argv: list[str] | None) -> list[str] | None:
    """The command line to re-execute ``minigan`` with OPENBLAS_THREAD_TIMEOUT set, or None.

    OpenBLAS reads the variable once, when NumPy loads it, and importing minigan.cli has
    already loaded NumPy; so a training run from the command line (where the fast kernels and
    BLAS alternate for minutes) starts itself again, once, with the variable set
    (minigan.kernels.tune_process says why it matters). Only on POSIX, only from the real
    command line (argv None), and never if you set the variable or chose MINIGAN_KERNELS=numpy.
    """
    import os

    from .kernels import OPENBLAS_THREAD_TIMEOUT, REFERENCE

    if (argv is not None or os.name != "posix" or getattr(args, "command", None) != "train"
            or "OPENBLAS_THREAD_TIMEOUT" in os.environ
            or os.environ.get("MINIGAN_KERNELS", "").strip().lower() == REFERENCE):
        return None
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = OPENBLAS_THREAD_TIMEOUT
    return [sys.executable, "-m", "minigan", *sys.argv[1:]]


def main(argv: list[str] | None = None) -> int:
    from .kernels import command_backend

    parser = build_parser()
    args = parser.parse_args(argv)
    reexec = openblas_reexec_argv(args, argv)
    if reexec:
        import os

        os.execv(reexec[0], reexec)
    try:
        with command_backend():  # the fast kernels, unless MINIGAN_KERNELS=numpy
            return args.func(args)
    except (ValueError, TypeError, FloatingPointError, OSError) as err:
        print(f"minigan {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's code for SIGINT, no traceback
        print(f"\nminigan {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
