"""One workload per kernel family that has a CUDA twin, at any size: ``backend.calibrate`` times
them on both devices at warm-up to find the size from which the GPU pays, and the GPU bench
(``python -m tests.bench --device cuda``) times the same ones against PyTorch. Nothing here imports
CUDA until a case is run on it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.kernels import som as som_k


@dataclass
class Case:
    run: Callable[[str], object]   # run("cpu") or run("cuda"): the kernel's results, on the host
    work: float                    # its size in the family's unit (multiply-adds), as backend.pick counts it
    inputs: dict                   # what it computes on (for a peer's version of the same work)


def som_bmu(n: int, units: int = 400, dim: int = 16) -> Case:
    """Every sample's best and second-best unit of a 20x20 map (the batch map's BMU search)."""
    rng = np.random.default_rng(0)
    x, wt = rng.random((n, dim)), rng.random((dim, units))

    def run(device: str):
        outs = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n))
        if device == "cuda":
            from engine.kernels import cuda_som
            cuda_som.two_best(x, wt, som_k.EUCLIDEAN, *outs)
        else:
            som_k.two_best(x, wt, som_k.EUCLIDEAN, *outs)
        return outs
    return Case(run, float(n) * units * dim, {"x": x, "wt": wt})


def mlp_eval(n: int) -> Case:
    """Every unit of an 8x32 tanh network at n points (a decision boundary's grid)."""
    from engine.mlp import MLP, MLPConfig

    rng = np.random.default_rng(0)
    m = MLP(MLPConfig(hidden=(32,) * 8, activations=("tanh",) * 8, seed=0), rng.normal(size=(50, 2)),
            rng.integers(0, 2, 50))
    grid = rng.uniform(-6, 6, (n, 2))
    xt = np.ascontiguousarray(grid.T)
    shared = (m.theta, m._sizes, m._w_off, m._b_off, m._u_off, m._act_codes, m._alpha, m.config.out_kind)
    tail = (m._skips, np.empty(0), m._bn, m._g_off, m._norm)

    def run(device: str):
        out = np.empty((int(m._u_off[-1]), n))
        if device == "cuda":
            from engine.kernels import cuda_mlp
            cuda_mlp.forward_all(xt, *shared, out, *tail)
        else:
            from engine.kernels import mlp as mlp_k
            mlp_k.forward_all(xt, *shared, out, *tail)
        return out
    weights, biases = m.weights()
    return Case(run, float(n) * m.n_params, {"grid": grid, "weights": weights, "biases": biases})


def rbm_cd(n_hidden: int, n_visible: int = 64, batch: int = 50, batches: int = 20) -> Case:
    """20 CD-1 updates of a batch of 50 digits (8 x 8, binary) with ``n_hidden`` hidden units
    (the RBM lab's shape), each batch's reconstruction error measured too (``step(track_error=True)``:
    the kernel's fullest path, and an error to compare between the devices)."""
    from engine.kernels import rbm as rbm_k

    rng = np.random.default_rng(0)
    data = (rng.random((500, n_visible)) < 0.3).astype(float)
    order = rng.integers(0, len(data), batches * batch)
    weights = rng.normal(0.0, 0.01, (n_visible, n_hidden))
    u_hidden = rng.random((batches, 1, batch, n_hidden))

    def run(device: str):
        state = [weights.copy(), np.zeros(n_visible), np.zeros(n_hidden), np.zeros_like(weights),
                 np.zeros(n_visible), np.zeros(n_hidden), np.zeros((batch, n_hidden))]
        errors = np.zeros(batches)
        if device == "cuda":
            from engine.kernels import cuda_rbm
            train = cuda_rbm.train_batches
        else:
            train = rbm_k.train_batches
        train(data, order, batch, *state, 0.1, 0.0, 0.0, 1, False, True, False, np.empty((1, 1, 1, 1)), u_hidden,
              True, errors)
        return state[0], errors
    return Case(run, float(batches) * batch * n_visible * n_hidden * 5,
                {"data": data, "order": order, "weights": weights, "u_hidden": u_hidden, "batch": batch})


def _conv_kernels(device: str):
    """The convolution and pooling kernels of ``device`` (the same functions on either)."""
    if device == "cuda":
        from engine.kernels import cuda_conv
        return cuda_conv
    from engine.kernels import conv as conv_k
    return conv_k


def conv(n: int, side: int = 32, channels: int = 16, filters: int = 32) -> Case:
    """A 3 x 3 convolution (padding 1) of ``n`` images of ``channels`` x ``side`` x ``side`` into
    ``filters`` maps, forward and backward (the filter, bias and input gradients): a training
    step's convolution at a batch of n."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, channels, side, side))
    w = rng.normal(0.0, 0.1, (filters, channels, 3, 3))
    b = rng.normal(size=filters)
    dout = rng.normal(size=(n, filters, side, side))

    def run(device: str):
        kern = _conv_kernels(device)
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        out = np.empty((n, filters, side, side))
        kern.conv_forward(xp, w, b, 1, out)
        grads = (np.empty_like(xp), np.empty_like(w), np.empty(filters))
        kern.conv_backward(xp, w, dout, 1, *grads, True)
        return (out, *grads)
    return Case(run, float(n) * filters * side * side * channels * 9 * 3, {"x": x, "w": w, "b": b, "dout": dout})


def pool(n: int, side: int = 32, channels: int = 16) -> Case:
    """2 x 2 max pooling of ``n`` images of ``channels`` x ``side`` x ``side``, forward and backward."""
    from engine.kernels import conv as conv_k

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, channels, side, side))
    dout = rng.normal(size=(n, channels, side // 2, side // 2))

    def run(device: str):
        kern = _conv_kernels(device)
        out, arg = np.empty(dout.shape), np.full(dout.shape, -1, np.int64)
        kern.pool_forward(x, 2, 2, conv_k.MAX, out, arg)
        dx = np.empty_like(x)
        kern.pool_backward(dout, 2, 2, conv_k.MAX, arg, dx)
        return out, dx
    return Case(run, float(dout.size) * 4 * 2, {"x": x, "dout": dout})


def landscape(n: int, hidden: int = 8, side: int = 40) -> Case:
    """The optimizer lab's network landscape: the loss of a 2-``hidden``-1 tanh network over ``n``
    points at each of side x side weights of a plane (the lab draws 40 x 40)."""
    from engine.landscape import LandscapeConfig, NetworkLandscape, plane_losses

    surface = NetworkLandscape(LandscapeConfig(dataset="circle", hidden=hidden, n_points=n, train_steps=50))
    a, b = np.linspace(-1.0, 1.0, side), np.linspace(-1.0, 1.0, side)
    model = surface.model

    def run(device: str):
        out = np.empty((side, side))
        if device == "cuda":
            from engine.kernels import cuda_mlp
            cuda_mlp.plane_losses(model, surface.center, surface.d1, surface.d2, a, b, out)
        else:
            plane_losses(model, surface.center, surface.d1, surface.d2, a, b, out)
        return out
    return Case(run, float(side * side) * n * model.n_params,
                {"x": model.x_train, "y": model.y_train[:, 0], "center": surface.center, "d1": surface.d1,
                 "d2": surface.d2, "a": a, "b": b, "hidden": hidden})


def cnn_step(batch: int, steps: int = 10) -> Case:
    """``steps`` Adam updates of the CNN lab's network (8 x 8 images, 8 and 16 filters, 10 classes)
    at a batch of ``batch``; its work is one update's (``engine.kernels.cnn.step_work``: a step's
    launches, not the call's, are what the GPU must win back)."""
    from engine.kernels import cnn as cnn_k
    from engine.optimizers import OptimizerConfig

    rng = np.random.default_rng(0)
    side, f1, f2, classes = 8, 8, 16, 10
    x = np.where(rng.random((2_000, 1, side, side)) < 0.4, 0.0, rng.random((2_000, 1, side, side)))
    y = rng.integers(0, classes, len(x))
    batches = rng.integers(0, len(x), (steps, batch))
    sizes = (f1 * 9, f1, f2 * f1 * 9, f2, f2 * (side // 4) ** 2 * classes, classes)
    fans = (9, 0, f1 * 9, 0, f2 * (side // 4) ** 2, 0)
    theta = np.concatenate([rng.normal(0.0, np.sqrt(2 / fan), size) if fan else np.full(size, 0.05)
                            for size, fan in zip(sizes, fans)])
    adam = OptimizerConfig("adam", lr=0.01)

    def run(device: str):
        if device == "cuda":
            from engine.kernels import cuda_cnn
            train = cuda_cnn.train_steps
        else:
            train = cnn_k.train_steps
        out, s1, s2, s3, losses = theta.copy(), *(np.zeros(theta.size) for _ in range(3)), np.empty(steps)
        train(x, y, batches, out, s1, s2, s3, 0, adam.code, adam.hyper_vector(), f1, f2, classes, 1e6, losses)
        return out, losses
    return Case(run, cnn_k.step_work(batch, side, f1, f2, classes),
                {"x": x, "y": y, "batches": batches, "theta": theta, "sizes": sizes, "f1": f1, "f2": f2,
                 "classes": classes, "hyper": adam})


FAMILIES: dict[str, Callable[[int], Case]] = {"som_bmu": som_bmu, "mlp_eval": mlp_eval, "rbm_cd": rbm_cd,
                                              "conv": conv, "pool": pool, "landscape": landscape,
                                              "cnn_step": cnn_step}
# growing sizes at warm-up: the search stops at the first one where the GPU is faster
CALIBRATION_SIZES = {"som_bmu": (2_000, 10_000, 50_000, 200_000), "mlp_eval": (2_500, 10_000, 40_000, 160_000),
                     "rbm_cd": (16, 64, 256, 1_000), "conv": (1, 4, 16, 64), "pool": (16, 64, 256),
                     "landscape": (50, 200, 1_000, 5_000), "cnn_step": (8, 32, 128, 512)}
