"""`minigan bench`: how fast is one GAN iteration, against BLAS alone and against PyTorch.

One iteration is Algorithm 1 with k = 1 as `minigan.gan.GANTrainer` runs it: a discriminator
step on a real and a fake batch, then a generator step with the non-saturating loss; Adam
(lr 2e-4, betas (0.5, 0.999)); float32. In one run, on the same machine and threads:

- minigan with each kernel backend (numpy: the reference layers; numba; numba-matmul);
- the "GEMM floor": the very matrix products minigan computes in an iteration (recorded, then
  replayed through BLAS on arrays of the same shapes and layouts), i.e. what an iteration
  would cost if everything except the products were free;
- PyTorch (if importable), the same models with the same weights, as a plain training loop,
  checked once to give the same losses from the same weights and inputs.

Each contender is timed in its own fresh process (see time_iteration for why; ``--quick``
shares one between minigan's contenders), as the median of its iterations after a warm-up;
the ratios between them are what to read (figures measured on the reference machines are in
docs/benchmarks.md).
Also measured: the first iteration in a fresh process with an empty Numba cache and with a
warm one (the JIT cost), and the teaching matmul against BLAS at 1024 x 1024 x 1024.

Options: ``rounds`` repeats the whole sequence of contenders and takes each ratio within a
round (a shared machine's speed drifts over minutes); ``profile`` splits one iteration into
exclusive times per layer type, matrix products, im2col/col2im and optimizers
(``profile_iteration``); ``load`` times minigan again beside a busy process, for each BLAS
thread policy (``load_comparison``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from ..gan import GANTrainer
from ..kernels import backend, tune_process
from ..kernels.matmul import blocked_matmul, record_products
from ..optim import Adam

MODELS = ("mlp", "conv")
BACKENDS = ("numba", "numpy", "numba-matmul")
# the references minigan's backends are measured against, and their keys in a result
RATIO_KEYS = {"gemm_floor": "ratio_to_gemm_floor", "pytorch": "ratio_to_pytorch"}


def build_models(model: str, seed: int = 0):
    """(G, D, latent_dim) for a named architecture, float32."""
    from .. import models

    if model == "mlp":
        return models.mlp_generator(seed=seed), models.mlp_discriminator(seed=seed + 1), models.LATENT_DIM
    if model == "conv":
        return models.conv_generator(seed=seed), models.conv_discriminator(seed=seed + 1), models.LATENT_DIM
    raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")


def make_trainer(model: str, batch: int, seed: int = 0) -> GANTrainer:
    G, D, latent = build_models(model, seed)
    real = np.tanh(np.random.default_rng(seed).standard_normal((batch, *D.input_shape))).astype(np.float32)
    betas = (0.5, 0.999)
    return GANTrainer(G, D, Adam(G.parameters(), 2e-4, betas), Adam(D.parameters(), 2e-4, betas),
                      sample_data=lambda n, rng: real,
                      sample_noise=lambda n, rng: rng.standard_normal((n, latent), dtype=np.float32),
                      loss="non_saturating", k=1, batch_size=batch, rng=seed, guard=False)


def _gemm_floor(products):
    """A function that computes the recorded products alone, through BLAS, on arrays of the
    same shapes, dtypes and memory layouts (a transposed view stays a transposed view)."""
    rng = np.random.default_rng(0)
    operands = []
    for a_shape, a_strides, b_shape, b_strides, dtype in products:
        pair = []
        for shape, strides in ((a_shape, a_strides), (b_shape, b_strides)):
            base = rng.standard_normal(shape).astype(dtype)
            if strides[0] < strides[-1]:  # recorded as a transposed (column-major) view
                base = np.asfortranarray(base)
            pair.append(base)
        operands.append(pair)

    def run():
        for a, b in operands:
            np.dot(a, b)

    return run


def _median_ms(times) -> float:
    return float(np.median(times) * 1e3)


def time_contender(model: str, batch: int, contender: str, iterations: int, warmup: int,
                   threads: int, blas_threads: str | int | None = None) -> dict:
    """Time one contender in *this* process: {"times": [...], "products": n, "check": ...}.

    ``blas_threads``: None leaves BLAS alone; "auto" or a number applies that
    minigan.kernels.threads.ThreadPolicy first (as the training commands do)."""
    check, n_products, chosen = None, None, None
    if contender in ("numba", "numba-matmul", "gemm_floor"):
        # as the commands run a fast backend (kernels.command_backend): freed memory is kept
        # for reuse (the floor too: it replays the products of such a process). Without it
        # the conv GAN took about 8,700 page faults an iteration (against 7) and its col2im
        # half as long again.
        tune_process()
    if blas_threads is not None:
        from ..kernels.threads import ThreadPolicy

        chosen = ThreadPolicy(blas_threads).start()
    if contender == "pytorch":
        from . import torch_reference

        trainer = make_trainer(model, batch)
        torch_gan = torch_reference.TorchGAN(trainer.G, trainer.D, trainer.sample_data(batch, None),
                                             latent_dim=trainer.G.input_shape[0], threads=threads)
        check = _check_same_losses(trainer, torch_gan)
        fn, kernels = torch_gan.step, "numpy"
    elif contender == "gemm_floor":
        # recorded through the fast layers' matmul (the reference layers write x @ W directly)
        with record_products() as products, backend("numba"):
            make_trainer(model, batch).step()
        fn, kernels, n_products = _gemm_floor(products), "numpy", len(products)
    else:
        fn, kernels = make_trainer(model, batch).step, contender
    times = []
    with backend(kernels):
        for _ in range(warmup):  # JIT compilation and first-touch costs
            fn()
        for _ in range(iterations):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return {"times": times, "products": n_products, "check": check, "blas_threads": chosen}


def _in_fresh_process(call: str, env: dict | None = None):
    """Run ``minigan.experiments.bench.<call>`` in a new Python process; return its JSON."""
    code = f"import json; from minigan.experiments import bench; print(json.dumps(bench.{call}))"
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, **(env or {})},
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"benchmark worker failed: {run.stderr.strip().splitlines()[-1]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def time_contenders(model: str, batch: int, contenders: list[str], iterations: int, warmup: int,
                    threads: int) -> dict:
    """time_contender for each of ``contenders``, one after the other, in this process."""
    return {c: time_contender(model, batch, c, iterations, warmup, threads) for c in contenders}


def time_iteration(model: str, batch: int, iterations: int = 9, warmup: int = 3,
                   with_torch: bool = True, threads: int | None = None, shared: bool = False,
                   rounds: int = 1) -> dict:
    """Time every contender for one (model, batch).

    Each contender runs in its own fresh process, one after the other. Sharing a process
    makes the libraries' thread pools fight: OpenBLAS's and PyTorch's OpenMP threads keep
    spinning for a while after each call, and when the two alternate every few milliseconds
    each finds the cores busy with the other's idle spinning (measured here: both ran 2-3x
    slower than alone). ``shared=True`` (``--quick``) saves the start-up of three processes:
    minigan's own contenders share one, the teaching kernel's Numba threads last; PyTorch
    keeps its own.

    ``rounds`` > 1 runs the whole sequence of contenders that many times. On a shared machine
    the speed drifts over minutes, so a ratio is taken within each round (its contenders ran
    close together in time) and the median of those ratios is reported, with their range;
    each contender's time is the median over the rounds.
    """
    threads = threads or os.cpu_count() or 1
    contenders = ["numba", "numpy", "gemm_floor", "numba-matmul"]  # BACKENDS and the floor
    call = f"{{}}({model!r}, {batch}, {{!r}}, {iterations}, {warmup}, {threads})"
    torch_too = False
    if with_torch:
        from . import torch_reference

        torch_too = torch_reference.available()
    per_round = []  # {contender: median ms} for each round
    for _ in range(rounds):
        if shared:
            runs = _in_fresh_process(call.format("time_contenders", contenders))
        else:
            runs = {c: _in_fresh_process(call.format("time_contender", c)) for c in contenders}
        if torch_too:
            runs["pytorch"] = _in_fresh_process(call.format("time_contender", "pytorch"))
        per_round.append({name: _median_ms(r["times"]) for name, r in runs.items()})
    ms = {name: float(np.median([r[name] for r in per_round])) for name in per_round[0]}

    result = {"model": model, "batch": batch, "threads": threads, "iterations": iterations,
              "rounds": rounds, "median_ms": ms,
              "iterations_per_second": {k: 1e3 / v for k, v in ms.items()},
              "matrix_products_per_iteration": runs["gemm_floor"]["products"]}
    for reference, key in RATIO_KEYS.items():
        if reference in ms:
            per = {k: [r[k] / r[reference] for r in per_round] for k in BACKENDS}
            result[key] = {k: float(np.median(v)) for k, v in per.items()}
            result[key + "_per_round"] = per
    if torch_too:
        result["pytorch_check"] = runs["pytorch"]["check"]
    return result


@contextlib.contextmanager
def competing_process(max_seconds: float = 900.0):
    """Another program that keeps one core busy (a Python busy loop) while the block runs:
    the loaded machine a user's laptop is. It stops by itself after ``max_seconds`` at most."""
    code = f"import time\nend = time.monotonic() + {max_seconds}\nwhile time.monotonic() < end:\n    pass"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(0.3)  # let it start spinning before anything is measured
        yield proc
    finally:
        proc.kill()
        proc.wait()


THREAD_POLICIES = ("all", 1, "auto")


def load_comparison(model: str, batch: int, iterations: int = 9, warmup: int = 3) -> dict:
    """minigan's default backend on an idle machine and with a competing busy process, for
    each BLAS thread policy: every core (BLAS's own default), one thread, and "auto" (the
    policy the training commands use, minigan.kernels.threads). Each in a fresh process."""
    cores = os.cpu_count() or 1
    ms, threads = {}, {}
    for policy in THREAD_POLICIES:
        setting = cores if policy == "all" else policy
        call = f"time_contender({model!r}, {batch}, 'numba', {iterations}, {warmup}, {cores}, {setting!r})"
        idle = _in_fresh_process(call)
        with competing_process():
            loaded = _in_fresh_process(call)
        ms[str(policy)] = {"idle": _median_ms(idle["times"]), "loaded": _median_ms(loaded["times"])}
        threads[str(policy)] = {"idle": idle["blas_threads"], "loaded": loaded["blas_threads"]}
    best_idle = min(v["idle"] for v in ms.values())
    return {"model": model, "batch": batch, "cores": cores, "iterations": iterations,
            "median_ms": ms, "blas_threads": threads,
            "loaded_over_idle": {k: v["loaded"] / v["idle"] for k, v in ms.items()},
            "loaded_over_best_idle": {k: v["loaded"] / best_idle for k, v in ms.items()}}


def format_load(result: dict) -> str:
    lines = [f"{result['model']} GAN, batch {result['batch']}, minigan numba, with and without another "
             f"process keeping one of {result['cores']} cores busy (median of {result['iterations']})",
             f"  {'BLAS threads':<16}{'idle ms':>9}{'loaded ms':>11}{'loaded/idle':>13}{'/ best idle':>13}"]
    for policy, t in result["median_ms"].items():
        label = {"all": f"{result['cores']} (all cores)", "1": "1", "auto": "auto (minigan)"}[policy]
        if policy == "auto" and "blas_threads" in result:  # what it chose, idle -> loaded
            label = "auto: {idle} -> {loaded}".format(**result["blas_threads"]["auto"])
        lines.append(f"  {label:<16}{t['idle']:>9.2f}{t['loaded']:>11.2f}"
                     f"{result['loaded_over_idle'][policy]:>13.2f}{result['loaded_over_best_idle'][policy]:>13.2f}")
    return "\n".join(lines)


def _check_same_losses(trainer: GANTrainer, torch_gan) -> dict:
    """Both frameworks, same weights, same data and noise: the same D and G losses?"""
    from ..losses import bce_with_logits

    batch = trainer.batch_size
    rng = np.random.default_rng(123)
    x = trainer.sample_data(batch, rng)
    z = rng.standard_normal((batch, trainer.G.input_shape[0])).astype(np.float32)
    fake = trainer.G.predict(z, training=True)
    real_logits = trainer.D.predict(x, training=False)  # D without dropout, as on the torch side
    fake_logits = trainer.D.predict(fake, training=False)
    d_loss = bce_with_logits(real_logits, 1.0)[0] + bce_with_logits(fake_logits, 0.0)[0]
    g_loss = bce_with_logits(fake_logits, 1.0)[0]
    t_d, t_g = torch_gan.losses(x, z)
    worst = max(abs(d_loss - t_d) / abs(t_d), abs(g_loss - t_g) / abs(t_g))
    return {"minigan": [d_loss, g_loss], "pytorch": [t_d, t_g], "max_rel_difference": worst,
            "same": bool(worst < 1e-4)}


def first_iteration_seconds(model: str, batch: int) -> float:
    """Build the models and run one iteration in this process; seconds for the iteration
    (Numba compiles, or loads from its cache, every kernel the iteration uses)."""
    trainer = make_trainer(model, batch)
    start = time.perf_counter()
    trainer.step()
    return time.perf_counter() - start


def jit_cost(model: str, batch: int) -> dict:
    """First iteration in a fresh process with an empty Numba cache, then with a warm one."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache, "MINIGAN_KERNELS": "numba"}
        for label in ("empty_cache_s", "warm_cache_s"):
            out[label] = _in_fresh_process(f"first_iteration_seconds({model!r}, {batch})", env)
    return out


def matmul_seconds(which: str, n: int, repeats: int) -> list[float]:
    """Times of an n x n x n float32 product by "blas" or by the "teaching" kernel."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(np.float32)
    B = rng.standard_normal((n, n)).astype(np.float32)
    fn = (lambda: A @ B) if which == "blas" else (lambda: blocked_matmul(A, B))
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def matmul_seconds_each(n: int, repeats: int) -> dict:
    """matmul_seconds of BLAS, then of the teaching kernel, in this process."""
    return {which: matmul_seconds(which, n, repeats) for which in ("blas", "teaching")}


def matmul_speed(n: int = 1024, repeats: int = 5, shared: bool = False) -> dict:
    """GFLOP/s of BLAS and of the teaching kernel, each in a fresh process (BLAS's threads and
    Numba's would otherwise compete for the cores); with ``shared`` (``--quick``) in one,
    BLAS first."""
    gflops = {}
    if shared:
        times = _in_fresh_process(f"matmul_seconds_each({n}, {repeats})")
    else:
        times = {w: _in_fresh_process(f"matmul_seconds({w!r}, {n}, {repeats})") for w in ("blas", "teaching")}
    for which in ("blas", "teaching"):
        gflops[which] = 2 * n ** 3 / float(np.median(times[which])) / 1e9
    return {"n": n, "gflops": gflops, "teaching_fraction_of_blas": gflops["teaching"] / gflops["blas"]}


def run(models=("mlp",), batches=(64, 128), quick: bool = False, with_torch: bool = True,
        progress=None, load: bool = False, profile: bool = False, rounds: int = 1) -> dict:
    for m in models:
        if m not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {m!r}")
    for b in batches:
        if not (isinstance(b, int) and b >= 2):
            raise ValueError(f"batch sizes must be integers >= 2 (BatchNorm needs two), got {b!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"--rounds must be a positive integer, got {rounds!r}")
    iterations, warmup = (3, 1) if quick else (9, 3)
    report = {"quick": quick, "cpu_count": os.cpu_count(), "numpy": np.__version__, "results": []}
    if with_torch:
        from . import torch_reference

        if torch_reference.available():
            import torch

            report["pytorch"] = torch.__version__

    def each(what, measure):
        """measure(model, batch) for every model and batch, saying what it does first."""
        out = []
        for m in models:
            for b in batches:
                if progress:
                    progress(f"{m} GAN, batch {b}: {what}")
                out.append(measure(m, b))
        return out

    report["results"] = each("timing", lambda m, b: time_iteration(m, b, iterations, warmup, with_torch,
                                                                   shared=quick, rounds=rounds))
    if progress:
        progress("teaching matmul vs BLAS")
    report["matmul"] = matmul_speed(256 if quick else 1024, 3 if quick else 5, shared=quick)
    if profile:
        report["profile"] = each("where the time goes", lambda m, b: _in_fresh_process(
            f"profile_iteration({m!r}, {b}, {iterations}, {warmup})"))
    if load:
        report["load"] = each("idle and with a competing busy process",
                              lambda m, b: load_comparison(m, b, iterations, warmup))
    if not quick:
        if progress:
            progress("JIT cost (fresh processes, empty and warm Numba cache)")
        report["jit"] = jit_cost(models[0], batches[0])
    return report


def _ratio_text(result: dict, reference: str, name: str) -> str:
    """A contender's time over the reference's: the reported (per-round median) ratio, with
    the range over the rounds when there were several."""
    ms = result["median_ms"]
    if name == reference:
        return "1.00"
    if name not in BACKENDS:  # the floor against PyTorch, or PyTorch against the floor
        return f"{ms[name] / ms[reference]:.2f}"
    key = RATIO_KEYS[reference]
    text = f"{result[key][name]:.2f}"
    spread = result.get(key + "_per_round", {}).get(name, [])
    if len(spread) > 1:
        text += f" ({min(spread):.2f}-{max(spread):.2f})"
    return text


def format_report(report: dict) -> str:
    lines = []
    for r in report["results"]:
        ms = r["median_ms"]
        rounds = r.get("rounds", 1)
        over = f", median of {rounds} rounds" if rounds > 1 else ""
        lines.append(f"{r['model']} GAN, batch {r['batch']}: one iteration (D step on real + fake, "
                     f"G step), Adam, float32, {r['threads']} threads, median of {r['iterations']}{over}")
        w = 20 if rounds > 1 else 11  # room for "(low-high)" after each ratio
        lines.append(f"  {'':<20}{'ms':>9}{'it/s':>9}{'x floor':>{w}}{'x PyTorch':>{w}}")
        for name in (*BACKENDS, "gemm_floor", "pytorch"):
            if name not in ms:
                continue
            floor = _ratio_text(r, "gemm_floor", name)
            torch_ratio = _ratio_text(r, "pytorch", name) if "pytorch" in ms else "-"
            label = {"gemm_floor": "GEMM floor", "pytorch": "PyTorch"}.get(name, f"minigan {name}")
            lines.append(f"  {label:<20}{ms[name]:>9.2f}{1e3 / ms[name]:>9.1f}{floor:>{w}}{torch_ratio:>{w}}")
        check = r.get("pytorch_check")
        if check:
            lines.append(f"  same losses as PyTorch from the same weights: {check['same']} "
                         f"(max rel. difference {check['max_rel_difference']:.1e})")
        lines.append("")
    mm = report["matmul"]
    lines.append(f"teaching matmul {mm['n']}^3 float32: {mm['gflops']['teaching']:.1f} GFLOP/s, "
                 f"BLAS {mm['gflops']['blas']:.1f} GFLOP/s ({mm['teaching_fraction_of_blas']:.0%} of BLAS)")
    for result in report.get("profile", []):
        lines += ["", format_profile(result)]
    for result in report.get("load", []):
        lines += ["", format_load(result)]
    if "jit" in report:
        j = report["jit"]
        lines.append(f"first iteration in a fresh process: {j['empty_cache_s']:.2f} s with an empty "
                     f"Numba cache, {j['warm_cache_s']:.2f} s with a warm one")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the profile

class _ExclusiveClock:
    """Adds up, per label, the time spent inside wrapped functions *minus* the time of the
    wrapped functions they call: a Dense backward's own time excludes its two products, which
    are counted as "matrix products". What no wrapper covers is the rest of the iteration."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._children: list[float] = []  # time of timed calls nested in each open call

    def wrap(self, fn, label_of):
        def timed(*args, **kwargs):
            self._children.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                label = label_of(*args)
                self.seconds[label] = self.seconds.get(label, 0.0) + spent - self._children.pop()
                if self._children:
                    self._children[-1] += spent
        return timed


@contextlib.contextmanager
def _timed_everywhere(clock: _ExclusiveClock):
    """Replace, for the block, the functions one iteration spends its time in by timed ones:
    the fast layers' matrix products, im2col/col2im, every layer's forward and backward (by
    class) and every optimizer step."""
    from ..kernels import bindings, conv
    from ..layers.base import Layer
    from ..optim import Optimizer

    patches = [(bindings, "matmul", lambda *a: "matrix products"),
               (conv, "im2col", lambda *a: "im2col"),
               (conv, "col2im", lambda *a: "col2im"),
               (Layer, "forward", lambda layer, *a: f"{type(layer).__name__} forward"),
               (Layer, "backward", lambda layer, *a: f"{type(layer).__name__} backward"),
               (Optimizer, "step", lambda opt, *a: f"{type(opt).__name__} step")]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, label_of in patches:
            setattr(owner, name, clock.wrap(getattr(owner, name), label_of))
        yield
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)


def profile_iteration(model: str, batch: int, iterations: int = 9, warmup: int = 3) -> dict:
    """Where the time of one iteration goes, on the numba backend, in *this* process.

    Returns {"total_ms", "ms": {label: ms per iteration}}, the labels being "matrix products",
    "im2col", "col2im", "<Layer> forward/backward" (each without the products and im2col/col2im
    it calls), "Adam step" (both players' optimizers) and "rest" (losses, sampling, the
    trainer's and Sequential's Python). The timers cost well under a microsecond a call, a
    few hundred calls an iteration; the products are the same calls the GEMM floor replays."""
    tune_process()  # as time_contender does for the fast backends
    trainer = make_trainer(model, batch)
    clock = _ExclusiveClock()
    with backend("numba"):
        for _ in range(warmup):
            trainer.step()
        with _timed_everywhere(clock):
            start = time.perf_counter()
            for _ in range(iterations):
                trainer.step()
            total = time.perf_counter() - start
    ms = {label: s * 1e3 / iterations for label, s in sorted(clock.seconds.items(), key=lambda kv: -kv[1])}
    ms["rest"] = total * 1e3 / iterations - sum(ms.values())
    return {"model": model, "batch": batch, "iterations": iterations,
            "total_ms": total * 1e3 / iterations, "ms": ms}


def format_profile(result: dict) -> str:
    lines = [f"{result['model']} GAN, batch {result['batch']}: where an iteration's "
             f"{result['total_ms']:.2f} ms go (numba backend, mean of {result['iterations']})",
             f"  {'':<28}{'ms':>9}{'share':>8}"]
    for label, ms in result["ms"].items():
        lines.append(f"  {label:<28}{ms:>9.2f}{ms / result['total_ms']:>8.0%}")
    return "\n".join(lines)
