"""Pictures for the CNN lab: images and feature maps (Pillow), a clickable map (Plotly), grids of
filters and maps, and the confusion matrix."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from app.charts.playground import NEG_RGB, POS_RGB
from app.charts.theme import style

WHITE = np.array([255.0, 255.0, 255.0])


def _fit(rgb: np.ndarray, box: int) -> Image.Image:
    """Nearest-neighbour enlargement so the longer side fills ``box`` pixels (pixels stay crisp),
    with a thin grey frame so a map's extent shows on a white page."""
    img = Image.fromarray(rgb.astype(np.uint8))
    scale = max(1, box // max(img.size))
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    ImageDraw.Draw(img).rectangle([0, 0, img.width - 1, img.height - 1], outline=(170, 170, 170))
    return img


def picture(values: np.ndarray, box: int = 256) -> Image.Image:
    """An image in [0, 1]: (rows, cols) grey or (rows, cols, 3) colour."""
    v = np.clip(values, 0, 1) * 255
    rgb = np.repeat(v[..., None], 3, axis=-1) if v.ndim == 2 else v
    return _fit(rgb, box)


def signed(values: np.ndarray, box: int = 256, peak: float | None = None) -> Image.Image:
    """A feature map: blue positive, orange negative, white 0, scaled by the largest magnitude."""
    peak = float(np.abs(values).max()) if peak is None else peak
    v = np.clip(values / peak, -1, 1)[..., None] if peak > 0 else np.zeros(values.shape + (1,))
    rgb = np.where(v >= 0, WHITE + (POS_RGB - WHITE) * v, WHITE + (NEG_RGB - WHITE) * -v)
    return _fit(rgb, box)


def with_winners(relu_map: np.ndarray, arg: np.ndarray, box: int = 256) -> Image.Image:
    """The ReLU map with each pooling window's winning cell ringed in red (windows whose winner is
    under 5% of the map's peak are left unringed, or a map of near-zeros drowns in rings)."""
    img = signed(relu_map, box)
    scale = img.width // relu_map.shape[1]
    draw = ImageDraw.Draw(img)
    if scale >= 4:
        for flat in np.unique(arg):
            r, c = divmod(int(flat), relu_map.shape[1])
            if relu_map[r, c] <= 0.05 * relu_map.max():  # ring the windows that carry signal
                continue
            draw.rectangle([c * scale, r * scale, (c + 1) * scale - 1, (r + 1) * scale - 1], outline=(214, 39, 40),
                           width=max(1, scale // 6))
    return img


def clickable_map(values: np.ndarray, title: str, picked: tuple[int, int] | None) -> go.Figure:
    """A feature map as a heatmap (row 0 at the top, like the image) with an invisible marker on every
    cell, so a click picks that cell; the picked cell is outlined."""
    h, w = values.shape
    fig = go.Figure(go.Heatmap(z=values, colorscale=[[0, "#f59322"], [0.5, "#ffffff"], [1, "#0877bd"]],
                               zmid=0, showscale=True, hoverinfo="skip"))
    rr, cc = np.mgrid[0:h, 0:w]
    fig.add_trace(go.Scatter(x=cc.ravel(), y=rr.ravel(), mode="markers", marker=dict(size=10, color="rgba(0,0,0,0)"),
                             showlegend=False, customdata=values.ravel(),
                             hovertemplate="row %{y}, col %{x}: %{customdata:.3f}<br>click to inspect<extra></extra>"))
    if picked is not None:
        r, c = picked
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="black", width=3))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showgrid=False, title="row")
    fig.update_xaxes(showgrid=False, title="column")
    fig.update_layout(clickmode="event+select", uirevision="cnn-map")
    return style(fig, title, height=460)
