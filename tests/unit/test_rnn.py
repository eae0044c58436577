"""Recurrent networks: the kernels against a NumPy BPTT written from the equations, finite
differences, the vanishing gradient seen per step, truncation, clipping, divergence, the tasks."""
from __future__ import annotations

import numpy as np
import pytest

from engine import rnn, sequences
from tests.unit.reference import rnn_loss_and_grads

TASKS = {
    "recall (symbols, many-to-one, CE)": lambda: sequences.recall(40, 7, seed=1),
    "adding (values, many-to-one, MSE)": lambda: sequences.adding(40, 6, seed=1),
    "text (symbols, many-to-many, CE)": lambda: sequences.text(6, 40, seed=1),
    "values, many-to-many, MSE": lambda: sequences.SequenceTask(
        "m2m", 30, x=np.random.default_rng(3).normal(size=(40, 5, 3)), y=np.random.default_rng(4).normal(size=(40, 5, 2)),
        n_out=2),
}


def _shaken(config: rnn.RNNConfig, task) -> rnn.RNN:
    m = rnn.RNN(config, task)
    m.theta += np.random.default_rng(7).normal(0, 0.3, m.theta.size)  # biases and peepholes off zero too
    return m


def _reference(m: rnn.RNN, rows: np.ndarray):
    task = m.task
    x = np.eye(m.n_in)[task.xi[rows]] if task.xi is not None else task.x[rows]
    targets = task.yi[rows] if task.yi is not None else task.y[rows]
    layers = [{k: v.copy() for k, v in m.weights(l).items()} for l in range(m.config.layers)]
    return rnn_loss_and_grads(x, targets, layers, tuple(a.copy() for a in m.head()), m.config.cell, task.many_to_many,
                              task.loss, m.config.truncate, m.config.peephole, m.config.coupled)


CASES = [(cell, layers, name) for cell in rnn.CELLS for layers in (1, 2) for name in TASKS]


@pytest.mark.parametrize(("cell", "layers", "task_name"), CASES)
def test_loss_gradient_and_per_step_gradient_match_the_numpy_reference(cell, layers, task_name):
    m = _shaken(rnn.RNNConfig(cell=cell, hidden=5, layers=layers), TASKS[task_name]())
    rows = np.array([0, 3, 5, 11, 2])
    loss, grad, dh_sq = m.loss_and_gradient(rows)
    ref_loss, ref_layers, (ref_wy, ref_by), ref_dh = _reference(m, rows)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for layer in range(layers):
        for name, value in m.weights(layer, grad).items():
            np.testing.assert_allclose(value, ref_layers[layer][name], rtol=1e-9, atol=1e-13, err_msg=f"{layer} {name}")
    wy, by = m.head(grad)
    np.testing.assert_allclose(wy, ref_wy, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(by, ref_by, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(dh_sq, ref_dh, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("options", [{"peephole": True}, {"coupled": True}, {"peephole": True, "coupled": True},
                                     {"truncate": 2}, {"truncate": 3, "layers": 2}])
def test_lstm_variants_and_truncation_match_the_reference(options):
    config = rnn.RNNConfig(cell="lstm", hidden=4, **{"layers": 1, **options})
    m = _shaken(config, TASKS["text (symbols, many-to-many, CE)"]())
    rows = np.arange(6)
    loss, grad, dh_sq = m.loss_and_gradient(rows)
    ref_loss, ref_layers, _, ref_dh = _reference(m, rows)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for layer in range(config.layers):
        for name, value in m.weights(layer, grad).items():
            np.testing.assert_allclose(value, ref_layers[layer][name], rtol=1e-9, atol=1e-13, err_msg=name)
    np.testing.assert_allclose(dh_sq, ref_dh, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_gradient_matches_finite_differences(cell):
    m = _shaken(rnn.RNNConfig(cell=cell, hidden=4, layers=2, peephole=cell == "lstm"), TASKS["adding (values, many-to-one, MSE)"]())
    rows = np.arange(4)
    _, grad, _ = m.loss_and_gradient(rows)
    for i in np.random.default_rng(0).choice(m.theta.size, 25, replace=False):
        old = m.theta[i]
        m.theta[i] = old + 1e-6
        up = m.loss_and_gradient(rows)[0]
        m.theta[i] = old - 1e-6
        down = m.loss_and_gradient(rows)[0]
        m.theta[i] = old
        assert grad[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8)


def test_outputs_match_the_loss_the_gradient_reports():
    m = _shaken(rnn.RNNConfig(cell="gru", hidden=6), TASKS["text (symbols, many-to-many, CE)"]())
    rows = np.arange(8)
    loss, _ = m.evaluate(rows)
    assert loss == pytest.approx(m.loss_and_gradient(rows)[0], rel=1e-12)
    out, traced = m.outputs(rows, trace=2)
    np.testing.assert_allclose(out.sum(axis=2), 1.0)
    assert traced["gates"].shape == (1, 6, 3 * 6) and traced["h"].shape == (1, 6, 6)
    single, _ = m.outputs(rows[2:3])
    np.testing.assert_allclose(single[0], out[2], rtol=1e-12)
    assert np.all((traced["gates"][0, :, :12] > 0) & (traced["gates"][0, :, :12] < 1))  # z and r are sigmoids


def test_a_plain_rnn_with_small_recurrent_weights_loses_the_gradient_through_time_and_an_lstm_keeps_it():
    task = sequences.recall(64, 40, seed=0)
    small = rnn.RNN(rnn.RNNConfig(cell="rnn", hidden=16, recurrent_scale=0.5), task)
    lstm = rnn.RNN(rnn.RNNConfig(cell="lstm", hidden=16, forget_bias=3.0), task)
    assert small.recurrent_singular_values()["h"] == pytest.approx(0.5)
    for m in (small, lstm):
        m.step(1)
    d_small, d_lstm = small.history.dh_norms[-1], lstm.history.dh_norms[-1]
    assert d_small[0] / d_small[-1] < 1e-6     # 0.5^39 times tanh' below 1
    assert d_lstm[0] / d_lstm[-1] > 1e-2       # the cell path keeps it
    big = rnn.RNN(rnn.RNNConfig(cell="rnn", hidden=16, recurrent_scale=3.0, clip=0.0), sequences.adding(64, 40, seed=0))
    big.step(1)
    assert big.history.dh_norms[-1][0] > big.history.dh_norms[-1][-1]   # grows backwards through time


def test_truncated_bptt_sends_nothing_back_past_the_chunk():
    task = sequences.adding(32, 12, seed=0)
    m = rnn.RNN(rnn.RNNConfig(cell="lstm", hidden=4, truncate=5), task)
    m.step(1)
    dh = m.history.dh_norms[-1]
    assert np.all(dh[:7] == 0) and np.all(dh[7:] > 0)   # many-to-one: only the last 5 steps see the loss
    _, grad, _ = m.loss_and_gradient(np.arange(8))
    assert np.any(m.weights(0, grad)["W_x"] != 0)


def test_clipping_caps_the_update_and_reports_the_norm_before_it():
    task = sequences.adding(64, 30, seed=0)
    cfg = dict(cell="rnn", hidden=8, recurrent_scale=3.0, optimizer="sgd", learning_rate=0.1)
    clipped = rnn.RNN(rnn.RNNConfig(**cfg, clip=0.01), task)
    before = clipped.theta.copy()
    clipped.step(1)
    assert clipped.history.grad_norm[-1] > 0.01
    assert np.linalg.norm(clipped.theta - before) == pytest.approx(0.1 * 0.01, rel=1e-9)


def test_divergence_is_a_state():
    m = rnn.RNN(rnn.RNNConfig(cell="rnn", hidden=8, optimizer="sgd", learning_rate=90.0, clip=0.0,
                              recurrent_scale=3.0), sequences.adding(64, 20, seed=0))
    for _ in range(50):
        if m.step(10) == "diverged":
            break
    assert m.status == "diverged"
    assert m.step(1) == "diverged"


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_it_learns_the_adding_problem_and_a_seed_reproduces_the_run(cell):
    task = sequences.adding(600, 10, seed=0)
    runs = []
    for _ in range(2):
        m = rnn.RNN(rnn.RNNConfig(cell=cell, hidden=16, learning_rate=0.01, seed=3), task)
        m.step(1200)
        runs.append(m)
    assert runs[0].history.test_loss[-1] < 0.167 / 4   # well below always answering 1
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)


def test_text_generation_and_unit_colours():
    task = sequences.text(16, 400, seed=0)
    m = rnn.RNN(rnn.RNNConfig(cell="lstm", hidden=16, learning_rate=0.02), task)
    m.step(50)
    made = m.generate("First Citizen:\n", 80, temperature=0.7, seed=1)
    assert len(made) == 80 and set(made) <= set(task.vocab)
    assert made == m.generate("First Citizen:\n", 80, temperature=0.7, seed=1)
    h = m.unit_over_text("Speak, speak.")
    assert h.shape == (13, 16) and np.all(np.abs(h) < 1)
    with pytest.raises(ValueError, match="text task"):
        rnn.RNN(rnn.RNNConfig(), sequences.adding(20, 5)).generate("x", 3)


def test_orthogonal_recurrent_weights_and_forget_bias():
    m = rnn.RNN(rnn.RNNConfig(cell="lstm", hidden=6, recurrent_scale=0.8, forget_bias=1.5), sequences.adding(20, 5))
    w = m.weights(0)
    for g in range(4):
        block = w["W_h"][:, g * 6:(g + 1) * 6]
        np.testing.assert_allclose(block.T @ block, 0.64 * np.eye(6), atol=1e-12)
    np.testing.assert_array_equal(w["b"][6:12], 1.5)
    assert np.all(w["b"][:6] == 0)


@pytest.mark.parametrize(("kwargs", "word"), [({"cell": "transformer"}, "cell"), ({"hidden": 0}, "hidden"),
                                              ({"layers": 3}, "layers"), ({"learning_rate": -1}, "learning_rate"),
                                              ({"clip": float("nan")}, "clip"), ({"truncate": -2}, "truncate"),
                                              ({"batch_size": 10**6}, "batch_size")])
def test_bad_settings_are_refused_with_their_name(kwargs, word):
    with pytest.raises(ValueError, match=word):
        rnn.RNNConfig(**kwargs)


def test_bad_calls_are_refused():
    m = rnn.RNN(rnn.RNNConfig(hidden=4), sequences.adding(20, 5))
    with pytest.raises(ValueError, match="n_updates"):
        m.step(0)
    with pytest.raises(ValueError, match="n_updates"):
        m.step(10**9)
    with pytest.raises(ValueError, match="rows"):
        m.outputs([0, 99])
    with pytest.raises(ValueError, match="task"):
        rnn.RNN(rnn.RNNConfig(), "adding")


# ---- tasks ---------------------------------------------------------------------------------------
def test_recall_targets_the_first_symbol_and_the_rest_is_noise():
    t = sequences.recall(100, 12, symbols=3, noise_symbols=2, seed=0)
    assert t.xi.shape == (100, 12) and t.yi.shape == (100, 1) and t.n_out == 3 and t.n_in == 5
    np.testing.assert_array_equal(t.xi[:, 0], t.yi[:, 0])
    assert t.xi[:, 1:].min() >= 3 and t.loss == "ce" and not t.many_to_many


def test_adding_targets_the_sum_of_the_two_marked_values():
    t = sequences.adding(50, 10, seed=0)
    assert np.all(t.x[:, :, 1].sum(axis=1) == 2)
    assert np.all(t.x[:, :5, 1].sum(axis=1) == 1)
    np.testing.assert_allclose(t.y[:, 0, 0], (t.x[:, :, 0] * t.x[:, :, 1]).sum(axis=1))


def test_series_windows_are_scaled_and_shifted_by_one():
    values = np.arange(100.0) ** 1.5
    t = sequences.series(values, window=10)
    scaled = (values - values.min()) / (values.max() - values.min())
    np.testing.assert_allclose(t.x[3, :, 0], scaled[3:13])
    assert t.y[3, 0, 0] == pytest.approx(scaled[13])
    assert t.n_train == int(90 * 0.8) and t.scale == (0.0, values.max())
    with pytest.raises(ValueError, match="same number"):
        sequences.series(np.ones(100), window=10)
    with pytest.raises(ValueError, match="at least"):
        sequences.series(np.arange(15.0), window=10)


def test_parse_column_reads_numbers_and_refuses_text():
    assert sequences.parse_column("price\n1.5\n2\n\n3e1\n").tolist() == [1.5, 2.0, 30.0]
    assert sequences.parse_column("date,close\n2020-01-01,5\n2020-01-02,6\n").tolist() == [5.0, 6.0]
    with pytest.raises(ValueError, match="not numbers"):
        sequences.parse_column("a\nb\nc\nd\n1\n")


def test_text_windows_predict_the_next_character():
    t = sequences.text(20, 50, seed=0)
    body = sequences.load_text()
    assert t.xi.shape == (50, 20) and t.yi.shape == (50, 20) and t.many_to_many
    np.testing.assert_array_equal(t.xi[:, 1:], t.yi[:, :-1])
    first = "".join(t.vocab[i] for i in t.xi[0])
    assert first in body
