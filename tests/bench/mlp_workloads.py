"""MLP workloads: a training step at TF-Playground size and a whole-network grid evaluation."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from engine.datasets import make_2d
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from tests.bench.harness import Row, interleaved_medians

HIDDEN = (8, 8)
LR = 0.03


def _numpy_adam_trainer(x: np.ndarray, y: np.ndarray, ws: list[np.ndarray], bs: list[np.ndarray]):
    """Full-batch tanh MLP with a sigmoid/BCE output and Adam, as careful vectorised NumPy."""
    params = [p.copy() for pair in zip(ws, bs) for p in pair]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]
    yt = y.reshape(-1, 1).astype(float)

    def step() -> None:
        t[0] += 1
        acts = [x]
        a = x
        n_layers = len(params) // 2
        for l in range(n_layers - 1):
            a = np.tanh(a @ params[2 * l] + params[2 * l + 1])
            acts.append(a)
        z = a @ params[-2] + params[-1]
        delta = (1 / (1 + np.exp(-z)) - yt) / len(x)
        grads = [None] * len(params)
        for l in range(n_layers - 1, -1, -1):
            grads[2 * l] = acts[l].T @ delta
            grads[2 * l + 1] = delta.sum(axis=0)
            if l:
                delta = (delta @ params[2 * l].T) * (1 - acts[l] ** 2)
        c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
        for p, g, mi, vi in zip(params, grads, m, v):
            mi *= 0.9
            mi += 0.1 * g
            vi *= 0.999
            vi += 0.001 * g * g
            p -= LR * (mi / c1) / (np.sqrt(vi / c2) + 1e-8)
    return step


def _torch_trainer(x: np.ndarray, y: np.ndarray, ws, bs):
    import torch

    torch.set_num_threads(1)
    layers = []
    for i, (w, b) in enumerate(zip(ws, bs)):
        lin = torch.nn.Linear(*w.shape).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(ws) - 1:
            layers.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.reshape(-1, 1).astype(np.float64))

    def step() -> None:
        opt.zero_grad()
        loss_fn(net(xt), yt).backward()
        opt.step()
    return step, net, xt


def _have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def mlp_step_playground(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    if not wanted("mlp_step_playground"):
        return
    d = make_2d("circle", 500, 0.1, seed=0)
    config = MLPConfig(hidden=HIDDEN, activations=("tanh", "tanh"), batch_size=500, shuffle=False,
                       optimizer=OptimizerConfig("adam", lr=LR), seed=0)
    model = MLP(config, d.x, d.y)
    ws, bs = model.weights()
    per_call = 100   # steps fused into one kernel call, as the live view does
    repeats = 7 if quick else 25
    np_step = _numpy_adam_trainer(d.x, d.y, ws, bs)
    fns = [lambda: model.step(per_call), lambda: [np_step() for _ in range(10)]]
    per_fn = [per_call, 10]
    if _have_torch():
        t_step, _, _ = _torch_trainer(d.x, d.y, ws, bs)
        fns.append(lambda: [t_step() for _ in range(10)])
        per_fn.append(10)
    # in turns (see interleaved_medians): the ratios are the workload's, not the VM's clock drift
    medians = [t / n for t, n in zip(interleaved_medians(fns, repeats), per_fn)]
    yield Row("mlp_step_playground", medians[0], "numpy (vectorised)", medians[1])
    if len(medians) > 2:
        yield Row("mlp_step_playground", medians[0], "pytorch cpu, 1 thread", medians[2])


def mlp_grid_eval(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    if not wanted("mlp_grid_eval"):
        return
    d = make_2d("circle", 100, 0.1, seed=0)
    model = MLP(MLPConfig(hidden=HIDDEN, activations=("tanh", "tanh"), seed=0), d.x, d.y)
    ws, bs = model.weights()
    axis = np.linspace(-6, 6, 100)
    grid = np.column_stack([g.ravel() for g in np.meshgrid(axis, axis)])
    repeats = 10 if quick else 50

    def numpy_all_units():
        outs = [grid]
        a = grid
        for w, b in zip(ws[:-1], bs[:-1]):
            a = np.tanh(a @ w + b)
            outs.append(a)
        outs.append(1 / (1 + np.exp(-(a @ ws[-1] + bs[-1]))))
        return np.hstack(outs)
    np.testing.assert_allclose(model.all_units(grid), numpy_all_units(), rtol=1e-10)
    fns = [lambda: model.all_units(grid), numpy_all_units]
    if _have_torch():
        import torch

        _, net, _ = _torch_trainer(d.x, d.y, ws, bs)
        g = torch.from_numpy(grid)

        def torch_all_units():
            with torch.no_grad():
                outs, a = [g], g
                for layer in net:
                    a = layer(a)
                    if isinstance(layer, torch.nn.Tanh):
                        outs.append(a)
                outs.append(torch.sigmoid(a))
                return torch.cat(outs, dim=1)
        fns.append(torch_all_units)
    medians = interleaved_medians(fns, repeats)
    yield Row("mlp_grid_eval_100x100", medians[0], "numpy (vectorised)", medians[1])
    if len(medians) > 2:
        yield Row("mlp_grid_eval_100x100", medians[0], "pytorch cpu, 1 thread", medians[2])
