import numpy as np
import pytest

from engine import optimizers as opt
from tests.unit import reference as ref

# an ill-conditioned quadratic bowl: grads depend on the parameters, so a wrong rule diverges from
# the reference within a few steps
A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.1]])


def grad_fn(p):
    return A @ p + np.array([0.3, -0.2, 0.1])


HYPER = dict(lr=0.05, momentum=0.8, beta1=0.85, beta2=0.99, rho=0.9, eps=1e-7)


@pytest.mark.parametrize("name", opt.OPTIMIZERS)
def test_trajectory_matches_numpy_reference_for_50_steps(name):
    config = opt.OptimizerConfig(name=name, **HYPER)
    p = np.array([1.0, -2.0, 3.0])
    optimizer = opt.Optimizer(config, 3)
    ours = [p.copy()]
    for _ in range(50):
        optimizer.update(p, grad_fn(p))
        ours.append(p.copy())
    expected = ref.optimizer_run(name, np.array([1.0, -2.0, 3.0]), grad_fn, 50, lr=HYPER["lr"],
                                 mu=HYPER["momentum"], b1=HYPER["beta1"], b2=HYPER["beta2"],
                                 rho=HYPER["rho"], eps=HYPER["eps"])
    np.testing.assert_allclose(np.array(ours), expected, rtol=1e-10, atol=1e-12)
    assert optimizer.t == 50


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "nadam", "rmsprop"])
def test_every_rule_reduces_a_convex_loss(name):
    p = np.array([1.0, -2.0, 3.0])
    loss = lambda q: 0.5 * q @ A @ q + np.array([0.3, -0.2, 0.1]) @ q  # noqa: E731
    start = loss(p)
    optimizer = opt.Optimizer(opt.default_config(name), 3)
    for _ in range(200):
        optimizer.update(p, grad_fn(p))
    assert loss(p) < start - 1.0


def test_adam_first_step_has_size_lr_in_each_coordinate():
    p = np.zeros(4)
    o = opt.Optimizer(opt.OptimizerConfig("adam", lr=0.01), 4)
    o.update(p, np.array([5.0, -0.001, 300.0, -2.0]))
    np.testing.assert_allclose(np.abs(p), 0.01, rtol=1e-4)


def test_adagrad_steps_shrink():
    p = np.zeros(1)
    o = opt.Optimizer(opt.OptimizerConfig("adagrad", lr=0.1), 1)
    moves = []
    for _ in range(5):
        before = p[0]
        o.update(p, np.array([1.0]))
        moves.append(before - p[0])
    assert all(a > b for a, b in zip(moves, moves[1:]))


def test_changing_the_learning_rate_keeps_state_but_changing_rule_resets():
    p = np.zeros(2)
    o = opt.Optimizer(opt.OptimizerConfig("momentum", lr=0.1), 2)
    o.update(p, np.array([1.0, 1.0]))
    o.with_config(opt.OptimizerConfig("momentum", lr=0.5))
    assert o.t == 1 and np.all(o.s1 == 1.0)
    o.with_config(opt.OptimizerConfig("adam"))
    assert o.t == 0 and np.all(o.s1 == 0.0)


@pytest.mark.parametrize("kwargs", [
    dict(name="lbfgs"), dict(lr=0.0), dict(lr=float("nan")), dict(momentum=1.0), dict(beta2=-0.1),
    dict(rho=1.5), dict(eps=0.0), dict(lr="fast"),
])
def test_invalid_config_raises_value_error(kwargs):
    with pytest.raises(ValueError):
        opt.OptimizerConfig(**kwargs)


def test_update_rejects_wrong_shapes():
    o = opt.Optimizer(opt.OptimizerConfig(), 3)
    with pytest.raises(ValueError):
        o.update(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        opt.Optimizer(opt.OptimizerConfig(), 0)
