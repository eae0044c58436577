"""Where the engine computes: the CPU kernels, or numba-cuda kernels on a GPU (optional).

    NETPLAY_DEVICE=cpu    the CPU kernels only; nothing CUDA is ever imported
    NETPLAY_DEVICE=cuda   the CUDA twin of every kernel that has one (an error if no GPU is usable)
    NETPLAY_DEVICE=auto   (default) CUDA for a workload of at least its family's crossover size, when
                          a GPU is usable; the CPU otherwise

The CUDA kernels need the ``gpu`` extra (``pip install -e '.[gpu]'``: numba-cuda). Whether a GPU
is usable is found out once, at the first workload that could use one (importing
``numba.cuda``); a machine without one, or without the extra, computes on the CPU and sees no
difference. ``NUMBA_ENABLE_CUDASIM=1`` runs the CUDA kernels in Numba's simulator: the tests check
every kernel against its CPU twin that way, with no GPU.

Crossover sizes (``CROSSOVER``, in the family's own unit of work) start at conservative values;
at warm-up ``calibrate`` times both sides on this machine and replaces them (the app's process
warm-up, ``app.state.session.warm_process``, calls it: under ``auto`` with a usable GPU it
measures, elsewhere it does nothing; ``tests.bench --device cuda`` reports them).
"""
from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable

DEVICES = ("cpu", "cuda", "auto")
ENV = "NETPLAY_DEVICE"
# the smallest workload (multiply-adds) for which "auto" launches CUDA, per kernel family: a call's
# work, except cnn_step's, which is one update's (a call of n updates launches n times as often)
CROSSOVER = {"som_bmu": 50_000_000, "mlp_eval": 200_000_000, "rbm_cd": 50_000_000, "conv": 200_000_000,
             "pool": 1_000_000_000, "landscape": 200_000_000, "cnn_step": 20_000_000}

# what each family computes, for the app's line saying where a lab's work ran
LABELS = {"som_bmu": "the SOM's best-unit search", "mlp_eval": "the network's pictures", "rbm_cd": "RBM training",
          "conv": "convolutions", "pool": "pooling", "landscape": "the network's loss landscape",
          "cnn_step": "the CNN's training"}

_ready: bool | None = None
_why: str = ""
_picks = threading.local()   # per thread (a Streamlit session's script runs in its own): family -> devices


def requested() -> str:
    """The device asked for by NETPLAY_DEVICE (default auto); a clear error for anything else."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in DEVICES:
        raise ValueError(f"{ENV} must be one of {', '.join(DEVICES)}, got {value!r}")
    return value


def cuda_ready() -> bool:
    """A CUDA device (or Numba's simulator) is usable; found out once per process."""
    global _ready, _why
    if _ready is None:
        try:
            from numba import cuda
        except ImportError as err:   # numba-cuda not installed: the gpu extra
            _ready, _why = False, f"numba-cuda is not installed ({err}); pip install -e '.[gpu]'"
        else:
            try:
                _ready = bool(cuda.is_available())
                _why = "" if _ready else "no CUDA device found"
            except Exception as err:  # noqa: BLE001 - a broken driver is "not usable", not a crash
                _ready, _why = False, f"CUDA is not usable here: {err}"
    return _ready


def why_not() -> str:
    """Why CUDA is not used (after ``cuda_ready`` said False)."""
    return _why


def pick(family: str, work: float) -> str:
    """"cuda" or "cpu" for a workload of ``work`` units of kernel family ``family``. A misspelt
    NETPLAY_DEVICE computes on the CPU (``describe`` says why) rather than stopping a lab."""
    try:
        device = requested()
    except ValueError:
        return "cpu"
    if device == "cpu":
        return "cpu"
    if device == "cuda":
        if not cuda_ready():
            raise RuntimeError(f"{ENV}=cuda, but {why_not()}")
        return "cuda"
    return "cuda" if work >= CROSSOVER.get(family, float("inf")) and cuda_ready() else "cpu"


def kernel(family: str, work: float, cpu: Callable, cuda_name: str) -> Callable:
    """The kernel to call for a workload of ``work`` units of ``family``: ``cpu``, or where ``pick``
    says CUDA its twin ``cuda_name`` ("module.function" in ``engine.kernels``), imported only then."""
    device = pick(family, work)
    if not hasattr(_picks, "latest"):
        _picks.latest = {}
    _picks.latest.setdefault(family, set()).add(device)
    if device != "cuda":
        return cpu
    module, name = cuda_name.split(".")
    return getattr(importlib.import_module(f"engine.kernels.{module}"), name)


def take_picks() -> dict[str, set[str]]:
    """Where each family's calls in this thread computed ("cpu", "cuda") since the last take, and
    forget them: what a lab's page run or frame used."""
    latest = getattr(_picks, "latest", {})
    _picks.latest = {}
    return latest


def gpu_in_use() -> bool:
    """Whether saying where a lab computes tells anything: a GPU was found usable here, or
    NETPLAY_DEVICE=cuda. Looks for no GPU itself."""
    try:
        return _ready is True or requested() == "cuda"
    except ValueError:
        return False


def describe() -> str:
    """One line for the app: which device computes, and why. Looks for no GPU itself: before a
    workload has asked, it says so (the app must not import CUDA only to print this)."""
    try:
        device = requested()
    except ValueError as err:
        return f"CPU ({err})"
    if device == "cpu":
        return f"CPU ({ENV}=cpu)"
    if _ready is None:
        return "CPU (a GPU is looked for when a workload is big enough to use one)"
    if not cuda_ready():
        return f"CPU ({why_not()})"
    return "GPU (CUDA) for every kernel that has a CUDA version" if device == "cuda" else \
        "GPU (CUDA) for workloads above their measured crossover, CPU below"


def measure_crossover(family: str, run: Callable[[str, int], None], sizes: list[int] | tuple[int, ...],
                      work: Callable[[int], float], repeats: int = 3) -> float:
    """Time ``run(device, size)`` on both devices for growing ``sizes`` (the best of ``repeats``
    calls each, after one that compiles); the first size where CUDA is faster sets
    ``CROSSOVER[family]`` (in ``work(size)`` units). Infinity when it never is."""
    found = float("inf")
    for size in sizes:
        times = {}
        for device in ("cpu", "cuda"):
            run(device, size)   # compiled and warm
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                run(device, size)
                best = min(best, time.perf_counter() - start)
            times[device] = best
        if times["cuda"] < times["cpu"]:
            found = work(size)
            break
    CROSSOVER[family] = found
    return found


def calibrate(families: tuple[str, ...] | None = None) -> dict[str, float]:
    """At warm-up, under ``auto`` with a usable GPU: measure each family's crossover on this
    machine (``engine.gpu_cases``, a second or two in all) so ``pick`` sends work to the GPU only
    where it pays here. Does nothing (and imports nothing CUDA) otherwise; returns what it set."""
    try:
        if requested() != "auto":
            return {}
    except ValueError:
        return {}
    if not cuda_ready():
        return {}
    from numba import config

    if config.ENABLE_CUDASIM:   # the simulator's timings say nothing about a GPU
        return {}
    from engine import gpu_cases

    found = {}
    for family in families or tuple(gpu_cases.FAMILIES):
        cases: dict[int, gpu_cases.Case] = {}

        def run(device: str, size: int, _make=gpu_cases.FAMILIES[family]) -> None:
            if size not in cases:
                cases.clear()   # one size's data at a time
                cases[size] = _make(size)
            cases[size].run(device)
        found[family] = measure_crossover(family, run, gpu_cases.CALIBRATION_SIZES[family],
                                          lambda size: cases[size].work)
    return found
