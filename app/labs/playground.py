"""Network playground: TensorFlow-Playground parity, trained live by the fused Numba MLP."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import playground as charts
from app import render
from app.state import drawn, echo, live, presets, screen, tfplayground, url
from app.state.network_edit import EDIT_LIMIT, apply_network_edit
from app.state.echo import quote
from app.state.presets import Preset
from app.state.session import warm_engine
from engine import export, metrics
from engine.activations import ELEMENTWISE
from engine.datasets import DATASETS_2D, Dataset, load_csv, make_2d, train_test_split
from engine.features import FEATURE_NAMES, make_features
from engine.initializers import INITIALIZERS
from engine.mlp import BATCH_NORM, MAX_LAYERS, MAX_UNITS, MLP, MLPConfig, tf_playground_config
from engine.optimizers import OPTIMIZERS, OptimizerConfig
from engine.schedules import SCHEDULES, ScheduleConfig

DATASET_CHOICES = DATASETS_2D + ("draw", "upload")
DATASET_LABELS = {"circle": "Circle", "xor": "XOR", "gaussians": "Two Gaussians", "spiral": "Spiral",
                  "blobs": "Blobs (3+ classes)", "plane": "Regression: plane",
                  "multi_gaussian": "Regression: bumps", "draw": "Draw your own points",
                  "upload": "Upload a CSV"}
DATASET_SHORT = {"gaussians": "Gaussians", "blobs": "Blobs", "plane": "Plane", "multi_gaussian": "Bumps",
                 "draw": "Draw", "upload": "CSV file"}  # under the thumbnails
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100, 0)  # 0 = full batch
SPEEDS = (1, 2, 5, 10, 20, 50, 100)           # steps per frame
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)  # auto: as many as fit in a frame's time budget
CLIPS = (0.0, 0.1, 1.0, 5.0)
SCHEDULE_LABELS = {"constant": "constant", "step": "step decay", "exponential": "exponential decay",
                   "cosine": "cosine decay"}
PERIODS = ("10", "20", "50", "100", "200", "500", "1000", "2000", "5000", "10000")  # updates
GAMMAS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9)
WARMUPS = ("0", "10", "20", "50", "100", "200", "500", "1000")
GRID = 50                                      # output heatmap resolution
THUMB_STRIDE = 3                               # thumbnails use every 3rd grid point (17 x 17)
VALIDATION_SHARE = 0.2                         # of the training points, when early stopping is on
MC_PASSES = 30                                 # Monte Carlo dropout: thinned networks averaged

ARCH_DEFAULT_UNITS = (4, 2) + (4,) * (MAX_LAYERS - 2)


def _lr_field(key: str, default: float, options: tuple) -> url.Field:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if value not in options:
            raise ValueError(f"must be one of {', '.join(f'{o:g}' for o in options)}")
        return value
    return url.Field(key, default, parse, lambda v: f"{v:g}")


FIELDS = [
    url.choice("pg_data", "circle", DATASET_CHOICES),
    url.integer("pg_points", 300, 20, 1000),
    url.integer("pg_noise", 0, 0, 50),
    url.integer("pg_test", 50, 10, 90),
    url.integer("pg_dseed", 0, 0, 100_000),
    url.integer("pg_classes", 3, 3, 8),
    url.Field("pg_pts", drawn.encode(drawn.START), drawn.checked),  # a drawn dataset, in the link
    url.choice_list("pg_feat", ["x1", "x2"], FEATURE_NAMES),
    url.integer("pg_layers", 2, 0, MAX_LAYERS),
    *[url.integer(f"pg_u{i}", ARCH_DEFAULT_UNITS[i], 1, MAX_UNITS) for i in range(MAX_LAYERS)],
    *[url.choice(f"pg_a{i}", "tanh", ELEMENTWISE) for i in range(MAX_LAYERS)],
    url.choice("pg_opt", "adam", OPTIMIZERS),
    _lr_field("pg_lr", 0.03, LEARNING_RATES),
    url.choice("pg_sched", "constant", SCHEDULES),
    url.choice("pg_sched_n", "500", PERIODS),
    _lr_field("pg_gamma", 0.5, GAMMAS),
    url.choice("pg_warm", "0", WARMUPS),
    url.choice("pg_batch", "10", tuple(map(str, BATCH_SIZES))),
    url.choice("pg_reg", "none", ("none", "L1", "L2")),
    _lr_field("pg_rate", 0.0, REG_RATES),
    url.number("pg_drop", 0.0, 0.0, 0.8),
    url.flag("pg_early", False),
    url.integer("pg_patience", 10, 1, 200),
    _lr_field("pg_clip", 0.0, CLIPS),
    url.choice("pg_init", "xavier_uniform", INITIALIZERS),
    url.choice("pg_rloss", "mse", ("mse", "mae")),
    url.integer("pg_seed", 0, 0, 100_000),
    url.choice("pg_speed", "5", SPEED_CHOICES),
    url.flag("pg_show_test", False),
    url.flag("pg_discrete", False),
    url.flag("pg_mc", False),
    url.flag("pg_tfmode", False),
    url.choice("pg_view", "train", ("train", "inits")),
    url.flag("pg_res", False),
    url.choice("pg_bn", "off", BATCH_NORM),
    url.flag("pg_warp", False),
    url.integer("pg_warp_l", 1, 1, MAX_LAYERS),
    url.integer("pg_warp_i", 1, 1, MAX_UNITS),
    url.integer("pg_warp_j", 2, 1, MAX_UNITS),
]
STATE = url.PageState("playground", FIELDS)
DEFAULTS = {f.key: f.default for f in FIELDS}


PRESETS = {
    "xor": Preset("XOR needs a hidden layer",
                  "With no hidden layer the network draws one straight line, and no line puts XOR's "
                  "two diagonals on different sides: test accuracy stays far below 100% (here about "
                  "35%, no better than guessing). Add a hidden layer (Hidden layers → 1, 4 neurons) "
                  "and play again.",
                  {"pg_data": "xor", "pg_feat": ["x1", "x2"], "pg_layers": 0, "pg_lr": 0.03}),
    "diverge": Preset("Learning rate too high diverges",
                      "At learning rate 3 every step overshoots the valley further than the last: the "
                      "loss explodes and training stops as diverged. Set the rate to 0.01 and reset.",
                      {"pg_data": "plane", "pg_layers": 2, "pg_u0": 8, "pg_u1": 8, "pg_a0": "relu",
                       "pg_a1": "relu", "pg_opt": "sgd", "pg_lr": 3.0, "pg_batch": "10"}),
    "vanish": Preset("Deep sigmoid nets vanish",
                     "Watch the gradient bars: every sigmoid layer multiplies the gradient by at most "
                     "0.25, so the first layers get almost nothing and barely move. Switch the "
                     "activations to ReLU or tanh to compare.",
                     {"pg_data": "circle", "pg_layers": 6, **{f"pg_u{i}": 6 for i in range(6)},
                      **{f"pg_a{i}": "sigmoid" for i in range(6)}, "pg_opt": "sgd", "pg_lr": 0.3}),
    "dying": Preset("Dying ReLU",
                    "A learning rate of 3 throws about half the ReLU neurons (9 of 16 here) into the "
                    "region where they output 0 for every point. Those outlined in red are dead: zero "
                    "output, zero gradient, no way back, and the network stalls at 50%. Set the "
                    "learning rate to 0.1 and reset: hardly any die and the circle is learnt.",
                    {"pg_data": "circle", "pg_layers": 2, "pg_u0": 8, "pg_u1": 8, "pg_a0": "relu",
                     "pg_a1": "relu", "pg_opt": "sgd", "pg_lr": 3.0, "pg_init": "he_normal"}),
    "zero_init": Preset("Zero init keeps neurons identical",
                        "Every weight starts at 0, so every neuron of a layer computes the same thing, "
                        "receives the same gradient and stays a copy of its neighbours: the weights "
                        "move, but the thumbnails never differ, so each layer acts as one neuron and the "
                        "net cannot draw the circle (it stays far below 100%). (With tanh "
                        "nothing would move at all: tanh(0) = 0 sends back no gradient.) Pick Xavier "
                        "init and reset to break the symmetry.",
                        {"pg_data": "circle", "pg_layers": 2, "pg_u0": 4, "pg_u1": 4, "pg_a0": "sigmoid",
                         "pg_a1": "sigmoid", "pg_init": "zeros"}),
    "overfit": Preset("Overfitting, and three cures",
                      "Few noisy points and a big network: the training loss keeps falling while the "
                      "test loss turns back up, because the net memorises the noise. Cure it with L2 "
                      "(rate 0.03), dropout 0.3, or early stopping.",
                      {"pg_data": "gaussians", "pg_noise": 50, "pg_points": 200, "pg_test": 70,
                       "pg_layers": 3, **{f"pg_u{i}": 16 for i in range(3)},
                       **{f"pg_a{i}": "relu" for i in range(3)}, "pg_lr": 0.03, "pg_show_test": True}),
    "mc_dropout": Preset("MC dropout: unsure off the data",
                         "Dropout stays on at prediction time: each of 30 passes drops a random 30% of the "
                         "hidden neurons, and the 30 thinned networks vote. Their mean is the output plane; "
                         "where they disagree (their standard deviation, the blue map under it) the network "
                         "is unsure. Near the two clusters they agree; off the data, along the boundary the "
                         "data never pinned down, they do not. Turn dropout off and the map goes blank: one "
                         "network has no spread to show.",
                         {"pg_data": "gaussians", "pg_noise": 10, "pg_points": 200, "pg_layers": 2, "pg_u0": 16,
                          "pg_u1": 16, "pg_a0": "relu", "pg_a1": "relu", "pg_drop": 0.3, "pg_lr": 0.01,
                          "pg_speed": "50", "pg_mc": True}),
    "residual": Preset("Residual connections rescue a deep net",
                       "Eight sigmoid layers of six: every layer multiplies the gradient by at most 0.25, the "
                       "first layers' bars sit at 0 and the network never leaves 50%. Switch Residual "
                       "connections on (Network) and it trains at once: each layer adds its input to its output, "
                       "so the gradient has a path around every sigmoid and the first layers' bars come alive.",
                       {"pg_data": "circle", "pg_noise": 0, "pg_layers": 8, **{f"pg_u{i}": 6 for i in range(8)},
                        **{f"pg_a{i}": "sigmoid" for i in range(8)}, "pg_opt": "sgd", "pg_lr": 0.3, "pg_res": False,
                        "pg_speed": "50"}),
    "batchnorm": Preset("Batch normalisation rescues a deep net",
                        "Eight sigmoid layers of six: the gradient bars shrink several-fold per layer, the "
                        "first layers barely move and the network stays at 50%. Set Batch normalisation (Network) "
                        "to 'before f' and it trains: each layer's net inputs are rescaled to mean 0 and spread 1 "
                        "over every mini-batch, so every sigmoid works where its slope is largest, and the first "
                        "layers' bars rise to the last ones' size. 'after f' normalises the sigmoids' outputs "
                        "instead (the course notes show both): it rescues the net too. Then try batch size 10 or "
                        "learning rate 0.3: the running averages that predictions use lag behind noisy batch "
                        "statistics or fast-moving weights, and the loss curves (measured as predictions are "
                        "made) jump while training itself goes on.",
                        {"pg_data": "circle", "pg_noise": 0, "pg_layers": 8, **{f"pg_u{i}": 6 for i in range(8)},
                         **{f"pg_a{i}": "sigmoid" for i in range(8)}, "pg_opt": "sgd", "pg_lr": 0.1, "pg_bn": "off",
                         "pg_batch": "50", "pg_speed": "50"}),
    "inits": Preset("Five initializations side by side",
                    "The same 2-layer tanh network trained five times, from five starts. Zeros: every neuron "
                    "a copy of its neighbours and tanh(0) = 0 sends back no gradient, so nothing moves. Too "
                    "small (σ = 0.01): the signal fades through the layers and training crawls out of a long "
                    "plateau. Too large (σ = 4): the tanh neurons saturate, their slopes vanish and the "
                    "boundary is a jagged accident. Xavier and He start where signals keep their size and "
                    "learn the circle at once.",
                    {"pg_data": "circle", "pg_layers": 2, "pg_u0": 8, "pg_u1": 8, "pg_a0": "tanh", "pg_a1": "tanh",
                     "pg_opt": "sgd", "pg_lr": 0.1, "pg_view": "inits", "pg_speed": "20"}),
    "spiral": Preset("The spiral needs depth and feature crosses",
                     "Curved boundaries come easier from curved inputs: with x1², x2², x1·x2 and the sines "
                     "switched on, three tanh layers wrap around the spiral. Switch the extra features "
                     "off to see how much harder it gets.",
                     {"pg_data": "spiral", "pg_noise": 0, "pg_points": 500, "pg_feat": list(FEATURE_NAMES),
                      "pg_layers": 3, **{f"pg_u{i}": 8 for i in range(3)},
                      **{f"pg_a{i}": "tanh" for i in range(3)}, "pg_lr": 0.01, "pg_speed": "20"}),
}


apply_preset = presets.restarter("pg", PRESETS, DEFAULTS, "pg_model")


warm_engine("mlp")
screen.header(":material/hub: Network playground")
STATE.show_problems(STATE.restore())

# One screen: every setting lives in the sidebar (it scrolls on its own), so the main column
# starts with Play/Pause and the live pictures, in view at 1440 x 900 while the settings change.
left, main = st.sidebar, st.container()


def step_once(m: MLP) -> None:
    """Step: one update, or in TF Playground mode one epoch, as its step button does."""
    if m.config.task == "custom":
        m.step(max(1, -(-len(m.x_train) // min(m.config.batch_size, len(m.x_train)))))
    else:
        m.step(1)


def _step_pressed() -> None:
    if st.session_state.get("_pg_no_net"):   # the page showed no network (an old one may be kept)
        return
    race = st.session_state.get("pg_cmp") if st.session_state["pg_view"] == "inits" else None
    for m in (race[1] if race else [st.session_state["pg_model"]]):
        step_once(m)


def _reset_pressed() -> None:
    st.session_state.pop("pg_model", None)
    st.session_state.pop("pg_cmp", None)


def view_toggles() -> None:
    v = st.columns(2, vertical_alignment="center")
    v[0].toggle("Show test data", key="pg_show_test", help="Draw the held-out test points, ringed in black.")
    v[1].toggle("Discretize output", key="pg_discrete", help="Show only the predicted class, not its confidence.")


# Play/Pause before the presets and settings: most of a page run is drawing the sidebar, and a
# learner's Pause reads Play as soon as these buttons are drawn (live.transport lets other
# learners' clicks answer next). When a hall pressed Pause together, the buttons flipped after
# every learner's whole settings column before theirs. Drawn straight into the main column (on a
# phone the bar sticks to the top while the page scrolls under it: its wrapper needs the column
# as its parent); settings that make no network say so below it.
with main:
    live.transport("pg", "pg_playing", on_step=_step_pressed, on_reset=_reset_pressed,
                   play_help="Train continuously, a few steps per frame.",
                   step_help="One mini-batch update (TF Playground mode: one epoch), then pause.",
                   reset_help="New initial weights from the seed; keeps every setting.",
                   extras=view_toggles)


presets.show("pg", PRESETS, apply_preset)


def _open_tf_link() -> None:
    """The button's callback: a TF Playground link's settings replace this playground's."""
    try:
        settings, notes = tfplayground.translate(
            st.session_state.get("pg_tf_link", ""), learning_rates=LEARNING_RATES, reg_rates=REG_RATES,
            batch_sizes=BATCH_SIZES, max_layers=MAX_LAYERS, max_units=MAX_UNITS)
    except ValueError as err:
        st.session_state["pg_tf_note"] = ("error", f"Could not open it: {err}.", [])
        return
    st.session_state.update(settings)
    st.session_state.pop("pg_model", None)
    st.session_state["pg_playing"] = False
    st.session_state["pg_tf_note"] = ("success", "Opened: the same data, features, network, learning rate and "
                                      "regularisation, in TF Playground mode: trained as TF Playground trains "
                                      "(−1/+1 labels, tanh output, ½ squared error, plain SGD, its initial "
                                      "weights; Step is one epoch), so its loss figures mean the same here.", notes)


st.session_state.setdefault("pg_tf_link", "")
url.hold(["pg_tf_link"])  # every run carries the field's value (see url.hold)
with st.sidebar.expander("Open a TensorFlow Playground link"):
    st.text_input("playground.tensorflow.org link", key="pg_tf_link", max_chars=tfplayground.MAX_LINK_CHARS,
                  placeholder="https://playground.tensorflow.org/#activation=tanh&…",
                  help="Paste the address of a TensorFlow Playground demo: this playground sets up the same one.")
    st.button("Open it here", key="pg_tf_open", on_click=_open_tf_link, icon=":material/open_in_browser:")
    if note := st.session_state.get("pg_tf_note"):
        kind, text, notes = note
        getattr(st, kind)(text + ("".join(f"\n- {n}" for n in notes) if notes else ""))

# ---- data ----------------------------------------------------------------------------------
def load_dataset() -> Dataset | None:
    name = st.session_state["pg_data"]
    if name == "upload":
        file = st.file_uploader("CSV with columns x1, x2, label", type=["csv", "txt"], key="pg_file",
                                help="Up to 5,000 rows. Whole-number labels 0..9 make a classification "
                                     "problem; any other numbers a regression problem.")
        if file is not None:
            raw = file.getvalue()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != st.session_state.get("pg_upload_digest"):  # parse a file once, not per rerun
                st.session_state["pg_upload_digest"] = digest
                try:
                    st.session_state["pg_uploaded"] = load_csv(raw, quote)
                    st.session_state["pg_upload_error"] = None
                except ValueError as err:
                    st.session_state["pg_upload_error"] = f"Could not use {quote(file.name, 40)}: {err}."
        if st.session_state.get("pg_upload_error"):
            st.error(st.session_state["pg_upload_error"])
        data = st.session_state.get("pg_uploaded")
        if data is None:
            st.info("Upload a file to train on your own points.")
        return data
    if name == "draw":
        return drawn.dataset(drawn.decode(st.session_state["pg_pts"]))
    return make_2d(name, st.session_state["pg_points"], st.session_state["pg_noise"] / 100,
                   seed=st.session_state["pg_dseed"], n_classes=st.session_state["pg_classes"])


@st.cache_resource
def dataset_thumbnails() -> list[dict]:
    """Each dataset drawn small for the picker: 80 points, noise-free, as uint8 (once per process)."""
    items = []
    for name in DATASET_CHOICES:
        item = {"name": name, "label": DATASET_LABELS[name], "short": DATASET_SHORT.get(name, DATASET_LABELS[name])}
        if name not in ("upload", "draw"):  # those two get an icon
            d = make_2d(name, 80, 0.0, seed=0, n_classes=4)
            lo, hi = d.x.min(axis=0), d.x.max(axis=0)
            xy = np.rint((d.x - lo) / np.maximum(hi - lo, 1e-9) * 255).astype(int)
            values = (np.rint((d.y - d.y.min()) / max(np.ptp(d.y), 1e-9) * 255) if d.task == "regression"
                      else d.y).astype(int)
            item.update(points=xy.ravel().tolist(), values=values.tolist(), regression=d.task == "regression")
        items.append(item)
    return items


def _plane_clicked(edit: object) -> None:
    """A click on the output plane while drawing: add a point of the chosen class, or erase one."""
    try:
        points, done = drawn.clicked(drawn.decode(st.session_state["pg_pts"]), edit,
                                     st.session_state.get("pg_draw_mode", "class 1"))
    except ValueError as err:  # the message is ours; nothing from the browser is echoed
        st.session_state["pg_edit_note"] = ("warning", f"Nothing changed: {err}.")
        return
    st.session_state["pg_pts"] = drawn.encode(points)
    st.session_state["pg_edit_note"] = ("success", done)


def _tf_mode_changed() -> None:
    """TF Playground mode on: its optimizer and initial weights shown as they are used."""
    if st.session_state["pg_tfmode"]:
        st.session_state["pg_opt"] = "sgd"
        if st.session_state["pg_init"] != "zeros":
            st.session_state["pg_init"] = "tf_playground"


def _pick_dataset(name: str) -> None:
    if name in DATASET_CHOICES:  # sent by the browser: only a known dataset is taken
        st.session_state["pg_data"] = name


with left:
    st.header("Data", divider="gray")
    render.picker("np_pick_pg_data", "Datasets", dataset_thumbnails(), st.session_state["pg_data"], _pick_dataset)
    st.selectbox("Dataset", DATASET_CHOICES, key="pg_data", format_func=DATASET_LABELS.get,
                 help="The points to learn. Regression sets colour each point by its value.")
    if st.session_state["pg_data"] == "blobs":
        st.slider("Classes", 3, 8, key="pg_classes", help="How many clusters (classes) to make.")
    if st.session_state["pg_data"] == "draw":
        st.session_state.setdefault("pg_draw_mode", "class 1")
        url.hold(["pg_draw_mode"])
        st.segmented_control("Click the output plane to", ["class 0", "class 1", "class 2", "class 3", "erase"],
                             key="pg_draw_mode", required=True,
                             help="Each click adds a point of this class where you click (or erases the nearest). "
                                  f"Up to {drawn.MAX_POINTS} points; the link carries them.")
        st.button("Start the drawing again", key="pg_draw_reset", icon=":material/ink_eraser:",
                  on_click=lambda: st.session_state.update(pg_pts=drawn.encode(drawn.START)),
                  help="Back to the six starting points.")
        st.caption(f"{len(drawn.decode(st.session_state['pg_pts']))} points drawn. Adding points keeps the "
                   "network's weights: press Play to train on the new set.")
    elif st.session_state["pg_data"] != "upload":
        st.slider("Points", 20, 1000, step=10, key="pg_points", help="How many points to generate.")
        st.slider("Noise (%)", 0, 50, step=5, key="pg_noise",
                  help="Blurs the boundary between classes (or adds noise to regression targets).")
    st.slider("Test share (%)", 10, 90, step=10, key="pg_test",
              help="Share of the points held out to measure generalisation; never trained on.")
    st.button("Regenerate", key="pg_regen", icon=":material/refresh:", width="stretch",
              on_click=lambda: st.session_state.update(pg_dseed=st.session_state["pg_dseed"] + 1),
              help="New random points with the same settings (the data seed goes up by one).")
    dataset = load_dataset()

with left:
    # ---- network editor -------------------------------------------------------------------
    st.header("Network", divider="gray")
    features = st.pills("Input features", FEATURE_NAMES, selection_mode="multi", key="pg_feat",
                        help="What the first layer sees. Crosses like x1² or x1·x2 let even a small "
                             "network draw curved boundaries.")
    if not features:
        st.warning("Select at least one input feature.")
    st.number_input("Hidden layers", 0, MAX_LAYERS, key="pg_layers",
                    help=f"0 to {MAX_LAYERS}. Zero makes a single-layer (linear) model.")
    n_layers = st.session_state["pg_layers"]
    for i in range(n_layers):
        ed = st.columns([1, 1.3], vertical_alignment="bottom")
        ed[0].number_input(f"Layer {i + 1}", 1, MAX_UNITS, key=f"pg_u{i}",
                           help=f"Neurons in hidden layer {i + 1} (1 to {MAX_UNITS}).")
        ed[1].selectbox(f"Activation {i + 1}", ELEMENTWISE, key=f"pg_a{i}",
                        help=f"Activation of hidden layer {i + 1}.")
    st.toggle("Residual connections", key="pg_res", disabled=n_layers < 2,
              help="Each hidden layer as wide as the one before adds its input to its output (a = f(z) + a_in): "
                   "the gradient gets a path around every such layer, so deep networks train. Changing it "
                   "resets the network.")
    st.segmented_control("Batch normalisation", BATCH_NORM, key="pg_bn", required=True, disabled=n_layers == 0,
                         format_func={"off": "off", "before": "before f", "after": "after f"}.get,
                         help="Normalise every hidden layer over each mini-batch: (v − batch mean) / batch std, then "
                              "× γ + β, both learnt. 'before f' on the net inputs z (Ioffe & Szegedy), 'after f' on "
                              "the activations. Predictions and the loss curves use running averages of the batch "
                              "statistics: small batches make noisy statistics that the averages lag behind (the test loss "
                              "jumps). Needs batches of 2 or more. Changing it resets the network.")
    st.toggle("Warped plane", key="pg_warp", disabled=n_layers == 0,
              help="Under the curves: the input plane's grid and the points as two neurons of a hidden layer "
                   "see them (ConvNetJS's view), live while training.")
    if st.session_state["pg_warp"] and n_layers:
        wp = st.columns(3)
        wp[0].number_input("Layer", 1, MAX_LAYERS, key="pg_warp_l", help=f"Which hidden layer: 1 to {n_layers} here.")
        top_units = st.session_state.get(f"pg_u{min(st.session_state['pg_warp_l'], n_layers) - 1}", 1)
        wp[1].number_input("Neuron x", 1, MAX_UNITS, key="pg_warp_i", help=f"Across: 1 to {top_units} here.")
        wp[2].number_input("Neuron y", 1, MAX_UNITS, key="pg_warp_j", help=f"Up: 1 to {top_units} here.")

    st.header("Training", divider="gray")
    st.segmented_control("View", ["train", "inits"], key="pg_view", required=True,
                         format_func={"train": "One network", "inits": "Compare initializations"}.get,
                         help="Compare initializations: the same network trained from five starts side by side "
                              "(zeros, too small, too large, Xavier, He), every other setting as set here.")
    st.toggle("TF Playground mode", key="pg_tfmode", on_change=_tf_mode_changed,
              help="Train exactly as playground.tensorflow.org does, so its exercises' numbers (\"test loss below "
                   "0.177\") mean the same here: labels −1/+1 and a tanh output (linear for regression), "
                   "½ squared error, plain SGD through the points in a fixed order, weights U(−0.5, 0.5) and "
                   "biases 0.1, Step = one epoch, L1/L2 divided by the batch size as it does.")
    tf_on = st.session_state["pg_tfmode"]
    if tf_on and dataset is not None and dataset.task == "multiclass":
        st.info("TF Playground mode covers two classes and regression, as TF Playground does: this dataset has "
                f"{dataset.n_classes} classes, so it trains as usual.")
    st.select_slider("Steps per frame", SPEED_CHOICES, key="pg_speed",
                     help="Training speed: mini-batch updates between two redraws. 'auto': as many as fit "
                          f"in {live.FRAME_BUDGET_S * 1000:.0f} ms; a frame never computes longer than that.")
    st.selectbox("Optimizer", OPTIMIZERS, key="pg_opt", disabled=tf_on,
                 help="The update rule. Changing it mid-run keeps the weights (its memory resets). "
                      "TF Playground mode: plain SGD.")
    st.select_slider("Learning rate", LEARNING_RATES, key="pg_lr", format_func=lambda v: f"{v:g}",
                     help="Step size. Changing it mid-run keeps the weights.")
    sc = st.columns([1.4, 1], vertical_alignment="bottom")
    sc[0].selectbox("Rate schedule", SCHEDULES, key="pg_sched", format_func=SCHEDULE_LABELS.get,
                    help="How the learning rate changes over the updates, drawn under the loss curve. Step: "
                         "× γ every N updates. Exponential: × γ per N updates, smoothly. Cosine: glides "
                         "from the rate down to γ × rate over N updates, then stays.")
    sc[1].select_slider("Warm-up", WARMUPS, key="pg_warm", format_func=lambda v: "off" if v == "0" else v,
                        help="The first updates climb in a straight line from rate / W to the rate, then "
                             "the schedule starts (helps big rates and Adam at the start).")
    if st.session_state["pg_sched"] != "constant":
        sp = st.columns(2)
        sp[0].select_slider("Every N updates", PERIODS, key="pg_sched_n",
                            help="The schedule's length: step and exponential multiply the rate by γ every "
                                 "N updates; cosine reaches γ × rate after N updates.")
        sp[1].select_slider("γ", GAMMAS, key="pg_gamma", format_func=lambda v: f"{v:g}",
                            help="The factor: step and exponential multiply the rate by γ every N updates; "
                                 "cosine ends at γ × rate.")
    with st.expander("More: batch, regularization, dropout, init, seed, early stopping, clipping"):
        t2 = [st] * 6
        t2[0].select_slider("Batch size", tuple(map(str, BATCH_SIZES)), key="pg_batch",
                            format_func=lambda v: "full" if v == "0" else v,
                            help="Points per update: 1 is pure SGD, 'full' is batch gradient descent.")
        t2[1].selectbox("Regularization", ("none", "L1", "L2"), key="pg_reg",
                        help="Penalise large weights: L2 shrinks them all, L1 pushes many to exactly 0.")
        t2[2].select_slider("Regularization rate", REG_RATES, key="pg_rate", format_func=lambda v: f"{v:g}",
                            help="How strongly the penalty counts.")
        t2[3].slider("Dropout", 0.0, 0.8, step=0.05, key="pg_drop",
                     help="Share of hidden neurons switched off at random in each training step.")
        st.toggle("Uncertainty (MC dropout)", key="pg_mc", disabled=st.session_state["pg_drop"] == 0,
                  help=f"Monte Carlo dropout: keep dropout on when predicting, average {MC_PASSES} thinned networks "
                       "(the output plane) and map how much they disagree (their standard deviation), under "
                       "the output plane. Needs a dropout rate above 0.")
        t2[4].selectbox("Initialization", INITIALIZERS, key="pg_init", disabled=tf_on,
                        help="How the weights start. Changing it resets the network. TF Playground mode: "
                             "tf_playground (or zeros, its initZero).")
        t2[5].number_input("Seed", 0, 100_000, key="pg_seed",
                           help="Same seed, same initial weights, same run.")
        o = [st] * 4
        o[0].toggle("Early stopping", key="pg_early",
                    help=f"Hold out {VALIDATION_SHARE:.0%} of the training points; stop when their loss "
                         "has not improved for 'patience' epochs and restore the best weights.")
        o[1].number_input("Patience (epochs)", 1, 200, key="pg_patience", disabled=not st.session_state["pg_early"])
        o[2].select_slider("Clip gradient norm", CLIPS, key="pg_clip",
                           format_func=lambda v: "off" if v == 0 else f"{v:g}",
                           help="Rescale the whole gradient when its length exceeds this.")
        o[3].selectbox("Regression loss", ("mse", "mae"), key="pg_rloss",
                       help="Used by regression datasets: squared error (y - ŷ)², without the ½ some "
                            "textbooks put in front, or absolute error |y - ŷ|. The losses shown are "
                            "means over the points; classification uses cross-entropy.")



def tf_mode_applies(data: Dataset) -> bool:
    """TF Playground mode is asked for and the data has what TF Playground trains on."""
    return bool(st.session_state["pg_tfmode"]) and data.task in ("binary", "regression")


def training_config(data: Dataset, n_inputs: int, n_train: int) -> MLPConfig:
    s = st.session_state
    n_layers = s["pg_layers"]
    reg, rate = s["pg_reg"], s["pg_rate"]
    batch = int(s["pg_batch"])
    batch_size = batch if batch > 0 else 10 ** 6
    hidden = tuple(s[f"pg_u{i}"] for i in range(n_layers))
    activations = tuple(s[f"pg_a{i}"] for i in range(n_layers))
    more = dict(dropout=(s["pg_drop"],) * n_layers if s["pg_drop"] > 0 and n_layers else (), residual=s["pg_res"],
                batch_norm=s["pg_bn"] if n_layers else "off",
                clip_norm=s["pg_clip"], early_stopping_patience=s["pg_patience"] if s["pg_early"] else 0,
                schedule=ScheduleConfig(s["pg_sched"], period=int(s["pg_sched_n"]), gamma=s["pg_gamma"],
                                        warmup=int(s["pg_warm"])),
                seed=s["pg_seed"])
    if tf_mode_applies(data):
        return tf_playground_config(n_inputs, hidden, activations, regression=data.task == "regression",
                                    lr=s["pg_lr"], batch_size=batch_size, n_train=n_train, regularization=reg,
                                    rate=rate, init_zero=s["pg_init"] == "zeros", **more)
    return MLPConfig(
        n_inputs=n_inputs, hidden=hidden, activations=activations, task=data.task,
        n_classes=max(data.n_classes, 3) if data.task == "multiclass" else 2, regression_loss=s["pg_rloss"],
        optimizer=OptimizerConfig(s["pg_opt"], lr=s["pg_lr"],
                                  **({"rho": 0.95, "eps": 1e-6} if s["pg_opt"] == "adadelta" else {})),
        init=s["pg_init"], batch_size=batch_size, l1=rate if reg == "L1" else 0.0, l2=rate if reg == "L2" else 0.0,
        **more)


def build_model(data: Dataset, feats: list[str]) -> MLP | None:
    """The session's model: rebuilt when data, features, architecture, init or seed change;
    otherwise training options are applied to the running model, keeping its weights."""
    train, test = train_test_split(data, st.session_state["pg_test"] / 100, seed=st.session_state["pg_dseed"])
    val = None
    if st.session_state["pg_early"]:
        if len(train.x) < 5:
            st.warning("Too few training points to hold out a validation set for early stopping.")
        else:
            train, val = train_test_split(train, VALIDATION_SHARE, seed=st.session_state["pg_dseed"] + 1)
    config = training_config(data, len(feats), len(train.x))
    drawing = st.session_state["pg_data"] == "draw"
    setup = (st.session_state.get("pg_upload_digest") if st.session_state["pg_data"] == "upload" else None,
             st.session_state["pg_data"], st.session_state["pg_points"], st.session_state["pg_noise"],
             st.session_state["pg_dseed"], st.session_state["pg_classes"], st.session_state["pg_test"],
             tuple(feats), config.hidden, config.activations, config.residual, config.batch_norm, config.init,
             config.seed, config.task,
             bool(config.early_stopping_patience))
    key = (setup, st.session_state["pg_pts"] if drawing else None)  # a drawing: its points apart
    model: MLP | None = st.session_state.get("pg_model")
    if model is not None and st.session_state.get("pg_model_key") == key:
        if model.config != config:
            model.set_config(config)
        return model
    f = lambda d: make_features(d.x, feats)  # noqa: E731
    # TF Playground mode: its labels, -1 and +1
    y = (lambda d: 2.0 * d.y - 1.0) if config.output_activation == "tanh" else (lambda d: d.y)  # noqa: E731
    previous = model
    model = MLP(config, f(train), y(train), f(test), y(test),
                *((f(val), y(val)) if val is not None else (None, None)))
    key_before = st.session_state.get("pg_model_key")
    if drawing and previous is not None and key_before is not None and key_before[0] == setup:
        model.set_weights(*previous.weights())  # a point added or erased: the same network trains on
        model.set_batch_norm_state(previous.batch_norm_state())   # (its batch normalisation too)
    st.session_state["pg_xy"] = (train.x, test.x)  # raw points for drawing (features may differ)
    st.session_state["pg_model"] = model
    st.session_state["pg_model_key"] = key
    return model


model = None
if dataset is not None and features:
    try:
        model = build_model(dataset, list(features))
    except ValueError as err:
        with main:
            st.error(f"Cannot build this network: {err}")


def unit_thumbnails(units_grid: list[np.ndarray], acts: tuple[str, ...], task: str) -> list[np.ndarray]:
    """Each layer's units over the grid as (units, res, res) arrays scaled to [-1, 1]."""
    out = []
    for l, block in enumerate(units_grid):
        grid = block.reshape(GRID, GRID, -1)[::THUMB_STRIDE, ::THUMB_STRIDE, :].transpose(2, 0, 1)
        kind = acts[l - 1] if 0 < l <= len(acts) else ("output" if l else "input")
        if kind == "sigmoid" or (kind == "output" and task != "regression"):
            scaled = grid * 2 - 1
        else:
            peak = np.abs(grid).reshape(len(grid), -1).max(axis=1)[:, None, None]
            scaled = grid / np.maximum(peak, 1.0 if kind in ("tanh", "output") else 1e-9)
        out.append(scaled)
    return out


PICTURE_PX = 400  # the network and the output plane: both in view at 1440 x 900
UNCERTAINTY_PX = 330  # Monte Carlo dropout's disagreement map, under the output plane
WARP_PX = 420     # the plane warped through two hidden neurons
CURVE_PX = 300    # loss curves and gradient bars, playing (canvas) or paused (Plotly) alike
RATE_PX = 170     # the learning rate under the loss curve, when a schedule or warm-up is on


def network_snapshot(sizes: list[int], labels: list[str], inputs: list[str], ws: list[np.ndarray],
                     bs: list[np.ndarray], thumbs: list[np.ndarray], dead: list) -> dict:
    """What the browser's network renderer draws: thumbnails as uint8, weights and biases as
    float32 (the picture scales the links by the largest; hover and click read the values)."""
    flags = [bool(x) for l, n in enumerate(sizes)
             for x in (dead[l] if l < len(dead) and dead[l] is not None else np.zeros(n, dtype=bool))]
    return {"sizes": sizes, "labels": labels, "inputs": inputs, "res": int(thumbs[0].shape[-1]),
            "thumbs": render.u8(np.concatenate([t.reshape(len(t), -1) for t in thumbs]).ravel()),
            "w": render.f32(np.concatenate([w.ravel() for w in ws])), "b": render.f32(np.concatenate(bs)),
            "dead": flags, "editable": True}


def _edit_received(edit: object) -> None:
    model = st.session_state.get("pg_model")
    if model is None:
        return
    try:
        with live.session_lock():
            done = apply_network_edit(model, edit, list(st.session_state.get("pg_feat") or []))
        st.session_state["pg_edit_note"] = ("success", done)
    except ValueError:  # the browser's payload is not echoed: any websocket client can send one
        st.session_state["pg_edit_note"] = ("warning", "Nothing changed: a weight or bias takes a number from "
                                            f"-{EDIT_LIMIT:g} to {EDIT_LIMIT:g}, on a link or neuron of this network.")


def shown_task(cfg: MLPConfig) -> str:
    """What the page draws: TF Playground mode's custom output as the two classes or the values."""
    if cfg.task != "custom":
        return cfg.task
    return "binary" if cfg.output_activation == "tanh" else "regression"


def shown(cfg: MLPConfig, out: np.ndarray, spread: bool = False) -> np.ndarray:
    """A prediction (or its spread) as the page draws it: TF Playground mode's (n, 1) outputs as
    (n,), its tanh output in [-1, 1] on P(class 1)'s scale [0, 1] (a spread halved with it)."""
    if cfg.task != "custom":
        return out
    out = out[:, 0]
    if cfg.output_activation == "tanh":
        return out / 2 if spread else (out + 1) / 2
    return out


def mc_maps(model: MLP, grid_x: np.ndarray, live_now: bool) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo dropout over the plane: the mean prediction of the thinned networks and their
    spread (for classes: of the winning class's probability). The same masks every time (the
    seed), so the maps change only as the weights do; while playing, made at most twice a second."""
    net = (id(model), model.config.dropout)
    cache = st.session_state.get("pg_mc_cache")   # (net, steps, mean, spread)
    # paused: always from the weights as they are (an edit on the network picture moves no step);
    # playing: another network or dropout at once, new steps at most twice a second
    if cache is None or cache[0] != net or not live_now or (cache[1] != model.steps and render.due("pg_mc", 0.5)):
        mean, std = model.predict_mc(grid_x, MC_PASSES, seed=model.config.seed)
        mean, std = shown(model.config, mean), shown(model.config, std, spread=True)
        if model.config.task == "multiclass":
            std = np.take_along_axis(std, mean.argmax(axis=1)[:, None], axis=1)[:, 0]
        cache = (net, model.steps, mean, std)
        st.session_state["pg_mc_cache"] = cache
    return cache[2], cache[3]


def output_snapshot(preds: np.ndarray, sets: list[charts.PointSet], task: str, discrete: bool) -> dict:
    """What the browser's heatmap renderer draws: the output grid and the points, all uint8."""
    out: dict = {"n": GRID, "title": "Output", "discrete": bool(discrete), "domain": charts.DOMAIN}
    if task == "multiclass":
        probs = preds.reshape(GRID * GRID, -1)
        out.update(mode="classes", k=int(probs.shape[1]), grid=render.u8_codes(probs.argmax(axis=1)),
                   conf=render.u8(probs.max(axis=1), 0.0, 1.0))
    else:
        signed = preds * 2 - 1 if task == "binary" else preds
        out.update(mode="signed", grid=render.u8((np.sign(signed) if discrete else signed) * 0.85),
                   ends=["class 0", "class 1"] if task == "binary" else ["−1", "+1"])
    out["kept"] = [{"xy": render.u8(ps.points, -charts.DOMAIN, charts.DOMAIN),
                    "labels": render.u8(ps.labels) if task == "regression" else render.u8_codes(ps.labels),
                    "regression": task == "regression", "outline": "#%02x%02x%02x" % ps.outline}
                   for ps in sets]
    return out


def draw(model: MLP, data: Dataset, feats: list[str], live_now: bool) -> None:
    """One frame. While playing, every picture is a light image; paused, curves are Plotly."""
    snap = model.snapshot()
    cfg = model.config
    task = shown_task(cfg)
    grid_x = charts.grid_features(tuple(feats), GRID)
    units = model.all_units(grid_x)
    blocks = model.layer_outputs(units)
    blocks[-1] = shown(cfg, blocks[-1])[:, None] if cfg.task == "custom" else blocks[-1]
    preds = blocks[-1] if task == "multiclass" else blocks[-1][:, 0]
    spread = None   # Monte Carlo dropout: the thinned networks' mean replaces the plane, their spread is mapped
    if st.session_state["pg_mc"] and any(r > 0 for r in cfg.dropout):
        preds, spread = mc_maps(model, grid_x, live_now)
    train_x, test_x = st.session_state["pg_xy"]
    y_train = _labels(model.y_train, task)
    y_test = _labels(model.y_test, task)
    sets = [charts.PointSet(train_x, y_train, (255, 255, 255))]
    if st.session_state["pg_show_test"] or st.session_state["pg_data"] == "draw":  # a drawing shows every point
        sets.append(charts.PointSet(test_x, y_test, (20, 20, 20)))

    dead = [None] * len(cfg.sizes)  # a ReLU that outputs 0 on every training point (other units cannot die)
    if "relu" in cfg.activations:
        train_blocks = model.layer_outputs(model.all_units(model.x_train))
        dead[1:-1] = [np.all(block == 0, axis=0) if act == "relu" else None
                      for act, block in zip(cfg.activations, train_blocks[1:-1])]
    n_relu = sum(int(d.size) for d in dead if d is not None)
    n_dead = sum(int(d.sum()) for d in dead if d is not None)

    status = {"diverged": "Diverged: the loss became infinite or NaN. Lower the learning rate and reset.",
              "stopped_early": "Stopped early: the validation loss stopped improving; the best weights "
                               "were restored."}.get(snap.status)
    fed = render.fed()  # a play frame after the first: only the pictures' and metrics' new data
    if status and not fed:
        (st.error if snap.status == "diverged" else st.success)(status)
    h = snap.history
    train_loss = h.train_loss[-1] if h.train_loss else model.loss(model.x_train, model.y_train)
    test_loss = h.test_loss[-1] if h.test_loss else model.loss(model.x_test, model.y_test)
    loss_help = ("Mean over the points of the per-point loss: cross-entropy for classes, squared error "
                 "(no ½ factor) or absolute error for regression.")
    if cfg.task == "custom":
        loss_help = ("TF Playground's loss: ½ (output − label)² averaged over the points"
                     + (", labels −1 and +1." if task == "binary" else "."))
    pred_test = shown(cfg, model.predict(model.x_test))
    dead_help = "ReLU neurons that output 0 for every training point: they get no gradient."
    if task == "binary":
        score = ("Test accuracy", f"{metrics.accuracy(y_test, pred_test > 0.5):.1%}", "")
    elif task == "multiclass":
        score = ("Test accuracy", f"{metrics.accuracy(y_test, pred_test.argmax(axis=1)):.1%}", "")
    else:
        score = ("Test MAE", echo.number(metrics.mean_absolute_error(y_test, pred_test)), "")
    numbers = [("Epoch", f"{snap.epoch:.1f}", ""), ("Step", str(snap.step), ""),
               ("Training loss", echo.number(train_loss), loss_help), ("Test loss", echo.number(test_loss), loss_help),
               score, ("Dead ReLUs", f"{n_dead} of {n_relu}" if n_relu else "–", dead_help)]
    render.metrics("pg_stats", numbers, live=live_now, alt="Training metrics")

    net_col, out_col = (None, None) if fed else st.columns([3, 2])
    layer_sizes = list(cfg.sizes)
    shown_act = {"off": "{}", "before": "BN→{}", "after": "{}→BN"}[cfg.batch_norm].format
    labels = ["input"] + [f"{n} {shown_act(a)}" for n, a in zip(cfg.hidden, cfg.activations)] + ["output"]
    ws, bs = model.weights()
    thumbs = None if fed else unit_thumbnails(blocks, cfg.activations, task)
    with render.within(net_col):
        if render.due("pg_net", 0.1):  # 10 times a second: its small maps move little between frames
            if thumbs is None:  # a fed frame makes them only when the picture goes out
                thumbs = unit_thumbnails(blocks, cfg.activations, task)
            render.show("network", "pg_net", network_snapshot(layer_sizes, labels, list(feats), ws, bs, thumbs, dead),
                        height=PICTURE_PX, live=live_now,
                        alt=f"The network {' - '.join(map(str, layer_sizes))}: each neuron as a small map of "
                            "its output over the plane, links coloured by the sign of their weight.")
        if not fed:
            st.caption("Each neuron drawn as what it computes over the plane (blue +, orange −); links coloured "
                       "by weight sign (dashed: negative), thickness by size. Red outline: dead. Hover for "
                       "values; click a link or a neuron to set its weight or bias.")
    with render.within(out_col):
        plane = output_snapshot(preds, sets, task, st.session_state["pg_discrete"])
        plane["drawable"] = st.session_state["pg_data"] == "draw"  # a click adds (or erases) a point
        if spread is not None:
            plane["title"] = f"Mean of {MC_PASSES} dropout passes"
        kept = {"sets": plane.pop("kept")}
        render.show("heatmap", "pg_out", plane, kept=kept, height=PICTURE_PX, live=live_now,
                    alt="The model's output over the input plane with the data points on top.")
        if spread is not None:
            top = 0.5 if task != "regression" else max(float(spread.max()), 1e-9)  # a probability's std is <= 0.5
            render.show("heatmap", "pg_unc", {
                "n": GRID, "title": "Disagreement (std)", "mode": "magnitude", "domain": charts.DOMAIN,
                "grid": render.u8(spread, 0.0, top), "ends": ["0", f"{top:.2g}"]}, kept=kept,
                height=UNCERTAINTY_PX, live=live_now,
                alt="How much the thinned networks disagree over the plane: their standard deviation.")
        if not fed:
            st.caption("Model output over the plane; white-ringed points train, black-ringed test."
                       + (f" Below: the standard deviation of the {MC_PASSES} passes, grey where they agree, "
                          "blue where they do not." if spread is not None else ""))
            if st.session_state["pg_mc"] and spread is None:
                st.info("Uncertainty (MC dropout) needs dropout: set More → Dropout above 0.")
    if not live_now:  # slide-ready pictures of this state, drawn by Pillow only when asked for
        discrete = st.session_state["pg_discrete"]

        def network_png() -> bytes:
            return charts.to_png(charts.network_image(layer_sizes, labels, list(feats), ws, thumbs,
                                                      highlight_dead=dead))

        def output_png() -> bytes:
            colours = charts.output_colours(preds.reshape(GRID, GRID, -1) if task == "multiclass"
                                            else preds.reshape(GRID, GRID), task, discrete)
            return charts.to_png(charts.boundary_image(colours, sets, task, title="Output"))

        d = st.columns([1.28, 1.18, 1.3, 1.46, 0.98, 0.82], gap="small")  # as wide as their labels
        d[0].download_button("Network PNG", network_png, file_name="netplay-network.png",
                             mime="image/png", icon=":material/download:", key="pg_dl_net")
        d[1].download_button("Output PNG", output_png, file_name="netplay-output.png",
                             mime="image/png", icon=":material/download:", key="pg_dl_out")
        d[2].download_button("Network JSON", lambda: export.to_json(model, list(feats)),
                             file_name="netplay-network.json", mime="application/json",
                             icon=":material/data_object:", key="pg_dl_json",
                             help="Every weight, bias and setting of this network, exactly.")
        d[3].download_button("Python (NumPy)", lambda: export.numpy_snippet(model, list(feats)),
                             file_name="netplay_network.py", mime="text/x-python", icon=":material/code:",
                             key="pg_dl_py", help="A file that needs only NumPy: predict(x1, x2) gives this "
                                                  "network's output, the same numbers as here.")
        d[4].download_button("PyTorch", lambda: export.pytorch_snippet(model, list(feats)),
                             file_name="netplay_network_torch.py", mime="text/x-python", icon=":material/code:",
                             key="pg_dl_torch", help="This network as a PyTorch nn.Sequential (float64) with its "
                                                     "weights loaded; predict(x1, x2) gives the same numbers.")
        d[5].download_button("Keras", lambda: export.keras_snippet(model, list(feats)),
                             file_name="netplay_network_keras.py", mime="text/x-python", icon=":material/code:",
                             key="pg_dl_keras", help="This network as a Keras 3 Sequential with its weights "
                                                     "loaded; predict(x1, x2) gives the same numbers (to about "
                                                     "1e-6 on Keras' PyTorch backend, which multiplies in float32).")

    curves, grads = (None, None) if fed else st.columns(2)
    layer_names = [f"W{l + 1}" for l in range(len(ws))]
    if h.step and live_now:
        if not render.due("pg_curves", 0.2):  # the curves and gradient bars: 5 times a second
            return
        series = [("training loss", h.train_loss, charts.POSITIVE), ("test loss", h.test_loss, charts.NEGATIVE)]
        if cfg.early_stopping_patience:
            series.append(("validation loss", h.val_loss, charts.SERIES[2]))
        x, *ys = render.thin(h.step, *(v for _, v, _ in series), most=150)
        with render.within(curves):
            render.show("lines", "pg_loss_live", {
                "x": render.f32(x), "x_label": "step (mini-batch updates)",
                "series": [{"label": label, "colour": colour, "y": render.f32(y), "dash": label.startswith("val")}
                           for (label, _, colour), y in zip(series, ys)]},
                height=CURVE_PX, live=True, alt="Training and test loss over the steps so far.")
            if cfg.schedule.active:
                x, rate = render.thin(h.step, h.lr, most=150)
                render.show("lines", "pg_lr_live", {
                    "x": render.f32(x), "x_label": "step", "title": f"Learning rate (next: {model.learning_rate():.3g})",
                    "series": [{"label": "rate", "colour": charts.SERIES[2], "y": render.f32(rate)}]},
                    height=RATE_PX, live=True, alt="The learning rate of each update so far (the schedule).")
        with render.within(grads):
            render.show("bars", "pg_grads_live", {
                "labels": layer_names, "values": [float(v) for v in snap.layer_grad_norms],
                "title": "|dLoss/dW| per layer"},
                height=CURVE_PX, live=True, alt="Size of each layer's weight gradient, on a log scale.")
    elif h.step:
        curves.plotly_chart(charts.loss_curves(h.step, h.train_loss, h.test_loss,
                                               h.val_loss if cfg.early_stopping_patience else None),
                            key="pg_loss")
        if cfg.schedule.active:
            curves.plotly_chart(charts.rate_curve(h.step, h.lr, model.learning_rate(), RATE_PX), key="pg_lr_chart")
        grads.plotly_chart(charts.gradient_norms(snap.layer_grad_norms, layer_names), key="pg_grads")
    else:
        curves.info("Press Play or Step to start training: the loss curves appear here.")

    warped_plane(model, feats, train_x, y_train, task, live_now, fed)
    if fed:
        return
    if live_now:  # the metrics table is drawn when paused: a grid widget per frame halves the rate
        table = {"binary": "accuracy, precision, recall and AUC per set", "multiclass": "test accuracy per class",
                 "regression": "the MAE per set"}[task]
        st.caption(f"Pause to see {table}.")
        return
    pred_train = shown(cfg, model.predict(model.x_train))
    if task == "binary":
        prec, rec = metrics.precision_recall(y_test, pred_test > 0.5)
        st.dataframe(pd.DataFrame({
            "set": ["training", "test"],
            "accuracy": [metrics.accuracy(y_train, pred_train > 0.5), metrics.accuracy(y_test, pred_test > 0.5)],
            "precision": [metrics.precision_recall(y_train, pred_train > 0.5)[0], prec],
            "recall": [metrics.precision_recall(y_train, pred_train > 0.5)[1], rec],
            "AUC": [metrics.roc_auc(y_train, pred_train), metrics.roc_auc(y_test, pred_test)],
        }), hide_index=True)
    elif task == "multiclass":
        per = metrics.per_class_accuracy(y_test, pred_test.argmax(axis=1), cfg.n_classes)
        st.dataframe(pd.DataFrame({"class": list(range(cfg.n_classes)), "test accuracy": per}).T,
                     hide_index=False)
    else:
        st.dataframe(pd.DataFrame({
            "set": ["training", "test"],
            "MAE": [metrics.mean_absolute_error(y_train, pred_train), metrics.mean_absolute_error(y_test, pred_test)],
        }), hide_index=True)


WARP_LINES = np.linspace(-charts.DOMAIN, charts.DOMAIN, 13)   # the input grid: every unit from -6 to 6
WARP_POINTS = 61                                               # along each line


def warp_grid() -> np.ndarray:
    """The input plane's grid lines as points: 13 vertical then 13 horizontal, 61 points each."""
    along = np.linspace(-charts.DOMAIN, charts.DOMAIN, WARP_POINTS)
    vertical = [np.column_stack([np.full(WARP_POINTS, c), along]) for c in WARP_LINES]
    horizontal = [np.column_stack([along, np.full(WARP_POINTS, c)]) for c in WARP_LINES]
    return np.concatenate(vertical + horizontal)


def warped_plane(model: MLP, feats: list[str], train_x: np.ndarray, labels: np.ndarray, task: str,
                 live_now: bool, fed: bool) -> None:
    """ConvNetJS's view: the input plane's grid lines and the training points as two neurons of
    a hidden layer see them (their outputs as x and y), redrawn as the network trains."""
    if not st.session_state["pg_warp"]:
        return
    cfg = model.config
    wide = [l + 1 for l, n in enumerate(cfg.hidden) if n >= 2]
    if not fed:
        st.subheader("The plane as a hidden layer sees it", divider="gray")
    if not wide:
        if not fed:
            st.info("The warped plane needs a hidden layer of 2 or more neurons.")
        return
    s = st.session_state
    layer = s["pg_warp_l"] if s["pg_warp_l"] in wide else wide[0]
    width = cfg.hidden[layer - 1]
    i, j = min(s["pg_warp_i"], width), min(s["pg_warp_j"], width)
    picture, side = (None, None) if fed else st.columns([3, 2])
    if side is not None:
        with side:
            st.caption("Every grid line of the input plane (grey, −6 to 6 in steps of 1) and every training point, "
                       "drawn where two neurons of one hidden layer put them: the first neuron's output across, "
                       "the second's up. Training bends the plane until the classes can be cut by a line here.")
            if layer != s["pg_warp_l"] or (i, j) != (s["pg_warp_i"], s["pg_warp_j"]):
                st.caption(f"(Shown: layer {layer}, neurons {i} and {j}: the link's choice is not in this network.)")
    if not render.due("pg_warp_view", 0.2):   # five times a second while playing
        return
    rows = np.concatenate([warp_grid(), train_x])
    block = model.layer_outputs(model.all_units(make_features(rows, feats)))[layer]
    xy = block[:, [i - 1, j - 1]]
    n_grid = 2 * len(WARP_LINES) * WARP_POINTS
    with render.within(picture):
        render.show("scatter", "pg_warp_plot", {
            "xy": render.f32(xy[n_grid:]), "labels": None if task == "regression" else render.u8_codes(labels),
            "lines": render.f32(xy[:n_grid]), "line_len": WARP_POINTS,
            "title": f"Layer {layer}: neuron {i} across, neuron {j} up",
            "x_label": f"neuron {i} ({cfg.activations[layer - 1]})"}, height=WARP_PX, live=live_now,
            alt=f"The input plane's grid and the training points as neurons {i} and {j} of hidden layer {layer} see them.")


INIT_RACE = (("zeros", "Zeros", "zeros", 0.05), ("small", "Too small: N(0, 0.01²)", "normal", 0.01),
             ("large", "Too large: N(0, 4²)", "normal", 4.0), ("xavier", "Xavier", "xavier_uniform", 0.05),
             ("he", "He", "he_normal", 0.05))
CMP_PX = 215      # each of the five output planes


def init_race(model: MLP) -> list[MLP]:
    """The comparison view's five networks: this network's settings and data, five starts. Made
    again when the network would be (its key), kept otherwise (training options follow it)."""
    key = st.session_state.get("pg_model_key")
    held = st.session_state.get("pg_cmp")
    base = model.config
    if held is not None and held[0] == key:
        for m, (_, _, init, scale) in zip(held[1], INIT_RACE):
            wanted = replace(base, init=init, init_scale=scale)
            if m.config != wanted:
                m.set_config(wanted)
        return held[1]
    def given(y: np.ndarray) -> np.ndarray:   # the targets as MLP takes them (it keeps them prepared)
        return y if base.task == "custom" else (y.argmax(axis=1) if base.task == "multiclass" else y[:, 0])
    nets = [MLP(replace(base, init=init, init_scale=scale), model.x_train, given(model.y_train), model.x_test,
                given(model.y_test)) for _, _, init, scale in INIT_RACE]
    st.session_state["pg_cmp"] = (key, nets)
    return nets


def draw_race(nets: list[MLP], feats: list[str], live_now: bool) -> None:
    """Five small output planes, each with its start's name and test loss, and their test-loss curves."""
    cfg = nets[0].config
    task = shown_task(cfg)
    grid_x = charts.grid_features(tuple(feats), GRID)
    train_x, _ = st.session_state["pg_xy"]
    sets = [charts.PointSet(train_x, _labels(nets[0].y_train, task), (255, 255, 255))]
    fed = render.fed()
    cols = [None] * len(nets) if fed else st.columns(len(nets))
    losses = []
    for net, col, (name, label, _, _) in zip(nets, cols, INIT_RACE):
        h = net.history
        test = h.test_loss[-1] if h.test_loss else net.loss(net.x_test, net.y_test)
        losses.append(test)
        out = shown(cfg, net.predict(grid_x))
        plane = output_snapshot(out, sets, task, st.session_state["pg_discrete"])
        plane["title"] = "diverged" if net.status == "diverged" else f"test loss {echo.number(test)}"
        plane["key"] = False   # the colours are the one-network view's; the caption says so
        with render.within(col):
            if not fed:
                st.markdown(f"**{label}**")
            render.show("heatmap", f"pg_cmp_{name}", plane, kept={"sets": plane.pop("kept")}, height=CMP_PX,
                        live=live_now, alt=f"The output plane of the network started with {label}.")
    steps = max((n.history.step for n in nets), key=len)   # one that diverged stopped recording: NaN after
    if steps and render.due("pg_cmp_curves", 0.2):
        padded = [np.concatenate([n.history.test_loss, np.full(len(steps) - len(n.history.test_loss), np.nan)])
                  for n in nets]
        x, *ys = render.thin(steps, *padded, most=150)
        render.show("lines", "pg_cmp_loss", {
            "x": render.f32(x), "x_label": "step (mini-batch updates)", "title": "Test loss (log scale)", "log_y": True,
            "series": [{"label": label.split(":")[0], "colour": charts.SERIES[i % len(charts.SERIES)], "y": render.f32(y)}
                       for i, ((_, label, _, _), y) in enumerate(zip(INIT_RACE, ys))]},
            height=CURVE_PX, live=live_now, alt="Test loss of the five networks over the steps.")
    elif not steps and not fed:
        st.info("Press Play or Step: the five networks train side by side, the same steps on the same data.")
    if not fed:
        st.caption("The same network, data, optimizer and steps; only the initial weights differ (colours as in the "
                   "one-network view: blue class 1, orange class 0). Every setting in the sidebar applies to all "
                   "five; their start is fixed by this view.")


def advance_race(nets: list[MLP]) -> bool:
    """A frame of the comparison: the same steps for each of the five that still trains."""
    def step(k: int, last: bool) -> str:
        alive = [m for m in nets if m.status not in ("diverged", "stopped_early")]
        for m in alive:
            m.step(k)
        return "running" if alive else "diverged"
    live.run_steps("pg_cmp", step, live.wanted_steps(st.session_state["pg_speed"]))
    return any(m.status not in ("diverged", "stopped_early") for m in nets)


def _labels(targets: np.ndarray, task: str) -> np.ndarray:
    if task == "multiclass":
        return targets.argmax(axis=1)
    return targets[:, 0] if task == "regression" else (targets[:, 0] > 0).astype(int)   # 0/1 or -1/+1


def advance(m: MLP) -> bool:
    status = live.run_steps("pg", lambda n, last: m.step(n), live.wanted_steps(st.session_state["pg_speed"]))
    return status not in ("diverged", "stopped_early")


st.session_state["_pg_no_net"] = model is None
if model is None:
    if st.session_state.get("pg_playing"):
        st.session_state["pg_playing"] = False
        st.rerun()   # the button reads Play again: there is nothing to train
    if dataset is not None and not features:   # (data that did not load says why itself)
        main.info("Nothing to train yet: select at least one input feature in the sidebar.", icon=":material/info:")
else:
    with main:
        if "pg_model" not in st.session_state:
            st.rerun()  # Reset: this run rebuilds the network
        render.edits("pg_net", _edit_received)  # a weight or bias typed on the network picture
        if st.session_state["pg_data"] == "draw":
            render.edits("pg_out", _plane_clicked)  # a point drawn on the output plane
        if note := st.session_state.pop("pg_edit_note", None):
            st.toast(note[1], icon=":material/check:" if note[0] == "success" else ":material/warning:")
        STATE.publish()  # before the play loop: the link must be current while it runs
        m: MLP = st.session_state["pg_model"]
        if st.session_state["pg_view"] == "inits":
            race = init_race(m)
            live.play("pg", "pg_playing", lambda: advance_race(race),
                      lambda: draw_race(race, list(features), live_now=bool(st.session_state.get("pg_playing"))),
                      interval_s=0.05, fed=True)
        else:
            live.play("pg", "pg_playing", lambda: advance(m),
                      lambda: draw(m, dataset, list(features), live_now=bool(st.session_state.get("pg_playing"))),
                      interval_s=0.05, fed=True)

STATE.publish()
