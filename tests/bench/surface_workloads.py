"""The optimizer race: 9 optimizers x 1,000 steps on Rosenbrock in one call, vs a NumPy reference."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from engine.optimizers import OPTIMIZERS
from engine.surfaces import SURFACES, Racer, race
from tests.bench.harness import Row, median_time

STEPS = 1000


def _rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    r = y - x * x
    return np.array([-2 * (1 - x) - 400 * x * r, 200 * r])


def optimizer_race(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    if not wanted("optimizer_race"):
        return
    from tests.bench.workloads import _numpy_update  # the same in-place NumPy rules as the update rows

    s = SURFACES["rosenbrock"]
    configs = [s.suggested(name) for name in OPTIMIZERS]
    racers = [Racer(c) for c in configs]
    t_ours = median_time(lambda: race(s, racers, s.start, STEPS), 5 if quick else 30)

    def numpy_race() -> np.ndarray:
        out = np.empty((len(configs), STEPS + 1, 2))
        for r, (name, c) in enumerate(zip(OPTIMIZERS, configs)):
            p = np.array(s.start, dtype=float)
            s1, s2 = np.zeros(2), np.zeros(2)
            out[r, 0] = p
            for t in range(1, STEPS + 1):
                _numpy_update(name, p, _rosenbrock_grad(p), s1, s2, t, c)
                out[r, t] = p
        return out

    ours = race(s, racers, s.start, STEPS).positions
    ref = numpy_race()
    assert np.allclose(ours[np.isfinite(ours)], ref[np.isfinite(ours)], rtol=1e-8, atol=1e-10), \
        "the race kernel and the NumPy reference disagree"
    t_np = median_time(numpy_race, 1 if quick else 3)
    yield Row(f"optimizer_race_9x{STEPS}_rosenbrock", t_ours, "numpy (per-step loop)", t_np)
