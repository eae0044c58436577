"""Images for the CNN lab: the shipped samples and user uploads, read with Pillow and checked."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "images"
SAMPLES = {"shapes": "Shapes", "checker": "Checkerboard", "letters": "Lettering", "colour_blocks": "Colour blocks (RGB)"}
from engine.limits import UI_IMAGE_MAX_SIDE as MAX_SIDE  # noqa: F401 (read as images.MAX_SIDE): shrink to this side
from engine.limits import UI_UPLOAD_MAX_BYTES as MAX_UPLOAD_BYTES
from engine.limits import UI_UPLOAD_MAX_PIXELS as MAX_PIXELS  # decompression-bomb guard


def sample(name: str) -> Image.Image:
    return Image.open(SAMPLES_DIR / f"{name}.png")


def read_upload(raw: bytes) -> Image.Image:
    """Decode an uploaded file; a ValueError with a readable reason for anything unusable."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    if not raw:
        raise ValueError("the file is empty")
    try:
        img = Image.open(io.BytesIO(raw))
        if img.width * img.height > MAX_PIXELS:
            raise ValueError(f"the image is {img.width} x {img.height} pixels, too large to open")
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError("this is not an image Pillow can read (PNG, JPEG, GIF, BMP, WebP, TIFF work)") from err
    except Image.DecompressionBombError as err:
        raise ValueError("the image is too large to open") from err
    return img


def to_array(img: Image.Image, side: int, colour: bool) -> np.ndarray:
    """Shrink so the longer side is ``side`` (never enlarge) and scale to [0, 1]:
    (rows, cols) in grayscale or (rows, cols, 3) in colour."""
    img = img.convert("RGB" if colour else "L")
    scale = min(1.0, side / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return np.asarray(img, dtype=np.float64) / 255.0
