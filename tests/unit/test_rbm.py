"""RBM: the course's worked CD-1 numbers, kernels vs a NumPy reference, metrics, DBN, datasets."""
import numpy as np
import pytest

from engine import datasets
from engine.rbm import (DBN, EXAMPLE_HIDDEN_BIAS, EXAMPLE_V, EXAMPLE_VISIBLE_BIAS, EXAMPLE_W, NOTES_ERRATA,
                        NOTES_VALUES, RBM, RBMConfig, cd1_walkthrough)
from tests.unit import reference as ref

DIGITS = datasets.digits()
BINARY = (DIGITS.x > 0.5).astype(float)


def _model_from_example() -> RBM:
    m = RBM(RBMConfig(3, 4, init_std=0.0), EXAMPLE_V[None, :])
    m.W[:] = EXAMPLE_W
    m.c[:] = EXAMPLE_HIDDEN_BIAS
    m.b[:] = EXAMPLE_VISIBLE_BIAS
    return m


# ---- the course's worked example (seed 000, "The Restrictive Boltzman Machine (RBM) Learns") -----------
def test_forward_pass_inputs_and_outputs_as_in_the_notes():
    passes, _ = cd1_walkthrough()
    np.testing.assert_allclose(passes[0].inputs, NOTES_VALUES["forward"][0], atol=1e-12)
    out = passes[0].outputs
    assert [round(x, 4) for x in out[[0, 1, 3]]] == [0.5075, 0.4775, 0.5399]
    # the notes print sigmoid(0.72) = 0.6729; it is 0.67261 (1 / (1 + e^-0.72)): an erratum
    assert round(out[2], 4) == NOTES_ERRATA[("forward", 2)] == 0.6726
    # the kernel computes the same numbers as the walk-through
    np.testing.assert_allclose(_model_from_example().hidden_probabilities(EXAMPLE_V)[0], out, rtol=1e-14)


@pytest.mark.parametrize("name", ["backward", "second"])
def test_later_passes_reproduce_the_notes_from_their_own_rounded_values(name):
    """A hand calculation rounds each pass to 4 decimals and carries it on (with the notes' 0.6729):
    fed the notes' values, the kernels reproduce every input sum of the next pass to 5 decimals and
    every sigmoid to 4, except three more misprints in the 4th decimal, each off by at most 2e-4."""
    m = _model_from_example()
    if name == "backward":
        source = np.array(NOTES_VALUES["forward"][1])
        z = EXAMPLE_W @ source + EXAMPLE_VISIBLE_BIAS
        out = m.visible_probabilities(source)[0]
    else:
        source = np.array(NOTES_VALUES["backward"][1])
        z = source @ EXAMPLE_W + EXAMPLE_HIDDEN_BIAS
        out = m.hidden_probabilities(source)[0]
    inputs, printed = NOTES_VALUES[name]
    np.testing.assert_allclose(z, inputs, atol=5e-6)
    for unit, value in enumerate(printed):
        if (name, unit) in NOTES_ERRATA:
            assert round(out[unit], 4) == NOTES_ERRATA[(name, unit)]
            assert abs(out[unit] - value) <= 2.5e-4
        else:
            assert round(out[unit], 4) == value


def test_walkthrough_at_full_precision_and_its_update():
    passes, update = cd1_walkthrough(lr=0.1)
    assert [round(x, 4) for x in passes[1].outputs] == [0.5352, 0.6158, 0.5841]  # notes: 0.6159, 0.5842
    assert [round(x, 4) for x in passes[2].outputs] == [0.5407, 0.4607, 0.6867, 0.5289]
    # every shown sum is the products plus the bias
    for p in passes:
        for unit, terms in enumerate(p.terms):
            assert sum(a * w for a, w in terms) + p.bias[unit] == pytest.approx(p.inputs[unit])
    h0, v1, h1 = passes[0].outputs, passes[1].outputs, passes[2].outputs
    np.testing.assert_allclose(update["dW"], 0.1 * (np.outer(EXAMPLE_V, h0) - np.outer(v1, h1)))
    np.testing.assert_allclose(update["db"], 0.1 * (EXAMPLE_V - v1))
    np.testing.assert_allclose(update["dc"], 0.1 * (h0 - h1))
    # the kernel's CD-1 in mean-field mode makes exactly this update (no momentum or decay)
    m = _model_from_example()
    m.config = RBMConfig(3, 4, k=1, learning_rate=0.1, momentum=0.0, weight_decay=0.0, batch_size=1,
                         sample_hidden=False, sample_visible=False, init_std=0.0)
    m.step(1, order=np.array([0]))
    np.testing.assert_allclose(m.W - EXAMPLE_W, update["dW"], atol=1e-15)
    np.testing.assert_allclose(m.b - EXAMPLE_VISIBLE_BIAS, update["db"], atol=1e-15)
    np.testing.assert_allclose(m.c - EXAMPLE_HIDDEN_BIAS, update["dc"], atol=1e-15)


# ---- kernels vs the NumPy reference --------------------------------------------------------------
CASES = [
    dict(k=1, persistent=False, sample_hidden=True, sample_visible=False, momentum=0.0, weight_decay=0.0),
    dict(k=3, persistent=False, sample_hidden=True, sample_visible=True, momentum=0.5, weight_decay=1e-3),
    dict(k=2, persistent=False, sample_hidden=False, sample_visible=False, momentum=0.9, weight_decay=0.0),
    dict(k=1, persistent=True, sample_hidden=True, sample_visible=True, momentum=0.0, weight_decay=0.0),
    dict(k=4, persistent=True, sample_hidden=True, sample_visible=False, momentum=0.5, weight_decay=1e-4),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"k{c['k']}-{'pcd' if c['persistent'] else 'cd'}")
def test_training_matches_the_reference_update_for_update(case):
    data = BINARY[:200]
    cfg = RBMConfig(64, 24, learning_rate=0.05, batch_size=10, seed=4, **case)
    m = RBM(cfg, data)
    W0, b0, c0 = m.W.copy(), m.b.copy(), m.c.copy()
    order = np.random.default_rng(1).permutation(200)[:120]
    # replay the uniforms the model will draw
    draws = np.random.default_rng(99)
    m.rng = np.random.default_rng(99)
    n = 12
    u_vis = draws.random((n, cfg.k, 10, 64)) if cfg.sample_visible else None
    u_hid = draws.random((n, cfg.k, 10, 24))
    m.step(n, order=order)
    W, b, c, chain, _ = ref.rbm_train(data, order, 10, W0, b0, c0, cfg.k, cfg.persistent, cfg.sample_hidden,
                                      cfg.sample_visible, cfg.learning_rate, cfg.momentum, cfg.weight_decay,
                                      u_vis, u_hid)
    np.testing.assert_allclose(m.W, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.b, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.c, c, rtol=1e-9, atol=1e-12)
    if cfg.persistent:
        np.testing.assert_array_equal(m.chain_h, chain)


def test_unknown_inputs_stay_clamped_and_do_not_count_in_the_error():
    movies = datasets.movie_ratings(200, seed=0)
    cfg = RBMConfig(10, 5, k=3, learning_rate=0.1, momentum=0.0, weight_decay=0.0, batch_size=20, seed=0)
    m = RBM(cfg, movies.x)
    W0, b0, c0 = m.W.copy(), m.b.copy(), m.c.copy()
    m.rng = np.random.default_rng(5)
    draws = np.random.default_rng(5)
    u_hid = draws.random((10, 3, 20, 5))
    order = np.arange(200)
    m.step(10, order=order, track_error=True)
    W, b, c, _, errors = ref.rbm_train(movies.x, order, 20, W0, b0, c0, 3, False, True, False, 0.1, 0.0, 0.0,
                                       None, u_hid)
    np.testing.assert_allclose(m.W, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.batch_errors, errors, rtol=1e-9)   # each batch's, over known units only
    assert m.step(1) == "running" and m.batch_errors.size == 0      # not measured unless asked
    x = movies.x[:5]
    known = x >= 0
    assert m.reconstruction_error(x) == pytest.approx(np.abs(x - m.reconstruct(x))[known].mean())


def test_kernel_reports_the_reconstruction_error_of_each_batch():
    from engine.kernels import rbm as k

    m = RBM(RBMConfig(64, 16, batch_size=10, seed=0), BINARY[:100])
    order = np.arange(30)
    errors = np.zeros(3)
    W0 = m.W.copy()
    want = np.abs(BINARY[:10] - m.reconstruct(BINARY[:10])).mean()
    k.train_batches(m.data, order, 10, m.W, m.b, m.c, m.vel_W, m.vel_b, m.vel_c, m.chain_h, 0.1, 0.5, 0.0, 1,
                    False, True, False, np.empty((3, 1, 1, 1)), np.random.default_rng(0).random((3, 1, 10, 16)),
                    True, errors)
    assert errors[0] == pytest.approx(want)
    assert not np.allclose(m.W, W0)


# ---- metrics, sampling, learning ------------------------------------------------------------------
def test_free_energy_and_pseudo_likelihood_formulas():
    m = RBM(RBMConfig(64, 20, init_std=0.5, seed=3), BINARY[:50])
    m.b[:] = np.random.default_rng(0).normal(0, 0.3, 64)
    m.c[:] = np.random.default_rng(1).normal(0, 0.3, 20)
    v = BINARY[:30]
    want = -v @ m.b - np.logaddexp(0, v @ m.W + m.c).sum(axis=1)
    np.testing.assert_allclose(m.free_energy(v), want, rtol=1e-12)
    rng = np.random.default_rng(7)
    cols = rng.integers(0, 64, 30)
    flipped = v.copy()
    flipped[np.arange(30), cols] = 1 - flipped[np.arange(30), cols]
    fe = lambda x: -x @ m.b - np.logaddexp(0, x @ m.W + m.c).sum(axis=1)  # noqa: E731
    pl = (64 * np.log(1 / (1 + np.exp(-(fe(flipped) - fe(v)))))).mean()
    assert m.pseudo_likelihood(v, seed=7) == pytest.approx(pl)


def test_training_on_digits_learns_them():
    m = RBM(RBMConfig(64, 64, k=1, learning_rate=0.1, momentum=0.5, batch_size=10, seed=0), BINARY)
    e0, pl0 = m.reconstruction_error(), m.pseudo_likelihood()
    for _ in range(5):
        m.step(m.batches_per_epoch)
    assert m.reconstruction_error() < 0.6 * e0
    assert m.pseudo_likelihood() > pl0 + 5
    noise = (np.random.default_rng(0).random((200, 64)) < BINARY.mean()).astype(float)
    assert m.free_energy(BINARY[:200]).mean() < m.free_energy(noise).mean() - 5  # data is likelier than noise
    h = m.history
    assert h.updates[-1] == 5 * m.batches_per_epoch and h.epoch[-1] == pytest.approx(5.0)
    assert len(h.reconstruction_error) == len(h.free_energy_data) == len(h.free_energy_model) == 6


def test_persistent_cd_learns_too_and_gibbs_chains_stay_probabilities():
    m = RBM(RBMConfig(64, 64, k=1, persistent=True, sample_visible=True, learning_rate=0.05, batch_size=10, seed=0),
            BINARY)
    e0 = m.reconstruction_error()
    m.step(3 * m.batches_per_epoch)
    assert m.reconstruction_error() < 0.8 * e0
    chain = m.gibbs(np.random.default_rng(0).random((8, 64)), 20, np.random.default_rng(1))
    assert len(chain) == 20 and chain[-1].shape == (8, 64)
    assert all(0 <= c.min() and c.max() <= 1 for c in chain)


def test_the_seed_reproduces_a_run_and_epochs_reshuffle():
    runs = []
    for seed in (0, 0, 1):
        m = RBM(RBMConfig(64, 16, batch_size=10, seed=seed), BINARY[:100])
        m.step(25)
        runs.append(m.W.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_a_huge_learning_rate_is_reported_as_divergence():
    m = RBM(RBMConfig(64, 32, learning_rate=10.0, momentum=0.99, weight_decay=0.0, init_std=10.0, batch_size=1),
            BINARY)
    status = "running"
    for _ in range(200):
        status = m.step(50)
        if status == "diverged":
            break
    assert status == "diverged" or np.isfinite(m.W).all()  # never a crash; a state when it happens
    assert np.isfinite(m.history.updates[-1])


def test_dbn_stacks_two_rbms_greedily():
    dbn = DBN(RBMConfig(64, 32, seed=0), RBMConfig(32, 16, seed=1), BINARY[:300])
    with pytest.raises(ValueError, match="second layer"):
        dbn.sample(2, 5, np.random.default_rng(0))
    dbn.train_first(60)
    before = dbn.first.W.copy()
    e0 = None
    dbn.train_second(1)
    e0 = dbn.second.reconstruction_error()
    dbn.train_second(200)
    np.testing.assert_array_equal(dbn.first.W, before)  # greedy: the first layer is frozen
    np.testing.assert_allclose(dbn.second.data, dbn.first.hidden_probabilities(BINARY[:300]))
    assert dbn.second.reconstruction_error() < e0
    assert dbn.sample(5, 10, np.random.default_rng(0)).shape == (5, 64)
    assert dbn.features(BINARY[:4]).shape == (4, 16)
    with pytest.raises(ValueError, match="second RBM"):
        DBN(RBMConfig(64, 32), RBMConfig(20, 8), BINARY[:10])
    # a stack on top of an RBM trained elsewhere uses it as it is
    trained = dbn.first
    on_top = DBN.on_top_of(trained, RBMConfig(32, 8, seed=2))
    on_top.train_second(10)
    assert on_top.first is trained and on_top.second.data.shape == (300, 32)
    with pytest.raises(ValueError, match="second RBM"):
        DBN.on_top_of(trained, RBMConfig(10, 8))


def test_recommender_predicts_unseen_movies_better_than_chance():
    movies = datasets.movie_ratings(600, seen=0.6, seed=0)
    m = RBM(RBMConfig(10, 5, k=5, learning_rate=0.1, momentum=0.5, batch_size=20, seed=0), movies.x)
    m.step(30 * m.batches_per_epoch)
    unseen = movies.x < 0
    predicted = m.reconstruct(movies.x) > 0.5
    accuracy = (predicted == (movies.y > 0.5))[unseen].mean()
    base = max(movies.y[unseen].mean(), 1 - movies.y[unseen].mean())
    assert accuracy > base + 0.1


# ---- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"n_visible": 0}, "visible"), ({"n_hidden": 5000}, "hidden"), ({"k": 0}, "Gibbs"), ({"k": 99}, "Gibbs"),
    ({"batch_size": 0}, "batch"), ({"learning_rate": 0.0}, "learning_rate"), ({"momentum": 1.0}, "momentum"),
    ({"weight_decay": -1}, "decay"), ({"init_std": float("nan")}, "init_std"),
])
def test_bad_config_says_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RBMConfig(**kwargs)


def test_bad_data_says_what_is_wrong():
    with pytest.raises(ValueError, match=r"data must be rows of 3 visible values .* got shape \(4, 5\)"):
        RBM(RBMConfig(n_visible=3), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="data must be at most 1 everywhere"):
        RBM(RBMConfig(n_visible=2), np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="data contains NaN"):
        RBM(RBMConfig(n_visible=2), np.array([[0.0, np.nan]]))


def test_digits_and_movie_datasets():
    assert DIGITS.x.shape == (1797, 64) and DIGITS.x.min() == 0 and DIGITS.x.max() == 1
    assert np.bincount(DIGITS.y).min() >= 170
    movies = datasets.movie_ratings(100, seen=0.5, seed=1)
    assert movies.x.shape == (100, len(datasets.MOVIES))
    assert set(np.unique(movies.x)) <= {-1.0, 0.0, 1.0}
    known = movies.x >= 0
    np.testing.assert_array_equal(movies.x[known], movies.y[known])


def test_most_batches_per_call_is_exactly_the_memory_cap_of_step():
    from engine.limits import MAX_ELEMENTS
    from engine.rbm import RBM, RBMConfig

    data = (np.random.default_rng(0).random((50, 64)) > 0.5).astype(float)
    rbm = RBM(RBMConfig(n_visible=64, n_hidden=400, k=25, batch_size=50, sample_visible=True), data)
    most = rbm.most_batches_per_call
    assert most == MAX_ELEMENTS // (25 * 50 * (400 + 64))
    with pytest.raises(ValueError, match="numbers in memory"):
        rbm.step(most + 1)
    assert rbm.step(1) in ("running", "diverged")
