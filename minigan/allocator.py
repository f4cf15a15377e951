"""Keep freed memory for reuse instead of handing it back to the operating system.

A training step of the conv GAN allocates and frees a few dozen arrays of 1-8 MB (im2col's
matrices, activations, gradients). By default glibc's malloc serves blocks that large with a
fresh ``mmap`` and returns them with ``munmap`` (or trims them off the top of its heap), so
the next step gets new pages from the kernel, and every 4 KiB page costs a page fault and
zeroing on first touch: thousands of page faults per iteration, for memory the process had a
moment ago (docs/benchmarks.md has the measurement).

``keep_freed_memory`` asks glibc (through ``mallopt``) to serve blocks up to 32 MiB from its
heap and to keep up to 256 MiB of freed memory there, so the same pages are reused step after
step. It changes nothing but speed, and does nothing on other C libraries (macOS, musl) or
when you set glibc's own ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` yourself.
It is not called on import: ``minigan.kernels.tune_process()`` calls it, and the ``minigan``
command and ``minigan.kernels.use("numba")`` call that.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt's parameter numbers, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024   # glibc's largest allowed value on 64-bit machines
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Apply the settings above; True if glibc accepted them."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False  # the user chose their own
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
