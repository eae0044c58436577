"""SOM lab: watch the best-matching unit's neighbourhood shrink as the map organises."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import render
from app.charts import playground as pg_charts
from app.charts import som as charts
from app.state import live, presets, screen, url
from app.state.presets import Preset
from app.state.session import warm_engine
from engine import datasets, limits
from engine.datasets import Dataset
from engine.som import DECAYS, DISTANCES, INITS, MODES, NEIGHBOURHOODS, SOM, TOPOLOGIES, SOMConfig

DATA_CHOICES = ("colours", "square", "ring", "blobs", "iris", "outliers")
DATA_LABELS = {"colours": "Random RGB colours", "square": "2-D: filled square", "ring": "2-D: ring",
               "blobs": "2-D: three blobs", "iris": "Iris flowers (4 features, 3 species)",
               "outliers": "Applications with planted outliers (15 features)"}
GENERATED = ("colours", "square", "ring", "blobs", "outliers")
DECAY_LABELS = {"asymptotic": "asymptotic (MiniSom's default: to 1/3)", "inverse": "inverse time",
                "linear": "linear", "exponential": "exponential", "constant": "none (constant)"}
NEIGH_LABELS = {"gaussian": "Gaussian", "bubble": "bubble", "mexican_hat": "Mexican hat", "triangle": "triangle"}
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)
MAX_SIDE_UI = limits.UI_SOM_MAX_SIDE
MAX_STEPS_UI = limits.UI_SOM_MAX_STEPS
CURVE_POINTS = 200  # the schedules are drawn from this many points
OUTLIER_ROWS = 10

FIELDS = [
    url.choice("som_data", "colours", DATA_CHOICES),
    url.integer("som_n", 1000, 50, 5000),
    url.integer("som_dseed", 0, 0, 100_000),
    url.integer("som_w", 20, 2, MAX_SIDE_UI),
    url.integer("som_h", 20, 2, MAX_SIDE_UI),
    url.choice("som_topo", "rectangular", TOPOLOGIES),
    url.choice("som_init", "random", INITS),
    url.choice("som_neigh", "gaussian", NEIGHBOURHOODS),
    url.number("som_sigma", 5.0, 0.1, 40.0),
    url.number("som_lr", 0.5, 0.01, 2.0),
    url.choice("som_sdecay", "asymptotic", DECAYS),
    url.choice("som_lrdecay", "asymptotic", DECAYS),
    url.choice("som_dist", "euclidean", DISTANCES),
    url.choice("som_mode", "sequential", MODES),
    url.integer("som_steps", 5000, 1, MAX_STEPS_UI),
    url.integer("som_seed", 0, 0, 100_000),
    url.choice("som_speed", "50", SPEED_CHOICES),
]
STATE = url.PageState("som", FIELDS)
DEFAULTS = {f.key: f.default for f in FIELDS}


PRESETS = {
    "good": Preset("Good defaults organise smoothly",
                   "A wide radius first drags big patches of the map towards each colour, so neighbouring "
                   "units end up alike; as the radius shrinks only small areas move and the map sharpens "
                   "into smooth colour regions. Watch the circle shrink and the topographic error fall.",
                   {"som_data": "colours", "som_w": 20, "som_h": 20, "som_sigma": 5.0, "som_lr": 0.5,
                    "som_steps": 5000, "som_speed": "50"}),
    "tiny_sigma": Preset("A radius too small leaves dead units",
                         "With σ = 0.3 each sample moves only its own BMU: the map never pulls together, "
                         "units that start in the ring's hole never win a sample (dead units), and the net "
                         "stays tangled. Set σ to 3 and reset to compare.",
                         {"som_data": "ring", "som_n": 600, "som_w": 10, "som_h": 10, "som_sigma": 0.3,
                          "som_lr": 0.5, "som_steps": 6000, "som_speed": "100"}),
    "no_decay": Preset("No decay never settles",
                       "Radius and learning rate stay at their starting values, so every late sample still "
                       "drags a large patch of the map: it keeps shaking, stays blurred and the quantization "
                       "error never comes down. Switch both decays back to asymptotic and reset.",
                       {"som_data": "colours", "som_sigma": 5.0, "som_lr": 0.5, "som_sdecay": "constant",
                        "som_lrdecay": "constant", "som_steps": 5000, "som_speed": "50"}),
    "fraud": Preset("Outliers found without labels",
                    "As the course's fraud example: applications that resemble no group end up in cells far "
                    "from all their neighbours: the bright cells of the U-matrix. The list under the map "
                    "names those samples; the red squares (planted outliers, never shown to the map) sit "
                    "in them.",
                    {"som_data": "outliers", "som_n": 700, "som_w": 10, "som_h": 10, "som_sigma": 1.5, "som_lr": 0.5,
                     "som_init": "sample", "som_steps": 20_000, "som_speed": "500"}),
    "iris": Preset("Iris species on a hexagonal map",
                   "Four measurements per flower, no species given: the map still separates setosa (a "
                   "bright ridge on the U-matrix walls it off) while versicolor and virginica share a "
                   "border region. 8 x 8 follows the rule of thumb of 5·√150 ≈ 61 units.",
                   {"som_data": "iris", "som_w": 8, "som_h": 8, "som_topo": "hexagonal", "som_sigma": 2.0,
                    "som_lr": 0.5, "som_steps": 5000, "som_speed": "50"}),
    "batch": Preset("Batch map: all samples at once",
                    "Each step moves every unit to the neighbourhood-weighted mean of all the samples "
                    "(Kohonen's batch map). A few dozen passes organise the map without a learning-rate "
                    "schedule to tune.",
                    {"som_data": "colours", "som_mode": "batch", "som_sigma": 5.0, "som_lr": 1.0,
                     "som_sdecay": "linear", "som_lrdecay": "constant", "som_steps": 40, "som_speed": "1"}),
}


apply_preset = presets.restarter("som", PRESETS, DEFAULTS, "som_model")


BATCH_STEPS, SEQUENTIAL_STEPS = 50, 5000


def _mode_changed() -> None:
    """A step means one sample in sequential mode and one pass over all samples in batch mode:
    keep the run's length sensible for the new meaning."""
    st.session_state["som_steps"] = BATCH_STEPS if st.session_state["som_mode"] == "batch" else SEQUENTIAL_STEPS


def load_data() -> Dataset:
    s = st.session_state
    name, n, seed = s["som_data"], s["som_n"], s["som_dseed"]
    if name == "colours":
        return datasets.colours(n, seed)
    if name in datasets.SHAPES_2D:
        return datasets.shape_2d(name, n, seed)
    if name == "iris":
        return datasets.iris()
    return datasets.applications_with_outliers(max(n, 100), max(1, min(10, n // 60)), seed)


def config() -> SOMConfig:
    s = st.session_state
    return SOMConfig(width=s["som_w"], height=s["som_h"], topology=s["som_topo"], neighbourhood=s["som_neigh"],
                     sigma=s["som_sigma"], learning_rate=s["som_lr"], sigma_decay=s["som_sdecay"],
                     lr_decay=s["som_lrdecay"], distance=s["som_dist"], init=s["som_init"], mode=s["som_mode"],
                     steps=s["som_steps"], seed=s["som_seed"])


def build_model(data: Dataset) -> SOM:
    """The session's map: a new one whenever a setting (other than the speed) changes."""
    cfg = config()
    key = (cfg, st.session_state["som_data"], st.session_state["som_n"], st.session_state["som_dseed"])
    model = st.session_state.get("som_model")
    if model is None or st.session_state.get("som_model_key") != key:
        model = SOM(cfg, data.x)
        st.session_state["som_model"] = model
        st.session_state["som_model_key"] = key
    return model


warm_engine("som")
screen.header(
    ":material/grid_view: Self-organizing map",
    "A grid of units, each holding a point in the data space. For every sample the unit nearest to it "
    "wins: the **best-matching unit (BMU)**. The BMU and its grid neighbours within a **radius σ** move "
    "towards the sample, by the **learning rate** times how close to the BMU they sit. Both shrink over "
    "time, so the map first organises coarsely, then fine-tunes: similar samples end up on nearby units, "
    "without any labels.")
STATE.show_problems(STATE.restore())
presets.show("som", PRESETS, apply_preset)

left, main = st.sidebar, st.container()  # settings in the sidebar: the map stays in view
with left:
    st.subheader("Data")
    st.selectbox("Dataset", DATA_CHOICES, key="som_data", format_func=DATA_LABELS.get,
                 help="Colours draw the map in its own colours; 2-D sets draw it as a net over the points; "
                      "tabular sets are read through the U-matrix. Features are scaled to [0, 1].")
    if st.session_state["som_data"] in GENERATED:
        st.slider("Samples", 50, 5000, step=50, key="som_n", help="How many samples to generate.")
        st.button("New samples", key="som_regen", icon=":material/refresh:", width="stretch",
                  on_click=lambda: st.session_state.update(som_dseed=st.session_state["som_dseed"] + 1),
                  help="Same kind of data, new random draw (the data seed goes up by one).")
    st.subheader("Map")
    g = st.columns(2)
    g[0].number_input("Width", 2, MAX_SIDE_UI, key="som_w", help=f"Units across (2 to {MAX_SIDE_UI}).")
    g[1].number_input("Height", 2, MAX_SIDE_UI, key="som_h", help=f"Units down (2 to {MAX_SIDE_UI}).")
    st.selectbox("Topology", TOPOLOGIES, key="som_topo",
                 help="Square cells have 8 neighbours; hexagonal cells have 6, all at the same distance.")
    st.selectbox("Initialisation", INITS, key="som_init",
                 help="random: uniform in the data's range; sample: copies of random samples; pca: a flat "
                      "sheet along the data's two main directions (organised from the start).")
    st.subheader("Training")
    st.selectbox("Neighbourhood", NEIGHBOURHOODS, key="som_neigh", format_func=NEIGH_LABELS.get,
                 help="How strongly a unit moves, by its grid distance r to the BMU. Gaussian: exp(−r²/2σ²); "
                      "bubble: all units within σ move fully; Mexican hat: neighbours pulled, a ring further "
                      "out pushed away; triangle: falls linearly to 0 at σ.")
    t = st.columns(2)
    t[0].number_input("Radius σ", 0.1, 40.0, step=0.5, key="som_sigma", format="%.2f",
                      help="Starting neighbourhood radius, in grid cells.")
    t[1].number_input("Learning rate", 0.01, 2.0, step=0.05, key="som_lr", format="%.2f",
                      help="Starting share of the way to the sample that the BMU moves.")
    st.selectbox("Radius decay", DECAYS, key="som_sdecay", format_func=DECAY_LABELS.get,
                 help="How σ shrinks over the run (the rules other than asymptotic end at 1 cell).")
    st.selectbox("Learning-rate decay", DECAYS, key="som_lrdecay", format_func=DECAY_LABELS.get,
                 help="How the learning rate shrinks over the run.")
    st.selectbox("Distance", DISTANCES, key="som_dist",
                 help="How the BMU is chosen: straight-line (euclidean), angle (cosine) or city-block "
                      "(manhattan) distance.")
    st.selectbox("Mode", MODES, key="som_mode", on_change=_mode_changed,
                 help="sequential: one sample per step (the classic rule); batch: every step uses all samples. "
                      f"Switching sets the run's length to {BATCH_STEPS} passes or {SEQUENTIAL_STEPS:,} samples.")
    st.number_input("Steps in the run", 1, MAX_STEPS_UI, step=500, key="som_steps",
                    help="Length of training: the decay schedules reach their end values here. In batch "
                         "mode a step is one pass over all samples.")
    st.number_input("Seed", 0, 100_000, key="som_seed", help="Same seed: same starting map, same sample order.")
    st.caption("Changing a setting starts a new map.")

try:
    data = load_data()
    model = build_model(data)
except ValueError as err:
    with main:
        st.error(f"Cannot build this map: {err}")
    STATE.publish()
    st.stop()


def layout_for(m: SOM, size: tuple[int, int]) -> charts.Layout:
    return charts.Layout(m.positions(), m.config.topology == "hexagonal", size)


def label_names(kind: str) -> list[str] | None:
    return {"iris": ["setosa", "versicolor", "virginica"], "outliers": ["ordinary", "planted outlier"],
            "blobs": ["blob 0", "blob 1", "blob 2"]}.get(kind)


def palette_for(kind: str) -> list[tuple[int, int, int]] | None:
    return charts.OUTLIER_PALETTE if kind == "outliers" else None


def last_update(m: SOM) -> tuple[np.ndarray, tuple[int, int] | None, float, str, np.ndarray | None]:
    """The neighbourhood to draw: of the last update (sequential), or around the centre at the
    current radius (batch, or before the first step)."""
    snap = m.snapshot()
    if snap.last_bmu is not None:
        h = m.neighbourhood(snap.last_bmu, snap.last_sigma)
        x = m.data[snap.last_sample]
        text = (f"Step {snap.t}: sample #{snap.last_sample} → BMU {snap.last_bmu}; "
                f"σ = {snap.last_sigma:.2f}, learning rate = {snap.last_learning_rate:.3f}")
        return h, snap.last_bmu, snap.last_sigma, text, x
    centre = (m.config.width // 2, m.config.height // 2)
    h = m.neighbourhood(centre, snap.sigma)
    what = ("In batch mode every sample pulls the neighbourhood of its own BMU; this is the shape around one "
            "unit at the current radius." if m.config.mode == "batch" else
            "Before the first step: the neighbourhood the first update will use, around the centre unit.")
    return h, centre, snap.sigma, f"σ = {snap.sigma:.2f}. {what[:-1]}", None


def draw(m: SOM, data: Dataset, live_now: bool) -> None:
    snap = m.snapshot()
    kind = st.session_state["som_data"]
    fed = render.fed()  # a play frame after the first: only the pictures' and metrics' new data
    if m.status == "diverged" and not fed:
        st.error("Diverged: the weights ran off to infinity (a Mexican hat with a high learning rate pushes "
                 "units away faster than samples pull them back). Lower the learning rate and reset.")
    elif m.status == "done" and not fed:
        st.success(f"Training finished: all {m.config.steps:,} steps run. Reset or change a setting to train again.")
    hits = m.hit_map()
    qe = snap.history.quantization_error[-1]
    te = snap.history.topographic_error[-1]
    render.metrics("som_stats", [
        ("Step", f"{snap.t:,}", f"Steps run, of {snap.steps:,} planned."),
        ("Radius σ", f"{snap.sigma:.2f}", "The neighbourhood radius the next step uses, in cells."),
        ("Learning rate", f"{snap.learning_rate:.3f}", ""),
        ("Quant. error", f"{qe:.4f}", "Quantization error: mean distance from each sample to its BMU's weights, "
                                      "how closely the map fits the data."),
        ("Topo. error", f"{te:.1%}", "Topographic error: share of samples whose best and second-best units are not "
                                     "neighbours on the grid: how well the map keeps the data's shape (0% is perfect)."),
        ("Dead units", f"{int((hits == 0).sum())}", f"Units (of {m.n_units}) that are the BMU of no sample.")],
        live=live_now, alt="Training metrics")

    h, bmu, sigma, text, x = last_update(m)
    a, b = (None, None) if fed else st.columns(2)
    height = 420 if m.config.topology == "rectangular" else 390  # fits 1280 x 720 beside the neighbourhood
    weights = snap.weights
    shown_bmu = bmu if x is not None else None
    flat_bmu = shown_bmu[0] * m.config.height + shown_bmu[1] if shown_bmu is not None else None
    grid = {"w": m.config.width, "h": m.config.height, "hex": m.config.topology == "hexagonal"}
    place = {"centres": render.f32(m.positions().reshape(-1, 2))}  # where each cell sits: sent when it changes
    with render.within(a):
        if kind == "colours":
            render.show("somgrid", "som_map", {
                **grid, "title": "The map: each unit's weights as a colour",
                "colours": render.u8_codes(np.clip(weights[..., :3], 0, 1).reshape(-1, 3) * 255),
                "bmu": flat_bmu, "sigma": sigma if x is not None else None},
                kept=place, height=height, live=live_now,
                alt="The map, each unit painted with its weight vector as a colour.")
            caption = "Each cell is one unit painted with its weight vector (red, green, blue). Black ring: the last BMU; circle: radius σ."
        elif kind in datasets.SHAPES_2D:
            lo = np.minimum(m.data.min(axis=0), np.nanmin(m.weights, axis=0)) - 0.02
            hi = np.maximum(m.data.max(axis=0), np.nanmax(m.weights, axis=0)) + 0.02
            span = max(float((hi - lo).max()), 1e-9)
            adj = m.adjacency()
            edges = [(u, v) for u, row in enumerate(adj) for v in row if v > u]
            kept = {"points": render.u8((m.data - lo) / span, 0.0, 1.0)}
            if data.task != "none":
                kept["labels"] = render.u8_codes(data.y)
            render.show("net", "som_map", {
                "title": "The map as a net over the data", "frame": [float(lo[0]), float(lo[1]), span],
                "nodes": render.f32(m.weights), "edges": render.f32(np.array(edges).ravel()),
                "pull": render.u8(h.ravel()) if x is not None else None, "bmu": flat_bmu,
                "sample": [float(x[0]), float(x[1])] if x is not None else None},
                kept=kept, height=500, live=live_now, alt="The map drawn over the data as an elastic net.")
            caption = ("Each node is a unit placed at its weights, joined to its grid neighbours. Red star: the last "
                       "sample; ringed node: its BMU; blue fill: how far each unit was pulled.")
        else:
            marks = m.labels_map(data.y)
            cells = bytearray()
            for (i, j), counts in marks.items():
                for label in sorted(counts):
                    cells += int(i * m.config.height + j).to_bytes(2, "little") + bytes([int(label) % 256])
            palette = palette_for(kind)
            render.show("somgrid", "som_map", {
                **grid, "title": "U-matrix with the labels of each cell",
                "colours": render.u8_codes(charts.grey_scale(m.u_matrix()).reshape(-1, 3)),
                "markers": render.Blob(bytes(cells)), "legend": label_names(kind),
                "palette": ["rgb(%d,%d,%d)" % tuple(c) for c in palette] if palette else None,
                "bmu": flat_bmu, "sigma": sigma if x is not None else None},
                kept=place, height=height, live=live_now,
                alt="The U-matrix: light cells are far from their neighbours.")
            caption = ("Dark: a unit close to its neighbours (inside a cluster); light: far from them (a border, "
                       "or an outlier on its own). Markers: the labels of the samples each cell wins; the map never saw them.")
        if not fed:
            st.caption(caption)
    with render.within(b):
        v = np.clip(h, -1, 1)[..., None]
        white = np.array([255.0, 255.0, 255.0])
        pull = np.where(v >= 0, white + (charts.POS_RGB - white) * v, white + (charts.NEG_RGB - white) * -v)
        swatches = None
        if kind == "colours" and x is not None:
            swatches = [list(np.clip(c[:3], 0, 1) * 255) for c in (x, m.weights[bmu[0] * m.config.height + bmu[1]])]
        render.show("somgrid", "som_neighbourhood", {
            **grid, "title": "How much each unit moves", "outline": "#d7d7d7",
            "colours": render.u8_codes(pull.reshape(-1, 3)), "numbers": render.f32(h.ravel()),
            "bmu": bmu[0] * m.config.height + bmu[1] if bmu is not None else None, "sigma": sigma,
            "swatches": swatches},
            kept=place, height=height, live=live_now,
            alt="How much each unit moved towards the sample in the last update.")
        render.caption("som_step_note", text + ". Blue: pulled towards the sample (darker = more), orange: pushed away.",
                       live=live_now)
    if not render.due("som_curves", 0.2):  # the curves: 5 times a second
        return

    steps = np.unique(np.linspace(0, m.config.steps, CURVE_POINTS).astype(int))
    hist = snap.history
    hs, qe_hist, te_hist = render.thin(hist.step, hist.quantization_error,
                                       [100 * v for v in hist.topographic_error], most=150)
    curves = [None] * 4 if fed else st.columns(4)
    for col, view, label, xs, ys, colour, extra in (
            (curves[0], "som_sigma", "radius σ", steps, m.sigma_at(steps), charts.POSITIVE, {"now": snap.t}),
            (curves[1], "som_lr", "learning rate", steps, m.learning_rate_at(steps), "#f59322", {"now": snap.t}),
            (curves[2], "som_qe", "quant. error", hs, qe_hist, "#2ca02c", {"x_max": snap.steps}),
            (curves[3], "som_te", "topo. error %", hs, te_hist, "#d62728", {"x_max": snap.steps})):
        with render.within(col):
            render.show("lines", view, {"x": render.f32(xs), "x_label": "step",
                                        "series": [{"label": label, "colour": colour, "y": render.f32(ys)}], **extra},
                        height=220, live=live_now, alt=f"The {label} over the run.")
    if fed:
        return
    st.caption("Radius and learning rate over the whole run (dashed line: where training is now); the map's "
               "quality so far.")
    if live_now:
        return
    analysis(m, data, kind)


def map_picture(m: SOM, data: Dataset, kind: str):
    """The map as a Pillow picture (for the PNG download): what the browser draws live."""
    h, bmu, sigma, _, x = last_update(m)
    size = (520, 520 if m.config.topology == "rectangular" else 470)
    lay = layout_for(m, size)
    if kind == "colours":
        return charts.colour_map_image(m.snapshot().weights, lay, bmu if x is not None else None,
                                       sigma if x is not None else None, "The map: each unit's weights as a colour")
    if kind in datasets.SHAPES_2D:
        flat_bmu = bmu[0] * m.config.height + bmu[1] if x is not None else None
        return charts.elastic_net_image(m.weights, m.adjacency(), m.data, data.y if data.task != "none" else None,
                                        h.ravel() if x is not None else None, x, flat_bmu,
                                        "The map as a net over the data")
    return charts.u_matrix_image(m.u_matrix(), lay, m.labels_map(data.y), bmu if x is not None else None,
                                 sigma if x is not None else None, "U-matrix with the labels of each cell",
                                 label_names(kind), palette_for(kind))


def analysis(m: SOM, data: Dataset, kind: str) -> None:
    """Paused: the U-matrix and hit map with hover, the isolated samples, downloads."""
    st.subheader("Reading the map")
    u = m.u_matrix()
    hits = m.hit_map()
    wins = m.win_map()
    marks = m.labels_map(data.y) if data.task != "none" else None
    names = label_names(kind)
    hover = [[f"cell ({i}, {j})<br>U = {u[i, j]:.3f}<br>samples: {int(hits[i, j])}"
              + (f"<br>labels: {', '.join(f'{(names or [])[k] if names else k}: {n}' for k, n in sorted(marks.get((i, j), {}).items()))}"
                 if marks else "") for j in range(m.config.height)] for i in range(m.config.width)]
    hexagonal = m.config.topology == "hexagonal"
    p, q = st.columns(2)
    p.plotly_chart(charts.grid_heatmap(u, "U-matrix: mean distance to the neighbours", charts.U_SCALE, hover,
                                       marks=marks, label_names=names, hexagonal=hexagonal, positions=m.positions(),
                                       palette=palette_for(kind)),
                   key="som_u")
    q.plotly_chart(charts.grid_heatmap(hits, "Hit map: samples won by each unit", charts.HITS_SCALE, hover, zmin=0,
                                       hexagonal=hexagonal, positions=m.positions()), key="som_hits")

    bmus = m.bmus()
    top = m.outliers(OUTLIER_ROWS)
    first_gap = np.linalg.norm(m.data[top] - m.weights[bmus[top]], axis=1)
    table = pd.DataFrame({
        "sample": top, "cell": [str(m.cell(bmus[n])) for n in top],
        "U of its cell": u.ravel()[bmus[top]].round(3), "distance to its BMU": first_gap.round(3),
        "samples in that cell": [len(wins.get(m.cell(bmus[n]), [])) for n in top]})
    if kind == "outliers":
        table["planted outlier?"] = np.where(data.y[top] == 1, "yes", "no")
    elif names:
        table["label"] = [names[int(data.y[n])] for n in top]
    for k, name in enumerate(data.feature_names[:6]):
        table[name] = data.x[top, k].round(3)
    st.markdown(f"**The {OUTLIER_ROWS} samples in the most isolated cells** (ranked by the U-matrix value of their "
                "cell, then their distance to its weights; no labels used):")
    st.dataframe(table, hide_index=True)
    if kind == "outliers":
        found = int(data.y[top].sum())
        st.caption(f"{found} of the {int(data.y.sum())} planted outliers are in this list.")
    d = st.columns([1, 1, 3])
    d[0].download_button("Map PNG", lambda: pg_charts.to_png(map_picture(m, data, kind)), file_name="netplay-som-map.png", mime="image/png",
                         icon=":material/download:", key="som_dl_map")
    d[1].download_button("Weights CSV", pd.DataFrame(m.weights, columns=list(data.feature_names)).to_csv(index=False),
                         file_name="netplay-som-weights.csv", mime="text/csv", icon=":material/download:",
                         key="som_dl_w")


with main:
    live.transport("som", "som_playing", on_step=lambda: st.session_state["som_model"].step(1),
                   on_reset=lambda: st.session_state.pop("som_model", None),
                   play_help="Train continuously, a few steps per frame.",
                   step_help="One step, then pause: one sample and its update (one pass in batch mode).",
                   reset_help="A new starting map from the seed; keeps every setting.",
                   extras=lambda: st.select_slider(
                       "Steps per frame", SPEED_CHOICES, key="som_speed", label_visibility="collapsed",
                       format_func=lambda v: f"{v} steps per frame",
                       help="Training speed: steps between two redraws while playing. Step always runs one."))
    if "som_model" not in st.session_state:
        st.rerun()  # Reset: this run builds a new map
    m: SOM = st.session_state["som_model"]
    STATE.publish()  # before the play loop: the link must be current while it runs
    live.play("som", "som_playing",
              lambda: live.run_steps("som", lambda n, last: m.step(n),
                                     live.wanted_steps(st.session_state["som_speed"])) == "running",
              lambda: draw(m, data, live_now=bool(st.session_state.get("som_playing"))),
              interval_s=0.08, fed=True)

STATE.publish()
