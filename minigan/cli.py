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
