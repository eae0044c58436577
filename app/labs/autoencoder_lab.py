"""Autoencoder lab: compress, denoise, sparsify and sample, with the code space drawn live."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import render
from app.state import live, presets, screen, url
from app.state.presets import Preset
from app.state.session import warm_engine
from engine import datasets, limits
from engine.activations import ELEMENTWISE
from engine.autoencoder import NOISES, AEConfig, Autoencoder
from engine.optimizers import OPTIMIZERS

VIEWS = {"digits": "Digits", "curve": "A curve in 3-D", "movies": "Movie recommender"}
VARIANTS = {"plain": "Undercomplete", "denoising": "Denoising", "sparse": "Sparse", "contractive": "Contractive",
            "stacked": "Stacked (greedy, then fine-tuned)", "vae": "Variational (VAE)"}
SPEEDS = (1, 2, 5, 10, 20, 50, 100)
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)
SHOWN = 12          # digits shown with their reconstructions
GRID = 10           # decodings across the code space: GRID x GRID
DIGITS = [str(i) for i in range(10)]
HIDDEN_CHOICES = ("", "32", "64", "64,32", "48,24", "128,64")

FIELDS = [
    url.choice("ae_view", "digits", tuple(VIEWS)),
    url.choice("ae_variant", "plain", tuple(VARIANTS)),
    url.choice("ae_hidden", "32", HIDDEN_CHOICES),
    url.integer("ae_code", 2, 1, 32),
    url.choice("ae_act", "relu", ELEMENTWISE),
    url.flag("ae_tied", False),
    url.choice("ae_noise", "masking", NOISES[1:]),
    url.number("ae_level", 0.4, 0.0, 0.95),
    url.choice("ae_sparse", "kl", ("l1", "kl")),
    url.number("ae_sweight", 3.0, 0.0, 100.0),
    url.number("ae_rho", 0.05, 0.01, 0.5),
    url.number("ae_contract", 0.1, 0.0, 100.0),
    url.number("ae_beta", 1.0, 0.0, 20.0),
    url.integer("ae_pretrain", 300, 10, 5000),
    url.choice("ae_opt", "adam", OPTIMIZERS),
    url.number("ae_lr", 0.005, 0.0001, 2.0),
    url.integer("ae_batch", 64, 1, 512),
    url.integer("ae_seed", 0, 0, 100_000),
    url.choice("ae_speed", "20", SPEED_CHOICES),
    url.number("ae_z1", 0.0, -50.0, 50.0),
    url.number("ae_z2", 0.0, -50.0, 50.0),
    url.choice("ae_curve", "circle", datasets.CURVES),
    url.number("ae_shown_noise", 0.4, 0.0, 0.95),
]
STATE = url.PageState("ae", FIELDS)
DEFAULTS = {f.key: f.default for f in FIELDS}

PRESETS = {
    "squeeze": Preset("64 pixels through 2 numbers",
                      "An undercomplete autoencoder (64-32-2-32-64) must pass each digit through a code of two "
                      "numbers. Watch the digits of each class gather in the code plane, beside PCA's best linear "
                      "2-D view, and the reconstructions sharpen into typical digits.",
                      {"ae_variant": "plain", "ae_code": 2, "ae_hidden": "32"}),
    "vae": Preset("The VAE's code space is smooth",
                  "A variational autoencoder: each digit becomes a small cloud around mu, and the KL term pulls "
                  "the clouds towards N(0, I). The grid of decodings across the code space changes smoothly from "
                  "one digit to the next; compare it with the plain autoencoder's, whose empty regions decode to blur.",
                  {"ae_variant": "vae", "ae_code": 2, "ae_hidden": "64", "ae_beta": 1.0}),
    "denoise": Preset("Denoising: 40 % of pixels wiped",
                      "Each training digit loses 40 % of its pixels before the encoder sees it; the target stays "
                      "clean. The network learns what digits look like, and fills the holes: noisy input, clean "
                      "target and its output side by side.",
                      {"ae_variant": "denoising", "ae_code": 16, "ae_hidden": "64", "ae_noise": "masking",
                       "ae_level": 0.4}),
    "sparse": Preset("Sparse code: 32 units, 5 % active",
                     "An overcomplete code (32 sigmoid units) with a KL penalty towards an average activation of "
                     "0.05: most units stay off for any one digit. The histogram of code activations piles up at "
                     "0, and the mean activation falls to the target.",
                     {"ae_variant": "sparse", "ae_code": 32, "ae_hidden": "", "ae_sparse": "kl", "ae_sweight": 3.0,
                      "ae_rho": 0.05}),
    "stacked": Preset("Stacked: one layer at a time",
                      "64-64-32-8: the first layer is trained alone as a shallow autoencoder, then the second on its "
                      "codes, then the code layer, then the whole stack is fine-tuned (the phase is shown above).",
                      {"ae_variant": "stacked", "ae_code": 8, "ae_hidden": "64,32", "ae_pretrain": 300}),
    "curve": Preset("Unrolling a curve",
                    "Points on a circle bent into a saddle in 3-D, squeezed through a 1-number code: the code "
                    "orders the points along the curve (the colours run in order), like a string laid straight.",
                    {"ae_view": "curve", "ae_variant": "plain", "ae_code": 1, "ae_hidden": "32", "ae_act": "tanh",
                     "ae_curve": "circle"}),
}
apply_preset = presets.restarter("ae", PRESETS, DEFAULTS, "ae_model")

warm_engine("ae")
screen.header(
    ":material/compress: Autoencoders",
    "An autoencoder is a network trained to give back its input: an **encoder** squeezes it into a "
    "**code** (here often just 2 numbers), a **decoder** rebuilds the input from the code, and the loss "
    "is how far the rebuild is from the original. It needs no labels. What the code keeps is what the "
    "data has in common. **Denoising** feeds it corrupted inputs and clean targets, **sparse** and "
    "**contractive** terms shape the code, **stacked** trains one layer at a time, and the **variational** "
    "autoencoder learns a smooth code space you can sample new data from.")
STATE.show_problems(STATE.restore())
presets.show("ae", PRESETS, apply_preset)
st.segmented_control("View", list(VIEWS), key="ae_view", format_func=VIEWS.get, label_visibility="collapsed")
view = st.session_state["ae_view"] or "digits"


def hidden_widths() -> tuple[int, ...]:
    text = st.session_state["ae_hidden"]
    return tuple(int(w) for w in text.split(",") if w)


def config(n_inputs: int, output: str = "sigmoid") -> AEConfig:
    s = st.session_state
    variant = s["ae_variant"]
    code_act = "linear"
    if variant == "sparse" and s["ae_sparse"] == "kl" or variant == "contractive":
        code_act = "sigmoid"
    return AEConfig(n_inputs=n_inputs, encoder=hidden_widths(), code=s["ae_code"], activation=s["ae_act"],
                    code_activation=code_act, output=output, tied=s["ae_tied"] and variant != "vae",
                    variational=variant == "vae", beta=s["ae_beta"],
                    noise=s["ae_noise"] if variant == "denoising" else "none", noise_level=s["ae_level"],
                    sparsity=s["ae_sparse"] if variant == "sparse" else "none", sparsity_weight=s["ae_sweight"],
                    sparsity_target=s["ae_rho"], contractive=s["ae_contract"] if variant == "contractive" else 0.0,
                    stacked=variant == "stacked", pretrain_updates=s["ae_pretrain"], optimizer=s["ae_opt"],
                    learning_rate=s["ae_lr"], batch_size=s["ae_batch"], seed=s["ae_seed"])


def controls() -> None:
    s = st.session_state
    variant = s["ae_variant"]
    with st.sidebar:
        st.subheader("Autoencoder")
        st.selectbox("Variant", list(VARIANTS), key="ae_variant", format_func=VARIANTS.get,
                     help="Undercomplete: a narrow code. Denoising: corrupted inputs, clean targets. Sparse: a "
                          "penalty keeps most code units off. Contractive: a penalty on how much the code moves "
                          "when the input does. Stacked: greedy layer-wise, then fine-tuned. Variational: a "
                          "distribution per input and a KL term towards N(0, I).")
        c = st.columns(2)
        c[0].selectbox("Hidden widths", HIDDEN_CHOICES, key="ae_hidden",
                       format_func=lambda v: v.replace(",", " - ") if v else "none",
                       help="Encoder layers between the input and the code; the decoder mirrors them.")
        c[1].number_input("Code size", 1, 32, key="ae_code", help="Numbers in the code (2: drawn as a plane).")
        st.selectbox("Hidden activation", ELEMENTWISE, key="ae_act", help="For every hidden layer.")
        if variant != "vae":
            st.toggle("Tied weights", key="ae_tied", help="Each decoder matrix is the transpose of its encoder twin.")
        if variant == "denoising":
            d = st.columns(2)
            d[0].selectbox("Noise", NOISES[1:], key="ae_noise",
                           help="masking: each pixel set to 0 with the given probability; gaussian: N(0, level²) added.")
            d[1].number_input("Noise level", 0.0, 0.95, step=0.05, key="ae_level", help="Probability or standard deviation.")
        elif variant == "sparse":
            d = st.columns(2)
            d[0].selectbox("Penalty", ("kl", "l1"), key="ae_sparse",
                           format_func={"kl": "KL to a target", "l1": "L1 on the code"}.get,
                           help="KL: mean activation of each code unit pulled to the target (sigmoid code). "
                                "L1: the code's absolute values summed.")
            d[1].number_input("Weight", 0.0, 100.0, step=0.5, key="ae_sweight", help="How much the penalty counts.")
            if s["ae_sparse"] == "kl":
                st.slider("Target activation ρ", 0.01, 0.5, step=0.01, key="ae_rho",
                          help="The average activation each code unit is pulled towards.")
        elif variant == "contractive":
            st.number_input("Contractive weight λ", 0.0, 100.0, step=0.05, key="ae_contract",
                            help="λ × ||∂code/∂input||²: a code that moves little when the input wiggles.")
        elif variant == "vae":
            st.number_input("β (weight of the KL term)", 0.0, 20.0, step=0.25, key="ae_beta",
                            help="1: the standard VAE. Above 1: a smoother, more disentangled code, blurrier digits.")
        elif variant == "stacked":
            st.number_input("Pre-training updates per layer", 10, 5000, step=50, key="ae_pretrain",
                            help="Each encoder layer (with its decoder twin) trains this long alone first.")
        st.subheader("Training")
        t = st.columns(2)
        t[0].selectbox("Optimizer", OPTIMIZERS, key="ae_opt", help="The update rule.")
        t[1].number_input("Learning rate", 0.0001, 2.0, step=0.001, format="%.4f", key="ae_lr", help="Step size.")
        u = st.columns(2)
        u[0].number_input("Batch size", 1, 512, key="ae_batch", help="Samples per update.")
        u[1].number_input("Seed", 0, 100_000, key="ae_seed", help="Same seed: same weights, batches and noise.")
        st.caption("Changing a setting starts a new autoencoder.")


@st.cache_data(show_spinner=False)
def digit_data() -> tuple[np.ndarray, np.ndarray]:
    d = datasets.digits()
    return d.x, d.y


@st.cache_data(show_spinner=False)
def curve_data(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    d = datasets.lifted_curve(kind, 600, 0.02, seed)
    return d.x, d.y


def model_for(x: np.ndarray, labels: np.ndarray, key: tuple, output: str = "sigmoid") -> Autoencoder:
    cfg = config(x.shape[1], output)
    full = (key, cfg)
    if st.session_state.get("ae_model_key") != full or "ae_model" not in st.session_state:
        st.session_state["ae_model"] = Autoencoder(cfg, x, labels)
        st.session_state["ae_model_key"] = full
    return st.session_state["ae_model"]


@st.cache_data(show_spinner=False)
def digit_pca() -> np.ndarray:
    """Every digit projected on the digits' first two principal components (the data never changes)."""
    x, _ = digit_data()
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def metrics_row(m: Autoencoder, live_now: bool) -> None:
    h = m.history
    items = [("Updates", f"{m.updates:,}", "Mini-batches trained on (pre-training included)."),
             ("Phase", m.phase, "Stacked: which layer trains alone, then fine-tuning."),
             ("Test reconstruction", f"{h.test_loss[-1]:.2f}",
              "Loss per test sample, summed over its inputs: cross-entropy for pixels in [0, 1]."),
             ]
    if m.config.variational:
        items.append(("KL per sample", f"{h.kl[-1]:.2f}", "How far each code distribution is from N(0, I), in nats."))
    else:
        items.append(("Penalty", f"{h.penalty[-1]:.3f}", "The sparsity or contractive term of the last update."))
    items.append(("Mean code activation", f"{h.code_mean[-1]:.3f}",
                  "Average of the code's values over the test samples (the sparse target is ρ)."))
    render.metrics("ae_stats", items, live=live_now, alt="Training metrics")


def loss_curves(m: Autoencoder, live_now: bool) -> None:
    h = m.history
    ups, test, train, kl = render.thin(np.asarray(h.updates[1:], float), np.asarray(h.test_loss[1:], float),
                                       np.asarray(h.train_loss[1:], float), np.asarray(h.kl[1:], float), most=200)
    series = [{"label": "test reconstruction", "colour": "#f59322", "y": render.f32(test)},
              {"label": "training loss (all terms)", "colour": "#0877bd", "y": render.f32(train)}]
    if m.config.variational:
        series.append({"label": "KL", "colour": "#2ca02c", "y": render.f32(kl)})
    render.show("lines", "ae_loss", {"x": render.f32(ups), "x_label": "updates", "log_y": True,
                                     "title": "loss per sample", "series": series,
                                     **({"empty": "Press Play or Step to train."} if len(ups) == 0 else {})},
                height=250, live=live_now, alt="Reconstruction loss (and the VAE's KL term) over the updates.")


def code_box(m: Autoencoder, codes: np.ndarray) -> list[float]:
    if m.config.variational:
        return [-3.0, 3.0, -3.0, 3.0]
    lo, hi = np.percentile(codes, 1, axis=0), np.percentile(codes, 99, axis=0)  # a few strays drawn at the edge
    pad = (hi - lo) * 0.08 + 1e-6
    return [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])]


def draw_digits(m: Autoencoder, x: np.ndarray, labels: np.ndarray, live_now: bool) -> None:
    fed = render.fed()
    if m.status == "diverged" and not fed:
        st.error("Diverged: the loss became infinite. Lower the learning rate and reset.")
    metrics_row(m, live_now)
    rows = m.test_rows
    first_of_each = [int(rows[labels[rows] == dgt][0]) for dgt in range(10) if np.any(labels[rows] == dgt)]
    others = [int(r) for r in rows if r not in first_of_each]   # one test digit of each class, then the next ones
    shown = np.array((first_of_each + others)[:SHOWN]) if len(rows) else np.arange(SHOWN)
    a, b = (None, None) if fed else st.columns([1.15, 1])
    with render.within(a):
        if m.config.noise != "none":
            noisy = m.corrupt(x[shown], np.random.default_rng(m.updates))
            cells = np.stack([noisy, x[shown], m.reconstruct(noisy)], axis=1).reshape(-1, 64)
            render.show("tiles", "ae_pairs", {
                "title": "Noisy input, clean digit, output", "note": "left: what the encoder sees   middle: target   "
                "right: reconstruction", "side": 8, "n": 3 * len(shown), "group": 3, "cols": 4, "scale": "ink",
                "cells": render.u8(np.clip(cells, 0, 1), 0.0, 1.0)}, height=250, live=live_now,
                alt="Corrupted digits, the clean digits and the network's outputs.")
        else:
            cells = np.stack([x[shown], m.reconstruct(x[shown])], axis=1).reshape(-1, 64)
            render.show("tiles", "ae_pairs", {
                "title": "Test digits and their reconstructions", "note": "left: input   right: reconstruction",
                "side": 8, "n": 2 * len(shown), "group": 2, "cols": 4, "scale": "ink",
                "cells": render.u8(cells, 0.0, 1.0)}, height=250, live=live_now,
                alt="Test digits beside the autoencoder's reconstructions.")
    with render.within(b):
        if render.due("ae_loss", 0.2):
            loss_curves(m, live_now)
    c_ = m.config.code
    test = rows[:600]
    codes = m.encode(x[test])
    c, d = (None, None) if fed else st.columns(2)
    if c_ >= 2 and render.due("ae_codes", 0.1):
        box = code_box(m, codes) if c_ == 2 else None
        z = np.array([st.session_state["ae_z1"], st.session_state["ae_z2"]])
        with render.within(c):
            render.show("scatter", "ae_code", {
                "title": "The code of each test digit" + ("" if c_ == 2 else " (its first two numbers)"),
                "xy": render.f32(codes[:, :2]), "labels": render.u8_codes(labels[test]), "legend": DIGITS,
                **({"box": box, "mark": z.tolist(), "clickable": True} if c_ == 2 else {}),
                "x_label": "code 1 →  (code 2 ↑)" + ("   click: decode that point" if c_ == 2 else "")},
                height=330, live=live_now, alt="Each test digit's 2-D code, coloured by the digit it is.")
        if not fed:  # PCA's view does not train: a fed frame leaves the first frame's drawing
            with render.within(d):
                render.show("scatter", "ae_pca", {
                    "title": "PCA's best 2-D linear view, for comparison", "xy": render.f32(digit_pca()[test]),
                    "labels": render.u8_codes(labels[test]), "legend": DIGITS, "x_label": "component 1 →  (2 ↑)"},
                    height=330, live=live_now, alt="The same digits projected on their two principal components.")
    if c_ == 2:
        e, f = (None, None) if fed else st.columns([1.5, 1])
        box = code_box(m, codes)
        if render.due("ae_grid", 0.25):
            gx = np.linspace(box[0], box[1], GRID + 2)[1:-1]
            gy = np.linspace(box[3], box[2], GRID + 2)[1:-1]
            grid = np.array([[zx, zy] for zy in gy for zx in gx])
            with render.within(e):
                render.show("tiles", "ae_grid", {
                    "title": f"Decoded across the code space ({GRID} x {GRID})", "side": 8, "n": GRID * GRID,
                    "cols": GRID, "scale": "ink", "cells": render.u8(m.decode(grid), 0.0, 1.0),
                    "note": "code 1 left → right, code 2 bottom → top"}, height=420, live=live_now,
                    alt="What the decoder makes of a grid of codes over the code plane.")
        z = np.array([[st.session_state["ae_z1"], st.session_state["ae_z2"]]])
        with render.within(f):
            render.show("tiles", "ae_decoded", {
                "title": f"Decoded from ({z[0, 0]:.2f}, {z[0, 1]:.2f})", "side": 8, "n": 1, "cols": 1, "scale": "ink",
                "cells": render.u8(m.decode(z), 0.0, 1.0)}, height=260, live=live_now,
                alt="The digit the decoder makes from the chosen code (ringed in the code plot).")
    if m.config.sparsity != "none" or m.config.code_activation == "sigmoid":
        if render.due("ae_hist", 0.25):
            counts, edges = np.histogram(codes.ravel(), bins=20,
                                         range=(0.0, 1.0) if m.config.code_activation == "sigmoid" else None)
            render.show("bars", "ae_hist", {
                "scale": "linear", "values": render.f32(counts / max(1, counts.sum())),
                "labels": [f"{v:.2f}" for v in edges[:-1]],
                "title": f"Code activations of the test digits: mean {codes.mean():.3f}"
                         + (f" (target ρ = {m.config.sparsity_target:g})" if m.config.sparsity == "kl" else "")},
                height=220, live=live_now, alt="Histogram of the code units' activations.")


def draw_curve(m: Autoencoder, x: np.ndarray, labels: np.ndarray, live_now: bool) -> None:
    fed = render.fed()
    metrics_row(m, live_now)
    codes, recon = m.encode_and_reconstruct(x)
    a, b = (None, None) if fed else st.columns(2)
    names = [f"part {i + 1}" for i in range(6)]
    with render.within(a):
        render.show("scatter", "ae_curve_data", {
            "title": "The data (x, y; z hidden) and the reconstruction",
            "xy": render.f32(np.concatenate([x[:, :2], recon[:, :2]])),
            "labels": render.u8_codes(np.concatenate([labels, np.full(len(recon), 6)])), "legend": names + ["rebuilt"],
            "box": [0.0, 1.0, 0.0, 1.0], "x_label": "x →  (y ↑)"},
            height=330, live=live_now, alt="The curve's points seen from above, and where the autoencoder puts them back.")
    with render.within(b):
        if m.config.code == 1:
            xy = np.column_stack([np.arange(len(x)) / len(x), codes[:, 0]])
            title, xl = "The 1-number code along the curve", "position along the curve →  (code ↑)"
        else:
            xy, title, xl = codes[:, :2], "The code", "code 1 →  (code 2 ↑)"
        render.show("scatter", "ae_curve_code", {"title": title, "xy": render.f32(xy), "labels": render.u8_codes(labels),
                                                 "legend": names, "x_label": xl},
                    height=330, live=live_now, alt="Each point's code: in order along the curve when it is unrolled.")
    if render.due("ae_loss", 0.2):
        loss_curves(m, live_now)


# ---- the movie recommender ------------------------------------------------------------------------
RATING = {"like": 1.0, "dislike": 0.0, "unseen": -1.0}
RATING_LABEL = {"like": "liked it", "dislike": "disliked it", "unseen": "not seen"}


@st.cache_resource(show_spinner="Training the recommender on 400 users…", max_entries=8)
def recommender(code: int, seed: int) -> Autoencoder:
    """A stacked autoencoder trained on users' likes / dislikes, unseen films left out of the loss."""
    data = datasets.movie_ratings(400, seen=0.6, seed=seed)
    m = Autoencoder(AEConfig(n_inputs=len(datasets.MOVIES), encoder=(8,), code=code, activation="sigmoid",
                             code_activation="sigmoid", stacked=True, pretrain_updates=400, batch_size=20,
                             learning_rate=0.01, seed=seed), data.x)
    for _ in range(20):
        m.step(200, record=False)
    return m


def movies_view() -> None:
    st.markdown("A stacked autoencoder (10 films → 8 → a code → 8 → 10) trained on 400 users who each rated about "
                "60 % of ten films. Unseen films are fed as 0 and left out of the loss, so it learns to fill them in "
                "(as the course's recommender). Rate a few yourself; compare with the "
                "[Boltzmann machine's recommender](rbm?rbm_mode=movies).")
    c = st.columns(3)
    c[0].number_input("Code size (tastes)", 1, 8, key="ae_code", help="How many numbers describe a user's taste.")
    c[1].number_input("Seed", 0, 100_000, key="ae_seed", help="Which users, and which training run.")
    m = recommender(int(min(8, st.session_state["ae_code"])), int(st.session_state["ae_seed"]))
    likes = []
    cols = st.columns(5)
    keys = [f"ae_movie_{i}" for i in range(len(datasets.MOVIES))]
    for i, key in enumerate(keys):
        st.session_state.setdefault(key, ("like", "like", "dislike", "dislike")[i] if i < 4 else "unseen")
    url.hold(keys)
    for i, movie in enumerate(datasets.MOVIES):
        key = keys[i]
        cols[i % 5].selectbox(movie, list(RATING), key=key, format_func=RATING_LABEL.get)
        likes.append(st.session_state[key])
    v = np.array([[RATING[r] for r in likes]])
    predicted = m.reconstruct(np.where(v >= 0, v, 0.0))[0]
    unseen = [i for i, r in enumerate(likes) if r == "unseen"]
    if unseen:
        table = pd.DataFrame({"movie": [datasets.MOVIES[i] for i in unseen],
                              "chance you like it": [float(predicted[i]) for i in unseen]}).sort_values(
            "chance you like it", ascending=False)
        st.markdown("**Predictions for the films you have not seen**")
        st.dataframe(table.style.format({"chance you like it": "{:.0%}"}), hide_index=True)
    else:
        st.info("Mark some films as not seen to get predictions for them.")
    truth = datasets.movie_ratings(400, seen=0.6, seed=int(st.session_state["ae_seed"]))
    hidden = truth.x < 0
    guess = m.reconstruct(np.where(truth.x >= 0, truth.x, 0.0))
    accuracy = float(((guess > 0.5) == (truth.y > 0.5))[hidden].mean()) if hidden.any() else float("nan")
    st.caption(f"On the 400 users' own unseen films it guesses like / dislike right {accuracy:.0%} of the time "
               "(a coin: 50 %).")


# ---- the page -------------------------------------------------------------------------------------
def _code_clicked(edit: object) -> None:
    """A click on the code plot: decode that point (the browser's numbers checked, never echoed)."""
    if not isinstance(edit, dict) or edit.get("kind") != "code":
        return
    try:
        x, y = float(edit["x"]), float(edit["y"])
    except (KeyError, TypeError, ValueError):
        return
    if np.isfinite(x) and np.isfinite(y) and max(abs(x), abs(y)) <= 50:
        st.session_state["ae_z1"], st.session_state["ae_z2"] = round(x, 2), round(y, 2)


def transport_and_play(draw) -> None:
    live.transport("ae", "ae_playing", on_step=lambda: st.session_state["ae_model"].step(1),
                   on_reset=lambda: st.session_state.pop("ae_model", None),
                   play_help="Train continuously, a few mini-batches per frame.",
                   step_help="One mini-batch update, then pause.",
                   reset_help="New weights from the seed; keeps every setting.",
                   extras=lambda: st.select_slider("Updates per frame", SPEED_CHOICES, key="ae_speed",
                                                   label_visibility="collapsed",
                                                   format_func=lambda v: f"{v} updates per frame",
                                                   help="Training speed: updates between two redraws."))
    if "ae_model" not in st.session_state:
        st.rerun()
    m = st.session_state["ae_model"]
    if m.config.code == 2 and view == "digits":
        render.edits("ae_code", _code_clicked)   # a click on the code plot picks the code to decode
        with st.sidebar:
            st.subheader("Decode a code")
            z = st.columns(2)
            ringed = "Ringed in the code plot (dashed, at its edge, when the code lies outside it)."
            z[0].number_input("code 1", -50.0, 50.0, step=0.1, key="ae_z1", help=ringed)
            z[1].number_input("code 2", -50.0, 50.0, step=0.1, key="ae_z2", help=ringed)
    STATE.publish()
    live.play("ae", "ae_playing",
              lambda: live.run_steps("ae", lambda n, last: m.step(n, record=last),
                                     live.wanted_steps(st.session_state["ae_speed"]), most=m.most_updates_per_call)
              == "running",
              lambda: draw(m, live_now=bool(st.session_state.get("ae_playing"))), interval_s=0.06, fed=True)


if view == "movies":
    movies_view()
else:
    controls()
    try:
        if view == "curve":
            st.sidebar.selectbox("Curve", datasets.CURVES, key="ae_curve",
                                 help="A circle bent into a saddle, or a rising spiral: a 1-D thread through 3-D.")
            cx, cy = curve_data(st.session_state["ae_curve"], st.session_state["ae_seed"])
            model_for(cx, cy, ("curve", st.session_state["ae_curve"]))
            transport_and_play(lambda m, live_now: draw_curve(m, cx, cy, live_now))
        else:
            dx, dy = digit_data()
            model_for(dx, dy, ("digits",))
            transport_and_play(lambda m, live_now: draw_digits(m, dx, dy, live_now))
    except ValueError as err:
        st.error(f"Cannot build this autoencoder: {err}")
STATE.publish()
