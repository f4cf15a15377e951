"""The `minigan` command: a thin argparse layer over the library and experiments."""

from __future__ import annotations

import argparse
import json
import sys


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
                       progress=progress)
    print(json.dumps(report, indent=2) if args.json else bench.format_report(report))
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
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_bench)
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
