"""Pacing for live views that redraw themselves with ``st.fragment(run_every=...)``.

A fragment timer that fires faster than a frame takes keeps the session busy with frame after
frame, and a click that needs a full rerun (Pause) then never gets its turn: seen in Chromium with
a 0.15 s timer and ~0.25 s frames. So the pace asked for is a floor, never faster than twice the
server's time for the last frame.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

HEADROOM = 2.0
LOG_FRAMES = bool(os.environ.get("NETPLAY_FRAME_LOG"))  # print each frame's server time to stderr


def frame_interval(name: str, requested_s: float) -> float:
    """Seconds between frames of live view ``name``."""
    return max(requested_s, HEADROOM * st.session_state.get(f"_frame_s_{name}", 0.0))


@contextmanager
def timed_frame(name: str) -> Iterator[None]:
    """Measure one frame of live view ``name`` (feeds ``frame_interval``)."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    st.session_state[f"_frame_s_{name}"] = elapsed
    if LOG_FRAMES:
        print(f"frame {name} {elapsed * 1000:.1f} ms", file=sys.stderr, flush=True)
