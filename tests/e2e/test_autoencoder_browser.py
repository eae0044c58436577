"""The autoencoder lab in headless Chromium: digits squeezed through a 2-number code train live,
the code plane and the decoded grid are drawn in the browser, Pause holds; the VAE and the
recommender open."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing, frames_per_second,
                               pause_and_check_it_holds, shot, wait_for_app, wait_for_metric, watch_canvas)

pytestmark = pytest.mark.e2e


def updates(page) -> int:
    return int(wait_for_metric(page, "Updates").replace(",", ""))


def test_digits_compress_live_and_pause(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/autoencoder")
    wait_for_app(page)
    assert updates(page) == 0
    first = float(wait_for_metric(page, "Test reconstruction"))
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(2.0)
    fps = frames_per_second(page, "Updates", 4.0)
    print(f"\nAutoencoder live view: {fps:.1f} frames/s in Chromium (64-32-2-32-64, 20 updates per frame)")
    assert fps > 0
    assert_nothing_greyed_while_playing(page)
    drawn = watch_canvas(page, "ae_code", 3.0)
    assert drawn["frames"] > 0 and drawn["sameNode"] and drawn["replaced"] == 0 and drawn["inked"] > 200, drawn
    time.sleep(3.0)
    shot(page, screenshot_dir, "autoencoder_playing")
    held = pause_and_check_it_holds(page, updates)
    assert held > 100
    assert float(wait_for_metric(page, "Test reconstruction")) < first
    box = page.locator('canvas[data-view="ae_code"]').bounding_box()   # a click in the code plane decodes there
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.35)
    expect(page).to_have_url(re.compile(r"ae_z1="), timeout=30_000)
    expect(page.locator(".st-key-ae_z1 input")).not_to_have_value("0.00", timeout=30_000)
    assert_no_exception(page)


def test_vae_grid_and_recommender(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/autoencoder?ae_variant=vae&ae_hidden=64")
    wait_for_app(page)
    expect(page.locator('canvas[data-view="ae_grid"]')).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_app(page)
    assert updates(page) == 1
    assert float(wait_for_metric(page, "KL per sample")) > 0
    shot(page, screenshot_dir, "autoencoder_vae")
    page.goto(f"{app_url}/autoencoder?ae_view=movies")
    wait_for_app(page)
    expect(page.get_by_text("Predictions for the films you have not seen")).to_be_visible(timeout=60_000)
    assert_no_exception(page)
