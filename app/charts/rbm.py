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


def example_net_labels(W: np.ndarray, width: int = 900, height: int = 300, scale: int = 2) -> list[tuple]:
    """Where ``example_net_image`` writes each link's weight: (i, j, x, y, text, box) per link,
    ``box`` the text's [left, top, right, bottom] with its white patch. Each weight sits at a height
    set by its visible unit (the links of one visible unit spread apart as they rise, so theirs
    never meet; at one shared height near the hidden units, in a narrower picture, labels of links
    from different units ran together)."""
    vx, hx, vy, hy, r = _example_spots(W.shape, width, height, scale)
    n_v, n_h = W.shape
    measure, out = ImageDraw.Draw(Image.new("1", (1, 1))), []
    for i in range(n_v):
        t = 0.45 + 0.18 * i if n_v > 1 else 0.6   # along the link from the visible unit: one height per unit
        for j in range(n_h):
            x, y, text = vx[i] + (hx[j] - vx[i]) * t, vy - r + (hy + 2 * r - vy) * t, f"{W[i, j]:+.1f}"
            box = measure.textbbox((x, y), text, font=font(15 * scale), anchor="mm")
            out.append((i, j, x, y, text, (box[0] - 3 * scale, box[1] - 2 * scale, box[2] + 3 * scale,
                                            box[3] + 2 * scale)))
    return out


def _example_spots(shape: tuple[int, int], width: int, height: int, scale: int):
    """Unit centres (visible x, hidden x, visible y, hidden y) and the units' radius, in pixels."""
    n_v, n_h = shape
    vx = [width * (k + 1) / (n_v + 1) * scale for k in range(n_v)]   # centred; the layer names fit left of them
    hx = [width * (k + 1) / (n_h + 1) * scale for k in range(n_h)]
    return vx, hx, (height - 50) * scale, 50 * scale, 32 * scale


def example_net_image(v: np.ndarray, h: np.ndarray | None, W: np.ndarray, highlight: str,
                      v_label: str = "v", h_label: str = "h", width: int = 900, height: int = 300,
                      scale: int = 2) -> Image.Image:
    """The worked example's 3 visible and 4 hidden units with their values, links coloured by weight
    (blue +, orange -, width by size) and labelled with it (``example_net_labels``); ``highlight``
    ("visible" / "hidden") rings the layer computed. Drawn ``scale`` times ``width`` x ``height``
    (sharp on a projector)."""
    img = Image.new("RGB", (width * scale, height * scale), "white")
    draw = ImageDraw.Draw(img)
    vx, hx, vy, hy, r = _example_spots(W.shape, width, height, scale)
    peak = np.abs(W).max()
    colour = lambda w: tuple(int(c) for c in (POS_RGB if w >= 0 else NEG_RGB))  # noqa: E731
    for i, j in np.ndindex(W.shape):
        draw.line([vx[i], vy - r, hx[j], hy + r], fill=colour(W[i, j]),
                  width=int(scale * max(1, 1 + 5 * abs(W[i, j]) / peak)))
    for i, j, x, y, text, box in example_net_labels(W, width, height, scale):   # over every line, on white
        draw.rectangle(box, fill="white", outline=colour(W[i, j]), width=scale)
        draw.text((x, y), text, fill=(40, 40, 40), font=font(15 * scale), anchor="mm")
    for layer, xs, y, values, label in (("hidden", hx, hy, h, h_label), ("visible", vx, vy, v, v_label)):
        ring = (214, 39, 40) if highlight == layer else (60, 60, 60)
        fill = (245, 248, 252) if layer == "hidden" else (252, 248, 240)
        for k, x in enumerate(xs):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=ring, width=3 * scale)
            draw.text((x, y - 9 * scale), f"{label}{k + 1}", fill=(40, 40, 40), font=font(16 * scale), anchor="mm")
            if values is not None:
                draw.text((x, y + 10 * scale), f"{values[k]:.4f}", fill=(20, 20, 20), font=font(14 * scale),
                          anchor="mm")
        draw.text((8 * scale, y), layer, fill=(90, 90, 90), font=font(16 * scale), anchor="lm")
    return img
