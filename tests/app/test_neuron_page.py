import numpy as np
import pytest

from engine.neuron import Perceptron


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def section(at, name):
    at.radio(key="section").set_value(name).run()
    assert not at.exception, at.exception
    return at


def test_mcculloch_pitts_defaults_compute_and(open_page):
    at = open_page("neuron_lab")
    assert "AND" in at.success[0].value
    table = at.dataframe[0].value
    assert table["output y"].tolist() == [0, 0, 0, 1]
    assert "vetoed" not in table   # no inhibitory input: nothing can veto, no column of blanks


def test_theta_and_inhibition_change_the_truth_table(open_page):
    at = open_page("neuron_lab")
    at.slider(key="mp_theta").set_value(1.0).run()
    assert "OR" in at.success[0].value
    at.multiselect(key="mp_inh").set_value(["x2"]).run()
    assert at.dataframe[0].value["output y"].tolist() == [0, 0, 1, 0]
    assert at.dataframe[0].value["vetoed"].tolist() == ["", "yes", "", "yes"]
    at.slider(key="mp_n").set_value(3).run()
    next(b for b in at.button if b.label == "AND (θ = 3)").click().run()  # the preset
    assert at.slider(key="mp_theta").value == 3.0
    assert at.dataframe[0].value["output y"].tolist() == [0] * 7 + [1]


def test_shrinking_the_inputs_clamps_theta(open_page):
    at = open_page("neuron_lab", mp_n="4", mp_theta="4")
    at.slider(key="mp_n").set_value(2).run()
    assert not at.exception
    assert at.slider(key="mp_theta").value == 2.0


def test_perceptron_step_trains_one_epoch(open_page):
    at = section(open_page("neuron_lab"), "Perceptron")
    assert metric(at, "Epoch") == "0"
    w0 = at.session_state["pc_model"].w.copy()
    at.button(key="pc_step").click().run()
    assert metric(at, "Epoch") == "1"
    at.button(key="pc_step").click().run()
    assert metric(at, "Epoch") == "2"
    assert not np.array_equal(w0, at.session_state["pc_model"].w)


def test_perceptron_play_then_reset(open_page):
    at = section(open_page("neuron_lab"), "Perceptron")
    at.button(key="pc_play").click().run()
    assert at.session_state["pc_playing"] is True
    assert at.button(key="pc_play").label == "Pause"
    at.button(key="pc_step").click().run()
    at.button(key="pc_reset").click().run()
    assert metric(at, "Epoch") == "0" and at.session_state["pc_playing"] is False


def test_changing_learning_rate_keeps_the_weights(open_page):
    at = section(open_page("neuron_lab"), "Perceptron")
    for _ in range(3):
        at.button(key="pc_step").click().run()
    model: Perceptron = at.session_state["pc_model"]
    w = model.w.copy()
    at.number_input(key="pc_lr").set_value(0.5).run()
    assert at.session_state["pc_model"] is model and model.config.lr == 0.5
    np.testing.assert_array_equal(model.w, w)
    at.selectbox(key="pc_gate").set_value("OR").run()
    assert at.session_state["pc_model"] is not model
    assert metric(at, "Epoch") == "0"


def test_xor_warns_that_it_cannot_converge(open_page):
    at = section(open_page("neuron_lab"), "Perceptron")
    at.selectbox(key="pc_gate").set_value("XOR").run()
    assert "not linearly separable" in at.warning[0].value
    link = at.get("page_link")[0]
    assert link.proto.page == "playground" and link.proto.query_string == "pg_data=xor&pg_layers=1"
    for _ in range(8):
        at.button(key="pc_step").click().run()
    assert int(metric(at, "Mistakes last epoch")) >= 1
    assert int(metric(at, "Wrong now")) >= 1


def test_perceptron_on_xor_cycles_as_the_note_says(open_page):
    """The note: never zero mistakes, and after a few epochs the same cycle every pass, so the
    line drawn after each epoch stops moving while the mistakes go on."""
    at = open_page("neuron_lab", section="Perceptron", pc_gate="XOR")
    for _ in range(30):
        at.button(key="pc_step").click().run()
    snap = at.session_state["pc_model"].snapshot()
    assert min(snap.errors) >= 1
    assert np.allclose(snap.weight_history[-10:], snap.weight_history[-1])
    assert np.allclose(snap.bias_history[-10:], snap.bias_history[-1])
    wrong = int(np.sum(np.asarray(snap.predictions) != np.asarray(snap.y)))
    assert int(metric(at, "Wrong now")) == wrong >= 1


def test_activation_gallery_reacts_to_controls(open_page):
    at = section(open_page("neuron_lab"), "Activations")
    table = at.dataframe[0].value
    assert table["activation"].tolist() == ["sigmoid", "tanh", "relu"]
    assert table.set_index("activation").loc["sigmoid", "largest slope"] == pytest.approx(0.25, abs=1e-3)
    assert at.slider(key="act_leaky").disabled and at.slider(key="act_elu").disabled   # nothing drawn uses them
    at.multiselect(key="act_names").set_value(["leaky_relu"]).run()
    assert not at.slider(key="act_leaky").disabled and at.slider(key="act_elu").disabled
    at.slider(key="act_leaky").set_value(0.3).run()
    assert at.dataframe[0].value["activation"].tolist() == ["leaky_relu"]
    at.multiselect(key="act_names").set_value([]).run()
    assert any("Pick at least one" in i.value for i in at.info)


def test_dying_relu_experiment(open_page):
    at = section(open_page("neuron_lab"), "Activations")
    at.slider(key="act_mean").set_value(-8.0).run()
    assert metric(at, "Neurons passing no gradient") == "100%"
    at.selectbox(key="act_probe").set_value("leaky_relu").run()
    assert metric(at, "Neurons passing no gradient") == "0%"
    at.selectbox(key="act_probe").set_value("relu").run()
    at.slider(key="act_mean").set_value(8.0).run()
    assert metric(at, "Neurons passing no gradient") == "0%"


def test_softmax_values_and_temperature(open_page):
    at = section(open_page("neuron_lab"), "Softmax")
    at.text_input(key="sm_logits").set_value("2, 1, 0.1").run()
    probs = at.dataframe[0].value["probability"].to_numpy()
    np.testing.assert_allclose(probs, [0.6590011, 0.2424330, 0.0985659], atol=1e-6)
    at.select_slider(key="sm_temp").set_value(10.0).run()
    hot = at.dataframe[0].value["probability"].to_numpy()
    assert hot.max() < 0.4


@pytest.mark.parametrize("bad", ["", "1, two, 3", "1e999", ",".join(["1"] * 20), "nan"])
def test_softmax_bad_input_gets_a_readable_error(open_page, bad):
    at = section(open_page("neuron_lab"), "Softmax")
    at.text_input(key="sm_logits").set_value(bad).run()
    assert not at.exception
    assert "Could not read the logits" in at.error[0].value


def test_url_restores_the_setup(open_page):
    at = open_page("neuron_lab", section="Perceptron", pc_gate="NAND", pc_lr="0.25", pc_seed="7")
    assert at.selectbox(key="pc_gate").value == "NAND"
    assert at.number_input(key="pc_lr").value == 0.25
    assert at.session_state["pc_model"].config.seed == 7
    assert not at.warning


def test_url_is_written_back(open_page):
    at = section(open_page("neuron_lab"), "Softmax")
    at.select_slider(key="sm_temp").set_value(2.0).run()
    assert at.query_params["section"] == "Softmax"
    assert at.query_params["sm_temp"] == "2"
    assert "mp_n" not in at.query_params  # defaults are left out of the link
    at.select_slider(key="sm_temp").set_value(1.0).run()
    assert "sm_temp" not in at.query_params


def test_malformed_url_falls_back_with_a_notice(open_page):
    at = open_page("neuron_lab", section="Bogus", mp_theta="banana", pc_lr="1e308", sm_temp="0.123",
                   act_names="relu,swish", mp_n="x" * 5000)
    warning = at.warning[0].value
    for key in ("section", "mp_theta", "pc_lr", "sm_temp", "act_names", "mp_n"):
        assert f"`{key}`" in warning
    assert at.radio(key="section").value == "McCulloch-Pitts unit"
    assert at.slider(key="mp_theta").value == 2.0


def test_perceptron_picture_shows_the_models_state():
    from app.charts.neuron import decision_plane_image
    from app.charts.theme import NEGATIVE, POSITIVE
    from engine.neuron import PerceptronConfig

    model = Perceptron(PerceptronConfig(gate="XOR", seed=3))
    model.step(5)
    snap = model.snapshot()
    size, pad, lo, hi = 420, 40, -0.5, 1.5
    img = np.asarray(decision_plane_image(snap, "XOR", size=size)).astype(int)
    to_px = lambda x1, x2: (int(pad + (x1 - lo) / (hi - lo) * size), int(pad + (hi - x2) / (hi - lo) * size))  # noqa: E731
    rgb = lambda h: np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])  # noqa: E731
    assert (snap.predictions != snap.y).any()  # XOR: something is always wrong
    for (x1, x2), target, guess in zip(snap.x, snap.y, snap.predictions):
        cx, cy = to_px(x1, x2)
        np.testing.assert_array_equal(img[cy, cx], rgb(POSITIVE if target == 1 else NEGATIVE))
        ring = img[cy, cx + size // 30 - 1]
        assert (ring[0] > 200 and ring[1] < 60) == (guess != target), (x1, x2, ring)  # red ring = wrong
    # the shaded regions are the model's own: sample points away from the line
    w, b = snap.weights, snap.bias
    for x1, x2 in np.random.default_rng(0).uniform(lo + 0.05, hi - 0.05, (200, 2)):
        score = w[0] * x1 + w[1] * x2 + b
        if abs(score) < 0.05 or min(np.hypot(x1 - snap.x[:, 0], x2 - snap.x[:, 1])) < 0.1:
            continue
        cx, cy = to_px(x1, x2)
        r, _, blue = img[cy, cx]
        assert (blue > r) == (score >= 0), (x1, x2, img[cy, cx])


def _walkthrough(at) -> dict:
    """The update table as {weight: (now, dE/dw, after)}."""
    table = next(df.value for df in at.dataframe if "weight" in df.value.columns)
    grad = next(c for c in table.columns if c.startswith("∂E/∂w"))  # "… mean over the samples …" with several
    return {r["weight"]: (r["now"], r[grad], r["after w − η ∂E/∂w"]) for _, r in table.iterrows()}


def test_backpropagation_section_works_the_classic_example_and_steps(open_page):
    at = open_page("neuron_lab", section="Backpropagation")
    assert not at.exception
    assert at.metric[0].value == "0.298371109"                       # E_total of the walk-through
    rows = _walkthrough(at)
    assert rows["w5"][1] == pytest.approx(0.082167041, abs=1e-9)
    assert rows["w5"][2] == pytest.approx(0.35891648, abs=1e-8)
    assert rows["w1"][2] == pytest.approx(0.149780716, abs=1e-9)
    forward = next(df.value for df in at.dataframe if "net" in df.value.columns)
    assert forward["out = f(net)"].tolist() == pytest.approx([0.593269992, 0.596884378, 0.75136507, 0.772928465],
                                                             abs=1e-9)
    at.button(key="bp_step").click().run()
    rows_after = _walkthrough(at)
    assert rows_after["w5"][0] == pytest.approx(0.35891648, abs=1e-8)  # the update was applied
    assert float(at.metric[0].value) < 0.298371109
    # a different loss and output are the engine's own too: nothing left of the walk-through's numbers
    at.selectbox(key="bp_loss").set_value("mse").run()
    assert at.metric[0].value == "0.596742218"                        # twice the 1/2-factor error
    assert "bp_loss" in at.query_params and at.query_params["section"] == "Backpropagation"


@pytest.mark.parametrize("field,value", [("bp_w", "0.1, 0.2"), ("bp_x", "a, b"), ("bp_b", "1e400, 0"),
                                         ("bp_t", "**x** [y](https://evil.example), 1")])
def test_backpropagation_numbers_that_cannot_be_used_say_so(open_page, field, value):
    at = open_page("neuron_lab", section="Backpropagation")
    at.text_input(key=field).set_value(value).run()
    assert not at.exception
    assert at.error and "Could not use these numbers" in at.error[0].value
    if "evil" in value:                                             # quoted in a code span, never a live link
        assert "`**x** [y](https://e\u2026`" in at.error[0].value


def test_backpropagation_presets_and_a_long_run(open_page):
    at = open_page("neuron_lab", section="Backpropagation")
    at.button(key="bp_preset_1").click().run()                      # saturated units
    assert at.text_input(key="bp_w").value == "6, 6, 6, 6, 6, 6, 6, 6"
    rows = _walkthrough(at)
    assert max(abs(g) for _, g, _ in rows.values()) < 1e-6           # the gradient all but vanishes
    assert float(at.metric[0].value) > 0.45                          # while the error is large
    at.button(key="bp_preset_0").click().run()                       # back to the published numbers
    assert at.metric[0].value == "0.298371109"
    at.button(key="bp_run").click().run()
    assert any("Updates applied: **10,000**" in c.value for c in at.caption)
    # the article: "after repeating this process 10,000 times the error plummets to 0.0000351085"
    assert float(at.metric[0].value) == pytest.approx(0.0000351085, rel=1e-3)
    assert not at.exception


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_backpropagation_xor_preset_uses_every_sample_and_learns_xor(open_page):
    at = open_page("neuron_lab", section="Backpropagation")
    at.button(key="bp_preset_2").click().run()                      # XOR with a 2-2-1 net
    assert not at.exception and not at.error
    assert at.selectbox(key="bp_size").value == "2-2-1" and at.toggle(key="bp_freeze").value is False
    # E: the mean over the four samples of ½ (t − o)², by NumPy from the textbook weights
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    t = np.array([0, 1, 1, 0], float)
    h = _sigmoid(x @ np.array([[0.5, 0.9], [0.4, 1.0]]) + np.array([-0.8, 0.1]))
    o = _sigmoid(h @ np.array([-1.2, 1.1]) - 0.3)
    assert float(at.metric[0].value) == pytest.approx(np.mean(0.5 * (t - o) ** 2), abs=1e-9)
    # the update: the mean over the samples of δ · output (w5 = h1 → o1)
    delta_o = (o - t) * o * (1 - o)
    rows = _walkthrough(at)
    assert rows["w5"][1] == pytest.approx(np.mean(delta_o * h[:, 0]), abs=1e-9)
    assert len(rows) == 6
    at.selectbox(key="bp_sample").set_value(3).run()               # the (1, 1) sample's forward pass
    forward = next(df.value for df in at.dataframe if "net" in df.value.columns)
    assert forward["out = f(net)"].tolist() == pytest.approx([*h[3], o[3]], abs=1e-9)
    at.button(key="bp_run").click().run()
    outputs = next(df.value for df in at.dataframe if "target 1" in df.value.columns)
    learnt = outputs["o1"].to_numpy()
    assert learnt[[0, 3]].max() < 0.1 and learnt[[1, 2]].min() > 0.9   # XOR, after 10,000 updates
    assert not at.exception


def test_backpropagation_other_sizes_start_from_the_pattern_and_check_counts(open_page):
    at = open_page("neuron_lab", section="Backpropagation")
    at.selectbox(key="bp_size").set_value("2-3-1").run()
    assert not at.exception and not at.error
    w = [0.10 + 0.05 * k for k in range(1, 10)]
    assert at.text_input(key="bp_w").value == ", ".join(f"{v:.2f}" for v in w)
    assert len(_walkthrough(at)) == 9
    x = np.array([0.05, 0.10])
    w1 = np.array(w[:6]).reshape(3, 2).T                            # w1 i1→h1, w2 i2→h1, w3 i1→h2, …
    h = _sigmoid(x @ w1 + 0.35)
    o = _sigmoid(h @ np.array(w[6:]) + 0.60)
    assert float(at.metric[0].value) == pytest.approx(0.5 * (0.01 - o) ** 2, abs=1e-9)
    at.text_input(key="bp_b").set_value("0.1, 0.2, 0.3, 0.4").run()  # one per unit: 3 hidden + 1 output
    assert not at.error
    at.text_input(key="bp_b").set_value("0.1, 0.2, 0.3").run()
    assert at.error and "one per unit" in at.error[0].value
    at.text_input(key="bp_b").set_value("0.35, 0.60").run()
    at.text_input(key="bp_w").set_value("0.1, 0.2").run()
    assert at.error and "Weights needs 9 numbers" in at.error[0].value
    assert at.query_params["bp_size"] == "2-3-1"


def test_backpropagation_one_computation_at_a_time_writes_out_the_chain_rule(open_page):
    at = open_page("neuron_lab", section="Backpropagation")
    at.toggle(key="bp_walk").set_value(True).run()
    walk = lambda: next(i.value for i in at.info if "**" in i.value and ("Forward" in i.value or "Backward" in i.value
                                                                         or "Update" in i.value or "error" in i.value))
    assert "Forward, h1" in walk() and "0.15×0.05 + 0.2×0.1 + 0.35" in walk() and "0.593269992" in walk()
    for _ in range(5):
        at.button(key="bp_next").click().run()
    text = walk()                                                    # after h1, h2, o1, o2 and the error
    assert "Backward, o1" in text and "0.74136507" in text and "0.186815602" in text and "0.138498562" in text
    for _ in range(8):
        at.button(key="bp_next").click().run()
    text = walk()
    assert "Update, w5 (h1→o1)" in text and "= **0.0821670406**" in text and "**0.35891648**" in text
    assert at.query_params["bp_at"] == "13" and at.query_params["bp_walk"] in ("1", "true")
    at.button(key="bp_prev").click().run()
    assert "Update, w4" in walk()
    assert not at.exception


@pytest.mark.parametrize("setup", [{"preset": 2}, {"bp_out": "softmax", "bp_loss": "cce"}])
def test_backpropagation_walk_goes_through_every_computation_of_any_setup(open_page, setup):
    at = open_page("neuron_lab", section="Backpropagation")
    if "preset" in setup:
        at.button(key=f"bp_preset_{setup['preset']}").click().run()   # XOR: four samples a step
    else:
        at.selectbox(key="bp_out").set_value(setup["bp_out"]).run()
        at.selectbox(key="bp_loss").set_value(setup["bp_loss"]).run()
    at.toggle(key="bp_walk").set_value(True).run()
    seen = []
    while not at.button(key="bp_next").disabled:
        at.button(key="bp_next").click().run()
        seen.append(next(i.value for i in at.info if i.value.startswith("**")))
        assert not at.exception
    assert seen[-1].startswith("**Update, w") and len(seen) == (12 if "preset" in setup else 16)  # steps - 1
    if "preset" in setup:
        assert "the mean over the 4 samples" in seen[-1]
    else:
        assert any("Jacobian" in s for s in seen)                       # a softmax output's δ


def test_backpropagation_network_picture_shows_the_numbers(open_page):
    from tests.app.conftest import pictures
    at = open_page("neuron_lab", section="Backpropagation")
    net = pictures(at)["bp_net"]                                     # the edit itself: tests/e2e/test_browser.py
    assert net["sizes"] == [2, 2, 2] and net["names"][1] == ["h1", "h2"] and net["editable"]
    assert net["values"] == pytest.approx([0.05, 0.10, 0.593269992, 0.596884378, 0.75136507, 0.772928465], abs=1e-7)
    at.button(key="bp_preset_2").click().run()                      # XOR: sample 1 is (0, 0)
    net = pictures(at)["bp_net"]
    assert net["sizes"] == [2, 2, 1] and net["values"][:2] == [0.0, 0.0]


def test_a_link_that_names_only_a_size_opens_with_that_sizes_numbers(open_page):
    at = open_page("neuron_lab", section="Backpropagation", bp_size="3-3-2")
    assert not at.exception and not at.error
    assert at.text_input(key="bp_x").value == "0.05, 0.10, 0.15" and len(_walkthrough(at)) == 15
