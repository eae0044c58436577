"""Autoencoders: a stack of dense layers (encoder, code, decoder) trained on reconstruction, with
the variants' extra terms at the code layer, a mini-batch at a time as BLAS products.

Layer l computes H_{l+1} = f_l(H_l W_l + b_l). Parameters are one flat vector ``theta``:
layer l's weights start at ``w_off[l]``, stored (s_in, s_out) row-major, or, when ``w_t[l]`` (tied
weights), the encoder matrix (s_out, s_in) used transposed; its biases start at ``b_off[l]``.
Layer ``E`` outputs the code. Reconstruction loss per sample, summed over the (known) inputs and
averaged over the batch: binary cross-entropy on a sigmoid output, or squared error on a linear
one. The variants (all optional, at once if asked):

    variational  layer E outputs mu and log sigma^2 (2 c values, linear); the decoder reads
                 z = mu + exp(log sigma^2 / 2) eps (eps given); + beta KL(q(z|x) || N(0, I))
                 KL = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2) per sample
    sparse L1    + lam sum_j |h_j| of the code, per sample
    sparse KL    + lam sum_j KL(rho || rho_hat_j), rho_hat_j the batch's mean code activation (sigmoid)
    contractive  + lam ||dh/dx||_F^2 of the code layer w.r.t. its input, per sample (Rifai et al.):
                 sum_j f'(z_j)^2 sum_i W_ij^2, for a sigmoid or tanh code
Denoising is done by the caller: the inputs given are corrupted, the targets clean. ``mask``
(0 or 1 per input) leaves unknown inputs (unrated films) out of the loss.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.activations import LINEAR, SIGMOID, TANH, activate_row
from engine.kernels.optimizers import apply_update
from engine.kernels.vmath import copy2, exp_v, log1p_unit, log_v, sigmoid_v

BCE, MSE = 0, 1
NO_SPARSITY, SPARSE_L1, SPARSE_KL = 0, 1, 2
OK, DIVERGED = 0, 1
BCE_LOW, BCE_HIGH = -np.log1p(-1e-12), -np.log(1e-12)   # -log p for p clamped to [1e-12, 1 - 1e-12]


@njit(cache=True, nogil=True, error_model="numpy")
def _stored(theta, w_off, w_t, s_in, s_out, l):
    """Layer l's weights as stored (C order): (s_in, s_out), or for a tied layer its encoder twin's
    (s_out, s_in), which the layer uses transposed."""
    if w_t[l]:
        return theta[w_off[l]:w_off[l] + s_in[l] * s_out[l]].reshape(s_out[l], s_in[l])
    return theta[w_off[l]:w_off[l] + s_in[l] * s_out[l]].reshape(s_in[l], s_out[l])


@njit(cache=True, nogil=True, error_model="numpy")
def _weights(theta, w_off, w_t, s_in, s_out, l):
    """Layer l's weights as a (s_in, s_out) matrix (a transposed view for tied weights)."""
    w = _stored(theta, w_off, w_t, s_in, s_out, l)
    return w.T if w_t[l] else w


@njit(cache=True, nogil=True, error_model="numpy")
def _layer(theta, w_off, w_t, b_off, s_in, s_out, code, alpha, l, h_in, h_out, slope):
    """h_out <- f(h_in W_l + b_l) with f the activation ``code``, slope <- f'(.); the product
    written straight into h_out."""
    w = _stored(theta, w_off, w_t, s_in, s_out, l)
    if w_t[l]:
        np.dot(h_in, w.T, h_out)
    else:
        np.dot(h_in, w, h_out)
    B, n = h_out.shape
    start = b_off[l]
    bias = theta[start:start + n]   # a local view: the loop below then vectorises
    for r in range(B):
        row = h_out[r]
        for j in range(n):
            row[j] += bias[j]
        activate_row(h_out, slope, r, n, code, alpha)


@njit(cache=True, nogil=True, error_model="numpy")
def forward(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, x_in, eps, hs, slopes, zs, raw_out):
    """Every layer on the rows of ``x_in``. ``hs[l]`` (B, s_in[l]) gets layer l's input and
    ``hs[L]`` the output (buffers laid out by the caller; before its activation when ``raw_out``),
    ``slopes[l]`` f_l'; for the VAE ``zs`` (B, c) gets the sample the decoder reads (mu when
    ``eps`` is all 0)."""
    L = s_in.size
    copy2(hs[0], x_in)
    for l in range(L):
        h_in = hs[l]
        if vae and l == E + 1:
            c = zs.shape[1]
            code = hs[E + 1]
            for r in range(code.shape[0]):
                for j in range(c):
                    lv = min(max(code[r, c + j], -30.0), 30.0)
                    zs[r, j] = code[r, j] + exp_v(0.5 * lv) * eps[r, j]
            h_in = zs
        code = LINEAR if (raw_out and l == L - 1) else act[l]
        _layer(theta, w_off, w_t, b_off, s_in, s_out, code, alpha, l, h_in, hs[l + 1], slopes[l])


@njit(cache=True, nogil=True, error_model="numpy")
def _buffers(B, s_in, s_out, vae, E):
    """Every array one batch needs, made once per call: each layer's input (and the output),
    slopes, dL/d(pre-activation), dL/d(input) and weight gradient."""
    L = s_in.size
    hs = [np.zeros((B, s_in[0]))]   # typed by their first element
    slopes = [np.zeros((B, s_out[0]))]
    ds = [np.zeros((B, s_out[0]))]
    dhs = [np.zeros((B, s_in[0]))]
    gws = [np.zeros((s_in[0], s_out[0]))]
    for l in range(1, L):
        hs.append(np.zeros((B, s_in[l] if not (vae and l == E + 1) else 2 * s_in[l])))
        slopes.append(np.zeros((B, s_out[l])))
        ds.append(np.zeros((B, s_out[l])))
        dhs.append(np.zeros((B, s_in[l])))
        gws.append(np.zeros((s_in[l], s_out[l])))
    hs.append(np.zeros((B, s_out[L - 1])))
    return hs, slopes, ds, dhs, gws


@njit(cache=True, nogil=True, error_model="numpy")
def loss_and_gradient(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, beta, loss_code,
                      sparsity, lam_sparse, rho, lam_contract, x_in, target, mask, eps, grad, parts):
    """Mean loss over the rows and its gradient (into ``grad``, zeroed here). ``parts`` gets
    (reconstruction, KL (VAE), sparsity, contraction), each per sample, averaged over the rows."""
    B = x_in.shape[0]
    hs, slopes, ds, dhs, gws = _buffers(B, s_in, s_out, vae, E)
    zs = np.zeros((B, _code_size(s_in, s_out, E))) if vae else np.zeros((1, 1))
    return _loss_grad(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, beta, loss_code, sparsity,
                      lam_sparse, rho, lam_contract, x_in, target, mask, eps, grad, parts, hs, slopes, ds, dhs, gws, zs,
                      True)


@njit(cache=True, nogil=True, error_model="numpy")
def _code_size(s_in, s_out, E):
    return s_in[E + 1] if E + 1 < s_in.size else s_out[E]


@njit(cache=True, nogil=True, error_model="numpy")
def _loss_grad(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, beta, loss_code, sparsity, lam_sparse,
               rho, lam_contract, x_in, target, mask, eps, grad, parts, hs, slopes, ds, dhs, gws, zs, want_loss):
    """``loss_and_gradient`` in the caller's buffers (``_buffers``), so a run of updates allocates once.
    Without ``want_loss`` the cross-entropy's logarithms are skipped (each costs a division, and they
    were half of an update's output pass): its part of the result is then the sum of |logits|,
    finite exactly when the loss is, which is all an update nobody records needs."""
    L = s_in.size
    B = x_in.shape[0]
    c = _code_size(s_in, s_out, E)
    forward(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, x_in, eps, hs, slopes, zs,
            loss_code == BCE)
    grad[:] = 0.0
    out = hs[L]
    n_out = out.shape[1]
    inv_b = 1.0 / B
    recon = 0.0
    d = ds[L - 1]              # dL/d(pre-activation) of the output layer
    last = slopes[L - 1]
    acc = np.zeros(n_out)      # a sum per column: a single running sum would keep the loop scalar
    if loss_code == BCE and not want_loss:   # p - t only; |z| summed to see divergence
        for r in range(B):
            orow, trow, mrow, drow = out[r], target[r], mask[r], d[r]
            for j in range(n_out):
                z = orow[j]
                p = sigmoid_v(z)   # one division, where e^-|z| and then p took two
                orow[j] = p
                acc[j] += abs(z)
                drow[j] = mrow[j] * (p - trow[j]) * inv_b
    elif loss_code == BCE:     # (floating-point sums are not reordered) and one loop per loss
        for r in range(B):     # the output's sigmoid, its cross-entropy and p - t in one pass from the
            orow, trow, mrow, drow = out[r], target[r], mask[r], d[r]   # logit z, one exp and one log:
            for j in range(n_out):    # e = exp(-|z|), -log p = max(-z, 0) + log1p(e), -log(1 - p) =
                z, t = orow[j], trow[j]   # max(z, 0) + log1p(e), clamped as p in [1e-12, 1 - 1e-12]
                a = abs(z)
                e = exp_v(-(746.0 if a > 746.0 else a))
                l1p = log1p_unit(e)
                neg_log_p = min(max(max(-z, 0.0) + l1p, BCE_LOW), BCE_HIGH)
                neg_log_q = min(max(max(z, 0.0) + l1p, BCE_LOW), BCE_HIGH)
                p = sigmoid_v(z)   # as the unrecorded updates take it: the same training either way
                orow[j] = p
                acc[j] += mrow[j] * (t * neg_log_p + (1.0 - t) * neg_log_q)
                drow[j] = mrow[j] * (p - t) * inv_b        # sigmoid + cross-entropy: p - t
    else:
        for r in range(B):
            for j in range(n_out):
                e = out[r, j] - target[r, j]
                acc[j] += mask[r, j] * e * e
                d[r, j] = mask[r, j] * 2.0 * e * inv_b * last[r, j]
    for j in range(n_out):
        recon += acc[j]
    parts[:] = 0.0
    parts[0] = recon * inv_b
    for l in range(L - 1, -1, -1):
        h_in = zs if (vae and l == E + 1) else hs[l]
        gw = gws[l]
        np.dot(h_in.T, d, gw)
        base, si, so = w_off[l], s_in[l], s_out[l]
        # gw (si, so) into the stored matrix: (si, so), or the encoder twin's (so, si) for a tied layer
        step_i, step_o = (1, si) if w_t[l] else (so, 1)
        for i in range(si):
            for o in range(so):
                grad[base + i * step_i + o * step_o] += gw[i, o]
        gb = grad[b_off[l]:b_off[l] + so]
        for r in range(B):
            row = d[r]
            for j in range(so):
                gb[j] += row[j]
        if l == 0:
            break
        w = _stored(theta, w_off, w_t, s_in, s_out, l)
        dh = dhs[l]
        if w_t[l]:
            np.dot(d, w, dh)
        else:
            np.dot(d, w.T, dh)
        if vae and l == E + 1:   # back through the sample z = mu + sigma eps, and the KL term
            code = hs[E + 1]
            dcode = np.empty((B, 2 * c))
            kl = 0.0
            for r in range(B):
                for j in range(c):
                    mu, lv = code[r, j], min(max(code[r, c + j], -30.0), 30.0)
                    var = exp_v(lv)
                    kl += -0.5 * (1.0 + lv - mu * mu - var)
                    dcode[r, j] = dh[r, j] + beta * mu * inv_b
                    dcode[r, c + j] = dh[r, j] * eps[r, j] * 0.5 * exp_v(0.5 * lv) + beta * 0.5 * (var - 1.0) * inv_b
            parts[1] = kl * inv_b
            dh = dcode
        if l - 1 == E and not vae:   # the code layer's own terms
            code = hs[E + 1]
            if sparsity == SPARSE_L1:
                total = 0.0
                for r in range(B):
                    for j in range(code.shape[1]):
                        v = code[r, j]
                        total += abs(v)
                        dh[r, j] += lam_sparse * inv_b * (1.0 if v > 0 else (-1.0 if v < 0 else 0.0))
                parts[2] = lam_sparse * total * inv_b
            elif sparsity == SPARSE_KL:
                total = 0.0
                for j in range(code.shape[1]):
                    rho_hat = 0.0
                    for r in range(B):
                        rho_hat += code[r, j]
                    rho_hat = min(max(rho_hat * inv_b, 1e-9), 1.0 - 1e-9)
                    total += rho * log_v(rho / rho_hat) + (1.0 - rho) * log_v((1.0 - rho) / (1.0 - rho_hat))
                    g = lam_sparse * (-rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat)) * inv_b
                    for r in range(B):
                        dh[r, j] += g
                parts[2] = lam_sparse * total   # a batch quantity: per sample it is the same
        d = ds[l - 1]
        below = slopes[l - 1]
        for r in range(B):
            drow, hrow, srow = d[r], dh[r], below[r]
            for j in range(d.shape[1]):
                drow[j] = hrow[j] * srow[j]
        if l - 1 == E and lam_contract > 0.0 and not vae:   # ||dh/dx||^2 of the code layer
            k = l - 1
            w = _stored(theta, w_off, w_t, s_in, s_out, k)   # an encoder layer: never tied
            code = hs[E + 1]
            total = 0.0
            for j in range(s_out[k]):
                a = 0.0
                for i in range(s_in[k]):
                    a += w[i, j] * w[i, j]
                dsq = 0.0
                for r in range(B):
                    sl = slopes[k][r, j]
                    h = code[r, j]
                    dsq += sl * sl
                    curve = sl * (1.0 - 2.0 * h) if act[k] == SIGMOID else -2.0 * h * sl
                    d[r, j] += lam_contract * inv_b * 2.0 * sl * a * curve
                total += dsq * a
                for i in range(s_in[k]):
                    grad[w_off[k] + i * s_out[k] + j] += lam_contract * inv_b * 2.0 * w[i, j] * dsq
            parts[3] = lam_contract * total * inv_b
    return parts[0] + beta * parts[1] + parts[2] + parts[3]


@njit(cache=True, nogil=True, error_model="numpy")
def train(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, beta, loss_code, sparsity, lam_sparse, rho,
          lam_contract, X, X_in, corrupted, mask, use_mask, batches, eps, clip, opt, hyper, s1, s2, s3, t0, losses,
          parts_out, want_loss):
    """len(batches) updates. Row b of update u reads the clean target ``X[batches[u, b]]`` (and its
    mask when ``use_mask``) and, when ``corrupted``, the input ``X_in[u, b]`` (else the target
    itself). ``losses[u]`` and ``parts_out[u]`` get update u's loss and its parts; without
    ``want_loss`` the reconstruction part is only a number finite exactly when it is (see
    ``_loss_grad``). Returns (updates done, status)."""
    grad = np.empty_like(theta)
    parts = np.zeros(4)
    B = batches.shape[1]
    n = X.shape[1]
    target = np.empty((B, n))
    m = np.ones((B, n))
    hs, slopes, ds, dhs, gws = _buffers(B, s_in, s_out, vae, E)
    zs = np.zeros((B, _code_size(s_in, s_out, E))) if vae else np.zeros((1, 1))
    for u in range(batches.shape[0]):
        for b in range(B):
            row, src = target[b], X[batches[u, b]]
            for j in range(n):
                row[j] = src[j]
            if use_mask:
                keep, srcm = m[b], mask[batches[u, b]]
                for j in range(n):
                    keep[j] = srcm[j]
        loss = _loss_grad(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, beta, loss_code, sparsity,
                          lam_sparse, rho, lam_contract, X_in[u] if corrupted else target, target, m, eps[u], grad,
                          parts, hs, slopes, ds, dhs, gws, zs, want_loss)
        losses[u] = loss
        for i in range(4):
            parts_out[u, i] = parts[i]
        norm = np.dot(grad, grad)
        if not (np.isfinite(loss) and np.isfinite(norm)):
            return u, DIVERGED
        if clip > 0.0 and norm > clip * clip:
            f = clip / np.sqrt(norm)
            for i in range(grad.size):
                grad[i] *= f
        apply_update(opt, theta, grad, s1, s2, s3, t0 + u + 1, hyper)
    return batches.shape[0], OK


@njit(cache=True, nogil=True, error_model="numpy")
def run(theta, w_off, w_t, b_off, s_in, s_out, act, alpha, E, vae, x_in, first, code_out, out):
    """Layers ``first`` .. L-1 on ``x_in`` (the data when first is 0, codes when it is E + 1);
    ``out`` gets the last layer's output and, when first is 0, ``code_out`` the code (mu for the VAE)."""
    L = s_in.size
    B = x_in.shape[0]
    h = np.ascontiguousarray(x_in)
    for l in range(first, L):
        nxt = np.empty((B, s_out[l]))
        slope = np.empty((B, s_out[l]))
        _layer(theta, w_off, w_t, b_off, s_in, s_out, act[l], alpha, l, h, nxt, slope)
        if l == E and first == 0:
            c = code_out.shape[1]
            for r in range(B):
                for j in range(c):
                    code_out[r, j] = nxt[r, j]
            if vae and l + 1 < L:   # decode from mu; a run that ends here returns mu and log var
                nxt = np.ascontiguousarray(nxt[:, :c])
        h = nxt
    copy2(out, h)
