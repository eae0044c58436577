"""The loss of a real small network seen along two directions in its weight space.

A network from the playground engine (:class:`engine.mlp.MLP`) is trained to weights θ*. Two
directions d1, d2 span a plane through θ*; a point (u, v) of the plane stands for the weights

    θ(u, v) = θ* + (u - o_u) d1 + (v - o_v) d2

where (o_u, o_v) is the plane's origin. Directions are either two single weights (d = a unit vector,
the origin their trained values, so the axes read as the weights themselves) or two random
directions, *filter-normalised* as in Li et al. (2018, "Visualizing the Loss Landscape of Neural
Nets"): each neuron's slice of a Gaussian direction is rescaled to the norm of that neuron's
incoming weights, biases get zero, so the picture does not depend on the weights' scale.

Optimizers then race in (u, v): the gradient there is (d1·∇L, d2·∇L), from the full data set or,
for SGD, from real mini-batches of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import backend, checks
from engine.activations import ELEMENTWISE
from engine.datasets import make_2d
from engine.limits import MAX_POINTS
from engine.mlp import MLP, MLPConfig
from engine.optimizers import Optimizer, OptimizerConfig
from engine.surfaces import MAX_STEPS, RaceResult, Racer, _check_race, suggested_config

DATASETS = ("circle", "xor", "gaussians")
DIRECTIONS = ("random", "weights")
MAX_NETWORK_STEPS = 1000


@dataclass(frozen=True)
class LandscapeConfig:
    dataset: str = "xor"
    hidden: int = 4
    activation: str = "tanh"
    directions: str = "random"
    weight_a: int = 0          # for directions="weights": indices into the flat weight vector
    weight_b: int = 1
    span: float = 1.0          # the window reaches span (random) or 3*span (weights) either side
    n_points: int = 200
    train_steps: int = 400
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: keep the checked values
        checks.one_of("dataset", self.dataset, DATASETS)
        checks.one_of("directions", self.directions, DIRECTIONS)
        set_(self, "hidden", checks.whole("hidden", self.hidden, 1, 16))
        checks.one_of("activation", self.activation, ELEMENTWISE)
        n_weights = 2 * self.hidden + self.hidden + self.hidden + 1  # 2-h-1: weights and biases
        for name in ("weight_a", "weight_b"):
            set_(self, name, checks.whole(name, getattr(self, name), 0, n_weights - 1))
        set_(self, "span", checks.real("span", self.span, 0.05, 10.0))
        set_(self, "n_points", checks.whole("n_points", self.n_points, 4, MAX_POINTS))
        set_(self, "train_steps", checks.whole("train_steps", self.train_steps, 0, 5000))
        set_(self, "seed", checks.seed("seed", self.seed))


def plane_losses(model: MLP, center: np.ndarray, d1: np.ndarray, d2: np.ndarray, a: np.ndarray, b: np.ndarray,
                 out: np.ndarray) -> None:
    """``out[j, i]`` <- the mean data loss of ``model`` over its training data at the weights
    ``center + a[i] d1 + b[j] d2`` (a plane of weights); the model keeps its own weights. The CPU
    side of ``engine.kernels.cuda_mlp.plane_losses`` (one loss kernel call per point)."""
    try:
        for j, bv in enumerate(b):
            for i, au in enumerate(a):
                model.theta[:] = center + au * d1 + bv * d2
                out[j, i] = model.loss(model.x_train, model.y_train)
    finally:
        model.theta[:] = center


class NetworkLandscape:
    """A trained network and a plane through its weights. Axes: (u, v) as described above.

    It answers like a :class:`engine.surfaces.Surface` where it can (window, start, minima,
    value, gradient, grid, suggested); its lowest value is not known in advance (``None``).
    """
    label = "A small network's loss"
    log_contours = False
    min_value = None
    lr_gd = 0.1
    lr_adaptive = 0.05

    def __init__(self, config: LandscapeConfig) -> None:
        self.config = config
        data = make_2d(config.dataset, config.n_points, noise=0.1, seed=config.seed)
        mlp_config = MLPConfig(hidden=(config.hidden,), activations=(config.activation,), task="binary",
                               optimizer=OptimizerConfig("adam", lr=0.03), batch_size=len(data.x),
                               shuffle=False, seed=config.seed)
        self.model = MLP(mlp_config, data.x, data.y)
        self.x, self.y = data.x, data.y.astype(np.int64)
        if config.train_steps:
            self.model.step(config.train_steps)
        self.center = self.model.theta.copy()
        n = self.model.n_params
        self.names = self._parameter_names()
        if config.directions == "weights":
            for i in (config.weight_a, config.weight_b):
                if not 0 <= i < n:
                    raise ValueError(f"weight index must be from 0 to {n - 1}, got {i}")
            if config.weight_a == config.weight_b:
                raise ValueError("pick two different weights")
            self.d1, self.d2 = np.zeros(n), np.zeros(n)
            self.d1[config.weight_a] = self.d2[config.weight_b] = 1.0
            self.origin = np.array([self.center[config.weight_a], self.center[config.weight_b]])
            reach = 3.0 * config.span
            self.axis_labels = (self.names[config.weight_a], self.names[config.weight_b])
        else:
            rng = np.random.default_rng(config.seed + 1)
            self.d1, self.d2 = (self._filter_normalised(rng.standard_normal(n)) for _ in range(2))
            self.origin = np.zeros(2)
            reach = config.span
            self.axis_labels = ("α (direction 1)", "β (direction 2)")
        self.window = (self.origin[0] - reach, self.origin[0] + reach,
                       self.origin[1] - reach, self.origin[1] + reach)
        self.start = (float(self.origin[0] + 0.8 * reach), float(self.origin[1] - 0.8 * reach))
        self.minima = (tuple(self.origin),)  # the trained weights (a minimum of the data loss)
        self.about = (f"Binary cross-entropy of a 2-{config.hidden}-1 {config.activation} network trained "
                      f"on {config.dataset} ({config.train_steps} Adam steps), seen "
                      + ("along two single weights; the other weights stay at their trained values."
                         if config.directions == "weights" else
                         "along two random filter-normalised directions through the trained weights (centre)."))

    def suggested(self, name: str):
        return suggested_config(name, self.lr_gd, self.lr_adaptive)

    def gradient(self, u: float, v: float) -> np.ndarray:
        return self.value_and_gradient(u, v)[1]

    def _parameter_names(self) -> list[str]:
        names = []
        sizes = self.model.config.sizes
        for l in range(len(sizes) - 1):
            names += [f"W{l + 1}[{i + 1}→{j + 1}]" for i in range(sizes[l]) for j in range(sizes[l + 1])]
            names += [f"b{l + 1}[{j + 1}]" for j in range(sizes[l + 1])]
        return names

    def _filter_normalised(self, d: np.ndarray) -> np.ndarray:
        ws, _ = self.model.weights()
        out = np.zeros_like(d)
        sizes = self.model.config.sizes
        pos = 0
        for l, w in enumerate(ws):
            block = d[pos:pos + w.size].reshape(w.shape)
            for j in range(w.shape[1]):  # one neuron = one column of incoming weights
                norm = np.linalg.norm(block[:, j])
                block[:, j] *= np.linalg.norm(w[:, j]) / norm if norm > 0 else 0.0
            out[pos:pos + w.size] = block.ravel()
            pos += w.size + sizes[l + 1]  # biases stay 0
        return out

    def weights_at(self, u: float, v: float) -> np.ndarray:
        u, v = checks.real("u", u, -1e6, 1e6), checks.real("v", v, -1e6, 1e6)
        return self.center + (u - self.origin[0]) * self.d1 + (v - self.origin[1]) * self.d2

    def value(self, u: float, v: float) -> float:
        self.model.theta[:] = self.weights_at(u, v)
        try:
            return self.model.loss(self.model.x_train, self.model.y_train)
        finally:
            self.model.theta[:] = self.center

    def value_and_gradient(self, u: float, v: float, rows: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Loss and (d1·∇L, d2·∇L) at (u, v) over all points or the given rows."""
        self.model.theta[:] = self.weights_at(u, v)
        if rows is not None:
            rows = checks.array("rows", rows, ndim=1, dtype=np.int64, lo=0, hi=len(self.x) - 1, min_rows=1)
        x, y = (self.x, self.y) if rows is None else (self.x[rows], self.y[rows])
        try:
            loss, g = self.model.loss_and_gradient(x, y)
        finally:
            self.model.theta[:] = self.center  # the network itself stays the trained one
        return loss, np.array([self.d1 @ g, self.d2 @ g])

    def grid(self, n: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The loss at n x n points of the window: z[j, i] at (xs[i], ys[j]), as ``value`` gives
        it; on the GPU where ``engine.backend`` picks it (a big grid of a big network on much data)."""
        n = checks.whole("n", n, 2, 200)  # one loss evaluation per point
        x0, x1, y0, y1 = self.window
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        z = np.empty((n, n))
        work = float(n * n) * len(self.x) * self.model.n_params
        losses = backend.kernel("landscape", work, plane_losses, "cuda_mlp.plane_losses")
        losses(self.model, self.center, self.d1, self.d2, xs - self.origin[0], ys - self.origin[1], z)
        return xs, ys, z

    def race(self, racers: list[Racer], start, steps: int, seed: int = 0) -> RaceResult:
        """Optimizers in the (u, v) plane; SGD racers use real mini-batches of the data."""
        start = _check_race(racers, start, steps)
        seed = checks.seed("seed", seed)
        if steps > min(MAX_STEPS, MAX_NETWORK_STEPS):
            raise ValueError(f"on the network surface a race has at most {MAX_NETWORK_STEPS} steps")
        k, n = len(racers), len(self.x)
        positions = np.full((k, steps + 1, 2), np.nan)
        losses = np.full((k, steps + 1), np.nan)
        grads = np.full((k, steps, 2), np.nan)
        diverged = np.full(k, -1, dtype=np.int64)
        for r, racer in enumerate(racers):
            rng = np.random.default_rng(seed + r)
            opt = Optimizer(racer.optimizer, 2)
            p = start.copy()
            loss, g = self.value_and_gradient(*p)
            positions[r, 0], losses[r, 0] = p, loss
            for t in range(steps):
                if racer.batch_size is not None and racer.batch_size < n:
                    _, g = self.value_and_gradient(*p, rows=rng.choice(n, racer.batch_size, replace=False))
                grads[r, t] = g
                if not np.all(np.isfinite(g)):
                    diverged[r] = t + 1
                    break
                opt.update(p, g)
                loss, g = self.value_and_gradient(*p)
                if not (np.isfinite(loss) and np.all(np.abs(p) < 1e6)):
                    diverged[r] = t + 1
                    break
                positions[r, t + 1], losses[r, t + 1] = p, loss
        return RaceResult([r.label for r in racers], positions, losses, grads, diverged)
