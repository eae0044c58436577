"""Neuron & activations lab: McCulloch-Pitts, the perceptron, activations and softmax."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app import render
from app.charts import activations as act_charts
from app.charts.theme import NEGATIVE, SERIES
from app.state import live, screen, url
from app.state.network_edit import apply_network_edit
from app.state.presets import Preset
from app.state.echo import quote
from app.state.session import warm_engine
from engine import activations as act
from engine.datasets import GATES
from engine.mlp import MLP, OUTPUT_ACTIVATIONS, OUTPUT_LOSSES, MLPConfig
from engine.neuron import McCullochPitts, Perceptron, PerceptronConfig
from engine.optimizers import OptimizerConfig

SECTIONS = ("McCulloch-Pitts unit", "Perceptron", "Activations", "Softmax", "Backpropagation")
SPEEDS = {"slow": 1.0, "normal": 0.5, "fast": 0.15}  # seconds between epochs while playing
TEMPERATURES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
MAX_LOGITS = 12
INPUTS = [f"x{i}" for i in range(1, 5)]
BP_SIZES = ("2-2-2", "2-2-1", "2-3-1", "3-3-2", "1-2-1")  # inputs-hidden-outputs of the walk-through's net
BP_MAX_SAMPLES = 8
BP_MAX_NUMBERS = 3 * 3 + 3 * 3  # the most weights of any size



def _temperature(text: str) -> float:
    value = float(text) if text.replace(".", "", 1).isdigit() else None
    if value not in TEMPERATURES:
        raise ValueError(f"must be one of {', '.join(f'{t:g}' for t in TEMPERATURES)}")
    return value


def _numbers(raw: str, n: int, what: str) -> list[float]:
    """Exactly ``n`` finite numbers from a comma-separated field (a ValueError says what is wrong)."""
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if len(parts) != n:
        raise ValueError(f"{what} needs {n} numbers separated by commas, got {len(parts)}")
    values = []
    for p in parts:
        try:
            v = float(p.replace("−", "-"))
        except ValueError:
            raise ValueError(f"{what}: {quote(p, 20)} is not a number") from None
        if not np.isfinite(v) or abs(v) > 100:
            raise ValueError(f"{what}: numbers from -100 to 100, got {quote(p, 20)}")
        values.append(v)
    return values


def _samples(raw: str, width: int | None, what: str) -> list[list[float]]:
    """Samples separated by ";", each ``width`` comma-separated numbers (any width, the same for
    all, when None), at most BP_MAX_SAMPLES of them (a ValueError says what is wrong)."""
    rows = [r for r in raw.split(";") if r.strip()]
    if not 1 <= len(rows) <= BP_MAX_SAMPLES:
        raise ValueError(f"{what} needs 1 to {BP_MAX_SAMPLES} samples separated by semicolons, got {len(rows)}")
    if width is None:
        width = len([p for p in rows[0].split(",") if p.strip()])
        if not 1 <= width <= 3:
            raise ValueError(f"{what}: 1 to 3 numbers a sample, got {width}")
    return [_numbers(r, width, what) for r in rows]


def _list_field(key: str, default: str, what: str, samples: bool = False) -> url.Field:
    """A link field of comma-separated numbers (samples separated by ";" where ``samples``): a junk
    value falls back with the usual sentence; counts are checked against the network's size."""
    def parse(text: str) -> str:
        if samples:
            _samples(text, None, what)
        else:
            count = len([p for p in text.split(",") if p.strip()])
            _numbers(text, min(max(count, 1), BP_MAX_NUMBERS), what)
        return text
    return url.Field(key, default, parse)


STATE = url.PageState("neuron", [
    url.choice("section", SECTIONS[0], SECTIONS),
    url.integer("mp_n", 2, 1, 4),
    url.number("mp_theta", 2.0, 0, 4),
    url.choice_list("mp_inh", [], INPUTS),
    url.choice("pc_gate", "AND", GATES),
    url.number("pc_lr", 0.1, 0.001, 10),
    url.choice("pc_init", "random", ("random", "zeros")),
    url.integer("pc_seed", 0, 0, 10_000),
    url.choice("pc_speed", "normal", tuple(SPEEDS)),
    url.choice_list("act_names", ["sigmoid", "tanh", "relu"], act.ELEMENTWISE),
    url.number("act_range", 6.0, 1, 20),
    url.number("act_leaky", 0.01, 0, 1),
    url.number("act_elu", 1.0, 0.1, 3),
    url.flag("act_sat", True),
    url.choice("act_probe", "relu", act.ELEMENTWISE),
    url.number("act_mean", -1.0, -10, 10),
    url.number("act_spread", 1.0, 0.1, 10),
    url.integer("act_depth", 10, 1, 30),
    url.text("sm_logits", "2.0, 1.0, 0.1, -1.0"),
    url.Field("sm_temp", 1.0, lambda t: _temperature(t), lambda v: f"{v:g}"),
    # the classic walk-through's numbers, as the article gives them
    url.choice("bp_size", "2-2-2", BP_SIZES),
    _list_field("bp_x", "0.05, 0.10", "Inputs", samples=True),
    _list_field("bp_t", "0.01, 0.99", "Targets", samples=True),
    _list_field("bp_w", "0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55", "Weights"),
    _list_field("bp_b", "0.35, 0.60", "Biases"),
    url.number("bp_lr", 0.5, 0.0001, 10),
    url.choice("bp_hidden", "sigmoid", ("sigmoid", "tanh", "relu", "linear")),
    url.choice("bp_out", "sigmoid", OUTPUT_ACTIVATIONS),
    url.choice("bp_loss", "mse_half", OUTPUT_LOSSES),
    url.flag("bp_freeze", True),
    url.flag("bp_walk", False),
    url.integer("bp_at", 0, 0, 60),
])

warm_engine("core")
screen.header(":material/bolt: Neuron & activations")
STATE.show_problems(STATE.restore())
section = st.radio("Section", SECTIONS, key="section", horizontal=True, label_visibility="collapsed",
                   help="Pick a part of the lab. Each keeps its own settings.")


def mcculloch_pitts() -> None:
    st.markdown(
        "The 1943 neuron has **no weights**. Its inputs are 0 or 1; it fires when the number of "
        "active excitatory inputs reaches a threshold **θ**, unless an **inhibitory** input is on, "
        "which vetoes the output whatever else happens.")
    left, right = st.columns([1, 2], gap="large")
    with left:
        n = st.slider("Number of inputs", 1, 4, key="mp_n",
                      help="How many binary inputs the unit has.")
        st.session_state["mp_theta"] = min(st.session_state["mp_theta"], n)
        st.session_state["mp_inh"] = [i for i in st.session_state["mp_inh"] if i in INPUTS[:n]]
        theta = st.slider("Threshold θ", 0.0, float(n), step=0.5, key="mp_theta",
                          help="The unit fires when at least θ excitatory inputs are 1.")
        inhibitory = st.multiselect("Inhibitory inputs", INPUTS[:n], key="mp_inh",
                                    help="An inhibitory input that is 1 forces the output to 0.")
        b1, b2 = st.columns(2)
        b1.button("OR (θ = 1)", on_click=_set_mp, args=(n, 1.0), width="stretch",
                  help="Any single active input is enough.")
        b2.button(f"AND (θ = {n})", on_click=_set_mp, args=(n, float(n)), width="stretch",
                  help="All inputs must be active.")
    unit = McCullochPitts(n, theta, tuple(name in inhibitory for name in INPUTS[:n]))
    x, y = unit.truth_table()
    with right:
        gate = unit.matches_gate()
        if gate:
            st.success(f"With these settings the unit computes **{gate}**.")
        else:
            st.info("These settings compute no named gate: the table shows what they do compute.")
        table = pd.DataFrame(x.astype(int), columns=[f"{c}{' (inh.)' if c in inhibitory else ''}"
                                                     for c in INPUTS[:n]])
        table["excitatory sum"] = unit.excitatory_sum(x).astype(int)
        if inhibitory:   # without an inhibitory input nothing can veto: no column of blanks
            table["vetoed"] = np.where((x[:, unit.inhibitory_mask] > 0).any(axis=1), "yes", "")
        table["output y"] = y
        st.dataframe(table, hide_index=True)


def _set_mp(n: int, theta: float) -> None:
    st.session_state["mp_theta"] = theta
    st.session_state["mp_inh"] = []


def perceptron() -> None:
    st.markdown(
        "Rosenblatt's perceptron **learns** weights w and a bias b. It outputs 1 when "
        "w₁x₁ + w₂x₂ + b ≥ 0. After every sample it nudges the weights: "
        "**w ← w + η (y − ŷ) x**, **b ← b + η (y − ŷ)**. The black line is where w·x + b = 0; "
        "points ringed in red are still misclassified.")
    controls, plots = st.columns([1, 3], gap="large")
    with controls:
        gate = st.selectbox("Gate to learn", GATES, key="pc_gate",
                            help="The truth table the perceptron is trained on.")
        lr = st.number_input("Learning rate η", 0.001, 10.0, step=0.05, format="%.3f", key="pc_lr",
                             help="How far each mistake moves the weights. Changing it keeps the "
                                  "weights learned so far.")
        init = st.radio("Initial weights", ("random", "zeros"), key="pc_init", horizontal=True,
                        help="Random: uniform in [-1, 1] from the seed. Zeros: start from w = 0, b = 0.")
        seed = st.number_input("Seed", 0, 10_000, step=1, key="pc_seed",
                               help="The same seed gives the same starting weights and the same run.")
        st.select_slider("Speed", tuple(SPEEDS), key="pc_speed",
                         help="How fast epochs play while running.")
    _perceptron_model(PerceptronConfig(gate=gate, lr=float(lr), init=init, seed=int(seed)))
    if gate in ("XOR", "XNOR"):
        st.warning(
            f"**{gate} is not linearly separable.** Its two 1-corners sit diagonally opposite, so no "
            "single straight line puts them on one side and the 0-corners on the other. The "
            "perceptron never reaches zero mistakes, however long it trains: each pass's updates "
            "undo each other, and after a few epochs it goes through the same cycle of lines in "
            "every pass, so the line drawn after each epoch stops moving while mistakes go on. A "
            "hidden layer fixes this: two lines combined (e.g. OR and NAND, then AND) carve out the "
            "diagonal. That needs a multi-layer network.", icon=":material/block:")
        st.page_link("labs/playground.py", label="See a hidden layer solve XOR in the Network playground",
                     icon=":material/hub:", query_params={"pg_data": "xor", "pg_layers": "1"})

    def advance() -> bool:
        m = _perceptron_model()
        m.step(1)
        return not (m.converged or m.epoch >= m.config.max_epochs)

    with plots:
        if live.transport("pc", "pc_playing", on_step=lambda: _perceptron_model().step(1),
                          on_reset=_reset_perceptron,
                          play_help="Train one epoch per frame until it converges.",
                          step_help="Train exactly one epoch (one pass over the truth table).",
                          reset_help="Back to the initial weights."):
            m = _perceptron_model()
            if m.converged or m.epoch >= m.config.max_epochs:
                _reset_perceptron()  # Play on a finished run starts it again
                st.session_state["pc_playing"] = True
        STATE.publish()  # before the play loop: the link must be current while it runs
        live.play("pc", "pc_playing", advance,
                  lambda: _draw_perceptron(_perceptron_model(), bool(st.session_state.get("pc_playing"))),
                  SPEEDS[st.session_state["pc_speed"]])


def _perceptron_model(config: PerceptronConfig | None = None) -> Perceptron:
    """The session's perceptron; a new one when the gate, init or seed change, not the rate."""
    model: Perceptron | None = st.session_state.get("pc_model")
    if config is None:
        return model
    if model is None or replace(model.config, lr=config.lr) != config:
        model = Perceptron(config)
        st.session_state["pc_model"] = model
        st.session_state["pc_playing"] = False
    elif model.config.lr != config.lr:
        model.config = config
    return model


def _reset_perceptron() -> None:
    st.session_state["pc_model"] = Perceptron(st.session_state["pc_model"].config)
    st.session_state["pc_playing"] = False


def _draw_perceptron(model: Perceptron, live_now: bool = False) -> None:
    snap = model.snapshot()
    cols = st.columns(6)
    cols[0].metric("Epoch", snap.epoch)
    cols[1].metric("Mistakes last epoch", int(snap.errors[-1]) if len(snap.errors) else "–",
                   help="Updates made during the last pass: each corner is checked against the line as it "
                        "was at that moment, and the line moves after every mistake.")
    wrong_now = int(np.sum(np.asarray(snap.predictions) != np.asarray(snap.y)))
    cols[2].metric("Wrong now", wrong_now,
                   help="Corners on the wrong side of the line as it is now: the red-ringed ones in the picture.")
    for j, v in enumerate(snap.weights):
        cols[3 + j].metric(f"w{j + 1}", f"{v:+.3f}")
    cols[5].metric("b", f"{snap.bias:+.3f}")
    if snap.converged:
        st.success(f"Converged after {snap.epoch} epochs: every corner is on its correct side of "
                   "the line, so no further mistake can move it.", icon=":material/check_circle:")
    elif snap.gave_up:
        st.error(f"Stopped after {snap.epoch} epochs without converging.", icon=":material/block:")
    # pictures, playing or paused: a Plotly chart per frame is still drawing when the next one
    # comes, and a paused Plotly chart replaced by a picture on Play lingers greyed beside it
    left, right = st.columns(2)
    with left:
        render.show("perceptron", "pc_plane", {
            "title": f"{model.config.gate}: decision line, epoch {snap.epoch}",
            "w": [float(v) for v in snap.weights], "b": float(snap.bias),
            "points": [[float(x1), float(x2), int(t), int(g)]
                       for (x1, x2), t, g in zip(snap.x, snap.y, snap.predictions)]},
            height=480, live=live_now, alt="The truth table's corners with the perceptron's decision line.")
    with right:
        if len(snap.errors):
            render.show("lines", "pc_errors", {
                "x": render.f32(np.arange(1, len(snap.errors) + 1)), "x_label": "epoch", "title": "errors per epoch",
                "series": [{"label": "misclassified", "colour": NEGATIVE, "y": render.f32(snap.errors)}]},
                height=230, live=live_now, alt="Misclassified corners in each epoch.")
        render.show("lines", "pc_weights", {
            "x": render.f32(np.arange(len(snap.bias_history))), "x_label": "epoch (0 = initial)",
            "title": "weights and bias",
            "series": [*({"label": f"w{j + 1}", "colour": SERIES[j], "y": render.f32(snap.weight_history[:, j])}
                         for j in range(snap.weight_history.shape[1])),
                       {"label": "b", "colour": "#000000", "y": render.f32(snap.bias_history)}]},
            height=230, live=live_now, alt="The weights and bias after each epoch.")


def activations() -> None:
    st.markdown(
        "An activation decides what a neuron passes on. Learning needs its **slope** (derivative): "
        "where the slope is flat (shaded) the gradient vanishes and the neuron learns slowly or not "
        "at all.")
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    names = c1.multiselect("Activations", act.ELEMENTWISE, key="act_names",
                           help="Compare several at once; each gets its own colour in both plots.")
    span = c2.slider("x range ±", 1.0, 20.0, step=1.0, key="act_range",
                     help="Half-width of the x axis.")
    # greyed while their activation is not drawn: moving them would change nothing on the page
    leaky = c3.slider("Leaky ReLU slope", 0.0, 1.0, step=0.01, key="act_leaky", disabled="leaky_relu" not in names,
                      help="Slope for x < 0 in leaky ReLU (0 turns it back into ReLU). Pick leaky_relu to use it.")
    elu = c4.slider("ELU α", 0.1, 3.0, step=0.1, key="act_elu", disabled="elu" not in names,
                    help="ELU tends to -α for very negative x. Pick elu to use it.")
    show_sat = st.toggle("Shade saturated regions (slope below 5% of its peak)", key="act_sat")
    alphas = {"leaky_relu": leaky, "elu": elu}
    if not names:
        st.info("Pick at least one activation above.")
    else:
        x = np.linspace(-span, span, 801)
        curves = {}
        for name in names:
            y, dy = act.activate_and_derivative(name, x, alphas.get(name))
            curves[name] = {"y": y, "dy": dy,
                            "saturated": act.saturation_mask(name, x, alphas.get(name))}
        st.plotly_chart(act_charts.function_and_derivative(curves, x, show_sat),
                        width="stretch", key="act_fig")
        st.dataframe(pd.DataFrame({
            "activation": names,
            "largest slope": [float(np.max(curves[n]["dy"])) for n in names],
            "at x": [float(x[np.argmax(curves[n]["dy"])]) for n in names],
            "share of range saturated": [f"{np.mean(curves[n]['saturated']):.0%}" for n in names],
        }), hide_index=True)

    st.subheader("What a layer of these neurons feeds back")
    st.markdown(
        "2,000 neurons receive pre-activations z drawn around a **mean** with some **spread** (a big "
        "negative bias moves the mean left; large weights widen the spread). Orange bars are "
        "neurons that send (almost) no gradient back. Push ReLU's mean below zero to watch units "
        "**die**; widen the spread on sigmoid to watch it **saturate**.")
    p1, p2, p3 = st.columns(3)
    probe = p1.selectbox("Activation", act.ELEMENTWISE, key="act_probe",
                         help="The activation of the neurons in this experiment.")
    mean = p2.slider("Mean of z", -10.0, 10.0, step=0.5, key="act_mean",
                     help="Where the pre-activations are centred (think: the bias).")
    spread = p3.slider("Spread of z", 0.1, 10.0, step=0.1, key="act_spread",
                       help="Standard deviation of the pre-activations (think: weight size).")
    z = np.random.default_rng(0).normal(mean, spread, 2000)
    _, dz = act.activate_and_derivative(probe, z, alphas.get(probe))
    peak = 0.25 if probe == "sigmoid" else 1.0
    dead = float(np.mean(dz <= 1e-3 * peak))
    m1, m2 = st.columns(2)
    m1.metric("Neurons passing no gradient", f"{dead:.0%}",
              help="Derivative below 0.1% of the activation's largest slope.")
    m2.metric("Average slope f'(z)", f"{np.mean(dz):.4f}")
    st.plotly_chart(act_charts.preactivation_histogram(z, dz, probe), width="stretch",
                    key="act_hist")

    st.subheader("Slopes multiply through depth")
    st.markdown(
        "Backpropagation multiplies one slope per layer. With a sigmoid, each factor is at most "
        "0.25, so even in the best case the gradient reaching the first layer shrinks like 0.25^L: "
        "the **vanishing gradient**. ReLU's slope is exactly 1 where it is active.")
    depth = st.slider("Layers", 1, 30, key="act_depth", help="How many layers the gradient crosses.")
    shown = names or ["sigmoid"]
    peaks = {n: float(np.max(act.derivative(n, np.linspace(-span, span, 801), alphas.get(n)))) for n in shown}
    st.plotly_chart(act_charts.gradient_through_depth(peaks, depth), width="stretch",
                    key="act_depth_fig")


def softmax_section() -> None:
    st.markdown(
        "Softmax turns any list of scores (logits) into probabilities that are positive and sum "
        "to 1: **p_i = e^(z_i/T) / Σ_j e^(z_j/T)**. The temperature **T** sets how decisive it is: "
        "low T sharpens towards the largest score, high T flattens towards uniform.")
    c1, c2 = st.columns([2, 1])
    raw = c1.text_input("Logits (comma-separated numbers)", key="sm_logits", max_chars=200,
                        help=f"Up to {MAX_LOGITS} scores, e.g. 2, 1, 0.1")
    temp = c2.select_slider("Temperature T", TEMPERATURES, key="sm_temp",
                            help="Divide every logit by T before the exponential.")
    try:
        logits = _parse_logits(raw)
        probs = act.softmax(logits, temp)
    except ValueError as err:
        st.error(f"Could not read the logits: {err}. Example of a valid entry: `2, 1, 0.1`")
        return
    labels = [f"class {i + 1}" for i in range(len(logits))]
    st.plotly_chart(act_charts.softmax_bars(labels, logits, probs, temp), width="stretch",
                    key="sm_fig")
    shifted = logits / temp - np.max(logits / temp)
    st.dataframe(pd.DataFrame({
        "class": labels, "z": logits, "z / T": logits / temp,
        "e^(z/T − max)": np.exp(shifted), "probability": probs,
    }), hide_index=True)
    st.caption(f"Sum of probabilities: {probs.sum():.6f}. Subtracting the largest score before the "
               "exponential changes nothing in the result but keeps e^x from overflowing, so even "
               "logits like 1000 work.")


def _parse_logits(raw: str) -> np.ndarray:
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("enter at least one number")
    if len(parts) > MAX_LOGITS:
        raise ValueError(f"at most {MAX_LOGITS} logits, got {len(parts)}")
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError:
            raise ValueError(f"{quote(p)} is not a number") from None
    arr = np.array(values)
    if not np.all(np.isfinite(arr)) or np.max(np.abs(arr)) > 1e6:
        raise ValueError("logits must be finite numbers no larger than a million in size")
    return arr


def _bp_shape(size: str) -> tuple[int, int, int]:
    n_in, n_h, n_out = (int(v) for v in size.split("-"))
    return n_in, n_h, n_out


def _bp_names(n_in: int, n_h: int, n_out: int) -> list[tuple[str, int, int, int]]:
    """(name, layer, from, to) of every weight, numbered as the walk-through does: w1 i1→h1,
    w2 i2→h1, w3 i1→h2, …, then the hidden-to-output weights the same way."""
    names = [(0, a, j) for j in range(n_h) for a in range(n_in)] + [(1, a, j) for j in range(n_out) for a in range(n_h)]
    return [(f"w{k + 1}", layer, a, j) for k, (layer, a, j) in enumerate(names)]


def _bp_unit(layer: int, unit: int) -> str:
    return ("i", "h", "o")[layer] + str(unit + 1)


def _bp_layout(size: str, w: list[float], b: list[float]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The weights and biases as the engine lays them out, from the page's numbered lists. Biases:
    one per layer (the walk-through's b1, b2, shared by a layer's units) or one per unit."""
    n_in, n_h, n_out = _bp_shape(size)
    names = _bp_names(n_in, n_h, n_out)
    if len(w) != len(names):
        raise ValueError(f"a {size} network has {len(names)} weights (w1 … w{len(names)}), got {len(w)}")
    ws = [np.zeros((n_in, n_h)), np.zeros((n_h, n_out))]
    for (_, layer, a, j), v in zip(names, w):
        ws[layer][a, j] = v
    if len(b) == 2:
        bs = [np.full(n_h, b[0]), np.full(n_out, b[1])]
    elif len(b) == n_h + n_out:
        bs = [np.array(b[:n_h]), np.array(b[n_h:])]
    else:
        raise ValueError(f"Biases: 2 numbers (one per layer) or {n_h + n_out} (one per unit), got {len(b)}")
    return ws, bs


def _walkthrough_model(size: str, xs, ts, w, b) -> MLP:
    """The walk-through's network with the page's numbers, kept while they stay the same (Step
    moves its weights; changing any number starts again from the numbers). Every sample goes in
    each update (one full batch)."""
    ss = st.session_state
    n_in, n_h, n_out = _bp_shape(size)
    cfg = MLPConfig(n_inputs=n_in, hidden=(n_h,), activations=(ss["bp_hidden"],), n_outputs=n_out,
                    output_activation=ss["bp_out"], loss=ss["bp_loss"], freeze_biases=ss["bp_freeze"],
                    optimizer=OptimizerConfig("sgd", lr=float(ss["bp_lr"])), batch_size=len(xs), shuffle=False)
    key = (size, tuple(map(tuple, xs)), tuple(map(tuple, ts)), tuple(w), tuple(b), cfg)
    if ss.get("bp_model_key") != key:
        ws, bs = _bp_layout(size, w, b)
        model = MLP(cfg, np.array(xs), np.array(ts))
        model.set_weights(ws, bs)
        ss["bp_model"], ss["bp_model_key"] = model, key
    return ss["bp_model"]


def _fmt_list(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _size_defaults(size: str) -> dict:
    """A size's starting numbers: the walk-through's pattern (w_k = 0.10 + 0.05 k, so 2-2-2 gives
    the published weights), one sample, biases per layer."""
    n_in, n_h, n_out = _bp_shape(size)
    n_w = len(_bp_names(n_in, n_h, n_out))
    return {"bp_size": size, "bp_x": _fmt_list([0.05, 0.10, 0.15][:n_in]),
            "bp_t": _fmt_list([0.01, 0.99, 0.50][:n_out]),
            "bp_w": _fmt_list(0.10 + 0.05 * k for k in range(1, n_w + 1)), "bp_b": "0.35, 0.60"}


def _bp_size_changed() -> None:
    st.session_state.update(_size_defaults(st.session_state["bp_size"]))
    st.session_state.pop("bp_note", None)


BP_DEFAULTS = {key: field.default for key, field in STATE.fields.items()  # a preset keeps the walk's toggle
               if key.startswith("bp_") and key != "bp_walk"}
BP_PRESETS = {
    "classic": Preset("The classic example", "The published numbers: E = 0.298371109 and, after one update, "
                                             "w5 = 0.35891648 and w1 = 0.149780716.", {}),
    "saturated": Preset("Saturated units",
                        "Every net input is 16: each sigmoid sits on its flat top, so ∂out/∂net is about 1e-7. "
                        "The error is large, yet every δ and every ∂E/∂w nearly vanishes and the update barely "
                        "moves the weights: a vanishing gradient in one step.",
                        {"bp_x": "1, 1", "bp_w": "6, 6, 6, 6, 6, 6, 6, 6", "bp_b": "4, 4"}),
    "xor": Preset("XOR with 2-2-1",
                  "XOR: no single line separates its four points, so it needs the hidden layer. The textbook "
                  "start (Negnevitsky's weights; his thresholds θ are these biases' negatives), every sample in "
                  "each update, biases learning. Step a few times, then run 10,000 updates: the outputs "
                  "approach 0, 1, 1, 0.",
                  {"bp_size": "2-2-1", "bp_x": "0, 0; 0, 1; 1, 0; 1, 1", "bp_t": "0; 1; 1; 0",
                   "bp_w": "0.5, 0.4, 0.9, 1.0, -1.2, 1.1", "bp_b": "-0.8, 0.1, -0.3", "bp_freeze": False}),
}


def _bp_preset(name: str) -> None:
    st.session_state.update({**BP_DEFAULTS, **BP_PRESETS[name].settings})
    st.session_state["bp_note"] = name
    st.session_state.pop("bp_model_key", None)


def _bp_run(model: MLP, updates: int = 10_000, points: int = 100) -> None:
    """Many updates, the error recorded ``points`` times on the way (each call records one)."""
    with live.session_lock():
        for _ in range(points):
            if model.step(updates // points) == "diverged":
                break


def backprop_section() -> None:
    st.markdown(
        "The classic step-by-step example: inputs **i1, i2**, hidden units **h1, h2**, outputs **o1, o2**, "
        "weights **w1…w8** and a bias per layer. Forward: each unit's net input is the weighted sum of "
        "the layer before plus its bias, its output f(net). Backward: the chain rule, "
        "**δ = ∂E/∂out · ∂out/∂net**, then **∂E/∂w = δ · (the output feeding w)** and "
        "**w ← w − η ∂E/∂w**. Every number below is the engine's own, from the kernels that train. "
        "Other sizes: the Network box; several samples (XOR): separate them with semicolons.")
    p = st.columns(len(BP_PRESETS) + 1, vertical_alignment="center")
    for k, (name, preset) in enumerate(BP_PRESETS.items()):
        p[k].button(preset.title, key=f"bp_preset_{k}", on_click=_bp_preset, args=(name,), width="stretch",
                    help="Set every number and option of this example.")
    p[-1].selectbox("Network (inputs-hidden-outputs)", BP_SIZES, key="bp_size", on_change=_bp_size_changed,
                    help="Another size starts from the walk-through's pattern of numbers.")
    if note := BP_PRESETS.get(st.session_state.get("bp_note")):
        st.info(note.note, icon=":material/school:")
    size = st.session_state["bp_size"]
    numbers = ("bp_x", "bp_t", "bp_w", "bp_b")
    if size != BP_DEFAULTS["bp_size"] and all(st.session_state[k] == BP_DEFAULTS[k] for k in numbers):
        # a link that names only a size: that size's numbers (the size's box is drawn already)
        st.session_state.update({k: v for k, v in _size_defaults(size).items() if k in numbers})
    n_in, n_h, n_out = _bp_shape(size)
    names = _bp_names(n_in, n_h, n_out)
    c = st.columns([1, 1, 2, 1])
    raw_x = c[0].text_input(f"Inputs ({n_in} a sample)", key="bp_x", max_chars=200,
                            help="One sample, or several separated by semicolons (0, 0; 0, 1; …): each update "
                                 "then uses them all (the mean of their gradients).")
    raw_t = c[1].text_input(f"Targets ({n_out} a sample)", key="bp_t", max_chars=200,
                            help="One target per output for each sample, samples separated by semicolons.")
    pairs = [f"{n} {_bp_unit(layer, a)}→{_bp_unit(layer + 1, j)}" for n, layer, a, j in names]
    raw_w = c[2].text_input(f"Weights w1 … w{len(names)}", key="bp_w", max_chars=300, help=", ".join(pairs))
    raw_b = c[3].text_input("Biases", key="bp_b", max_chars=100,
                            help=f"Two numbers: b1 for every hidden unit, b2 for every output; or {n_h + n_out}, "
                                 "one per unit (hidden units first).")
    o = st.columns([1, 1, 1, 1.2, 1])
    o[0].number_input("Learning rate η", 0.0001, 10.0, step=0.1, format="%.4f", key="bp_lr")
    o[1].selectbox("Hidden activation", ("sigmoid", "tanh", "relu", "linear"), key="bp_hidden")
    o[2].selectbox("Output activation", OUTPUT_ACTIVATIONS, key="bp_out")
    o[3].selectbox("Loss", OUTPUT_LOSSES, key="bp_loss", help="mse_half: E = ½ Σ (target − out)², the walk-through's.")
    o[4].toggle("Freeze biases", key="bp_freeze", help="The walk-through updates the weights only.")
    st.caption("Conventions: with **mse_half** (E = ½ Σ (target − out)²) the ½ cancels the 2 of the square, "
               "so ∂E/∂out = out − target; plain **mse** doubles every gradient, as if η were doubled. "
               "**Frozen biases** keep the biases as they are (the published example updates w1…w8 only); "
               "unfrozen, they move by −η δ like a weight whose input is always 1. With several samples, E and "
               "every ∂E/∂w are the mean over them.")
    try:
        xs = _samples(raw_x, n_in, "Inputs")
        ts = _samples(raw_t, n_out, "Targets")
        if len(xs) != len(ts):
            raise ValueError(f"{len(xs)} input samples but {len(ts)} targets")
        w = _numbers(raw_w, len(names), "Weights")
        b = _numbers(raw_b, len([v for v in raw_b.split(",") if v.strip()]) or 2, "Biases")
        model = _walkthrough_model(size, xs, ts, w, b)
        trace = model.backprop_trace(np.array(xs), np.array(ts))
    except ValueError as err:
        st.error(f"Could not use these numbers: {err}.")
        return
    b1, b2, b3, b4 = st.columns([1.4, 1.4, 1.3, 1.6], vertical_alignment="center")
    if b1.button("Step: apply the update", key="bp_step", type="primary", icon=":material/skip_next:"):
        with live.session_lock():
            model.step(1)
        trace = model.backprop_trace(np.array(xs), np.array(ts))
    if b2.button("Run 10,000 updates", key="bp_run", icon=":material/fast_forward:",
                 help="Apply the update 10,000 times (the error is recorded 100 times on the way)."):
        _bp_run(model)
        trace = model.backprop_trace(np.array(xs), np.array(ts))
    shown = 0
    if len(xs) > 1:
        if st.session_state.get("bp_sample", 0) not in range(len(xs)):
            st.session_state["bp_sample"] = 0  # fewer samples than before
        url.hold(["bp_sample"])
        shown = b3.selectbox("Sample shown", range(len(xs)), key="bp_sample",
                             format_func=lambda k: f"sample {k + 1}: ({_fmt_short(xs[k])}) → ({_fmt_short(ts[k])})",
                             help="The forward and backward pass below are this sample's; the update uses them all.")
    b4.caption(f"Updates applied: **{model.steps:,}**. Changing any number above starts again from it.")
    if note := st.session_state.pop("bp_edit_note", None):
        st.toast(note[1], icon=":material/check:" if note[0] == "success" else ":material/warning:")
    pic, side = st.columns([1.1, 1], gap="large")
    with pic:
        _bp_picture(model, trace, xs, shown, n_in, n_h, n_out)
    with side:
        if st.toggle("One computation at a time", key="bp_walk",
                     help="Walk through the numbers below in order: each unit's forward pass, the error, each "
                          "δ, each weight's update, written out with the chain rule's factors."):
            _bp_walk(model, trace, xs, shown, names, n_h, n_out)
        else:
            st.caption("The network as it stands: each unit's output under it (and its colour: blue +, orange −), "
                       "links by weight (dashed: negative). Hover a link for its weight; click a link or a unit to "
                       "type a new weight or bias, which replaces the numbers above.")
    _bp_tables(model, trace, xs, shown, names, n_h, n_out)


def _bp_picture(model: MLP, trace: dict, xs: list, k: int, n_in: int, n_h: int, n_out: int) -> None:
    """The walk-through's network drawn by the browser's network renderer: weights on the links,
    each unit's output (of sample k) written under it; a click on a link or unit edits it."""
    ws, bs = model.weights()
    values = [np.asarray(xs[k], dtype=float), trace["out"][0][k], trace["out"][1][k]]
    kinds = (None, st.session_state["bp_hidden"], st.session_state["bp_out"])
    shades = [2 * v - 1 if f in ("sigmoid", "softmax") else np.clip(v, -1, 1) for v, f in zip(values, kinds)]
    render.library()  # the renderers' code (this section has no live view that mounts it)
    render.edits("bp_net", _bp_edit)
    names = [[_bp_unit(layer, j) for j in range(n)] for layer, n in enumerate((n_in, n_h, n_out))]
    render.show("network", "bp_net", {
        "sizes": [n_in, n_h, n_out], "labels": ["inputs", f"hidden ({kinds[1]})", f"outputs ({kinds[2]})"],
        "inputs": names[0], "names": names, "res": 1, "thumbs": render.u8(np.concatenate(shades)),
        "w": render.f32(np.concatenate([w.ravel() for w in ws])), "b": render.f32(np.concatenate(bs)),
        "values": [float(v) for v in np.concatenate(values)], "dead": [], "editable": True},
        height=300, live=False, alt=f"The {n_in}-{n_h}-{n_out} network with each unit's output and each weight.")


def _bp_edit(edit: object) -> None:
    """A weight or bias typed on the picture: checked against this network, applied, and written
    back into the number fields (which then start the walk-through again from them)."""
    ss = st.session_state
    model = ss.get("bp_model")
    if model is None:
        return
    n_in, n_h, n_out = _bp_shape(ss["bp_size"])
    try:
        with live.session_lock():
            apply_network_edit(model, edit, [_bp_unit(0, j) for j in range(n_in)])
    except ValueError:  # the browser's payload is not echoed: any websocket client can send one
        ss["bp_edit_note"] = ("warning", "Nothing changed: a weight or bias takes a number from -100 to 100.")
        return
    ws, bs = model.weights()
    ss["bp_w"] = ", ".join(f"{ws[layer][a, j]:.10g}" for _, layer, a, j in _bp_names(n_in, n_h, n_out))
    shared = all(np.all(b == b[0]) for b in bs)  # the walk-through's one bias per layer, if still so
    ss["bp_b"] = ", ".join(f"{v:.10g}" for v in ([b[0] for b in bs] if shared else np.concatenate(bs)))
    layer = int(edit["layer"])  # checked by apply_network_edit
    if edit["kind"] == "weight":
        what, value = (f"the weight {_bp_unit(layer, int(edit['from']))} → {_bp_unit(layer + 1, int(edit['to']))}",
                       ws[layer][int(edit["from"]), int(edit["to"])])
    else:
        what, value = f"the bias of {_bp_unit(layer, int(edit['unit']))}", bs[layer - 1][int(edit["unit"])]
    ss["bp_edit_note"] = ("success", f"Set {what} to {value:g}. The walk-through starts again from these numbers.")


def _bp_walk_steps(names: list, n_h: int, n_out: int) -> list[tuple]:
    """The walk-through's computations in order: each hidden unit's and output's forward pass, the
    error, each output's and hidden unit's delta, then each weight's gradient and update."""
    return ([("forward", 1, j) for j in range(n_h)] + [("forward", 2, j) for j in range(n_out)] + [("error",)]
            + [("delta", 2, j) for j in range(n_out)] + [("delta", 1, j) for j in range(n_h)]
            + [("weight", *name) for name in names])


def _bp_walk_text(step: tuple, model: MLP, trace: dict, xs: list, k: int) -> str:
    """One computation written out with the engine's numbers (markdown)."""
    ws, bs = model.weights()
    num = "{:.9g}".format
    out, net = trace["out"], trace["net"]
    inputs = [np.asarray(xs[k]), out[0][k]]
    many = len(xs) > 1
    if step[0] == "forward":
        _, layer, j = step
        feed = inputs[layer - 1]
        terms = " + ".join(f"{num(ws[layer - 1][a, j])}×{num(v)}" for a, v in enumerate(feed)).replace("+ -", "− ")
        unit = _bp_unit(layer, j)
        f = st.session_state["bp_hidden"] if layer == 1 else st.session_state["bp_out"]
        return (f"**Forward, {unit}.** net = Σ w·input + b = {terms} + {num(bs[layer - 1][j])} = "
                f"**{num(net[layer - 1][k, j])}**; out = {f}(net) = **{num(out[layer - 1][k, j])}**.")
    if step[0] == "error":
        t = trace["targets"][k]
        return (f"**The error.** {st.session_state['bp_loss']} of the outputs "
                f"({', '.join(num(v) for v in out[1][k])}) against the targets ({', '.join(num(v) for v in t)}), "
                f"summed over the outputs" + (f" and averaged over the {len(xs)} samples" if many else "")
                + f": E = **{num(trace['loss'])}**.")
    if step[0] == "delta":
        _, layer, j = step
        unit = _bp_unit(layer, j)
        slope = trace["dout_dnet"][layer - 1]
        if layer == 2:
            dE = trace["dE_dout"][k, j]
            why = "from the loss" + (" (mse_half: out − target)" if st.session_state["bp_loss"] == "mse_half" else "")
        else:
            dE = float(trace["delta"][1][k] @ ws[1][j])
            parts = " + ".join(f"δ_o{o + 1}·w({unit}→o{o + 1}) = {num(trace['delta'][1][k, o])}×{num(ws[1][j, o])}"
                               for o in range(ws[1].shape[1]))
            why = f"what the outputs send back: {parts}"
        delta = trace["delta"][layer - 1][k, j]
        if slope is None:  # a softmax output: its Jacobian, not one slope
            return (f"**Backward, {unit}.** ∂E/∂out = {num(dE)} ({why}); a softmax output's δ comes from its "
                    f"Jacobian: δ = **{num(delta)}**.")
        return (f"**Backward, {unit}.** δ = ∂E/∂out · ∂out/∂net = {num(dE)} × {num(slope[k, j])} = **{num(delta)}**, "
                f"where ∂E/∂out is {why}, and ∂out/∂net = f′(net).")
    _, name, layer, a, j = step
    feed = inputs[layer][a]
    delta = trace["delta"][layer][k, j]
    grad, now, after = trace["grad_weights"][layer][a, j], ws[layer][a, j], trace["new_weights"][layer][a, j]
    src, dst = _bp_unit(layer, a), _bp_unit(layer + 1, j)
    this = f"∂E/∂{name} = δ_{dst} × out_{src} = {num(delta)} × {num(feed)} = " + (
        f"{num(delta * feed)} for this sample; the mean over the {len(xs)} samples is **{num(grad)}**" if many
        else f"**{num(grad)}**")
    lr = float(st.session_state["bp_lr"])
    return (f"**Update, {name} ({src}→{dst}).** {this}. Then {name} ← {name} − η ∂E/∂{name} = {num(now)} − "
            f"{num(lr)} × {num(grad)} = **{num(after)}**.")


def _bp_walk(model: MLP, trace: dict, xs: list, k: int, names: list, n_h: int, n_out: int) -> None:
    """One computation at a time: Next shows the following one, written out with its numbers."""
    steps = _bp_walk_steps(names, n_h, n_out)
    at = min(int(st.session_state.get("bp_at", 0)), len(steps) - 1)
    w = st.columns(2, vertical_alignment="center")
    w[0].button("Previous", key="bp_prev", icon=":material/chevron_left:", width="stretch", disabled=at == 0,
                on_click=lambda: st.session_state.update(bp_at=max(0, at - 1)))
    w[1].button("Next", key="bp_next", icon=":material/chevron_right:", width="stretch", disabled=at == len(steps) - 1,
                on_click=lambda: st.session_state.update(bp_at=min(len(steps) - 1, at + 1)))
    st.progress((at + 1) / len(steps), text=f"Computation {at + 1} of {len(steps)}: forward pass, error, "
                                            "backward pass, then each weight's update")
    st.info(_bp_walk_text(steps[at], model, trace, xs, k), icon=":material/calculate:")


def _fmt_short(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _bp_tables(model: MLP, trace: dict, xs: list, k: int, names: list, n_h: int, n_out: int) -> None:
    """Forward pass, backward pass and update of sample ``k`` (the update: the mean over all samples)."""
    ws, bs = model.weights()
    fmt, short = "{:.9f}".format, "{:.4g}".format  # the sum written short: its exact value is the next column
    net, out = trace["net"], trace["out"]
    x = xs[k]

    def written(weights, inputs, bias) -> str:  # "0.15×0.05 + 0.2×0.1 + 0.35", a minus where a term is negative
        text = " + ".join(f"{short(w_)}×{short(v)}" for w_, v in zip(weights, inputs)) + f" + {short(bias)}"
        return text.replace("+ -", "− ")

    hidden = [(f"h{j + 1}", written(ws[0][:, j], x, bs[0][j]), net[0][k, j], out[0][k, j]) for j in range(n_h)]
    outputs = [(f"o{j + 1}", written(ws[1][:, j], out[0][k], bs[1][j]), net[1][k, j], out[1][k, j])
               for j in range(n_out)]
    # a hidden unit's dE/d(out): what its outputs' deltas send back along its weights
    hidden_dE_dout = trace["delta"][1][k] @ ws[1].T
    many = len(xs) > 1
    # the forward table across the page: its written-out sums are the widest numbers here, and at a
    # projector's zoom a half-width table cut them off
    st.subheader("Forward pass" + (f" (sample {k + 1})" if many else ""), divider="gray")
    st.dataframe(pd.DataFrame(hidden + outputs, columns=["unit", "net input = Σ w·x + b", "net", "out = f(net)"]),
                 hide_index=True, column_config={
                     "unit": st.column_config.TextColumn(width="small"),
                     "net input = Σ w·x + b": st.column_config.TextColumn(width="large"),
                     "net": st.column_config.NumberColumn(format="%.9f"),
                     "out = f(net)": st.column_config.NumberColumn(format="%.9f")})
    left, right = st.columns([1, 1.15], gap="large")
    with left:
        st.metric("Total error E" + (f" (mean over {len(xs)} samples)" if many else ""), f"{trace['loss']:.9f}",
                  help=f"The {st.session_state['bp_loss']} loss, summed over the outputs"
                       + (" and averaged over the samples." if many else "."))
        if many:
            targets = trace["targets"]
            st.dataframe(pd.DataFrame({
                "sample": [f"{j + 1}: ({_fmt_short(v)})" for j, v in enumerate(xs)],
                **{f"o{j + 1}": out[1][:, j] for j in range(n_out)},
                **{f"target {j + 1}": targets[:, j] for j in range(n_out)}}),
                hide_index=True, column_config={f"o{j + 1}": st.column_config.NumberColumn(format="%.6f")
                                                for j in range(n_out)})
    with right:
        st.subheader("Backward pass" + (f" (sample {k + 1})" if many else ""), divider="gray")
        slope = trace["dout_dnet"][1]
        st.dataframe(pd.DataFrame({
            "unit": [f"o{j + 1}" for j in range(n_out)] + [f"h{j + 1}" for j in range(n_h)],
            "∂E/∂out": [*trace["dE_dout"][k], *hidden_dE_dout],
            "∂out/∂net": [*(slope[k] if slope is not None else [np.nan] * n_out), *trace["dout_dnet"][0][k]],
            "δ = ∂E/∂net": [*trace["delta"][1][k], *trace["delta"][0][k]],
        }), hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.9f")
                                            for c in ("∂E/∂out", "∂out/∂net", "δ = ∂E/∂net")})
        if slope is None:
            st.caption("A softmax output's slope is a matrix (each output depends on every net input): "
                       "δ comes from its Jacobian, out_j (∂E/∂out_j − Σ_k out_k ∂E/∂out_k).")
        st.caption("A hidden unit's ∂E/∂out is the sum over the outputs of δ_o times the weight to o: "
                   "the error it is responsible for.")
    rows = []
    for name, layer, a, j in names:
        feed = x[a] if layer == 0 else out[0][k, a]
        rows.append((name, ws[layer][a, j], feed, trace["grad_weights"][layer][a, j], trace["new_weights"][layer][a, j]))
    st.subheader("The update", divider="gray")
    grad_title = "∂E/∂w = δ · that output" if not many else "∂E/∂w: mean over the samples of δ · that output"
    st.dataframe(pd.DataFrame(rows, columns=["weight", "now", "output feeding it" + (f" (sample {k + 1})" if many else ""),
                                             grad_title, "after w − η ∂E/∂w"]),
                 hide_index=True, height=35 * (len(rows) + 1) + 3, column_config={c: st.column_config.NumberColumn(format="%.9f") for c in
                                                 ("now", "output feeding it", grad_title, "after w − η ∂E/∂w",
                                                  f"output feeding it (sample {k + 1})")})
    h = model.history
    if len(h.step) >= 2:
        st.subheader("The error over the updates", divider="gray")
        st.line_chart(pd.DataFrame({"update": h.step, "total error E": h.train_loss}).set_index("update"),
                      height=260)
    units = [_bp_unit(1, j) for j in range(n_h)] + [_bp_unit(2, j) for j in range(n_out)]
    now = [*bs[0], *bs[1]]
    after = [*trace["new_biases"][0], *trace["new_biases"][1]]
    st.caption("Biases: " + ", ".join(f"{u} {fmt(v)} → {fmt(a)}" for u, v, a in zip(units, now, after))
               + (" (frozen)." if st.session_state["bp_freeze"] else "."))


{SECTIONS[0]: mcculloch_pitts, SECTIONS[1]: perceptron, SECTIONS[2]: activations,
 SECTIONS[3]: softmax_section, SECTIONS[4]: backprop_section}[section]()
STATE.publish()
