"""How many threads BLAS may use: every core on an idle machine, one when others are busy.

A matrix product split over two BLAS threads finishes only when *both* halves are done. On a
2-core machine where another program keeps one core busy, the operating system gives that
core to minigan's second thread only part of the time, so every product waits for the slower
half, and OpenBLAS's workers burn their time slices spinning while they wait. One thread, on
the core that is free, then beats two by a wide margin (`minigan bench --load` measures it;
docs/benchmarks.md has the figures), while on an idle machine two threads are faster.

So minigan looks before it chooses: ``busy_cores`` measures how much CPU *other* processes
used over an interval (Linux's /proc/stat counts every core's busy time; our own process's
time, from os.times, is subtracted), and ``choose_blas_threads`` keeps one core for each
busy one. ``ThreadPolicy`` applies the choice through threadpoolctl.

The choice is not free of consequences: with one thread or two, OpenBLAS blocks a product
differently and its sums come out different in the last bits (measured on the reference
machine for the MLP-GAN's float32 products, e.g. 64x784 by 784x1024; matrix-vector products
agreed). A run that changed its thread count midway would therefore no longer repeat
itself. So `minigan train` chooses once, at a fresh start, keeps that count to the end, and
records it in the checkpoint; `--resume` applies the recorded count again.

A user who sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL_NUM_THREADS has chosen: the
policy then changes nothing. Nothing here runs at import; the CLI's training and benchmark
commands create the policy (an explicit call, never a side effect of ``import minigan``).
"""

from __future__ import annotations

import math
import os
import time

USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Another program counts as occupying a core when it used at least this fraction of one over
# the interval (a shell, an editor or a browser tab idling uses a few percent).
BUSY_FRACTION = 0.5


def user_chose_threads() -> str | None:
    """The name of the thread-count variable the user set, or None."""
    for name in USER_VARIABLES:
        if os.environ.get(name, "").strip():
            return name
    return None


def available_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class LoadMeter:
    """CPU time used by *other* processes between two readings, in cores.

    /proc/stat's first line counts, for all cores together, the time spent busy (user, nice,
    system, irq, softirq, steal) and idle, in clock ticks; os.times() gives our own process's
    user and system time (all its threads). Busy time minus ours, divided by the wall time,
    is how many cores the rest of the machine kept busy. None where /proc/stat is missing.
    """

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                fields = f.readline().split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu":
            return None
        ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
        busy = sum(ticks) - ticks[3] - ticks[4]
        own = os.times()
        return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system, time.monotonic()

    def busy_cores(self) -> float | None:
        """Cores used by other processes since the last call (or since construction)."""
        now = self._read()
        last, self._last = self._last, now
        if now is None or last is None:
            return None
        wall = now[2] - last[2]
        if wall <= 0:
            return None
        others = (now[0] - last[0]) - (now[1] - last[1])
        return max(others / wall, 0.0)


def busy_cores(interval: float = 0.2) -> float | None:
    """Cores kept busy by other processes over the next ``interval`` seconds (we sleep)."""
    meter = LoadMeter()
    time.sleep(interval)
    return meter.busy_cores()


def choose_blas_threads(busy: float | None, cores: int | None = None) -> int:
    """All cores when the machine is idle; one fewer for every core another program keeps
    busy (at least one). Unknown load (None) counts as idle."""
    cores = cores or available_cores()
    if busy is None:
        return cores
    occupied = math.floor(busy + 1 - BUSY_FRACTION)  # 0.5 -> 1 core, 1.5 -> 2 cores
    return max(1, cores - occupied)


class ThreadPolicy:
    """Keep BLAS at the thread count the load allows; ``update()`` re-reads the load.

    ``mode``: "auto" (the policy above), or a fixed positive number of threads. When the user
    set a thread variable the policy does nothing (``self.user_variable`` says which).
    """

    def __init__(self, mode: str | int = "auto") -> None:
        if mode != "auto" and not (isinstance(mode, int) and mode >= 1):
            raise ValueError(f"threads must be 'auto' or a positive integer, got {mode!r}")
        self.mode = mode
        self.user_variable = user_chose_threads()
        self.threads: int | None = None
        self._limiter = None
        self._meter = LoadMeter()

    def update(self, busy: float | None = None) -> int | None:
        """Apply the thread count for the load measured since the last call (or ``busy``,
        if given). Returns the count in force, or None when the user's setting rules."""
        if self.user_variable:
            return None
        if self.mode != "auto":  # a fixed count: the load does not matter
            n = self.mode
        else:
            n = choose_blas_threads(self._meter.busy_cores() if busy is None else busy)
        if n != self.threads:
            from threadpoolctl import ThreadpoolController

            self._limiter = ThreadpoolController().limit(limits=n, user_api="blas")
            self.threads = n
        return self.threads

    def start(self, probe_seconds: float = 0.2) -> int | None:
        """The first choice, from a short look at the machine before any work starts."""
        if self.user_variable:
            return None
        return self.update(busy_cores(probe_seconds) if self.mode == "auto" else None)

    @property
    def count(self) -> int | None:
        """The thread count in force: the policy's own, or the number in the user's variable
        (None when that is not a number). Not read back from the BLAS libraries: a second
        OpenBLAS (SciPy's, which Numba may load) would blur which one NumPy uses."""
        if self.user_variable:
            try:
                return int(os.environ[self.user_variable])
            except ValueError:
                return None
        return self.threads

    def stop(self) -> None:
        """Give BLAS back the thread count it had before ``start``."""
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter, self.threads = None, None

    def describe(self) -> str:
        if self.user_variable:
            return f"BLAS threads: as set by {self.user_variable}={os.environ[self.user_variable]}"
        how = "chosen from the load" if self.mode == "auto" else "fixed"
        return f"BLAS threads: {self.threads} of {available_cores()} ({how})"
