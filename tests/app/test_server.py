"""app/server.py: the middleware that turns the blank page at a too-deep address into a 404."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from app.pages import PAGES
from app.server import DeepPathNotFound, not_found_page

ROOT = Path(__file__).resolve().parents[2]


def _call(path: str, content_type: bytes, method: str = "GET", status: int = 200) -> tuple[int, bytes, bytes]:
    """Run the middleware over a stand-in for Streamlit that answers every path with one response."""
    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b"STREAMLIT"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {"type": "http", "path": path, "method": method}
    asyncio.run(DeepPathNotFound(inner)(scope, receive, send))
    start = [m for m in sent if m["type"] == "http.response.start"]
    assert len(start) == 1
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start[0]["status"], dict(start[0]["headers"]).get(b"content-type"), body


@pytest.mark.parametrize("path", ["/playground/x", "/som/a/b", "/playground/static/js/index.js", "/x/y"])
def test_html_fallback_two_levels_deep_is_a_404_page(path):
    status, kind, body = _call(path, b"text/html; charset=utf-8")
    assert status == 404 and kind.startswith(b"text/html")
    assert b"Page not found" in body and b"STREAMLIT" not in body


@pytest.mark.parametrize("path,kind", [
    ("/playground", b"text/html"),               # a page: Streamlit's own app
    ("/", b"text/html"),
    ("/static/js/index.js", b"text/javascript"),
    ("/_stcore/health", b"text/plain"),
    ("/_stcore/bidi-components/x/index.html", b"text/html"),  # reserved prefixes pass untouched
    ("/component/x/index.html", b"text/html"),
    ("/playground/x.js", b"text/javascript"),    # only the HTML fallback is replaced
])
def test_everything_else_passes_untouched(path, kind):
    assert _call(path, kind) == (200, kind, b"STREAMLIT")


def test_head_gets_the_status_without_a_body_and_posts_pass():
    assert _call("/playground/x", b"text/html", method="HEAD")[:2] == (404, b"text/html; charset=utf-8")
    assert _call("/playground/x", b"text/html", method="HEAD")[2] == b""
    assert _call("/playground/x", b"text/html", method="POST")[0] == 200


def test_not_found_page_escapes_the_path_and_links_every_page():
    body = not_found_page('/playground/<img src=x onerror=alert(1)>"x').decode()
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;&quot;x" in body
    hrefs = re.findall(r'href="([^"]+)"', body)
    # one level deep: every link climbs one level, so it works behind a proxy's path prefix too
    assert hrefs == [".././"] + [f"../{slug}" for _, slug, _, _ in PAGES[1:]]
    assert "http" not in body.replace("http-equiv", "")  # no outside resource, no script


def test_navigation_is_built_from_the_same_page_list():
    assert "for file, slug, title, icon in PAGES" in (ROOT / "app" / "main.py").read_text()
    assert {file for file, *_ in PAGES} == {p.name for p in (ROOT / "app" / "labs").glob("*.py") if p.name != "__init__.py"}
