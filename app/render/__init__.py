"""Live pictures drawn in the browser.

The server sends each frame as a compact numeric snapshot (uint8 grids, float32 series, packed
binary after a JSON header) to a small canvas renderer made with Streamlit's custom components
v2 (inline JS, no iframe, no build step); the browser draws it. A server-rasterised frame cost 17-29 ms of CPU and
~150 KB; a snapshot costs a few ms and 5-15 KB. One .js per kind of picture, sharing
``colours.js`` and ``common.js`` (decoding, the canvas kept across frames). Pillow (``app.charts``) still
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

import functools
import hashlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from app.state import screen

HERE = Path(__file__).parent
KINDS = ("lines", "heatmap", "network", "bars", "tiles", "matrix", "somgrid", "net", "perceptron", "race")
_frames = itertools.count()  # per-process: a live frame's key is unique within any run


@st.cache_resource
def _shortcut_component():
    return st.components.v2.component("netplay_keys", js=(HERE / "keys.js").read_text())


def shortcuts(play: str, step: str, reset: str) -> None:
    """Space / S / R press the buttons with these widget keys (ignored while typing in a field)."""
    _shortcut_component()(key=f"np_keys_{play}", data={"play": play, "step": step, "reset": reset},
                          height=0, width="content")


# A picture that can be edited (the network's links and biases) hands the edit to this small
# component, mounted once per script run outside the live frames: its trigger reruns the page with
# the edit, which the page applies before it draws (a trigger on the picture itself would be lost
# when the next frame replaces the element).
EDITOR_JS = """export default function (component) {
  const edits = (window.__netplayEdit = window.__netplayEdit || {});
  edits[component.data.view] = (edit) => component.setTriggerValue("edit", edit);
}"""


@st.cache_resource
def _editor_component():
    return st.components.v2.component("netplay_edit", js=EDITOR_JS)


def _trigger(key: str, name: str) -> object:
    """The trigger value ``name`` a component mounted with ``key`` sent for this run (None if none)."""
    state = st.session_state.get(key)
    value = getattr(state, name, None) if state is not None else None
    if value is None and isinstance(state, dict):
        value = state.get(name)
    return value


def edits(view: str, on_edit: Callable[[object], None]) -> None:
    """Let the picture ``view`` send edits: ``on_edit(edit)`` gets each one (untrusted: a dict as
    the browser sent it) in a widget callback, before the page's script runs."""
    key = f"np_edit_{view}"

    def received() -> None:
        if (edit := _trigger(key, "edit")) is not None:
            on_edit(edit)

    _editor_component()(key=key, data={"view": view}, on_edit_change=received, height=0, width="content")


@st.cache_resource
def _picker_component():
    return st.components.v2.component("netplay_picker",
                                      js=(HERE / "colours.js").read_text() + (HERE / "picker.js").read_text())


def picker(key: str, label: str, items: list[dict], chosen: str, on_pick: Callable[[str], None]) -> None:
    """Thumbnails to pick one of ``items`` from (each: name, label, short, and points: uint8 x/y
    pairs with values: class numbers, or 0..255 for a regression's targets; or no points);
    ``on_pick(name)`` runs in a callback before the page's script, with the name as sent."""

    def picked() -> None:
        if isinstance(name := _trigger(key, "pick"), str):
            on_pick(name)

    _picker_component()(key=key, data={"label": label, "items": items, "chosen": chosen},
                        on_pick_change=picked, width="stretch")


def library_source() -> str:
    """Every renderer in one module: colours.js, common.js and gif.js, then each kind's drawing
    function registered as ``window.__netplay[kind]``."""
    parts = ["const __netplay = (window.__netplay = window.__netplay || {});",
             *((HERE / name).read_text() for name in ("colours.js", "common.js", "gif.js"))]
    for kind in KINDS:
        body = (HERE / f"{kind}.js").read_text()
        parts.append(body.replace("export default function (component)", f"__netplay.{kind} = function (component)"))
    parts.append(MOUNT)
    parts.append("export default function () {}")
    return "\n".join(parts)


# What a picture's stub calls: unpack the frame (4 bytes of JSON length, the JSON, then the
# binary arrays it points at as {"$b": [at, n]}), merge the parts kept from earlier frames, draw.
MOUNT = """
__netplay.mount = function (component) {
  const raw = component.data instanceof Uint8Array ? component.data : new Uint8Array(component.data);
  const n = raw[0] | (raw[1] << 8) | (raw[2] << 16) | (raw[3] << 24), body = raw.subarray(4 + n);
  const data = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + n)),
                          (k, v) => (v && v.$b ? body.subarray(v.$b[0], v.$b[0] + v.$b[1]) : v));
  const host = component.parentElement, kept = (host.__npKept = host.__npKept || {});
  if (data.kept) Object.assign(kept, data.kept);   // parts that change rarely come only now and then
  const frame = { ...component, data: { ...kept, ...data } };
  try {
    return __netplay[frame.data.kind](frame);
  } catch (err) {  // a frame that cannot be drawn leaves the last picture, never an error box
    console.error("netplay", frame.data.view, err);
    return null;
  }
};
"""

# A component's JS travels inside every message that mounts or updates it. With the renderers
# inline, each live frame carried ~6 KB of code per picture (35 KB a frame, 800 KB/s a learner).
# So the code travels once per script run, in one invisible "library" element, and every picture
# is a 160-byte stub that calls the library's ``mount``.
STUB = ("export default function(c){let x=null,w=0;const g=()=>{const f=window.__netplay&&window.__netplay.mount;"
        "if(f)x=f(c);else w=requestAnimationFrame(g)};g();return()=>{cancelAnimationFrame(w);if(x)x()}}")


@st.cache_resource
def _components() -> tuple:
    """The library and the picture stub, registered once per server process."""
    return (st.components.v2.component("netplay_library", js=library_source()),
            st.components.v2.component("netplay_picture", js=STUB))


def library() -> None:
    """Mount the renderers' code for this run (call once per run, outside a live frame's slot)."""
    _components()[0](key="np_library", data={}, height=0, width="content")


class Blob(bytes):
    """Binary array data inside a frame's payload (sent raw, not as JSON numbers or base64)."""


def u8(values: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> Blob:
    """Values in [lo, hi] quantised to 0..255 (NaN as the middle)."""
    q = np.array(values, dtype=np.float64)  # a copy, scaled in place (a live frame makes several)
    q -= lo
    with np.errstate(invalid="ignore", over="ignore"):
        q *= 255.0 / (hi - lo)
    np.clip(q, 0, 255, out=q)
    q[np.isnan(q)] = 127.5
    return Blob(np.rint(q, out=q).astype(np.uint8).tobytes())


def u8_codes(codes: np.ndarray) -> Blob:
    """Small non-negative integers (class numbers), one byte each."""
    return Blob(np.asarray(codes, dtype=np.uint8).tobytes())


def f32(values) -> Blob:
    """Numbers as little-endian float32 (beyond its range: infinity, as a diverged loss is)."""
    with np.errstate(over="ignore"):
        return Blob(np.asarray(values, dtype=np.float64).astype("<f4").tobytes())


def pack(payload: dict) -> bytes:
    """JSON with every Blob moved to a binary tail: 4-byte length, JSON, blobs (the stub unpacks)."""
    tail = bytearray()

    def walk(value):
        if isinstance(value, Blob):
            ref = {"$b": [len(tail), len(value)]}
            tail.extend(value)
            return ref
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value

    head = json.dumps(walk(payload), separators=(",", ":")).encode()
    return len(head).to_bytes(4, "little") + head + bytes(tail)


def unpack(raw: bytes) -> dict:
    """The inverse of ``pack`` (tests read frames with it): Blobs come back as bytes."""
    n = int.from_bytes(raw[:4], "little")
    body = raw[4 + n:]
    return json.loads(raw[4:4 + n], object_hook=lambda d: body[d["$b"][0]:sum(d["$b"])] if "$b" in d else d)


def thin(x: np.ndarray, *ys: np.ndarray, most: int = 300) -> tuple[np.ndarray, ...]:
    """At most ``most`` evenly spaced points of a long history (the last one always kept)."""
    x = np.asarray(x)
    if len(x) <= most:
        return (x, *map(np.asarray, ys))
    idx = _thin_index(len(x), most)
    return (x[idx], *(np.asarray(y)[idx] for y in ys))


@functools.lru_cache(maxsize=256)
def _thin_index(n: int, most: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


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


FITTED = ("somgrid",)  # kinds whose height follows their width
KEPT_FIRST = 3  # frames: the rarely-changing parts go with the first few frames of a run, and
KEPT_EVERY = 25  # then this often. The browser draws only the newest data a picture got while it
# was still loading its code: a run's first frame alone was often skipped that way, and the lab's
# learning-rate explorer drew blank surfaces until the next resend.


def _kept_part(view: str, kept: dict, live: bool) -> dict | None:
    """``kept`` (data that rarely changes, e.g. the data points) when the browser may lack it:
    in a run's first KEPT_FIRST frames, when it changed, and every KEPT_EVERY frames; else None
    (the browser reuses its copy)."""
    if not kept:
        return None
    from app.state import live as live_loop  # here, not at the top: it imports this module

    digest = hashlib.blake2b(pack(kept), digest_size=8).digest()
    memo = st.session_state.setdefault("_np_kept", {})
    run, last, count = memo.get(view, (None, None, 0))
    here = getattr(live_loop._this_run, "number", None)  # this script run (thread ids are reused across runs)
    if not live or run != here or last != digest:
        memo[view] = (here, digest, 1)
        return kept
    memo[view] = (run, last, count + 1)
    return kept if count < KEPT_FIRST or count % KEPT_EVERY == 0 else None


def show(kind: str, view: str, data: dict, *, height: int, alt: str, live: bool,
         kept: dict | None = None) -> None:
    """Draw one picture. ``view`` names it on the page; ``alt`` is its text for screen readers;
    ``live``: a frame of a play run (the same element is rewritten frame after frame);
    ``kept``: fields that rarely change, sent only when the browser may not have them."""
    frame = next(_frames)
    height = screen.picture_height(height)
    payload = {**data, "kind": kind, "view": view, "height": int(height), "alt": alt, "frame": frame}
    part = _kept_part(view, kept or {}, live)
    if part is not None:
        payload["kept"] = part
    key = f"np_{view}"
    if live and not _release(key):
        key = f"np_{view}@{frame}"
    fits = kind in FITTED  # these size themselves to their column (at most ``height``)
    _components()[1](key=key, data=pack(payload), height="content" if fits else int(height), width="stretch")
