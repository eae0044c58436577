"""Element-wise activation functions and their derivatives, selected by integer code.

exp, tanh and friends come from ``vmath`` (vectorisable, about one ulp), so every kernel, the
activation gallery included, computes an activation the same way.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.vmath import exp_v, expm1_v, log1p_unit, sigmoid_v, tanh_v

STEP, LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTPLUS = range(8)


@njit(cache=True, nogil=True, inline="always")
def activate_scalar(x: float, code: int, alpha: float) -> float:
    if code == STEP:
        return 1.0 if x >= 0.0 else 0.0
    if code == LINEAR:
        return x
    if code == SIGMOID:
        return sigmoid_v(x)
    if code == TANH:
        return tanh_v(x)
    if code == RELU:
        return x if x > 0.0 else 0.0
    if code == LEAKY_RELU:
        return x if x > 0.0 else alpha * x
    if code == ELU:
        return x if x > 0.0 else alpha * expm1_v(x)
    # SOFTPLUS: log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
    return max(x, 0.0) + log1p_unit(exp_v(-abs(x)))


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
    return sigmoid_v(x)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def activate_row(z: np.ndarray, slope: np.ndarray, row: int, n: int, code: int, alpha: float) -> None:
    """z[row, :n] <- f(z[row, :n]) in place and slope[row, :n] <- f'(z[row, :n]).

    One loop per activation, the code tested outside it: a branch on the code inside the loop
    would stop LLVM from vectorising it. The common ones are written out; the rest share the
    scalar definitions above (vmath keeps them vectorisable too). Rows are indexed, not sliced
    out: a row view costs reference counting on every call.
    """
    if code == TANH:
        for r in range(n):
            y = tanh_v(z[row, r])
            z[row, r] = y
            slope[row, r] = 1.0 - y * y
    elif code == RELU:
        for r in range(n):
            pos = z[row, r] > 0.0
            z[row, r] = z[row, r] if pos else 0.0
            slope[row, r] = 1.0 if pos else 0.0
    elif code == SIGMOID:
        for r in range(n):
            y = sigmoid_v(z[row, r])
            z[row, r] = y
            slope[row, r] = y * (1.0 - y)
    elif code == LINEAR:
        for r in range(n):
            slope[row, r] = 1.0
    elif code == LEAKY_RELU:
        for r in range(n):
            pos = z[row, r] > 0.0
            z[row, r] = z[row, r] if pos else alpha * z[row, r]
            slope[row, r] = 1.0 if pos else alpha
    elif code == ELU:
        for r in range(n):
            x = z[row, r]
            y = x if x > 0.0 else alpha * expm1_v(x)
            z[row, r] = y
            slope[row, r] = 1.0 if x > 0.0 else y + alpha
    elif code == SOFTPLUS:
        for r in range(n):
            x = z[row, r]
            z[row, r] = max(x, 0.0) + log1p_unit(exp_v(-abs(x)))
            slope[row, r] = sigmoid_v(x)
    else:  # STEP
        for r in range(n):
            pos = z[row, r] >= 0.0
            z[row, r] = 1.0 if pos else 0.0
            slope[row, r] = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def activate_with_derivative(x: np.ndarray, code: int, alpha: float,
                             out: np.ndarray, dout: np.ndarray) -> None:
    """Fill ``out`` with f(x) and ``dout`` with f'(x), element-wise over flat arrays."""
    out[:] = x
    activate_row(out.reshape((1, out.size)), dout.reshape((1, dout.size)), 0, x.size, code, alpha)


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
