"""Pictures for the RBM lab: digit grids, hidden-unit filters, bars and the 3-4 worked-example net.

All Pillow (live frames and slide downloads alike); curves reuse the playground's light line chart.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from app.charts.playground import NEG_RGB, POS_RGB, font

INK = np.array([25.0, 25.0, 35.0])
PAPER = np.array([250.0, 250.0, 250.0])


def _digit(values: np.ndarray, side: int, scale: int) -> Image.Image:
    """A (side*side,) vector in [0, 1] as a dark-on-light picture, each pixel ``scale`` wide."""
    v = np.clip(values.reshape(side, side), 0, 1)[..., None]
    rgb = (PAPER + (INK - PAPER) * v).astype(np.uint8)
    return Image.fromarray(rgb).resize((side * scale, side * scale), Image.NEAREST)


def _signed(values: np.ndarray, side: int, scale: int) -> Image.Image:
    """Weights as a picture: blue positive, orange negative, scaled by the largest magnitude."""
    peak = max(float(np.abs(values).max()), 1e-12)
    v = np.clip(values.reshape(side, side) / peak, -1, 1)[..., None]
    white = np.array([255.0, 255.0, 255.0])
    rgb = np.where(v >= 0, white + (POS_RGB - white) * v, white + (NEG_RGB - white) * -v).astype(np.uint8)
    return Image.fromarray(rgb).resize((side * scale, side * scale), Image.NEAREST)


def _title(draw: ImageDraw.ImageDraw, text: str, width: int) -> None:
    draw.text((width / 2, 14), text, fill=(40, 40, 40), font=font(16), anchor="mm")


def pairs_image(inputs: np.ndarray, reconstructions: np.ndarray, title: str, columns: int = 4,
                scale: int = 9) -> Image.Image:
    """Each input digit next to its reconstruction, ``columns`` pairs per row."""
    n = len(inputs)
    side = int(round(np.sqrt(inputs.shape[1])))
    cell = side * scale
    pad = 6
    rows = int(np.ceil(n / columns))
    w = columns * (2 * cell + 3 * pad) + pad
    h = 30 + rows * (cell + pad) + pad + 16
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    _title(draw, title, w)
    for k in range(n):
        r, c = divmod(k, columns)
        x = pad + c * (2 * cell + 3 * pad)
        y = 30 + r * (cell + pad)
        img.paste(_digit(inputs[k], side, scale), (x, y))
        img.paste(_digit(reconstructions[k], side, scale), (x + cell + pad // 2, y))
        draw.rectangle([x - 1, y - 1, x + 2 * cell + pad // 2, y + cell], outline=(200, 200, 200))
    draw.text((w / 2, h - 8), "left: input   right: reconstruction", fill=(90, 90, 90), font=font(12), anchor="mm")
    return img


def filters_image(W: np.ndarray, title: str, columns: int = 8, scale: int = 6, limit: int = 64) -> Image.Image:
    """Each hidden unit's incoming weights (a column of W) drawn as a picture of the input."""
    n = min(W.shape[1], limit)
    side = int(round(np.sqrt(W.shape[0])))
    cell = side * scale
    pad = 4
    rows = int(np.ceil(n / columns))
    w = columns * (cell + pad) + pad
    h = 30 + rows * (cell + pad) + pad
    img = Image.new("RGB", (w, h), "white")
    _title(ImageDraw.Draw(img), title, w)
    for j in range(n):
        r, c = divmod(j, columns)
        img.paste(_signed(W[:, j], side, scale), (pad + c * (cell + pad), 30 + r * (cell + pad)))
    return img


def digits_row(images: np.ndarray, title: str, scale: int = 11) -> Image.Image:
    side = int(round(np.sqrt(images.shape[1])))
    cell = side * scale
    pad = 6
    w = len(images) * (cell + pad) + pad
    img = Image.new("RGB", (max(w, 200), cell + 40), "white")
    _title(ImageDraw.Draw(img), title, img.width)
    for k, v in enumerate(images):
        img.paste(_digit(v, side, scale), (pad + k * (cell + pad), 30))
    return img


def bars_image(values: np.ndarray, title: str, labels: list[str] | None = None, width: int = 560,
               height: int = 220) -> Image.Image:
    """Probabilities in [0, 1] as vertical bars (one per unit)."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    _title(draw, title, width)
    left, right, top, bottom = 36, 10, 30, 28 if labels else 14
    n = len(values)
    bw = (width - left - right) / max(n, 1)
    for t in (0, 0.5, 1):
        y = top + (1 - t) * (height - top - bottom)
        draw.line([left, y, width - right, y], fill=(225, 225, 225))
        draw.text((left - 4, y), f"{t:g}", fill=(90, 90, 90), font=font(12), anchor="rm")
    for k, v in enumerate(np.clip(values, 0, 1)):
        x0 = left + k * bw + bw * 0.12
        x1 = left + (k + 1) * bw - bw * 0.12
        y = top + (1 - v) * (height - top - bottom)
        draw.rectangle([x0, y, max(x1, x0 + 1), height - bottom], fill=tuple(int(c) for c in POS_RGB))
        if labels:
            draw.text(((x0 + x1) / 2, height - bottom + 4), labels[k], fill=(60, 60, 60), font=font(12), anchor="mt")
    return img


def example_net_image(v: np.ndarray, h: np.ndarray | None, W: np.ndarray, highlight: str,
                      v_label: str = "v", h_label: str = "h", width: int = 560, height: int = 320) -> Image.Image:
    """The worked example's 3 visible and 4 hidden units with their values, links coloured by weight
    (blue +, orange -, width by size); ``highlight`` ("visible" / "hidden") rings the layer computed."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    n_v, n_h = W.shape
    vx = [width * (k + 1) / (n_v + 1) for k in range(n_v)]
    hx = [width * (k + 1) / (n_h + 1) for k in range(n_h)]
    vy, hy = height - 60, 60
    peak = np.abs(W).max()
    for i in range(n_v):
        for j in range(n_h):
            w = W[i, j]
            colour = tuple(int(c) for c in (POS_RGB if w >= 0 else NEG_RGB))
            draw.line([vx[i], vy, hx[j], hy], fill=colour, width=max(1, int(1 + 5 * abs(w) / peak)))
            mx, my = vx[i] + (hx[j] - vx[i]) * 0.78, vy + (hy - vy) * 0.78
            draw.text((mx, my), f"{w:+.1f}", fill=(90, 90, 90), font=font(11), anchor="mm")
    for k, x in enumerate(hx):
        ring = (214, 39, 40) if highlight == "hidden" else (60, 60, 60)
        draw.ellipse([x - 26, hy - 26, x + 26, hy + 26], fill=(245, 248, 252), outline=ring, width=3)
        draw.text((x, hy - 7), f"{h_label}{k + 1}", fill=(40, 40, 40), font=font(13), anchor="mm")
        if h is not None:
            draw.text((x, hy + 9), f"{h[k]:.4f}", fill=(20, 20, 20), font=font(12), anchor="mm")
    for k, x in enumerate(vx):
        ring = (214, 39, 40) if highlight == "visible" else (60, 60, 60)
        draw.ellipse([x - 26, vy - 26, x + 26, vy + 26], fill=(252, 248, 240), outline=ring, width=3)
        draw.text((x, vy - 7), f"{v_label}{k + 1}", fill=(40, 40, 40), font=font(13), anchor="mm")
        draw.text((x, vy + 9), f"{v[k]:.4f}", fill=(20, 20, 20), font=font(12), anchor="mm")
    draw.text((8, hy), "hidden", fill=(90, 90, 90), font=font(13), anchor="lm")
    draw.text((8, vy), "visible", fill=(90, 90, 90), font=font(13), anchor="lm")
    return img
