"""Optimizers as update rules that carry their own state.

For a parameter p with gradient g at step t (1-based), learning rate lr:

===========  ===============================================================================
gd / sgd     p -= lr g           (gd and sgd share the rule; they differ in the batch fed)
momentum     v = mu v + g;  p -= lr v                                   (PyTorch's form)
nesterov     v = mu v + g;  p -= lr (g + mu v)                          (look-ahead form)
adagrad      s += g^2;      p -= lr g / (sqrt(s) + eps)
rmsprop      s = rho s + (1 - rho) g^2;  p -= lr g / (sqrt(s) + eps)
adam         m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
             p -= lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
adadelta     s = rho s + (1 - rho) g^2;  dx = -sqrt(u + eps) / sqrt(s + eps) g
             u = rho u + (1 - rho) dx^2;  p += lr dx                    (Zeiler; lr = 1 is his)
nadam        as adam, with p -= lr (b1 m_hat + (1 - b1) g / (1 - b1^t)) / (sqrt(v_hat) + eps)
===========  ===============================================================================
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.kernels import optimizers as k

OPTIMIZER_CODES: dict[str, int] = {
    "gd": k.SGD, "sgd": k.SGD, "momentum": k.MOMENTUM, "nesterov": k.NESTEROV,
    "adagrad": k.ADAGRAD, "rmsprop": k.RMSPROP, "adam": k.ADAM, "adadelta": k.ADADELTA,
    "nadam": k.NADAM,
}
OPTIMIZERS = tuple(OPTIMIZER_CODES)

# which hyper-parameters each rule reads (the UI shows only these)
HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "gd": ("lr",), "sgd": ("lr",), "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"),
    "adagrad": ("lr", "eps"), "rmsprop": ("lr", "rho", "eps"),
    "adam": ("lr", "beta1", "beta2", "eps"), "adadelta": ("lr", "rho", "eps"),
    "nadam": ("lr", "beta1", "beta2", "eps"),
}


@dataclass(frozen=True)
class OptimizerConfig:
    """An update rule and its hyper-parameters; validated on construction."""
    name: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZER_CODES:
            raise ValueError(f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}")
        for field in ("lr", "momentum", "beta1", "beta2", "rho", "eps"):
            v = getattr(self, field)
            if not isinstance(v, (int, float, np.floating, np.integer)) or not np.isfinite(v):
                raise ValueError(f"{field} must be a finite number, got {v!r}")
        if self.lr <= 0:
            raise ValueError(f"learning rate must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        for field in ("beta1", "beta2", "rho"):
            if not 0 <= getattr(self, field) < 1:
                raise ValueError(f"{field} must be in [0, 1), got {getattr(self, field)}")
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {self.eps}")

    @property
    def code(self) -> int:
        return OPTIMIZER_CODES[self.name]

    def hyper_vector(self) -> np.ndarray:
        h = np.empty(k.N_HYPER)
        h[k.LR], h[k.MOMENTUM_COEF], h[k.BETA1] = self.lr, self.momentum, self.beta1
        h[k.BETA2], h[k.RHO], h[k.EPS] = self.beta2, self.rho, self.eps
        return h


def default_config(name: str, **overrides: float) -> OptimizerConfig:
    """The usual defaults for each rule (Keras/PyTorch), with any field overridden."""
    base = {"gd": {"lr": 0.1}, "sgd": {"lr": 0.1}, "momentum": {"lr": 0.05},
            "nesterov": {"lr": 0.05}, "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.01},
            "adam": {"lr": 0.01}, "adadelta": {"lr": 1.0, "rho": 0.95, "eps": 1e-6},
            "nadam": {"lr": 0.01}}.get(name, {})
    return OptimizerConfig(name=name, **{**base, **overrides})


class Optimizer:
    """Applies one rule to a flat parameter vector, keeping its state (moments, step count)."""

    def __init__(self, config: OptimizerConfig, n_params: int) -> None:
        if int(n_params) != n_params or n_params < 1:
            raise ValueError(f"n_params must be a positive whole number, got {n_params!r}")
        self.config = config
        self.n_params = int(n_params)
        self.reset()

    def reset(self) -> None:
        self.t = 0
        self.s1 = np.zeros(self.n_params)
        self.s2 = np.zeros(self.n_params)
        self.s3 = np.zeros(self.n_params)
        self._hyper = self.config.hyper_vector()

    def with_config(self, config: OptimizerConfig) -> None:
        """Change hyper-parameters mid-run keeping the state (same rule) or resetting it."""
        same_rule = config.code == self.config.code
        self.config = config
        self._hyper = config.hyper_vector()
        if not same_rule:
            self.reset()

    def update(self, params: np.ndarray, grads: np.ndarray) -> None:
        """p <- rule(p, g) in place; ``params`` must be a contiguous float64 vector."""
        if params.shape != (self.n_params,) or grads.shape != (self.n_params,):
            raise ValueError(f"expected vectors of {self.n_params} values, got {params.shape} and {grads.shape}")
        if params.dtype != np.float64 or not params.flags.c_contiguous:
            raise ValueError("params must be a contiguous float64 vector (it is updated in place)")
        self.t += 1
        k.apply_update(self.config.code, params, np.ascontiguousarray(grads, dtype=np.float64),
                       self.s1, self.s2, self.s3, self.t, self._hyper)

    def snapshot(self) -> dict[str, np.ndarray | int]:
        return {"t": self.t, "s1": self.s1.copy(), "s2": self.s2.copy(), "s3": self.s3.copy()}

