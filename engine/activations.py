"""Activation functions with their derivatives.

=============  ==========================================  ==========================================
name           f(x)                                        f'(x)
=============  ==========================================  ==========================================
step           1 if x >= 0 else 0                          0 (undefined at 0: no gradient flows)
linear         x                                           1
sigmoid        1 / (1 + e^-x)                              f(x)(1 - f(x)), at most 0.25 (at x = 0)
tanh           (e^x - e^-x) / (e^x + e^-x)                 1 - f(x)^2
relu           max(0, x)                                   1 if x > 0 else 0
leaky_relu     x if x > 0 else a*x   (a = slope, 0.01)     1 if x > 0 else a
elu            x if x > 0 else a(e^x - 1)   (a = 1)        1 if x > 0 else f(x) + a
softplus       log(1 + e^x)                                sigmoid(x)
selu           l*x if x > 0 else l*a(e^x - 1)              l if x > 0 else f(x) + l*a
               (l = 1.0507009873554805, a = 1.6732632423543772: self-normalising)
gelu           x Phi(x)   (Phi: the normal CDF; exact)     Phi(x) + x phi(x)
silu           x sigmoid(x)   (Swish)                      s(x)(1 + x(1 - s(x)))
mish           x tanh(softplus(x))                         t + x(1 - t^2) sigmoid(x), t = tanh(softplus(x))
softmax        e^(z_i/T) / sum_j e^(z_j/T)                 Jacobian diag(p) - p p^T (divided by T)
=============  ==========================================  ==========================================
"""
from __future__ import annotations

import numpy as np

from engine import checks

from engine.kernels import activations as k

ACTIVATION_CODES: dict[str, int] = {
    "step": k.STEP, "linear": k.LINEAR, "sigmoid": k.SIGMOID, "tanh": k.TANH, "relu": k.RELU,
    "leaky_relu": k.LEAKY_RELU, "elu": k.ELU, "softplus": k.SOFTPLUS, "selu": k.SELU, "gelu": k.GELU,
    "silu": k.SILU, "mish": k.MISH,
}
ELEMENTWISE = tuple(ACTIVATION_CODES)
ALL_ACTIVATIONS = ELEMENTWISE + ("softmax",)
DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}


def activation_code(name: str) -> int:
    """Integer code of an element-wise activation (for kernels); ValueError for unknown names."""
    if not isinstance(name, str) or name not in ACTIVATION_CODES:
        raise ValueError(f"unknown activation {checks.describe(name)}; choose one of {', '.join(ELEMENTWISE)}")
    return ACTIVATION_CODES[name]


def _alpha(name: str, alpha: float | None) -> float:
    return DEFAULT_ALPHA.get(name, 0.0) if alpha is None else checks.real("alpha", alpha, 0.0, 1e6)


def activate_and_derivative(name: str, x: np.ndarray | float,
                            alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) of an element-wise activation, any input shape, one kernel pass."""
    code = activation_code(name)
    a = _alpha(name, alpha)
    xs = checks.array("x", x, finite=False)  # NaN in, NaN out: the kernel reads element by element
    flat = xs.reshape(-1)
    out = np.empty_like(flat)
    dout = np.empty_like(flat)
    k.activate_with_derivative(flat, code, a, out, dout)
    return out.reshape(xs.shape), dout.reshape(xs.shape)


def activate(name: str, x: np.ndarray | float, alpha: float | None = None) -> np.ndarray:
    return activate_and_derivative(name, x, alpha)[0]


def derivative(name: str, x: np.ndarray | float, alpha: float | None = None) -> np.ndarray:
    return activate_and_derivative(name, x, alpha)[1]


def softmax(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the last axis of ``z`` divided by ``temperature`` (numerically stable).

    A high temperature flattens the distribution towards uniform; a low one sharpens it towards
    the arg-max (one-hot as T -> 0).
    """
    t = checks.real("temperature", temperature, 0.0, 1e12, lo_open=True)
    zs = checks.array("z", z)
    if zs.ndim == 0 or zs.shape[-1] == 0 or zs.size == 0:
        raise ValueError(f"z: softmax needs at least one logit per row, got shape {zs.shape}")
    rows = np.ascontiguousarray(zs.reshape(-1, zs.shape[-1]))
    out = np.empty_like(rows)
    k.softmax_rows(rows, t, out)
    return out.reshape(zs.shape)


def softmax_jacobian(p: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """d softmax_i / d z_j for one probability vector p: (diag(p) - p p^T) / T."""
    p = checks.array("p", p, ndim=1, lo=0.0, hi=1.0, max_elements=10_000)
    return (np.diag(p) - np.outer(p, p)) / checks.real("temperature", temperature, 0.0, 1e12, lo_open=True)


def saturation_mask(name: str, x: np.ndarray, alpha: float | None = None,
                    threshold: float = 0.05) -> np.ndarray:
    """True where the activation is saturated: its derivative is below ``threshold`` of its peak.

    This is where gradient descent learns slowly (sigmoid/tanh tails) or not at all (ReLU's
    negative side, the step function everywhere).
    """
    threshold = checks.real("threshold", threshold, 0.0, 1.0)
    d = np.abs(derivative(name, x, alpha))
    peak = {"sigmoid": 0.25, "step": 1.0}.get(name, 1.0)
    return d < threshold * peak
