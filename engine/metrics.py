"""Classification and regression metrics computed from predictions (plain NumPy)."""
from __future__ import annotations

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def precision_recall(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """Precision and recall of class 1 (0.0 where undefined: nothing predicted / present)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = np.sum((y_pred == 1) & (y_true == 1))
    predicted, actual = np.sum(y_pred == 1), np.sum(y_true == 1)
    return (float(tp / predicted) if predicted else 0.0, float(tp / actual) if actual else 0.0)


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative
    (ties count half). NaN when only one class is present."""
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float64)
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
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        sel = np.asarray(y_true) == c
        if sel.any():
            out[c] = np.mean(np.asarray(y_pred)[sel] == c)
    return out


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))))
