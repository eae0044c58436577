"""Pictures for the network playground.

The decision boundary and the network graph are drawn server-side with Pillow: a live view
replaces two small PNGs per frame instead of re-rendering large Plotly heatmaps in the browser,
and the same picture downloads as a slide-ready PNG. Curves stay Plotly (hover, zoom).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from app.charts.theme import NEGATIVE, POSITIVE, SERIES, layout, style  # noqa: F401 (re-exported)
from engine.features import make_features

DOMAIN = 6.0  # the datasets live in [-6, 6]^2


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


NEG_RGB, POS_RGB, MID_RGB = _rgb(NEGATIVE), _rgb(POSITIVE), np.array([232.0, 234.0, 235.0])
CLASS_RGB = [_rgb(c) for c in (NEGATIVE, POSITIVE, "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")]


def diverging(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> RGB uint8: orange (negative), light grey (0), blue (positive)."""
    v = np.clip(np.nan_to_num(values), -1, 1)[..., None]
    rgb = np.where(v < 0, MID_RGB + (NEG_RGB - MID_RGB) * -v, MID_RGB + (POS_RGB - MID_RGB) * v)
    return rgb.astype(np.uint8)


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` (loaded once per size: loading costs a few ms, and a live
    frame asks for fonts dozens of times)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def to_png(image: Image.Image) -> bytes:
    """Lossless, for downloads and still frames."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def to_frame(image: Image.Image) -> bytes:
    """A live frame: JPEG encodes ~10x faster than PNG, invisible loss at quality 92."""
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=92)
    return buf.getvalue()


@lru_cache(maxsize=8)
def grid_points(resolution: int) -> np.ndarray:
    """(resolution^2, 2) points covering the domain, row by row from the top (y = +6) down
    (made once per resolution: every live frame asks for it; callers must not write to it)."""
    axis = np.linspace(-DOMAIN, DOMAIN, resolution)
    gx, gy = np.meshgrid(axis, axis[::-1])
    return np.column_stack([gx.ravel(), gy.ravel()])


@lru_cache(maxsize=32)
def grid_features(feats: tuple[str, ...], resolution: int) -> np.ndarray:
    """The grid points as a network's inputs for these features, made once per feature set (a
    live frame evaluates the network on them; callers must not write to the array)."""
    return make_features(grid_points(resolution), list(feats))


def output_colours(values: np.ndarray, task: str, discretize: bool) -> np.ndarray:
    """Map network outputs on the grid to RGB (resolution, resolution, 3)."""
    if task == "multiclass":
        probs = values  # (res, res, k)
        best = probs.argmax(axis=-1)
        confidence = probs.max(axis=-1)[..., None]
        if discretize:
            confidence = np.ones_like(confidence)
        base = np.stack([CLASS_RGB[c % len(CLASS_RGB)] for c in range(probs.shape[-1])])[best]
        k = probs.shape[-1]
        weight = np.clip((confidence - 1 / k) / (1 - 1 / k), 0, 1) * 0.85
        return (MID_RGB + (base - MID_RGB) * weight).astype(np.uint8)
    signed = values * 2 - 1 if task == "binary" else values
    if discretize:
        signed = np.sign(signed)
    return diverging(signed * 0.85)


@dataclass
class PointSet:
    points: np.ndarray   # (n, 2) in data coordinates
    labels: np.ndarray   # class index or regression value
    outline: tuple[int, int, int]


def boundary_image(colours: np.ndarray, point_sets: list[PointSet], task: str, size: int = 440,
                   title: str = "") -> Image.Image:
    """The output heatmap with data points on top, axes ticks every 2 units."""
    pad = 34
    img = Image.new("RGB", (size + 2 * pad, size + 2 * pad), "white")
    heat = Image.fromarray(colours).resize((size, size), Image.Resampling.BILINEAR)
    img.paste(heat, (pad, pad))
    draw = ImageDraw.Draw(img)
    to_px = lambda v: pad + (v + DOMAIN) / (2 * DOMAIN) * size  # noqa: E731
    r = max(3, size // 110)
    for ps in point_sets:
        for (px, py), label in zip(ps.points, ps.labels):
            if task == "regression":
                fill = tuple(diverging(np.array([label]))[0])
            else:
                fill = tuple(CLASS_RGB[int(label) % len(CLASS_RGB)].astype(int))
            cx, cy = to_px(px), to_px(-py)
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline=ps.outline, width=1)
    small = font(14)
    for t in range(-6, 7, 2):
        p = to_px(t)
        draw.line([p, pad + size, p, pad + size + 4], fill=(90, 90, 90))
        draw.text((p, pad + size + 6), str(t), fill=(60, 60, 60), font=small, anchor="mt")
        draw.line([pad - 4, to_px(-t), pad, to_px(-t)], fill=(90, 90, 90))
        draw.text((pad - 6, to_px(-t)), str(t), fill=(60, 60, 60), font=small, anchor="rm")
    draw.rectangle([pad, pad, pad + size, pad + size], outline=(120, 120, 120))
    if title:
        draw.text((pad, 8), title, fill=(30, 30, 30), font=font(18))
    return img


def network_image(layer_sizes: list[int], layer_labels: list[str], input_names: list[str],
                  weights: list[np.ndarray], thumbnails: list[np.ndarray], height: int = 440,
                  highlight_dead: list[np.ndarray] | None = None) -> Image.Image:
    """Neurons as small heatmaps of what they compute over the plane, links by weight.

    ``thumbnails[l]`` is (units, res, res) in [-1, 1] for layer l (inputs first).
    Link colour is the weight's sign (blue +, orange -) and thickness its size.
    """
    n_layers = len(layer_sizes)
    cell = int(min(44, max(22, (height - 60) / max(layer_sizes) - 8)))
    col_gap = max(cell + 40, min(150, 900 // max(n_layers, 1)))
    width = 90 + col_gap * (n_layers - 1) + cell + 20
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    top = 40

    def centre(l: int, j: int) -> tuple[float, float]:
        n = layer_sizes[l]
        span = n * (cell + 8)
        y0 = top + (height - top - 10 - span) / 2
        return 70 + l * col_gap + cell / 2, y0 + j * (cell + 8) + cell / 2

    max_w = max((np.abs(w).max() for w in weights if w.size), default=1.0) or 1.0
    for l, w in enumerate(weights):
        for a in range(w.shape[0]):
            xa, ya = centre(l, a)
            for b in range(w.shape[1]):
                xb, yb = centre(l + 1, b)
                v = w[a, b]
                strength = abs(v) / max_w
                colour = tuple(int(c) for c in (MID_RGB + ((POS_RGB if v > 0 else NEG_RGB) - MID_RGB)
                                                * (0.35 + 0.65 * strength)))
                draw.line([xa + cell / 2, ya, xb - cell / 2, yb], fill=colour,
                          width=max(1, int(round(1 + 5 * strength))))
    labels = font(15)
    for l, n in enumerate(layer_sizes):
        x, _ = centre(l, 0)
        draw.text((x, 10), layer_labels[l], fill=(40, 40, 40), font=labels, anchor="mt")
        for j in range(n):
            cx, cy = centre(l, j)
            thumb = Image.fromarray(diverging(thumbnails[l][j])).resize((cell, cell), Image.Resampling.NEAREST)
            img.paste(thumb, (int(cx - cell / 2), int(cy - cell / 2)))
            dead = highlight_dead is not None and l < len(highlight_dead) and highlight_dead[l] is not None \
                and highlight_dead[l][j]
            draw.rectangle([cx - cell / 2, cy - cell / 2, cx + cell / 2, cy + cell / 2],
                           outline=(200, 0, 0) if dead else (110, 110, 110), width=3 if dead else 1)
            if l == 0:  # Pillow's built-in font has no superscripts: write x1² as x1^2
                name = input_names[j].replace("²", "^2").replace("·", "*")
                draw.text((cx - cell / 2 - 6, cy), name, fill=(40, 40, 40), font=labels, anchor="rm")
    return img


def loss_curves(steps: list[int], train: list[float], test: list[float], val: list[float] | None = None,
                log_scale: bool = False) -> go.Figure:
    # arrays, in one constructor call: a paused page took 30 ms here with lists and update calls
    steps, train, test = np.asarray(steps), np.asarray(train, dtype=np.float64), np.asarray(test, dtype=np.float64)
    traces = [go.Scatter(x=steps, y=train, name="training loss", line=dict(color=POSITIVE, width=3)),
              go.Scatter(x=steps, y=test, name="test loss", line=dict(color=NEGATIVE, width=3))]
    if val is not None and np.isfinite(val).any():
        traces.append(go.Scatter(x=steps, y=np.asarray(val, dtype=np.float64), name="validation loss",
                                 line=dict(color=SERIES[2], width=2, dash="dot")))
    return go.Figure(data=traces, layout=layout(height=300, xaxis_title="step (mini-batch updates)",
                                                yaxis_title="loss", yaxis_type="log" if log_scale else "linear"))


def rate_curve(steps: list[int], rates: list[float], upcoming: float, height: int) -> go.Figure:
    """The learning rate of the last update of each frame (what the schedule gave)."""
    return go.Figure(data=[go.Scatter(x=np.asarray(steps), y=np.asarray(rates, dtype=np.float64), name="rate",
                                      line=dict(color=SERIES[2], width=3))],
                     layout=layout(height=height, xaxis_title=f"step · the next update's rate: {upcoming:.3g}",
                                   yaxis_title="learning rate", showlegend=False))


def gradient_norms(norms: np.ndarray, labels: list[str]) -> go.Figure:
    """Size of each layer's weight gradient (log axis): tiny bars at the front = vanishing.

    A zero gradient has no size on a log axis and a diverged one (inf/NaN) none at all: they get
    no bar and a word where the bar would stand, never a full bar or a 1e-12 stand-in."""
    norms = np.asarray(norms, dtype=np.float64)
    sized = np.isfinite(norms) & (norms > 0)
    bars = go.Bar(x=labels, y=np.where(sized, norms, np.nan), marker_color=POSITIVE,
                  text=[f"{v:.1e}" if ok else "" for v, ok in zip(norms, sized)], textposition="outside",
                  cliponaxis=False)
    notes = [dict(x=label, y=0, yref="paper", yanchor="bottom", showarrow=False,
                  text="0 (no gradient)" if v == 0 else "diverged", font=dict(size=14))
             for label, v, ok in zip(labels, norms, sized) if not ok]
    logs = np.log10(norms[sized]) if sized.any() else np.array([-3.0, 0.0])
    return go.Figure(data=[bars], layout=layout(
        height=300, yaxis=dict(title="|dLoss/dW|", type="log", exponentformat="power",
                               range=[np.floor(logs.min()) - 1, np.ceil(logs.max()) + 0.5]),
        showlegend=False, annotations=notes))


def _nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    step = 10 ** np.floor(np.log10(span / n))
    for mult in (1, 2, 5, 10):
        if span / (step * mult) <= n:
            step *= mult
            break
    return np.arange(np.ceil(lo / step) * step, hi + step * 0.5, step)


def curve_image(x: list[float], series: list[tuple[str, list[float], str]], width: int = 560,
                height: int = 280, x_label: str = "", log_y: bool = False,
                x_max: float | None = None, title: str = "") -> Image.Image:
    """A light line chart for live frames: (label, values, hex colour) per series."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 64, 14, 30, 40
    xs = np.asarray(x, dtype=float)
    ys = [np.asarray(v, dtype=float) for _, v, _ in series]
    finite = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.array([])
    if log_y:
        finite = finite[finite > 0]
    if len(xs) == 0 or len(finite) == 0:
        return img
    tr = (lambda v: np.log10(np.maximum(v, 1e-300))) if log_y else (lambda v: v)  # noqa: E731
    y_lo, y_hi = float(tr(finite.min())), float(tr(finite.max()))
    if y_hi - y_lo < 1e-12:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    x_lo, x_hi = float(xs.min()), float(max(xs.max(), xs.min() + 1, x_max or 0))
    px = lambda v: left + (v - x_lo) / (x_hi - x_lo) * (width - left - right)  # noqa: E731
    py = lambda v: top + (1 - (v - y_lo) / (y_hi - y_lo)) * (height - top - bottom)  # noqa: E731
    small = font(13)
    for t in _nice_ticks(y_lo, y_hi):
        if y_lo <= t <= y_hi:
            draw.line([left, py(t), width - right, py(t)], fill=(232, 232, 232))
            label = f"1e{t:.0f}" if log_y else f"{t:.3g}"
            draw.text((left - 6, py(t)), label, fill=(90, 90, 90), font=small, anchor="rm")
    for t in _nice_ticks(x_lo, x_hi):
        if x_lo <= t <= x_hi:
            draw.text((px(t), height - bottom + 6), f"{t:.0f}", fill=(90, 90, 90), font=small, anchor="mt")
    draw.text(((left + width - right) / 2, height - 4), x_label, fill=(60, 60, 60), font=small, anchor="mb")
    lx = left
    for (label, _, colour), y in zip(series, ys):
        ok = np.isfinite(y) & ((y > 0) if log_y else True)
        pts = [(px(a), py(float(tr(b)))) for a, b in zip(xs[ok], y[ok])]
        rgb = tuple(int(c) for c in _rgb(colour))
        if len(pts) > 1:
            draw.line(pts, fill=rgb, width=3, joint="curve")
        elif pts:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=rgb)
        draw.line([lx, 14, lx + 22, 14], fill=rgb, width=3)
        draw.text((lx + 28, 14), label, fill=(40, 40, 40), font=small, anchor="lm")
        lx += 40 + int(draw.textlength(label, font=small))
    if title:
        draw.text((width - right, 14), title, fill=(40, 40, 40), font=small, anchor="rm")
    draw.rectangle([left, top, width - right, height - bottom], outline=(170, 170, 170))
    return img
