"""One screen per lab, and a presentation mode for the lecture hall.

Every lab puts its settings and its introduction in the sidebar, so the main column starts with
the title, Play / Step / Reset and the live pictures: in view at 1440 x 900 and at 1920 x 1080
seen at 150 % zoom (a 1280 x 720 page). Presentation mode (the button by each title, the P key,
or ``?present=1`` in any link) hides the sidebar and the introductions, enlarges the pictures by
``PRESENT_SCALE`` and the text, and darkens the ink for a washed-out projector.
"""
from __future__ import annotations

import io
import threading
from urllib.parse import urlencode

import streamlit as st

PRESENT_KEY = "np_present"
PRESENT_PARAM = "present"
PLAY_PARAM = "play"  # in the address while a live view plays: a reconnect (another process) plays on
PRESENT_SCALE = 1.3  # pictures in presentation mode, against their size in the page

# Always: less empty space above the title (Streamlit leaves ~6 rem), a smaller title.
COMPACT_CSS = """
.stMainBlockContainer { padding-top: 2.2rem; padding-bottom: 3rem; }
.stMainBlockContainer h1 { font-size: 2rem; padding: 0.25rem 0 0.25rem 0; }
[data-testid="stSidebarUserContent"] { padding-top: 0.5rem; }
/* Streamlit's top bar holds only the menu (Settings: light / dark theme): see-through, and clicks
   pass to the title row under it except on the menu itself */
[data-testid="stHeader"], [data-testid="stHeader"] * { background: transparent; pointer-events: none; }
[data-testid="stHeader"] button { pointer-events: auto; }
/* the invisible helpers (key shortcuts, the renderers' code, a picture's edit channel) take no row */
[class*="st-key-np_keys_"], .st-key-np_library, [class*="st-key-np_edit_"], [class*="st-key-np_feed_"] {
  position: absolute; width: 0; height: 0; overflow: hidden; }
/* a live metrics row (app/render/stats.js), as st.metric's columns look */
.np-metrics { display: grid; grid-template-columns: repeat(var(--np-metric-count, 6), minmax(0, 1fr)); gap: 1rem; }
.np-metric-label { font-size: 0.875rem; line-height: 1.6; min-height: 1.5rem; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.np-caption { font-size: 0.875rem; line-height: 1.5; opacity: 0.6; overflow-wrap: break-word; }
.np-metric-value { font-size: 2.25rem; line-height: 1.2; padding-bottom: 0.25rem; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
"""

# A phone (Streamlit stacks every row of columns below 640 px): the title's buttons share a row,
# Play / Step / Reset sit side by side in a bar that stays at the top while the page scrolls (the
# speed and view toggles on a second line of it), and metrics go three to a row, so the live
# picture comes into view on the first screen. The settings stay in the sidebar, behind its button.
PHONE_CSS = """
@media (max-width: 640px) {
  .stMainBlockContainer { padding-left: 0.8rem; padding-right: 0.8rem; padding-top: 3rem; }
  .st-key-np_header [data-testid="stHorizontalBlock"],
  [class*="st-key-np_transport_"] [data-testid="stHorizontalBlock"],
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) {
    flex-direction: row; flex-wrap: wrap; gap: 0.5rem; }
  .st-key-np_header [data-testid="stColumn"] { flex: 1 1 40%; min-width: 0; }
  .st-key-np_header [data-testid="stColumn"]:first-child { flex: 1 1 100%; }
  .stMainBlockContainer h1 { font-size: 1.6rem; }
  /* the header is paper here (the page scrolls under it), so the stuck bar needs no cover above it:
     a cover drawn upwards from the bar hid the title's Share / Present buttons before any scroll */
  [data-testid="stHeader"] { background: PAPER !important; height: 2.75rem; min-height: 2.75rem; }
  :has(> [class*="st-key-np_transport_"]) { position: sticky; top: 2.75rem; z-index: 20; background: PAPER;
    padding: 0.35rem 0; box-shadow: 0 6px 6px -6px rgba(0, 0, 0, 0.25); }  /* its wrapper: room to stick */
  [class*="st-key-np_transport_"] [data-testid="stColumn"] { flex: 1 1 28%; min-width: 0; }
  [class*="st-key-np_transport_"] [data-testid="stColumn"]:nth-child(4) { flex: 1 1 100%; }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) > [data-testid="stColumn"] {
    flex: 1 1 30%; min-width: 0; }
  [data-testid="stMetricValue"], .np-metric-value { font-size: 1.5rem; }
  .np-metrics { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.5rem; }
}
"""

# Presentation: no sidebar (nor the control that opens it), larger and darker text everywhere.
PRESENT_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"] { display: none !important; }
.stMainBlockContainer { max-width: 100%; padding-left: 2rem; padding-right: 2rem; padding-top: 1rem; }
html { font-size: 19px; }
.stMainBlockContainer, .stMainBlockContainer p, .stMainBlockContainer label { color: INK; }
[data-testid="stMetricValue"], .np-metric-value { font-size: 2.6rem; font-weight: 600; }
[data-testid="stMetricLabel"] p, .np-metric-label { font-size: 1.05rem; font-weight: 600; }
"""


def start_run() -> None:
    """Call once per run, first (main.py): the presentation flag from the link, and the styles."""
    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = st.query_params.get(PRESENT_PARAM, "") in ("1", "true", "yes", "on")
    _share.slot = _share.shown = None
    _share.playing = False
    # the darkest ink the theme allows: black on the light theme, white on the dark one
    dark = getattr(st.context.theme, "type", None) == "dark"
    css = COMPACT_CSS + PHONE_CSS.replace("PAPER", "#0f1419" if dark else "#ffffff")
    css += PRESENT_CSS.replace("INK", "#fff" if dark else "#000") if presenting() else ""
    st.html(f"<style>{css}</style>")


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def picture_height(height: int) -> int:
    """A live picture's height in the current mode."""
    return int(round(height * PRESENT_SCALE)) if presenting() else int(height)


def _toggle() -> None:
    st.session_state[PRESENT_KEY] = not presenting()


_share = threading.local()  # this run's "Share" placeholder, filled when the page publishes its link


def header(title: str, intro: str | None = None) -> None:
    """The lab's title with Share and Present beside it; ``intro`` (Markdown) goes to the top of
    the sidebar, out of the way of the live pictures, and is hidden while presenting."""
    row = st.container(key="np_header").columns([5, 1.1, 1.4], vertical_alignment="center")
    row[0].title(title)
    with row[1].popover("Share", icon=":material/qr_code_2:", width="stretch",
                        help="This demo's link, to copy or to scan from the back of the room."):
        _share.slot = st.empty()
        _share.slot.caption("The link appears once the page has loaded.")
    row[2].button("Exit presentation" if presenting() else "Present", key="np_present_button",
                  icon=":material/close_fullscreen:" if presenting() else ":material/slideshow:",
                  on_click=_toggle, width="stretch",
                  help="Presentation mode for a projector: no sidebar, larger pictures and text. Key: P. "
                       "A link with ?present=1 opens in it.")
    if intro and not presenting():
        st.sidebar.markdown(intro)


def note_playing(playing: bool) -> None:
    """This run's live view plays (live.transport says so): the address gets ``play=1``."""
    _share.playing = bool(playing)


def resume_playing() -> bool:
    """Whether a fresh session should start playing: its address says ``play=1`` (the page was
    playing when its server process went away, and the browser reconnected to another one)."""
    return st.query_params.get(PLAY_PARAM) == "1"


def link_params() -> dict[str, str]:
    """Parameters every page's link carries besides its own fields."""
    params = {PRESENT_PARAM: "1"} if presenting() else {}
    if getattr(_share, "playing", False):
        params[PLAY_PARAM] = "1"
    return params


def share_link(params: dict[str, str]) -> str:
    """The full address of this demo: the page as the browser reached it, with ``params``."""
    try:
        base = st.context.url or ""
    except (AttributeError, RuntimeError):
        base = ""
    # the audience gets the setup: not presentation mode, and not playing (each learner presses Play)
    query = urlencode({k: v for k, v in params.items() if k not in (PRESENT_PARAM, PLAY_PARAM)})
    return base + ("?" + query if query else "")


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG (segno; error correction M, so a projector's glare is forgiven)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def fill_share(params: dict[str, str]) -> None:
    """Write the current link (and its QR code) into this run's Share popover, if it has one."""
    slot = getattr(_share, "slot", None)
    link = share_link(params)
    if slot is None or getattr(_share, "shown", None) == link:  # a page publishes twice in a paused run
        return
    _share.shown = link
    memo = st.session_state.setdefault("_np_share", {})
    if memo.get("link") != link:  # a QR code only when the link changes
        memo.update(link=link, png=qr_png(link) if link.startswith("http") else None)
    with slot.container():
        st.code(link or "(this page's address)", language=None, wrap_lines=True)
        st.caption("Copy it with the icon at its right; it opens this demo with these settings anywhere.")
        if memo["png"]:
            st.image(memo["png"], width=260, caption="Scan to open the same demo.",
                     alt="A QR code of this demo's link.")


def end_run() -> None:
    """Forget this run's Share placeholder (threads are reused across runs)."""
    _share.slot = _share.shown = None
    _share.playing = False
