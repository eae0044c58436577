"""Points a learner draws on the playground's output plane, and their short form in the link.

Each point is x, y on a 0.1 grid over [-6, 6] and a class 0..3, packed into two bytes (7 + 7 + 2
bits) and written base64url: 150 points fit in 400 characters of the address, so a lecturer can
share a drawn dataset as a link.
"""
from __future__ import annotations

import base64
import binascii
import math

import numpy as np

from app.charts.playground import DOMAIN
from engine.datasets import Dataset

STEPS = 120            # grid cells across [-DOMAIN, DOMAIN]: 0.1 apart
MAX_POINTS = 150
CLASSES = 4
ERASE_RADIUS = 0.6     # a click in erase mode removes the nearest point this close
# where a drawing starts: three points of each class, so the plane has a network to draw on
START = [(-3.0, 2.0, 0), (-2.0, -3.0, 0), (-4.0, -1.0, 0), (3.0, 2.5, 1), (2.0, -2.0, 1), (4.0, 0.5, 1)]


def _cell(v: float) -> int:
    return int(round((min(max(v, -DOMAIN), DOMAIN) + DOMAIN) / (2 * DOMAIN) * STEPS))


def _coord(cell: int) -> float:
    """The grid's value at ``cell`` (the inverse of ``_cell``)."""
    return cell * 2 * DOMAIN / STEPS - DOMAIN


def encode(points: list[tuple[float, float, int]]) -> str:
    raw = bytearray()
    for x, y, label in points:
        word = (_cell(x) << 9) | (_cell(y) << 2) | int(label)
        raw += word.to_bytes(2, "big")
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def decode(text: str) -> list[tuple[float, float, int]]:
    """The points of a link's value; a ValueError says what is wrong with it."""
    if not isinstance(text, str) or not text:
        raise ValueError("holds no points")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("is not a drawn set of points") from None
    if len(raw) % 2 or len(raw) // 2 > MAX_POINTS:
        raise ValueError(f"is not a drawn set of points (at most {MAX_POINTS})")
    points = []
    for k in range(0, len(raw), 2):
        word = int.from_bytes(raw[k:k + 2], "big")
        cx, cy, label = word >> 9, (word >> 2) & 127, word & 3
        if cx > STEPS or cy > STEPS:
            raise ValueError("has a point outside the plane")
        points.append((_coord(cx), _coord(cy), label))
    if len({p[2] for p in points}) < 2:
        raise ValueError("needs points of at least two classes")
    return points


def checked(text: str) -> str:
    """A link's value, kept as it is once it decodes (the url.Field parser)."""
    decode(text)
    return text


def dataset(points: list[tuple[float, float, int]]) -> Dataset:
    x = np.array([(p[0], p[1]) for p in points], dtype=np.float64)
    y = np.array([p[2] for p in points], dtype=np.int64)
    k = int(y.max()) + 1
    return Dataset(x, y, "binary" if k == 2 else "multiclass", ("x1", "x2"), max(k, 2))


def clicked(points: list[tuple[float, float, int]], edit: object, mode: str) -> tuple[list, str]:
    """The points after a click on the plane (``edit`` as the browser sent it: {kind, x, y}) in
    ``mode`` ("class 0".."class 3" or "erase"); returns them and what happened, in words. A click
    that cannot be used raises ValueError saying why."""
    if not isinstance(edit, dict) or edit.get("kind") != "point":
        raise ValueError("that click was not on the plane")
    x, y = edit.get("x"), edit.get("y")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= DOMAIN
               for v in (x, y)):
        raise ValueError("that click was outside the plane")
    x, y = _coord(_cell(x)), _coord(_cell(y))  # on the grid the link stores
    if mode == "erase":
        if not points:
            raise ValueError("there is no point to erase")
        dist = [math.hypot(px - x, py - y) for px, py, _ in points]
        k = int(np.argmin(dist))
        if dist[k] > ERASE_RADIUS:
            raise ValueError("no point close enough to erase there")
        rest = points[:k] + points[k + 1:]
        if len({p[2] for p in rest}) < 2:
            raise ValueError("the drawing needs points of at least two classes")
        return rest, f"Erased the point at ({points[k][0]:g}, {points[k][1]:g})."
    label = int(mode.split()[-1]) if mode.startswith("class ") and mode.split()[-1].isdigit() else -1
    if not 0 <= label < CLASSES:
        raise ValueError("pick a class to add")
    if len(points) >= MAX_POINTS:
        raise ValueError(f"the drawing holds at most {MAX_POINTS} points")
    return points + [(x, y, label)], f"Added a class {label} point at ({x:g}, {y:g})."
