"""Restricted Boltzmann Machine (Bernoulli visible and hidden units), trained by contrastive divergence.

Energy E(v, h) = -b.v - c.h - v W h; low energy means a likely configuration. Visible units connect
to every hidden unit and to no other visible unit (and the same for hidden units), so each layer
is independent given the other:

    p(h_j = 1 | v) = sigmoid(c_j + sum_i v_i W_ij)      p(v_i = 1 | h) = sigmoid(b_i + sum_j W_ij h_j)

CD-k (Hinton 2002) estimates the log-likelihood gradient as <v h> under the data minus <v h> after
k Gibbs steps started at the data; persistent CD (Tieleman 2008, scikit-learn's BernoulliRBM)
keeps the negative chain running across updates instead. Updates use momentum and L2 weight decay.
Visible values below 0 mean "unknown": they stay clamped during the Gibbs steps (as in the course's
movie recommender) and take no part otherwise: not in the hidden sums, the weight statistics or the
reconstruction error. (The course's PyTorch code lets the -1 flow into the hidden sums; leaving
unknown ratings out is what "unknown" means, and predicts unseen movies better.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import backend, checks
from engine.kernels import rbm as k
from engine.limits import MAX_ELEMENTS, RBM_MAX_GIBBS_STEPS
from engine.limits import RBM_MAX_BATCH as MAX_BATCH
from engine.limits import RBM_MAX_K as MAX_K
from engine.limits import RBM_MAX_UNITS as MAX_UNITS
FANTASY_PARTICLES = 100  # model samples whose free energy is tracked next to the data's


@dataclass(frozen=True)
class RBMConfig:
    n_visible: int = 64
    n_hidden: int = 64
    k: int = 1                      # Gibbs steps per update (CD-k / PCD-k)
    persistent: bool = False        # PCD: the negative chain carries over between updates
    learning_rate: float = 0.1
    momentum: float = 0.5
    weight_decay: float = 0.0001
    batch_size: int = 10
    sample_hidden: bool = True      # hidden states in the chain: samples (True) or probabilities
    sample_visible: bool = False    # visible states in the chain: samples or probabilities (mean field)
    init_std: float = 0.01          # weights start as N(0, init_std^2); biases at 0
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: keep the checked values
        for name in ("n_visible", "n_hidden"):
            set_(self, name, checks.whole(name, getattr(self, name), 1, MAX_UNITS))
        set_(self, "k", checks.whole("k (Gibbs steps)", self.k, 1, MAX_K))
        set_(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, MAX_BATCH))
        set_(self, "learning_rate", checks.real("learning_rate", self.learning_rate, 0.0, 10.0, lo_open=True))
        set_(self, "momentum", checks.real("momentum", self.momentum, 0.0, 1.0, hi_open=True))
        set_(self, "weight_decay", checks.real("weight_decay", self.weight_decay, 0.0, 1.0))
        set_(self, "init_std", checks.real("init_std", self.init_std, 0.0, 10.0))
        for name in ("persistent", "sample_hidden", "sample_visible"):
            set_(self, name, checks.flag(name, getattr(self, name)))
        set_(self, "seed", checks.seed("seed", self.seed))


@dataclass
class RBMHistory:
    """One entry per ``step`` call: updates done, epochs, reconstruction error, free energies."""
    updates: list[int] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    reconstruction_error: list[float] = field(default_factory=list)
    free_energy_data: list[float] = field(default_factory=list)
    free_energy_model: list[float] = field(default_factory=list)


class RBM:
    """An RBM over ``data`` (samples, n_visible) with values in [0, 1] (or < 0 for unknown)."""

    def __init__(self, config: RBMConfig, data: np.ndarray, monitor: np.ndarray | None = None) -> None:
        if not isinstance(config, RBMConfig):
            raise ValueError(f"config must be an RBMConfig, got {checks.describe(config)}")
        data = self._visible(data, "data", config.n_visible, min_rows=1)
        self.config = config
        self.data = data
        self.rng = np.random.default_rng(config.seed)
        self.W = np.ascontiguousarray(self.rng.normal(0.0, config.init_std, (config.n_hidden, config.n_visible)).T)
        self.b = np.zeros(config.n_visible)
        self.c = np.zeros(config.n_hidden)
        self.vel_W = np.zeros_like(self.W)
        self.vel_b = np.zeros_like(self.b)
        self.vel_c = np.zeros_like(self.c)
        self.chain_h = np.zeros((config.batch_size, config.n_hidden))  # PCD's persistent states (as scikit-learn)
        self.updates = 0
        self.batch_errors = np.empty(0)  # each batch's error before its update, from step(track_error=True)
        self.diverged = False
        self._order = np.empty(0, dtype=np.int64)
        self._cursor = 0
        # a fixed slice of the data to measure progress on (the whole set when it is small)
        self.monitor = data[:500] if monitor is None else self._visible(monitor, "monitor", config.n_visible, 1)
        self.history = RBMHistory()
        self._fantasy_rng = np.random.default_rng([config.seed, 1])
        self.fantasy = self._fantasy_rng.random((FANTASY_PARTICLES, config.n_visible))
        self._record()

    @staticmethod
    def _visible(v, name: str, n_visible: int, min_rows: int = 0) -> np.ndarray:
        """Visible rows (n, n_visible) of values <= 1 (below 0: unknown); one row may be 1-D."""
        v = checks.array(name, v, ndim=(1, 2), hi=1.0)
        v = v[None] if v.ndim == 1 else v
        if v.shape[1] != n_visible or len(v) < min_rows:
            raise ValueError(f"{name} must be rows of {n_visible} visible values (at least {min_rows}), "
                             f"got shape {v.shape}")
        return v

    # ---- conditionals ---------------------------------------------------------------------
    def hidden_probabilities(self, v: np.ndarray) -> np.ndarray:
        """p(h = 1 | v) for each row of ``v`` (n, n_visible)."""
        v = self._visible(v, "v", self.config.n_visible)
        checks.budget("hidden_probabilities", float(len(v)) * self.config.n_hidden)
        out = np.empty((len(v), self.config.n_hidden))
        k.hidden_probs(v, self.W, self.c, out)
        return out

    def visible_probabilities(self, h: np.ndarray) -> np.ndarray:
        """p(v = 1 | h) for each row of ``h`` (n, n_hidden)."""
        h = checks.array("h", h, ndim=(1, 2))
        h = h[None] if h.ndim == 1 else h
        if h.shape[1] != self.config.n_hidden:
            raise ValueError(f"h must be rows of {self.config.n_hidden} hidden values, got shape {h.shape}")
        checks.budget("visible_probabilities", float(len(h)) * self.config.n_visible)
        out = np.empty((len(h), self.config.n_visible))
        k.visible_probs(h, self.W, self.b, out)
        return out

    def reconstruct(self, v: np.ndarray) -> np.ndarray:
        """Mean-field reconstruction p(v | p(h | v)); unknown inputs come back predicted."""
        return self.visible_probabilities(self.hidden_probabilities(v))

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + (v W)_j): low for inputs the model finds likely."""
        v = self._visible(v, "v", self.config.n_visible)
        out = np.empty(len(v))
        k.free_energy(v, self.W, self.b, self.c, out)
        return out

    def reconstruction_error(self, v: np.ndarray | None = None) -> float:
        """Mean |v - reconstruction| over known units (values >= 0)."""
        v = self.monitor if v is None else self._visible(v, "v", self.config.n_visible, 1)
        known = v >= 0
        return float(np.abs(v - self.reconstruct(v))[known].mean()) if known.any() else 0.0

    def pseudo_likelihood(self, v: np.ndarray | None = None, seed: int = 0) -> float:
        """Mean log pseudo-likelihood of binary rows (scikit-learn's estimate): flip one random unit
        per row, n_visible * log sigmoid(F(flipped) - F(v))."""
        v = self.monitor if v is None else self._visible(v, "v", self.config.n_visible, 1)
        v = (v > 0.5).astype(float)
        rng = np.random.default_rng(seed)
        flipped = v.copy()
        cols = rng.integers(0, v.shape[1], len(v))
        flipped[np.arange(len(v)), cols] = 1 - flipped[np.arange(len(v)), cols]
        d = self.free_energy(flipped) - self.free_energy(v)
        return float((v.shape[1] * -np.logaddexp(0, -d)).mean())

    # ---- sampling ---------------------------------------------------------------------------
    def gibbs(self, v: np.ndarray, steps: int, rng: np.random.Generator | None = None,
              sample_visible: bool = False) -> list[np.ndarray]:
        """Run a Gibbs chain from ``v`` (rows) for ``steps`` steps (v -> h -> v); returns the visible
        probabilities after each step. Hidden states are sampled; visible ones too if asked."""
        rng = self.rng if rng is None else rng
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {checks.describe(rng)}")
        v = self._visible(v, "v", self.config.n_visible)
        steps = checks.whole("steps", steps, 0, RBM_MAX_GIBBS_STEPS)
        checks.budget("this Gibbs chain", float(steps) * len(v) * self.config.n_visible)
        out = []
        for _ in range(steps):
            ph = self.hidden_probabilities(v)
            h = (rng.random(ph.shape) < ph).astype(float)
            pv = self.visible_probabilities(h)
            out.append(pv)
            v = (rng.random(pv.shape) < pv).astype(float) if sample_visible else pv
        return out

    # ---- training ---------------------------------------------------------------------------
    @property
    def batches_per_epoch(self) -> int:
        return max(1, len(self.data) // self.config.batch_size)

    @property
    def epoch(self) -> float:
        return self.updates / self.batches_per_epoch

    def _next_order(self, n_batches: int) -> np.ndarray:
        """Sample indices for the next ``n_batches`` batches: a fresh shuffle each epoch."""
        bs, per_epoch = self.config.batch_size, self.batches_per_epoch
        out = []
        need = n_batches * bs
        while need:
            if self._cursor >= per_epoch * bs:
                self._cursor = 0
            if self._cursor == 0:
                self._order = self.rng.permutation(len(self.data))
                if len(self._order) < per_epoch * bs:  # fewer samples than one batch: repeat them
                    self._order = np.resize(self._order, per_epoch * bs)
            take = min(need, per_epoch * bs - self._cursor)
            out.append(self._order[self._cursor:self._cursor + take])
            self._cursor += take
            need -= take
        return np.concatenate(out).astype(np.int64)

    def _numbers_per_batch(self) -> int:
        """Random numbers one mini-batch update draws (its memory, as ``step`` allocates them)."""
        cfg = self.config
        return cfg.k * cfg.batch_size * (cfg.n_hidden + (cfg.n_visible if cfg.sample_visible else 0))

    @property
    def most_batches_per_call(self) -> int:
        """The most mini-batches one ``step`` call takes within the memory cap (``MAX_ELEMENTS``)."""
        return max(1, MAX_ELEMENTS // self._numbers_per_batch())

    def step(self, n_batches: int = 1, order: np.ndarray | None = None, track_error: bool = False,
             record: bool = True) -> str:
        """Run ``n_batches`` mini-batch updates in one compiled call; returns "running" or "diverged".

        ``order`` (optional): the sample indices to use, ``n_batches * batch_size`` of them.
        ``track_error``: also measure each batch's reconstruction error just before its update
        (an extra visible pass per batch), kept in ``batch_errors``. Off by default: the live
        view's curves come from ``record``'s monitor set, and the lab paid a fifth of every k = 1
        step for errors nothing read.
        """
        cfg = self.config
        n_batches = checks.whole("n_batches", n_batches, 0, MAX_ELEMENTS)
        checks.budget("n_batches", float(n_batches) * self._numbers_per_batch())
        if order is not None:
            order = checks.array("order", order, shape=(n_batches * cfg.batch_size,), dtype=np.int64)
            if order.size and (order.min() < 0 or order.max() >= len(self.data)):
                raise ValueError(f"order must hold sample indices 0 to {len(self.data) - 1}")
        if self.diverged or n_batches == 0:
            return self.status
        order = self._next_order(n_batches) if order is None else order
        u_visible = self.rng.random((n_batches, cfg.k, cfg.batch_size, cfg.n_visible)) if cfg.sample_visible \
            else np.empty((n_batches, cfg.k, 1, 1))
        u_hidden = self.rng.random((n_batches, cfg.k, cfg.batch_size, cfg.n_hidden))
        errors = np.zeros(n_batches)
        passes = 2 * cfg.k + 2 + bool(track_error)   # conditionals, the update, and the error's visible pass
        work = float(n_batches) * cfg.batch_size * cfg.n_visible * cfg.n_hidden * passes   # multiply-adds
        train = backend.kernel("rbm_cd", work, k.train_batches, "cuda_rbm.train_batches")
        train(self.data, order, cfg.batch_size, self.W, self.b, self.c, self.vel_W, self.vel_b, self.vel_c,
              self.chain_h, cfg.learning_rate, cfg.momentum, cfg.weight_decay, cfg.k, cfg.persistent,
              cfg.sample_hidden, cfg.sample_visible, u_visible, u_hidden, track_error, errors)
        self.updates += n_batches
        self.batch_errors = errors if track_error else np.empty(0)
        if not (np.all(np.isfinite(self.W)) and np.all(np.isfinite(self.b)) and np.all(np.isfinite(self.c))) \
                or np.abs(self.W).max() > 1e6:
            self.diverged = True
        if record:
            self._record()
        return self.status

    @property
    def status(self) -> str:
        return "diverged" if self.diverged else "running"

    def _record(self) -> None:
        h = self.history
        h.updates.append(self.updates)
        h.epoch.append(self.epoch)
        if self.diverged:
            for series in (h.reconstruction_error, h.free_energy_data, h.free_energy_model):
                series.append(float("nan"))
            return
        h.reconstruction_error.append(self.reconstruction_error())
        h.free_energy_data.append(float(self.free_energy(self.monitor).mean()))
        # fantasy particles: a chain that started from noise and takes one Gibbs step per record
        self.fantasy = self.gibbs(self.fantasy, 1, self._fantasy_rng, sample_visible=True)[-1]
        h.free_energy_model.append(float(self.free_energy((self._fantasy_rng.random(self.fantasy.shape)
                                                           < self.fantasy).astype(float)).mean()))


class DBN:
    """A greedy layer-wise stack of two RBMs (a small deep belief network): the second RBM learns
    from the first one's hidden probabilities; samples come from the top RBM, passed down."""

    def __init__(self, first: RBMConfig, second: RBMConfig, data: np.ndarray) -> None:
        if not isinstance(first, RBMConfig) or not isinstance(second, RBMConfig):
            raise ValueError("first and second must be RBMConfig")
        if second.n_visible != first.n_hidden:
            raise ValueError("the second RBM's visible layer must be the first one's hidden layer")
        self.first = RBM(first, data)
        self._second_config = second
        self.second: RBM | None = None

    @classmethod
    def on_top_of(cls, first: RBM, second: RBMConfig) -> DBN:
        """A stack whose first layer is an RBM already trained (it is used as it is)."""
        if not isinstance(first, RBM) or not isinstance(second, RBMConfig):
            raise ValueError("first must be an RBM and second an RBMConfig")
        if second.n_visible != first.config.n_hidden:
            raise ValueError("the second RBM's visible layer must be the first one's hidden layer")
        dbn = cls.__new__(cls)
        dbn.first, dbn._second_config, dbn.second = first, second, None
        return dbn

    def train_first(self, n_batches: int) -> str:
        return self.first.step(n_batches)

    def train_second(self, n_batches: int) -> str:
        """Train the top RBM on the first one's features (frozen from the moment it starts)."""
        if self.second is None:
            features = self.first.hidden_probabilities(self.first.data)
            self.second = RBM(self._second_config, features)
        return self.second.step(n_batches)

    def sample(self, n: int, steps: int, rng: np.random.Generator) -> np.ndarray:
        """Visible probabilities of ``n`` samples: a Gibbs chain in the top RBM from noise, then down."""
        if self.second is None:
            raise ValueError("train the second layer first")
        n = checks.whole("n", n, 1, MAX_ELEMENTS // max(self.second.config.n_visible, self.first.config.n_visible))
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {checks.describe(rng)}")
        top = self.second.gibbs(rng.random((n, self.second.config.n_visible)), steps, rng)[-1]
        h1 = (rng.random(top.shape) < top).astype(float)
        return self.first.visible_probabilities(h1)

    def features(self, v: np.ndarray) -> np.ndarray:
        """The top layer's hidden probabilities for inputs ``v``."""
        if self.second is None:
            raise ValueError("train the second layer first")
        return self.second.hidden_probabilities(self.first.hidden_probabilities(v))


# ---- the course's worked CD-1 example ------------------------------------------------------------
@dataclass(frozen=True)
class Pass:
    """One pass of the walk-through: for each target unit, the products that were summed, the
    bias, the total input and its sigmoid."""
    name: str
    terms: list[list[tuple[float, float]]]  # per unit: (activity, weight) pairs
    bias: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray


# three visible units, four hidden ones: the numbers of the course notes (seed 000, section 3.2.4.1.2)
EXAMPLE_V = np.array([0.5, 0.3, 0.7])
EXAMPLE_W = np.array([[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.4, -0.1], [-0.3, 0.1, 0.5, 0.2]])
EXAMPLE_HIDDEN_BIAS = np.array([0.1, -0.2, 0.3, -0.1])
EXAMPLE_VISIBLE_BIAS = np.array([-0.1, 0.2, 0.0])


# the notes' printed values (inputs, then sigmoids) for each pass. Every input sum checks out; four of
# the twelve sigmoids are misprinted in the 4th decimal (the exact value is given in NOTES_ERRATA).
NOTES_VALUES = {
    "forward": ([0.03, -0.09, 0.72, 0.16], [0.5075, 0.4775, 0.6729, 0.5399]),
    "backward": ([0.14093, 0.47192, 0.33993], [0.5352, 0.6159, 0.5842]),
    "second": ([0.16303, -0.15772, 0.78494, 0.11581], [0.5407, 0.4606, 0.6869, 0.5289]),
}
NOTES_ERRATA = {("forward", 2): 0.6726, ("backward", 1): 0.6158, ("second", 1): 0.4607, ("second", 2): 0.6867}


def cd1_walkthrough(v: np.ndarray = EXAMPLE_V, W: np.ndarray = EXAMPLE_W, c: np.ndarray = EXAMPLE_HIDDEN_BIAS,
                    b: np.ndarray = EXAMPLE_VISIBLE_BIAS, lr: float = 0.1,
                    decimals: int | None = None) -> tuple[list[Pass], dict[str, np.ndarray]]:
    """CD-1 with probabilities throughout (no sampling), pass by pass, then the update.

    ``decimals``: round each pass's outputs before the next pass uses them, as a hand calculation
    (and the course notes) do; None keeps full precision. Returns the three passes and the update
    {"dW", "db", "dc"} = lr * (v0 h0^T - v1 h1^T, v0 - v1, h0 - h1).
    """
    rnd = (lambda x: np.round(x, decimals)) if decimals is not None else (lambda x: x)  # noqa: E731
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731

    def forward(name: str, vis: np.ndarray) -> Pass:
        z = vis @ W + c
        return Pass(name, [[(vis[i], W[i, j]) for i in range(len(vis))] for j in range(W.shape[1])], c, z, sig(z))

    first = forward("Forward pass (visible → hidden)", v)
    h0 = rnd(first.outputs)
    z = W @ h0 + b
    back = Pass("Backward pass (hidden → visible)", [[(h0[j], W[i, j]) for j in range(len(h0))]
                                                       for i in range(W.shape[0])], b, z, sig(z))
    v1 = rnd(back.outputs)
    second = forward("Second forward pass (reconstruction → hidden)", v1)
    h1 = rnd(second.outputs)
    update = {"dW": lr * (np.outer(v, h0) - np.outer(v1, h1)), "db": lr * (v - v1), "dc": lr * (h0 - h1)}
    return [first, back, second], update
