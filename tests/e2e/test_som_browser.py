"""The SOM lab in headless Chromium."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing,
                               frames_per_second, pause_and_check_it_holds, shot,
                               wait_for_app, wait_for_metric, watch_canvas)

pytestmark = pytest.mark.e2e


def steps_done(page) -> int:
    return int(wait_for_metric(page, "Step").replace(",", ""))


def test_colour_map_trains_live_and_pauses(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/som?som_steps=30000")  # long enough to still be running when Pause is clicked
    wait_for_app(page)
    assert steps_done(page) == 0
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_text(re.compile(r"Step 1: sample #\d+ → BMU \(\d+, \d+\)"))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(1.5)
    fps = frames_per_second(page, "Step", 4.0)
    drawn = watch_canvas(page, "som_map", 3.0)  # the map is drawn in the browser
    assert_nothing_greyed_while_playing(page)
    print(f"\nSOM live view: {fps:.1f} frames/s (step counter) and {drawn['frames'] / 3:.1f} map frames/s drawn "
          "in Chromium (default colour map, 20x20, 50 steps per frame)")
    assert fps > 0 and drawn["frames"] > 0, "the map did not change while playing"
    assert drawn["sameNode"] and drawn["replaced"] == 0 and drawn["inked"] > 500
    shot(page, screenshot_dir, "som_colours_playing")
    held = pause_and_check_it_holds(page, steps_done)
    assert held > 1
    expect(page.get_by_text("The 10 samples in the most isolated cells")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(2, timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "som_colours_paused")


def test_fraud_preset_finds_the_planted_outliers(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/som")
    wait_for_app(page)
    page.get_by_text("Teaching presets").click()
    page.get_by_role("button", name="Outliers found without labels").click()
    expect(page.get_by_text(re.compile(r"Training finished: all 20,000 steps"))).to_be_visible(timeout=120_000)
    wait_for_app(page)
    caption = page.get_by_text(re.compile(r"\d+ of the 10 planted outliers are in this list"))
    expect(caption).to_be_visible(timeout=30_000)
    assert int(caption.inner_text().split()[0]) >= 7
    expect(page).to_have_url(re.compile(re.escape("som_data=outliers")), timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "som_outliers")


def test_hexagonal_iris_link_and_a_bad_link(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/som?som_data=iris&som_w=8&som_h=8&som_topo=hexagonal&som_sigma=2&som_steps=3000"
              "&som_speed=200")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    expect(page.get_by_text("Training finished: all 3,000 steps")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(2, timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "som_iris_hexagonal")
    page.goto(f"{app_url}/som?som_w=abc&som_neigh=cone")
    wait_for_app(page)
    expect(page.get_by_text("could not be used")).to_be_visible(timeout=30_000)
    assert wait_for_metric(page, "Dead units") is not None
    assert_no_exception(page)
