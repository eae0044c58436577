"""RBM lab page: digits training, the worked example pass by pass, the recommender, URL, bad input."""
import numpy as np
import pytest

from engine.rbm import RBM
from tests.app.conftest import decode_u8, pictures


def model(at) -> RBM:
    return at.session_state["rbm_model"]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_digits_view_renders_and_trains(open_page):
    at = open_page("rbm_lab")
    m = model(at)
    assert (m.config.n_visible, m.config.n_hidden, m.config.k, m.config.persistent) == (64, 64, 1, False)
    assert set(np.unique(m.data)) == {0.0, 1.0} and m.data.shape == (1797, 64)
    assert metric(at, "Updates") == "0"
    views = pictures(at)  # drawn in the browser: pairs, filters, two curves, hidden bars, Gibbs chains
    assert {"rbm_pairs", "rbm_filters", "rbm_error", "rbm_energy", "rbm_hidden", "rbm_chain"} <= set(views)
    n = min(64, m.config.n_hidden)
    w = m.W[:, :n] / np.abs(m.W[:, :n]).max(axis=0)
    np.testing.assert_allclose(decode_u8(views["rbm_filters"]["cells"]), w.T.ravel(), atol=1 / 250)
    e0 = float(metric(at, "Reconstruction error"))
    at.button(key="rbm_step").click().run()
    assert model(at).updates == 1
    at.select_slider(key="rbm_speed").set_value("100").run()
    for _ in range(3):
        at.button(key="rbm_play").click().run()  # one frame per run in tests
        at.button(key="rbm_play").click().run()
    assert model(at).updates == 301
    assert float(metric(at, "Reconstruction error")) < 0.7 * e0
    before = model(at).W.copy()
    at.button(key="rbm_reset").click().run()
    assert model(at).updates == 0 and not np.allclose(model(at).W, before)
    assert not at.exception


@pytest.mark.parametrize("key, value, attribute, expected", [
    ("rbm_hidden", 32, "n_hidden", 32), ("rbm_k", 3, "k", 3), ("rbm_lr", 0.05, "learning_rate", 0.05),
    ("rbm_batch", 20, "batch_size", 20), ("rbm_mom", 0.9, "momentum", 0.9), ("rbm_decay", 0.001, "weight_decay", 0.001),
    ("rbm_seed", 7, "seed", 7), ("rbm_std", 0.1, "init_std", 0.1),
])
def test_number_options_reach_the_engine(open_page, key, value, attribute, expected):
    at = open_page("rbm_lab")
    at.number_input(key=key).set_value(value).run()
    assert not at.exception, at.exception
    assert getattr(model(at).config, attribute) == expected


@pytest.mark.parametrize("key, attribute", [("rbm_pcd", "persistent"), ("rbm_sv", "sample_visible")])
def test_toggles_reach_the_engine(open_page, key, attribute):
    at = open_page("rbm_lab")
    at.toggle(key=key).set_value(True).run()
    assert getattr(model(at).config, attribute) is True
    at.button(key="rbm_step").click().run()
    assert not at.exception


def test_threshold_changes_the_binarised_digits(open_page):
    at = open_page("rbm_lab")
    ones = model(at).data.mean()
    at.number_input(key="rbm_thresh").set_value(0.2).run()
    assert model(at).data.mean() > ones


def test_chosen_digit_and_chain_restart(open_page):
    at = open_page("rbm_lab")
    before = pictures(at)
    at.number_input(key="rbm_digit").set_value(42).run()
    after = pictures(at)
    assert before["rbm_hidden"]["values"] != after["rbm_hidden"]["values"]  # another digit's hidden units
    probs = np.frombuffer(after["rbm_hidden"]["values"], dtype="<f4")
    np.testing.assert_allclose(probs, model(at).hidden_probabilities(model(at).data[42])[0][:64], rtol=1e-6)
    for view in ("rbm_pairs", "rbm_filters"):  # nothing trained: the same digits and filters
        assert before[view]["cells"] == after[view]["cells"]
    chain = at.session_state["rbm_chain"].copy()
    at.button(key="rbm_chain_reset").click().run()
    assert not np.allclose(at.session_state["rbm_chain"], chain)


def test_the_worked_example_picture_writes_every_weight_apart_and_inside():
    # its twelve weights once sat at one height, where links from different units cross: they ran together
    from app.charts.rbm import example_net_image, example_net_labels
    from engine.rbm import EXAMPLE_V, EXAMPLE_W

    labels = example_net_labels(EXAMPLE_W)
    assert sorted((i, j) for i, j, *_ in labels) == [(i, j) for i in range(3) for j in range(4)]
    assert [text for *_, text, _ in labels] == [f"{w:+.1f}" for w in EXAMPLE_W.ravel()]
    image = example_net_image(EXAMPLE_V, None, EXAMPLE_W, "hidden")
    boxes = [box for *_, box in labels]
    for k, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= image.width and 0 <= a[1] and a[3] <= image.height
        for b in boxes[k + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)   # no two overlap


def test_worked_example_steps_through_the_course_numbers(open_page):
    at = open_page("rbm_lab", rbm_mode="worked")
    table = at.dataframe[0].value
    assert list(table["input"]) == ["0.03000", "-0.09000", "0.72000", "0.16000"]
    assert list(table["sigmoid"]) == ["0.5075", "0.4775", "0.6726", "0.5399"]
    assert "misprint" in table["the notes"][2] and "same" in table["the notes"][0]
    assert table["sum of v×w + bias"][0] == "0.5×0.1 + 0.3×0.3 + 0.7×(-0.3) + 0.1"
    at.button(key="rbm_next").click().run()
    assert at.session_state["rbm_pass"] == 2
    assert list(at.dataframe[0].value["sigmoid"]) == ["0.5352", "0.6158", "0.5841"]
    at.button(key="rbm_next").click().run()
    assert list(at.dataframe[0].value["sigmoid"]) == ["0.5407", "0.4607", "0.6867", "0.5289"]
    at.button(key="rbm_next").click().run()
    dW = at.dataframe[0].value.to_numpy()
    assert dW.shape == (3, 4)
    at.number_input(key="rbm_wlr").set_value(0.5).run()  # the learning rate scales the update
    np.testing.assert_allclose(at.dataframe[0].value.to_numpy(), 5 * dW)
    assert not at.exception


def test_recommender_predicts_from_your_ratings(open_page):
    at = open_page("rbm_lab", rbm_mode="movies")
    table = at.dataframe[1].value
    assert set(table["movie"]) == {"Fight Club", "The Departed", "Inception", "The Notebook", "Kill Bill", "Gladiator"}
    drama_fan = table.set_index("movie")["chance you like it"]
    assert drama_fan["The Notebook"] > drama_fan["Kill Bill"]  # likes dramas, dislikes Tarantino/action
    # flip the tastes: like the action films, dislike the dramas
    at.selectbox(key="rbm_movie_0").set_value("dislike").run()
    at.selectbox(key="rbm_movie_1").set_value("dislike").run()
    at.selectbox(key="rbm_movie_2").set_value("like").run()
    at.selectbox(key="rbm_movie_3").set_value("like").run()
    action_fan = at.dataframe[1].value.set_index("movie")["chance you like it"]
    assert action_fan["Kill Bill"] > drama_fan["Kill Bill"] and action_fan["The Notebook"] < drama_fan["The Notebook"]
    assert at.query_params["rbm_likes"].startswith("dislike,dislike,like,like")


def test_link_restores_the_setup_and_a_bad_link_falls_back(open_page):
    at = open_page("rbm_lab", rbm_hidden="100", rbm_k="5", rbm_pcd="1", rbm_lr="0.05")
    cfg = model(at).config
    assert (cfg.n_hidden, cfg.k, cfg.persistent, cfg.learning_rate) == (100, 5, True, 0.05)
    assert not at.warning
    at = open_page("rbm_lab", rbm_k="500", rbm_lr="abc", rbm_likes="like,like", rbm_mode="nope")
    text = at.warning[0].value
    for key in ("rbm_k", "rbm_lr", "rbm_likes", "rbm_mode"):
        assert key in text
    assert model(at).config.k == 1


def test_chains_from_data_pseudo_likelihood_and_a_stacked_second_rbm(open_page):
    at = open_page("rbm_lab")
    at.select_slider(key="rbm_speed").set_value("100").run()
    at.button(key="rbm_play").click().run()
    at.button(key="rbm_play").click().run()
    assert any("Pseudo-likelihood of 500 digits" in c.value for c in at.caption)
    x = model(at).data
    at.selectbox(key="rbm_chain_from").set_value("data").run()
    chain = at.session_state["rbm_chain"]
    start = x[np.random.default_rng(0).choice(len(x), len(chain), replace=False)]  # the page's seeded pick
    # a trained RBM keeps real digits: one Gibbs step later the chains still look like their start
    assert np.abs(chain - start).mean() < 0.25
    assert any("Train the first RBM" in i.value for i in at.info)
    at.button(key="rbm_dbn_train").click().run()
    dbn = at.session_state["rbm_dbn"]
    assert dbn.first is model(at) and dbn.second.config.n_visible == model(at).config.n_hidden
    assert round(dbn.second.epoch) == 5
    assert any("Top RBM: 5 epochs" in c.value for c in at.caption)
    at.button(key="rbm_dbn_train").click().run()
    assert round(at.session_state["rbm_dbn"].second.epoch) == 10
    assert not at.exception
