"""Every page in headless Chromium: it renders, a control works, no exception box appears."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (assert_no_exception, assert_nothing_greyed_while_playing,
                               metric_value, pause_and_check_it_holds, shot, wait_for_app,
                               wait_for_metric)

pytestmark = pytest.mark.e2e


def test_deep_link_is_the_first_visit_of_a_fresh_server(page, app_url):
    # must stay the first test of the session: a shared link opened right after a server start
    page.goto(f"{app_url}/neuron?section=Softmax&sm_temp=2")
    wait_for_app(page)
    expect(page.get_by_text("softmax(z / T), T = 2")).to_be_visible(timeout=60_000)  # kernels load first
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert_no_exception(page)


def test_home_lists_the_labs_and_navigates(page, app_url, screenshot_dir):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="netplay")).to_be_visible()
    shot(page, screenshot_dir, "home")
    page.get_by_role("link", name="Neuron & activations").first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Neuron & activations")).to_be_visible()
    assert_no_exception(page)


def test_a_path_one_level_too_deep_says_page_not_found(page, app_url):
    # Streamlit answers it with its index.html, whose relative scripts cannot load there: blank
    response = page.goto(f"{app_url}/playground/x")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("/playground/x")).to_be_visible()
    page.get_by_role("link", name="Self-organizing map").click()
    wait_for_app(page)
    assert page.url.rstrip("/").endswith("/som")
    expect(page.get_by_role("heading", name="Self-organizing map")).to_be_visible()
    assert_no_exception(page)


def test_mcculloch_pitts_threshold_switches_and_to_or(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=McCulloch-Pitts+unit")
    wait_for_app(page)
    expect(page.get_by_text("the unit computes AND")).to_be_visible()
    page.get_by_role("button", name="OR (θ = 1)").click()
    wait_for_app(page)
    expect(page.get_by_text("the unit computes OR")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape("mp_theta=1")), timeout=30_000)
    assert_no_exception(page)
    shot(page, screenshot_dir, "neuron_mcculloch_pitts")


def test_perceptron_trains_live_in_the_browser(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=Perceptron&pc_gate=XOR&pc_speed=fast")
    wait_for_app(page)
    assert wait_for_metric(page, "Epoch") == "0"
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    deadline = time.time() + 30
    while int(metric_value(page, "Epoch") or 0) < 2 and time.time() < deadline:
        time.sleep(0.2)
    first = int(metric_value(page, "Epoch"))
    start = time.perf_counter()
    time.sleep(3.0)
    later = int(metric_value(page, "Epoch"))
    rate = (later - first) / (time.perf_counter() - start)
    print(f"\nperceptron live view: {rate:.1f} frames/s in Chromium")
    assert later > first, "the live view did not advance while playing"
    assert_nothing_greyed_while_playing(page)
    assert_no_exception(page)
    shot(page, screenshot_dir, "neuron_perceptron_xor")
    pause_and_check_it_holds(page, lambda p: metric_value(p, "Epoch"))


def test_perceptron_converges_on_and(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=Perceptron&pc_gate=AND&pc_speed=fast")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    expect(page.get_by_text("Converged after")).to_be_visible(timeout=30_000)
    assert metric_value(page, "Mistakes last epoch") == "0" and metric_value(page, "Wrong now") == "0"
    assert_no_exception(page)
    shot(page, screenshot_dir, "neuron_perceptron_and")


def test_activation_gallery_and_dying_relu(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=Activations&act_mean=-6")
    wait_for_app(page)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=30_000)
    assert wait_for_metric(page, "Neurons passing no gradient") == "100%"
    shot(page, screenshot_dir, "neuron_activations")
    assert_no_exception(page)


def test_softmax_bad_input_shows_a_message(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=Softmax")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Logits (comma-separated numbers)")
    box.fill("3, 1, oops")
    box.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Could not read the logits")).to_be_visible()
    assert_no_exception(page)
    box.fill("3, 1, 0.2")
    box.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Could not read the logits")).to_have_count(0)
    shot(page, screenshot_dir, "neuron_softmax")


def test_malformed_link_opens_with_a_notice(page, app_url):
    page.goto(f"{app_url}/neuron?section=Nope&mp_theta=%3Cscript%3E")
    wait_for_app(page)
    expect(page.get_by_text("could not be used and fell back to defaults")).to_be_visible()
    assert_no_exception(page)


def test_dark_theme_follows_the_system_and_the_menu_switches_it(browser, app_url, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{app_url}/som?present=1")
        wait_for_app(page)
        background = page.locator('[data-testid="stApp"]').evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(15, 20, 25)", background            # config.toml's [theme.dark]
        # presentation's strongest ink is white on the dark theme (black there would vanish)
        label = page.locator('[data-testid="stMetricLabel"] p').first
        try:  # the presentation style lands with the run's last elements: wait for it, not just for the run
            page.wait_for_function("() => { const e = document.querySelector('[data-testid=\"stMetricLabel\"] p');"
                                   " return !!e && getComputedStyle(e).color === 'rgb(255, 255, 255)'; }",
                                   timeout=20_000)
        except Exception:  # noqa: BLE001 - say which colour it had
            pass
        assert label.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
        # pictures keep their white paper and fit the 720 rows of a projector
        picture = page.locator("canvas[data-view=som_map]")
        expect(picture).to_be_visible(timeout=30_000)
        box = picture.bounding_box()
        assert box["y"] + box["height"] <= 720
        assert picture.evaluate("c => Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data)") == [255, 255, 255, 255]
        shot(page, screenshot_dir, "som_dark_presenting")
        page.get_by_role("button", name="Exit presentation").click()
        wait_for_app(page)
        page.locator('[data-testid="stMainMenu"]').click()           # the menu, above the title row
        page.get_by_test_id("stMainMenuItem-theme-Light").click()
        wait_for_app(page)
        background = page.locator('[data-testid="stApp"]').evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(255, 255, 255)", background
        page.get_by_role("button", name="Present").click()             # the see-through top bar lets it through
        wait_for_app(page)
        expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
        assert_no_exception(page)
    finally:
        context.close()


@pytest.mark.parametrize("lab", ["neuron", "playground", "optimizers", "cnn", "som", "rbm"])
def test_every_picture_has_a_text_alternative(page, app_url, lab):
    page.goto(f"{app_url}/{lab}")
    wait_for_app(page)
    pictures = page.locator("canvas[data-view]")
    if lab in ("playground", "som", "rbm"):  # drawn in the browser when paused too (the first visit may wait for kernels)
        expect(pictures.first).to_be_attached(timeout=60_000)
    page.wait_for_timeout(1000)
    labels = pictures.evaluate_all("cs => cs.map(c => [c.dataset.view, c.getAttribute('role'), c.getAttribute('aria-label')])")
    for view, role, label in labels:
        assert role == "img" and label and len(label) > 15, (view, label)
    for image in page.locator("[data-testid=stImage] img").all():  # Pillow pictures: alt text or a caption
        assert image.get_attribute("alt"), lab


def test_backpropagation_by_hand_in_the_browser(page, app_url, screenshot_dir):
    page.goto(f"{app_url}/neuron?section=Backpropagation")
    wait_for_app(page)
    expect(page.get_by_text("0.298371109")).to_be_visible(timeout=60_000)   # the walk-through's E_total
    expect(page.get_by_text("Updates applied: 0")).to_be_visible()
    page.get_by_role("button", name="Step: apply the update").click()
    wait_for_app(page)
    expect(page.get_by_text("Updates applied: 1")).to_be_visible()
    expect(page.get_by_text("0.298371109")).to_have_count(0)
    shot(page, screenshot_dir, "neuron_backprop")
    # the network picture: click the link h1 → o1 (w5) and type a new weight
    picture = page.locator("canvas[data-view=bp_net]")
    expect(picture).to_be_visible()
    x, y = picture.evaluate("""(c) => {
        const r = c.getBoundingClientRect(), net = c.closest('.np-holder').parentNode.__npNet;
        const l = net.links.find((l) => l.layer === 1 && l.from === 0 && l.to === 0);
        return [r.left + (l.x1 + l.x2) / 2, r.top + (l.y1 + l.y2) / 2];
    }""")
    page.mouse.click(x, y)
    field = page.get_by_role("textbox", name="new weight h1 → o1")
    expect(field).to_be_focused()
    field.fill("0.9")
    field.press("Enter")
    expect(page.get_by_text("Set the weight h1 → o1 to 0.9.")).to_be_visible(timeout=20_000)
    wait_for_app(page)
    weights = page.get_by_role("textbox", name="Weights w1 … w8")
    assert weights.input_value().split(", ")[4] == "0.9"               # w5, in the numbers the link carries
    expect(page.get_by_text("Updates applied: 0")).to_be_visible()     # the walk starts again from them
    assert_no_exception(page)
