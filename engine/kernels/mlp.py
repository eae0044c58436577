"""A multi-layer perceptron's forward pass, backward pass and optimizer update, fused.

One call of ``train_steps`` runs many mini-batch steps with no Python in between.

Layout, shared by every kernel here:
- ``sizes``: units per layer, input first: [n_in, h1, ..., n_out]; L = len(sizes) - 1 weight layers.
- ``theta``: every parameter in one flat vector; layer l's weights W_l (sizes[l] x sizes[l+1],
  row-major) start at ``w_off[l]``, its biases at ``b_off[l]``.
- ``units`` buffers (batch, sum(sizes)): layer l's units start at column ``u_off[l]``; column block
  0 holds the inputs. ``act`` holds activations, ``slope`` f'(z) (times the dropout mask),
  ``delta`` the backpropagated dLoss/dz.
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


@njit(cache=True, nogil=True, inline="always")
def _forward_row(x_row, r, act, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                 dropout, train, state):
    """Forward one sample into row ``r`` of the unit buffers (inverted dropout when training)."""
    for k in range(sizes[0]):
        act[r, k] = x_row[k]
        slope[r, k] = 1.0
    n_layers = sizes.size - 1
    for l in range(n_layers):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = u_off[l]
        dst = u_off[l + 1]
        last = l == n_layers - 1
        rate = 0.0 if last or not train else dropout[l]
        for j in range(n_out):
            z = theta[b_off[l] + j]
            w0 = w_off[l] + j
            for k in range(n_in):
                z += act[r, src + k] * theta[w0 + k * n_out]
            if last:
                act[r, dst + j] = z
                slope[r, dst + j] = 1.0
            else:
                y = activate_scalar(z, act_codes[l], alpha)
                d = derivative_from_output(z, y, act_codes[l], alpha)
                if rate > 0.0:
                    if next_uniform(state) < rate:
                        y = 0.0
                        d = 0.0
                    else:
                        y /= 1.0 - rate
                        d /= 1.0 - rate
                act[r, dst + j] = y
                slope[r, dst + j] = d


@njit(cache=True, nogil=True, inline="always")
def _output_loss_and_delta(act, delta, r, y_row, out0, n_out, out_kind, loss_code, scale):
    """Loss of row ``r`` from its logits; writes dLoss/dz (times ``scale``) into ``delta``."""
    loss = 0.0
    if out_kind == MULTICLASS:
        m = act[r, out0]
        for j in range(1, n_out):
            m = max(m, act[r, out0 + j])
        s = 0.0
        for j in range(n_out):
            s += np.exp(act[r, out0 + j] - m)
        log_z = m + np.log(s)
        for j in range(n_out):
            p = np.exp(act[r, out0 + j] - log_z)
            loss -= y_row[j] * (act[r, out0 + j] - log_z)
            delta[r, out0 + j] = (p - y_row[j]) * scale
    elif out_kind == BINARY:
        for j in range(n_out):
            z = act[r, out0 + j]
            t = y_row[j]
            loss += max(z, 0.0) - z * t + np.log1p(np.exp(-abs(z)))
            if z >= 0.0:
                p = 1.0 / (1.0 + np.exp(-z))
            else:
                e = np.exp(z)
                p = e / (1.0 + e)
            delta[r, out0 + j] = (p - t) * scale
    else:
        for j in range(n_out):
            e = act[r, out0 + j] - y_row[j]
            if loss_code == SQUARED:
                loss += e * e
                delta[r, out0 + j] = 2.0 * e * scale
            else:
                loss += abs(e)
                delta[r, out0 + j] = (1.0 if e > 0.0 else (-1.0 if e < 0.0 else 0.0)) * scale
    return loss


@njit(cache=True, nogil=True)
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
    total = 0.0
    for r in range(b):
        i = rows[r]
        _forward_row(x[i], r, act, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                     dropout, train, state)
        total += _output_loss_and_delta(act, delta, r, y[i], out0, n_out, out_kind, loss_code, inv_b)
    for l in range(n_layers - 1, -1, -1):
        n_in = sizes[l]
        n_o = sizes[l + 1]
        src = u_off[l]
        dst = u_off[l + 1]
        for r in range(b):
            for j in range(n_o):
                dj = delta[r, dst + j]
                if dj == 0.0:
                    continue
                grad[b_off[l] + j] += dj
                for k in range(n_in):
                    grad[w_off[l] + k * n_o + j] += act[r, src + k] * dj
        if l > 0:
            for r in range(b):
                for k in range(n_in):
                    s = 0.0
                    w0 = w_off[l] + k * n_o
                    for j in range(n_o):
                        s += theta[w0 + j] * delta[r, dst + j]
                    delta[r, src + k] = s * slope[r, src + k]
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


@njit(cache=True, nogil=True)
def forward_all(x, theta, sizes, w_off, b_off, u_off, act_codes, alpha, out_kind, out):
    """Every unit of the network for every row of ``x`` into ``out`` (n, sum(sizes)).

    Output units hold predictions: probabilities for BINARY/MULTICLASS, values for REGRESSION.
    One call serves the decision-boundary heatmap and every neuron's thumbnail.
    """
    n_layers = sizes.size - 1
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    slope = np.empty((1, out.shape[1]))
    row = np.empty((1, out.shape[1]))
    dummy_state = np.zeros(1, dtype=np.uint64)
    no_dropout = np.zeros(n_layers)
    for i in range(x.shape[0]):
        _forward_row(x[i], 0, row, slope, theta, sizes, w_off, b_off, u_off, act_codes, alpha,
                     no_dropout, False, dummy_state)
        if out_kind == BINARY:
            for j in range(n_out):
                z = row[0, out0 + j]
                row[0, out0 + j] = 1.0 / (1.0 + np.exp(-z)) if z >= 0.0 else np.exp(z) / (1.0 + np.exp(z))
        elif out_kind == MULTICLASS:
            m = row[0, out0]
            for j in range(1, n_out):
                m = max(m, row[0, out0 + j])
            s = 0.0
            for j in range(n_out):
                row[0, out0 + j] = np.exp(row[0, out0 + j] - m)
                s += row[0, out0 + j]
            for j in range(n_out):
                row[0, out0 + j] /= s
        for c in range(out.shape[1]):
            out[i, c] = row[0, c]
