from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def open_page():
    """Open a page of the real app (through main.py's navigation), optionally with URL params."""
    def _open(page: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(MAIN, default_timeout=60)
        at.session_state["_live_max_frames"] = 1  # a play run draws one frame per at.run()
        at.session_state["_live_frame_budget_s"] = 1e9  # and runs exactly the steps per frame asked for
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(f"labs/{page}.py").run()
        assert not at.exception, at.exception
        return at
    return _open


def pictures(at) -> dict:
    """The browser-drawn pictures on the page (app/render): view name -> the snapshot it was sent."""
    from app.render import unpack
    out = {}
    for el in at.get("bidi_component"):
        if el.proto.WhichOneof("data") != "bytes":
            continue  # the renderers' library and the keyboard shortcuts
        data = unpack(el.proto.bytes)
        for one in data["frames"] if data["kind"] == "feed" else [data]:  # a play run's later frames come as one feed
            one.update(one.pop("kept", {}))
            out[one["view"]] = {**out.get(one["view"], {}), **one}  # as the browser: kept parts stay
    return out


def decode_u8(b64: bytes, lo: float = -1.0, hi: float = 1.0):
    """A renderer's uint8 array back to numbers in [lo, hi]."""
    import numpy as np
    return np.frombuffer(b64, dtype=np.uint8) / 255.0 * (hi - lo) + lo


def metric_value(at, label: str) -> str:
    """A metric's value: st.metric when paused, or the live metrics row a play run draws."""
    for m in at.metric:
        if m.label == label:
            return m.value
    for data in pictures(at).values():
        if data.get("kind") == "stats":
            for item in data["items"]:
                if item["label"] == label:
                    return item["value"]
    raise KeyError(label)
