"""Residual connections in the fused MLP kernel (MLPConfig.residual): which layers skip, the
forward pass and every gradient against the NumPy reference and finite differences, dropout and
evaluation, the exports, and the lesson of the playground's preset: a deep sigmoid net that stalls
trains once its layers add their inputs."""
import numpy as np
import pytest

from engine.datasets import make_2d, train_test_split
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from tests.unit.reference import activation, mlp_loss_and_grads


def test_only_hidden_layers_as_wide_as_the_one_before_skip():
    assert MLPConfig(hidden=(5, 5, 5, 3, 3), activations=("tanh",) * 5, residual=True).skips == (0, 1, 1, 0, 1, 0)
    assert MLPConfig(hidden=(5, 5), activations=("tanh",) * 2).skips == (0, 0, 0)
    assert MLPConfig(hidden=(2,), n_inputs=2, activations=("tanh",), residual=True).skips == (0, 0)   # never the input
    with pytest.raises(ValueError, match="residual"):
        MLPConfig(residual="yes")


@pytest.mark.parametrize("task, acts", [("binary", ("relu", "tanh", "sigmoid", "elu")),
                                        ("multiclass", ("tanh", "gelu", "tanh", "relu")),
                                        ("regression", ("sigmoid", "silu", "relu", "tanh"))])
def test_forward_and_gradient_agree_with_the_reference(task, acts):
    d = make_2d({"binary": "circle", "multiclass": "blobs", "regression": "plane"}[task], 60, 0.1, seed=2,
                n_classes=3)
    m = MLP(MLPConfig(hidden=(6, 6, 6, 4), activations=acts, task=task, n_classes=3, residual=True, l2=0.01,
                      seed=3), d.x, d.y)
    m.step(40)
    ws, bs = m.weights()
    loss, gw, gb = mlp_loss_and_grads(d.x, m.y_train, ws, bs, acts, task, alpha=m._alpha, l2=0.01,
                                      skips=list(m.config.skips))
    got_loss, grad = m.loss_and_gradient(d.x, d.y)
    assert got_loss == pytest.approx(loss, rel=1e-12)
    gws, gbs = m._layers(grad)
    for a, b in zip(gws + gbs, gw + gb):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    a = d.x   # the hidden layers' outputs, by hand: f(z) + input where the layer skips
    for l, (w, b) in enumerate(zip(ws[:-1], bs[:-1])):
        out = activation(acts[l], a @ w + b, m._alpha)[0]
        a = out + a if m.config.skips[l] else out
        np.testing.assert_allclose(m.layer_outputs(m.all_units(d.x))[l + 1], a, rtol=1e-12, atol=1e-12)


def test_finite_differences_through_the_skips():
    d = make_2d("xor", 30, 0.1, seed=1)
    m = MLP(MLPConfig(hidden=(4, 4, 4), activations=("tanh", "sigmoid", "tanh"), residual=True, seed=5), d.x, d.y)
    m.step(20)
    _, g = m.loss_and_gradient(d.x, d.y)
    th = m.theta.copy()
    for i in range(0, th.size, 3):
        m.theta[:] = th
        m.theta[i] += 1e-6
        up = m.loss_and_gradient(d.x, d.y)[0]
        m.theta[i] -= 2e-6
        down = m.loss_and_gradient(d.x, d.y)[0]
        assert (up - down) / 2e-6 == pytest.approx(g[i], abs=1e-8)
    m.theta[:] = th


def test_dropout_leaves_the_skip_path_alone():
    """Inverted dropout drops f(z) only: a layer whose every unit is dropped passes its input on."""
    d = make_2d("circle", 40, 0.1, seed=0)
    m = MLP(MLPConfig(hidden=(5, 5), activations=("tanh", "tanh"), residual=True, dropout=(0.0, 0.999999),
                      batch_size=40, shuffle=False, optimizer=OptimizerConfig("sgd", lr=0.1), seed=0), d.x, d.y)
    ws, bs = m.weights()
    m.step(1)
    # with layer 2 dropped, the output sees layer 1's output directly: W3's gradient is a1^T delta
    a1 = np.tanh(d.x @ ws[0] + bs[0])
    p = 1 / (1 + np.exp(-(a1 @ ws[2] + bs[2])[:, 0]))
    expected = ws[2] - 0.1 * (a1.T @ ((p - m.y_train[:, 0]) / 40))[:, None]
    np.testing.assert_allclose(m.weights()[0][2], expected, rtol=1e-9, atol=1e-12)


def test_a_deep_sigmoid_net_stalls_and_the_residual_one_trains():
    """The playground's preset: eight sigmoid layers of six on the circle, SGD at 0.3."""
    d = make_2d("circle", 300, 0.0, seed=0)
    train, test = train_test_split(d, 0.5, seed=0)
    nets = {res: MLP(MLPConfig(hidden=(6,) * 8, activations=("sigmoid",) * 8, residual=res,
                               optimizer=OptimizerConfig("sgd", lr=0.3), seed=0), train.x, train.y, test.x, test.y)
            for res in (False, True)}
    for m in nets.values():
        m.step(1500)
    plain, residual = nets[False], nets[True]
    assert plain.history.test_loss[-1] > 0.68 and residual.history.test_loss[-1] < 0.05
    assert plain.snapshot().layer_grad_norms[0] < 1e-4 < residual.snapshot().layer_grad_norms[0]


def test_across_the_kernels_sample_blocks():
    """More points than one block of the kernel's buffers (512): the kept dL/da rows are per block."""
    d = make_2d("circle", 1300, 0.1, seed=4)
    m = MLP(MLPConfig(hidden=(7, 7, 7), activations=("tanh", "relu", "tanh"), residual=True, seed=1), d.x, d.y)
    ws, bs = m.weights()
    loss, gw, gb = mlp_loss_and_grads(d.x, m.y_train, ws, bs, m.config.activations, "binary",
                                      skips=list(m.config.skips))
    got, grad = m.loss_and_gradient(d.x, d.y)
    assert got == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(grad, np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gw, gb)]),
                               rtol=1e-8, atol=1e-12)
