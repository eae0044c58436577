"""Recurrent lab page: every task and view renders, Step / Play train the real model, the
pictures carry its real gradient, presets teach what they say, links and uploads are checked."""
from __future__ import annotations

import numpy as np
import pytest

from tests.app.conftest import decode_u8, metric_value, pictures

PAGE = "rnn_lab"


def model(at):
    return at.session_state["rnn_model"]


def step(at, times: int = 1):
    for _ in range(times):
        at.button(key="rnn_step").click().run()
    assert not at.exception, at.exception
    return at


def test_defaults_draw_every_picture_of_an_untrained_lstm(open_page):
    at = open_page(PAGE)
    assert not at.exception and not at.error
    shown = pictures(at)
    for view in ("rnn_unrolled", "rnn_dh_history", "rnn_dh_profile", "rnn_loss", "rnn_gradnorm", "rnn_pred",
                 "rnn_gates", "rnn_states"):
        assert view in shown, view
    assert metric_value(at, "Updates") == "0"
    m = model(at)
    assert m.config.cell == "lstm" and m.task.name == "recall" and m.task.steps == 20
    assert [b[0] for b in shown["rnn_gates"]["bands"]] == ["input", "forget", "output"]
    assert "Remember the first of 20 symbols" in " ".join(c.value for c in at.caption)
    # no update yet: no gradient to draw or number (it read "nan" and drew a flat line at 1e-30)
    assert metric_value(at, "Gradient norm") == "–"
    assert shown["rnn_dh_profile"]["empty"] == shown["rnn_dh_history"]["empty"] == "Press Play or Step to train."
    assert len(shown["rnn_dh_profile"]["x"]) == 0 and "y_first" not in shown["rnn_dh_history"]
    assert shown["rnn_unrolled"]["note"].startswith("No update yet")


def test_step_trains_once_and_the_pictures_show_its_gradient(open_page):
    at = step(open_page(PAGE))
    m = model(at)
    assert m.updates == 1 and metric_value(at, "Updates") == "1"
    shown = pictures(at)
    dh = np.frombuffer(shown["rnn_unrolled"]["dh"], dtype=np.uint8)
    assert len(dh) == 20 and dh.max() == 255   # the largest |dL/dh_t| is dark
    profile = np.frombuffer(shown["rnn_dh_profile"]["series"][0]["y"], dtype=np.float32)
    np.testing.assert_allclose(profile, m.history.dh_norms[-1], rtol=1e-6)
    assert metric_value(at, "Gradient norm") == f"{m.history.grad_norm[-1]:.3g}"
    assert "empty" not in shown["rnn_dh_profile"] and "empty" not in shown["rnn_dh_history"]
    assert shown["rnn_dh_history"]["y_first"] == shown["rnn_dh_history"]["y_last"] == "1"


def test_play_trains_at_the_chosen_speed(open_page):
    at = open_page(PAGE, rnn_speed="5")
    at.button(key="rnn_play").click().run()
    assert not at.exception
    assert model(at).updates == 5
    at.run()
    assert model(at).updates == 10
    assert metric_value(at, "Updates") == "10"
    at.button(key="rnn_play").click().run()   # pause
    assert not at.session_state["rnn_playing"]


@pytest.mark.parametrize(("cell", "bands"), [("gru", ["update", "reset"]), ("rnn", None)])
def test_the_cell_control_builds_that_cell(open_page, cell, bands):
    at = open_page(PAGE)
    at.segmented_control(key="rnn_cell").set_value(cell).run()
    assert model(at).config.cell == cell
    shown = pictures(at)
    if bands:
        assert [b[0] for b in shown["rnn_gates"]["bands"]] == bands
    else:
        assert "rnn_gates" not in shown and "rnn_states" in shown   # a plain RNN has no gates: its h is drawn
    assert at.query_params["rnn_cell"] == cell


def test_series_task_draws_truth_and_prediction_in_original_units(open_page):
    at = open_page(PAGE, rnn_task="series", rnn_window="30")
    m = model(at)
    assert m.task.steps == 30 and m.task.loss == "mse"
    pred = pictures(at)["rnn_pred"]
    truth = np.frombuffer(pred["series"][0]["y"], dtype=np.float32)
    lo, hi = m.task.scale
    assert truth.min() >= lo - 1e-3 and truth.max() <= hi + 1e-3 and truth.max() > 1.5  # not the 0-1 scale
    assert metric_value(at, "Test MAE")


def test_text_task_samples_text_and_colours_it_by_a_unit(open_page):
    at = open_page(PAGE, rnn_task="text", rnn_textT="16", rnn_hidden="8")
    step(at, 2)
    shown = pictures(at)
    sample = shown["rnn_sample"]["text"]
    assert sample.startswith("MENENIUS:\n") and len(sample) > 200
    coloured = shown["rnn_colour"]
    values = decode_u8(coloured["values"])
    assert len(values) == len(coloured["text"]) and np.ptp(values) > 0
    at.number_input(key="rnn_unit").set_value(3).run()
    assert "Unit 3" in pictures(at)["rnn_colour"]["title"]
    at.text_input(key="rnn_prompt").set_value("All:\n").run()
    assert pictures(at)["rnn_sample"]["text"].startswith("All:\n")


def test_recall_names_the_first_symbol_of_the_traced_sequence(open_page):
    at = open_page(PAGE, rnn_seq="3")
    m = model(at)
    row = m.task.n_train + 3
    first = m.task.vocab[int(m.task.yi[row, 0])]
    assert f"#3: it began with {first}" in pictures(at)["rnn_pred"]["title"]


def test_the_race_trains_three_cells_on_the_same_batches(open_page):
    at = open_page(PAGE, rnn_view="race", rnn_T="10")
    models = model(at)
    assert set(models) == {"rnn", "lstm", "gru"}
    assert pictures(at)["rnn_race_dh"]["empty"] == "Press Play to start the race."
    step(at)
    assert "empty" not in pictures(at)["rnn_race_dh"]
    assert all(m.updates == 1 for m in models.values())
    assert {"rnn_race_loss", "rnn_race_dh", "rnn_race_unrolled_lstm"} <= set(pictures(at))
    assert metric_value(at, "LSTM: test accuracy").endswith("%")


def test_the_vanishing_preset_shows_the_gradient_gone_before_it_reaches_the_start(open_page):
    at = open_page(PAGE)
    at.button(key="rnn_preset_vanish").click().run()
    assert not at.exception
    m = model(at)
    assert m.config.cell == "rnn" and m.config.recurrent_scale == 0.5 and m.task.steps == 30
    dh = m.history.dh_norms[-1]
    assert dh[0] / dh[-1] < 1e-6
    assert "W_rec small" in at.info[0].value


def test_the_exploding_preset_and_clipping(open_page):
    at = open_page(PAGE)
    at.button(key="rnn_preset_explode").click().run()
    m = model(at)
    assert m.config.clip == 0 and m.config.recurrent_scale == 3.0
    dh = m.history.dh_norms[-1]
    assert dh[0] > dh[-1]                       # grows as it flows back


def test_divergence_is_reported_not_raised(open_page):
    at = open_page(PAGE, rnn_cell="rnn", rnn_opt="sgd", rnn_lr="5", rnn_clip="0", rnn_rscale="4", rnn_task="adding",
                   rnn_speed="50")
    for _ in range(10):
        at.button(key="rnn_play").click().run() if not at.session_state.get("rnn_playing") else at.run()
        if model(at).status == "diverged":
            break
    at.button(key="rnn_play").click().run() if at.session_state.get("rnn_playing") else None
    assert not at.exception
    assert model(at).status == "diverged"
    assert any("Diverged" in e.value for e in at.error)


def test_a_bad_link_is_reported_and_falls_back(open_page):
    at = open_page(PAGE, rnn_T="99999", rnn_cell="transformer", rnn_hidden="-3")
    assert not at.exception
    text = at.warning[0].value
    assert "rnn_T" in text and "rnn_cell" in text and "rnn_hidden" in text
    m = model(at)
    assert m.task.steps == 20 and m.config.cell == "lstm" and m.config.hidden == 32


@pytest.mark.parametrize(("content", "message"), [
    (b"price\nhigh\nlow\nsteady\n1\n", "not numbers"),
    (b"1\n2\n3\n", "at least 12"),
    (bytes(range(256)) * 4, "not numbers"),
])
def test_a_bad_series_upload_gets_a_sentence(open_page, content, message):
    at = open_page(PAGE, rnn_task="series", rnn_source="upload")
    assert "Upload a CSV" in at.info[0].value
    at.file_uploader(key="rnn_file").set_value(("mine.csv", content, "text/csv")).run()
    assert not at.exception
    assert any("mine.csv" in e.value and message in e.value for e in at.error), [e.value for e in at.error]


def test_a_good_series_upload_is_what_it_learns(open_page):
    values = 10 + np.sin(np.arange(300) / 7)
    csv = "close\n" + "\n".join(f"{v:.5f}" for v in values)
    at = open_page(PAGE, rnn_task="series", rnn_source="upload", rnn_window="20")
    at.file_uploader(key="rnn_file").set_value(("prices.csv", csv.encode(), "text/csv")).run()
    assert not at.error
    m = model(at)
    assert len(m.task) == 280 and m.task.scale == pytest.approx((values.min(), values.max()), abs=1e-5)
    step(at)
    assert model(at).updates == 1


def test_the_setup_travels_in_the_link(open_page):
    at = open_page(PAGE, rnn_task="adding", rnn_T="12", rnn_cell="gru", rnn_hidden="8", rnn_layers="2",
                   rnn_trunc="5", rnn_clip="0.5", rnn_opt="rmsprop", rnn_lr="0.002")
    m = model(at)
    c = m.config
    assert (m.task.name, m.task.steps, c.cell, c.hidden, c.layers, c.truncate, c.clip, c.optimizer, c.learning_rate) == \
        ("adding", 12, "gru", 8, 2, 5, 0.5, "rmsprop", 0.002)
    at.number_input(key="rnn_hidden").set_value(12).run()
    assert at.query_params["rnn_hidden"] == "12" and model(at).config.hidden == 12
