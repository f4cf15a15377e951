"""The `minigan` command: a thin argparse layer over the library and experiments."""

from __future__ import annotations

import argparse
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
        losses=tuple(x.strip() for x in args.losses.split(",") if x.strip()),
    ).validate()  # bad values fail here, before any folder is made
    folder = args.out or _fresh_folder("runs", "compare-losses")
    if args.out:
        os.makedirs(folder, exist_ok=True)
    results = compare_losses(config, progress=not args.no_progress)
    summary = summarise(results)
    summary["output_dir"] = os.path.abspath(folder)
    text = format_summary(summary)

    runs = results["runs"]
    p_data = Gaussian(config.data_mean, config.data_std).pdf
    title = (f"p_data = N({config.data_mean:g}, {config.data_std:g}²), generator starting at "
             f"{config.data_mean + config.offset:g}; seed 0")
    plots.save(plots.figure1_panels({loss: rs[0]["snapshots"] for loss, rs in runs.items()},
                                    p_data, title), os.path.join(folder, "figure1.png"))
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
                       progress=progress, load=args.load)
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
    config = WGAN1DConfig(seed=args.seed).validate()
    summary = summarise(mus, config)
    folder = args.out or _fresh_folder("runs", "wgan-critic")
    os.makedirs(folder, exist_ok=True)
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
    from .experiments.ring import RingConfig, format_summary, summarise, train_ring
    from .files import save_json

    ignored = [flag for flag, value in (("--epochs", args.epochs), ("--resume", args.resume),
                                        ("--data-dir", args.data_dir)) if value is not None]
    if ignored:
        raise ValueError(f"{', '.join(ignored)}: not used by the ring (it takes --pack, --steps, --seed)")
    config = RingConfig(pack=args.pack, seed=args.seed)
    if args.steps is not None:
        config = replace(config, steps=args.steps)
    config.validate()
    packs = sorted({1, config.pack}) if args.compare else [config.pack]
    folder = args.out or _fresh_folder("runs", "train-ring")
    os.makedirs(folder, exist_ok=True)
    runs = {}
    with tqdm(total=config.steps * len(packs), unit="it", disable=args.no_progress, desc="ring") as bar:
        for pack in packs:
            runs[pack] = train_ring(replace(config, pack=pack), bar)
    label = {p: "vanilla GAN (pack 1)" if p == 1 else f"packed D (pack {p})" for p in packs}
    centres = runs[packs[0]]["centres"]
    plots.save(plots.ring_samples({label[p]: r["snapshots"] for p, r in runs.items()}, centres),
               os.path.join(folder, "samples.png"))
    plots.save(plots.mode_histogram({label[p]: r["coverage"] for p, r in runs.items()}),
               os.path.join(folder, "modes.png"))
    rows = [summarise(r) for r in runs.values()]
    save_json(os.path.join(folder, "summary.json"), {"runs": rows})
    print(format_summary(rows))
    print(f"figures samples.png (points over training) and modes.png (mode shares over training), "
          f"summary.json in {folder}/")
    return 0


def _cmd_train(args) -> int:
    import os
    import time

    if args.model == "ring":
        return _cmd_train_ring(args)
    for flag, value in (("--pack", args.pack != 1), ("--steps", args.steps is not None),
                        ("--compare", args.compare)):
        if value:
            raise ValueError(f"{flag} applies to the ring only (minigan train ring {flag} ...)")

    from tqdm.auto import tqdm

    from . import plots
    from .experiments.mnist import MnistRun, TrainConfig
    from .gan import TrainingDiverged

    if args.resume:
        path = os.path.join(args.resume, "checkpoint.npz") if os.path.isdir(args.resume) else args.resume
        run = MnistRun.load(path, args.data_dir)
        if run.config.model != args.model:
            raise ValueError(f"--resume: {path} holds a {run.config.model} run, not {args.model}")
        if args.epochs is not None:
            run.config.epochs = args.epochs
        folder = os.path.dirname(os.path.abspath(path))
    else:
        config = TrainConfig(
            model=args.model, epochs=args.epochs,
            batch_size=args.batch_size, lr_g=args.lr_g, lr_d=args.lr_d, beta1=args.beta1,
            beta2=args.beta2, loss=args.loss, k=args.k, seed=args.seed,
            train_images=args.train_images, data_dir=args.data_dir,
            real_label=args.real_label, d_dropout=args.d_dropout, average=args.average,
            lr_decay=args.lr_decay).validate()
        run = MnistRun(config)
        folder = args.out or _fresh_folder("runs", f"train-{args.model}")
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    checkpoint = os.path.join(folder, "checkpoint.npz")
    remaining = run.config.epochs - run.epoch
    print(f"training {run.config.model}: {len(run.images)} images, batch {run.config.batch_size}, "
          f"{run.iterations_per_epoch} iterations per epoch, epochs {run.epoch + 1}-{run.config.epochs}; "
          f"output in {folder}/")
    start = time.perf_counter()
    bar = tqdm(total=max(remaining, 0) * run.iterations_per_epoch, unit="it", disable=args.no_progress,
               desc=run.config.model)
    try:
        while run.epoch < run.config.epochs:
            means = run.train_epoch(bar)
            plots.save(plots.sample_grid(run.samples(), f"{run.config.model}, epoch {run.epoch}",
                                         columns=10 if run.conditional else None),
                       os.path.join(folder, "samples", f"epoch_{run.epoch:03d}.png"))
            plots.save(plots.gan_losses(run.trainer.history, run.iterations_per_epoch, run.config.model),
                       os.path.join(folder, "losses.png"))
            run.save(checkpoint)
            rates = (f", lr x{run.trainer.g_opt.lr / run.config.lr_g:.2f}"
                     if run.config.lr_decay else "")  # the decay's factor at the epoch's end
            bar.write(f"epoch {run.epoch}: D loss {means['d_loss']:.3f}, G loss {means['g_loss']:.3f}, "
                      f"D(x) {means['d_real']:.2f}, D(G(z)) {means['d_fake']:.2f}{rates}")
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted; the checkpoint of epoch {run.epoch} is intact: continue with "
              f"minigan train {run.config.model} --resume {folder}", file=sys.stderr)
        return 130
    except TrainingDiverged as err:
        bar.close()
        print(f"minigan train: {err}. The checkpoint of epoch {run.epoch} was kept.", file=sys.stderr)
        return 1
    bar.close()
    frames = sorted(f for f in os.listdir(os.path.join(folder, "samples")) if f.endswith(".png"))
    if frames:
        from PIL import Image

        grids = [np.asarray(Image.open(os.path.join(folder, "samples", f)).convert("L")) / 255.0
                 for f in frames]
        plots.save_gif(grids, os.path.join(folder, "samples.gif"))
    print(f"done in {time.perf_counter() - start:.1f} s; checkpoint, losses.png, samples/ and "
          f"samples.gif in {folder}/")
    return 0


def _cmd_sample(args) -> int:
    from . import plots
    from .experiments.mnist import MnistRun

    if args.n < 1:
        raise ValueError(f"--n must be a positive integer, got {args.n}")
    if args.digit is not None and not 0 <= args.digit <= 9:
        raise ValueError(f"--digit must be one of 0-9, got {args.digit}")
    run = MnistRun.load(args.checkpoint)
    z = np.random.default_rng(args.seed).standard_normal((args.n, run.latent_dim), dtype=np.float32)
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
    if args.checkpoint is None and not args.calibrate:
        raise ValueError("give a CHECKPOINT to evaluate, or --calibrate")
    run = MnistRun.load(args.checkpoint) if args.checkpoint else None  # fail fast on a bad path
    model = metrics.get_classifier(data_dir=args.data_dir)
    report = {"classifier_heldout_accuracy": metrics.accuracy(model, *load_mnist("heldout", args.data_dir))}
    if run is not None:
        reference, _ = metrics.classify(model, load_mnist("heldout", args.data_dir)[0][: args.n])
        z = np.random.default_rng(args.seed).standard_normal((args.n, run.latent_dim), dtype=np.float32)
        # a conditional model is asked for each digit equally often; the classifier then says
        # how often it drew the digit it was asked for
        labels = np.arange(args.n) % 10 if run.conditional else None
        report["checkpoint"] = {"path": args.checkpoint, "model": run.config.model, "epoch": run.epoch,
                                **metrics.evaluate_images(model, run.samples(z, labels=labels), reference,
                                                          labels)}
        if run.G_average is not None:  # the last iterate too: what averaging the weights buys
            report["last_iterate"] = metrics.evaluate_images(
                model, run.samples(z, averaged=False, labels=labels), reference, labels)
    if args.calibrate:
        report["calibration"] = metrics.calibration(model, args.n, args.seed, args.data_dir)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"quality classifier: {report['classifier_heldout_accuracy']:.2%} accuracy on the held-out split")
    rows = report.get("calibration", [])
    if "checkpoint" in report:
        c = report["checkpoint"]
        if "last_iterate" in report:
            rows = [*rows, {"images": f"{c['model']}, epoch {c['epoch']}, last iterate",
                            **report["last_iterate"]}]
        averaged = ", averaged weights" if "last_iterate" in report else ""
        rows = [*rows, {"images": f"{c['model']}, epoch {c['epoch']}{averaged}", **c}]
    print(f"{'images (against ' + str(args.n) + ' held-out real ones)':<46}{'Frechet':>9}{'digits':>8}"
          f"{'confidence':>12}")
    for r in rows:
        print(f"{r['images']:<46}{r['frechet_distance']:>9.2f}{r['digits_covered']:>8}"
              f"{r['mean_confidence']:>12.3f}")
    if "checkpoint" in report:
        shares = report["checkpoint"]["digit_shares"]
        print("predicted digits: " + "  ".join(f"{d}:{s:.0%}" for d, s in enumerate(shares)))
        if "label_agreement" in report["checkpoint"]:
            print(f"asked-for digit drawn (classifier agrees with the label): "
                  f"{report['checkpoint']['label_agreement']:.1%}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


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
    p.add_argument("--seed", type=int, default=0, help="seed for inputs and weights (0)")
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
    p.add_argument("--losses", default=",".join(d.losses),
                   help="comma-separated generator losses (saturating,non_saturating)")
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
                   help="few iterations, small matmul, no JIT measurement (for tests)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--load", action="store_true",
                   help="also time minigan with another process keeping one core busy, for each "
                        "BLAS thread policy (all cores, one, auto)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("train", help="train a GAN: the course's MNIST GANs, a conditional GAN, or the ring",
                       description="Train a GAN on MNIST with Adam (DCGAN settings by default). "
                                   "Every epoch writes a sample grid, the loss curves and a "
                                   "checkpoint; --resume continues exactly. MODEL ring trains "
                                   "on the 2-D ring of 8 Gaussians instead (--pack, --steps, "
                                   "--compare) and writes figures of its modes.")
    p.add_argument("model", metavar="MODEL",
                   help="mnist-mlp, mnist-conv, mnist-cgan (conditional) or ring (2-D, mode collapse)")
    p.add_argument("--epochs", type=int, default=None,
                   help="total epochs (100)")
    p.add_argument("--batch-size", type=int, default=64, help="batch size (64)")
    p.add_argument("--lr-g", type=float, default=2e-4, help="generator learning rate (2e-4)")
    p.add_argument("--lr-d", type=float, default=None,
                   help="discriminator learning rate (2e-4; 1e-4 for mnist-conv)")
    p.add_argument("--lr-decay", type=float, default=None,
                   help="last fraction of the run over which both learning rates fall linearly "
                        "to 0 (0: constant, for mnist-mlp and mnist-cgan; 0.5 for mnist-conv). "
                        "The schedule spans --epochs: resuming with a new --epochs moves it")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (0.5)")
    p.add_argument("--beta2", type=float, default=0.999, help="Adam beta2 (0.999)")
    p.add_argument("--loss", default="non_saturating", help="saturating or non_saturating")
    p.add_argument("--k", type=int, default=1, help="discriminator steps per iteration (1)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, data order and noise (0)")
    p.add_argument("--real-label", type=float, default=1.0,
                   help="D's target for real images; 0.9 is one-sided label smoothing (1.0)")
    p.add_argument("--d-dropout", type=float, default=None,
                   help="dropout rate in the discriminator (0.5 for mnist-mlp and mnist-cgan, 0.3 "
                        "for mnist-conv; 0 gives the course's MLP exactly)")
    p.add_argument("--average", type=float, default=0.999,
                   help="decay of the generator's weight average, which draws the samples "
                        "(0.999; 0: sample from the last iterate)")
    p.add_argument("--train-images", type=int, default=0,
                   help="use only the first N training images (0: all; for quick looks)")
    p.add_argument("--data-dir", help="a folder with the four standard MNIST IDX files")
    p.add_argument("--out", help="output folder (default: a fresh folder under runs/)")
    p.add_argument("--resume", metavar="RUN", help="a run folder or checkpoint.npz to continue")
    p.add_argument("--pack", type=int, default=1,
                   help="ring: samples the discriminator judges at once (PacGAN; 1: vanilla)")
    p.add_argument("--steps", type=int, default=None, help="ring: GAN iterations")
    p.add_argument("--compare", action="store_true",
                   help="ring: also train the vanilla GAN (pack 1), same seed, side by side")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
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
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (0)")
    p.add_argument("--out", default="grid.png", help="output PNG (grid.png)")
    p.add_argument("--digit", type=int, default=None,
                   help="draw only this digit, 0-9 (mnist-cgan; default: 0-9 in columns)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("evaluate", help="measure the quality of a checkpoint's samples",
                       description="Frechet distance between a digit classifier's features of "
                                   "generated and held-out real images, digit coverage and mean "
                                   "confidence; --calibrate prints the reference table.")
    p.add_argument("checkpoint", metavar="CHECKPOINT", nargs="?", help="a checkpoint.npz")
    p.add_argument("--n", type=int, default=2000, help="samples to compare (2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (0)")
    p.add_argument("--calibrate", action="store_true",
                   help="also measure real, noisy-real and untrained-generator images")
    p.add_argument("--data-dir", help="a folder with the four standard MNIST IDX files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FloatingPointError, OSError) as err:
        print(f"minigan {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
