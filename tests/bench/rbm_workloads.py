"""RBM: one epoch over the digits (64 visible, 100 hidden, batch 10) vs scikit-learn and NumPy.

scikit-learn's BernoulliRBM.fit(n_iter=1) runs persistent CD-1 (sampled visible states) over
contiguous batches; our rows time the training call alone (``step(179)``, no metrics recorded):
PCD-1 (the same algorithm) and CD-1 (our default: sampled hidden, mean-field visible states).
"""
from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from engine import datasets
from engine.rbm import RBM, RBMConfig
from tests.bench.harness import Row, median_time


def _time_ours(config: RBMConfig, data: np.ndarray, batches: int, repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):
        m = RBM(config, data)
        tick = time.perf_counter()
        m.step(batches, track_error=False, record=False)
        times.append(time.perf_counter() - tick)
    return statistics.median(times[1:])


def _numpy_epoch(data: np.ndarray, config: RBMConfig, rng: np.random.Generator) -> None:
    """The same PCD-1 rule, vectorised over each batch in NumPy."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    W = rng.normal(0, 0.01, (64, 100))
    b, c, chain = np.zeros(64), np.zeros(100), np.zeros((10, 100))
    for t in range(len(data) // 10):
        v0 = data[t * 10:(t + 1) * 10]
        ph0 = sig(v0 @ W + c)
        v = (rng.random((10, 64)) < sig(chain @ W.T + b)).astype(float)
        ph = sig(v @ W + c)
        chain = (rng.random((10, 100)) < ph).astype(float)
        W += config.learning_rate * (v0.T @ ph0 - v.T @ ph) / 10
        b += config.learning_rate * (v0 - v).mean(axis=0)
        c += config.learning_rate * (ph0 - ph).mean(axis=0)


def rbm_epoch(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    name = "rbm_cd1_epoch_digits"
    if not wanted(name):
        return
    data = datasets.digits().x
    batches = len(data) // 10
    common = dict(n_visible=64, n_hidden=100, k=1, learning_rate=0.1, momentum=0.0, weight_decay=0.0,
                  batch_size=10, seed=0)
    pcd = RBMConfig(persistent=True, sample_visible=True, **common)
    cd = RBMConfig(**common)
    repeats = 5 if quick else 20
    t_pcd = _time_ours(pcd, data, batches, repeats)
    t_cd = _time_ours(cd, data, batches, repeats)
    try:
        from sklearn.neural_network import BernoulliRBM
    except ImportError:
        BernoulliRBM = None
    if BernoulliRBM is not None:
        peer = BernoulliRBM(n_components=100, learning_rate=0.1, batch_size=10, n_iter=1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_peer = median_time(lambda: peer.fit(data), repeats)
        yield Row(f"{name} (ours PCD-1)", t_pcd, "sklearn BernoulliRBM.fit n_iter=1", t_peer)
        yield Row(f"{name} (ours CD-1)", t_cd, "sklearn BernoulliRBM.fit n_iter=1", t_peer)
    else:
        print(f"  {name}: scikit-learn not installed (pip install -e '.[bench]'); NumPy row only")
    t_np = median_time(lambda: _numpy_epoch(data, pcd, np.random.default_rng(0)), 3 if quick else 10)
    yield Row(f"{name} (ours PCD-1)", t_pcd, "numpy (batch-vectorised)", t_np)
