import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datasets import digits, make_2d
from engine.mlp import MLP, MLPConfig, with_optimizer
from engine.optimizers import OptimizerConfig
from tests.unit import reference as ref

CIRCLE = make_2d("circle", 300, 0.0, seed=1)
BLOBS = make_2d("blobs", 240, 0.1, seed=2, n_classes=4)
PLANE = make_2d("plane", 200, 0.0, seed=3)
# more samples than a block holds (two full blocks of 512 and a partial one)
CIRCLE_BIG = make_2d("circle", 1100, 0.0, seed=8)
BLOBS_BIG = make_2d("blobs", 1100, 0.1, seed=9, n_classes=4)


def _flat(ws, bs):
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(ws, bs)])


@pytest.mark.parametrize("task,data,hidden,acts,loss_name", [
    ("binary", CIRCLE, (5, 3), ("tanh", "relu"), "mse"),
    ("multiclass", BLOBS, (6,), ("sigmoid",), "mse"),
    ("regression", PLANE, (4, 4, 4), ("elu", "softplus", "leaky_relu"), "mse"),
    ("regression", PLANE, (3, 2), ("tanh", "linear"), "mae"),
    ("binary", CIRCLE, (), (), "mse"),
    # split into blocks (the last one partial), with layer widths that leave 1, 2 and 3 rows after
    # the passes of four
    ("binary", CIRCLE_BIG, (32, 32, 32, 7), ("tanh", "relu", "sigmoid", "tanh"), "mse"),
    ("multiclass", BLOBS_BIG, (30, 29, 6), ("softplus", "tanh", "elu"), "mse"),
    # the newer activations (SELU, GELU, SiLU / Swish, Mish) through the same fused kernel
    ("binary", CIRCLE, (5, 4, 3), ("selu", "gelu", "silu"), "mse"),
    ("regression", PLANE, (4, 3), ("mish", "gelu"), "mse"),
])
def test_gradient_matches_numpy_reference(task, data, hidden, acts, loss_name):
    config = MLPConfig(hidden=hidden, activations=acts, task=task, n_classes=4 if task == "multiclass" else 2,
                       l1=0.003, l2=0.01, init="he_normal", seed=4, regression_loss=loss_name)
    model = MLP(config, data.x, data.y)
    model.step(3)  # move off the initial point
    loss, grad = model.loss_and_gradient(data.x, data.y)
    ws, bs = model.weights()
    targets = model._data(data.x, data.y, "t")[1]
    alpha = 0.01 if "leaky_relu" in acts else 1.0 if "elu" in acts else 0.0
    r_loss, r_dw, r_db = ref.mlp_loss_and_grads(data.x, targets, ws, bs, acts, task, alpha, 0.003, 0.01,
                                                regression_loss=loss_name)
    assert loss == pytest.approx(r_loss, rel=1e-10)
    np.testing.assert_allclose(grad, _flat(r_dw, r_db), rtol=1e-8, atol=1e-12)


def test_blocks_are_what_the_test_above_relies_on():
    from engine.kernels import mlp as k
    assert k.BLOCK == 512  # the playground's 500-point batch in one block
    assert len(CIRCLE_BIG.x) % k.BLOCK and len(CIRCLE_BIG.x) > 2 * k.BLOCK
    assert len(BLOBS_BIG.x) % k.BLOCK and len(BLOBS_BIG.x) > 2 * k.BLOCK


def test_every_unit_on_a_grid_matches_the_reference_across_blocks():
    config = MLPConfig(hidden=(32, 32, 32, 7), activations=("tanh", "relu", "sigmoid", "tanh"), seed=5)
    model = MLP(config, CIRCLE.x, CIRCLE.y)
    model.step(20)
    grid = np.random.default_rng(0).uniform(-6, 6, (1000, 2))
    ws, bs = model.weights()
    outs, a = [grid], grid
    for w, b, name in zip(ws[:-1], bs[:-1], config.activations):
        a = ref.activation(name, a @ w + b, 0.0)[0]
        outs.append(a)
    outs.append(1 / (1 + np.exp(-(a @ ws[-1] + bs[-1]))))
    np.testing.assert_allclose(model.all_units(grid), np.hstack(outs), rtol=1e-12, atol=1e-14)


def test_a_digits_sized_network_matches_the_reference_and_learns():
    """64 inputs (an 8 x 8 image): blocks of 128 samples, 16 passes of four inputs per unit."""
    d = digits()
    x_train, y_train, x_test, y_test = d.x[:1200], d.y[:1200], d.x[1200:], d.y[1200:]
    config = MLPConfig(n_inputs=64, hidden=(32,), activations=("tanh",), task="multiclass", n_classes=10,
                       batch_size=32, l2=0.001, optimizer=OptimizerConfig("adam", lr=0.01), seed=7)
    model = MLP(config, x_train, y_train, x_test, y_test)
    loss, grad = model.loss_and_gradient(x_train, y_train)
    ws, bs = model.weights()
    r_loss, r_dw, r_db = ref.mlp_loss_and_grads(x_train, np.eye(10)[y_train], ws, bs, ("tanh",), "multiclass",
                                                l2=0.001)
    assert loss == pytest.approx(r_loss, rel=1e-10)
    np.testing.assert_allclose(grad, _flat(r_dw, r_db), rtol=1e-8, atol=1e-12)
    untrained = model.loss(model.x_test, model.y_test)
    assert untrained == pytest.approx(np.log(10), rel=0.2)  # about chance
    for _ in range(6):  # six epochs
        model.step(len(x_train) // 32 + 1)
    assert np.mean(model.predict(x_test).argmax(axis=1) == y_test) > 0.88
    assert model.history.test_loss[-1] < 0.2 * untrained


def test_loss_curves_are_forward_only_and_leave_the_training_gradient_alone():
    """The history's losses come from a forward pass (no backward: half the work per frame); they
    match the reference, and the last training step's gradient and per-layer norms stay as they were."""
    half = len(BLOBS.x) // 2
    config = MLPConfig(hidden=(6, 5), activations=("tanh", "relu"), task="multiclass", n_classes=4,
                       l2=0.01, seed=6)
    model = MLP(config, BLOBS.x[:half], BLOBS.y[:half], BLOBS.x[half:], BLOBS.y[half:])
    model.step(7)
    grad, norms = model._grad.copy(), model._layer_norms.copy()
    ws, bs = model.weights()
    for x, targets, recorded in [(model.x_train, model.y_train, model.history.train_loss[-1]),
                                 (model.x_test, model.y_test, model.history.test_loss[-1])]:
        expected = ref.mlp_loss_and_grads(x, targets, ws, bs, config.activations, "multiclass")[0]
        assert model.loss(x, targets) == pytest.approx(expected, rel=1e-10)
        assert recorded == pytest.approx(expected, rel=1e-10)
    np.testing.assert_array_equal(model._grad, grad)
    np.testing.assert_array_equal(model._layer_norms, norms)
    for l, norm in enumerate(model.history.layer_grad_norms[-1]):  # the step's gradient, penalty included
        assert norm == pytest.approx(np.linalg.norm(grad[model._w_off[l]:model._b_off[l]]), rel=1e-12)


def test_gradient_matches_finite_differences():
    model = MLP(MLPConfig(hidden=(4, 3), activations=("tanh", "sigmoid"), task="multiclass", n_classes=4,
                          seed=1), BLOBS.x[:30], BLOBS.y[:30])
    _, grad = model.loss_and_gradient(BLOBS.x[:30], BLOBS.y[:30])
    h = 1e-6
    numeric = np.zeros_like(grad)
    for q in range(model.n_params):
        saved = model.theta[q]
        model.theta[q] = saved + h
        up = model.loss_and_gradient(BLOBS.x[:30], BLOBS.y[:30])[0]
        model.theta[q] = saved - h
        down = model.loss_and_gradient(BLOBS.x[:30], BLOBS.y[:30])[0]
        model.theta[q] = saved
        numeric[q] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_full_batch_sgd_steps_match_the_reference_update():
    config = MLPConfig(hidden=(5,), activations=("tanh",), batch_size=len(CIRCLE.x), shuffle=False,
                       optimizer=OptimizerConfig("sgd", lr=0.2), seed=0)
    model = MLP(config, CIRCLE.x, CIRCLE.y)
    ws, bs = model.weights()
    targets = CIRCLE.y.reshape(-1, 1).astype(float)
    for _ in range(5):
        _, dw, db = ref.mlp_loss_and_grads(CIRCLE.x, targets, ws, bs, ("tanh",), "binary")
        ws = [w - 0.2 * g for w, g in zip(ws, dw)]
        bs = [b - 0.2 * g for b, g in zip(bs, db)]
    model.step(5)
    np.testing.assert_allclose(model.theta, _flat(ws, bs), rtol=1e-10)


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop"])
def test_training_learns_the_circle(opt):
    lr = {"sgd": 0.3, "momentum": 0.1}.get(opt, 0.03)
    config = MLPConfig(hidden=(8,), activations=("tanh",), optimizer=OptimizerConfig(opt, lr=lr), seed=2)
    model = MLP(config, CIRCLE.x, CIRCLE.y)
    model.step(1)
    start = model.history.train_loss[-1]
    model.step(3000)
    assert model.history.train_loss[-1] < 0.25 * start
    assert np.mean((model.predict(CIRCLE.x) > 0.5) == CIRCLE.y) > 0.95


def test_multiclass_and_regression_learn():
    m = MLP(MLPConfig(hidden=(8,), activations=("relu",), task="multiclass", n_classes=4, seed=0), BLOBS.x, BLOBS.y)
    m.step(2000)
    assert np.mean(m.predict(BLOBS.x).argmax(axis=1) == BLOBS.y) > 0.9
    np.testing.assert_allclose(m.predict(BLOBS.x[:5]).sum(axis=1), 1.0)
    r = MLP(MLPConfig(hidden=(), activations=(), task="regression", seed=0), PLANE.x, PLANE.y)
    r.step(2000)
    assert r.history.train_loss[-1] < 1e-3


def test_xor_needs_a_hidden_layer():
    xor = make_2d("xor", 300, 0.0, seed=0)
    flat = MLP(MLPConfig(hidden=(), activations=(), seed=0), xor.x, xor.y)
    flat.step(3000)
    deep = MLP(MLPConfig(hidden=(8,), activations=("tanh",), seed=0), xor.x, xor.y)
    deep.step(3000)
    acc = lambda m: np.mean((m.predict(xor.x) > 0.5) == xor.y)  # noqa: E731
    assert acc(flat) < 0.7 and acc(deep) > 0.95


def test_seed_reproduces_a_run_exactly_with_shuffling_and_dropout():
    config = MLPConfig(hidden=(8, 8), activations=("relu", "relu"), dropout=(0.3, 0.2), seed=9)
    a, b = MLP(config, CIRCLE.x, CIRCLE.y), MLP(config, CIRCLE.x, CIRCLE.y)
    a.step(250)
    for _ in range(5):
        b.step(50)
    np.testing.assert_array_equal(a.theta, b.theta)
    c = MLP(MLPConfig(hidden=(8, 8), activations=("relu", "relu"), dropout=(0.3, 0.2), seed=10), CIRCLE.x, CIRCLE.y)
    c.step(250)
    assert not np.array_equal(a.theta, c.theta)


def test_dropout_zeroes_units_only_while_training():
    config = MLPConfig(hidden=(16,), activations=("relu",), dropout=(0.5,), seed=0)
    m = MLP(config, CIRCLE.x, CIRCLE.y)
    assert np.array_equal(m.all_units(CIRCLE.x[:5]), m.all_units(CIRCLE.x[:5]))  # evaluation is deterministic
    no_drop = MLP(MLPConfig(hidden=(16,), activations=("relu",), seed=0), CIRCLE.x, CIRCLE.y)
    m.step(1)
    no_drop.step(1)
    assert not np.array_equal(m.theta, no_drop.theta)


def test_l2_shrinks_weights_and_l1_makes_them_sparse():
    base = MLPConfig(hidden=(16,), activations=("tanh",), seed=0)
    plain = MLP(base, CIRCLE.x, CIRCLE.y)
    l2 = MLP(MLPConfig(**{**base.__dict__, "l2": 0.05}), CIRCLE.x, CIRCLE.y)
    l1 = MLP(MLPConfig(**{**base.__dict__, "l1": 0.02}), CIRCLE.x, CIRCLE.y)
    for m in (plain, l2, l1):
        m.step(2000)
    norm = lambda m: np.linalg.norm(np.concatenate([w.ravel() for w in m.weights()[0]]))  # noqa: E731
    assert norm(l2) < 0.7 * norm(plain)
    small = lambda m: np.mean(np.abs(np.concatenate([w.ravel() for w in m.weights()[0]])) < 0.02)  # noqa: E731
    assert small(l1) > small(plain) + 0.2


def test_gradient_clipping_bounds_the_step():
    config = MLPConfig(hidden=(4,), activations=("tanh",), optimizer=OptimizerConfig("sgd", lr=1.0),
                       clip_norm=1e-4, batch_size=300, init="normal", seed=0)
    m = MLP(config, CIRCLE.x, CIRCLE.y)
    before = m.theta.copy()
    m.step(1)
    assert np.linalg.norm(m.theta - before) == pytest.approx(1e-4, rel=1e-9)


def test_divergence_is_a_state_not_a_crash():
    config = MLPConfig(hidden=(8,), activations=("relu",), task="regression",
                       optimizer=OptimizerConfig("sgd", lr=50.0), init="he_normal", seed=0)
    m = MLP(config, PLANE.x * 100, PLANE.y * 100)
    status = m.step(500)
    assert status == "diverged" and m.status == "diverged"
    assert m.steps < 500
    assert m.step(10) == "diverged"  # stays stopped


def test_early_stopping_restores_the_best_weights():
    noisy = make_2d("gaussians", 60, 0.9, seed=5)
    val = make_2d("gaussians", 200, 0.9, seed=6)
    config = MLPConfig(hidden=(32, 32), activations=("relu", "relu"), optimizer=OptimizerConfig("adam", lr=0.05),
                       early_stopping_patience=5, seed=1)
    m = MLP(config, noisy.x, noisy.y, x_val=val.x, y_val=val.y)
    for _ in range(200):
        if m.step(100) == "stopped_early":
            break
    assert m.status == "stopped_early"
    best_val = m._best[0]
    assert m.loss(m.x_val, m.y_val) == pytest.approx(best_val)
    assert best_val <= min(m.history.val_loss) + 1e-12


def test_changing_the_learning_rate_keeps_the_weights():
    m = MLP(MLPConfig(), CIRCLE.x, CIRCLE.y)
    m.step(50)
    theta = m.theta.copy()
    m.set_config(with_optimizer(m.config, lr=0.001))
    np.testing.assert_array_equal(m.theta, theta)
    assert m.optimizer.t == 50
    with pytest.raises(ValueError):
        m.set_config(MLPConfig(hidden=(5,)))


def test_zero_init_keeps_hidden_neurons_identical():
    m = MLP(MLPConfig(hidden=(4,), activations=("tanh",), init="zeros", optimizer=OptimizerConfig("sgd", lr=0.5)),
            CIRCLE.x, CIRCLE.y)
    m.step(200)
    w, _ = m.weights()
    assert np.allclose(w[0], w[0][:, :1]) and np.allclose(w[1], w[1][0])


def test_all_units_layout():
    m = MLP(MLPConfig(hidden=(3, 2), activations=("tanh", "relu")), CIRCLE.x, CIRCLE.y)
    units = m.all_units(CIRCLE.x[:7])
    layers = m.layer_outputs(units)
    assert [layer.shape for layer in layers] == [(7, 2), (7, 3), (7, 2), (7, 1)]
    np.testing.assert_array_equal(layers[0], CIRCLE.x[:7])
    np.testing.assert_allclose(layers[-1][:, 0], m.predict(CIRCLE.x[:7]))
    assert np.all(layers[2] >= 0)


@pytest.mark.parametrize("kwargs", [
    dict(hidden=(40,), activations=("tanh",)), dict(hidden=(4,) * 9, activations=("tanh",) * 9),
    dict(hidden=(4,), activations=()), dict(activations=("swish",)), dict(task="ranking"),
    dict(task="multiclass", n_classes=2), dict(batch_size=0), dict(l2=-1.0), dict(dropout=(1.0,)),
    dict(n_inputs=0), dict(n_inputs=65), dict(clip_norm=float("nan")),
])
def test_bad_config_raises_value_error(kwargs):
    with pytest.raises(ValueError):
        MLPConfig(**kwargs)


def test_bad_data_raises_value_error():
    with pytest.raises(ValueError):
        MLP(MLPConfig(), CIRCLE.x[:, :1], CIRCLE.y)
    with pytest.raises(ValueError):
        MLP(MLPConfig(), np.full((4, 2), np.nan), np.zeros(4))
    with pytest.raises(ValueError):
        MLP(MLPConfig(), CIRCLE.x, CIRCLE.y + 3)
    with pytest.raises(ValueError):
        MLP(MLPConfig(early_stopping_patience=3), CIRCLE.x, CIRCLE.y)


@settings(max_examples=15, deadline=None)
@given(hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3), batch=st.integers(1, 50),
       steps=st.integers(1, 30))
def test_any_small_architecture_trains_without_error(hidden, batch, steps):
    config = MLPConfig(hidden=tuple(hidden), activations=("tanh",) * len(hidden), batch_size=batch)
    m = MLP(config, CIRCLE.x[:40], CIRCLE.y[:40])
    m.step(steps)
    assert m.steps == steps and np.all(np.isfinite(m.theta))
    assert m.predict(CIRCLE.x[:3]).shape == (3,)


def test_set_weights_round_trips_and_the_forward_pass_uses_them():
    config = MLPConfig(hidden=(3,), activations=("sigmoid",), task="binary", seed=0)
    m = MLP(config, CIRCLE.x, CIRCLE.y)
    ws = [np.array([[0.15, 0.25, -0.1], [0.20, 0.30, 0.4]]), np.array([[0.40], [0.45], [-0.5]])]
    bs = [np.array([0.35, 0.35, 0.0]), np.array([0.60])]
    m.set_weights(ws, bs)
    got_w, got_b = m.weights()
    assert all(np.array_equal(a, b) for a, b in zip(got_w + got_b, ws + bs))
    x = np.array([[0.05, 0.10]])
    h = 1 / (1 + np.exp(-(x @ ws[0] + bs[0])))            # by hand: sigmoid hidden, sigmoid out
    assert m.predict(x)[0] == pytest.approx(1 / (1 + np.exp(-(h @ ws[1] + bs[1])))[0, 0], abs=1e-12)


@pytest.mark.parametrize("weights,biases,message", [
    ([np.zeros((2, 3))], [np.zeros(3)], "2 weight matrices"),
    ([np.zeros((3, 2)), np.zeros((3, 1))], [np.zeros(3), np.zeros(1)], r"weights\[0\] must have shape \(2, 3\)"),
    ([np.zeros((2, 3)), np.zeros((3, 1))], [np.zeros(3), np.zeros(2)], r"biases\[1\] must have shape \(1\)"),
    ([np.zeros((2, 3)), np.full((3, 1), np.nan)], [np.zeros(3), np.zeros(1)], "NaN"),
    ("weights", [], "2 weight matrices"),
])
def test_set_weights_checks_everything_before_changing_anything(weights, biases, message):
    m = MLP(MLPConfig(hidden=(3,), activations=("tanh",), task="binary", seed=0), CIRCLE.x, CIRCLE.y)
    before = m.theta.copy()
    with pytest.raises(ValueError, match=message):
        m.set_weights(weights, biases)
    assert np.array_equal(m.theta, before)


def test_finite_weights_let_a_diverged_network_train_again():
    config = MLPConfig(hidden=(8,), activations=("relu",), task="regression",
                       optimizer=OptimizerConfig("sgd", lr=50.0), init="he_normal", seed=0)
    m = MLP(config, PLANE.x * 100, PLANE.y * 100)
    assert m.step(500) == "diverged"
    ws, bs = m.weights()
    m.set_weights([np.zeros_like(w) for w in ws], [np.zeros_like(b) for b in bs])
    m.set_config(with_optimizer(config, lr=1e-6))
    assert m.status == "ready" and m.step(5) == "training"


@pytest.mark.parametrize("act", ["selu", "gelu", "silu", "mish"])
def test_the_newer_activations_learn_the_circle(act):
    model = MLP(MLPConfig(hidden=(8, 8), activations=(act, act), seed=3,
                          optimizer=OptimizerConfig("adam", lr=0.03)), CIRCLE.x, CIRCLE.y)
    model.step(1500)
    assert np.mean((model.predict(CIRCLE.x) > 0.5) == CIRCLE.y) > 0.95
