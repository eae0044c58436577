import numpy as np
import pytest

from engine.surfaces import SURFACES
from tests.app.conftest import pictures


def table(at):
    return at.dataframe[0].value.set_index("optimizer")


def to_end(at):
    """Jump the animation to the last step (the page clamps the cursor) and draw it."""
    at.session_state["op_t"] = 10_000
    at.run()
    assert not at.exception, at.exception
    return at


def warnings(at):
    return " ".join(w.value for w in at.warning)


def test_defaults_render_a_race_at_step_zero(open_page):
    at = open_page("optimizer_lab")
    assert any("Step 0 of 200" in m.value for m in at.markdown)
    t = table(at)
    assert list(t.index) == ["GD", "Momentum", "RMSprop", "Adam"]
    assert np.allclose(t["x"], -4.5) and np.allclose(t["y"], 2.0)
    # f = (x^2 + 10 y^2) / 2: the gradient at the start is (x, 10 y) = (-4.5, 20), |g| = 20.5
    assert np.allclose(t["|gradient|"], 20.5)
    assert len(at.get("plotly_chart")) >= 3  # contour, loss, step sizes
    assert not at.warning


def test_play_step_and_reset_move_the_cursor(open_page):
    at = open_page("optimizer_lab")
    at.button(key="op_step").click().run()
    assert at.session_state["op_t"] == 1
    at.select_slider(key="op_speed").set_value("5").run()
    at.button(key="op_play").click().run()  # one frame per run in tests
    assert at.session_state["op_t"] == 6 and at.session_state["op_playing"]
    race = pictures(at)["op_race"]  # drawn in the browser: the paths once, then the step
    assert race["t"] == 6 and race["steps"] == 200
    paths = np.frombuffer(race["paths"], dtype="<f4").reshape(len(race["colours"]), race["steps"] + 1, 2)
    assert np.allclose(paths[:, 0], [at.session_state["op_x0"], at.session_state["op_y0"]])
    at.button(key="op_play").click().run()
    assert not at.session_state["op_playing"] and at.session_state["op_t"] == 6
    at.button(key="op_reset").click().run()
    assert at.session_state["op_t"] == 0


def test_every_optimizer_descends_on_the_bowl_and_the_table_matches_the_engine(open_page):
    at = open_page("optimizer_lab")
    at.multiselect(key="op_racers").set_value(["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                               "adam", "adadelta", "nadam"]).run()
    t = table(to_end(at))
    assert len(t) == 9 and (t["status"] == "done").all()
    start_loss = SURFACES["bowl"].value(-4.5, 2.0)
    assert (t["loss"] < start_loss).all()
    gd = t.loc["GD"]
    assert gd["loss"] == pytest.approx(SURFACES["bowl"].value(gd["x"], gd["y"]))


def test_changing_a_learning_rate_changes_the_path(open_page):
    at = open_page("optimizer_lab")
    at.session_state["op_t"] = 5
    at.run()
    before = table(at).loc["GD", "x"]
    at.number_input(key="op_lr_gd").set_value(0.01).run()
    after = table(at).loc["GD", "x"]
    assert at.session_state["op_t"] == 5  # the cursor stays; the path is recomputed
    assert after == pytest.approx(-4.5 * (1 - 0.01) ** 5)
    assert before == pytest.approx(-4.5 * (1 - 0.15) ** 5)
    assert at.query_params["op_lr"] == "gd:0.01"


def test_a_new_surface_brings_its_own_start_and_learning_rates(open_page):
    at = open_page("optimizer_lab")
    at.selectbox(key="op_surface").set_value("rosenbrock").run()
    assert (at.session_state["op_x0"], at.session_state["op_y0"]) == (-1.5, 2.5)
    assert at.session_state["op_lr_gd"] == 0.001 and at.session_state["op_lr_adam"] == 0.02
    assert "op_start" not in at.query_params and "op_lr" not in at.query_params
    assert at.query_params["op_surface"] == "rosenbrock"
    assert not at.exception


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_races_without_error(open_page, surface):
    at = open_page("optimizer_lab")
    at.selectbox(key="op_surface").set_value(surface).run()
    to_end(at)
    assert len(table(at)) == 4


def test_learning_rate_explorer_shows_too_small_good_oscillating_and_diverging(open_page):
    at = open_page("optimizer_lab")
    at.segmented_control(key="op_mode").set_value("lr").run()
    t = table(to_end(at))
    assert list(t.index) == ["lr = 0.01", "lr = 0.1", "lr = 0.19", "lr = 0.21"]
    assert t.loc["lr = 0.21", "status"].startswith("diverged at step")
    assert t.loc["lr = 0.1", "loss"] < 1e-10 < t.loc["lr = 0.01", "loss"]
    assert not at.exception


@pytest.mark.parametrize("bad", ["abc", "0.1, -1", "", "1,2,3,4,5,6,7", "1e999"])
def test_bad_learning_rate_lists_get_a_message_not_a_traceback(open_page, bad):
    at = open_page("optimizer_lab")
    at.segmented_control(key="op_mode").set_value("lr").run()
    at.text_input(key="op_lx_lrs").set_value(bad).run()
    assert not at.exception
    assert "Learning rates:" in warnings(at)


def test_ball_on_a_curve_keeps_y_fixed(open_page):
    at = open_page("optimizer_lab")
    at.button(key="op_preset_ball").click().run()
    at.button(key="op_play").click().run()  # the preset starts playing; stop it
    t = table(to_end(at))
    assert t.loc["GD", "y"] == pytest.approx(-2.903534)
    assert t.loc["GD", "x"] == pytest.approx(2.746803, abs=1e-2)  # the local valley, as the note says
    assert at.get("plotly_chart")


def test_no_optimizer_selected_is_explained(open_page):
    at = open_page("optimizer_lab")
    at.multiselect(key="op_racers").set_value([]).run()
    assert "Pick at least one optimizer" in warnings(at)
    assert not at.exception


def test_presets_teach_what_they_say(open_page):
    at = open_page("optimizer_lab")

    def run_preset(name):
        at.button(key=f"op_preset_{name}").click().run()
        assert at.session_state["op_playing"]
        at.button(key="op_play").click().run()  # pause
        return table(to_end(at))

    t = run_preset("trap")
    np.testing.assert_allclose(t.loc["GD", ["x", "y"]].astype(float), [2.746803, 2.746803], atol=1e-3)
    np.testing.assert_allclose(t.loc["Momentum", ["x", "y"]].astype(float), [-2.903534, -2.903534], atol=1e-3)
    assert any("local minimum traps" in i.value.lower() for i in at.info)

    run_preset("ravine")
    losses = at.session_state["_op_result"][1].losses
    first_below = [int(np.argmax(row < 1e-3)) if np.any(row < 1e-3) else 10**6 for row in losses]
    assert first_below[0] < 300 and first_below[1] < first_below[0] / 3  # momentum: under a third of GD's steps

    t = run_preset("adagrad")
    assert t.loc["AdaGrad", "loss"] > 100 * max(t.loc["RMSprop", "loss"], t.loc["Adam", "loss"])

    run_preset("saddle")
    ys = at.session_state["_op_result"][1].positions[:, :, 1]
    off = [int(np.argmax(np.abs(row) > 0.5)) for row in ys]
    assert off[1] * 3 < off[0]  # Adam leaves the ridge at least three times sooner than GD

    t = run_preset("diverge")
    assert t.loc["lr = 0.21", "status"].startswith("diverged")


def test_url_round_trip(open_page):
    at = open_page("optimizer_lab", op_surface="himmelblau", op_start="1,-1", op_lr="gd:0.005,adam:0.2",
                   op_racers="gd,adam,nadam", op_steps="300", op_adam_beta1="0.8")
    # open_page switches pages after the first run: the link is read on the lab's first run
    assert not at.warning, warnings(at)
    s = at.session_state
    assert s["op_surface"] == "himmelblau" and (s["op_x0"], s["op_y0"]) == (1.0, -1.0)
    assert s["op_lr_gd"] == 0.005 and s["op_lr_adam"] == 0.2 and s["op_lr_nadam"] == 0.1
    assert s["op_racers"] == ["gd", "adam", "nadam"] and s["op_adam_beta1"] == 0.8
    assert at.query_params["op_start"] == "1,-1"
    assert sorted(at.query_params["op_lr"].split(",")) == ["adam:0.2", "gd:0.005"]


def test_malformed_url_falls_back_with_a_notice(open_page):
    at = open_page("optimizer_lab", op_surface="nope", op_start="abc", op_lr="gd:-1,zzz:1", op_steps="7")
    text = warnings(at)
    for key in ("op_surface", "op_start", "op_lr", "op_steps"):
        assert key in text
    assert at.session_state["op_surface"] == "bowl" and at.session_state["op_lr_gd"] == 0.15
    assert not at.exception


def test_network_surface_races_and_sweeps(open_page):
    at = open_page("optimizer_lab")
    at.selectbox(key="op_surface").set_value("network").run()
    assert not at.exception
    t = table(to_end(at))
    assert (t["loss"] < t["loss"].max() + 1).all() and len(t) == 4
    assert "network" in at.caption[0].value.lower() or any("network" in c.value for c in at.caption)
    at.radio(key="op_net_dir").set_value("weights").run()
    assert not at.exception
    at.segmented_control(key="op_mode").set_value("lr").run()
    assert not at.exception and len(table(to_end(at))) == 4
    at.segmented_control(key="op_mode").set_value("curve").run()
    assert "1-D view needs" in warnings(at)


def test_a_racer_that_stopped_moving_is_called_settled_not_moving(open_page):
    at = open_page("optimizer_lab", op_steps="2000")
    at.session_state["op_t"] = 1500  # GD on the default bowl has long arrived by then
    at.run()
    rows = {r["optimizer"]: r["status"] for r in at.dataframe[-1].value.to_dict("records")}
    assert rows["GD"].startswith("settled"), rows
    assert not at.exception


def test_learning_rate_explorer_plays_in_the_browser_one_panel_per_rate(open_page):
    at = open_page("optimizer_lab")
    at.segmented_control(key="op_mode").set_value("lr").run()
    at.button(key="op_play").click().run()  # one frame
    pics = pictures(at)
    panels = [pics[f"op_lr_{r}"] for r in range(4)]
    assert [p["title"] for p in panels] == ["lr = 0.01", "lr = 0.1", "lr = 0.19", "lr = 0.21"]
    for p in panels:  # each panel: its own path, sent once, and the step it stands at
        path = np.frombuffer(p["paths"], dtype="<f4").reshape(1, p["steps"] + 1, 2)
        assert np.allclose(path[0, 0], [at.session_state["op_x0"], at.session_state["op_y0"]])
        assert p["t"] == at.session_state["op_t"]
    assert panels[3]["diverged"][0] > 0 and panels[1]["diverged"][0] == -1
    loss = pics["op_lr_loss"]
    assert len(loss["series"]) == 4 and loss["upto"] == at.session_state["op_t"]
    assert not at.get("imgs"), "no server-drawn frames any more"


def test_ball_on_a_curve_plays_in_the_browser(open_page):
    at = open_page("optimizer_lab", op_mode="curve", op_surface="local_minima", op_racers="gd")
    at.button(key="op_play").click().run()
    curve = pictures(at)["op_curve"]
    xs, f = np.frombuffer(curve["x"], "<f4"), np.frombuffer(curve["series"][0]["y"], "<f4")
    assert len(xs) == len(f) == 300
    y0 = at.session_state["op_y0"]
    surface = SURFACES["local_minima"]
    assert np.allclose(f[::50], [surface.value(float(x), y0) for x in xs[::50]], rtol=1e-5, atol=1e-4)
    dots = curve["dots"][0]  # every step's position along x and its loss, revealed up to the step
    bx, by = np.frombuffer(dots["x"], "<f4"), np.frombuffer(dots["y"], "<f4")
    assert np.isclose(bx[0], at.session_state["op_x0"])
    assert np.allclose(by[:3], [surface.value(float(x), y0) for x in bx[:3]], rtol=1e-4)
    assert curve["dots_upto"] == at.session_state["op_t"] > 0
    assert not at.get("imgs")
