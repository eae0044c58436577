import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import losses
from engine.activations import softmax

# the course's dog/cat example: three rows, outputs (dog, cat)
NN1_PRED = np.array([[0.9, 0.1], [0.1, 0.9], [0.4, 0.6]])
TARGET = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])


def test_course_mse_example():
    # squared errors 0.01 + 0.01 + 0.01 + 0.01 + 0.36 + 0.36 = 0.76 over 3 rows
    assert losses.loss("mse", NN1_PRED, TARGET) == pytest.approx(0.76 / 3)
    assert round(losses.loss("mse", NN1_PRED, TARGET), 4) == 0.2533


def test_course_cross_entropy_example():
    # -log 0.9 = 0.1054 twice, -log 0.4 = 0.9163; total 1.1271 over 3 rows
    assert round(losses.loss("cce", NN1_PRED[:1], TARGET[:1]), 4) == 0.1054
    assert round(losses.loss("cce", NN1_PRED[2:], TARGET[2:]), 4) == 0.9163
    assert round(losses.loss("cce", NN1_PRED, TARGET), 4) == 0.3757


def _finite_difference(name, pred, target, h=1e-6):
    g = np.zeros_like(pred)
    for idx in np.ndindex(pred.shape):
        up, down = pred.copy(), pred.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (losses.loss(name, up, target) - losses.loss(name, down, target)) / (2 * h)
    return g


CASES = {
    "mse": (np.array([[0.3, -1.2], [2.0, 0.5]]), np.array([[0.0, -1.0], [1.5, 1.0]])),
    "mae": (np.array([[0.3, -1.2], [2.0, 0.5]]), np.array([[0.0, -1.0], [1.5, 1.0]])),
    "mse_half": (np.array([[0.75136507, 0.77292847]]), np.array([[0.01, 0.99]])),  # the classic walk-through
    "bce": (np.array([[0.2], [0.7], [0.95]]), np.array([[0.0], [1.0], [0.0]])),
    "bce_logits": (np.array([[-2.0], [0.4], [3.0]]), np.array([[0.0], [1.0], [0.0]])),
    "cce": (NN1_PRED.copy(), TARGET),
    "cce_logits": (np.array([[2.0, -1.0, 0.3], [0.0, 0.1, -0.2]]), np.array([[0, 1, 0], [1, 0, 0.0]])),
    "hinge": (np.array([[0.3], [-2.0], [1.7]]), np.array([[1.0], [-1.0], [-1.0]])),
}


@pytest.mark.parametrize("name", losses.LOSSES)
def test_gradient_matches_finite_differences(name):
    pred, target = CASES[name]
    _, grad = losses.loss_and_gradient(name, pred, target)
    np.testing.assert_allclose(grad, _finite_difference(name, pred, target), atol=1e-6)


def test_logit_losses_equal_probability_losses():
    z = np.array([[2.0, -1.0, 0.3], [0.0, 0.1, -0.2]])
    t = np.array([[0, 1, 0], [1, 0, 0.0]])
    assert losses.loss("cce_logits", z, t) == pytest.approx(losses.loss("cce", softmax(z), t))
    zb = np.array([-2.0, 0.4, 3.0])
    tb = np.array([0.0, 1.0, 0.0])
    assert losses.loss("bce_logits", zb, tb) == pytest.approx(losses.loss("bce", 1 / (1 + np.exp(-zb)), tb))


def test_numpy_reference_values():
    p, t = CASES["mse"]
    assert losses.loss("mse", p, t) == pytest.approx(np.mean(np.sum((p - t) ** 2, axis=1)))
    assert losses.loss("mae", p, t) == pytest.approx(np.mean(np.sum(np.abs(p - t), axis=1)))
    p, t = CASES["hinge"]
    assert losses.loss("hinge", p, t) == pytest.approx(np.mean(np.maximum(0, 1 - t * p)))


def test_mse_half_is_the_walk_throughs_total_error():
    # outputs 0.75136507 and 0.772928465 against targets 0.01 and 0.99: E_total = 0.298371109
    value, grad = losses.loss_and_gradient("mse_half", [[0.75136507, 0.772928465]], [[0.01, 0.99]])
    assert value == pytest.approx(0.298371109, abs=1e-9)
    np.testing.assert_allclose(grad, [[0.74136507, -0.217071535]], atol=1e-9)   # dE/dout = out - target
    assert losses.loss("mse", [[0.75136507, 0.772928465]], [[0.01, 0.99]]) == pytest.approx(2 * value)


def test_hinge_accepts_zero_one_targets():
    p = np.array([0.3, -2.0, 1.7])
    assert losses.loss("hinge", p, [1, 0, 0]) == pytest.approx(losses.loss("hinge", p, [1, -1, -1]))


def test_logit_losses_stay_finite_for_extreme_logits():
    value, grad = losses.loss_and_gradient("cce_logits", [[1e4, -1e4]], [[0.0, 1.0]])
    assert value == pytest.approx(2e4) and np.all(np.isfinite(grad))
    value, grad = losses.loss_and_gradient("bce_logits", [-800.0], [1.0])
    assert value == pytest.approx(800.0) and np.all(np.isfinite(grad))


def test_probability_losses_clip_instead_of_infinity():
    assert np.isfinite(losses.loss("bce", [0.0], [1.0]))
    assert np.isfinite(losses.loss("cce", [[0.0, 1.0]], [[1.0, 0.0]]))


@pytest.mark.parametrize("args", [("nope", [1.0], [1.0]), ("mse", [1.0, 2.0], [1.0]), ("mse", [], [])])
def test_bad_arguments_raise_value_error(args):
    with pytest.raises(ValueError):
        losses.loss(*args)


@settings(max_examples=50, deadline=None)
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(-50, 50)),
       data=st.data())
def test_cross_entropy_from_logits_gradient_rows_sum_to_zero(z, data):
    labels = data.draw(hnp.arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    t = np.eye(z.shape[1])[labels]
    value, grad = losses.loss_and_gradient("cce_logits", z, t)
    assert value >= 0
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(grad * z.shape[0], softmax(z) - t, atol=1e-12)
