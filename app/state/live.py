"""Live views that redraw themselves with ``st.fragment(run_every=...)``: pacing and controls.

Seen in Chromium: while a fragment timer fires, a click on a button *outside* the fragment (Pause)
can wait for its full-app rerun indefinitely, worst when the timer is faster than a frame. So:
- the Play/Pause/Step/Reset buttons live *inside* the fragment: a click is a fragment rerun,
  handled in turn with the timer's own;
- when the play state no longer matches the fragment's timer, the fragment asks for the full
  rerun itself, server-side (``st.rerun()``), which installs or removes the timer;
- the pace asked for is a floor, never faster than twice the server's time for the last frame.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from collections.abc import Callable

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


def transport(name: str, playing_key: str, timer_on: bool, on_step: Callable[[], None],
              on_reset: Callable[[], None], play_help: str, step_help: str, reset_help: str) -> bool:
    """Play/Pause, Step and Reset for a live view; call first thing inside its fragment.

    ``timer_on`` says whether this fragment was defined with a ``run_every``. Returns whether the
    view is playing (after this run's clicks).
    """
    if bool(st.session_state.get(playing_key, False)) != timer_on:
        st.rerun()  # full-app rerun, requested by the server: (re)defines the fragment's timer
    playing = timer_on
    c = st.columns([1, 1, 1, 3])
    c[0].button("Pause" if playing else "Play", key=f"{name}_play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:", help=play_help,
                on_click=lambda: st.session_state.update({playing_key: not playing}))
    c[1].button("Step", key=f"{name}_step", icon=":material/skip_next:", width="stretch",
                help=step_help, on_click=lambda: (st.session_state.update({playing_key: False}), on_step()))
    c[2].button("Reset", key=f"{name}_reset", icon=":material/restart_alt:", width="stretch",
                help=reset_help, on_click=lambda: (st.session_state.update({playing_key: False}), on_reset()))
    return playing
