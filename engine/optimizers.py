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

Where this differs from PyTorch and Keras:

- **Nadam** is Dozat's simplified form with a constant b1 (as in his 2016 report's Algorithm 2
  and in the Adam paper's notation). PyTorch's ``NAdam`` and Keras' ``Nadam`` add a momentum
  schedule, mu_t = b1 (1 - 0.5 * 0.96^(t * 0.004)), and bias-correct with the product of the
  mu's: their momentum weight starts near b1 / 2 and reaches b1 only over some 10,000 steps, so
  their early path leans less on momentum than ours does.
- **Momentum** and **Nesterov** use PyTorch's form (v = mu v + g, p -= lr v); Keras writes
  v = mu v - lr g, p += v, which is the same path as long as lr stays constant.
- **eps** sits outside the square root in Adam / RMSprop / AdaGrad (as both frameworks do);
  Keras' default eps is 1e-7, PyTorch's 1e-8 (ours, for every rule but Adadelta).
- ``default_config`` gives rates picked for the labs' 2-D demos, not either framework's defaults
  (those are ``FRAMEWORK_DEFAULTS``, for a notebook that wants to compare like with like).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import checks
from engine.kernels import optimizers as k
from engine.limits import MAX_ELEMENTS

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
        set_ = object.__setattr__  # frozen: keep the checked values
        if not isinstance(self.name, str) or self.name not in OPTIMIZER_CODES:
            raise ValueError(f"unknown optimizer {checks.describe(self.name)}; choose one of {', '.join(OPTIMIZERS)}")
        set_(self, "lr", checks.real("lr", self.lr, 0.0, 1e6, lo_open=True))
        for field in ("momentum", "beta1", "beta2", "rho"):
            set_(self, field, checks.real(field, getattr(self, field), 0.0, 1.0, hi_open=True))
        set_(self, "eps", checks.real("eps", self.eps, 0.0, 1.0, lo_open=True))

    @property
    def code(self) -> int:
        return OPTIMIZER_CODES[self.name]

    def hyper_vector(self) -> np.ndarray:
        h = np.empty(k.N_HYPER)
        h[k.LR], h[k.MOMENTUM_COEF], h[k.BETA1] = self.lr, self.momentum, self.beta1
        h[k.BETA2], h[k.RHO], h[k.EPS] = self.beta2, self.rho, self.eps
        return h


# The frameworks' own defaults (PyTorch 2.x ``torch.optim``, Keras 3 ``keras.optimizers``), in our
# field names. Keras' rho for RMSprop is 0.9, PyTorch's alpha 0.99; PyTorch's Adadelta has lr 1.0.
FRAMEWORK_DEFAULTS: dict[str, dict[str, dict[str, float]]] = {
    "pytorch": {"sgd": {"lr": 0.001, "momentum": 0.0}, "adagrad": {"lr": 0.01, "eps": 1e-10},
                "rmsprop": {"lr": 0.01, "rho": 0.99, "eps": 1e-8},
                "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
                "nadam": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}},
    "keras": {"sgd": {"lr": 0.01, "momentum": 0.0}, "adagrad": {"lr": 0.001, "eps": 1e-7},
              "rmsprop": {"lr": 0.001, "rho": 0.9, "eps": 1e-7},
              "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7},
              "adadelta": {"lr": 0.001, "rho": 0.95, "eps": 1e-7},
              "nadam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}},
}


def default_config(name: str, **overrides: float) -> OptimizerConfig:
    """Each rule's starting point in the labs, with any field overridden.

    These rates suit the labs' small problems (GD 0.1, momentum 0.05, Adam 0.01, Adadelta 1.0 as
    Zeiler's paper); they are not PyTorch's or Keras' defaults (see ``FRAMEWORK_DEFAULTS``).
    """
    checks.one_of("name", name, OPTIMIZERS)
    base = {"gd": {"lr": 0.1}, "sgd": {"lr": 0.1}, "momentum": {"lr": 0.05},
            "nesterov": {"lr": 0.05}, "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.01},
            "adam": {"lr": 0.01}, "adadelta": {"lr": 1.0, "rho": 0.95, "eps": 1e-6},
            "nadam": {"lr": 0.01}}.get(name, {})
    return OptimizerConfig(name=name, **{**base, **overrides})


class Optimizer:
    """Applies one rule to a flat parameter vector, keeping its state (moments, step count)."""

    def __init__(self, config: OptimizerConfig, n_params: int) -> None:
        if not isinstance(config, OptimizerConfig):
            raise ValueError(f"config must be an OptimizerConfig, got {checks.describe(config)}")
        self.config = config
        self.n_params = checks.whole("n_params", n_params, 1, MAX_ELEMENTS // 4)
        self.reset()

    def reset(self) -> None:
        self.t = 0
        self.s1 = np.zeros(self.n_params)
        self.s2 = np.zeros(self.n_params)
        self.s3 = np.zeros(self.n_params)
        self._hyper = self.config.hyper_vector()

    def with_config(self, config: OptimizerConfig) -> None:
        """Change hyper-parameters mid-run keeping the state (same rule) or resetting it."""
        if not isinstance(config, OptimizerConfig):
            raise ValueError(f"config must be an OptimizerConfig, got {checks.describe(config)}")
        same_rule = config.code == self.config.code
        self.config = config
        self._hyper = config.hyper_vector()
        if not same_rule:
            self.reset()

    def update(self, params: np.ndarray, grads: np.ndarray) -> None:
        """p <- rule(p, g) in place; ``params`` must be a contiguous float64 vector."""
        if not isinstance(params, np.ndarray) or params.dtype != np.float64 or not params.flags.c_contiguous \
                or not params.flags.writeable or params.shape != (self.n_params,):
            raise ValueError(f"params must be a writable contiguous float64 vector of {self.n_params} values "
                             f"(it is updated in place), got {checks.describe(params)}")
        grads = checks.array("grads", grads, shape=(self.n_params,))  # NaN would poison every state
        self.t += 1
        k.apply_update(self.config.code, params, grads,
                       self.s1, self.s2, self.s3, self.t, self._hyper)

    def snapshot(self) -> dict[str, np.ndarray | int]:
        return {"t": self.t, "s1": self.s1.copy(), "s2": self.s2.copy(), "s3": self.s3.copy()}

