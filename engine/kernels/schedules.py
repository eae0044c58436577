"""Learning-rate schedules: the factor the base rate is multiplied by at an update.

``s`` counts the updates made before this one (the first update has s = 0), as PyTorch's
schedulers count; W is the warm-up length, N the schedule's period and gamma its factor:

    warm-up      s < W:  (s + 1) / W          the rate climbs in a straight line to the base rate
    then, with u = s - W:
    constant     1
    step         gamma ** floor(u / N)        (PyTorch StepLR)
    exponential  gamma ** (u / N)             (ExponentialLR when N = 1; smooth, gamma per N updates)
    cosine       gamma + (1 - gamma) (1 + cos(pi min(u, N) / N)) / 2
                                              (CosineAnnealingLR with eta_min = gamma x base, T_max = N;
                                               it then stays at gamma x base)
"""
from __future__ import annotations

import numpy as np
from numba import njit

CONSTANT, STEP, EXPONENTIAL, COSINE = 0, 1, 2, 3


@njit(cache=True, nogil=True, error_model="numpy")
def factor(code: int, warmup: int, period: int, gamma: float, s: int) -> float:
    """The rate's factor at the update with ``s`` updates before it."""
    if s < warmup:
        return (s + 1.0) / warmup
    u = s - warmup
    if code == STEP:
        return gamma ** (u // period)
    if code == EXPONENTIAL:
        return gamma ** (u / period)
    if code == COSINE:
        return gamma + (1.0 - gamma) * 0.5 * (1.0 + np.cos(np.pi * min(u, period) / period))
    return 1.0
