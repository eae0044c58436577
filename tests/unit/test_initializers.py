import numpy as np
import pytest

from engine.initializers import INITIALIZERS, initialize


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_shape_and_seed_reproducibility(name):
    a = initialize(name, 30, 20, rng(1))
    b = initialize(name, 30, 20, rng(1))
    assert a.shape == (30, 20)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,expected_std", [
    ("xavier_normal", np.sqrt(2 / (400 + 300))), ("he_normal", np.sqrt(2 / 400)),
    ("xavier_uniform", np.sqrt(6 / 700) / np.sqrt(3)), ("he_uniform", np.sqrt(6 / 400) / np.sqrt(3)),
    ("normal", 0.05), ("uniform", 0.05 / np.sqrt(3)),
])
def test_spread_follows_the_formula(name, expected_std):
    w = initialize(name, 400, 300, rng())
    assert abs(w.mean()) < 0.01 * expected_std * 10
    assert w.std() == pytest.approx(expected_std, rel=0.02)


def test_uniform_variants_respect_their_limits():
    w = initialize("xavier_uniform", 50, 30, rng())
    assert np.abs(w).max() <= np.sqrt(6 / 80)
    w = initialize("he_uniform", 50, 30, rng())
    assert np.abs(w).max() <= np.sqrt(6 / 50)


def test_zeros_and_constant():
    assert not initialize("zeros", 3, 4, rng()).any()
    assert np.all(initialize("constant", 3, 4, rng(), value=7.5) == 7.5)


@pytest.mark.parametrize("args", [("glorot", 3, 3), ("he_normal", 0, 3), ("he_normal", 3, 2.5)])
def test_bad_arguments_raise_value_error(args):
    with pytest.raises(ValueError):
        initialize(*args, rng())


def test_bad_scale_raises():
    with pytest.raises(ValueError):
        initialize("normal", 2, 2, rng(), scale=-1)


def test_the_mlp_passes_its_init_scale_and_refuses_a_bad_one():
    import numpy as np

    from engine.mlp import MLP, MLPConfig
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = (x[:, 0] > 0).astype(int)
    for scale in (0.01, 4.0):
        m = MLP(MLPConfig(hidden=(32, 32), activations=("tanh", "tanh"), init="normal", init_scale=scale), x, y)
        w = np.concatenate([a.ravel() for a in m.weights()[0]])
        assert np.std(w) == pytest.approx(scale, rel=0.1)
    u = MLP(MLPConfig(hidden=(32,), activations=("tanh",), init="uniform", init_scale=2.0), x, y)
    assert 1.9 < np.abs(u.weights()[0][0]).max() <= 2.0
    with pytest.raises(ValueError, match="init_scale"):
        MLPConfig(init="normal", init_scale=-1.0)
