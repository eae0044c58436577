"""CUDA twin of the small CNN's training kernel (``engine.kernels.cnn.train_steps``): the same
arguments, the same updates. numba-cuda; imported only when ``engine.backend`` picks CUDA.

A call's data (the training images and labels, every step's batch rows), the parameters and the
optimizer's state go to the device once and stay there for all of the call's updates; what comes
back at the end is the parameters, the optimizer's state, the loss of each step and where it
stopped. A step is eight launches, none waiting for the host:

1. layer 1: a thread per pooled cell computes its window's four convolution values from the image
   (gathered by the batch's rows), takes the ReLU and the first largest (``pool_forward``'s rule);
2. layer 2 the same, from layer 1's pooled maps (kept zero-padded);
3. a thread per image: the dense layer, softmax, its loss and the logits' gradient;
4. the dense layer's weight and bias gradients, and the gradient for layer 2's pooled cells (zero
   where the pooled value is not above zero: the ReLU under the window's winner);
5. layer 2's filter and bias gradients, a thread per weight summing over the batch's winners;
6. the gradient for layer 1's pooled cells, a thread per cell gathering from the windows above it;
7. layer 1's filter and bias gradients;
8. the optimizer's update, a thread per parameter (``engine.kernels.optimizers``' rules).

Where the CPU kernel returns early (a loss or gradient that is not finite; an update that leaves
a weight beyond the limit) the threads that find it write it into ``stop``, and every later launch
of the call returns at once. Sums run in the CPU kernel's order where the threads allow; the
device's exp, log and fused multiply-adds move the last bits (agreement to ~1e-12 relative).
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from engine.kernels.cnn import DIVERGED, RUNNING, THREW
from engine.kernels.cuda_host import THREADS, blocks, cell, put
from engine.kernels.optimizers import (ADADELTA, ADAGRAD, ADAM, BETA1, BETA2, EPS, LR, MOMENTUM, MOMENTUM_COEF,
                                       NESTEROV, RHO, RMSPROP, SGD)

# ``stop``: [a loss or gradient was not finite (no update), at which step, 1 + the step whose update
# threw a weight beyond the limit (0: none)]
NOT_FINITE, AT, THREW_AFTER = range(3)


@cuda.jit(device=True)
def _halted(stop, t):
    """Whether an earlier launch of this call stopped it (the update kernel of step ``t`` may
    itself mark step t as the one that threw: its other threads must still update)."""
    return stop[NOT_FINITE] != 0 or (stop[THREW_AFTER] != 0 and stop[THREW_AFTER] <= t)


@cuda.jit(device=True)
def _not_finite(stop, t):
    stop[AT] = t
    stop[NOT_FINITE] = 1


@cuda.jit
def _layer1(x, batches, t, theta, f1, p1, a1, stop):
    idx = cuda.grid(1)
    nb, h, side = p1.shape[0], a1.shape[2], x.shape[2]
    if idx >= nb * f1 * h * h or _halted(stop, t):
        return
    n, f, i, j = cell(idx, a1.shape)
    row = batches[t, n]
    bias = theta[f1 * 9 + f]
    best = 0.0
    where = 0
    for du in range(2):
        for dv in range(2):
            r = 2 * i + du
            c = 2 * j + dv
            s = bias
            for u in range(3):
                rr = r + u - 1
                if 0 <= rr < side:
                    for v in range(3):
                        cc = c + v - 1
                        if 0 <= cc < side:
                            s += theta[f * 9 + u * 3 + v] * x[row, 0, rr, cc]
            val = max(s, 0.0)
            if (du == 0 and dv == 0) or val > best:
                best = val
                where = r * side + c
    p1[n, f, i + 1, j + 1] = best
    a1[n, f, i, j] = where


@cuda.jit
def _layer2(p1, theta, o_w2, o_b2, f2, p2, a2, t, stop):
    idx = cuda.grid(1)
    nb, f1, h = p1.shape[0], p1.shape[1], p1.shape[2] - 2
    q = h // 2
    if idx >= nb * f2 * q * q or _halted(stop, t):
        return
    n, f, i, j = cell(idx, (nb, f2, q, q))
    k = (f * q + i) * q + j   # the cell's place in the flattened maps
    best = 0.0
    where = 0
    for du in range(2):
        for dv in range(2):
            r = 2 * i + du
            c = 2 * j + dv
            s = theta[o_b2 + f]
            for e in range(f1):
                for u in range(3):
                    for v in range(3):
                        s += theta[o_w2 + ((f * f1 + e) * 3 + u) * 3 + v] * p1[n, e, r + u, c + v]
            val = max(s, 0.0)
            if (du == 0 and dv == 0) or val > best:
                best = val
                where = r * h + c
    p2[n, k] = best
    a2[n, k] = where


@cuda.jit
def _dense(p2, theta, o_w3, o_b3, y, batches, t, prob, sample_loss, stop):
    n = cuda.grid(1)
    nb, n_flat = p2.shape
    classes = prob.shape[1]
    if n >= nb or _halted(stop, t):
        return
    for c in range(classes):
        prob[n, c] = theta[o_b3 + c]
    for k in range(n_flat):
        a = p2[n, k]
        if a != 0.0:
            for c in range(classes):
                prob[n, c] += a * theta[o_w3 + k * classes + c]
    top = prob[n, 0]
    for c in range(classes):
        top = max(top, prob[n, c])
    z = 0.0
    for c in range(classes):
        prob[n, c] = math.exp(prob[n, c] - top)
        z += prob[n, c]
    for c in range(classes):
        prob[n, c] /= z
    label = y[batches[t, n]]
    loss = -math.log(max(prob[n, label], 1e-300))
    sample_loss[n] = loss
    if not math.isfinite(loss):
        _not_finite(stop, t)
    prob[n, label] -= 1.0
    for c in range(classes):
        prob[n, c] /= nb


@cuda.jit
def _dense_grad(p2, prob, theta, o_w3, o_b3, grad, d_p2, sample_loss, losses, t, stop):
    idx = cuda.grid(1)
    nb, n_flat = p2.shape
    classes = prob.shape[1]
    weights = n_flat * classes
    if idx > weights + classes + nb * n_flat or _halted(stop, t):
        return
    if idx < weights:
        k = idx // classes
        c = idx % classes
        s = 0.0
        for n in range(nb):
            s += p2[n, k] * prob[n, c]
        grad[o_w3 + idx] = s
    elif idx < weights + classes:
        c = idx - weights
        s = 0.0
        for n in range(nb):
            s += prob[n, c]
        grad[o_b3 + c] = s
    elif idx < weights + classes + nb * n_flat:
        n = (idx - weights - classes) // n_flat
        k = (idx - weights - classes) % n_flat
        s = 0.0
        for c in range(classes):
            s += prob[n, c] * theta[o_w3 + k * classes + c]
        d_p2[n, k] = s if p2[n, k] > 0.0 else 0.0   # the ReLU under the window's winner
        return
    else:   # the step's mean loss, in the CPU kernel's order
        s = 0.0
        for n in range(nb):
            s += sample_loss[n]
        losses[t] = s / nb
        return
    if not math.isfinite(s):
        _not_finite(stop, t)


@cuda.jit
def _layer2_grad(d_p2, a2, p1, o_w2, o_b2, f2, grad, t, stop):
    idx = cuda.grid(1)
    nb, f1, h = p1.shape[0], p1.shape[1], p1.shape[2] - 2
    q = h // 2
    if idx >= f2 * f1 * 9 + f2 or _halted(stop, t):
        return
    s = 0.0
    if idx < f2 * f1 * 9:
        v = idx % 3
        u = (idx // 3) % 3
        e = (idx // 9) % f1
        f = idx // (9 * f1)
        for n in range(nb):
            for k in range(f * q * q, (f + 1) * q * q):
                g = d_p2[n, k]
                if g != 0.0:
                    s += g * p1[n, e, a2[n, k] // h + u, a2[n, k] % h + v]
        grad[o_w2 + idx] = s
    else:
        f = idx - f2 * f1 * 9
        for n in range(nb):
            for k in range(f * q * q, (f + 1) * q * q):
                s += d_p2[n, k]
        grad[o_b2 + f] = s
    if not math.isfinite(s):
        _not_finite(stop, t)


@cuda.jit
def _layer1_input_grad(d_p2, a2, p1, theta, o_w2, f2, d_p1, t, stop):
    """d_p1[n, e, i, j]: the gradient for layer 1's pooled cell (i, j), from every layer-2 window
    winner whose 3 x 3 patch covers it; zero where the pooled value is not above zero."""
    idx = cuda.grid(1)
    nb, f1, h = d_p1.shape[0], d_p1.shape[1], d_p1.shape[2]
    q = h // 2
    if idx >= nb * f1 * h * h or _halted(stop, t):
        return
    n, e, i, j = cell(idx, d_p1.shape)
    s = 0.0
    if p1[n, e, i + 1, j + 1] > 0.0:
        for f in range(f2):
            for u in range(2, -1, -1):   # the winner's row r = i + 1 - u: rows in the CPU kernel's order
                r = i + 1 - u
                if 0 <= r < h:
                    for v in range(2, -1, -1):
                        c = j + 1 - v
                        if 0 <= c < h:
                            k = (f * q + r // 2) * q + c // 2
                            g = d_p2[n, k]
                            if g != 0.0 and a2[n, k] == r * h + c:
                                s += g * theta[o_w2 + ((f * f1 + e) * 3 + u) * 3 + v]
    d_p1[n, e, i, j] = s


@cuda.jit
def _layer1_grad(d_p1, a1, x, batches, f1, grad, t, stop):
    idx = cuda.grid(1)
    nb, h, side = d_p1.shape[0], d_p1.shape[2], x.shape[2]
    if idx >= f1 * 9 + f1 or _halted(stop, t):
        return
    s = 0.0
    if idx < f1 * 9:
        v = idx % 3
        u = (idx // 3) % 3
        f = idx // 9
        for n in range(nb):
            row = batches[t, n]
            for i in range(h):
                for j in range(h):
                    g = d_p1[n, f, i, j]
                    if g != 0.0:
                        rr = a1[n, f, i, j] // side + u - 1
                        cc = a1[n, f, i, j] % side + v - 1
                        if 0 <= rr < side and 0 <= cc < side:
                            s += g * x[row, 0, rr, cc]
        grad[idx] = s
    else:
        f = idx - f1 * 9
        for n in range(nb):
            for i in range(h):
                for j in range(h):
                    s += d_p1[n, f, i, j]
        grad[idx] = s
    if not math.isfinite(s):
        _not_finite(stop, t)


@cuda.jit
def _update(theta, grad, s1, s2, code, step, hyper, limit, t, stop):
    """``engine.kernels.optimizers.apply_update`` for parameter i, update number ``step``."""
    i = cuda.grid(1)
    if i >= theta.size or _halted(stop, t):
        return
    lr, mu, b1, b2, rho, eps = hyper[LR], hyper[MOMENTUM_COEF], hyper[BETA1], hyper[BETA2], hyper[RHO], hyper[EPS]
    g = grad[i]
    if code == SGD:
        theta[i] -= lr * g
    elif code == MOMENTUM:
        s1[i] = mu * s1[i] + g
        theta[i] -= lr * s1[i]
    elif code == NESTEROV:
        s1[i] = mu * s1[i] + g
        theta[i] -= lr * (g + mu * s1[i])
    elif code == ADAGRAD:
        s1[i] += g * g
        theta[i] -= lr * g / (math.sqrt(s1[i]) + eps)
    elif code == RMSPROP:
        s1[i] = rho * s1[i] + (1.0 - rho) * g * g
        theta[i] -= lr * g / (math.sqrt(s1[i]) + eps)
    elif code == ADADELTA:
        s1[i] = rho * s1[i] + (1.0 - rho) * g * g
        dx = -math.sqrt(s2[i] + eps) / math.sqrt(s1[i] + eps) * g
        s2[i] = rho * s2[i] + (1.0 - rho) * dx * dx
        theta[i] += lr * dx
    else:   # ADAM and NADAM
        scaled = lr / (1.0 - b1 ** step)
        inv_c2 = 1.0 / (1.0 - b2 ** step)
        s1[i] = b1 * s1[i] + (1.0 - b1) * g
        s2[i] = b2 * s2[i] + (1.0 - b2) * g * g
        m = s1[i] if code == ADAM else b1 * s1[i] + (1.0 - b1) * g
        theta[i] -= scaled * m / (math.sqrt(s2[i] * inv_c2) + eps)
    if not math.isfinite(theta[i]) or abs(theta[i]) > limit:
        stop[THREW_AFTER] = t + 1


def train_steps(x, y, batches, theta, s1, s2, s3, t0, code, hyper, f1, f2, classes, limit, losses):
    """``engine.kernels.cnn.train_steps`` on the GPU: the same arguments and result; ``theta``,
    ``s1``, ``s2`` (``s3``: no rule uses it) and ``losses`` are updated in place at the end."""
    n_steps, nb = batches.shape
    if n_steps == 0:
        return 0, RUNNING
    side = x.shape[2]
    h, q = side // 2, side // 4
    n_flat = f2 * q * q
    o_w2 = f1 * 10
    o_b2 = o_w2 + f2 * f1 * 9
    o_w3 = o_b2 + f2
    o_b3 = o_w3 + n_flat * classes
    d_x, d_y, d_batches = put(x), put(y), put(batches)
    d_theta, d_s1, d_s2, d_hyper = put(theta), put(s1), put(s2), put(hyper)
    d_grad = cuda.device_array(theta.size)
    d_p1 = put(np.zeros((nb, f1, h + 2, h + 2)))   # its border stays zero: layer 2's padding
    d_a1 = cuda.device_array((nb, f1, h, h), np.int64)
    d_p2, d_a2 = cuda.device_array((nb, n_flat)), cuda.device_array((nb, n_flat), np.int64)
    d_prob, d_sample_loss = cuda.device_array((nb, classes)), cuda.device_array(nb)
    d_dp2, d_dp1 = cuda.device_array((nb, n_flat)), cuda.device_array((nb, f1, h, h))
    d_losses, d_stop = cuda.device_array(n_steps), put(np.zeros(3, np.int64))
    code, limit = int(code), float(limit)
    for t in range(n_steps):
        _layer1[blocks(nb * f1 * h * h), THREADS](d_x, d_batches, t, d_theta, f1, d_p1, d_a1, d_stop)
        _layer2[blocks(nb * n_flat), THREADS](d_p1, d_theta, o_w2, o_b2, f2, d_p2, d_a2, t, d_stop)
        _dense[blocks(nb), THREADS](d_p2, d_theta, o_w3, o_b3, d_y, d_batches, t, d_prob, d_sample_loss, d_stop)
        _dense_grad[blocks(n_flat * classes + classes + nb * n_flat + 1), THREADS](
            d_p2, d_prob, d_theta, o_w3, o_b3, d_grad, d_dp2, d_sample_loss, d_losses, t, d_stop)
        _layer2_grad[blocks(f2 * f1 * 9 + f2), THREADS](d_dp2, d_a2, d_p1, o_w2, o_b2, f2, d_grad, t, d_stop)
        _layer1_input_grad[blocks(nb * f1 * h * h), THREADS](d_dp2, d_a2, d_p1, d_theta, o_w2, f2, d_dp1, t, d_stop)
        _layer1_grad[blocks(f1 * 10), THREADS](d_dp1, d_a1, d_x, d_batches, f1, d_grad, t, d_stop)
        _update[blocks(theta.size), THREADS](d_theta, d_grad, d_s1, d_s2, code, int(t0) + t + 1, d_hyper, limit,
                                             t, d_stop)
    for dev, host in ((d_theta, theta), (d_s1, s1), (d_s2, s2), (d_losses, losses)):
        dev.copy_to_host(host)
    stop = d_stop.copy_to_host()
    if stop[NOT_FINITE]:
        return int(stop[AT]), DIVERGED
    if stop[THREW_AFTER]:
        return int(stop[THREW_AFTER]), THREW
    return n_steps, RUNNING
