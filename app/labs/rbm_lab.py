"""RBM lab: contrastive divergence with live reconstructions, the course's CD-1 by hand, a recommender."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import render
from app.charts import playground as pg_charts
from app.charts import rbm as charts
from app.state import live, screen, url
from app.state.session import warm_engine
from engine import datasets, limits
from engine.rbm import (DBN, EXAMPLE_HIDDEN_BIAS, EXAMPLE_V, EXAMPLE_VISIBLE_BIAS, EXAMPLE_W, NOTES_ERRATA,
                        NOTES_VALUES, RBM, RBMConfig, cd1_walkthrough)

MODES = {"digits": "Train on digits", "worked": "CD-1 by hand (course example)", "movies": "Movie recommender"}
SPEEDS = (1, 2, 5, 10, 20, 50, 100)
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)
SHOWN = 12          # input/reconstruction pairs on screen
CHAINS = 8          # Gibbs chains from noise
RATING = {"like": 1.0, "dislike": 0.0, "unseen": -1.0}
RATING_LABEL = {"like": "liked it", "dislike": "disliked it", "unseen": "not seen"}
DEFAULT_LIKES = ("like", "like", "dislike", "dislike", "unseen", "unseen", "unseen", "unseen", "unseen", "unseen")
PASS_KEYS = ("forward", "backward", "second")


def _likes_field() -> url.Field:
    def parse(text: str) -> list[str]:
        items = text.split(",")
        if len(items) != len(datasets.MOVIES) or any(i not in RATING for i in items):
            raise ValueError(f"must list {len(datasets.MOVIES)} of like/dislike/unseen")
        return items
    return url.Field("rbm_likes", list(DEFAULT_LIKES), parse, lambda v: ",".join(v))


FIELDS = [
    url.choice("rbm_mode", "digits", tuple(MODES)),
    url.integer("rbm_hidden", 64, 2, limits.UI_RBM_MAX_HIDDEN),
    url.integer("rbm_k", 1, 1, limits.RBM_MAX_K),
    url.flag("rbm_pcd", False),
    url.number("rbm_lr", 0.1, 0.001, 2.0),
    url.number("rbm_mom", 0.5, 0.0, 0.99),
    url.number("rbm_decay", 0.0001, 0.0, 0.1),
    url.integer("rbm_batch", 10, 1, limits.UI_RBM_MAX_BATCH),
    url.number("rbm_thresh", 0.5, 0.05, 0.95),
    url.flag("rbm_sh", True),
    url.flag("rbm_sv", False),
    url.integer("rbm_seed", 0, 0, 100_000),
    url.number("rbm_std", 0.01, 0.0, 1.0),
    url.choice("rbm_chain_from", "noise", ("noise", "data")),
    url.choice("rbm_speed", "10", SPEED_CHOICES),
    url.integer("rbm_digit", 0, 0, 1796),
    url.integer("rbm_pass", 1, 1, 4),
    url.flag("rbm_round", True),
    url.number("rbm_wlr", 0.1, 0.001, 2.0),
    url.integer("rbm_mhidden", 5, 2, 20),
    _likes_field(),
]
STATE = url.PageState("rbm", FIELDS)

warm_engine("rbm")
screen.header(
    ":material/blur_on: Restricted Boltzmann machine",
    "Two layers and no output: **visible** units (the data) and **hidden** units (features), every "
    "visible unit linked to every hidden one and none within a layer. It learns by **contrastive "
    "divergence**: make the data's own configuration more likely (the positive phase) and what the "
    "model dreams up after k back-and-forth **Gibbs steps** less likely (the negative phase), until "
    "the two agree.")
STATE.show_problems(STATE.restore())
st.segmented_control("View", list(MODES), key="rbm_mode", format_func=MODES.get, label_visibility="collapsed")
mode = st.session_state["rbm_mode"] or "digits"


# ---- digits ---------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def digits_data(threshold: float) -> tuple[np.ndarray, np.ndarray]:
    d = datasets.digits()
    return (d.x > threshold).astype(float), d.y


def digits_config() -> RBMConfig:
    s = st.session_state
    return RBMConfig(n_visible=64, n_hidden=s["rbm_hidden"], k=s["rbm_k"], persistent=s["rbm_pcd"],
                     learning_rate=s["rbm_lr"], momentum=s["rbm_mom"], weight_decay=s["rbm_decay"],
                     batch_size=s["rbm_batch"], sample_hidden=s["rbm_sh"], sample_visible=s["rbm_sv"],
                     init_std=s["rbm_std"], seed=s["rbm_seed"])


def shown_indices(labels: np.ndarray) -> np.ndarray:
    """The first digits of each class, so every digit appears in the grid."""
    return np.array([np.flatnonzero(labels == d)[r] for r in range(2) for d in range(10)])[:SHOWN]


def digits_controls() -> None:
    s = st.session_state
    with st.sidebar.expander("Training options: hidden units, k, PCD, learning rate, momentum, decay, batch, sampling",
                             expanded=True):
        c = st.columns(2) * 2
        c[0].number_input("Hidden units", 2, limits.UI_RBM_MAX_HIDDEN, key="rbm_hidden", help="How many features the RBM can learn.")
        c[1].number_input("Gibbs steps k", 1, limits.RBM_MAX_K, key="rbm_k",
                          help="Steps of the negative chain per update: CD-1 is one step (the notes' choice).")
        c[2].number_input("Learning rate", 0.001, 2.0, step=0.01, format="%.3f", key="rbm_lr",
                          help="Step size of each update.")
        c[3].number_input("Batch size", 1, limits.UI_RBM_MAX_BATCH, key="rbm_batch", help="Digits per update.")
        d = st.columns(2) * 2
        d[0].number_input("Momentum", 0.0, 0.99, step=0.1, format="%.2f", key="rbm_mom",
                          help="Share of the last update carried into this one.")
        d[1].number_input("Weight decay", 0.0, 0.1, step=0.0001, format="%.4f", key="rbm_decay",
                          help="L2 penalty that keeps the weights small.")
        d[2].number_input("Binarise at", 0.05, 0.95, step=0.05, format="%.2f", key="rbm_thresh",
                          help="Pixels brighter than this are on (1), the rest off (0).")
        d[3].number_input("Seed", 0, 100_000, key="rbm_seed", help="Same seed: same start, same batches, same samples.")
        st.number_input("Initial weight spread", 0.0, 1.0, step=0.01, format="%.3f", key="rbm_std",
                        help="Weights start as small random numbers with this standard deviation; biases at 0.")
        st.toggle("Persistent CD", key="rbm_pcd",
                  help="PCD: the negative chain carries on from the last update instead of restarting at the data "
                       "(scikit-learn's BernoulliRBM).")
        st.toggle("Sample hidden states", key="rbm_sh",
                  help="In the chain, hidden units are drawn as 0/1 (on) or passed as probabilities (off).")
        st.toggle("Sample visible states", key="rbm_sv",
                  help="In the chain, visible units are drawn as 0/1 (on) or passed as probabilities (off).")
    st.sidebar.caption(f"Changing an option starts a new RBM. Current: {'PCD' if s['rbm_pcd'] else 'CD'}-{s['rbm_k']}.")


def digits_model(x: np.ndarray) -> RBM:
    cfg = digits_config()
    key = (cfg, st.session_state["rbm_thresh"])
    if st.session_state.get("rbm_model_key") != key or "rbm_model" not in st.session_state:
        st.session_state["rbm_model"] = RBM(cfg, x)
        st.session_state["rbm_model_key"] = key
        st.session_state.pop("rbm_chain", None)
    return st.session_state["rbm_model"]


def draw_digits(m: RBM, x: np.ndarray, labels: np.ndarray, live_now: bool) -> None:
    h = m.history
    fed = render.fed()  # a play frame after the first: only the pictures' and metrics' new data
    if m.status == "diverged" and not fed:
        st.error("Diverged: the weights blew up. Lower the learning rate or momentum and reset.")
    render.metrics("rbm_stats", [
        ("Epoch", f"{m.epoch:.2f}", "Passes over the 1,797 digits."),
        ("Updates", f"{m.updates:,}", ""),
        ("Reconstruction error", f"{h.reconstruction_error[-1]:.4f}", "Mean |pixel − reconstruction| over 500 digits."),
        ("Free energy: data", f"{h.free_energy_data[-1]:.1f}", "Low free energy = the model finds the input likely."),
        ("Free energy: samples", f"{h.free_energy_model[-1]:.1f}",
         "Of 100 samples from a Gibbs chain that started at noise: above the data's while the model still tells its "
         "dreams from real digits.")], live=live_now, alt="Training metrics")
    idx = shown_indices(labels)
    recon = m.reconstruct(x[idx])
    a, b = (None, None) if fed else st.columns([1.1, 1])
    with render.within(a):
        render.show("tiles", "rbm_pairs", {
            "title": "Digits and their reconstructions", "note": "left: input   right: reconstruction",
            "side": 8, "n": 2 * len(idx), "group": 2, "cols": 4, "scale": "ink",
            "cells": render.u8(np.stack([x[idx], recon], axis=1).reshape(-1, 64), 0.0, 1.0)},
            height=270, live=live_now, alt="Each shown digit beside the RBM's reconstruction of it.")
    n_filters = min(64, m.config.n_hidden)
    weights = m.W[:, :n_filters]
    with render.within(b):
        render.show("tiles", "rbm_filters", {
            "title": f"What hidden units 1-{n_filters} look for", "side": 8, "n": n_filters, "cols": 8,
            "scale": "signed", "cells": render.u8((weights / np.maximum(np.abs(weights).max(axis=0), 1e-12)).T)},
            height=330, live=live_now, alt="Each hidden unit's weights drawn as an 8 x 8 picture.")
        if not fed:
            st.caption("Each square: one hidden unit's weights from the 8 x 8 pixels (blue +, orange −).")
    left, right = (None, None) if fed else st.columns(2)
    if render.due("rbm_curves", 0.2):  # the curves: 5 times a second
        epochs, err, fe_data, fe_model = render.thin(h.epoch, h.reconstruction_error, h.free_energy_data,
                                                     h.free_energy_model, most=150)
        with render.within(left):
            render.show("lines", "rbm_error", {
                "x": render.f32(epochs), "x_label": "epoch",
                "series": [{"label": "reconstruction error", "colour": "#0877bd", "y": render.f32(err)}]},
                height=220, live=live_now, alt="Reconstruction error over the epochs.")
        with render.within(right):
            render.show("lines", "rbm_energy", {
                "x": render.f32(epochs), "x_label": "epoch", "title": "free energy",
                "series": [{"label": "data", "colour": "#2ca02c", "y": render.f32(fe_data)},
                           {"label": "samples", "colour": "#d62728", "y": render.f32(fe_model)}]},
                height=220, live=live_now, alt="Free energy of the data and of the model's samples over the epochs.")
    chosen = int(st.session_state["rbm_digit"])
    probs = m.hidden_probabilities(x[chosen])[0]
    chain = st.session_state.get("rbm_chain")
    start = st.session_state["rbm_chain_from"]
    if chain is None:
        chain = chain_start(start, x, m.config.seed)
    chain = m.gibbs(chain, 1)[-1]  # one Gibbs step per frame: samples forming (or drifting) as you watch
    st.session_state["rbm_chain"] = chain
    d, e = (None, None) if fed else st.columns([1.2, 1])
    with render.within(d):
        render.show("bars", "rbm_hidden", {
            "scale": "linear", "values": render.f32(probs[:64]),
            "title": f"Digit #{chosen} ({labels[chosen]}): p(h = 1 | v), units 1-{min(64, len(probs))}"},
            height=220, live=live_now, alt="How strongly each hidden unit responds to the chosen digit.")
    with render.within(e):
        render.show("tiles", "rbm_chain", {
            "title": f"Gibbs chains started at {'noise' if start == 'noise' else 'real digits'} (one step per frame)",
            "side": 8, "n": len(chain), "cols": len(chain), "scale": "ink", "cells": render.u8(chain, 0.0, 1.0)},
            height=150, live=live_now, alt="Samples of the model: Gibbs chains, one step per frame.")
    if not live_now:
        st.caption(f"Pseudo-likelihood of 500 digits: {m.pseudo_likelihood():.2f} (higher is better; scikit-learn's "
                   "estimate: flip one random pixel of each digit and compare free energies).")
        shown, recons, w_all = x[idx].copy(), recon.copy(), m.W.copy()
        f = st.columns([1, 1, 3])
        f[0].download_button(  # Pillow draws the PNGs only when asked for
            "Filters PNG", lambda: pg_charts.to_png(charts.filters_image(
                w_all, f"What hidden units 1-{min(64, w_all.shape[1])} look for")),
            file_name="netplay-rbm-filters.png", mime="image/png", icon=":material/download:", key="rbm_dl_filters")
        f[1].download_button(
            "Reconstructions PNG", lambda: pg_charts.to_png(charts.pairs_image(shown, recons, "Digits and their reconstructions")),
            file_name="netplay-rbm-recon.png", mime="image/png", icon=":material/download:", key="rbm_dl_pairs")


def digits_view() -> None:
    x, labels = digits_data(float(st.session_state["rbm_thresh"]))
    digits_controls()
    try:
        m = digits_model(x)
    except ValueError as err:
        st.error(f"Cannot build this RBM: {err}")
        return
    live.transport("rbm", "rbm_playing", on_step=lambda: st.session_state["rbm_model"].step(1),
                   on_reset=lambda: st.session_state.pop("rbm_model", None),
                   play_help="Train continuously, a few mini-batches per frame.",
                   step_help="One mini-batch update, then pause.",
                   reset_help="New random weights from the seed; keeps every option.",
                   extras=lambda: st.select_slider("Mini-batches per frame", SPEED_CHOICES, key="rbm_speed",
                                                   label_visibility="collapsed",
                                                   format_func=lambda v: f"{v} mini-batches per frame",
                                                   help="Training speed: updates between two redraws."))
    if "rbm_model" not in st.session_state:
        st.rerun()
    st.sidebar.number_input("Digit to inspect (0-1796)", 0, 1796, key="rbm_digit",
                            help="Its hidden-unit probabilities are drawn below.")
    st.sidebar.selectbox("Chains start at", ("noise", "data"), key="rbm_chain_from",
                         on_change=lambda: st.session_state.pop("rbm_chain", None),
                         help="Gibbs chains from random pixels (the model dreaming) or from real digits "
                              "(does it keep them?).")
    st.sidebar.button("Restart chains", key="rbm_chain_reset", on_click=lambda: st.session_state.pop("rbm_chain", None),
                      help="Start the Gibbs chains again.")
    STATE.publish()
    # the section below the live view is filled before the play loop starts: drawn after it, the
    # paused run's copy would linger greyed for as long as the loop runs
    view, below = st.container(), st.container()
    with below:
        if st.session_state.get("rbm_playing"):
            st.caption("Pause to stack a second RBM on top of this one (a small deep belief network).")
        else:
            dbn_section(m)
    with view:
        live.play("rbm", "rbm_playing",
                  lambda: live.run_steps("rbm", lambda n, last: m.step(n, record=last),
                                         live.wanted_steps(st.session_state["rbm_speed"]),
                                         most=m.most_batches_per_call) == "running",
                  lambda: draw_digits(m, x, labels, live_now=bool(st.session_state.get("rbm_playing"))),
                  interval_s=0.08, fed=True)


def chain_start(start: str, x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((CHAINS, 64)) if start == "noise" else x[rng.choice(len(x), CHAINS, replace=False)]


DBN_HIDDEN = 32


def dbn_section(m: RBM) -> None:
    """A second RBM trained on the first one's hidden probabilities: a small deep belief network."""
    with st.expander("Stack a second RBM on top (a small deep belief network)"):
        st.markdown(f"Greedy layer-wise training: the RBM above stays as it is; a second RBM with {DBN_HIDDEN} hidden "
                    f"units learns from its {m.config.n_hidden} hidden probabilities. Samples then come from a Gibbs "
                    "chain in the top RBM, passed down through the first.")
        key = ("dbn", id(m))
        if st.button("Train the second layer for 5 epochs", key="rbm_dbn_train", icon=":material/layers:"):
            dbn = st.session_state.get("rbm_dbn")
            if dbn is None or st.session_state.get("rbm_dbn_key") != key:
                dbn = DBN.on_top_of(m, RBMConfig(m.config.n_hidden, DBN_HIDDEN, k=1, learning_rate=0.05,
                                                 momentum=0.5, batch_size=10, seed=m.config.seed))
                st.session_state["rbm_dbn"], st.session_state["rbm_dbn_key"] = dbn, key
            dbn.train_second(1)
            dbn.train_second(5 * dbn.second.batches_per_epoch - 1)
        dbn = st.session_state.get("rbm_dbn") if st.session_state.get("rbm_dbn_key") == key else None
        if dbn is None:
            st.info("Train the first RBM a little, then press the button.")
            return
        samples = dbn.sample(CHAINS, 50, np.random.default_rng(m.config.seed))
        st.image(pg_charts.to_png(charts.digits_row(samples,
                                                    "Deep belief net: 50 Gibbs steps in the top RBM, then down")),
                 alt="Digits dreamt by the deep belief net after 50 Gibbs steps.")
        st.caption(f"Top RBM: {dbn.second.epoch:.0f} epochs, reconstruction error of the first layer's features "
                   f"{dbn.second.reconstruction_error():.4f}. Retrain the first RBM and the stack starts again.")


# ---- the worked example ---------------------------------------------------------------------------
def worked_view() -> None:
    st.markdown("The course's example: three visible units, four hidden units, the weights and biases below. "
                "Probabilities are passed on (no sampling), as the notes do. Step through the passes.")
    c = st.columns([2, 1, 1])
    c[0].segmented_control("Pass", [1, 2, 3, 4], key="rbm_pass",
                           format_func={1: "1 forward", 2: "2 backward", 3: "3 forward again", 4: "4 update"}.get)
    c[1].number_input("Learning rate", 0.001, 2.0, step=0.05, format="%.3f", key="rbm_wlr",
                      help="For the weight update of pass 4.")
    c[2].toggle("Round to 4 decimals", key="rbm_round",
                help="Carry each pass on rounded to 4 decimals, as a hand calculation (and the notes) do.")
    step = st.session_state["rbm_pass"] or 1
    st.button("Next pass", key="rbm_next", icon=":material/skip_next:", disabled=step >= 4,
              on_click=lambda: st.session_state.update(rbm_pass=min(4, (st.session_state["rbm_pass"] or 1) + 1)))
    passes, update = cd1_walkthrough(lr=st.session_state["rbm_wlr"],
                                     decimals=4 if st.session_state["rbm_round"] else None)
    rounded = (lambda a: np.round(a, 4)) if st.session_state["rbm_round"] else (lambda a: a)  # noqa: E731
    h0, v1, h1 = rounded(passes[0].outputs), rounded(passes[1].outputs), rounded(passes[2].outputs)
    shown = {1: (EXAMPLE_V, h0, "hidden", "v", "h"), 2: (v1, h0, "visible", "v'", "h"),
             3: (v1, h1, "hidden", "v'", "h'"), 4: (v1, h1, "none", "v'", "h'")}[step]
    st.image(pg_charts.to_png(charts.example_net_image(shown[0], shown[1], EXAMPLE_W, shown[2], shown[3], shown[4])),
             caption="Links coloured by weight (blue +, orange −) and labelled with it; the ringed layer is the one "
                     "this pass computes.", width="stretch",
             alt="The course's RBM: 3 visible and 4 hidden units with the example's weights.")
    if step <= 3:
        p = passes[step - 1]
        key = PASS_KEYS[step - 1]
        st.markdown(f"**{p.name}**: input = weighted sum + bias, then the sigmoid.")
        source = "h" if step == 2 else ("v'" if step == 3 else "v")
        target = "v'" if step == 2 else ("h'" if step == 3 else "h")
        rows = []
        for unit, terms in enumerate(p.terms):
            sum_text = " + ".join(f"{a:.4g}×{w:g}" if w >= 0 else f"{a:.4g}×({w:g})" for a, w in terms)
            bias = p.bias[unit]
            sum_text += f" + {bias:g}" if bias >= 0 else f" − {-bias:g}"
            printed_in, printed_out = NOTES_VALUES[key][0][unit], NOTES_VALUES[key][1][unit]
            same = abs(printed_in - p.inputs[unit]) < 5e-6 and round(p.outputs[unit], 4) == printed_out
            verdict = "✓ same" if same else ("misprint" if (key, unit) in NOTES_ERRATA else "carried")
            rows.append({"unit": f"{target}{unit + 1}", f"sum of {source}×w + bias": sum_text,
                         "input": f"{p.inputs[unit]:.5f}", "sigmoid": f"{p.outputs[unit]:.4f}",
                         "the notes": f"{printed_in:g} → {printed_out:.4f} ({verdict})"})
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        if any((key, u) in NOTES_ERRATA for u in range(len(p.terms))):
            st.caption("The notes' input sums are all right, but four of their sigmoids are misprinted in the 4th "
                       "decimal (1 / (1 + e^−0.72) is 0.6726, not 0.6729). 'carried': a later pass that "
                       "inherits such a digit. The numbers here are computed.")
    else:
        st.markdown(f"**Update (CD-1)** with learning rate {st.session_state['rbm_wlr']:g}: "
                    "ΔW = lr (v h − v' h'), Δ visible bias = lr (v − v'), Δ hidden bias = lr (h − h').")
        names_v = [f"v{i + 1}" for i in range(3)]
        names_h = [f"h{j + 1}" for j in range(4)]
        st.dataframe(pd.DataFrame(update["dW"], index=names_v, columns=names_h).style.format("{:+.5f}"))
        st.dataframe(pd.DataFrame({"Δ visible bias": update["db"]}, index=names_v).style.format("{:+.5f}"))
        st.dataframe(pd.DataFrame({"Δ hidden bias": update["dc"]}, index=names_h).style.format("{:+.5f}"))
        new_w = EXAMPLE_W + update["dW"]
        st.caption("New weights: " + "; ".join(
            f"v{i + 1}: " + ", ".join(f"{w:.4f}" for w in new_w[i]) for i in range(3)))
    with st.expander("The starting numbers"):
        st.dataframe(pd.DataFrame(EXAMPLE_W, index=["v1", "v2", "v3"], columns=["h1", "h2", "h3", "h4"]))
        st.markdown(f"v = {EXAMPLE_V.tolist()}, hidden biases = {EXAMPLE_HIDDEN_BIAS.tolist()}, "
                    f"visible biases = {EXAMPLE_VISIBLE_BIAS.tolist()}")


# ---- the movie recommender ------------------------------------------------------------------------
@st.cache_resource(show_spinner="Training the recommender on 400 users…", max_entries=8)
def recommender(n_hidden: int, seed: int) -> RBM:
    """An RBM trained on users' likes / dislikes with unseen movies left unknown (shared by sessions)."""
    data = datasets.movie_ratings(400, seen=0.6, seed=seed)
    m = RBM(RBMConfig(len(datasets.MOVIES), n_hidden, k=5, learning_rate=0.1, momentum=0.5, batch_size=20,
                      seed=seed), data.x)
    m.step(40 * m.batches_per_epoch)
    return m


def movies_view() -> None:
    st.markdown("Trained on 400 users who each rated about 60% of ten movies (liked / disliked; the rest "
                "unknown and kept clamped during Gibbs steps). Rate a few yourself: the hidden units that light "
                "up are the tastes the RBM found, and the unseen movies get a predicted chance you like them.")
    c = st.columns(3)
    c[0].number_input("Hidden units (tastes)", 2, 20, key="rbm_mhidden", help="The course's example has five.")
    c[1].number_input("Seed", 0, 100_000, key="rbm_seed", help="Which users, and which training run.")
    m = recommender(int(st.session_state["rbm_mhidden"]), int(st.session_state["rbm_seed"]))
    likes: list[str] = list(st.session_state["rbm_likes"])
    cols = st.columns(5)
    for k, movie in enumerate(datasets.MOVIES):
        cols[k % 5].selectbox(movie, list(RATING), index=list(RATING).index(likes[k]), key=f"rbm_movie_{k}",
                              format_func=RATING_LABEL.get)
        likes[k] = st.session_state[f"rbm_movie_{k}"]
    st.session_state["rbm_likes"] = likes
    v = np.array([RATING[x] for x in likes])
    ph = m.hidden_probabilities(v)[0]
    pv = m.visible_probabilities(ph)[0]
    a, b = st.columns(2)
    a.image(pg_charts.to_png(charts.bars_image(ph, "Hidden units lit by your ratings", [f"h{j + 1}" for j in
                                                                                      range(len(ph))])),
            alt="How strongly each hidden unit is lit by your ratings.")
    tastes = []
    for j in range(len(ph)):
        order = np.argsort(m.W[:, j])
        tastes.append({"unit": f"h{j + 1}", "p(on)": round(float(ph[j]), 3),
                       "pulls up": ", ".join(datasets.MOVIES[i] for i in order[::-1][:3]),
                       "pulls down": ", ".join(datasets.MOVIES[i] for i in order[:2])})
    a.dataframe(pd.DataFrame(tastes), hide_index=True)
    unseen = [k for k in range(len(likes)) if likes[k] == "unseen"]
    if unseen:
        table = pd.DataFrame({"movie": [datasets.MOVIES[k] for k in unseen],
                              "chance you like it": [float(pv[k]) for k in unseen],
                              "traits": [", ".join(t for t, on in zip(datasets.TRAIT_NAMES, datasets.MOVIE_TRAITS[k])
                                                   if on) for k in unseen]}).sort_values("chance you like it",
                                                                                       ascending=False)
        b.markdown("**Predictions for the movies you have not seen**")
        b.dataframe(table.style.format({"chance you like it": "{:.0%}"}), hide_index=True)
    else:
        b.info("Mark some movies as not seen to get predictions for them.")
    if not any(x != "unseen" for x in likes):
        st.warning("With no ratings at all, every prediction is the average user's taste.")


if mode == "digits":
    digits_view()
elif mode == "worked":
    worked_view()
else:
    movies_view()
STATE.publish()
