"""A multi-layer perceptron trained by a fused Numba kernel (see engine.kernels.mlp).

For layer l with weights W_l and biases b_l:   z_l = a_{l-1} W_l + b_l,   a_l = f_l(z_l).
The output layer is linear for regression (loss MSE or MAE), a sigmoid for binary
classification (binary cross-entropy) or a softmax for multiclass (categorical cross-entropy),
the last two computed from the logits so they never overflow. Backpropagation:
    delta_L = dLoss/dz_L,   delta_l = (delta_{l+1} W_{l+1}^T) * f_l'(z_l),
    dLoss/dW_l = a_{l-1}^T delta_l / batch,   dLoss/db_l = mean of delta_l,
plus l2 * W (penalty 0.5 * l2 * ||W||^2) and l1 * sign(W) on weights, not biases.
Dropout is inverted dropout on hidden layers while training; evaluation uses every unit.
Residual connections (``residual``): a hidden layer as wide as the one before it outputs
a_l = f_l(z_l) + a_{l-1}, so dLoss/da_{l-1} = delta_l W_l^T + dLoss/da_l (He et al., 2016).
Batch normalisation (``batch_norm``, Ioffe and Szegedy, 2015) of every hidden layer, "before" its
activation (a_l = f(gamma (z_l - mean) / sqrt(var + eps) + beta)) or "after" it (on f(z_l), after
dropout): while training, the mean and variance are the mini-batch's own and gradients flow through
them; evaluation and predictions use running averages (momentum 0.1, eps 1e-5, the unbiased batch
variance: PyTorch's BatchNorm1d). gamma starts at 1, beta at 0; both train with the weights, and
no L1/L2 penalty touches them.

Defaults: one hidden layer of 4 tanh units, Adam at 0.03, batch 10, Xavier init: a small net
that learns the circle dataset in a few hundred steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine import backend, checks
from engine.activations import DEFAULT_ALPHA, ELEMENTWISE, activate_and_derivative, activation_code
from engine.initializers import INITIALIZERS, initialize
from engine.kernels import mlp as k
from engine.losses import LOSS_CODES
from engine.limits import MLP_BN_MAX_BATCH, MLP_MAX_CLASSES, MLP_MAX_SAMPLES
from engine.limits import MLP_MC_MAX_PASSES as MC_MAX_PASSES
from engine.limits import MLP_MAX_INPUTS as MAX_INPUTS
from engine.limits import MLP_MAX_LAYERS as MAX_LAYERS
from engine.limits import MLP_MAX_STEPS_PER_CALL as MAX_STEPS_PER_CALL
from engine.limits import MLP_MAX_UNITS as MAX_UNITS
from engine.optimizers import Optimizer, OptimizerConfig
from engine.schedules import ScheduleConfig

TASKS = ("regression", "binary", "multiclass", "custom")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax")  # in the kernel's OUT_* order
OUTPUT_LOSSES = ("mse", "mse_half", "mae", "bce", "cce", "hinge")
BATCH_NORM = ("off", "before", "after")   # where hidden layers normalise: the kernel's BN_* codes
TRACE_MAX_SAMPLES = 64  # backprop_trace: a worked example, not a training set


@dataclass(frozen=True)
class MLPConfig:
    """Architecture and training options; validated on construction (ValueError in plain words)."""
    n_inputs: int = 2
    hidden: tuple[int, ...] = (4,)
    activations: tuple[str, ...] = ("tanh",)
    task: str | None = None         # "binary" unless an output layer is described below ("custom")
    # a general output layer (task "custom"): any width, its activation and the loss, as the
    # classic walk-through writes it: MLPConfig(n_outputs=2, output_activation="sigmoid", loss="mse_half")
    n_outputs: int = 0              # 0: what the task implies (1, or n_classes for multiclass)
    output_activation: str | None = None  # linear / sigmoid / tanh / softmax
    loss: str | None = None         # mse, mse_half, mae, bce, cce, hinge
    freeze_biases: bool = False     # biases keep their values (get no gradient)
    n_classes: int = 2              # used by multiclass
    regression_loss: str = "mse"    # "mse" or "mae"
    optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", lr=0.03))
    init: str = "xavier_uniform"
    init_value: float = 1.0         # for init="constant"
    init_scale: float = 0.05        # for init="uniform" (the bound) and "normal" (the deviation)
    batch_size: int = 10
    shuffle: bool = True
    l1: float = 0.0
    l2: float = 0.0
    dropout: tuple[float, ...] = ()  # one rate per hidden layer; empty = none
    clip_norm: float = 0.0           # 0 = no clipping
    leaky_slope: float = DEFAULT_ALPHA["leaky_relu"]
    early_stopping_patience: int = 0  # epochs without validation improvement; 0 = off
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)  # the learning rate over the updates
    residual: bool = False          # skip connections: a hidden layer as wide as the one before adds its input
    batch_norm: str = "off"         # batch normalisation of the hidden layers: "off", "before" / "after" f
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: store the checked, normalised values
        set_(self, "n_inputs", checks.whole("n_inputs", self.n_inputs, 1, MAX_INPUTS))
        if isinstance(self.hidden, (str, bytes)) or not hasattr(self.hidden, "__len__"):
            raise ValueError(f"hidden must be a tuple of layer widths, got {checks.describe(self.hidden)}")
        if len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"hidden: at most {MAX_LAYERS} hidden layers, got {len(self.hidden)}")
        set_(self, "hidden", tuple(checks.whole(f"hidden[{i}]", n, 1, MAX_UNITS) for i, n in enumerate(self.hidden)))
        if isinstance(self.activations, str) or not hasattr(self.activations, "__len__") \
                or len(self.activations) != len(self.hidden):
            raise ValueError(f"activations must give one name per hidden layer ({len(self.hidden)}), "
                             f"got {checks.describe(self.activations)}")
        set_(self, "activations", tuple(checks.one_of(f"activations[{i}]", a, ELEMENTWISE)
                                        for i, a in enumerate(self.activations)))
        custom = self.output_activation is not None or self.loss is not None or self.task == "custom"
        if custom:
            if self.task not in (None, "custom"):
                raise ValueError(f"task {self.task!r} fixes its own output layer; an output_activation or loss "
                                 "describes a custom one (task='custom' or no task)")
            set_(self, "task", "custom")
            if self.output_activation is None or self.loss is None or not self.n_outputs:
                raise ValueError("a custom output layer needs n_outputs, output_activation and loss, got "
                                 f"{self.n_outputs!r}, {self.output_activation!r} and {self.loss!r}")
            # as wide as the widest input, so a network can give back its input (an autoencoder)
            set_(self, "n_outputs", checks.whole("n_outputs", self.n_outputs, 1, MAX_INPUTS))
            checks.one_of("output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
            checks.one_of("loss", self.loss, OUTPUT_LOSSES)
            if self.output_activation == "softmax" and self.n_outputs < 2:
                raise ValueError("a softmax output needs at least 2 outputs (one is always 1)")
            if self.loss in ("bce", "cce") and self.output_activation not in ("sigmoid", "softmax"):
                raise ValueError(f"loss {self.loss!r} takes probabilities: use a sigmoid or softmax output, "
                                 f"not {self.output_activation!r}")
        else:
            set_(self, "task", "binary" if self.task is None else self.task)
            checks.one_of("task", self.task, TASKS)
        set_(self, "freeze_biases", checks.flag("freeze_biases", self.freeze_biases))
        set_(self, "n_classes", checks.whole("n_classes", self.n_classes, 2, MLP_MAX_CLASSES))
        if self.task == "multiclass" and self.n_classes < 3:
            raise ValueError(f"n_classes: multiclass needs 3 to {MLP_MAX_CLASSES} classes, got {self.n_classes!r}")
        checks.one_of("regression_loss", self.regression_loss, ("mse", "mae"))
        if not isinstance(self.optimizer, OptimizerConfig):
            raise ValueError(f"optimizer must be an OptimizerConfig, got {checks.describe(self.optimizer)}")
        set_(self, "residual", checks.flag("residual", self.residual))
        checks.one_of("batch_norm", self.batch_norm, BATCH_NORM)
        if not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(f"schedule must be a ScheduleConfig, got {checks.describe(self.schedule)}")
        checks.one_of("init", self.init, INITIALIZERS)
        set_(self, "init_value", checks.real("init_value", self.init_value, -1e3, 1e3))
        set_(self, "init_scale", checks.real("init_scale", self.init_scale, 0.0, 1e3))
        # a batch larger than the training set is the full batch
        set_(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, 2**31))
        set_(self, "shuffle", checks.flag("shuffle", self.shuffle))
        if self.batch_norm != "off" and self.batch_size < 2:
            raise ValueError("batch normalisation needs batches of at least 2 samples: one sample is its own "
                             "mean, so every unit would normalise to 0 and forget its input")
        for name in ("l1", "l2", "clip_norm", "leaky_slope"):
            set_(self, name, checks.real(name, getattr(self, name), 0.0, 1e6))
        if isinstance(self.dropout, str) or not hasattr(self.dropout, "__len__") \
                or (self.dropout and len(self.dropout) != len(self.hidden)):
            raise ValueError("dropout must give one rate per hidden layer (or none), "
                             f"got {checks.describe(self.dropout)}")
        set_(self, "dropout", tuple(checks.real(f"dropout[{i}]", r, 0.0, 1.0, hi_open=True)
                                    for i, r in enumerate(self.dropout)))
        set_(self, "early_stopping_patience",
             checks.whole("early_stopping_patience", self.early_stopping_patience, 0, 100_000))
        set_(self, "seed", checks.seed("seed", self.seed))

        if not custom:  # the task implies its output layer (whatever a copy of another config carried)
            set_(self, "n_outputs", self.n_classes if self.task == "multiclass" else 1)

    @property
    def sizes(self) -> tuple[int, ...]:
        return (int(self.n_inputs), *map(int, self.hidden), int(self.n_outputs))

    @property
    def skips(self) -> tuple[int, ...]:
        """Per layer (weights l): 1 where its output adds its input, a residual connection. Only
        between hidden layers of the same width, the first hidden layer and the output never."""
        n = len(self.hidden)
        return tuple(int(self.residual and 1 <= l < n and self.hidden[l - 1] == self.hidden[l])
                     for l in range(n + 1))

    @property
    def bn_codes(self) -> tuple[int, ...]:
        """Per layer (weights l): the kernel's batch-normalisation code; the output layer none."""
        return (BATCH_NORM.index(self.batch_norm),) * len(self.hidden) + (k.BN_OFF,)

    @property
    def out_kind(self) -> int:
        if self.task == "custom":
            return k.GENERAL + OUTPUT_ACTIVATIONS.index(self.output_activation)
        return {"regression": k.REGRESSION, "binary": k.BINARY, "multiclass": k.MULTICLASS}[self.task]

    @property
    def output_function(self) -> str:
        """What the output layer applies to its net inputs (one of OUTPUT_ACTIVATIONS), any task."""
        if self.task == "custom":
            return self.output_activation
        return {"regression": "linear", "binary": "sigmoid", "multiclass": "softmax"}[self.task]

    @property
    def loss_name(self) -> str:
        """The loss trained on (a name of engine.losses), any task."""
        if self.task == "custom":
            return self.loss
        return {"binary": "bce", "multiclass": "cce"}.get(self.task, self.regression_loss)

    @property
    def loss_code(self) -> int:
        """The kernel's loss code: a losses-kernel code for a custom output, else the regression loss."""
        if self.task == "custom":
            return LOSS_CODES[self.loss]
        return k.SQUARED if self.regression_loss == "mse" else k.ABSOLUTE


def tf_playground_config(n_inputs: int, hidden: tuple[int, ...], activations: tuple[str, ...], *,
                         regression: bool, lr: float, batch_size: int, n_train: int, regularization: str = "none",
                         rate: float = 0.0, init_zero: bool = False, **more) -> MLPConfig:
    """A network that trains as playground.tensorflow.org does (its src/nn.ts and playground.ts),
    so the loss figures of exercises written for it mean the same here: targets -1 / +1 and a
    tanh output (a linear one for regression), 1/2 squared error averaged over a batch, plain SGD
    through the training points in a fixed order, weights U(-0.5, 0.5) and biases 0.1 (all 0 when
    ``init_zero``), and the L1 / L2 penalty's derivative times ``rate`` divided by the batch's size
    (its updateWeights divides the whole sum by the number of points). ``more``: other MLPConfig
    fields (dropout, schedule, seed, ...). Where it still differs: TF carries a last short batch's
    gradients into the next epoch (here a short batch updates at the epoch's end), and its L1
    derivative at exactly 0 is +1 (here 0)."""
    checks.one_of("regularization", regularization, ("none", "L1", "L2"))
    batch_size = checks.whole("batch_size", batch_size, 1, 2**31)
    n_train = checks.whole("n_train", n_train, 1, MLP_MAX_SAMPLES)
    per = checks.real("rate", rate, 0.0, 1e6) / min(batch_size, n_train)
    return MLPConfig(n_inputs=n_inputs, hidden=hidden, activations=activations, n_outputs=1,
                     output_activation="linear" if regression else "tanh", loss="mse_half",
                     optimizer=OptimizerConfig("sgd", lr=lr), init="zeros" if init_zero else "tf_playground",
                     batch_size=batch_size, shuffle=False, l1=per if regularization == "L1" else 0.0,
                     l2=per if regularization == "L2" else 0.0, **more)


@dataclass
class History:
    """One entry per ``step`` call (a frame): where training stood after it."""
    step: list[int] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)   # loss of the slice's last mini-batch
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    layer_grad_norms: list[np.ndarray] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)            # the learning rate of the last update


@dataclass
class MLPSnapshot:
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    step: int
    epoch: float
    history: History
    status: str                 # "ready", "training", "diverged", "stopped_early"
    layer_grad_norms: np.ndarray


class MLP:
    """A network plus its data and training state: ``step(n)`` trains, ``snapshot()`` reports.

    ``x_val``/``y_val`` (optional) are the validation set early stopping watches.
    Targets: class indices for binary/multiclass, values for regression.
    """

    def __init__(self, config: MLPConfig, x_train: np.ndarray, y_train: np.ndarray,
                 x_test: np.ndarray | None = None, y_test: np.ndarray | None = None,
                 x_val: np.ndarray | None = None, y_val: np.ndarray | None = None) -> None:
        if not isinstance(config, MLPConfig):
            raise ValueError(f"config must be an MLPConfig, got {checks.describe(config)}")
        self.config = config
        if (x_test is None) != (y_test is None) or (x_val is None) != (y_val is None):
            raise ValueError("give a test or validation set as both inputs and targets, or neither")
        self.x_train, self.y_train = self._data(x_train, y_train, "train")
        self._xt_train = np.ascontiguousarray(self.x_train.T)  # the kernels read features x samples
        self.x_test, self.y_test = self._data(x_test, y_test, "test") if x_test is not None else (None, None)
        self.x_val, self.y_val = self._data(x_val, y_val, "val") if x_val is not None else (None, None)
        if config.early_stopping_patience and self.x_val is None:
            raise ValueError("early stopping needs a validation set")
        sizes = np.array(config.sizes, dtype=np.int64)
        self._sizes = sizes
        self._w_off = np.zeros(len(sizes) - 1, dtype=np.int64)
        self._b_off = np.zeros(len(sizes) - 1, dtype=np.int64)
        pos = 0
        for l in range(len(sizes) - 1):
            self._w_off[l] = pos
            pos += sizes[l] * sizes[l + 1]
            self._b_off[l] = pos
            pos += sizes[l + 1]
        self._bn = np.array(config.bn_codes, dtype=np.int64)
        self._g_off = np.zeros(len(sizes) - 1, dtype=np.int64)   # batch norm's gamma, then beta
        for l in range(len(sizes) - 2):
            if self._bn[l]:
                self._g_off[l] = pos
                pos += 2 * sizes[l + 1]
        self.n_params = pos
        self._u_off = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._act_codes = np.array([activation_code(a) for a in config.activations] + [0], dtype=np.int64)
        self._skips = np.array(config.skips, dtype=np.int64)
        self._alpha = self._activation_parameter()
        rng = np.random.default_rng(config.seed)
        self.theta = np.zeros(self.n_params)
        for l in range(len(sizes) - 1):
            w = initialize(config.init, int(sizes[l]), int(sizes[l + 1]), rng, scale=config.init_scale,
                           value=config.init_value)
            self.theta[self._w_off[l]:self._b_off[l]] = w.ravel()
            if config.init == "tf_playground":   # TF Playground's nodes start with bias 0.1
                self.theta[self._b_off[l]:self._b_off[l] + sizes[l + 1]] = 0.1
            if self._bn[l]:
                self.theta[self._g_off[l]:self._g_off[l] + sizes[l + 1]] = 1.0   # gamma 1, beta 0
        self._norm = np.zeros((4, int(self._u_off[-1])))   # batch norm's running and last batch statistics
        self._norm[k.RUN_VAR] = 1.0
        self._rng_state = np.array([rng.integers(0, 2 ** 63)], dtype=np.uint64)
        self._order = np.arange(len(self.x_train), dtype=np.int64)
        if config.shuffle:
            k.shuffle(self._order, self._rng_state)
        self._cursor = np.array([0, 0, int(config.shuffle)], dtype=np.int64)
        self.optimizer = Optimizer(config.optimizer, self.n_params)
        self._grad = np.zeros(self.n_params)
        self._opt_t = np.zeros(1, dtype=np.int64)
        self._layer_norms = np.zeros(len(sizes) - 1)
        self._alloc_buffers()
        self.steps = 0
        self.status = "ready"
        self.history = History()
        self._best: tuple[float, np.ndarray, np.ndarray] | None = None
        self._epochs_since_best = 0

    # ---- set-up helpers -------------------------------------------------------------------
    def _inputs(self, x, name: str = "x") -> np.ndarray:
        return checks.array(name, x, shape=(None, self.config.n_inputs), min_rows=1,
                            max_elements=MLP_MAX_SAMPLES * self.config.n_inputs)

    def _data(self, x, y, what: str) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (n, n_inputs) and targets: values (n,) for regression, class numbers (n,)
        otherwise; returns the inputs and the targets as the kernels read them (n, outputs)."""
        xn, yn = (f"x_{what}", f"y_{what}") if what else ("x", "y")
        x = self._inputs(x, xn)
        if self.config.task == "custom":  # one row of targets per sample, one column per output
            n_out = int(self.config.n_outputs)
            y = checks.array(yn, y, ndim=(1, 2))
            if y.ndim == 1 and n_out == 1:
                y = y.reshape(-1, 1)
            if y.shape != (len(x), n_out):
                raise ValueError(f"{yn} must have shape ({len(x)}, {n_out}): a row of targets per row of {xn}, "
                                 f"got {y.shape}")
            if self.config.loss == "hinge" and np.all((y == 0) | (y == 1)):
                y = 2.0 * y - 1.0  # hinge reads -1/+1 targets; 0/1 are mapped, as engine.losses does
            return x, np.ascontiguousarray(y)
        if self.config.task == "regression":
            y = checks.array(yn, y, ndim=(1, 2))
            if y.ndim == 2 and y.shape[1] != 1 or len(y) != len(x):
                raise ValueError(f"{yn} must hold one target per row of {xn} ({len(x)}), got shape {y.shape}")
            return x, np.ascontiguousarray(y.reshape(-1, 1))
        labels = checks.labels(yn, y, self.config.n_outputs if self.config.task == "multiclass" else 2,
                               n=len(x))
        targets = (labels.reshape(-1, 1).astype(np.float64) if self.config.task == "binary"
                   else np.eye(self.config.n_classes)[labels])
        return x, np.ascontiguousarray(targets)

    def _activation_parameter(self) -> float:
        names = set(self.config.activations)
        if "leaky_relu" in names:
            return float(self.config.leaky_slope)
        return DEFAULT_ALPHA["elu"] if "elu" in names else 0.0

    def _alloc_buffers(self) -> None:
        rows = max(min(self.config.batch_size, len(self.x_train)),
                   *(len(a) for a in (self.x_train, self.x_test, self.x_val) if a is not None))
        batch = min(self.config.batch_size, len(self.x_train))
        if self.config.batch_norm != "off":   # a batch's statistics: the whole batch in one block
            if batch > MLP_BN_MAX_BATCH:
                raise ValueError(f"batch normalisation takes a mini-batch in one piece: at most {MLP_BN_MAX_BATCH} "
                                 f"samples per batch, got {batch}; choose a smaller batch size")
            if batch < 2:
                raise ValueError("batch normalisation needs at least 2 training samples per batch")
            rows = max(batch, min(rows, k.BLOCK))
        self._act, self._slope, self._delta = k.buffers(int(self._u_off[-1]), rows,
                                                        whole=self.config.batch_norm != "off")

    @property
    def _dropout(self) -> np.ndarray:
        rates = list(self.config.dropout) or [0.0] * len(self.config.hidden)
        return np.array(rates + [0.0], dtype=np.float64)

    # ---- training -------------------------------------------------------------------------
    @property
    def _schedule(self) -> np.ndarray:
        sc = self.config.schedule
        return np.array([sc.code, sc.warmup, sc.period, sc.gamma], dtype=np.float64)

    def learning_rate(self, s: int | None = None) -> float:
        """The learning rate of the update with ``s`` updates before it (default: the next one)."""
        return self.config.optimizer.lr * self.config.schedule.factor(self.steps if s is None else s)

    @property
    def epoch(self) -> float:
        return self._cursor[1] + self._cursor[0] / len(self.x_train)

    def set_config(self, config: MLPConfig) -> None:
        """Change training options mid-run, keeping the weights (architecture must not change)."""
        if not isinstance(config, MLPConfig):
            raise ValueError(f"config must be an MLPConfig, got {checks.describe(config)}")
        if config.sizes != self.config.sizes or config.activations != self.config.activations \
                or config.residual != self.config.residual or config.batch_norm != self.config.batch_norm:
            raise ValueError("architecture changed: build a new MLP")
        old = self.config
        self.config = config
        try:
            self._alloc_buffers()
        except ValueError:
            self.config = old
            raise
        self.optimizer.with_config(config.optimizer)
        self._alpha = self._activation_parameter()
        self._cursor[2] = int(config.shuffle)

    def step(self, n_steps: int = 1) -> str:
        """Run up to ``n_steps`` mini-batch updates; returns the status afterwards."""
        n_steps = checks.whole("n_steps", n_steps, 1, MAX_STEPS_PER_CALL)
        if self.status in ("diverged", "stopped_early"):
            return self.status
        c = self.config
        watch = c.early_stopping_patience > 0
        losses = np.empty(int(n_steps))
        done = 0
        while done < n_steps:
            ran, state = k.train_steps(
                self._xt_train, self.y_train, self.theta, self._grad, self.optimizer.s1,
                self.optimizer.s2, self.optimizer.s3, self._opt_t, self.optimizer._hyper,
                c.optimizer.code, self._sizes, self._w_off, self._b_off, self._u_off,
                self._act_codes, self._alpha, c.out_kind, c.loss_code,
                int(c.batch_size), int(n_steps - done), watch, float(c.l1), float(c.l2),
                self._dropout, float(c.clip_norm), self._order, self._cursor, self._rng_state,
                self._act, self._slope, self._delta, losses[done:], self._layer_norms, c.freeze_biases,
                self._schedule, self.steps, self._skips, self._bn, self._g_off, self._norm)
            done += ran
            self.steps += ran
            if state == k.DIVERGED:
                self.status = "diverged"
                break
            if watch and self._cursor[0] == 0 and self._epoch_end_says_stop():
                self.status = "stopped_early"
                break
        self.optimizer.t = int(self._opt_t[0])
        if self.status == "ready":
            self.status = "training"
        self._record(losses[:done])
        return self.status

    def _epoch_end_says_stop(self) -> bool:
        val = self.loss(self.x_val, self.y_val)
        if self._best is None or val < self._best[0] - 1e-9:
            self._best = (val, self.theta.copy(), self._norm.copy())
            self._epochs_since_best = 0
            return False
        self._epochs_since_best += 1
        if self._epochs_since_best >= self.config.early_stopping_patience:
            self.theta[:] = self._best[1]  # restore the best weights seen (and their running statistics)
            self._norm[:] = self._best[2]
            return True
        return False

    def _record(self, losses: np.ndarray) -> None:
        h = self.history
        h.step.append(self.steps)
        h.epoch.append(self.epoch)
        h.batch_loss.append(float(losses[-1]) if len(losses) else float("nan"))
        h.train_loss.append(self.loss(self.x_train, self.y_train))
        h.test_loss.append(self.loss(self.x_test, self.y_test) if self.x_test is not None else float("nan"))
        h.val_loss.append(self.loss(self.x_val, self.y_val) if self.x_val is not None else float("nan"))
        h.layer_grad_norms.append(self._layer_norms.copy())
        h.lr.append(self.learning_rate(max(self.steps - 1, 0)))

    # ---- evaluation -----------------------------------------------------------------------
    def loss(self, x: np.ndarray, y_targets: np.ndarray) -> float:
        """Mean data loss (no penalty) on prepared targets (n, outputs): the layout of
        ``y_train`` (one-hot rows for multiclass); evaluation mode (no dropout)."""
        own = any(x is a for a in (self.x_train, self.x_test, self.x_val) if a is not None)
        if not own:
            x = self._inputs(x)
        if not any(y_targets is a for a in (self.y_train, self.y_test, self.y_val) if a is not None):
            y_targets = checks.array("y_targets", y_targets, shape=(len(x), self.config.n_outputs))
        rows = np.arange(len(x), dtype=np.int64)
        xt = self._xt_train if x is self.x_train else np.ascontiguousarray(x.T)
        bufs = (self._act, self._slope, self._delta) if own else k.buffers(int(self._u_off[-1]), len(x))
        value = k.batch_gradient(xt, y_targets, rows, self.theta, self._grad, self._sizes,
                                 self._w_off, self._b_off, self._u_off, self._act_codes,
                                 self._alpha, self.config.out_kind, self.config.loss_code,
                                 self._dropout, False, self._rng_state, *bufs,
                                 0.0, 0.0, self._layer_norms, True, False, self._skips, self._bn, self._g_off,
                                 self._norm, k.BN_EVAL)
        return float(value)

    def loss_and_gradient(self, x: np.ndarray, y: np.ndarray, batch_stats: bool = False) -> tuple[float, np.ndarray]:
        """Full-batch data loss and gradient (with the L1/L2 terms) at the current weights, in
        evaluation mode (no dropout; batch normalisation by its running averages), or with
        ``batch_stats`` normalised by the statistics of ``x`` as one batch, as training does
        (the running averages do not move). The gradient's layout is ``theta``'s."""
        xs, targets = self._data(x, y, "")
        batch_stats = checks.flag("batch_stats", batch_stats) and self.config.batch_norm != "off"
        if batch_stats and len(xs) > MLP_BN_MAX_BATCH:
            raise ValueError(f"batch_stats: at most {MLP_BN_MAX_BATCH} samples in one batch, got {len(xs)}")
        rows = np.arange(len(xs), dtype=np.int64)
        act, slope, delta = k.buffers(int(self._u_off[-1]), len(xs), whole=batch_stats)
        grad = np.zeros(self.n_params)
        value = k.batch_gradient(np.ascontiguousarray(xs.T), targets, rows, self.theta, grad, self._sizes, self._w_off,
                                 self._b_off, self._u_off, self._act_codes, self._alpha,
                                 self.config.out_kind, self.config.loss_code,
                                 self._dropout, False, self._rng_state, act, slope, delta,
                                 float(self.config.l1), float(self.config.l2),
                                 np.zeros(len(self._sizes) - 1), True, True, self._skips, self._bn,
                                 self._g_off, self._norm, k.BN_BATCH if batch_stats else k.BN_EVAL)
        return float(value), grad

    def all_units(self, x: np.ndarray) -> np.ndarray:
        """(n, units) outputs of every unit (inputs, hidden, predictions) for each row of x.

        A transposed view of the kernel's (units, n) result: each unit's values are contiguous.
        """
        return self._units_with(self._inputs(x))

    def _units_with(self, x: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
        xt = np.ascontiguousarray(x.T)
        out = np.empty((int(self._u_off[-1]), xt.shape[1]))
        forward = backend.kernel("mlp_eval", float(xt.shape[1]) * self.n_params, k.forward_all,
                                 "cuda_mlp.forward_all")   # a big grid: the GPU's, where there is one
        forward(xt, self.theta, self._sizes, self._w_off, self._b_off, self._u_off,
                self._act_codes, self._alpha, self.config.out_kind, out, self._skips,
                np.empty(0) if scale is None else scale, self._bn, self._g_off, self._norm)
        return out.T

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, classes) / P(class 1) (n,) / values (n,) by task; a custom output
        layer's outputs (n, n_outputs)."""
        return self._predict_with(self._inputs(x))

    def _predict_with(self, x: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
        out = self._units_with(x, scale)[:, self._u_off[-2]:]
        return out if self.config.task in ("multiclass", "custom") else out[:, 0]

    def predict_mc(self, x: np.ndarray, passes: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Monte Carlo dropout (Gal and Ghahramani, 2016): ``passes`` predictions of ``x`` with
        dropout left on, each by one thinned network (every hidden unit dropped with its layer's
        rate, the kept ones scaled by 1 / (1 - rate), as in training: the same mask for every row
        of ``x``, so each pass is one function over the plane; a residual connection still adds the
        layer's input, as in training). Returns the mean prediction and
        its standard deviation over the passes, shaped as ``predict``'s. Without dropout every pass
        is the network itself and the deviation is 0."""
        passes = checks.whole("passes", passes, 1, MC_MAX_PASSES)
        seed = checks.seed("seed", seed)
        x = self._inputs(x)
        rng = np.random.default_rng(seed)
        scale = np.ones(int(self._u_off[-1]))   # per unit: 0 dropped, 1 / (1 - rate) kept, 1 elsewhere
        total = sq = None
        for _ in range(passes):
            for l, rate in enumerate(self._dropout[:-1]):   # hidden layer l + 1's units
                if rate > 0.0:
                    start, end = self._u_off[l + 1], self._u_off[l + 2]
                    scale[start:end] = (rng.random(end - start) >= rate) / (1.0 - rate)
            p = self._predict_with(x, scale)
            total = p.copy() if total is None else total + p
            sq = p * p if sq is None else sq + p * p
        mean = total / passes
        return mean, np.sqrt(np.maximum(sq / passes - mean * mean, 0.0))

    def layer_outputs(self, units: np.ndarray) -> list[np.ndarray]:
        """Split an ``all_units`` result into one (n, width) block per layer, inputs first."""
        return [units[:, self._u_off[l]:self._u_off[l + 1]] for l in range(len(self._sizes))]

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return self._layers(self.theta)

    def _layers(self, vec: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """A parameter-layout vector (theta, a gradient) as copies of per-layer (fan_in, fan_out)
        matrices and (fan_out,) vectors."""
        ws, bs = [], []
        for l in range(len(self._sizes) - 1):
            ws.append(vec[self._w_off[l]:self._b_off[l]].reshape(self._sizes[l], self._sizes[l + 1]).copy())
            bs.append(vec[self._b_off[l]:self._b_off[l] + self._sizes[l + 1]].copy())
        return ws, bs

    def set_weights(self, weights, biases) -> None:
        """Set every weight and bias, in the layout ``weights()`` returns: one (fan_in, fan_out)
        matrix and one (fan_out,) vector per layer. Shapes and finiteness are checked before
        anything changes. Training goes on from the new values; the optimizer's memory (momentum,
        Adam's moments) is kept, as TF Playground keeps it when a weight is edited. A diverged
        network with finite new values can train again."""
        n_layers = len(self._sizes) - 1
        if not isinstance(weights, (list, tuple)) or not isinstance(biases, (list, tuple)) \
                or len(weights) != n_layers or len(biases) != n_layers:
            raise ValueError(f"set_weights needs {n_layers} weight matrices and {n_layers} bias vectors "
                             f"(one per layer), got {checks.describe(weights)} and {checks.describe(biases)}")
        theta = self.theta.copy()
        for l in range(n_layers):
            fan_in, fan_out = int(self._sizes[l]), int(self._sizes[l + 1])
            w = checks.array(f"weights[{l}]", weights[l], shape=(fan_in, fan_out))
            b = checks.array(f"biases[{l}]", biases[l], shape=(fan_out,))
            theta[self._w_off[l]:self._b_off[l]] = w.ravel()
            theta[self._b_off[l]:self._b_off[l] + fan_out] = b
        self.theta[:] = theta
        if self.status == "diverged":
            self.status = "ready"

    def backprop_trace(self, x, y) -> dict:
        """Every number of one forward and backward pass over the samples ``x`` (at most
        TRACE_MAX_SAMPLES) with targets ``y`` (as ``step`` takes them), at the current weights,
        and the update one training step would make: the backpropagation walk-through, worked by
        the kernels that train (activations, slopes and deltas from the training kernel's own
        buffers; the loss's gradient from the losses kernel).

        Per layer l = 1..L (lists, index l - 1), each (samples, units): ``net`` (net input z),
        ``out`` (f(z)), ``dout_dnet`` (f'(z); None for a softmax output, whose Jacobian is not
        diagonal), ``delta`` (dE/dz, per sample); ``dE_dout`` (samples, outputs): dE/d(out) for the
        output layer. ``grad_weights`` / ``grad_biases`` (layout of ``weights()``): dE/dw of the
        mean loss over the samples, with the L1/L2 terms, biases zero when frozen. ``loss``: the
        mean loss. ``new_weights`` / ``new_biases``: after one update by this model's optimizer
        (its state copied, so the model itself does not move)."""
        import copy

        if self.config.batch_norm != "off":
            raise ValueError("the backpropagation walk-through covers networks without batch normalisation")
        xs, targets = self._data(x, y, "")
        n = len(xs)
        if n > TRACE_MAX_SAMPLES:
            raise ValueError(f"backprop_trace works through at most {TRACE_MAX_SAMPLES} samples, got {n}")
        c = self.config
        act, slope, delta = k.buffers(int(self._u_off[-1]), n)
        grad = np.zeros(self.n_params)
        rows = np.arange(n, dtype=np.int64)
        value = k.batch_gradient(np.ascontiguousarray(xs.T), targets, rows, self.theta, grad, self._sizes,
                                 self._w_off, self._b_off, self._u_off, self._act_codes, self._alpha,
                                 c.out_kind, c.loss_code, self._dropout, False, self._rng_state, act, slope,
                                 delta, float(c.l1), float(c.l2), np.zeros(len(self._sizes) - 1), True, True,
                                 self._skips, self._bn, self._g_off, self._norm, k.BN_EVAL)
        if c.freeze_biases:
            for l in range(len(self._sizes) - 1):
                grad[self._b_off[l]:self._b_off[l] + self._sizes[l + 1]] = 0.0
        ws, bs = self.weights()
        L = len(self._sizes) - 1
        block = lambda buf, l: buf[self._u_off[l]:self._u_off[l + 1], :n].T.copy()  # noqa: E731
        outs = [xs.copy()] + [block(act, l) for l in range(1, L + 1)]
        nets = [outs[l - 1] @ ws[l - 1] + bs[l - 1] for l in range(1, L + 1)]
        slopes = [block(slope, l) for l in range(1, L)]
        deltas = [block(delta, l) * n for l in range(1, L + 1)]  # the kernel's are divided by n
        # the output layer (its buffer rows hold logits): outputs and dE/d(out) from the losses
        # kernel the training kernel calls, f'(z) from the activations kernel
        z = np.ascontiguousarray(nets[-1])
        outs[L], g, d = np.empty_like(z), np.empty_like(z), np.empty_like(z)
        k.general_loss(z, np.ascontiguousarray(targets), OUTPUT_ACTIVATIONS.index(c.output_function),
                       LOSS_CODES[c.loss_name], outs[L], g, d)
        last_slope = None if c.output_function == "softmax" else activate_and_derivative(c.output_function, z)[1]
        moved = self.theta.copy()
        optimizer = copy.deepcopy(self.optimizer)
        optimizer.update(moved, grad)
        grad_w, grad_b = self._layers(grad)
        new_w, new_b = self._layers(moved)
        return {"loss": float(value), "inputs": xs.copy(), "targets": targets.copy(), "net": nets,
                "out": outs[1:], "dout_dnet": slopes + [last_slope], "dE_dout": g * n, "delta": deltas,
                "grad_weights": grad_w, "grad_biases": grad_b, "new_weights": new_w, "new_biases": new_b}

    def batch_norm_state(self) -> list[dict[str, np.ndarray]]:
        """Per hidden layer, where batch normalisation is on (else an empty list): copies of its
        ``gamma``, ``beta``, ``running_mean`` and ``running_var``, one value per unit."""
        out = []
        for l in range(len(self._sizes) - 2):
            if self._bn[l]:
                n, g, u = int(self._sizes[l + 1]), int(self._g_off[l]), int(self._u_off[l + 1])
                out.append({"gamma": self.theta[g:g + n].copy(), "beta": self.theta[g + n:g + 2 * n].copy(),
                            "running_mean": self._norm[k.RUN_MEAN, u:u + n].copy(),
                            "running_var": self._norm[k.RUN_VAR, u:u + n].copy()})
        return out

    def set_batch_norm_state(self, state) -> None:
        """Set every batch-normalised layer's gamma, beta and running statistics, in the layout
        ``batch_norm_state`` returns (checked before anything changes)."""
        mine = self.batch_norm_state()
        if not isinstance(state, (list, tuple)) or len(state) != len(mine):
            raise ValueError(f"set_batch_norm_state needs {len(mine)} layers, got {checks.describe(state)}")
        theta, norm = self.theta.copy(), self._norm.copy()
        layers = [l for l in range(len(self._sizes) - 2) if self._bn[l]]
        for i, (l, layer) in enumerate(zip(layers, state)):
            n, g, u = int(self._sizes[l + 1]), int(self._g_off[l]), int(self._u_off[l + 1])
            if not isinstance(layer, dict) or set(layer) != set(mine[i]):
                raise ValueError(f"layer {i}: give gamma, beta, running_mean and running_var")
            theta[g:g + n] = checks.array(f"gamma[{i}]", layer["gamma"], shape=(n,))
            theta[g + n:g + 2 * n] = checks.array(f"beta[{i}]", layer["beta"], shape=(n,))
            norm[k.RUN_MEAN, u:u + n] = checks.array(f"running_mean[{i}]", layer["running_mean"], shape=(n,))
            var = checks.array(f"running_var[{i}]", layer["running_var"], shape=(n,))
            if np.any(var < 0):
                raise ValueError(f"running_var[{i}] must not be negative")
            norm[k.RUN_VAR, u:u + n] = var
        self.theta[:] = theta
        self._norm[:] = norm

    def snapshot(self) -> MLPSnapshot:
        ws, bs = self.weights()
        return MLPSnapshot(ws, bs, self.steps, self.epoch, self.history, self.status,
                           self._layer_norms.copy())


def with_optimizer(config: MLPConfig, **changes) -> MLPConfig:
    """A copy of ``config`` with optimizer fields changed (validated)."""
    return replace(config, optimizer=replace(config.optimizer, **changes))
