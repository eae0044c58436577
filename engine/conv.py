"""Convolution, pooling, the shape arithmetic of a layer stack, and a small CNN trained on digits.

Layout is NCHW (images, channels, rows, columns), weights (filters, channels, rows, columns).
Output size of a convolution or pooling window along one axis:
    out = floor((n + 2 * padding - kernel) / stride) + 1
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.kernels import conv as k
from engine.optimizers import Optimizer, OptimizerConfig

POOLS = ("max", "average", "sum")
_POOL_CODES = {"max": k.MAX, "average": k.AVERAGE, "sum": k.SUM}
MAX_IMAGE_SIDE = 512
DIVERGED_BEYOND = 1e6  # a weight this large means the learning rate threw the network off


# ---- shape arithmetic ---------------------------------------------------------------------------
def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """floor((n + 2 padding - kernel) / stride) + 1; a ValueError when the window does not fit."""
    for name, v, lo in (("input size", n, 1), ("kernel", kernel, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if int(v) != v or v < lo:
            raise ValueError(f"{name} must be a whole number of at least {lo}, got {v!r}")
    if kernel > n + 2 * padding:
        raise ValueError(f"a {kernel}-wide window does not fit in {n} + 2 x {padding} padding")
    return (n + 2 * padding - kernel) // stride + 1


def same_padding(kernel: int) -> int:
    """Padding that keeps the size at stride 1 for an odd kernel (Keras' padding='same')."""
    return (kernel - 1) // 2


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a stack: kind is conv / pool / flatten / dense / global_average."""
    kind: str
    filters: int = 0       # conv: feature maps out; dense: units
    kernel: int = 3        # conv and pool: window side
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class ShapeRow:
    layer: str
    shape: tuple[int, ...]   # (rows, columns, channels) for maps, (units,) after flatten/dense
    params: int
    note: str


def shape_chain(input_shape: tuple[int, int, int], layers: list[LayerSpec]) -> list[ShapeRow]:
    """Output shape and parameter count after each layer (Keras' ``model.summary()``)."""
    shape: tuple[int, ...] = tuple(input_shape)
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
def _as_nchw(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError("images must be (rows, cols), (channels, rows, cols) or (n, channels, rows, cols)")
    return np.ascontiguousarray(x)


def pad(x: np.ndarray, padding: int) -> np.ndarray:
    return np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))) \
        if padding else np.ascontiguousarray(x)


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlate images ``x`` with filters ``w`` (F, C, KH, KW): (N, F, OH, OW)."""
    x = _as_nchw(x)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.ndim == 2:
        w = w[None, None]
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"filters have {w.shape[1]} channels but the images have {x.shape[1]}")
    b = np.zeros(w.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
    oh = output_size(x.shape[2], w.shape[2], stride, padding)
    ow = output_size(x.shape[3], w.shape[3], stride, padding)
    out = np.empty((x.shape[0], w.shape[0], oh, ow))
    k.conv_forward(pad(x, padding), w, b, stride, out)
    return out


def conv2d_backward(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int = 1, padding: int = 0,
                    need_dx: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) for ``conv2d`` given the gradient ``dout`` of its output (dx is zeros when
    ``need_dx`` is False: the first layer needs no gradient for the image)."""
    x = _as_nchw(x)
    xp = pad(x, padding)
    dxp = np.empty_like(xp)
    dw = np.empty_like(w, dtype=np.float64)
    db = np.empty(w.shape[0])
    k.conv_backward(xp, np.ascontiguousarray(w, dtype=np.float64), np.ascontiguousarray(dout), stride, dxp, dw, db,
                    need_dx)
    if not need_dx:
        dxp[:] = 0.0
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if padding else dxp
    return np.ascontiguousarray(dx), dw, db


def pool2d(x: np.ndarray, size: int = 2, stride: int | None = None, kind: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """(pooled maps, arg-max flat positions per window; -1 unless ``kind`` is max)."""
    if kind not in POOLS:
        raise ValueError(f"pooling must be one of {', '.join(POOLS)}, got {kind!r}")
    x = _as_nchw(x)
    stride = size if stride is None else stride
    oh, ow = output_size(x.shape[2], size, stride), output_size(x.shape[3], size, stride)
    out = np.empty((x.shape[0], x.shape[1], oh, ow))
    arg = np.full(out.shape, -1, dtype=np.int64)
    k.pool_forward(x, size, stride, _POOL_CODES[kind], out, arg)
    return out, arg


def pool2d_backward(dout: np.ndarray, input_shape: tuple[int, ...], size: int, stride: int | None, kind: str,
                    arg: np.ndarray) -> np.ndarray:
    dx = np.empty(input_shape)
    k.pool_backward(np.ascontiguousarray(dout), size, size if stride is None else stride, _POOL_CODES[kind], arg, dx)
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
        if self.side < 4 or self.side % 4:
            raise ValueError(f"images must be square with a side divisible by 4 (two 2x2 poolings), got {self.side}")
        for name in ("filters1", "filters2"):
            v = getattr(self, name)
            if int(v) != v or not 1 <= v <= 64:
                raise ValueError(f"{name} must be a whole number from 1 to 64, got {v!r}")
        if int(self.batch_size) != self.batch_size or not 1 <= self.batch_size <= 512:
            raise ValueError(f"the batch size must be from 1 to 512, got {self.batch_size!r}")
        if not 2 <= self.classes <= 100:
            raise ValueError(f"classes must be from 2 to 100, got {self.classes!r}")


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
        self.config = config
        s, f1, f2 = config.side, config.filters1, config.filters2
        self.x_train = self._images(x_train)
        self.y_train = np.asarray(y_train, dtype=np.int64)
        self.x_test = self._images(x_test) if x_test is not None else self.x_train[:0]
        self.y_test = np.asarray(y_test, dtype=np.int64) if y_test is not None else self.y_train[:0]
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ValueError("images and labels differ in number")
        if len(self.y_train) and (self.y_train.min() < 0 or self.y_train.max() >= config.classes):
            raise ValueError(f"labels must be 0 to {config.classes - 1}")
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

    def _images(self, x: np.ndarray) -> np.ndarray:
        s = self.config.side
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1, s, s)
        return np.ascontiguousarray(x)

    def param(self, name: str) -> np.ndarray:
        return self.theta[self._slices[name]].reshape(self.shapes[name])

    # ---- forward / backward ---------------------------------------------------------------
    def forward(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every intermediate map for ``x`` (N, 1, S, S): conv1, relu1, pool1 (+ arg), conv2, relu2,
        pool2 (+ arg), flat, logits, probabilities."""
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
        return self.forward(self._images(x))["probs"]

    # ---- training -----------------------------------------------------------------------
    @property
    def epoch(self) -> float:
        return self.steps * self.config.batch_size / max(len(self.x_train), 1)

    def step(self, n: int = 1, record: bool = True) -> str:
        """``n`` mini-batch updates (a fresh shuffle each epoch); returns "running" or "diverged"
        (non-finite loss, or weights beyond ``DIVERGED_BEYOND``: the loss itself is clipped at
        -log(1e-300), so it alone never says so).
        ``record``: measure loss and accuracy afterwards (for the curves)."""
        bs = self.config.batch_size
        if self.diverged:
            return "diverged"
        for _ in range(n):
            per_epoch = max(1, len(self.x_train) // bs)
            if self.steps % per_epoch == 0:
                self._order = self.rng.permutation(len(self.x_train))
            start = (self.steps % per_epoch) * bs
            idx = self._order[start:start + bs]
            loss, grad = self.loss_and_gradient(self.x_train[idx], self.y_train[idx], need_input_gradient=False)
            if not np.isfinite(loss) or not np.all(np.isfinite(grad)):
                self.diverged = True
                return "diverged"
            self.optimizer.update(self.theta, grad)
            self.steps += 1
            if not np.all(np.isfinite(self.theta)) or np.abs(self.theta).max() > DIVERGED_BEYOND:
                self.diverged = True
                self._record()
                return "diverged"
        if record:
            self._record()
        return "running"

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if len(x) == 0:
            return float("nan"), float("nan")
        p = self.forward(x)["probs"]
        loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-300)).mean())
        if x is self.x_test:  # kept for the confusion matrix
            self._test_pred, self._test_pred_at = p.argmax(axis=1), self.steps
        return loss, float((p.argmax(axis=1) == y).mean())

    def confusion(self, x: np.ndarray | None = None, y: np.ndarray | None = None) -> np.ndarray:
        """(classes, classes) counts: rows the true digit, columns the predicted one (the test set's
        predictions from the last record are reused when they are current)."""
        if x is None and self._test_pred_at == self.steps:
            pred, y = self._test_pred, self.y_test
        else:
            x = self.x_test if x is None else self._images(x)
            y = self.y_test if y is None else np.asarray(y)
            pred = self.forward(x)["probs"].argmax(axis=1)
        out = np.zeros((self.config.classes, self.config.classes), dtype=np.int64)
        np.add.at(out, (y, pred), 1)
        return out

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
    img = np.asarray(image, dtype=np.float64)
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, -1, 0)
    kernel = np.asarray(kernel, dtype=np.float64)
    w = np.repeat(kernel[None, None], chw.shape[0], axis=1)
    return conv2d(chw[None], w, None, stride, padding)[0, 0]
