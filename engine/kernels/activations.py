"""Element-wise activation functions and their derivatives, selected by integer code.

exp, tanh and friends come from ``vmath`` (vectorisable, about one ulp), so every kernel, the
activation gallery included, computes an activation the same way.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.kernels.vmath import exp_v, expm1_v, log1p_unit, sigmoid_v, tanh_v

STEP, LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTPLUS, SELU, GELU, SILU, MISH = range(12)
SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772  # Klambauer et al. 2017 (as PyTorch)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def activate_row(z: np.ndarray, slope: np.ndarray, row: int, n: int, code: int, alpha: float) -> None:
    """z[row, :n] <- f(z[row, :n]) in place and slope[row, :n] <- f'(z[row, :n]).

    One loop per activation, the code tested outside it: a branch on the code inside the loop
    would stop LLVM from vectorising it. Each derivative is written from the output where that is
    cheaper (sigmoid: y (1 - y), tanh: 1 - y^2, ELU: y + alpha below 0). STEP passes no gradient
    (zero almost everywhere, undefined at 0). Rows are indexed, not sliced out: a row view costs
    reference counting on every call.
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
            slope[row, r] = sigmoid_v(x)  # softplus' derivative; max(x, 0) + log1p(e^-|x|) never overflows
    elif code == SELU:
        for r in range(n):
            x = z[row, r]
            y = SELU_SCALE * x if x > 0.0 else SELU_SCALE * SELU_ALPHA * expm1_v(x)
            z[row, r] = y
            slope[row, r] = SELU_SCALE if x > 0.0 else y + SELU_SCALE * SELU_ALPHA
    elif code == GELU:  # exact: x Φ(x), as PyTorch's default (not the tanh approximation)
        for r in range(n):
            x = z[row, r]
            cdf = 0.5 * (1.0 + math.erf(x * 0.7071067811865476))
            z[row, r] = x * cdf
            slope[row, r] = cdf + x * 0.3989422804014327 * exp_v(-0.5 * x * x)
    elif code == SILU:  # Swish with beta = 1: x sigmoid(x)
        for r in range(n):
            x = z[row, r]
            s = sigmoid_v(x)
            z[row, r] = x * s
            slope[row, r] = s * (1.0 + x * (1.0 - s))
    elif code == MISH:  # x tanh(softplus(x))
        for r in range(n):
            x = z[row, r]
            t = tanh_v(max(x, 0.0) + log1p_unit(exp_v(-abs(x))))
            z[row, r] = x * t
            slope[row, r] = t + x * (1.0 - t * t) * sigmoid_v(x)
    else:  # STEP
        for r in range(n):
            pos = z[row, r] >= 0.0
            z[row, r] = 1.0 if pos else 0.0
            slope[row, r] = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def activate_with_derivative(x: np.ndarray, code: int, alpha: float,
                             out: np.ndarray, dout: np.ndarray) -> None:
    """Fill ``out`` with f(x) and ``dout`` with f'(x), element-wise over flat arrays."""
    for i in range(x.size):   # a loop, not out[:] = x: see vmath.copy2
        out[i] = x[i]
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
