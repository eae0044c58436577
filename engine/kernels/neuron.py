"""The Rosenblatt perceptron rule, fused over many epochs."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def perceptron_epochs(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, lr: float,
                      n_epochs: int, errors_out: np.ndarray, w_history: np.ndarray,
                      b_history: np.ndarray) -> int:
    """Run up to ``n_epochs`` epochs of w += lr (y - yhat) x, b += lr (y - yhat), in sample order.

    ``b`` is a one-element array (updated in place). Per epoch, the number of misclassified
    samples goes to ``errors_out`` and the weights at the end of the epoch to the histories.
    Stops early after an epoch with no error (nothing would change any more); returns the number
    of epochs run.
    """
    n, d = x.shape
    for epoch in range(n_epochs):
        errors = 0
        for i in range(n):
            z = b[0]
            for j in range(d):
                z += w[j] * x[i, j]
            yhat = 1.0 if z >= 0.0 else 0.0
            delta = y[i] - yhat
            if delta != 0.0:
                errors += 1
                for j in range(d):
                    w[j] += lr * delta * x[i, j]
                b[0] += lr * delta
        errors_out[epoch] = errors
        for j in range(d):
            w_history[epoch, j] = w[j]
        b_history[epoch] = b[0]
        if errors == 0:
            return epoch + 1
    return n_epochs
