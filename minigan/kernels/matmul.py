"""Matrix multiplication: BLAS, and a hand-written cache-blocked Numba kernel to learn from.

Dense layers spend most of their time in C = A @ B. minigan normally hands that to BLAS
(``np.dot``), which is about as fast as the machine allows. ``blocked_matmul`` below is the
teaching kernel, selected with MINIGAN_KERNELS=numba-matmul: about 60 lines that reach a
good fraction of BLAS's speed (``minigan bench`` measures it at 1024 x 1024 x 1024), and show
why a plain triple loop does not.

Why the naive loop is slow
--------------------------
``for i: for j: for k: C[i, j] += A[i, k] * B[k, j]`` walks down a column of B in the inner
loop: a stride of N floats, a new cache line per multiply-add, nothing to vectorise. The
arithmetic is cheap; moving data is the cost. Three ideas fix it.

1. Loop order i-k-j. With j innermost, ``C[i, j:] += A[i, k] * B[k, j:]`` streams along a
   row of B and a row of C: unit stride, so the compiler emits SIMD fused multiply-adds
   (8 floats per instruction with AVX2).

2. Blocking and packing. B is cut into panels of KC rows x NC columns, copied ("packed") into
   a small contiguous buffer that stays in cache while every row of A passes over it. For
   K = N = 1024 and KC = NC = 256 a float32 panel is 256 KiB: it lives in L2, and each of its
   numbers is reused by all M rows instead of being fetched from memory M times.

        B (K x N)                        packed panel Bp (KC x NC), contiguous
        +----+----+----+----+            +---------+
        |    | Bp |    |    |  rows kc.. |  copy   |  reused by every row i of A
        +----+----+----+----+  cols jc.. +---------+

3. Four rows at a time (register reuse). Each value ``Bp[k, j]`` loaded from cache feeds four
   multiply-adds, one for each of four rows of C, instead of one. Loads, not arithmetic,
   limit the inner loop, so this quadruples the work per load.

Rows of C in different blocks are independent, so the row blocks are shared between threads
with ``prange``. This is the one kernel in minigan that runs Numba threads: when it is
selected it replaces BLAS, so the two never run at the same time.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import get_backend, jit, prange

# Block sizes (rows of A per thread task, depth of a panel, width of a panel). Chosen by
# measurement on the 2-core reference machine; any positive values give the same result.
MC, KC, NC = 64, 256, 256


@jit(fastmath={"reassoc", "contract"}, parallel=True)
def _blocked_matmul(A, B, C, mc, kc_size, nc_size):
    M, K = A.shape
    N = B.shape[1]
    n_row_blocks = (M + mc - 1) // mc
    for jc in range(0, N, nc_size):                 # panel columns
        nc = min(nc_size, N - jc)
        for kc in range(0, K, kc_size):             # panel rows (depth)
            kb = min(kc_size, K - kc)
            Bp = np.empty((kb, nc), dtype=B.dtype)  # pack the panel: contiguous, cache-sized
            for k in range(kb):
                for j in range(nc):
                    Bp[k, j] = B[kc + k, jc + j]
            for block in prange(n_row_blocks):      # independent row blocks, shared by threads
                i = block * mc
                i_end = min(i + mc, M)
                while i + 4 <= i_end:               # four rows of C share every load of Bp
                    c0 = C[i, jc:jc + nc]
                    c1 = C[i + 1, jc:jc + nc]
                    c2 = C[i + 2, jc:jc + nc]
                    c3 = C[i + 3, jc:jc + nc]
                    for k in range(kb):
                        a0 = A[i, kc + k]
                        a1 = A[i + 1, kc + k]
                        a2 = A[i + 2, kc + k]
                        a3 = A[i + 3, kc + k]
                        b = Bp[k]
                        for j in range(nc):         # unit stride: vectorised FMAs
                            bj = b[j]
                            c0[j] += a0 * bj
                            c1[j] += a1 * bj
                            c2[j] += a2 * bj
                            c3[j] += a3 * bj
                    i += 4
                while i < i_end:                    # the last 1-3 rows of a block
                    c = C[i, jc:jc + nc]
                    for k in range(kb):
                        a = A[i, kc + k]
                        b = Bp[k]
                        for j in range(nc):
                            c[j] += a * b[j]
                    i += 1
    return C


def blocked_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """C = A @ B for 2-D float arrays (A may be a transposed view), by the teaching kernel.
    Shapes: A (M, K), B (K, N) -> C (M, N), dtype of A."""
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"blocked_matmul: cannot multiply shapes {A.shape} and {B.shape}")
    if A.dtype != B.dtype:
        B = B.astype(A.dtype)
    C = np.zeros((A.shape[0], B.shape[1]), dtype=A.dtype)
    return _blocked_matmul(A, B, C, MC, KC, NC)


_recorded: list | None = None


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B for the layers: the teaching kernel under MINIGAN_KERNELS=numba-matmul, BLAS
    otherwise (np.dot is already the fastest code on the machine)."""
    if _recorded is not None:
        _recorded.append((A.shape, A.strides, B.shape, B.strides, A.dtype))
    if get_backend() == "numba-matmul":
        return blocked_matmul(A, B)
    return A @ B


@contextlib.contextmanager
def record_products():
    """with record_products() as products: ...  lists the (shape, strides) of both operands
    of every product the layers compute, so a benchmark can time those products alone."""
    global _recorded
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None
