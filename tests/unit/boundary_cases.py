"""Every public engine entry point driven with wrong shapes, dtypes, NaN/inf, wrong sizes and labels.

Run by ``test_boundary.py`` in a subprocess per group (``python -m tests.unit.boundary_cases
GROUP``), so a segmentation fault is a failed test that names the case, not a dead test run.
Each case builds arguments around a valid call, with some of them broken (hypothesis picks which
and how), and accepts exactly two outcomes:

- a ``ValueError`` in the engine's own words (not a NumPy/Python message leaking through, such
  as "cannot convert float NaN to integer");
- a result that passes the entry point's oracle: right shape, finite numbers. Float arrays are
  passed as views into buffers padded with NaN, so a kernel that reads past the end of an array
  returns NaN and fails the oracle instead of passing with numbers from unrelated memory.

Anything else (another exception type, a wrong result, a crash, a hang) fails. The last line on
stdout is a JSON summary: cases run per entry point and the failures.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import activations, conv, datasets, features, initializers, losses, metrics, mlp, neuron, optimizers
from engine import autoencoder as ae_mod
from engine import rbm as rbm_mod
from engine import rnn as rnn_mod
from engine import sequences
from engine import som as som_mod
from engine import surfaces

SCALE = float(os.environ.get("NETPLAY_BOUNDARY_SCALE", "1"))  # more cases: set it above 1
RAW_MESSAGES = ("cannot convert", "could not convert", "could not broadcast", "operands could not",
                "setting an array element", "invalid literal", "object arrays", "inhomogeneous",
                "cannot reshape", "index ", "out of bounds", "truth value of an array")
counts: Counter = Counter()
failures: list[str] = []


# ---- inputs ------------------------------------------------------------------------------------
def guarded(a: np.ndarray) -> np.ndarray:
    """``a`` as a view into a buffer padded with NaN after it (reading past the end shows)."""
    if a.dtype != np.float64:
        return a
    buf = np.full(a.size + 256, np.nan)
    buf[:a.size] = a.ravel()
    return buf[:a.size].reshape(a.shape)


BAD_SCALARS = st.sampled_from([0, -1, -7, 10**12, 2**70, float("nan"), float("inf"), -float("inf"), 2.5,
                               "3", None, True, [1, 2], np.float64("nan"), 1e308])


@st.composite
def array(draw, shape: tuple[int, ...], lo: float = -1.0, hi: float = 1.0, dtype=np.float64, broken: bool = True):
    """A valid array of ``shape`` (values in [lo, hi]) or, half the time, a broken one."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    good = lo + (hi - lo) * rng.random(shape)
    good = np.round(good) if np.dtype(dtype).kind == "i" else good
    if not broken or draw(st.booleans()):
        return guarded(good.astype(dtype))
    how = draw(st.sampled_from(["axis", "ndim", "dtype", "nan", "inf", "huge", "empty", "junk", "transpose"]))
    if how == "axis" and good.ndim:
        new = list(shape)
        ax = draw(st.integers(0, len(new) - 1))
        new[ax] = max(0, new[ax] + draw(st.sampled_from([-1, 1, 5, -new[ax]])))
        return guarded(lo + (hi - lo) * rng.random(tuple(new)))
    if how == "ndim":
        return guarded(good.reshape(-1) if good.ndim != 1 else good.reshape(1, 1, -1))
    if how == "dtype":
        kind = draw(st.sampled_from(["float32", "int64", "bool", "complex", "str", "object"]))
        return {"float32": good.astype(np.float32), "int64": good.astype(np.int64), "bool": good > 0,
                "complex": good.astype(complex), "str": good.astype(str),
                "object": good.astype(object)}[kind]
    if how in ("nan", "inf", "huge") and good.size:
        bad = good.copy()
        bad.flat[draw(st.integers(0, good.size - 1))] = {"nan": np.nan, "inf": np.inf, "huge": 1e300}[how]
        return guarded(bad)
    if how == "empty":
        return np.zeros((0,) + tuple(shape[1:]))
    if how == "transpose" and good.ndim == 2:
        return guarded(np.ascontiguousarray(good.T))
    return draw(st.sampled_from([None, "abc", 5.0, [[1.0, 2.0], [3.0]], {"a": 1}]))


def maybe(draw, valid, bad=BAD_SCALARS):
    """``valid`` or (a third of the time) a bad scalar."""
    return draw(bad) if draw(st.integers(0, 2)) == 0 else valid


def finite(*arrays) -> bool:
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in arrays)


def moderate(*arrays) -> bool:
    """Real finite numbers below 1e100 (so an overflow to inf would be wrong, not arithmetic)."""
    try:
        return all(finite(a) and np.abs(np.asarray(a, dtype=float)).max(initial=0) < 1e100 for a in arrays)
    except (TypeError, ValueError):
        return False


def shaped(shape: tuple[int, ...]) -> Callable:
    def oracle(out):
        return np.shape(out) == tuple(shape) and finite(out)
    return oracle


# ---- the harness --------------------------------------------------------------------------------
def run(name: str, call: Callable, oracle: Callable | None = None) -> None:
    """Run one case: a ValueError in our words, or a result the oracle accepts."""
    counts[name] += 1
    print(f"case {name} #{counts[name]}", flush=True)
    try:
        out = call()
    except ValueError as err:
        text = str(err)
        if not text or any(raw in text for raw in RAW_MESSAGES):
            failures.append(f"{name}: unclear ValueError {text!r}\n{traceback.format_exc(limit=-3)}")
        return
    except Exception as err:  # noqa: BLE001 - every other kind is the failure being looked for
        failures.append(f"{name}: {type(err).__name__}: {err}\n{traceback.format_exc(limit=-4)}")
        return
    if oracle is not None and not oracle(out):
        failures.append(f"{name}: accepted, but the result fails its oracle: {str(out)[:300]}")


def entry(group: str):
    def register(fn):
        fn.group = group
        ENTRIES.append(fn)
        return fn
    return register


ENTRIES: list = []
def cases(n: int) -> settings:
    """``n`` cases (times SCALE), the same ones on every run and machine (derandomised)."""
    return settings(max_examples=int(n * SCALE), deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# ---- MLP -----------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
X2 = RNG.uniform(-1, 1, (40, 2))
Y2 = (X2[:, 0] * X2[:, 1] > 0).astype(np.int64)
_MLP = {}


def small_mlp() -> mlp.MLP:
    if "net" not in _MLP:
        _MLP["net"] = mlp.MLP(mlp.MLPConfig(hidden=(3, 2), activations=("tanh", "relu"), batch_size=8), X2, Y2)
        _MLP["net"].step(5)
    return _MLP["net"]


@entry("mlp")
@cases(300)
@given(st.data())
def mlp_config_and_fit(data):
    d = data.draw
    task = maybe(d, d(st.sampled_from(mlp.TASKS)), st.sampled_from(["binary", "softmax", 3]))
    classes = 3 if task == "multiclass" else 2
    kwargs = dict(n_inputs=maybe(d, 2), hidden=maybe(d, (3,), st.sampled_from([(0,), (33,), (2.5,), "3", (3,) * 9])),
                  activations=maybe(d, ("tanh",), st.sampled_from([("tan",), (), ("tanh", "tanh"), "tanh"])),
                  task=task, n_classes=maybe(d, classes), batch_size=maybe(d, 8), l2=maybe(d, 0.0),
                  dropout=maybe(d, (), st.sampled_from([(1.0,), (-0.1,), (0.5, 0.5), (float("nan"),)])),
                  seed=maybe(d, 0), clip_norm=maybe(d, 0.0))
    n = d(st.integers(1, 30))
    x = d(array((n, 2)))
    y = d(array((n,), 0, classes - 1, np.int64)) if task != "regression" else d(array((n,)))
    xt = d(st.one_of(st.none(), array((5, 2))))
    yt = None if xt is None else d(array((5,), 0, 1, np.int64))

    def call():
        net = mlp.MLP(mlp.MLPConfig(**kwargs), x, y, xt, yt)
        net.step(2)
        return net.predict(net.x_train)
    run("MLP(config, x, y).step", call, lambda p: len(p) == len(np.asarray(x)) and finite(p))


@entry("mlp")
@cases(400)
@given(st.data())
def mlp_methods(data):
    d = data.draw
    net = small_mlp()
    n = d(st.integers(1, 20))
    x = d(array((n, 2), -3, 3))
    which = d(st.sampled_from(["predict", "all_units", "loss", "loss_and_gradient", "step"]))
    if which == "predict":
        run("MLP.predict", lambda: net.predict(x), lambda p: p.shape == (len(x),) and finite(p))
    elif which == "all_units":
        run("MLP.all_units", lambda: net.all_units(x), lambda u: u.shape == (len(x), 2 + 3 + 2 + 1) and finite(u))
    elif which == "loss":
        y = d(array((n, 1), 0, 1))
        run("MLP.loss", lambda: net.loss(x, y), lambda v: np.isfinite(v))
    elif which == "loss_and_gradient":
        y = d(array((n,), 0, 1, np.int64))
        run("MLP.loss_and_gradient", lambda: net.loss_and_gradient(x, y),
            lambda r: np.isfinite(r[0]) and r[1].shape == (net.n_params,) and finite(r[1]))
    else:
        steps = maybe(d, d(st.integers(1, 50)), st.sampled_from([0, -3, 10**9, 2.5, float("nan"), "5", None]))
        run("MLP.step", lambda: net.step(steps), lambda s: s in ("training", "diverged"))


@entry("mlp")
@cases(150)
@given(st.data())
def mlp_custom_output(data):
    """A general output layer: its description, targets, frozen biases and the worked trace."""
    d = data.draw
    act = maybe(d, d(st.sampled_from(mlp.OUTPUT_ACTIVATIONS)), st.sampled_from(["relu", None, 3, ""]))
    loss = maybe(d, d(st.sampled_from(("mse", "mse_half", "mae", "hinge"))), st.sampled_from(["huber", None, "bce", 1]))
    k = maybe(d, 2, st.sampled_from([0, 1, 65, 2.5, -1, "2"]))
    freeze = maybe(d, d(st.booleans()), st.sampled_from([1, "yes", None]))
    n = d(st.integers(1, 20))
    x = d(array((n, 2)))
    y = d(array((n, 2)))
    trace_rows = d(st.sampled_from([1, 3, 70]))

    def call():
        net = mlp.MLP(mlp.MLPConfig(n_inputs=2, hidden=(3,), activations=("tanh",), n_outputs=k,
                                    output_activation=act, loss=loss, freeze_biases=freeze), x, y)
        net.step(2)
        rows = np.concatenate([np.asarray(x)] * 4)[:trace_rows], np.concatenate([np.asarray(y)] * 4)[:trace_rows]
        trace = net.backprop_trace(*rows)
        return net.predict(net.x_train), trace
    run("MLP(custom output).step / backprop_trace", call,
        lambda r: r[0].shape == (len(np.asarray(x)), 2) and finite(r[0]) and np.isfinite(r[1]["loss"])
        and all(finite(w) for w in r[1]["new_weights"]))


# ---- conv -----------------------------------------------------------------------------------------
@entry("conv")
@cases(300)
@given(st.data())
def conv_forward_backward(data):
    d = data.draw
    n, c, f, h, w, kk = (d(st.integers(1, 3)), d(st.integers(1, 2)), d(st.integers(1, 3)),
                         d(st.integers(3, 9)), d(st.integers(3, 9)), d(st.integers(1, 3)))
    stride, pad = maybe(d, d(st.integers(1, 2))), maybe(d, d(st.integers(0, 1)))
    x, wt = d(array((n, c, h, w))), d(array((f, c, kk, kk)))
    b = d(st.one_of(st.none(), array((f,))))
    try:
        oh, ow = conv.output_size(h, kk, int(stride), int(pad)), conv.output_size(w, kk, int(stride), int(pad))
    except (ValueError, TypeError, OverflowError):
        oh = ow = 1
    if d(st.booleans()):  # the shape may differ from (n, f, oh, ow) when x or w were legitimately resized
        run("conv2d", lambda: conv.conv2d(x, wt, b, stride, pad), lambda out: out.ndim == 4 and finite(out))
    else:
        dout = d(array((n, f, oh, ow)))
        run("conv2d_backward", lambda: conv.conv2d_backward(x, wt, dout, stride, pad),
            lambda r: r[0].shape == (n, c, h, w) and r[1].shape == (f, c, kk, kk) and finite(*r))


@entry("conv")
@cases(300)
@given(st.data())
def pooling(data):
    d = data.draw
    n, c, h, w = d(st.integers(1, 2)), d(st.integers(1, 2)), d(st.integers(2, 9)), d(st.integers(2, 9))
    size = maybe(d, d(st.integers(1, 3)))
    stride = maybe(d, d(st.sampled_from([None, 1, 2, 3])))
    kind = maybe(d, d(st.sampled_from(conv.POOLS)), st.sampled_from(["median", None, 1]))
    x = d(array((n, c, h, w)))
    if d(st.booleans()):
        run("pool2d", lambda: conv.pool2d(x, size, stride, kind), lambda r: finite(r[0]))
        return
    good = np.random.default_rng(1).random((n, c, h, w))
    try:
        out, arg = conv.pool2d(good, int(size), None if stride is None else int(stride), "max")
    except (ValueError, TypeError, OverflowError):
        out, arg = np.zeros((n, c, 1, 1)), np.zeros((n, c, 1, 1), dtype=np.int64)
    shape = maybe(d, (n, c, h, w), st.sampled_from([(n, c, h + 3, w), (n, c, h), (n, c, h, w, 1), "x",
                                                     (0, c, h, w), (n, c, -h, w), (10**9, 10**9, 9, 9)]))
    dout = d(array(out.shape))
    arg_in = d(st.sampled_from([arg, arg + 10**6, -arg - 1, arg[..., :1], arg.astype(float) + 0.5, arg]))
    run("pool2d_backward", lambda: conv.pool2d_backward(dout, shape, size, stride, kind, arg_in),
        lambda dx: dx.shape == tuple(shape) and finite(dx))


@entry("conv")
@cases(400)
@given(st.data())
def shapes_and_cnn(data):
    d = data.draw
    which = d(st.sampled_from(["chain", "output_size", "feature_map", "cnn"]))
    if which == "chain":
        spec = conv.LayerSpec
        layers = [d(st.sampled_from([lambda: spec("conv", d(st.sampled_from([32, 0, -4, float("nan"), 2.0])), 3),
                                     lambda: spec("pool", kernel=d(st.sampled_from([2, 0, 9])), stride=d(st.sampled_from([None, 2, -1]))),
                                     lambda: spec("flatten"), lambda: spec("dense", d(st.sampled_from([10, 0, -1]))),
                                     lambda: spec(d(st.sampled_from(["conv", "lstm", None])), 4)]))
                  for _ in range(d(st.integers(0, 4)))]

        def call():
            return conv.shape_chain(maybe(d, (16, 16, 3), st.sampled_from([(16, 16), (0, 16, 3), (16.5, 16, 3),
                                                                          "abc", (-1, 4, 4)])),
                                    [make() for make in layers])
        run("shape_chain", call, lambda rows: all(all(v >= 1 for v in r.shape) and r.params >= 0 for r in rows))
    elif which == "output_size":
        run("output_size", lambda: conv.output_size(maybe(d, 8), maybe(d, 3), maybe(d, 1), maybe(d, 0)),
            lambda v: isinstance(v, int) and v >= 1)
    elif which == "feature_map":
        img = d(st.one_of(array((6, 7)), array((6, 7, 3))))
        ker = d(array((3, 3)))
        run("feature_map", lambda: conv.feature_map(img, ker, maybe(d, 1), maybe(d, 0)), finite)
    else:
        n = d(st.integers(1, 6))
        cfg = dict(side=maybe(d, 8), classes=maybe(d, 10), filters1=maybe(d, 2), filters2=maybe(d, 2),
                   batch_size=maybe(d, 4), seed=maybe(d, 0))
        x, y = d(array((n, 64), 0, 1)), d(array((n,), 0, 9, np.int64))
        xt, yt = d(array((3, 8, 8), 0, 1)), d(array((3,), 0, 12, np.int64))

        def call():
            net = conv.SmallCNN(conv.CNNConfig(**cfg), x, y, xt, yt)
            net.step(maybe(d, 1))
            return net.predict(xt)
        run("SmallCNN", call, lambda p: p.shape == (3, 10) and finite(p))


# ---- SOM ---------------------------------------------------------------------------------------------
DATA3 = RNG.random((30, 3))
_SOM = {}


@entry("som")
@cases(800)
@given(st.data())
def som_all(data):
    d = data.draw
    if "map" not in _SOM:
        _SOM["map"] = som_mod.SOM(som_mod.SOMConfig(4, 3, steps=200), DATA3)
        _SOM["map"].step(50)
    m = _SOM["map"]
    which = d(st.sampled_from(["config", "bmus", "errors", "neighbourhood", "step", "outliers", "weights"]))
    n = d(st.integers(1, 12))
    if which == "config":
        kw = dict(width=maybe(d, 3), height=maybe(d, 4), sigma=maybe(d, 1.0), learning_rate=maybe(d, 0.5),
                  steps=maybe(d, 20), seed=maybe(d, 0),
                  topology=maybe(d, "hexagonal", st.sampled_from(["torus", None])),
                  init=maybe(d, d(st.sampled_from(som_mod.INITS)), st.sampled_from(["zeros", 0])))
        x = d(array((n, 3)))

        def call():
            s = som_mod.SOM(som_mod.SOMConfig(**kw), x)
            s.step(maybe(d, 10))
            return s.errors()
        run("SOM(config, data).step", call, lambda r: finite(r))
    elif which == "bmus":
        x = d(array((n, 3)))
        run("SOM.bmus", lambda: m.bmus(x),  # the oracle runs only on accepted (so well-formed) input
            lambda b: b.shape == ((len(DATA3) if x is None else len(x)),) and b.min(initial=0) >= 0 and b.max(initial=0) < m.n_units)
    elif which == "errors":
        x = d(array((n, 3)))
        run("SOM.errors", lambda: m.errors(x), lambda r: (x is not None and np.size(x) == 0) or (finite(r) and 0 <= r[1] <= 1))
    elif which == "neighbourhood":
        unit = maybe(d, d(st.sampled_from([0, 5, (1, 2), (3, 2)])), st.sampled_from([12, -1, (4, 0), (0, 3), (1,), 2.5]))
        run("SOM.neighbourhood", lambda: m.neighbourhood(unit, maybe(d, 1.0)), shaped((4, 3)))
    elif which == "step":
        run("SOM.step", lambda: m.step(maybe(d, d(st.integers(0, 20)))), lambda s: s in ("running", "done"))
    elif which == "outliers":
        run("SOM.outliers", lambda: m.outliers(maybe(d, 5)), lambda o: o.min(initial=0) >= 0 and o.max(initial=0) < 30)
    else:
        w = d(array((12, 3)))

        def call():
            s = som_mod.SOM(som_mod.SOMConfig(4, 3, steps=10), DATA3)
            s.weights = w
            return s.bmus()
        run("SOM.weights =", call, lambda b: b.min() >= 0 and b.max() < 12)


# ---- RBM -------------------------------------------------------------------------------------------------
V6 = (RNG.random((20, 6)) > 0.5).astype(float)
_RBM = {}


@entry("rbm")
@cases(800)
@given(st.data())
def rbm_all(data):
    d = data.draw
    if "rbm" not in _RBM:
        _RBM["rbm"] = rbm_mod.RBM(rbm_mod.RBMConfig(6, 4, batch_size=5), V6)
    r = _RBM["rbm"]
    n = d(st.integers(1, 8))
    which = d(st.sampled_from(["config", "hidden", "visible", "reconstruct", "free_energy", "gibbs", "step",
                               "pseudo"]))
    if which == "config":
        kw = dict(n_visible=maybe(d, 6), n_hidden=maybe(d, 4), k=maybe(d, 1), batch_size=maybe(d, 5),
                  learning_rate=maybe(d, 0.1), momentum=maybe(d, 0.5), seed=maybe(d, 0),
                  persistent=maybe(d, False, st.sampled_from(["yes", 1, None])))
        v = d(array((n, 6), 0, 1))

        def call():
            model = rbm_mod.RBM(rbm_mod.RBMConfig(**kw), v)
            model.step(2)
            return model.reconstruction_error()
        run("RBM(config, data).step", call, lambda e: np.isfinite(e))
    elif which == "hidden":
        v = d(array((n, 6), 0, 1))
        run("RBM.hidden_probabilities", lambda: r.hidden_probabilities(v),
            lambda p: p.shape == (len(np.atleast_2d(v)), 4) and finite(p))
    elif which == "visible":
        h = d(array((n, 4), 0, 1))
        run("RBM.visible_probabilities", lambda: r.visible_probabilities(h),
            lambda p: p.shape == (len(np.atleast_2d(h)), 6) and finite(p))
    elif which == "reconstruct":
        v = d(array((n, 6), 0, 1))
        run("RBM.reconstruct", lambda: r.reconstruct(v), lambda p: p.shape == (len(np.atleast_2d(v)), 6) and finite(p))
    elif which == "free_energy":
        v = d(array((n, 6), 0, 1))
        run("RBM.free_energy", lambda: r.free_energy(v), lambda f: f.shape == (len(np.atleast_2d(v)),) and finite(f))
    elif which == "gibbs":
        v = d(array((n, 6), 0, 1))
        steps = maybe(d, 2)
        run("RBM.gibbs", lambda: r.gibbs(v, steps),
            lambda out: len(out) == steps and all(o.shape == (len(np.atleast_2d(v)), 6) and finite(o) for o in out))
    elif which == "step":
        nb = maybe(d, d(st.integers(0, 3)))
        order = d(st.one_of(st.none(), array((10,), 0, 19, np.int64), array((10,), 0, 10**6, np.int64, broken=False),
                            array((10,), -5, -1, np.int64, broken=False)))
        run("RBM.step", lambda: r.step(nb, order), lambda s: s in ("running", "diverged"))
    else:
        v = d(array((n, 6), 0, 1))
        run("RBM.pseudo_likelihood", lambda: r.pseudo_likelihood(v), lambda p: np.isfinite(p))


_RNN = {}


@entry("rnn")
@cases(700)
@given(st.data())
def rnn_all(data):
    d = data.draw
    if "net" not in _RNN:
        _RNN["task"] = sequences.recall(30, 6, seed=0)
        _RNN["net"] = rnn_mod.RNN(rnn_mod.RNNConfig(cell="lstm", hidden=4, batch_size=5), _RNN["task"])
        _RNN["text"] = rnn_mod.RNN(rnn_mod.RNNConfig(cell="gru", hidden=3), sequences.text(8, 30, seed=0))
    net, text = _RNN["net"], _RNN["text"]
    n = d(st.integers(1, 6))
    which = d(st.sampled_from(["config", "task", "step", "outputs", "evaluate", "gradient", "generate", "weights",
                               "sequences", "parse"]))
    if which == "config":
        kw = dict(cell=maybe(d, "gru", st.sampled_from(["lstm ", "GRU", 3, None])), hidden=maybe(d, 3),
                  layers=maybe(d, 2), learning_rate=maybe(d, 0.01), batch_size=maybe(d, 4), truncate=maybe(d, 2),
                  clip=maybe(d, 1.0), recurrent_scale=maybe(d, 1.0), forget_bias=maybe(d, 1.0), seed=maybe(d, 0),
                  peephole=maybe(d, False, st.sampled_from(["yes", 1, None])))

        def call():
            model = rnn_mod.RNN(rnn_mod.RNNConfig(**kw), _RNN["task"])
            model.step(2)
            return model.history.test_loss[-1]
        run("RNN(config, task).step", call, lambda e: np.isfinite(e))
    elif which == "task":
        kind = d(st.sampled_from(["values", "symbols"]))
        steps = d(st.integers(1, 5))
        y = d(array((n + 1, d(st.sampled_from([1, steps])), 2)))
        n_train = maybe(d, 1)
        if kind == "values":
            x = d(array((n + 1, steps, 2)))
            task = sequences.SequenceTask("bad", n_train, x=x, y=y, n_out=maybe(d, 2))
        else:
            xi = d(array((n + 1, steps), -2, 5, np.int64))
            yi = d(array((n + 1, 1), -1, 3, np.int64))
            task = sequences.SequenceTask("bad", n_train, xi=xi, yi=yi, vocab=("a", "b", "c", "d"), n_out=maybe(d, 3))

        def call():
            model = rnn_mod.RNN(rnn_mod.RNNConfig(cell="rnn", hidden=2), task)
            model.step(1)
            return model.outputs(np.arange(len(model.task)))[0]
        run("RNN(config, bad task)", call, lambda out: finite(out))
    elif which == "step":
        run("RNN.step", lambda: net.step(maybe(d, d(st.integers(1, 3)))), lambda s: s in ("running", "diverged"))
    elif which in ("outputs", "evaluate", "gradient"):
        rows = d(st.one_of(array((n,), 0, 29, np.int64), array((n,), 0, 10**6, np.int64, broken=False),
                           array((n,), -5, -1, np.int64, broken=False), st.just([0, 1.5]), st.just("0,1")))
        trace = maybe(d, -1)
        if which == "outputs":
            run("RNN.outputs", lambda: net.outputs(rows, trace)[0],
                lambda out: out.shape == (len(rows), 1, 4) and finite(out))
        elif which == "evaluate":
            run("RNN.evaluate", lambda: net.evaluate(rows), lambda r: len(r) == 2)
        else:
            run("RNN.loss_and_gradient", lambda: net.loss_and_gradient(rows)[1],
                lambda g: g.shape == net.theta.shape and finite(g))
    elif which == "generate":
        prompt = d(st.one_of(st.text(max_size=20), st.just(""), st.just(None), st.just(12)))
        run("RNN.generate", lambda: text.generate(prompt, maybe(d, 5), maybe(d, 0.8), maybe(d, 0)),
            lambda out: isinstance(out, str) and set(out) <= set(text.task.vocab))
    elif which == "weights":
        vector = d(st.one_of(st.none(), array((net.theta.size,)), array((3,)), st.just("w")))
        run("RNN.weights", lambda: net.weights(maybe(d, 0), vector)["W_h"], lambda w: w.shape == (4, 16))
    elif which == "sequences":
        kind = d(st.sampled_from(["recall", "adding", "series", "text"]))
        if kind == "recall":
            run("sequences.recall", lambda: sequences.recall(maybe(d, 20), maybe(d, 5), maybe(d, 3), maybe(d, 2)).xi,
                lambda xi: xi.ndim == 2)
        elif kind == "adding":
            run("sequences.adding", lambda: sequences.adding(maybe(d, 20), maybe(d, 5)).x, lambda x: finite(x))
        elif kind == "series":
            values = d(st.one_of(st.none(), array((n * 10,)), array((40,), -1e3, 1e3)))
            run("sequences.series", lambda: sequences.series(values, maybe(d, 5)).x, lambda x: finite(x))
        else:
            run("sequences.text", lambda: sequences.text(maybe(d, 8), maybe(d, 20)).xi, lambda xi: xi.ndim == 2)
    else:
        raw = d(st.one_of(st.text(max_size=60), st.just("1\n2\nnan\ninf\n"), st.just("a,b\n1,2\n3,4\n")))
        run("sequences.parse_column", lambda: sequences.parse_column(raw), lambda v: finite(v))


_AE = {}


@entry("ae")
@cases(600)
@given(st.data())
def ae_all(data):
    d = data.draw
    if "net" not in _AE:
        _AE["x"] = RNG.random((30, 6))
        _AE["net"] = ae_mod.Autoencoder(ae_mod.AEConfig(n_inputs=6, encoder=(4,), code=2, batch_size=5), _AE["x"])
        _AE["vae"] = ae_mod.Autoencoder(ae_mod.AEConfig(n_inputs=6, encoder=(4,), code=2, variational=True), _AE["x"])
    net = d(st.sampled_from([_AE["net"], _AE["vae"]]))
    n = d(st.integers(1, 6))
    which = d(st.sampled_from(["config", "data", "step", "encode", "reconstruct", "decode", "loss", "gradient",
                               "curve"]))
    if which == "config":
        kw = dict(n_inputs=6, encoder=maybe(d, (4,), st.sampled_from([(0,), (4, -1), "4", (300,), None])),
                  code=maybe(d, 2), learning_rate=maybe(d, 0.01), batch_size=maybe(d, 4),
                  noise=maybe(d, "masking", st.sampled_from(["salt", None, 3])), noise_level=maybe(d, 0.3),
                  sparsity=maybe(d, "none", st.sampled_from(["kl", "l2", None])), beta=maybe(d, 1.0),
                  contractive=maybe(d, 0.0), tied=maybe(d, False, st.sampled_from(["yes", 2, None])),
                  variational=maybe(d, False, st.sampled_from(["no", None])), seed=maybe(d, 0))

        def call():
            model = ae_mod.Autoencoder(ae_mod.AEConfig(**kw), _AE["x"])
            model.step(2)
            return model.history.test_loss[-1]
        run("Autoencoder(config, data).step", call, lambda e: np.isfinite(e))
    elif which == "data":
        x = d(array((n + 4, 6), -0.5, 1))
        labels = d(st.one_of(st.none(), array((n + 4,), 0, 9, np.int64), array((n + 4,), -3, 2000, np.int64)))
        run("Autoencoder(config, bad data)",
            lambda: ae_mod.Autoencoder(ae_mod.AEConfig(n_inputs=6, encoder=(3,), code=2), x, labels).reconstruct(
                np.zeros((2, 6))), shaped((2, 6)))
    elif which == "step":
        run("Autoencoder.step", lambda: net.step(maybe(d, d(st.integers(1, 3)))), lambda s: s in ("running", "diverged"))
    elif which in ("encode", "reconstruct"):
        x = d(array((n, 6)))
        width = 2 if which == "encode" else 6
        run(f"Autoencoder.{which}", lambda: getattr(net, which)(x), lambda out: out.shape == (len(np.atleast_2d(x)),
                                                                                                 width) and finite(out))
    elif which == "decode":
        z = d(array((n, 2), -3, 3))
        run("Autoencoder.decode", lambda: net.decode(z), lambda out: out.shape[1] == 6 and finite(out))
    elif which == "loss":
        rows = d(st.one_of(array((n,), 0, 29, np.int64), array((n,), 0, 10**6, np.int64, broken=False)))
        run("Autoencoder.loss", lambda: net.loss(rows), lambda r: len(r) == 2)
    elif which == "gradient":
        x_in = d(array((n, 6)))
        target = d(array((n, 6), 0, 1))
        eps = d(st.one_of(st.none(), array((n, 2))))
        run("Autoencoder.loss_and_gradient", lambda: net.loss_and_gradient(x_in, target, eps)[1],
            lambda g: g.shape == net.theta.shape and finite(g))
    else:
        run("datasets.lifted_curve", lambda: datasets.lifted_curve(maybe(d, "circle", st.sampled_from(["moon", 1])),
                                                                   maybe(d, 50), maybe(d, 0.02)).x,
            lambda x: x.shape[1] == 3 and finite(x))


# ---- core: neuron, activations, losses, optimizers, surfaces, datasets, features, metrics, init ----------
@entry("core")
@cases(2000)
@given(st.data())
def core(data):
    d = data.draw
    n = d(st.integers(1, 8))
    which = d(st.sampled_from(["mp", "perceptron", "activate", "softmax", "loss", "optimizer", "race", "grid",
                               "make_2d", "csv", "features", "metrics", "init", "split"]))
    if which == "mp":
        x = d(array((n, 2), 0, 1))
        run("McCullochPitts.output", lambda: neuron.McCullochPitts(maybe(d, 2), maybe(d, 1.0),
                                                                     maybe(d, (False, True))).output(x),
            lambda o: o.shape == (len(np.atleast_2d(x)),))
    elif which == "perceptron":
        def call():
            p = neuron.Perceptron(neuron.PerceptronConfig(gate=maybe(d, "OR", st.sampled_from(["XAND", 3])),
                                                          lr=maybe(d, 0.1), seed=maybe(d, 0)))
            p.step(maybe(d, 5))
            return p.predict(x)
        x = d(array((n, 2), 0, 1))
        run("Perceptron", call, lambda o: o.shape == (len(np.atleast_2d(x)),))
    elif which == "activate":
        x = d(array((n, 3), -5, 5))
        name = maybe(d, d(st.sampled_from(activations.ELEMENTWISE)), st.sampled_from(["softmax", "swish", None, ["relu"]]))
        run("activate_and_derivative", lambda: activations.activate_and_derivative(name, x, maybe(d, None)),
            lambda r: r[0].shape == np.shape(x) and (not moderate(x) or finite(*r)))
    elif which == "softmax":
        z = d(array((n, 4), -5, 5))
        run("softmax", lambda: activations.softmax(z, maybe(d, 1.0)),
            lambda p: p.shape == np.shape(z) and finite(p) and np.allclose(p.sum(axis=-1), 1))
    elif which == "loss":
        name = maybe(d, d(st.sampled_from(losses.LOSSES)), st.sampled_from(["l2", None]))
        pred, target = d(array((n, 2), 0.01, 0.99)), d(array((n, 2), 0, 1))
        ok = moderate(pred, target)
        run("loss_and_gradient", lambda: losses.loss_and_gradient(name, pred, target),
            lambda r: not ok or (np.isfinite(r[0]) and finite(r[1])))
    elif which == "optimizer":
        p = d(array((n,)))
        g = d(array((n,)))

        def call():
            cfg = optimizers.OptimizerConfig(maybe(d, d(st.sampled_from(optimizers.OPTIMIZERS)), st.sampled_from(["lbfgs", 0])),
                                             lr=maybe(d, 0.1), beta1=maybe(d, 0.9), eps=maybe(d, 1e-8))
            opt = optimizers.Optimizer(cfg, maybe(d, n))
            opt.update(p, g)
            return p
        ok = moderate(p, g)
        run("Optimizer.update", call, lambda out: not ok or finite(out))
    elif which == "race":
        surf = surfaces.SURFACES[d(st.sampled_from(list(surfaces.SURFACES)))]
        batch = maybe(d, None)
        bad_racers = d(st.sampled_from([None, [], ["adam"], [None], "adam"]))
        start, steps, seed = d(array((2,), -1, 1)), maybe(d, 20), maybe(d, 0)

        def call():
            racers = bad_racers or [surfaces.Racer(optimizers.default_config("adam"), batch_size=batch)]
            return surfaces.race(surf, racers, start, steps, seed)
        run("race", call, lambda r: r.positions.shape == (1, 21, 2))
    elif which == "grid":
        run("Surface.grid", lambda: surfaces.SURFACES["bowl"].grid(maybe(d, 10)), lambda g: finite(g[2]))
    elif which == "make_2d":
        name = maybe(d, d(st.sampled_from(datasets.DATASETS_2D)), st.sampled_from(["moons", None]))
        run("make_2d", lambda: datasets.make_2d(name, maybe(d, 50), maybe(d, 0.1), maybe(d, 0)),
            lambda ds: ds.x.shape == (50, 2) and finite(ds.x, ds.y))
    elif which == "csv":
        rows = d(st.lists(st.lists(st.sampled_from(["1", "0", "2.5", "-3", "nan", "inf", "x", "", "1e400", "9"]),
                                   min_size=1, max_size=4), min_size=0, max_size=12))
        raw = "\n".join(",".join(r) for r in rows)
        raw = d(st.sampled_from([raw, raw.encode(), b"\xff\xfe" + raw.encode(), raw.encode("utf-16")]))
        run("load_csv", lambda: datasets.load_csv(raw), lambda ds: finite(ds.x, ds.y) and len(ds.x) >= 4)
    elif which == "features":
        pts = d(array((n, 2), -6, 6))
        names = maybe(d, ["x1", "x1x2", "sinx2"], st.sampled_from([[], ["x3"], "x1", [None]]))
        run("make_features", lambda: features.make_features(pts, names), lambda f: f.shape[0] == n and finite(f))
    elif which == "metrics":
        yt, yp = d(array((n,), 0, 1, np.int64)), d(array((n,), 0, 1, np.int64))
        fn = d(st.sampled_from([metrics.accuracy, metrics.precision_recall, metrics.mean_absolute_error,
                                metrics.roc_auc]))
        run(f"metrics.{fn.__name__}", lambda: fn(yt, yp))
    elif which == "init":
        run("initialize", lambda: initializers.initialize(
            maybe(d, d(st.sampled_from(initializers.INITIALIZERS)), st.sampled_from(["orthogonal", None])),
            maybe(d, 3), maybe(d, 4), np.random.default_rng(0)), lambda w: w.shape == (3, 4) and finite(w))
    else:
        ds = datasets.make_2d("circle", 20)
        run("train_test_split", lambda: datasets.train_test_split(ds, maybe(d, 0.3), maybe(d, 0)),
            lambda r: len(r[0].x) + len(r[1].x) == 20)


def main(group: str) -> int:
    for fn in ENTRIES:
        if group in ("all", fn.group):
            fn()
    print(json.dumps({"cases": dict(counts), "failures": failures[:20], "n_failures": len(failures)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "all"))
