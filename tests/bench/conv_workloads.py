"""Convolution + pooling forward/backward, and one epoch of the small CNN on the digits.

conv_pool_fwd_bwd: 32 images 28x28, 8 filters 3x3 (valid), ReLU, max pool 2, then the backward
pass of all three to the weights (a first layer: no gradient for the images on any side), vs a NumPy reference (im2col-free sliding windows with einsum) and PyTorch CPU
(one thread). cnn_epoch_digits: one epoch (batch 32) of conv8-pool-conv16-pool-dense10 with Adam,
vs the same network in PyTorch (one thread).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from engine import datasets
from engine.conv import CNNConfig, SmallCNN, conv2d, conv2d_backward, pool2d, pool2d_backward
from tests.bench.harness import Row, median_time


def _ours_conv_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray) -> None:
    z = conv2d(x, w, b)
    r = np.maximum(z, 0)
    p, arg = pool2d(r, 2, 2, "max")
    dr = pool2d_backward(g, r.shape, 2, 2, "max", arg)
    conv2d_backward(x, w, dr * (z > 0), need_dx=False)  # a first layer: no gradient for the image


def _numpy_conv_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray) -> None:
    win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))  # (N, C, 26, 26, 3, 3)
    z = np.einsum("ncijuv,fcuv->nfij", win, w, optimize=True) + b[None, :, None, None]
    r = np.maximum(z, 0)
    n, f, h, wd = r.shape
    blocks = r.reshape(n, f, h // 2, 2, wd // 2, 2)
    p = blocks.max(axis=(3, 5))
    mask = blocks == p[:, :, :, None, :, None]
    dr = (mask * g[:, :, :, None, :, None]).reshape(r.shape)
    dz = dr * (z > 0)
    np.einsum("ncijuv,nfij->fcuv", win, dz, optimize=True)  # dw
    return p


def conv_workloads(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    if wanted("conv_pool_fwd_bwd"):
        x = rng.normal(size=(32, 1, 28, 28))
        w = rng.normal(size=(8, 1, 3, 3))
        b = rng.normal(size=8)
        g = rng.normal(size=(32, 8, 13, 13))
        t_ours = median_time(lambda: _ours_conv_pool(x, w, b, g), 10 if quick else 50)
        t_np = median_time(lambda: _numpy_conv_pool(x, w, b, g), 5 if quick else 20)
        yield Row("conv_pool_fwd_bwd", t_ours, "numpy (sliding windows + einsum)", t_np)
        if torch is not None:
            tx = torch.tensor(x)
            tw = torch.tensor(w, requires_grad=True)
            tb = torch.tensor(b, requires_grad=True)
            tg = torch.tensor(g)

            def torch_step() -> None:
                for t in (tw, tb):
                    t.grad = None
                out = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(tx, tw, tb)), 2)
                # tx does not require a gradient below: a first layer, as on our side
                out.backward(tg)

            t_torch = median_time(torch_step, 10 if quick else 50)
            yield Row("conv_pool_fwd_bwd", t_ours, "pytorch cpu 1 thread (float64)", t_torch)
    if wanted("cnn_epoch_digits"):
        digits = datasets.digits()
        config = CNNConfig(seed=0)

        cnn = SmallCNN(config, digits.x, digits.y)  # built once (it measures itself on creation)

        def ours_epoch() -> None:
            cnn.step(len(digits.x) // 32, record=False)

        t_ours = median_time(ours_epoch, 2 if quick else 5)
        if torch is not None:
            x = torch.tensor(digits.x.reshape(-1, 1, 8, 8))
            y = torch.tensor(digits.y)

            def torch_epoch() -> None:
                torch.manual_seed(0)
                net = torch.nn.Sequential(
                    torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                    torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                    torch.nn.Flatten(), torch.nn.Linear(64, 10)).double()
                opt = torch.optim.Adam(net.parameters(), lr=0.01)
                order = torch.randperm(len(x))
                for s in range(len(x) // 32):
                    idx = order[s * 32:(s + 1) * 32]
                    opt.zero_grad()
                    loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
                    loss.backward()
                    opt.step()

            t_torch = median_time(torch_epoch, 2 if quick else 5)
            yield Row("cnn_epoch_digits", t_ours, "pytorch cpu 1 thread (float64)", t_torch)
        else:
            print("  cnn_epoch_digits: PyTorch not installed (pip install -e '.[bench]')")
