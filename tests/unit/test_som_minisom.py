"""Dev-only: the SOM agrees with MiniSom (the anchor implementation) on the same data and settings.

Skipped where MiniSom is not installed (it lives in the ``[bench]`` extra, not in CI's ``[test]``).
"""
import warnings

import numpy as np
import pytest

from engine.som import SOM, SOMConfig

minisom = pytest.importorskip("minisom")

DATA = np.random.default_rng(7).random((250, 4))
MINISOM_DECAY = {"asymptotic": ("asymptotic_decay", "asymptotic_decay"),
                 "inverse": ("inverse_decay_to_zero", "inverse_decay_to_one"),
                 "linear": ("linear_decay_to_zero", "linear_decay_to_one")}


def _pair(topology, neighbourhood, decay, distance="euclidean", w=7, h=6, sigma=2.0, steps=400, mode="sequential"):
    cfg = SOMConfig(w, h, topology, neighbourhood, sigma=sigma, learning_rate=0.5, sigma_decay=decay,
                    lr_decay=decay, distance=distance, mode=mode, steps=steps, seed=1)
    ours = SOM(cfg, DATA)
    lr_fn, sigma_fn = MINISOM_DECAY[decay]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = minisom.MiniSom(w, h, DATA.shape[1], sigma=sigma, learning_rate=0.5,
                                 neighborhood_function=neighbourhood, topology=topology,
                                 activation_distance=distance, decay_function=lr_fn, sigma_decay_function=sigma_fn)
    theirs._weights = ours.weights.reshape(w, h, -1).copy()
    return ours, theirs


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("neighbourhood", ["gaussian", "bubble"])
@pytest.mark.parametrize("decay", list(MINISOM_DECAY))
@pytest.mark.parametrize("distance", ["euclidean", "cosine", "manhattan"])
def test_same_updates_as_minisom(topology, neighbourhood, decay, distance):
    ours, theirs = _pair(topology, neighbourhood, decay, distance)
    for t, i in enumerate(ours.order):  # MiniSom's own training loop, fed our sample order
        theirs.update(DATA[i], theirs.winner(DATA[i]), t, 400)
    ours.step(400)
    np.testing.assert_allclose(ours.weights.reshape(theirs._weights.shape), theirs._weights, rtol=1e-10, atol=1e-12)


def test_mexican_hat_agrees_while_it_is_stable():
    ours, theirs = _pair("hexagonal", "mexican_hat", "inverse", sigma=1.0, steps=60)
    for t, i in enumerate(ours.order):
        theirs.update(DATA[i], theirs.winner(DATA[i]), t, 60)
    ours.step(60)
    np.testing.assert_allclose(ours.weights.reshape(theirs._weights.shape), theirs._weights, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_batch_map_matches_train_batch_offline(topology):
    ours, theirs = _pair(topology, "gaussian", "asymptotic", mode="batch", steps=8)
    ours.step(8)
    theirs.train_batch_offline(DATA, 8)
    np.testing.assert_allclose(ours.weights.reshape(theirs._weights.shape), theirs._weights, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("topology, height", [("rectangular", 6), ("hexagonal", 7)])
def test_metrics_match_minisom(topology, height):
    ours, theirs = _pair(topology, "gaussian", "asymptotic", h=height)
    ours.step(400)
    theirs._weights = ours.weights.reshape(7, height, -1).copy()
    assert ours.quantization_error() == pytest.approx(theirs.quantization_error(DATA), rel=1e-12)
    assert ours.topographic_error() == pytest.approx(theirs.topographic_error(DATA), abs=1e-12)
    np.testing.assert_array_equal(ours.hit_map(), theirs.activation_response(DATA))
    u = ours.u_matrix()
    np.testing.assert_allclose(u / u.max(), theirs.distance_map(scaling="mean"), rtol=1e-12)
    wm = theirs.win_map(DATA, return_indices=True)
    assert {k: sorted(v) for k, v in ours.win_map().items()} == {tuple(map(int, k)): sorted(v) for k, v in wm.items()}


def test_hexagonal_u_matrix_uses_minisoms_own_geometry_for_an_even_height():
    # MiniSom's distance_map assumes the shifted rows are the odd ones, which holds for an odd
    # height only; for an even height its hexagon neighbours are not the cells at distance 1 in
    # its own coordinates. Ours are (checked against get_euclidean_coordinates).
    ours, theirs = _pair("hexagonal", "gaussian", "asymptotic", h=6)
    xx, yy = theirs.get_euclidean_coordinates()
    pos = np.stack([xx, yy], axis=-1).reshape(-1, 2)
    for u, row in enumerate(ours._neighbours):
        at_one = {v for v in range(len(pos)) if v != u and np.isclose(np.linalg.norm(pos[u] - pos[v]), 1)}
        assert set(row[row >= 0].tolist()) == at_one
