"""Single neurons: the McCulloch-Pitts threshold unit and Rosenblatt's perceptron.

McCulloch-Pitts (1943): binary inputs, no weights. The unit fires (outputs 1) when no inhibitory
input is on and the number of excitatory inputs that are on reaches the threshold theta:
    y = 1  if  (no inhibitory x_i = 1)  and  sum of excitatory x_i >= theta,  else 0.
With n excitatory inputs, theta = 1 is OR and theta = n is AND.

Rosenblatt perceptron (1958): real inputs, learned weights w and bias b,
    yhat = step(w . x + b),   and after each sample   w += lr (y - yhat) x,  b += lr (y - yhat).
It converges whenever the classes are linearly separable (AND, OR, NAND) and never on XOR,
whose positive corners cannot be cut from the negative ones by one straight line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.datasets import GATES, logic_gate
from engine import checks
from engine.kernels.neuron import perceptron_epochs
from engine.limits import NEURON_MAX_INPUTS as MAX_INPUTS
from engine.limits import PERCEPTRON_MAX_EPOCHS_PER_CALL


@dataclass(frozen=True)
class McCullochPitts:
    """A threshold unit with ``n_inputs`` binary inputs, threshold ``theta`` and inhibitory flags."""
    n_inputs: int = 2
    theta: float = 2
    inhibitory: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: keep the checked values
        set_(self, "n_inputs", checks.whole("n_inputs", self.n_inputs, 1, MAX_INPUTS))
        set_(self, "theta", checks.real("theta", self.theta, 0.0, float(self.n_inputs)))
        if isinstance(self.inhibitory, str) or not hasattr(self.inhibitory, "__len__") \
                or (self.inhibitory and len(self.inhibitory) != self.n_inputs):
            raise ValueError(f"inhibitory must give one flag per input ({self.n_inputs}), "
                             f"got {checks.describe(self.inhibitory)}")
        set_(self, "inhibitory", tuple(checks.flag(f"inhibitory[{i}]", f) for i, f in enumerate(self.inhibitory)))

    @property
    def inhibitory_mask(self) -> np.ndarray:
        return np.array(self.inhibitory or (False,) * self.n_inputs, dtype=bool)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        x = checks.array("x", x, ndim=(1, 2))
        x = x[None] if x.ndim == 1 else x
        if x.shape[1] != self.n_inputs:
            raise ValueError(f"x must be rows of {self.n_inputs} inputs, got shape {x.shape}")
        return x

    def excitatory_sum(self, x: np.ndarray) -> np.ndarray:
        x = self._inputs(x)
        return x[:, ~self.inhibitory_mask].sum(axis=1)

    def output(self, x: np.ndarray) -> np.ndarray:
        """0/1 output for each row of binary inputs ``x`` (n, n_inputs)."""
        x = self._inputs(x)
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("x: McCulloch-Pitts inputs are binary, 0 or 1")
        vetoed = (x[:, self.inhibitory_mask] > 0).any(axis=1)
        return ((~vetoed) & (self.excitatory_sum(x) >= self.theta)).astype(np.int64)

    def truth_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every binary input combination (counting order) and the unit's output for it."""
        x, _ = logic_gate("AND", self.n_inputs)
        return x, self.output(x)

    def matches_gate(self) -> str | None:
        """The name of the logic gate this unit computes, if it computes one."""
        x, y = self.truth_table()
        for gate in GATES:
            if np.array_equal(logic_gate(gate, self.n_inputs)[1], y):
                return gate
        return None


@dataclass(frozen=True)
class PerceptronConfig:
    """Which gate to learn and how. ``init`` is "zeros" or "random" (uniform in [-1, 1], seeded)."""
    gate: str = "AND"
    n_inputs: int = 2
    lr: float = 0.1
    init: str = "random"
    seed: int = 0
    max_epochs: int = 100

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: keep the checked values
        if not isinstance(self.gate, str) or self.gate.upper() not in GATES:
            raise ValueError(f"gate must be one of {', '.join(GATES)}, got {checks.describe(self.gate)}")
        set_(self, "n_inputs", checks.whole("n_inputs", self.n_inputs, 1, MAX_INPUTS))
        set_(self, "lr", checks.real("lr", self.lr, 0.0, 100.0, lo_open=True))
        checks.one_of("init", self.init, ("zeros", "random"))
        set_(self, "seed", checks.seed("seed", self.seed))
        set_(self, "max_epochs", checks.whole("max_epochs", self.max_epochs, 1, PERCEPTRON_MAX_EPOCHS_PER_CALL))


@dataclass
class PerceptronSnapshot:
    weights: np.ndarray
    bias: float
    epoch: int
    errors: np.ndarray           # misclassified samples per epoch so far
    weight_history: np.ndarray   # (epochs + 1, n_inputs): row 0 is the initial weights
    bias_history: np.ndarray
    predictions: np.ndarray
    converged: bool
    gave_up: bool                # max_epochs reached without converging
    x: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))
    y: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


class Perceptron:
    """Rosenblatt's perceptron learning a logic gate, one or more epochs per ``step``."""

    def __init__(self, config: PerceptronConfig) -> None:
        if not isinstance(config, PerceptronConfig):
            raise ValueError(f"config must be a PerceptronConfig, got {checks.describe(config)}")
        self.config = config
        self.x, self.y = logic_gate(config.gate, config.n_inputs)
        rng = np.random.default_rng(config.seed)
        if config.init == "zeros":
            self.w = np.zeros(config.n_inputs)
            self.b = np.zeros(1)
        else:
            self.w = rng.uniform(-1, 1, config.n_inputs)
            self.b = rng.uniform(-1, 1, 1)
        self.epoch = 0
        self._errors: list[int] = []
        self._w_hist = [self.w.copy()]
        self._b_hist = [float(self.b[0])]

    @property
    def converged(self) -> bool:
        return bool(self._errors) and self._errors[-1] == 0

    def step(self, n_epochs: int = 1) -> int:
        """Train for up to ``n_epochs`` epochs (fewer once converged or at max_epochs)."""
        n_epochs = checks.whole("n_epochs", n_epochs, 0, 2**62)  # capped by max_epochs below
        budget = min(n_epochs, self.config.max_epochs - self.epoch)
        if budget <= 0 or self.converged:
            return 0
        errors = np.zeros(budget, dtype=np.int64)
        w_hist = np.zeros((budget, self.config.n_inputs))
        b_hist = np.zeros(budget)
        ran = perceptron_epochs(self.x, self.y, self.w, self.b, float(self.config.lr), budget,
                                errors, w_hist, b_hist)
        self.epoch += ran
        self._errors.extend(int(e) for e in errors[:ran])
        self._w_hist.extend(w_hist[:ran].copy())
        self._b_hist.extend(b_hist[:ran].tolist())
        return ran

    def predict(self, x: np.ndarray) -> np.ndarray:
        """0/1 for each row of ``x`` (n, n_inputs)."""
        x = checks.array("x", x, ndim=(1, 2))
        x = x[None] if x.ndim == 1 else x
        if x.shape[1] != self.config.n_inputs:
            raise ValueError(f"x must be rows of {self.config.n_inputs} inputs, got shape {x.shape}")
        return (x @ self.w + self.b[0] >= 0).astype(np.int64)

    def snapshot(self) -> PerceptronSnapshot:
        return PerceptronSnapshot(
            weights=self.w.copy(), bias=float(self.b[0]), epoch=self.epoch,
            errors=np.array(self._errors, dtype=np.int64), weight_history=np.array(self._w_hist),
            bias_history=np.array(self._b_hist), predictions=self.predict(self.x),
            converged=self.converged,
            gave_up=self.epoch >= self.config.max_epochs and not self.converged,
            x=self.x, y=self.y)
