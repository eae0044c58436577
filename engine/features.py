"""Input features built from the two coordinates, as TensorFlow Playground's feature toggles."""
from __future__ import annotations

import numpy as np

from engine import checks

FEATURES: dict[str, callable] = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1²": lambda x: x[:, 0] ** 2,
    "x2²": lambda x: x[:, 1] ** 2,
    "x1·x2": lambda x: x[:, 0] * x[:, 1],
    "sin x1": lambda x: np.sin(x[:, 0]),
    "sin x2": lambda x: np.sin(x[:, 1]),
}
FEATURE_NAMES = tuple(FEATURES)


def make_features(points: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """(n, len(names)) feature matrix from (n, 2) points, columns in the order given."""
    if isinstance(names, str) or not hasattr(names, "__len__") or not names:
        raise ValueError(f"names: select at least one input feature, got {checks.describe(names)}")
    unknown = [repr(n)[:20] for n in names if not isinstance(n, str) or n not in FEATURES]
    if unknown:
        raise ValueError(f"names: unknown feature(s) {', '.join(unknown)}; choose from {', '.join(FEATURE_NAMES)}")
    pts = checks.array("points", points, shape=(None, 2))
    return np.ascontiguousarray(np.column_stack([FEATURES[n](pts) for n in names]))
