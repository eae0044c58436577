"""Recurrent lab: RNN / LSTM / GRU trained live; the gradient through time, gates, text by a unit."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from app import render
from app.state import live, presets, screen, url
from app.state.echo import quote
from app.state.presets import Preset
from app.state.session import warm_engine
from engine import limits, rnn, sequences
from engine.optimizers import OPTIMIZERS
from engine.rnn import CELLS, GATE_NAMES, RECURRENT_INITS, RNN, RNNConfig

TASK_LABELS = {"recall": "Remember the first symbol", "adding": "Adding problem",
               "series": "Price series: predict the next value", "text": "Next character of Shakespeare"}
CELL_LABELS = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}
VIEWS = {"train": "Train one network", "race": "Race: RNN vs LSTM vs GRU"}
SPEEDS = (1, 2, 5, 10, 20, 50, 100)
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)
MAX_T_UI = limits.UI_RNN_MAX_STEPS
MAX_HIDDEN_UI = limits.UI_RNN_MAX_HIDDEN
SHOWN_UNITS = 16      # units per gate drawn over time
DECADES = 8           # |dL/dh_t| drawn on a log scale over this many powers of ten
HISTORY_ROWS = 120    # rows of the |dL/dh_t| history picture
SAMPLE_CHARS = 240
COLOUR_CHARS = 400

FIELDS = [
    url.choice("rnn_view", "train", tuple(VIEWS)),
    url.choice("rnn_task", "recall", sequences.TASKS),
    url.integer("rnn_T", 20, 2, MAX_T_UI),
    url.integer("rnn_window", 60, 2, MAX_T_UI),
    url.integer("rnn_textT", 32, 4, 100),
    url.choice("rnn_source", "generated", ("generated", "upload")),
    url.choice("rnn_cell", "lstm", CELLS),
    url.integer("rnn_hidden", 32, 1, MAX_HIDDEN_UI),
    url.integer("rnn_layers", 1, 1, rnn.MAX_LAYERS),
    url.flag("rnn_peep", False),
    url.flag("rnn_coupled", False),
    url.number("rnn_fbias", 1.0, -5.0, 5.0),
    url.choice("rnn_opt", "adam", OPTIMIZERS),
    url.number("rnn_lr", 0.01, 0.0001, 5.0),
    url.integer("rnn_batch", 32, 1, 128),
    url.integer("rnn_trunc", 0, 0, MAX_T_UI),
    url.number("rnn_clip", 1.0, 0.0, 100.0),
    url.choice("rnn_rinit", "orthogonal", RECURRENT_INITS),
    url.number("rnn_rscale", 1.0, 0.0, 4.0),
    url.integer("rnn_seed", 0, 0, 100_000),
    url.choice("rnn_speed", "10", SPEED_CHOICES),
    url.integer("rnn_unit", 0, 0, MAX_HIDDEN_UI - 1),
    url.integer("rnn_seq", 0, 0, 399),
    url.number("rnn_temp", 0.8, 0.1, 2.0),
    url.text("rnn_prompt", "MENENIUS:\n", 40),
]
STATE = url.PageState("rnn", FIELDS)
DEFAULTS = {f.key: f.default for f in FIELDS}

PRESETS = {
    "vanish": Preset("W_rec small: the gradient vanishes",
                     "A plain RNN whose recurrent weights start at 0.5 × an orthogonal matrix must remember the "
                     "first of 30 symbols. Each step back multiplies the gradient by W_rec and tanh' (both below 1): "
                     "the boxes of the unrolled network go white from right to left and the heatmap's left side "
                     "stays empty. Accuracy stays at chance (25 %).",
                     {"rnn_task": "recall", "rnn_T": 30, "rnn_cell": "rnn", "rnn_rscale": 0.5}),
    "explode": Preset("W_rec large: it explodes, then clip",
                      "The same RNN with W_rec at 3 × orthogonal and no clipping, on the adding problem: the "
                      "gradient grows as it flows back and its norm jumps by orders of magnitude. Set clipping "
                      "to 1 and reset: the steps stay bounded and it learns.",
                      {"rnn_task": "adding", "rnn_T": 30, "rnn_cell": "rnn", "rnn_rscale": 3.0, "rnn_clip": 0.0,
                       "rnn_lr": 0.003}),
    "race": Preset("RNN vs LSTM vs GRU at T = 50",
                   "All three cells, the same task (remember the first of 50 symbols), the same size and "
                   "optimizer. The RNN stays near chance; the LSTM's cell state and the GRU's update gate carry "
                   "the symbol (and its gradient) across all 50 steps.",
                   {"rnn_view": "race", "rnn_task": "recall", "rnn_T": 50, "rnn_rinit": "xavier"}),
    "lstm": Preset("The LSTM remembers for 100 steps",
                   "An LSTM with its forget gate opened at the start (bias 1) remembers the first of 100 symbols. "
                   "Watch the forget gate of the traced sequence stay near 1 (dark) while the noise goes by.",
                   {"rnn_task": "recall", "rnn_T": 100, "rnn_cell": "lstm", "rnn_hidden": 16}),
    "price": Preset("Price predictor: 60 steps back",
                    "As in the course: a series scaled to 0-1, windows of the 60 values before each day, an "
                    "LSTM predicting the next one. The test span (the last 20 %) is drawn with its predictions.",
                    {"rnn_task": "series", "rnn_window": 60, "rnn_cell": "lstm", "rnn_hidden": 32}),
    "text": Preset("Shakespeare, one character at a time",
                   "An LSTM reads windows of 32 characters of Coriolanus and predicts each next one. Samples "
                   "turn from noise into words and speakers' names; the coloured text shows what one unit "
                   "responds to (choose the unit under the text).",
                   {"rnn_task": "text", "rnn_cell": "lstm", "rnn_hidden": 64, "rnn_lr": 0.005, "rnn_batch": 32}),
}
apply_preset = presets.restarter("rnn", PRESETS, DEFAULTS, "rnn_model")

warm_engine("rnn")
screen.header(
    ":material/replay: Recurrent networks",
    "A recurrent network reads a sequence one step at a time and passes a **hidden state** h from each "
    "step to the next: the same cell and the same weights at every step. Unrolled over time it is a deep "
    "network, and **backpropagation through time** sends the gradient back through every step, multiplied "
    "each time by the recurrent weights W_rec and the activation's slope: below 1 it **vanishes**, above 1 "
    "it can **explode**. The **LSTM** adds a cell state that gates (forget, input, output) keep or change, "
    "and the **GRU** an update gate, so the gradient has a path that does not fade.")
STATE.show_problems(STATE.restore())
presets.show("rnn", PRESETS, apply_preset)
st.segmented_control("View", list(VIEWS), key="rnn_view", format_func=VIEWS.get, label_visibility="collapsed")
view = st.session_state["rnn_view"] or "train"


# ---- data -----------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def make_task(kind: str, steps: int, seed: int, upload: bytes | None) -> sequences.SequenceTask:
    if kind == "recall":
        return sequences.recall(2000, steps, seed=seed)
    if kind == "adding":
        return sequences.adding(2000, steps, seed=seed)
    if kind == "series":
        values = sequences.parse_column(upload.decode("utf-8", "replace")) if upload is not None else None
        return sequences.series(values, window=steps, seed=seed)
    return sequences.text(steps, 2000, seed=seed)


def task_steps() -> int:
    s = st.session_state
    return {"recall": s["rnn_T"], "adding": s["rnn_T"], "series": s["rnn_window"], "text": s["rnn_textT"]}[s["rnn_task"]]


def upload_bytes() -> bytes | None:
    if st.session_state["rnn_task"] != "series" or st.session_state["rnn_source"] != "upload":
        return None
    return st.session_state.get("rnn_upload")


def config(cell: str | None = None) -> RNNConfig:
    s = st.session_state
    return RNNConfig(cell=cell or s["rnn_cell"], hidden=s["rnn_hidden"], layers=s["rnn_layers"], peephole=s["rnn_peep"],
                     coupled=s["rnn_coupled"], optimizer=s["rnn_opt"], learning_rate=s["rnn_lr"],
                     batch_size=s["rnn_batch"], truncate=s["rnn_trunc"], clip=s["rnn_clip"],
                     recurrent_init=s["rnn_rinit"], recurrent_scale=s["rnn_rscale"], forget_bias=s["rnn_fbias"],
                     seed=s["rnn_seed"])


def controls() -> None:
    s = st.session_state
    with st.sidebar:
        st.subheader("Task")
        st.selectbox("Task", sequences.TASKS, key="rnn_task", format_func=TASK_LABELS.get,
                     help="Remember / adding: long-range memory, T adjustable (the point of the lab). Price series: "
                          "a window of past values predicts the next. Shakespeare: predict each next character.")
        task = s["rnn_task"]
        if task in ("recall", "adding"):
            st.slider("Sequence length T", 2, MAX_T_UI, key="rnn_T",
                      help="Steps between the information and the answer: a plain RNN loses it as T grows.")
        elif task == "series":
            st.slider("Window (past values)", 2, MAX_T_UI, key="rnn_window",
                      help="How many past values each prediction reads (60 in the course).")
            st.radio("Series", ("generated", "upload"), key="rnn_source", horizontal=True,
                     format_func={"generated": "generated", "upload": "my CSV"}.get,
                     help="Generated: trend + seasons + noise. Or upload one column of numbers (the last column "
                          "of each row is read; a header is skipped).")
            if s["rnn_source"] == "upload":
                file = st.file_uploader("CSV, one column of numbers", type=["csv", "txt"], key="rnn_file",
                                        help=f"Up to {sequences.MAX_SERIES:,} values.")
                if file is not None:
                    raw = file.getvalue()
                    if len(raw) > limits.UI_UPLOAD_MAX_BYTES:
                        s["rnn_upload_error"] = f"{quote(file.name, 40)} is over 5 MB."
                        s.pop("rnn_upload", None)
                    elif hashlib.sha256(raw).hexdigest() != s.get("rnn_upload_digest"):  # parsed once
                        s["rnn_upload_digest"] = hashlib.sha256(raw).hexdigest()
                        try:
                            values = sequences.parse_column(raw.decode("utf-8", "replace"))
                            if values.size < 12:
                                raise ValueError(f"it has {values.size} numbers; at least 12 are needed")
                            s["rnn_upload"], s["rnn_upload_error"], s["rnn_upload_name"] = raw, None, file.name
                        except ValueError as err:
                            s["rnn_upload_error"] = f"Could not use {quote(file.name, 40)}: {err}."
                            s.pop("rnn_upload", None)
        else:
            st.slider("Window (characters)", 4, 100, key="rnn_textT",
                      help="Characters per training sequence; the target at every step is the next character.")
        st.subheader("Network")
        if view == "train":
            st.segmented_control("Cell", CELLS, key="rnn_cell", format_func=CELL_LABELS.get,
                                 help="RNN: h = tanh(W_x x + W_rec h' + b). LSTM: a cell state with forget, input "
                                      "and output gates. GRU: update and reset gates, no separate cell state.")
        c = st.columns(2)
        c[0].number_input("Hidden units", 1, MAX_HIDDEN_UI, key="rnn_hidden", help="Size of h (and of c).")
        c[1].number_input("Layers", 1, rnn.MAX_LAYERS, key="rnn_layers",
                          help="A second layer reads the first one's h at every step.")
        if view == "race" or s["rnn_cell"] == "lstm":
            with st.expander("LSTM options: peepholes, coupled gates, forget bias"):
                st.toggle("Peephole connections", key="rnn_peep",
                          help="The gates also see the cell state (Gers & Schmidhuber).")
                st.toggle("Coupled input and forget gates", key="rnn_coupled",
                          help="Input gate = 1 − forget gate: what is forgotten is what gets written.")
                st.number_input("Forget-gate bias at the start", -5.0, 5.0, step=0.5, key="rnn_fbias",
                                help="1 (the usual advice) starts with the forget gate mostly open: remember by default.")
        st.subheader("Training")
        t = st.columns(2)
        t[0].selectbox("Optimizer", OPTIMIZERS, key="rnn_opt", help="The update rule for every weight.")
        t[1].number_input("Learning rate", 0.0001, 5.0, step=0.001, format="%.4f", key="rnn_lr",
                          help="Step size of each update.")
        u = st.columns(2)
        u[0].number_input("Batch size", 1, 128, key="rnn_batch", help="Sequences per update.")
        u[1].number_input("Clip gradient norm", 0.0, 100.0, step=0.5, key="rnn_clip",
                          help="The whole gradient is scaled down to this norm when longer (0: no clipping).")
        st.number_input("Truncate BPTT after (steps)", 0, MAX_T_UI, key="rnn_trunc",
                        help="Cut the sequence into chunks of this many steps from its end; no gradient crosses "
                             "a chunk's start (0: back through the whole sequence).")
        v = st.columns(2)
        v[0].selectbox("W_rec initial", RECURRENT_INITS, key="rnn_rinit",
                       help="orthogonal: each gate's H × H block a random rotation (all singular values 1); "
                            "xavier: uniform ±√(3/H).")
        v[1].number_input("W_rec scale", 0.0, 4.0, step=0.25, key="rnn_rscale",
                          help="Multiplies the initial W_rec: below 1 the gradient vanishes through time, above 1 "
                               "it can explode.")
        st.number_input("Seed", 0, 100_000, key="rnn_seed", help="Same seed: same weights, same batches.")
        st.caption("Changing a setting starts a new network.")


def build() -> tuple[sequences.SequenceTask, object]:
    s = st.session_state
    task = make_task(s["rnn_task"], task_steps(), s["rnn_seed"], upload_bytes())
    cells = CELLS if view == "race" else (s["rnn_cell"],)
    key = (view, cells, task_steps(), s["rnn_task"], s["rnn_seed"], s.get("rnn_upload_digest") if upload_bytes() else None,
           tuple(config(c) for c in cells))
    if s.get("rnn_model_key") != key or "rnn_model" not in s:
        models = {c: RNN(config(c), task) for c in cells}
        s["rnn_model"] = models if view == "race" else models[cells[0]]
        s["rnn_model_key"] = key
    return task, s["rnn_model"]


# ---- pictures -------------------------------------------------------------------------------------
def log_u8(values: np.ndarray, top: float) -> render.Blob:
    """|values| on a log scale: ``top`` at 255, ``DECADES`` powers of ten below it at 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log10(np.maximum(np.abs(values), 1e-300) / max(top, 1e-300))
    return render.u8(np.clip(v, -DECADES, 0.0), -DECADES, 0.0)


def finite(values) -> np.ndarray:
    """A diverged network's inf / NaN gradients drawn as the largest / no value, never as NaN."""
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=1e300, neginf=0.0)


def ticks(n: int, first: int = 1) -> list[list]:
    spots = sorted({0, n // 4, n // 2, 3 * n // 4, n - 1})
    return [[i, i + first] for i in spots if 0 <= i < n]


def draw_train(m: RNN, task: sequences.SequenceTask, live_now: bool) -> None:
    fed = render.fed()
    h = m.history
    if m.status == "diverged" and not fed:
        st.error("Diverged: the loss or a weight became infinite. Lower the learning rate, turn clipping on "
                 "or make W_rec smaller, then reset.")
    cls = task.loss == "ce"
    score = h.test_score[-1]
    sv = m.recurrent_singular_values(m.config.layers - 1)
    gate = "h" if m.config.cell == "rnn" else "candidate"
    render.metrics("rnn_stats", [
        ("Updates", f"{m.updates:,}", "Mini-batches trained on."),
        ("Training loss", f"{h.train_loss[-1]:.4f}" if np.isfinite(h.train_loss[-1]) else "–",
         "Mean loss of the last frame's batches: cross-entropy for symbols, squared error for values."),
        ("Test loss", f"{h.test_loss[-1]:.4f}", "On 256 sequences never trained on."),
        ("Test accuracy" if cls else "Test MAE", f"{score:.1%}" if cls else f"{score:.4f}",
         "Share of right answers (every step, for text)." if cls else "Mean absolute error, on the 0-1 scale."),
        ("Gradient norm", f"{h.grad_norm[-1]:.3g}" if m.updates else "–",
         "Length of the whole gradient of the last update, before clipping."),
        ("σ_max(W_rec)", f"{sv[gate]:.3f}",
         "Largest singular value of the recurrent weights (the candidate's block for LSTM / GRU): a plain RNN's "
         "gradient shrinks each step back by at most this times tanh' ≤ 1.")], live=live_now, alt="Training metrics")
    dh = finite(h.dh_norms[-1])
    top = float(np.max(dh)) if np.any(dh > 0) else 1.0
    render.show("unrolled", "rnn_unrolled", {
        "title": f"Unrolled over {task.steps} steps: shade = |∂L/∂h_t| of the last update",
        "cell": CELL_LABELS[m.config.cell].split(" ")[0], "T": task.steps, "many": task.many_to_many,
        "layers": m.config.layers, "dh": log_u8(dh, top),
        "note": (f"dark: large, white: {DECADES} powers of ten smaller. " if m.updates else
                 "No update yet: press Play or Step to see the gradient. ") + "Red: where the loss is read."},
        height=200, live=live_now, alt="The network unrolled over time, each step shaded by its gradient.")
    a, b = (None, None) if fed else st.columns(2)
    if render.due("rnn_history", 0.2):
        rows = h.dh_norms[1:] or h.dh_norms
        pick = np.unique(np.linspace(0, len(rows) - 1, min(HISTORY_ROWS, len(rows))).round().astype(int))
        grid = finite([rows[i] for i in pick])
        tops = np.maximum(grid.max(axis=1, keepdims=True), 1e-300)
        with render.within(a):
            render.show("grid", "rnn_dh_history", {
                "title": "|∂L/∂h_t| through training", "legend": "each row scaled to its own largest (dark)",
                "rows": len(pick), "cols": task.steps, "scale": "magnitude", "cells": log_u8(grid / tops, 1.0),
                "x_ticks": ticks(task.steps), "x_label": "time step t", "y_label": "training →",
                **({"y_first": f"{h.updates[1]:,}", "y_last": f"{h.updates[-1]:,}"} if m.updates else
                   {"empty": "Press Play or Step to train."})}, height=280, live=live_now,
                alt="How large the gradient is at each time step, for updates through training.")
        t_axis = np.arange(1, task.steps + 1, dtype=float)
        with render.within(b):
            render.show("lines", "rnn_dh_profile", {
                "x": render.f32(t_axis if m.updates else t_axis[:0]), "x_label": "time step t", "log_y": True,
                **({} if m.updates else {"empty": "Press Play or Step to train."}),
                "title": "|∂L/∂h_t| of the last update (log scale)",
                "series": [{"label": CELL_LABELS[m.config.cell], "colour": "#0877bd",
                            "y": render.f32(np.maximum(dh, 1e-30))}]},
                height=280, live=live_now, alt="The gradient's size at each time step, on a log scale.")
    c, d = (None, None) if fed else st.columns(2)
    if render.due("rnn_curves", 0.2):
        ups, tr, te, gn = render.thin(np.asarray(h.updates[1:], float), np.asarray(h.train_loss[1:], float),
                                      np.asarray(h.test_loss[1:], float), np.asarray(h.grad_norm[1:], float), most=200)
        with render.within(c):
            render.show("lines", "rnn_loss", {
                "x": render.f32(ups), "x_label": "updates", "log_y": True, "title": "loss",
                "series": [{"label": "training", "colour": "#0877bd", "y": render.f32(tr)},
                           {"label": "test", "colour": "#f59322", "y": render.f32(te)}],
                **({"empty": "Press Play or Step to train."} if len(ups) == 0 else {})},
                height=240, live=live_now, alt="Training and test loss over the updates.")
        with render.within(d):
            render.show("lines", "rnn_gradnorm", {
                "x": render.f32(ups), "x_label": "updates", "log_y": True,
                "title": "gradient norm before clipping" + (f" (clipped to {m.config.clip:g})" if m.config.clip else ""),
                "series": [{"label": "|gradient|", "colour": "#d62728", "y": render.f32(np.maximum(gn, 1e-30))}],
                **({"empty": "Press Play or Step to train."} if len(ups) == 0 else {})},
                height=240, live=live_now, alt="The gradient's norm over the updates.")
    draw_task(m, task, live_now, fed)
    draw_gates(m, task, live_now, fed)


def traced_row(task: sequences.SequenceTask) -> int:
    n_test = len(task) - task.n_train
    return task.n_train + int(st.session_state["rnn_seq"]) % max(1, n_test)


def draw_task(m: RNN, task: sequences.SequenceTask, live_now: bool, fed: bool) -> None:
    kind = task.name
    if kind == "series":
        n_test = len(task) - task.n_train
        rows = np.arange(task.n_train, len(task))
        if render.due("rnn_pred", 0.25):
            out, _ = m.outputs(rows)
            x = np.arange(task.n_train, len(task), dtype=float) + task.steps
            lo, hi = task.scale
            render.show("lines", "rnn_pred", {
                "x": render.f32(x), "x_label": "time (test span: the last 20 %)",
                "title": f"next value: truth and prediction ({n_test} test days, original units)",
                "series": [{"label": "truth", "colour": "#5a5a5a", "y": render.f32(lo + (hi - lo) * task.y[rows, 0, 0])},
                           {"label": "predicted", "colour": "#0877bd", "y": render.f32(lo + (hi - lo) * out[:, 0, 0])}]},
                height=260, live=live_now, alt="The test span of the series with the network's predictions.")
    elif kind == "adding":
        rows = np.arange(task.n_train, task.n_train + 40)
        if render.due("rnn_pred", 0.25):
            out, _ = m.outputs(rows)
            render.show("lines", "rnn_pred", {
                "x": render.f32(np.arange(1, 41, dtype=float)), "x_label": "test sequence", "dots": True,
                "title": "sum of the two marked values: target and answer",
                "series": [{"label": "target", "colour": "#5a5a5a", "y": render.f32(task.y[rows, 0, 0])},
                           {"label": "answer", "colour": "#0877bd", "y": render.f32(out[:, 0, 0])}]},
                height=240, live=live_now, alt="Targets and the network's answers for 40 test sequences.")
    elif kind == "recall":
        row = traced_row(task)
        out, _ = m.outputs([row])
        first = task.vocab[int(task.yi[row, 0])]
        said = int(out[0, 0].argmax())
        render.show("bars", "rnn_pred", {
            "scale": "linear", "values": render.f32(out[0, 0]), "labels": list(task.vocab[:task.n_out]),
            "title": f"Test sequence #{row - task.n_train}: it began with {first}; the network says "
                     f"{task.vocab[said]} ({out[0, 0, said]:.0%})"},
            height=200, live=live_now, alt="The network's probability for each first symbol.")
    else:
        if render.due("rnn_sample", 1.0):
            prompt = st.session_state["rnn_prompt"] or "\n"
            sample = m.generate(prompt, SAMPLE_CHARS, float(st.session_state["rnn_temp"]), seed=m.updates)
            render.show("chars", "rnn_sample", {
                "title": f"Sampled after “{prompt.strip() or '↵'}” (temperature {st.session_state['rnn_temp']:g})",
                "text": prompt + sample, "size": 15}, height=230, live=live_now,
                alt="Text sampled from the network one character at a time.")
        if render.due("rnn_colour", 0.5):
            body = sequences.load_text()
            start = int(len(body) * 0.9)
            snippet = body[start:start + COLOUR_CHARS]
            unit = int(st.session_state["rnn_unit"]) % m.config.hidden
            hv = m.unit_over_text(snippet, m.config.layers - 1)[:, unit]
            render.show("chars", "rnn_colour", {
                "title": f"Unit {unit} of the top layer over unseen text: blue h ≈ +1, orange h ≈ −1",
                "text": snippet, "values": render.u8(hv), "size": 15,
                "note": "As in the course's LSTM practical intuition: some units track quotes, line ends or words."},
                height=260, live=live_now, alt="Text coloured by one hidden unit's value at each character.")


def draw_gates(m: RNN, task: sequences.SequenceTask, live_now: bool, fed: bool) -> None:
    if not render.due("rnn_gates", 0.25):
        return
    row = traced_row(task) if task.name != "text" else task.n_train
    _, tr = m.outputs([row], trace=0)
    layer = m.config.layers - 1
    H, T = m.config.hidden, task.steps
    k = min(SHOWN_UNITS, H)
    names = GATE_NAMES[m.config.cell]
    gates, bands = [], []
    for g, name in enumerate(names):
        if name in ("candidate", "h"):
            continue
        bands.append([name, len(gates) * k, k])
        gates.append(tr["gates"][layer, :, g * H:g * H + k].T)
    states = [("h", tr["h"][layer, :, :k].T)]
    if m.config.cell == "lstm":
        states.append(("c / 2", np.clip(tr["c"][layer, :, :k].T / 2, -1, 1)))
    a, b = (None, None) if fed else st.columns(2)
    title_seq = f"test sequence #{row - task.n_train}" if task.name != "text" else "a test window"
    if gates:
        with render.within(a):
            render.show("grid", "rnn_gates", {
                "title": f"Gates over time: {title_seq}", "legend": f"units 1-{k}; white 0 (closed), dark 1 (open)",
                "rows": len(gates) * k, "cols": T, "scale": "magnitude",
                "cells": render.u8(np.concatenate(gates), 0.0, 1.0), "bands": bands,
                "x_ticks": ticks(T), "x_label": "time step t"},
                height=300, live=live_now, alt="Each gate's value for the shown units at every time step.")
    with render.within(b if gates else a):
        render.show("grid", "rnn_states", {
            "title": f"State over time: {title_seq}", "legend": f"units 1-{k}; orange −1, blue +1",
            "rows": len(states) * k, "cols": T, "scale": "signed",
            "cells": render.u8(np.concatenate([s for _, s in states])),
            "bands": [[name, i * k, k] for i, (name, _) in enumerate(states)],
            "x_ticks": ticks(T), "x_label": "time step t"},
            height=300, live=live_now, alt="The hidden state (and the LSTM's cell state) at every time step.")


def draw_race(models: dict[str, RNN], task: sequences.SequenceTask, live_now: bool) -> None:
    fed = render.fed()
    cls = task.loss == "ce"
    items = []
    for cell, m in models.items():
        score = m.history.test_score[-1]
        items.append((f"{CELL_LABELS[cell]}: test {'accuracy' if cls else 'MAE'}",
                      f"{score:.1%}" if cls else f"{score:.4f}",
                      f"After {m.updates:,} updates{' (diverged)' if m.status == 'diverged' else ''}."))
    render.metrics("rnn_race_stats", items, live=live_now, alt="Each cell's test score")
    colours = {"rnn": "#d62728", "lstm": "#0877bd", "gru": "#2ca02c"}
    a, b = (None, None) if fed else st.columns(2)
    if render.due("rnn_race_curves", 0.2):
        first = next(iter(models.values()))
        ups = np.asarray(first.history.updates[1:], float)
        series = []
        for cell, m in models.items():
            n = min(len(ups), len(m.history.test_loss) - 1)
            series.append({"label": CELL_LABELS[cell], "colour": colours[cell],
                           "y": render.f32(np.asarray(m.history.test_loss[1:n + 1], float))})
        with render.within(a):
            render.show("lines", "rnn_race_loss", {
                "x": render.f32(ups), "x_label": "updates", "log_y": True, "title": "test loss", "series": series,
                **({"empty": "Press Play to start the race."} if len(ups) == 0 else {})},
                height=300, live=live_now, alt="Each cell's test loss over the updates.")
        t_axis = np.arange(1, task.steps + 1, dtype=float)
        with render.within(b):
            render.show("lines", "rnn_race_dh", {
                "x": render.f32(t_axis if first.updates else t_axis[:0]), "x_label": "time step t", "log_y": True,
                **({} if first.updates else {"empty": "Press Play to start the race."}),
                "title": "|∂L/∂h_t| of each cell's last update (log scale)",
                "series": [{"label": CELL_LABELS[c], "colour": colours[c],
                            "y": render.f32(np.maximum(finite(m.history.dh_norms[-1]), 1e-30))} for c, m in models.items()]},
                height=300, live=live_now, alt="How much gradient reaches each time step, per cell.")
    for cell, m in models.items():
        dh = finite(m.history.dh_norms[-1])
        top = float(np.max(dh)) if np.any(dh > 0) else 1.0
        render.show("unrolled", f"rnn_race_unrolled_{cell}", {
            "title": f"{CELL_LABELS[cell]} unrolled: |∂L/∂h_t|", "cell": CELL_LABELS[cell].split(" ")[0], "T": task.steps,
            "many": task.many_to_many, "layers": m.config.layers, "dh": log_u8(dh, top)},
            height=150, live=live_now, alt=f"The {cell} unrolled over time, shaded by its gradient.")


# ---- the page -------------------------------------------------------------------------------------
controls()
if st.session_state["rnn_task"] == "series" and st.session_state["rnn_source"] == "upload":
    if st.session_state.get("rnn_upload_error"):
        st.error(st.session_state["rnn_upload_error"])
    elif upload_bytes() is None:
        st.info("Upload a CSV with one column of numbers in the sidebar; the generated series is used until then.")
try:
    task, model = build()
except ValueError as err:
    if upload_bytes() is None:
        st.error(f"Cannot build this network: {err}")
    else:
        st.error(f"Could not use {quote(st.session_state.get('rnn_upload_name', 'the upload'), 40)}: {err}.")
    STATE.publish()
    st.stop()

st.caption(task.note)


def advance() -> bool:
    s = st.session_state
    m = s["rnn_model"]
    if isinstance(m, dict):  # the race: one update of each cell per step
        def step_all(n: int, last: bool) -> str:
            for one in m.values():
                n_one = min(n, one.most_updates_per_call)
                one.step(n_one, record=last)
            return "running" if any(one.status == "running" for one in m.values()) else "diverged"
        most = min(one.most_updates_per_call for one in m.values())
        return live.run_steps("rnn", step_all, live.wanted_steps(s["rnn_speed"]), most=most) == "running"
    return live.run_steps("rnn", lambda n, last: m.step(n, record=last), live.wanted_steps(s["rnn_speed"]),
                          most=m.most_updates_per_call) == "running"


def step_once() -> None:
    m = st.session_state["rnn_model"]
    for one in (m.values() if isinstance(m, dict) else (m,)):
        one.step(1)


live.transport("rnn", "rnn_playing", on_step=step_once, on_reset=lambda: st.session_state.pop("rnn_model", None),
               play_help="Train continuously, as many updates per frame as fit.",
               step_help="One mini-batch update, then pause.",
               reset_help="New weights from the seed; keeps every setting.",
               extras=lambda: st.select_slider("Updates per frame", SPEED_CHOICES, key="rnn_speed",
                                               label_visibility="collapsed",
                                               format_func=lambda v: f"{v} updates per frame",
                                               help="Training speed: updates between two redraws ('auto': as "
                                                    "many as fit in a frame)."))
if "rnn_model" not in st.session_state:
    st.rerun()
model = st.session_state["rnn_model"]
with st.sidebar:
    st.subheader("What is drawn")
    if task.name == "text":
        st.number_input("Unit to colour the text by", 0, MAX_HIDDEN_UI - 1, key="rnn_unit",
                        help="Which hidden unit of the top layer colours the text below the samples.")
        st.slider("Sampling temperature", 0.1, 2.0, step=0.1, key="rnn_temp",
                  help="Below 1: safer, more repetitive text; above 1: more adventurous, more mistakes.")
        st.text_input("Start the samples with", key="rnn_prompt", max_chars=40,
                      help="The sample continues this text (characters not in the play are skipped).")
    else:
        st.number_input("Test sequence to trace", 0, 399, key="rnn_seq",
                        help="Its gates and hidden state are drawn over time.")
STATE.publish()
if view == "race":
    live.play("rnn", "rnn_playing", advance,
              lambda: draw_race(model, task, live_now=bool(st.session_state.get("rnn_playing"))),
              interval_s=0.06, fed=True)
else:
    live.play("rnn", "rnn_playing", advance,
              lambda: draw_train(model, task, live_now=bool(st.session_state.get("rnn_playing"))),
              interval_s=0.06, fed=True)
STATE.publish()
