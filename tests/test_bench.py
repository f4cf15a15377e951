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
                + (2 * n_dense_D)               # D backward with dx (it flows into G)
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
