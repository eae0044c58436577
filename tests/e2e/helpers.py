from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect


def wait_for_app(page: Page, timeout: float = 90_000) -> None:
    """Wait until the script has run at least once and is not running now.

    The app root carries ``data-test-script-state`` ("initial" before the first run, then
    "running" / "notRunning" / ...). Watching the status widget alone races on a slow
    machine: right after ``goto`` the script has not started yet, so "not running" is
    already true while the page is still empty.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const state = app && app.getAttribute('data-test-script-state');
            return state === 'notRunning' || state === 'compilationError';
        }""",
        timeout=timeout)
    page.wait_for_timeout(300)


def assert_no_exception(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def assert_nothing_greyed_while_playing(page: Page, seconds: float = 1.0) -> None:
    """While a live view plays, its script run never ends, so anything left over from the paused
    run (and not redrawn by the loop) stays on screen greyed out as stale. Sampled for a while:
    a frame being drawn may grey an element for an instant, a leftover stays."""
    stale = "[data-stale='true']"
    deadline = time.monotonic() + seconds
    while True:
        found = page.locator(stale).evaluate_all(  # an st.empty placeholder is invisible either way
            "els => els.filter(e => !(e.querySelector('[data-testid=stEmpty]') && !e.innerText.trim()))"
            ".map(e => (e.getAttribute('data-testid') || e.className) + ': ' + e.innerText.slice(0, 60))")
        if not found:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"greyed-out leftovers while playing: {found}")
        time.sleep(0.1)


# A metric's value by its label: Streamlit's st.metric (paused views) or the live metrics row a
# play run updates in place (app/render/stats.js).
FIND_METRIC = """
const findMetric = (label) => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const l = m.querySelector('[data-testid="stMetricLabel"]');
        if (l && l.innerText.trim() === label) return m.querySelector('[data-testid="stMetricValue"]');
    }
    for (const m of document.querySelectorAll('.np-metric')) {
        if (m.querySelector('.np-metric-label')?.innerText.trim() === label) return m.querySelector('.np-metric-value');
    }
    return null;
};
"""


def metric_value(page: Page, label: str) -> str:
    """The value of the metric whose label is exactly ``label``."""
    return page.evaluate(f"label => {{ {FIND_METRIC} const v = findMetric(label); return v ? v.innerText.trim() : null; }}",
                         label)


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_metric(page: Page, label: str, timeout: float = 30.0) -> str:
    """Poll until the metric is on the page; returns its value."""

    deadline = time.time() + timeout
    while time.time() < deadline:
        value = metric_value(page, label)
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"metric {label!r} never appeared")


COUNT_METRIC_CHANGES = """
([label, ms]) => new Promise(resolve => {
    FIND_METRIC
    let last = findMetric(label)?.innerText;
    let changes = 0;
    const observer = new MutationObserver(() => {
        const now = findMetric(label)?.innerText;
        if (now !== undefined && now !== last) { changes += 1; last = now; }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => { observer.disconnect(); resolve(changes); }, ms);
})
""".replace("FIND_METRIC", FIND_METRIC)


def frames_per_second(page: Page, label: str, seconds: float = 5.0) -> float:
    """How often the metric ``label`` changes on screen, counted inside the page (no polling)."""
    return page.evaluate(COUNT_METRIC_CHANGES, [label, int(seconds * 1000)]) / seconds


COUNT_IMAGE_CHANGES = """
([ms]) => new Promise(resolve => {
    const src = () => Array.from(document.querySelectorAll('[data-testid="stImage"] img, [data-testid="stImageContainer"] img'))
        .map(i => i.getAttribute('src')).join('|');
    let last = src();
    let changes = 0;
    const observer = new MutationObserver(() => {
        const now = src();
        if (now !== last) { changes += 1; last = now; }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    setTimeout(() => { observer.disconnect(); resolve(changes); }, ms);
})
"""


def picture_frames_per_second(page: Page, seconds: float = 5.0) -> float:
    """How often the page's pictures (live frames) change, counted inside the page."""
    return page.evaluate(COUNT_IMAGE_CHANGES, [int(seconds * 1000)]) / seconds


def pause_and_check_it_holds(page: Page, read, settle_s: float = 0.5, hold_s: float = 1.0):
    """Click Pause, wait for the paused page, and assert ``read(page)`` no longer changes.
    Returns the value it holds at."""

    page.get_by_role("button", name=re.compile(r"Pause$")).click()
    expect(page.get_by_role("button", name=re.compile(r"Play$"))).to_be_visible(timeout=15_000)
    wait_for_app(page)
    time.sleep(settle_s)
    held = read(page)
    time.sleep(hold_s)
    assert read(page) == held, "the view kept changing after Pause"
    return held


WATCH_CANVAS = """
([view, ms]) => new Promise(resolve => {
    // the live canvas of one view (app/render), found inside the component's shadow root
    const find = () => {
        for (const host of document.querySelectorAll('[data-testid^="stBidiComponent"]')) {
            const c = (host.shadowRoot || host).querySelector(`canvas[data-view="${view}"]`);
            if (c) return c;
        }
        return null;
    };
    const first = find();
    if (first) first.__netplayTag = true;
    let frames = 0, last = first && first.dataset.frame, replaced = 0, lastNode = first;
    const tick = () => {
        const c = find();
        if (c && c !== lastNode) { replaced += 1; lastNode = c; }
        if (c && c.dataset.frame !== last) { frames += 1; last = c.dataset.frame; }
    };
    const timer = setInterval(tick, 10);
    setTimeout(() => {
        clearInterval(timer);
        const c = find();
        let inked = 0;
        if (c) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 16) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) inked += 1;
        }
        resolve({frames, replaced, inked, sameNode: !!(c && c.__netplayTag)});
    }, ms);
})
"""


def watch_canvas(page: Page, view: str, seconds: float = 4.0) -> dict:
    """Over ``seconds``: how many frames the browser drew for ``view``, whether it stayed the
    same canvas (updated in place, not remounted) and how much of it is drawn on (not blank)."""
    return page.evaluate(WATCH_CANVAS, [view, int(seconds * 1000)])
