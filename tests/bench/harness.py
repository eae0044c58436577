"""Timing and reporting shared by the workloads."""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Row:
    workload: str
    ours_s: float
    peer: str
    peer_s: float

    @property
    def speedup(self) -> float:
        return self.peer_s / self.ours_s

    def as_dict(self) -> dict:
        return {**asdict(self), "speedup": self.speedup}


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` calls, after ``warmup`` calls."""
    return interleaved_medians([fn], repeats, warmup)[0]


def interleaved_medians(fns: list[Callable[[], object]], repeats: int, warmup: int = 1) -> list[float]:
    """Median wall time of each of ``fns`` over ``repeats`` rounds that call every one of them once.

    A shared VM's clock drifts by 10-20 % within a minute; timing one function's repeats and then
    the other's lets that drift into the ratio. Taking turns, each round sees both at the same speed.
    """
    for fn in fns:
        for _ in range(warmup):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, own in zip(fns, times):
            start = time.perf_counter()
            fn()
            own.append(time.perf_counter() - start)
    return [statistics.median(own) for own in times]


def print_table(rows: list[Row]) -> None:
    head = f"{'workload':<34} {'ours':>11} {'peer':<22} {'peer time':>11} {'speedup':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r.workload:<34} {_fmt(r.ours_s):>11} {r.peer:<22} {_fmt(r.peer_s):>11} {r.speedup:>8.2f}x")


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def write_json(rows: list[Row], path: str) -> None:
    with open(path, "w") as f:
        json.dump([r.as_dict() for r in rows], f, indent=2)
