"""The server entry: Streamlit's ASGI app for ``main.py``, with one middleware of ours.

`streamlit run app/server.py` (what `netplay` runs) serves exactly what `streamlit run
app/main.py` serves, plus a real "page not found" for addresses one level too deep. Streamlit
answers any unknown path with its index.html, whose assets are linked relatively
(``./static/js/...``). At ``/playground/x`` those resolve to ``/playground/static/...``, which is
index.html again, so the browser showed a blank page forever. A learner who mistypes or pastes a
mangled link now gets a page that says so and links every lab.
"""
from __future__ import annotations

import html
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from app.pages import PAGES
from app.state.session import warm_all_in_background

ROOT = Path(__file__).resolve().parents[1]

# first path segments whose deeper paths may legitimately be HTML (component and static files)
_SERVED_DEEP = {"component", "app", "_stcore", "static", "media"}


def not_found_page(path: str) -> bytes:
    """A plain page (no script, no outside resource) naming what was asked for and every lab."""
    up = "../" * (path.strip("/").count("/"))  # relative links survive a path prefix in a proxy
    links = "".join(f'<li><a href="{up}{slug or "./"}">{html.escape(title)}</a></li>' for _, slug, title, _ in PAGES)
    shown = html.escape(path[:120])
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Page not found · netplay</title>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<style>body{font:18px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;"
        "color:#282828}code{background:#f0f2f6;padding:0 .3em;border-radius:4px}a{color:#1f77b4}</style>"
        f"</head><body><h1>Page not found</h1><p>netplay has no page at <code>{shown}</code>.</p>"
        f"<p>Open one of these:</p><ul>{links}</ul></body></html>").encode()


class DeepPathNotFound:
    """ASGI middleware: a GET/HEAD at two or more levels that Streamlit would answer with its
    index.html (the single-page fallback, which cannot load its own scripts there) gets a 404
    page instead. Every other answer, assets and websockets included, passes untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] in _SERVED_DEEP or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def guarded(message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html"):
                    replaced = True
                    body = not_found_page(path)
                    await send({"type": "http.response.start", "status": 404,
                                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                            (b"content-length", str(len(body)).encode()),
                                            (b"cache-control", b"no-cache")]})
                    await send({"type": "http.response.body",
                                "body": body if scope.get("method") == "GET" else b""})
                    return
            if not replaced:
                await send(message)

        await self.app(scope, receive, guarded)


app = st.App(ROOT / "app" / "main.py", middleware=[Middleware(DeepPathNotFound)])
warm_all_in_background()  # as the server starts, not at its first visitor (a class, all at once)
