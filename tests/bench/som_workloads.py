"""SOM training vs MiniSom (same update rule, same settings, one thread), and vs a NumPy step loop.

som_train_rgb: 20x20 map, 3-D colours, 2,000 samples, 10,000 single-sample steps.
som_train_tabular: 10x10 map, 15-D applications (the course's fraud-detection shape), 100 passes
over 700 samples = 70,000 single-sample steps (MiniSom ``train_random(data, 70_000)``).
Both sides start from the same weights and visit samples in a random order; MiniSom's default
schedules (asymptotic decay of rate and radius), gaussian neighbourhood, euclidean distance.
"""
from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from engine.som import SOM, SOMConfig
from tests.bench.harness import Row, median_time

CASES = {  # name: (width, height, features, samples, steps, sigma)
    "som_train_rgb": (20, 20, 3, 2000, 10_000, 5.0),
    "som_train_tabular": (10, 10, 15, 700, 70_000, 1.0),
}


def som_training(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    try:
        import minisom
    except ImportError:
        minisom = None
    for name, (width, height, dim, n, steps, sigma) in CASES.items():
        if not wanted(name):
            continue
        data = np.random.default_rng(0).random((n, dim))
        config = SOMConfig(width, height, sigma=sigma, learning_rate=0.5, steps=steps, seed=0)
        start = SOM(config, data)

        def ours() -> SOM:
            som = SOM(config, data)
            som.step(steps)
            return som

        def time_ours() -> float:  # training only, as MiniSom's side (construction is not timed there)
            times = []
            for _ in range(3 if quick else 10):
                som = SOM(config, data)
                tick = time.perf_counter()
                som.step(steps)
                times.append(time.perf_counter() - tick)
            return statistics.median(times)

        ours()  # warm
        t_ours = time_ours()
        if minisom is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                peer = minisom.MiniSom(width, height, dim, sigma=sigma, learning_rate=0.5, random_seed=0)

            def theirs() -> None:
                peer._weights = start.weights.reshape(width, height, dim).copy()
                peer.train_random(data, steps)

            t_peer = median_time(theirs, 1, warmup=0 if quick else 1)
            # same rule, same settings: the maps reach the same quality (orders differ: each side's own RNG)
            qe_ours, qe_peer = ours().quantization_error(), peer.quantization_error(data)
            assert abs(qe_ours - qe_peer) < 0.15 * qe_peer, f"{name}: QE {qe_ours:.4f} vs MiniSom {qe_peer:.4f}"
            yield Row(name, t_ours, "minisom 2.3 train_random", t_peer)
        else:
            print(f"  {name}: MiniSom not installed (pip install -e '.[bench]'); NumPy row only")
        t_np = median_time(lambda: _numpy_loop(data, start, steps, sigma), 1, warmup=0)
        yield Row(name, t_ours, "numpy (per-step loop)", t_np)


def _numpy_loop(data: np.ndarray, start: SOM, steps: int, sigma0: float) -> np.ndarray:
    """The same sequential rule, one vectorised NumPy update per sample."""
    cfg = start.config
    w = start.weights.copy()
    pos = start.positions().reshape(-1, 2)
    for t, i in enumerate(start.order[:steps]):
        x = data[i]
        bmu = np.argmin(((x - w) ** 2).sum(axis=1))
        lr = cfg.learning_rate / (1 + t / (steps / 2))
        sigma = sigma0 / (1 + t / (steps / 2))
        h = np.exp(-((pos - pos[bmu]) ** 2).sum(axis=1) / (2 * sigma * sigma))
        w += (lr * h)[:, None] * (x - w)
    return w
