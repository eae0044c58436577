"""Plain-NumPy references, written from the textbook formulas independently of the kernels."""
from __future__ import annotations

import numpy as np


def activation(name: str, x: np.ndarray, alpha: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    if name == "step":
        return (x >= 0).astype(float), np.zeros_like(x)
    if name == "linear":
        return x.copy(), np.ones_like(x)
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s, s * (1 - s)
    if name == "tanh":
        t = np.tanh(x)
        return t, 1 - t ** 2
    if name == "relu":
        return np.maximum(x, 0), (x > 0).astype(float)
    if name == "leaky_relu":
        return np.where(x > 0, x, alpha * x), np.where(x > 0, 1.0, alpha)
    if name == "elu":
        return np.where(x > 0, x, alpha * (np.exp(x) - 1)), np.where(x > 0, 1.0, alpha * np.exp(x))
    if name == "softplus":
        return np.log(1 + np.exp(x)), 1 / (1 + np.exp(-x))
    if name == "selu":  # the published constants (Klambauer et al. 2017)
        lam, a = 1.0507009873554805, 1.6732632423543772
        return np.where(x > 0, lam * x, lam * a * (np.exp(x) - 1)), np.where(x > 0, lam, lam * a * np.exp(x))
    if name == "gelu":
        from scipy.special import erf
        cdf = 0.5 * (1 + erf(x / np.sqrt(2)))
        return x * cdf, cdf + x * np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)
    if name == "silu":
        s = 1 / (1 + np.exp(-x))
        return x * s, s + x * s * (1 - s)
    if name == "mish":
        t = np.tanh(np.log1p(np.exp(x)))
        return x * t, t + x * (1 - t ** 2) / (1 + np.exp(-x))
    raise KeyError(name)


def optimizer_run(name: str, p0: np.ndarray, grad_fn, steps: int, lr: float, mu: float = 0.9,
                  b1: float = 0.9, b2: float = 0.999, rho: float = 0.9, eps: float = 1e-8) -> np.ndarray:
    """Trajectory (steps + 1, n) of the published update rule on grad_fn(p)."""
    p = p0.astype(np.float64).copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    u = np.zeros_like(p)
    out = [p.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(p)
        if name in ("gd", "sgd"):
            p = p - lr * g
        elif name == "momentum":
            m = mu * m + g
            p = p - lr * m
        elif name == "nesterov":
            m = mu * m + g
            p = p - lr * (g + mu * m)
        elif name == "adagrad":
            v = v + g ** 2
            p = p - lr * g / (np.sqrt(v) + eps)
        elif name == "rmsprop":
            v = rho * v + (1 - rho) * g ** 2
            p = p - lr * g / (np.sqrt(v) + eps)
        elif name == "adam":
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        elif name == "adadelta":
            v = rho * v + (1 - rho) * g ** 2
            dx = -np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u = rho * u + (1 - rho) * dx ** 2
            p = p + lr * dx
        elif name == "nadam":
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            m_hat = (b1 * m + (1 - b1) * g) / (1 - b1 ** t)
            p = p - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(p.copy())
    return np.array(out)


def perceptron(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float, epochs: int):
    w = w.copy()
    errors = []
    for _ in range(epochs):
        e = 0
        for xi, yi in zip(x, y):
            yhat = 1.0 if xi @ w + b >= 0 else 0.0
            if yhat != yi:
                e += 1
                w += lr * (yi - yhat) * xi
                b += lr * (yi - yhat)
        errors.append(e)
        if e == 0:
            break
    return w, b, errors


def batch_norm_forward(v, gamma, beta, eps=1e-5):
    """Batch normalisation over the rows of v with the batch's own statistics; (y, x-hat, 1/std)."""
    mean = v.mean(axis=0)
    inv = 1.0 / np.sqrt(v.var(axis=0) + eps)
    xh = (v - mean) * inv
    return gamma * xh + beta, xh, inv


def batch_norm_backward(g, xh, inv, gamma):
    """dL/dv from dL/dy through batch normalisation by batch statistics (Ioffe and Szegedy, eq. in
    section 3): (dv, dgamma, dbeta)."""
    n = len(g)
    dxh = g * gamma
    dv = inv / n * (n * dxh - dxh.sum(axis=0) - xh * (dxh * xh).sum(axis=0))
    return dv, (g * xh).sum(axis=0), g.sum(axis=0)


def mlp_loss_and_grads(x, y_targets, weights, biases, activations, task, alpha=0.0, l1=0.0, l2=0.0,
                       regression_loss="mse", skips=None, batch_norm="off", gammas=None, betas=None):
    """Vectorised forward + backward of an MLP, from the textbook equations.

    ``skips[l]``: layer l's output is f(z) + its input (a residual connection, He et al. 2016).
    ``batch_norm`` "before" / "after" each hidden layer's activation, by the batch's statistics,
    with per-layer ``gammas`` and ``betas``.
    Returns (mean data loss, [dW], [db]) with the L1/L2 gradient terms added to dW; with batch
    normalisation also ([dgamma], [dbeta]).
    """
    skips = skips or [0] * len(weights)
    acts = [x]
    slopes = []
    norms = []
    a = x
    for l, (w, b, name) in enumerate(zip(weights[:-1], biases[:-1], activations)):
        z = a @ w + b
        if batch_norm == "before":
            z, xh, inv = batch_norm_forward(z, gammas[l], betas[l])
            norms.append((xh, inv))
        out, d = activation(name, z, alpha)
        if batch_norm == "after":
            out, xh, inv = batch_norm_forward(out, gammas[l], betas[l])
            norms.append((xh, inv))
        a = out + a if skips[l] else out
        acts.append(a)
        slopes.append(d)
    z = a @ weights[-1] + biases[-1]
    n = len(x)
    if task == "multiclass":
        zs = z - z.max(axis=1, keepdims=True)
        logp = zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))
        loss = -np.sum(y_targets * logp) / n
        delta = (np.exp(logp) - y_targets) / n
    elif task == "binary":
        p = 1 / (1 + np.exp(-z))
        loss = -np.sum(y_targets * np.log(p) + (1 - y_targets) * np.log(1 - p)) / n
        delta = (p - y_targets) / n
    elif regression_loss == "mse":
        loss = np.sum((z - y_targets) ** 2) / n
        delta = 2 * (z - y_targets) / n
    else:
        loss = np.sum(np.abs(z - y_targets)) / n
        delta = np.sign(z - y_targets) / n
    d_w, d_b, d_g, d_be = [], [], [], []
    for l in range(len(weights) - 1, -1, -1):
        d_w.insert(0, acts[l].T @ delta + l2 * weights[l] + l1 * np.sign(weights[l]))
        d_b.insert(0, delta.sum(axis=0))
        if l > 0:   # dL/da of layer l's input: through W, and around it when layer l adds its input
            grad_a = delta @ weights[l].T + (grad_out if skips[l] else 0.0)
            grad_out = grad_a          # dL/da of layer l - 1's output, for a skip around layer l - 1
            if batch_norm == "after":
                grad_a, dg, dbe = batch_norm_backward(grad_a, *norms[l - 1], gammas[l - 1])
            delta = grad_a * slopes[l - 1]
            if batch_norm == "before":
                delta, dg, dbe = batch_norm_backward(delta, *norms[l - 1], gammas[l - 1])
            if batch_norm != "off":
                d_g.insert(0, dg)
                d_be.insert(0, dbe)
    if batch_norm != "off":
        return loss, d_w, d_b, d_g, d_be
    return loss, d_w, d_b


# ---- Self-Organizing Map, written from the textbook rule (MiniSom's formulas) -----------------
def som_decay(name: str, start: float, t: float, total: float, is_sigma: bool) -> float:
    if name == "constant":
        return start
    if name == "asymptotic":
        return start / (1 + t / (total / 2))
    if is_sigma:
        if start <= 1:
            return start
        return {"inverse": lambda: start / (1 + t * (start - 1) / total),
                "linear": lambda: start + t * (1 - start) / total,
                "exponential": lambda: start * (1 / start) ** (t / total)}[name]()
    return {"inverse": lambda: start * (total / 100) / (total / 100 + t),
            "linear": lambda: start * (1 - t / total),
            "exponential": lambda: start * 0.01 ** (t / total)}[name]()


def som_positions(width: int, height: int, hexagonal: bool) -> np.ndarray:
    """(width, height, 2): MiniSom's layout (hexagonal: rows height-1, height-3, ... shifted left)."""
    xx, yy = np.meshgrid(np.arange(width, dtype=float), np.arange(height, dtype=float))
    if hexagonal:
        xx[::-2] -= 0.5
        yy *= np.sqrt(3) / 2
    return np.stack([xx.T, yy.T], axis=-1)


def som_neighbourhood(name: str, pos: np.ndarray, bmu: tuple[int, int], sigma: float) -> np.ndarray:
    w, h = pos.shape[:2]
    if name in ("gaussian", "mexican_hat"):
        r2 = ((pos - pos[bmu]) ** 2).sum(axis=-1)
        g = np.exp(-r2 / (2 * sigma ** 2))
        return g if name == "gaussian" else g * (1 - r2 / sigma ** 2)
    di = np.abs(np.arange(w) - bmu[0])[:, None]
    dj = np.abs(np.arange(h) - bmu[1])[None, :]
    if name == "bubble":
        return ((di < sigma) & (dj < sigma)).astype(float)
    return np.maximum(0, 1 - di / sigma) * np.maximum(0, 1 - dj / sigma)  # triangle, peak 1


def som_distances(name: str, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    if name == "euclidean":
        return np.linalg.norm(x - w, axis=-1)
    if name == "manhattan":
        return np.abs(x - w).sum(axis=-1)
    return 1 - (w @ x) / (np.linalg.norm(w, axis=-1) * np.linalg.norm(x) + 1e-8)


def som_train(data, weights, order, width, height, hexagonal, neighbourhood, distance, sigma0, lr0,
              sigma_decay, lr_decay, total):
    """Sequential SOM: returns final weights (width, height, d) and the BMU of every step."""
    w = weights.reshape(width, height, -1).copy()
    pos = som_positions(width, height, hexagonal)
    bmus = []
    for t, i in enumerate(order):
        x = data[i]
        bmu = np.unravel_index(np.argmin(som_distances(distance, x, w)), (width, height))
        bmus.append(bmu[0] * height + bmu[1])
        lr = som_decay(lr_decay, lr0, t, total, False)
        sig = som_decay(sigma_decay, sigma0, t, total, True)
        g = som_neighbourhood(neighbourhood, pos, bmu, sig) * lr
        w += g[..., None] * (x - w)
    return w, np.array(bmus)


def som_train_batch(data, weights, width, height, hexagonal, neighbourhood, sigma0, lr0, sigma_decay, lr_decay,
                    iterations, total):
    w = weights.reshape(width, height, -1).copy()
    pos = som_positions(width, height, hexagonal)
    for t in range(iterations):
        lr = som_decay(lr_decay, lr0, t, total, False)
        sig = som_decay(sigma_decay, sigma0, t, total, True)
        num = np.zeros_like(w)
        den = np.zeros((width, height))
        for x in data:
            bmu = np.unravel_index(np.argmin(np.linalg.norm(x - w, axis=-1)), (width, height))
            g = som_neighbourhood(neighbourhood, pos, bmu, sig)
            num += g[..., None] * x
            den += g
        ok = den > 0
        w[ok] = (1 - lr) * w[ok] + lr * num[ok] / den[ok][:, None]
    return w


# ---- RBM: CD-k / PCD-k written from Hinton's practical guide, in plain NumPy -----------------------
def _sig(z):
    return 1 / (1 + np.exp(-z))


def rbm_train(data, order, batch_size, W, b, c, k, persistent, sample_hidden, sample_visible, lr, momentum,
              decay, u_visible, u_hidden, chain_h=None):
    W, b, c = W.copy(), b.copy(), c.copy()
    vW, vb, vc = np.zeros_like(W), np.zeros_like(b), np.zeros_like(c)
    chain = np.zeros((batch_size, W.shape[1])) if chain_h is None else chain_h.copy()
    errors = []
    for t in range(len(order) // batch_size):
        v0 = data[order[t * batch_size:(t + 1) * batch_size]]
        known = v0 >= 0
        on = lambda x: np.where(known, x, 0.0)  # noqa: E731  (unknown units take no part)
        ph0 = _sig(on(v0) @ W + c)
        errors.append(np.abs(v0 - _sig(ph0 @ W.T + b))[known].mean())
        if persistent:
            h = chain
        else:
            h = (u_hidden[t, 0] < ph0).astype(float) if sample_hidden else ph0
        for s in range(k):
            pv = _sig(h @ W.T + b)
            v = (u_visible[t, s] < pv).astype(float) if sample_visible else pv
            if not persistent:
                v = np.where(v0 < 0, v0, v)
            ph = _sig((on(v) if not persistent else v) @ W + c)
            if persistent:
                h = (u_hidden[t, s] < ph).astype(float)
            elif s < k - 1:
                h = (u_hidden[t, s + 1] < ph).astype(float) if sample_hidden else ph
        if persistent:
            chain = h
        grad_W = (on(v0).T @ ph0 - on(v).T @ ph) / batch_size
        vW = momentum * vW + lr * (grad_W - decay * W)
        vb = momentum * vb + lr * (v0 - v).mean(axis=0)
        vc = momentum * vc + lr * (ph0 - ph).mean(axis=0)
        W, b, c = W + vW, b + vb, c + vc
    return W, b, c, chain, np.array(errors)


# ---- recurrent networks (engine.rnn): a vectorised NumPy forward pass and BPTT --------------------
def rnn_loss_and_grads(x, targets, layers, head, cell, many, loss, trunc=0, peephole=False, coupled=False):
    """Mean loss and its gradients for a batch ``x`` (B, T, n_in) of real (or one-hot) inputs.

    ``layers``: per layer a dict W_x (n_in, G H), W_h (H, G H), b (G H) and, with peepholes, p (3, H);
    ``head``: (W_y (H, n_out), b_y). ``targets``: (B, T_out, n_out) values or (B, T_out) classes.
    Written from the equations, one gate at a time, independently of the kernel's layout tricks.
    Returns (loss, grads like ``layers``, (dW_y, db_y), sum over the batch of |dL/dh_t|^2 of the top layer).
    """
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    B, T, _ = x.shape
    L = len(layers)
    H = layers[0]["W_h"].shape[0]
    caches, inp = [], x
    for lay in layers:
        Wx, Wh, b = lay["W_x"], lay["W_h"], lay["b"]
        h, c = np.zeros((B, H)), np.zeros((B, H))
        hs, cache = [], []
        for t in range(T):
            xt, hp, cp = inp[:, t], h, c
            if cell == "rnn":
                h = np.tanh(xt @ Wx + hp @ Wh + b)
                cache.append((xt, hp, cp, h))
            elif cell == "gru":
                zr = sig(xt @ Wx[:, :2 * H] + hp @ Wh[:, :2 * H] + b[:2 * H])
                z, r = zr[:, :H], zr[:, H:]
                n = np.tanh(xt @ Wx[:, 2 * H:] + (r * hp) @ Wh[:, 2 * H:] + b[2 * H:])
                h = (1 - z) * hp + z * n
                cache.append((xt, hp, cp, z, r, n))
            else:
                pre = xt @ Wx + hp @ Wh + b
                p = lay.get("p", np.zeros((3, H)))
                pi, pf = pre[:, :H], pre[:, H:2 * H]
                if peephole:
                    pi, pf = pi + p[0] * cp, pf + p[1] * cp
                f = sig(pf)
                i = 1 - f if coupled else sig(pi)
                g = np.tanh(pre[:, 2 * H:3 * H])
                c = f * cp + i * g
                po = pre[:, 3 * H:] + (p[2] * c if peephole else 0)
                o = sig(po)
                h = o * np.tanh(c)
                cache.append((xt, hp, cp, i, f, g, o, c))
            hs.append(h)
        caches.append(cache)
        inp = np.stack(hs, axis=1)
    Wy, by = head
    top = inp if many else inp[:, -1:]
    y = top @ Wy + by
    if loss == "ce":
        e = np.exp(y - y.max(axis=2, keepdims=True))
        p = e / e.sum(axis=2, keepdims=True)
        onehot = np.eye(Wy.shape[1])[targets]
        n_terms = targets.size
        value = -np.sum(np.log(np.sum(p * onehot, axis=2))) / n_terms
        dy = (p - onehot) / n_terms
    else:
        n_terms = targets.size
        value = np.sum((y - targets) ** 2) / n_terms
        dy = 2 * (y - targets) / n_terms
    dWy = np.einsum("bth,bto->ho", top, dy)
    dby = dy.sum(axis=(0, 1))
    dh_from_above = np.zeros((B, T, H))
    if many:
        dh_from_above += dy @ Wy.T
    else:
        dh_from_above[:, -1] = dy[:, 0] @ Wy.T
    grads = [None] * L
    dh_sq = np.zeros(T)
    for li in range(L - 1, -1, -1):
        lay, cache = layers[li], caches[li]
        Wx, Wh = lay["W_x"], lay["W_h"]
        gr = {k: np.zeros_like(v) for k, v in lay.items()}
        dx_all = np.zeros((B, T, Wx.shape[0]))
        dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
        for t in range(T - 1, -1, -1):
            dh = dh_from_above[:, t] + dh_next
            if li == L - 1:
                dh_sq[t] += np.sum(dh ** 2)
            if cell == "rnn":
                xt, hp, cp, h = cache[t]
                dpre = dh * (1 - h ** 2)
                gr["W_x"] += xt.T @ dpre
                gr["W_h"] += hp.T @ dpre
                gr["b"] += dpre.sum(0)
                dx_all[:, t] = dpre @ Wx.T
                dh_next = dpre @ Wh.T
            elif cell == "gru":
                xt, hp, cp, z, r, n = cache[t]
                dz = dh * (n - hp) * z * (1 - z)
                dn = dh * z * (1 - n ** 2)
                drh = dn @ Wh[:, 2 * H:].T
                dr = drh * hp * r * (1 - r)
                dzr = np.concatenate([dz, dr], axis=1)
                gr["W_x"][:, :2 * H] += xt.T @ dzr
                gr["W_x"][:, 2 * H:] += xt.T @ dn
                gr["W_h"][:, :2 * H] += hp.T @ dzr
                gr["W_h"][:, 2 * H:] += (r * hp).T @ dn
                gr["b"] += np.concatenate([dzr, dn], axis=1).sum(0)
                dx_all[:, t] = dzr @ Wx[:, :2 * H].T + dn @ Wx[:, 2 * H:].T
                dh_next = dh * (1 - z) + drh * r + dzr @ Wh[:, :2 * H].T
            else:
                xt, hp, cp, i, f, g, o, c = cache[t]
                p = lay.get("p", np.zeros((3, H)))
                tc = np.tanh(c)
                dpo = dh * tc * o * (1 - o)
                dc = dc_next + dh * o * (1 - tc ** 2) + (dpo * p[2] if peephole else 0)
                if coupled:
                    dpi, dpf = np.zeros_like(dc), dc * (cp - g) * f * (1 - f)
                else:
                    dpi, dpf = dc * g * i * (1 - i), dc * cp * f * (1 - f)
                dpg = dc * i * (1 - g ** 2)
                dpre = np.concatenate([dpi, dpf, dpg, dpo], axis=1)
                if peephole:
                    gr["p"] += np.stack([(dpi * cp).sum(0), (dpf * cp).sum(0), (dpo * c).sum(0)])
                gr["W_x"] += xt.T @ dpre
                gr["W_h"] += hp.T @ dpre
                gr["b"] += dpre.sum(0)
                dx_all[:, t] = dpre @ Wx.T
                dh_next = dpre @ Wh.T
                dc_next = dc * f + ((dpi * p[0] + dpf * p[1]) if peephole else 0)
            if trunc and (T - t) % trunc == 0:
                dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
        grads[li] = gr
        dh_from_above = dx_all
    return value, grads, (dWy, dby), dh_sq


# ---- autoencoders (engine.autoencoder): the loss and its gradient in plain NumPy ------------------
def autoencoder_loss_and_grads(x_in, target, mask, weights, biases, acts, code_layer, output, variational=False,
                               beta=1.0, eps=None, sparsity="none", lam=0.0, rho=0.05, contractive=0.0, tied=False):
    """Loss (per sample, batch mean) and the gradient of every layer's weights and biases.

    ``weights[l]`` is (s_in, s_out) as layer l uses it; with ``tied`` the decoder's are the
    transposes of the encoder's and their gradients are added to the encoder twin's."""
    B = len(x_in)
    L = len(weights)
    E = code_layer
    hs, slopes, h = [x_in], [], x_in
    z_sample = None
    for l in range(L):
        if variational and l == E + 1:
            c = weights[l].shape[0]
            mu, lv = h[:, :c], np.clip(h[:, c:], -30, 30)
            z_sample = mu + np.exp(0.5 * lv) * eps
            h = z_sample
        y, s = activation(acts[l], h @ weights[l] + biases[l])
        slopes.append(s)
        hs.append(y)
        h = y
    out = h
    if output == "sigmoid":
        p = np.clip(out, 1e-12, 1 - 1e-12)
        recon = -(mask * (target * np.log(p) + (1 - target) * np.log(1 - p))).sum() / B
        d = mask * (out - target) / B
    else:
        recon = (mask * (out - target) ** 2).sum() / B
        d = mask * 2 * (out - target) / B * slopes[-1]
    loss = recon
    gw = [None] * L
    gb = [None] * L
    for l in range(L - 1, -1, -1):
        h_in = z_sample if (variational and l == E + 1) else hs[l]
        gw[l] = h_in.T @ d
        gb[l] = d.sum(axis=0)
        if l == 0:
            break
        dh = d @ weights[l].T
        if variational and l == E + 1:
            c = weights[l].shape[0]
            code = hs[E + 1]
            mu, lv = code[:, :c], np.clip(code[:, c:], -30, 30)
            kl = (-0.5 * (1 + lv - mu ** 2 - np.exp(lv))).sum() / B
            loss += beta * kl
            dh = np.concatenate([dh + beta * mu / B, dh * eps * 0.5 * np.exp(0.5 * lv) + beta * 0.5 * (np.exp(lv) - 1) / B],
                                axis=1)
        if l - 1 == E and not variational:
            code = hs[E + 1]
            if sparsity == "l1":
                loss += lam * np.abs(code).sum() / B
                dh = dh + lam * np.sign(code) / B
            elif sparsity == "kl":
                rho_hat = np.clip(code.mean(axis=0), 1e-9, 1 - 1e-9)
                loss += lam * np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
                dh = dh + lam * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / B
        d = dh * slopes[l - 1]
        if l - 1 == E and contractive > 0 and not variational:   # ||dh/dx||^2 of the code layer
            w = weights[E]
            code, sl = hs[E + 1], slopes[E]
            a = (w ** 2).sum(axis=0)
            loss += contractive * (sl ** 2 * a).sum() / B
            curve = sl * (1 - 2 * code) if acts[E] == "sigmoid" else -2 * code * sl
            d = d + contractive / B * 2 * sl * a * curve
            contract_w = contractive / B * 2 * w * (sl ** 2).sum(axis=0)
    if contractive > 0 and not variational:
        gw[E] = gw[E] + contract_w
    if tied:
        for l in range(E + 1, L):
            gw[L - 1 - l] = gw[L - 1 - l] + gw[l].T
            gw[l] = gw[L - 1 - l].T
    return loss, gw, gb


def tf_playground_epochs(x: np.ndarray, labels: np.ndarray, weights: list, biases: list, activation_name: str,
                         output: str, lr: float, batch_size: int, epochs: int, regularization: str = "none",
                         rate: float = 0.0) -> tuple[list, list]:
    """TensorFlow Playground's training, point by point as its src/nn.ts and playground.ts run it
    (forwardProp, backProp with Errors.SQUARE, updateWeights every ``batch_size`` points; a
    node's bias -= lr * accInputDer / n, a link's weight -= lr / n * (accErrorDer + rate * der)),
    written from that code for the tests. ``weights[l]``: (inputs, outputs) as netplay stores them."""
    ws = [np.array(w, dtype=float) for w in weights]
    bs = [np.array(b, dtype=float) for b in biases]
    der = {"L1": lambda w: np.where(w < 0, -1.0, 1.0), "L2": lambda w: w}.get(regularization)
    acc_w = [np.zeros_like(w) for w in ws]
    acc_b = [np.zeros_like(b) for b in bs]
    count = 0
    for _ in range(epochs):
        for i, (point, label) in enumerate(zip(x, labels)):
            outs, totals = [point], []
            for l, (w, b) in enumerate(zip(ws, bs)):
                z = outs[-1] @ w + b
                totals.append(z)
                last = l == len(ws) - 1
                outs.append((np.tanh(z) if output == "tanh" else z) if last else activation(activation_name, z)[0])
            out_der = outs[-1] - label                     # Errors.SQUARE.der
            for l in range(len(ws) - 1, -1, -1):
                z = totals[l]
                if l == len(ws) - 1:
                    slope = 1 - np.tanh(z) ** 2 if output == "tanh" else np.ones_like(z)
                elif activation_name == "relu":
                    slope = (z > 0).astype(float)          # TF: x <= 0 ? 0 : 1
                else:
                    slope = activation(activation_name, z)[1]
                input_der = out_der * slope
                acc_b[l] += input_der
                acc_w[l] += np.outer(outs[l], input_der)
                out_der = ws[l] @ input_der
            count += 1
            if (i + 1) % batch_size == 0:
                for l in range(len(ws)):
                    bs[l] -= lr * acc_b[l] / count
                    reg = rate * der(ws[l]) if der else 0.0
                    ws[l] -= lr / count * (acc_w[l] + reg)
                    acc_w[l][:] = 0
                    acc_b[l][:] = 0
                count = 0
    return ws, bs
