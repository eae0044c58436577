"""Losses and their gradients with respect to the network output, selected by integer code.

Reduction convention (the course notes' one): a sample's loss is summed over its outputs and the
batch loss is the mean over samples. For one output this is the ordinary mean.
"""
from __future__ import annotations

import numpy as np
from numba import njit

MSE, MAE, BCE, BCE_LOGITS, CCE, CCE_LOGITS, HINGE, MSE_HALF = range(8)

PROB_EPS = 1e-12  # clip for log(p) on probabilities, so a confident wrong answer is finite


@njit(cache=True, nogil=True)
def loss_and_gradient(pred: np.ndarray, target: np.ndarray, code: int, grad: np.ndarray) -> float:
    """Return the mean loss over rows and write d loss / d pred into ``grad`` (same shape)."""
    n, k = pred.shape
    total = 0.0
    inv_n = 1.0 / n
    for i in range(n):
        if code == CCE_LOGITS:
            # log-sum-exp with the row max subtracted: stable for any logits
            m = pred[i, 0]
            for j in range(1, k):
                if pred[i, j] > m:
                    m = pred[i, j]
            s = 0.0
            for j in range(k):
                s += np.exp(pred[i, j] - m)
            log_z = m + np.log(s)
            t_sum = 0.0
            for j in range(k):
                t_sum += target[i, j]
            for j in range(k):
                total -= target[i, j] * (pred[i, j] - log_z)
                grad[i, j] = (np.exp(pred[i, j] - log_z) * t_sum - target[i, j]) * inv_n
            continue
        for j in range(k):
            p = pred[i, j]
            t = target[i, j]
            if code == MSE:
                d = p - t
                total += d * d
                grad[i, j] = 2.0 * d * inv_n
            elif code == MSE_HALF:  # the textbook 1/2 (y - yhat)^2: its gradient is the plain error
                d = p - t
                total += 0.5 * d * d
                grad[i, j] = d * inv_n
            elif code == MAE:
                d = p - t
                total += abs(d)
                grad[i, j] = (1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)) * inv_n
            elif code == BCE:
                q = min(max(p, PROB_EPS), 1.0 - PROB_EPS)
                total -= t * np.log(q) + (1.0 - t) * np.log(1.0 - q)
                grad[i, j] = (q - t) / (q * (1.0 - q)) * inv_n
            elif code == BCE_LOGITS:
                # log(1 + e^-|z|) form: never overflows
                total += max(p, 0.0) - p * t + np.log1p(np.exp(-abs(p)))
                if p >= 0.0:
                    s = 1.0 / (1.0 + np.exp(-p))
                else:
                    e = np.exp(p)
                    s = e / (1.0 + e)
                grad[i, j] = (s - t) * inv_n
            elif code == CCE:
                q = max(p, PROB_EPS)
                total -= t * np.log(q)
                grad[i, j] = -t / q * inv_n
            else:  # HINGE, targets in {-1, +1}
                margin = 1.0 - t * p
                if margin > 0.0:
                    total += margin
                    grad[i, j] = -t * inv_n
                else:
                    grad[i, j] = 0.0
    return total * inv_n
