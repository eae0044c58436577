"""Autoencoder: one epoch over the digits (64-32-2-32-64, ReLU, sigmoid output + cross-entropy,
batch 64, Adam) vs PyTorch CPU (one thread, float64) and a NumPy version of the same updates.
Also prints the achieved GFLOP/s (2 x 3 x weights x batch per update: forward and backward) next
to one core's double-precision peak estimated from /proc/cpuinfo (vector width x 2 FMA units x 2
x clock), the number the issue asks to compare with."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engine import datasets
from engine.autoencoder import AEConfig, Autoencoder
from tests.bench.harness import Row, interleaved_medians

WIDTHS = (64, 32, 2, 32, 64)
BATCH = 64


def core_peak_gflops() -> tuple[float, str]:
    """One core's double-precision peak and how it was worked out (a rough upper bound)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return float("nan"), "no /proc/cpuinfo"
    mhz = max((float(v) for v in re.findall(r"cpu MHz\s*:\s*([\d.]+)", info)), default=float("nan"))
    flags = set(re.search(r"flags\s*:\s*(.*)", info).group(1).split()) if "flags" in info else set()
    lanes = 8 if "avx512f" in flags else (4 if "avx2" in flags else 2)
    return mhz / 1000 * lanes * 2 * 2, f"{mhz / 1000:.2f} GHz x {lanes} doubles x 2 FMA units x 2"


def _numpy_epoch(x: np.ndarray, rng: np.random.Generator, params: list[np.ndarray], state: dict) -> None:
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    ws, bs = params[0::2], params[1::2]
    for _ in range(len(x) // BATCH):
        rows = rng.integers(0, len(x), BATCH)
        h = [x[rows]]
        for i, (w, b) in enumerate(zip(ws, bs)):
            z = h[-1] @ w + b
            h.append(sig(z) if i == len(ws) - 1 else (z if i == 1 else np.maximum(z, 0)))
        d = (h[-1] - h[0]) / BATCH
        grads = []
        for i in range(len(ws) - 1, -1, -1):
            grads = [h[i].T @ d, d.sum(axis=0)] + grads
            if i:
                d = (d @ ws[i].T) * (1.0 if i == 2 else (h[i] > 0))
        state["t"] += 1
        t = state["t"]
        for p, g, m, v in zip(params, grads, state["m"], state["v"]):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= 0.005 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


def _torch_epoch(x: np.ndarray) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        layers.append(torch.nn.Linear(a, b).double())
        if i < len(WIDTHS) - 2 and i != 1:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=0.005)
    data = torch.from_numpy(x)
    gen = np.random.default_rng(1)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")

    def epoch() -> None:
        for _ in range(len(x) // BATCH):
            batch = data[torch.from_numpy(gen.integers(0, len(x), BATCH))]
            loss = loss_fn(net(batch), batch) / BATCH
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def autoencoder_epoch(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    name = "autoencoder_epoch_digits"
    if not wanted(name):
        return
    x = datasets.digits().x
    m = Autoencoder(AEConfig(encoder=(32,), code=2, batch_size=BATCH, learning_rate=0.005), x, test_share=0.0)
    updates = len(x) // BATCH
    rng = np.random.default_rng(0)
    params = []
    for a, b in zip(WIDTHS[:-1], WIDTHS[1:]):
        params += [rng.uniform(-0.1, 0.1, (a, b)), np.zeros(b)]
    state = {"t": 0, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}
    fns = [lambda: m.step(updates, record=False), lambda: _numpy_epoch(x, rng, params, state)]
    torch_fn = _torch_epoch(x)
    if torch_fn is not None:
        fns.append(torch_fn)
    else:
        print(f"  {name}: PyTorch not installed (pip install -e '.[bench]'); NumPy row only")
    times = interleaved_medians(fns, 3 if quick else 15)
    weights = sum(a * b for a, b in zip(WIDTHS[:-1], WIDTHS[1:]))
    flops = 2 * 3 * weights * BATCH * updates
    peak, how = core_peak_gflops()
    print(f"  {name}: {flops / times[0] / 1e9:.1f} GFLOP/s achieved; one core's peak about {peak:.0f} GFLOP/s "
          f"({how}): {flops / times[0] / 1e9 / peak:.0%} of it")
    if torch_fn is not None:
        yield Row(name, times[0], "pytorch (1 thread, float64)", times[2])
    yield Row(name, times[0], "numpy (batch-vectorised)", times[1])
