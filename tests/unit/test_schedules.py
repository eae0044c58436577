"""Learning-rate schedules: hand-worked factors, the fused MLP kernel applying them update by
update, the rate history, bad settings; dev-only: the factors of PyTorch's schedulers."""
from dataclasses import replace

import numpy as np
import pytest

from engine.datasets import make_2d
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
from engine.schedules import ScheduleConfig


@pytest.mark.parametrize("config, expected", [
    (ScheduleConfig("constant"), [1, 1, 1, 1]),
    (ScheduleConfig("step", period=3, gamma=0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25]),
    (ScheduleConfig("exponential", period=2, gamma=0.25), [1, 0.5, 0.25, 0.125, 0.0625]),
    # gamma + (1 - gamma)(1 + cos(pi s / N)) / 2 with N = 4, gamma = 0.2: 1, 0.88284, 0.6, 0.31716, 0.2, then 0.2
    (ScheduleConfig("cosine", period=4, gamma=0.2), [1, 0.2 + 0.8 * (1 + np.sqrt(0.5)) / 2, 0.6,
                                                    0.2 + 0.8 * (1 - np.sqrt(0.5)) / 2, 0.2, 0.2, 0.2]),
    # a warm-up of 4: 1/4, 2/4, 3/4, 4/4, then the step schedule from its start
    (ScheduleConfig("step", period=2, gamma=0.1, warmup=4), [0.25, 0.5, 0.75, 1, 1, 1, 0.1, 0.1, 0.01]),
    (ScheduleConfig("constant", warmup=2), [0.5, 1, 1, 1]),
])
def test_factors_by_hand(config, expected):
    got = [config.factor(s) for s in range(len(expected))]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(config.factors(np.arange(len(expected))), expected, rtol=1e-12)


def test_active_only_when_the_rate_moves():
    assert not ScheduleConfig().active
    assert ScheduleConfig(warmup=10).active
    assert ScheduleConfig("cosine").active


@pytest.mark.parametrize("kwargs, words", [
    ({"kind": "linear"}, "schedule"), ({"kind": "step", "period": 0}, "schedule period"),
    ({"kind": "step", "gamma": 1.5}, "schedule gamma"), ({"kind": "step", "gamma": float("nan")}, "schedule gamma"),
    ({"warmup": -1}, "warm-up"), ({"period": "10"}, "schedule period"),
])
def test_bad_settings_say_which(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ScheduleConfig(**kwargs)
    with pytest.raises(ValueError, match="ScheduleConfig"):
        MLPConfig(schedule="cosine")


def _net(schedule=None, lr=0.1, opt="sgd"):
    d = make_2d("circle", 120, seed=3)
    cfg = MLPConfig(hidden=(5,), activations=("tanh",), optimizer=OptimizerConfig(opt, lr=lr), batch_size=16,
                    seed=4, **({"schedule": schedule} if schedule else {}))
    return MLP(cfg, d.x, d.y)


@pytest.mark.parametrize("schedule", [ScheduleConfig("step", period=3, gamma=0.5, warmup=2),
                                      ScheduleConfig("cosine", period=7, gamma=0.1),
                                      ScheduleConfig("exponential", period=4, gamma=0.3, warmup=3)])
def test_the_kernel_applies_the_rate_of_each_update(schedule):
    """A scheduled run in calls of uneven length equals a constant-rate run whose rate is set by
    hand before every single update (plain SGD: the step is exactly rate x gradient)."""
    a, b = _net(schedule), _net()
    for n in (5, 1, 9):   # the kernel counts updates across calls
        a.step(n)
    for s in range(15):
        b.set_config(replace(b.config, optimizer=OptimizerConfig("sgd", lr=0.1 * schedule.factor(s))))
        b.step(1)
    np.testing.assert_allclose(a.theta, b.theta, rtol=0, atol=1e-13)
    assert a.history.lr == pytest.approx([0.1 * schedule.factor(s) for s in (4, 5, 14)], rel=1e-12)
    assert a.learning_rate() == pytest.approx(0.1 * schedule.factor(15), rel=1e-12)


def test_a_schedule_changes_training_and_constant_does_not():
    plain, same, decayed = _net(opt="adam"), _net(ScheduleConfig("constant"), opt="adam"), \
        _net(ScheduleConfig("step", period=5, gamma=0.1), opt="adam")
    for m in (plain, same, decayed):
        m.step(30)
    np.testing.assert_array_equal(plain.theta, same.theta)
    assert np.abs(plain.theta - decayed.theta).max() > 1e-3


def test_pytorch_schedulers_give_the_same_factors():
    torch = pytest.importorskip("torch")   # dev-only
    cases = [(ScheduleConfig("step", period=3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
             (ScheduleConfig("exponential", period=1, gamma=0.9),
              lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
             (ScheduleConfig("cosine", period=20, gamma=0.1),
              lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 20, eta_min=0.1 * 0.2))]
    for ours, make in cases:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
        sched = make(opt)
        theirs = []
        for _ in range(21):   # the rate each update uses: read, step the optimizer, then the scheduler
            theirs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        np.testing.assert_allclose([0.2 * ours.factor(s) for s in range(21)], theirs, rtol=1e-12)
