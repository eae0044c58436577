"""engine.export: the JSON holds the network exactly, and the NumPy snippet, run on its own,
predicts what the engine predicts, for every activation, task and input feature."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from engine.activations import ELEMENTWISE
from engine.datasets import make_2d
from engine.export import FORMAT, keras_snippet, numpy_snippet, pytorch_snippet, to_json
from engine.features import FEATURE_NAMES, make_features
from engine.mlp import MLP, MLPConfig

GRID = np.random.default_rng(0).uniform(-6, 6, (200, 2))


def _run(snippet: str):
    space: dict = {}
    exec(compile(snippet, "netplay_export.py", "exec"), space)   # the file a learner downloads
    return space["predict"]


@pytest.mark.parametrize("act", ELEMENTWISE)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_snippet_predicts_what_the_engine_predicts(act, task):
    data = make_2d({"binary": "circle", "multiclass": "blobs", "regression": "plane"}[task], 120, 0.1, seed=1,
                   n_classes=4)
    feats = list(FEATURE_NAMES)
    cfg = MLPConfig(n_inputs=len(feats), hidden=(5, 3), activations=(act, "tanh"), task=task, n_classes=4,
                    leaky_slope=0.2, seed=2)
    m = MLP(cfg, make_features(data.x, feats), data.y)
    m.step(200)
    predict = _run(numpy_snippet(m, feats))
    want = m.predict(make_features(GRID, feats))
    got = predict(GRID[:, 0], GRID[:, 1])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-9, rtol=1e-9)
    assert np.allclose(predict(1.5, -2.0), m.predict(make_features(np.array([[1.5, -2.0]]), feats))[0])


def test_the_json_holds_every_weight_exactly_and_a_custom_output_exports_too():
    cfg = MLPConfig(n_inputs=3, hidden=(4,), activations=("elu",), n_outputs=2, output_activation="softmax",
                    loss="cce", seed=0)
    x = np.random.default_rng(1).normal(size=(10, 3))
    m = MLP(cfg, x, np.eye(2)[np.arange(10) % 2])
    m.step(20)
    d = json.loads(to_json(m))
    assert d["format"] == FORMAT and d["sizes"] == [3, 4, 2] and d["output_activation"] == "softmax"
    ws, bs = m.weights()
    assert all(np.array_equal(np.array(a), b) for a, b in zip(d["weights"] + d["biases"], ws + bs))
    predict = _run(numpy_snippet(m))
    np.testing.assert_allclose(predict(x), m.predict(x), atol=1e-12)


def _trained(act: str, task: str):
    data = make_2d({"binary": "circle", "multiclass": "blobs", "regression": "plane"}[task], 120, 0.1, seed=1,
                   n_classes=4)
    feats = ["x1", "x2", "x1·x2", "sin x2"]
    cfg = MLPConfig(n_inputs=len(feats), hidden=(5, 3), activations=(act, "tanh"), task=task, n_classes=4,
                    leaky_slope=0.2, seed=2)
    m = MLP(cfg, make_features(data.x, feats), data.y)
    m.step(150)
    return m, feats


@pytest.mark.parametrize("act", ELEMENTWISE)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_pytorch_definition_predicts_what_the_engine_predicts(act, task):
    pytest.importorskip("torch")   # dev-only: PyTorch is not a dependency
    m, feats = _trained(act, task)
    predict = _run(pytorch_snippet(m, feats))
    want = m.predict(make_features(GRID, feats))
    got = predict(GRID[:, 0], GRID[:, 1])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-8, rtol=1e-9)   # Softplus: PyTorch returns z past z = 20
    assert np.allclose(predict(1.5, -2.0), m.predict(make_features(np.array([[1.5, -2.0]]), feats))[0])


@pytest.mark.parametrize("act", ELEMENTWISE)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_keras_definition_predicts_what_the_engine_predicts(act, task):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")   # dev-only; on its PyTorch backend Keras multiplies in float32
    m, feats = _trained(act, task)
    source = keras_snippet(m, feats)
    predict = _run(source)
    want = m.predict(make_features(GRID, feats))
    got = predict(GRID[:, 0], GRID[:, 1])
    assert got.shape == want.shape
    # a step unit sits on its threshold for no grid point here, so float32 rounding cannot flip it
    np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-5)
    assert np.allclose(predict(1.5, -2.0), m.predict(make_features(np.array([[1.5, -2.0]]), feats))[0], atol=2e-5)


def _need(kind: str) -> None:
    """Skip unless the export's library is installed (dev-only: PyTorch and Keras are not dependencies)."""
    if kind == "pytorch":
        pytest.importorskip("torch")
    if kind == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")   # on its PyTorch backend Keras multiplies in float32
        pytest.importorskip("keras")


@pytest.mark.parametrize("kind", ["numpy", "pytorch", "keras"])
def test_a_residual_network_exports_with_its_skips(kind):
    _need(kind)
    data = make_2d("circle", 80, 0.1, seed=1)
    m = MLP(MLPConfig(hidden=(5, 5, 5, 3), activations=("relu", "tanh", "gelu", "tanh"), residual=True, seed=2),
            data.x, data.y)
    m.step(100)
    assert json.loads(to_json(m, ["x1", "x2"]))["residual"] == [False, True, True, False, False]
    snippet = {"numpy": numpy_snippet, "pytorch": pytorch_snippet, "keras": keras_snippet}[kind]
    predict = _run(snippet(m, ["x1", "x2"]))
    np.testing.assert_allclose(predict(GRID[:, 0], GRID[:, 1]), m.predict(GRID),
                               atol=2e-5 if kind == "keras" else 1e-12)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("kind", ["numpy", "pytorch", "keras"])
def test_a_batch_normalised_network_exports_with_its_running_averages(kind, where, residual):
    _need(kind)
    data = make_2d("circle", 80, 0.1, seed=1)
    m = MLP(MLPConfig(hidden=(5, 5, 3), activations=("relu", "tanh", "sigmoid"), residual=residual, batch_norm=where,
                      batch_size=16, seed=2), data.x, data.y)
    m.step(100)
    d = json.loads(to_json(m, ["x1", "x2"]))
    assert d["batch_norm"] == where and len(d["batch_norm_layers"]) == 3
    assert d["batch_norm_layers"][1]["running_var"] == m.batch_norm_state()[1]["running_var"].tolist()
    snippet = {"numpy": numpy_snippet, "pytorch": pytorch_snippet, "keras": keras_snippet}[kind]
    predict = _run(snippet(m, ["x1", "x2"]))
    np.testing.assert_allclose(predict(GRID[:, 0], GRID[:, 1]), m.predict(GRID),
                               atol=2e-5 if kind == "keras" else 1e-9, rtol=1e-5 if kind == "keras" else 1e-9)
