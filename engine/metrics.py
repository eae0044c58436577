"""Classification and regression metrics computed from predictions (plain NumPy)."""
from __future__ import annotations

import numpy as np

from engine import checks


def _pair(y_true, y_pred, second: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D arrays of one length (NumPy would broadcast a (n, 1) against a (n,) silently)."""
    a = checks.array("y_true", y_true, ndim=1, finite=False)
    b = checks.array(second, y_pred, ndim=1, finite=False)
    if len(a) != len(b):
        raise ValueError(f"y_true and {second} must have the same length, got {len(a)} and {len(b)}")
    return a, b


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def precision_recall(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """Precision and recall of class 1 (0.0 where undefined: nothing predicted / present)."""
    y_true, y_pred = _pair(y_true, y_pred)
    tp = np.sum((y_pred == 1) & (y_true == 1))
    predicted, actual = np.sum(y_pred == 1), np.sum(y_true == 1)
    return (float(tp / predicted) if predicted else 0.0, float(tp / actual) if actual else 0.0)


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative
    (ties count half). NaN when only one class is present."""
    y_true, scores = _pair(y_true, scores, "scores")
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    allscores = np.concatenate([pos, neg])
    # average the ranks of tied scores
    uniq, inverse, counts = np.unique(allscores, return_inverse=True, return_counts=True)
    if len(uniq) < len(allscores):
        sums = np.bincount(inverse, weights=ranks)
        ranks = (sums / counts)[inverse]
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Recall of each class (the share of its samples labelled correctly); NaN if absent."""
    y_true, y_pred = _pair(y_true, y_pred)
    n_classes = checks.whole("n_classes", n_classes, 1, 10_000)
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        sel = y_true == c
        if sel.any():
            out[c] = np.mean(y_pred[sel] == c)
    return out


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred))) if len(y_true) else float("nan")
