"""A light Streamlit client: one learner who opens a lab, presses Play, watches, presses Pause.

It speaks Streamlit's own websocket protocol (protobuf BackMsg / ForwardMsg, as the browser's
JavaScript does) and fetches the images a frame refers to, as a browser would, but draws nothing:
the load a learner puts on the server without a browser eating the same CPU. Frames are counted
from the deltas of the lab's main live picture.
"""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# lab -> (url path, transport name, the live picture counted as a frame: a render view, or "image"
# for a lab that still sends server-drawn images)
LABS = {
    "playground": ("playground", "pg", "pg_out"),
    "som": ("som", "som", "som_map"),
    "rbm": ("rbm", "rbm", "rbm_pairs"),
    "cnn": ("cnn?cnn_mode=train", "cnn", "cnn_stats"),  # its curves gain a point 4 times a second
    "rnn": ("rnn", "rnn", "rnn_unrolled"),
    "ae": ("autoencoder", "ae", "ae_code"),
}


@dataclass
class Learner:
    lab: str
    frames: int = 0
    frame_at: list[float] = field(default_factory=list)  # when each counted frame came (perf_counter)
    bytes_in: int = 0  # message bytes, after websocket decompression
    wire_bytes: int = 0  # bytes as they came over the socket (compressed where the server compresses)
    messages: int = 0  # messages while playing
    media_bytes: int = 0
    media_errors: int = 0
    play_started: float = 0.0
    watch_s: float = 0.0
    pause_s: float | None = None  # Pause clicked -> the paused page's run finished
    pause_flip_s: float | None = None  # Pause clicked -> the button reads Play again
    sidebar_before_flip: int = 0  # sidebar elements the paused page drew before its Play button
    errors: list[str] = field(default_factory=list)
    cookie: str = ""  # what the server (a proxy) set on opening the page

    @property
    def fps(self) -> float:
        return self.frames / self.watch_s if self.watch_s else 0.0


def _rerun(page: str, query: str, widget_id: str | None = None, page_hash: str = "") -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = page
    state.page_script_hash = page_hash
    if widget_id:
        w = state.widget_states.widgets.add()
        w.id = widget_id
        w.trigger_value = True
    return msg.SerializeToString()


def _view_of(component) -> list[str]:
    """The view names a browser-drawn picture's element brings data for (app/render packs them
    in a JSON header): its own, or, for a play run's feed, every picture's in it."""
    if component.WhichOneof("data") != "bytes":
        return []
    raw = component.bytes
    n = int.from_bytes(raw[:4], "little")
    head = json.loads(raw[4:4 + n])
    return [f.get("view", "") for f in head["frames"]] if head.get("kind") == "feed" else [head.get("view", "")]


def _cookies(url: str) -> str:
    """Open the page as a browser does first and keep what cookies it sets (a proxy's route
    cookie): a ``Cookie`` header value for the websocket, empty if none."""
    with urllib.request.urlopen(url, timeout=30) as reply:
        reply.read()
        pairs = [c.split(";", 1)[0].strip() for c in reply.headers.get_all("Set-Cookie") or []]
    return "; ".join(p for p in pairs if "=" in p)


def _fetch(url: str, cookie: str = "") -> int:
    """Fetch a picture as the browser does: with the page's cookies (through a proxy, the route
    cookie takes it to the process that made the picture)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return len(reply.read())


async def run_learner(base: str, lab: str, watch_s: float, start_delay: float = 0.0,
                      deadline_s: float = 120.0, cookie: str = "") -> Learner:
    """Open ``lab`` at ``base`` (http://host:port), Play for ``watch_s`` seconds, then Pause.
    ``cookie``: come back with this cookie (else take what opening the page sets)."""
    path, name, frame_view = LABS[lab]
    page, _, query = path.partition("?")
    me = Learner(lab, cookie=cookie)
    await asyncio.sleep(start_delay)
    parts = urlsplit(base)
    ws_url = f"ws://{parts.netloc}/_stcore/stream"
    buttons: dict[str, str] = {}  # widget key -> current element id
    page_hash = ""
    finished = asyncio.Event()
    counting = False
    clicked = 0.0
    loop = asyncio.get_running_loop()

    async def reader(ws) -> None:
        nonlocal page_hash
        receive = ws.protocol.receive_data

        def counted(data: bytes) -> None:  # the raw bytes off the socket, before decompression
            me.wire_bytes += len(data)
            receive(data)

        ws.protocol.receive_data = counted
        async for raw in ws:
            me.bytes_in += len(raw)
            me.messages += counting
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                page_hash = msg.new_session.page_script_hash
            elif kind == "script_finished":
                finished.set()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                what = el.WhichOneof("type")
                if clicked and me.pause_flip_s is None and list(msg.metadata.delta_path[:1]) == [RootContainer.SIDEBAR]:
                    me.sidebar_before_flip += 1
                if what == "button" and el.button.id.endswith(f"-{name}_play"):
                    buttons["play"] = el.button.id
                    if clicked and me.pause_flip_s is None and el.button.label == "Play":
                        me.pause_flip_s = time.perf_counter() - clicked
                elif what == "bidi_component" and counting and frame_view != "image":
                    if frame_view in _view_of(el.bidi_component):
                        me.frames += 1
                        me.frame_at.append(time.perf_counter())
                elif what == "imgs":
                    if counting and frame_view == "image":
                        me.frames += 1
                        me.frame_at.append(time.perf_counter())
                    for img in el.imgs.imgs:  # fetch the pictures, as a browser does
                        if img.url.startswith("/"):
                            try:
                                me.media_bytes += await loop.run_in_executor(None, _fetch, base + img.url, me.cookie)
                            except OSError as err:
                                me.media_errors += 1
                                me.errors.append(f"media {img.url}: {err}")

    try:
        cookie = me.cookie = me.cookie or await loop.run_in_executor(None, _cookies, f"{base}/{page}")
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=base, max_size=None,
                                      open_timeout=30,
                                      additional_headers={"Cookie": cookie} if cookie else None) as ws:
            task = asyncio.create_task(reader(ws))
            await ws.send(_rerun(page, query))
            await asyncio.wait_for(finished.wait(), deadline_s)
            if "play" not in buttons:
                raise RuntimeError(f"no Play button on {lab}")
            finished.clear()
            counting = True
            me.play_started = time.perf_counter()
            await ws.send(_rerun(page, query, buttons["play"]))
            await asyncio.sleep(watch_s)
            me.watch_s = time.perf_counter() - me.play_started
            counting = False
            finished.clear()
            clicked = time.perf_counter()
            await ws.send(_rerun(page, query, buttons["play"]))
            await asyncio.wait_for(finished.wait(), deadline_s)
            me.pause_s = time.perf_counter() - clicked
            task.cancel()
    except Exception as err:  # noqa: BLE001 - a learner's failure is a result to report
        me.errors.append(f"{type(err).__name__}: {err}")
    return me
