"""The small CNN (``engine.conv.SmallCNN``) as two kernels: ``train_steps`` (many mini-batch updates
a call) and ``forward_probs`` (class probabilities of many images: the curves' pass), one forward
pass between them.

The network: conv(f1, 3x3, padding 1) - ReLU - max pool 2 - conv(f2, 3x3, padding 1) - ReLU - max
pool 2 - flatten - dense(classes), softmax + cross-entropy, on (N, 1, S, S) images, S divisible by 4.
All parameters live in one flat vector ``theta`` in the order w1 (f1, 1, 3, 3), b1, w2 (f2, f1, 3, 3),
b2, w3 (f2 (S/4)^2, classes), b3, the layout ``SmallCNN`` uses; the optimizers' kernel updates it.

``SmallCNN.loss_and_gradient`` (the layer functions one at a time) computes the same gradient and is
the reference the tests hold this kernel to; a step through it costs ~10 Python calls (checks,
padding, allocation) whose overhead was three quarters of a step at the lab's sizes.

Max pooling after a ReLU routes the gradient to each window's first largest value, and the ReLU
passes it only where that value is positive: so a pooled value above zero is the whole mask, and
the backward pass visits only the winners (3 of every 4 cells get no gradient).

Written for compile time as much as speed (it is compiled at every cold start): plain loops rather
than NumPy slice assignments, and no fastmath. Each cost seconds of compiling (9.7 s -> 4.3 s of
CPU on a 2-core Xeon VM) and gained nothing measurable at run time; the 4-D slice copy was also
slower to run than its loop.

A call stops at the first step whose loss or gradient is not finite (no update: ``DIVERGED``), or
whose update leaves a weight that is not finite or beyond ``limit`` (``THREW``, the update kept);
it returns (updates applied, status) and the mean loss of each step it took in ``losses``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.optimizers import apply_update

RUNNING, DIVERGED, THREW = range(3)


def step_work(batch: int, side: int, f1: int, f2: int, classes: int) -> float:
    """Multiply-adds of one update (forward, and twice that backward): the GPU's unit."""
    h = side // 2
    forward = f1 * 9 * side * side + f2 * f1 * 9 * h * h + f2 * (side // 4) ** 2 * classes
    return 3.0 * batch * forward


@njit(cache=True, nogil=True, error_model="numpy")
def _conv(src, n, w, b, out, patch):
    """out[n] = b + w (3 x 3, padding 1) cross-correlated with image ``n`` of ``src``, which holds
    the padded input (N, C, rows + 2, columns + 2). The image's patches are laid out first in
    ``patch`` (C 9, rows columns), so the sums run along all of a map's cells at once (measured
    alone, 2.2x as fast as four-cell rows at layer 2's 4 x 4 maps), the same sums in the same order."""
    rows, cols = out.shape[2], out.shape[3]
    taps = w.shape[1] * 9
    cells = rows * cols
    for c in range(w.shape[1]):
        for u in range(3):
            for v in range(3):
                k = (c * 3 + u) * 3 + v
                for i in range(rows):
                    for j in range(cols):
                        patch[k, i * cols + j] = src[n, c, i + u, j + v]
    wf = w.reshape((w.shape[0], taps))
    of = out[n].reshape((w.shape[0], cells))
    for f in range(w.shape[0]):
        for p in range(cells):
            of[f, p] = b[f]
        for k in range(taps):
            wv = wf[f, k]
            for p in range(cells):
                of[f, p] += wv * patch[k, p]


@njit(cache=True, nogil=True, error_model="numpy")
def _relu_pool(c, n, out, pad, arg):
    """out[n, f, i + pad, j + pad] = the largest ReLU value of each 2 x 2 window of ``c[n]``,
    ``arg`` its position (row * columns + column; the first on ties, as ``pool_forward``)."""
    cols = c.shape[3]
    for f in range(c.shape[1]):
        for i in range(c.shape[2] // 2):
            for j in range(cols // 2):
                best = max(c[n, f, 2 * i, 2 * j], 0.0)
                where = 2 * i * cols + 2 * j
                for u in range(2):
                    for v in range(2):
                        val = max(c[n, f, 2 * i + u, 2 * j + v], 0.0)
                        if val > best:
                            best = val
                            where = (2 * i + u) * cols + 2 * j + v
                out[n, f, i + pad, j + pad] = best
                arg[n, f, i, j] = where


@njit(cache=True, nogil=True, error_model="numpy")
def _conv_grad(d_pool, pooled, pad, arg, src, w, gw, gb, d_src, need_d_src):
    """Add to ``gw``, ``gb`` (and ``d_src``, the gradient for the padded input ``src``) what each
    pooled cell's gradient ``d_pool`` gives through its window's winner (``arg``), where the
    pooled value is above zero: the ReLU's mask. ``pooled`` and ``d_pool`` both hold ``pad`` rows
    and columns of padding around the cells (layer 1's pooled maps are layer 2's padded input)."""
    cols = 2 * arg.shape[3]
    for n in range(arg.shape[0]):
        for f in range(arg.shape[1]):
            for i in range(arg.shape[2]):
                for j in range(arg.shape[3]):
                    g = d_pool[n, f, i + pad, j + pad]
                    if g == 0.0 or pooled[n, f, i + pad, j + pad] <= 0.0:
                        continue
                    r = arg[n, f, i, j] // cols
                    cc = arg[n, f, i, j] % cols
                    gb[f] += g
                    for e in range(w.shape[1]):
                        for u in range(3):
                            for v in range(3):
                                gw[f, e, u, v] += g * src[n, e, r + u, cc + v]
                                if need_d_src:
                                    d_src[n, e, r + u, cc + v] += g * w[f, e, u, v]


@njit(cache=True, nogil=True, error_model="numpy")
def _params(theta, f1, f2, side, classes):
    """w1, b1, w2, b2, w3, b3 as views of the flat vector ``theta`` (or of a gradient laid out as it)."""
    n_flat = f2 * (side // 4) ** 2
    o1 = f1 * 9
    o2 = o1 + f1
    o3 = o2 + f2 * f1 * 9
    o4 = o3 + f2
    o5 = o4 + n_flat * classes
    return (theta[:o1].reshape((f1, 1, 3, 3)), theta[o1:o2], theta[o2:o3].reshape((f2, f1, 3, 3)), theta[o3:o4],
            theta[o4:o5].reshape((n_flat, classes)), theta[o5:])


@njit(cache=True, nogil=True, error_model="numpy")
def _maps(nb, side, f1, f2):
    """Scratch for the forward pass of ``nb`` images: the padded input, layer 1's maps, pooled maps
    (zero-padded: layer 2's input) and winners, layer 2's, and the two layers' patch tables."""
    h, q = side // 2, side // 4
    return (np.zeros((nb, 1, side + 2, side + 2)), np.empty((nb, f1, side, side)), np.zeros((nb, f1, h + 2, h + 2)),
            np.empty((nb, f1, h, h), dtype=np.int64), np.empty((nb, f2, h, h)), np.empty((nb, f2, q, q)),
            np.empty((nb, f2, q, q), dtype=np.int64), np.empty((9, side * side)), np.empty((f1 * 9, h * h)))


@njit(cache=True, nogil=True, error_model="numpy")
def _forward(x, row, n, params, maps, prob, out):
    """Image ``row`` of ``x`` through the network, in slot ``n`` of the scratch ``maps``; its class
    probabilities (softmax) into ``prob[out]``."""
    w1, b1, w2, b2, w3, b3 = params
    xp, c1, p1, a1, c2, p2, a2, patch1, patch2 = maps
    side = x.shape[2]
    for i in range(side):
        for j in range(side):
            xp[n, 0, i + 1, j + 1] = x[row, 0, i, j]
    _conv(xp, n, w1, b1, c1, patch1)
    _relu_pool(c1, n, p1, 1, a1)
    _conv(p1, n, w2, b2, c2, patch2)
    _relu_pool(c2, n, p2, 0, a2)
    flat = p2[n].reshape(w3.shape[0])
    classes = b3.size
    for c in range(classes):
        prob[out, c] = b3[c]
    for k in range(flat.size):
        a = flat[k]
        if a != 0.0:
            for c in range(classes):
                prob[out, c] += a * w3[k, c]
    top = prob[out, 0]
    for c in range(classes):
        top = max(top, prob[out, c])
    z = 0.0
    for c in range(classes):
        prob[out, c] = np.exp(prob[out, c] - top)
        z += prob[out, c]
    for c in range(classes):
        prob[out, c] /= z


@njit(cache=True, nogil=True, error_model="numpy")
def forward_probs(x, theta, f1, f2, classes, probs):
    """probs[n]: the class probabilities of image n of ``x`` (N, 1, S, S), as ``SmallCNN.forward``
    gives them, with none of its intermediate maps kept (the curves' and the matrix's pass)."""
    params = _params(theta, f1, f2, x.shape[2], classes)
    maps = _maps(1, x.shape[2], f1, f2)
    for n in range(x.shape[0]):
        _forward(x, n, 0, params, maps, probs, n)


@njit(cache=True, nogil=True, error_model="numpy")
def train_steps(x, y, batches, theta, s1, s2, s3, t0, code, hyper, f1, f2, classes, limit, losses):
    """``batches.shape[0]`` updates of ``theta`` and the optimizer's state ``s1``-``s3`` (rule
    ``code``, ``hyper``; ``t0`` updates before this call); update ``t`` on the rows ``batches[t]`` of
    ``x`` (N, 1, S, S) and ``y``. Returns (updates applied, RUNNING / DIVERGED / THREW), and
    ``losses[t]``: the mean loss of step t, before its update."""
    n_steps, nb = batches.shape
    side = x.shape[2]
    h = side // 2
    n_flat = f2 * (side // 4) ** 2
    params = _params(theta, f1, f2, side, classes)
    w1, b1, w2, b2, w3, b3 = params
    grad = np.empty(theta.size)
    g1, gb1, g2, gb2, g3, gb3 = _params(grad, f1, f2, side, classes)
    maps = _maps(nb, side, f1, f2)
    xp, c1, p1, a1, c2, p2, a2, patch1, patch2 = maps
    flat = p2.reshape((nb, n_flat))
    prob = np.empty((nb, classes))
    d_p2 = np.empty(p2.shape)
    d_flat = d_p2.reshape((nb, n_flat))
    d_p1 = np.empty((nb, f1, h + 2, h + 2))          # the gradient for layer 2's padded input
    d_p1_flat = d_p1.reshape(d_p1.size)
    for t in range(n_steps):
        # ---- forward: both convolutions with their ReLU and pooling, the dense layer, softmax
        total = 0.0
        for n in range(nb):
            row = batches[t, n]
            _forward(x, row, n, params, maps, prob, n)
            label = y[row]
            total -= np.log(max(prob[n, label], 1e-300))
            prob[n, label] -= 1.0           # now the gradient of the loss for the logits, times nb
        losses[t] = total / nb
        # ---- backward
        for i in range(grad.size):
            grad[i] = 0.0
        for i in range(d_p1_flat.size):
            d_p1_flat[i] = 0.0
        for n in range(nb):
            for c in range(classes):
                prob[n, c] /= nb
                gb3[c] += prob[n, c]
            for k in range(n_flat):
                a = flat[n, k]
                s = 0.0
                for c in range(classes):
                    g3[k, c] += a * prob[n, c]
                    s += prob[n, c] * w3[k, c]
                d_flat[n, k] = s
        _conv_grad(d_p2, p2, 0, a2, p1, w2, g2, gb2, d_p1, True)
        _conv_grad(d_p1, p1, 1, a1, xp, w1, g1, gb1, d_p1, False)
        # ---- update, unless something is no longer a number
        finite = np.isfinite(losses[t])
        for i in range(grad.size):
            if not np.isfinite(grad[i]):
                finite = False
        if not finite:
            return t, DIVERGED
        apply_update(code, theta, grad, s1, s2, s3, t0 + t + 1, hyper)
        for i in range(theta.size):
            if not np.isfinite(theta[i]) or abs(theta[i]) > limit:
                return t + 1, THREW
    return n_steps, RUNNING
