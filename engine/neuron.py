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
from engine.kernels.neuron import perceptron_epochs

MAX_INPUTS = 8


@dataclass(frozen=True)
class McCullochPitts:
    """A threshold unit with ``n_inputs`` binary inputs, threshold ``theta`` and inhibitory flags."""
    n_inputs: int = 2
    theta: float = 2
    inhibitory: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if int(self.n_inputs) != self.n_inputs or not 1 <= self.n_inputs <= MAX_INPUTS:
            raise ValueError(f"a McCulloch-Pitts unit takes 1 to {MAX_INPUTS} inputs, got {self.n_inputs!r}")
        if not np.isfinite(self.theta) or not 0 <= self.theta <= self.n_inputs:
            raise ValueError(f"theta must be between 0 and the number of inputs ({self.n_inputs}), got {self.theta!r}")
        if self.inhibitory and len(self.inhibitory) != self.n_inputs:
            raise ValueError(f"give one inhibitory flag per input ({self.n_inputs}), got {len(self.inhibitory)}")

    @property
    def inhibitory_mask(self) -> np.ndarray:
        return np.array(self.inhibitory or (False,) * self.n_inputs, dtype=bool)

    def excitatory_sum(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        return x[:, ~self.inhibitory_mask].sum(axis=1)

    def output(self, x: np.ndarray) -> np.ndarray:
        """0/1 output for each row of binary inputs ``x`` (n, n_inputs)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != self.n_inputs:
            raise ValueError(f"expected {self.n_inputs} inputs per row, got {x.shape[1]}")
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("McCulloch-Pitts inputs are binary: 0 or 1")
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
        if self.gate.upper() not in GATES:
            raise ValueError(f"unknown gate {self.gate!r}; choose one of {', '.join(GATES)}")
        if int(self.n_inputs) != self.n_inputs or not 1 <= self.n_inputs <= MAX_INPUTS:
            raise ValueError(f"the perceptron takes 1 to {MAX_INPUTS} inputs, got {self.n_inputs!r}")
        if not np.isfinite(self.lr) or self.lr <= 0 or self.lr > 100:
            raise ValueError(f"learning rate must be > 0 and at most 100, got {self.lr!r}")
        if self.init not in ("zeros", "random"):
            raise ValueError(f"init must be 'zeros' or 'random', got {self.init!r}")
        if int(self.max_epochs) != self.max_epochs or not 1 <= self.max_epochs <= 100_000:
            raise ValueError(f"max_epochs must be 1 to 100000, got {self.max_epochs!r}")


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
        budget = min(int(n_epochs), self.config.max_epochs - self.epoch)
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
        return (np.atleast_2d(x) @ self.w + self.b[0] >= 0).astype(np.int64)

    def snapshot(self) -> PerceptronSnapshot:
        return PerceptronSnapshot(
            weights=self.w.copy(), bias=float(self.b[0]), epoch=self.epoch,
            errors=np.array(self._errors, dtype=np.int64), weight_history=np.array(self._w_hist),
            bias_history=np.array(self._b_hist), predictions=self.predict(self.x),
            converged=self.converged,
            gave_up=self.epoch >= self.config.max_epochs and not self.converged,
            x=self.x, y=self.y)
