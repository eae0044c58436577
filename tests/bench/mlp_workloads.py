"""MLP workloads: training steps at TF-Playground size and at digits size, and a whole-network grid
evaluation."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from engine.datasets import digits, make_2d
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from tests.bench.harness import Row, interleaved_medians

HIDDEN = (8, 8)
LR = 0.03


def _numpy_adam_trainer(x: np.ndarray, y: np.ndarray, ws: list[np.ndarray], bs: list[np.ndarray],
                        lr: float = LR, batch: int | None = None, skips: tuple[int, ...] | None = None,
                        batch_norm: bool = False):
    """A tanh MLP with Adam, as careful vectorised NumPy: a sigmoid/BCE output for labels 0/1, a
    softmax/CE output for more classes. Mini-batches of ``batch`` consecutive rows, cycling through
    the data without shuffling (as the model does with shuffle=False); full batch by default.
    ``skips[l]``: layer l adds its input to its output (residual). ``batch_norm``: each hidden
    layer normalised before its tanh by the batch's statistics (running averages kept, momentum 0.1).
    Returns (step, params): params are [W1, b1, W2, b2, ...] (then gamma, beta per hidden layer),
    updated in place."""
    skips = skips or (0,) * len(ws)
    params = [p.copy() for pair in zip(ws, bs) for p in pair]
    n_hidden = len(ws) - 1
    if batch_norm:
        params += [v for b in bs[:-1] for v in (np.ones_like(b), np.zeros_like(b))]
        running = [[np.zeros_like(b), np.ones_like(b)] for b in bs[:-1]]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]
    cursor = [0]
    n_out = bs[-1].size
    targets = y.reshape(-1, 1).astype(float) if n_out == 1 else np.eye(n_out)[y]
    size = len(x) if batch is None else batch

    def step() -> None:
        t[0] += 1
        start = cursor[0]
        end = min(start + size, len(x))
        cursor[0] = 0 if end == len(x) else end
        xb, yb = x[start:end], targets[start:end]
        acts, outs, norms = [xb], [], []
        a = xb
        n_layers = n_hidden + 1
        for l in range(n_layers - 1):
            z = a @ params[2 * l] + params[2 * l + 1]
            if batch_norm:
                mean, var = z.mean(axis=0), z.var(axis=0)
                inv = 1.0 / np.sqrt(var + 1e-5)
                xh = (z - mean) * inv
                norms.append((xh, inv))
                z = params[2 * n_layers + 2 * l] * xh + params[2 * n_layers + 2 * l + 1]
                running[l][0] = 0.9 * running[l][0] + 0.1 * mean
                running[l][1] = 0.9 * running[l][1] + 0.1 * var * len(z) / (len(z) - 1)
            out = np.tanh(z)
            outs.append(out)
            a = out + a if skips[l] else out
            acts.append(a)
        z = a @ params[2 * n_hidden] + params[2 * n_hidden + 1]
        if n_out == 1:
            p = 1 / (1 + np.exp(-z))
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
        delta = (p - yb) / len(xb)
        grads = [None] * len(params)
        grad_a = 0.0
        for l in range(n_layers - 1, -1, -1):
            grads[2 * l] = acts[l].T @ delta
            grads[2 * l + 1] = delta.sum(axis=0)
            if l:
                grad_a = delta @ params[2 * l].T + (grad_a if skips[l] else 0.0)
                delta = grad_a * (1 - outs[l - 1] ** 2)
                if batch_norm:
                    xh, inv = norms[l - 1]
                    g_gamma = (delta * xh).sum(axis=0)
                    g_beta = delta.sum(axis=0)
                    grads[2 * n_layers + 2 * (l - 1)] = g_gamma
                    grads[2 * n_layers + 2 * (l - 1) + 1] = g_beta
                    delta = params[2 * n_layers + 2 * (l - 1)] * inv * (
                        delta - g_beta / len(xb) - xh * (g_gamma / len(xb)))
        c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
        for p, g, mi, vi in zip(params, grads, m, v):
            mi *= 0.9
            mi += 0.1 * g
            vi *= 0.999
            vi += 0.001 * g * g
            p -= lr * (mi / c1) / (np.sqrt(vi / c2) + 1e-8)
    return step, params


def _torch_trainer(x: np.ndarray, y: np.ndarray, ws, bs, lr: float = LR, batch: int | None = None,
                   skips: tuple[int, ...] | None = None, batch_norm: bool = False):
    """The same network in idiomatic PyTorch (float64, like ours): nn.Sequential (a loop over the
    layers with residual connections; nn.BatchNorm1d before each Tanh with ``batch_norm``), Adam,
    and BCEWithLogitsLoss or CrossEntropyLoss; mini-batches as in ``_numpy_adam_trainer``."""
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
            if batch_norm:
                layers.append(torch.nn.BatchNorm1d(w.shape[1]).double())
            layers.append(torch.nn.Tanh())
    if skips and any(skips):
        class Residual(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = torch.nn.ModuleList(layers)

            def forward(self, a):
                for l, lin in enumerate(self.layers[0::2]):
                    out = lin(a)
                    if l < len(ws) - 1:
                        out = torch.tanh(out)
                    a = out + a if skips[l] else out
                return a
        net = Residual()
    else:
        net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    xt = torch.from_numpy(x)
    if bs[-1].size == 1:
        loss_fn = torch.nn.BCEWithLogitsLoss()
        yt = torch.from_numpy(y.reshape(-1, 1).astype(np.float64))
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        yt = torch.from_numpy(y.astype(np.int64))
    size = len(x) if batch is None else batch
    batches = [(xt[i:i + size], yt[i:i + size]) for i in range(0, len(x), size)]
    cursor = [0]

    def step() -> None:
        xb, yb = batches[cursor[0]]
        cursor[0] = (cursor[0] + 1) % len(batches)
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()
    return step, net, xt


def _have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _peers(x: np.ndarray, y: np.ndarray, ws, bs, lr: float = LR, batch: int | None = None, skips=None,
           batch_norm: bool = False):
    """The NumPy and (when installed) PyTorch trainers of the same network from the same weights:
    ([(label, step), ...], the NumPy parameters, the PyTorch module or None)."""
    np_step, np_params = _numpy_adam_trainer(x, y, ws, bs, lr, batch, skips, batch_norm)
    peers = [("numpy (vectorised)", np_step)]
    net = None
    if _have_torch():
        t_step, net, _ = _torch_trainer(x, y, ws, bs, lr, batch, skips, batch_norm)
        peers.append(("pytorch cpu, 1 thread", t_step))
    return peers, np_params, net


def _step_rows(name: str, model: MLP, peers, per_call: int, peer_calls: int, repeats: int) -> Iterator[Row]:
    """Our ``per_call`` fused steps against ``peer_calls`` steps of each peer, timed in turns (see
    interleaved_medians: the ratios are the workload's, not the VM's clock drift); per-step medians."""
    fns = [lambda: model.step(per_call)] + [lambda p=step: [p() for _ in range(peer_calls)] for _, step in peers]
    per_fn = [per_call] + [peer_calls] * len(peers)
    medians = [t / n for t, n in zip(interleaved_medians(fns, repeats), per_fn)]
    for (label, _), median in zip(peers, medians[1:]):
        yield Row(name, medians[0], label, median)


def _playground_step_rows(name: str, hidden: tuple[int, ...], per_call: int, peer_calls: int,
                          repeats: int, residual: bool = False, batch_norm: bool = False) -> Iterator[Row]:
    """A full-batch step on the 500-point circle, tanh hidden layers, sigmoid output, Adam."""
    d = make_2d("circle", 500, 0.1, seed=0)
    config = MLPConfig(hidden=hidden, activations=("tanh",) * len(hidden), batch_size=500, shuffle=False,
                       optimizer=OptimizerConfig("adam", lr=LR), residual=residual,
                       batch_norm="before" if batch_norm else "off", seed=0)
    model = MLP(config, d.x, d.y)
    peers, np_params, _ = _peers(d.x, d.y, *model.weights(), skips=config.skips, batch_norm=batch_norm)
    if residual or batch_norm:   # the peers compute the same network: one step each from the same weights agrees
        check = MLP(config, d.x, d.y)
        check.step(1)
        peers[0][1]()
        ws, bs = check.weights()
        ours = [p for pair in zip(ws, bs) for p in pair]
        ours += [v for s in check.batch_norm_state() for v in (s["gamma"], s["beta"])]
        np.testing.assert_allclose(np.concatenate([p.ravel() for p in np_params]),
                                   np.concatenate([p.ravel() for p in ours]), rtol=1e-9, atol=1e-8)
        # (atol: a bias before batch normalisation has a gradient of rounding noise, ~1e-17, which
        # Adam turns into steps of ~1e-9 that differ between any two ways of summing)
        peers, _, _ = _peers(d.x, d.y, *model.weights(), skips=config.skips, batch_norm=batch_norm)
    yield from _step_rows(name, model, peers, per_call, peer_calls, repeats)


def mlp_step_playground(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    """The issue's row (2-8-8-1, 100 steps per call as the live view fuses them) and the widest
    network the playground lets a user build (2-32x8-1)."""
    if wanted("mlp_step_playground"):
        yield from _playground_step_rows("mlp_step_playground", HIDDEN, 100, 10, 7 if quick else 25)
    if wanted("mlp_step_playground_widest"):
        yield from _playground_step_rows("mlp_step_playground_widest", (32,) * 8, 10, 2, 5 if quick else 15)
    if wanted("mlp_step_residual"):   # 2-8x4-1 with skips around layers 2-4
        yield from _playground_step_rows("mlp_step_residual", (8,) * 4, 50, 10, 7 if quick else 25, residual=True)
    if wanted("mlp_step_batchnorm"):   # 2-8-8-1, each hidden layer normalised before its tanh
        yield from _playground_step_rows("mlp_step_batchnorm", HIDDEN, 50, 10, 7 if quick else 25, batch_norm=True)


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


DIGITS_HIDDEN = 32
DIGITS_BATCH = 64
DIGITS_LR = 0.003


def mlp_step_digits(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    """A mini-batch step on the 8 x 8 digits: 64-32-10, tanh, softmax, Adam, batches of 64 taken in
    order. Before timing, three steps of each peer must land on our weights (the same work)."""
    if not wanted("mlp_step_digits"):
        return
    d = digits()
    config = MLPConfig(n_inputs=64, hidden=(DIGITS_HIDDEN,), activations=("tanh",), task="multiclass",
                       n_classes=10, batch_size=DIGITS_BATCH, shuffle=False,
                       optimizer=OptimizerConfig("adam", lr=DIGITS_LR), seed=0)
    model = MLP(config, d.x, d.y)
    peers, np_params, net = _peers(d.x, d.y, *model.weights(), DIGITS_LR, DIGITS_BATCH)
    model.step(3)
    for _, peer in peers:
        for _ in range(3):
            peer()
    ours = [p for pair in zip(*model.weights()) for p in pair]
    for mine, theirs in zip(ours, np_params):
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-10)
    if net is not None:
        theirs = [p.detach().numpy() for p in net.parameters()]
        for mine, other in zip(ours, theirs):
            np.testing.assert_allclose(mine, other.T if other.ndim == 2 else other, rtol=1e-7, atol=1e-10)
    yield from _step_rows("mlp_step_digits", model, peers, 100, 10, 7 if quick else 25)
