"""Analytic 2-D loss surfaces and the optimizer race over them, selected by integer code.

``race`` runs every racer (an optimizer rule with its hyper-parameters) from one start point for
``steps`` updates in a single call, recording positions, losses and gradients. Mini-batch noise is
passed in (caller-drawn standard normals times a per-racer scale) so runs are reproducible and a
NumPy reference can replay them exactly.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.optimizers import apply_update

BOWL, LOCAL_MINIMA, SADDLE, ROSENBROCK, BEALE, HIMMELBLAU = range(6)

DIVERGED_BEYOND = 1e6  # a coordinate this far out counts as divergence


@njit(cache=True, nogil=True)
def value_and_gradient(code: int, x: float, y: float, param: float) -> tuple[float, float, float]:
    """f(x, y) and its gradient. ``param``: the bowl's conditioning (curvature ratio)."""
    if code == BOWL:  # f = (x^2 + k y^2) / 2: a ravine along x when k is large
        return 0.5 * (x * x + param * y * y), x, param * y
    if code == LOCAL_MINIMA:  # Styblinski-Tang / 10: four minima, the global one at (-2.9035, -2.9035)
        f = (x ** 4 - 16.0 * x * x + 5.0 * x + y ** 4 - 16.0 * y * y + 5.0 * y) / 20.0
        return f, (4.0 * x ** 3 - 32.0 * x + 5.0) / 20.0, (4.0 * y ** 3 - 32.0 * y + 5.0) / 20.0
    if code == SADDLE:  # f = x^2/2 + y^4/4 - y^2/2: a saddle at the origin, minima at (0, +-1)
        return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y, x, y ** 3 - y
    if code == ROSENBROCK:  # (1 - x)^2 + 100 (y - x^2)^2, minimum (1, 1)
        r = y - x * x
        return (1.0 - x) ** 2 + 100.0 * r * r, -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r
    if code == BEALE:  # minimum (3, 0.5)
        a = 1.5 - x + x * y
        b = 2.25 - x + x * y * y
        c = 2.625 - x + x * y ** 3
        f = a * a + b * b + c * c
        gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y ** 3 - 1.0)
        gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y
        return f, gx, gy
    # HIMMELBLAU: (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima of value 0
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b, 4.0 * a * x + 2.0 * b, 2.0 * a + 4.0 * b * y


@njit(cache=True, nogil=True)
def grid_values(code: int, param: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(len(ys), len(xs)) surface values, rows along y (as contour plots want them)."""
    out = np.empty((ys.size, xs.size))
    for i in range(ys.size):
        for j in range(xs.size):
            f, _, _ = value_and_gradient(code, xs[j], ys[i], param)
            out[i, j] = f
    return out


@njit(cache=True, nogil=True)
def race(code: int, param: float, opt_codes: np.ndarray, hypers: np.ndarray, noise_scale: np.ndarray,
         noise: np.ndarray, start: np.ndarray, steps: int, freeze_y: bool, positions: np.ndarray,
         losses: np.ndarray, grads: np.ndarray, diverged_at: np.ndarray) -> None:
    """Run each racer ``steps`` updates from ``start``.

    positions (k, steps+1, 2), losses (k, steps+1), grads (k, steps, 2) are filled; after a racer
    diverges (non-finite loss or a coordinate beyond ``DIVERGED_BEYOND``) its remaining entries
    are NaN and ``diverged_at[r]`` holds the step it happened at (-1 if never).
    ``noise`` (k, steps, 2) standard normals scaled by ``noise_scale[r]`` are added to the
    gradient (mini-batch noise); ``freeze_y`` keeps y fixed (a 1-D slice).
    """
    p = np.empty(2)
    g = np.empty(2)
    s1 = np.empty(2)
    s2 = np.empty(2)
    s3 = np.empty(2)
    for r in range(opt_codes.size):
        p[0] = start[0]
        p[1] = start[1]
        s1[:] = 0.0
        s2[:] = 0.0
        s3[:] = 0.0
        diverged_at[r] = -1
        f, gx, gy = value_and_gradient(code, p[0], p[1], param)
        positions[r, 0, 0] = p[0]
        positions[r, 0, 1] = p[1]
        losses[r, 0] = f
        for t in range(steps):
            if diverged_at[r] >= 0:
                positions[r, t + 1, 0] = np.nan
                positions[r, t + 1, 1] = np.nan
                losses[r, t + 1] = np.nan
                grads[r, t, 0] = np.nan
                grads[r, t, 1] = np.nan
                continue
            g[0] = gx + noise_scale[r] * noise[r, t, 0]
            g[1] = 0.0 if freeze_y else gy + noise_scale[r] * noise[r, t, 1]
            grads[r, t, 0] = g[0]
            grads[r, t, 1] = g[1]
            apply_update(opt_codes[r], p, g, s1, s2, s3, t + 1, hypers[r])
            f, gx, gy = value_and_gradient(code, p[0], p[1], param)
            if not (np.isfinite(f) and abs(p[0]) < DIVERGED_BEYOND and abs(p[1]) < DIVERGED_BEYOND):
                diverged_at[r] = t + 1
                positions[r, t + 1, 0] = np.nan
                positions[r, t + 1, 1] = np.nan
                losses[r, t + 1] = np.nan
                continue
            positions[r, t + 1, 0] = p[0]
            positions[r, t + 1, 1] = p[1]
            losses[r, t + 1] = f
