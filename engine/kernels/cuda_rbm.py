"""CUDA twin of the RBM's CD-k / PCD-k mini-batch training (``engine.kernels.rbm.train_batches``):
the same arguments, the same updates. numba-cuda; imported only when ``engine.backend`` picks CUDA.

Everything a call needs goes to the device once (the data, the sample order, the uniforms, the
weights and velocities) and the weights stay there for all of the call's batches; what comes back
at the end is the weights, biases, velocities, the persistent chain and the error per batch.

A CD-k batch is 2k + 2 launches (two more with errors; CD-1 took 10 before they were fused): a GPU's
time at the lab's sizes is the launches, not the arithmetic, so each kernel does all that its
threads can without waiting for others. The hidden pass (one thread per (sample, unit)) also gathers
the batch (positive phase) and samples or copies the new hidden state (or takes PCD's chain); the
visible pass (reading the transposed weights, kept in step, so neighbouring threads read
neighbouring numbers) also samples and clamps the unknown units; one update kernel (a thread per
weight) sums the batch's statistics in the CPU kernel's order and updates the biases too. The
device's exp is CUDA's, not the CPU's vectorised one, so results agree with the CPU kernel to about
1e-12 relative, not bit for bit.

Measured on an H200 (20 CD-1 batches of 50 digits): 7.6 ms at 16 hidden units, 8.6 ms at 400 and
10.3 ms at 1,000 (about 19, -, 20 ms with the 10 launches a batch before); the CPU kernel took 1.6,
19.9 and 44.9 ms there. Tried and dropped: one block doing every batch of a call in one launch, its
threads waiting for each other between passes: 1.6x faster at 16 hidden units (where the CPU wins
anyway), 1.5-27x slower from 64 up (one of the GPU's 132 multiprocessors).
"""
from __future__ import annotations

from numba import cuda, float64, int64

from engine.kernels.cuda_host import put
from engine.kernels.cuda_mlp import device_sigmoid as _sigmoid

THREADS = 128
ERROR_THREADS = 64   # threads of the error's one block (a batch's rows, strided)
TILE = 16   # 16 x 16 threads for the (sample, unit) and (visible, hidden) grids


# what a pass does with the probabilities it computes, besides keeping them
KEEP, SAMPLE, COPY = range(3)


@cuda.jit
def _hidden(v, data, order, start, W, c, out, mode, u, t, s, h, v0, chain, keep_chain):
    """out[n, j] = p(h_j | v_n); zero and unknown (below 0) inputs take no part. ``start`` >= 0:
    the rows are the data's ``order[start + n]`` (the positive phase), read straight from ``data``,
    and the threads also copy them into ``v0`` for the later passes (``v`` is unused then). Then
    ``h`` gets the pass's new hidden state: sampled from ``u[t, s]`` (SAMPLE), the probabilities
    (COPY), or the persistent chain (``mode`` < 0: PCD's start); ``keep_chain``: the chain keeps
    the new state too (PCD's last step)."""
    n, j = cuda.grid(2)
    if n >= out.shape[0] or j >= W.shape[1]:
        return
    n_visible = W.shape[0]
    s_ = c[j]
    if start >= 0:
        row = order[start + n]
        for i in range(n_visible):
            vi = data[row, i]
            if vi > 0.0:
                s_ += vi * W[i, j]
        for i in range(j, n_visible, W.shape[1]):   # the batch's copy, shared among the row's threads
            v0[n, i] = data[row, i]
    else:
        for i in range(n_visible):
            vi = v[n, i]
            if vi > 0.0:
                s_ += vi * W[i, j]
    p = _sigmoid(s_)
    out[n, j] = p
    if mode == SAMPLE:
        h[n, j] = 1.0 if u[t, s, n, j] < p else 0.0
    elif mode == COPY:
        h[n, j] = p
    elif mode < 0:
        h[n, j] = chain[n, j]
    if keep_chain:
        chain[n, j] = h[n, j]


@cuda.jit
def _visible(h, WT, b, out, mode, u, t, s, v, v0, clamp):
    """out[n, i] = p(v_i | h_n), from the transposed weights (hidden, visible); then ``v`` gets
    the sample from ``u[t, s]`` (SAMPLE) or the probabilities (COPY), with the batch's unknown
    units (``v0`` below 0) clamped to their value where ``clamp`` (CD)."""
    n, i = cuda.grid(2)
    if n >= h.shape[0] or i >= WT.shape[1]:
        return
    s_ = b[i]
    for j in range(WT.shape[0]):
        hj = h[n, j]
        if hj != 0.0:
            s_ += hj * WT[j, i]
    p = _sigmoid(s_)
    out[n, i] = p
    if mode == KEEP:
        return
    x = (1.0 if u[t, s, n, i] < p else 0.0) if mode == SAMPLE else p
    if clamp and v0[n, i] < 0.0:
        x = v0[n, i]
    v[n, i] = x


@cuda.jit
def _batch_error(v0, pv, t, errors):
    """errors[t]: the mean |v0 - p(v | ph0)| over the known units. One block: each thread sums its
    rows, then one adds the threads' sums (a lone thread walking the whole batch waited on memory
    at every number: 0.6 ms a batch)."""
    totals = cuda.shared.array(ERROR_THREADS, float64)
    counts = cuda.shared.array(ERROR_THREADS, int64)
    tid = cuda.threadIdx.x
    s = 0.0
    m = 0
    for r in range(tid, v0.shape[0], ERROR_THREADS):
        for i in range(v0.shape[1]):
            if v0[r, i] >= 0.0:
                s += abs(v0[r, i] - pv[r, i])
                m += 1
    totals[tid] = s
    counts[tid] = m
    cuda.syncthreads()
    if tid == 0:
        s = 0.0
        m = 0
        for r in range(ERROR_THREADS):
            s += totals[r]
            m += counts[r]
        errors[t] = s / m if m else 0.0


@cuda.jit
def _update(W, WT, vel_W, b, vel_b, c, vel_c, v0, v, ph0, ph, lr, momentum, weight_decay, scale):
    """vel <- momentum vel - lr decay W + lr (<v h>_data - <v h>_model); W <- W + vel (and WT).
    The threads of hidden unit 0 also update the visible biases, those of visible unit 0 the
    hidden ones: vel <- momentum vel + lr mean(pos - neg); bias <- bias + vel."""
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
    if j == 0:
        g = 0.0
        for r in range(v0.shape[0]):
            g += v0[r, i] - v[r, i]
        vel_b[i] = momentum * vel_b[i] + lr * scale * g
        b[i] += vel_b[i]
    if i == 0:
        g = 0.0
        for r in range(v0.shape[0]):
            g += ph0[r, j] - ph[r, j]
        vel_c[j] = momentum * vel_c[j] + lr * scale * g
        c[j] += vel_c[j]


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
    d_data, d_order = put(data), put(order)
    d_uv = put(u_visible) if sample_visible else cuda.device_array((1, 1, 1, 1))
    d_uh = put(u_hidden)
    d_W, d_WT, d_vW = put(W), put(W.T), put(vel_W)
    d_b, d_c, d_vb, d_vc = put(b), put(c), put(vel_b), put(vel_c)
    d_chain = put(chain_h) if persistent else cuda.device_array((1, 1))
    d_errors = cuda.device_array(n_batches)
    v0, pv, v = (cuda.device_array((bs, n_visible)) for _ in range(3))
    ph0, h, ph = (cuda.device_array((bs, n_hidden)) for _ in range(3))
    none = cuda.device_array((1, 1))
    gv, gh, gw = _grid2(bs, n_visible), _grid2(bs, n_hidden), _grid2(n_visible, n_hidden)
    lr, momentum, weight_decay, scale = float(lr), float(momentum), float(weight_decay), 1.0 / bs
    first = -1 if persistent else SAMPLE if sample_hidden else COPY   # h0: the chain, a sample or p(h | v0)
    then = SAMPLE if sample_hidden or persistent else COPY
    visible_mode = SAMPLE if sample_visible else COPY
    for t in range(n_batches):
        # positive phase (with the batch gathered, and the chain's first hidden state)
        _hidden[gh](none, d_data, d_order, t * bs, d_W, d_c, ph0, first, d_uh, t, 0, h, v0, d_chain, False)
        if track_error:
            _visible[gv](ph0, d_WT, d_b, pv, KEEP, d_uv, t, 0, v, v0, False)
            _batch_error[1, ERROR_THREADS](v0, pv, t, d_errors)
        for s in range(k):
            _visible[gv](h, d_WT, d_b, pv, visible_mode, d_uv, t, s, v, v0, not persistent)
            if persistent:       # the chain's new state, kept for the next update
                _hidden[gh](v, d_data, d_order, -1, d_W, d_c, ph, SAMPLE, d_uh, t, s, h, v0, d_chain, s == k - 1)
            elif s < k - 1:      # CD: the last hidden state is not needed (the statistics use ph)
                _hidden[gh](v, d_data, d_order, -1, d_W, d_c, ph, then, d_uh, t, s + 1, h, v0, d_chain, False)
            else:
                _hidden[gh](v, d_data, d_order, -1, d_W, d_c, ph, KEEP, d_uh, t, s, h, v0, d_chain, False)
        _update[gw](d_W, d_WT, d_vW, d_b, d_vb, d_c, d_vc, v0, v, ph0, ph, lr, momentum, weight_decay, scale)
    for dev, host in ((d_W, W), (d_vW, vel_W), (d_b, b), (d_c, c), (d_vb, vel_b), (d_vc, vel_c)):
        dev.copy_to_host(host)
    if persistent:
        d_chain.copy_to_host(chain_h)
    if track_error:
        d_errors.copy_to_host(errors)
