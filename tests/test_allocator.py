"""Process tuning: freed memory is reused once asked (minigan.allocator), and only when asked:
``import minigan`` changes neither os.environ nor malloc's settings; the ``minigan`` command
and ``minigan.kernels.use("numba")`` apply both."""

import os
import platform
import subprocess
import sys

import pytest

# Four 8 MB arrays allocated, filled and freed, five times over; prints the page faults
# (first touches of pages new to the process) per round, after one warm-up round, and whether
# os.environ changed. argv[1] says what to do first.
SCRIPT = """
import os, resource, sys
environ_before = dict(os.environ)
mode = sys.argv[1]
if mode == "import-minigan":
    import numpy as np
    import minigan
    from minigan.models import mlp_generator
    mlp_generator().predict(np.zeros((2, 32), np.float32))
elif mode == "tuned":
    import minigan.allocator
    assert minigan.allocator.keep_freed_memory()
elif mode == "use-numba":
    import minigan
    minigan.kernels.use("numba")
elif mode == "command":
    from minigan.cli import main
    # fails on its argument inside the command, after the command's set-up ran
    assert main(["bench", "--batch", "x", "--no-torch"]) == 2
import numpy as np

def one_round():
    arrays = [np.ones(2_000_000, np.float32) for _ in range(4)]
    del arrays

one_round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    one_round()
keys = set(os.environ) | set(environ_before)
changed = sorted(k for k in keys if os.environ.get(k) != environ_before.get(k))
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5, ",".join(changed) or "-")
"""


def run_script(mode: str, **env) -> tuple[float, str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_THREAD_TIMEOUT", "MINIGAN_KERNELS", "MALLOC_TRIM_THRESHOLD_")}
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                         env={**environ, **env})
    assert out.returncode == 0, out.stderr
    faults, changed = out.stdout.split()
    return float(faults), changed


glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's (Linux)")


@glibc_only
def test_freed_memory_is_reused_once_asked():
    # 32 MB of new pages is 8192 faults of 4 KiB (fewer with huge pages); glibc's defaults
    # hand the memory back after every round, and the allocator's settings keep it
    assert run_script("numpy-alone")[0] > 1000
    assert run_script("tuned")[0] < 50


@glibc_only
def test_import_minigan_changes_nothing_global():
    faults, changed = run_script("import-minigan")
    assert changed == "-"       # os.environ untouched (no OPENBLAS_THREAD_TIMEOUT)
    assert faults > 1000        # malloc's defaults untouched


@glibc_only
@pytest.mark.parametrize("mode", ["use-numba", "command"])
def test_the_fast_path_and_the_command_tune_the_process(mode):
    faults, changed = run_script(mode)
    assert faults < 50
    assert changed == "OPENBLAS_THREAD_TIMEOUT"  # for the processes it starts (bench workers)


def test_a_setting_of_your_own_is_kept():
    code = "import minigan.allocator as a; print(a.keep_freed_memory())"
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "1000000"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_a_training_command_restarts_once_with_the_openblas_setting(monkeypatch):
    from argparse import Namespace

    from minigan.cli import openblas_reexec_argv

    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    monkeypatch.delenv("MINIGAN_KERNELS", raising=False)
    monkeypatch.setattr(sys, "argv", ["minigan", "train", "mnist-mlp"])
    train = Namespace(command="train")
    assert openblas_reexec_argv(Namespace(command="gradcheck"), None) is None
    assert openblas_reexec_argv(train, ["train", "mnist-mlp"]) is None  # called from Python
    if os.name == "posix":
        assert openblas_reexec_argv(train, None) == [sys.executable, "-m", "minigan", "train", "mnist-mlp"]
        assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == "12"
    assert openblas_reexec_argv(train, None) is None  # set now (by us or by you): no second restart
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT")
    monkeypatch.setenv("MINIGAN_KERNELS", "numpy")
    assert openblas_reexec_argv(train, None) is None


def test_a_restarted_command_still_reports_bad_input_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "MINIGAN_KERNELS")}
    out = subprocess.run([sys.executable, "-m", "minigan", "train", "mnist-mlp", "--epochs", "0"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == "minigan train: error: epochs (--epochs) must be a positive integer, got 0"
