"""CNN lab page: the image playground (every control, the cell arithmetic, uploads), the shape
calculator (the course's chain, VGG16), live training, URL."""
import io

import numpy as np
import pytest
from PIL import Image

from engine.conv import feature_map
from tests.app.conftest import pictures


def sums(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Sum of the products"))


def test_image_view_renders_and_explains_a_cell(open_page):
    at = open_page("cnn_lab")
    assert not at.error and not at.warning
    assert len(at.get("image")) >= 5  # input, feature map, ReLU, pooled, winners
    captions = " ".join(str(e.proto) for e in at.get("image"))
    assert "feature map 62 x 62" in captions and "max pooled 31 x 31" in captions
    at.number_input(key="cnn_row").set_value(20).run()
    at.number_input(key="cnn_col").set_value(24).run()
    text = sums(at)
    product_sum, shown = [float(t.split("**")[1]) for t in text.split("(the map says")[:1]] + \
        [float(text.split("the map says ")[1].split(")")[0])]
    assert product_sum == pytest.approx(shown, abs=1e-4)


@pytest.mark.parametrize("key, value", [("cnn_stride", 2), ("cnn_pad", 2), ("cnn_side", 32), ("cnn_rgb", True),
                                        ("cnn_pool", "average"), ("cnn_psize", 3), ("cnn_kernel", "emboss"),
                                        ("cnn_img", "checker")])
def test_every_image_control_changes_the_maps(open_page, key, value):
    at = open_page("cnn_lab")
    before = [str(e.proto) for e in at.get("image")]
    widget = {"cnn_rgb": at.toggle, "cnn_side": at.slider, "cnn_pool": at.selectbox, "cnn_kernel": at.selectbox,
              "cnn_img": at.selectbox}.get(key, at.number_input)
    widget(key=key).set_value(value).run()
    assert not at.exception, at.exception
    after = [str(e.proto) for e in at.get("image")]
    assert after != before


def test_stride_and_padding_follow_the_size_formula(open_page):
    at = open_page("cnn_lab", cnn_stride="2", cnn_pad="1", cnn_side="32")
    captions = " ".join(str(e.proto) for e in at.get("image"))
    assert "feature map 16 x 16" in captions  # (32 + 2 - 3) / 2 + 1 = 16


def test_an_edited_kernel_is_the_one_used(open_page):
    from app import images
    at = open_page("cnn_lab")
    # AppTest cannot type into a data editor: set the kernel the editor holds
    at.session_state["_cnn_kernel_values"] = np.ones((3, 3))
    at.run()
    at.number_input(key="cnn_row").set_value(10).run()
    at.number_input(key="cnn_col").set_value(12).run()
    image = images.to_array(images.sample("shapes"), 64, colour=False)
    want = image[10:13, 12:15].sum()  # a kernel of ones sums the 3 x 3 window
    assert float(sums(at).split("**")[1]) == pytest.approx(want, abs=1e-4)


def test_bad_uploads_get_readable_messages():
    from app import images
    with pytest.raises(ValueError, match="not an image"):
        images.read_upload(b"this is a text file, not a picture")
    with pytest.raises(ValueError, match="empty"):
        images.read_upload(b"")
    with pytest.raises(ValueError, match="limit"):
        images.read_upload(b"0" * (images.MAX_UPLOAD_BYTES + 1))
    buf = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 10, 10)).save(buf, format="PNG")
    corrupt = buf.getvalue()[:200]
    with pytest.raises(ValueError, match="not an image"):
        images.read_upload(corrupt)
    img = images.read_upload(buf.getvalue())
    arr = images.to_array(img, 64, colour=False)
    assert arr.shape == (32, 64) and 0 <= arr.min() and arr.max() <= 1
    assert images.to_array(img, 64, colour=True).shape == (32, 64, 3)
    assert images.to_array(img, 1000, colour=False).shape == (300, 600)  # never enlarged


def test_feature_map_of_a_colour_image_sums_the_channels():
    rgb = np.random.default_rng(0).random((10, 12, 3))
    k = np.arange(9.0).reshape(3, 3)
    want = sum(feature_map(rgb[..., ch], k) for ch in range(3))
    np.testing.assert_allclose(feature_map(rgb, k), want)


def test_shape_calculator_reproduces_the_course_and_vgg16(open_page):
    at = open_page("cnn_lab", cnn_mode="shapes")
    table = at.dataframe[-1].value
    assert list(table["output shape"]) == ["64 x 64 x 3", "62 x 62 x 32", "31 x 31 x 32", "29 x 29 x 32", "26912",
                                           "128", "1"]
    assert at.metric[0].value == "3,455,137"
    at.selectbox(key="cnn_stack").set_value("vgg16").run()
    assert at.metric[0].value == "27,565,386"
    at.selectbox(key="cnn_stack").set_value("ours").run()
    assert list(at.dataframe[-1].value["output shape"])[-3:] == ["2 x 2 x 16", "64", "10"]
    at.number_input(key="cnn_in_ours_0").set_value(3).run()  # a 3-row input cannot take two 2x2 poolings
    assert "does not work" in at.error[0].value and not at.exception


def test_training_live_with_every_option(open_page):
    at = open_page("cnn_lab", cnn_mode="train")
    m = at.session_state["cnn_model"]
    acc0 = m.history.test_accuracy[-1]
    at.select_slider(key="cnn_speed").set_value("50").run()
    for _ in range(4):
        at.button(key="cnn_play").click().run()  # one frame per run in tests
        at.button(key="cnn_play").click().run()
    m = at.session_state["cnn_model"]
    assert m.steps == 200 and m.history.test_accuracy[-1] > max(0.8, acc0 + 0.5)
    views = pictures(at)  # drawn in the browser: curves, digit, filters, maps, softmax, confusion
    assert {"cnn_loss", "cnn_accuracy", "cnn_filters", "cnn_relu1", "cnn_pool1", "cnn_relu2", "cnn_softmax",
            "cnn_confusion"} <= set(views)
    np.testing.assert_array_equal(np.frombuffer(views["cnn_confusion"]["counts"], dtype="<f4"),
                                  m.confusion().ravel())
    probs = np.frombuffer(views["cnn_softmax"]["values"], dtype="<f4")
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-5
    at.selectbox(key="cnn_opt").set_value("sgd").run()
    assert at.session_state["cnn_model"] is m and m.config.optimizer.name == "sgd"  # weights kept
    at.number_input(key="cnn_f1").set_value(4).run()
    assert at.session_state["cnn_model"].config.filters1 == 4 and at.session_state["cnn_model"].steps == 0
    at.number_input(key="cnn_digit").set_value(17).run()
    assert not at.exception


def test_bad_link_falls_back(open_page):
    at = open_page("cnn_lab", cnn_stride="9", cnn_kernel="nope", cnn_mode="zzz")
    text = at.warning[0].value
    assert "cnn_stride" in text and "cnn_kernel" in text and "cnn_mode" in text
    assert not at.exception


def test_a_custom_kernel_travels_in_the_link(open_page):
    at = open_page("cnn_lab", cnn_kernel="custom", cnn_k="1,1,1,1,1,1,1,1,1", cnn_row="10", cnn_col="12")
    np.testing.assert_array_equal(at.session_state["_cnn_kernel_values"], np.ones((3, 3)))
    assert not at.warning
    assert at.query_params["cnn_k"] == "1,1,1,1,1,1,1,1,1" and at.query_params["cnn_kernel"] == "custom"
    at = open_page("cnn_lab", cnn_kernel="custom", cnn_k="1,2,nan")
    assert "cnn_k" in at.warning[0].value and not at.exception


def test_feature_maps_keep_their_size_however_many_filters(open_page):
    """Each row of maps gets its own height: 32 filters once made four rows in one row's height,
    the 8 x 8 maps drawn smaller than the 4 x 4 ones below them."""
    cells = {}
    for filters in (8, 32):
        at = open_page("cnn_lab", cnn_mode="train", cnn_f1=str(filters), cnn_f2=str(filters))
        views = pictures(at)
        for view in ("cnn_relu1", "cnn_pool1", "cnn_relu2", "cnn_filters"):
            v = views[view]
            rows = -(-v["n"] // v["cols"])
            cells[filters, view] = (v["height"] - 36) / rows - 6   # tiles.js's cell height
    for view in ("cnn_relu1", "cnn_pool1", "cnn_relu2"):
        assert cells[32, view] == cells[8, view] >= 56, view
    assert cells[32, "cnn_relu1"] > cells[32, "cnn_relu2"]   # the larger maps drawn larger
    assert cells[32, "cnn_filters"] >= 40
