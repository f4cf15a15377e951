"""minigan.allocator: freed memory is reused, so repeated large allocations cost no page faults."""

import os
import platform
import subprocess
import sys

import pytest

# Four 8 MB arrays allocated, filled and freed, five times over; prints the page faults
# (first touches of pages new to the process) per round, after one warm-up round.
SCRIPT = """
import resource, sys
if sys.argv[1] == "with-minigan":
    import minigan
    assert minigan.MEMORY_REUSED
import numpy as np

def one_round():
    arrays = [np.ones(2_000_000, np.float32) for _ in range(4)]
    del arrays

one_round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    one_round()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
"""


def faults_per_round(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's (Linux)")
def test_freed_memory_is_reused():
    # 32 MB of new pages is 8192 faults of 4 KiB (fewer with huge pages); glibc's defaults
    # hand the memory back after every round, and minigan's settings keep it
    assert faults_per_round("numpy-alone") > 1000
    assert faults_per_round("with-minigan") < 50


def test_a_setting_of_your_own_is_kept():
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "1000000"}
    out = subprocess.run([sys.executable, "-c", "import minigan; print(minigan.MEMORY_REUSED)"],
                         capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
