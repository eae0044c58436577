"""The RBM lab in headless Chromium."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing, frames_per_second,
                               pause_and_check_it_holds, shot, wait_for_app,
                               wait_for_metric, watch_canvas)

pytestmark = pytest.mark.e2e


def updates(page) -> int:
    return int(wait_for_metric(page, "Updates").replace(",", ""))


def test_digits_train_live_and_pause(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/rbm")
    wait_for_app(page)
    assert updates(page) == 0
    first_error = float(wait_for_metric(page, "Reconstruction error"))
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(2.0)
    fps = frames_per_second(page, "Updates", 4.0)
    print(f"\nRBM live view: {fps:.1f} frames/s in Chromium (digits, 64 hidden, CD-1, 10 batches per frame)")
    assert fps > 0
    assert_nothing_greyed_while_playing(page)
    drawn = watch_canvas(page, "rbm_pairs", 3.0)  # drawn in the browser, updated in place
    assert drawn["frames"] > 0 and drawn["sameNode"] and drawn["replaced"] == 0 and drawn["inked"] > 200, drawn
    shot(page, screenshot_dir, "rbm_digits_playing")
    held = pause_and_check_it_holds(page, updates)
    assert held > 10
    assert float(wait_for_metric(page, "Reconstruction error")) < first_error
    expect(page.get_by_role("button", name="Filters PNG")).to_be_visible(timeout=30_000)
    assert_no_exception(page)


def test_worked_example_and_recommender(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/rbm?rbm_mode=worked")
    wait_for_app(page)
    expect(page.get_by_text("Forward pass (visible → hidden)")).to_be_visible(timeout=30_000)
    for _ in range(3):
        page.get_by_role("button", name=re.compile(r"Next pass$")).click()
        wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Update \(CD-1\)"))).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"rbm_pass=4"), timeout=30_000)  # written at the end of the run
    shot(page, screenshot_dir, "rbm_worked_example")
    page.goto(f"{app_url}/rbm?rbm_mode=movies")
    wait_for_app(page)
    expect(page.get_by_text("Predictions for the movies you have not seen")).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "rbm_movies")
