"""The benchmark workloads. Each yields rows; ``quick`` trades repeats for a run under a minute,
and ``wanted(name)`` says whether a row is asked for (checked before any timing)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engine import activations, optimizers
from tests.bench.harness import Row, median_time

ROOT = Path(__file__).resolve().parents[2]


def _numpy_update(name: str, p, g, s1, s2, t, c: optimizers.OptimizerConfig) -> None:
    """The same rules as the kernel, written as the in-place NumPy a careful person would write."""
    if name in ("gd", "sgd"):
        p -= c.lr * g
    elif name == "momentum":
        s1 *= c.momentum
        s1 += g
        p -= c.lr * s1
    elif name == "nesterov":
        s1 *= c.momentum
        s1 += g
        p -= c.lr * (g + c.momentum * s1)
    elif name == "adagrad":
        s1 += g * g
        p -= c.lr * g / (np.sqrt(s1) + c.eps)
    elif name == "rmsprop":
        s1 *= c.rho
        s1 += (1 - c.rho) * g * g
        p -= c.lr * g / (np.sqrt(s1) + c.eps)
    elif name in ("adam", "nadam"):
        s1 *= c.beta1
        s1 += (1 - c.beta1) * g
        s2 *= c.beta2
        s2 += (1 - c.beta2) * g * g
        c1, c2 = 1 - c.beta1 ** t, 1 - c.beta2 ** t
        m_hat = s1 / c1 if name == "adam" else (c.beta1 * s1 + (1 - c.beta1) * g) / c1
        p -= c.lr * m_hat / (np.sqrt(s2 / c2) + c.eps)
    elif name == "adadelta":
        s1 *= c.rho
        s1 += (1 - c.rho) * g * g
        dx = -np.sqrt(s2 + c.eps) / np.sqrt(s1 + c.eps) * g
        s2 *= c.rho
        s2 += (1 - c.rho) * dx * dx
        p += c.lr * dx


def optimizer_updates(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    n = 100_000
    rng = np.random.default_rng(0)
    g = rng.normal(size=n)
    repeats = 20 if quick else 200
    names = ("sgd", "momentum", "adam") if quick else ("sgd", "momentum", "nesterov", "adagrad",
                                                      "rmsprop", "adam", "adadelta", "nadam")
    for name in names:
        if not wanted(f"optimizer_update_100k_{name}"):
            continue
        config = optimizers.default_config(name)
        ours = optimizers.Optimizer(config, n)
        p = rng.normal(size=n)
        t_ours = median_time(lambda: ours.update(p, g), repeats)
        q, s1, s2 = rng.normal(size=n), np.zeros(n), np.zeros(n)
        step = [0]

        def numpy_step():
            step[0] += 1
            _numpy_update(name, q, g, s1, s2, step[0], config)
        t_np = median_time(numpy_step, repeats)
        yield Row(f"optimizer_update_100k_{name}", t_ours, "numpy (in place)", t_np)


_NUMPY_ACTIVATIONS = {
    "sigmoid": lambda x: (lambda s: (s, s * (1 - s)))(1 / (1 + np.exp(-x))),
    "tanh": lambda x: (lambda t: (t, 1 - t * t))(np.tanh(x)),
    "relu": lambda x: (np.maximum(x, 0), (x > 0).astype(np.float64)),
    "elu": lambda x: (np.where(x > 0, x, np.expm1(x)), np.where(x > 0, 1.0, np.exp(x))),
    "softplus": lambda x: (np.logaddexp(0, x), 1 / (1 + np.exp(-x))),
}


def activation_derivatives(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    x = np.random.default_rng(1).normal(0, 3, 1_000_000)
    repeats = 5 if quick else 30
    names = ("sigmoid", "relu") if quick else tuple(_NUMPY_ACTIVATIONS)
    for name in names:
        if not wanted(f"activation_deriv_1M_{name}"):
            continue
        t_ours = median_time(lambda: activations.activate_and_derivative(name, x), repeats)
        t_np = median_time(lambda: _NUMPY_ACTIVATIONS[name](x), repeats)
        yield Row(f"activation_deriv_1M_{name}", t_ours, "numpy", t_np)


def softmax_rows(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    if not wanted("softmax_100k_x_10"):
        return
    z = np.random.default_rng(2).normal(0, 3, (100_000, 10))

    def numpy_softmax():
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    repeats = 5 if quick else 30
    yield Row("softmax_100k_x_10", median_time(lambda: activations.softmax(z), repeats),
              "numpy", median_time(numpy_softmax, repeats))


def jit_start(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    """A fresh process importing the engine and running every kernel once: empty cache vs warm."""
    if not wanted("jit_cold_start_engine"):
        return
    code = "import time; t = time.perf_counter(); import engine; engine.warmup(); print(time.perf_counter() - t)"

    def run(cache_dir: str) -> float:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory() as cache:
        cold = run(cache)                       # compiles and fills the cache
        warm = [run(cache) for _ in range(1 if quick else 3)]
    yield Row("jit_cold_start_engine", cold, "same, warm cache", float(np.median(warm)))


from tests.bench.mlp_workloads import mlp_grid_eval, mlp_step_digits, mlp_step_playground  # noqa: E402
from tests.bench.app_workloads import first_frame  # noqa: E402
from tests.bench.conv_workloads import conv_workloads  # noqa: E402
from tests.bench.rbm_workloads import rbm_epoch  # noqa: E402
from tests.bench.som_workloads import som_training  # noqa: E402
from tests.bench.rnn_workloads import rnn_steps  # noqa: E402
from tests.bench.ae_workloads import autoencoder_epoch  # noqa: E402
from tests.bench.surface_workloads import optimizer_race  # noqa: E402

WORKLOADS = [optimizer_updates, activation_derivatives, softmax_rows, mlp_step_playground, mlp_step_digits, mlp_grid_eval,
             optimizer_race, som_training, rbm_epoch, conv_workloads, rnn_steps, autoencoder_epoch, jit_start, first_frame]
