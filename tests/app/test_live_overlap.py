"""Two script runs of one session overlapping (Streamlit's fast reruns) never share a model.

Streamlit starts the new run as soon as the learner clicks, while the interrupted run goes on
until its next element write. Here the runs are threads calling ``live`` with a stand-in for
``streamlit`` (one session state, placeholders that draw nothing), so the overlap is forced
rather than hoped for.
"""
from __future__ import annotations

import contextlib
import threading
import time
from types import SimpleNamespace

import pytest

from app.state import live


class _Slot:
    def container(self):
        return contextlib.nullcontext()


class _Stopped(Exception):
    """What st.stop raises (Streamlit's StopException): the run ends as stopped, not finished."""


@pytest.fixture
def session(monkeypatch):
    state: dict = {"playing": True, "stopped_runs": 0}

    def rerun():
        raise AssertionError("not expected here")

    def stop():
        state["stopped_runs"] += 1
        raise _Stopped
    monkeypatch.setattr(live, "st", SimpleNamespace(session_state=state, empty=_Slot, rerun=rerun, stop=stop))
    return state


def _old_run(model: dict, in_step: threading.Event) -> threading.Thread:
    """A run that claimed the session and is playing: each step is slow and not atomic."""
    def advance() -> bool:
        in_step.set()
        model["epochs"] += 1
        time.sleep(0.02)  # a half-written history: the second list lags behind the first
        model["losses"] += 1
        return True

    def draw() -> None:
        model["frames_seen"].append((model["epochs"], model["losses"]))

    def run() -> None:
        live.claim_session()
        with contextlib.suppress(_Stopped):
            live.play("demo", "playing", advance, draw, interval_s=0.0)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_newer_run_waits_for_the_step_in_progress_and_the_older_run_stops(session):
    model = {"epochs": 0, "losses": 0, "frames_seen": []}
    in_step = threading.Event()
    old = _old_run(model, in_step)
    for _ in range(3):  # let it play a few frames, then catch it mid-step
        in_step.wait(5)
        in_step.clear()
    in_step.wait(5)
    live.claim_session()  # the new run starts (a click on a setting, the run still playing)
    assert model["epochs"] == model["losses"], "the new run got the model in the middle of a step"
    steps_at_claim = model["epochs"]
    old.join(timeout=2)
    assert not old.is_alive(), "the older run kept training behind the newer run's back"
    assert model["epochs"] == steps_at_claim
    assert all(e == loss for e, loss in model["frames_seen"]), "a frame drew a half-updated model"
    # ended by st.stop, so nothing the page draws after play() runs in the superseded run
    assert session["stopped_runs"] == 1


def test_step_and_reset_buttons_wait_for_the_running_step(session):
    model = {"epochs": 0, "losses": 0, "frames_seen": []}
    in_step = threading.Event()
    old = _old_run(model, in_step)
    in_step.wait(5)
    seen = []
    with live.session_lock():  # what a Step click's callback now runs under (live._locked)
        seen.append((model["epochs"], model["losses"]))
        session["playing"] = False  # Step pauses
    old.join(timeout=2)
    assert not old.is_alive()
    assert seen[0][0] == seen[0][1]
    assert session["stopped_runs"] == 1
