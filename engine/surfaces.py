"""Loss surfaces in a 2-D parameter space and optimizers racing across them.

A :class:`Surface` is a function f(x, y) with its analytic gradient, a plotting window, a start
point that makes a good demo, and its known minima. :func:`race` sends several optimizers (the
engine's own update rules, :mod:`engine.optimizers`) from one start point and records every step:

    p_{t+1} = rule(p_t, g_t),   g_t = grad f(p_t) + noise_t

``noise_t`` mimics mini-batch gradients for SGD: a surface is treated as the mean loss over
``VIRTUAL_SAMPLES`` examples whose gradients scatter with standard deviation ``noise`` around the
full gradient, so a batch of B of them has noise ``noise * sqrt(1/B - 1/N)`` (zero at B = N, where
SGD is plain gradient descent).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import checks
from engine.kernels import surfaces as k
from engine.limits import RACE_MAX_RACERS, RACE_MAX_STEPS, SURFACE_MAX_GRID
from engine.optimizers import OptimizerConfig, default_config

VIRTUAL_SAMPLES = 256
MAX_STEPS = RACE_MAX_STEPS
MAX_RACERS = RACE_MAX_RACERS


def suggested_config(name: str, lr_gd: float, lr_adaptive: float) -> OptimizerConfig:
    """Default hyper-parameters of ``name`` with a learning rate on the scale of a surface."""
    if name in ("gd", "sgd"):
        lr = lr_gd
    elif name in ("momentum", "nesterov"):  # velocity adds up to lr / (1 - mu) per step: half keeps them stable
        lr = lr_gd / 2
    elif name == "adagrad":  # its steps only ever shrink: start it bolder
        lr = 4 * lr_adaptive
    elif name == "adadelta":  # Zeiler's rule needs no learning rate; 1 is the neutral factor
        lr = 1.0
    else:
        lr = lr_adaptive
    return default_config(name, lr=lr)


@dataclass(frozen=True)
class Surface:
    """One analytic surface. ``param`` is the bowl's conditioning (ignored by the others)."""
    name: str
    label: str
    code: int
    window: tuple[float, float, float, float]       # x_min, x_max, y_min, y_max
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]          # known minima; the first is the global one
    noise: float                                     # per-sample gradient spread for SGD
    about: str
    param: float = 1.0
    log_contours: bool = False                       # steep walls: contour the log of f - f_min
    lr_gd: float = 0.1                               # a stable learning rate for the GD family
    lr_adaptive: float = 0.1                         # a step size (in x, y units) for adaptive rules

    @property
    def global_minimum(self) -> tuple[float, float]:
        return self.minima[0]

    @property
    def min_value(self) -> float:
        return self.value(*self.global_minimum)

    def value(self, x: float, y: float) -> float:
        return k.value_and_gradient(self.code, checks.real("x", x), checks.real("y", y), self.param)[0]

    def gradient(self, x: float, y: float) -> np.ndarray:
        _, gx, gy = k.value_and_gradient(self.code, checks.real("x", x), checks.real("y", y), self.param)
        return np.array([gx, gy])

    def grid(self, n: int = 80, window: tuple[float, float, float, float] | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (n,), ys (n,), values (n, n) with rows along y."""
        n = checks.whole("n", n, 2, SURFACE_MAX_GRID)
        if window is not None:
            window = tuple(checks.array("window", window, shape=(4,)))
            if not (window[0] < window[1] and window[2] < window[3]):
                raise ValueError(f"window must be (x_min, x_max, y_min, y_max) with min < max, got {window}")
        x0, x1, y0, y1 = window or self.window
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        return xs, ys, k.grid_values(self.code, self.param, xs, ys)

    def suggested(self, name: str) -> OptimizerConfig:
        """``name``'s usual hyper-parameters with a learning rate that suits this surface."""
        return suggested_config(name, self.lr_gd, self.lr_adaptive)

    def with_conditioning(self, ratio: float) -> "Surface":
        if self.code != k.BOWL:
            return self
        ratio = checks.real("ratio (conditioning)", ratio, 1.0, 1000.0)
        return Surface(**{**self.__dict__, "param": ratio})


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("bowl", "Convex bowl", k.BOWL, (-5, 5, -3, 3), (-4.5, 2.0), ((0.0, 0.0),), 2.0,
            "f = (x² + κ·y²)/2. One minimum; κ is the ratio of the curvatures. At κ = 1 every "
            "direction is alike; a large κ makes a narrow ravine along x.", param=10.0, lr_gd=0.15, lr_adaptive=0.1),
    Surface("local_minima", "Local minima", k.LOCAL_MINIMA, (-5, 5, -5, 5), (4.5, 4.5),
            ((-2.903534, -2.903534), (2.746803, -2.903534), (-2.903534, 2.746803), (2.746803, 2.746803)),
            3.0, "Styblinski-Tang (÷10): four valleys, only the one at (−2.90, −2.90) is the global "
            "minimum. Gradient descent stops in whichever valley it starts above.", lr_gd=0.02, lr_adaptive=0.1),
    Surface("saddle", "Saddle point", k.SADDLE, (-2.5, 2.5, -1.8, 1.8), (2.0, 0.001),
            ((0.0, 1.0), (0.0, -1.0)), 0.5,
            "f = x²/2 + y⁴/4 − y²/2. The origin is flat in every direction yet not a minimum; the "
            "two minima are at (0, ±1). Starting almost on the ridge, the way down is nearly flat.",
            lr_gd=0.05, lr_adaptive=0.05),
    Surface("rosenbrock", "Rosenbrock", k.ROSENBROCK, (-2, 2, -1, 3), (-1.5, 2.5), ((1.0, 1.0),), 20.0,
            "(1 − x)² + 100(y − x²)²: a curved, almost flat valley floor; the minimum (1, 1) is easy "
            "to reach and hard to get to the end of.", log_contours=True, lr_gd=0.001, lr_adaptive=0.02),
    Surface("beale", "Beale", k.BEALE, (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), 5.0,
            "Sharp ridges and flat plateaus; the minimum is at (3, 0.5).", log_contours=True,
            lr_gd=0.002, lr_adaptive=0.05),
    Surface("himmelblau", "Himmelblau", k.HIMMELBLAU, (-5, 5, -5, 5), (0.0, 0.0),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), 10.0,
            "Four minima, all of value 0: where an optimizer ends depends on where it starts and "
            "on how it moves.", log_contours=True, lr_gd=0.01, lr_adaptive=0.1),
)}


@dataclass(frozen=True)
class Racer:
    """One optimizer in a race. ``batch_size`` (SGD noise) is ``None`` for the full gradient."""
    optimizer: OptimizerConfig
    label: str = ""
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.optimizer, OptimizerConfig):
            raise ValueError(f"optimizer must be an OptimizerConfig, got {checks.describe(self.optimizer)}")
        if self.batch_size is not None:
            object.__setattr__(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, VIRTUAL_SAMPLES))
        if not isinstance(self.label, str):
            raise ValueError(f"label must be text, got {checks.describe(self.label)}")
        if not self.label:
            object.__setattr__(self, "label", self.optimizer.name)

    def noise_scale(self, per_sample: float) -> float:
        if self.batch_size is None:
            return 0.0
        return per_sample * float(np.sqrt(max(0.0, 1.0 / self.batch_size - 1.0 / VIRTUAL_SAMPLES)))


@dataclass
class RaceResult:
    """Every racer's path: positions (k, steps+1, 2), losses (k, steps+1), gradients (k, steps, 2).

    After a racer diverges its entries are NaN; ``diverged_at[r]`` is that step (-1: never).
    """
    labels: list[str]
    positions: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    diverged_at: np.ndarray
    extras: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.grads.shape[1]

    def effective_step_size(self) -> np.ndarray:
        """(k, steps, 2): |Δp_i| / |g_i|, the learning rate each parameter actually got.

        Constant for GD (= lr); it shrinks or grows per parameter for the adaptive methods.
        NaN where the gradient is ~0 or after divergence.
        """
        dp = np.abs(np.diff(self.positions, axis=1))
        g = np.abs(self.grads)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(g > 1e-12, dp / g, np.nan)

    def final_positions(self) -> np.ndarray:
        """(k, 2) the last finite position of each racer."""
        out = np.empty((len(self.labels), 2))
        for r in range(len(self.labels)):
            last = self.steps if self.diverged_at[r] < 0 else self.diverged_at[r] - 1
            out[r] = self.positions[r, last]
        return out


def _check_race(racers, start, steps) -> np.ndarray:
    if isinstance(racers, (str, bytes)) or not hasattr(racers, "__len__") or not 1 <= len(racers) <= MAX_RACERS \
            or not all(isinstance(r, Racer) for r in racers):
        raise ValueError(f"racers must be 1 to {MAX_RACERS} Racer items, got {checks.describe(racers)}")
    checks.whole("steps", steps, 1, MAX_STEPS)
    return checks.array("start", start, shape=(2,))


def race(surface: Surface, racers: list[Racer], start, steps: int, seed: int = 0,
         freeze_y: bool = False) -> RaceResult:
    """Run every racer ``steps`` updates from ``start`` in one compiled call."""
    start = _check_race(racers, start, steps)
    steps, seed, freeze_y = int(steps), checks.seed("seed", seed), checks.flag("freeze_y", freeze_y)
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a Surface, got {checks.describe(surface)}")
    n = len(racers)
    codes = np.array([r.optimizer.code for r in racers], dtype=np.int64)
    hypers = np.ascontiguousarray(np.stack([r.optimizer.hyper_vector() for r in racers]))
    scales = np.array([r.noise_scale(surface.noise) for r in racers])
    noise = np.random.default_rng(seed).standard_normal((n, steps, 2))
    positions = np.empty((n, steps + 1, 2))
    losses = np.empty((n, steps + 1))
    grads = np.empty((n, steps, 2))
    diverged = np.empty(n, dtype=np.int64)
    k.race(surface.code, surface.param, codes, hypers, scales, noise, start, int(steps), bool(freeze_y),
           positions, losses, grads, diverged)
    return RaceResult([r.label for r in racers], positions, losses, grads, diverged)
