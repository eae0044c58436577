"""Fair share in one server process (app.state.live): play loops and page runs take turns first
come first served, at most MAX_PLAYING sessions play and the rest wait in a visible line, and a
frame sends only the parts of the page that changed."""
from __future__ import annotations

import contextlib
import threading
import time
from types import SimpleNamespace

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.state import live


def test_turns_go_first_come_first_served_one_at_a_time():
    turns = live._Turns(width=1, patience_s=30)
    order, inside = [], []
    assert turns.take()  # this thread holds the turn while the others line up

    def worker(i):
        def run():
            assert turns.take()
            inside.append(i)
            assert len(inside) == 1, "two threads held a turn of width 1 at once"
            order.append(i)
            time.sleep(0.005)
            inside.remove(i)
            turns.done()
        return run

    threads = [threading.Thread(target=worker(i), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
        time.sleep(0.03)
    assert order == []  # all wait behind the holder
    turns.done()
    for t in threads:
        t.join(10)
    assert order == list(range(6))
    assert turns.busy == 0 and not turns.line


def test_taking_twice_on_one_thread_is_one_turn_and_done_without_a_turn_is_harmless():
    turns = live._Turns(width=1)
    turns.done()  # holds none: nothing happens
    assert turns.take() and turns.take()
    assert turns.busy == 1
    turns.done()
    turns.done()
    assert turns.busy == 0


def test_a_waiter_that_gives_up_leaves_the_line_and_returns_false():
    turns = live._Turns(width=1, patience_s=30)
    assert turns.take()
    result = {}
    stop = threading.Event()
    t = threading.Thread(target=lambda: result.setdefault("took", turns.take(stop.is_set)), daemon=True)
    t.start()
    time.sleep(0.1)
    assert len(turns.line) == 1
    stop.set()  # the learner clicked Pause while waiting
    t.join(5)
    assert result["took"] is False and not turns.line
    turns.done()
    assert turns.busy == 0


class _Superseded(Exception):
    """What Streamlit raises in a run that a click superseded, at its next session-state read."""


def _waiter(turns, give_up, raised):
    def run():
        try:
            turns.take(give_up)
        except _Superseded:
            raised.append(True)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_waiter_ended_by_a_click_while_in_line_leaves_no_turn_behind():
    # ``give_up`` reads session state, where Streamlit ends a superseded run by raising. The
    # waiter's place in line must go with it: left there, the turn was later handed to no one,
    # and 15 learners pressing Pause at once waited a second each (a 1.0-1.6 s p95).
    turns = live._Turns(width=1, patience_s=30)
    assert turns.take()
    raised, ending = [], threading.Event()

    def give_up():
        if ending.is_set():
            raise _Superseded()
        return False

    t = _waiter(turns, give_up, raised)
    time.sleep(0.1)
    assert len(turns.line) == 1
    ending.set()
    t.join(5)
    assert raised and not turns.line
    turns.done()
    assert turns.busy == 0, "the turn went to a waiter that had gone"


def test_a_turn_handed_over_just_as_the_waiter_is_ended_goes_on_to_the_next_in_line():
    turns = live._Turns(width=1, patience_s=30)
    assert turns.take()
    holder = turns.mine.held
    raised, ending = [], threading.Event()

    def give_up():  # the holder finishes (handing the turn to this waiter), then the run is ended
        if ending.is_set():
            turns._hand_on(holder)
            raise _Superseded()
        return False

    first = _waiter(turns, give_up, raised)
    time.sleep(0.1)
    second = threading.Thread(target=lambda: raised.append(turns.take()), daemon=True)
    second.start()
    time.sleep(0.1)
    assert len(turns.line) == 2
    turns.mine.held = None  # handed on inside give_up, as the holder's done() would
    ending.set()
    first.join(5)
    second.join(5)
    assert raised == [True, True] and not turns.line, "the next in line got the turn"
    assert turns.busy == 1


def test_waiters_go_on_without_a_turn_when_the_holder_takes_too_long():
    turns = live._Turns(width=1, patience_s=0.2)
    assert turns.take()  # a long computation holds it
    started = time.perf_counter()
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("took", turns.take()), daemon=True)
    t.start()
    t.join(5)
    assert result["took"] is True and 0.2 <= time.perf_counter() - started < 2
    assert turns.busy == 1, "the impatient waiter must not count as holding a turn"
    turns.done()
    assert turns.busy == 0


def test_seats_beyond_the_limit_wait_in_line_in_order():
    seats = live._Seats(limit=2)
    assert seats.try_sit("a") == 0 and seats.try_sit("b") == 0
    assert seats.try_sit("c") == 1 and seats.try_sit("d") == 2
    assert seats.try_sit("c") == 1  # asking again keeps the place
    seats.leave("a")
    assert seats.try_sit("d") == 2, "d may not jump ahead of c"
    assert seats.try_sit("c") == 0
    assert seats.try_sit("d") == 1
    seats.leave("d")  # leaving the line
    assert seats.line == [] and seats.playing == {"b", "c"}


class _Slot:
    def __init__(self, log):
        self.log = log

    def container(self):
        return contextlib.nullcontext()

    def info(self, text, **_):
        self.log.append(text)

    def empty(self):
        self.log.append(None)


class _Stopped(Exception):
    pass


@pytest.fixture
def fake_st(monkeypatch):
    state: dict = {"playing": True}
    log: list = []

    def stop():
        raise _Stopped

    monkeypatch.setattr(live, "st", SimpleNamespace(session_state=state, empty=lambda: _Slot(log),
                                                    rerun=stop, stop=stop))
    monkeypatch.setattr(live, "SEATS", live._Seats(limit=1))
    return state, log


def test_a_learner_past_the_limit_sees_the_line_then_plays_when_a_seat_frees(fake_st):
    state, log = fake_st
    live.SEATS.try_sit("someone else")
    state[live.TEST_FRAMES_KEY] = 2
    frames = []
    threading.Timer(0.5, lambda: live.SEATS.leave("someone else")).start()
    live.claim_session()
    started = time.perf_counter()
    live.play("demo", "playing", lambda: True, lambda: frames.append(1), interval_s=0.0)
    assert time.perf_counter() - started >= 0.4
    assert frames == [1, 1]
    shown = [t for t in log if t]
    assert shown and "full" in shown[0] and "number 1 in line" in shown[0]
    assert live.SEATS.playing == set(), "the seat is given back when the loop ends"


def test_pause_while_in_line_leaves_the_line(fake_st):
    state, log = fake_st
    live.SEATS.try_sit("someone else")
    threading.Timer(0.3, lambda: state.update(playing=False)).start()
    live.claim_session()
    with pytest.raises(_Stopped):
        live.play("demo", "playing", lambda: True, lambda: None, interval_s=0.0)
    assert live.SEATS.line == [] and live.SEATS.playing == {"someone else"}


def _delta(path, text) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path[:] = path
    msg.delta.new_element.markdown.body = text
    return msg


def _block(path) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path[:] = path
    msg.delta.add_block.vertical.SetInParent()
    return msg


def test_a_frame_sends_only_the_deltas_that_changed():
    sent = []

    class Ctx:  # as a real run context: the method on the class, nothing on the instance
        def enqueue(self, msg):
            sent.append(msg)

    ctx = Ctx()
    with live._OnlyChanges(ctx):
        for frame in range(3):  # three frames: the layout and a caption stay, a number changes
            ctx.enqueue(_block([0, 1]))
            ctx.enqueue(_delta([0, 1, 0], "caption"))
            ctx.enqueue(_delta([0, 1, 1], f"step {frame}"))
        other = ForwardMsg()
        other.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
        ctx.enqueue(other)  # not a delta: always sent
    texts = [m.delta.new_element.markdown.body if m.HasField("delta") else m.WhichOneof("type") for m in sent]
    assert texts[:3] == ["", "caption", "step 0"]
    assert texts[3:] == ["step 1", "step 2", "script_finished"]
    assert "enqueue" not in vars(ctx), "leaving the context restores the context's own enqueue"


def test_a_block_sent_again_differently_forgets_what_was_under_it():
    sent = []

    class Ctx:
        def enqueue(self, msg):
            sent.append(msg)

    ctx = Ctx()
    with live._OnlyChanges(ctx):
        ctx.enqueue(_block([0, 1]))
        ctx.enqueue(_delta([0, 1, 0], "caption"))
        block = _block([0, 1])
        block.delta.add_block.allow_empty = True  # a different block at the same place
        ctx.enqueue(block)
        ctx.enqueue(_delta([0, 1, 0], "caption"))  # must go again: the browser may have dropped it
    assert len(sent) == 4


def test_a_frame_runs_the_steps_asked_for_when_they_fit_the_budget(fake_st):
    calls = []

    def step(n, last):
        calls.append((n, last))
        return "running"

    assert live.run_steps("demo", step, 20) == "running"
    assert sum(n for n, _ in calls) == 20 and calls[-1][1] is True
    calls.clear()
    live.run_steps("demo", step, 20)  # the step time is known now: one call
    assert calls == [(20, True)]


def test_slow_steps_are_cut_to_the_frame_budget_and_auto_fills_it(fake_st):
    calls = []

    def slow(n, last):
        calls.append(n)
        time.sleep(0.01 * n)  # 10 ms a step
        return "running"

    started = time.perf_counter()
    live.run_steps("slow", slow, 100, budget_s=0.05)  # 100 asked, 1 s of work
    assert time.perf_counter() - started < 0.2
    assert 3 <= sum(calls) <= 8
    calls.clear()
    live.run_steps("slow", slow, live.wanted_steps(live.AUTO), budget_s=0.05)
    assert 3 <= sum(calls) <= 8, calls
    calls.clear()
    live.run_steps("slow", slow, live.wanted_steps("2"), budget_s=0.05)
    assert sum(calls) == 2


def test_a_frame_stops_at_a_status_other_than_running_and_respects_the_cap_per_call(fake_st):
    calls = []

    def diverging(n, last):
        calls.append(n)
        return "diverged"

    assert live.run_steps("d", diverging, 50) == "diverged" and calls == [1]
    calls.clear()
    live.run_steps("fast", lambda n, last: calls.append(n) or "running", live.wanted_steps(live.AUTO), most=7,
                   budget_s=0.001)
    assert max(calls) <= 7


def test_a_page_run_goes_before_waiting_frames():
    turns = live._Turns(width=1, patience_s=30)
    assert turns.take()
    order = []

    def waiter(name, urgent):
        def run():
            assert turns.take(urgent=urgent)
            order.append(name)
            turns.done()
        return threading.Thread(target=run, daemon=True)

    threads = [waiter("frame 1", False), waiter("frame 2", False), waiter("click", True)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    turns.done()
    for t in threads:
        t.join(5)
    assert order == ["click", "frame 1", "frame 2"]
    assert turns.busy == 0 and not turns.line and not turns.urgent


def test_a_page_run_with_its_buttons_drawn_lets_a_waiting_click_answer_first():
    turns = live._Turns(width=1, patience_s=30)
    assert turns.take(urgent=True)  # a paused page, its Play button drawn
    order = []
    other = threading.Thread(target=lambda: (turns.take(urgent=True), order.append("other click"), turns.done()),
                             daemon=True)
    other.start()
    time.sleep(0.1)
    turns.let_clicks_answer()  # back of the line: the other learner's page runs to its buttons meanwhile
    order.append("rest of this page")
    other.join(5)
    assert order == ["other click", "rest of this page"]
    turns.done()
    assert turns.busy == 0
    turns.let_clicks_answer()  # holding no turn, or nobody waiting: nothing happens
    assert turns.busy == 0


def test_a_frame_waits_for_the_servers_loop_only_where_one_runs(monkeypatch):
    """_caught_up posts a callback to the server's event loop and waits for it, so the next frame
    sees everything the last one queued; with no running loop (AppTest's runtime is a stand-in)
    nothing would ever run the callback, and every frame waited out its timeout."""
    import asyncio
    from unittest.mock import MagicMock

    from streamlit.runtime import Runtime

    stand_in = MagicMock()
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: stand_in))
    live._caught_up(timeout_s=30)
    assert not stand_in._get_async_objs().eventloop.call_soon_threadsafe.called   # not posted to a mock

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    try:
        stand_in._get_async_objs().eventloop = loop
        ran = []
        loop.call_soon_threadsafe(lambda: (time.sleep(0.2), ran.append("earlier")))   # queued before the frame ends
        live._caught_up(timeout_s=30)
        assert ran == ["earlier"]   # it returned only once the loop had handled what came before
    finally:
        loop.call_soon_threadsafe(loop.stop)
