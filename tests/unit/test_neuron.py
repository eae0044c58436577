import numpy as np
import pytest

from engine.datasets import logic_gate
from engine.neuron import McCullochPitts, Perceptron, PerceptronConfig
from tests.unit import reference as ref


@pytest.mark.parametrize("n", [2, 3, 4])
def test_theta_one_is_or_and_theta_n_is_and(n):
    assert McCullochPitts(n, 1).matches_gate() == "OR"
    assert McCullochPitts(n, n).matches_gate() == "AND"


def test_course_three_input_example():
    # the notes: theta = 3 with three inputs fires only when all three are 1
    x, y = McCullochPitts(3, 3).truth_table()
    assert y.tolist() == [0, 0, 0, 0, 0, 0, 0, 1]


def test_an_active_inhibitory_input_vetoes_the_output():
    unit = McCullochPitts(3, 1, (False, False, True))
    assert unit.output([[1, 1, 0]]).tolist() == [1]
    assert unit.output([[1, 1, 1]]).tolist() == [0]
    # x1 AND NOT x2 from one excitatory and one inhibitory input
    x, y = McCullochPitts(2, 1, (False, True)).truth_table()
    assert y.tolist() == [0, 0, 1, 0]


def test_theta_zero_always_fires_and_nor_from_inhibition():
    assert McCullochPitts(2, 0).truth_table()[1].tolist() == [1, 1, 1, 1]
    assert McCullochPitts(2, 0, (True, True)).matches_gate() == "NOR"


@pytest.mark.parametrize("kwargs", [dict(n_inputs=0), dict(n_inputs=9), dict(theta=-1), dict(theta=3),
                                    dict(inhibitory=(True,))])
def test_bad_mcculloch_pitts_settings(kwargs):
    with pytest.raises(ValueError):
        McCullochPitts(**kwargs)


def test_mcculloch_pitts_rejects_non_binary_inputs():
    with pytest.raises(ValueError):
        McCullochPitts(2, 1).output([[0.5, 1]])


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
@pytest.mark.parametrize("init", ["zeros", "random"])
def test_perceptron_learns_separable_gates(gate, init):
    model = Perceptron(PerceptronConfig(gate=gate, init=init, lr=0.1, seed=2))
    model.step(100)
    snap = model.snapshot()
    assert snap.converged and not snap.gave_up
    np.testing.assert_array_equal(snap.predictions, logic_gate(gate)[1])


def test_perceptron_never_converges_on_xor():
    model = Perceptron(PerceptronConfig(gate="XOR", max_epochs=1000, seed=5))
    model.step(5000)
    snap = model.snapshot()
    assert snap.epoch == 1000 and snap.gave_up and not snap.converged
    assert snap.errors.min() >= 1


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "XOR"])
def test_kernel_matches_numpy_reference(gate):
    config = PerceptronConfig(gate=gate, lr=0.3, seed=11, max_epochs=40)
    model = Perceptron(config)
    w0, b0 = model.w.copy(), float(model.b[0])
    model.step(40)
    x, y = logic_gate(gate)
    w, b, errors = ref.perceptron(x, y, w0, b0, 0.3, 40)
    np.testing.assert_allclose(model.w, w, rtol=1e-12)
    assert model.b[0] == pytest.approx(b)
    assert model.snapshot().errors.tolist() == errors


def test_step_by_step_equals_one_long_run_and_history_is_recorded():
    a = Perceptron(PerceptronConfig(gate="NAND", seed=3))
    b = Perceptron(PerceptronConfig(gate="NAND", seed=3))
    for _ in range(30):
        a.step(1)
    b.step(30)
    np.testing.assert_array_equal(a.w, b.w)
    snap = a.snapshot()
    assert snap.weight_history.shape == (snap.epoch + 1, 2)
    np.testing.assert_array_equal(snap.weight_history[-1], snap.weights)


def test_seed_reproduces_and_differs():
    a = Perceptron(PerceptronConfig(seed=1)).w
    assert np.array_equal(a, Perceptron(PerceptronConfig(seed=1)).w)
    assert not np.array_equal(a, Perceptron(PerceptronConfig(seed=2)).w)


@pytest.mark.parametrize("kwargs", [dict(gate="IMPLY"), dict(lr=0), dict(lr=float("inf")),
                                    dict(init="he"), dict(max_epochs=0)])
def test_bad_perceptron_settings(kwargs):
    with pytest.raises(ValueError):
        PerceptronConfig(**kwargs)
