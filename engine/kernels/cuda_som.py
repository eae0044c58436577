"""CUDA twins of the SOM kernels (numba-cuda; imported only when ``engine.backend`` picks CUDA).

``two_best``: per sample, the best and second-best unit and the euclidean distance to the best:
one thread per sample, each scanning every unit, the sums taken in the CPU kernel's order (feature
by feature), so the results are the CPU's (``engine.kernels.som.two_best``) bit for bit wherever the
device rounds as the CPU does; ties go to the first unit, as there.

``train_batch``: Kohonen's batch map with each iteration's BMU search on the GPU (the data copied
there once per call, the weights each iteration: they are small) and the weighted means on the CPU
(``som.batch_update``), the CPU kernel's steps otherwise.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from engine.kernels import som as k
from engine.kernels.cuda_host import THREADS, blocks, put
from engine.kernels.som import COSINE, EUCLIDEAN


@cuda.jit
def _two_best(data, wt, dist_code, first, second, gap):
    n = cuda.grid(1)
    if n >= data.shape[0]:
        return
    dim, units = wt.shape
    nx = 0.0
    if dist_code == COSINE:
        for k in range(dim):
            nx += data[n, k] * data[n, k]
        nx = math.sqrt(nx)
    b1 = -1
    b2 = -1
    d1 = math.inf
    d2 = math.inf
    for u in range(units):
        d = 0.0
        if dist_code == COSINE:
            dot = 0.0
            nw = 0.0
            for k in range(dim):
                dot += data[n, k] * wt[k, u]
                nw += wt[k, u] * wt[k, u]
            d = 1.0 - dot / (math.sqrt(nw) * nx + 1e-8)
        elif dist_code == EUCLIDEAN:
            for k in range(dim):
                diff = data[n, k] - wt[k, u]
                d += diff * diff
        else:   # manhattan
            for k in range(dim):
                d += abs(data[n, k] - wt[k, u])
        if d < d1:
            d2 = d1
            b2 = b1
            d1 = d
            b1 = u
        elif d < d2:
            d2 = d
            b2 = u
    first[n] = b1
    second[n] = b2
    s = 0.0
    for k in range(dim):
        diff = data[n, k] - wt[k, b1]
        s += diff * diff
    gap[n] = math.sqrt(s)


def two_best(data: np.ndarray, wt: np.ndarray, dist_code: int, first: np.ndarray, second: np.ndarray,
             gap: np.ndarray) -> None:
    """``engine.kernels.som.two_best`` on the GPU: the same arguments, results copied back into
    ``first``, ``second`` and ``gap``."""
    n = data.shape[0]
    if n == 0:
        return
    d_first = cuda.device_array(n, dtype=np.int64)
    d_second = cuda.device_array(n, dtype=np.int64)
    d_gap = cuda.device_array(n, dtype=np.float64)
    _two_best[blocks(n), THREADS](put(data), put(wt), dist_code, d_first, d_second, d_gap)
    d_first.copy_to_host(first)
    d_second.copy_to_host(second)
    d_gap.copy_to_host(gap)


def train_batch(data: np.ndarray, wt: np.ndarray, height: int, row_height: float, shift: np.ndarray, t0: int,
                iterations: int, total: int, lr0: float, sigma0: float, lr_code: int, sigma_code: int,
                neigh_code: int, dist_code: int) -> None:
    """``engine.kernels.som.train_batch`` with the BMU search on the GPU: the same arguments."""
    n = data.shape[0]
    d_data = put(data)
    d_first = cuda.device_array(n, dtype=np.int64)
    d_second = cuda.device_array(n, dtype=np.int64)
    d_gap = cuda.device_array(n, dtype=np.float64)
    bmus = np.empty(n, dtype=np.int64)
    grid = blocks(n)
    for it in range(iterations):
        t = t0 + it
        lr = k.decay(lr_code, lr0, t, total, False)
        sigma = k.decay(sigma_code, sigma0, t, total, True)
        _two_best[grid, THREADS](d_data, cuda.to_device(wt), dist_code, d_first, d_second, d_gap)
        d_first.copy_to_host(bmus)
        k.batch_update(data, wt, height, row_height, shift, bmus, lr, sigma, neigh_code)
