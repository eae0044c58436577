"""Recurrent networks (vanilla RNN, LSTM, GRU) trained by backpropagation through time.

The cells, with h' and c' the previous step's states (equations in ``engine.kernels.rnn``):

    RNN   h = tanh(W_x x + W_h h' + b)
    LSTM  i, f, o = sig(...), g = tanh(...),  c = f c' + i g,  h = o tanh(c)
    GRU   z, r = sig(...),  n = tanh(W_xn x + W_hn (r h') + b_n),  h = (1 - z) h' + z n

1 or 2 layers (the second reads the first's h), then a dense head on the top layer's h: at the
last step (many-to-one) or at every step (many-to-many), linear with squared error or softmax with
cross-entropy. Why gates: dL/dh_{t-1} = dL/dh_t x dh_t/dh_{t-1}, and for a plain RNN that factor is
W_h^T diag(1 - h_t^2): T steps back the gradient has been multiplied by T of them, so with W_h's
largest singular value below 1 it vanishes, above 1 it can explode. The LSTM's cell carries its
gradient through c = f c' + ..., multiplied only by the forget gate f, which it can hold near 1.

Training: mini-batches of sequences, full BPTT or truncated to ``truncate`` steps (the sequence is
cut into chunks of that length counted from its end and no gradient crosses a chunk's start),
the whole gradient clipped to norm ``clip`` (0: no clipping), then any of the engine's optimizers.
Every per-step diagnostic comes from the real backward pass: |dL/dh_t| for every t (root mean
square over the batch) after each update.

Initialisation: input and head weights Xavier-uniform; the recurrent weights W_h orthogonal
(each gate's H x H block, QR of a Gaussian) times ``recurrent_scale``, or Xavier; biases 0 except
the LSTM's forget gate (``forget_bias``, 1 by default, as Jozefowicz et al. 2015 advise).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine import checks, limits
from engine.kernels import rnn as k
from engine.optimizers import OPTIMIZERS, OptimizerConfig, default_config
from engine.sequences import SequenceTask

CELLS = ("rnn", "lstm", "gru")
CELL_CODES = {"rnn": k.RNN, "lstm": k.LSTM, "gru": k.GRU}
GATE_NAMES = {"rnn": ("h",), "lstm": ("input", "forget", "candidate", "output"), "gru": ("update", "reset", "candidate")}
RECURRENT_INITS = ("orthogonal", "xavier")
MAX_HIDDEN, MAX_LAYERS, MAX_BATCH = limits.RNN_MAX_HIDDEN, limits.RNN_MAX_LAYERS, limits.RNN_MAX_BATCH
MAX_UPDATES_PER_CALL, MAX_WORK_PER_CALL = limits.RNN_MAX_UPDATES_PER_CALL, limits.RNN_MAX_WORK_PER_CALL


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "lstm"
    hidden: int = 32
    layers: int = 1
    peephole: bool = False          # LSTM: gates also see the cell state
    coupled: bool = False           # LSTM: input gate = 1 - forget gate
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 32
    truncate: int = 0               # BPTT steps (0: the whole sequence)
    clip: float = 1.0               # gradient norm cap (0: off)
    recurrent_init: str = "orthogonal"
    recurrent_scale: float = 1.0    # W_h's initial gain: below 1 the gradient vanishes, above it may explode
    forget_bias: float = 1.0        # LSTM: initial forget-gate bias
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "cell", checks.one_of("cell", self.cell, CELLS))
        set_(self, "hidden", checks.whole("hidden", self.hidden, 1, MAX_HIDDEN))
        set_(self, "layers", checks.whole("layers", self.layers, 1, MAX_LAYERS))
        for name in ("peephole", "coupled"):
            set_(self, name, checks.flag(name, getattr(self, name)))
        set_(self, "optimizer", checks.one_of("optimizer", self.optimizer, OPTIMIZERS))
        set_(self, "learning_rate", checks.real("learning_rate", self.learning_rate, 0.0, 100.0, lo_open=True))
        set_(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, MAX_BATCH))
        set_(self, "truncate", checks.whole("truncate", self.truncate, 0, 10_000))
        set_(self, "clip", checks.real("clip", self.clip, 0.0, 1e6))
        set_(self, "recurrent_init", checks.one_of("recurrent_init", self.recurrent_init, RECURRENT_INITS))
        set_(self, "recurrent_scale", checks.real("recurrent_scale", self.recurrent_scale, 0.0, 100.0))
        set_(self, "forget_bias", checks.real("forget_bias", self.forget_bias, -100.0, 100.0))
        set_(self, "seed", checks.seed("seed", self.seed))

    @property
    def gates(self) -> int:
        return k.GATES[CELL_CODES[self.cell]]


@dataclass
class RNNHistory:
    """One entry per recorded ``step`` call."""
    updates: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)   # mean batch loss over the call's updates
    test_loss: list[float] = field(default_factory=list)
    test_score: list[float] = field(default_factory=list)   # accuracy (classes) or mean absolute error
    grad_norm: list[float] = field(default_factory=list)    # before clipping, last update of the call
    dh_norms: list[np.ndarray] = field(default_factory=list)  # |dL/dh_t| per t, last update of the call


def _checked(task: SequenceTask) -> SequenceTask:
    """The task's arrays checked before any kernel reads them: shapes that agree, finite values,
    symbols and classes in range, training and test sequences both present."""
    if not isinstance(task, SequenceTask):
        raise ValueError(f"task must be a SequenceTask, got {checks.describe(task)}")
    if (task.x is None) == (task.xi is None) or (task.y is None) == (task.yi is None):
        raise ValueError("task needs inputs as x (values) or xi (symbols), and targets as y (values) or yi (classes)")
    x = xi = y = yi = None
    if task.xi is not None:
        vocab = len(task.vocab) if isinstance(task.vocab, (tuple, list)) else 0
        if not 1 <= vocab <= 256:
            raise ValueError(f"task.vocab must name 1 to 256 symbols, got {vocab}")
        xi = checks.array("task.xi", task.xi, ndim=2, dtype=np.int64)
        if xi.size and (xi.min() < 0 or xi.max() >= vocab):
            raise ValueError(f"task.xi must be symbol numbers 0 to {vocab - 1}, got {xi.min()} to {xi.max()}")
        n, steps = xi.shape
    else:
        x = checks.array("task.x", task.x, ndim=3, lo=-1e6, hi=1e6)
        n, steps = x.shape[:2]
        if not 1 <= x.shape[2] <= 256:
            raise ValueError(f"task.x must have 1 to 256 values per step, got {x.shape[2]}")
    if not 1 <= steps <= limits.SEQ_MAX_STEPS:
        raise ValueError(f"sequences must have 1 to {limits.SEQ_MAX_STEPS} steps, got {steps}")
    if not isinstance(task.n_out, (int, np.integer)) or isinstance(task.n_out, bool) or not 1 <= task.n_out <= 256:
        raise ValueError(f"task.n_out must be 1 to 256, got {checks.describe(task.n_out)}")
    if task.yi is not None:
        yi = checks.array("task.yi", task.yi, ndim=2, dtype=np.int64)
        t_out = yi.shape[1]
        if yi.shape[0] != n or yi.size and (yi.min() < 0 or yi.max() >= task.n_out):
            raise ValueError(f"task.yi must be {n} rows of class numbers 0 to {task.n_out - 1}")
        if task.n_out < 2:
            raise ValueError("a class task needs at least 2 classes")
    else:
        y = checks.array("task.y", task.y, ndim=3, lo=-1e6, hi=1e6)
        t_out = y.shape[1]
        if y.shape[0] != n or y.shape[2] != task.n_out:
            raise ValueError(f"task.y must have shape ({n}, 1 or {steps}, {task.n_out}), got {y.shape}")
    if t_out not in (1, steps):
        raise ValueError(f"targets must be for the last step (1) or every step ({steps}), got {t_out}")
    if not isinstance(task.n_train, (int, np.integer)) or isinstance(task.n_train, bool) or not 1 <= task.n_train < n:
        raise ValueError(f"task.n_train must leave training and test sequences: 1 to {n - 1}, "
                         f"got {checks.describe(task.n_train)}")
    return replace(task, x=x, xi=xi, y=y, yi=yi)


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random n x n orthogonal matrix (QR of a Gaussian, signs fixed so it is uniform)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


class RNN:
    """A recurrent network on a ``SequenceTask``; ``step(n)`` trains n mini-batch updates."""

    def __init__(self, config: RNNConfig, task: SequenceTask, test_rows: int = 256) -> None:
        if not isinstance(config, RNNConfig):
            raise ValueError(f"config must be an RNNConfig, got {checks.describe(config)}")
        self.config = config
        self.task = task = _checked(task)
        self.onehot = task.xi is not None
        self.n_in, self.n_out = task.n_in, task.n_out
        c = config
        checks.budget("batch x steps x layers x gates x hidden",
                      3.0 * min(c.batch_size, task.n_train) * (task.steps + 1) * c.layers * c.gates * c.hidden)
        self.loss_code = k.CE if task.loss == "ce" else k.MSE
        self.many = task.many_to_many
        self.rng = np.random.default_rng(config.seed)
        self.theta, self.offs = self._initial_parameters()
        self.opt = OptimizerConfig(**{**default_config(config.optimizer).__dict__, "lr": config.learning_rate})
        self.s1, self.s2, self.s3 = (np.zeros_like(self.theta) for _ in range(3))
        self.updates = 0
        self.status = "running"
        self.history = RNNHistory()
        self._x = task.x if task.x is not None else np.zeros((1, 1, 1))
        self._xi = task.xi if task.xi is not None else np.zeros((1, 1), dtype=np.int64)
        self._y = task.y if task.y is not None else np.zeros((1, 1, 1))
        self._yi = task.yi if task.yi is not None else np.zeros((1, 1), dtype=np.int64)
        self.test_index = np.arange(task.n_train, min(len(task), task.n_train + test_rows))
        self._record(float("nan"), float("nan"), np.zeros(task.steps))

    # ---- parameters ------------------------------------------------------------------------
    def _initial_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        c, H, G = self.config, self.config.hidden, self.config.gates
        parts, offs, at = [], [], 0

        def add(a: np.ndarray) -> int:
            nonlocal at
            start = at
            parts.append(a.ravel())
            at += a.size
            return start

        for layer in range(c.layers):
            n_in = self.n_in if layer == 0 else H
            lim = np.sqrt(6.0 / (n_in + H))
            wx = self.rng.uniform(-lim, lim, (n_in, G * H))
            if c.recurrent_init == "orthogonal":
                wh = np.concatenate([orthogonal(H, self.rng) for _ in range(G)], axis=1) * c.recurrent_scale
            else:
                lim_h = np.sqrt(6.0 / (2 * H))
                wh = self.rng.uniform(-lim_h, lim_h, (H, G * H)) * c.recurrent_scale
            b = np.zeros(G * H)
            if c.cell == "lstm":
                b[H:2 * H] = c.forget_bias
            offs += [add(wx), add(wh), add(b)]
            offs.append(add(np.zeros(3 * H)) if c.cell == "lstm" and c.peephole else at)
        lim = np.sqrt(6.0 / (H + self.n_out))
        offs += [add(self.rng.uniform(-lim, lim, (H, self.n_out))), add(np.zeros(self.n_out))]
        return np.concatenate(parts), np.array(offs, dtype=np.int64)

    def weights(self, layer: int = 0, vector: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Views of one layer's W_x (n_in, G H), W_h (H, G H), b (G H) and, with peepholes, p (3, H),
        in ``theta`` or in ``vector`` (a flat array laid out as ``theta``, such as a gradient)."""
        layer = checks.whole("layer", layer, 0, self.config.layers - 1)
        v = checks.flat_like("vector", vector, self.theta)
        H, GH = self.config.hidden, self.config.gates * self.config.hidden
        n_in = self.n_in if layer == 0 else H
        o = self.offs[4 * layer: 4 * layer + 4]
        out = {"W_x": v[o[0]:o[0] + n_in * GH].reshape(n_in, GH),
               "W_h": v[o[1]:o[1] + H * GH].reshape(H, GH), "b": v[o[2]:o[2] + GH]}
        if self.config.cell == "lstm" and self.config.peephole:
            out["p"] = v[o[3]:o[3] + 3 * H].reshape(3, H)
        return out

    def head(self, vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Views of the head's W_y (H, n_out) and b_y (n_out) in ``theta`` or ``vector``."""
        v = checks.flat_like("vector", vector, self.theta)
        o_wy, o_by = self.offs[-2:]
        H = self.config.hidden
        return v[o_wy:o_wy + H * self.n_out].reshape(H, self.n_out), v[o_by:o_by + self.n_out]

    @property
    def n_parameters(self) -> int:
        """Parameters that train (a coupled LSTM's input-gate weights and unused peepholes excluded)."""
        n = self.theta.size
        if self.config.cell == "lstm" and self.config.coupled:
            H = self.config.hidden
            for layer in range(self.config.layers):
                n -= ((self.n_in if layer == 0 else H) + H + 1) * H
        return n

    def recurrent_singular_values(self, layer: int = 0) -> dict[str, float]:
        """Largest singular value of each gate's H x H block of W_h: the factor that, for a plain
        RNN, scales the gradient at most per step back (times tanh' <= 1)."""
        wh = self.weights(layer)["W_h"]
        H = self.config.hidden
        names = GATE_NAMES[self.config.cell]
        return {name: float(np.linalg.svd(wh[:, g * H:(g + 1) * H], compute_uv=False)[0]) for g, name in enumerate(names)}

    # ---- training --------------------------------------------------------------------------
    def _common(self) -> tuple:
        c = self.config
        return (CELL_CODES[c.cell], c.peephole, c.coupled, c.layers, c.hidden, self.n_in, self.n_out,
                self.theta, self.offs)

    def work_per_update(self) -> float:
        c = self.config
        GH = c.gates * c.hidden
        return float(c.batch_size) * self.task.steps * c.layers * GH * (c.hidden + self.n_in + 1)

    @property
    def most_updates_per_call(self) -> int:
        return max(1, min(MAX_UPDATES_PER_CALL, int(MAX_WORK_PER_CALL / max(1.0, self.work_per_update()))))

    def step(self, n_updates: int = 1, record: bool = True) -> str:
        """Train ``n_updates`` mini-batches; returns the status ("running" or "diverged")."""
        n_updates = checks.whole("n_updates", n_updates, 1, self.most_updates_per_call)
        if self.status == "diverged":
            return self.status
        c = self.config
        batches = self.rng.integers(0, self.task.n_train, (n_updates, min(c.batch_size, self.task.n_train)))
        losses = np.zeros(n_updates)
        norms = np.zeros(n_updates)
        dh = np.zeros((n_updates, self.task.steps))
        done, code = k.train(*self._common(), self._x, self._xi, self.onehot, self._y, self._yi, self.loss_code,
                             self.many, batches, c.truncate, c.clip, self.opt.code, self.opt.hyper_vector(),
                             self.s1, self.s2, self.s3, self.updates, losses, norms, dh)
        self.updates += done
        if code == k.DIVERGED or not np.all(np.isfinite(self.theta)):
            self.status = "diverged"
            last = min(done, n_updates - 1)
            self._record(float("nan"), float(norms[last]), dh[last])
            return self.status
        if record:
            self._record(float(losses[:done].mean()), float(norms[done - 1]), dh[done - 1])
        return self.status

    def _record(self, train_loss: float, grad_norm: float, dh: np.ndarray) -> None:
        h = self.history
        h.updates.append(self.updates)
        h.train_loss.append(train_loss)
        test_loss, score = self.evaluate(self.test_index)
        h.test_loss.append(test_loss)
        h.test_score.append(score)
        h.grad_norm.append(grad_norm)
        h.dh_norms.append(np.asarray(dh, dtype=float).copy())

    # ---- evaluation ------------------------------------------------------------------------
    def _rows(self, rows) -> np.ndarray:
        rows = checks.array("rows", rows, ndim=1, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self.task)):
            raise ValueError(f"rows must be sequence numbers 0 to {len(self.task) - 1}, "
                             f"got {rows.min()} to {rows.max()}")
        return rows

    def outputs(self, rows, trace: int = -1) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
        """The network's outputs for sequences ``rows`` ((n, T_out, n_out): values, or class
        probabilities) and, when ``trace`` is one of the positions in ``rows``, that sequence's
        gates, h and c at every step of every layer ((L, T, G H), (L, T, H), (L, T, H))."""
        rows = self._rows(rows)
        T = self.task.steps
        c = self.config
        checks.budget("rows x steps x layers x gates x hidden", 3.0 * len(rows) * (T + 1) * c.layers * c.gates * c.hidden)
        x = self._x[rows] if not self.onehot else self._x
        xi = self._xi[rows] if self.onehot else self._xi
        return self._forward(x, xi, trace, len(rows), T)

    def _forward(self, x, xi, trace, n, T, h0=None, c0=None):
        c = self.config
        out = np.zeros((n, T if self.many else 1, self.n_out))
        h0 = np.zeros((c.layers, n, c.hidden)) if h0 is None else h0
        c0 = np.zeros((c.layers, n, c.hidden)) if c0 is None else c0
        shape = (c.layers, T, c.hidden) if trace >= 0 else (1, 1, 1)
        tr_g = np.zeros((c.layers, T, c.gates * c.hidden) if trace >= 0 else (1, 1, 1))
        tr_h, tr_c = np.zeros(shape), np.zeros(shape)
        k.forward(*self._common(), np.ascontiguousarray(x), np.ascontiguousarray(xi), self.onehot, self.loss_code,
                  self.many, h0, c0, out, trace, tr_g, tr_h, tr_c)
        traced = {"gates": tr_g, "h": tr_h, "c": tr_c} if trace >= 0 else None
        return out, traced

    def evaluate(self, rows) -> tuple[float, float]:
        """(mean loss, score) on sequences ``rows``: accuracy for classes, mean absolute error for values."""
        rows = self._rows(rows)
        if rows.size == 0:
            return float("nan"), float("nan")
        out, _ = self.outputs(rows)
        if self.loss_code == k.CE:
            labels = self._yi[rows]
            p = np.take_along_axis(out, labels[:, :, None], axis=2)[:, :, 0]
            return float(-np.log(np.maximum(p, 1e-300)).mean()), float((out.argmax(axis=2) == labels).mean())
        err = out - self._y[rows]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged network's outputs: inf, reported as such
            return float((err ** 2).mean()), float(np.abs(err).mean())

    def loss_and_gradient(self, rows) -> tuple[float, np.ndarray, np.ndarray]:
        """Mean loss over ``rows``, its gradient (flat, as ``theta``) and |dL/dh_t|^2 summed over rows."""
        rows = self._rows(rows)
        c = self.config
        checks.budget("rows x steps x layers x gates x hidden",
                      4.0 * len(rows) * (self.task.steps + 1) * c.layers * c.gates * c.hidden)
        grad = np.zeros_like(self.theta)
        dh_sq = np.zeros(self.task.steps)
        work = k._workspace.py_func(c.layers, self.task.steps, len(rows), c.hidden, c.gates * c.hidden)
        loss = k.gradient(*self._common(), self._x, self._xi, self.onehot, self._y, self._yi, self.loss_code,
                          self.many, rows, self.config.truncate, grad, dh_sq, work)
        return float(loss), grad, dh_sq

    # ---- text ------------------------------------------------------------------------------
    def generate(self, prompt: str, n_chars: int, temperature: float = 0.8, seed: int = 0) -> str:
        """Characters sampled one at a time after ``prompt`` (text tasks)."""
        if not self.onehot or self.task.codes is None:
            raise ValueError("generate works on a text task")
        n_chars = checks.whole("n_chars", n_chars, 0, 2000)
        temperature = checks.real("temperature", temperature, 0.05, 5.0)
        seed = checks.seed("seed", seed)
        if not isinstance(prompt, str) or len(prompt) > 2000:
            raise ValueError(f"prompt must be text of at most 2,000 characters, got {checks.describe(prompt)}")
        vocab = self.task.vocab
        codes = [vocab.index(ch) for ch in prompt if ch in vocab] or [0]
        c = self.config
        h0 = np.zeros((c.layers, 1, c.hidden))
        c0 = np.zeros((c.layers, 1, c.hidden))
        out, _ = self._forward(self._x, np.array([codes], dtype=np.int64), -1, 1, len(codes), h0, c0)
        rng = np.random.default_rng(seed)
        made = []
        for _ in range(n_chars):
            p = out[0, -1]
            logits = np.log(np.maximum(p, 1e-300)) / temperature
            q = np.exp(logits - logits.max())
            q /= q.sum()
            nxt = int(rng.choice(len(q), p=q))
            made.append(vocab[nxt])
            out, _ = self._forward(self._x, np.array([[nxt]], dtype=np.int64), -1, 1, 1, h0, c0)
        return "".join(made)

    def unit_over_text(self, snippet: str, layer: int = 0) -> np.ndarray:
        """h of every unit of ``layer`` at each character of ``snippet`` ((len, H), values in -1..1)."""
        if not self.onehot or self.task.codes is None:
            raise ValueError("unit_over_text works on a text task")
        layer = checks.whole("layer", layer, 0, self.config.layers - 1)
        if not isinstance(snippet, str) or len(snippet) > limits.SEQ_MAX_STEPS * 10:
            raise ValueError(f"snippet must be text of at most {limits.SEQ_MAX_STEPS * 10:,} characters, "
                             f"got {checks.describe(snippet)}")
        codes = [self.task.vocab.index(ch) for ch in snippet if ch in self.task.vocab]
        if not codes:
            return np.zeros((0, self.config.hidden))
        _, tr = self._forward(self._x, np.array([codes], dtype=np.int64), 0, 1, len(codes))
        return tr["h"][layer]
