"""A multi-layer perceptron's forward pass, backward pass and optimizer update, fused.

One call of ``train_steps`` runs many mini-batch steps with no Python in between.

Layout, shared by every kernel here:
- ``sizes``: units per layer, input first: [n_in, h1, ..., n_out]; L = len(sizes) - 1 weight layers.
- ``theta``: every parameter in one flat vector; layer l's weights W_l (sizes[l] x sizes[l+1],
  row-major) start at ``w_off[l]``, its biases at ``b_off[l]``.
- unit buffers (sum(sizes), block), unit-major: layer l's units start at row ``u_off[l]``; rows
  0.. hold the inputs. A batch goes through in blocks of ``BLOCK`` samples. ``act`` holds
  activations, ``slope`` f'(z) (times the dropout mask), ``delta`` the backpropagated dLoss/dz.
  The sample index is innermost and contiguous, so the loops over samples vectorise.
- the output layer stores logits z; ``out_kind`` says how they become predictions:
  REGRESSION (identity), BINARY (sigmoid), MULTICLASS (softmax), or, for a general output layer,
  GENERAL + one of OUT_LINEAR / OUT_SIGMOID / OUT_TANH / OUT_SOFTMAX with any loss of
  ``engine.kernels.losses`` (``loss_code``): the loss and its gradient come from that kernel, so the
  network's losses are exactly the ones the loss lab shows.
- batch normalisation (``bn[l]``: 0 none, BN_BEFORE / BN_AFTER the activation of hidden layer l):
  its scale gamma and shift beta per unit are parameters in ``theta`` (gamma at ``g_off[l]``, beta
  right after it), trained like the weights; ``norm`` (4, units) holds per unit the running mean
  and variance (rows RUN_MEAN, RUN_VAR, what evaluation uses) and the last batch's mean and
  1 / sqrt(var + eps) (rows MEAN, INV). ``bn_mode``: BN_EVAL normalises with the running averages,
  BN_TRAIN with the batch's own statistics (updating the running ones, momentum BN_MOMENTUM, the
  unbiased variance, as PyTorch's BatchNorm1d), BN_BATCH with the batch's statistics and no update.
  The batch's statistics need the whole batch in one block: with batch normalisation the caller
  makes the buffers as wide as a batch (``buffers(..., whole=True)``). x-hat (the normalised
  value) is kept in ``delta``'s rows from 2 * units on for the backward pass.
- randomness (shuffling, dropout) comes from a splitmix64 stream whose state is one uint64 owned
  by the model: a seed reproduces a run exactly, and sessions in parallel threads share nothing.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels import losses as lk
from engine.kernels.activations import activate_row
from engine.kernels.optimizers import LR, apply_update
from engine.kernels.schedules import CONSTANT, factor
from engine.kernels.pipeline import Interleaved
from engine.kernels.vmath import exp_v, log1p_unit, log_v, sigmoid_v

REGRESSION, BINARY, MULTICLASS = range(3)
SQUARED, ABSOLUTE = range(2)  # regression loss codes; classification always uses cross-entropy
GENERAL = 3                   # out_kind = GENERAL + output activation, loss_code = a losses kernel code
OUT_LINEAR, OUT_SIGMOID, OUT_TANH, OUT_SOFTMAX = range(4)

DIVERGED, RUNNING = 0, 1

BN_OFF, BN_BEFORE, BN_AFTER = range(3)     # batch normalisation of a hidden layer: where
BN_EVAL, BN_TRAIN, BN_BATCH = range(3)     # which statistics normalise (see the module's doc)
RUN_MEAN, RUN_VAR, MEAN, INV = range(4)    # rows of ``norm``
BN_MOMENTUM = 0.1                          # running = (1 - m) running + m batch, as PyTorch
BN_EPS = 1e-5

# Samples forwarded and backpropagated together: a 500-point batch in one block. Long blocks
# amortise each pass's loop set-up and reduction, and the hardware prefetcher streams the rows from
# L2/L3 well enough that fitting the buffers into L2 does not pay: sizing blocks to fit 384 KiB
# (32 samples for 2-32x8-1) made the widest net's step 5.1 ms against 2.5 ms with 512, and 256
# was 4 % slower than 512 for 2-8-8-1; 1024 and 2048 gained nothing on 2,000 points.
BLOCK = 512

# fast-math without "nnan"/"ninf": NaN and infinity keep their meaning (divergence is still seen);
# "reassoc" lets the sums over a batch vectorise
FAST = {"nsz", "arcp", "contract", "reassoc"}


@njit(cache=True, nogil=True, inline="always")
def next_uniform(state: np.ndarray) -> float:
    """splitmix64: advance ``state[0]`` and return a float in [0, 1)."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def shuffle(order: np.ndarray, state: np.ndarray) -> None:
    """Fisher-Yates shuffle of ``order`` in place from the model's random stream."""
    for i in range(order.size - 1, 0, -1):
        j = int(next_uniform(state) * (i + 1))
        order[i], order[j] = order[j], order[i]


def buffers(n_units: int, n_samples: int, whole: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed (act, slope, delta) buffers for a network of ``n_units`` units (inputs included),
    ``n_samples`` wide (at most BLOCK unless ``whole``: batch normalisation's batches).
    ``delta`` has three times the rows: rows n_units + u hold dL/da of unit u where a residual
    connection needs it (see ``_backward_block``), rows 2 n_units + u unit u's x-hat where batch
    normalisation needs it."""
    shape = (n_units, max(1, n_samples if whole else min(n_samples, BLOCK)))
    return np.zeros(shape), np.zeros(shape), np.zeros((3 * shape[0], shape[1]))


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", inline="always")
def _normalise(act, o, nb, xh, xo, gamma, beta, norm, bn_mode):
    """Batch normalisation of unit row ``o``: x-hat into xh[xo + o], gamma x-hat + beta into act[o]."""
    if bn_mode == BN_EVAL:
        mean = norm[RUN_MEAN, o]
        inv = 1.0 / np.sqrt(norm[RUN_VAR, o] + BN_EPS)
    else:
        s = 0.0
        for r in range(nb):
            s += act[o, r]
        mean = s / nb
        v = 0.0
        for r in range(nb):
            dv = act[o, r] - mean
            v += dv * dv
        var = v / nb
        inv = 1.0 / np.sqrt(var + BN_EPS)
        norm[MEAN, o] = mean
        norm[INV, o] = inv
        if bn_mode == BN_TRAIN and nb > 1:   # a batch of one has no variance: the averages keep theirs
            norm[RUN_MEAN, o] = (1.0 - BN_MOMENTUM) * norm[RUN_MEAN, o] + BN_MOMENTUM * mean
            norm[RUN_VAR, o] = (1.0 - BN_MOMENTUM) * norm[RUN_VAR, o] + BN_MOMENTUM * var * nb / (nb - 1)
    x = xo + o
    for r in range(nb):
        h = (act[o, r] - mean) * inv
        xh[x, r] = h
        act[o, r] = gamma * h + beta


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", inline="always")
def _normalise_back(delta, u, nb, xo, theta, qg, qb, grad, norm, bn_mode):
    """dL/d(output) of unit row ``u`` -> dL/d(input) of its batch normalisation, in place; adds
    gamma's and beta's gradients. With the batch's statistics the mean and variance depend on
    every sample: dL/dz = gamma inv (g - mean(g) - x-hat mean(g x-hat)), g = dL/dy."""
    x = xo + u
    sg = 0.0
    sgx = 0.0
    for r in range(nb):
        g = delta[u, r]
        sg += g
        sgx += g * delta[x, r]
    grad[qg] += sgx
    grad[qb] += sg
    if bn_mode == BN_EVAL:
        c = theta[qg] / np.sqrt(norm[RUN_VAR, u] + BN_EPS)
        for r in range(nb):
            delta[u, r] *= c
    else:
        c = theta[qg] * norm[INV, u]
        mg = sg / nb
        mgx = sgx / nb
        for r in range(nb):
            delta[u, r] = c * (delta[u, r] - mg - delta[x, r] * mgx)


# The row helpers below (_madd8, _madd, _madd_times, _dots) are plain kernels, not inline="always":
# inlined by Numba, each call site was typed and lowered again with all its loop variants (about
# 3 CPU-s of a cold start); as calls, LLVM still inlines them where it pays, and the playground's
# step ran as fast (python -m tests.bench.ab: 0.993 at 2-8-8-1, 1.007 at 2-32x8-1, both noise).
@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _madd8(buf, o, src, i, w0, w1, w2, w3, w4, w5, w6, w7, nb, first, start):
    """``_madd`` over eight source rows."""
    if first:
        for r in range(nb):
            buf[o, r] = start + (((src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3))
                                 + ((src[i + 4, r] * w4 + src[i + 5, r] * w5) + (src[i + 6, r] * w6 + src[i + 7, r] * w7)))
    else:
        for r in range(nb):
            buf[o, r] += (((src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3))
                          + ((src[i + 4, r] * w4 + src[i + 5, r] * w5) + (src[i + 6, r] * w6 + src[i + 7, r] * w7)))


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _madd(buf, o, src, i, cnt, w0, w1, w2, w3, nb, first, start):
    """buf[o, :nb] = (start if first else buf[o, :nb]) + w0 src[i] + ... + w(cnt-1) src[i+cnt-1].

    Up to four source rows per pass (one load and store of the output row per four products;
    ``_madd8`` takes eight); the count is tested outside the loops so each loop vectorises. Rows
    are indexed, not sliced out: a row view costs reference counting on every call.
    """
    if cnt == 4:
        if first:
            for r in range(nb):
                buf[o, r] = start + ((src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3))
        else:
            for r in range(nb):
                buf[o, r] += (src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3)
    elif cnt == 3:
        if first:
            for r in range(nb):
                buf[o, r] = start + (src[i, r] * w0 + src[i + 1, r] * w1) + src[i + 2, r] * w2
        else:
            for r in range(nb):
                buf[o, r] += (src[i, r] * w0 + src[i + 1, r] * w1) + src[i + 2, r] * w2
    elif cnt == 2:
        if first:
            for r in range(nb):
                buf[o, r] = start + (src[i, r] * w0 + src[i + 1, r] * w1)
        else:
            for r in range(nb):
                buf[o, r] += src[i, r] * w0 + src[i + 1, r] * w1
    else:
        if first:
            for r in range(nb):
                buf[o, r] = start + src[i, r] * w0
        else:
            for r in range(nb):
                buf[o, r] += src[i, r] * w0


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _madd_times(buf, o, src, i, cnt, w0, w1, w2, w3, nb, first, m):
    """``_madd`` with no start value, the result multiplied by m[o] (the last pass of a delta row,
    times the activation's slope: one pass fewer over the row)."""
    if cnt == 4:
        if first:
            for r in range(nb):
                buf[o, r] = ((src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3)) * m[o, r]
        else:
            for r in range(nb):
                buf[o, r] = (buf[o, r] + ((src[i, r] * w0 + src[i + 1, r] * w1) + (src[i + 2, r] * w2 + src[i + 3, r] * w3))) * m[o, r]
    elif cnt == 3:
        if first:
            for r in range(nb):
                buf[o, r] = ((src[i, r] * w0 + src[i + 1, r] * w1) + src[i + 2, r] * w2) * m[o, r]
        else:
            for r in range(nb):
                buf[o, r] = (buf[o, r] + (src[i, r] * w0 + src[i + 1, r] * w1) + src[i + 2, r] * w2) * m[o, r]
    elif cnt == 2:
        if first:
            for r in range(nb):
                buf[o, r] = (src[i, r] * w0 + src[i + 1, r] * w1) * m[o, r]
        else:
            for r in range(nb):
                buf[o, r] = (buf[o, r] + (src[i, r] * w0 + src[i + 1, r] * w1)) * m[o, r]
    else:
        if first:
            for r in range(nb):
                buf[o, r] = src[i, r] * w0 * m[o, r]
        else:
            for r in range(nb):
                buf[o, r] = (buf[o, r] + src[i, r] * w0) * m[o, r]


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _dots(src, i, cnt, d, j, nb):
    """(sum d[j], src[i] . d[j], ..., src[i+cnt-1] . d[j]) over nb columns, unused sums 0.

    Up to four products and the plain sum (the bias gradient) in one pass over d[j].
    """
    s = 0.0
    sa = 0.0
    sb = 0.0
    sc = 0.0
    sd = 0.0
    if cnt == 4:
        for r in range(nb):
            dr = d[j, r]
            s += dr
            sa += src[i, r] * dr
            sb += src[i + 1, r] * dr
            sc += src[i + 2, r] * dr
            sd += src[i + 3, r] * dr
    elif cnt == 3:
        for r in range(nb):
            dr = d[j, r]
            s += dr
            sa += src[i, r] * dr
            sb += src[i + 1, r] * dr
            sc += src[i + 2, r] * dr
    elif cnt == 2:
        for r in range(nb):
            dr = d[j, r]
            s += dr
            sa += src[i, r] * dr
            sb += src[i + 1, r] * dr
    else:
        for r in range(nb):
            dr = d[j, r]
            s += dr
            sa += src[i, r] * dr
    return s, sa, sb, sc, sd


@njit(cache=True, nogil=True, inline="always")
def _at(theta, q, ok):
    return theta[q] if ok else 0.0


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def _forward_block(xt, rows, start, nb, act, slope, theta, sizes, w_off, b_off, u_off, act_codes,
                   alpha, dropout, train, state, skips, scale, bn, g_off, norm, bn_mode, xh, xo):
    """Forward samples ``rows[start:start+nb]`` of the inputs into columns 0..nb-1 of the
    unit-major buffers. ``xt`` holds the inputs feature-major, (features, samples), like the buffers.

    Buffers are (units, block): the sample index is innermost and contiguous, so the
    multiply-accumulate loops over samples vectorise. Inverted dropout when ``train``.
    The output layer keeps its logits; its ``slope`` rows are left free (scratch for the loss).
    ``skips[l]``: layer l's output is f(z) + its input (a residual connection; equal widths).
    ``scale`` (one factor per unit, or empty): f(z) of each hidden unit times its factor, for every
    sample, before a residual connection adds (Monte Carlo dropout's thinned networks).
    ``bn[l]``: layer l's batch normalisation (see the module's doc), x-hat kept in xh[xo + unit].
    A hidden unit: z -> [BN_BEFORE] -> f -> dropout -> [BN_AFTER] -> + the skip's input.
    """
    first = rows[start]
    in_order = True  # consecutive rows (full batches without shuffling): a straight copy
    for r in range(1, nb):
        if rows[start + r] != first + r:
            in_order = False
            break
    for k in range(sizes[0]):
        if in_order:
            for r in range(nb):
                act[k, r] = xt[k, first + r]
        else:
            for r in range(nb):
                act[k, r] = xt[k, rows[start + r]]
    n_layers = sizes.size - 1
    for l in range(n_layers):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = u_off[l]
        w0 = w_off[l]
        for j in range(n_out):
            o = u_off[l + 1] + j
            k = 0
            while k < n_in:
                q = w0 + k * n_out + j
                if n_in - k >= 8:
                    _madd8(act, o, act, src + k, theta[q], theta[q + n_out], theta[q + 2 * n_out],
                           theta[q + 3 * n_out], theta[q + 4 * n_out], theta[q + 5 * n_out],
                           theta[q + 6 * n_out], theta[q + 7 * n_out], nb, k == 0, theta[b_off[l] + j])
                    k += 8
                    continue
                cnt = min(4, n_in - k)
                _madd(act, o, act, src + k, cnt, theta[q], _at(theta, q + n_out, cnt > 1),
                      _at(theta, q + 2 * n_out, cnt > 2), _at(theta, q + 3 * n_out, cnt > 3),
                      nb, k == 0, theta[b_off[l] + j])
                k += cnt
            if l == n_layers - 1:
                continue
            if bn[l] == BN_BEFORE:
                _normalise(act, o, nb, xh, xo, theta[g_off[l] + j], theta[g_off[l] + n_out + j], norm, bn_mode)
            activate_row(act, slope, o, nb, act_codes[l], alpha)
            rate = dropout[l] if train else 0.0
            if rate > 0.0:
                keep = 1.0 / (1.0 - rate)
                for r in range(nb):
                    if next_uniform(state) < rate:
                        act[o, r] = 0.0
                        slope[o, r] = 0.0
                    else:
                        act[o, r] *= keep
                        slope[o, r] *= keep
            if scale.size:
                f = scale[o]
                for r in range(nb):
                    act[o, r] *= f
            if bn[l] == BN_AFTER:
                _normalise(act, o, nb, xh, xo, theta[g_off[l] + j], theta[g_off[l] + n_out + j], norm, bn_mode)
            if skips[l]:   # a residual connection: the layer's input added to its output
                for r in range(nb):
                    act[o, r] += act[src + j, r]


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def _softmax_parts(act, scratch, dst, out0, n_out, nb):
    """Per sample of the block: the largest logit into scratch[out0], e^(z_j - max) into dst rows
    out0.., their sum into scratch[out0 + 1] (the output layer's ``slope`` rows are free scratch).
    Returns the sum of |logits|: finite exactly when every logit is."""
    m, s = out0, out0 + 1
    for r in range(nb):
        scratch[m, r] = act[out0, r]
        scratch[s, r] = 0.0
    for j in range(1, n_out):
        for r in range(nb):
            scratch[m, r] = max(scratch[m, r], act[out0 + j, r])
    size = 0.0
    for j in range(n_out):
        for r in range(nb):
            size += abs(act[out0 + j, r])
            e = exp_v(act[out0 + j, r] - scratch[m, r])
            dst[out0 + j, r] = e
            scratch[s, r] += e
    return size


@njit(cache=True, nogil=True)
def output_activation(z, out_act, a):
    """A general output layer's activation over rows of logits ``z`` (samples, outputs) into ``a``."""
    n, m = z.shape
    for r in range(n):
        if out_act == OUT_SOFTMAX:
            top = z[r, 0]
            for j in range(1, m):
                top = max(top, z[r, j])
            s = 0.0
            for j in range(m):
                a[r, j] = np.exp(z[r, j] - top)
                s += a[r, j]
            for j in range(m):
                a[r, j] /= s
        else:
            for j in range(m):
                v = z[r, j]
                if out_act == OUT_SIGMOID:
                    a[r, j] = sigmoid_v(v)
                elif out_act == OUT_TANH:
                    a[r, j] = np.tanh(v)
                else:
                    a[r, j] = v


@njit(cache=True, nogil=True)
def output_delta(z, a, g, out_act, code, delta):
    """dLoss/dz of a general output layer into ``delta`` (samples, outputs), given its logits ``z``,
    outputs ``a`` and the loss gradient ``g`` = dLoss/da. Sigmoid with binary cross-entropy and
    softmax with categorical cross-entropy are taken from the logits (stable for any z); the
    others are g times the activation's slope (softmax: its Jacobian)."""
    n, m = z.shape
    if (out_act == OUT_SIGMOID and code == lk.BCE) or (out_act == OUT_SOFTMAX and code == lk.CCE):
        return
    for r in range(n):
        if out_act == OUT_SOFTMAX:
            dot = 0.0
            for j in range(m):
                dot += a[r, j] * g[r, j]
            for j in range(m):
                delta[r, j] = a[r, j] * (g[r, j] - dot)
        else:
            for j in range(m):
                slope = 1.0 if out_act == OUT_LINEAR else (
                    a[r, j] * (1.0 - a[r, j]) if out_act == OUT_SIGMOID else 1.0 - a[r, j] * a[r, j])
                delta[r, j] = g[r, j] * slope


@njit(cache=True, nogil=True)
def general_loss(z, t, out_act, code, a, g, delta):
    """Mean loss over the rows of a general output layer's logits ``z`` against targets ``t``;
    fills its outputs ``a``, dLoss/da ``g`` and dLoss/dz ``delta`` (all samples x outputs)."""
    output_activation(z, out_act, a)
    if out_act == OUT_SIGMOID and code == lk.BCE:
        mean = lk.loss_and_gradient(z, t, lk.BCE_LOGITS, delta)
        lk.loss_and_gradient(a, t, lk.BCE, g)
        return mean
    if out_act == OUT_SOFTMAX and code == lk.CCE:
        mean = lk.loss_and_gradient(z, t, lk.CCE_LOGITS, delta)
        lk.loss_and_gradient(a, t, lk.CCE, g)
        return mean
    mean = lk.loss_and_gradient(a, t, code, g)
    output_delta(z, a, g, out_act, code, delta)
    return mean


@njit(cache=True, nogil=True)
def _general_output(act, delta, y, rows, start, nb, out0, n_out, out_act, code, scale):
    """The block's summed loss for a general output layer; delta <- dLoss/dz times ``scale``."""
    z = np.empty((nb, n_out))
    t = np.empty((nb, n_out))
    for r in range(nb):
        for j in range(n_out):
            z[r, j] = act[out0 + j, r]
            t[r, j] = y[rows[start + r], j]
    a = np.empty((nb, n_out))
    g = np.empty((nb, n_out))
    d = np.empty((nb, n_out))
    mean = general_loss(z, t, out_act, code, a, g, d)
    for r in range(nb):
        for j in range(n_out):
            delta[out0 + j, r] = d[r, j] * nb * scale  # the kernel's gradients are means over the block
    return mean * nb


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def _output_loss_and_delta(act, slope, delta, y, rows, start, nb, out0, n_out, out_kind, loss_code,
                           scale, want_loss):
    """Summed loss of the block's samples from their logits; delta <- dLoss/dz times ``scale``.

    Without ``want_loss`` the classification losses skip their logarithms (a third of the time of
    this function) and return the sum of |logits| instead: finite exactly when the loss would be,
    which is all a training step needs to see divergence.

    Loops run over samples (vectorised). The output layer has no activation slope, so its
    ``slope`` rows are scratch: the targets of the class at hand (gathered into a contiguous
    row: a gather inside the loop would stop vectorisation), and for multiclass the per-sample
    maximum and sum.
    """
    if out_kind >= GENERAL:
        return _general_output(act, delta, y, rows, start, nb, out0, n_out, out_kind - GENERAL, loss_code, scale)
    loss = 0.0
    if out_kind == MULTICLASS:
        m, s, t = out0, out0 + 1, out0 + 2  # scratch rows (a multiclass layer has >= 3 units)
        loss = _softmax_parts(act, slope, delta, out0, n_out, nb)
        if want_loss:
            loss = 0.0
            for r in range(nb):
                slope[m, r] += log_v(slope[s, r])  # log of the partition function
        for r in range(nb):
            slope[s, r] = 1.0 / slope[s, r]
        for j in range(n_out):
            for r in range(nb):
                slope[t, r] = y[rows[start + r], j]
            if want_loss:
                for r in range(nb):
                    loss -= slope[t, r] * (act[out0 + j, r] - slope[m, r])
            for r in range(nb):
                delta[out0 + j, r] = (delta[out0 + j, r] * slope[s, r] - slope[t, r]) * scale
        return loss
    t = out0
    for j in range(n_out):
        o = out0 + j
        for r in range(nb):
            slope[t, r] = y[rows[start + r], j]
        if out_kind == BINARY and want_loss:
            for r in range(nb):
                z = act[o, r]
                e = exp_v(-abs(z))
                loss += max(z, 0.0) - z * slope[t, r] + log1p_unit(e)
                delta[o, r] = ((1.0 if z >= 0.0 else e) / (1.0 + e) - slope[t, r]) * scale
        elif out_kind == BINARY:
            for r in range(nb):
                z = act[o, r]
                e = exp_v(-abs(z))
                loss += abs(z)
                delta[o, r] = ((1.0 if z >= 0.0 else e) / (1.0 + e) - slope[t, r]) * scale
        elif loss_code == SQUARED:
            for r in range(nb):
                e = act[o, r] - slope[t, r]
                loss += e * e
                delta[o, r] = 2.0 * e * scale
        else:
            for r in range(nb):
                e = act[o, r] - slope[t, r]
                loss += abs(e)
                delta[o, r] = (1.0 if e > 0.0 else (-1.0 if e < 0.0 else 0.0)) * scale
    return loss


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def _backward_block(nb, act, slope, delta, theta, grad, sizes, w_off, b_off, u_off, skips, bn, g_off,
                    norm, bn_mode):
    """Add the block's weight and bias gradients to ``grad``; backpropagate delta layer by layer.

    Residual connections (``skips[l]``: a_out = f(z_out) + a_in): a layer's input gets dL/da of
    the output as well as W delta, so dL/da (before the slope) of every unit feeding a residual
    connection is kept in ``delta``'s rows from ``u_off[-1]`` on (``ga``). Batch normalisation
    (``bn``) is undone in the forward's reverse order, its x-hat read from rows 2 ``u_off[-1]`` on."""
    n_layers = sizes.size - 1
    ga = u_off[n_layers + 1]   # where dL/da of unit u is kept: row ga + u
    xo = 2 * ga                # and x-hat: row xo + u
    for l in range(n_layers - 1, -1, -1):
        n_in = sizes[l]
        n_o = sizes[l + 1]
        src = u_off[l]
        dst = u_off[l + 1]
        w0 = w_off[l]
        for j in range(n_o):
            for k in range(0, n_in, 4):
                cnt = min(4, n_in - k)
                s, sa, sb, sc, sd = _dots(act, src + k, cnt, delta, dst + j, nb)
                if k == 0:
                    grad[b_off[l] + j] += s
                q = w0 + k * n_o + j
                grad[q] += sa
                if cnt > 1:
                    grad[q + n_o] += sb
                if cnt > 2:
                    grad[q + 2 * n_o] += sc
                if cnt > 3:
                    grad[q + 3 * n_o] += sd
        if l == 0:
            break
        residual = skips[l] or skips[l - 1]   # this layer's input adds to its output, or is itself a sum
        norm_at = bn[l - 1]                   # the inputs' batch normalisation
        raw = residual or norm_at == BN_AFTER  # W delta is needed before the slope multiplies it
        qg = g_off[l - 1]
        for k in range(n_in):  # delta of layer l's inputs: (delta W^T) * f'
            q = w0 + k * n_o
            j = 0
            while True:
                if n_o - j > 8:  # eight rows per pass while some remain for the last pass
                    _madd8(delta, src + k, delta, dst + j, theta[q + j], theta[q + j + 1], theta[q + j + 2],
                           theta[q + j + 3], theta[q + j + 4], theta[q + j + 5], theta[q + j + 6],
                           theta[q + j + 7], nb, j == 0, 0.0)
                    j += 8
                    continue
                cnt = min(4, n_o - j)
                w1 = _at(theta, q + j + 1, cnt > 1)
                w2 = _at(theta, q + j + 2, cnt > 2)
                w3 = _at(theta, q + j + 3, cnt > 3)
                if j + 4 >= n_o and not raw:  # the last pass, times the activation's slope
                    _madd_times(delta, src + k, delta, dst + j, cnt, theta[q + j], w1, w2, w3, nb, j == 0, slope)
                    break
                _madd(delta, src + k, delta, dst + j, cnt, theta[q + j], w1, w2, w3, nb, j == 0, 0.0)
                j += cnt
                if j >= n_o:
                    break
            if raw:   # dL/da = W delta (+ dL/da of the output it is added to); kept; times f'
                d, s_, g_in, g_out = delta[src + k], slope[src + k], delta[ga + src + k], delta[ga + dst + k]
                if skips[l]:
                    for r in range(nb):
                        d[r] += g_out[r]
                if skips[l - 1]:
                    for r in range(nb):
                        g_in[r] = d[r]
                if norm_at == BN_AFTER:
                    _normalise_back(delta, src + k, nb, xo, theta, qg + k, qg + n_in + k, grad, norm, bn_mode)
                for r in range(nb):
                    d[r] *= s_[r]
            if norm_at == BN_BEFORE:
                _normalise_back(delta, src + k, nb, xo, theta, qg + k, qg + n_in + k, grad, norm, bn_mode)


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def batch_gradient(xt, y, rows, theta, grad, sizes, w_off, b_off, u_off, act_codes, alpha,
                   out_kind, loss_code, dropout, train, state, act, slope, delta,
                   l1, l2, layer_norms, want_loss, backward, skips, bn, g_off, norm, bn_mode):
    """Mean data loss over samples ``rows`` of (xt, y); ``grad`` <- its gradient plus the L1/L2 terms.
    ``xt`` is (features, samples), ``y`` (samples, outputs).

    Without ``backward`` only the loss: no backward pass, ``grad`` and ``layer_norms`` untouched
    (half the work: the loss curves evaluate the whole training and test sets every frame).

    Without ``want_loss`` it returns a number that is finite exactly when the loss is (see
    ``_output_loss_and_delta``), not the loss.

    The samples go through in blocks of the buffers' width (see ``BLOCK``), forward then
    backward, so a block's activations are still in cache (L2/L3) for the backward pass.
    ``layer_norms[l]`` gets the norm of layer l's weight gradient (vanishing gradients show here).
    The returned loss excludes the penalty, so curves compare across regularisation settings.
    ``bn_mode`` other than BN_EVAL (batch normalisation by the batch's statistics) needs the
    buffers as wide as ``rows``.
    """
    n_layers = sizes.size - 1
    b = rows.size
    inv_b = 1.0 / b
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    width = act.shape[1]
    if backward:
        grad[:] = 0.0
    total = 0.0
    for start in range(0, b, width):
        nb = min(width, b - start)
        _forward_block(xt, rows, start, nb, act, slope, theta, sizes, w_off, b_off, u_off,
                       act_codes, alpha, dropout, train, state, skips, np.empty(0), bn, g_off, norm, bn_mode,
                       delta, 2 * u_off[n_layers + 1])
        total += _output_loss_and_delta(act, slope, delta, y, rows, start, nb, out0, n_out,
                                        out_kind, loss_code, inv_b, want_loss)
        if backward:
            _backward_block(nb, act, slope, delta, theta, grad, sizes, w_off, b_off, u_off, skips, bn, g_off,
                            norm, bn_mode)
    if not backward:
        return total * inv_b
    for l in range(n_layers):
        sq = 0.0
        for q in range(w_off[l], b_off[l]):
            w = theta[q]
            if l2 > 0.0:
                grad[q] += l2 * w
            if l1 > 0.0:
                grad[q] += l1 * (1.0 if w > 0.0 else (-1.0 if w < 0.0 else 0.0))
            sq += grad[q] * grad[q]
        layer_norms[l] = np.sqrt(sq)
    return total * inv_b


@njit(cache=True, nogil=True, pipeline_class=Interleaved)
def train_steps(xt, y, theta, grad, s1, s2, s3, opt_state, hyper, opt_code, sizes, w_off, b_off,
                u_off, act_codes, alpha, out_kind, loss_code, batch_size, n_steps, stop_at_epoch_end,
                l1, l2, dropout, clip_norm, order, cursor, rng_state, act, slope, delta,
                step_losses, layer_norms, freeze_biases, schedule, done_before, skips, bn, g_off, norm):
    """Run up to ``n_steps`` mini-batch updates.

    ``step_losses`` gets the mini-batch loss of the last step run (NaN for the others: the
    logarithms of a loss nobody reads are skipped; divergence is still seen on every step).

    ``cursor`` = [position in ``order``, epoch, reshuffle (0/1)]; ``opt_state[0]`` is the
    optimizer's step count t. Stops early at the end of an epoch if ``stop_at_epoch_end`` (so
    the caller can check early stopping), and at once if the loss or a parameter stops being
    finite. ``freeze_biases``: the biases get no gradient (they keep their values). ``schedule``
    (code, warm-up, period, gamma) scales the learning rate of the update with s updates before
    it (``done_before`` + the steps of this call) by ``schedules.factor``. Batch normalisation
    (``bn``) normalises by each batch's statistics and updates the running averages in ``norm``
    (the buffers must be a batch wide). Returns
    (steps run, RUNNING or DIVERGED).
    """
    n = order.size
    code, warmup, period, gamma = int(schedule[0]), int(schedule[1]), int(schedule[2]), schedule[3]
    scheduled = code != CONSTANT or warmup > 0
    rate = hyper.copy()   # the hyper-parameters with this update's learning rate
    for step in range(n_steps):
        start = cursor[0]
        end = min(start + batch_size, n)
        rows = order[start:end]
        last = step == n_steps - 1 or (stop_at_epoch_end and end >= n)
        # constants as np.bool_ / np.int64, not literals: a literal argument makes Numba compile
        # the callee again, for that value (batch_gradient twice: 9 s of a cold start)
        loss = batch_gradient(xt, y, rows, theta, grad, sizes, w_off, b_off, u_off, act_codes,
                              alpha, out_kind, loss_code, dropout, np.bool_(True), rng_state, act, slope,
                              delta, l1, l2, layer_norms, last, np.bool_(True), skips, bn, g_off, norm,
                              np.int64(BN_TRAIN))
        step_losses[step] = loss if last else np.nan
        if not np.isfinite(loss):
            step_losses[step] = loss
            return step + 1, DIVERGED
        if freeze_biases:  # biases held at their values (the classic walk-through updates weights only)
            for l in range(sizes.size - 1):
                for q in range(b_off[l], b_off[l] + sizes[l + 1]):
                    grad[q] = 0.0
        if clip_norm > 0.0:
            sq = 0.0
            for q in range(grad.size):
                sq += grad[q] * grad[q]
            length = np.sqrt(sq)
            if length > clip_norm:
                grad *= clip_norm / length
        opt_state[0] += 1
        if scheduled:
            rate[LR] = hyper[LR] * factor(code, warmup, period, gamma, done_before + step)
        apply_update(opt_code, theta, grad, s1, s2, s3, opt_state[0], rate)
        for q in range(theta.size):
            if not np.isfinite(theta[q]):
                return step + 1, DIVERGED
        cursor[0] = end
        if end >= n:
            cursor[0] = 0
            cursor[1] += 1
            if cursor[2] == 1:
                shuffle(order, rng_state)
            if stop_at_epoch_end:
                return step + 1, RUNNING
    return n_steps, RUNNING


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy", pipeline_class=Interleaved)
def forward_all(xt, theta, sizes, w_off, b_off, u_off, act_codes, alpha, out_kind, out, skips, scale,
                bn, g_off, norm):
    """Every unit of the network for every sample (column) of ``xt`` into ``out`` (sum(sizes), n).

    Output units hold predictions: probabilities for BINARY/MULTICLASS, values for REGRESSION.
    One call serves the decision-boundary heatmap and every neuron's thumbnail. ``scale``: see
    ``_forward_block`` (empty: none). Batch normalisation by the running averages (evaluation).
    """
    n_layers = sizes.size - 1
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    width = out.shape[0]
    block = BLOCK
    act = np.empty((width, block))
    slope = np.empty((width, block))
    xh = np.empty((width, block))
    dummy_state = np.zeros(1, dtype=np.uint64)
    no_dropout = np.zeros(n_layers)
    n = xt.shape[1]
    rows = np.arange(n)
    for start in range(0, n, block):
        nb = min(block, n - start)
        _forward_block(xt, rows, start, nb, act, slope, theta, sizes, w_off, b_off, u_off,
                       act_codes, alpha, no_dropout, np.bool_(False), dummy_state, skips, scale, bn, g_off,
                       norm, np.int64(BN_EVAL), xh, np.int64(0))   # no literals: see train_steps
        if out_kind == BINARY or out_kind == GENERAL + OUT_SIGMOID:
            for j in range(n_out):
                zj = act[out0 + j]
                for r in range(nb):
                    zj[r] = sigmoid_v(zj[r])
        elif out_kind == MULTICLASS or out_kind == GENERAL + OUT_SOFTMAX:
            _softmax_parts(act, slope, act, out0, n_out, nb)
            for j in range(n_out):
                for r in range(nb):
                    act[out0 + j, r] /= slope[out0 + 1, r]
        elif out_kind == GENERAL + OUT_TANH:
            for j in range(n_out):
                for r in range(nb):
                    act[out0 + j, r] = np.tanh(act[out0 + j, r])
        for c in range(width):
            for r in range(nb):
                out[c, start + r] = act[c, r]
