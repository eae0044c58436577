"""Draws the lab's sample images (run once; the PNGs are committed). Own work, CC0.

python assets/images/make_samples.py
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).parent
SIZE = 128


def shapes() -> Image.Image:
    img = Image.new("L", (SIZE, SIZE), 20)
    d = ImageDraw.Draw(img)
    d.ellipse([10, 12, 58, 60], fill=230)
    d.rectangle([72, 14, 116, 58], fill=160)
    d.polygon([(20, 116), (64, 70), (108, 116)], fill=200)
    return img


def checker() -> Image.Image:
    img = Image.new("L", (SIZE, SIZE), 0)
    d = ImageDraw.Draw(img)
    for r in range(8):
        for c in range(8):
            if (r + c) % 2 == 0:
                d.rectangle([c * 16, r * 16, c * 16 + 15, r * 16 + 15], fill=255)
    d.line([(0, SIZE - 1), (SIZE - 1, 0)], fill=128, width=6)
    return img


def letters() -> Image.Image:
    img = Image.new("L", (SIZE, SIZE), 245)
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=56)
    except TypeError:
        font = ImageFont.load_default()
    d.text((SIZE / 2, SIZE / 2), "CNN", fill=15, font=font, anchor="mm")
    return img


def colour_blocks() -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), (30, 30, 30))
    d = ImageDraw.Draw(img)
    d.rectangle([8, 8, 60, 60], fill=(220, 40, 40))
    d.rectangle([68, 8, 120, 60], fill=(40, 180, 60))
    d.ellipse([8, 68, 60, 120], fill=(40, 80, 220))
    d.rectangle([68, 68, 120, 120], fill=(240, 220, 60))
    return img


if __name__ == "__main__":
    for name, make in (("shapes", shapes), ("checker", checker), ("letters", letters), ("colour_blocks", colour_blocks)):
        make().save(HERE / f"{name}.png", optimize=True)
