"""Convolution and pooling kernels (NCHW layout), forward and backward, as plain loops.

Convolution is cross-correlation, as deep-learning libraries compute it:
out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v] * x_padded[n, c, i*s + u, j*s + v].
Inputs arrive already zero-padded (the caller pads once), so every index is in range.
Pooling variants are integer codes: MAX keeps the arg-max position of each window (for display
and for the backward pass, which routes the gradient to the winner only).
"""
from __future__ import annotations

import numpy as np
from numba import njit

MAX, AVERAGE, SUM = range(3)
FAST = {"reassoc", "contract", "nsz"}
DENSE_FROM = 16  # output width from which the backward pass runs along rows instead of cells


@njit(cache=True, nogil=True, fastmath=FAST)
def conv_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, out: np.ndarray) -> None:
    """``xp`` (N, C, Hp, Wp) padded input, ``w`` (F, C, KH, KW), ``out`` (N, F, OH, OW)."""
    n_img, n_ch = xp.shape[0], xp.shape[1]
    n_f, _, kh, kw = w.shape
    oh, ow = out.shape[2], out.shape[3]
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    out[n, f, i, j] = b[f]
            for c in range(n_ch):
                for u in range(kh):
                    for v in range(kw):
                        wv = w[f, c, u, v]
                        for i in range(oh):
                            r = i * stride + u
                            if stride == 1:  # contiguous: the compiler vectorises this loop
                                for j in range(ow):
                                    out[n, f, i, j] += wv * xp[n, c, r, j + v]
                            else:
                                for j in range(ow):
                                    out[n, f, i, j] += wv * xp[n, c, r, j * stride + v]


@njit(cache=True, nogil=True, fastmath=FAST)
def conv_backward(xp: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int, dxp: np.ndarray, dw: np.ndarray,
                  db: np.ndarray, need_dx: bool) -> None:
    """Gradients of a loss through ``conv_forward``: ``dw``, ``db`` and (if ``need_dx``) the
    gradient for the padded input ``dxp`` (the caller crops the padding). Outputs are overwritten.

    Small maps: loops run over output cells and skip those with zero gradient (behind a ReLU and a
    max pool most are zero: 3 of every 4 cells lose their pool window). Wide maps: whole rows at a
    time, which vectorise (measured faster from about 16 columns).
    """
    n_img, n_ch = xp.shape[0], xp.shape[1]
    n_f, _, kh, kw = w.shape
    oh, ow = dout.shape[2], dout.shape[3]
    dw[:] = 0.0
    db[:] = 0.0
    if need_dx:
        dxp[:] = 0.0
    if ow >= DENSE_FROM:
        _conv_backward_rows(xp, w, dout, stride, dxp, dw, db, need_dx)
        return
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    g = dout[n, f, i, j]
                    if g == 0.0:
                        continue
                    db[f] += g
                    r0 = i * stride
                    c0 = j * stride
                    for c in range(n_ch):
                        for u in range(kh):
                            for v in range(kw):
                                dw[f, c, u, v] += g * xp[n, c, r0 + u, c0 + v]
                        if need_dx:
                            for u in range(kh):
                                for v in range(kw):
                                    dxp[n, c, r0 + u, c0 + v] += g * w[f, c, u, v]


@njit(cache=True, nogil=True, fastmath=FAST)
def _conv_backward_rows(xp: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int, dxp: np.ndarray,
                        dw: np.ndarray, db: np.ndarray, need_dx: bool) -> None:
    """``conv_backward`` for wide maps: whole output rows at a time, which vectorise."""
    n_img, n_ch = xp.shape[0], xp.shape[1]
    n_f, _, kh, kw = w.shape
    oh, ow = dout.shape[2], dout.shape[3]
    for n in range(n_img):
        for f in range(n_f):
            s = 0.0
            for i in range(oh):
                for j in range(ow):
                    s += dout[n, f, i, j]
            db[f] += s
            for c in range(n_ch):
                for u in range(kh):
                    for v in range(kw):
                        acc = 0.0
                        for i in range(oh):
                            r = i * stride + u
                            if stride == 1:
                                for j in range(ow):
                                    acc += dout[n, f, i, j] * xp[n, c, r, j + v]
                            else:
                                for j in range(ow):
                                    acc += dout[n, f, i, j] * xp[n, c, r, j * stride + v]
                        dw[f, c, u, v] += acc
                        if need_dx:
                            wv = w[f, c, u, v]
                            for i in range(oh):
                                r = i * stride + u
                                for j in range(ow):
                                    dxp[n, c, r, j * stride + v] += dout[n, f, i, j] * wv


@njit(cache=True, nogil=True)
def pool_forward(x: np.ndarray, size: int, stride: int, code: int, out: np.ndarray, arg: np.ndarray) -> None:
    """Max / average / sum over ``size`` x ``size`` windows moved by ``stride``; for MAX, ``arg``
    receives each window's winning flat position (row * W + col) in the input map (first on ties)."""
    n_img, n_ch, h, wdt = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(oh):
                for j in range(ow):
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


@njit(cache=True, nogil=True)
def pool_backward(dout: np.ndarray, size: int, stride: int, code: int, arg: np.ndarray, dx: np.ndarray) -> None:
    """Route ``dout`` back: all to each window's winner (MAX), shared equally (AVERAGE) or copied
    to every cell (SUM). ``dx`` is overwritten; overlapping windows add up."""
    n_img, n_ch, h, wdt = dx.shape
    oh, ow = dout.shape[2], dout.shape[3]
    dx[:] = 0.0
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(oh):
                for j in range(ow):
                    g = dout[n, c, i, j]
                    if code == MAX:
                        where = arg[n, c, i, j]
                        dx[n, c, where // wdt, where % wdt] += g
                    else:
                        share = g / (size * size) if code == AVERAGE else g
                        for u in range(size):
                            for v in range(size):
                                dx[n, c, i * stride + u, j * stride + v] += share
