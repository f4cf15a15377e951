"""Matrix multiplication: BLAS, and a hand-written cache-blocked Numba kernel to learn from.

Dense layers spend most of their time in C = A @ B. The reference layers write ``x @ W``,
which NumPy hands to BLAS, about as fast as the machine allows. ``blocked_matmul`` below is the
teaching kernel, selected with MINIGAN_KERNELS=numba-matmul: about 70 lines that reach a
good fraction of BLAS's speed (``minigan bench`` measures it at 1024 x 1024 x 1024), and show
why a plain triple loop does not.

Why the naive loop is slow
--------------------------
``for i: for j: for k: C[i, j] += A[i, k] * B[k, j]`` walks down a column of B in the inner
loop: a stride of N floats, a new cache line per multiply-add, nothing to vectorise. The
arithmetic is cheap; moving data is the cost. Five ideas fix it.

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

4. Four depths at a time. Every pass over a row of C loads and stores each C[i, j] once.
   Folding four values of k into one pass, ``c0[j] += a00*b0[j] + a01*b1[j] + a02*b2[j] +
   a03*b3[j]``, gives each load and store of C four multiply-adds instead of one.

5. Accumulate in a small buffer, not in C. The four rows of C are N floats apart, and for
   N = 1024 float32 that is exactly 4096 bytes. A CPU decides whether a load must wait for an
   earlier store by comparing only the low 12 bits of the two addresses, so a load of row
   i + 1 that follows a store to row i at the same column is held back as if it depended on
   it ("4K aliasing"). The four rows are summed in ``acc`` (4 x nc, contiguous: its rows are
   nc floats apart) and added into C once per panel.

Ideas 4 and 5 matter most on CPUs with wide vectors, where loads and stores, not arithmetic,
limit ideas 1-3; docs/benchmarks.md has the measured GFLOP/s of each step, and the control
experiment that showed the aliasing (a matrix width of 1040 instead of 1024 ran faster).

Rows of C in different blocks are independent, so the row blocks are shared between threads
with ``prange``. This is the one kernel in minigan that runs Numba threads: when it is
selected it replaces BLAS, so the two never run at the same time.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import get_backend, jit, prange

# Block sizes (rows of A per thread task, depth of a panel, width of a panel). Chosen by
# measurement (docs/benchmarks.md); any positive values give the same result.
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
                acc = np.empty((4, nc), dtype=C.dtype)  # four rows of C, 4*nc floats apart
                c0, c1, c2, c3 = acc[0], acc[1], acc[2], acc[3]
                i = block * mc
                i_end = min(i + mc, M)
                while i + 4 <= i_end:               # four rows of C share every load of Bp
                    acc[:] = 0
                    k = 0
                    while k + 4 <= kb:              # four depths: 16 multiply-adds per store
                        p = kc + k                  # column of A for depth k
                        a00, a01, a02, a03 = A[i, p], A[i, p + 1], A[i, p + 2], A[i, p + 3]
                        a10, a11, a12, a13 = A[i + 1, p], A[i + 1, p + 1], A[i + 1, p + 2], A[i + 1, p + 3]
                        a20, a21, a22, a23 = A[i + 2, p], A[i + 2, p + 1], A[i + 2, p + 2], A[i + 2, p + 3]
                        a30, a31, a32, a33 = A[i + 3, p], A[i + 3, p + 1], A[i + 3, p + 2], A[i + 3, p + 3]
                        b0, b1, b2, b3 = Bp[k], Bp[k + 1], Bp[k + 2], Bp[k + 3]
                        for j in range(nc):         # unit stride: vectorised FMAs
                            c0[j] += a00 * b0[j] + a01 * b1[j] + a02 * b2[j] + a03 * b3[j]
                            c1[j] += a10 * b0[j] + a11 * b1[j] + a12 * b2[j] + a13 * b3[j]
                            c2[j] += a20 * b0[j] + a21 * b1[j] + a22 * b2[j] + a23 * b3[j]
                            c3[j] += a30 * b0[j] + a31 * b1[j] + a32 * b2[j] + a33 * b3[j]
                        k += 4
                    while k < kb:                   # the last 1-3 depths of a panel
                        a0, a1, a2, a3 = A[i, kc + k], A[i + 1, kc + k], A[i + 2, kc + k], A[i + 3, kc + k]
                        b = Bp[k]
                        for j in range(nc):
                            c0[j] += a0 * b[j]
                            c1[j] += a1 * b[j]
                            c2[j] += a2 * b[j]
                            c3[j] += a3 * b[j]
                        k += 1
                    for r in range(4):              # add the four finished rows into C
                        for j in range(nc):
                            C[i + r, jc + j] += acc[r, j]
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
    """C = A @ B for 2-D float arrays (either may be a transposed view), by the teaching kernel.
    Shapes: A (M, K), B (K, N) -> C (M, N), dtype of A."""
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"blocked_matmul: cannot multiply shapes {A.shape} and {B.shape}")
    # Numba compiles a kernel once per dtype *and memory layout* of its arguments, and a
    # transposed view (x.T in a Dense backward) is another layout: each costs seconds of
    # compiling. Contiguous copies, O(MK + KN) against the product's O(MKN), keep it to one.
    A = np.ascontiguousarray(A)
    B = np.ascontiguousarray(B, dtype=A.dtype)
    C = np.zeros((A.shape[0], B.shape[1]), dtype=A.dtype)
    return _blocked_matmul(A, B, C, MC, KC, NC)


_recorded: list | None = None


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B for the fast layers: the teaching kernel under MINIGAN_KERNELS=numba-matmul, BLAS
    otherwise (BLAS is already the fastest code on the machine).

    BLAS through np.dot rather than the @ operator: for 2-D arrays both hand the product to the
    same BLAS routine, and give the same bits, but np.dot has less overhead around it, which
    counts for a small network's small products (and @ does not use BLAS at all for an outer
    product, a dimension of 1 inside). The timings are in docs/benchmarks.md."""
    if _recorded is not None:
        _recorded.append((A.shape, A.strides, B.shape, B.strides, A.dtype))
    if get_backend() == "numba-matmul":
        return blocked_matmul(A, B)
    return np.dot(A, B) if A.ndim == 2 == B.ndim else A @ B  # np.dot's N-D rule is not @'s


@contextlib.contextmanager
def record_products():
    """with record_products() as products: ...  lists the (shape, strides) of both operands
    of every product the fast layers compute (``matmul`` above), so a benchmark can time
    those products alone."""
    global _recorded
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None
