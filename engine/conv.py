"""Convolution, pooling, the shape arithmetic of a layer stack, and a small CNN trained on digits.

Layout is NCHW (images, channels, rows, columns), weights (filters, channels, rows, columns).
Output size of a convolution or pooling window along one axis:
    out = floor((n + 2 * padding - kernel) / stride) + 1
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import backend, checks
from engine.kernels import cnn as kc
from engine.kernels import conv as k
from engine.limits import (CNN_MAX_CLASSES, CNN_MAX_STEPS_PER_CALL, CONV_MAX_BATCH, CONV_MAX_FILTERS,
                           CONV_MAX_KERNEL, MAX_ABS_VALUE, MAX_ELEMENTS, MAX_IMAGE_SIDE)
from engine.optimizers import Optimizer, OptimizerConfig

POOLS = ("max", "average", "sum")
_POOL_CODES = {"max": k.MAX, "average": k.AVERAGE, "sum": k.SUM}
LAYER_KINDS = ("conv", "pool", "flatten", "dense", "global_average")
DIVERGED_BEYOND = 1e6  # a weight this large means the learning rate threw the network off
STEPS_PER_KERNEL_CALL = 256   # bounds a call's batch table (10,000 steps of 512 rows would be 41 MB)


# ---- shape arithmetic ---------------------------------------------------------------------------
def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """floor((n + 2 padding - kernel) / stride) + 1; a ValueError when the window does not fit."""
    n = checks.whole("input size", n, 1, 1_000_000)
    kernel = checks.whole("kernel", kernel, 1, 1_000_000)
    stride = checks.whole("stride", stride, 1, 1_000_000)
    padding = checks.whole("padding", padding, 0, 1_000_000)
    if kernel > n + 2 * padding:
        raise ValueError(f"a {kernel}-wide window does not fit in {n} + 2 x {padding} padding")
    return (n + 2 * padding - kernel) // stride + 1


def same_padding(kernel: int) -> int:
    """Padding that keeps the size at stride 1 for an odd kernel (Keras' padding='same')."""
    return (kernel - 1) // 2


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a stack: kind is conv / pool / flatten / dense / global_average.

    ``stride`` ``None`` means Keras' default: 1 for a convolution, the window size for pooling
    (``MaxPooling2D(pool_size=2)`` halves the maps, as ``pool2d`` does).
    """
    kind: str
    filters: int = 0       # conv: feature maps out; dense: units
    kernel: int = 3        # conv and pool: window side
    stride: int | None = None
    padding: int = 0

    def __post_init__(self) -> None:
        checks.one_of("kind", self.kind, LAYER_KINDS)
        set_ = object.__setattr__
        if self.kind in ("conv", "dense"):
            set_(self, "filters", checks.whole("filters" if self.kind == "conv" else "units", self.filters, 1, 1_000_000))
        if self.kind in ("conv", "pool"):
            set_(self, "kernel", checks.whole("kernel", self.kernel, 1, 10_000))
            default = 1 if self.kind == "conv" else self.kernel
            set_(self, "stride", checks.whole("stride", default if self.stride is None else self.stride, 1, 10_000))
            set_(self, "padding", checks.whole("padding", self.padding, 0, 10_000))


@dataclass(frozen=True)
class ShapeRow:
    layer: str
    shape: tuple[int, ...]   # (rows, columns, channels) for maps, (units,) after flatten/dense
    params: int
    note: str


def shape_chain(input_shape: tuple[int, int, int], layers: list[LayerSpec]) -> list[ShapeRow]:
    """Output shape and parameter count after each layer (Keras' ``model.summary()``)."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (rows, columns, channels), got {checks.describe(input_shape)}")
    shape: tuple[int, ...] = tuple(checks.whole(f"input_shape[{i}]", v, 1, 1_000_000)
                                   for i, v in enumerate(input_shape))
    if any(not isinstance(layer, LayerSpec) for layer in layers):
        raise ValueError("layers must be LayerSpec items")
    rows = [ShapeRow("input", shape, 0, "")]
    for n, layer in enumerate(layers, 1):
        name = f"{n}. {layer.kind}"
        if layer.kind == "conv":
            if len(shape) != 3:
                raise ValueError(f"layer {n}: a convolution needs feature maps, not a flat vector")
            h, w, c = shape
            oh = output_size(h, layer.kernel, layer.stride, layer.padding)
            ow = output_size(w, layer.kernel, layer.stride, layer.padding)
            params = layer.kernel * layer.kernel * c * layer.filters + layer.filters
            note = (f"({h} + 2x{layer.padding} - {layer.kernel}) / {layer.stride} + 1 = {oh}; "
                    f"{layer.kernel}x{layer.kernel}x{c} weights + 1 bias per filter, x {layer.filters}")
            shape = (oh, ow, layer.filters)
        elif layer.kind == "pool":
            if len(shape) != 3:
                raise ValueError(f"layer {n}: pooling needs feature maps, not a flat vector")
            h, w, c = shape
            oh = output_size(h, layer.kernel, layer.stride, layer.padding)
            ow = output_size(w, layer.kernel, layer.stride, layer.padding)
            params, note = 0, f"({h} - {layer.kernel}) / {layer.stride} + 1 = {oh}; no weights"
            shape = (oh, ow, c)
        elif layer.kind == "global_average":
            if len(shape) != 3:
                raise ValueError(f"layer {n}: global pooling needs feature maps")
            params, note = 0, "one average per feature map"
            shape = (shape[2],)
        elif layer.kind == "flatten":
            size = int(np.prod(shape))
            params, note = 0, " x ".join(map(str, shape)) + f" = {size}"
            shape = (size,)
        elif layer.kind == "dense":
            if len(shape) != 1:
                raise ValueError(f"layer {n}: flatten before a dense layer")
            params = shape[0] * layer.filters + layer.filters
            note = f"{shape[0]} x {layer.filters} weights + {layer.filters} biases"
            shape = (layer.filters,)
        else:
            raise ValueError(f"layer {n}: unknown kind {layer.kind!r}")
        rows.append(ShapeRow(name, shape, params, note))
    return rows


# ---- operations -------------------------------------------------------------------------------
def _as_nchw(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Images as (n, channels, rows, cols): (rows, cols) and (channels, rows, cols) are one image."""
    x = checks.array(name, x, ndim=(2, 3, 4), lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)  # products stay finite
    x = x[None, None] if x.ndim == 2 else x[None] if x.ndim == 3 else x
    if min(x.shape) < 1:
        raise ValueError(f"{name} must have at least one image, channel, row and column, got shape {x.shape}")
    if max(x.shape[2:]) > MAX_IMAGE_SIDE:
        raise ValueError(f"{name}: images are at most {MAX_IMAGE_SIDE} pixels a side, got shape {x.shape}")
    return np.ascontiguousarray(x)


def _filters(w: np.ndarray, channels: int) -> np.ndarray:
    """Filters as (F, C, KH, KW); a 2-D kernel is one filter over one channel."""
    w = checks.array("w", w, ndim=(2, 4), lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
    w = w[None, None] if w.ndim == 2 else w
    if min(w.shape) < 1 or w.shape[0] > CONV_MAX_FILTERS * 16 or max(w.shape[2:]) > CONV_MAX_KERNEL:
        raise ValueError(f"w must be (filters, channels, rows, cols) with 1 to {CONV_MAX_FILTERS * 16} filters "
                         f"of at most {CONV_MAX_KERNEL} x {CONV_MAX_KERNEL}, got shape {w.shape}")
    if w.shape[1] != channels:
        raise ValueError(f"w: filters have {w.shape[1]} channels but the images have {channels}")
    return np.ascontiguousarray(w)


def _conv_geometry(x: np.ndarray, w: np.ndarray, stride, padding) -> tuple[int, int, int, int]:
    stride = checks.whole("stride", stride, 1, MAX_IMAGE_SIDE)
    padding = checks.whole("padding", padding, 0, MAX_IMAGE_SIDE)
    oh = output_size(x.shape[2], w.shape[2], stride, padding)
    ow = output_size(x.shape[3], w.shape[3], stride, padding)
    checks.budget("this convolution", float(x.shape[0]) * w.shape[0] * oh * ow
                  + float(x.shape[0]) * x.shape[1] * (x.shape[2] + 2 * padding) * (x.shape[3] + 2 * padding))
    return stride, padding, oh, ow


def _conv_work(out: np.ndarray, w: np.ndarray) -> float:
    """Multiply-adds of a convolution with output ``out`` (or its gradient): the GPU's unit."""
    return float(out.size) * w.shape[1] * w.shape[2] * w.shape[3]


def pad(x: np.ndarray, padding: int) -> np.ndarray:
    return np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))) \
        if padding else np.ascontiguousarray(x)


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlate images ``x`` with filters ``w`` (F, C, KH, KW): (N, F, OH, OW)."""
    x = _as_nchw(x)
    w = _filters(w, x.shape[1])
    b = np.zeros(w.shape[0]) if b is None else checks.array("b", b, shape=(w.shape[0],))
    stride, padding, oh, ow = _conv_geometry(x, w, stride, padding)
    out = np.empty((x.shape[0], w.shape[0], oh, ow))
    forward = backend.kernel("conv", _conv_work(out, w), k.conv_forward, "cuda_conv.conv_forward")
    forward(pad(x, padding), w, b, stride, out)
    return out


def conv2d_backward(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int = 1, padding: int = 0,
                    need_dx: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) for ``conv2d`` given the gradient ``dout`` of its output (dx is zeros when
    ``need_dx`` is False: the first layer needs no gradient for the image)."""
    x = _as_nchw(x)
    w = _filters(w, x.shape[1])
    stride, padding, oh, ow = _conv_geometry(x, w, stride, padding)
    dout = checks.array("dout", dout, shape=(x.shape[0], w.shape[0], oh, ow))
    need_dx = checks.flag("need_dx", need_dx)
    xp = pad(x, padding)
    dxp = np.empty_like(xp)
    dw = np.empty_like(w)
    db = np.empty(w.shape[0])
    backward = backend.kernel("conv", _conv_work(dout, w) * (2 if need_dx else 1), k.conv_backward,
                              "cuda_conv.conv_backward")
    backward(xp, w, dout, stride, dxp, dw, db, need_dx)
    if not need_dx:
        dxp[:] = 0.0
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if padding else dxp
    return np.ascontiguousarray(dx), dw, db


def pool2d(x: np.ndarray, size: int = 2, stride: int | None = None, kind: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """(pooled maps, arg-max flat positions per window; -1 unless ``kind`` is max)."""
    checks.one_of("kind", kind, POOLS)
    x = _as_nchw(x)
    size = checks.whole("size", size, 1, MAX_IMAGE_SIDE)
    stride = size if stride is None else checks.whole("stride", stride, 1, MAX_IMAGE_SIDE)
    oh, ow = output_size(x.shape[2], size, stride), output_size(x.shape[3], size, stride)
    out = np.empty((x.shape[0], x.shape[1], oh, ow))
    arg = np.full(out.shape, -1, dtype=np.int64)
    forward = backend.kernel("pool", float(out.size) * size * size, k.pool_forward, "cuda_conv.pool_forward")
    forward(x, size, stride, _POOL_CODES[kind], out, arg)
    return out, arg


def pool2d_backward(dout: np.ndarray, input_shape: tuple[int, ...], size: int, stride: int | None, kind: str,
                    arg: np.ndarray) -> np.ndarray:
    """The gradient for ``pool2d``'s input (``input_shape``, 4-D) given ``dout`` for its output;
    ``arg`` is the arg-max ``pool2d`` returned (used for max pooling)."""
    checks.one_of("kind", kind, POOLS)
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__") or len(input_shape) != 4:
        raise ValueError(f"input_shape must be (n, channels, rows, cols), got {checks.describe(input_shape)}")
    shape = tuple(checks.whole(f"input_shape[{i}]", v, 1, MAX_IMAGE_SIDE if i >= 2 else MAX_ELEMENTS)
                  for i, v in enumerate(input_shape))
    checks.budget("input_shape", float(np.prod(shape, dtype=float)))
    size = checks.whole("size", size, 1, MAX_IMAGE_SIDE)
    stride = size if stride is None else checks.whole("stride", stride, 1, MAX_IMAGE_SIDE)
    oh, ow = output_size(shape[2], size, stride), output_size(shape[3], size, stride)
    dout = checks.array("dout", dout, shape=(shape[0], shape[1], oh, ow))
    arg = checks.array("arg", arg, shape=dout.shape, dtype=np.int64)
    if kind == "max":  # each winner must lie in its own window, or the gradient lands elsewhere
        row, col = np.divmod(arg, shape[3])
        top = (np.arange(oh) * stride)[None, None, :, None]
        left = (np.arange(ow) * stride)[None, None, None, :]
        if np.any((arg < 0) | (row < top) | (row >= top + size) | (col < left) | (col >= left + size)):
            raise ValueError("arg must hold each window's arg-max as pool2d returned it (a position inside "
                             "its window)")
    dx = np.empty(shape)
    backward = backend.kernel("pool", float(dout.size) * size * size, k.pool_backward, "cuda_conv.pool_backward")
    backward(dout, size, stride, _POOL_CODES[kind], arg, dx)
    return dx


def global_average_pool(x: np.ndarray) -> np.ndarray:
    """(N, C): the mean of each feature map."""
    return _as_nchw(x).mean(axis=(2, 3))



# ---- a small CNN ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CNNConfig:
    """conv(filters1, 3x3, same) - ReLU - max pool 2 - conv(filters2, 3x3, same) - ReLU - max pool 2
    - flatten - dense(classes), softmax + cross-entropy, for square one-channel images."""
    side: int = 8
    classes: int = 10
    filters1: int = 8
    filters2: int = 16
    optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", lr=0.01))
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "side", checks.whole("side", self.side, 4, 64))
        if self.side % 4:
            raise ValueError(f"side: images must be square with a side divisible by 4 (two 2x2 poolings), got {self.side}")
        set_(self, "classes", checks.whole("classes", self.classes, 2, CNN_MAX_CLASSES))
        for name in ("filters1", "filters2"):
            set_(self, name, checks.whole(name, getattr(self, name), 1, CONV_MAX_FILTERS))
        set_(self, "batch_size", checks.whole("batch_size", self.batch_size, 1, CONV_MAX_BATCH))
        if not isinstance(self.optimizer, OptimizerConfig):
            raise ValueError(f"optimizer must be an OptimizerConfig, got {checks.describe(self.optimizer)}")
        set_(self, "seed", checks.seed("seed", self.seed))


@dataclass
class CNNHistory:
    epoch: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


class SmallCNN:
    """The small CNN with all parameters in one flat vector (so every engine optimizer applies)."""

    def __init__(self, config: CNNConfig, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray | None = None,
                 y_test: np.ndarray | None = None) -> None:
        if not isinstance(config, CNNConfig):
            raise ValueError(f"config must be a CNNConfig, got {checks.describe(config)}")
        if (x_test is None) != (y_test is None):
            raise ValueError("give the test set as both images and labels, or neither")
        self.config = config
        s, f1, f2 = config.side, config.filters1, config.filters2
        self.x_train = self._images(x_train, "x_train", min_rows=1)
        self.y_train = checks.labels("y_train", y_train, config.classes, n=len(self.x_train))
        self.x_test = self._images(x_test, "x_test") if x_test is not None else self.x_train[:0]
        self.y_test = (checks.labels("y_test", y_test, config.classes, n=len(self.x_test)) if y_test is not None
                       else self.y_train[:0])
        self.shapes = {"w1": (f1, 1, 3, 3), "b1": (f1,), "w2": (f2, f1, 3, 3), "b2": (f2,),
                       "w3": (f2 * (s // 4) ** 2, config.classes), "b3": (config.classes,)}
        sizes = [int(np.prod(v)) for v in self.shapes.values()]
        self.theta = np.zeros(sum(sizes))
        self._slices = {}
        start = 0
        for name, size in zip(self.shapes, sizes):
            self._slices[name] = slice(start, start + size)
            start += size
        rng = np.random.default_rng(config.seed)
        for name, shape in self.shapes.items():  # He initialisation for the ReLU layers
            if name.startswith("w"):
                fan_in = int(np.prod(shape[1:])) if name != "w3" else shape[0]
                self.param(name)[...] = rng.normal(0, np.sqrt(2 / fan_in), shape)
        self.rng = rng
        self.optimizer = Optimizer(config.optimizer, self.theta.size)
        self.steps = 0
        self.diverged = False
        self._test_pred, self._test_pred_at = np.empty(0, dtype=np.int64), -1  # for the confusion matrix
        self.history = CNNHistory()
        self._record()

    def _images(self, x: np.ndarray, name: str = "x", min_rows: int = 0) -> np.ndarray:
        """Images as (n, 1, side, side), from (n, side * side), (n, side, side) or that shape."""
        s = self.config.side
        x = checks.array(name, x, ndim=(2, 3, 4))
        if x.shape[1:] not in ((s * s,), (s, s), (1, s, s)):
            raise ValueError(f"{name} must be (n, {s * s}), (n, {s}, {s}) or (n, 1, {s}, {s}) images, got shape {x.shape}")
        if len(x) < min_rows:
            raise ValueError(f"{name} needs at least {min_rows} image(s)")
        return np.ascontiguousarray(x.reshape(-1, 1, s, s))

    def param(self, name: str) -> np.ndarray:
        return self.theta[self._slices[name]].reshape(self.shapes[name])

    # ---- forward / backward ---------------------------------------------------------------
    def forward(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every intermediate map for ``x`` (N, 1, S, S): conv1, relu1, pool1 (+ arg), conv2, relu2,
        pool2 (+ arg), flat, logits, probabilities."""
        x = self._images(x)
        a: dict[str, np.ndarray] = {"x": x}
        a["conv1"] = conv2d(x, self.param("w1"), self.param("b1"), 1, 1)
        a["relu1"] = np.maximum(a["conv1"], 0)
        a["pool1"], a["arg1"] = pool2d(a["relu1"], 2, 2, "max")
        a["conv2"] = conv2d(a["pool1"], self.param("w2"), self.param("b2"), 1, 1)
        a["relu2"] = np.maximum(a["conv2"], 0)
        a["pool2"], a["arg2"] = pool2d(a["relu2"], 2, 2, "max")
        a["flat"] = a["pool2"].reshape(len(x), -1)
        a["logits"] = a["flat"] @ self.param("w3") + self.param("b3")
        z = a["logits"] - a["logits"].max(axis=1, keepdims=True)
        e = np.exp(z)
        a["probs"] = e / e.sum(axis=1, keepdims=True)
        return a

    def loss_and_gradient(self, x: np.ndarray, y: np.ndarray,
                          need_input_gradient: bool = False) -> tuple[float, np.ndarray]:
        """Mean cross-entropy and its gradient with respect to ``theta``."""
        x = self._images(x, min_rows=1)
        y = checks.labels("y", y, self.config.classes, n=len(x))
        a = self.forward(x)
        n = len(x)
        loss = float(-np.log(np.maximum(a["probs"][np.arange(n), y], 1e-300)).mean())
        grad = np.zeros_like(self.theta)
        g = lambda name: grad[self._slices[name]].reshape(self.shapes[name])  # noqa: E731
        d_logits = a["probs"].copy()
        d_logits[np.arange(n), y] -= 1
        d_logits /= n
        g("w3")[...] = a["flat"].T @ d_logits
        g("b3")[...] = d_logits.sum(axis=0)
        d_pool2 = (d_logits @ self.param("w3").T).reshape(a["pool2"].shape)
        d_relu2 = pool2d_backward(d_pool2, a["relu2"].shape, 2, 2, "max", a["arg2"])
        d_conv2 = d_relu2 * (a["conv2"] > 0)
        d_pool1, dw2, db2 = conv2d_backward(a["pool1"], self.param("w2"), d_conv2, 1, 1)
        g("w2")[...] = dw2
        g("b2")[...] = db2
        d_relu1 = pool2d_backward(d_pool1, a["relu1"].shape, 2, 2, "max", a["arg1"])
        d_conv1 = d_relu1 * (a["conv1"] > 0)
        _, dw1, db1 = conv2d_backward(x, self.param("w1"), d_conv1, 1, 1, need_dx=need_input_gradient)
        g("w1")[...] = dw1
        g("b1")[...] = db1
        return loss, grad

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, classes) for images ``x``."""
        x = self._images(x)
        checks.budget("predict", float(len(x)) * (self.config.filters1 + self.config.filters2) * self.config.side ** 2)
        return self._probs(x)

    def _probs(self, x: np.ndarray) -> np.ndarray:
        """``forward(x)["probs"]`` in one kernel call, keeping no maps (``x`` checked already)."""
        c = self.config
        out = np.empty((len(x), c.classes))
        kc.forward_probs(x, self.theta, c.filters1, c.filters2, c.classes, out)
        return out

    # ---- training -----------------------------------------------------------------------
    @property
    def epoch(self) -> float:
        return self.steps * self.config.batch_size / max(len(self.x_train), 1)

    def _batches(self, n: int) -> np.ndarray:
        """The rows of the next ``n`` mini-batches (n, batch): a fresh shuffle at each epoch's start."""
        bs = self.config.batch_size
        per_epoch = max(1, len(self.x_train) // bs)
        rows = np.empty((n, min(bs, len(self.x_train))), dtype=np.int64)
        for t in range(n):
            at = self.steps + t
            if at % per_epoch == 0:
                self._order = self.rng.permutation(len(self.x_train))
            start = (at % per_epoch) * bs
            rows[t] = self._order[start:start + bs]
        return rows

    def step(self, n: int = 1, record: bool = True) -> str:
        """``n`` mini-batch updates (a fresh shuffle each epoch); returns "running" or "diverged"
        (non-finite loss, or weights beyond ``DIVERGED_BEYOND``: the loss itself is clipped at
        -log(1e-300), so it alone never says so).
        ``record``: measure loss and accuracy afterwards (for the curves).

        They run in kernel calls of up to ``STEPS_PER_KERNEL_CALL`` (``engine.kernels.cnn.train_steps``,
        or its CUDA twin where ``engine.backend`` picks the GPU: the weights stay on the device for
        the call) and give what ``loss_and_gradient`` and the optimizer would, one batch at a time."""
        n = checks.whole("n", n, 1, CNN_MAX_STEPS_PER_CALL)
        record = checks.flag("record", record)
        if self.diverged:
            return "diverged"
        c, opt = self.config, self.optimizer
        for first in range(0, n, STEPS_PER_KERNEL_CALL):
            count = min(STEPS_PER_KERNEL_CALL, n - first)
            shuffle = (self.rng.bit_generator.state, getattr(self, "_order", None))
            batches = self._batches(count)
            train = backend.kernel("cnn_step", kc.step_work(batches.shape[1], c.side, c.filters1, c.filters2,
                                                            c.classes), kc.train_steps, "cuda_cnn.train_steps")
            done, status = train(self.x_train, self.y_train, batches, self.theta, opt.s1, opt.s2, opt.s3, opt.t,
                                 opt.config.code, opt.config.hyper_vector(), c.filters1, c.filters2, c.classes,
                                 DIVERGED_BEYOND, np.empty(count))
            opt.t += done
            if status != kc.RUNNING:
                self.rng.bit_generator.state, self._order = shuffle   # the shuffles a step-by-step run drew
                self._batches(done + (status == kc.DIVERGED))
                self.steps += done
                self.diverged = True
                if status == kc.THREW:   # the update was kept: the curves show where it went
                    self._record()
                return "diverged"
            self.steps += done
        if record:
            self._record()
        return "running"

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) on images ``x`` with labels ``y``."""
        is_test = x is self.x_test
        if not is_test:
            x = self._images(x)
            y = checks.labels("y", y, self.config.classes, n=len(x))
        if len(x) == 0:
            return float("nan"), float("nan")
        p = self._probs(x)
        loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-300)).mean())
        if is_test:  # kept for the confusion matrix
            self._test_pred, self._test_pred_at = p.argmax(axis=1), self.steps
        return loss, float((p.argmax(axis=1) == y).mean())

    def confusion(self, x: np.ndarray | None = None, y: np.ndarray | None = None, recorded: bool = False) -> np.ndarray:
        """(classes, classes) counts: rows the true digit, columns the predicted one (the test set's
        predictions from the last record are reused when they are current, or with ``recorded``
        whenever there are some: the matrix as of the last point on the curves)."""
        recorded = checks.flag("recorded", recorded)
        if x is None and self._test_pred_at >= 0 and (recorded or self._test_pred_at == self.steps):
            pred, y = self._test_pred, self.y_test
        else:
            if (x is None) != (y is None):
                raise ValueError("give both images and labels, or neither (the test set)")
            x = self.x_test if x is None else self._images(x)
            y = self.y_test if y is None else checks.labels("y", y, self.config.classes, n=len(x))
            pred = self._probs(x).argmax(axis=1)
        out = np.zeros((self.config.classes, self.config.classes), dtype=np.int64)
        np.add.at(out, (y, pred), 1)
        return out

    @property
    def recorded_at(self) -> int | None:
        """The step of the last point on the curves (None before any)."""
        return self._test_pred_at if self._test_pred_at >= 0 else None

    def record(self) -> None:
        """Add a point to the curves now: loss and accuracy of a fixed training slice and the test set."""
        self._record()

    def _record(self) -> None:
        h = self.history
        h.epoch.append(self.epoch)
        sample = slice(0, 400)  # a fixed slice of the training set: its loss, without a pass over all
        tl, ta = self.evaluate(self.x_train[sample], self.y_train[sample])
        vl, va = self.evaluate(self.x_test, self.y_test)
        h.train_loss.append(tl)
        h.train_accuracy.append(ta)
        h.test_loss.append(vl)
        h.test_accuracy.append(va)


# ---- preset kernels for the image playground ----------------------------------------------------
KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "edges (Laplacian)": [[0, -1, 0], [-1, 4, -1], [0, -1, 0]],
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def feature_map(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """One filter over an image (rows, cols) or (rows, cols, channels): the same 2-D kernel on every
    channel, summed over channels (a filter spans all input channels)."""
    img = checks.array("image", image, ndim=(2, 3), lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, -1, 0)
    kernel = checks.array("kernel", kernel, ndim=2, lo=-MAX_ABS_VALUE, hi=MAX_ABS_VALUE)
    w = np.repeat(kernel[None, None], chw.shape[0], axis=1)
    return conv2d(chw[None], w, None, stride, padding)[0, 0]
