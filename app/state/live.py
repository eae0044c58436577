"""Live views: a model trains and its pictures redraw while the learner watches.

While playing, one script run loops: advance the model, rewrite one placeholder, repeat. Each frame
streams to the browser as it is drawn, with no browser-to-server round trip between frames.
Measured in headless Chromium on 2 cores with four images per frame: 16 frames/s this way,
about 7 with ``st.fragment(run_every=...)``, where a timer-driven rerun also starved clicks
outside the fragment (Pause) under load. Any click still lands at once: Streamlit interrupts the
running script at its next element write and reruns with the click.

Cost on a shared server is bounded: a play run stops after ``MAX_PLAY_S`` and pauses with a note.

Two runs of one session can overlap: with Streamlit's fast reruns (the default) a click starts a
new run at once, while the interrupted one goes on until its next element write, which can be
in the middle of a training step. ``session_lock`` keeps them from stepping or drawing a model at
the same time (a frame once drew a loss history one entry shorter than its epoch list, and
crashed), and ``claim_session``, first in every run, makes an older run still looping stop at its
next turn instead of stepping the model behind the new run's back.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st

from app import render
from engine.limits import UI_MAX_PLAY_S

MAX_PLAY_S = UI_MAX_PLAY_S
TEST_FRAMES_KEY = "_live_max_frames"  # tests set it: a play run then draws that many frames
FRAME_COST_KEY = "_live_frame_cost"  # [frames, CPU seconds] spent advancing and drawing live frames
_LOCK_KEY = "_live_lock"
_NEWEST_KEY = "_live_newest_run"
_this_run = threading.local()  # each script run has its own thread


def session_lock() -> threading.RLock:
    """The browser session's lock around everything that advances, resets or draws a live model."""
    lock = st.session_state.get(_LOCK_KEY)
    if lock is None:
        lock = st.session_state.setdefault(_LOCK_KEY, threading.RLock())
    return lock


def claim_session() -> None:
    """Call first in every script run: waits until an overlapping older run is done with its model
    (it holds the lock while stepping or drawing), then marks this run as the session's newest."""
    with session_lock():
        newest = st.session_state.get(_NEWEST_KEY, 0) + 1
        st.session_state[_NEWEST_KEY] = newest
        _this_run.number = newest


DELIVERY_WAIT_S = 5.0  # a browser that takes no frame for this long has stopped reading: pause


def _delivered() -> bool | None:
    """Whether everything this session drew has left for the browser (the session's outgoing
    queue is empty); None where that cannot be seen (no server runtime, as under AppTest).

    Frames are paced by it: the next one is computed only once the last one has gone to the
    socket, so a slow browser or a busy server skips frames instead of queueing them. Without
    it, 8 learners on 2 cores drew frames that waited in the queues (most then replaced
    unsent): 0.1 frames/s each."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        if not Runtime.exists():
            return None
        info = Runtime.instance()._session_mgr.get_active_session_info(get_script_run_ctx().session_id)
        if info is None:
            return None
        socket_queue = getattr(info.client, "_send_queue", None)  # messages not yet written to the socket
        return info.session._browser_queue.is_empty() and (socket_queue is None or socket_queue.empty())
    except (AttributeError, ImportError, TypeError):
        return None


def _click_waiting() -> bool:
    """Whether a click (a rerun or stop request) waits for this run to yield. Streamlit looks only
    when the script writes an element; between frames the loop would otherwise sit on it."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

        requests = get_script_run_ctx().script_requests
        return requests is not None and requests._state != ScriptRequestType.CONTINUE
    except (AttributeError, ImportError):
        return False


def _wait_for_delivery(playing_key: str) -> bool:
    """Wait until the last frame has gone; False if the browser took nothing for DELIVERY_WAIT_S."""
    waited = 0.0
    while _delivered() is False:
        if waited >= DELIVERY_WAIT_S:
            return False
        if _superseded() or not st.session_state.get(playing_key) or _click_waiting():
            return True  # a click is waiting: let the loop see it
        time.sleep(0.005)
        waited += 0.005
    return True


def _superseded() -> bool:
    """Whether a newer run of this session has started since this one claimed it."""
    return getattr(_this_run, "number", None) != st.session_state.get(_NEWEST_KEY)


def _locked(fn: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        with session_lock():
            fn()
    return run


def transport(name: str, playing_key: str, on_step: Callable[[], None], on_reset: Callable[[], None],
              play_help: str, step_help: str, reset_help: str,
              extras: Callable[[], None] | None = None) -> bool:
    """Play/Pause, Step and Reset buttons; returns whether the view is playing. ``extras`` draws
    more controls (view toggles) in the rest of the same row."""
    playing = bool(st.session_state.get(playing_key, False))
    c = st.columns([1, 1, 1, 3])
    c[0].button("Pause" if playing else "Play", key=f"{name}_play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                help=f"{play_help} Key: Space.",
                on_click=lambda: st.session_state.update({playing_key: not playing}))
    c[1].button("Step", key=f"{name}_step", icon=":material/skip_next:", width="stretch",
                help=f"{step_help} Key: S.",
                on_click=lambda: (st.session_state.update({playing_key: False}), _locked(on_step)()))
    c[2].button("Reset", key=f"{name}_reset", icon=":material/restart_alt:", width="stretch",
                help=f"{reset_help} Key: R.",
                on_click=lambda: (st.session_state.update({playing_key: False}), _locked(on_reset)()))
    if extras is not None:
        with c[3]:
            extras()
    render.shortcuts(f"{name}_play", f"{name}_step", f"{name}_reset")
    render.library()  # the live pictures' drawing code, once per run, outside the frames' slot
    if st.session_state.pop(f"_{name}_timed_out", False):
        st.info(f"Paused after {MAX_PLAY_S / 60:.0f} minutes of continuous play. Press Play to go on.")
    return playing


def play(name: str, playing_key: str, advance: Callable[[], bool], draw: Callable[[], None],
         interval_s: float) -> None:
    """Draw the view; while playing, loop ``advance`` (False = stop) and redraw every ``interval_s``.

    ``draw`` must not create widgets: it runs once per frame in the same script run.
    """
    # Two placeholders: paused views draw in the first, playing frames in the second. On Play the
    # first is written empty in this run, so the browser drops the paused view at once; redrawn
    # in place, its elements would stay greyed until the run ends (never, while playing), and a
    # paused Plotly chart replaced by a picture is even kept beside it. (Emptying and refilling
    # one placeholder does not do it: Streamlit merges the two writes before they are sent.)
    still, slot = st.empty(), st.empty()
    lock = session_lock()
    if not st.session_state.get(playing_key):
        with lock, still.container():
            draw()
        return
    max_frames = st.session_state.get(TEST_FRAMES_KEY)
    started = time.perf_counter()
    frames = 0
    cost = st.session_state.setdefault(FRAME_COST_KEY, [0, 0.0])  # frames, CPU seconds of this thread
    while True:
        if not _wait_for_delivery(playing_key):
            st.session_state[playing_key] = False  # the browser is gone or stopped reading
            st.stop()
        if _click_waiting():
            slot.empty()  # an element write: Streamlit ends this run here and reruns with the click
        tick = time.perf_counter()
        cpu = time.thread_time()
        with lock:
            if _superseded() or not st.session_state.get(playing_key):
                # a newer run (a click, a changed setting) owns the model now: end this run
                # here, so nothing the page draws after play() runs in it as well. (Streamlit
                # would stop it at its next element write anyway, as fast reruns request.)
                st.stop()
            keep_going = advance()
        with lock, slot.container():
            draw()
        frames += 1
        cost[0] += 1
        cost[1] += time.thread_time() - cpu
        if not keep_going:
            st.session_state[playing_key] = False
            st.rerun()  # redraw in the paused layout (interactive charts, downloads)
        if max_frames is not None and frames >= max_frames:
            return
        if time.perf_counter() - started > MAX_PLAY_S:
            st.session_state[playing_key] = False
            st.session_state[f"_{name}_timed_out"] = True
            st.rerun()
        time.sleep(max(0.0, interval_s - (time.perf_counter() - tick)))
