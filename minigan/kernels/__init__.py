"""Compiled kernels: the only package in minigan that imports numba.

Every kernel exists twice, a plain NumPy version (the readable reference) and a Numba version
(the fast one), and the two are tested against each other. The backend is chosen by the
environment variable MINIGAN_KERNELS when minigan is imported:

    numba         (default) Numba kernels for the fused elementwise work and convolutions;
                  matrix products through BLAS (np.dot)
    numpy         NumPy only: numba is never imported
    numba-matmul  as numba, but Dense layers use the hand-written, cache-blocked Numba matmul
                  of kernels/matmul.py instead of BLAS (the teaching kernel; slower)

``set_backend`` (and the ``backend`` context manager) switch it at run time, for tests.

Compilation is lazy: a kernel is compiled the first time it is called (and cached on disk
with cache=True), so a run compiles only the kernels it uses, and importing minigan does not
import numba at all.

Threads: the matrix products go to BLAS, which uses every core; the Numba kernels here are
single-threaded (no parallel=True), so the two never compete for the 2 cores of the reference
machine. The one exception is the teaching matmul, which parallelises its outer loop with
prange because it *replaces* BLAS when selected.
"""

from __future__ import annotations

import contextlib
import os

BACKENDS = ("numba", "numpy", "numba-matmul")


def _validate(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"MINIGAN_KERNELS must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


# Read at import, checked at first use: a bad value then surfaces as a ValueError from the
# first layer call (one line from the command line) rather than as an import-time traceback.
_backend = os.environ.get("MINIGAN_KERNELS", "numba").strip().lower() or "numba"


def get_backend() -> str:
    return _validate(_backend)


def set_backend(name: str) -> None:
    global _backend
    _backend = _validate(name)


@contextlib.contextmanager
def backend(name: str):
    """with backend("numpy"): ...  runs the block with another backend."""
    previous = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


def use_numba() -> bool:
    return get_backend() in ("numba", "numba-matmul")


# Fast-math flags for the fused loops: 'reassoc' lets LLVM reorder a running sum (so the loop
# vectorises) and 'contract' fuses multiply-adds; the flags that assume no NaN/inf are left
# out on purpose, since some sums exist to detect NaN and inf.
FASTMATH = {"reassoc", "contract"}

prange = range
"""Use ``prange`` (imported from here) for a parallel loop in a kernel: it is Python's range
until the kernel is compiled, when ``jit`` swaps in numba.prange."""


def jit(*jit_args, **jit_kwargs):
    """Decorator: compile ``fn`` with numba.njit(cache=True, error_model="numpy", ...) the
    first time it is called.

    Until then numba is not imported, so MINIGAN_KERNELS=numpy never needs it and a run pays
    only for the kernels it calls. ``.py_func`` is the plain Python function, for reading.

    error_model="numpy" makes x / 0 give inf or NaN, as in NumPy, instead of raising
    ZeroDivisionError. That matters for speed, not only semantics: the Python error model
    puts a zero test before every division, and that branch stops LLVM from vectorising the
    loop (measured here: the fused Adam update ran 8x slower with it).
    """
    def wrap(fn):
        compiled = None

        def call(*args):
            nonlocal compiled
            if compiled is None:
                import numba

                if fn.__globals__.get("prange") is range:
                    fn.__globals__["prange"] = numba.prange  # see prange above
                options = {"cache": True, "error_model": "numpy", **jit_kwargs}
                compiled = numba.njit(*jit_args, **options)(fn)
            return compiled(*args)

        call.py_func = fn
        call.__name__ = fn.__name__
        call.__doc__ = fn.__doc__
        return call

    return wrap
