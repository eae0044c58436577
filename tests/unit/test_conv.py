"""Convolution, pooling, shape arithmetic (the course's chains) and the small CNN."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import conv as conv_module
from engine import datasets
from engine.conv import (DIVERGED_BEYOND, CNNConfig, LayerSpec, SmallCNN, conv2d, conv2d_backward, global_average_pool, output_size,
                         pool2d, pool2d_backward, same_padding, shape_chain)
from engine.optimizers import OptimizerConfig

RNG = np.random.default_rng(0)


# ---- references written from the definitions ---------------------------------------------------
def ref_conv(x, w, b, stride, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, wd = xp.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.einsum("nckl,fckl->nf", window, w) + b
    return out


def ref_pool(x, size, stride, kind):
    n, c, h, w = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            out[:, :, i, j] = {"max": win.max(axis=(2, 3)), "average": win.mean(axis=(2, 3)),
                               "sum": win.sum(axis=(2, 3))}[kind]
    return out


# ---- shape arithmetic ---------------------------------------------------------------------------
def test_output_size_formula_and_errors():
    assert output_size(64, 3) == 62 and output_size(62, 2, 2) == 31 and output_size(31, 3) == 29
    assert output_size(28, 3, 1, 1) == 28 and output_size(7, 3, 2, 1) == 4 and output_size(5, 2, 2) == 2
    assert same_padding(3) == 1 and same_padding(5) == 2
    with pytest.raises(ValueError, match="does not fit"):
        output_size(2, 5)
    with pytest.raises(ValueError, match="stride"):
        output_size(8, 3, 0)


def test_the_courses_keras_chain():
    """Seed 000: 64x64x3 -> conv 32@3x3 -> 62x62x32 -> pool 2 -> 31x31x32 -> conv 32@3x3 -> 29x29x32
    -> flatten 26912 -> dense 128 -> dense 1."""
    rows = shape_chain((64, 64, 3), [LayerSpec("conv", 32, 3), LayerSpec("pool", kernel=2, stride=2),
                                     LayerSpec("conv", 32, 3), LayerSpec("flatten"), LayerSpec("dense", 128),
                                     LayerSpec("dense", 1)])
    assert [r.shape for r in rows] == [(64, 64, 3), (62, 62, 32), (31, 31, 32), (29, 29, 32), (26912,), (128,), (1,)]
    assert [r.params for r in rows] == [0, 896, 0, 9248, 0, 3_444_864, 129]


def test_vgg16_summary_from_the_notes():
    """Seed 002's VGG16 summary: 'same' 3x3 convolutions, 2x2 pooling, dense 512 and 10."""
    layers = []
    for filters, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [LayerSpec("conv", filters, 3, 1, 1)] * convs + [LayerSpec("pool", kernel=2, stride=2)]
    layers += [LayerSpec("flatten"), LayerSpec("dense", 512), LayerSpec("dense", 10)]
    rows = shape_chain((224, 224, 3), layers)
    params = [r.params for r in rows[1:]]
    assert params[:3] == [1792, 36928, 0] and params[3:5] == [73856, 147584]
    assert rows[-4].shape == (7, 7, 512) and rows[-3].shape == (25088,)
    assert params[-2:] == [12_845_568, 5130]
    assert sum(params) == 27_565_386
    assert sum(params[:-2]) == 14_714_688  # the frozen convolutional base


def test_shape_chain_refuses_impossible_stacks():
    with pytest.raises(ValueError, match="flatten before"):
        shape_chain((8, 8, 1), [LayerSpec("dense", 10)])
    with pytest.raises(ValueError, match="does not fit"):
        shape_chain((4, 4, 1), [LayerSpec("conv", 2, 5)])
    with pytest.raises(ValueError, match="feature maps"):
        shape_chain((4, 4, 1), [LayerSpec("flatten"), LayerSpec("conv", 2, 3)])


# ---- convolution ----------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [8, 40], ids=["cell-by-cell", "row-by-row"])  # both backward paths
@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 0), (2, 1), (3, 2)])
def test_conv_forward_and_backward_match_the_reference(stride, padding, width):
    x = RNG.normal(size=(3, 2, 9, width))
    w = RNG.normal(size=(4, 2, 3, 3))
    b = RNG.normal(size=4)
    out = conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(out, ref_conv(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)
    dout = RNG.normal(size=out.shape)
    dx, dw, db = conv2d_backward(x, w, dout, stride, padding)
    # the gradient of sum(out * dout) by finite differences
    loss = lambda x_, w_, b_: float((ref_conv(x_, w_, b_, stride, padding) * dout).sum())  # noqa: E731
    eps = 1e-6
    for _ in range(6):
        idx = tuple(RNG.integers(0, s) for s in x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        assert dx[idx] == pytest.approx((loss(xp, w, b) - loss(xm, w, b)) / (2 * eps), rel=1e-5, abs=1e-7)
        jdx = tuple(RNG.integers(0, s) for s in w.shape)
        wp, wm = w.copy(), w.copy()
        wp[jdx] += eps
        wm[jdx] -= eps
        assert dw[jdx] == pytest.approx((loss(x, wp, b) - loss(x, wm, b)) / (2 * eps), rel=1e-5, abs=1e-7)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)))


def test_edge_kernel_on_a_step_image_by_hand():
    image = np.zeros((5, 5))
    image[:, 3:] = 1.0  # dark left, bright right
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    out = conv2d(image, sobel_x)[0, 0]
    assert out.shape == (3, 3)
    np.testing.assert_array_equal(out, [[0, 4, 4]] * 3)  # fires where the brightness changes


# ---- pooling --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["max", "average", "sum"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1)])
def test_pooling_matches_the_reference(kind, size, stride):
    x = RNG.normal(size=(2, 3, 7, 6))
    out, arg = pool2d(x, size, stride, kind)
    np.testing.assert_allclose(out, ref_pool(x, size, stride, kind), rtol=1e-12)
    if kind == "max":
        flat = x.reshape(2, 3, -1)
        np.testing.assert_array_equal(np.take_along_axis(flat, arg.reshape(2, 3, -1), axis=2).reshape(out.shape), out)
    dout = RNG.normal(size=out.shape)
    dx = pool2d_backward(dout, x.shape, size, stride, kind, arg)
    loss = lambda x_: float((ref_pool(x_, size, stride, kind) * dout).sum())  # noqa: E731
    for _ in range(5):
        idx = tuple(RNG.integers(0, s) for s in x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += 1e-6
        xm[idx] -= 1e-6
        assert dx[idx] == pytest.approx((loss(xp) - loss(xm)) / 2e-6, rel=1e-5, abs=1e-7)


def test_max_pooling_by_hand_keeps_the_winners():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 9, 8], [2, 2, 7, 6]], dtype=float)
    out, arg = pool2d(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[4, 5], [2, 9]])
    np.testing.assert_array_equal(arg[0, 0], [[4, 7], [12, 10]])  # row * 4 + col of each winner
    np.testing.assert_allclose(global_average_pool(x)[0], [x.mean()])
    with pytest.raises(ValueError, match="kind must be one of max"):
        pool2d(x, 2, kind="median")


@settings(max_examples=30, deadline=None)
@given(h=st.integers(3, 12), w=st.integers(3, 12), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2))
def test_conv_output_shapes_follow_the_formula(h, w, k, s, p):
    x = np.ones((1, 1, h, w))
    out = conv2d(x, np.ones((2, 1, k, k)), None, s, p)
    assert out.shape == (1, 2, output_size(h, k, s, p), output_size(w, k, s, p))


# ---- the small CNN --------------------------------------------------------------------------------
def test_small_cnn_gradient_matches_finite_differences():
    digits = datasets.digits()
    cnn = SmallCNN(CNNConfig(filters1=3, filters2=4, seed=1), digits.x[:20], digits.y[:20])
    x, y = cnn.x_train[:6], cnn.y_train[:6]
    rng = np.random.default_rng(2)
    # zero biases on a zero background put every background pixel exactly on ReLU's kink, where a
    # finite difference is one-sided: move the biases off it first
    for name in ("b1", "b2"):
        cnn.param(name)[...] = rng.uniform(0.05, 0.2, cnn.shapes[name])
    _, grad = cnn.loss_and_gradient(x, y)
    for i in rng.choice(cnn.theta.size, 25, replace=False):
        old = cnn.theta[i]
        cnn.theta[i] = old + 1e-6
        up, _ = cnn.loss_and_gradient(x, y)
        cnn.theta[i] = old - 1e-6
        down, _ = cnn.loss_and_gradient(x, y)
        cnn.theta[i] = old
        assert grad[i] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-8)


def test_small_cnn_learns_the_digits():
    digits = datasets.digits()
    order = np.random.default_rng(0).permutation(len(digits.x))
    train, test = order[:1400], order[1400:]
    cnn = SmallCNN(CNNConfig(seed=0), digits.x[train], digits.y[train], digits.x[test], digits.y[test])
    assert cnn.history.test_accuracy[0] < 0.3
    cnn.step(3 * 1400 // 32)
    assert cnn.history.test_accuracy[-1] > 0.9
    conf = cnn.confusion()
    assert conf.sum() == len(test) and np.trace(conf) / conf.sum() == pytest.approx(cnn.history.test_accuracy[-1])
    maps = cnn.forward(cnn.x_test[:1])
    assert maps["conv1"].shape == (1, 8, 8, 8) and maps["pool1"].shape == (1, 8, 4, 4)
    assert maps["pool2"].shape == (1, 16, 2, 2) and maps["probs"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_trains_the_cnn(name):
    digits = datasets.digits()
    lr = {"sgd": 0.1, "momentum": 0.05, "rmsprop": 0.003, "adam": 0.01}[name]
    cnn = SmallCNN(CNNConfig(optimizer=OptimizerConfig(name, lr=lr), seed=0), digits.x[:600], digits.y[:600])
    first = cnn.history.train_loss[0]
    cnn.step(60)
    assert cnn.history.train_loss[-1] < 0.7 * first


def test_a_huge_learning_rate_is_reported_as_divergence():
    digits = datasets.digits()
    cnn = SmallCNN(CNNConfig(optimizer=OptimizerConfig("sgd", lr=1e4)), digits.x[:300], digits.y[:300])
    status = "running"
    for _ in range(40):
        status = cnn.step(5)
        if status != "running":
            break
    assert status == "diverged" and cnn.diverged
    steps = cnn.steps
    assert cnn.step(5) == "diverged" and cnn.steps == steps  # it stays stopped


def _steps_one_batch_at_a_time(cnn: SmallCNN, n: int) -> str:
    """``SmallCNN.step`` as it was before the fused kernel: the layer functions and the optimizer,
    one batch at a time (the reference the kernel is held to)."""
    bs = cnn.config.batch_size
    for _ in range(n):
        per_epoch = max(1, len(cnn.x_train) // bs)
        if cnn.steps % per_epoch == 0:
            cnn._order = cnn.rng.permutation(len(cnn.x_train))
        start = (cnn.steps % per_epoch) * bs
        idx = cnn._order[start:start + bs]
        try:
            loss, grad = cnn.loss_and_gradient(cnn.x_train[idx], cnn.y_train[idx])
        except ValueError:   # the layer functions refuse a gradient that is no longer a number
            loss = np.nan
        if not np.isfinite(loss) or not np.all(np.isfinite(grad)):
            cnn.diverged = True
            return "diverged"
        cnn.optimizer.update(cnn.theta, grad)
        cnn.steps += 1
        if not np.all(np.isfinite(cnn.theta)) or np.abs(cnn.theta).max() > DIVERGED_BEYOND:
            cnn.diverged = True
            return "diverged"
    return "running"


def _same_run(a: SmallCNN, b: SmallCNN, rtol: float = 1e-11) -> None:
    assert (a.steps, a.diverged, a.optimizer.t) == (b.steps, b.diverged, b.optimizer.t)
    np.testing.assert_allclose(a.theta, b.theta, rtol=rtol, atol=rtol * np.abs(b.theta).max())
    for s in ("s1", "s2"):
        np.testing.assert_allclose(getattr(a.optimizer, s), getattr(b.optimizer, s), rtol=1e-9, atol=1e-300)
    assert a.rng.bit_generator.state == b.rng.bit_generator.state   # the same shuffles drawn
    assert np.array_equal(a._order, b._order)


@pytest.mark.parametrize("name, side, f1, f2, classes, batch, rows", [
    ("adam", 8, 8, 16, 10, 32, 300),      # the lab's network
    ("nesterov", 8, 3, 5, 10, 16, 40),    # 2.5 batches an epoch: a reshuffle every second call
    ("rmsprop", 12, 2, 3, 4, 7, 30),      # another size, a dense layer of 3 x 3 x 3
    ("sgd", 4, 1, 2, 3, 20, 9),           # fewer images than a batch: every batch is all of them
])
def test_the_fused_training_kernel_takes_the_steps_the_layer_functions_would(name, side, f1, f2, classes, batch, rows,
                                                                            monkeypatch):
    monkeypatch.setattr(conv_module, "STEPS_PER_KERNEL_CALL", 2)   # a call of 3 or 4 steps: two kernel calls
    rng = np.random.default_rng(3)
    # half the pixels a zero background and positive biases, as a trained network has: windows of
    # equal positive values (ties), and maps whose padding differs from their background
    x = np.where(rng.random((rows, side * side)) < 0.5, 0.0, np.round(rng.random((rows, side * side)) * 2 - 0.5, 1))
    y = rng.integers(0, classes, rows)
    cfg = CNNConfig(side=side, classes=classes, filters1=f1, filters2=f2, batch_size=batch, seed=4,
                    optimizer=OptimizerConfig(name, lr=0.02))
    fused, reference = SmallCNN(cfg, x, y), SmallCNN(cfg, x, y)
    for cnn in (fused, reference):
        for bias in ("b1", "b2"):
            cnn.param(bias)[...] = np.linspace(0.05, 0.2, cnn.shapes[bias][0])
    for n in (1, 4, 3):
        assert fused.step(n, record=False) == _steps_one_batch_at_a_time(reference, n) == "running"
        _same_run(fused, reference)
    assert np.abs(fused.theta - SmallCNN(cfg, x, y).theta).max() > 1e-3   # it trained
    # the curves' pass (one kernel call, no maps kept) gives the layer functions' probabilities
    np.testing.assert_allclose(fused.predict(x), fused.forward(x)["probs"], rtol=1e-12, atol=1e-15)
    assert fused.evaluate(x, y) == pytest.approx(reference.evaluate(x, y), rel=1e-10)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")   # the reference's NumPy
def test_the_fused_kernel_stops_where_a_step_by_step_run_would(monkeypatch):
    monkeypatch.setattr(conv_module, "STEPS_PER_KERNEL_CALL", 3)   # stopping in a call's later kernel call
    digits = datasets.digits()
    # a learning rate that throws the weights beyond the limit: the update is kept, the curves get a point
    cfg = CNNConfig(optimizer=OptimizerConfig("sgd", lr=1e4), batch_size=8)
    fused, reference = SmallCNN(cfg, digits.x[:100], digits.y[:100]), SmallCNN(cfg, digits.x[:100], digits.y[:100])
    assert fused.step(40, record=False) == _steps_one_batch_at_a_time(reference, 40) == "diverged"
    assert 0 < fused.steps < 40 and len(fused.history.test_loss) == 2
    _same_run(fused, reference)
    # a loss that is no longer a number (logits of inf - inf): no update, nothing drawn after it
    cfg = CNNConfig(optimizer=OptimizerConfig("adam"), batch_size=8)
    fused, reference = SmallCNN(cfg, digits.x[:100], digits.y[:100]), SmallCNN(cfg, digits.x[:100], digits.y[:100])
    for cnn in (fused, reference):
        cnn.step(12, record=False) if cnn is fused else _steps_one_batch_at_a_time(cnn, 12)  # step 12 reshuffles
        cnn.param("w3")[:, 0] = 1e308
        cnn.param("w3")[:, 1] = -1e308
    before = fused.theta.copy()
    assert fused.step(5, record=False) == _steps_one_batch_at_a_time(reference, 5) == "diverged"
    assert fused.steps == 12 and np.array_equal(fused.theta, before)
    _same_run(fused, reference)
    assert fused.step(5) == "diverged" and fused.steps == 12   # it stays stopped


def test_cnn_config_and_data_are_checked():
    with pytest.raises(ValueError, match="divisible by 4"):
        CNNConfig(side=6)
    with pytest.raises(ValueError, match="filters1"):
        CNNConfig(filters1=0)
    with pytest.raises(ValueError, match="y_train must be class numbers 0 to 9"):
        SmallCNN(CNNConfig(), np.zeros((2, 64)), np.array([0, 12]))


def test_layer_specs_are_checked_and_pooling_strides_by_its_window_as_keras_does():
    rows = shape_chain((28, 28, 1), [LayerSpec("conv", 8, 3), LayerSpec("pool", kernel=2), LayerSpec("flatten")])
    assert rows[2].shape == (13, 13, 8)  # MaxPooling2D(2): stride 2 unless told otherwise
    assert shape_chain((28, 28, 1), [LayerSpec("pool", kernel=2, stride=1)])[1].shape == (27, 27, 1)
    for bad in (0, -4, float("nan"), 2.5, None):
        with pytest.raises(ValueError, match="filters must be a whole number"):
            LayerSpec("conv", bad, 3)  # a cleared cell in the CNN lab's layer table
    with pytest.raises(ValueError, match="units must be a whole number"):
        LayerSpec("dense", 0)
    with pytest.raises(ValueError, match="kind must be one of"):
        LayerSpec("lstm", 4)
    with pytest.raises(ValueError, match=r"input_shape\[0\] must be a whole number"):
        shape_chain((0, 28, 1), [])


def test_the_confusion_matrix_as_of_the_last_record_and_a_record_on_demand():
    from engine import datasets
    from engine.conv import CNNConfig, SmallCNN

    d = datasets.digits()
    m = SmallCNN(CNNConfig(seed=0), d.x[:300], d.y[:300], d.x[300:400], d.y[300:400])
    assert m.recorded_at == 0
    m.step(5, record=False)
    stale = m.confusion(recorded=True)  # the predictions of the record at step 0
    fresh = m.confusion()  # recomputed for step 5
    assert stale.sum() == fresh.sum() == 100
    assert m.recorded_at == 0 and len(m.history.test_loss) == 1
    m.record()
    assert m.recorded_at == 5 and len(m.history.test_loss) == 2
    assert np.array_equal(m.confusion(recorded=True), fresh)
