"""Autoencoder lab page: every variant renders and trains the real model, the code plane, the
decoded grid and the chosen code follow the engine, the curve and the recommender views work,
bad links are reported."""
from __future__ import annotations

import numpy as np
import pytest

from tests.app.conftest import decode_u8, metric_value, pictures

PAGE = "autoencoder_lab"


def model(at):
    return at.session_state["ae_model"]


def step(at, times: int = 1):
    for _ in range(times):
        at.button(key="ae_step").click().run()
    assert not at.exception, at.exception
    return at


def test_defaults_squeeze_digits_through_two_numbers(open_page):
    at = open_page(PAGE)
    assert not at.exception and not at.error
    m = model(at)
    assert m.config.widths() == [64, 32, 2, 32, 64] and not m.config.variational
    shown = pictures(at)
    for view in ("ae_pairs", "ae_loss", "ae_code", "ae_pca", "ae_grid", "ae_decoded"):
        assert view in shown, view
    codes = np.frombuffer(shown["ae_code"]["xy"], dtype=np.float32).reshape(-1, 2)
    np.testing.assert_allclose(codes, m.encode(m.x[m.test_rows[:600]]), rtol=1e-5, atol=1e-6)
    assert metric_value(at, "Updates") == "0"


def test_step_and_play_train(open_page):
    at = step(open_page(PAGE, ae_speed="10"))
    assert model(at).updates == 1
    at.button(key="ae_play").click().run()
    assert model(at).updates == 11 and metric_value(at, "Updates") == "11"
    at.button(key="ae_play").click().run()


def test_the_chosen_code_is_decoded_and_ringed(open_page):
    at = open_page(PAGE)
    at.number_input(key="ae_z1").set_value(0.5).run()
    at.number_input(key="ae_z2").set_value(-1.0).run()
    shown = pictures(at)
    assert shown["ae_code"]["mark"] == [0.5, -1.0]
    decoded = decode_u8(shown["ae_decoded"]["cells"], 0.0, 1.0)
    np.testing.assert_allclose(decoded, model(at).decode([[0.5, -1.0]])[0], atol=1 / 255)
    assert at.query_params["ae_z1"] == "0.5"


@pytest.mark.parametrize(("variant", "extra", "check"), [
    ("vae", {}, lambda m: m.config.variational and m.config.beta == 1.0),
    ("denoising", {"ae_code": "16", "ae_hidden": "64"}, lambda m: m.config.noise == "masking"),
    ("sparse", {"ae_code": "32", "ae_hidden": ""}, lambda m: m.config.sparsity == "kl"
     and m.config.code_activation == "sigmoid"),
    ("contractive", {}, lambda m: m.config.contractive == 0.1),
    ("stacked", {"ae_hidden": "64,32", "ae_code": "8"}, lambda m: m.config.stacked and m.stage == 0),
])
def test_each_variant_builds_its_model_and_trains(open_page, variant, extra, check):
    at = open_page(PAGE, ae_variant=variant, **extra)
    assert not at.exception and not at.error
    assert check(model(at))
    step(at, 2)
    assert model(at).updates == 2


def test_the_vae_reports_its_kl_and_draws_the_prior_box(open_page):
    at = step(open_page(PAGE, ae_variant="vae"))
    assert float(metric_value(at, "KL per sample")) > 0
    assert pictures(at)["ae_code"]["box"] == [-3.0, 3.0, -3.0, 3.0]


def test_denoising_shows_noisy_clean_and_output(open_page):
    at = open_page(PAGE, ae_variant="denoising", ae_code="16", ae_hidden="64")
    pairs = pictures(at)["ae_pairs"]
    assert pairs["group"] == 3 and "Noisy input" in pairs["title"]


def test_sparse_histogram_and_mean_activation(open_page):
    at = step(open_page(PAGE, ae_variant="sparse", ae_code="32", ae_hidden=""))
    hist = pictures(at)["ae_hist"]
    assert "target ρ = 0.05" in hist["title"]
    assert np.frombuffer(hist["values"], dtype=np.float32).sum() == pytest.approx(1.0, abs=1e-5)


def test_the_curve_view_unrolls_with_a_one_number_code(open_page):
    at = step(open_page(PAGE, ae_view="curve", ae_code="1", ae_act="tanh"))
    m = model(at)
    assert m.config.n_inputs == 3 and m.config.code == 1
    assert {"ae_curve_data", "ae_curve_code"} <= set(pictures(at))


def test_the_recommender_predicts_unseen_films(open_page):
    at = open_page(PAGE, ae_view="movies")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 6 and table["chance you like it"].between(0, 1).all()
    at.selectbox(key="ae_movie_4").set_value("like").run()
    assert len(at.dataframe[0].value) == 5


def test_a_bad_link_is_reported_and_falls_back(open_page):
    at = open_page(PAGE, ae_variant="gan", ae_code="999", ae_hidden="7,7,7")
    assert not at.exception
    text = at.warning[0].value
    assert "ae_variant" in text and "ae_code" in text and "ae_hidden" in text
    assert model(at).config.widths() == [64, 32, 2, 32, 64]
