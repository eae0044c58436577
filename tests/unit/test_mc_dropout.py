"""Monte Carlo dropout (MLP.predict_mc): a NumPy reference of the definition with the same random
numbers, no spread without dropout, the weights untouched, seeds, bad arguments, and the lesson
the preset draws: the thinned networks agree near the data and not off it."""
import numpy as np
import pytest

from engine.datasets import make_2d
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from tests.unit.reference import activation

GRID = np.column_stack([a.ravel() for a in np.meshgrid(np.linspace(-6, 6, 41), np.linspace(6, -6, 41))])


def _net(task="binary", dropout=(0.3, 0.2), acts=("relu", "tanh"), steps=300, hidden=(6, 5), residual=False):
    d = make_2d({"binary": "gaussians", "multiclass": "blobs", "regression": "plane"}[task], 160, 0.1, seed=0,
                n_classes=3)
    m = MLP(MLPConfig(hidden=hidden, activations=acts, task=task, n_classes=3, dropout=dropout, seed=1,
                      residual=residual, optimizer=OptimizerConfig("adam", lr=0.01)), d.x, d.y)
    m.step(steps)
    return m, d


def _reference(m: MLP, x: np.ndarray, passes: int, seed: int):
    """Each pass: every hidden unit kept with probability 1 - rate (the same draw for all rows),
    kept ones scaled by 1 / (1 - rate), as training's inverted dropout; then the mean and the
    population standard deviation of the passes' predictions."""
    rng = np.random.default_rng(seed)
    ws, bs = m.weights()
    rates = list(m.config.dropout)
    outs = []
    for _ in range(passes):
        masks = [(rng.random(ws[l + 1].shape[0]) >= r) / (1 - r) if r > 0 else np.ones(ws[l + 1].shape[0])
                 for l, r in enumerate(rates)]
        a = x
        for l, (w, b) in enumerate(zip(ws, bs)):
            z = a @ w + b
            if l < len(rates):   # dropout thins f(z); a residual connection still adds the input
                out = activation(m.config.activations[l], z)[0] * masks[l]
                a = out + a if m.config.skips[l] else out
            elif m.config.task == "binary":
                a = 1 / (1 + np.exp(-z))
            elif m.config.task == "multiclass":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a = e / e.sum(axis=1, keepdims=True)
            else:
                a = z
        outs.append(a if m.config.task == "multiclass" else a[:, 0])
    outs = np.array(outs)
    return outs.mean(axis=0), outs.std(axis=0)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_agrees_with_a_numpy_reference_of_the_definition(task):
    m, _ = _net(task)
    mean, std = m.predict_mc(GRID, passes=25, seed=7)
    ref_mean, ref_std = _reference(m, GRID, 25, 7)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std, ref_std, rtol=1e-6, atol=1e-7)
    assert mean.shape == m.predict(GRID).shape and std.shape == mean.shape
    assert std.max() > 1e-3   # the passes differ


def test_a_residual_network_keeps_its_skips_while_thinned():
    m, _ = _net(dropout=(0.2, 0.4, 0.3), acts=("tanh", "relu", "tanh"), hidden=(5, 5, 5), residual=True)
    assert m.config.skips == (0, 1, 1, 0)
    mean, std = m.predict_mc(GRID, passes=20, seed=2)
    ref_mean, ref_std = _reference(m, GRID, 20, 2)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std, ref_std, rtol=1e-6, atol=1e-7)


def test_without_dropout_every_pass_is_the_network():
    m, _ = _net(dropout=())
    mean, std = m.predict_mc(GRID, passes=5)
    np.testing.assert_allclose(mean, m.predict(GRID), rtol=1e-14)
    assert np.all(std < 1e-7)


def test_weights_untouched_and_seeds_repeat():
    m, _ = _net()
    before = m.theta.copy()
    a = m.predict_mc(GRID, passes=10, seed=3)
    np.testing.assert_array_equal(m.theta, before)
    b = m.predict_mc(GRID, passes=10, seed=3)
    c = m.predict_mc(GRID, passes=10, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert np.abs(a[1] - c[1]).max() > 1e-3


@pytest.mark.parametrize("kwargs, words", [({"passes": 0}, "passes"), ({"passes": 1001}, "passes"),
                                           ({"passes": 2.5}, "passes"), ({"seed": -1}, "seed")])
def test_bad_arguments_say_which(kwargs, words):
    m, _ = _net(steps=1)
    with pytest.raises(ValueError, match=words):
        m.predict_mc(GRID, **kwargs)
    with pytest.raises(ValueError, match="x"):
        m.predict_mc(np.zeros((4, 3)))


def test_the_thinned_networks_agree_near_the_data_and_not_off_it():
    """The playground's preset: two clusters, 16-16 ReLU, dropout 0.3. Near the points the 30
    networks agree; along the boundary far from them, where no point pinned it, they do not."""
    d = make_2d("gaussians", 200, 0.1, seed=0)
    m = MLP(MLPConfig(hidden=(16, 16), activations=("relu", "relu"), dropout=(0.3, 0.3), seed=0,
                      optimizer=OptimizerConfig("adam", lr=0.01)), d.x, d.y)
    m.step(3000)
    mean, std = m.predict_mc(GRID, passes=30, seed=0)
    dist = np.min(np.linalg.norm(GRID[:, None] - d.x[None], axis=2), axis=1)
    near, far = std[dist < 0.5].mean(), std[dist > 2].mean()
    assert far > 5 * near, (near, far)
    assert std[dist > 2].max() > 0.3   # near 0.5 on the far boundary: half the networks say each class
