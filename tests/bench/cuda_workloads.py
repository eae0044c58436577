"""``python -m tests.bench --device cuda``: the kernels that have CUDA twins, GPU against our CPU
kernels (and PyTorch on the GPU where installed), at growing sizes, and the crossover size where
the GPU starts to win (what ``engine.backend``'s "auto" uses; see ``backend.measure_crossover``).
Timings include the copies a call makes (the inputs to the device, the results back)."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engine import backend
from engine.kernels import som as som_k
from engine.mlp import MLP, MLPConfig
from tests.bench.harness import Row, interleaved_medians


def _som_case(n: int, units: int = 400, dim: int = 16):
    rng = np.random.default_rng(0)
    x, wt = rng.random((n, dim)), rng.random((dim, units))
    outs = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n))

    def run(device: str, _size: int = n) -> None:
        if device == "cuda":
            from engine.kernels import cuda_som
            cuda_som.two_best(x, wt, som_k.EUCLIDEAN, *outs)
        else:
            som_k.two_best(x, wt, som_k.EUCLIDEAN, *outs)
    return run, float(n) * units * dim


def _mlp_case(n: int):
    rng = np.random.default_rng(0)
    m = MLP(MLPConfig(hidden=(32,) * 8, activations=("tanh",) * 8, seed=0), rng.normal(size=(50, 2)),
            rng.integers(0, 2, 50))
    grid = rng.uniform(-6, 6, (n, 2))
    xt = np.ascontiguousarray(grid.T)
    out = np.empty((int(m._u_off[-1]), n))
    args = (xt, m.theta, m._sizes, m._w_off, m._b_off, m._u_off, m._act_codes, m._alpha, m.config.out_kind, out,
            m._skips, np.empty(0), m._bn, m._g_off, m._norm)

    def run(device: str, _size: int = n) -> None:
        if device == "cuda":
            from engine.kernels import cuda_mlp
            cuda_mlp.forward_all(*args)
        else:
            from engine.kernels import mlp as mlp_k
            mlp_k.forward_all(*args)
    return run, float(n) * m.n_params


CASES = {"som_bmu": (_som_case, (1_000, 10_000, 100_000)),
         "mlp_eval": (_mlp_case, (2_500, 10_000, 40_000, 160_000))}


def cuda_rows(quick: bool, only: str | None) -> Iterator[Row]:
    """One row per family and size (GPU against our CPU kernel); prints each family's crossover."""
    if not backend.cuda_ready():
        print(f"  no CUDA device: {backend.why_not()}. The CUDA kernels are checked against their CPU twins "
              "in Numba's simulator by the test suite (tests/unit/test_backend.py).")
        return
    for family, (case, sizes) in CASES.items():
        if only and only not in family:
            continue
        for size in sizes:
            run, work = case(size)
            cpu, gpu = interleaved_medians([lambda: run("cpu"), lambda: run("cuda")], 3 if quick else 10)
            yield Row(f"{family} ({size:,})", gpu, "our cpu kernel (1 thread)", cpu)
        found = backend.measure_crossover(family, lambda device, size: case(size)[0](device), list(sizes),
                                          lambda size: case(size)[1])
        print(f"  {family}: the GPU wins from {found:,.0f} units of work on"
              if found != float("inf") else f"  {family}: the GPU never won at these sizes")
