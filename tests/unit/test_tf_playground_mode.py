"""TF Playground mode (engine.mlp.tf_playground_config): the fused kernel trains exactly as
TensorFlow Playground's nn.ts does (a point-by-point port in tests/unit/reference.py), from its
initial weights, with and without regularisation, for classification and regression."""
import numpy as np
import pytest

from engine.datasets import make_2d
from engine.mlp import MLP, tf_playground_config
from tests.unit.reference import tf_playground_epochs


def _setup(regression: bool, act: str, batch: int, reg: str = "none", rate: float = 0.0, hidden=(4, 2)):
    d = make_2d("plane" if regression else "circle", 100, 0.1, seed=5)
    y = d.y if regression else 2.0 * d.y - 1.0                   # TF's labels: -1 and +1
    cfg = tf_playground_config(2, hidden, (act,) * len(hidden), regression=regression, lr=0.03, batch_size=batch,
                               n_train=len(d.x), regularization=reg, rate=rate, seed=3)
    return MLP(cfg, d.x, y), d.x, y


@pytest.mark.parametrize("regression, act, batch, reg, rate", [
    (False, "tanh", 10, "none", 0.0), (False, "relu", 1, "none", 0.0), (False, "sigmoid", 25, "L2", 0.03),
    (True, "tanh", 10, "none", 0.0), (True, "linear", 20, "L1", 0.01), (False, "tanh", 100, "L2", 0.3),
])
def test_trains_as_tf_playground_does(regression, act, batch, reg, rate):
    m, x, y = _setup(regression, act, batch, reg, rate)
    ws, bs = m.weights()
    epochs = 3
    m.step(epochs * len(x) // batch)
    ref_w, ref_b = tf_playground_epochs(x, y, ws, bs, act, "linear" if regression else "tanh", 0.03, batch, epochs,
                                        reg, rate)
    got_w, got_b = m.weights()
    for a, b in zip(got_w + got_b, ref_w + ref_b):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_its_loss_is_tf_playgrounds_half_squared_error_on_plus_minus_one():
    m, x, y = _setup(False, "tanh", 10)
    out = m.predict(x)[:, 0]
    assert np.all(np.abs(out) <= 1)                                # a tanh output
    assert m.loss(x, y[:, None]) == pytest.approx(np.mean(0.5 * (out - y) ** 2), rel=1e-12)
    assert m.loss(x, m.y_train) == m.loss(x, y[:, None])
    with pytest.raises(ValueError, match="y_targets"):
        m.loss(x, y)                                               # one column per output, said
    # before training: small weights, so the output is near 0 and the loss near 1/2 (TF shows ~0.5)
    assert 0.3 < m.loss(x, m.y_train) < 0.8


def test_initial_weights_are_tf_playgrounds():
    m, _, _ = _setup(False, "tanh", 10, hidden=(8, 8, 8))
    ws, bs = m.weights()
    w = np.concatenate([a.ravel() for a in ws])
    assert w.min() >= -0.5 and w.max() < 0.5 and w.std() == pytest.approx(1 / np.sqrt(12), rel=0.15)
    assert all(np.all(b == 0.1) for b in bs)
    zero = tf_playground_config(2, (4,), ("tanh",), regression=False, lr=0.1, batch_size=10, n_train=50,
                                init_zero=True)
    assert zero.init == "zeros" and zero.shuffle is False and zero.optimizer.name == "sgd"


def test_bad_settings_say_which():
    with pytest.raises(ValueError, match="regularization"):
        tf_playground_config(2, (4,), ("tanh",), regression=False, lr=0.1, batch_size=10, n_train=50,
                             regularization="L3")
    with pytest.raises(ValueError, match="batch_size"):
        tf_playground_config(2, (4,), ("tanh",), regression=False, lr=0.1, batch_size=0, n_train=50)
