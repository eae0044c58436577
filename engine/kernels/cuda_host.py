"""What the CUDA twins' host functions share: copying an array over and sizing a launch.
numba-cuda; imported only with them (when ``engine.backend`` picks CUDA)."""
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
