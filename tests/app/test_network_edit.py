"""A weight or bias typed on the network picture: applied exactly, and any other payload (it comes
from the browser) refused with the network untouched."""
from __future__ import annotations

import numpy as np
import pytest

from app.state.network_edit import apply_network_edit, unit_name
from engine.datasets import make_2d
from engine.mlp import MLP, MLPConfig

CIRCLE = make_2d("circle", 100, 0.0, seed=1)


def _model() -> MLP:
    return MLP(MLPConfig(hidden=(4, 2), activations=("tanh", "tanh"), task="binary", seed=0), CIRCLE.x, CIRCLE.y)


def test_a_weight_edit_changes_that_weight_only_and_the_output_follows():
    m = _model()
    ws, bs = m.weights()
    before = m.predict(CIRCLE.x)
    note = apply_network_edit(m, {"kind": "weight", "layer": 1, "from": 3, "to": 0, "value": -2.5}, ["x1", "x2"])
    assert note == "Set the weight h1,4 → h2,1 to -2.5."
    ws2, bs2 = m.weights()
    ws[1][3, 0] = -2.5
    assert all(np.array_equal(a, b) for a, b in zip(ws + bs, ws2 + bs2))
    assert not np.allclose(before, m.predict(CIRCLE.x))


def test_a_bias_edit_names_the_unit_as_the_picture_does():
    m = _model()
    assert apply_network_edit(m, {"kind": "bias", "layer": 3, "unit": 0, "value": 0.75}, ["x1", "x2"]) == \
        "Set the bias of out to 0.75."
    assert m.weights()[1][2][0] == 0.75
    apply_network_edit(m, {"kind": "weight", "layer": 0, "from": 1, "to": 2, "value": 1}, ["x1", "x2"])
    assert m.weights()[0][0][1, 2] == 1.0
    assert [unit_name((2, 4, 3), ["x1", "x2"], l, u) for l, u in [(0, 1), (1, 0), (2, 2)]] == ["x2", "h1,1", "out 3"]


@pytest.mark.parametrize("edit", [
    None, "weight", [], {"kind": "weights"},
    {"kind": "weight", "layer": 3, "from": 0, "to": 0, "value": 1},     # no layer 3 of weights
    {"kind": "weight", "layer": -1, "from": 0, "to": 0, "value": 1},
    {"kind": "weight", "layer": 0, "from": 2, "to": 0, "value": 1},     # only 2 inputs
    {"kind": "weight", "layer": 0, "from": 0, "to": 4, "value": 1},
    {"kind": "weight", "layer": 0, "from": 0.5, "to": 0, "value": 1},
    {"kind": "weight", "layer": True, "from": 0, "to": 0, "value": 1},
    {"kind": "weight", "layer": 0, "from": 0, "to": 0, "value": float("nan")},
    {"kind": "weight", "layer": 0, "from": 0, "to": 0, "value": 1e9},
    {"kind": "weight", "layer": 0, "from": 0, "to": 0, "value": "1"},
    {"kind": "weight", "layer": 0, "from": 0, "to": 0},
    {"kind": "bias", "layer": 0, "unit": 0, "value": 1},                # inputs have no bias
    {"kind": "bias", "layer": 1, "unit": 4, "value": 1},
])
def test_anything_else_is_refused_and_nothing_changes(edit):
    m = _model()
    before = m.theta.copy()
    with pytest.raises(ValueError):
        apply_network_edit(m, edit, ["x1", "x2"])
    assert np.array_equal(m.theta, before)
