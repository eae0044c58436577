"""CUDA twins of the MLP's whole-network evaluations. numba-cuda; imported only when
``engine.backend`` picks CUDA.

- ``forward_all`` (``engine.kernels.mlp.forward_all``): every unit for every sample, the
  playground's decision boundary and neuron pictures.
- ``plane_losses`` (``engine.landscape.plane_losses``): the optimizer lab's network landscape, a
  one-hidden-layer classifier's loss over its data at every point of a plane of weights.

``forward_all``: one thread per sample (column), layer by layer, reading the layer below from the
output array (consecutive threads read consecutive columns: coalesced). Everything the CPU kernel does is here:
every activation, residual connections, batch normalisation by its running averages, Monte Carlo
dropout's per-unit factors, and the output layer's sigmoid / softmax / tanh. The device's exp,
tanh, erf and log1p are CUDA's (libdevice), not the CPU's vectorised ones, so results agree with
the CPU kernel to about 1e-12 relative, not bit for bit.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64

from engine.kernels.activations import (ELU, GELU, LEAKY_RELU, LINEAR, MISH, RELU, SELU, SELU_ALPHA, SELU_SCALE,
                                        SIGMOID, SILU, SOFTPLUS, TANH)
from engine.kernels.cuda_host import THREADS, blocks, put
from engine.kernels.mlp import BINARY, BN_AFTER, BN_BEFORE, BN_EPS, GENERAL, MULTICLASS, OUT_SIGMOID, OUT_SOFTMAX, \
    OUT_TANH, RUN_MEAN, RUN_VAR

PLANE_THREADS = 128    # a plane point's block: its threads share the samples (a power of 2: the sum halves)
PLANE_PARAMS = 1024    # the most weights a plane's network may have (the block keeps them in shared memory)


@cuda.jit(device=True)
def device_sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cuda.jit(device=True)
def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@cuda.jit(device=True)
def _activate(code, x, alpha):
    if code == TANH:
        return math.tanh(x)
    if code == RELU:
        return x if x > 0.0 else 0.0
    if code == SIGMOID:
        return device_sigmoid(x)
    if code == LINEAR:
        return x
    if code == LEAKY_RELU:
        return x if x > 0.0 else alpha * x
    if code == ELU:
        return x if x > 0.0 else alpha * math.expm1(x)
    if code == SOFTPLUS:
        return _softplus(x)
    if code == SELU:
        return SELU_SCALE * x if x > 0.0 else SELU_SCALE * SELU_ALPHA * math.expm1(x)
    if code == GELU:
        return x * 0.5 * (1.0 + math.erf(x * 0.7071067811865476))
    if code == SILU:
        return x * device_sigmoid(x)
    if code == MISH:
        return x * math.tanh(_softplus(x))
    return 1.0 if x >= 0.0 else 0.0   # STEP


@cuda.jit(device=True)
def _normalise(v, u, theta, q, width, norm):
    return theta[q] * (v - norm[RUN_MEAN, u]) / math.sqrt(norm[RUN_VAR, u] + BN_EPS) + theta[q + width]


@cuda.jit
def _forward_all(xt, theta, sizes, w_off, b_off, u_off, act_codes, alpha, out_kind, out, skips, scale, bn, g_off,
                 norm):
    c = cuda.grid(1)
    if c >= xt.shape[1]:
        return
    for k in range(sizes[0]):
        out[k, c] = xt[k, c]
    n_layers = sizes.size - 1
    for l in range(n_layers):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = u_off[l]
        for j in range(n_out):
            o = u_off[l + 1] + j
            z = theta[b_off[l] + j]
            for k in range(n_in):
                z += out[src + k, c] * theta[w_off[l] + k * n_out + j]
            if l < n_layers - 1:
                if bn[l] == BN_BEFORE:
                    z = _normalise(z, o, theta, g_off[l] + j, n_out, norm)
                z = _activate(act_codes[l], z, alpha)
                if scale.size:
                    z *= scale[o]
                if bn[l] == BN_AFTER:
                    z = _normalise(z, o, theta, g_off[l] + j, n_out, norm)
                if skips[l]:
                    z += out[src + j, c]
            out[o, c] = z
    out0 = u_off[n_layers]
    n_out = sizes[n_layers]
    if out_kind == BINARY or out_kind == GENERAL + OUT_SIGMOID:
        for j in range(n_out):
            out[out0 + j, c] = device_sigmoid(out[out0 + j, c])
    elif out_kind == MULTICLASS or out_kind == GENERAL + OUT_SOFTMAX:
        top = out[out0, c]
        for j in range(1, n_out):
            top = max(top, out[out0 + j, c])
        s = 0.0
        for j in range(n_out):
            e = math.exp(out[out0 + j, c] - top)
            out[out0 + j, c] = e
            s += e
        for j in range(n_out):
            out[out0 + j, c] /= s
    elif out_kind == GENERAL + OUT_TANH:
        for j in range(n_out):
            out[out0 + j, c] = math.tanh(out[out0 + j, c])


def forward_all(xt, theta, sizes, w_off, b_off, u_off, act_codes, alpha, out_kind, out, skips, scale, bn, g_off,
                norm) -> None:
    """``engine.kernels.mlp.forward_all`` on the GPU: the same arguments; ``out`` filled on the host."""
    n = xt.shape[1]
    if n == 0:
        return
    d_out = cuda.device_array(out.shape, dtype=np.float64)
    dev = [put(a) for a in (xt, theta, sizes, w_off, b_off, u_off, act_codes)]
    rest = [put(a) for a in (skips, scale if scale.size else np.zeros(0), bn, g_off, norm)]
    _forward_all[blocks(n), THREADS](*dev, float(alpha), int(out_kind), d_out, *rest)
    d_out.copy_to_host(out)


@cuda.jit
def _plane_losses(xt, y, center, d1, d2, a, b, n_hidden, w2, b1, b2, act_code, alpha, losses):
    """Block g: the plane point (a[g % a.size], b[g // a.size]); its weights center + a d1 + b d2
    in shared memory, then each thread's samples (strided) through the network, their binary
    cross-entropy from the logit (the CPU kernel's stable form) summed, the threads' sums halved
    into one, and its mean written."""
    g = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    au = a[g % a.size]
    bv = b[g // a.size]
    theta = cuda.shared.array(PLANE_PARAMS, float64)
    for q in range(tid, center.size, PLANE_THREADS):
        theta[q] = center[q] + au * d1[q] + bv * d2[q]
    cuda.syncthreads()
    n_in = xt.shape[0]
    n = xt.shape[1]
    s = 0.0
    for r in range(tid, n, PLANE_THREADS):
        z = theta[b2]
        for j in range(n_hidden):
            zj = theta[b1 + j]
            for k in range(n_in):
                zj += xt[k, r] * theta[k * n_hidden + j]
            z += _activate(act_code, zj, alpha) * theta[w2 + j]
        s += max(z, 0.0) - z * y[r] + math.log1p(math.exp(-abs(z)))
    part = cuda.shared.array(PLANE_THREADS, float64)
    part[tid] = s
    cuda.syncthreads()
    half = PLANE_THREADS // 2
    while half > 0:
        if tid < half:
            part[tid] += part[tid + half]
        cuda.syncthreads()
        half //= 2
    if tid == 0:
        losses[g] = part[0] / n


def plane_losses(model, center, d1, d2, a, b, out) -> None:
    """``engine.landscape.plane_losses`` on the GPU: ``out[j, i]`` <- the mean data loss of
    ``model`` (an ``engine.mlp.MLP``: inputs, one hidden layer, one sigmoid output with binary
    cross-entropy, nothing else: the landscape's network) over its training data, at the weights
    ``center + a[i] d1 + b[j] d2``. The model itself is not changed."""
    sizes = model._sizes
    plain = (len(sizes) == 3 and sizes[2] == 1 and model.config.out_kind == BINARY and not model._skips.any()
             and not model._bn.any() and center.size == model.n_params <= PLANE_PARAMS)
    if not plain:
        raise ValueError("plane_losses: only a network with one hidden layer and one sigmoid output, without "
                         f"residual connections or batch normalisation and with at most {PLANE_PARAMS} weights")
    if out.size == 0:
        return
    n_hidden = int(sizes[1])
    d_losses = cuda.device_array(a.size * b.size, dtype=np.float64)
    f64 = lambda v: put(v, np.float64)  # noqa: E731
    _plane_losses[a.size * b.size, PLANE_THREADS](f64(model._xt_train), f64(model.y_train[:, 0]), f64(center),
                                                  f64(d1), f64(d2), f64(a), f64(b), n_hidden,
                                                  int(model._w_off[1]), int(model._b_off[0]), int(model._b_off[1]),
                                                  int(model._act_codes[0]), float(model._alpha), d_losses)
    out[...] = d_losses.copy_to_host().reshape(b.size, a.size)
