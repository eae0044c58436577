"""Autoencoders trained by backpropagation: undercomplete, denoising, sparse, contractive, stacked
and variational, on one kernel (``engine.kernels.autoencoder``).

The network maps x to a code h = encoder(x) and back to x_hat = decoder(h); it learns by making
x_hat close to x: binary cross-entropy on a sigmoid output (pixels in [0, 1]) or squared error on
a linear one, summed over the inputs and averaged over the samples. The decoder mirrors the
encoder (widths reversed); with ``tied`` weights each decoder matrix is its encoder twin's
transpose. Variants (the course's list):

- **denoising**: the input is corrupted (``noise="masking"``: each value set to 0 with
  probability ``noise_level``; ``"gaussian"``: N(0, noise_level^2) added), the target is clean;
  fresh noise every update.
- **sparse**: ``sparsity="l1"`` adds weight x sum |h_j|; ``"kl"`` adds weight x sum_j KL(rho || rho_hat_j),
  rho_hat_j the mini-batch's mean activation of code unit j (a sigmoid code).
- **contractive**: ``contractive`` x ||dh/dx||_F^2 of the code layer w.r.t. its own input
  (Rifai et al. 2011), for a sigmoid or tanh code.
- **stacked**: each encoder layer first trained alone as a shallow autoencoder on the codes of
  the layers below it (greedy, layer-wise), ``pretrain_updates`` each, then the whole stack fine-tuned.
- **variational** (Kingma & Welling): the encoder gives mu and log sigma^2; the decoder reads
  z = mu + sigma eps, eps ~ N(0, I); the loss adds beta x KL(N(mu, sigma^2) || N(0, I)).

Missing inputs (values below 0, as the recommender's unseen films) are fed as 0 and left out of
the loss, so the network predicts them without being told.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine import checks, limits
from engine.activations import ELEMENTWISE
from engine.kernels import activations as ka
from engine.kernels import autoencoder as k
from engine.optimizers import OPTIMIZERS, OptimizerConfig, default_config

NOISES = ("none", "masking", "gaussian")
SPARSITIES = ("none", "l1", "kl")
OUTPUTS = ("sigmoid", "linear")
ACT_CODES = {"step": ka.STEP, "linear": ka.LINEAR, "sigmoid": ka.SIGMOID, "tanh": ka.TANH, "relu": ka.RELU,
             "leaky_relu": ka.LEAKY_RELU, "elu": ka.ELU, "softplus": ka.SOFTPLUS, "selu": ka.SELU, "gelu": ka.GELU,
             "silu": ka.SILU, "mish": ka.MISH}
MAX_WIDTH, MAX_LAYERS, MAX_INPUTS = limits.AE_MAX_WIDTH, limits.AE_MAX_LAYERS, limits.AE_MAX_INPUTS


@dataclass(frozen=True)
class AEConfig:
    n_inputs: int = 64
    encoder: tuple[int, ...] = (32,)      # widths between the input and the code
    code: int = 2
    activation: str = "relu"              # every hidden layer
    code_activation: str = "linear"       # the code layer (linear for the VAE's mu and log sigma^2)
    output: str = "sigmoid"               # sigmoid + cross-entropy, or linear + squared error
    tied: bool = False
    variational: bool = False
    beta: float = 1.0
    noise: str = "none"
    noise_level: float = 0.3
    sparsity: str = "none"
    sparsity_weight: float = 0.001
    sparsity_target: float = 0.05
    contractive: float = 0.0
    stacked: bool = False
    pretrain_updates: int = 300           # per layer, when stacked
    optimizer: str = "adam"
    learning_rate: float = 0.005
    batch_size: int = 64
    clip: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "n_inputs", checks.whole("n_inputs", self.n_inputs, 1, MAX_INPUTS))
        if isinstance(self.encoder, (str, bytes)) or not hasattr(self.encoder, "__len__") or len(self.encoder) > MAX_LAYERS:
            raise ValueError(f"encoder must be a tuple of at most {MAX_LAYERS} widths, got {checks.describe(self.encoder)}")
        set_(self, "encoder", tuple(checks.whole(f"encoder[{i}]", w, 1, MAX_WIDTH) for i, w in enumerate(self.encoder)))
        set_(self, "code", checks.whole("code", self.code, 1, MAX_WIDTH))
        set_(self, "activation", checks.one_of("activation", self.activation, ELEMENTWISE))
        set_(self, "code_activation", checks.one_of("code_activation", self.code_activation, ELEMENTWISE))
        set_(self, "output", checks.one_of("output", self.output, OUTPUTS))
        for name in ("tied", "variational", "stacked"):
            set_(self, name, checks.flag(name, getattr(self, name)))
        set_(self, "beta", checks.real("beta", self.beta, 0.0, 1000.0))
        set_(self, "noise", checks.one_of("noise", self.noise, NOISES))
        set_(self, "noise_level", checks.real("noise_level", self.noise_level, 0.0, 10.0))
        if self.noise == "masking" and self.noise_level >= 1.0:
            raise ValueError(f"noise_level: masking drops each input with this probability; it must be below 1, "
                             f"got {self.noise_level:g}")
        set_(self, "sparsity", checks.one_of("sparsity", self.sparsity, SPARSITIES))
        set_(self, "sparsity_weight", checks.real("sparsity_weight", self.sparsity_weight, 0.0, 1000.0))
        set_(self, "sparsity_target", checks.real("sparsity_target", self.sparsity_target, 0.0, 1.0,
                                                  lo_open=True, hi_open=True))
        set_(self, "contractive", checks.real("contractive", self.contractive, 0.0, 1000.0))
        set_(self, "pretrain_updates", checks.whole("pretrain_updates", self.pretrain_updates, 1, 100_000))
        set_(self, "optimizer", checks.one_of("optimizer", self.optimizer, OPTIMIZERS))
        set_(self, "learning_rate", checks.real("learning_rate", self.learning_rate, 0.0, 100.0, lo_open=True))
        set_(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, limits.AE_MAX_BATCH))
        set_(self, "clip", checks.real("clip", self.clip, 0.0, 1e6))
        set_(self, "seed", checks.seed("seed", self.seed))
        if self.variational and (self.sparsity != "none" or self.contractive > 0):
            raise ValueError("a variational autoencoder takes no sparsity or contractive term (its KL term "
                             "shapes the code)")
        if self.sparsity == "kl" and self.code_activation != "sigmoid":
            raise ValueError("sparsity 'kl' compares mean activations with a target in (0, 1): it needs "
                             "code_activation 'sigmoid'")
        if self.contractive > 0 and self.code_activation not in ("sigmoid", "tanh"):
            raise ValueError("the contractive term is written for a sigmoid or tanh code layer: set code_activation")
        if self.stacked and self.variational:
            raise ValueError("stacked pre-training is for a plain autoencoder, not a variational one")

    def widths(self) -> list[int]:
        """Every layer's width from the input to the output: n, encoder..., code, reversed encoder..., n."""
        return [self.n_inputs, *self.encoder, self.code, *reversed(self.encoder), self.n_inputs]


@dataclass
class AEHistory:
    updates: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)   # mean over the call's updates (their batches)
    test_loss: list[float] = field(default_factory=list)    # reconstruction, per sample, on the test rows
    kl: list[float] = field(default_factory=list)           # VAE: KL per sample (test rows)
    penalty: list[float] = field(default_factory=list)      # sparsity + contraction of the last update
    code_mean: list[float] = field(default_factory=list)    # mean code activation (test rows)


class Autoencoder:
    """An autoencoder on ``data`` (n, n_inputs): values in [0, 1] (or any, with a linear output);
    below 0 means unknown. ``labels`` (optional) only colour pictures."""

    def __init__(self, config: AEConfig, data, labels=None, test_share: float = 0.2) -> None:
        if not isinstance(config, AEConfig):
            raise ValueError(f"config must be an AEConfig, got {checks.describe(config)}")
        x = checks.array("data", data, ndim=2, lo=-1e6, hi=1e6, min_rows=4)
        if x.shape[1] != config.n_inputs:
            raise ValueError(f"data must have {config.n_inputs} columns (n_inputs), got {x.shape[1]}")
        test_share = checks.real("test_share", test_share, 0.0, 0.9)
        self.config = config
        if config.output == "sigmoid" and x.max() > 1.0:
            raise ValueError("data: a sigmoid output reconstructs values in [0, 1]; scale the data or use output 'linear'")
        # below 0 means unknown only where values live in [0, 1]; a linear output takes any value
        self.known = x >= 0 if config.output == "sigmoid" else np.ones(x.shape, dtype=bool)
        self.has_unknown = not self.known.all()
        self.x = np.where(self.known, x, 0.0)
        self.mask = self.known.astype(float)   # what the kernel reads: 1 known, 0 left out of the loss
        self.labels = None if labels is None else checks.labels("labels", labels, 1000, len(x))
        rng = np.random.default_rng([config.seed, 7])
        order = rng.permutation(len(x))
        n_test = max(1, int(round(len(x) * test_share))) if test_share > 0 else 0
        self.train_rows, self.test_rows = np.sort(order[n_test:]), np.sort(order[:n_test])
        if len(self.train_rows) < 1:
            raise ValueError("data: too few rows to train on")
        self.rng = np.random.default_rng(config.seed)
        self._layout()
        self.theta = self._initial_parameters()
        self.opt = OptimizerConfig(**{**default_config(config.optimizer).__dict__, "lr": config.learning_rate})
        self.s1, self.s2, self.s3 = (np.zeros_like(self.theta) for _ in range(3))
        self.updates = 0
        self.status = "running"
        self.history = AEHistory()
        self.stage = 0 if config.stacked and config.encoder else None   # greedy layer being pre-trained
        self._stage_model = None
        self._stage_done = 0
        self._record(float("nan"), 0.0)

    # ---- layout and parameters ------------------------------------------------------------------
    def _layout(self) -> None:
        c = self.config
        w = c.widths()
        L = len(w) - 1
        self.E = len(c.encoder)                      # the code layer
        s_in = np.array(w[:-1], dtype=np.int64)
        s_out = np.array(w[1:], dtype=np.int64)
        if c.variational:
            s_out[self.E] = 2 * c.code
        acts = [c.activation] * L
        acts[self.E] = "linear" if c.variational else c.code_activation
        acts[L - 1] = c.output
        self.act = np.array([ACT_CODES[a] for a in acts], dtype=np.int64)
        self.s_in, self.s_out = s_in, s_out
        w_off, w_t, b_off = np.zeros(L, np.int64), np.zeros(L, np.bool_), np.zeros(L, np.int64)
        at = 0
        for l in range(L):
            if c.tied and not c.variational and l > self.E:   # the encoder twin's matrix, transposed
                w_off[l], w_t[l] = w_off[L - 1 - l], True
            else:
                w_off[l] = at
                at += s_in[l] * s_out[l]
        for l in range(L):
            b_off[l] = at
            at += s_out[l]
        self.w_off, self.w_t, self.b_off, self.n_params = w_off, w_t, b_off, at
        checks.budget("batch x widths", 4.0 * c.batch_size * sum(w) * 2)

    def _initial_parameters(self) -> np.ndarray:
        theta = np.zeros(self.n_params)
        for l in range(len(self.s_in)):
            if self.w_t[l]:
                continue
            fan_in, fan_out = int(self.s_in[l]), int(self.s_out[l])
            lim = np.sqrt(6.0 / (fan_in + fan_out))
            theta[self.w_off[l]:self.w_off[l] + fan_in * fan_out] = self.rng.uniform(-lim, lim, fan_in * fan_out)
        return theta

    def layer_weights(self, layer: int, vector: np.ndarray | None = None) -> np.ndarray:
        """Layer ``layer``'s (s_in, s_out) weight matrix (a copy; a tied layer's is its twin's
        transpose), from ``theta`` or from ``vector`` laid out as it (a gradient)."""
        layer = checks.whole("layer", layer, 0, len(self.s_in) - 1)
        return np.array(k._weights(checks.flat_like("vector", vector, self.theta), self.w_off, self.w_t, self.s_in, self.s_out, layer))

    def layer_biases(self, layer: int, vector: np.ndarray | None = None) -> np.ndarray:
        layer = checks.whole("layer", layer, 0, len(self.s_in) - 1)
        return checks.flat_like("vector", vector, self.theta)[self.b_off[layer]:self.b_off[layer] + self.s_out[layer]].copy()

    def _common(self) -> tuple:
        c = self.config
        alpha = 0.01 if c.activation == "leaky_relu" else 1.0
        return (self.theta, self.w_off, self.w_t, self.b_off, self.s_in, self.s_out, self.act, alpha, self.E,
                c.variational)

    # ---- training ---------------------------------------------------------------------------------
    @property
    def most_updates_per_call(self) -> int:
        work = self.config.batch_size * sum(a * b for a, b in zip(self.s_in, self.s_out)) * 3.0
        return max(1, min(limits.AE_MAX_UPDATES_PER_CALL, int(limits.AE_MAX_WORK_PER_CALL / max(work, 1.0))))

    def corrupt(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """``x`` with this configuration's noise (the denoising autoencoder's input)."""
        c = self.config
        rng = self.rng if rng is None else rng
        if c.noise == "masking":
            return x * (rng.random(x.shape) >= c.noise_level)
        if c.noise == "gaussian":
            return x + rng.normal(0.0, c.noise_level, x.shape)
        return x.copy()

    def step(self, n_updates: int = 1, record: bool = True) -> str:
        """Train ``n_updates`` mini-batches (while stacked pre-training runs: of the current layer).
        ``record``: add the mean loss of these updates (and the test set's) to the history; without
        it the updates skip computing their cross-entropy (divergence is still seen)."""
        n_updates = checks.whole("n_updates", n_updates, 1, self.most_updates_per_call)
        if self.status == "diverged":
            return self.status
        if self.stage is not None:
            return self._pretrain(n_updates, record)
        c = self.config
        B = min(c.batch_size, len(self.train_rows))
        batches = self.train_rows[self.rng.integers(0, len(self.train_rows), (n_updates, B))]
        corrupted = c.noise != "none"   # otherwise the kernel reads the inputs from the data itself
        x_in = self.corrupt(self.x[batches]) if corrupted else np.zeros((1, 1, 1))
        eps = self.rng.normal(size=(n_updates, B, c.code)) if c.variational else np.zeros((n_updates, 1, 1))
        losses, parts = np.zeros(n_updates), np.zeros((n_updates, 4))
        done, code = k.train(*self._common(), c.beta, k.BCE if c.output == "sigmoid" else k.MSE,
                             {"none": k.NO_SPARSITY, "l1": k.SPARSE_L1, "kl": k.SPARSE_KL}[c.sparsity],
                             c.sparsity_weight, c.sparsity_target, c.contractive, self.x, x_in, corrupted,
                             self.mask, self.has_unknown, batches, eps, c.clip, self.opt.code, self.opt.hyper_vector(),
                             self.s1, self.s2, self.s3, self.updates, losses, parts, bool(record))
        self.updates += done
        if code == k.DIVERGED or not np.all(np.isfinite(self.theta)):
            self.status = "diverged"
            self._record(float("nan"), float("nan"))
            return self.status
        if record:
            self._record(float(losses[:done].mean()), float(parts[done - 1, 2] + parts[done - 1, 3]))
        return self.status

    def _pretrain(self, n_updates: int, record: bool) -> str:
        """Greedy layer-wise: encoder layer ``stage`` and its mirror trained as a shallow autoencoder
        on the codes of the (already trained) layers below."""
        c = self.config
        L = len(self.s_in)
        s = self.stage
        if self._stage_model is None:
            below = self.encode_layers(self.x, s)
            shallow = replace(c, n_inputs=int(self.s_in[s]), encoder=(), code=int(self.s_out[s]), stacked=False,
                              code_activation=c.code_activation if s == self.E else c.activation,
                              output=c.output if s == 0 else ("linear" if c.activation != "sigmoid" else "sigmoid"),
                              tied=False, seed=c.seed + 101 * (s + 1))
            self._stage_model = Autoencoder(shallow, below, test_share=0.0 if len(below) < 10 else 0.1)
            self._stage_done = 0
        todo = min(n_updates, c.pretrain_updates - self._stage_done)
        status = self._stage_model.step(todo, record=False)
        self._stage_done += todo
        self.updates += todo
        if status == "diverged":
            self.status = "diverged"
            return self.status
        if self._stage_done >= c.pretrain_updates:   # copy the layer pair in, go up one
            sub = self._stage_model
            mirror = L - 1 - s
            self.theta[self.w_off[s]:self.w_off[s] + self.s_in[s] * self.s_out[s]] = sub.layer_weights(0).ravel()
            self.theta[self.b_off[s]:self.b_off[s] + self.s_out[s]] = sub.theta[sub.b_off[0]:sub.b_off[0] + sub.s_out[0]]
            self.theta[self.w_off[mirror]:self.w_off[mirror] + self.s_in[mirror] * self.s_out[mirror]] = \
                sub.layer_weights(1).ravel()
            self.theta[self.b_off[mirror]:self.b_off[mirror] + self.s_out[mirror]] = \
                sub.theta[sub.b_off[1]:sub.b_off[1] + sub.s_out[1]]
            self.stage = s + 1 if s + 1 <= self.E else None
            self._stage_model = None
        if record:
            self._record(float(self._stage_model.history.test_loss[-1]) if self._stage_model else float("nan"), 0.0)
        return self.status

    @property
    def phase(self) -> str:
        if self.stage is None:
            return "fine-tuning" if self.config.stacked else "training"
        return f"pre-training layer {self.stage + 1} of {self.E + 1}"

    def _record(self, train_loss: float, penalty: float) -> None:
        h = self.history
        h.updates.append(self.updates)
        h.train_loss.append(train_loss)
        rows = self.test_rows if len(self.test_rows) else self.train_rows
        loss, kl, code = self._scores(rows[:500])   # one forward pass for the loss and the code
        h.test_loss.append(loss)
        h.kl.append(kl)
        h.penalty.append(penalty)
        h.code_mean.append(float(np.mean(code)))

    # ---- using it ---------------------------------------------------------------------------------
    def _rows_in(self, x, name: str = "x") -> np.ndarray:
        x = checks.array(name, x, ndim=(1, 2), lo=-1e6, hi=1e6)
        x = x[None] if x.ndim == 1 else x
        if x.shape[1] != self.config.n_inputs:
            raise ValueError(f"{name} must have {self.config.n_inputs} values per row, got {x.shape[1]}")
        checks.budget(f"{name} rows x widths", float(len(x)) * sum(self.config.widths()) * 2)
        return np.ascontiguousarray(x)

    def _run(self, x: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros((len(x), self.config.n_inputs))
        code = np.zeros((len(x), self.config.code))
        if len(x):
            k.run(*self._common(), x, first, code, out)
        return code, out

    def encode(self, x) -> np.ndarray:
        """The code of each row (the VAE: its mean mu)."""
        return self._run(self._rows_in(x), 0)[0]

    def reconstruct(self, x) -> np.ndarray:
        """decoder(encoder(x)) (the VAE: decoded from mu)."""
        return self._run(self._rows_in(x), 0)[1]

    def encode_and_reconstruct(self, x) -> tuple[np.ndarray, np.ndarray]:
        """``encode(x)`` and ``reconstruct(x)`` from one forward pass."""
        return self._run(self._rows_in(x), 0)

    def decode(self, codes) -> np.ndarray:
        """The decoder's output for each code (rows of ``code`` values)."""
        z = checks.array("codes", codes, ndim=(1, 2), lo=-1e6, hi=1e6)
        z = z[None] if z.ndim == 1 else z
        if z.shape[1] != self.config.code:
            raise ValueError(f"codes must have {self.config.code} values per row, got {z.shape[1]}")
        out = np.zeros((len(z), self.config.n_inputs))
        if len(z):
            k.run(*self._common(), np.ascontiguousarray(z), self.E + 1, np.zeros((len(z), 1)), out)
        return out

    def encode_layers(self, x, upto: int) -> np.ndarray:
        """The output of the first ``upto`` layers (the input to layer ``upto``)."""
        h = self._rows_in(x)
        if upto == 0:
            return h.copy()
        sub = np.zeros((len(h), int(self.s_out[upto - 1])))
        common = list(self._common())
        common[4], common[5] = self.s_in[:upto].copy(), self.s_out[:upto].copy()
        common[6] = self.act[:upto].copy()
        k.run(*common, h, 0, np.zeros((len(h), 1)), sub)
        return sub

    def loss(self, rows) -> tuple[float, float]:
        """(reconstruction loss per sample, KL per sample for the VAE) on rows of the data, with
        clean inputs and the VAE decoding from mu."""
        rows = checks.array("rows", rows, ndim=1, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self.x)):
            raise ValueError(f"rows must be row numbers 0 to {len(self.x) - 1}")
        if rows.size == 0:
            return float("nan"), float("nan")
        return self._scores(rows)[:2]

    def _scores(self, rows: np.ndarray) -> tuple[float, float, np.ndarray]:
        """``loss`` on checked, non-empty ``rows``, and their codes from the same forward pass."""
        x, known = self.x[rows], self.known[rows]
        code, out = self._run(np.ascontiguousarray(x), 0)
        with np.errstate(all="ignore"):
            if self.config.output == "sigmoid":
                p = np.clip(out, 1e-12, 1 - 1e-12)
                terms = -(x * np.log(p) + (1 - x) * np.log(1 - p))
            else:
                terms = (out - x) ** 2
            recon = float((terms * known).sum(axis=1).mean())
            kl = 0.0
            if self.config.variational:
                c = self.config.code
                full = self.encode_layers(x, self.E + 1)
                mu, lv = full[:, :c], np.clip(full[:, c:], -30, 30)
                kl = float((-0.5 * (1 + lv - mu ** 2 - np.exp(lv))).sum(axis=1).mean())
        return recon, kl, code

    def loss_and_gradient(self, x_in, target, eps=None) -> tuple[float, np.ndarray, np.ndarray]:
        """The training loss on one batch (corrupted ``x_in``, clean ``target``) and its gradient
        (flat, as ``theta``); also (reconstruction, KL, sparsity, contraction)."""
        x_in = self._rows_in(x_in, "x_in")
        target = self._rows_in(target, "target")
        if len(target) != len(x_in):
            raise ValueError(f"x_in and target need the same rows, got {len(x_in)} and {len(target)}")
        c = self.config
        if eps is None:
            eps = np.zeros((len(x_in), c.code)) if c.variational else np.zeros((1, 1))
        else:
            eps = checks.array("eps", eps, shape=(len(x_in), c.code))
        grad, parts = np.zeros_like(self.theta), np.zeros(4)
        mask = (target >= 0).astype(float) if self.has_unknown else np.ones_like(target)
        loss = k.loss_and_gradient(*self._common(), c.beta, k.BCE if c.output == "sigmoid" else k.MSE,
                                   {"none": k.NO_SPARSITY, "l1": k.SPARSE_L1, "kl": k.SPARSE_KL}[c.sparsity],
                                   c.sparsity_weight, c.sparsity_target, c.contractive, x_in,
                                   np.where(target >= 0, target, 0.0) if self.has_unknown else target, mask, eps,
                                   grad, parts)
        return float(loss), grad, parts.copy()
