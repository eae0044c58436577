"""Self-Organizing Map: schedules, neighbourhoods, training vs a NumPy reference, metrics, datasets."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import datasets
from engine.som import DECAYS, DISTANCES, NEIGHBOURHOODS, SOM, SOMConfig, schedule
from tests.unit import reference as ref

RNG = np.random.default_rng(42)
COLOURS = RNG.random((200, 3))


# ---- schedules --------------------------------------------------------------------------------
def test_decay_end_points_by_hand():
    T = 1000
    assert schedule("asymptotic", 0.6, T, T, is_sigma=False) == pytest.approx(0.2)   # a third
    assert schedule("asymptotic", 6.0, T, T, is_sigma=True) == pytest.approx(2.0)
    assert schedule("inverse", 0.5, T, T, is_sigma=False) == pytest.approx(0.5 / 101)  # C / (C + T), C = T/100
    assert schedule("inverse", 5.0, T, T, is_sigma=True) == pytest.approx(1.0)
    assert schedule("linear", 0.5, T, T, is_sigma=False) == pytest.approx(0.0)
    assert schedule("linear", 5.0, 500, T, is_sigma=True) == pytest.approx(3.0)
    assert schedule("exponential", 0.5, T, T, is_sigma=False) == pytest.approx(0.005)
    assert schedule("exponential", 4.0, 500, T, is_sigma=True) == pytest.approx(2.0)  # geometric midpoint
    assert schedule("constant", 0.5, 700, T, is_sigma=False) == 0.5
    for name in DECAYS:
        assert schedule(name, 0.5, 0, T, is_sigma=False) == 0.5
        assert schedule(name, 3.0, 0, T, is_sigma=True) == 3.0


@pytest.mark.parametrize("name", DECAYS)
@pytest.mark.parametrize("is_sigma", [False, True])
def test_schedules_match_reference_and_never_grow(name, is_sigma):
    ts = np.arange(0, 501, 25)
    start = 4.0 if is_sigma else 0.5
    got = schedule(name, start, ts, 500, is_sigma)
    want = [ref.som_decay(name, start, t, 500, is_sigma) for t in ts]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert np.all(np.diff(got) <= 1e-15)


def test_a_radius_at_or_below_one_is_not_inflated_by_rules_that_end_at_one():
    for name in ("inverse", "linear", "exponential"):
        assert schedule(name, 0.5, 400, 500, is_sigma=True) == 0.5


# ---- geometry and neighbourhoods ----------------------------------------------------------
def test_hexagonal_layout_is_minisoms_and_every_inner_cell_has_six_neighbours():
    som = SOM(SOMConfig(6, 7, "hexagonal", steps=1), COLOURS)
    np.testing.assert_allclose(som.positions(), ref.som_positions(6, 7, True))
    counts = (som._neighbours >= 0).sum(axis=1).reshape(6, 7)
    assert np.all(counts[1:-1, 1:-1] == 6)
    pos = som.positions().reshape(-1, 2)
    for u, row in enumerate(som._neighbours):
        for v in row[row >= 0]:
            assert np.linalg.norm(pos[u] - pos[v]) == pytest.approx(1.0)
    rect = SOM(SOMConfig(6, 7, steps=1), COLOURS)
    assert np.all((rect._neighbours >= 0).sum(axis=1).reshape(6, 7)[1:-1, 1:-1] == 8)


def test_gaussian_neighbourhood_by_hand():
    som = SOM(SOMConfig(9, 9, sigma=2.0, steps=1), COLOURS)
    h = som.neighbourhood((4, 4), 2.0)
    assert h[4, 4] == 1.0
    assert h[5, 4] == pytest.approx(math.exp(-1 / 8))       # one cell away: exp(-1 / (2 sigma^2))
    assert h[6, 6] == pytest.approx(math.exp(-8 / 8))       # r^2 = 8
    assert h.argmax() == 4 * 9 + 4


def test_bubble_triangle_and_mexican_hat_by_hand():
    som = SOM(SOMConfig(9, 9, neighbourhood="bubble", steps=1), COLOURS)
    h = som.neighbourhood((4, 4), 2.0)
    assert h.sum() == 9  # |di| < 2 and |dj| < 2: a 3x3 square
    tri = SOM(SOMConfig(9, 9, neighbourhood="triangle", steps=1), COLOURS).neighbourhood((4, 4), 2.0)
    assert tri[4, 4] == 1.0 and tri[5, 4] == 0.5 and tri[5, 5] == 0.25 and tri[6, 4] == 0.0
    hat = SOM(SOMConfig(9, 9, neighbourhood="mexican_hat", steps=1), COLOURS).neighbourhood((4, 4), 2.0)
    assert hat[4, 4] == 1.0
    assert hat[6, 4] == pytest.approx(0.0, abs=1e-15)        # (1 - r^2/sigma^2) = 0 at r = sigma
    assert hat[7, 4] < 0                                     # the inhibiting ring


@pytest.mark.parametrize("name", NEIGHBOURHOODS)
@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_neighbourhoods_match_reference(name, topology):
    som = SOM(SOMConfig(7, 6, topology, name, steps=1), COLOURS)
    pos = ref.som_positions(7, 6, topology == "hexagonal")
    for bmu in [(0, 0), (3, 2), (6, 5), (2, 5)]:
        for sigma in (0.7, 1.5, 3.0):
            np.testing.assert_allclose(som.neighbourhood(bmu, sigma), ref.som_neighbourhood(name, pos, bmu, sigma),
                                       rtol=1e-12, atol=1e-15)


# ---- training against the NumPy reference -----------------------------------------------------
@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("neighbourhood", NEIGHBOURHOODS)
@pytest.mark.parametrize("distance", DISTANCES)
def test_sequential_training_matches_reference_step_for_step(topology, neighbourhood, distance):
    sigma = 2.0 if neighbourhood != "mexican_hat" else 1.2
    cfg = SOMConfig(6, 5, topology, neighbourhood, sigma=sigma, learning_rate=0.4, distance=distance,
                    sigma_decay="linear", lr_decay="inverse", steps=150, seed=3)
    som = SOM(cfg, COLOURS)
    w0 = som.weights.copy()
    som.step(40)
    som.step(110)  # chunks must not change the result
    want, bmus = ref.som_train(COLOURS, w0, som.order, 6, 5, topology == "hexagonal", neighbourhood, distance,
                               sigma, 0.4, "linear", "inverse", 150)
    np.testing.assert_array_equal(som.bmu_trace, bmus)
    np.testing.assert_allclose(som.weights.reshape(6, 5, 3), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("decay", DECAYS)
def test_every_decay_schedule_trains_like_the_reference(decay):
    cfg = SOMConfig(5, 5, sigma=2.5, learning_rate=0.5, sigma_decay=decay, lr_decay=decay, steps=100, seed=1)
    som = SOM(cfg, COLOURS)
    w0 = som.weights.copy()
    som.step(100)
    want, _ = ref.som_train(COLOURS, w0, som.order, 5, 5, False, "gaussian", "euclidean", 2.5, 0.5, decay, decay, 100)
    np.testing.assert_allclose(som.weights.reshape(5, 5, 3), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_batch_training_matches_reference(topology):
    cfg = SOMConfig(5, 4, topology, sigma=1.5, learning_rate=0.7, mode="batch", steps=6, seed=2)
    som = SOM(cfg, COLOURS)
    w0 = som.weights.copy()
    som.step(2)
    som.step(10)  # capped at the planned 6
    assert som.t == 6 and som.status == "done"
    want = ref.som_train_batch(COLOURS, w0, 5, 4, topology == "hexagonal", "gaussian", 1.5, 0.7,
                               "asymptotic", "asymptotic", 6, 6)
    np.testing.assert_allclose(som.weights.reshape(5, 4, 3), want, rtol=1e-10, atol=1e-12)


def test_order_visits_every_sample_equally_often_and_the_seed_reproduces_the_run():
    data = COLOURS[:50]
    a = SOM(SOMConfig(4, 4, steps=500, seed=9), data)
    assert np.all(np.bincount(a.order, minlength=50) == 10)
    b = SOM(SOMConfig(4, 4, steps=500, seed=9), data)
    c = SOM(SOMConfig(4, 4, steps=500, seed=10), data)
    for m in (a, b, c):
        m.step(500)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.allclose(a.weights, c.weights)


def test_snapshot_reports_the_last_update():
    som = SOM(SOMConfig(8, 8, sigma=3.0, steps=100, seed=0), COLOURS)
    snap = som.snapshot()
    assert snap.last_bmu is None and snap.t == 0 and snap.learning_rate == 0.5 and snap.sigma == 3.0
    som.step(7)
    snap = som.snapshot()
    x = COLOURS[snap.last_sample]
    assert snap.last_sample == som.order[6]
    assert snap.last_sigma == pytest.approx(3.0 / (1 + 6 / 50))
    assert snap.last_learning_rate == pytest.approx(0.5 / (1 + 6 / 50))
    assert snap.sigma == pytest.approx(3.0 / (1 + 7 / 50))
    assert snap.weights.shape == (8, 8, 3)
    # the reported BMU was the nearest unit before the update, and the update pulled it towards x
    ref_w, bmus = ref.som_train(COLOURS, SOM(SOMConfig(8, 8, sigma=3.0, steps=100, seed=0), COLOURS).weights,
                                som.order[:6], 8, 8, False, "gaussian", "euclidean", 3.0, 0.5, "asymptotic",
                                "asymptotic", 100)
    before = np.linalg.norm(ref_w - x, axis=-1)
    assert np.unravel_index(before.argmin(), (8, 8)) == snap.last_bmu
    assert np.linalg.norm(snap.weights[snap.last_bmu] - x) < before[snap.last_bmu]


# ---- initialisation ---------------------------------------------------------------------------
def test_initialisations():
    data = datasets.iris().x
    rnd = SOM(SOMConfig(6, 6, init="random", steps=1), data).weights
    assert np.all(rnd >= data.min(axis=0)) and np.all(rnd <= data.max(axis=0))
    smp = SOM(SOMConfig(6, 6, init="sample", steps=1), data).weights
    assert all(any(np.array_equal(w, x) for x in data) for w in smp)
    pca = SOM(SOMConfig(6, 5, init="pca", steps=1), data).weights.reshape(6, 5, -1)
    np.testing.assert_allclose(pca.mean(axis=(0, 1)), data.mean(axis=0), atol=1e-12)
    # rows and columns step along the two main principal directions: corners span the largest spread
    values, vectors = np.linalg.eigh(np.cov(data, rowvar=False))
    along = (pca[-1, 0] - pca[0, 0]) / np.linalg.norm(pca[-1, 0] - pca[0, 0])
    assert abs(along @ vectors[:, -1]) == pytest.approx(1.0)
    assert np.linalg.norm(pca[-1, 0] - pca[0, 0]) == pytest.approx(2 * np.sqrt(3 * values[-1]))


# ---- metrics ----------------------------------------------------------------------------------
def _trained(topology="rectangular", steps=2000, **kw):
    som = SOM(SOMConfig(8, 7, topology, sigma=3.0, steps=steps, seed=0, **kw), COLOURS)
    som.step(steps)
    return som


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_errors_and_maps_against_brute_force(topology):
    som = _trained(topology)
    w = som.weights
    d = np.linalg.norm(COLOURS[:, None, :] - w[None], axis=-1)
    order = np.argsort(d, axis=1, kind="stable")
    assert som.quantization_error() == pytest.approx(d.min(axis=1).mean())
    pos = som.positions().reshape(-1, 2)
    apart = np.linalg.norm(pos[order[:, 0]] - pos[order[:, 1]], axis=1)
    adjacent = apart < (1.42 if topology == "rectangular" else 1.01)
    assert som.topographic_error() == pytest.approx(1 - adjacent.mean())
    hits = som.hit_map()
    assert hits.sum() == len(COLOURS)
    np.testing.assert_array_equal(hits.ravel(), np.bincount(order[:, 0], minlength=56))
    wm = som.win_map()
    assert sum(len(v) for v in wm.values()) == len(COLOURS)
    for (i, j), members in wm.items():
        assert hits[i, j] == len(members)
    labels = (COLOURS[:, 0] > 0.5).astype(int)
    lm = som.labels_map(labels)
    assert sum(sum(c.values()) for c in lm.values()) == len(COLOURS)
    # U-matrix: mean distance to the adjacent units
    u = som.u_matrix()
    for unit in (0, 9, 30, 55):
        nb = [v for v in som._neighbours[unit] if v >= 0]
        assert u.ravel()[unit] == pytest.approx(np.mean([np.linalg.norm(w[unit] - w[v]) for v in nb]))


def test_training_organises_the_colour_map():
    som = SOM(SOMConfig(12, 12, sigma=4.0, steps=3000, seed=0), COLOURS)
    qe0, te0 = som.errors()
    som.step(3000)
    qe, te = som.errors()
    assert te0 > 0.5 and te < 0.15   # a random layout breaks topology everywhere; the trained map keeps it
    assert qe < 0.2
    # neighbours are similar colours: the mean neighbour distance is small next to a random layout
    shuffled = SOM(SOMConfig(12, 12, steps=1), COLOURS)
    shuffled.weights = som.weights[np.random.default_rng(0).permutation(144)]
    assert som.u_matrix().mean() < 0.5 * shuffled.u_matrix().mean()
    assert som.history.step[0] == 0 and som.history.step[-1] == 3000


def test_a_tiny_radius_leaves_dead_units_and_no_decay_never_settles():
    ring = datasets.shape_2d("ring", 600, seed=0).x
    good = SOM(SOMConfig(10, 10, sigma=3.0, steps=6000, seed=0), ring)
    tiny = SOM(SOMConfig(10, 10, sigma=0.3, steps=6000, seed=0), ring)
    for m in (good, tiny):
        m.step(6000)
    assert (tiny.hit_map() == 0).sum() > 2 * max((good.hit_map() == 0).sum(), 5)
    assert tiny.topographic_error() > good.topographic_error()
    steady = SOM(SOMConfig(10, 10, sigma=3.0, learning_rate=0.5, sigma_decay="constant", lr_decay="constant",
                           steps=6000, seed=0), ring)
    steady.step(6000)
    assert steady.quantization_error() > 1.5 * good.quantization_error()


def test_planted_outliers_sit_in_the_most_isolated_cells():
    data = datasets.applications_with_outliers(seed=0)
    som = SOM(SOMConfig(10, 10, sigma=1.5, learning_rate=0.5, init="sample", steps=20_000, seed=0), data.x)
    som.step(20_000)
    found = som.outliers(15)
    assert data.y[found].sum() >= 7  # of the 10 planted, without using the labels
    assert data.y[found[:5]].sum() >= 4


def test_mexican_hat_with_a_large_rate_diverges_as_a_state():
    som = SOM(SOMConfig(10, 10, neighbourhood="mexican_hat", sigma=3.0, learning_rate=10.0,
                        sigma_decay="constant", lr_decay="constant", steps=5000), COLOURS)
    status = som.step(5000)
    assert status == "diverged" and som.done
    assert som.t < 5000 or not np.isfinite(som.history.quantization_error[-1])
    assert som.step(10) == "diverged"


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"width": 0}, "width"), ({"height": 61}, "height"), ({"width": 1, "height": 1}, "two units"),
    ({"width": 2.5}, "width"), ({"sigma": 0.0}, "sigma"), ({"sigma": float("nan")}, "sigma"),
    ({"learning_rate": -1}, "learning_rate"), ({"steps": 0}, "steps"), ({"steps": 10 ** 7}, "steps"),
    ({"topology": "torus"}, "topology"), ({"neighbourhood": "cone"}, "neighbourhood"),
    ({"distance": "chebyshev"}, "distance"), ({"init": "zeros"}, "init"), ({"lr_decay": "fast"}, "lr_decay"),
])
def test_bad_config_says_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SOMConfig(**kwargs)


def test_bad_data_says_what_is_wrong():
    with pytest.raises(ValueError, match="data contains NaN or infinite"):
        SOM(SOMConfig(), np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="data must be a 2-D array"):
        SOM(SOMConfig(), np.zeros(5))
    with pytest.raises(ValueError, match="PCA"):
        SOM(SOMConfig(init="pca"), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="too large"):
        SOM(SOMConfig(40, 40, mode="batch", steps=100_000), np.zeros((5000, 15)))


@settings(max_examples=25, deadline=None)
@given(w=st.integers(1, 7), h=st.integers(1, 7), d=st.integers(1, 5), n=st.integers(1, 30),
       topology=st.sampled_from(["rectangular", "hexagonal"]), steps=st.integers(1, 60))
def test_any_small_map_trains_and_reports_consistent_shapes(w, h, d, n, topology, steps):
    if w * h < 2:
        return
    data = np.random.default_rng(n).random((n, d))
    som = SOM(SOMConfig(w, h, topology, sigma=1.5, steps=steps), data)
    som.step(steps)
    assert som.weights.shape == (w * h, d) and np.all(np.isfinite(som.weights))
    assert som.u_matrix().shape == (w, h) and som.hit_map().sum() == n
    qe, te = som.errors()
    assert qe >= 0 and 0 <= te <= 1


# ---- SOM datasets -------------------------------------------------------------------------------
def test_som_datasets():
    c = datasets.colours(500, seed=1)
    assert c.x.shape == (500, 3) and c.x.min() >= 0 and c.x.max() <= 1
    np.testing.assert_array_equal(c.x, datasets.colours(500, seed=1).x)
    ring = datasets.shape_2d("ring", 800, seed=0).x
    r = np.linalg.norm(ring - 0.5, axis=1)
    assert r.min() >= 0.3 - 1e-12 and r.max() <= 0.45 + 1e-12
    iris = datasets.iris()
    assert iris.x.shape == (150, 4) and np.bincount(iris.y).tolist() == [50, 50, 50]
    assert iris.x.min() == 0 and iris.x.max() == 1
    apps = datasets.applications_with_outliers(690, 10, seed=0)
    assert apps.x.shape == (690, 15) and apps.y.sum() == 10
    with pytest.raises(ValueError, match="shape"):
        datasets.shape_2d("heart")
    with pytest.raises(ValueError, match="outliers"):
        datasets.applications_with_outliers(50, 20)
