"""Losses with their gradients with respect to the network output.

A sample's loss is summed over its outputs, and the batch loss is the mean over samples: with the
course's dog/cat example (three rows, two outputs) MSE = 0.76 / 3 = 0.2533 and cross-entropy
= 1.1271 / 3 = 0.3757.

=============  =================================================  =====================================
name           per-sample loss                                    output it expects
=============  =================================================  =====================================
mse            sum_k (yhat_k - y_k)^2                             any real
mse_half       1/2 sum_k (yhat_k - y_k)^2 (the textbook form)     any real
mae            sum_k |yhat_k - y_k|                               any real
bce            -[y log p + (1 - y) log(1 - p)]                    probabilities (clipped at 1e-12)
bce_logits     same, computed from the logit z, p = sigmoid(z)    logits (stable for any z)
cce            -sum_k y_k log p_k                                 probabilities (clipped at 1e-12)
cce_logits     -sum_k y_k log softmax(z)_k (log-sum-exp)          logits (stable for any z)
hinge          sum_k max(0, 1 - y_k yhat_k), y in {-1, +1}        scores; 0/1 targets map to -1/+1
=============  =================================================  =====================================

Conventions that differ from the frameworks: ``mse`` has no 1/2 factor (some textbooks and the
classic backpropagation walk-through use E = 1/2 sum (y - yhat)^2, whose gradient is twice
smaller: that is ``mse_half``), and a sample's loss is **summed** over its outputs, where
PyTorch's ``MSELoss`` and Keras' ``MeanSquaredError`` average over outputs too (the same for one output; k times ours with k
outputs, so gradients and good learning rates differ by that factor). Cross-entropy is the same in
all three.
"""
from __future__ import annotations

import numpy as np

from engine import checks

from engine.kernels import losses as k

LOSS_CODES: dict[str, int] = {
    "mse": k.MSE, "mse_half": k.MSE_HALF, "mae": k.MAE, "bce": k.BCE, "bce_logits": k.BCE_LOGITS,
    "cce": k.CCE, "cce_logits": k.CCE_LOGITS, "hinge": k.HINGE,
}
LOSSES = tuple(LOSS_CODES)


def loss_code(name: str) -> int:
    if not isinstance(name, str) or name not in LOSS_CODES:
        raise ValueError(f"unknown loss {checks.describe(name)}; choose one of {', '.join(LOSSES)}")
    return LOSS_CODES[name]


def _as_2d(a: np.ndarray, what: str) -> np.ndarray:
    arr = checks.array(what, a, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what} must be a non-empty vector or (samples, outputs) matrix, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def loss_and_gradient(name: str, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over samples and its gradient with respect to ``pred`` (same shape as pred)."""
    code = loss_code(name)
    p = _as_2d(pred, "pred")
    t = _as_2d(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred {p.shape} and target {t.shape} must have the same shape")
    if code == k.HINGE and np.all((t == 0) | (t == 1)):
        t = 2.0 * t - 1.0
    grad = np.empty_like(p)
    value = k.loss_and_gradient(p, t, code, grad)
    return float(value), grad.reshape(np.shape(pred))


def loss(name: str, pred: np.ndarray, target: np.ndarray) -> float:
    return loss_and_gradient(name, pred, target)[0]
