"""The MLP's general output layer (any width, linear / sigmoid / tanh / softmax, any loss of
engine.losses), frozen biases and backprop_trace, against hand-checked numbers and finite
differences."""
from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import digits
from engine.mlp import MLP, MLPConfig, OUTPUT_ACTIVATIONS, OUTPUT_LOSSES
from engine.optimizers import OptimizerConfig

# The classic step-by-step backpropagation example (seed 002's walk-through): 2 inputs, 2 sigmoid
# hidden units, 2 sigmoid outputs, E = 1/2 sum (target - out)^2, one update at rate 0.5, biases held.
X, Y = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
W = [np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([[0.40, 0.50], [0.45, 0.55]])]  # w1..w8
B = [np.array([0.35, 0.35]), np.array([0.60, 0.60])]


def _walkthrough() -> MLP:
    cfg = MLPConfig(n_inputs=2, hidden=(2,), activations=("sigmoid",), n_outputs=2, output_activation="sigmoid",
                    loss="mse_half", freeze_biases=True, optimizer=OptimizerConfig("sgd", lr=0.5),
                    batch_size=1, shuffle=False)
    m = MLP(cfg, X, Y)
    m.set_weights(W, B)
    return m


def test_the_classic_walkthrough_to_nine_decimals():
    m = _walkthrough()
    t = m.backprop_trace(X, Y)
    # forward: net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775, out_h1 = sigmoid(0.3775) = 0.593269992
    np.testing.assert_allclose(t["net"][0], [[0.3775, 0.3925]], atol=1e-12)
    np.testing.assert_allclose(t["out"][0], [[0.593269992, 0.596884378]], atol=1e-9)
    np.testing.assert_allclose(t["net"][1], [[1.105905967, 1.224921404]], atol=1e-9)
    np.testing.assert_allclose(t["out"][1], [[0.75136507, 0.772928465]], atol=1e-9)
    assert t["loss"] == pytest.approx(0.298371109, abs=1e-9)                     # E_total
    # backward at the output: dE/dout_o1 = 0.74136507, dout/dnet = 0.186815602, delta_o1 = 0.138498562
    np.testing.assert_allclose(t["dE_dout"], [[0.74136507, -0.217071535]], atol=1e-9)
    np.testing.assert_allclose(t["dout_dnet"][1], [[0.186815602, 0.175510053]], atol=1e-9)
    np.testing.assert_allclose(t["delta"][1], [[0.138498562, -0.038098236]], atol=1e-9)
    assert t["grad_weights"][1][0, 0] == pytest.approx(0.082167041, abs=1e-9)     # dE/dw5
    assert t["grad_weights"][0][0, 0] == pytest.approx(0.000438568, abs=1e-9)     # dE/dw1
    # the update: w5..w8 and w1..w4 as published, biases unchanged
    np.testing.assert_allclose(t["new_weights"][1], [[0.35891648, 0.511301270], [0.408666186, 0.561370121]],
                               atol=1e-9)
    np.testing.assert_allclose(t["new_weights"][0], [[0.149780716, 0.24975114], [0.19956143, 0.29950229]],
                               atol=1e-8)
    assert all(np.array_equal(a, b) for a, b in zip(t["new_biases"], B))
    # and training makes exactly that step
    m.step(1)
    ws, bs = m.weights()
    for got, want in zip(ws, t["new_weights"]):
        np.testing.assert_allclose(got, want, atol=1e-15)
    assert all(np.array_equal(a, b) for a, b in zip(bs, B))


def _targets(loss: str, n: int, k: int, rng) -> np.ndarray:
    if loss == "cce":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "bce":
        return rng.uniform(0, 1, (n, k))
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, k))
    return rng.normal(0, 1, (n, k))


PAIRS = [(a, loss) for a in OUTPUT_ACTIVATIONS for loss in OUTPUT_LOSSES
         if not (loss in ("bce", "cce") and a not in ("sigmoid", "softmax"))]


@pytest.mark.parametrize("out_act,loss", PAIRS)
def test_gradient_matches_finite_differences_for_every_output_and_loss(out_act, loss):
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (7, 3))
    y = _targets(loss, 7, 3, rng)
    cfg = MLPConfig(n_inputs=3, hidden=(4,), activations=("tanh",), n_outputs=3, output_activation=out_act,
                    loss=loss, seed=1)
    m = MLP(cfg, x, y)
    value, grad = m.loss_and_gradient(x, y)
    assert value == pytest.approx(m.loss(m.x_train, m.y_train))
    eps, theta = 1e-6, m.theta.copy()
    numeric = np.empty_like(theta)
    for q in range(theta.size):
        m.theta[:] = theta
        m.theta[q] += eps
        up = m.loss(m.x_train, m.y_train)
        m.theta[q] -= 2 * eps
        numeric[q] = (up - m.loss(m.x_train, m.y_train)) / (2 * eps)
    m.theta[:] = theta
    tol = 1e-4 if loss in ("mae", "hinge") else 1e-7   # kinks: a difference may straddle one
    np.testing.assert_allclose(grad, numeric, atol=tol)
    trace = m.backprop_trace(x, y)
    np.testing.assert_allclose(np.concatenate([np.concatenate([w.ravel(), b]) for w, b in
                                               zip(trace["grad_weights"], trace["grad_biases"])]), grad, atol=1e-12)
    np.testing.assert_allclose(trace["out"][-1], m.predict(x).reshape(7, 3), atol=1e-12)


def test_a_digits_network_with_a_64_wide_sigmoid_output_learns_to_reconstruct():
    d = digits()
    x = d.x[:400] / 16.0
    cfg = MLPConfig(n_inputs=64, hidden=(24,), activations=("sigmoid",), n_outputs=64, output_activation="sigmoid",
                    loss="mse", optimizer=OptimizerConfig("adam", lr=0.01), batch_size=32, seed=0)
    m = MLP(cfg, x, x)
    before = m.loss(m.x_train, m.y_train)
    m.step(1500)
    after = m.loss(m.x_train, m.y_train)
    assert m.status == "training" and after < 0.35 * before, (before, after)
    assert m.predict(x[:5]).shape == (5, 64)


def test_frozen_biases_keep_their_values_under_any_optimizer():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, (50, 2)), rng.normal(0, 1, (50, 2))
    cfg = MLPConfig(n_inputs=2, hidden=(3,), activations=("tanh",), n_outputs=2, output_activation="linear",
                    loss="mse", freeze_biases=True, optimizer=OptimizerConfig("adam", lr=0.05), seed=0)
    m = MLP(cfg, x, y)
    m.set_weights(m.weights()[0], [np.full(3, 0.1), np.full(2, -0.2)])
    w0 = m.weights()[0][0].copy()
    m.step(100)
    assert np.array_equal(m.weights()[1][0], np.full(3, 0.1)) and np.array_equal(m.weights()[1][1], np.full(2, -0.2))
    assert not np.array_equal(m.weights()[0][0], w0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(output_activation="sigmoid", loss="mse"), "needs n_outputs"),
    (dict(n_outputs=2, loss="mse"), "needs n_outputs, output_activation and loss"),
    (dict(n_outputs=2, output_activation="tanh", loss="bce"), "takes probabilities"),
    (dict(n_outputs=1, output_activation="softmax", loss="cce"), "at least 2 outputs"),
    (dict(n_outputs=2, output_activation="relu", loss="mse"), "output_activation must be one of"),
    (dict(n_outputs=2, output_activation="linear", loss="mse", task="binary"), "fixes its own output layer"),
    (dict(n_outputs=2, output_activation="linear", loss="huber"), "loss must be one of"),
])
def test_a_custom_output_layer_is_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPConfig(**kwargs)


def test_custom_targets_are_checked_and_the_tasks_are_unchanged():
    cfg = MLPConfig(n_inputs=2, hidden=(), activations=(), n_outputs=2, output_activation="linear", loss="mae")
    with pytest.raises(ValueError, match=r"must have shape \(3, 2\)"):
        MLP(cfg, np.zeros((3, 2)), np.zeros((3, 1)))
    assert MLPConfig().task == "binary" and MLPConfig().n_outputs == 1
    assert MLPConfig(task="multiclass", n_classes=4).sizes == (2, 4, 4)
