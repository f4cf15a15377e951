"""`minigan bench` in quick mode: its JSON schema, its GEMM-floor bookkeeping, its errors.
(Timings themselves are never asserted: they belong to the benchmark, not to tests.)"""

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.experiments.bench import _gemm_floor, make_trainer
from minigan.kernels import backend
from minigan.kernels.matmul import record_products


@pytest.mark.slow
def test_quick_json_schema(capsys):
    assert main(["bench", "--quick", "--json", "--batch", "8", "--no-torch"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["quick"] is True and set(report) >= {"results", "matmul", "cpu_count", "numpy"}
    (result,) = report["results"]
    assert result["model"] == "mlp" and result["batch"] == 8
    for key in ("median_ms", "iterations_per_second"):
        assert set(result[key]) == {"numba", "numpy", "numba-matmul", "gemm_floor"}
        assert all(v > 0 for v in result[key].values())
    assert set(result["ratio_to_gemm_floor"]) == {"numba", "numpy", "numba-matmul"}
    assert result["matrix_products_per_iteration"] > 0
    mm = report["matmul"]
    assert set(mm["gflops"]) == {"blas", "teaching"} and mm["teaching_fraction_of_blas"] > 0


def test_the_floor_replays_every_product_of_an_iteration():
    """One MLP iteration: D step (G forward; D forward+backward on real and fake, without
    the input gradient) and G step (G and D forward+backward, without dL/dz)."""
    with record_products() as products, backend("numba"):  # the fast layers record
        make_trainer("mlp", 16).step()
    n_dense_G, n_dense_D = 4, 4
    expected = (n_dense_G                       # G forward for the fake batch
                + 2 * (n_dense_D + 2 * n_dense_D - 1)   # D fwd + bwd (dW, dx but the first) x2
                + n_dense_G + n_dense_D         # G step forwards
                + n_dense_D                     # D backward: dx only (it flows into G; D's dW is not needed)
                + (2 * n_dense_G - 1))          # G backward without dL/dz
    assert len(products) == expected
    replay = _gemm_floor(products)
    replay()  # runs: shapes and layouts are consistent
    transposed = [p for p in products if p[1][0] < p[1][-1]]
    assert transposed, "x.T @ dout products are recorded as transposed views"


@pytest.mark.parametrize("args, message", [
    (["--model", "resnet"], "model must be one of mlp, conv, got 'resnet'"),
    (["--batch", "0"], "batch sizes must be integers >= 2 (BatchNorm needs two), got 0"),
    (["--batch", "64,x"], "--batch must be comma-separated integers, got '64,x'"),
    (["--rounds", "0"], "--rounds must be a positive integer, got 0"),
])
def test_bad_arguments_are_one_line(args, message, capsys):
    assert main(["bench", "--quick", "--no-torch", *args]) == 2
    assert capsys.readouterr().err.strip() == f"minigan bench: error: {message}"


def test_trainer_for_bench_is_float32():
    trainer = make_trainer("mlp", 4)
    assert all(p.value.dtype == np.float32 for p in trainer.G.parameters())
    assert trainer.sample_noise(4, np.random.default_rng(0)).dtype == np.float32


@pytest.mark.parametrize("shared, processes", [(False, 4), (True, 1)])
def test_each_contender_in_its_own_process_unless_quick(shared, processes, monkeypatch):
    """The calls sent to fresh processes, evaluated here instead: one per contender, or (quick)
    one for all of minigan's; the result has the same keys either way."""
    from minigan.experiments import bench

    calls = []

    def in_this_process(call, env=None):
        calls.append(call)
        return json.loads(json.dumps(eval(f"bench.{call}", {"bench": bench})))  # as JSON brings it back

    monkeypatch.setattr(bench, "_in_fresh_process", in_this_process)
    result = bench.time_iteration("mlp", 4, iterations=1, warmup=0, with_torch=False, shared=shared)
    assert len(calls) == processes
    assert set(result["median_ms"]) == {"numba", "numpy", "numba-matmul", "gemm_floor"}
    speed = bench.matmul_speed(16, 1, shared=shared)
    assert len(calls) == processes + (1 if shared else 2) and speed["gflops"]["teaching"] > 0


def test_the_profile_counts_nested_time_once(monkeypatch):
    """Exclusive time: the outer call's own share excludes the inner call, and the shares add
    up to the outer call's whole duration (a fake clock that ticks once per reading)."""
    from minigan.experiments import bench

    ticks = iter(range(100))
    monkeypatch.setattr(bench.time, "perf_counter", lambda: float(next(ticks)))
    clock = bench._ExclusiveClock()
    inner = clock.wrap(lambda: None, lambda: "inner")
    outer = clock.wrap(lambda: (inner(), inner()), lambda: "outer")
    outer()  # readings: outer 0, inner 1-2, inner 3-4, outer 5
    assert clock.seconds == {"inner": 2.0, "outer": 3.0}


@pytest.mark.parametrize("model, expected", [
    ("mlp", {"Dense forward", "Dense backward", "BatchNorm forward", "LeakyReLU backward"}),
    ("conv", {"im2col", "col2im", "Conv2D forward", "ConvTranspose2D backward"}),
])
def test_profile_of_an_iteration(model, expected):
    from minigan.experiments import bench
    from minigan.layers.base import Layer

    forward = Layer.forward
    result = bench.profile_iteration(model, 4, iterations=1, warmup=1)
    assert Layer.forward is forward  # the timers are gone afterwards
    ms = result["ms"]
    assert set(ms) >= expected | {"matrix products", "Adam step", "rest"}
    assert all(v > 0 for k, v in ms.items() if k != "rest")
    assert sum(ms.values()) == pytest.approx(result["total_ms"], rel=1e-9)
    assert "matrix products" in bench.format_profile(result)


@pytest.mark.parametrize("contender, tuned", [("numba", True), ("gemm_floor", True), ("numpy", False)])
def test_fast_contenders_run_in_a_tuned_process_as_the_commands_do(contender, tuned, monkeypatch):
    """`minigan train` keeps freed memory for reuse (kernels.tune_process); the benchmark's
    workers must too, or they time page faults the commands never take."""
    from minigan.experiments import bench

    calls = []
    monkeypatch.setattr(bench, "tune_process", lambda: calls.append(1))
    bench.time_contender("mlp", 4, contender, iterations=1, warmup=0, threads=1)
    assert bool(calls) is tuned


def test_rounds_take_each_ratio_within_its_round(monkeypatch):
    """The machine's speed drifts between rounds: round 1 runs at one speed (numba 10 ms,
    floor 5 ms), round 2 three times slower for numba and twice for the floor. The reported
    ratio is the median of the per-round ratios (2 and 3), not the ratio of the medians."""
    from minigan.experiments import bench

    times = iter([{"numba": 10, "numpy": 40, "gemm_floor": 5, "numba-matmul": 20},
                  {"numba": 30, "numpy": 80, "gemm_floor": 10, "numba-matmul": 40}])
    current = {}

    def fake(call, env=None):
        if "'numba'" in call:  # the first contender of a round starts the next round
            current.update(next(times))
        name = call.split("'")[-2]
        return {"times": [current[name] / 1e3], "products": 3, "check": None}

    monkeypatch.setattr(bench, "_in_fresh_process", fake)
    result = bench.time_iteration("mlp", 4, with_torch=False, rounds=2)
    assert result["ratio_to_gemm_floor_per_round"]["numba"] == [2.0, 3.0]
    assert result["ratio_to_gemm_floor"]["numba"] == 2.5
    assert result["median_ms"]["numba"] == 20.0 and result["median_ms"]["gemm_floor"] == 7.5
    report = {"results": [result], "matmul": {"n": 8, "gflops": {"blas": 2.0, "teaching": 1.0},
                                              "teaching_fraction_of_blas": 0.5}}
    assert "2.50 (2.00-3.00)" in bench.format_report(report)
