"""A multi-layer perceptron's forward pass, backward pass and optimizer update, fused.

One call of ``train_steps`` runs many mini-batch steps with no Python in between.

Layout, shared by every kernel here:
- ``sizes``: units per layer, input first: [n_in, h1, ..., n_out]; L = len(sizes) - 1 weight layers.
- ``theta``: every parameter in one flat vector; layer l's weights W_l (sizes[l] x sizes[l+1],
  row-major) start at ``w_off[l]``, its biases at ``b_off[l]``.
- unit buffers (sum(sizes), batch), unit-major: layer l's units start at row ``u_off[l]``; rows
  0.. hold the inputs. ``act`` holds activations, ``slope`` f'(z) (times the dropout mask),
  ``delta`` the backpropagated dLoss/dz. The batch index is innermost and contiguous, so the
  loops over samples vectorise.
- the output layer stores logits z; ``out_kind`` says how they become predictions:
  REGRESSION (identity), BINARY (sigmoid), MULTICLASS (softmax).
- randomness (shuffling, dropout) comes from a splitmix64 stream whose state is one uint64 owned
  by the model: a seed reproduces a run exactly, and sessions in parallel threads share nothing.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.activations import activate_scalar, derivative_from_output
from engine.kernels.optimizers import apply_update

REGRESSION, BINARY, MULTICLASS = range(3)
SQUARED, ABSOLUTE = range(2)  # regression loss codes; classification always uses cross-entropy

DIVERGED, RUNNING = 0, 1

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


@njit(cache=True, nogil=True, fastmath=FAST)
def _forward_batch(x, rows, act, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                   dropout, train, state):
    """Forward the samples ``rows`` of x into columns 0..len(rows)-1 of the unit-major buffers.

    Buffers are (units, batch): the batch index is innermost and contiguous, so the
    multiply-accumulate loops over samples vectorise. Inverted dropout when ``train``.
    """
    b = rows.size
    for r in range(b):
        i = rows[r]
        for k in range(sizes[0]):
            act[k, r] = x[i, k]
    n_layers = sizes.size - 1
    for l in range(n_layers):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = u_off[l]
        dst = u_off[l + 1]
        last = l == n_layers - 1
        rate = 0.0 if last or not train else dropout[l]
        code = act_codes[l]
        for j in range(n_out):
            z = act[dst + j]
            bias = theta[b_off[l] + j]
            for r in range(b):
                z[r] = bias
            for k in range(n_in):
                w = theta[w_off[l] + k * n_out + j]
                a = act[src + k]
                for r in range(b):
                    z[r] += a[r] * w
            d = slope[dst + j]
            if last:
                for r in range(b):
                    d[r] = 1.0
                continue
            for r in range(b):
                y = activate_scalar(z[r], code, alpha)
                d[r] = derivative_from_output(z[r], y, code, alpha)
                z[r] = y
            if rate > 0.0:
                keep = 1.0 / (1.0 - rate)
                for r in range(b):
                    if next_uniform(state) < rate:
                        z[r] = 0.0
                        d[r] = 0.0
                    else:
                        z[r] *= keep
                        d[r] *= keep


@njit(cache=True, nogil=True, inline="always")
def _output_loss_and_delta(act, delta, r, y_row, out0, n_out, out_kind, loss_code, scale):
    """Loss of sample column ``r`` from its logits; writes dLoss/dz (times ``scale``) into delta."""
    loss = 0.0
    if out_kind == MULTICLASS:
        m = act[out0, r]
        for j in range(1, n_out):
            m = max(m, act[out0 + j, r])
        s = 0.0
        for j in range(n_out):
            s += np.exp(act[out0 + j, r] - m)
        log_z = m + np.log(s)
        for j in range(n_out):
            p = np.exp(act[out0 + j, r] - log_z)
            loss -= y_row[j] * (act[out0 + j, r] - log_z)
            delta[out0 + j, r] = (p - y_row[j]) * scale
    elif out_kind == BINARY:
        for j in range(n_out):
            z = act[out0 + j, r]
            t = y_row[j]
            loss += max(z, 0.0) - z * t + np.log1p(np.exp(-abs(z)))
            if z >= 0.0:
                p = 1.0 / (1.0 + np.exp(-z))
            else:
                e = np.exp(z)
                p = e / (1.0 + e)
            delta[out0 + j, r] = (p - t) * scale
    else:
        for j in range(n_out):
            e = act[out0 + j, r] - y_row[j]
            if loss_code == SQUARED:
                loss += e * e
                delta[out0 + j, r] = 2.0 * e * scale
            else:
                loss += abs(e)
                delta[out0 + j, r] = (1.0 if e > 0.0 else (-1.0 if e < 0.0 else 0.0)) * scale
    return loss


@njit(cache=True, nogil=True, fastmath=FAST)
def batch_gradient(x, y, rows, theta, grad, sizes, w_off, b_off, u_off, act_codes, alpha,
                   out_kind, loss_code, dropout, train, state, act, slope, delta,
                   l1, l2, layer_norms):
    """Mean data loss over ``rows`` of (x, y); ``grad`` <- its gradient plus the L1/L2 terms.

    ``layer_norms[l]`` gets the norm of layer l's weight gradient (vanishing gradients show here).
    The returned loss excludes the penalty, so curves compare across regularisation settings.
    """
    n_layers = sizes.size - 1
    b = rows.size
    inv_b = 1.0 / b
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    grad[:] = 0.0
    _forward_batch(x, rows, act, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                   dropout, train, state)
    total = 0.0
    for r in range(b):
        total += _output_loss_and_delta(act, delta, r, y[rows[r]], out0, n_out, out_kind, loss_code, inv_b)
    for l in range(n_layers - 1, -1, -1):
        n_in = sizes[l]
        n_o = sizes[l + 1]
        src = u_off[l]
        dst = u_off[l + 1]
        for j in range(n_o):
            dj = delta[dst + j]
            s = 0.0
            for r in range(b):
                s += dj[r]
            grad[b_off[l] + j] = s
            for k in range(n_in):
                a = act[src + k]
                s = 0.0
                for r in range(b):
                    s += a[r] * dj[r]
                grad[w_off[l] + k * n_o + j] = s
        if l > 0:
            for k in range(n_in):
                dk = delta[src + k]
                for r in range(b):
                    dk[r] = 0.0
                for j in range(n_o):
                    w = theta[w_off[l] + k * n_o + j]
                    dj = delta[dst + j]
                    for r in range(b):
                        dk[r] += w * dj[r]
                sk = slope[src + k]
                for r in range(b):
                    dk[r] *= sk[r]
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


@njit(cache=True, nogil=True)
def train_steps(x, y, theta, grad, s1, s2, s3, opt_state, hyper, opt_code, sizes, w_off, b_off,
                u_off, act_codes, alpha, out_kind, loss_code, batch_size, n_steps, stop_at_epoch_end,
                l1, l2, dropout, clip_norm, order, cursor, rng_state, act, slope, delta,
                step_losses, layer_norms):
    """Run up to ``n_steps`` mini-batch updates.

    ``cursor`` = [position in ``order``, epoch, reshuffle (0/1)]; ``opt_state[0]`` is the
    optimizer's step count t. Stops early at the end of an epoch if ``stop_at_epoch_end`` (so
    the caller can check early stopping), and at once if the loss or a parameter stops being
    finite. Returns (steps run, RUNNING or DIVERGED).
    """
    n = order.size
    for step in range(n_steps):
        start = cursor[0]
        end = min(start + batch_size, n)
        rows = order[start:end]
        loss = batch_gradient(x, y, rows, theta, grad, sizes, w_off, b_off, u_off, act_codes,
                              alpha, out_kind, loss_code, dropout, True, rng_state, act, slope,
                              delta, l1, l2, layer_norms)
        step_losses[step] = loss
        if not np.isfinite(loss):
            return step + 1, DIVERGED
        if clip_norm > 0.0:
            sq = 0.0
            for q in range(grad.size):
                sq += grad[q] * grad[q]
            norm = np.sqrt(sq)
            if norm > clip_norm:
                grad *= clip_norm / norm
        opt_state[0] += 1
        apply_update(opt_code, theta, grad, s1, s2, s3, opt_state[0], hyper)
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


@njit(cache=True, nogil=True, fastmath=FAST)
def forward_all(x, theta, sizes, w_off, b_off, u_off, act_codes, alpha, out_kind, out):
    """Every unit of the network for every row of ``x`` into ``out`` (n, sum(sizes)).

    Output units hold predictions: probabilities for BINARY/MULTICLASS, values for REGRESSION.
    One call serves the decision-boundary heatmap and every neuron's thumbnail.
    """
    n_layers = sizes.size - 1
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    width = out.shape[1]
    chunk = 256
    act = np.empty((width, chunk))
    slope = np.empty((width, chunk))
    dummy_state = np.zeros(1, dtype=np.uint64)
    no_dropout = np.zeros(n_layers)
    for start in range(0, x.shape[0], chunk):
        rows = np.arange(start, min(start + chunk, x.shape[0]))
        _forward_batch(x, rows, act, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                       no_dropout, False, dummy_state)
        for r in range(rows.size):
            if out_kind == BINARY:
                for j in range(n_out):
                    z = act[out0 + j, r]
                    act[out0 + j, r] = 1.0 / (1.0 + np.exp(-z)) if z >= 0.0 else np.exp(z) / (1.0 + np.exp(z))
            elif out_kind == MULTICLASS:
                m = act[out0, r]
                for j in range(1, n_out):
                    m = max(m, act[out0 + j, r])
                s = 0.0
                for j in range(n_out):
                    act[out0 + j, r] = np.exp(act[out0 + j, r] - m)
                    s += act[out0 + j, r]
                for j in range(n_out):
                    act[out0 + j, r] /= s
            for c in range(width):
                out[start + r, c] = act[c, r]
