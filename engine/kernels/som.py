"""Self-Organizing Map kernels: BMU search, neighbourhood, sequential and batch training, metrics.

Variants are integer codes (see ``engine.som`` for the names). Units are stored flat,
``u = i * height + j`` for grid column ``i`` (x) and row ``j`` (y), as MiniSom's ``(x, y)``
indexing flattens. A unit's position on the plane is ``(i - shift_j, j * row_height)``:
rectangular maps have no shift and row height 1; hexagonal maps shift every other row by half a
cell and pack rows ``sqrt(3)/2`` apart (MiniSom's layout).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

RECTANGULAR, HEXAGONAL = 0, 1
GAUSSIAN, BUBBLE, MEXICAN_HAT, TRIANGLE = range(4)
EUCLIDEAN, COSINE, MANHATTAN = range(3)
CONSTANT, ASYMPTOTIC, INVERSE, LINEAR, EXPONENTIAL = range(5)


@njit(cache=True, nogil=True)
def decay(code: int, start: float, t: float, total: float, is_sigma: bool) -> float:
    """A learning rate (``is_sigma`` False) or radius after ``t`` of ``total`` steps.

    asymptotic: start / (1 + 2t/T), down to a third at the end (MiniSom's default for both);
    inverse: rate start * C / (C + t) with C = T/100 (to 1% at the end); radius start / (1 + t (start-1)/T)
    (down to 1); linear: rate to 0, radius to 1 at the end; exponential: rate to 1%, radius to 1
    at the end along a geometric curve. A radius that starts at or below 1 stays put under the
    rules that end at 1.
    """
    if code == CONSTANT or total <= 0:
        return start
    if code == ASYMPTOTIC:
        return start / (1.0 + t / (total / 2.0))
    if is_sigma:
        if code == INVERSE:
            return start / (1.0 + t * (start - 1.0) / total) if start > 1.0 else start
        if code == LINEAR:
            return start + t * (1.0 - start) / total if start > 1.0 else start
        return start * (1.0 / start) ** (t / total) if start > 1.0 else start  # EXPONENTIAL
    if code == INVERSE:
        c = total / 100.0
        return start * c / (c + t)
    if code == LINEAR:
        return start * (1.0 - t / total)
    return start * 0.01 ** (t / total)  # EXPONENTIAL


@njit(cache=True, nogil=True)
def distances(code: int, x: np.ndarray, wt: np.ndarray, out: np.ndarray) -> None:
    """How far sample ``x`` is from every unit (``wt``: features x units) into ``out``.

    Squared for euclidean (same ranking, no square roots); loops run along units so they
    vectorise for the few features a SOM usually has.
    """
    dim, units = wt.shape
    if code == COSINE:  # 1 - cos(angle), with MiniSom's 1e-8 guard
        nx = 0.0
        for k in range(dim):
            nx += x[k] * x[k]
        nx = math.sqrt(nx)
        dot = np.zeros(units)
        nw = np.zeros(units)
        for k in range(dim):
            xk = x[k]
            row = wt[k]
            for u in range(units):
                dot[u] += xk * row[u]
                nw[u] += row[u] * row[u]
        for u in range(units):
            out[u] = 1.0 - dot[u] / (math.sqrt(nw[u]) * nx + 1e-8)
        return
    out[:] = 0.0
    for k in range(dim):
        xk = x[k]
        row = wt[k]
        if code == EUCLIDEAN:
            for u in range(units):
                diff = xk - row[u]
                out[u] += diff * diff
        else:  # MANHATTAN
            for u in range(units):
                out[u] += abs(xk - row[u])


@njit(cache=True, nogil=True)
def argmin(values: np.ndarray) -> int:
    """Index of the smallest value (the first one on a tie)."""
    best = 0
    best_v = values[0]
    for u in range(1, values.size):
        if values[u] < best_v:
            best_v = values[u]
            best = u
    return best


@njit(cache=True, nogil=True)
def neighbourhood(code: int, height: int, row_height: float, shift: np.ndarray, bmu: int, sigma: float,
                  out: np.ndarray) -> None:
    """Write h(u) for every unit into ``out`` (flat, width*height).

    gaussian: exp(-r^2 / 2 sigma^2), computed as a product over x and y (exact, and W + H
    exponentials instead of W * H); mexican hat: (1 - r^2/sigma^2) exp(-r^2 / 2 sigma^2);
    bubble: 1 inside the open square |di| < sigma, |dj| < sigma of grid steps, else 0;
    triangle: (1 - |di|/sigma)+ (1 - |dj|/sigma)+, peak 1 (MiniSom's peaks at sigma^2).
    r is the distance on the plane (hexagonal-aware) for gaussian and mexican hat, as MiniSom.
    """
    width = out.size // height
    ci = bmu // height
    cj = bmu % height
    if code == BUBBLE or code == TRIANGLE:
        for i in range(width):
            di = abs(i - ci)
            for j in range(height):
                dj = abs(j - cj)
                if code == BUBBLE:
                    out[i * height + j] = 1.0 if (di < sigma and dj < sigma) else 0.0
                else:
                    out[i * height + j] = max(0.0, 1.0 - di / sigma) * max(0.0, 1.0 - dj / sigma)
        return
    d = 2.0 * sigma * sigma
    cx = ci - shift[cj]
    cy = cj * row_height
    ex0 = np.empty(width)  # rows without shift
    ex1 = np.empty(width)  # rows shifted half a cell (hexagonal)
    for i in range(width):
        ex0[i] = math.exp(-((i - cx) ** 2) / d)
        ex1[i] = math.exp(-((i - 0.5 - cx) ** 2) / d)
    for j in range(height):
        dy = j * row_height - cy
        ey = math.exp(-(dy * dy) / d)
        shifted = shift[j] != 0.0
        for i in range(width):
            g = (ex1[i] if shifted else ex0[i]) * ey
            if code == MEXICAN_HAT:
                dx = i - shift[j] - cx
                g *= 1.0 - 2.0 / d * (dx * dx + dy * dy)
            out[i * height + j] = g


@njit(cache=True, nogil=True)
def train_sequential(data: np.ndarray, order: np.ndarray, wt: np.ndarray, height: int, row_height: float,
                     shift: np.ndarray, t0: int, total: int, lr0: float, sigma0: float, lr_code: int,
                     sigma_code: int, neigh_code: int, dist_code: int, bmu_trace: np.ndarray) -> None:
    """One update per entry of ``order`` (sample indices), steps t0, t0+1, ...: ``wt`` in place.

    w_u <- w_u + lr(t) h(u; bmu, sigma(t)) (x - w_u)   (Kohonen's rule, MiniSom's ``update``)
    ``wt`` holds the weights feature by feature: (features, units).
    """
    dim, units = wt.shape
    h = np.empty(units)
    dist = np.empty(units)
    for s in range(order.size):
        x = data[order[s]]
        t = t0 + s
        distances(dist_code, x, wt, dist)
        bmu = argmin(dist)
        bmu_trace[s] = bmu
        lr = decay(lr_code, lr0, t, total, np.bool_(False))
        sigma = decay(sigma_code, sigma0, t, total, np.bool_(True))
        neighbourhood(neigh_code, height, row_height, shift, bmu, sigma, h)
        for u in range(units):
            h[u] *= lr
        for k in range(dim):
            xk = x[k]
            row = wt[k]
            for u in range(units):
                row[u] += h[u] * (xk - row[u])


@njit(cache=True, nogil=True)
def train_batch(data: np.ndarray, wt: np.ndarray, height: int, row_height: float, shift: np.ndarray,
                t0: int, iterations: int, total: int, lr0: float, sigma0: float, lr_code: int, sigma_code: int,
                neigh_code: int, dist_code: int) -> None:
    """Kohonen's batch map, one pass over all of ``data`` per iteration: ``wt`` in place.

    Each unit moves to the neighbourhood-weighted mean of the data, blended by the learning rate:
    w_u <- (1 - lr) w_u + lr * sum_n h(u; bmu_n) x_n / sum_n h(u; bmu_n), for units with a positive
    denominator (MiniSom's ``train_batch_offline``).
    """
    dim, units = wt.shape
    dist = np.empty(units)
    bmus = np.empty(data.shape[0], dtype=np.int64)
    for it in range(iterations):
        t = t0 + it
        lr = decay(lr_code, lr0, t, total, np.bool_(False))
        sigma = decay(sigma_code, sigma0, t, total, np.bool_(True))
        for n in range(data.shape[0]):  # every BMU from the weights before this iteration's update
            distances(dist_code, data[n], wt, dist)
            bmus[n] = argmin(dist)
        batch_update(data, wt, height, row_height, shift, bmus, lr, sigma, neigh_code)


@njit(cache=True, nogil=True)
def batch_update(data: np.ndarray, wt: np.ndarray, height: int, row_height: float, shift: np.ndarray,
                 bmus: np.ndarray, lr: float, sigma: float, neigh_code: int) -> None:
    """One batch-map iteration's move of ``wt`` given every sample's BMU (``train_batch``)."""
    dim, units = wt.shape
    h = np.empty(units)
    num = np.zeros((dim, units))
    den = np.zeros(units)
    for n in range(data.shape[0]):
        x = data[n]
        neighbourhood(neigh_code, height, row_height, shift, bmus[n], sigma, h)
        for u in range(units):
            den[u] += h[u]
        for k in range(dim):
            xk = x[k]
            row = num[k]
            for u in range(units):
                row[u] += h[u] * xk
    for u in range(units):
        if den[u] > 0.0:
            for k in range(dim):
                wt[k, u] = (1.0 - lr) * wt[k, u] + lr * num[k, u] / den[u]


@njit(cache=True, nogil=True)
def two_best(data: np.ndarray, wt: np.ndarray, dist_code: int, first: np.ndarray, second: np.ndarray,
             gap: np.ndarray) -> None:
    """Per sample: the best and second-best unit, and the euclidean distance to the best one."""
    dim, units = wt.shape
    dist = np.empty(units)
    for n in range(data.shape[0]):
        x = data[n]
        distances(dist_code, x, wt, dist)
        b1 = -1
        b2 = -1
        d1 = np.inf
        d2 = np.inf
        for u in range(units):
            d = dist[u]
            if d < d1:
                d2, b2 = d1, b1
                d1, b1 = d, u
            elif d < d2:
                d2, b2 = d, u
        first[n] = b1
        second[n] = b2
        s = 0.0
        for k in range(dim):
            diff = x[k] - wt[k, b1]
            s += diff * diff
        gap[n] = math.sqrt(s)


@njit(cache=True, nogil=True)
def mean_neighbour_distance(wt: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """U-matrix: each unit's mean euclidean weight distance to its grid neighbours (-1 = none)."""
    dim, units = wt.shape
    out = np.zeros(units)
    for u in range(units):
        total = 0.0
        count = 0
        for m in range(neighbours.shape[1]):
            v = neighbours[u, m]
            if v < 0:
                continue
            s = 0.0
            for k in range(dim):
                diff = wt[k, u] - wt[k, v]
                s += diff * diff
            total += math.sqrt(s)
            count += 1
        out[u] = total / count if count else 0.0
    return out
