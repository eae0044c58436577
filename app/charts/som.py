"""Pictures for the SOM lab.

Live frames are Pillow images (see ``app.state.live``): the map, the neighbourhood of the last
update and small curves. When paused, the U-matrix and hit map are Plotly heatmaps (hover tells a
cell's numbers). Grid column ``i`` runs left to right and row ``j`` bottom to top, as the course's
``pcolor(som.distance_map().T)`` draws it, so a cell named (i, j) is found at the same place in
every picture. Hexagonal maps are drawn as hexagons at the engine's unit positions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from app.charts.playground import CLASS_RGB, NEG_RGB, POS_RGB, font  # noqa: F401 (re-exported)
from app.charts.theme import POSITIVE, style

MARKER_RGB = [(214, 39, 40), (44, 160, 44), (31, 119, 180), (148, 103, 189), (140, 86, 75)]
MARKERS = ("circle", "square", "triangle-up", "diamond", "cross")
OUTLIER_PALETTE = [(90, 150, 200), (214, 39, 40)]  # ordinary: muted blue circles; planted: red squares


@dataclass(frozen=True)
class Layout:
    """Where each cell of a (width, height) map lands in a picture of ``size`` pixels."""
    positions: np.ndarray     # (width, height, 2) engine positions (hex rows shifted)
    hexagonal: bool
    size: tuple[int, int]
    margin: int = 30
    top: int = 40

    @cached_property
    def scale(self) -> float:
        pos = self.positions.reshape(-1, 2)
        span_x = pos[:, 0].max() - pos[:, 0].min() + 1
        span_y = pos[:, 1].max() - pos[:, 1].min() + 1
        w, h = self.size
        return float(min((w - 2 * self.margin) / span_x, (h - self.margin - self.top) / span_y))

    @cached_property
    def _centres(self) -> np.ndarray:
        pos = self.positions
        x0 = pos[..., 0].min()
        y1 = pos[..., 1].max()
        return np.stack([self.margin + (pos[..., 0] - x0 + 0.5) * self.scale,
                         self.top + (y1 - pos[..., 1] + 0.5) * self.scale], axis=-1)

    def centre(self, i: int, j: int) -> tuple[float, float]:
        cx, cy = self._centres[i, j]
        return float(cx), float(cy)

    def cell(self, i: int, j: int) -> list[tuple[float, float]]:
        cx, cy = self.centre(i, j)
        s = self.scale
        if self.hexagonal:  # pointy-top hexagon: neighbours in a row are one unit apart
            r = s / math.sqrt(3)
            return [(cx + r * math.cos(math.radians(30 + 60 * k)), cy + r * math.sin(math.radians(30 + 60 * k)))
                    for k in range(6)]
        h = s / 2
        return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]


def _cells(draw: ImageDraw.ImageDraw, layout: Layout, colours: np.ndarray,
           outline: tuple[int, int, int] = (255, 255, 255)) -> None:
    w, h = colours.shape[:2]
    for i in range(w):
        for j in range(h):
            draw.polygon(layout.cell(i, j), fill=tuple(int(c) for c in colours[i, j]),
                         outline=outline if layout.scale > 8 else None)


def _bmu_and_radius(draw: ImageDraw.ImageDraw, layout: Layout, bmu: tuple[int, int] | None,
                    sigma: float | None) -> None:
    if bmu is None:
        return
    draw.polygon(layout.cell(*bmu), outline=(0, 0, 0), width=4)
    inner = [(x + (layout.centre(*bmu)[0] - x) * 0.25, y + (layout.centre(*bmu)[1] - y) * 0.25)
             for x, y in layout.cell(*bmu)]
    draw.polygon(inner, outline=(255, 255, 255), width=2)
    if sigma:
        cx, cy = layout.centre(*bmu)
        r = sigma * layout.scale
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(0, 0, 0), width=3)
        draw.ellipse([cx - r - 3, cy - r - 3, cx + r + 3, cy + r + 3], outline=(255, 255, 255), width=2)


def _title(draw: ImageDraw.ImageDraw, text: str, width: int) -> None:
    draw.text((width / 2, 18), text, fill=(40, 40, 40), font=font(17), anchor="mm")


def colour_map_image(weights: np.ndarray, layout: Layout, bmu: tuple[int, int] | None, sigma: float | None,
                     title: str) -> Image.Image:
    """Each unit painted with its weight vector read as an RGB colour."""
    img = Image.new("RGB", layout.size, "white")
    draw = ImageDraw.Draw(img)
    _cells(draw, layout, np.clip(weights[..., :3], 0, 1) * 255)
    _bmu_and_radius(draw, layout, bmu, sigma)
    _title(draw, title, layout.size[0])
    return img


def grey_scale(values: np.ndarray) -> np.ndarray:
    """Values -> RGB: black for the smallest, white for the largest (the course's ``bone`` look)."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    v = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    base = np.stack([v * 225 + 20, v * 230 + 20, v * 215 + 35], axis=-1)  # a faint blue tint, like bone
    return np.clip(base, 0, 255)


def u_matrix_image(u: np.ndarray, layout: Layout, marks: dict[tuple[int, int], dict] | None,
                   bmu: tuple[int, int] | None, sigma: float | None, title: str,
                   label_names: list[str] | None = None, palette: list[tuple[int, int, int]] | None = None) -> Image.Image:
    """The U-matrix (dark: close to its neighbours, light: far) with a marker per label in each cell."""
    img = Image.new("RGB", layout.size, "white")
    draw = ImageDraw.Draw(img)
    _cells(draw, layout, grey_scale(u))
    r = max(3.0, layout.scale * 0.22)
    for (i, j), counts in (marks or {}).items():
        cx, cy = layout.centre(i, j)
        for n, label in enumerate(sorted(counts)):
            dx = (n - (len(counts) - 1) / 2) * r * 1.6
            _marker(draw, int(label), cx + dx, cy, r, palette)
    _bmu_and_radius(draw, layout, bmu, sigma)
    _title(draw, title, layout.size[0])
    if label_names:
        x = layout.margin
        y = layout.size[1] - 12
        for k, name in enumerate(label_names):
            _marker(draw, k, x + 6, y, 6, palette)
            draw.text((x + 16, y), name, fill=(40, 40, 40), font=font(13), anchor="lm")
            x += 30 + int(draw.textlength(name, font=font(13)))
    return img


def _marker(draw: ImageDraw.ImageDraw, label: int, x: float, y: float, r: float,
            palette: list[tuple[int, int, int]] | None = None) -> None:
    colours = palette or MARKER_RGB
    colour = colours[label % len(colours)]
    shape = label % 4  # as MARKERS and the browser's markerPath: circle, square, triangle, diamond
    if shape == 0:
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=3)
    elif shape == 1:
        draw.rectangle([x - r, y - r, x + r, y + r], outline=colour, width=3)
    elif shape == 2:
        draw.polygon([(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)], outline=colour, width=3)
    else:
        draw.polygon([(x, y - r * 1.2), (x + r * 1.2, y), (x, y + r * 1.2), (x - r * 1.2, y)], outline=colour, width=3)


def elastic_net_image(weights: np.ndarray, adjacency: np.ndarray, data: np.ndarray,
                      labels: np.ndarray | None, h: np.ndarray | None, sample: np.ndarray | None,
                      bmu: int | None, title: str, size: int = 460) -> Image.Image:
    """A map on 2-D data drawn in the data plane: units as nodes joined to their grid neighbours."""
    img = Image.new("RGB", (size, size + 30), "white")
    draw = ImageDraw.Draw(img)
    pad = 24
    lo = np.minimum(data.min(axis=0), np.nanmin(weights, axis=0)) - 0.02
    hi = np.maximum(data.max(axis=0), np.nanmax(weights, axis=0)) + 0.02
    span = max(float((hi - lo).max()), 1e-9)

    def px(p: np.ndarray) -> tuple[float, float]:
        return pad + (p[0] - lo[0]) / span * (size - 2 * pad), 30 + size - pad - (p[1] - lo[1]) / span * (size - 2 * pad)

    for n, p in enumerate(data):
        x, y = px(p)
        c = (160, 160, 160) if labels is None else tuple(int(v * 0.6 + 100) for v in CLASS_RGB[int(labels[n]) % 10])
        draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=c)
    for u, row in enumerate(adjacency):
        for v in row:
            if v > u:
                draw.line([px(weights[u]), px(weights[v])], fill=(60, 60, 60), width=2)
    for u, p in enumerate(weights):
        x, y = px(p)
        strength = 0.0 if h is None else float(h[u])
        fill = tuple(int(c) for c in (np.array([255.0, 255.0, 255.0]) + (POS_RGB - 255) * min(max(strength, 0), 1)
                                      + (NEG_RGB - 255) * min(max(-strength, 0), 1)))
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=fill, outline=(40, 40, 40))
    if bmu is not None:
        x, y = px(weights[bmu])
        draw.ellipse([x - 8, y - 8, x + 8, y + 8], outline=(0, 0, 0), width=3)
    if sample is not None:
        x, y = px(sample)
        star = [(x + r * math.cos(math.radians(90 + 36 * k)), y - r * math.sin(math.radians(90 + 36 * k)))
                for k, r in zip(range(10), [9, 4] * 5)]
        draw.polygon(star, fill=(214, 39, 40), outline=(0, 0, 0))
    _title(draw, title, size)
    return img


# ---- Plotly (paused) ---------------------------------------------------------------------------
def grid_heatmap(values: np.ndarray, title: str, colorscale, hover: list[list[str]], zmin=None, zmax=None,
                 marks: dict[tuple[int, int], dict] | None = None, label_names: list[str] | None = None,
                 hexagonal: bool = False, positions: np.ndarray | None = None,
                 palette: list[tuple[int, int, int]] | None = None) -> go.Figure:
    """A (width, height) map as a heatmap: column i on x, row j on y (row 0 at the bottom).

    Hexagonal maps are drawn as markers at the unit positions (hexagon-shaped), so neighbours touch."""
    w, h = values.shape
    fig = go.Figure()
    if hexagonal and positions is not None:
        _hexagons(fig, values, positions, colorscale, hover, zmin, zmax)
        xy = lambda i, j: tuple(positions[i, j])  # noqa: E731
    else:
        fig.add_trace(go.Heatmap(z=values.T, x=list(range(w)), y=list(range(h)), colorscale=colorscale,
                                 zmin=zmin, zmax=zmax, text=[[hover[i][j] for i in range(w)] for j in range(h)],
                                 hoverinfo="text"))
        xy = lambda i, j: (i, j)  # noqa: E731
    if marks:
        by_label: dict[int, list[tuple[float, float]]] = {}
        for (i, j), counts in marks.items():
            for n, label in enumerate(sorted(counts)):
                x, y = xy(i, j)
                by_label.setdefault(int(label), []).append((x + (n - (len(counts) - 1) / 2) * 0.3, y))
        for label, pts in sorted(by_label.items()):
            name = label_names[label] if label_names and label < len(label_names) else str(label)
            colours = palette or MARKER_RGB
            colour = "rgb" + str(colours[label % len(colours)])
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers", name=name,
                                     marker=dict(symbol=MARKERS[label % 4] + "-open", size=12, color=colour,
                                                 line=dict(width=2.5, color=colour)),
                                     hoverinfo="skip"))
    fig.update_xaxes(title="column i", showgrid=False, zeroline=False)
    fig.update_yaxes(title="row j", showgrid=False, zeroline=False, scaleanchor="x")
    if hexagonal and positions is not None:  # rows sit sqrt(3)/2 apart: label them by row number
        fig.update_yaxes(tickvals=list(positions[0, :, 1]), ticktext=[str(j) for j in range(h)])
    style(fig, title, height=540)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0))
    return fig


HEX_BINS = 24  # colour steps for hexagonal maps (one filled trace per step)


def _hexagons(fig: go.Figure, values: np.ndarray, positions: np.ndarray, colorscale, hover: list[list[str]],
              zmin, zmax) -> None:
    """Hexagonal cells as filled polygons in data units (so they touch at any zoom), grouped into
    ``HEX_BINS`` colour steps; an invisible marker per cell carries the hover text and colour bar."""
    from plotly.colors import sample_colorscale

    w, h = values.shape
    lo = float(np.nanmin(values)) if zmin is None else zmin
    hi = float(np.nanmax(values)) if zmax is None else zmax
    span = hi - lo if hi > lo else 1.0
    bins = np.clip(((values - lo) / span * HEX_BINS).astype(int), 0, HEX_BINS - 1)
    colours = sample_colorscale(colorscale, [(b + 0.5) / HEX_BINS for b in range(HEX_BINS)])
    r = 1 / np.sqrt(3)
    angles = np.radians(30 + 60 * np.arange(7))
    for b in range(HEX_BINS):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i, j in zip(*np.nonzero(bins == b)):
            cx, cy = positions[i, j]
            xs += list(cx + r * np.cos(angles)) + [None]
            ys += list(cy + r * np.sin(angles)) + [None]
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", fillcolor=colours[b],
                                     line=dict(width=0.5, color="white"), hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(
        x=positions[..., 0].ravel(), y=positions[..., 1].ravel(), mode="markers",
        marker=dict(size=18, opacity=0, color=values.ravel(), colorscale=colorscale, cmin=lo, cmax=hi,
                    showscale=True),
        text=[hover[i][j] for i in range(w) for j in range(h)], hoverinfo="text", showlegend=False))


U_SCALE = [[0.0, "#141423"], [0.5, "#7d8fa6"], [1.0, "#ffffff"]]
HITS_SCALE = [[0.0, "#ffffff"], [1.0, POSITIVE]]
