"""The CNN lab in headless Chromium."""
from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing,
                               frames_per_second, pause_and_check_it_holds, shot, wait_for_app,
                               wait_for_metric, watch_canvas)

pytestmark = pytest.mark.e2e


def test_convolve_pick_a_cell_and_upload(page, app_url, screenshot_dir, tmp_path):
    page.goto(f"{app_url}/cnn")
    wait_for_app(page)
    expect(page.get_by_text("Where does one number come from?")).to_be_visible(timeout=30_000)
    plot = page.locator('[data-testid="stPlotlyChart"]').first
    expect(plot).to_be_visible(timeout=30_000)
    box = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    expect(page).to_have_url(re.compile(r"cnn_row=\d+"), timeout=30_000)
    wait_for_app(page)
    assert_no_exception(page)
    shot(page, screenshot_dir, "cnn_image")
    # a broken upload gets a sentence, then a real one works
    page.get_by_label("Image").first.click()
    page.get_by_role("option", name="Upload your own").click()
    wait_for_app(page)
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"definitely not a picture")
    page.locator('input[type="file"]').set_input_files(str(bad))
    expect(page.get_by_text(re.compile("Could not use notes.png: this is not an image"))).to_be_visible(timeout=30_000)
    good = tmp_path / "red.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (220, 30, 30)).save(buf, format="JPEG")
    good.write_bytes(buf.getvalue())
    page.locator('input[type="file"]').set_input_files(str(good))
    expect(page.get_by_text(re.compile(r"input 43 x 64"))).to_be_visible(timeout=30_000)
    assert_no_exception(page)


def test_small_cnn_trains_live(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/cnn?cnn_mode=train")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(2.0)
    fps = frames_per_second(page, "Epoch", 4.0)
    assert_nothing_greyed_while_playing(page)
    print(f"\nCNN live training: {fps:.1f} frames/s in Chromium (5 updates of batch 32 per frame)")
    assert fps > 0
    drawn = watch_canvas(page, "cnn_relu1", 3.0)  # drawn in the browser, updated in place
    assert drawn["frames"] > 0 and drawn["sameNode"] and drawn["replaced"] == 0 and drawn["inked"] > 200, drawn
    time.sleep(4.0)
    pause_and_check_it_holds(page, lambda p: wait_for_metric(p, "Epoch"))
    accuracy = float(wait_for_metric(page, "Test accuracy").rstrip("%"))
    print(f"CNN test accuracy after about {wait_for_metric(page, 'Epoch')} epochs: {accuracy:.1f}%")
    assert accuracy > 50
    assert_no_exception(page)
    shot(page, screenshot_dir, "cnn_training")


def test_shape_calculator(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/cnn?cnn_mode=shapes")
    wait_for_app(page)
    expect(page.get_by_text("3,455,137")).to_be_visible(timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "cnn_shapes")
