"""Every lab's main live picture and its Play button fit one screen, at 1440 x 900 and at
1920 x 1080 seen at 150 % zoom (a 1280 x 720 page), paused and playing; the P key switches the
presentation mode (no sidebar, larger pictures) on and off."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_exception, shot, wait_for_app

pytestmark = pytest.mark.e2e

# lab -> (path, the main picture while paused, the main picture while playing): a view drawn by
# app/render (a canvas), or ".st-key-..." for a keyed Streamlit element (the race's Plotly contour)
LABS = {
    "playground": ("playground", "pg_out", "pg_out"),
    "optimizers": ("optimizers", ".st-key-op_pick", "op_race"),
    "cnn": ("cnn?cnn_mode=train", "cnn_loss", "cnn_loss"),
    "som": ("som", "som_map", "som_map"),
    "rbm": ("rbm", "rbm_pairs", "rbm_pairs"),
    "rnn": ("rnn", "rnn_unrolled", "rnn_unrolled"),
    "autoencoder": ("autoencoder", "ae_pairs", "ae_pairs"),
}

BOX = """what => {
    if (what.startsWith('.')) {
        const el = document.querySelector(what);
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return r.height > 50 ? [r.left, r.top, r.right, r.bottom] : null;
    }
    for (const h of document.querySelectorAll('[data-testid^="stBidiComponent"]')) {
        const c = (h.shadowRoot || h).querySelector(`canvas[data-view="${what}"]`);
        if (c) { const r = c.getBoundingClientRect(); return r.height > 50 ? [r.left, r.top, r.right, r.bottom] : null; }
    }
    return null;
}"""


def _box(page, what: str) -> list[float]:
    return page.wait_for_function(f"() => ({BOX})({what!r})", timeout=60_000).json_value()


def _inside(box, width, height) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width + 1 and box[3] <= height + 1


@pytest.mark.parametrize("lab", list(LABS))
def test_the_main_picture_and_play_are_on_one_screen(browser, app_url, screenshot_dir, lab):
    """Paused at 1440 x 900 and at 1280 x 720, then playing at 1280 x 720 (the tighter one)."""
    path, paused_view, playing_view = LABS[lab]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        play = page.get_by_role("button", name=re.compile(r"Play$"))
        for width, height in ((1440, 900), (1280, 720)):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)  # the pictures redraw at the new column widths
            expect(play).to_be_in_viewport(ratio=1)
            box = _box(page, paused_view)
            assert _inside(box, width, height), f"{lab} paused: main picture at {box} in {width}x{height}"
            shot(page, screenshot_dir, f"one_screen_{lab}_{width}x{height}")
        play.click()
        pause = page.get_by_role("button", name=re.compile(r"Pause$"))
        expect(pause).to_be_visible()
        page.wait_for_timeout(1500)  # a few frames in
        box = _box(page, playing_view)
        assert _inside(box, 1280, 720), f"{lab} playing: main picture at {box} in 1280x720"
        expect(pause).to_be_in_viewport(ratio=1)
        shot(page, screenshot_dir, f"one_screen_{lab}_playing_1280x720")
        pause.click()
        assert_no_exception(page)
    finally:
        context.close()


def test_p_key_and_link_switch_the_presentation_mode(browser, app_url, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/som")
        wait_for_app(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_be_visible()
        normal = _box(page, "som_map")
        page.keyboard.press("p")
        expect(sidebar).to_be_hidden(timeout=30_000)
        expect(page.get_by_role("button", name=re.compile("Exit presentation"))).to_be_visible()
        wait_for_app(page)
        assert "present=1" in page.url, "the link must carry the presentation mode"
        bigger = _box(page, "som_map")
        assert bigger[3] - bigger[1] > (normal[3] - normal[1]) * 1.1, (normal, bigger)
        shot(page, screenshot_dir, "present_som_1280x720")
        page.keyboard.press("p")
        expect(sidebar).to_be_visible(timeout=30_000)
        wait_for_app(page)
        assert "present=1" not in page.url
        page.goto(f"{app_url}/playground?present=1")  # a shared link opens in presentation mode
        wait_for_app(page)
        expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
        assert_no_exception(page)
    finally:
        context.close()


def test_share_shows_the_current_link_and_its_qr_code(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/playground?pg_data=xor&present=1")
        wait_for_app(page)
        page.get_by_role("button", name="Share").click()
        body = page.locator('[data-testid="stPopoverBody"]')
        expect(body.locator("code")).to_have_text(f"{app_url}/playground?pg_data=xor")  # without present=1
        qr = body.locator("img")
        expect(qr).to_be_visible()
        assert qr.evaluate("img => img.naturalWidth") >= 200
    finally:
        context.close()


def test_every_picture_saves_as_the_png_it_shows(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/cnn?cnn_mode=train")  # a lab that had no PNG download before
        wait_for_app(page)
        _box(page, "cnn_loss")
        host = page.locator('[data-testid^="stBidiComponent"]').filter(has=page.locator('canvas[data-view="cnn_loss"]'))
        host.hover()
        with page.expect_download() as info:
            host.locator(".np-save-png").click()
        path = tmp_path / "saved.png"
        info.value.save_as(path)
        assert info.value.suggested_filename == "netplay-cnn_loss.png"
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    finally:
        context.close()


@pytest.mark.parametrize("lab,name,picture", [("playground", "pg", "pg_net"), ("som", "som", "som_map")])
def test_on_a_phone_play_is_one_bar_that_stays_and_the_picture_is_on_the_first_screen(browser, app_url, lab, name,
                                                                                      picture):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{lab}")
        wait_for_app(page)
        canvas = page.locator(f"canvas[data-view={picture}]")
        expect(canvas).to_be_visible(timeout=60_000)
        buttons = [page.locator(f".st-key-{name}_{b} button:visible") for b in ("play", "step", "reset")]
        boxes = [b.bounding_box() for b in buttons]
        assert len({round(box["y"]) for box in boxes}) == 1, boxes          # side by side, not stacked
        assert canvas.bounding_box()["y"] < 844 - 100                       # the picture starts on screen one
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(600)
        play = buttons[0].bounding_box()
        assert 0 <= play["y"] and play["y"] + play["height"] <= 844 * 0.25, play   # still at hand, at the top
        assert_no_exception(page)
    finally:
        context.close()
