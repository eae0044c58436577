"""CUDA twins of the convolution and pooling kernels (numba-cuda; imported only when
``engine.backend`` picks CUDA). The same arguments as ``engine.kernels.conv``'s, NCHW, inputs
already padded; each host function copies its inputs to the device, launches, and copies the
results back into the arrays it was given.

- ``conv_forward``: one thread per output cell, summing channel by channel and tap by tap from the
  bias, the CPU kernel's order.
- ``conv_backward``: the filter and bias gradients split over slices of the images, one thread per
  (tap, slice) adding its partial sum into the result (atomic adds: the order of those few additions
  varies, so the last bits may); the input gradient gathered, one thread per padded input cell, with
  no atomics (the same result every run).
- ``pool_forward`` / ``pool_backward``: one thread per window / per input cell (the backward pass
  gathers from the windows that cover its cell, in the CPU kernel's order).
"""
from __future__ import annotations

import numpy as np
from numba import cuda

from engine.kernels.conv import AVERAGE, MAX
from engine.kernels.cuda_host import THREADS, blocks, cell, put

SLICE = 8   # images per partial sum of the filter gradient: many threads even for few filters


@cuda.jit
def _conv_forward(xp, w, b, stride, out):
    t = cuda.grid(1)
    if t >= out.size:
        return
    n, f, i, j = cell(t, out.shape)
    s = b[f]
    for c in range(xp.shape[1]):
        for u in range(w.shape[2]):
            for v in range(w.shape[3]):
                s += w[f, c, u, v] * xp[n, c, i * stride + u, j * stride + v]
    out[n, f, i, j] = s


@cuda.jit
def _filter_gradient(xp, dout, stride, dw, db):
    """Thread (tap, slice): the tap's gradient over the slice's images, added into dw; the taps
    (c, u, v) = (0, 0, 0) also add the slice's bias gradient into db."""
    t = cuda.grid(1)
    n_f, n_ch, kh, kw = dw.shape
    taps = n_f * n_ch * kh * kw
    n_img, _, oh, ow = dout.shape
    slices = (n_img + SLICE - 1) // SLICE
    if t >= taps * slices:
        return
    tap = t % taps
    first = (t // taps) * SLICE
    last = min(first + SLICE, n_img)
    v = tap % kw
    u = (tap // kw) % kh
    c = (tap // (kw * kh)) % n_ch
    f = tap // (kw * kh * n_ch)
    acc = 0.0
    bias = 0.0
    for n in range(first, last):
        for i in range(oh):
            for j in range(ow):
                g = dout[n, f, i, j]
                acc += g * xp[n, c, i * stride + u, j * stride + v]
                bias += g
    cuda.atomic.add(dw, (f, c, u, v), acc)
    if c == 0 and u == 0 and v == 0:
        cuda.atomic.add(db, f, bias)


@cuda.jit
def _input_gradient(w, dout, stride, dxp):
    """Thread per padded input cell (n, c, r, q): every output cell whose window covers it."""
    t = cuda.grid(1)
    if t >= dxp.size:
        return
    n, c, r, q = cell(t, dxp.shape)
    n_f, _, kh, kw = w.shape
    oh, ow = dout.shape[2], dout.shape[3]
    s = 0.0
    for f in range(n_f):
        for u in range(kh):
            if r < u or (r - u) % stride:
                continue
            i = (r - u) // stride
            if i >= oh:
                continue
            for v in range(kw):
                if q < v or (q - v) % stride:
                    continue
                j = (q - v) // stride
                if j < ow:
                    s += dout[n, f, i, j] * w[f, c, u, v]
    dxp[n, c, r, q] = s


@cuda.jit
def _pool_forward(x, size, stride, code, out, arg):
    t = cuda.grid(1)
    if t >= out.size:
        return
    n, c, i, j = cell(t, out.shape)
    wdt = x.shape[3]
    r0 = i * stride
    c0 = j * stride
    if code == MAX:
        best = x[n, c, r0, c0]
        where = r0 * wdt + c0
        for u in range(size):
            for v in range(size):
                val = x[n, c, r0 + u, c0 + v]
                if val > best:
                    best = val
                    where = (r0 + u) * wdt + c0 + v
        out[n, c, i, j] = best
        arg[n, c, i, j] = where
    else:
        s = 0.0
        for u in range(size):
            for v in range(size):
                s += x[n, c, r0 + u, c0 + v]
        out[n, c, i, j] = s / (size * size) if code == AVERAGE else s


@cuda.jit
def _pool_backward(dout, size, stride, code, arg, dx):
    """Thread per input cell: the gradient of every window that covers it (for MAX, of those it won)."""
    t = cuda.grid(1)
    if t >= dx.size:
        return
    n, c, r, q = cell(t, dx.shape)
    wdt = dx.shape[3]
    oh, ow = dout.shape[2], dout.shape[3]
    here = r * wdt + q
    s = 0.0
    i_lo = max(0, (r - size + stride) // stride)
    j_lo = max(0, (q - size + stride) // stride)
    for i in range(i_lo, min(oh, r // stride + 1)):
        for j in range(j_lo, min(ow, q // stride + 1)):
            if code == MAX:
                if arg[n, c, i, j] == here:
                    s += dout[n, c, i, j]
            elif code == AVERAGE:
                s += dout[n, c, i, j] / (size * size)
            else:
                s += dout[n, c, i, j]
    dx[n, c, r, q] = s


def conv_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, out: np.ndarray) -> None:
    """``engine.kernels.conv.conv_forward`` on the GPU: the same arguments, ``out`` filled."""
    if out.size == 0:
        return
    d_out = cuda.device_array(out.shape, dtype=np.float64)
    _conv_forward[blocks(out.size), THREADS](put(xp), put(w), put(b), stride, d_out)
    d_out.copy_to_host(out)


def conv_backward(xp: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int, dxp: np.ndarray, dw: np.ndarray,
                  db: np.ndarray, need_dx: bool) -> None:
    """``engine.kernels.conv.conv_backward`` on the GPU: ``dw``, ``db`` and (if ``need_dx``)
    ``dxp`` overwritten."""
    d_dout = put(dout)
    d_w = put(w)
    d_dw = cuda.to_device(np.zeros(w.shape))
    d_db = cuda.to_device(np.zeros(w.shape[0]))
    slices = (dout.shape[0] + SLICE - 1) // SLICE
    if dout.size:
        _filter_gradient[blocks(w.size * slices), THREADS](put(xp), d_dout, stride, d_dw, d_db)
    d_dw.copy_to_host(dw)
    d_db.copy_to_host(db)
    if need_dx and dxp.size:
        d_dxp = cuda.device_array(dxp.shape, dtype=np.float64)
        _input_gradient[blocks(dxp.size), THREADS](d_w, d_dout, stride, d_dxp)
        d_dxp.copy_to_host(dxp)


def pool_forward(x: np.ndarray, size: int, stride: int, code: int, out: np.ndarray, arg: np.ndarray) -> None:
    """``engine.kernels.conv.pool_forward`` on the GPU (``arg`` is written for MAX only, as there)."""
    if out.size == 0:
        return
    d_out = cuda.device_array(out.shape, dtype=np.float64)
    d_arg = cuda.to_device(arg)
    _pool_forward[blocks(out.size), THREADS](put(x), size, stride, code, d_out, d_arg)
    d_out.copy_to_host(out)
    if code == MAX:
        d_arg.copy_to_host(arg)


def pool_backward(dout: np.ndarray, size: int, stride: int, code: int, arg: np.ndarray, dx: np.ndarray) -> None:
    """``engine.kernels.conv.pool_backward`` on the GPU: ``dx`` overwritten."""
    if dx.size == 0:
        return
    d_dx = cuda.device_array(dx.shape, dtype=np.float64)
    _pool_backward[blocks(dx.size), THREADS](put(dout), size, stride, code, put(arg), d_dx)
    d_dx.copy_to_host(dx)
