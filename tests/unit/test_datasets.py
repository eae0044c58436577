import numpy as np
import pytest

from engine import datasets as ds


@pytest.mark.parametrize("name", ds.DATASETS_2D)
def test_shapes_ranges_and_seeding(name):
    a = ds.make_2d(name, n_points=300, noise=0.2, seed=3)
    b = ds.make_2d(name, n_points=300, noise=0.2, seed=3)
    c = ds.make_2d(name, n_points=300, noise=0.2, seed=4)
    assert a.x.shape == (300, 2) and a.y.shape == (300,)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert np.all(np.isfinite(a.x))
    if a.task == "regression":
        assert a.y.min() >= -1 and a.y.max() <= 1
    else:
        assert set(np.unique(a.y)) == set(range(a.n_classes))


def test_noise_free_xor_labels_follow_the_quadrants():
    d = ds.make_2d("xor", 400, noise=0.0, seed=0)
    np.testing.assert_array_equal(d.y, (d.x[:, 0] * d.x[:, 1] > 0).astype(int))
    assert np.min(np.abs(d.x)) >= 0.3


def test_noise_free_circle_is_separated_by_radius():
    d = ds.make_2d("circle", 400, noise=0.0, seed=0)
    r = np.hypot(d.x[:, 0], d.x[:, 1])
    assert r[d.y == 1].max() <= 2.5 and r[d.y == 0].min() >= 3.5


def test_noise_blurs_labels():
    clean = ds.make_2d("circle", 400, noise=0.0, seed=0)
    noisy = ds.make_2d("circle", 400, noise=0.5, seed=0)
    r = np.hypot(noisy.x[:, 0], noisy.x[:, 1])
    assert np.any((r < 2.5) & (noisy.y == 0)) or np.any((r > 3.5) & (noisy.y == 1))
    assert clean.y.sum() == 200


def test_blobs_classes_and_balance():
    d = ds.make_2d("blobs", 300, n_classes=5, seed=1)
    assert d.task == "multiclass" and d.n_classes == 5
    assert np.bincount(d.y).tolist() == [60] * 5


@pytest.mark.parametrize("kwargs", [dict(name="moons"), dict(name="xor", n_points=1), dict(name="xor", noise=2.0),
                                    dict(name="blobs", n_classes=2), dict(name="xor", n_points=10 ** 6)])
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        ds.make_2d(**kwargs)


@pytest.mark.parametrize("gate,expected", [
    ("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0]), ("NOR", [1, 0, 0, 0]),
    ("XOR", [0, 1, 1, 0]), ("XNOR", [1, 0, 0, 1]),
])
def test_two_input_gates(gate, expected):
    x, y = ds.logic_gate(gate)
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, expected)


def test_three_input_gates():
    x, y = ds.logic_gate("and", 3)
    assert x.shape == (8, 3) and y.tolist() == [0] * 7 + [1]
    assert ds.logic_gate("XOR", 3)[1].tolist() == [0, 1, 1, 0, 1, 0, 0, 1]
    with pytest.raises(ValueError):
        ds.logic_gate("IMPLY")


def test_exam_table_matches_the_notes():
    d = ds.exam_scores()
    assert d.x.shape == (8, 3)
    assert d.x[2].tolist() == [115, 4.0, 100] and d.y[2] == 95
    assert d.y.tolist() == [93, 68, 95, 75, 51, 60, 89, 97]


def test_csv_loader_reads_classification_and_regression():
    d = ds.load_csv(b"x1,x2,label\n0,0,0\n1,0,1\n0,1,2\n1,1,1\n")
    assert d.task == "multiclass" and d.n_classes == 3 and d.x.shape == (4, 2)
    assert np.abs(d.x).max() == pytest.approx(6.0)
    r = ds.load_csv("1,2,0.5\n3,4,10.25\n5,6,-3\n7,8,2\n")  # no header, real-valued targets
    assert r.task == "regression" and r.y.min() == -1 and r.y.max() == 1


def test_csv_labels_minus_one_plus_one_are_two_classes_as_in_tensorflow_playground():
    d = ds.load_csv("x1,x2,label\n0,0,-1\n1,0,1\n0,1,1\n1,1,-1\n")
    assert d.task == "binary" and d.n_classes == 2
    assert d.y.tolist() == [0, 1, 1, 0]
    r = ds.load_csv("0,0,-1\n1,0,1\n0,1,0\n1,1,-1\n")  # -1, 0, 1: three values, a regression
    assert r.task == "regression"


@pytest.mark.parametrize("raw,message", [
    (b"1,2,0\n", "at least 4"), (b"1,2\n3,4\n5,6\n7,8\n", "exactly 3"),
    (b"1,2,0\n3,x,1\n1,1,0\n2,2,1\n", "not a number"), (b"\xff\xfe\x00garbage", "UTF-8"),
    (b"1,2,1\n3,4,1\n5,6,1\n7,8,1\n", "at least two"), (b"1,2,0\n3,inf,1\n1,1,0\n2,2,1\n", "NaN or infinite"),
    (b"1,2,0\n" * 6000, "at most"), (b"0" * 2_000_000, "larger than"),
])
def test_csv_loader_rejects_bad_files_in_plain_words(raw, message):
    with pytest.raises(ValueError, match=message):
        ds.load_csv(raw)


def test_train_test_split_is_seeded_and_disjoint():
    d = ds.make_2d("circle", 100, seed=0)
    tr, te = ds.train_test_split(d, 0.3, seed=1)
    assert len(tr.x) == 70 and len(te.x) == 30
    rows = {tuple(p) for p in tr.x} | {tuple(p) for p in te.x}
    assert len(rows) == 100
    np.testing.assert_array_equal(ds.train_test_split(d, 0.3, seed=1)[1].x, te.x)
    with pytest.raises(ValueError):
        ds.train_test_split(d, 1.0)
