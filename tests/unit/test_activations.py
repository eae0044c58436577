import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import activations as act
from tests.unit import reference as ref

X = np.linspace(-8, 8, 161)
ALPHAS = {"leaky_relu": 0.05, "elu": 1.3}


@pytest.mark.parametrize("name", act.ELEMENTWISE)
def test_kernel_matches_numpy_reference(name):
    y, dy = act.activate_and_derivative(name, X, ALPHAS.get(name))
    ry, rdy = ref.activation(name, X, ALPHAS.get(name, 0.0))
    np.testing.assert_allclose(y, ry, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy, rdy, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in act.ELEMENTWISE if n != "step"])
def test_derivative_matches_finite_differences(name):
    x = X[np.abs(X) > 1e-3]  # away from the kinks of relu-like functions at 0
    h = 1e-6
    numeric = (act.activate(name, x + h, ALPHAS.get(name)) - act.activate(name, x - h, ALPHAS.get(name))) / (2 * h)
    np.testing.assert_allclose(act.derivative(name, x, ALPHAS.get(name)), numeric, atol=1e-6)


def test_course_threshold_function_fires_at_zero():
    # the notes: phi(x) = 1 if x >= 0, 0 if x < 0
    np.testing.assert_array_equal(act.activate("step", [-0.5, 0.0, 0.5]), [0, 1, 1])


def test_sigmoid_slope_peaks_at_a_quarter_at_zero():
    d = act.derivative("sigmoid", np.linspace(-10, 10, 2001))
    assert d.max() == pytest.approx(0.25)
    assert np.argmax(d) == 1000


def test_leaky_relu_slope_and_elu_limit():
    assert act.derivative("leaky_relu", -3.0, 0.2) == pytest.approx(0.2)
    assert act.activate("elu", -50.0, 2.0) == pytest.approx(-2.0)
    assert act.activate("leaky_relu", -3.0) == pytest.approx(-0.03)  # default slope 0.01


def test_dying_relu_passes_no_gradient_on_the_negative_side():
    z = np.random.default_rng(0).normal(-5, 1, 1000)
    assert np.mean(act.derivative("relu", z) == 0) > 0.99
    assert np.all(act.derivative("leaky_relu", z) > 0)


def test_saturation_mask_marks_sigmoid_tails_only():
    mask = act.saturation_mask("sigmoid", np.array([-10.0, 0.0, 10.0]))
    np.testing.assert_array_equal(mask, [True, False, True])
    assert not act.saturation_mask("linear", X).any()


def test_softmax_known_values_and_sum():
    p = act.softmax([2.0, 1.0, 0.1])
    np.testing.assert_allclose(p, [0.6590011, 0.2424330, 0.0985659], atol=1e-7)
    assert p.sum() == pytest.approx(1.0)


def test_softmax_is_stable_for_huge_logits():
    p = act.softmax([1000.0, 999.0, -1000.0])
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[:2], [1 / (1 + np.e ** -1), 1 / (1 + np.e)], rtol=1e-12)


def test_softmax_temperature_limits():
    z = np.array([3.0, 1.0, 0.0])
    assert act.softmax(z, 1e-3)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(act.softmax(z, 1e4), 1 / 3, atol=1e-3)


def test_softmax_jacobian_matches_finite_differences():
    z = np.array([0.5, -1.0, 2.0, 0.0])
    t = 1.7
    h = 1e-6
    numeric = np.column_stack([(act.softmax(z + h * e, t) - act.softmax(z - h * e, t)) / (2 * h)
                               for e in np.eye(4)])
    np.testing.assert_allclose(act.softmax_jacobian(act.softmax(z, t), t), numeric, atol=1e-8)


@pytest.mark.parametrize("bad", [
    lambda: act.activate("swish", X), lambda: act.activate("elu", X, -1.0),
    lambda: act.softmax([1.0], 0.0), lambda: act.softmax([np.nan, 1.0]), lambda: act.softmax([]),
])
def test_bad_arguments_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


finite_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                           elements=st.floats(-1e300, 1e300, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(x=finite_arrays, name=st.sampled_from(act.ELEMENTWISE))
def test_outputs_keep_shape_and_stay_finite_for_extreme_inputs(x, name):
    y, dy = act.activate_and_derivative(name, x)
    assert y.shape == x.shape and dy.shape == x.shape
    assert np.all(np.isfinite(dy))
    if name in ("sigmoid", "tanh", "step"):
        assert np.all(np.isfinite(y)) and np.all(np.abs(y) <= 1)


@settings(max_examples=60, deadline=None)
@given(z=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                    elements=st.floats(-1e6, 1e6)),
       t=st.floats(0.01, 100))
def test_softmax_rows_are_probability_distributions(z, t):
    p = act.softmax(z, t)
    assert p.shape == z.shape
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-9)
