"""One screen and presentation mode (app.state.screen): intros and settings in the sidebar,
``?present=1`` or the button by the title switch presentation on, pictures grow, the link keeps it."""
from __future__ import annotations

from app.state import screen
from tests.app.conftest import metric_value, pictures

SOM_INTRO = "best-matching unit"


def _sidebar_text(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_the_intro_and_settings_sit_in_the_sidebar(open_page):
    at = open_page("som_lab")
    assert SOM_INTRO in _sidebar_text(at)
    assert SOM_INTRO not in " ".join(m.value for m in at.main.markdown)
    assert at.sidebar.selectbox(key="som_data") is not None  # a setting, in the sidebar
    assert not at.session_state[screen.PRESENT_KEY]
    assert "present" not in at.query_params


def test_a_present_link_opens_in_presentation_mode_with_larger_pictures(open_page):
    normal = pictures(open_page("som_lab"))["som_map"]["height"]
    at = open_page("som_lab", present="1")
    assert at.session_state[screen.PRESENT_KEY]
    assert SOM_INTRO not in _sidebar_text(at)
    assert pictures(at)["som_map"]["height"] == round(normal * screen.PRESENT_SCALE)
    assert at.query_params.get("present") == "1"
    assert not at.exception


def test_the_button_by_the_title_switches_presentation_on_and_off(open_page):
    at = open_page("playground")
    button = at.button(key="np_present_button")
    assert button.label == "Present"
    button.click().run()
    assert at.session_state[screen.PRESENT_KEY]
    assert at.button(key="np_present_button").label == "Exit presentation"
    assert "present" in at.query_params
    at.button(key="np_present_button").click().run()
    assert not at.session_state[screen.PRESENT_KEY]
    assert "present" not in at.query_params
    assert not at.exception


def test_share_holds_the_published_link_and_a_qr_code_of_it(open_page):
    import io

    import numpy as np
    from PIL import Image

    at = open_page("playground", pg_data="xor")
    assert "pg_data=xor" in at.code[0].value
    png = screen.qr_png("http://example.test/playground?pg_data=xor")
    image = Image.open(io.BytesIO(png))
    assert image.size[0] == image.size[1] >= 200  # square, scannable from a distance
    dark = float((np.asarray(image.convert("L")) < 128).mean())
    assert 0.25 < dark < 0.75, "a QR code is about half dark modules"


def test_a_playing_page_says_so_in_its_address_and_a_fresh_session_plays_on(open_page):
    # a process that dies takes its sessions with it; the browser reconnects (to another process,
    # behind the proxy) with the address it shows, so the address must say the view was playing
    at = open_page("playground", pg_data="xor")
    assert "play" not in at.query_params
    at.button(key="pg_play").click().run()
    assert at.query_params.get("play") == "1" and at.query_params.get("pg_data") == "xor"
    assert "play=" not in at.code[0].value          # the audience's link: the setup, not playing
    at.button(key="pg_play").click().run()          # Pause
    assert "play" not in at.query_params
    fresh = open_page("playground", pg_data="xor", play="1")
    assert fresh.session_state["pg_playing"] is True
    assert int(metric_value(fresh, "Step")) > 0      # it trained without a click (the live metrics row)
    assert not fresh.exception
