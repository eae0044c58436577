"""The gradient-descent & optimizer lab in headless Chromium."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing,
                               pause_and_check_it_holds, shot,
                               wait_for_app, watch_canvas)

pytestmark = pytest.mark.e2e


def step_shown(page) -> int:
    text = page.get_by_text(re.compile(r"^Step \d+ of \d+$")).first.inner_text()
    return int(text.split()[1])


def test_race_animates_pauses_and_picks_a_start_by_click(page, app_url, screenshot_dir):
    # 2,000 steps: at ~15 frames/s of 2 steps the default 200 can end before the test clicks Pause
    page.goto(f"{app_url}/optimizers?op_steps=2000")
    wait_for_app(page)
    expect(page.get_by_text("Step 0 of 2000")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(1.5)
    drawn = watch_canvas(page, "op_race", 4.0)  # drawn in the browser: paths once, then the step
    assert_nothing_greyed_while_playing(page)
    print(f"\noptimizer race live view: {drawn['frames'] / 4:.1f} frames/s drawn in Chromium (default race)")
    assert drawn["frames"] > 0, "the race did not change while playing"
    # one remount was seen in about half the runs here (cause not found; see the session 8 note):
    # the picture must still be drawn in place frame after frame, not remounted per frame
    assert drawn["replaced"] <= 1 and drawn["inked"] > 500, drawn
    assert step_shown(page) > 0
    shot(page, screenshot_dir, "optimizers_race_playing")
    pause_and_check_it_holds(page, step_shown)
    expect(page.get_by_text("Paused: click anywhere")).to_be_visible(timeout=15_000)
    # the settings survive Play/Pause (they once came back at every widget's minimum: url.hold)
    expect(page.get_by_text("Pick at least one optimizer")).to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape("op_steps=2000")))
    # click the contour plot: every optimizer starts from the clicked point
    plot = page.locator('[data-testid="stPlotlyChart"]').first
    box = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    expect(page.get_by_text("Step 0 of 2000")).to_be_visible(timeout=15_000)
    wait_for_app(page)
    expect(page).to_have_url(re.compile(re.escape("op_start=")), timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "optimizers_race_paused")


def test_learning_rate_explorer_draws_divergence(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    page.get_by_text("Teaching presets").click()
    page.get_by_role("button", name="Too large a learning rate diverges").click()
    expect(page.get_by_text("Step 200 of 200")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"diverged at step \d+")).first).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape("op_mode=lr")), timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "optimizers_learning_rates")


def test_ball_on_a_curve_and_3d_surface(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/optimizers?op_mode=curve&op_surface=local_minima&op_start=4.5,-2.903534&op_racers=gd")
    wait_for_app(page)
    expect(page.get_by_text("Step 0 of 200")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"Step$")).click()
    expect(page.get_by_text("Step 1 of 200")).to_be_visible(timeout=15_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "optimizers_ball_on_curve")
    page.goto(f"{app_url}/optimizers?op_surface=rosenbrock&op_3d=1")
    wait_for_app(page)
    expect(page.locator('[data-testid="stPlotlyChart"]').nth(2)).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "optimizers_rosenbrock_3d")


def test_malformed_link_falls_back_with_a_notice(page, app_url):
    page.goto(f"{app_url}/optimizers?op_surface=zzz&op_start=1,2,3&op_lr=adam:NaN")
    wait_for_app(page)
    expect(page.get_by_text("could not be used and fell back to defaults")).to_be_visible()
    assert_no_exception(page)
