"""The perceptron's decision line over the truth table as a Pillow picture (the live view is
drawn in the browser by app/render/perceptron.js)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from app.charts.playground import NEG_RGB, POS_RGB, font
from engine.neuron import PerceptronSnapshot


def decision_plane_image(snap: PerceptronSnapshot, title: str, size: int = 420) -> Image.Image:
    """The 2-input truth table with the perceptron's regions (blue: outputs 1), its line
    w.x + b = 0, and the corners coloured by target, ringed red while misclassified."""
    lo, hi, pad = -0.5, 1.5, 40
    grid = np.linspace(lo, hi, size)
    gx, gy = np.meshgrid(grid, grid[::-1])  # image rows run from x2 = 1.5 (top) down
    ones = (snap.weights[0] * gx + snap.weights[1] * gy + snap.bias >= 0)[..., None]
    region = np.where(ones, POS_RGB, NEG_RGB) * 0.35 + 255 * 0.65
    plot = Image.fromarray(region.astype(np.uint8))
    draw = ImageDraw.Draw(plot)  # drawn on the plot alone, so the line is clipped to it
    px = lambda v: (v - lo) / (hi - lo) * size  # noqa: E731
    py = lambda v: (hi - v) / (hi - lo) * size  # noqa: E731
    w, b = snap.weights, snap.bias
    if abs(w[1]) > 1e-12:
        draw.line([px(lo), py(-(w[0] * lo + b) / w[1]), px(hi), py(-(w[0] * hi + b) / w[1])],
                  fill=(0, 0, 0), width=3)
    elif abs(w[0]) > 1e-12:
        draw.line([px(-b / w[0]), 0, px(-b / w[0]), size], fill=(0, 0, 0), width=3)
    r = size // 30
    for (x1, x2), target, guess in zip(snap.x, snap.y, snap.predictions):
        cx, cy = px(x1), py(x2)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(int(c) for c in (POS_RGB if target == 1 else NEG_RGB)),
                     outline=(255, 255, 255) if guess == target else (220, 0, 0), width=4)
    img = Image.new("RGB", (size + 2 * pad, size + 2 * pad), "white")
    img.paste(plot, (pad, pad))
    draw = ImageDraw.Draw(img)
    draw.rectangle([pad, pad, pad + size, pad + size], outline=(120, 120, 120))
    small = font(15)
    for t in (0, 1):
        draw.text((pad + px(t), pad + size + 6), str(t), fill=(60, 60, 60), font=small, anchor="mt")
        draw.text((pad - 8, pad + py(t)), str(t), fill=(60, 60, 60), font=small, anchor="rm")
    draw.text((pad + size / 2, pad + size + 22), "x1", fill=(60, 60, 60), font=small, anchor="mt")
    draw.text((12, pad + size / 2), "x2", fill=(60, 60, 60), font=small, anchor="lm")
    draw.text((pad, 10), title, fill=(30, 30, 30), font=font(18))
    return img
