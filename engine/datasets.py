"""Small teaching datasets: 2-D generators, logic-gate truth tables and the course's exam table.

The 2-D generators follow TensorFlow Playground's (points in [-6, 6]^2, a ``noise`` level in
[0, 1]) so its demos carry over. Classification labels are integers 0..k-1; regression targets
are floats in [-1, 1]. Every generator takes a ``seed``: the same seed gives the same points.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from engine import checks
from engine.limits import MAX_POINTS

CLASSIFICATION_2D = ("circle", "xor", "gaussians", "spiral", "blobs")
REGRESSION_2D = ("plane", "multi_gaussian")
DATASETS_2D = CLASSIFICATION_2D + REGRESSION_2D


@dataclass(frozen=True)
class Dataset:
    """Points ``x`` (n, d) with labels or targets ``y`` (n,)."""
    x: np.ndarray
    y: np.ndarray
    task: str  # "binary", "multiclass" or "regression"
    feature_names: tuple[str, ...]
    n_classes: int = 0


def _check(n_points: int, noise: float, seed: int = 0) -> None:
    checks.whole("n_points", n_points, 2, MAX_POINTS)
    checks.real("noise", noise, 0.0, 1.0)
    checks.seed("seed", seed)


def make_2d(name: str, n_points: int = 200, noise: float = 0.0, seed: int = 0,
            n_classes: int = 3) -> Dataset:
    """One of the 2-D datasets by name (see ``DATASETS_2D``)."""
    checks.one_of("name", name, DATASETS_2D)
    _check(n_points, noise, seed)
    rng = np.random.default_rng(seed)
    n = int(n_points)
    if name == "circle":
        x, y = _circle(n, noise, rng)
    elif name == "xor":
        x, y = _xor(n, noise, rng)
    elif name == "gaussians":
        x, y = _gaussians(n, noise, rng)
    elif name == "spiral":
        x, y = _spiral(n, noise, rng)
    elif name == "blobs":
        n_classes = checks.whole("n_classes", n_classes, 3, 8)
        x, y = _blobs(n, int(n_classes), noise, rng)
        return Dataset(x, y, "multiclass", ("x1", "x2"), int(n_classes))
    elif name == "plane":
        x = rng.uniform(-6, 6, (n, 2))
        y = (x[:, 0] + x[:, 1]) / 12 + rng.uniform(-1, 1, n) * noise
        return Dataset(x, np.clip(y, -1, 1), "regression", ("x1", "x2"))
    elif name == "multi_gaussian":
        x = rng.uniform(-6, 6, (n, 2))
        y = _multi_gaussian_target(x) + rng.uniform(-1, 1, n) * noise * 0.5
        return Dataset(x, np.clip(y, -1, 1), "regression", ("x1", "x2"))
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS_2D)}")
    return Dataset(x, y.astype(np.int64), "binary", ("x1", "x2"), 2)


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    inner = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, inner), rng.uniform(radius * 0.7, radius, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    # the label is decided on a jittered copy, as in TF Playground: noise blurs the border
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    label = (np.hypot(*(x + jitter).T) < radius * 0.5).astype(np.int64)
    return x, label


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)  # keep points off the axes so the clean set is separable
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    xn = x + jitter
    return x, (xn[:, 0] * xn[:, 1] >= 0).astype(np.int64)


def _gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    std = np.sqrt(0.5 + noise * 3.5)
    half = n // 2
    pos = rng.normal((2, 2), std, (half, 2))
    neg = rng.normal((-2, -2), std, (n - half, 2))
    return np.vstack([pos, neg]), np.concatenate([np.ones(half), np.zeros(n - half)]).astype(np.int64)


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    parts, labels = [], []
    for label, delta, count in ((1, 0.0, half), (0, np.pi, n - half)):
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + delta
        pts = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1, 1, (count, 2)) * noise
        parts.append(pts)
        labels.append(np.full(count, label))
    return np.vstack(parts), np.concatenate(labels).astype(np.int64)


def _blobs(n: int, k: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centers = 3.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    label = np.arange(n) % k
    x = centers[label] + rng.normal(0, 0.6 + 1.6 * noise, (n, 2))
    return x, label.astype(np.int64)


def _multi_gaussian_target(x: np.ndarray) -> np.ndarray:
    bumps = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))
    out = np.zeros(len(x))
    for cx, cy, sign in bumps:
        out += sign * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / 2)
    return out


GATES = ("AND", "OR", "NAND", "NOR", "XOR", "XNOR")


def logic_gate(gate: str, n_inputs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a gate: inputs (2^n, n) of 0/1 in counting order, outputs (2^n,)."""
    if not isinstance(gate, str) or gate.upper() not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)}, got {checks.describe(gate)}")
    gate = gate.upper()
    n_inputs = checks.whole("n_inputs", n_inputs, 1, 8)
    x = np.array(list(product((0, 1), repeat=int(n_inputs))), dtype=np.float64)
    ones = x.sum(axis=1)
    positive = {"AND": ones == n_inputs, "OR": ones >= 1, "XOR": ones % 2 == 1}
    negated = {"NAND": "AND", "NOR": "OR", "XNOR": "XOR"}
    y = ~positive[negated[gate]] if gate in negated else positive[gate]
    return x, y.astype(np.float64)


def exam_scores() -> Dataset:
    """The course's eight-student table: study hours, sleep hours, quiz -> exam score."""
    x = np.array([[12, 6.0, 78], [22, 6.5, 24], [115, 4.0, 100], [31, 9.0, 67],
                  [0, 10.0, 58], [5, 8.0, 78], [92, 6.0, 82], [57, 8.0, 91]], dtype=np.float64)
    y = np.array([93, 68, 95, 75, 51, 60, 89, 97], dtype=np.float64)
    return Dataset(x, y, "regression", ("study_hours", "sleep_hours", "quiz"))


def train_test_split(data: Dataset, test_ratio: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Shuffle with ``seed`` and hold out ``test_ratio`` of the points (at least one each side)."""
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a Dataset, got {checks.describe(data)}")
    checks.real("test_ratio", test_ratio, 0.0, 1.0, lo_open=True, hi_open=True)
    seed = checks.seed("seed", seed)
    n = len(data.x)
    if n < 2:
        raise ValueError("need at least two points to split into training and test sets")
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(max(1, int(round(n * test_ratio))), n - 1)
    test, train = order[:n_test], order[n_test:]
    pick = lambda idx: Dataset(data.x[idx], data.y[idx], data.task, data.feature_names, data.n_classes)  # noqa: E731
    return pick(train), pick(test)


MAX_CSV_BYTES = 1_000_000
MAX_CSV_CLASSES = 10


def load_csv(raw: bytes | str, quote: Callable[[str], str] = lambda cell: repr(cell[:20])) -> Dataset:
    """A 2-D dataset from CSV text with columns x1, x2, label (a header row is optional).

    Labels that are all whole numbers 0..k-1 (k <= 10) make a classification set (binary for
    k = 2), and so do labels that are all -1 or +1 (TensorFlow Playground's convention: -1 is
    class 0, +1 class 1); any other numbers make a regression set, scaled to [-1, 1]. Points are
    rescaled to the playground's [-6, 6] square. Every problem raises a ValueError that says what to fix.
    ``quote`` formats a cell of the file quoted in such a message (the app shows it as a code
    span, never as Markdown: the file is someone else's text).
    """
    if isinstance(raw, bytes):
        if len(raw) > MAX_CSV_BYTES:
            raise ValueError(f"the file is larger than {MAX_CSV_BYTES // 1000} kB")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("the file is not UTF-8 text; save it as CSV") from None
    rows = [r for r in csv.reader(io.StringIO(raw)) if any(c.strip() for c in r)]
    if rows and not _is_number(rows[0][0].strip()):
        rows = rows[1:]  # header
    if len(rows) < 4:
        raise ValueError("the file needs at least 4 data rows of x1, x2, label")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} rows, the file has {len(rows)}")
    values = np.empty((len(rows), 3))
    for i, row in enumerate(rows):
        cells = [c.strip() for c in row]
        if len(cells) != 3:
            raise ValueError(f"row {i + 1} has {len(cells)} columns; each row needs exactly 3: x1, x2, label")
        for j, cell in enumerate(cells):
            if not _is_number(cell):
                raise ValueError(f"row {i + 1}, column {j + 1}: {quote(cell)} is not a number")
            values[i, j] = float(cell)
    if not np.all(np.isfinite(values)):
        raise ValueError("the file contains NaN or infinite values")
    x = values[:, :2]
    span = np.abs(x - x.mean(axis=0)).max(axis=0)
    x = (x - x.mean(axis=0)) / np.where(span > 0, span, 1.0) * 6.0
    labels = values[:, 2]
    if np.all(np.isin(labels, (-1.0, 1.0))) and len(np.unique(labels)) == 2:
        return Dataset(x, (labels > 0).astype(np.int64), "binary", ("x1", "x2"), 2)
    if np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < MAX_CSV_CLASSES:
        y = labels.astype(np.int64)
        k = int(y.max()) + 1
        if len(np.unique(y)) < 2:
            raise ValueError("all labels are the same class; a classifier needs at least two")
        return Dataset(x, y, "binary" if k == 2 else "multiclass", ("x1", "x2"), k)
    lo, hi = labels.min(), labels.max()
    y = np.zeros_like(labels) if hi == lo else (labels - lo) / (hi - lo) * 2 - 1
    return Dataset(x, y, "regression", ("x1", "x2"))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- data for the Self-Organizing Map lab ----------------------------------------------------
ASSETS = Path(__file__).resolve().parents[1] / "assets"
SHAPES_2D = ("square", "ring", "blobs")
APPLICATION_FEATURES = 15  # as the course's credit-card applications table (14 attributes + class)


def colours(n_points: int = 1000, seed: int = 0) -> Dataset:
    """Random RGB colours in [0, 1]^3: a map trained on them is drawn as its own colours."""
    _check(n_points, 0.0, seed)
    x = np.random.default_rng(seed).random((int(n_points), 3))
    return Dataset(x, np.zeros(len(x)), "none", ("red", "green", "blue"))


def shape_2d(name: str, n_points: int = 1000, seed: int = 0) -> Dataset:
    """2-D points in [0, 1]^2 for drawing a map as an elastic net: a filled square, a ring (a hole
    the map must stretch around) or three blobs (labelled 0..2)."""
    _check(n_points, 0.0, seed)
    rng = np.random.default_rng(seed)
    n = int(n_points)
    if name == "square":
        return Dataset(rng.random((n, 2)), np.zeros(n), "none", ("x1", "x2"))
    if name == "ring":
        angle = rng.uniform(0, 2 * np.pi, n)
        radius = np.sqrt(rng.uniform(0.3 ** 2, 0.45 ** 2, n))  # uniform over the ring's area
        x = 0.5 + radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
        return Dataset(x, np.zeros(n), "none", ("x1", "x2"))
    if name == "blobs":
        centres = np.array([[0.2, 0.25], [0.8, 0.3], [0.45, 0.8]])
        y = rng.integers(0, 3, n)
        x = np.clip(centres[y] + rng.normal(0, 0.07, (n, 2)), 0, 1)
        return Dataset(x, y, "multiclass", ("x1", "x2"), 3)
    raise ValueError(f"unknown shape {name!r}; choose one of {', '.join(SHAPES_2D)}")


def min_max_scale(x: np.ndarray) -> np.ndarray:
    """Each column to [0, 1] (as the course scales data before a SOM); constant columns to 0."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    return (x - lo) / np.where(hi > lo, hi - lo, 1.0)


def iris() -> Dataset:
    """Fisher's iris flowers (150 x 4 measurements, 3 species), min-max scaled; see assets/README.md."""
    with open(ASSETS / "iris.csv", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    species = sorted({r[4] for r in rows}, key=lambda s: [r[4] for r in rows].index(s))
    x = np.array([[float(v) for v in r[:4]] for r in rows])
    y = np.array([species.index(r[4]) for r in rows])
    names = ("sepal length", "sepal width", "petal length", "petal width")
    return Dataset(min_max_scale(x), y, "multiclass", names, len(species))


def applications_with_outliers(n_points: int = 690, n_outliers: int = 10, seed: int = 0) -> Dataset:
    """Synthetic 'credit applications': 15 scaled features in three ordinary groups plus a few
    planted outliers (label 1) that resemble no group, as the course's fraud example.

    Labels are for checking only: the SOM never sees them; it should put the outliers in cells far
    from their neighbours (bright on the U-matrix).
    """
    _check(n_points, 0.0, seed)
    n_outliers = checks.whole("n_outliers (at most a tenth of the points)", n_outliers, 0, int(n_points) // 10)
    rng = np.random.default_rng(seed)
    n_normal = int(n_points) - n_outliers
    centres = rng.uniform(0.3, 0.7, (3, APPLICATION_FEATURES))
    centres[0, :5] += 0.2
    centres[1, 5:10] -= 0.2
    centres[2, 10:] += 0.15
    group = rng.integers(0, 3, n_normal)
    normal = centres[group] + rng.normal(0, 0.06, (n_normal, APPLICATION_FEATURES))
    # outliers: ordinary on most features, extreme on a few (as odd applications are)
    odd = centres[rng.integers(0, 3, n_outliers)] + rng.normal(0, 0.06, (n_outliers, APPLICATION_FEATURES))
    for row in odd:
        cols = rng.choice(APPLICATION_FEATURES, 4, replace=False)
        row[cols] = rng.choice([-0.6, 1.6], 4) + rng.normal(0, 0.05, 4)
    x = np.vstack([normal, odd])
    y = np.concatenate([np.zeros(n_normal, dtype=int), np.ones(n_outliers, dtype=int)])
    order = rng.permutation(len(x))
    names = tuple(f"A{i + 1}" for i in range(APPLICATION_FEATURES))
    return Dataset(min_max_scale(x[order]), y[order], "binary", names, 2)


def digits() -> Dataset:
    """The 8 x 8 handwritten digits (1,797 images, pixels scaled to [0, 1], labels 0-9); see assets/README.md."""
    import gzip

    with gzip.open(ASSETS / "digits.csv.gz", "rt") as fh:
        table = np.loadtxt(fh, delimiter=",")
    return Dataset(table[:, :64] / 16.0, table[:, 64].astype(int), "multiclass",
                   tuple(f"pixel {r},{c}" for r in range(8) for c in range(8)), 10)


# ---- a tiny movie-ratings set for the RBM recommender (in the spirit of the course's example) ----
MOVIES = ("Forrest Gump", "Titanic", "The Matrix", "Pulp Fiction", "Fight Club", "The Departed",
          "Inception", "The Notebook", "Kill Bill", "Gladiator")
# what each movie is (Drama, Action, DiCaprio, Oscar winner, Tarantino): the tastes users have
MOVIE_TRAITS = np.array([
    [1, 0, 0, 1, 0], [1, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 1, 0, 0, 1], [1, 1, 0, 0, 0],
    [1, 1, 1, 1, 0], [0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 1], [1, 1, 0, 1, 0]], dtype=float)
TRAIT_NAMES = ("Drama", "Action", "DiCaprio", "Oscar", "Tarantino")


def movie_ratings(n_users: int = 400, seen: float = 0.6, seed: int = 0) -> Dataset:
    """Users who like (1) or dislike (0) movies, with unseen movies marked -1 (unknown).

    Each user has a taste for each trait; they like a movie when their tastes for its traits add up
    to more than chance. ``y`` holds the full like/dislike table (for checking predictions).
    """
    n_users = checks.whole("n_users", n_users, 1, 100_000)
    seen = checks.real("seen", seen, 0.0, 1.0, lo_open=True)
    seed = checks.seed("seed", seed)
    rng = np.random.default_rng(seed)
    taste = rng.normal(0, 1.5, (int(n_users), len(TRAIT_NAMES)))
    score = taste @ MOVIE_TRAITS.T / MOVIE_TRAITS.sum(axis=1) + rng.normal(0, 0.3, (int(n_users), len(MOVIES)))
    likes = (score > 0).astype(float)
    ratings = np.where(rng.random(likes.shape) < seen, likes, -1.0)
    return Dataset(ratings, likes, "none", MOVIES)


CURVES = ("circle", "spiral")


def lifted_curve(kind: str = "circle", n_points: int = 600, noise: float = 0.02, seed: int = 0) -> Dataset:
    """A 1-D curve lifted into 3-D, as a manifold for an autoencoder to unroll: a circle tilted
    into a saddle (z = sin 2t) or a rising spiral (two turns, z = t). Scaled into [0, 1]^3, with
    Gaussian noise; ``y`` says which sixth of the curve each point lies on (for colouring)."""
    checks.one_of("kind", kind, CURVES)
    _check(n_points, noise, seed)
    rng = np.random.default_rng(seed)
    t = np.sort(rng.random(int(n_points)))
    if kind == "circle":
        angle = 2 * np.pi * t
        x = np.column_stack([np.cos(angle), np.sin(angle), 0.6 * np.sin(2 * angle)])
    else:
        angle = 4 * np.pi * t
        radius = 0.3 + 0.7 * t
        x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle), 2 * t - 1])
    x = (x + 1.0) / 2.0 + rng.normal(0, noise, x.shape)
    x = np.clip(x, 0.0, 1.0)
    return Dataset(x, np.minimum((t * 6).astype(np.int64), 5), "multiclass", ("x", "y", "z"), 6)
