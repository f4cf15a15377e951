"""Fast versions of the reference compute methods: the only package in minigan that imports numba.

The layers (minigan/layers/*.py) and optimizers (minigan/optim.py) are the reference: plain
NumPy, written next to their formulas, and that is what runs unless you ask for speed. This
package holds faster versions of some of their compute methods and switches them on.

Design: a registry of fast methods
----------------------------------
``bindings.py`` (loaded the first time the fast path is used) registers, for a reference class
and the names of its compute methods, fast functions with the same signature::

    Dense.compute_forward(layer, x, training)   ->  bindings.dense_forward(layer, x, training)
    Adam.update(optimizer, p)                     ->  bindings.adam_update(optimizer, p)

``Layer.forward``/``backward`` and ``Optimizer.step`` ask ``fast_methods(obj, names)`` for the
fast functions and call them instead of their own methods when a fast backend is active. Why
this design rather than fast subclasses or a switch inside each layer:

- the layer files contain no backend switch and no kernel call: a student reads the formula
  and the NumPy that computes it, and nothing else;
- a model is built once from the ordinary classes (no FastDense to choose, nothing changes in
  a checkpoint: parameter and state names are the reference's), and the backend can be
  switched for any existing model;
- a class is only accelerated if the methods that would run are the registered ones: a
  subclass that overrides ``compute_backward`` (a student's experiment, a deliberately broken
  layer in a test) runs its own code, forward *and* backward, never half fast and half its own.

The array kernels themselves (activations.py, batchnorm.py, conv.py, matmul.py, optim.py) know
nothing of layers: they take and return arrays. Only bindings.py connects them to the classes.
Every fast function is tested against the reference method it replaces (tests/test_kernels.py,
tests/test_conv.py).

Choosing the backend
--------------------
    numpy         (default for ``import minigan``) the reference methods; numba is never imported
    numba         Numba kernels for the fused elementwise work (LeakyReLU, BatchNorm, the
                  optimizer updates) and im2col/col2im; matrix products through BLAS
    numba-matmul  as numba, but Dense and convolution layers multiply with the hand-written,
                  cache-blocked Numba kernel of matmul.py instead of BLAS (the teaching kernel)

The environment variable MINIGAN_KERNELS chooses at import; ``use("numba")`` opts in from code
(a notebook's setup cell) and also tunes the process (``tune_process``); ``backend("numpy")``
is a context manager for a block. The ``minigan`` command turns the fast path on by itself
(MINIGAN_KERNELS=numpy still selects the reference there).

Compilation is lazy: a kernel is compiled the first time it is called (and cached on disk with
cache=True), so a run compiles only the kernels it uses.

Threads: the matrix products go to BLAS, which uses every core; the Numba kernels here are
single-threaded (no parallel=True), so the two never compete for the cores. The one exception
is the teaching matmul, which parallelises its outer loop with prange because it *replaces*
BLAS when selected.
"""

from __future__ import annotations

import contextlib
import os

BACKENDS = ("numba", "numpy", "numba-matmul")
REFERENCE = "numpy"


def _validate(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"MINIGAN_KERNELS must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


# Read at import, checked at first use: a bad value then surfaces as a ValueError from the
# first layer call (one line from the command line) rather than as an import-time traceback.
_backend = os.environ.get("MINIGAN_KERNELS", "").strip().lower() or REFERENCE


def get_backend() -> str:
    return _validate(_backend)


def set_backend(name: str) -> None:
    """Switch the backend for everything that runs from now on (no tuning; see ``use``)."""
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


def use(name: str = "numba") -> str:
    """Opt in to a backend from code, e.g. ``minigan.kernels.use("numba")`` in a notebook's
    setup cell; a fast backend also tunes the process (``tune_process``). Returns the name."""
    set_backend(name)
    if name != REFERENCE:
        tune_process()
    return name


@contextlib.contextmanager
def command_backend():
    """What the ``minigan`` command runs under: the backend MINIGAN_KERNELS names, "numba" if
    it names none; a fast backend also tunes the process. Yields the backend's name."""
    name = os.environ.get("MINIGAN_KERNELS", "").strip().lower() or "numba"
    with backend(name):
        if name != REFERENCE:
            tune_process()
        yield name


def use_numba() -> bool:
    return get_backend() in ("numba", "numba-matmul")


def tune_process() -> dict:
    """Make this process (and the processes it starts) faster for the fast kernels.

    - Reuse freed memory instead of returning it to the operating system after every step
      (minigan.allocator, glibc's mallopt).
    - OPENBLAS_THREAD_TIMEOUT=12: OpenBLAS's worker threads spin-wait after each matrix
      product (about 2^28 cycles by default) and steal the core from the single-threaded
      kernels that run between products; 2^12 cycles is a few microseconds. OpenBLAS reads
      the variable once, when NumPy is first imported, so setting it here reaches only the
      processes started afterwards (``minigan bench``'s workers). The ``minigan`` command
      sets it before NumPy loads for `minigan train` (minigan.cli.main re-executes itself once).

    A value you set yourself is kept. Nothing here changes any result, only speed.
    Returns what was done: {"openblas_thread_timeout": ..., "memory_reused": bool}.
    """
    from ..allocator import keep_freed_memory

    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT)
    return {"openblas_thread_timeout": os.environ["OPENBLAS_THREAD_TIMEOUT"],
            "memory_reused": keep_freed_memory()}


OPENBLAS_THREAD_TIMEOUT = "12"


# ----------------------------------------------------------------------------- the registry

_FAST: dict[tuple[type, str], object] = {}     # (reference class, method name) -> fast function
_resolved: dict[tuple[type, tuple[str, ...]], tuple | None] = {}
_bindings_loaded = False


def register(cls: type, method: str):
    """Decorator used by bindings.py: ``@register(Dense, "compute_forward")``."""
    def wrap(fn):
        _FAST[(cls, method)] = fn
        _resolved.clear()
        return fn
    return wrap


def fast_methods(obj, names: tuple[str, ...]) -> tuple | None:
    """The fast functions replacing ``obj``'s methods ``names``, or None: None when the
    reference backend is active, or when any of those methods, as ``type(obj)`` resolves it,
    is not a registered one (e.g. a subclass overrides it)."""
    if get_backend() == REFERENCE:
        return None
    global _bindings_loaded
    if not _bindings_loaded:
        from . import bindings  # noqa: F401  (registers the fast methods)

        _bindings_loaded = True
    key = (type(obj), names)
    if key not in _resolved:
        found = []
        for name in names:
            owner = next((c for c in type(obj).__mro__ if name in vars(c)), None)
            found.append(_FAST.get((owner, name)))
        _resolved[key] = None if None in found else tuple(found)
    return _resolved[key]


# ----------------------------------------------------------------------------- compiling

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

    Until then numba is not imported, so the reference backend never needs it and a run pays
    only for the kernels it calls. ``.py_func`` is the plain Python function, for reading.

    error_model="numpy" makes x / 0 give inf or NaN, as in NumPy, instead of raising
    ZeroDivisionError. That matters for speed, not only semantics: the Python error model
    puts a zero test before every division, and that branch stops LLVM from vectorising the
    loop (the fused Adam update ran several times slower with it).
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
