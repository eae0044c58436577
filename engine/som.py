"""Self-Organizing Map (Kohonen), MiniSom's update rule with a Numba training loop.

A grid of ``width x height`` units, each holding a weight vector in the data space. Each step
takes one sample ``x`` (in a seeded random order that visits every sample equally often), finds
its best-matching unit (BMU: the unit whose weights are nearest), and pulls every unit towards
``x`` by the learning rate times the neighbourhood function of its grid distance to the BMU::

    w_u <- w_u + lr(t) * h(u; bmu, sigma(t)) * (x - w_u)

Both the learning rate and the radius ``sigma`` shrink over the ``steps`` of training (see
``engine.kernels.som.decay``): early steps move big patches of the map, late steps fine-tune
single units. Batch mode instead moves every unit to the neighbourhood-weighted mean of all the
data once per step (Kohonen's batch map). Defaults are MiniSom's (sigma 1, lr 0.5, asymptotic
decay, gaussian, euclidean) except the map size and the initial weights: ours (``init="random"``)
are uniform in the data's bounding box, while a fresh MiniSom draws each unit uniformly in [-1, 1)
and scales it to length 1 (its map starts on the unit sphere, wherever the data lies).
``init="sample"`` picks random samples, as MiniSom's ``random_weights_init``; ``init="pca"`` spans
a plane through the mean along the first two principal components (see ``_initial_weights``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from engine import backend, checks
from engine.kernels import som as k
from engine.limits import MAX_ABS_VALUE
from engine.limits import SOM_MAX_BATCH_WORK as MAX_BATCH_WORK
from engine.limits import SOM_MAX_SIDE as MAX_SIDE
from engine.limits import SOM_MAX_STEPS as MAX_STEPS

TOPOLOGIES = ("rectangular", "hexagonal")
NEIGHBOURHOODS = ("gaussian", "bubble", "mexican_hat", "triangle")
DISTANCES = ("euclidean", "cosine", "manhattan")
DECAYS = ("asymptotic", "inverse", "linear", "exponential", "constant")
INITS = ("random", "sample", "pca")
MODES = ("sequential", "batch")
DIVERGED_BEYOND = 1e3  # weights this many data-scales away count as divergence

_DECAY_CODES = {"constant": k.CONSTANT, "asymptotic": k.ASYMPTOTIC, "inverse": k.INVERSE, "linear": k.LINEAR,
                "exponential": k.EXPONENTIAL}
_HEX_ROW_HEIGHT = np.sqrt(3) / 2


@dataclass(frozen=True)
class SOMConfig:
    """Everything that defines a run; the same config and data reproduce it exactly."""
    width: int = 10
    height: int = 10
    topology: str = "rectangular"
    neighbourhood: str = "gaussian"
    sigma: float = 1.0                 # initial radius, in grid cells
    learning_rate: float = 0.5         # initial learning rate
    sigma_decay: str = "asymptotic"
    lr_decay: str = "asymptotic"
    distance: str = "euclidean"
    init: str = "random"
    mode: str = "sequential"
    steps: int = 1000                  # length of training: the decay schedules end here
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: keep the checked values
        for name in ("width", "height"):
            set_(self, name, checks.whole(name, getattr(self, name), 1, MAX_SIDE))
        if self.width * self.height < 2:
            raise ValueError("width x height: a map needs at least two units")
        for name, options in (("topology", TOPOLOGIES), ("neighbourhood", NEIGHBOURHOODS),
                              ("sigma_decay", DECAYS), ("lr_decay", DECAYS), ("distance", DISTANCES),
                              ("init", INITS), ("mode", MODES)):
            checks.one_of(name, getattr(self, name), options)
        set_(self, "sigma", checks.real("sigma", self.sigma, 0.0, 2 * MAX_SIDE, lo_open=True))
        set_(self, "learning_rate", checks.real("learning_rate", self.learning_rate, 0.0, 10.0, lo_open=True))
        set_(self, "steps", checks.whole("steps", self.steps, 1, MAX_STEPS))
        set_(self, "seed", checks.seed("seed", self.seed))


@dataclass
class SOMHistory:
    """Quality of the map over training, one entry per ``step`` call."""
    step: list[int] = field(default_factory=list)
    quantization_error: list[float] = field(default_factory=list)
    topographic_error: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class SOMSnapshot:
    weights: np.ndarray          # (width, height, features)
    t: int                       # steps done
    steps: int                   # steps planned (end of the schedules)
    learning_rate: float         # at the next step
    sigma: float                 # at the next step
    last_sample: int | None      # index of the sample of the last update (sequential mode)
    last_bmu: tuple[int, int] | None
    last_learning_rate: float | None
    last_sigma: float | None
    history: SOMHistory


class SOM:
    """A map trained on ``data`` (n_samples, n_features)."""

    def __init__(self, config: SOMConfig, data: np.ndarray) -> None:
        if not isinstance(config, SOMConfig):
            raise ValueError(f"config must be a SOMConfig, got {checks.describe(config)}")
        data = checks.array("data", data, ndim=2, min_rows=1, lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
        if data.shape[1] < 1:
            raise ValueError("data must be a table: one row per sample, at least one column per feature")
        if config.init == "pca" and (data.shape[1] < 2 or len(data) < 2):
            raise ValueError("PCA initialisation needs at least two samples and two features")
        if config.mode == "batch":
            work = float(len(data)) * config.width * config.height * data.shape[1] * config.steps
            if work > MAX_BATCH_WORK:
                raise ValueError("this batch run is too large (samples x units x features x steps); "
                                 "use fewer steps, a smaller map or sequential mode")
        self.config = config
        self.data = data
        self.rng = np.random.default_rng(config.seed)
        w, h = config.width, config.height
        self.shift = np.zeros(h)
        self.row_height = 1.0
        if config.topology == "hexagonal":  # MiniSom's layout: rows h-1, h-3, ... shifted left
            self.shift[(h - 1) % 2::2] = 0.5
            self.row_height = float(_HEX_ROW_HEIGHT)
        self._wt = np.ascontiguousarray(self._initial_weights().T)  # (features, units): kernels run along units
        self._best = None  # the best-unit search over the training data for the current weights
        n = len(data)
        self.order = self.rng.permutation(np.arange(config.steps) % n) if config.mode == "sequential" else None
        self.bmu_trace = np.full(config.steps, -1, dtype=np.int64)
        self.t = 0
        self.diverged = False
        self.history = SOMHistory()
        self._neighbours = self._grid_neighbours()
        self._record()

    # ---- geometry ------------------------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """(units, features) weight vectors, unit ``u = column * height + row`` (a read-only live view:
        set new weights through this property, so the cached best-unit search stays right)."""
        view = self._wt.T
        view.flags.writeable = False
        return view

    @weights.setter
    def weights(self, value: np.ndarray) -> None:
        value = checks.array("weights", value, ndim=(2, 3), lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
        if value.size != self.n_units * self.data.shape[1]:
            raise ValueError(f"weights must be ({self.n_units}, {self.data.shape[1]}), got shape {value.shape}")
        value = value.reshape(self.n_units, self.data.shape[1])
        self._wt = np.ascontiguousarray(value.T)
        self._best = None

    @property
    def n_units(self) -> int:
        return self.config.width * self.config.height

    def positions(self) -> np.ndarray:
        """(width, height, 2) position of every unit on the plane (hexagonal rows shifted)."""
        i, j = np.meshgrid(np.arange(self.config.width), np.arange(self.config.height), indexing="ij")
        return np.stack([i - self.shift[j], j * self.row_height], axis=-1).astype(float)

    def adjacency(self) -> np.ndarray:
        """(units, 8) flat indices of each unit's grid neighbours, padded with -1."""
        return self._neighbours.copy()

    def _grid_neighbours(self) -> np.ndarray:
        """(units, 8) indices of the adjacent units, -1 padded: 8 around a square cell, 6 around a hexagon."""
        w, h = self.config.width, self.config.height
        pos = self.positions().reshape(-1, 2)
        out = np.full((w * h, 8), -1, dtype=np.int64)
        for u in range(w * h):
            i, j = divmod(u, h)
            found = []
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    a, b = i + di, j + dj
                    if (di or dj) and 0 <= a < w and 0 <= b < h:
                        v = a * h + b
                        if self.config.topology == "rectangular" or np.isclose(np.linalg.norm(pos[u] - pos[v]), 1):
                            found.append(v)
            out[u, :len(found)] = found
        return out

    def _initial_weights(self) -> np.ndarray:
        """random: uniform in the data's bounding box; sample: random samples; pca: a plane through
        the mean spanned by the two main principal components, +-sqrt(3) standard deviations (the
        spread of a uniform distribution with that variance)."""
        cfg, x = self.config, self.data
        units, dim = self.n_units, x.shape[1]
        if cfg.init == "random":
            lo, hi = x.min(axis=0), x.max(axis=0)
            return lo + self.rng.random((units, dim)) * (hi - lo)
        if cfg.init == "sample":
            return x[self.rng.integers(0, len(x), units)].copy()
        values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
        order = np.argsort(values)[::-1]
        spread = np.sqrt(np.maximum(values[order[:2]], 0)) * np.sqrt(3)
        pc1, pc2 = vectors[:, order[0]] * spread[0], vectors[:, order[1]] * spread[1]
        a = np.linspace(-1, 1, cfg.width)[:, None, None]
        b = np.linspace(-1, 1, cfg.height)[None, :, None]
        return (x.mean(axis=0) + a * pc1 + b * pc2).reshape(units, dim)

    # ---- schedules -----------------------------------------------------------------------
    def learning_rate_at(self, t: int | np.ndarray) -> np.ndarray | float:
        return schedule(self.config.lr_decay, self.config.learning_rate, t, self.config.steps, is_sigma=False)

    def sigma_at(self, t: int | np.ndarray) -> np.ndarray | float:
        return schedule(self.config.sigma_decay, self.config.sigma, t, self.config.steps, is_sigma=True)

    def neighbourhood(self, bmu: int | tuple[int, int], sigma: float) -> np.ndarray:
        """(width, height) neighbourhood weights h(u) around ``bmu`` for radius ``sigma``."""
        u = self._flat(bmu)
        sigma = checks.real("sigma", sigma, 0.0, 1e6, lo_open=True)
        out = np.empty(self.n_units)
        k.neighbourhood(NEIGHBOURHOODS.index(self.config.neighbourhood), self.config.height, self.row_height,
                        self.shift, u, float(sigma), out)
        return out.reshape(self.config.width, self.config.height)

    # ---- training ------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.t >= self.config.steps or self.diverged

    @property
    def status(self) -> str:
        """"diverged" (weights blew up), "done" (all planned steps run) or "running"."""
        return "diverged" if self.diverged else "done" if self.done else "running"

    def step(self, n: int = 1) -> str:
        """Run up to ``n`` more steps (never past ``config.steps``); returns the status.

        Weights that leave any sensible range (a mexican hat with a large learning rate pushes
        units away from the data without bound) stop training as "diverged".
        """
        n = checks.whole("n", n, 0, 2**62)  # any count: the run ends at config.steps anyway
        n = 0 if self.diverged else min(n, self.config.steps - self.t)
        if n:
            cfg = self.config
            codes = (_DECAY_CODES[cfg.lr_decay], _DECAY_CODES[cfg.sigma_decay],
                     NEIGHBOURHOODS.index(cfg.neighbourhood), DISTANCES.index(cfg.distance))
            if cfg.mode == "sequential":
                k.train_sequential(self.data, self.order[self.t:self.t + n], self._wt, cfg.height,
                                   self.row_height, self.shift, self.t, cfg.steps, cfg.learning_rate, cfg.sigma,
                                   *codes, self.bmu_trace[self.t:self.t + n])
            else:   # the batch map: each iteration's BMU search on the GPU where it pays
                train = backend.kernel("som_bmu", float(len(self.data)) * self._wt.size, k.train_batch,
                                       "cuda_som.train_batch")
                train(self.data, self._wt, cfg.height, self.row_height, self.shift, self.t, n,
                      cfg.steps, cfg.learning_rate, cfg.sigma, *codes)
            self.t += n
            self._best = None
            scale = float(np.abs(self.data).max()) + 1.0
            if not np.all(np.isfinite(self._wt)) or np.abs(self._wt).max() > DIVERGED_BEYOND * scale:
                self.diverged = True
            self._record()
        return self.status

    def _record(self) -> None:
        qe, te = (np.nan, np.nan) if self.diverged else self.errors()
        self.history.step.append(self.t)
        self.history.quantization_error.append(qe)
        self.history.topographic_error.append(te)

    # ---- reading the map -----------------------------------------------------------------
    def _flat(self, unit: int | tuple[int, int]) -> int:
        """A flat unit index from a flat index or a (column, row) cell, checked against the grid."""
        if isinstance(unit, tuple):
            if len(unit) != 2:
                raise ValueError(f"a unit is a flat index or a (column, row) cell, got {checks.describe(unit)}")
            col = checks.whole("column", unit[0], 0, self.config.width - 1)
            return col * self.config.height + checks.whole("row", unit[1], 0, self.config.height - 1)
        return checks.whole("unit", unit, 0, self.n_units - 1)

    def cell(self, unit: int) -> tuple[int, int]:
        """Grid (column, row) of a flat unit index."""
        return divmod(checks.whole("unit", unit, 0, self.n_units - 1), self.config.height)

    def _two_best(self, data: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best and second-best unit and the distance to the best, per sample. For the training data
        it is computed once per set of weights: the errors, hit map, win map, labels map and outlier
        list of one frame all read it."""
        if data is None and self._best is not None:
            return self._best
        x = self.data if data is None else checks.array("data", data, shape=(None, self.data.shape[1]),
                                                        lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
        first = np.empty(len(x), dtype=np.int64)
        second = np.empty(len(x), dtype=np.int64)
        gap = np.empty(len(x))
        two_best = backend.kernel("som_bmu", float(len(x)) * self._wt.size, k.two_best, "cuda_som.two_best")
        two_best(x, self._wt, DISTANCES.index(self.config.distance), first, second, gap)
        if data is None:
            for a in (first, second, gap):
                a.flags.writeable = False  # shared by every reader until the weights change
            self._best = (first, second, gap)
        return first, second, gap

    def bmus(self, data: np.ndarray | None = None) -> np.ndarray:
        """Flat BMU index of every sample (by the map's distance)."""
        return self._two_best(data)[0]

    def errors(self, data: np.ndarray | None = None) -> tuple[float, float]:
        """(quantization error, topographic error).

        Quantization error: mean euclidean distance from a sample to its BMU's weights (how well
        the map fits). Topographic error: share of samples whose best and second-best units are
        not adjacent on the grid (how well it keeps the topology; 0 is perfect).
        """
        first, second, gap = self._two_best(data)
        pos = self.positions().reshape(-1, 2)
        apart = np.linalg.norm(pos[first] - pos[second], axis=1)
        limit = 1.42 if self.config.topology == "rectangular" else 1.0 + 1e-6  # diagonal / hexagon side
        return float(gap.mean()), float((apart > limit).mean())

    def quantization_error(self, data: np.ndarray | None = None) -> float:
        return self.errors(data)[0]

    def topographic_error(self, data: np.ndarray | None = None) -> float:
        return self.errors(data)[1]

    def u_matrix(self) -> np.ndarray:
        """(width, height) mean distance of each unit's weights to its neighbours' weights.
        High values are borders between clusters (and outliers sitting alone)."""
        return k.mean_neighbour_distance(self._wt, self._neighbours).reshape(self.config.width,
                                                                                  self.config.height)

    def hit_map(self, data: np.ndarray | None = None) -> np.ndarray:
        """(width, height) how many samples each unit wins (MiniSom's ``activation_response``)."""
        counts = np.bincount(self.bmus(data), minlength=self.n_units)
        return counts.reshape(self.config.width, self.config.height).astype(float)

    def win_map(self, data: np.ndarray | None = None) -> dict[tuple[int, int], list[int]]:
        """Sample indices mapped to each (column, row) cell that wins any."""
        out: dict[tuple[int, int], list[int]] = defaultdict(list)
        for n, u in enumerate(self.bmus(data)):
            out[self.cell(u)].append(n)
        return dict(out)

    def labels_map(self, labels: np.ndarray, data: np.ndarray | None = None) -> dict[tuple[int, int], dict]:
        """For each cell, how many samples of each label it wins."""
        out: dict[tuple[int, int], dict] = {}
        bmus = self.bmus(data)
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(bmus):
            raise ValueError(f"labels must be one per sample ({len(bmus)}), got shape {labels.shape}")
        for n, u in enumerate(bmus):
            counts = out.setdefault(self.cell(u), {})
            counts[labels[n].item()] = counts.get(labels[n].item(), 0) + 1
        return out

    def outliers(self, count: int = 10) -> np.ndarray:
        """Indices of the samples found in the most isolated cells, most isolated first: ranked by
        the U-matrix value of their BMU, then by their distance to it. Uses no labels."""
        count = checks.whole("count", count, 0, len(self.data))
        first, _, gap = self._two_best()
        u = self.u_matrix().ravel()[first]
        order = np.lexsort((-gap, -u))
        return order[:count]

    def snapshot(self) -> SOMSnapshot:
        cfg = self.config
        last = self.t - 1 if self.t and cfg.mode == "sequential" else None
        return SOMSnapshot(
            weights=self.weights.reshape(cfg.width, cfg.height, -1).copy(), t=self.t, steps=cfg.steps,
            learning_rate=float(self.learning_rate_at(min(self.t, cfg.steps))),
            sigma=float(self.sigma_at(min(self.t, cfg.steps))),
            last_sample=int(self.order[last]) if last is not None else None,
            last_bmu=self.cell(self.bmu_trace[last]) if last is not None else None,
            last_learning_rate=float(self.learning_rate_at(last)) if last is not None else None,
            last_sigma=float(self.sigma_at(last)) if last is not None else None,
            history=self.history)


def schedule(name: str, start: float, t: int | np.ndarray, total: int, is_sigma: bool) -> np.ndarray | float:
    """The decay schedule ``name`` at step(s) ``t`` (the kernel's formula, vectorised)."""
    code = _DECAY_CODES[name]
    ts = np.asarray(t, dtype=float)
    out = np.array([k.decay(code, float(start), float(v), float(total), is_sigma) for v in ts.ravel()])
    return out.reshape(ts.shape) if ts.ndim else float(out[0])
