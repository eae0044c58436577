"""Bernoulli-Bernoulli RBM kernels: conditionals, Gibbs steps, CD-k / PCD mini-batch training.

Weights ``W`` are (visible, hidden), visible bias ``b``, hidden bias ``c``:
p(h_j = 1 | v) = sigmoid(c_j + sum_i v_i W_ij),  p(v_i = 1 | h) = sigmoid(b_i + sum_j W_ij h_j).
Random draws are passed in as uniforms (``u < p`` samples a 1, as scikit-learn does), drawn by the
caller from a seeded NumPy generator: a run is reproducible and a NumPy reference can replay it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.vmath import copy2, exp_v, log1p_unit, sigmoid_v

# reassociation lets the dot products along hidden units vectorise; no effect on infinities/NaNs
FAST = {"reassoc", "contract", "nsz"}


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def sigmoid(z: float) -> float:
    """1 / (1 + e^-z), vectorisable (see engine.kernels.vmath)."""
    return sigmoid_v(z)


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def hidden_probs(v: np.ndarray, W: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """out[n, j] = p(h_j = 1 | v_n). Zero inputs add nothing and unknown ones (below 0) take no
    part: both are skipped (binary data is mostly zeros)."""
    n_visible, n_hidden = W.shape
    for n in range(v.shape[0]):  # 2-D indexing throughout: row views cost more than they save here
        for j in range(n_hidden):
            out[n, j] = c[j]
        for i in range(n_visible):
            vi = v[n, i]
            if vi > 0.0:
                for j in range(n_hidden):
                    out[n, j] += vi * W[i, j]
        for j in range(n_hidden):
            out[n, j] = sigmoid(out[n, j])


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def visible_probs(h: np.ndarray, W: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[n, i] = p(v_i = 1 | h_n)."""
    n_visible, n_hidden = W.shape
    for n in range(h.shape[0]):
        for i in range(n_visible):
            s = b[i]
            for j in range(n_hidden):
                s += h[n, j] * W[i, j]
            out[n, i] = sigmoid(s)


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def visible_probs_t(h: np.ndarray, WT: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``visible_probs`` from the transposed weights (hidden, visible): the sum runs over rows of
    WT, skipping hidden units that are off (sampled hidden states are mostly 0 or 1)."""
    n_hidden, n_visible = WT.shape
    for n in range(h.shape[0]):
        for i in range(n_visible):
            out[n, i] = b[i]
        for j in range(n_hidden):
            hj = h[n, j]
            if hj != 0.0:
                for i in range(n_visible):
                    out[n, i] += hj * WT[j, i]
        for i in range(n_visible):
            out[n, i] = sigmoid(out[n, i])


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def sample_into(p: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    """Bernoulli samples: 1 where u < p."""
    for n in range(p.shape[0]):
        for j in range(p.shape[1]):
            out[n, j] = 1.0 if u[n, j] < p[n, j] else 0.0


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def train_batches(data: np.ndarray, order: np.ndarray, batch_size: int, W: np.ndarray, b: np.ndarray,
                  c: np.ndarray, vel_W: np.ndarray, vel_b: np.ndarray, vel_c: np.ndarray, chain_h: np.ndarray,
                  lr: float, momentum: float, weight_decay: float, k: int, persistent: bool, sample_hidden: bool,
                  sample_visible: bool, u_visible: np.ndarray, u_hidden: np.ndarray, track_error: bool,
                  errors: np.ndarray) -> None:
    """Mini-batch CD-k (or PCD-k) updates over ``order`` (sample indices, len = batches * batch_size).

    Positive phase: v0 (the batch), ph0 = p(h | v0). Negative phase: a Gibbs chain of k steps that
    starts from h ~ p(h | v0) (CD) or from the persistent hidden states ``chain_h`` (PCD); visible
    units whose data value is below 0 (unknown) stay clamped to it in CD (the course's recommender)
    and take no part: not in the hidden sums, not in the statistics.
    Gradient: <v h>_data - <v h>_model, averaged over the batch; update with momentum and L2 decay:
    vel <- momentum vel + lr (grad - decay W);  W <- W + vel.
    ``u_visible``: (batches, k, batch, visible), ``u_hidden``: (batches, k, batch, hidden) uniforms
    (CD: slot 0 samples h0 and slot s + 1 the hidden state after step s; PCD: slot s after step s).
    ``errors[t]``: mean |v0 - p(v | ph0)| over known units before batch t's update, if ``track_error``.
    """
    n_visible, n_hidden = W.shape
    bs = batch_size
    v0 = np.empty((bs, n_visible))
    ph0 = np.empty((bs, n_hidden))
    h = np.empty((bs, n_hidden))
    pv = np.empty((bs, n_visible))
    v = np.empty((bs, n_visible))
    ph = np.empty((bs, n_hidden))
    n_batches = order.size // bs
    scale = 1.0 / bs
    WT = np.ascontiguousarray(W.T)  # kept in step with W: the visible pass reads it row by row
    for t in range(n_batches):
        for r in range(bs):
            for i in range(n_visible):   # a loop: see vmath.copy2
                v0[r, i] = data[order[t * bs + r], i]
        hidden_probs(v0, W, c, ph0)
        if track_error:
            visible_probs(ph0, W, b, pv)
            total = 0.0
            count = 0
            for r in range(bs):
                for i in range(n_visible):
                    if v0[r, i] >= 0.0:
                        total += abs(v0[r, i] - pv[r, i])
                        count += 1
            errors[t] = total / count if count else 0.0
        if persistent:
            copy2(h, chain_h)
        elif sample_hidden:
            sample_into(ph0, u_hidden[t, 0], h)
        else:
            copy2(h, ph0)
        for s in range(k):
            visible_probs_t(h, WT, b, pv)
            if sample_visible:
                sample_into(pv, u_visible[t, s], v)
            else:
                copy2(v, pv)
            if not persistent:
                for r in range(bs):
                    for i in range(n_visible):
                        if v0[r, i] < 0.0:
                            v[r, i] = v0[r, i]
            hidden_probs(v, W, c, ph)
            if persistent:  # the chain's new state (kept for the next update)
                sample_into(ph, u_hidden[t, s], h)
            elif s < k - 1:  # CD: the last hidden state is not needed (statistics use ph)
                if sample_hidden:
                    sample_into(ph, u_hidden[t, s + 1], h)
                else:
                    copy2(h, ph)
        if persistent:
            copy2(chain_h, h)
        # gradient of the log-likelihood (CD estimate), then the update
        for i in range(n_visible):
            for j in range(n_hidden):
                vel_W[i, j] = momentum * vel_W[i, j] - lr * weight_decay * W[i, j]
            for r in range(bs):
                if v0[r, i] < 0.0:  # unknown: no statistics either way
                    continue
                a0 = lr * scale * v0[r, i]
                a1 = lr * scale * v[r, i]
                if a0 != 0.0:
                    for j in range(n_hidden):
                        vel_W[i, j] += a0 * ph0[r, j]
                if a1 != 0.0:
                    for j in range(n_hidden):
                        vel_W[i, j] -= a1 * ph[r, j]
            for j in range(n_hidden):
                W[i, j] += vel_W[i, j]
                WT[j, i] = W[i, j]
        for i in range(n_visible):
            g = 0.0
            for r in range(bs):
                g += v0[r, i] - v[r, i]
            vel_b[i] = momentum * vel_b[i] + lr * scale * g
            b[i] += vel_b[i]
        for j in range(n_hidden):
            g = 0.0
            for r in range(bs):
                g += ph0[r, j] - ph[r, j]
            vel_c[j] = momentum * vel_c[j] + lr * scale * g
            c[j] += vel_c[j]


@njit(cache=True, nogil=True, error_model="numpy")
def free_energy(v: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """F(v) = -b.v - sum_j log(1 + exp(c_j + (v W)_j)) per row (stable softplus)."""
    n_visible, n_hidden = W.shape
    z = np.empty(n_hidden)
    for n in range(v.shape[0]):
        for j in range(n_hidden):
            z[j] = c[j]
        f = 0.0
        for i in range(n_visible):
            vi = v[n, i]
            if vi > 0.0:
                f -= b[i] * vi
                w = W[i]
                for j in range(n_hidden):
                    z[j] += vi * w[j]
        for j in range(n_hidden):
            x = z[j]
            f -= max(x, 0.0) + log1p_unit(exp_v(-abs(x)))
        out[n] = f
