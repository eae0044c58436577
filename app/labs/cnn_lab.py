"""CNN lab: convolve real images, inspect the arithmetic of any cell, compute layer shapes, train a
small CNN on the digits live."""
from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import streamlit as st

from app import images, render
from app.charts import cnn as charts
from app.charts import playground as pg_charts
from app.charts.rbm import bars_image
from app.state import live, screen, url
from app.state.echo import quote
from app.state.session import warm_engine
from engine import datasets, limits
from engine.conv import (KERNELS, LAYER_KINDS, POOLS, CNNConfig, LayerSpec, SmallCNN, feature_map, output_size, pool2d,
                         shape_chain)
from engine.optimizers import OPTIMIZERS, Optimizer, OptimizerConfig

MODES = {"image": "Convolve an image", "shapes": "Shape calculator", "train": "Train a small CNN"}
SPEEDS = (1, 2, 5, 10, 20, 50)
RECORD_EVERY_S = 0.25  # while playing, the curves get a point at most this often
MAPS_PER_ROW = 8
SPEED_CHOICES = (*map(str, SPEEDS), live.AUTO)
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
TRAIN_SHARE = 1400  # digits for training; the other 397 are the test set
STACKS = {
    "course": ("The course's Keras CNN", (64, 64, 3), [LayerSpec("conv", 32, 3), LayerSpec("pool", kernel=2, stride=2),
                                                       LayerSpec("conv", 32, 3), LayerSpec("flatten"),
                                                       LayerSpec("dense", 128), LayerSpec("dense", 1)]),
    "vgg16": ("VGG16 (224 x 224 RGB)", (224, 224, 3),
              sum(([LayerSpec("conv", f, 3, 1, 1)] * n + [LayerSpec("pool", kernel=2, stride=2)]
                   for f, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))), [])
              + [LayerSpec("flatten"), LayerSpec("dense", 512), LayerSpec("dense", 10)]),
    "ours": ("This lab's small CNN (8 x 8 digits)", (8, 8, 1),
             [LayerSpec("conv", 8, 3, 1, 1), LayerSpec("pool", kernel=2, stride=2), LayerSpec("conv", 16, 3, 1, 1),
              LayerSpec("pool", kernel=2, stride=2), LayerSpec("flatten"), LayerSpec("dense", 10)]),
}

FIELDS = [
    url.choice("cnn_mode", "image", tuple(MODES)),
    url.choice("cnn_img", "shapes", tuple(images.SAMPLES) + ("upload",)),
    url.integer("cnn_side", 64, 8, images.MAX_SIDE),
    url.flag("cnn_rgb", False),
    url.choice("cnn_kernel", "vertical edges (Sobel x)", tuple(KERNELS) + ("custom",)),
    url.integer("cnn_stride", 1, 1, 4),
    url.integer("cnn_pad", 0, 0, 3),
    url.choice("cnn_pool", "max", POOLS),
    url.integer("cnn_psize", 2, 2, 4),
    url.integer("cnn_row", 0, 0, 1000),
    url.integer("cnn_col", 0, 0, 1000),
    url.choice("cnn_stack", "course", tuple(STACKS)),
    url.choice("cnn_opt", "adam", OPTIMIZERS),
    url.choice("cnn_lr", "0.01", tuple(f"{v:g}" for v in LEARNING_RATES)),
    url.integer("cnn_batch", 32, 1, 256),
    url.integer("cnn_f1", 8, 1, 32),
    url.integer("cnn_f2", 16, 1, 32),
    url.integer("cnn_seed", 0, 0, 100_000),
    url.choice("cnn_speed", "5", SPEED_CHOICES),
    url.integer("cnn_digit", 0, 0, 396),
]
STATE = url.PageState("cnn", FIELDS)

warm_engine("conv")
screen.header(
    ":material/filter_center_focus: Convolutional network",
    "A convolution slides a small **kernel** over the image and, at each position, multiplies the pixels "
    "under it by the kernel's numbers and adds them up: one number per position, a **feature map** that "
    "lights up where the image looks like the kernel. **ReLU** keeps the positive part; **pooling** "
    "keeps one number per window (the largest, for max pooling), shrinking the map. A CNN learns its kernels.")
KERNEL_LIMIT = 100.0  # an edited kernel's numbers, in a link


def restore_custom_kernel() -> list[str]:
    """A custom kernel travels in the link as ``cnn_k=9 numbers``, row by row."""
    raw = st.query_params.get("cnn_k")
    if raw is None or "_cnn_kernel_values" in st.session_state or st.session_state["cnn_kernel"] != "custom":
        return []
    try:
        values = np.array([float(v) for v in raw.split(",")])
        if values.size != 9 or not np.all(np.isfinite(values)) or np.abs(values).max() > KERNEL_LIMIT:
            raise ValueError
    except ValueError:
        return [f"`cnn_k` must be 9 numbers between -{KERNEL_LIMIT:g} and {KERNEL_LIMIT:g}; using the identity kernel"]
    st.session_state["_cnn_kernel_values"] = values.reshape(3, 3)
    return []


def link_extras() -> dict[str, str]:
    values = st.session_state.get("_cnn_kernel_values")
    if st.session_state.get("cnn_kernel") == "custom" and values is not None:
        return {"cnn_k": ",".join(f"{v:g}" for v in np.asarray(values).ravel())}
    return {}


STATE.show_problems(STATE.restore() + restore_custom_kernel())
st.segmented_control("View", list(MODES), key="cnn_mode", format_func=MODES.get, label_visibility="collapsed")
mode = st.session_state["cnn_mode"] or "image"


# ---- convolve an image -------------------------------------------------------------------------------
def _set_kernel_from_preset() -> None:
    name = st.session_state["cnn_kernel"]
    if name in KERNELS:
        st.session_state["_cnn_kernel_values"] = np.array(KERNELS[name], dtype=float)
        st.session_state.pop("cnn_kernel_editor", None)


def load_image() -> np.ndarray | None:
    source = st.session_state["cnn_img"]
    if source == "upload":
        file = st.file_uploader("Your image", type=None, key="cnn_file",
                                help=f"Any common format (PNG, JPEG, GIF, BMP, WebP, TIFF), up to "
                                     f"{images.MAX_UPLOAD_BYTES // 1_000_000} MB; shrunk to the size below.")
        if file is None:
            st.info("Upload an image, or pick a sample.")
            return None
        raw = file.getvalue()
        digest = hashlib.sha256(raw).hexdigest()
        if st.session_state.get("_cnn_upload_digest") != digest:
            st.session_state["_cnn_upload_digest"] = digest
            try:
                st.session_state["_cnn_upload"] = images.read_upload(raw)
                st.session_state["_cnn_upload_error"] = None
            except ValueError as err:
                st.session_state["_cnn_upload"] = None
                st.session_state["_cnn_upload_error"] = f"Could not use {quote(file.name, 40)}: {err}."
        if st.session_state.get("_cnn_upload_error"):
            st.error(st.session_state["_cnn_upload_error"])
            return None
        img = st.session_state["_cnn_upload"]
    else:
        img = images.sample(source)
    return images.to_array(img, st.session_state["cnn_side"], st.session_state["cnn_rgb"])


def image_view() -> None:
    left, main = st.columns([1, 3.2], gap="large")
    with left:
        st.selectbox("Image", tuple(images.SAMPLES) + ("upload",), key="cnn_img",
                     format_func=lambda k: images.SAMPLES.get(k, "Upload your own"))
        st.slider("Size (pixels, longer side)", 8, images.MAX_SIDE, step=8, key="cnn_side",
                  help="Images are shrunk to this; small sizes make every pixel visible.")
        st.toggle("Keep colour (RGB)", key="cnn_rgb",
                  help="A filter spans all channels: the kernel runs on red, green and blue, and the three "
                       "results are added into one feature map.")
        st.selectbox("Kernel", tuple(KERNELS) + ("custom",), key="cnn_kernel", on_change=_set_kernel_from_preset,
                     help="A preset, or edit the numbers below (the choice then reads 'custom').")
        if "_cnn_kernel_values" not in st.session_state:
            preset = st.session_state["cnn_kernel"]
            st.session_state["_cnn_kernel_values"] = np.array(KERNELS.get(preset, KERNELS["identity"]), dtype=float)
        edited = st.data_editor(pd.DataFrame(st.session_state["_cnn_kernel_values"], columns=["a", "b", "c"]),
                                key="cnn_kernel_editor", hide_index=True, width="stretch")
        kernel = edited.to_numpy(dtype=float)
        if not np.all(np.isfinite(kernel)):
            st.warning("Empty kernel cells count as 0.")
            kernel = np.nan_to_num(kernel)
        if not np.allclose(kernel, st.session_state["_cnn_kernel_values"]):
            st.session_state["_cnn_kernel_values"] = kernel
            if st.session_state["cnn_kernel"] != "custom":
                st.session_state["_cnn_custom_pending"] = True
                st.rerun()  # redraw with the kernel choice reading "custom"
        c = st.columns(2)
        c[0].number_input("Stride", 1, 4, key="cnn_stride", help="How far the kernel moves between positions.")
        c[1].number_input("Padding", 0, 3, key="cnn_pad", help="Rings of zeros added around the image first.")
        st.selectbox("Pooling", POOLS, key="cnn_pool", help="What each window keeps: its max, mean or sum.")
        st.number_input("Pool size (and stride)", 2, 4, key="cnn_psize")
    with main:
        img = load_image()
        if img is None:
            return
        kernel = st.session_state["_cnn_kernel_values"]
        stride, padding = st.session_state["cnn_stride"], st.session_state["cnn_pad"]
        h, w = img.shape[:2]
        try:
            fm = feature_map(img, kernel, stride, padding)
            relu = np.maximum(fm, 0)
            size = st.session_state["cnn_psize"]
            pooled, arg = pool2d(relu, size, size, st.session_state["cnn_pool"])
            pooled, arg = pooled[0, 0], arg[0, 0]
        except ValueError as err:
            st.error(f"This does not fit: {err}. Use a larger image, more padding or a smaller stride.")
            return
        oh = output_size(h, 3, stride, padding)
        cols = st.columns(4)
        cols[0].image(pg_charts.to_png(charts.picture(img)), caption=f"input {h} x {w}"
                      + (" x 3" if img.ndim == 3 else ""), alt="The input image.")
        cols[1].image(pg_charts.to_png(charts.signed(fm)),
                      caption=f"feature map {fm.shape[0]} x {fm.shape[1]}: ({h} + 2x{padding} − 3) / {stride} + 1 = {oh}",
                      alt="The feature map: the kernel's response at each position, blue positive, orange negative.")
        cols[2].image(pg_charts.to_png(charts.signed(relu)), caption="after ReLU: negatives become 0",
                      alt="The feature map after ReLU: only its positive responses remain.")
        winners = charts.with_winners(relu, arg) if st.session_state["cnn_pool"] == "max" else charts.signed(relu)
        cols[3].image(pg_charts.to_png(charts.signed(pooled)),
                      caption=f"{st.session_state['cnn_pool']} pooled {pooled.shape[0]} x {pooled.shape[1]}: "
                              f"({relu.shape[0]} − {size}) / {size} + 1",
                      alt="The pooled map: one number per pooling window.")
        inspect_cell(img, kernel, fm, relu, pooled, arg, winners)


def _pick_cell() -> None:
    event = st.session_state.get("cnn_pick")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        st.session_state["cnn_row"] = int(round(points[0]["y"]))
        st.session_state["cnn_col"] = int(round(points[0]["x"]))


def inspect_cell(img, kernel, fm, relu, pooled, arg, winners) -> None:
    st.subheader("Where does one number come from?")
    s = st.session_state
    s["cnn_row"] = min(s["cnn_row"], fm.shape[0] - 1)
    s["cnn_col"] = min(s["cnn_col"], fm.shape[1] - 1)
    r, c = s["cnn_row"], s["cnn_col"]
    a, b = st.columns([1.3, 1])
    with a:
        st.plotly_chart(charts.clickable_map(fm, "Feature map: click a cell", (r, c)), key="cnn_pick",
                        on_select=_pick_cell, selection_mode="points")
        n = st.columns(2)
        n[0].number_input("Row", 0, fm.shape[0] - 1, key="cnn_row")
        n[1].number_input("Column", 0, fm.shape[1] - 1, key="cnn_col")
    stride, padding = s["cnn_stride"], s["cnn_pad"]
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, -1, 0)
    padded = np.pad(chw, ((0, 0), (padding, padding), (padding, padding)))
    window = padded[:, r * stride:r * stride + 3, c * stride:c * stride + 3]
    products = window * kernel
    with b:
        st.markdown(f"**Cell ({r}, {c})**: the 3 x 3 window at rows {r * stride - padding}…{r * stride - padding + 2}, "
                    f"columns {c * stride - padding}…{c * stride - padding + 2} of the image"
                    + (" (zeros where it hangs over the padding)" if padding else "") + ", times the kernel, summed"
                    + (" over the 3 channels" if img.ndim == 3 else "") + ".")
        for ch in range(len(window)):
            label = ("red", "green", "blue")[ch] if len(window) == 3 else "pixel"
            st.caption(f"{label} × kernel = product, for each of the 9 positions")
            cells = [[f"{window[ch, i, j]:.2f}×{kernel[i, j]:.3g}={products[ch, i, j]:.2f}" for j in range(3)]
                     for i in range(3)]
            st.dataframe(pd.DataFrame(cells, columns=["left", "middle", "right"]), hide_index=True)
        st.markdown(f"Sum of the products = **{products.sum():.4f}** (the map says {fm[r, c]:.4f}); after ReLU "
                    f"**{relu[r, c]:.4f}**.")
        pr, pc = min(r // s["cnn_psize"], pooled.shape[0] - 1), min(c // s["cnn_psize"], pooled.shape[1] - 1)
        k = s["cnn_psize"]
        pool_window = relu[pr * k:pr * k + k, pc * k:pc * k + k]
        kind = s["cnn_pool"]
        st.markdown(f"Its pooling window (pooled cell ({pr}, {pc})) keeps **{pooled[pr, pc]:.4f}**, the "
                    + {"max": "largest", "average": "mean", "sum": "sum"}[kind] + " of:")
        table = pd.DataFrame(pool_window.round(4), columns=[f"col {pc * k + j}" for j in range(pool_window.shape[1])],
                             index=[f"row {pr * k + i}" for i in range(pool_window.shape[0])])
        if kind == "max":
            wr, wc = divmod(int(arg[pr, pc]), relu.shape[1])
            st.caption(f"winner: row {wr}, column {wc} of the ReLU map (bold; ringed in red below)")
            st.dataframe(table.style.format("{:.4f}").highlight_max(
                axis=None, props="font-weight: bold; background-color: #fde2c4"))
        else:
            st.dataframe(table.style.format("{:.4f}"))
    if kind == "max":
        st.image(pg_charts.to_png(winners), caption="ReLU map with each window's winning cell ringed: the only "
                 "cells whose gradient flows back through max pooling.", width=360,
                 alt="The ReLU map with the largest cell of each pooling window ringed.")


# ---- shape calculator -------------------------------------------------------------------------
def shapes_view() -> None:
    st.selectbox("Start from", tuple(STACKS), key="cnn_stack", format_func=lambda k: STACKS[k][0],
                 on_change=lambda: st.session_state.pop("cnn_layers", None))
    title, shape, layers = STACKS[st.session_state["cnn_stack"]]
    c = st.columns(3)
    hwc = [c[i].number_input(name, 1, 4096, value=int(shape[i]), key=f"cnn_in_{st.session_state['cnn_stack']}_{i}")
           for i, name in enumerate(("Input rows", "Input columns", "Channels"))]
    table = pd.DataFrame([{"kind": l.kind, "filters / units": l.filters, "kernel": l.kernel, "stride": l.stride,
                           "padding": l.padding} for l in layers])
    edited = st.data_editor(table, key=f"cnn_layers_{st.session_state['cnn_stack']}", num_rows="dynamic",
                            hide_index=True, width="stretch",
                            column_config={"kind": st.column_config.SelectboxColumn("kind", options=LAYER_KINDS,
                                                                                    required=True)})
    def cell(row, column: str, empty):
        """A table cell, or ``empty`` where the learner cleared it."""
        value = row[column]
        return empty if value is None or (isinstance(value, float) and np.isnan(value)) else value

    specs = []
    for n, (_, row) in enumerate(edited.dropna(subset=["kind"]).iterrows(), 1):
        try:  # an empty stride is Keras' default: 1 for a convolution, the window for pooling
            specs.append(LayerSpec(str(row["kind"]), cell(row, "filters / units", 0), cell(row, "kernel", 3),
                                   cell(row, "stride", None), cell(row, "padding", 0)))
        except ValueError as err:
            st.error(f"Layer {n} does not work: {err}.")
            return
    try:
        rows = shape_chain(tuple(hwc), specs)
    except ValueError as err:
        st.error(f"This stack does not work: {err}.")
        return
    out = pd.DataFrame({"layer": [r.layer for r in rows], "output shape": [" x ".join(map(str, r.shape)) for r in rows],
                        "parameters": [f"{r.params:,}" for r in rows], "how": [r.note for r in rows]})
    st.dataframe(out, hide_index=True, width="stretch")
    st.metric("Total parameters", f"{sum(r.params for r in rows):,}")


# ---- train a small CNN ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def digit_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    d = datasets.digits()
    order = np.random.default_rng(0).permutation(len(d.x))
    tr, te = order[:TRAIN_SHARE], order[TRAIN_SHARE:]
    return d.x[tr], d.y[tr], d.x[te], d.y[te]


def train_config() -> CNNConfig:
    s = st.session_state
    return CNNConfig(filters1=s["cnn_f1"], filters2=s["cnn_f2"], batch_size=s["cnn_batch"], seed=s["cnn_seed"],
                     optimizer=OptimizerConfig(s["cnn_opt"], lr=float(s["cnn_lr"])))


def train_model() -> SmallCNN:
    cfg = train_config()
    model = st.session_state.get("cnn_model")
    if model is None or st.session_state.get("cnn_model_key") != (cfg.filters1, cfg.filters2, cfg.seed):
        model = SmallCNN(cfg, *digit_split())
        st.session_state["cnn_model"] = model
        st.session_state["cnn_model_key"] = (cfg.filters1, cfg.filters2, cfg.seed)
    elif model.config != cfg:  # optimizer, rate or batch changed: keep the weights, new optimizer state
        model.config = cfg
        model.optimizer = Optimizer(cfg.optimizer, model.theta.size)
    return model


def draw_training(m: SmallCNN, live_now: bool) -> None:
    if not live_now and m.recorded_at != m.steps:
        m.record()  # paused: the curves and numbers end where training stands
    h = m.history
    fed = render.fed()  # a play frame after the first: only the pictures' and metrics' new data
    if m.diverged and not fed:
        st.error("Diverged: the loss became infinite or NaN. Lower the learning rate and reset.")
    render.metrics("cnn_stats", [
        ("Epoch", f"{m.epoch:.2f}", ""), ("Training loss", f"{h.train_loss[-1]:.3f}", ""),
        ("Test loss", f"{h.test_loss[-1]:.3f}", ""),
        ("Test accuracy", f"{h.test_accuracy[-1]:.1%}", f"On {len(m.y_test)} digits never trained on.")],
        live=live_now, alt="Training metrics")
    curves_due = render.due("cnn_curves", RECORD_EVERY_S)  # they gain a point at most this often
    loss_col, acc_col = (None, None) if fed else st.columns(2)
    if curves_due:
        epochs, tl, vl, ta, va = render.thin(h.epoch, h.train_loss, h.test_loss, h.train_accuracy, h.test_accuracy,
                                             most=150)
        for col, view, title, train, test in ((loss_col, "cnn_loss", "loss", tl, vl),
                                              (acc_col, "cnn_accuracy", "accuracy", ta, va)):
            with render.within(col):
                render.show("lines", view, {
                    "x": render.f32(epochs), "x_label": "epoch", "title": title,
                    "series": [{"label": "training", "colour": "#0877bd", "y": render.f32(train)},
                               {"label": "test", "colour": "#f59322", "y": render.f32(test)}]},
                    height=220, live=live_now, alt=f"Training and test {title} over the epochs.")
    idx = int(st.session_state["cnn_digit"])
    digit = m.x_test[idx:idx + 1]
    a = m.forward(digit)

    def maps(view: str, title: str, stack: np.ndarray, cell: int, alt: str, least: int = 0) -> None:
        """``stack``'s maps eight a row, each ``cell`` pixels tall however many rows they take (32
        filters made four rows in one row's height: 8 x 8 maps drawn smaller than the 4 x 4 ones)."""
        peak = np.maximum(np.abs(stack).reshape(len(stack), -1).max(axis=1), 1e-12)[:, None, None]
        render.show("tiles", view, {"title": title, "side": int(stack.shape[-1]), "n": len(stack), "cols": MAPS_PER_ROW,
                                    "scale": "signed", "cells": render.u8(stack / peak)},
                    height=max(least, render.tiles_height(len(stack), MAPS_PER_ROW, cell)), live=live_now, alt=alt)

    left, right = (None, None) if fed else st.columns([1.3, 1])
    with render.within(left):
        d1, d2 = (None, None) if fed else st.columns([1, 3])
        with render.within(d1):
            render.show("tiles", "cnn_digit", {"title": f"digit #{idx}", "side": 8, "n": 1, "cols": 1,
                                               "scale": "ink", "cells": render.u8(digit[0, 0], 0.0, 1.0)},
                        height=140, live=live_now, alt="The test digit the maps below are computed from.")
        with render.within(d2):
            maps("cnn_filters", "layer-1 filters (3 x 3)", m.param("w1")[:, 0], 40,
                 "The first layer's learned 3 x 3 filters.", least=140)   # as tall as the digit beside them
        maps("cnn_relu1", "layer 1 after ReLU (8 x 8)", a["relu1"][0], 78, "Layer-1 feature maps after ReLU.")
        maps("cnn_pool1", "layer 1 after max pooling (4 x 4)", a["pool1"][0], 78,
             "Layer-1 feature maps after 2 x 2 max pooling.")
        maps("cnn_relu2", "layer 2 after ReLU (4 x 4)", a["relu2"][0], 56, "Layer-2 feature maps after ReLU.")
    with render.within(right):
        probs = a["probs"][0]
        render.show("bars", "cnn_softmax", {
            "scale": "linear", "values": render.f32(probs), "labels": [str(d) for d in range(10)],
            "title": f"softmax for test digit #{idx} (true: {m.y_test[idx]})"},
            height=220, live=live_now, alt="The network's probability for each digit class.")
        if curves_due:
            conf = m.confusion(recorded=True)  # as of the curves' last point
            render.show("matrix", "cnn_confusion", {"k": int(len(conf)), "counts": render.f32(conf.ravel()),
                                                    "title": "test digits: true vs predicted"},
                        height=360, live=live_now, alt="Confusion matrix of the test digits.")
    if not live_now:
        draw_your_own(m, digit[0, 0])


def draw_your_own(m: SmallCNN, start: np.ndarray) -> None:
    with st.expander("Draw a digit yourself: type ink values 0 (blank) to 16 (full) into the grid"):
        key = "cnn_drawing"
        grid = st.data_editor(pd.DataFrame(np.round(start * 16).astype(int), columns=[str(c) for c in range(8)]),
                              key=key, hide_index=True)
        values = np.clip(np.nan_to_num(grid.to_numpy(dtype=float)), 0, 16) / 16
        probs = m.predict(values[None])[0]
        a, b = st.columns([1, 2])
        a.image(pg_charts.to_png(charts.picture(values, 128)), caption="your digit", alt="The digit you drew.")
        b.image(pg_charts.to_png(bars_image(probs, f"the network says {int(probs.argmax())} "
                                                   f"({probs.max():.0%} sure)", [str(d) for d in range(10)],
                                            width=420)),
                alt=f"The network's probability for each digit; it says {int(probs.argmax())}.")


def train_view() -> None:
    with st.sidebar.expander("Network and training options", expanded=True):
        st.selectbox("Optimizer", OPTIMIZERS, key="cnn_opt", help="Changing it keeps the weights.")
        st.selectbox("Learning rate", tuple(f"{v:g}" for v in LEARNING_RATES), key="cnn_lr")
        st.number_input("Batch size", 1, 256, key="cnn_batch")
        st.number_input("Layer-1 filters", 1, 32, key="cnn_f1", help="Changing it starts a new network.")
        st.number_input("Layer-2 filters", 1, 32, key="cnn_f2", help="Changing it starts a new network.")
        st.number_input("Seed", 0, 100_000, key="cnn_seed")
        st.number_input("Test digit to follow (0-396)", 0, 396, key="cnn_digit")
    st.sidebar.caption("conv 3x3 (same) → ReLU → max pool 2 → conv 3x3 (same) → ReLU → max pool 2 → flatten → "
                       f"dense 10 → softmax, trained on {TRAIN_SHARE} of the 1,797 digits with cross-entropy.")
    m = train_model()
    live.transport("cnn", "cnn_playing", on_step=lambda: st.session_state["cnn_model"].step(1),
                   on_reset=lambda: st.session_state.pop("cnn_model", None),
                   play_help="Train continuously.", step_help="One mini-batch update, then pause.",
                   reset_help="New initial weights from the seed.",
                   extras=lambda: st.select_slider("Updates per frame", SPEED_CHOICES, key="cnn_speed",
                                                   label_visibility="collapsed",
                                                   format_func=lambda v: f"{v} updates per frame",
                                                   help="Training speed: mini-batch updates between two redraws."))
    if "cnn_model" not in st.session_state:
        st.rerun()
    STATE.publish(link_extras())

    def step(n: int, last: bool) -> str:
        """n updates; the curves get a point at most every RECORD_EVERY_S (a point evaluates 800
        digits: each frame's took most of its 52 ms)."""
        due = last and time.perf_counter() - st.session_state.get("_cnn_recorded", 0.0) >= RECORD_EVERY_S
        if due:
            st.session_state["_cnn_recorded"] = time.perf_counter()
        return m.step(n, record=due)

    live.play("cnn", "cnn_playing",
              lambda: live.run_steps("cnn", step,
                                     live.wanted_steps(st.session_state["cnn_speed"]),
                                     most=limits.CNN_MAX_STEPS_PER_CALL) == "running",
              lambda: draw_training(m, bool(st.session_state.get("cnn_playing"))), interval_s=0.08, fed=True)


if mode == "image":
    if st.session_state.pop("_cnn_custom_pending", False):
        st.session_state["cnn_kernel"] = "custom"
    image_view()
elif mode == "shapes":
    shapes_view()
else:
    train_view()
STATE.publish(link_extras())
