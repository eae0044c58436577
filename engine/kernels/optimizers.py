"""Optimizer update rules over flat parameter vectors, selected by integer code.

State lives in three caller-owned arrays (``s1``, ``s2``, ``s3``) the size of the parameters, so
one kernel serves every rule and the caller (an MLP, an optimizer race) keeps the state between
calls. ``t`` is the 1-based step number (bias correction in Adam/Nadam).
"""
from __future__ import annotations

import numpy as np
from numba import njit

SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADADELTA, NADAM = range(8)

# indices into the hyper-parameter vector
LR, MOMENTUM_COEF, BETA1, BETA2, RHO, EPS = range(6)
N_HYPER = 6


@njit(cache=True, nogil=True, error_model="numpy")
def apply_update(code: int, params: np.ndarray, grads: np.ndarray, s1: np.ndarray,
                 s2: np.ndarray, s3: np.ndarray, t: int, hyper: np.ndarray) -> None:
    """One update of ``params`` in place from ``grads``. See engine.optimizers for the formulas.

    One loop per rule, the code tested outside it, so each loop vectorises.
    """
    lr = hyper[LR]
    mu = hyper[MOMENTUM_COEF]
    b1 = hyper[BETA1]
    b2 = hyper[BETA2]
    rho = hyper[RHO]
    eps = hyper[EPS]
    n = params.size
    if code == SGD:
        for i in range(n):
            params[i] -= lr * grads[i]
    elif code == MOMENTUM:
        for i in range(n):
            s1[i] = mu * s1[i] + grads[i]
            params[i] -= lr * s1[i]
    elif code == NESTEROV:
        for i in range(n):
            g = grads[i]
            s1[i] = mu * s1[i] + g
            params[i] -= lr * (g + mu * s1[i])
    elif code == ADAGRAD:
        for i in range(n):
            g = grads[i]
            s1[i] += g * g
            params[i] -= lr * g / (np.sqrt(s1[i]) + eps)
    elif code == RMSPROP:
        for i in range(n):
            g = grads[i]
            s1[i] = rho * s1[i] + (1.0 - rho) * g * g
            params[i] -= lr * g / (np.sqrt(s1[i]) + eps)
    elif code == ADAM:   # the bias corrections as factors: one division an element, not three
        step = lr / (1.0 - b1 ** t)
        inv_c2 = 1.0 / (1.0 - b2 ** t)
        for i in range(n):
            g = grads[i]
            s1[i] = b1 * s1[i] + (1.0 - b1) * g
            s2[i] = b2 * s2[i] + (1.0 - b2) * g * g
            params[i] -= step * s1[i] / (np.sqrt(s2[i] * inv_c2) + eps)
    elif code == ADADELTA:
        for i in range(n):
            g = grads[i]
            s1[i] = rho * s1[i] + (1.0 - rho) * g * g
            dx = -np.sqrt(s2[i] + eps) / np.sqrt(s1[i] + eps) * g
            s2[i] = rho * s2[i] + (1.0 - rho) * dx * dx
            params[i] += lr * dx
    else:  # NADAM: Adam with a Nesterov look-ahead on the first moment
        step = lr / (1.0 - b1 ** t)
        inv_c2 = 1.0 / (1.0 - b2 ** t)
        for i in range(n):
            g = grads[i]
            s1[i] = b1 * s1[i] + (1.0 - b1) * g
            s2[i] = b2 * s2[i] + (1.0 - b2) * g * g
            params[i] -= step * (b1 * s1[i] + (1.0 - b1) * g) / (np.sqrt(s2[i] * inv_c2) + eps)
