"""Gradient descent & optimizers: watch the ball roll, race the optimizers, sweep the learning rate."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from app import render
from app.charts import optimizers as charts
from app.state import live, presets, screen, url
from app.state.echo import quote
from app.state.session import warm_engine
from engine.landscape import DATASETS as NET_DATASETS
from engine.landscape import LandscapeConfig, NetworkLandscape
from engine.optimizers import HYPERPARAMETERS, OPTIMIZERS, OptimizerConfig
from engine.surfaces import MAX_RACERS, SURFACES, VIRTUAL_SAMPLES, Racer, race

MODES = {"race": "Optimizer race", "lr": "Learning-rate explorer", "curve": "Ball on a curve (1-D)"}
SURFACE_CHOICES = (*SURFACES, "network")
SURFACE_LABELS = {**{k: s.label for k, s in SURFACES.items()}, "network": "A small network's loss"}
OPT_LABELS = {"gd": "GD", "sgd": "SGD (mini-batch)", "momentum": "Momentum", "nesterov": "Nesterov",
              "adagrad": "AdaGrad", "rmsprop": "RMSprop", "adam": "Adam", "adadelta": "Adadelta", "nadam": "Nadam"}
STEPS = (20, 50, 100, 200, 300, 500, 1000, 2000)
SPEEDS = (1, 2, 5, 10, 20, 50)
CONDITIONING = (1, 2, 5, 10, 20, 50, 100)
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, VIRTUAL_SAMPLES)
SPANS = (0.25, 0.5, 1.0, 2.0)
HYPER_FIELDS = [(name, p) for name in OPTIMIZERS for p in HYPERPARAMETERS[name] if p != "lr"]
HYPER_LIMITS = {"momentum": (0.0, 0.999), "beta1": (0.0, 0.999), "beta2": (0.0, 0.9999), "rho": (0.0, 0.999),
                "eps": (1e-12, 1.0)}
HYPER_HELP = {"momentum": "μ: how much of the last step carries into this one (0 = plain GD).",
              "beta1": "β₁: memory of the gradient's running mean (momentum).",
              "beta2": "β₂: memory of the running mean of squared gradients (per-parameter scale).",
              "rho": "ρ: memory of the running mean of squared gradients.",
              "eps": "ε: keeps the division finite where the gradient history is ~0."}
MAX_LR_ENTRIES = 6
BOWL_LRS = "0.01, 0.1, 0.19, 0.21"  # around 2/curvature = 0.2 on the default bowl


def _default_hyper(name: str, p: str) -> float:
    return getattr(SURFACES["bowl"].suggested(name), p)


def _lr_list(text: str) -> list[float]:
    parts = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if not parts:
        raise ValueError("give at least one learning rate")
    if len(parts) > MAX_LR_ENTRIES:
        raise ValueError(f"give at most {MAX_LR_ENTRIES} learning rates")
    out = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{quote(part)} is not a number") from None
        if not (math.isfinite(value) and 0 < value <= 100):
            raise ValueError(f"{quote(part)} is not a learning rate between 0 and 100")
        out.append(value)
    return out


def _lr_text_field(key: str, default: str) -> url.Field:
    def parse(text: str) -> str:
        _lr_list(text)
        return text
    return url.Field(key, default, parse)


FIELDS = [
    url.choice("op_mode", "race", tuple(MODES)),
    url.choice("op_surface", "bowl", SURFACE_CHOICES),
    url.choice("op_kappa", "10", tuple(map(str, CONDITIONING))),
    url.choice("op_net_data", "xor", NET_DATASETS),
    url.choice("op_net_dir", "random", ("random", "weights")),
    url.integer("op_net_wa", 0, 0, 16),
    url.integer("op_net_wb", 1, 0, 16),
    url.choice("op_net_span", "1.0", tuple(map(str, SPANS))),
    url.choice_list("op_racers", ["gd", "momentum", "rmsprop", "adam"], OPTIMIZERS),
    url.choice("op_steps", "200", tuple(map(str, STEPS))),
    url.choice("op_speed", "2", tuple(map(str, SPEEDS))),
    url.choice("op_batch", "16", tuple(map(str, BATCHES))),
    url.integer("op_seed", 0, 0, 100_000),
    url.choice("op_lx_opt", "gd", OPTIMIZERS),
    _lr_text_field("op_lx_lrs", BOWL_LRS),
    url.flag("op_3d", False),
    *[url.number(f"op_{n}_{p}", _default_hyper(n, p), *HYPER_LIMITS[p]) for n, p in HYPER_FIELDS],
]
STATE = url.PageState("optimizers", FIELDS)


# ---- surface-relative settings: the start point and each optimizer's learning rate ------------
# Their sensible values depend on the surface (Rosenbrock wants lr 0.001, the bowl 0.1), so the
# link carries them only where they differ from the surface's own suggestion: op_start=x,y and
# op_lr=name:value,...  A new surface resets them to its suggestions.
def current_surface():
    name = st.session_state["op_surface"]
    if name == "network":
        return landscape()
    return SURFACES[name].with_conditioning(float(st.session_state["op_kappa"]))


def landscape_config() -> LandscapeConfig:
    s = st.session_state
    return LandscapeConfig(dataset=s["op_net_data"], directions=s["op_net_dir"], weight_a=int(s["op_net_wa"]),
                           weight_b=int(s["op_net_wb"]), span=float(s["op_net_span"]), seed=int(s["op_seed"]))


def memo(slot: str, key, build):
    """The session's last ``build()`` stored under ``slot``, rebuilt only when ``key`` changes."""
    cached = st.session_state.get(slot)
    if cached is None or cached[0] != key:
        cached = (key, build())
        st.session_state[slot] = cached
    return cached[1]


def landscape() -> NetworkLandscape:
    """The session's network landscape (training it takes a moment, so it is kept)."""
    config = landscape_config()
    return memo("_op_landscape", config, lambda: NetworkLandscape(config))


RELATIVE_KEYS = ("op_x0", "op_y0", *(f"op_lr_{name}" for name in OPTIMIZERS))


def suggest_relative(surface) -> None:
    """The surface's own start point and learning rates."""
    st.session_state["op_x0"], st.session_state["op_y0"] = (float(v) for v in surface.start)
    for name in OPTIMIZERS:
        st.session_state[f"op_lr_{name}"] = surface.suggested(name).lr


def suggest_sweep(surface) -> None:
    """Learning rates for the explorer: a tenth of, equal to, 3x and 10x the suggested one (on the
    default bowl with GD, the classic 0.01, 0.1, 0.19, 0.21 around the 2/curvature limit)."""
    opt = st.session_state.get("op_lx_opt", "gd")
    base = surface.suggested(opt).lr
    classic = getattr(surface, "name", "") == "bowl" and opt == "gd" and surface.param == 10
    st.session_state["op_lx_lrs"] = BOWL_LRS if classic else ", ".join(f"{base * f:.3g}" for f in (0.1, 1, 3, 10))


def on_surface_change() -> None:
    st.session_state["op_playing"] = False
    st.session_state["op_t"] = 0
    st.session_state["op_note"] = None
    try:
        surface = current_surface()
    except ValueError:
        return  # reported where the surface is built
    suggest_relative(surface)
    suggest_sweep(surface)


def restore_relative() -> list[str]:
    """Seed start point and learning rates; returns problems with the link.

    First visit: the surface's suggestions, overridden by the link. Later runs: the last values,
    for widgets Streamlit dropped while they were not on screen (another view, another page).
    """
    kept = st.session_state.get("_op_kept_relative")
    if kept is not None:
        for key, value in kept.items():
            st.session_state.setdefault(key, value)
        return []
    problems = []
    suggest_relative(current_surface())
    raw = st.query_params.get("op_start")
    if raw is not None:
        try:
            x, y = (float(v) for v in raw.split(","))
            if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 1e3 and abs(y) <= 1e3):
                raise ValueError
            st.session_state["op_x0"], st.session_state["op_y0"] = x, y
        except ValueError:
            problems.append("`op_start` must be two numbers like 1.5,-2; using the surface's start")
    raw = st.query_params.get("op_lr")
    if raw is not None:
        for item in raw.split(",")[:len(OPTIMIZERS)]:
            name, _, value = item.partition(":")
            try:
                lr = float(value)
                if name not in OPTIMIZERS or not (math.isfinite(lr) and 0 < lr <= 100):
                    raise ValueError
                st.session_state[f"op_lr_{name}"] = lr
            except ValueError:
                problems.append(f"`op_lr` item {quote(item)} is not name:rate; using the suggested rate")
    return problems


def publish_relative(surface) -> None:
    s = st.session_state
    kept = {key: s[key] for key in RELATIVE_KEYS}
    s["_op_kept_relative"] = kept
    extra = {}
    if (float(s["op_x0"]), float(s["op_y0"])) != tuple(float(v) for v in surface.start):
        extra["op_start"] = f"{s['op_x0']:g},{s['op_y0']:g}"
    changed = [f"{n}:{s[f'op_lr_{n}']:g}" for n in OPTIMIZERS
               if not math.isclose(s[f"op_lr_{n}"], surface.suggested(n).lr)]
    if changed:
        extra["op_lr"] = ",".join(changed)
    STATE.publish(extra)


# ---- presets -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    title: str
    note: str
    settings: dict
    relative: dict  # start point and learning rates, set after the surface's suggestions


PRESETS = {
    "ravine": Preset(
        "Momentum crosses the ravine",
        "In a narrow ravine (κ = 100) the learning rate must stay below 2/100 or GD bounces off the steep "
        "walls, so along the flat floor it crawls. Momentum (μ = 0.8) adds up the steady pull along the "
        "floor while the zig-zags across it cancel: it arrives in a fraction of GD's steps.",
        {"op_mode": "race", "op_surface": "bowl", "op_kappa": "100", "op_racers": ["gd", "momentum"],
         "op_steps": "300", "op_momentum_momentum": 0.8},
        {"op_x0": -4.5, "op_y0": 1.0, "op_lr_gd": 0.019, "op_lr_momentum": 0.019}),
    "adagrad": Preset(
        "AdaGrad's steps shrink to nothing",
        "AdaGrad divides by the root of every squared gradient so far; that sum only grows, so its "
        "steps shrink until it stalls far from the minimum. RMSprop and Adam forget old gradients and "
        "keep moving. Watch the step-size chart below the race.",
        {"op_mode": "race", "op_surface": "bowl", "op_kappa": "10", "op_racers": ["adagrad", "rmsprop", "adam"],
         "op_steps": "300"},
        {"op_lr_adagrad": 0.1, "op_lr_rmsprop": 0.1, "op_lr_adam": 0.1}),
    "saddle": Preset(
        "Adam escapes the saddle",
        "Starting a hair off the ridge, the slope towards either minimum is tiny, so GD's steps are tiny "
        "and it lingers at the saddle. Adam rescales each coordinate by its own gradient size, takes "
        "full-size steps off the ridge at once and is gone.",
        {"op_mode": "race", "op_surface": "saddle", "op_racers": ["gd", "adam"], "op_steps": "200"},
        {"op_x0": 2.0, "op_y0": 0.001, "op_lr_gd": 0.05, "op_lr_adam": 0.05}),
    "diverge": Preset(
        "Too large a learning rate diverges",
        "Along y the bowl curves 10 times faster, so any rate above 2/10 = 0.2 overshoots further "
        "each step. 0.01 is too slow, 0.1 is right, 0.19 zig-zags but settles, 0.21 flies off.",
        {"op_mode": "lr", "op_surface": "bowl", "op_kappa": "10", "op_lx_opt": "gd", "op_lx_lrs": BOWL_LRS,
         "op_steps": "200", "op_speed": "5"}, {}),
    "trap": Preset(
        "A local minimum traps plain GD",
        "From the top-right corner GD slides into the nearest valley and stops: the gradient there is "
        "zero. Momentum (μ = 0.95) arrives with speed, rolls over the ridge and settles in the global "
        "minimum at (−2.9, −2.9).",
        {"op_mode": "race", "op_surface": "local_minima", "op_racers": ["gd", "momentum"], "op_steps": "500",
         "op_momentum_momentum": 0.95},
        {"op_x0": 4.5, "op_y0": 4.5, "op_lr_gd": 0.02, "op_lr_momentum": 0.02}),
    "ball": Preset(
        "The ball on a curve",
        "The course's picture: one weight, the loss as a curve, and gradient descent as a ball that looks "
        "at the slope under it and steps downhill, one circle per step. From the right it stops in the "
        "local valley; move the start left of the hump and it finds the deeper one.",
        {"op_mode": "curve", "op_surface": "local_minima", "op_racers": ["gd"], "op_steps": "100"},
        {"op_x0": 4.5, "op_y0": -2.903534, "op_lr_gd": 0.02}),
}


def apply_preset(name: str) -> None:
    preset = PRESETS[name]
    for f in FIELDS:
        st.session_state[f.key] = f.default
    st.session_state.update(preset.settings)
    suggest_relative(current_surface())
    st.session_state.update(preset.relative)
    st.session_state["op_note"] = name
    st.session_state["op_t"] = 0
    st.session_state["op_playing"] = True


RACE_PX = 450  # the contour and its loss curves, playing and paused alike: in view at 1280 x 720

# ---- the page ------------------------------------------------------------------------------
warm_engine("mlp")  # the small network's loss landscape trains an MLP
screen.header(":material/trending_down: Gradient descent & optimizers")
problems = STATE.restore()
try:
    problems += restore_relative()
except ValueError as err:
    problems.append(str(err))
url.hold(RELATIVE_KEYS)
STATE.show_problems(problems)

presets.show("op", PRESETS, apply_preset)

mode = st.segmented_control("View", tuple(MODES), format_func=MODES.get, key="op_mode", label_visibility="collapsed",
                            help="Race several optimizers; sweep one optimizer's learning rate; or watch "
                                 "one weight roll down a 1-D slice of the loss.")
mode = mode or "race"
left, main = st.sidebar, st.container()  # settings in the sidebar: the race stays in view

with left:
    st.subheader("Surface")
    st.selectbox("Loss surface", SURFACE_CHOICES, format_func=SURFACE_LABELS.get, key="op_surface",
                 on_change=on_surface_change,
                 help="The function the optimizers minimise: x and y are two parameters, colour is the loss.")
    if st.session_state["op_surface"] == "bowl":
        st.select_slider("Conditioning κ", tuple(map(str, CONDITIONING)), key="op_kappa", on_change=on_surface_change,
                         help="How much faster the bowl curves along y than along x. κ = 1 is round; a "
                              "large κ is a narrow ravine where GD zig-zags.")
    if st.session_state["op_surface"] == "network":
        st.selectbox("Data the network learned", NET_DATASETS, key="op_net_data", on_change=on_surface_change,
                     help="A 2-4-1 tanh network is trained on this data; its loss is the surface.")
        st.radio("Directions", ("random", "weights"), key="op_net_dir", horizontal=True, on_change=on_surface_change,
                 format_func={"random": "random (filter-normalised)", "weights": "two weights"}.get,
                 help="Two random directions through the trained weights, each neuron's part scaled "
                      "to that neuron's weights (Li et al. 2018); or two single weights, the others fixed.")
        if st.session_state["op_net_dir"] == "weights":
            names = NetworkLandscape(LandscapeConfig(train_steps=0)).names  # cheap: names only
            a, b = st.columns(2)
            a.selectbox("Weight on x", range(len(names)), format_func=names.__getitem__, key="op_net_wa",
                        on_change=on_surface_change, help="Which weight the x axis moves.")
            b.selectbox("Weight on y", range(len(names)), format_func=names.__getitem__, key="op_net_wb",
                        on_change=on_surface_change, help="Which weight the y axis moves.")
        st.select_slider("Window", tuple(map(str, SPANS)), key="op_net_span", on_change=on_surface_change,
                         help="How far from the trained weights the picture reaches.")
    try:
        surface = current_surface()
    except ValueError as err:
        st.error(f"This surface cannot be built: {err}", icon=":material/error:")
        st.stop()
    st.caption(surface.about)
    st.subheader("Start and run")
    a, b = st.columns(2)
    a.number_input("start x", -1e3, 1e3, step=0.1, format="%.3f", key="op_x0",
                   help="Where every optimizer starts. Type it, or click on the contour plot when paused.")
    b.number_input("start y", -1e3, 1e3, step=0.1, format="%.3f", key="op_y0",
                   help="Where every optimizer starts (in the 1-D view: the slice the curve is cut at).")
    st.select_slider("Steps", tuple(map(str, STEPS)), key="op_steps",
                     help="How many updates each optimizer makes.")
    st.select_slider("Animation speed (steps per frame)", tuple(map(str, SPEEDS)), key="op_speed",
                     help="How many steps each frame of the animation advances while playing.")
    st.select_slider("SGD mini-batch size", tuple(map(str, BATCHES)), key="op_batch",
                     help=f"SGD sees the gradient of a random batch, not of all {VIRTUAL_SAMPLES} samples: "
                          "the smaller the batch, the noisier its steps (at the full batch it is GD). "
                          "On the network surface these are real mini-batches of its data.")
    st.number_input("Seed", 0, 100_000, step=1, key="op_seed",
                    help="Fixes SGD's batches (and the network and its directions): same seed, same run.")


# where our rules differ from what PyTorch and Keras do (engine.optimizers has the formulas)
RULE_NOTES = {
    "nadam": "Nadam here is Adam with a Nesterov look-ahead and a constant β₁. PyTorch's NAdam and Keras' "
             "Nadam also ramp the momentum weight up from about β₁/2 over some 10,000 steps, so their "
             "first steps lean less on momentum.",
    "momentum": "PyTorch's form: v = μv + g, then a step of η·v (Keras writes v = μv − ηg; the same path "
                "while η stays fixed).",
    "nesterov": "The look-ahead form: v = μv + g, then a step of η(g + μv).",
    "adam": "ε is added outside the square root, as PyTorch (ε = 1e-8) and Keras (1e-7) do.",
}


def normalised(values: np.ndarray) -> np.ndarray:
    """Values scaled to [0, 1] (NaN as 1: off the chart's top)."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return np.nan_to_num((values - lo) / (hi - lo + 1e-12), nan=1.0)


def racer_controls(names: list[str], lr_editable: bool = True) -> None:
    """Per-optimizer hyper-parameters, each under its own colour."""
    for name in names:
        params = [p for p in HYPERPARAMETERS[name] if p != "lr" or lr_editable]
        if not params:
            continue
        colour = charts.COLOURS[name]
        st.markdown(f"<span style='color:{colour};font-weight:700;font-size:1.1rem'>● {OPT_LABELS[name]}</span>",
                    unsafe_allow_html=True, help=RULE_NOTES.get(name))
        cols = st.columns(2)  # two to a row: this sits in the sidebar
        for i, p in enumerate(params):
            key = f"op_lr_{name}" if p == "lr" else f"op_{name}_{p}"
            if p == "lr":
                cols[i % 2].number_input("learning rate", 1e-6, 100.0, step=0.001, format="%g", key=key,
                                         help="The step size multiplier η.")
            else:
                lo, hi = HYPER_LIMITS[p]
                cols[i % 2].number_input({"momentum": "μ", "beta1": "β₁", "beta2": "β₂", "rho": "ρ",
                                          "eps": "ε"}[p], lo, hi, step=1e-8 if p == "eps" else 0.01,
                                         format="%g", key=key, help=HYPER_HELP[p])


def optimizer_config(name: str, lr: float | None = None) -> OptimizerConfig:
    s = st.session_state
    extra = {p: float(s[f"op_{name}_{p}"]) for p in HYPERPARAMETERS[name] if p != "lr"}
    return OptimizerConfig(name, lr=float(s[f"op_lr_{name}"] if lr is None else lr), **extra)


def racer(name: str, lr: float | None = None, label: str | None = None) -> Racer:
    batch = int(st.session_state["op_batch"]) if name == "sgd" else None
    return Racer(optimizer_config(name, lr), label or OPT_LABELS[name].split(" (")[0], batch_size=batch)


with main:
    racers: list[Racer] = []
    problem = None
    with st.sidebar:  # what races: settings, out of the way of the picture
        if mode in ("race", "curve"):
            chosen = st.multiselect("Optimizers", OPTIMIZERS, format_func=OPT_LABELS.get, key="op_racers",
                                    max_selections=MAX_RACERS,
                                    help="Each starts from the same point with its own colour and settings.")
            if not chosen:
                problem = "Pick at least one optimizer to race."
            with st.expander("Hyper-parameters of each optimizer", expanded=mode == "curve"):
                racer_controls(chosen)
            try:
                racers = [racer(n) for n in chosen]
            except ValueError as err:
                problem = f"Those settings do not work: {err}"
        else:
            st.selectbox("Optimizer", OPTIMIZERS, format_func=OPT_LABELS.get, key="op_lx_opt",
                        on_change=lambda: suggest_sweep(current_surface()),
                        help="The one optimizer whose learning rate is swept.")
            st.text_input("Learning rates (comma-separated)", key="op_lx_lrs",
                         help=f"Up to {MAX_LR_ENTRIES} rates, each drawn in its own panel, e.g. 0.01, 0.1, 1.")
            with st.expander("Its other hyper-parameters"):
                racer_controls([st.session_state["op_lx_opt"]], lr_editable=False)
            try:
                rates = _lr_list(st.session_state["op_lx_lrs"])
                name = st.session_state["op_lx_opt"]
                racers = [racer(name, lr, f"lr = {lr:g}") for lr in rates]
            except ValueError as err:
                problem = f"Learning rates: {err}."

    steps = int(st.session_state["op_steps"])
    start = (float(st.session_state["op_x0"]), float(st.session_state["op_y0"]))
    result = None
    if problem is None:
        key = (repr(getattr(surface, "config", surface)), tuple(racers), start, steps,
               int(st.session_state["op_seed"]), mode == "curve")
        cache = st.session_state.get("_op_result")
        if cache is not None and cache[0] == key:
            result = cache[1]
        else:
            try:
                with st.spinner("Racing…"):
                    if isinstance(surface, NetworkLandscape):
                        if mode == "curve":
                            problem = "The 1-D view needs one of the analytic surfaces."
                        else:
                            result = surface.race(racers, start, min(steps, 1000), seed=int(st.session_state["op_seed"]))
                    else:
                        result = race(surface, racers, start, steps, seed=int(st.session_state["op_seed"]),
                                      freeze_y=mode == "curve")
            except ValueError as err:
                problem = f"Those settings do not work: {err}"
            if result is not None:
                st.session_state["_op_result"] = (key, result)
    if problem:
        st.warning(problem, icon=":material/warning:")

    def total() -> int:
        return result.steps if result is not None else 0

    st.session_state.setdefault("op_t", 0)
    st.session_state["op_t"] = min(int(st.session_state["op_t"]), total())

    def step_once() -> None:
        st.session_state["op_t"] = min(int(st.session_state.get("op_t", 0)) + 1, total())

    def reset() -> None:
        st.session_state["op_t"] = 0

    def view_toggle() -> None:
        if mode == "race":
            st.toggle("3-D surface", key="op_3d", help="Also draw the surface in 3-D with the paths on it "
                                                       "(drag to turn it).")

    if live.transport("op", "op_playing", on_step=step_once, on_reset=reset,
                      play_help="Animate the paths, a few steps per frame.",
                      step_help="Advance every optimizer by one update, then pause.",
                      reset_help="Back to step 0; every setting stays.", extras=view_toggle):
        if st.session_state["op_t"] >= total():
            st.session_state["op_t"] = 0  # Play at the end replays from the start
    publish_relative(surface)

    if result is None:
        st.stop()

    speed = int(st.session_state["op_speed"])
    grid_key = (repr(getattr(surface, "config", surface)), mode)
    xs, ys, z = memo("_op_grid", grid_key, lambda: surface.grid(40 if isinstance(surface, NetworkLandscape) else 90))
    colours = [charts.COLOURS[r.optimizer.name] for r in racers]
    axis = getattr(surface, "axis_labels", ("x", "y"))
    minima = surface.minima

    def advance() -> bool:
        st.session_state["op_t"] = min(st.session_state["op_t"] + speed, total())
        return st.session_state["op_t"] < total()

    def pick_start() -> None:
        event = st.session_state.get("op_pick")
        points = (event or {}).get("selection", {}).get("points", []) if event else []
        if points:
            st.session_state["op_x0"] = round(float(points[0]["x"]), 3)
            st.session_state["op_y0"] = round(float(points[0]["y"]), 3)
            st.session_state["op_t"] = 0
            st.session_state["op_note"] = None

    def curve_points() -> tuple[np.ndarray, np.ndarray]:
        """The 1-D slice at the start's y, computed once, not once per frame."""
        def build():
            cx = np.linspace(xs[0], xs[-1], 300)
            return cx, np.array([surface.value(x, start[1]) for x in cx])
        return memo("_op_curve", (grid_key, start[1]), build)

    def race_picture(view: str, rows: slice, t: int, height: int, alt: str, title: str | None = None) -> None:
        """The racers in ``rows`` on the surface, drawn in the browser: the surface and their paths
        arrive once, a frame carries the step."""
        render.show("race", view, {
            "n": len(xs), "window": [float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])],
            "steps": int(result.steps), "t": t, "colours": colours[rows], "title": title,
            "diverged": [int(v) for v in result.diverged_at[rows]], "start": [float(v) for v in start],
            "minima": np.asarray(minima, dtype=float).reshape(-1, 2).tolist(), "axis": list(axis)},
            kept={"grid": memo("_op_grid_u8", grid_key, lambda: render.u8(
                      normalised(charts.shown_values(np.asarray(z, dtype=float), surface.log_contours)), 0.0, 1.0)),
                  "paths": render.f32(result.positions[rows])},
            height=height, live=True, alt=alt)

    def loss_lines(view: str, t: int, series_colours: list[str], height: int, alt: str) -> None:
        """Every racer's loss (above the known minimum, on a log scale, where there is one), revealed
        up to the step; the curves arrive once."""
        gap = surface.min_value is not None
        render.show("lines", view, {"upto": min(t, result.steps), "x_label": "step", "log_y": gap,
                                    "title": "f − f(min)" if gap else "loss"},
                    kept={"x": render.f32(np.arange(result.steps + 1)), "series": [
                        {"label": label, "colour": series_colours[r],
                         "y": render.f32(result.losses[r] - surface.min_value if gap else result.losses[r])}
                        for r, label in enumerate(result.labels)]},
                    height=height, live=True, alt=alt)

    def draw() -> None:
        t = int(st.session_state["op_t"])
        playing = bool(st.session_state.get("op_playing"))
        step_text = f"**Step {t} of {result.steps}**"
        series_colours = ([charts.SERIES[i % len(charts.SERIES)] for i in range(len(result.labels))]
                          if mode == "lr" else colours)
        if mode != "race":
            st.markdown(step_text)
        if mode == "lr":
            if playing:  # drawn in the browser: each rate's path and the curves arrive once, a frame is the step
                panels = st.columns(min(len(result.labels), 3))
                for r, label in enumerate(result.labels):
                    with panels[r % len(panels)]:  # every rate races the same optimizer, in its colour
                        race_picture(f"op_lr_{r}", slice(r, r + 1), t, 300, title=label,
                                     alt=f"The path with learning rate {label}, step by step.")
                loss_lines("op_lr_loss", t, series_colours, 300, "The loss of each learning rate over the steps.")
            else:
                st.plotly_chart(charts.learning_rate_grid(xs, ys, z, surface.log_contours, result, t, colours[0],
                                                          minima, start, axis), width="stretch")
                st.plotly_chart(charts.loss_curves(result, t, series_colours, surface.min_value, legend=True),
                                width="stretch")
            summary(t)
            return
        if mode == "curve":
            cx, cf = curve_points()
            if playing:  # drawn in the browser: the curve and every step arrive once, a frame is the step
                render.show("lines", "op_curve", {"dots_upto": min(t, result.steps), "x_label": axis[0],
                                                   "title": f"the loss along {axis[0]}, {axis[1]} fixed at {start[1]:g}"},
                            kept={"x": render.f32(cx), "series": [{"label": "loss", "colour": "#444444",
                                                                   "y": render.f32(cf)}],
                                  "dots": [{"x": render.f32(result.positions[r, :, 0]), "y": render.f32(result.losses[r]),
                                            "colour": colours[r]} for r in range(len(result.labels))]},
                            height=440, live=True, alt="The ball rolling along the loss curve, a ring per step.")
            else:
                st.plotly_chart(charts.ball_on_curve(cx, cf, result, t, colours, start[1], axis[0]), width="stretch")
            summary(t)
            return
        st.markdown(step_text + " · " + (
            "Playing: pause, then click the contour plot to start from somewhere else." if playing else
            "Paused: click anywhere on the contour plot to start every optimizer from there."))
        c1, c2 = st.columns([1.3, 1])
        if playing:  # drawn in the browser: the paths and curves arrive once, each frame is the step
            with c1:
                race_picture("op_race", slice(None), t, RACE_PX,
                             alt="The optimizers' paths over the loss surface, step by step.")
            with c2:
                loss_lines("op_loss", t, colours, RACE_PX, "Each optimizer's loss over the steps.")
            eff = result.effective_step_size()
            for col, c in zip(st.columns(2), range(2)):
                with col:
                    render.show("lines", f"op_step_{c}", {"upto": max(min(t, result.steps) - 1, 0),
                                                          "x_label": "step", "log_y": True,
                                                          "title": f"|Δp|/|g| along {axis[c]}"},
                                kept={"x": render.f32(np.arange(1, result.steps + 1)), "series": [
                                    {"label": label, "colour": colours[r], "y": render.f32(eff[r, :, c])}
                                    for r, label in enumerate(result.labels)]},
                                height=280, live=True, alt=f"The effective step size along {axis[c]}.")
        else:
            fig = charts.contour(xs, ys, z, surface.log_contours, result, t, colours, minima, start, axis,
                                 pickable=True)
            c1.plotly_chart(fig, width="stretch", key="op_pick", on_select=pick_start, selection_mode="points")
            c2.plotly_chart(charts.loss_curves(result, t, colours, surface.min_value), width="stretch")
            st.plotly_chart(charts.step_sizes(result, t, colours, axis), width="stretch")
        if st.session_state.get("op_3d"):
            if playing:
                st.caption("The 3-D view redraws when paused.")
            else:
                st.plotly_chart(charts.surface_3d(xs, ys, z, surface.log_contours, result, t, colours, axis),
                                width="stretch")
        summary(t)

    def summary(t: int) -> None:
        rows = []
        for r, label in enumerate(result.labels):
            d = int(result.diverged_at[r])
            n = min(t, result.steps)
            if 0 <= d <= t:
                rows.append({"optimizer": label, "status": f"diverged at step {d}", "x": None, "y": None,
                             "loss": None})
                continue
            p = result.positions[r, n]
            # the gradient the last step used; before the first, the one it will use (without SGD noise)
            g = result.grads[r, n - 1] if n > 0 else surface.gradient(float(p[0]), float(p[1]))
            still = n > 0 and float(np.hypot(*(result.positions[r, n] - result.positions[r, n - 1]))) < 1e-9
            status = "done" if n >= result.steps else ("settled (no longer moves)" if still else "moving")
            rows.append({"optimizer": label, "status": status,
                         "x": float(p[0]), "y": float(p[1]), "loss": float(result.losses[r, n]),
                         "|gradient|": float(np.hypot(*g))})
        st.dataframe(rows, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4g") for c in ("x", "y", "loss", "|gradient|")})

    live.play("op", "op_playing", advance, draw, interval_s=0.1)
