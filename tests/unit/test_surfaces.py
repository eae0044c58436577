"""Loss surfaces, the optimizer race and the network landscape."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.landscape import LandscapeConfig, NetworkLandscape
from engine.optimizers import OPTIMIZERS, OptimizerConfig, default_config
from engine.surfaces import MAX_RACERS, SURFACES, VIRTUAL_SAMPLES, Racer, race
from tests.unit import reference as ref


# independent NumPy formulas (from the textbook definitions, not the kernel)
def numpy_value(name, x, y, k=10.0):
    return {
        "bowl": lambda: 0.5 * (x ** 2 + k * y ** 2),
        "local_minima": lambda: (x ** 4 - 16 * x ** 2 + 5 * x + y ** 4 - 16 * y ** 2 + 5 * y) / 20,
        "saddle": lambda: x ** 2 / 2 + y ** 4 / 4 - y ** 2 / 2,
        "rosenbrock": lambda: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
        "beale": lambda: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2,
        "himmelblau": lambda: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    }[name]()


@pytest.mark.parametrize("name", SURFACES)
def test_values_match_the_published_formulas_on_a_grid(name):
    s = SURFACES[name]
    xs, ys, z = s.grid(25)
    gx, gy = np.meshgrid(xs, ys)
    np.testing.assert_allclose(z, numpy_value(name, gx, gy, s.param), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SURFACES)
def test_gradients_match_finite_differences(name):
    s = SURFACES[name]
    rng = np.random.default_rng(1)
    x0, x1, y0, y1 = s.window
    h = 1e-6
    for x, y in zip(rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)):
        fd = np.array([(s.value(x + h, y) - s.value(x - h, y)) / (2 * h),
                       (s.value(x, y + h) - s.value(x, y - h)) / (2 * h)])
        np.testing.assert_allclose(s.gradient(x, y), fd, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", SURFACES)
def test_known_minima_are_stationary_and_the_global_one_is_lowest(name):
    s = SURFACES[name]
    for m in s.minima:
        assert np.linalg.norm(s.gradient(*m)) < 1e-4
    _, _, z = s.grid(200)
    assert s.min_value <= z.min() + 1e-9
    assert all(s.value(*m) >= s.min_value - 1e-9 for m in s.minima)


def test_known_values():
    assert SURFACES["rosenbrock"].value(1, 1) == 0
    assert SURFACES["beale"].value(3, 0.5) == 0
    assert SURFACES["himmelblau"].value(3, 2) == 0
    assert SURFACES["local_minima"].min_value == pytest.approx(-78.33233 / 10, abs=1e-5)
    assert SURFACES["saddle"].value(0, 0) == 0 and np.all(SURFACES["saddle"].gradient(0, 0) == 0)


HYPER = dict(momentum=0.8, beta1=0.85, beta2=0.99, rho=0.9, eps=1e-7)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "bowl"])
def test_race_matches_numpy_reference_of_each_rule_for_100_steps(name, surface):
    s = SURFACES[surface]
    lr = 0.5 * s.suggested(name).lr  # comfortably stable for every rule: the paths stay finite
    result = race(s, [Racer(OptimizerConfig(name, lr=lr, **HYPER))], s.start, 100)
    expected = ref.optimizer_run(name, np.array(s.start), lambda p: s.gradient(*p), 100, lr=lr,
                                 mu=HYPER["momentum"], b1=HYPER["beta1"], b2=HYPER["beta2"],
                                 rho=HYPER["rho"], eps=HYPER["eps"])
    assert result.diverged_at[0] == -1
    np.testing.assert_allclose(result.positions[0], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.losses[0], [s.value(*p) for p in expected], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.grads[0], [s.gradient(*p) for p in expected[:-1]], rtol=1e-9, atol=1e-12)


def test_sgd_noise_replays_exactly_and_shrinks_with_the_batch():
    s = SURFACES["bowl"]
    racers = [Racer(default_config("sgd", lr=0.1), "B=1", batch_size=1),
              Racer(default_config("sgd", lr=0.1), "B=64", batch_size=64),
              Racer(default_config("sgd", lr=0.1), f"B={VIRTUAL_SAMPLES}", batch_size=VIRTUAL_SAMPLES),
              Racer(default_config("gd", lr=0.1), "GD")]
    result = race(s, racers, s.start, 60, seed=7)
    noise = np.random.default_rng(7).standard_normal((4, 60, 2))
    for r, racer in enumerate(racers):
        scale = racer.noise_scale(s.noise)
        noisy = iter(noise[r])
        expected = ref.optimizer_run("sgd", np.array(s.start), lambda p: s.gradient(*p) + scale * next(noisy), 60, lr=0.1)
        np.testing.assert_allclose(result.positions[r], expected, rtol=1e-10, atol=1e-12)
    assert racers[0].noise_scale(1.0) == pytest.approx(np.sqrt(1 - 1 / VIRTUAL_SAMPLES))
    assert racers[0].noise_scale(1.0) > racers[1].noise_scale(1.0) > 0
    np.testing.assert_array_equal(result.positions[2], result.positions[3])  # whole data set = GD
    again = race(s, racers, s.start, 60, seed=7)
    np.testing.assert_array_equal(again.positions, result.positions)
    assert not np.array_equal(race(s, racers, s.start, 60, seed=8).positions[0], result.positions[0])


def test_learning_rate_beyond_two_over_curvature_diverges_on_the_bowl():
    s = SURFACES["bowl"]  # curvature 10 along y: GD is stable only for lr < 2/10
    lrs = [0.01, 0.1, 0.19, 0.21]
    result = race(s, [Racer(default_config("gd", lr=lr), f"lr {lr}") for lr in lrs], s.start, 400)
    assert list(result.diverged_at[:3]) == [-1, -1, -1]
    d = result.diverged_at[3]
    assert 0 < d < 400
    assert np.all(np.isnan(result.positions[3, d:])) and np.all(np.isfinite(result.positions[3, :d]))
    assert np.all(np.isnan(result.losses[3, d:]))
    assert np.isfinite(result.final_positions()[3]).all()
    assert result.losses[1, -1] < 1e-10                                   # good rate: converged
    assert result.losses[0, -1] > 1e-3                                    # too small: still on the way
    ys = result.positions[2, :50, 1]
    assert np.all(np.sign(ys[1:]) != np.sign(ys[:-1]))                    # 0.19: oscillates across


@pytest.mark.parametrize("surface,racer,start,target", [
    ("rosenbrock", default_config("nesterov", lr=0.001), (-1.5, 2.5), (1.0, 1.0)),
    ("beale", default_config("momentum", lr=0.002), (1.0, 1.5), (3.0, 0.5)),
    ("himmelblau", default_config("gd", lr=0.01), (1.0, 1.0), (3.0, 2.0)),
    ("himmelblau", default_config("gd", lr=0.01), (-1.0, 1.0), (-2.805118, 3.131312)),
    ("himmelblau", default_config("gd", lr=0.01), (-1.0, -1.0), (-3.779310, -3.283186)),
    ("himmelblau", default_config("gd", lr=0.01), (1.0, -1.0), (3.584428, -1.848126)),
    ("local_minima", default_config("momentum", lr=0.02, momentum=0.95), (4.5, 4.5), (-2.903534, -2.903534)),
])
def test_a_well_tuned_optimizer_reaches_the_known_minimum(surface, racer, start, target):
    result = race(SURFACES[surface], [Racer(racer)], start, 3000)
    np.testing.assert_allclose(result.final_positions()[0], target, atol=2e-3)


def test_plain_gd_is_trapped_where_momentum_rolls_on():
    s = SURFACES["local_minima"]
    result = race(s, [Racer(default_config("gd", lr=0.02)), Racer(default_config("momentum", lr=0.02, momentum=0.95))],
                  (4.5, 4.5), 400)
    np.testing.assert_allclose(result.final_positions()[0], (2.746803, 2.746803), atol=1e-3)
    np.testing.assert_allclose(result.final_positions()[1], s.global_minimum, atol=1e-3)


def test_effective_step_size_is_the_learning_rate_for_gd_and_shrinks_for_adagrad():
    s = SURFACES["bowl"]
    result = race(s, [Racer(default_config("gd", lr=0.05)), Racer(default_config("adagrad", lr=0.4))], s.start, 200)
    eff = result.effective_step_size()
    np.testing.assert_allclose(eff[0][np.isfinite(eff[0])], 0.05, rtol=1e-9)
    ada = eff[1, :, 0]
    assert np.all(np.diff(ada) < 0)  # AdaGrad's accumulated squares only grow


def test_freeze_y_slices_the_surface():
    s = SURFACES["local_minima"]
    result = race(s, [Racer(default_config("gd", lr=0.02))], (-4.0, -2.9), 300, freeze_y=True)
    assert np.all(result.positions[0, :, 1] == -2.9)
    assert result.final_positions()[0, 0] == pytest.approx(-2.903534, abs=1e-4)


def test_bad_race_settings_raise_clear_errors():
    s = SURFACES["bowl"]
    gd = Racer(default_config("gd"))
    with pytest.raises(ValueError, match="steps"):
        race(s, [gd], (0, 0), 0)
    with pytest.raises(ValueError, match="start contains NaN"):
        race(s, [gd], (np.nan, 0), 10)
    with pytest.raises(ValueError, match="1 to"):
        race(s, [gd] * (MAX_RACERS + 1), (0, 0), 10)
    with pytest.raises(ValueError, match="1 to"):
        race(s, [], (0, 0), 10)
    with pytest.raises(ValueError, match="batch_size must be"):
        Racer(default_config("sgd"), batch_size=0)
    with pytest.raises(ValueError, match="conditioning"):
        s.with_conditioning(0.5)
    assert s.with_conditioning(50).param == 50 and SURFACES["bowl"].param == 10


@settings(max_examples=40, deadline=None)
@given(surface=st.sampled_from(list(SURFACES)), name=st.sampled_from(OPTIMIZERS),
       lr=st.floats(1e-4, 50.0), x=st.floats(-1e3, 1e3), y=st.floats(-1e3, 1e3),
       steps=st.integers(1, 60))
def test_any_race_is_finite_until_it_diverges_then_nan(surface, name, lr, x, y, steps):
    result = race(SURFACES[surface], [Racer(default_config(name, lr=lr))], (x, y), steps)
    assert result.positions.shape == (1, steps + 1, 2) and result.grads.shape == (1, steps, 2)
    d = result.diverged_at[0]
    end = steps + 1 if d < 0 else d
    assert np.all(np.isfinite(result.positions[0, :end])) and np.all(np.isfinite(result.losses[0, :end]))
    assert np.all(np.isnan(result.positions[0, end:]))


# ---- the network landscape ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def landscape():
    return NetworkLandscape(LandscapeConfig(dataset="xor", hidden=4, train_steps=300, seed=3))


def test_landscape_gradient_matches_finite_differences(landscape):
    h = 1e-6
    for u, v in [(0.0, 0.0), (0.3, -0.4), (-0.7, 0.5)]:
        _, g = landscape.value_and_gradient(u, v)
        fd = [(landscape.value(u + h, v) - landscape.value(u - h, v)) / (2 * h),
              (landscape.value(u, v + h) - landscape.value(u, v - h)) / (2 * h)]
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_landscape_centre_is_the_trained_network_and_directions_are_filter_normalised(landscape):
    assert landscape.value(0, 0) == pytest.approx(landscape.model.history.train_loss[-1], rel=0.05)
    ws, _ = landscape.model.weights()
    n_in, n_h = ws[0].shape
    d1_layer1 = landscape.d1[:n_in * n_h].reshape(n_in, n_h)
    np.testing.assert_allclose(np.linalg.norm(d1_layer1, axis=0), np.linalg.norm(ws[0], axis=0))
    assert np.all(landscape.d1[n_in * n_h:n_in * n_h + n_h] == 0)  # biases stay put
    xs, ys, z = landscape.grid(9)
    assert z.shape == (9, 9) and z[4, 4] == pytest.approx(landscape.value(0, 0))
    assert z[4, 4] <= np.median(z)  # the trained weights sit in a low region


def test_the_landscape_grid_is_the_loss_at_each_of_its_points():
    scape = NetworkLandscape(LandscapeConfig(hidden=3, n_points=40, directions="weights", weight_a=1, weight_b=7,
                                             train_steps=30))
    xs, ys, z = scape.grid(5)
    assert np.array_equal(z, [[scape.value(u, v) for u in xs] for v in ys])   # row j is ys[j], column i xs[i]
    assert np.array_equal(scape.model.theta, scape.center)                    # the network keeps its weights
    assert len(np.unique(z)) == z.size                                         # every point its own loss


def test_landscape_along_two_weights_reads_in_weight_units():
    scape = NetworkLandscape(LandscapeConfig(directions="weights", weight_a=0, weight_b=5, train_steps=50))
    assert tuple(scape.origin) == (scape.center[0], scape.center[5])
    assert scape.axis_labels == ("W1[1→1]", "W1[2→2]")
    w = scape.weights_at(scape.origin[0] + 0.5, scape.origin[1])
    assert w[0] == pytest.approx(scape.center[0] + 0.5) and np.array_equal(w[1:], scape.center[1:])
    with pytest.raises(ValueError, match="two different"):
        NetworkLandscape(LandscapeConfig(directions="weights", weight_a=2, weight_b=2))
    with pytest.raises(ValueError, match="weight_b must be a whole number from 0 to 16"):
        NetworkLandscape(LandscapeConfig(directions="weights", weight_a=0, weight_b=999))
    with pytest.raises(ValueError, match="dataset"):
        LandscapeConfig(dataset="nope")


def test_landscape_race_descends_and_sgd_uses_real_mini_batches(landscape):
    racers = [Racer(default_config("gd", lr=0.1)), Racer(default_config("sgd", lr=0.1), batch_size=8),
              Racer(default_config("adam", lr=0.05))]
    result = landscape.race(racers, (0.8, -0.8), 60, seed=1)
    assert np.all(result.losses[:, -1] < result.losses[:, 0])
    full = np.array([landscape.value_and_gradient(*p)[1] for p in result.positions[1, :-1]])
    assert not np.allclose(result.grads[1], full)  # mini-batch gradients differ from the full one
    np.testing.assert_allclose(result.grads[0], [landscape.value_and_gradient(*p)[1] for p in result.positions[0, :-1]])
    assert np.array_equal(landscape.model.theta, landscape.center)  # the race leaves the network as it was
