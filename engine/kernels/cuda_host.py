"""What the CUDA twins share: copying an array over and sizing a launch (host), and a thread's cell
(device). numba-cuda; imported only with them (when ``engine.backend`` picks CUDA)."""
from __future__ import annotations

import numpy as np
from numba import cuda

THREADS = 128   # threads a block, for the one-dimensional launches


def put(a, dtype=None):
    """``a`` on the device (C-contiguous, as the kernels index it; a view is copied first)."""
    return cuda.to_device(np.ascontiguousarray(a, dtype=dtype))


def blocks(n: int, threads: int = THREADS) -> int:
    """Blocks of ``threads`` that cover ``n`` threads."""
    return (n + threads - 1) // threads


@cuda.jit(device=True)
def cell(t, shape):
    """Flat thread index ``t`` as a cell (a, b, c, d) of a 4-D array of ``shape`` (C order)."""
    d = t % shape[3]
    c = (t // shape[3]) % shape[2]
    b = (t // (shape[3] * shape[2])) % shape[1]
    return t // (shape[3] * shape[2] * shape[1]), b, c, d
