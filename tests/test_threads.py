"""The BLAS thread policy: all cores when idle, one per core left free when others are busy,
the user's own setting respected, and the load measured from /proc/stat."""

import subprocess
import sys

import pytest

from minigan.kernels import threads


@pytest.mark.parametrize("busy, cores, expected", [
    (None, 2, 2),    # unknown load counts as idle
    (0.0, 2, 2),
    (0.3, 2, 2),     # an idling editor or shell does not take a core
    (0.5, 2, 1),
    (1.0, 2, 1),
    (1.9, 2, 1),     # never fewer than one thread
    (1.0, 8, 7),
    (2.6, 8, 5),
])
def test_choose_blas_threads_keeps_a_core_per_busy_core(busy, cores, expected):
    assert threads.choose_blas_threads(busy, cores) == expected


def test_policy_rejects_a_bad_mode():
    with pytest.raises(ValueError, match="threads must be 'auto' or a positive integer, got 0"):
        threads.ThreadPolicy(0)


# Each case runs in a fresh process: the policy changes the process's BLAS thread pool.
SCRIPT = """
import sys, numpy, threadpoolctl
from minigan.kernels.threads import ThreadPolicy
policy = ThreadPolicy(sys.argv[1] if sys.argv[1] == 'auto' else int(sys.argv[1]))
result = policy.update(float(sys.argv[2]))
blas = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']
print(result, blas[0], policy.describe())
"""


def _run(mode, busy, **env):
    import os

    environment = {k: v for k, v in os.environ.items() if k not in threads.USER_VARIABLES}
    environment.update(env)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(mode), str(busy)], env=environment,
                         capture_output=True, text=True, check=True)
    return out.stdout.split(maxsplit=2)


def test_auto_policy_sets_blas_to_one_thread_on_a_busy_machine():
    result, blas, text = _run("auto", 1.0)
    assert (result, blas) == ("1", "1")
    assert text.startswith("BLAS threads: 1 of")


def test_user_thread_variable_is_kept():
    result, blas, text = _run("auto", 1.0, OPENBLAS_NUM_THREADS="2")
    assert result == "None"
    assert int(blas) == min(2, threads.available_cores())
    assert "as set by OPENBLAS_NUM_THREADS=2" in text


def test_load_meter_sees_a_busy_process():
    """A busy loop in another process counts as (about) one busy core."""
    from minigan.experiments.bench import competing_process

    with competing_process(max_seconds=10):
        busy = threads.busy_cores(0.5)
    if busy is None:  # no /proc/stat (not Linux): the policy then treats the load as unknown
        assert not sys.platform.startswith("linux")
        return
    assert busy >= 0.5, busy


def test_load_meter_subtracts_our_own_time(monkeypatch):
    """busy = (all cores' busy time - our own CPU time) / wall time, from two readings."""
    readings = iter([(100.0, 5.0, 10.0),     # machine busy s, our CPU s, monotonic s
                     (103.0, 6.8, 12.0)])    # 3 s busy in 2 s, 1.8 s of it ours
    monkeypatch.setattr(threads.LoadMeter, "_read", staticmethod(lambda: next(readings)))
    meter = threads.LoadMeter()
    assert meter.busy_cores() == pytest.approx(0.6)


def test_load_meter_reads_this_machine():
    reading = threads.LoadMeter._read()
    if reading is None:
        assert not sys.platform.startswith("linux")
        return
    busy, own, _ = reading
    assert busy > 0 and 0 < own <= busy + 1.0


def test_train_fixes_the_thread_count_records_it_and_resume_reuses_it(tmp_path, monkeypatch, capsys):
    """minigan train keeps one BLAS thread count for a whole run (OpenBLAS's sums change in
    the last bits with it), writes it into the checkpoint, applies it again on --resume, and
    gives BLAS back its own setting when the command ends."""
    import json

    import numpy as np
    from threadpoolctl import threadpool_info

    from minigan.cli import main

    def blas_pools():
        return {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    before = blas_pools()
    out = tmp_path / "run"
    quick = ["--train-images", "64", "--batch-size", "32", "--no-progress"]
    first = ["train", "mnist-mlp", "--epochs", "1", "--blas-threads", "1", "--out", str(out)]
    assert main([*first, *quick]) == 0
    assert "BLAS threads: 1 of" in capsys.readouterr().out
    assert {path: n for path, n in blas_pools().items() if path in before} == before  # given back

    def recorded():
        with np.load(out / "checkpoint.npz") as f:
            return json.loads(str(f["meta"]))["config"]["blas_threads"]

    assert recorded() == 1
    assert main(["train", "mnist-mlp", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    assert "BLAS threads: 1 of" in capsys.readouterr().out and recorded() == 1
    # a user's own variable rules, with a note when it contradicts the recorded count
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert main(["train", "mnist-mlp", "--resume", str(out), "--epochs", "3", "--no-progress"]) == 0
    assert "trained with 1 BLAS thread(s) and OPENBLAS_NUM_THREADS gives 2" in capsys.readouterr().err
    # the count is a setting of the run: fixed at the start, refused with --resume
    assert main(["train", "mnist-mlp", "--resume", str(out), "--blas-threads", "2"]) == 2
    assert "--blas-threads" in capsys.readouterr().err
    assert main(["train", "mnist-mlp", "--blas-threads", "0", "--out", str(tmp_path / "x"), *quick]) == 2
    assert ("blas_threads (--blas-threads) must be a positive integer (or None: chosen from the load), "
            "got 0") in capsys.readouterr().err
