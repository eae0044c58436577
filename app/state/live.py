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

import asyncio
import collections
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

import streamlit as st

from app import render
from app.state import screen
from engine import backend
from engine.limits import UI_MAX_PLAY_S

MAX_PLAY_S = UI_MAX_PLAY_S
TEST_FRAMES_KEY = "_live_max_frames"  # tests set it: a play run then draws that many frames
FRAME_COST_KEY = "_live_frame_cost"  # [frames, CPU seconds] spent advancing and drawing live frames
_LOCK_KEY = "_live_lock"
_NEWEST_KEY = "_live_newest_run"
_this_run = threading.local()  # each script run has its own thread


FRAME_BUDGET_S = 0.05  # a live frame's computation; beyond it the frame shows fewer steps
BUDGET_KEY = "_live_frame_budget_s"  # tests set it: frames then run exactly the steps asked for
AUTO = "auto"  # a speed choice: as many steps as fit in the budget
AUTO_MOST = 100_000  # what "auto" asks for: the budget decides


def wanted_steps(choice: str) -> int:
    """Steps per frame for a speed choice ("auto" or a number)."""
    return AUTO_MOST if choice == AUTO else max(1, int(choice))


def run_steps(name: str, step: Callable[[int, bool], str], wanted: int, most: int = 10_000,
              budget_s: float | None = None) -> str:
    """Advance a model by ``wanted`` steps, or by as many as fit in ``budget_s``: a frame's
    computation stays within the budget at any setting, so Pause is answered quickly even where
    one step is slow (an RBM with 400 hidden units and k = 25 took 10 s a frame at 100 per
    frame). ``step(n, last)`` runs n steps (``last``: the frame's final call, where a model
    records its curves) and returns its status; anything but "running" ends the frame.

    The time one step takes is learnt per session and view (``_<name>_step_s``), so later frames
    size their calls from it: one call, two on a frame whose first guess was low. ``most``: the
    model's own cap on steps per call."""
    key = f"_{name}_step_s"
    budget_s = st.session_state.get(BUDGET_KEY, FRAME_BUDGET_S) if budget_s is None else budget_s
    per_step = st.session_state.get(key)
    started, done, status = time.perf_counter(), 0, "running"
    while done < wanted and status == "running":
        left = budget_s - (time.perf_counter() - started)
        if done and left <= 0:
            break
        n = 1 if per_step is None else max(1, min(wanted - done, most, int(left / per_step)))
        last = done + n >= wanted or (per_step is not None and n * per_step >= left * 0.8)
        tick = time.perf_counter()
        status = step(n, last)
        took = (time.perf_counter() - tick) / n
        per_step = took if per_step is None else 0.5 * per_step + 0.5 * took
        done += n
    st.session_state[key] = per_step
    return status


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


def _caught_up(timeout_s: float = 1.0) -> None:
    """Wait until the server's event loop has handled every message this thread enqueued so far.

    A script thread's messages reach the session's queue through the event loop's callbacks, so
    an empty queue right after a frame may only mean they have not arrived yet. Paced on that, the
    next frame could join the last one in the queue, where Streamlit merges two deltas at one
    place into the newer: the parts a frame sends only once (the race's contour and paths) were
    lost that way, and the picture drew a blank surface. A callback posted now runs after them."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return
        loop = Runtime.instance()._get_async_objs().eventloop
        if not (isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running()):
            return   # no server loop to wait for (AppTest's runtime is a stand-in: each frame waited 1 s)
        done = threading.Event()
        loop.call_soon_threadsafe(done.set)
        done.wait(timeout_s)
    except (AttributeError, ImportError, RuntimeError):
        return


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
        if _over(playing_key) or _click_waiting():
            return True  # a click is waiting: let the loop see it
        time.sleep(0.02)
        waited += 0.02
    return True


class _OnlyChanges:
    """Installed on a play run's context: drops a delta identical to the last one written at the
    same place in this run, so a frame sends only what changed (the numbers and pictures) and not
    again the layout, captions and columns around them. The browser keeps what it has at those
    places. The playground's frame went from 27 messages to 7 this way.

    A block sent again at a place (a container refilled) forgets what was recorded under it: the
    browser may have dropped those children."""

    def __init__(self, ctx) -> None:
        self.ctx, self.send, self.last = ctx, ctx.enqueue, {}

    def __call__(self, msg) -> None:
        if msg.WhichOneof("type") == "delta" and msg.metadata.delta_path:
            path = tuple(msg.metadata.delta_path)
            raw = msg.delta.SerializeToString()
            if self.last.get(path) == raw:
                return
            if msg.delta.WhichOneof("type") == "add_block":
                n = len(path)
                self.last = {p: v for p, v in self.last.items() if p[:n] != path}
            self.last[path] = raw
        self.send(msg)

    def __enter__(self) -> _OnlyChanges:
        self.ctx.enqueue = self
        return self

    def __exit__(self, *exc) -> None:
        self.ctx.__dict__.pop("enqueue", None)  # the class's own method again


def _only_changes():
    """A context that sends only changed deltas while it is open (a no-op where there is no run context)."""
    from contextlib import nullcontext

    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
    except ImportError:
        ctx = None
    return _OnlyChanges(ctx) if ctx is not None and "enqueue" not in vars(ctx) else nullcontext()


class _Turns:
    """Whose turn it is to run Python in this process: script runs and play loops' frames take
    turns, first come first served, ``width`` at a time.

    All of it runs under one GIL, with the event loop that sends every message. With 8 learners
    pressing Pause at once, 8 page runs and the play loops each took slices of every millisecond;
    the event loop, which gives up the GIL at every socket call, waited behind all of them for
    each message, and the paused pages reached the browsers 2-3 s late. Taking turns, the event
    loop competes with ``width`` threads only, and past capacity every player's frame rate falls
    evenly. A turn is a courtesy, not a lock: while every holder has held its turn longer than
    ``patience_s`` (a long computation), the waiters go on without one."""

    def __init__(self, width: int, patience_s: float = 1.0) -> None:
        self.width, self.busy, self.patience_s = max(1, width), 0, patience_s
        self.line: collections.deque[threading.Event] = collections.deque()  # frames waiting, first first
        self.urgent: collections.deque[threading.Event] = collections.deque()  # page runs (clicks) waiting
        self.lock = threading.Lock()
        self.mine = threading.local()  # .held: this thread's turn (its Event), None when it has none
        self.held_since: dict[threading.Event, float] = {}  # turns held -> since when

    def take(self, give_up: Callable[[], bool] = lambda: False, urgent: bool = False) -> bool:
        """Wait for this thread's turn (True); False, out of the line, as soon as ``give_up()``.
        ``urgent``: a page run, which a learner's click started, goes before every waiting frame.

        Waiters sleep until handed the turn (a wake-up each 50 ms to look at ``give_up``): a
        waiter polling every few ms was itself a thread wanting the GIL."""
        if getattr(self.mine, "held", None) is not None:
            return True
        handed = threading.Event()
        with self.lock:
            if self.busy < self.width and not self.line and not self.urgent:
                self.busy += 1
                self.held_since[handed] = time.perf_counter()
                self.mine.held = handed
                return True
            queue = self.urgent if urgent else self.line
            queue.append(handed)
        try:
            while not handed.wait(0.05):
                stop = give_up()
                with self.lock:
                    if handed.is_set():
                        break
                    if stop or time.perf_counter() - max(self.held_since.values(), default=0.0) > self.patience_s:
                        queue.remove(handed)
                        return not stop  # the holders are all slow (a long computation): go on without a turn
        except BaseException:
            # ``give_up`` reads session state, where Streamlit ends a run that a click superseded
            # (it raises there). Leave the line; a turn handed over meanwhile goes on to the next
            # waiter. Left in the line, the turn was later handed to no one, and every learner
            # pressing Pause waited a second for the others' patience to run out.
            with self.lock:
                if not handed.is_set():
                    queue.remove(handed)
                    raise
            self._hand_on(handed)
            raise
        self.mine.held = handed
        return True

    def done(self) -> None:
        """Give the turn back, to the first in line (nothing if this thread holds none)."""
        mine = getattr(self.mine, "held", None)
        if mine is not None:
            self.mine.held = None
            self._hand_on(mine)

    def let_clicks_answer(self) -> None:
        """A page run that has drawn its buttons goes to the back of the page runs' line if another
        click waits. When a class presses Pause together, every learner's button then reads Play
        within a few of these short turns, instead of after every paused page before theirs."""
        mine = getattr(self.mine, "held", None)
        if mine is None or not self.urgent:
            return
        self.done()
        self.take(urgent=True)

    def _hand_on(self, turn: threading.Event) -> None:
        with self.lock:
            self.held_since.pop(turn, None)
            if self.urgent or self.line:
                nxt = (self.urgent or self.line).popleft()
                self.held_since[nxt] = time.perf_counter()
                nxt.set()  # handed over: ``busy`` stays as it is
            else:
                self.busy -= 1


class _Seats:
    """At most ``limit`` sessions of this process play at once; the rest wait in line (FIFO)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.playing: set = set()
        self.line: list = []
        self.lock = threading.Lock()

    def try_sit(self, who) -> int:
        """0 when ``who`` may play now (it then holds a seat), else its place in line (1 = next)."""
        with self.lock:
            if who in self.playing:
                return 0
            if who not in self.line:
                self.line.append(who)
            if len(self.playing) < self.limit and self.line[0] == who:
                self.line.pop(0)
                self.playing.add(who)
                return 0
            return self.line.index(who) + 1

    def leave(self, who) -> None:
        with self.lock:
            self.playing.discard(who)
            if who in self.line:
                self.line.remove(who)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


FRAME_WORKERS = _env_int("NETPLAY_WORKERS", 1)  # script runs and frames computing at once in one process
MAX_PLAYING = _env_int("NETPLAY_MAX_PLAYING", 40)  # sessions playing at once in one process
_TURNS = _Turns(FRAME_WORKERS)
SEATS = _Seats(MAX_PLAYING)


@contextmanager
def turn():
    """Hold a turn to run Python for a whole script run (main.py wraps the page in it); a play
    loop gives it back between frames."""
    _TURNS.take(urgent=True)
    try:
        yield
    finally:
        _TURNS.done()


def _session_id() -> str:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else f"thread-{threading.get_ident()}"


@contextmanager
def _seat(playing_key: str, slot):
    """Hold one of the process's playing seats for the play loop; while none is free, show the
    learner their place in line in ``slot`` and wait (Pause leaves the line)."""
    who = _session_id()
    shown, since = None, time.perf_counter()
    try:
        while (place := SEATS.try_sit(who)) > 0:
            if place != shown or time.perf_counter() - since > 1.0:
                slot.info(f"This server is full: {SEATS.limit} learners are playing. You are number {place} in "
                          "line; your view starts by itself as soon as a place frees (someone pauses). "
                          "Press Pause to leave the line.", icon=":material/hourglass_top:")
                shown, since = place, time.perf_counter()
            if not _wait_for_delivery(playing_key):
                st.session_state[playing_key] = False  # the browser is gone
                st.stop()
            if _over(playing_key) or _click_waiting():
                slot.empty()  # an element write: Streamlit reruns with the click here
                st.stop()
            time.sleep(0.1)
        yield
    finally:
        SEATS.leave(who)


def _superseded() -> bool:
    """Whether a newer run of this session has started since this one claimed it."""
    return getattr(_this_run, "number", None) != st.session_state.get(_NEWEST_KEY)


def _over(playing_key: str) -> bool:
    """Whether this play run is over: a newer run owns the model, or the learner paused."""
    return _superseded() or not st.session_state.get(playing_key)


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
    if playing_key not in st.session_state and screen.resume_playing():
        st.session_state[playing_key] = True  # reconnected to a fresh process while it played
    playing = bool(st.session_state.get(playing_key, False))
    screen.note_playing(playing)
    bar = st.container(key=f"np_transport_{name}")  # on a phone: a bar that stays at the top (screen.py)
    c = bar.columns([1, 1, 1, 3])
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
    _TURNS.let_clicks_answer()  # the buttons are drawn: others' clicks get their answer too
    if st.session_state.pop(f"_{name}_timed_out", False):
        st.info(f"Paused after {MAX_PLAY_S / 60:.0f} minutes of continuous play. Press Play to go on.")
    return playing


def play(name: str, playing_key: str, advance: Callable[[], bool], draw: Callable[[], None],
         interval_s: float, fed: bool = False) -> None:
    """Draw the view; while playing, loop ``advance`` (False = stop) and redraw every ``interval_s``.

    ``draw`` must not create widgets: it runs once per frame in the same script run.
    ``fed``: after a play run's first frame, ``draw`` writes no element when ``render.fed()``
    and only hands its pictures' data to ``render.show`` / ``render.stats`` (one message a frame).
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
            device_line(name)
        return
    _TURNS.done()  # from here on a turn per frame: others run while this loop waits
    st.session_state[f"_{name}_devices"] = {}  # where this play run computes, from here on
    max_frames = st.session_state.get(TEST_FRAMES_KEY)
    started = time.perf_counter()
    cost = st.session_state.setdefault(FRAME_COST_KEY, [0, 0.0])  # frames, CPU seconds of this thread
    with _seat(playing_key, slot), _only_changes():
        _loop(name, playing_key, advance, draw, interval_s, slot, lock, max_frames, started, cost, fed)


def _add_devices(name: str, picks: dict[str, set[str]]) -> dict[str, set[str]]:
    """Where each kernel family of the view ``name`` computed since its last Play
    (``engine.backend``'s picks): training steps and pictures, big calls and small."""
    used = st.session_state.setdefault(f"_{name}_devices", {})
    for family, devices in picks.items():
        used.setdefault(family, set()).update(devices)
    return used


def device_line(name: str) -> None:
    """Under a paused view, where a machine has a usable GPU: which of its work ran on the GPU
    and which on the CPU since the last Play (a family can be in both: a training step's big
    convolutions on the GPU, one test digit's on the CPU). Machines without a GPU see nothing
    (the home page says the CPU computes)."""
    used = _add_devices(name, backend.take_picks())
    if not used or not backend.gpu_in_use():
        return
    on = {device: [backend.LABELS.get(f, f) for f, d in sorted(used.items()) if device in d]
          for device in ("cuda", "cpu")}
    try:
        why = " (too small to pay for the GPU)" if backend.requested() == "auto" else ""
    except ValueError:   # a misspelt NETPLAY_DEVICE computes on the CPU (the home page says why)
        why = ""
    parts = ([f"on the GPU (CUDA): {', '.join(on['cuda'])}"] if on["cuda"] else []) + \
            ([f"on the CPU{why}: {', '.join(on['cpu'])}"] if on["cpu"] else [])
    st.caption(":material/memory: Computed " + "; ".join(parts) + ".")


def _loop(name, playing_key, advance, draw, interval_s, slot, lock, max_frames, started, cost, fed) -> None:
    frames = 0
    feed_slot = None  # where a fed frame's one message goes (made by the run's first frame)
    while True:
        if not _wait_for_delivery(playing_key):
            st.session_state[playing_key] = False  # the browser is gone or stopped reading
            st.stop()
        if _click_waiting():
            slot.empty()  # an element write: Streamlit ends this run here and reruns with the click
        tick = time.perf_counter()
        if not _TURNS.take(lambda: _over(playing_key) or _click_waiting()):
            if _over(playing_key):
                st.stop()
            continue  # a click is waiting: the top of the loop lets Streamlit see it
        cpu = time.thread_time()
        try:
            with lock:
                if _over(playing_key):
                    # a newer run (a click, a changed setting) owns the model now: end this run
                    # here, so nothing the page draws after play() runs in it as well. (Streamlit
                    # would stop it at its next element write anyway, as fast reruns request.)
                    st.stop()
                keep_going = advance()
            if fed and feed_slot is not None:
                with lock, render.feed(name, feed_slot):
                    draw()
            else:
                with lock, slot.container():
                    draw()
                    if fed:
                        feed_slot = st.empty()
        finally:
            _TURNS.done()
        _add_devices(name, backend.take_picks())
        _caught_up()  # so that the next delivery check sees this frame in the queue
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
