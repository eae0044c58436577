"""Live pictures drawn in the browser.

The server sends each frame as a compact numeric snapshot (uint8 grids, float32 series, base64 in
JSON) to a small canvas renderer made with Streamlit's custom components v2 (inline JS, no
iframe, no build step); the browser draws it. A server-rasterised frame cost 17-29 ms of CPU and
~150 KB; a snapshot costs a few ms and 5-15 KB. One .js per kind of picture, sharing
``common.js`` (colours, decoding, the canvas kept across frames). Pillow (``app.charts``) still
draws the same state for PNG downloads.

A play run writes the same view many times in one script run, and Streamlit refuses a key twice
in a run. A new key per frame makes the browser mount a new component each frame, and at 10-20
frames/s the mounts never caught up: blank pictures. So ``show`` releases the view's key from the
run's register before writing it again (``_release``, on Streamlit's run context): one element,
updated in place, drawn on one canvas. If a Streamlit version moves that register, frames fall
back to a key each (pictures then redraw by remounting); the browser test that counts mounts
catches it.
"""
from __future__ import annotations

import base64
import itertools
from pathlib import Path

import numpy as np
import streamlit as st

HERE = Path(__file__).parent
KINDS = ("heatmap", "network", "lines", "bars")
_frames = itertools.count()  # per-process: a live frame's key is unique within any run


@st.cache_resource
def _shortcut_component():
    return st.components.v2.component("netplay_keys", js=(HERE / "keys.js").read_text())


def shortcuts(play: str, step: str, reset: str) -> None:
    """Space / S / R press the buttons with these widget keys (ignored while typing in a field)."""
    _shortcut_component()(key=f"np_keys_{play}", data={"play": play, "step": step, "reset": reset},
                          height=0, width="content")


@st.cache_resource
def _components() -> dict:
    """Register each kind once per server process (its JS: common.js + the kind's own)."""
    common = (HERE / "common.js").read_text()
    css = (HERE / "render.css").read_text()
    return {kind: st.components.v2.component(f"netplay_{kind}", js=common + (HERE / f"{kind}.js").read_text(),
                                             css=css)
            for kind in KINDS}


def u8(values: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> str:
    """Values in [lo, hi] quantised to 0..255 (NaN as the middle), as base64."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=(lo + hi) / 2)
    q = np.clip(np.rint((v - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def u8_codes(codes: np.ndarray) -> str:
    """Small non-negative integers (class numbers) as base64 bytes."""
    return base64.b64encode(np.asarray(codes, dtype=np.uint8).tobytes()).decode("ascii")


def f32(values) -> str:
    """Numbers as little-endian float32, base64."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def thin(x: np.ndarray, *ys: np.ndarray, most: int = 300) -> tuple[np.ndarray, ...]:
    """At most ``most`` evenly spaced points of a long history (the last one always kept)."""
    x = np.asarray(x)
    if len(x) <= most:
        return (x, *map(np.asarray, ys))
    idx = np.unique(np.linspace(0, len(x) - 1, most).round().astype(int))
    return (x[idx], *(np.asarray(y)[idx] for y in ys))


def _release(key: str) -> bool:
    """Let this run write the element keyed ``key`` again (it replaces the one written before)."""
    try:
        from streamlit.elements.lib.utils import user_key_from_element_id
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        shared = get_script_run_ctx().shared
        keys, ids = shared.widget_user_keys_this_run, shared.widget_ids_this_run
        with keys._lock, ids._lock:
            keys._data.discard(key)
            ids._data = {i for i in ids._data if user_key_from_element_id(i) != key}
        return True
    except (AttributeError, ImportError, TypeError):
        return False


def show(kind: str, view: str, data: dict, *, height: int, alt: str, live: bool) -> None:
    """Draw one picture. ``view`` names it on the page; ``alt`` is its text for screen readers;
    ``live``: a frame of a play run (the same element is rewritten frame after frame)."""
    frame = next(_frames)
    payload = {**data, "kind": kind, "view": view, "height": int(height), "alt": alt, "frame": frame}
    key = f"np_{view}"
    if live and not _release(key):
        key = f"np_{view}@{frame}"
    _components()[kind](key=key, data=payload, height=int(height), width="stretch")
