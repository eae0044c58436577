"""The canvas renderers themselves, in Chromium without the app: each is fed a frame as the stub
would unpack it and every piece of text it draws is recorded (fillText is wrapped), so what a
learner reads on a picture is asserted directly."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.render import library_source

pytestmark = pytest.mark.e2e

# every fillText recorded as [text, x, y]; fillRect as [x, y, w, h] (the canvas's own coordinates)
SPY = """
window.__texts = []; window.__rects = [];
const P = CanvasRenderingContext2D.prototype, ft = P.fillText, fr = P.fillRect;
P.fillText = function (t, x, y, ...r) { window.__texts.push([String(t), x, y]); return ft.call(this, t, x, y, ...r); };
P.fillRect = function (x, y, w, h) { window.__rects.push([x, y, w, h]); return fr.call(this, x, y, w, h); };
window.__draw = (kind, data, width = 600) => {
  window.__texts = []; window.__rects = [];
  const host = document.createElement("div"); host.style.width = width + "px"; document.body.appendChild(host);
  window.__netplay[kind]({ data: { kind, view: "t", ...data }, parentElement: host });
  return { texts: window.__texts, rects: window.__rects };
};
window.__f32 = (a) => new Uint8Array(new Float32Array(a).buffer);
"""


@pytest.fixture
def js(page):
    page.set_content("<!doctype html><html><body style='margin:0'></body></html>")
    page.add_script_tag(content=library_source() + "\nwindow.__np = { fmt, ticks, logTicks, logLabel, gifEncode, gifPalette };",
                        type="module")
    page.add_script_tag(content=SPY)
    page.wait_for_function("() => window.__netplay && window.__netplay.lines && window.__np")
    return page


def test_tick_labels_are_distinct_at_any_span(js):
    for lo, hi in [(-44.4, -44.2), (0, 1), (0.9, 1.1), (1000, 1600), (0, 5000), (1e-4, 9e-4), (-3, 3), (2e6, 5e6)]:
        labels = js.evaluate("([lo, hi]) => { const t = __np.ticks(lo, hi); return t.map((v) => __np.fmt(v, t.step)); }",
                             [lo, hi])
        assert len(labels) >= 2 and len(set(labels)) == len(labels), (lo, hi, labels)
    assert js.evaluate("() => { const t = __np.ticks(-44.4, -44.2); return t.map((v) => __np.fmt(v, t.step)); }") == [
        "-44.40", "-44.35", "-44.30", "-44.25", "-44.20"]


def test_log_axis_labels_are_distinct_at_any_span(js):
    # the VAE's loss curve (KL 1 to 60 under losses near 100) once read 1e2 1e1 1e1 1e0
    for lo, hi in [(0.0, 2.1), (0.1, 0.9), (-12, 3), (1.95, 2.05), (-0.3, 1.2)]:
        labels = js.evaluate("([lo, hi]) => { const t = __np.logTicks(lo, hi); return t.map((v) => __np.logLabel(v, t.step)); }",
                             [lo, hi])
        assert len(labels) >= 2 and len(set(labels)) == len(labels), (lo, hi, labels)
    assert js.evaluate("() => { const t = __np.logTicks(0, 2.1); return t.map((v) => __np.logLabel(v, t.step)); }") == [
        "1e0", "1e1", "1e2"]


def test_one_point_draws_no_invented_axis_but_says_when_the_curve_comes(js):
    # the RBM's free energy at step 0: one value per series, its old axis read -44.3 -44.3 -44.4 -44.4
    drawn = js.evaluate("""() => __draw("lines", {height: 220, x: __f32([0]), x_label: "epoch", title: "free energy",
        series: [{label: "data", colour: "green", y: __f32([-44.4])}, {label: "samples", colour: "red", y: __f32([-44.2])}]})""")
    texts = [t for t, *_ in drawn["texts"]]
    assert "The curve appears after the first steps." in texts
    assert {"free energy", "data", "samples"} <= set(texts)
    assert not [t for t in texts if any(c.isdigit() for c in t)]  # no tick label at all


def test_no_point_yet_says_so_in_the_box_instead_of_a_blank_picture(js):
    # the loss curves before the first update (no x at all) were a blank canvas, their "Press Play" unsaid
    drawn = js.evaluate("""() => __draw("lines", {height: 220, x: __f32([]), x_label: "updates", log_y: true,
        title: "loss", empty: "Press Play or Step to train.", series: [{label: "training", colour: "blue", y: __f32([])}]})""")
    texts = [t for t, *_ in drawn["texts"]]
    assert "Press Play or Step to train." in " ".join(texts) and {"loss", "training"} <= set(texts)
    drawn = js.evaluate("""() => __draw("grid", {height: 280, rows: 1, cols: 20, scale: "magnitude",
        cells: new Uint8Array(20), title: "|dL/dh| through training", empty: "Press Play or Step to train."})""")
    assert "Press Play or Step to train." in [t for t, *_ in drawn["texts"]]


def test_a_layer_name_stays_inside_the_network_picture(js):
    # the backprop walk-through's last column read "outputs (sigm", cut by the picture's right edge
    drawn = js.evaluate("""() => {
        const out = __draw("network", {height: 300, sizes: [2, 2, 2], res: 1, thumbs: new Uint8Array(6),
            labels: ["inputs", "hidden (sigmoid)", "outputs (sigmoid)"], inputs: ["i1", "i2"],
            w: __f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]), b: __f32([0.35, 0.6])}, 450);
        const c = document.createElement("canvas").getContext("2d"); c.font = "15px sans-serif";
        out.half = c.measureText("outputs (sigmoid)").width / 2;
        return out;
    }""")
    (x, _), = [(x, y) for t, x, y in drawn["texts"] if t == "outputs (sigmoid)"]
    assert x + drawn["half"] <= 450 and x - drawn["half"] >= 0


def test_two_points_draw_distinct_ticks(js):
    drawn = js.evaluate("""() => __draw("lines", {height: 220, x: __f32([0, 1]), x_label: "epoch",
        series: [{label: "data", colour: "green", y: __f32([-44.4, -44.2])}]})""")
    numbers = [t for t, *_ in drawn["texts"] if any(c.isdigit() for c in t)]
    assert len(numbers) == len(set(numbers)) >= 4, numbers


def test_som_swatches_sit_on_the_title_line_not_over_the_map(js):
    drawn = js.evaluate("""() => {
        const n = 10, centres = [], colours = [];
        for (let u = 0; u < n * n; u++) { centres.push(u % n, Math.floor(u / n)); colours.push(200, 200, 200); }
        return __draw("somgrid", {height: 400, w: n, h: n, centres: __f32(centres), colours: new Uint8Array(colours),
                                  title: "How much each unit moves", bmu: 5, sigma: 2,
                                  swatches: [[10, 20, 30], [40, 50, 60]]}, 420);
    }""")
    texts = {t: (x, y) for t, x, y in drawn["texts"]}
    assert {"sample", "BMU", "How much each unit moves"} <= set(texts)
    assert texts["sample"][1] == texts["BMU"][1] == texts["How much each unit moves"][1]  # one line
    swatches = [r for r in drawn["rects"] if r[2] == 30 and r[3] == 22]
    assert len(swatches) == 2 and all(y + h <= 40 for _, y, _, h in swatches)  # the map starts at y = 40


def test_a_code_outside_the_box_is_ringed_dashed_at_its_edge_not_in_the_legend(js):
    # the autoencoder's default code (0, 0) lay right of every test digit's code: its ring was drawn
    # over the legend, outside the plot
    rings = js.evaluate("""() => {
        const P = CanvasRenderingContext2D.prototype, arc = P.arc, dash = P.setLineDash;
        const rings = []; let dashed = false;
        P.setLineDash = function (d) { dashed = d.length > 0; return dash.call(this, d); };
        P.arc = function (x, y, r, ...rest) { if (r === 9) rings.push([x, y, dashed]); return arc.call(this, x, y, r, ...rest); };
        for (const mark of [[0, 0], [-1.0, 0]])
          __draw("scatter", {height: 330, xy: __f32([-1.6, -0.1, -0.2, 0.8]), labels: new Uint8Array([0, 1]),
                             legend: ["0", "1"], box: [-1.7, -0.17, -0.16, 0.82], mark, clickable: true});
        P.arc = arc; P.setLineDash = dash;
        return rings;
    }""")
    (x_out, y_out, dashed_out), (x_in, y_in, dashed_in) = rings
    assert dashed_out and not dashed_in
    assert x_out > x_in and y_out == y_in   # at the right edge, at its own height
    drawn = js.evaluate("""() => __draw("scatter", {height: 330, xy: __f32([-1.6, -0.1]), labels: new Uint8Array([0]),
                                                   legend: ["0", "1"], box: [-1.7, -0.17, -0.16, 0.82]})""")
    legend_x = min(x for t, x, _ in drawn["texts"] if t in ("0", "1"))
    assert x_out + 9 < legend_x   # the ring stays left of the legend's names


def _gif(js, frames: list[np.ndarray], delays: list[int]) -> Image.Image:
    """Encode RGB frames with the browser's GIF encoder; Pillow decodes the result."""
    h, w, _ = frames[0].shape
    rgba = [np.dstack([f, np.full((h, w), 255, np.uint8)]).ravel().tolist() for f in frames]
    data = js.evaluate("""([w, h, rgba, delays]) => {
        const frames = rgba.map((p, i) => ({ rgba: Uint8ClampedArray.from(p), delay: delays[i] }));
        return Array.from(__np.gifEncode(w, h, frames, __np.gifPalette(frames)));
    }""", [w, h, rgba, delays])
    return Image.open(io.BytesIO(bytes(data)))


def _frames(image: Image.Image) -> list[np.ndarray]:
    out = []
    for k in range(image.n_frames):
        image.seek(k)
        out.append(np.asarray(image.convert("RGB"), dtype=np.int16))
    return out


def test_gif_encoder_writes_a_looping_animation_pillow_reads_back(js):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(200, 3)).astype(np.uint8)   # fewer than 256: no colour merged
    frames = [colours[rng.integers(0, 200, size=(23, 37))] for _ in range(3)]
    image = _gif(js, frames, [5, 7, 100])
    assert image.format == "GIF" and image.size == (37, 23) and image.n_frames == 3
    assert image.info.get("loop") == 0
    for k, (got, want) in enumerate(zip(_frames(image), frames)):
        assert np.abs(got - want).max() <= 8, k          # 5 bits a channel: within 8 of the canvas
        image.seek(k)
        assert image.info["duration"] == [50, 70, 1000][k]


def test_gif_encoder_survives_a_full_code_table_and_many_colours(js):
    # noise on a large frame fills LZW's 4,096 codes many times over (the clear-code path), and a
    # smooth gradient has far more than 256 colours (the median cut must share them out)
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 256, size=(150, 3)).astype(np.uint8)
    noise = colours[rng.integers(0, 150, size=(120, 160))]
    ramp = np.dstack([*np.meshgrid(np.linspace(0, 255, 160), np.linspace(0, 255, 120)), np.full((120, 160), 128.0)])
    ramp = ramp.astype(np.uint8)
    (got_noise,) = _frames(_gif(js, [noise], [10]))
    assert np.abs(got_noise - noise).max() <= 8
    (got_ramp,) = _frames(_gif(js, [ramp], [10]))
    assert np.abs(got_ramp - ramp).mean() < 6 and np.abs(got_ramp - ramp).max() <= 40


def test_output_plane_says_in_words_what_its_colours_mean(js):
    grid = "new Uint8Array(16).fill(200)"
    binary = js.evaluate(f"""() => __draw("heatmap", {{height: 400, n: 4, mode: "signed", grid: {grid}, title: "Output",
                                                   ends: ["class 0", "class 1"], domain: 6}})""")
    texts = [t for t, *_ in binary["texts"]]
    assert {"Output", "class 0", "class 1"} <= set(texts)
    classes = js.evaluate(f"""() => __draw("heatmap", {{height: 400, n: 4, mode: "classes", k: 3, grid: {grid}.fill(1),
                                                    conf: {grid}, title: "Output", domain: 6}})""")
    texts = [t for t, *_ in classes["texts"]]
    assert {"class", "0", "1", "2"} <= set(texts)


def test_curves_differ_by_line_style_not_colour_alone(js):
    dashes = js.evaluate("""() => {
        const seen = [], P = CanvasRenderingContext2D.prototype, set = P.setLineDash;
        P.setLineDash = function (d) { seen.push(d.join(",")); return set.call(this, d); };
        __draw("lines", {height: 220, x: __f32([0, 1, 2]), series: [
            {label: "training loss", colour: "blue", y: __f32([3, 2, 1])},
            {label: "test loss", colour: "orange", y: __f32([3, 2.5, 2])},
            {label: "validation loss", colour: "green", y: __f32([3, 2.6, 2.2]), dash: true}]});
        P.setLineDash = set;
        return seen;
    }""")
    drawn = [d for d in dashes if d]           # non-empty patterns set for curves and legend
    assert "10,5" in drawn and "2,4" in drawn  # test loss dashed, validation dotted, training solid


def test_crowded_pictures_keep_their_words_apart(js):
    # eight hidden layers: "8 relu" goes on two lines instead of running into its neighbours
    drawn = js.evaluate("""() => {
        const sizes = [2, 8, 8, 8, 8, 8, 8, 8, 8, 1], res = 4, units = sizes.reduce((a, b) => a + b);
        let links = 0; for (let l = 0; l + 1 < sizes.length; l++) links += sizes[l] * sizes[l + 1];
        return __draw("network", {height: 400, sizes, res, thumbs: new Uint8Array(units * res * res).fill(128),
            w: __f32(Array(links).fill(0.5)), b: __f32(Array(units - 2).fill(0)), dead: [],
            labels: ["input", ...Array(8).fill("8 relu"), "output"], inputs: ["x1", "x2"]}, 470);
    }""")
    texts = [t for t, *_ in drawn["texts"]]
    assert texts.count("8") == 8 and texts.count("relu") == 8 and "8 relu" not in texts
    # eight classes: the key gets its own line under the title
    plane = js.evaluate("""() => __draw("heatmap", {height: 330, n: 4, mode: "classes", k: 8, grid: new Uint8Array(16),
                                                  conf: new Uint8Array(16), title: "Output", domain: 6}, 320)""")
    at = {t: y for t, _, y in plane["texts"]}
    assert at["Output"] < at["7"] - 8


def _mount(js, host_id: str, payload: dict) -> None:
    """What a picture's stub does with an element's data: ``__netplay.mount`` on its host."""
    from app.render import pack
    js.evaluate("""([id, bytes]) => {
        let host = document.getElementById(id);
        if (!host) { host = document.createElement("div"); host.id = id; host.style.width = "400px"; document.body.appendChild(host); }
        window.__netplay.mount({ data: new Uint8Array(bytes), parentElement: host });
    }""", [host_id, list(pack(payload))])


def _bars(view: str, frame: int, src: str, value: float) -> dict:
    return {"kind": "bars", "view": view, "frame": frame, "src": src, "height": 120, "alt": "",
            "labels": ["W1"], "values": [value], "title": f"frame {frame}"}


def _drawn_frame(js, host_id: str) -> str:
    return js.evaluate("id => document.querySelector('#' + id + ' canvas').dataset.frame", host_id)


def test_a_feed_redraws_each_picture_by_its_view_and_a_late_old_element_never_wins(js):
    _mount(js, "net", _bars("pg_net", 5, "A", 0.1))
    _mount(js, "out", _bars("pg_out", 6, "A", 0.2))
    assert _drawn_frame(js, "net") == "5" and _drawn_frame(js, "out") == "6"
    # one message for both pictures: each goes to the picture mounted under its view name
    _mount(js, "feed", {"kind": "feed", "frames": [_bars("pg_net", 7, "A", 0.3), _bars("pg_out", 8, "A", 0.4)]})
    assert _drawn_frame(js, "net") == "7" and _drawn_frame(js, "out") == "8"
    assert js.evaluate("() => document.querySelectorAll('#net canvas').length") == 1  # redrawn in place
    # the run's first element sent again (its place on the page moved): the newer feed data stays
    _mount(js, "net", _bars("pg_net", 5, "A", 0.1))
    assert _drawn_frame(js, "net") == "7"
    # another server process (a reconnect after failover) counts frames from its own start
    _mount(js, "net", _bars("pg_net", 2, "B", 0.5))
    assert _drawn_frame(js, "net") == "2"
    # a feed that comes before its picture mounts is drawn when the picture does
    _mount(js, "feed", {"kind": "feed", "frames": [_bars("pg_grads", 12, "B", 0.6)]})
    _mount(js, "grads", _bars("pg_grads", 10, "B", 0.6))
    assert _drawn_frame(js, "grads") == "12"


def test_the_live_metrics_row_updates_in_place_and_keeps_its_help(js):
    row = {"kind": "stats", "view": "pg_stats", "frame": 1, "src": "A", "alt": "metrics",
           "items": [{"label": "Step", "value": "3", "help": "Mini-batch updates."},
                     {"label": "Test loss", "value": "0.5", "help": ""}]}
    _mount(js, "stats", row)
    fed = {**row, "frame": 2, "items": [{"label": "Step", "value": "9"}, {"label": "Test loss", "value": "0.25"}]}
    _mount(js, "feed", {"kind": "feed", "frames": [fed]})
    cells = js.evaluate("""() => [...document.querySelectorAll('#stats .np-metric')].map(
        (c) => [c.querySelector('.np-metric-label').textContent, c.querySelector('.np-metric-value').textContent, c.title])""")
    assert cells == [["Step", "9", "Mini-batch updates."], ["Test loss", "0.25", ""]]
    assert js.evaluate("() => document.querySelectorAll('#stats .np-metrics').length") == 1


def test_a_live_caption_changes_its_words_in_place(js):
    _mount(js, "note", {"kind": "caption", "view": "som_step_note", "frame": 1, "src": "A", "text": "Step 10: sample #3"})
    _mount(js, "feed", {"kind": "feed", "frames": [{"kind": "caption", "view": "som_step_note", "frame": 2, "src": "A",
                                                    "text": "Step 60: sample #8"}]})
    assert js.evaluate("() => [...document.querySelectorAll('#note .np-caption')].map((e) => e.textContent)") == [
        "Step 60: sample #8"]


def test_an_earlier_calls_cleanup_leaves_a_newer_drawing_on_the_same_picture_alone(js):
    from app.render import pack
    # Streamlit calls a component again when its data changes; whichever order it runs the
    # earlier call's cleanup in, the newer drawing keeps its resize watcher and its host
    alive = js.evaluate("""(payloads) => {
        const host = document.createElement("div"); host.style.width = "400px"; document.body.appendChild(host);
        const first = window.__netplay.mount({ data: new Uint8Array(payloads[0]), parentElement: host });
        window.__netplay.mount({ data: new Uint8Array(payloads[1]), parentElement: host });
        first();
        return [host.__npCleanup !== null, window.__netplay.hosts["rc_view"] !== undefined,
                host.querySelector("canvas").dataset.frame];
    }""", [list(pack(_bars("rc_view", 1, "A", 0.1))), list(pack(_bars("rc_view", 2, "A", 0.2)))])
    assert alive == [True, True, "2"]
