"""Recurrent cells (vanilla tanh RNN, LSTM, GRU) forward and backpropagation through time.

A whole mini-batch moves through time together, one layer after the other: every step is one
(batch x H) @ (H x G H) product for the recurrence (G gate blocks of H units) plus elementwise
gate work, and what does not depend on the previous step is done for all steps at once: the
input projection before the loop, and the weight gradients (inputs^T @ dpre over all T x batch
rows) after it, as big BLAS products. Parameters live in one flat vector ``theta``; ``offs``
says where each part starts:

    offs[4 l + 0]  W_x of layer l, (n_in_l, G H) row-major: row k holds what input k adds to every gate
    offs[4 l + 1]  W_h of layer l, (H, G H): the recurrent weights (W_rec)
    offs[4 l + 2]  b of layer l, (G H)
    offs[4 l + 3]  LSTM peepholes of layer l, (3 H): p_i, p_f, p_o (read only when ``peephole``)
    offs[4 L], offs[4 L + 1]   the dense head W_y (H, n_out) and b_y (n_out)

Gate blocks, in order (each H wide; ``sig`` is the logistic sigmoid):
    RNN   a:                    h = tanh(W_x x + W_h h' + b)
    LSTM  i, f, g, o:           i = sig(.), f = sig(.), g = tanh(.), o = sig(.)
                                c = f c' + i g,  h = o tanh(c)
          peephole:             i and f also see p * c', o sees p_o * c  (Gers & Schmidhuber)
          coupled:              i = 1 - f (the input gate's own weights are not used)
    GRU   z, r, n:              z = sig(.), r = sig(.), n = tanh(W_xn x + W_hn (r * h') + b_n)
                                h = (1 - z) h' + z n     (the course's equations: z takes the new value)
where h' and c' are the previous step's states. The head reads the top layer's h at the last step
(many-to-one) or at every step (many-to-many): linear with squared error (MSE) or softmax with
cross-entropy (CE), the loss averaged over sequences, output steps (and output values for MSE).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.activations import softmax_rows
from engine.kernels.optimizers import apply_update
from engine.kernels.vmath import copy2, sigmoid_v, tanh_v

RNN, LSTM, GRU = 0, 1, 2
GATES = (1, 4, 3)  # gate blocks per cell
MSE, CE = 0, 1
OK, DIVERGED = 0, 1


@njit(cache=True, nogil=True, error_model="numpy")
def _layer_forward(cell, peephole, coupled, H, theta, o_wx, o_wh, o_b, o_p, xin, xi, onehot, hs, cs, gs, aux):
    """One layer over all steps. ``xin`` (T, B, n_in) real inputs, or ``xi`` (B, T) symbols when
    ``onehot``; ``hs``, ``cs`` (T + 1, B, H) hold the start states in [0] and get every step's;
    ``gs`` (T, B, G H) gets the gate values after their squashing, ``aux`` (T, B, H) the GRU's r h'
    or the plain LSTM's tanh(c) (which its backward pass reads instead of computing it again)."""
    T, B, GH = gs.shape
    n_in = xin.shape[2]
    wh = theta[o_wh:o_wh + H * GH].reshape(H, GH)
    if onehot:
        for t in range(T):
            for b in range(B):
                row = o_wx + xi[b, t] * GH
                for j in range(GH):
                    gs[t, b, j] = theta[row + j] + theta[o_b + j]
    else:
        wx = theta[o_wx:o_wx + n_in * GH].reshape(n_in, GH)
        flat = gs.reshape(T * B, GH)
        np.dot(xin.reshape(T * B, n_in), wx, flat)   # written in place: no (T B x G H) temporary
        bias = theta[o_b:o_b + GH]
        for r in range(T * B):
            out = flat[r]
            for j in range(GH):
                out[j] += bias[j]
    if cell == GRU:
        H2 = 2 * H
        wh_zr = np.ascontiguousarray(wh[:, :H2])
        wh_n = np.ascontiguousarray(wh[:, H2:])
    half = np.full(GH, 0.5)   # LSTM gates i, f, o: sigmoid as a scaled tanh; the candidate g: tanh itself
    shift = np.full(GH, 0.5)
    half[2 * H:3 * H] = 1.0
    shift[2 * H:3 * H] = 0.0
    for t in range(T):
        hprev, cprev, g = hs[t], cs[t], gs[t]
        if cell == GRU:
            rec = np.dot(hprev, wh_zr)
            for b in range(B):
                row, rrow, hp, rh = g[b], rec[b], hprev[b], aux[t, b]
                for j in range(H2):
                    row[j] = sigmoid_v(row[j] + rrow[j])
                for k in range(H):
                    rh[k] = row[H + k] * hp[k]
            rec_n = np.dot(aux[t], wh_n)
            for b in range(B):
                row, rrow, hp, hn = g[b], rec_n[b], hprev[b], hs[t + 1, b]
                for j in range(H):
                    n = tanh_v(row[H2 + j] + rrow[j])
                    row[H2 + j] = n
                    hn[j] = (1.0 - row[j]) * hp[j] + row[j] * n
            continue
        rec = np.dot(hprev, wh)
        if cell == RNN:
            for b in range(B):
                for j in range(H):
                    a = tanh_v(g[b, j] + rec[b, j])
                    g[b, j] = a
                    hs[t + 1, b, j] = a
            continue
        if not (peephole or coupled):  # the plain LSTM: one branch-free pass per row, which vectorises
            for b in range(B):
                row, rrow, cp, cn, hn, tn = g[b], rec[b], cprev[b], cs[t + 1, b], hs[t + 1, b], aux[t, b]
                for j in range(GH):  # sig(v) = (1 + tanh(v / 2)) / 2: every gate through one function
                    row[j] = tanh_v(half[j] * (row[j] + rrow[j])) * half[j] + shift[j]
                for j in range(H):
                    c = row[H + j] * cp[j] + row[j] * row[2 * H + j]
                    tc = tanh_v(c)
                    cn[j] = c
                    tn[j] = tc
                    hn[j] = row[3 * H + j] * tc
            continue
        for b in range(B):  # LSTM with peepholes or coupled gates
            for j in range(H):
                pre_i = g[b, j] + rec[b, j]
                pre_f = g[b, H + j] + rec[b, H + j]
                pre_o = g[b, 3 * H + j] + rec[b, 3 * H + j]
                if peephole:
                    pre_i += theta[o_p + j] * cprev[b, j]
                    pre_f += theta[o_p + H + j] * cprev[b, j]
                f = sigmoid_v(pre_f)
                i = 1.0 - f if coupled else sigmoid_v(pre_i)
                gg = tanh_v(g[b, 2 * H + j] + rec[b, 2 * H + j])
                c = f * cprev[b, j] + i * gg
                if peephole:
                    pre_o += theta[o_p + 2 * H + j] * c
                o = sigmoid_v(pre_o)
                g[b, j], g[b, H + j], g[b, 2 * H + j], g[b, 3 * H + j] = i, f, gg, o
                cs[t + 1, b, j] = c
                hs[t + 1, b, j] = o * tanh_v(c)


@njit(cache=True, nogil=True, error_model="numpy")
def _layer_backward(cell, peephole, coupled, H, theta, grad, o_wx, o_wh, o_b, o_p, xin, xi, onehot,
                    hs, cs, gs, aux, dh_in, dpre_all, trunc, dh_sq, want_dx):
    """Backward through one layer over all steps. ``dh_in`` (T, B, H): dL/dh_t from above (the
    head or the next layer); ``dpre_all`` (T, B, G H) is scratch for the gates' pre-activation
    gradients. Adds the layer's gradient to ``grad``; when ``dh_sq`` has T entries, adds sum over
    the batch of |dL/dh_t|^2 to it. Returns dL/d(inputs) (T, B, n_in) when ``want_dx``."""
    T, B, GH = gs.shape
    n_in = xin.shape[2]
    wh = theta[o_wh:o_wh + H * GH].reshape(H, GH)
    H2 = 2 * H
    if cell == GRU:
        wh_zr = np.ascontiguousarray(wh[:, :H2])
        wh_n = np.ascontiguousarray(wh[:, H2:])
    dcarry = np.zeros((B, H))
    dccarry = np.zeros((B, H))
    dh = np.empty((B, H))
    sq = np.empty(H)
    record = dh_sq.size == T
    for t in range(T - 1, -1, -1):
        dpre = dpre_all[t]
        g, hprev, cprev = gs[t], hs[t], cs[t]
        sq[:] = 0.0
        for b in range(B):  # |dh|^2 summed per unit first: a running scalar sum would not vectorise
            d, din, dc = dh[b], dh_in[t, b], dcarry[b]
            for k in range(H):
                v = din[k] + dc[k]
                d[k] = v
                sq[k] += v * v
        if record:
            dh_sq[t] += sq.sum()
        if cell == RNN:
            for b in range(B):
                for j in range(H):
                    a = g[b, j]
                    dpre[b, j] = dh[b, j] * (1.0 - a * a)
            dcarry = np.dot(dpre, wh.T)
        elif cell == LSTM and not (peephole or coupled):  # row by row, branch-free: it vectorises
            for b in range(B):
                row, dp, d, tcs, cp, dcc = g[b], dpre[b], dh[b], aux[t, b], cprev[b], dccarry[b]
                for j in range(H):
                    i, f, gg, o = row[j], row[H + j], row[2 * H + j], row[3 * H + j]
                    tc = tcs[j]
                    dc = dcc[j] + d[j] * o * (1.0 - tc * tc)
                    dp[j] = dc * gg * i * (1.0 - i)
                    dp[H + j] = dc * cp[j] * f * (1.0 - f)
                    dp[2 * H + j] = dc * i * (1.0 - gg * gg)
                    dp[3 * H + j] = d[j] * tc * o * (1.0 - o)
                    dcc[j] = dc * f
            dcarry = np.dot(dpre, wh.T)
        elif cell == LSTM:
            for b in range(B):
                for j in range(H):
                    i, f, gg, o = g[b, j], g[b, H + j], g[b, 2 * H + j], g[b, 3 * H + j]
                    c = cs[t + 1, b, j]
                    tc = tanh_v(c)
                    dpre_o = dh[b, j] * tc * o * (1.0 - o)
                    dc = dccarry[b, j] + dh[b, j] * o * (1.0 - tc * tc)
                    if peephole:
                        dc += dpre_o * theta[o_p + 2 * H + j]
                        grad[o_p + 2 * H + j] += dpre_o * c
                    di = dc * gg
                    df = dc * cprev[b, j]
                    if coupled:
                        dpre_i = 0.0
                        dpre_f = (df - di) * f * (1.0 - f)
                    else:
                        dpre_i = di * i * (1.0 - i)
                        dpre_f = df * f * (1.0 - f)
                    dcp = dc * f
                    if peephole:
                        dcp += dpre_i * theta[o_p + j] + dpre_f * theta[o_p + H + j]
                        grad[o_p + j] += dpre_i * cprev[b, j]
                        grad[o_p + H + j] += dpre_f * cprev[b, j]
                    dccarry[b, j] = dcp
                    dpre[b, j], dpre[b, H + j], dpre[b, 2 * H + j], dpre[b, 3 * H + j] = \
                        dpre_i, dpre_f, dc * i * (1.0 - gg * gg), dpre_o
            dcarry = np.dot(dpre, wh.T)
        else:  # GRU: h = (1 - z) h' + z n, n reads r * h'
            dn = np.empty((B, H))
            for b in range(B):
                for j in range(H):
                    z, n = g[b, j], g[b, H2 + j]
                    dpre[b, j] = dh[b, j] * (n - hprev[b, j]) * z * (1.0 - z)
                    dn[b, j] = dh[b, j] * z * (1.0 - n * n)
                    dpre[b, H2 + j] = dn[b, j]
            d_rh = np.dot(dn, wh_n.T)
            for b in range(B):
                for k in range(H):
                    r = g[b, H + k]
                    dpre[b, H + k] = d_rh[b, k] * hprev[b, k] * r * (1.0 - r)
            dzr = np.ascontiguousarray(dpre[:, :H2])
            rec = np.dot(dzr, wh_zr.T)
            for b in range(B):
                for k in range(H):
                    dcarry[b, k] = dh[b, k] * (1.0 - g[b, k]) + d_rh[b, k] * g[b, H + k] + rec[b, k]
        if trunc > 0 and (T - t) % trunc == 0:  # truncated BPTT: nothing flows back past a chunk's start
            dcarry[:, :] = 0.0
            dccarry[:, :] = 0.0
    # what does not depend on the order of the steps: all T x B rows at once
    rows = dpre_all.reshape(T * B, GH)
    for r in range(T * B):
        for j in range(GH):
            grad[o_b + j] += rows[r, j]
    if onehot:
        for t in range(T):
            for b in range(B):
                base = o_wx + xi[b, t] * GH
                for j in range(GH):
                    grad[base + j] += dpre_all[t, b, j]
    else:
        gwx = np.dot(xin.reshape(T * B, n_in).T, rows)
        for k in range(n_in):
            for j in range(GH):
                grad[o_wx + k * GH + j] += gwx[k, j]
    hprev_rows = hs[:T].reshape(T * B, H)
    if cell == GRU:
        gzr = np.dot(hprev_rows.T, np.ascontiguousarray(rows[:, :H2]))
        gn = np.dot(aux.reshape(T * B, H).T, np.ascontiguousarray(rows[:, H2:]))
        for k in range(H):
            for j in range(H2):
                grad[o_wh + k * GH + j] += gzr[k, j]
            for j in range(H):
                grad[o_wh + k * GH + H2 + j] += gn[k, j]
    else:
        gwh = np.dot(hprev_rows.T, rows)
        for k in range(H):
            for j in range(GH):
                grad[o_wh + k * GH + j] += gwh[k, j]
    if want_dx:
        wx = theta[o_wx:o_wx + n_in * GH].reshape(n_in, GH)
        return np.dot(rows, wx.T).reshape(T, B, n_in)
    return np.zeros((1, 1, 1))


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _head(theta, o_wy, o_by, h_rows, n_out, loss_code):
    """The dense head on rows of top-layer states: y = h W_y + b_y, softmax'd for cross-entropy."""
    H = h_rows.shape[1]
    wy = theta[o_wy:o_wy + H * n_out].reshape(H, n_out)
    y = np.dot(h_rows, wy)
    for r in range(y.shape[0]):
        for o in range(n_out):
            y[r, o] += theta[o_by + o]
    if loss_code == CE:
        softmax_rows(y, 1.0, y)
    return y


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _inputs(X, Xi, onehot, rows, T):
    """The batch's inputs step-major: (T, B, n_in) (a dummy when ``onehot``) and symbols (B, T)."""
    B = rows.size
    if onehot:
        xi = np.empty((B, T), dtype=np.int64)
        for b in range(B):
            for t in range(T):
                xi[b, t] = Xi[rows[b], t]
        return np.zeros((1, 1, 1)), xi
    n_in = X.shape[2]
    xin = np.empty((T, B, n_in))
    for t in range(T):
        for b in range(B):
            for k in range(n_in):
                xin[t, b, k] = X[rows[b], t, k]
    return xin, np.zeros((1, 1), dtype=np.int64)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _run_layers(cell, peephole, coupled, L, H, theta, offs, xin, xi, onehot, hs, cs, gs, aux):
    for l in range(L):
        if l == 0:
            _layer_forward(cell, peephole, coupled, H, theta, offs[0], offs[1], offs[2], offs[3], xin, xi, onehot,
                           hs[0], cs[0], gs[0], aux[0])
        else:
            _layer_forward(cell, peephole, coupled, H, theta, offs[4 * l], offs[4 * l + 1], offs[4 * l + 2],
                           offs[4 * l + 3], hs[l - 1, 1:], xi, np.bool_(False), hs[l], cs[l], gs[l], aux[l])
    # (np.bool_, not a literal False: a literal argument makes Numba compile the callee once more)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _workspace(L, T, B, H, GH):
    """Every layer's states, gates and aux values over time, the gates' gradients and dL/dh from
    above: made once per kernel call and reused by each update (fresh megabytes every update cost
    more in page faults than the arithmetic on them)."""
    return (np.zeros((L, T + 1, B, H)), np.zeros((L, T + 1, B, H)), np.zeros((L, T, B, GH)),
            np.zeros((L, T, B, H)), np.zeros((T, B, GH)), np.zeros((T, B, H)))


@njit(cache=True, nogil=True, error_model="numpy")
def gradient(cell, peephole, coupled, L, H, n_in, n_out, theta, offs, X, Xi, onehot, Y, Yi, loss_code, many,
             rows, trunc, grad, dh_sq, work):
    """Mean loss over the sequences ``rows`` and its gradient (into ``grad``, zeroed here); the
    squared |dL/dh_t| of the top layer summed over the rows into ``dh_sq`` (zeroed here). ``work``:
    ``_workspace``'s arrays for ``rows.size`` sequences (from Python: ``_workspace.py_func``, NumPy
    making the same arrays; one kernel serves ``train`` and a gradient on request, where a wrapper
    making them here would be one more kernel to compile)."""
    T = Xi.shape[1] if onehot else X.shape[1]
    B = rows.size
    hs, cs, gs, aux, dpre_all, dh_in = work
    xin, xi = _inputs(X, Xi, onehot, rows, T)
    for l in range(L):   # every sequence starts from zero states; the rest is overwritten
        hs[l, 0] = 0.0
        cs[l, 0] = 0.0
    _run_layers(cell, peephole, coupled, L, H, theta, offs, xin, xi, onehot, hs, cs, gs, aux)
    grad[:] = 0.0
    dh_sq[:] = 0.0
    o_wy, o_by = offs[4 * L], offs[4 * L + 1]
    top = L - 1
    T_out = T if many else 1
    n_terms = B * T_out * (n_out if loss_code == MSE else 1)
    scale = 1.0 / n_terms
    h_rows = hs[top, 1:].reshape(T * B, H) if many else hs[top, T]
    y = _head(theta, o_wy, o_by, h_rows, n_out, loss_code)   # rows: (t, b) step-major, or b
    loss = 0.0
    for r in range(y.shape[0]):
        t, b = (r // B, r % B) if many else (0, r)
        if loss_code == CE:
            label = Yi[rows[b], t]
            loss -= np.log(max(y[r, label], 1e-300))
            for o in range(n_out):
                y[r, o] *= scale
            y[r, label] -= scale
        else:
            for o in range(n_out):
                e = y[r, o] - Y[rows[b], t, o]
                loss += e * e
                y[r, o] = 2.0 * e * scale
    dy = y
    gwy = np.dot(h_rows.T, dy)
    for k in range(H):
        for o in range(n_out):
            grad[o_wy + k * n_out + o] += gwy[k, o]
    for r in range(dy.shape[0]):
        for o in range(n_out):
            grad[o_by + o] += dy[r, o]
    wy = theta[o_wy:o_wy + H * n_out].reshape(H, n_out)
    dh_rows = np.dot(dy, wy.T)
    if many:
        copy2(dh_in.reshape(T * B, H), dh_rows)
    else:
        dh_in[:] = 0.0
        copy2(dh_in[T - 1], dh_rows)
    for l in range(L - 1, -1, -1):
        if l == 0:
            _layer_backward(cell, peephole, coupled, H, theta, grad, offs[0], offs[1], offs[2], offs[3], xin, xi,
                            onehot, hs[0], cs[0], gs[0], aux[0], dh_in, dpre_all, trunc,
                            dh_sq if l == top else dh_sq[:0], np.bool_(False))   # np.bool_: see _run_layers
        else:
            dx = _layer_backward(cell, peephole, coupled, H, theta, grad, offs[4 * l], offs[4 * l + 1],
                                 offs[4 * l + 2], offs[4 * l + 3], hs[l - 1, 1:], xi, np.bool_(False),
                                 hs[l], cs[l], gs[l], aux[l], dh_in, dpre_all, trunc,
                                 dh_sq if l == top else dh_sq[:0], np.bool_(True))
            copy2(dh_in.reshape(T * B, H), dx.reshape(T * B, H))
    return loss / n_terms


@njit(cache=True, nogil=True, error_model="numpy")
def train(cell, peephole, coupled, L, H, n_in, n_out, theta, offs, X, Xi, onehot, Y, Yi, loss_code, many,
          batches, trunc, clip, opt, hyper, s1, s2, s3, t0, losses, grad_norms, dh_norms):
    """len(batches) updates, one per row of sequence indices: BPTT, clipping of the whole gradient
    to norm ``clip`` (0: off), then the optimizer ``opt``. Per update: the batch's mean loss, the
    gradient's norm before clipping and |dL/dh_t| of the top layer (root mean square over the
    batch). Returns (updates done, status); a non-finite loss or gradient stops it (DIVERGED)."""
    T = Xi.shape[1] if onehot else X.shape[1]
    grad = np.empty_like(theta)
    dh_sq = np.empty(T)
    B = batches.shape[1]
    work = _workspace(L, T, B, H, GATES[cell] * H)
    for u in range(batches.shape[0]):
        loss = gradient(cell, peephole, coupled, L, H, n_in, n_out, theta, offs, X, Xi, onehot, Y, Yi, loss_code,
                        many, batches[u], trunc, grad, dh_sq, work)
        norm = 0.0
        for i in range(grad.size):
            norm += grad[i] * grad[i]
        norm = np.sqrt(norm)
        losses[u] = loss
        grad_norms[u] = norm
        for t in range(T):
            dh_norms[u, t] = np.sqrt(dh_sq[t] / B)
        if not (np.isfinite(loss) and np.isfinite(norm)):
            return u, DIVERGED
        if clip > 0.0 and norm > clip:
            f = clip / norm
            for i in range(grad.size):
                grad[i] *= f
        apply_update(opt, theta, grad, s1, s2, s3, t0 + u + 1, hyper)
    return batches.shape[0], OK


@njit(cache=True, nogil=True, error_model="numpy")
def forward(cell, peephole, coupled, L, H, n_in, n_out, theta, offs, X, Xi, onehot, loss_code, many,
            h0, c0, out, trace, tr_gates, tr_h, tr_c):
    """Outputs of every sequence of ``X`` / ``Xi`` (``out``: (N, T or 1, n_out)), starting from the
    states ``h0``, ``c0`` (L, N, H), which end holding the last step's. Sequence ``trace`` (none
    when negative) has every layer's gates, h and c at every step written to ``tr_*`` (L, T, .)."""
    N = Xi.shape[0] if onehot else X.shape[0]
    T = Xi.shape[1] if onehot else X.shape[1]
    GH = GATES[cell] * H
    rows = np.arange(N)
    xin, xi = _inputs(X, Xi, onehot, rows, T)
    hs = np.zeros((L, T + 1, N, H))
    cs = np.zeros((L, T + 1, N, H))
    gs = np.empty((L, T, N, GH))
    aux = np.zeros((L, T, N, H))
    for l in range(L):
        copy2(hs[l, 0], h0[l])
        copy2(cs[l, 0], c0[l])
    _run_layers(cell, peephole, coupled, L, H, theta, offs, xin, xi, onehot, hs, cs, gs, aux)
    for l in range(L):
        copy2(h0[l], hs[l, T])
        copy2(c0[l], cs[l, T])
        if trace >= 0:
            for t in range(T):
                for j in range(GH):   # loops: see vmath.copy2
                    tr_gates[l, t, j] = gs[l, t, trace, j]
                for j in range(H):
                    tr_h[l, t, j] = hs[l, t + 1, trace, j]
                    tr_c[l, t, j] = cs[l, t + 1, trace, j]
    top = L - 1
    o_wy, o_by = offs[4 * L], offs[4 * L + 1]
    h_rows = hs[top, 1:].reshape(T * N, H) if many else hs[top, T]
    y = _head(theta, o_wy, o_by, h_rows, n_out, loss_code)
    for r in range(y.shape[0]):
        t, n = (r // N, r % N) if many else (0, r)
        for o in range(n_out):
            out[n, t, o] = y[r, o]
