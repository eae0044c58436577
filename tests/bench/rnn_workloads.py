"""Recurrent networks: one training update (batch 32, T 60, 1 input, 32 hidden, many-to-one, MSE,
Adam) for the LSTM and the plain RNN, vs PyTorch CPU (one thread, float64, nn.LSTM / nn.RNN +
Linear, loss.backward, Adam.step) and vs a batch-vectorised NumPy BPTT (tests/unit/reference.py
plus the same Adam step). Ours: ``step(20, record=False)`` divided by 20."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from engine import rnn, sequences
from tests.bench.harness import Row, interleaved_medians

BATCH, STEPS, HIDDEN, UPDATES = 32, 60, 32, 20


def _task() -> sequences.SequenceTask:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH * 10, STEPS, 1))
    return sequences.SequenceTask("bench", BATCH * 9, x=x, y=x.sum(axis=1, keepdims=True)[:, :, :1] / STEPS)


def _numpy_step(m: rnn.RNN, task, state: dict) -> None:
    from tests.unit.reference import rnn_loss_and_grads

    rows = state["rng"].integers(0, task.n_train, BATCH)
    layers = [m.weights(0)]
    _, grads, (dwy, dby), _ = rnn_loss_and_grads(task.x[rows], task.y[rows], layers, m.head(), m.config.cell,
                                                 False, "mse")
    params = [layers[0]["W_x"], layers[0]["W_h"], layers[0]["b"], *m.head()]
    state["t"] += 1
    t = state["t"]
    for p, g, mom, sq in zip(params, [grads[0]["W_x"], grads[0]["W_h"], grads[0]["b"], dwy, dby],
                             state["m"], state["v"]):
        mom *= 0.9
        mom += 0.1 * g
        sq *= 0.999
        sq += 0.001 * g * g
        p -= 0.01 * (mom / (1 - 0.9 ** t)) / (np.sqrt(sq / (1 - 0.999 ** t)) + 1e-8)


def _torch_step(cell: str, task) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    net = (torch.nn.LSTM if cell == "lstm" else torch.nn.RNN)(1, HIDDEN, batch_first=True).double()
    head = torch.nn.Linear(HIDDEN, 1).double()
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=0.01)
    x, y = torch.from_numpy(task.x), torch.from_numpy(task.y[:, 0])
    gen = np.random.default_rng(1)

    def step() -> None:
        for _ in range(UPDATES):
            rows = torch.from_numpy(gen.integers(0, task.n_train, BATCH))
            out, _ = net(x[rows])
            loss = torch.nn.functional.mse_loss(head(out[:, -1]), y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return step


def rnn_steps(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    task = _task()
    for cell in ("lstm", "rnn"):
        name = f"{cell}_step"
        if not wanted(name):
            continue
        m = rnn.RNN(rnn.RNNConfig(cell=cell, hidden=HIDDEN, batch_size=BATCH, clip=0.0, learning_rate=0.01), task)
        ref = rnn.RNN(rnn.RNNConfig(cell=cell, hidden=HIDDEN, batch_size=BATCH), task)
        state = {"rng": np.random.default_rng(2), "t": 0,
                 "m": [np.zeros_like(p) for p in (*ref.weights(0).values(), *ref.head())],
                 "v": [np.zeros_like(p) for p in (*ref.weights(0).values(), *ref.head())]}

        def ours() -> None:
            m.step(UPDATES, record=False)

        def numpy_ref() -> None:
            for _ in range(UPDATES):
                _numpy_step(ref, task, state)
        fns = [ours, numpy_ref]
        torch_fn = _torch_step(cell, task)
        if torch_fn is not None:
            fns.append(torch_fn)
        else:
            print(f"  {name}: PyTorch not installed (pip install -e '.[bench]'); NumPy row only")
        times = [t / UPDATES for t in interleaved_medians(fns, 3 if quick else 10)]
        if torch_fn is not None:
            yield Row(name, times[0], "pytorch (1 thread, float64)", times[2])
        yield Row(name, times[0], "numpy (batch-vectorised BPTT)", times[1])
