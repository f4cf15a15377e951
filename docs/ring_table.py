"""Measure the README's ring table: every objective of `minigan train ring --loss`, seeds 0-4.

    python docs/ring_table.py            # trains what docs/ring_objectives.json lacks, then
                                         # redraws docs/ring_objectives.png

Each run is exactly `minigan train ring --loss LOSS [--pack 2] --seed SEED` (minigan's small
setup, 4,000 iterations, the command's Numba kernels, one BLAS thread), summarised by
experiments.ring.summarise, plus its series of modes covered and high-quality shares at every
snapshot (so the window of any summary can be recomputed). The file is rewritten atomically
after every run, so the script can be stopped and started again: it skips the runs it has.
Cheap objectives come first for every seed, WGAN-GP and the exact unrolled GAN (5-10 times
dearer per iteration) last.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
TABLE = DOCS / "ring_objectives.json"
FIGURE = DOCS / "ring_objectives.png"
SEEDS = range(5)
ROWS = [("vanilla", 1), ("vanilla", 2), ("lsgan", 1), ("hinge", 1), ("wgan_clip", 1), ("unrolled_approx", 1),
        ("unrolled_adam", 1), ("wgan_gp", 1), ("unrolled_exact", 1)]
DEAR = {"wgan_gp", "unrolled_exact"}


def main() -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
    from minigan import plots
    from minigan.experiments import ring
    from minigan.files import atomic_write_text
    from minigan.kernels import command_backend

    rows = json.loads(TABLE.read_text())["runs"] if TABLE.exists() else []

    def save() -> None:  # after every run, so that a stopped script loses at most one
        table = {"what": "minigan train ring --loss LOSS [--pack 2] --seed SEED, small setup, 4,000 "
                         "iterations; summaries over the last 5 snapshots (iterations 3,600-4,000)",
                 "runs": rows}
        atomic_write_text(TABLE, json.dumps(table, indent=1) + "\n")

    done = {(r["loss"], r["pack"], r["seed"]) for r in rows}
    order = ([(s, lp) for s in SEEDS for lp in ROWS if lp[0] not in DEAR]
             + [(s, lp) for s in SEEDS for lp in ROWS if lp[0] in DEAR])
    with command_backend():
        for seed, (loss, pack) in order:
            if (loss, pack, seed) in done:
                continue
            print(f"seed {seed}, {loss}, pack {pack} ...", file=sys.stderr, flush=True)
            start = time.time()
            run = ring.train_ring(ring.RingConfig(loss=loss, pack=pack, seed=seed, steps=4000))
            row = ring.summarise(run)
            row["wall_seconds"] = time.time() - start
            row["modes_covered"] = [int(v) for v in run["coverage"]["modes_covered"]]
            row["high_quality"] = [float(v) for v in run["coverage"]["high_quality"]]
            rows.append(row)
            save()
    fig = plots.ring_objectives(rows, "the ring, minigan's small setup, 4,000 iterations; seeds as dots",
                                published=ring.PUBLISHED_RING_ROWS)
    plots.save(fig, FIGURE)
    for t in ring.over_seeds(rows):
        print(f"{t['loss']:<16}{t['pack']:>3}  seeds {len(t['seeds'])}  modes {t['modes_mean']:.1f} ± "
              f"{t['modes_std']:.1f}  high quality {100 * t['high_quality_mean']:.0f} ± "
              f"{100 * t['high_quality_std']:.0f}%  {t['ms_per_iteration']:.0f} ms/it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
