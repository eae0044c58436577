"""CUDA twin of the RBM's CD-k / PCD-k mini-batch training (``engine.kernels.rbm.train_batches``):
the same arguments, the same updates. numba-cuda; imported only when ``engine.backend`` picks CUDA.

Everything a call needs goes to the device once (the data, the sample order, the uniforms, the
weights and velocities) and the weights stay there for all of the call's batches; what comes back
at the end is the weights, biases, velocities, the persistent chain and the error per batch. Each
batch is a handful of launches: one thread per (sample, unit) for the conditionals (reading the
weights, or their transpose kept in step, so neighbouring threads read neighbouring numbers), one
per element for the samples, and one per weight for the update, which sums the batch's statistics
in the CPU kernel's order. The device's exp is CUDA's, not the CPU's vectorised one, so results
agree with the CPU kernel to about 1e-12 relative, not bit for bit.
"""
from __future__ import annotations

import numpy as np
from numba import cuda

from engine.kernels.cuda_mlp import device_sigmoid as _sigmoid

THREADS = 128
TILE = 16   # 16 x 16 threads for the (sample, unit) and (visible, hidden) grids


@cuda.jit
def _gather(data, order, start, v0):
    r, i = cuda.grid(2)
    if r < v0.shape[0] and i < v0.shape[1]:
        v0[r, i] = data[order[start + r], i]


@cuda.jit
def _hidden(v, W, c, out):
    """out[n, j] = p(h_j | v_n); zero and unknown (below 0) inputs take no part."""
    n, j = cuda.grid(2)
    if n >= v.shape[0] or j >= W.shape[1]:
        return
    s = c[j]
    for i in range(W.shape[0]):
        vi = v[n, i]
        if vi > 0.0:
            s += vi * W[i, j]
    out[n, j] = _sigmoid(s)


@cuda.jit
def _visible(h, WT, b, out):
    """out[n, i] = p(v_i | h_n), from the transposed weights (hidden, visible)."""
    n, i = cuda.grid(2)
    if n >= h.shape[0] or i >= WT.shape[1]:
        return
    s = b[i]
    for j in range(WT.shape[0]):
        hj = h[n, j]
        if hj != 0.0:
            s += hj * WT[j, i]
    out[n, i] = _sigmoid(s)


@cuda.jit
def _sample(p, u, t, s, out):
    """out = 1 where u[t, s] < p, else 0 (u: batches x steps x rows x units)."""
    n, j = cuda.grid(2)
    if n < p.shape[0] and j < p.shape[1]:
        out[n, j] = 1.0 if u[t, s, n, j] < p[n, j] else 0.0


@cuda.jit
def _copy(src, dst):
    n, j = cuda.grid(2)
    if n < src.shape[0] and j < src.shape[1]:
        dst[n, j] = src[n, j]


@cuda.jit
def _clamp_unknown(v, v0):
    """CD: visible units whose data value is unknown (below 0) stay at it."""
    n, i = cuda.grid(2)
    if n < v.shape[0] and i < v.shape[1] and v0[n, i] < 0.0:
        v[n, i] = v0[n, i]


@cuda.jit
def _row_errors(v0, pv, total, count):
    """Per row: the sum of |v0 - p(v | ph0)| over known units, and how many there are."""
    r = cuda.grid(1)
    if r >= v0.shape[0]:
        return
    s = 0.0
    m = 0
    for i in range(v0.shape[1]):
        if v0[r, i] >= 0.0:
            s += abs(v0[r, i] - pv[r, i])
            m += 1
    total[r] = s
    count[r] = m


@cuda.jit
def _batch_error(total, count, t, errors):
    if cuda.grid(1) == 0:
        s = 0.0
        m = 0
        for r in range(total.shape[0]):
            s += total[r]
            m += count[r]
        errors[t] = s / m if m else 0.0


@cuda.jit
def _update_weights(W, WT, vel_W, v0, v, ph0, ph, lr, momentum, weight_decay, scale):
    """vel <- momentum vel - lr decay W + lr (<v h>_data - <v h>_model); W <- W + vel (and WT)."""
    i, j = cuda.grid(2)
    if i >= W.shape[0] or j >= W.shape[1]:
        return
    vel = momentum * vel_W[i, j] - lr * weight_decay * W[i, j]
    for r in range(v0.shape[0]):
        if v0[r, i] < 0.0:
            continue
        a0 = lr * scale * v0[r, i]
        a1 = lr * scale * v[r, i]
        if a0 != 0.0:
            vel += a0 * ph0[r, j]
        if a1 != 0.0:
            vel -= a1 * ph[r, j]
    vel_W[i, j] = vel
    W[i, j] += vel
    WT[j, i] = W[i, j]


@cuda.jit
def _update_bias(bias, vel, pos, neg, lr, momentum, scale):
    """vel <- momentum vel + lr mean(pos - neg); bias <- bias + vel."""
    i = cuda.grid(1)
    if i >= bias.shape[0]:
        return
    g = 0.0
    for r in range(pos.shape[0]):
        g += pos[r, i] - neg[r, i]
    vel[i] = momentum * vel[i] + lr * scale * g
    bias[i] += vel[i]


def _grid2(rows: int, cols: int) -> tuple[tuple[int, int], tuple[int, int]]:
    return ((rows + TILE - 1) // TILE, (cols + TILE - 1) // TILE), (TILE, TILE)


def train_batches(data, order, batch_size, W, b, c, vel_W, vel_b, vel_c, chain_h, lr, momentum, weight_decay, k,
                  persistent, sample_hidden, sample_visible, u_visible, u_hidden, track_error, errors) -> None:
    """``engine.kernels.rbm.train_batches`` on the GPU: the same arguments; ``W``, ``b``, ``c``,
    the velocities, ``chain_h`` and ``errors`` are updated in place on the host at the end."""
    n_visible, n_hidden = W.shape
    bs = int(batch_size)
    n_batches = order.size // bs
    if n_batches == 0:
        return
    put = lambda a: cuda.to_device(np.ascontiguousarray(a))  # noqa: E731
    d_data, d_order = put(data), put(order)
    d_uv = put(u_visible) if sample_visible else cuda.device_array((1, 1, 1, 1))
    d_uh = put(u_hidden)
    d_W, d_WT, d_vW = put(W), put(W.T), put(vel_W)
    d_b, d_c, d_vb, d_vc = put(b), put(c), put(vel_b), put(vel_c)
    d_chain = put(chain_h) if persistent else None
    d_errors = cuda.device_array(n_batches)
    v0, pv, v = (cuda.device_array((bs, n_visible)) for _ in range(3))
    ph0, h, ph = (cuda.device_array((bs, n_hidden)) for _ in range(3))
    row_total, row_count = cuda.device_array(bs), cuda.device_array(bs, dtype=np.int64)
    gv, gh, gw = _grid2(bs, n_visible), _grid2(bs, n_hidden), _grid2(n_visible, n_hidden)
    lr, momentum, weight_decay, scale = float(lr), float(momentum), float(weight_decay), 1.0 / bs
    for t in range(n_batches):
        _gather[gv](d_data, d_order, t * bs, v0)
        _hidden[gh](v0, d_W, d_c, ph0)
        if track_error:
            _visible[gv](ph0, d_WT, d_b, pv)
            _row_errors[(bs + THREADS - 1) // THREADS, THREADS](v0, pv, row_total, row_count)
            _batch_error[1, 1](row_total, row_count, t, d_errors)
        if persistent:
            _copy[gh](d_chain, h)
        elif sample_hidden:
            _sample[gh](ph0, d_uh, t, 0, h)
        else:
            _copy[gh](ph0, h)
        for s in range(k):
            _visible[gv](h, d_WT, d_b, pv)
            if sample_visible:
                _sample[gv](pv, d_uv, t, s, v)
            else:
                _copy[gv](pv, v)
            if not persistent:
                _clamp_unknown[gv](v, v0)
            _hidden[gh](v, d_W, d_c, ph)
            if persistent:
                _sample[gh](ph, d_uh, t, s, h)
            elif s < k - 1:
                if sample_hidden:
                    _sample[gh](ph, d_uh, t, s + 1, h)
                else:
                    _copy[gh](ph, h)
        if persistent:
            _copy[gh](h, d_chain)
        _update_weights[gw](d_W, d_WT, d_vW, v0, v, ph0, ph, lr, momentum, weight_decay, scale)
        _update_bias[(n_visible + THREADS - 1) // THREADS, THREADS](d_b, d_vb, v0, v, lr, momentum, scale)
        _update_bias[(n_hidden + THREADS - 1) // THREADS, THREADS](d_c, d_vc, ph0, ph, lr, momentum, scale)
    for dev, host in ((d_W, W), (d_vW, vel_W), (d_b, b), (d_c, c), (d_vb, vel_b), (d_vc, vel_c)):
        dev.copy_to_host(host)
    if persistent:
        d_chain.copy_to_host(chain_h)
    if track_error:
        d_errors.copy_to_host(errors)
