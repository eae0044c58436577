"""Batch normalisation in the fused MLP kernel (MLPConfig.batch_norm, before or after each hidden
layer's activation): a worked example by hand, the training gradient (through the batch's mean and
variance) against the NumPy reference and finite differences, the running averages evaluation uses,
PyTorch's BatchNorm1d step for step (dev-only), bad settings, and the lesson of the playground's
preset: a deep sigmoid net that stalls trains once its layers are normalised."""
from dataclasses import replace

import numpy as np
import pytest

from engine.datasets import make_2d
from engine.kernels import mlp as k
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from tests.unit.reference import activation, batch_norm_forward, mlp_loss_and_grads


def _net(batch_norm="before", hidden=(5, 4), acts=("tanh", "sigmoid"), **kw):
    d = make_2d("circle", 40, 0.1, seed=4)
    kw.setdefault("batch_size", 40)
    return d, MLP(MLPConfig(hidden=hidden, activations=acts, batch_norm=batch_norm, seed=2, **kw), d.x, d.y)


def test_a_worked_example_by_hand():
    """One unit, four samples whose net inputs are 1, 2, 3 and 4: mean 2.5, variance 1.25 (the
    batch's own, divided by 4), so x-hat = (z - 2.5) / sqrt(1.25 + 1e-5) = -1.3416, -0.4472, 0.4472,
    1.3416; with gamma 2 and beta 1 the layer hands on 2 x-hat + 1, whose mean square is 4.99996. The running averages move a
    tenth of the way: mean 0.25, variance 0.9 + 0.1 * 5/3 (the unbiased 1.6667) = 1.0667."""
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    m = MLP(MLPConfig(n_inputs=1, hidden=(1,), activations=("linear",), task="regression", batch_size=4,
                      shuffle=False, batch_norm="before", optimizer=OptimizerConfig("sgd", lr=1e-12)), x, np.zeros(4))
    m.set_weights([np.array([[1.0]]), np.array([[1.0]])], [np.array([0.0]), np.array([0.0])])
    m.set_batch_norm_state([{"gamma": np.array([2.0]), "beta": np.array([1.0]), "running_mean": np.array([0.0]),
                             "running_var": np.array([1.0])}])
    m.step(1)   # lr 1e-12: the weights stay; the statistics and running averages are the step's
    xh = (x[:, 0] - 2.5) / np.sqrt(1.25 + 1e-5)
    np.testing.assert_allclose(xh, [-1.341635, -0.447212, 0.447212, 1.341635], atol=1e-6)
    assert m._norm[k.MEAN, 1] == 2.5 and m._norm[k.INV, 1] == pytest.approx(1 / np.sqrt(1.25 + 1e-5), rel=1e-14)
    # the output (weight 1, bias 0) is 2 x-hat + 1 against targets 0: squared error 4 mean(x-hat^2) + 1
    assert m.history.batch_loss[-1] == pytest.approx(np.mean((2 * xh + 1) ** 2), rel=1e-12)
    assert m.history.batch_loss[-1] == pytest.approx(4 * 1.25 / (1.25 + 1e-5) + 1, rel=1e-12)
    state = m.batch_norm_state()[0]
    assert state["running_mean"][0] == pytest.approx(0.25)
    assert state["running_var"][0] == pytest.approx(0.9 + 0.1 * 5 / 3)
    # evaluation normalises by the running averages: (z - 0.25) / sqrt(1.0667 + 1e-5) * 2 + 1
    hidden = m.all_units(x)[:, 1]
    np.testing.assert_allclose(hidden, 2 * (x[:, 0] - 0.25) / np.sqrt(state["running_var"][0] + 1e-5) + 1, rtol=1e-9)


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("task, acts", [("binary", ("relu", "tanh", "sigmoid")),
                                        ("multiclass", ("tanh", "gelu", "elu")),
                                        ("regression", ("sigmoid", "silu", "tanh"))])
def test_training_gradient_agrees_with_the_reference(where, task, acts):
    d = make_2d({"binary": "circle", "multiclass": "blobs", "regression": "plane"}[task], 50, 0.1, seed=2,
                n_classes=3)
    m = MLP(MLPConfig(hidden=(6, 5, 4), activations=acts, task=task, n_classes=3, batch_norm=where, l2=0.01,
                      batch_size=16, seed=3), d.x, d.y)
    m.step(30)
    ws, bs = m.weights()
    state = m.batch_norm_state()
    loss, gw, gb, gg, gbe = mlp_loss_and_grads(d.x, m.y_train, ws, bs, acts, task, alpha=m._alpha, l2=0.01,
                                               batch_norm=where, gammas=[s["gamma"] for s in state],
                                               betas=[s["beta"] for s in state])
    before = m._norm.copy()
    got_loss, grad = m.loss_and_gradient(d.x, d.y, batch_stats=True)
    np.testing.assert_array_equal(m._norm[[k.RUN_MEAN, k.RUN_VAR]], before[[k.RUN_MEAN, k.RUN_VAR]])
    assert got_loss == pytest.approx(loss, rel=1e-12)
    gws, gbs = m._layers(grad)
    for a, b in zip(gws + gbs, gw + gb):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)
    for l in range(3):
        g = int(m._g_off[l])
        np.testing.assert_allclose(grad[g:g + m._sizes[l + 1]], gg[l], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(grad[g + m._sizes[l + 1]:g + 2 * m._sizes[l + 1]], gbe[l], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("batch_stats", [True, False])
def test_finite_differences(where, batch_stats):
    """Every parameter (weights, biases, gamma, beta), in training mode (the batch's statistics)
    and in evaluation mode (the running averages), with a residual connection in the middle."""
    d = make_2d("xor", 30, 0.1, seed=1)
    m = MLP(MLPConfig(hidden=(4, 4, 4), activations=("tanh", "sigmoid", "elu"), residual=True, batch_norm=where,
                      batch_size=8, seed=5), d.x, d.y)
    m.step(20)
    _, g = m.loss_and_gradient(d.x, d.y, batch_stats=batch_stats)
    th = m.theta.copy()
    for i in range(th.size):
        m.theta[:] = th
        m.theta[i] += 1e-6
        up = m.loss_and_gradient(d.x, d.y, batch_stats=batch_stats)[0]
        m.theta[i] -= 2e-6
        down = m.loss_and_gradient(d.x, d.y, batch_stats=batch_stats)[0]
        assert (up - down) / 2e-6 == pytest.approx(g[i], abs=2e-8), i
    m.theta[:] = th


def test_training_normalises_each_batch_and_evaluation_uses_running_averages():
    d, m = _net(hidden=(6,), acts=("tanh",), batch_size=40, shuffle=False)
    m.step(200)
    m.set_config(replace(m.config, optimizer=OptimizerConfig("sgd", lr=1e-12)))   # weights held still
    m.step(150)
    state = m.batch_norm_state()[0]
    ws, bs = m.weights()
    z = d.x @ ws[0] + bs[0]
    # one batch = the whole set, weights still: the running averages have converged on its statistics
    np.testing.assert_allclose(state["running_mean"], z.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(state["running_var"], z.var(axis=0, ddof=1), rtol=1e-6)
    y_eval = state["gamma"] * (z - state["running_mean"]) / np.sqrt(state["running_var"] + 1e-5) + state["beta"]
    np.testing.assert_allclose(m.layer_outputs(m.all_units(d.x))[1], np.tanh(y_eval), rtol=1e-12, atol=1e-12)
    y_train = batch_norm_forward(z, state["gamma"], state["beta"])[0]
    assert not np.allclose(y_train, y_eval, atol=1e-9)   # different statistics, so not the same numbers


def test_dropout_and_batch_norm_after_the_activation():
    """After: f -> dropout -> normalise. Training still reduces the loss; evaluation is deterministic."""
    d, m = _net(where := "after", hidden=(8, 8), acts=("relu", "relu"), dropout=(0.2, 0.2), batch_size=20)
    first = m.loss(m.x_train, m.y_train)
    m.step(400)
    assert m.loss(m.x_train, m.y_train) < 0.7 * first
    np.testing.assert_array_equal(m.predict(d.x), m.predict(d.x))
    assert where == m.config.batch_norm


def test_gamma_and_beta_are_parameters_without_penalty():
    d, m = _net(l2=5.0, optimizer=OptimizerConfig("sgd", lr=0.1))
    _, g = m.loss_and_gradient(d.x, d.y, batch_stats=True)
    _, g0 = MLP(MLPConfig(hidden=(5, 4), activations=("tanh", "sigmoid"), batch_norm="before", seed=2,
                          batch_size=40), d.x, d.y).loss_and_gradient(d.x, d.y, batch_stats=True)
    gam = slice(int(m._g_off[0]), int(m._g_off[0]) + 10)
    np.testing.assert_allclose(g[gam], g0[gam], rtol=1e-12)   # L2 leaves gamma and beta alone
    assert m.n_params == 2 * 5 + 5 + 5 * 4 + 4 + 4 * 1 + 1 + 2 * (5 + 4)
    m.step(5)
    assert not np.allclose(m.batch_norm_state()[0]["gamma"], 1.0)   # they train


def test_bad_settings_say_why():
    with pytest.raises(ValueError, match="batch_norm"):
        MLPConfig(batch_norm="sometimes")
    with pytest.raises(ValueError, match="at least 2 samples"):
        MLPConfig(batch_norm="before", batch_size=1)
    x = np.random.default_rng(0).normal(size=(9000, 2))
    with pytest.raises(ValueError, match="at most 8192"):
        MLP(MLPConfig(batch_norm="before", batch_size=10000), x, (x[:, 0] > 0).astype(int))
    d, m = _net()
    with pytest.raises(ValueError, match="architecture"):
        m.set_config(MLPConfig(hidden=(5, 4), activations=("tanh", "sigmoid"), batch_norm="after", batch_size=40))
    with pytest.raises(ValueError, match="running_var"):
        m.set_batch_norm_state([{**s, "running_var": -s["running_var"]} for s in m.batch_norm_state()])
    with pytest.raises(ValueError, match="walk-through"):
        m.backprop_trace(d.x[:4], d.y[:4])
    assert MLP(MLPConfig(), d.x, d.y).batch_norm_state() == []


def test_it_rescues_a_deep_sigmoid_network():
    """Eight sigmoid layers of 8 units with plain SGD: the gradient that reaches the first layer is
    about 1e-5 of the last one's and the circle is not learnt in 600 steps; normalised before
    each sigmoid, the same net learns it, and its first layer's gradient is no longer vanishing."""
    d = make_2d("circle", 200, 0.05, seed=1)
    cfg = dict(hidden=(8,) * 8, activations=("sigmoid",) * 8, batch_size=20,
               optimizer=OptimizerConfig("sgd", lr=0.3), seed=1)
    plain = MLP(MLPConfig(**cfg), d.x, d.y)
    normed = MLP(MLPConfig(**cfg, batch_norm="before"), d.x, d.y)
    plain.step(600)
    normed.step(600)
    acc = lambda m: np.mean((m.predict(d.x) > 0.5) == d.y)  # noqa: E731
    assert acc(plain) < 0.7 and acc(normed) > 0.9, (acc(plain), acc(normed))
    ratio = lambda m: m._layer_norms[0] / m._layer_norms[-1]  # noqa: E731
    assert ratio(normed) > 1000 * ratio(plain)


@pytest.mark.parametrize("where", ["before", "after"])
def test_training_matches_pytorch_batchnorm1d(where):
    """Dev-only (PyTorch is not a dependency): the same net as nn.Linear / nn.BatchNorm1d / Tanh
    modules, trained by torch.optim.SGD on the same batches in order (the last one short), gives
    the same weights, gamma, beta and running averages, and the same predictions in eval()."""
    torch = pytest.importorskip("torch")
    d = make_2d("circle", 46, 0.1, seed=3)
    m = MLP(MLPConfig(hidden=(5, 4), activations=("tanh", "relu"), batch_norm=where, batch_size=8, shuffle=False,
                      optimizer=OptimizerConfig("sgd", lr=0.2), seed=7), d.x, d.y)
    ws, bs = m.weights()
    layers = []
    for l, act in enumerate((torch.nn.Tanh(), torch.nn.ReLU(), None)):
        lin = torch.nn.Linear(*ws[l].shape).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(ws[l].T))
            lin.bias.copy_(torch.from_numpy(bs[l]))
        layers.append(lin)
        if act is not None:
            bn = torch.nn.BatchNorm1d(ws[l].shape[1]).double()   # momentum 0.1, eps 1e-5
            layers += [bn, act] if where == "before" else [act, bn]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    x, y = torch.from_numpy(d.x), torch.from_numpy(d.y.astype(np.float64)).reshape(-1, 1)
    for _ in range(3):   # three epochs of six batches, the last of 6 samples
        for s in range(0, 46, 8):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(net(x[s:s + 8]), y[s:s + 8]).backward()
            opt.step()
    m.step(18)
    lins = [mod for mod in net if isinstance(mod, torch.nn.Linear)]
    bns = [mod for mod in net if isinstance(mod, torch.nn.BatchNorm1d)]
    ws, bs = m.weights()
    for l, lin in enumerate(lins):
        np.testing.assert_allclose(ws[l], lin.weight.detach().numpy().T, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(bs[l], lin.bias.detach().numpy(), rtol=1e-9, atol=1e-12)
    for state, bn in zip(m.batch_norm_state(), bns):
        np.testing.assert_allclose(state["gamma"], bn.weight.detach().numpy(), rtol=1e-9)
        np.testing.assert_allclose(state["beta"], bn.bias.detach().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(state["running_mean"], bn.running_mean.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(state["running_var"], bn.running_var.numpy(), rtol=1e-9)
    net.eval()
    np.testing.assert_allclose(m.predict(d.x), torch.sigmoid(net(x)).detach().numpy()[:, 0], rtol=1e-9)
