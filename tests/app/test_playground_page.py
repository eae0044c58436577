import numpy as np
import pytest

from engine.schedules import ScheduleConfig

from tests.app.conftest import decode_u8, pictures


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def play(at, frames: int, speed: str = "100"):
    """Press Play and let the live view draw ``frames`` frames (one per AppTest run)."""
    at.select_slider(key="pg_speed").set_value(speed).run()
    if not at.session_state["pg_playing"] if "pg_playing" in at.session_state else True:
        at.button(key="pg_play").click().run()
    for _ in range(frames - 1):
        if not at.session_state["pg_playing"]:
            break
        at.run()
    assert not at.exception, at.exception
    return at


def pause(at):
    if at.session_state["pg_playing"]:
        at.button(key="pg_play").click().run()
    assert not at.session_state["pg_playing"]
    return at


def model(at):
    return at.session_state["pg_model"]


def test_defaults_render_with_metrics_and_pictures(open_page):
    at = open_page("playground")
    assert metric(at, "Step") == "0"
    views = pictures(at)
    assert {"pg_net", "pg_out"} <= set(views)  # network graph and output heatmap, drawn in the browser
    assert model(at).config.hidden == (4, 2)
    assert {b.label for b in at.get("download_button")} == {"Network PNG", "Output PNG", "Network JSON", "Python (NumPy)",
                                                            "PyTorch", "Keras"}


def test_training_reduces_the_loss_and_learns_the_circle(open_page):
    at = play(open_page("playground"), 15)
    pause(at)
    m = model(at)
    assert m.steps >= 1000
    assert m.history.train_loss[-1] < 0.5 * m.history.train_loss[0]
    assert float(metric(at, "Test accuracy").rstrip("%")) > 90
    assert at.get("plotly_chart"), "paused view shows the interactive curves"
    assert at.dataframe[0].value["AUC"].iloc[1] > 0.95


def test_step_trains_exactly_one_update(open_page):
    at = open_page("playground")
    at.button(key="pg_step").click().run()
    assert metric(at, "Step") == "1"
    at.button(key="pg_step").click().run()
    assert metric(at, "Step") == "2"


def test_pause_change_learning_rate_resume_keeps_the_weights(open_page):
    at = pause(play(open_page("playground"), 3))
    m = model(at)
    theta, steps = m.theta.copy(), m.steps
    at.select_slider(key="pg_lr").set_value(0.003).run()
    at.selectbox(key="pg_opt").set_value("rmsprop").run()
    assert model(at) is m and m.config.optimizer.lr == 0.003 and m.config.optimizer.name == "rmsprop"
    np.testing.assert_array_equal(m.theta, theta)
    play(at, 2)
    assert model(at) is m and m.steps > steps


def test_architecture_change_builds_a_new_network(open_page):
    at = open_page("playground")
    first = model(at)
    at.number_input(key="pg_layers").set_value(3).run()
    at.number_input(key="pg_u2").set_value(7).run()
    at.selectbox(key="pg_a2").set_value("relu").run()
    assert model(at) is not first
    assert model(at).config.hidden == (4, 2, 7) and model(at).config.activations[-1] == "relu"


def test_features_and_datasets(open_page):
    at = open_page("playground")
    at.pills(key="pg_feat").set_value(["x1", "x2", "x1²", "x1·x2"]).run()
    assert model(at).config.n_inputs == 4
    at.selectbox(key="pg_data").set_value("blobs").run()
    at.slider(key="pg_classes").set_value(5).run()
    assert model(at).config.task == "multiclass" and model(at).config.n_classes == 5
    at.selectbox(key="pg_data").set_value("plane").run()
    assert model(at).config.task == "regression"
    assert any(m.label == "Test MAE" for m in at.metric)
    at.pills(key="pg_feat").set_value([]).run()
    assert not at.exception and "Select at least one input feature" in at.warning[0].value
    # Play and Step are drawn first in a run (they answer before the settings), so they are there
    # without a network too: the main column says why, Step trains nothing, Play goes back to Play
    assert any("Nothing to train yet: select at least one input feature" in i.value for i in at.info)
    steps = model(at).steps
    at.button(key="pg_step").click().run()
    at.button(key="pg_play").click().run()
    assert not at.exception and model(at).steps == steps and not at.session_state["pg_playing"]
    assert at.button(key="pg_play").label == "Play"


def test_multiclass_trains_and_shows_per_class_accuracy(open_page):
    at = open_page("playground", pg_data="blobs", pg_a0="relu", pg_a1="relu", pg_u1="8")
    pause(play(at, 10))
    assert float(metric(at, "Test accuracy").rstrip("%")) > 85
    assert "test accuracy" in at.dataframe[0].value.index


def test_zero_layers_is_a_linear_model_that_fails_xor(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_xor").click().run()
    assert at.session_state["pg_playing"]
    pause(play(at, 10))
    assert model(at).config.hidden == ()
    assert float(metric(at, "Test accuracy").rstrip("%")) < 60  # the note: "no better than guessing"
    at.number_input(key="pg_layers").set_value(1).run()
    pause(play(at, 10))
    assert float(metric(at, "Test accuracy").rstrip("%")) > 90


def test_preset_high_learning_rate_diverges_with_a_message(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_diverge").click().run()
    play(at, 10)
    assert model(at).status == "diverged"
    assert not at.session_state["pg_playing"]
    assert "Diverged" in at.error[0].value


def test_preset_deep_sigmoid_gradients_vanish_towards_the_input(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_vanish").click().run()
    pause(play(at, 3))
    norms = model(at).snapshot().layer_grad_norms
    assert norms[0] < 0.05 * norms[-1]


def test_preset_dying_relu_kills_neurons(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_dying").click().run()
    pause(play(at, 20))
    dead, total = metric(at, "Dead ReLUs").split(" of ")
    assert int(dead) >= 6 and int(total) == 16, "the note: about half die"
    assert float(metric(at, "Test accuracy").rstrip("%")) <= 60, "the note: it stalls at 50%"
    at.select_slider(key="pg_lr").set_value(0.1).run()  # the note's cure
    at.button(key="pg_reset").click().run()
    pause(play(at, 20))
    dead, _ = metric(at, "Dead ReLUs").split(" of ")
    assert int(dead) <= 3 and float(metric(at, "Test accuracy").rstrip("%")) >= 90


def test_preset_zero_init_keeps_neurons_identical(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_zero_init").click().run()
    pause(play(at, 10))
    w = model(at).weights()[0]
    assert np.allclose(w[0], w[0][:, :1]) and np.allclose(w[1], w[1][0]), "copies of each other"
    assert min(np.abs(x).max() for x in w) > 1e-4, "the weights move (the note: they move, alike)"
    assert float(metric(at, "Test accuracy").rstrip("%")) <= 75, "the note: far below 100%"


def test_preset_overfitting_test_loss_rises_above_its_best(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_overfit").click().run()
    pause(play(at, 15))
    h = model(at).history
    assert h.test_loss[-1] > 1.2 * min(h.test_loss)
    assert h.train_loss[-1] < min(h.test_loss)


def test_early_stopping_stops_and_says_so(open_page):
    # XOR with 50% noise has flipped labels: a big net memorises them and validation loss turns up
    at = open_page("playground", pg_data="xor", pg_noise="50", pg_points="300", pg_test="30",
                   pg_layers="3", pg_u0="16", pg_u1="16", pg_u2="16", pg_early="1", pg_patience="5")
    play(at, 40)
    assert model(at).status == "stopped_early"
    assert any("Stopped early" in s.value for s in at.success)


def test_preset_spiral_learns_with_feature_crosses(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_spiral").click().run()
    pause(play(at, 30))
    assert float(metric(at, "Test accuracy").rstrip("%")) > 85


GOOD_CSV = "x1,x2,label\n" + "\n".join(f"{x},{y},{int(x * y > 0)}" for x, y in
                                        np.random.default_rng(0).uniform(-3, 3, (80, 2)))


@pytest.mark.parametrize("name,content,message", [
    ("broken.csv", b"x1,x2,label\n1,2,0\n3,oops,1\n1,1,1\n2,2,0\n", "is not a number"),
    ("short.csv", b"1,2,0\n", "at least 4 data rows"),
    ("columns.csv", b"1,2\n3,4\n5,6\n7,8\n", "exactly 3"),
    ("photo.csv", bytes(range(256)) * 4, "not UTF-8"),
    ("one_class.csv", b"1,2,1\n3,4,1\n5,6,1\n7,8,1\n", "at least two"),
])
def test_bad_csv_upload_gets_a_readable_error(open_page, name, content, message):
    at = open_page("playground", pg_data="upload")
    assert "Upload a file" in at.info[0].value
    at.file_uploader(key="pg_file").set_value((name, content, "text/csv")).run()
    assert not at.exception
    assert name in at.error[0].value and message in at.error[0].value


def test_good_csv_upload_trains(open_page):
    at = open_page("playground", pg_data="upload")
    at.file_uploader(key="pg_file").set_value(("mine.csv", GOOD_CSV.encode(), "text/csv")).run()
    assert not at.error
    m = model(at)
    assert m.config.task == "binary" and len(m.x_train) + len(m.x_test) == 80
    pause(play(at, 5))
    assert model(at).steps > 0


def test_url_restores_the_setup(open_page):
    at = open_page("playground", pg_data="spiral", pg_layers="3", pg_u2="6", pg_a2="relu", pg_lr="0.01",
                   pg_feat="x1,x2,sin x1", pg_reg="L2", pg_rate="0.003", pg_batch="0")
    m = model(at)
    assert m.config.hidden == (4, 2, 6) and m.config.activations[2] == "relu"
    assert m.config.optimizer.lr == 0.01 and m.config.l2 == 0.003 and m.config.n_inputs == 3
    assert m.config.batch_size >= len(m.x_train)
    assert not at.warning


def test_url_is_written_back(open_page):
    at = open_page("playground")
    at.select_slider(key="pg_lr").set_value(0.1).run()
    at.number_input(key="pg_layers").set_value(1).run()
    assert at.query_params["pg_lr"] == "0.1" and at.query_params["pg_layers"] == "1"


def test_malformed_url_falls_back_with_a_notice(open_page):
    at = open_page("playground", pg_layers="99", pg_lr="7", pg_data="moons", pg_a0="swish", pg_feat="x3")
    text = at.warning[0].value
    for key in ("pg_layers", "pg_lr", "pg_data", "pg_a0", "pg_feat"):
        assert f"`{key}`" in text
    assert model(at).config.hidden == (4, 2)


def test_the_browser_pictures_carry_the_engines_own_state(open_page):
    at = open_page("playground")
    at.button(key="pg_step").click().run()
    m = model(at)
    views = pictures(at)
    net, out = views["pg_net"], views["pg_out"]
    assert net["sizes"] == list(m.config.sizes) and net["kind"] == "network"
    ws, bs = m.weights()
    # exact values: the hover reads them and the edit field starts from them
    np.testing.assert_array_equal(np.frombuffer(net["w"], "<f4"), np.concatenate([w.ravel() for w in ws]).astype("<f4"))
    np.testing.assert_array_equal(np.frombuffer(net["b"], "<f4"), np.concatenate(bs).astype("<f4"))
    assert net["editable"] is True
    grid = np.column_stack([g.ravel() for g in np.meshgrid(np.linspace(-6, 6, out["n"]),
                                                           np.linspace(6, -6, out["n"]))])
    expected = (m.predict(grid) * 2 - 1) * 0.85  # binary: P(class 1) as a signed colour value
    np.testing.assert_allclose(decode_u8(out["grid"]), expected, atol=1 / 250)
    train_x, _ = at.session_state["pg_xy"]
    points = decode_u8(out["sets"][0]["xy"], -6, 6).reshape(-1, 2)
    np.testing.assert_allclose(points, train_x, atol=12 / 250)
    assert len(points) == len(m.x_train)


def test_a_live_frame_is_a_few_kilobytes_of_numbers_not_an_image(open_page):
    at = play(open_page("playground"), 3)
    views = pictures(at)
    assert {"pg_net", "pg_out", "pg_loss_live", "pg_grads_live"} <= set(views)
    size = sum(len(el.proto.bytes) for el in at.get("bidi_component"))
    assert size < 16_000, size  # a server-drawn frame was ~150 KB of JPEG
    assert not at.get("image"), "nothing is rasterised on the server while playing"


def test_metric_numbers_never_run_off_their_box():
    from app.state.echo import number

    assert number(0.123456) == "0.1235"
    assert number(1.5e154) == "1.5e+154"
    assert number(float("inf")) == "∞" and number(float("nan")) == "NaN"
    assert all(len(number(v)) <= 10 for v in (3.2e300, -7.7e99, 12345.678, -0.5))


def test_a_drawn_dataset_opens_from_its_link_and_a_bad_one_says_so(open_page):
    from app.state import drawn

    link = drawn.encode([(-2.0, 1.0, 0), (2.0, -1.0, 1), (0.5, 0.5, 2)])
    at = open_page("playground", pg_data="draw", pg_pts=link)
    assert not at.exception and not at.warning
    m = model(at)
    assert m.config.task == "multiclass" and len(m.x_train) + len(m.x_test) == 3
    assert any("3 points drawn." in c.value for c in at.caption)
    bad = open_page("playground", pg_data="draw", pg_pts="**bold** [x](https://evil.example)")
    assert not bad.exception
    assert "pg_pts" in bad.warning[0].value and "](https://" not in bad.warning[0].value.split("`")[0]
    assert len(model(bad).x_train) + len(model(bad).x_test) == len(drawn.START)   # the starting points


def test_a_tensorflow_playground_link_opens_the_same_demo(open_page):
    from tests.app.test_tfplayground import SPIRAL

    at = open_page("playground")
    at.text_input(key="pg_tf_link").set_value(SPIRAL).run()
    at.button(key="pg_tf_open").click().run()
    assert not at.exception
    m = model(at)
    assert m.config.hidden == (8, 8, 5) and m.config.activations == ("tanh",) * 3
    assert m.config.n_inputs == 6 and m.config.optimizer.name == "sgd" and m.config.optimizer.lr == 0.03
    assert at.session_state["pg_data"] == "spiral" and at.query_params.get("pg_data") == "spiral"
    assert any("Opened" in s.value for s in at.success)
    # TF Playground mode: trained as it trains there
    assert at.query_params.get("pg_tfmode") == "1" or at.session_state["pg_tfmode"]
    assert m.config.output_activation == "tanh" and m.config.loss == "mse_half" and m.config.init == "tf_playground"
    assert len(m.x_train) + len(m.x_test) == 500 and not m.config.shuffle
    at.text_input(key="pg_tf_link").set_value("https://example.com/x").run()
    at.button(key="pg_tf_open").click().run()
    assert at.error and "Could not open it" in at.error[0].value and model(at).config.hidden == (8, 8, 5)


def test_play_frames_after_the_first_come_in_one_feed_message(open_page):
    from app.render import unpack
    at = open_page("playground")
    at.session_state["_live_max_frames"] = 4  # one run: the first frame writes the page, three are fed
    at.button(key="pg_play").click().run()
    assert not at.exception, at.exception
    feeds = [unpack(el.proto.bytes) for el in at.get("bidi_component")
             if el.proto.WhichOneof("data") == "bytes" and unpack(el.proto.bytes)["kind"] == "feed"]
    assert len(feeds) == 1, "one feed element, rewritten frame after frame"
    views = [f["view"] for f in feeds[0]["frames"]]
    assert "pg_out" in views and "pg_stats" in views  # the plane and the metrics go every frame
    assert len(views) == len(set(views))
    shown = pictures(at)
    step = next(i["value"] for i in shown["pg_stats"]["items"] if i["label"] == "Step")
    assert int(step) == model(at).steps > 0  # the last frame's numbers, as the engine has them
    assert "help" not in feeds[0]["frames"][views.index("pg_stats")]["items"][0]  # help went with the first frame
    assert not at.metric, "while playing, the metrics are the live row, not st.metric elements"


def test_a_rate_schedule_trains_draws_its_rate_and_rides_in_the_link(open_page):
    at = open_page("playground", pg_sched="step", pg_sched_n="100", pg_gamma="0.1", pg_warm="20", pg_opt="sgd",
                   pg_lr="0.1")
    assert not at.warning
    sc = model(at).config.schedule
    assert (sc.kind, sc.period, sc.gamma, sc.warmup) == ("step", 100, 0.1, 20)
    assert "pg_lr_live" not in pictures(at)
    at = play(at, 4)     # 100 updates a frame: warm-up 20, then 100 at 0.1, 100 at 0.01, then 0.001
    assert "pg_lr_live" in pictures(at)
    m = model(at)
    assert m.steps >= 221
    rates = np.frombuffer(pictures(at)["pg_lr_live"]["series"][0]["y"], "<f4")
    assert rates[-1] == pytest.approx(0.1 * sc.factor(m.steps - 1), rel=1e-6) and rates[-1] <= 0.001 + 1e-9
    assert rates[0] == pytest.approx(0.1 * sc.factor(m.history.step[0] - 1), rel=1e-6)
    pause(at)
    assert m.history.lr[-1] == pytest.approx(0.001) and m.learning_rate() == pytest.approx(0.1 * sc.factor(m.steps))
    assert not at.exception, at.exception
    assert {"pg_loss", "pg_lr_chart", "pg_grads"} <= {c.key for c in at.get("plotly_chart")}
    at.selectbox(key="pg_sched").set_value("cosine").run()   # kept weights, the rate where cosine stands now
    assert at.query_params["pg_sched"] == "cosine" and model(at) is m
    cosine = ScheduleConfig("cosine", period=100, gamma=0.1, warmup=20)
    assert m.learning_rate() == pytest.approx(0.1 * cosine.factor(m.steps)) and m.learning_rate() == pytest.approx(0.01)


def test_constant_rate_draws_no_rate_chart_and_bad_schedule_links_say_so(open_page):
    at = play(open_page("playground"), 2)
    assert "pg_lr_live" not in pictures(at)
    bad = open_page("playground", pg_sched="linear", pg_gamma="2", pg_sched_n="7", pg_warm="-1")
    text = bad.warning[0].value
    for key in ("pg_sched", "pg_gamma", "pg_sched_n", "pg_warm"):
        assert f"`{key}`" in text
    assert not model(bad).config.schedule.active   # the defaults: a constant rate, no warm-up


def test_mc_dropout_draws_the_mean_and_the_thinned_networks_disagreement(open_page):
    at = open_page("playground", pg_data="gaussians", pg_u0="16", pg_u1="16", pg_a0="relu", pg_a1="relu",
                   pg_drop="0.3", pg_lr="0.01", pg_mc="1")
    at.button(key="pg_step").click().run()
    m = model(at)
    views = pictures(at)
    assert views["pg_out"]["title"] == "Mean of 30 dropout passes" and views["pg_unc"]["mode"] == "magnitude"
    grid = np.column_stack([g.ravel() for g in np.meshgrid(np.linspace(-6, 6, 50), np.linspace(6, -6, 50))])
    mean, std = m.predict_mc(grid, 30, seed=m.config.seed)
    np.testing.assert_allclose(decode_u8(views["pg_unc"]["grid"], 0, 0.5), std, atol=0.5 / 250)
    np.testing.assert_allclose(decode_u8(views["pg_out"]["grid"]), (mean * 2 - 1) * 0.85, atol=1 / 250)
    m.theta[m._w_off[1]:m._b_off[1]] *= 3.0   # paused, weights changed without a step (as an edit does)
    at.run()
    std = m.predict_mc(grid, 30, seed=m.config.seed)[1]
    np.testing.assert_allclose(decode_u8(pictures(at)["pg_unc"]["grid"], 0, 0.5), std, atol=0.5 / 250)
    at.slider(key="pg_drop").set_value(0.0).run()   # no dropout: nothing to disagree; the toggle waits
    assert "pg_unc" not in pictures(at) and pictures(at)["pg_out"]["title"] == "Output"
    assert any("needs dropout" in i.value for i in at.info)
    assert at.toggle(key="pg_mc").disabled


def test_the_mc_dropout_preset_shows_the_spread_off_the_data(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_mc_dropout").click().run()
    assert at.session_state["pg_playing"] and at.session_state["pg_mc"]
    m = model(at)
    assert m.config.dropout == (0.3, 0.3) and m.config.hidden == (16, 16)
    pause(at)
    m.step(3000)
    at.run()
    assert "pg_unc" in pictures(at)
    _, std = at.session_state["pg_mc_cache"][2:]
    train_x, _ = at.session_state["pg_xy"]
    grid = np.column_stack([g.ravel() for g in np.meshgrid(np.linspace(-6, 6, 50), np.linspace(6, -6, 50))])
    dist = np.min(np.linalg.norm(grid[:, None] - train_x[None], axis=2), axis=1)
    assert std[dist > 2].mean() > 3 * std[dist < 0.5].mean()   # what the preset's note says


def test_tf_playground_mode_steps_an_epoch_and_shows_its_loss_and_plane(open_page):
    at = open_page("playground", pg_tfmode="1", pg_batch="10", pg_lr="0.03", pg_opt="adam", pg_init="he_normal")
    m = model(at)
    assert m.config.task == "custom" and m.config.optimizer.name == "sgd" and m.config.init == "tf_playground"
    assert at.toggle(key="pg_tfmode").value and at.selectbox(key="pg_opt").disabled
    assert set(np.unique(m.y_train)) == {-1.0, 1.0}                     # its labels
    at.button(key="pg_step").click().run()
    assert m.steps == len(m.x_train) // 10 and metric(at, "Epoch") == "1.0"   # Step: one epoch
    out = m.predict(m.x_test)[:, 0]
    assert float(metric(at, "Test loss")) == pytest.approx(np.mean(0.5 * (out - m.y_test[:, 0]) ** 2), abs=1e-4)
    acc = np.mean((out > 0) == (m.y_test[:, 0] > 0))
    assert metric(at, "Test accuracy") == f"{acc:.1%}"
    grid = np.column_stack([g.ravel() for g in np.meshgrid(np.linspace(-6, 6, 50), np.linspace(6, -6, 50))])
    np.testing.assert_allclose(decode_u8(pictures(at)["pg_out"]["grid"]), m.predict(grid)[:, 0] * 0.85,
                               atol=1 / 250)                            # the plane: the tanh output itself
    blobs = open_page("playground", pg_tfmode="1", pg_data="blobs")   # three classes: as usual, and said
    assert model(blobs).config.task == "multiclass"
    assert any("covers two classes and regression" in i.value for i in blobs.info)


def test_the_warped_plane_draws_the_points_and_grid_where_two_hidden_neurons_put_them(open_page):
    at = open_page("playground", pg_warp="1", pg_layers="2", pg_u0="5", pg_u1="3", pg_warp_l="1", pg_warp_i="2",
                   pg_warp_j="4")
    at.button(key="pg_step").click().run()
    m = model(at)
    view = pictures(at)["pg_warp_plot"]
    train_x, _ = at.session_state["pg_xy"]
    hidden = m.layer_outputs(m.all_units(train_x))[1]
    np.testing.assert_array_equal(np.frombuffer(view["xy"], "<f4").reshape(-1, 2), hidden[:, [1, 3]].astype("<f4"))
    lines = np.frombuffer(view["lines"], "<f4").reshape(-1, view["line_len"], 2)
    assert lines.shape == (26, 61, 2)
    corner = m.layer_outputs(m.all_units(np.array([[-6.0, -6.0]])))[1][0, [1, 3]]   # the first line starts at (-6, -6)
    np.testing.assert_allclose(lines[0, 0], corner, rtol=1e-6)
    assert view["title"] == "Layer 1: neuron 2 across, neuron 4 up"
    # a link that names a layer or neuron this network lacks: the nearest that exists, and said
    at = open_page("playground", pg_warp="1", pg_layers="1", pg_u0="3", pg_warp_l="4", pg_warp_i="9")
    assert pictures(at)["pg_warp_plot"]["title"] == "Layer 1: neuron 3 across, neuron 2 up"
    assert any("not in this network" in c.value for c in at.caption)
    lone = open_page("playground", pg_warp="1", pg_layers="1", pg_u0="1")
    assert "pg_warp_plot" not in pictures(lone) and any("2 or more neurons" in i.value for i in lone.info)


def test_five_initializations_train_side_by_side_on_the_same_steps(open_page):
    at = open_page("playground", pg_view="inits", pg_layers="2", pg_u0="8", pg_u1="8", pg_opt="sgd", pg_lr="0.1")
    at.button(key="pg_step").click().run()
    assert not at.exception
    _, nets = at.session_state["pg_cmp"]
    assert [(n.config.init, n.config.init_scale) for n in nets] == [
        ("zeros", 0.05), ("normal", 0.01), ("normal", 4.0), ("xavier_uniform", 0.05), ("he_normal", 0.05)]
    assert all(n.steps == 1 for n in nets) and model(at).steps == 0     # the one-network view's model rests
    views = pictures(at)
    assert {f"pg_cmp_{k}" for k in ("zeros", "small", "large", "xavier", "he")} <= set(views)
    ws = nets[2].weights()[0]
    assert 2.5 < np.std(np.concatenate([w.ravel() for w in ws])) < 6       # too large: sigma 4
    at = play(at, 3, speed="100")
    pause(at)
    assert all(n.steps == nets[0].steps >= 201 for n in nets)            # the same steps for all five
    for n in nets:
        n.step(1500)
    at.run()
    zeros, small, large, xavier, he = nets
    assert all(np.all(w == 0) for w in zeros.weights()[0])              # tanh(0) = 0: no weight ever moves
    assert zeros.history.test_loss[-1] > 0.68                            # only the output's bias: the base rate
    assert xavier.history.test_loss[-1] < 0.1 and he.history.test_loss[-1] < 0.1
    assert large.history.test_loss[-1] > 3 * xavier.history.test_loss[-1]
    at.select_slider(key="pg_lr").set_value(0.01).run()                  # a setting: all five follow, weights kept
    assert at.session_state["pg_cmp"][1] is nets and all(n.config.optimizer.lr == 0.01 for n in nets)
    at.button(key="pg_reset").click().run()
    assert at.session_state["pg_cmp"][1] is not nets and all(n.steps == 0 for n in at.session_state["pg_cmp"][1])


def test_the_initializations_preset_opens_the_comparison_playing(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_inits").click().run()
    assert at.session_state["pg_view"] == "inits" and at.session_state["pg_playing"]
    assert "pg_cmp_loss" in pictures(play(at, 3)) or "pg_cmp_xavier" in pictures(at)


def test_residual_connections_rescue_the_deep_sigmoid_preset(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_residual").click().run()
    pause(at)
    plain = model(at)
    plain.step(1500)   # the training itself, without 15 redraws of an eight-layer page (the frames are tested elsewhere)
    at.run()
    assert not plain.config.residual and plain.history.test_loss[-1] > 0.6   # stuck near ln 2: the note's 50%
    at.toggle(key="pg_res").set_value(True).run()                        # a new network, with skips
    m = model(at)
    assert m is not plain and m.config.residual and m.config.skips == (0,) + (1,) * 7 + (0,)
    assert at.query_params["pg_res"] == "1"
    m.step(1500)
    at.run()
    assert m.history.test_loss[-1] < 0.2 and float(metric(at, "Test accuracy").rstrip("%")) > 90


def test_batch_normalisation_rescues_the_deep_sigmoid_preset(open_page):
    at = open_page("playground")
    at.button(key="pg_preset_batchnorm").click().run()
    pause(at)
    plain = model(at)
    plain.step(1000)
    at.run()
    assert plain.config.batch_norm == "off" and plain.history.test_loss[-1] > 0.6   # stuck near ln 2
    grads = plain.history.layer_grad_norms[-1]
    assert grads[0] < 0.01 * grads[-1]                                    # the first layers' bars: vanishing
    at.session_state["pg_bn"] = "before"                                  # the segmented control, as a click sets it
    at.run()
    m = model(at)
    assert m is not plain and m.config.batch_norm == "before" and len(m.batch_norm_state()) == 8
    assert at.query_params["pg_bn"] == "before"
    m.step(1000)
    at.run()
    assert m.history.test_loss[-1] < 0.25 and float(metric(at, "Test accuracy").rstrip("%")) > 90
    grads = m.history.layer_grad_norms[-1]
    assert grads[0] > 0.1 * grads[-1]                                     # the first layers learn as fast as the last
    assert not at.exception


def test_batch_normalisation_with_batches_of_one_says_why_and_recovers(open_page):
    at = open_page("playground", pg_bn="after", pg_batch="1")
    assert not at.exception
    assert any("at least 2 samples" in e.value for e in at.error)
    at.select_slider(key="pg_batch").set_value("10").run()
    assert not at.error and model(at).config.batch_norm == "after" and model(at).config.batch_size == 10
    at.button(key="pg_step").click().run()
    assert model(at).steps > 0 and not at.exception


def test_a_point_drawn_keeps_the_network_and_its_batch_normalisation(open_page):
    from app.state import drawn

    pts = [(x, y, int(x * y > 0)) for x in (-3.0, -1.0, 1.0, 3.0) for y in (-2.0, 2.0, 4.0)]
    at = open_page("playground", pg_data="draw", pg_pts=drawn.encode(pts), pg_bn="before", pg_test="20")
    m = model(at)
    m.step(200)
    before = m.batch_norm_state()
    at.session_state["pg_pts"] = drawn.encode(pts + [(0.5, 0.5, 1)])   # as a click on the plane adds one
    at.run()
    grown = model(at)
    assert grown is not m and len(grown.x_train) + len(grown.x_test) == len(pts) + 1
    for a, b in zip(grown.weights()[0], m.weights()[0]):
        np.testing.assert_array_equal(a, b)
    for got, had in zip(grown.batch_norm_state(), before):
        for key in had:
            np.testing.assert_array_equal(got[key], had[key])
    assert not np.allclose(before[0]["running_var"], 1.0)   # trained statistics, not fresh ones
