"""The recurrent lab in headless Chromium: the default LSTM trains live, its pictures are drawn in
the browser and update in place, Pause holds; the text task samples text; the race runs."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing, frames_per_second,
                               metric_value, pause_and_check_it_holds, shot, wait_for_app, wait_for_metric,
                               watch_canvas)

pytestmark = pytest.mark.e2e


def updates(page) -> int:
    return int(wait_for_metric(page, "Updates").replace(",", ""))


def test_the_default_lstm_learns_to_remember_live(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/rnn")
    wait_for_app(page)
    assert updates(page) == 0
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(2.0)
    fps = frames_per_second(page, "Updates", 4.0)
    print(f"\nRecurrent lab live view: {fps:.1f} frames/s in Chromium (LSTM, recall T=20, 10 updates per frame)")
    assert fps > 0
    assert_nothing_greyed_while_playing(page)
    drawn = watch_canvas(page, "rnn_unrolled", 3.0)
    assert drawn["frames"] > 0 and drawn["sameNode"] and drawn["replaced"] == 0 and drawn["inked"] > 200, drawn
    deadline = time.time() + 60
    while time.time() < deadline and not (metric_value(page, "Test accuracy") or "0").startswith("100"):
        time.sleep(0.5)
    shot(page, screenshot_dir, "rnn_lstm_playing")
    held = pause_and_check_it_holds(page, updates)
    assert held > 50
    assert float(wait_for_metric(page, "Test accuracy").rstrip("%")) > 90, "the LSTM remembers the first symbol"
    assert_no_exception(page)


def test_text_samples_and_the_race(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/rnn?rnn_task=text&rnn_hidden=16")
    wait_for_app(page)
    expect(page.locator('canvas[data-view="rnn_sample"]')).to_be_visible(timeout=30_000)
    expect(page.locator('canvas[data-view="rnn_colour"]')).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_app(page)
    assert updates(page) == 1
    shot(page, screenshot_dir, "rnn_text")
    page.goto(f"{app_url}/rnn?rnn_view=race&rnn_T=10")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    time.sleep(3.0)
    drawn = watch_canvas(page, "rnn_race_loss", 2.0)
    assert drawn["frames"] > 0, drawn
    page.get_by_role("button", name=re.compile(r"Pause$")).click()
    wait_for_app(page)
    for cell in ("RNN (tanh)", "LSTM", "GRU"):
        assert wait_for_metric(page, f"{cell}: test accuracy").endswith("%")
    shot(page, screenshot_dir, "rnn_race")
    assert_no_exception(page)
