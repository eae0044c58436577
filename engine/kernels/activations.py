"""Element-wise activation functions and their derivatives, selected by integer code."""
from __future__ import annotations

import numpy as np
from numba import njit

STEP, LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTPLUS = range(8)


@njit(cache=True, nogil=True, inline="always")
def activate_scalar(x: float, code: int, alpha: float) -> float:
    if code == STEP:
        return 1.0 if x >= 0.0 else 0.0
    if code == LINEAR:
        return x
    if code == SIGMOID:
        # two branches so exp never overflows
        if x >= 0.0:
            return 1.0 / (1.0 + np.exp(-x))
        e = np.exp(x)
        return e / (1.0 + e)
    if code == TANH:
        return np.tanh(x)
    if code == RELU:
        return x if x > 0.0 else 0.0
    if code == LEAKY_RELU:
        return x if x > 0.0 else alpha * x
    if code == ELU:
        return x if x > 0.0 else alpha * np.expm1(x)
    # SOFTPLUS: log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
    return max(x, 0.0) + np.log1p(np.exp(-abs(x)))


@njit(cache=True, nogil=True, inline="always")
def derivative_from_output(x: float, y: float, code: int, alpha: float) -> float:
    """d activation / dx, given the pre-activation x and the already-computed output y."""
    if code == STEP:
        return 0.0  # zero almost everywhere; undefined at 0: nothing flows back
    if code == LINEAR:
        return 1.0
    if code == SIGMOID:
        return y * (1.0 - y)
    if code == TANH:
        return 1.0 - y * y
    if code == RELU:
        return 1.0 if x > 0.0 else 0.0
    if code == LEAKY_RELU:
        return 1.0 if x > 0.0 else alpha
    if code == ELU:
        return 1.0 if x > 0.0 else y + alpha
    # SOFTPLUS' derivative is the sigmoid
    if x >= 0.0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def activate_with_derivative(x: np.ndarray, code: int, alpha: float,
                             out: np.ndarray, dout: np.ndarray) -> None:
    """Fill ``out`` with f(x) and ``dout`` with f'(x), element-wise over flat arrays."""
    for i in range(x.size):
        y = activate_scalar(x[i], code, alpha)
        out[i] = y
        dout[i] = derivative_from_output(x[i], y, code, alpha)


@njit(cache=True, nogil=True)
def softmax_rows(z: np.ndarray, temperature: float, out: np.ndarray) -> None:
    """Row-wise softmax of z / T, shifted by the row maximum so exp never overflows."""
    n, k = z.shape
    for i in range(n):
        m = z[i, 0]
        for j in range(1, k):
            if z[i, j] > m:
                m = z[i, j]
        s = 0.0
        for j in range(k):
            e = np.exp((z[i, j] - m) / temperature)
            out[i, j] = e
            s += e
        for j in range(k):
            out[i, j] /= s
