import numpy as np
import pytest

from engine import metrics
from engine.features import FEATURE_NAMES, make_features


def test_feature_columns():
    p = np.array([[1.0, 2.0], [-3.0, 0.5]])
    f = make_features(p, list(FEATURE_NAMES))
    np.testing.assert_allclose(f[0], [1, 2, 1, 4, 2, np.sin(1), np.sin(2)])
    assert make_features(p, ["x1·x2"]).shape == (2, 1)
    with pytest.raises(ValueError):
        make_features(p, [])
    with pytest.raises(ValueError):
        make_features(p, ["x3"])


def test_auc_against_pairwise_definition():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200) + 0.3 * y, 1)  # rounding makes ties
    pos, neg = s[y == 1], s[y == 0]
    expected = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert metrics.roc_auc(y, s) == pytest.approx(expected)
    assert np.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))


def test_precision_recall_accuracy_and_per_class():
    y, p = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1])
    assert metrics.precision_recall(y, p) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert metrics.accuracy(y, p) == pytest.approx(0.6)
    assert metrics.precision_recall([0, 0], [0, 0]) == (0.0, 0.0)
    np.testing.assert_allclose(metrics.per_class_accuracy([0, 1, 2, 2], [0, 2, 2, 2], 4), [1, 0, 1, np.nan])
    assert metrics.mean_absolute_error([1, 2], [2, 0]) == pytest.approx(1.5)
