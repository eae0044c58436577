"""SOM lab page: renders, every control reaches the engine, presets teach what they say, bad input."""
import numpy as np
import pytest

from engine.som import SOM
from tests.app.conftest import pictures


def model(at) -> SOM:
    return at.session_state["som_model"]


def metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def finish(at):
    """Run the map to the end of its schedule (the engine directly), then redraw the page."""
    model(at).step(10 ** 7)
    at.run()
    assert not at.exception, at.exception
    return at


def test_defaults_render_the_colour_map_paused_at_step_zero(open_page):
    at = open_page("som_lab")
    m = model(at)
    assert (m.config.width, m.config.height, m.config.sigma, m.config.steps) == (20, 20, 5.0, 5000)
    assert m.data.shape == (1000, 3)
    assert metric(at, "Step") == "0" and metric(at, "Radius") == "5.00"
    views = pictures(at)  # drawn in the browser: map, neighbourhood, four curves
    assert {"som_map", "som_neighbourhood", "som_sigma", "som_lr", "som_qe", "som_te"} <= set(views)
    colours = np.frombuffer(views["som_map"]["colours"], dtype=np.uint8).reshape(-1, 3)
    expected = np.clip(m.weights[:, :3], 0, 1) * 255  # unit u = column * height + row, as the engine
    assert np.abs(colours - expected).max() <= 1
    assert len(np.frombuffer(views["som_map"]["centres"], dtype="<f4")) == 2 * m.n_units
    assert len(at.get("plotly_chart")) == 2  # U-matrix, hit map (paused)
    assert len(at.dataframe[0].value) == 10
    assert not at.warning and not at.error


def test_step_play_and_reset(open_page):
    at = open_page("som_lab")
    at.button(key="som_step").click().run()
    assert model(at).t == 1 and metric(at, "Step") == "1"
    at.select_slider(key="som_speed").set_value("20").run()
    at.button(key="som_play").click().run()  # one frame per run in tests
    assert model(at).t == 21 and at.session_state["som_playing"]
    at.button(key="som_play").click().run()  # pause
    assert not at.session_state["som_playing"]
    before = model(at).weights.copy()
    at.button(key="som_reset").click().run()
    assert model(at).t == 0
    assert not np.allclose(model(at).weights, before)  # back to the seeded start, not the trained map
    at.button(key="som_step").click().run()
    assert model(at).t == 1


def test_the_last_update_is_shown_with_its_numbers(open_page):
    at = open_page("som_lab")
    at.button(key="som_step").click().run()
    snap = model(at).snapshot()
    captions = " ".join(c.value for c in at.caption)
    assert f"sample #{snap.last_sample}" in captions and f"BMU {snap.last_bmu}" in captions
    assert f"learning rate = {snap.last_learning_rate:.3f}" in captions
    view = pictures(at)["som_neighbourhood"]
    m = model(at)
    bmu = snap.last_bmu[0] * m.config.height + snap.last_bmu[1]
    assert view["bmu"] == bmu and view["sigma"] == pytest.approx(snap.last_sigma)
    np.testing.assert_allclose(np.frombuffer(view["numbers"], dtype="<f4"),
                               m.neighbourhood(snap.last_bmu, snap.last_sigma).ravel(), rtol=1e-6)


@pytest.mark.parametrize("key, value, attribute, expected", [
    ("som_neigh", "bubble", "neighbourhood", "bubble"),
    ("som_topo", "hexagonal", "topology", "hexagonal"),
    ("som_init", "pca", "init", "pca"),
    ("som_sdecay", "linear", "sigma_decay", "linear"),
    ("som_lrdecay", "exponential", "lr_decay", "exponential"),
    ("som_dist", "cosine", "distance", "cosine"),
    ("som_mode", "batch", "mode", "batch"),
])
def test_selectboxes_reach_the_engine(open_page, key, value, attribute, expected):
    at = open_page("som_lab")
    at.selectbox(key=key).set_value(value).run()
    assert not at.exception, at.exception
    assert getattr(model(at).config, attribute) == expected


def test_numbers_reach_the_engine_and_change_the_schedule(open_page):
    at = open_page("som_lab")
    at.number_input(key="som_w").set_value(7).run()
    at.number_input(key="som_h").set_value(5).run()
    at.number_input(key="som_sigma").set_value(2.5).run()
    at.number_input(key="som_lr").set_value(0.3).run()
    at.number_input(key="som_steps").set_value(800).run()
    at.number_input(key="som_seed").set_value(3).run()
    cfg = model(at).config
    assert (cfg.width, cfg.height, cfg.sigma, cfg.learning_rate, cfg.steps, cfg.seed) == (7, 5, 2.5, 0.3, 800, 3)
    assert metric(at, "Radius") == "2.50" and metric(at, "Step") == "0"
    finish(at)
    assert metric(at, "Radius") == f"{2.5 / 3:.2f}"  # asymptotic: a third at the end
    assert "Training finished" in at.success[0].value


@pytest.mark.parametrize("data, shape", [("square", (1000, 2)), ("ring", (1000, 2)), ("blobs", (1000, 2)),
                                         ("iris", (150, 4)), ("outliers", (1000, 15))])
def test_every_dataset_trains(open_page, data, shape):
    at = open_page("som_lab")
    at.selectbox(key="som_data").set_value(data).run()
    assert model(at).data.shape == shape
    at.button(key="som_step").click().run()
    assert not at.exception, at.exception
    assert model(at).t == 1


def test_new_samples_changes_the_data(open_page):
    at = open_page("som_lab")
    before = model(at).data.copy()
    at.button(key="som_regen").click().run()
    assert at.session_state["som_dseed"] == 1
    assert not np.allclose(model(at).data, before)


# ---- presets --------------------------------------------------------------------------------
def apply(at, name):
    at.button(key=f"som_preset_{name}").click().run()
    assert not at.exception, at.exception
    assert at.session_state["som_playing"]
    return at


def test_good_defaults_then_tiny_radius_leaves_dead_units(open_page):
    at = apply(open_page("som_lab"), "good")
    finish(at)
    good_te = float(metric(at, "Topo. error").rstrip("%"))
    assert good_te < 10
    at = apply(open_page("som_lab"), "tiny_sigma")
    assert model(at).config.sigma == 0.3 and st_data(at) == "ring"
    finish(at)
    assert int(metric(at, "Dead units")) >= 20


def st_data(at):
    return at.session_state["som_data"]


def test_no_decay_never_settles(open_page):
    at = apply(open_page("som_lab"), "good")
    finish(at)
    qe_good = float(metric(at, "Quant. error"))
    at = apply(open_page("som_lab"), "no_decay")
    finish(at)
    assert metric(at, "Radius") == "5.00" and metric(at, "Learning rate") == "0.500"
    assert float(metric(at, "Quant. error")) > 1.5 * qe_good


def test_fraud_preset_lists_the_planted_outliers(open_page):
    at = apply(open_page("som_lab"), "fraud")
    finish(at)
    table = at.dataframe[0].value
    assert (table["planted outlier?"] == "yes").sum() >= 7
    assert any("planted outliers are in this list" in c.value for c in at.caption)


def test_iris_preset_uses_a_hexagonal_map_and_marks_species(open_page):
    at = apply(open_page("som_lab"), "iris")
    assert model(at).config.topology == "hexagonal" and (model(at).config.width, model(at).config.height) == (8, 8)
    finish(at)
    assert set(at.dataframe[0].value["label"]) <= {"setosa", "versicolor", "virginica"}
    assert len(at.get("plotly_chart")) == 2


def test_batch_preset_organises_in_forty_passes(open_page):
    at = apply(open_page("som_lab"), "batch")
    assert model(at).config.mode == "batch"
    finish(at)
    assert model(at).t == 40
    assert float(metric(at, "Topo. error").rstrip("%")) < 10


# ---- URL and bad input ------------------------------------------------------------------------
def test_link_restores_the_setup(open_page):
    at = open_page("som_lab", som_data="iris", som_w="8", som_h="6", som_topo="hexagonal", som_sigma="2.5",
                   som_sdecay="linear", som_steps="1234")
    cfg = model(at).config
    assert (cfg.width, cfg.height, cfg.topology, cfg.sigma, cfg.sigma_decay, cfg.steps) == \
        (8, 6, "hexagonal", 2.5, "linear", 1234)
    assert model(at).data.shape == (150, 4)
    assert not at.warning
    assert at.query_params["som_w"] == "8"  # the page writes its non-default values back to the link


def test_bad_link_falls_back_with_a_notice(open_page):
    at = open_page("som_lab", som_w="9999", som_sigma="nan", som_neigh="cone", som_steps="-5")
    text = at.warning[0].value
    for key in ("som_w", "som_sigma", "som_neigh", "som_steps"):
        assert key in text
    assert model(at).config.width == 20 and model(at).config.neighbourhood == "gaussian"


def test_a_huge_batch_run_is_refused_with_a_message(open_page):
    at = open_page("som_lab", som_mode="batch", som_n="5000", som_w="40", som_h="40", som_steps="200000")
    assert not at.exception
    assert "too large" in at.error[0].value
    at.selectbox(key="som_mode").set_value("sequential").run()  # the page recovers
    assert not at.error and model(at).config.mode == "sequential"


def test_divergence_is_reported_as_a_state(open_page):
    at = open_page("som_lab", som_neigh="mexican_hat", som_lr="2", som_sdecay="constant", som_lrdecay="constant")
    at.select_slider(key="som_speed").set_value("100").run()
    at.button(key="som_play").click().run()
    assert not at.exception, at.exception
    at.run()
    assert model(at).status == "diverged"
    assert "Diverged" in at.error[0].value
    assert not at.session_state["som_playing"]


def test_where_a_gpu_is_usable_the_page_says_where_its_work_ran(open_page, monkeypatch):
    """No GPU: nothing said (the home page says the CPU computes). A usable GPU under auto: the
    best-unit search of this small map stays on the CPU, and the page says so."""
    from engine import backend

    def line(at) -> list[str]:
        return [c.value for c in at.caption if "Computed" in c.value]

    at = open_page("som_lab")
    assert line(at) == []
    monkeypatch.setattr(backend, "_ready", True)   # as if this process had found a GPU
    monkeypatch.setenv("NETPLAY_DEVICE", "auto")
    at.run()
    assert line(at) == [":material/memory: Computed on the CPU (too small to pay for the GPU): "
                        "the SOM's best-unit search."]


def test_on_the_gpu_the_page_says_which_work_ran_there():
    """NETPLAY_DEVICE=cuda in Numba's CUDA simulator (no GPU needed): the map's best-unit search
    runs on the (simulated) GPU, and the line under the map says so."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    code = textwrap.dedent("""
        from streamlit.testing.v1 import AppTest
        import threading
        from app.state import session
        # no process warm-up beside the page: the simulator runs one kernel at a time (its
        # state is global), and the page warms what it needs itself
        session._warm_thread = threading.Thread(target=lambda: None)
        at = AppTest.from_file("app/main.py", default_timeout=120)
        for key, value in {"som_w": "3", "som_h": "3", "som_data": "blobs", "som_n": "50"}.items():
            at.query_params[key] = value
        at.run()
        at.switch_page("labs/som_lab.py").run()
        assert not at.exception, at.exception
        print([c.value for c in at.caption if "Computed" in c.value])
        """)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "NETPLAY_DEVICE": "cuda", "NUMBA_ENABLE_CUDASIM": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == \
        "[\":material/memory: Computed on the GPU (CUDA): the SOM's best-unit search.\"]"
