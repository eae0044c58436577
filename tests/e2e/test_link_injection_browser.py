"""In a real browser, a link (or an upload) full of Markdown, HTML and links shows them only as text:
no link to the outside, no outside image, and the browser makes no request off this machine."""
from __future__ import annotations

from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_exception, shot, wait_for_app

pytestmark = pytest.mark.e2e

PAYLOAD = ("**Session expired.** [Log in again](https://evil.example/login) "
           "![x](https://evil.example/p.png) <img src=https://evil.example/q.png>")
LINKS = {
    "playground": ("pg_feat", "pg_act", "pg_data"),
    "neuron": ("mp_inh", "act_names", "sm_logits", "section"),
    "optimizers": ("op_racers", "op_lr", "op_start", "op_lx_lrs"),
}


def _outside_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url)
            if urlsplit(r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
    return seen


def _assert_rendered_as_text(page) -> None:
    alerts = page.locator('[data-testid="stAlertContainer"]')
    expect(alerts.first).to_be_visible()
    for attr in ("a[href*='evil']", "img[src*='evil']", "strong:text('Session expired')"):
        expect(alerts.locator(attr)).to_have_count(0)
    expect(alerts.locator("code").first).to_be_visible()


@pytest.mark.parametrize("lab", LINKS)
def test_a_link_full_of_markdown_puts_none_of_it_on_the_page(page, app_url, screenshot_dir, lab):
    outside = _outside_requests(page)
    query = "&".join(f"{k}={urlquote(PAYLOAD)}" for k in LINKS[lab])
    page.goto(f"{app_url}/{lab}?{query}")
    wait_for_app(page)
    expect(page.get_by_text("could not be used")).to_be_visible(timeout=60_000)
    _assert_rendered_as_text(page)
    assert_no_exception(page)
    page.wait_for_timeout(500)
    assert outside == [], outside
    shot(page, screenshot_dir, f"link_injection_{lab}")


def test_an_uploaded_csv_shows_its_bad_cell_and_name_as_text(page, app_url):
    outside = _outside_requests(page)
    page.goto(f"{app_url}/playground?pg_data=upload")
    wait_for_app(page)
    csv = "x1,x2,label\n1,2,0\n2,3,1\n3,4,0\n![x](https://evil.example/c.png),5,1\n"
    page.locator("input[type=file]").set_input_files(
        {"name": "**bold** https:evil.example.csv", "mimeType": "text/csv", "buffer": csv.encode()})
    expect(page.get_by_text("is not a number")).to_be_visible(timeout=30_000)
    _assert_rendered_as_text(page)
    expect(page.locator('[data-testid="stAlertContainer"] strong')).to_have_count(0)
    assert_no_exception(page)
    assert outside == [], outside
