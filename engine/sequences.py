"""Sequence tasks for the recurrent lab: made here or shipped in ``assets/`` (nothing downloaded).

A ``SequenceTask`` holds inputs as real vectors (``x``: N, T, n_in) or as symbols (``xi``: N, T,
each an index into ``vocab``, fed one-hot), and targets as real values (``y``: N, T_out, n_out) or
classes (``yi``: N, T_out). T_out is 1 (many-to-one: read the last step) or T (many-to-many: every
step). The first ``n_train`` sequences train, the rest test.

=========  ===================================================================================
recall     remember the first symbol: step 1 shows one of ``symbols`` signal symbols, the next
           T - 1 steps random noise symbols; the answer at the end is the first symbol. Chance is
           1 / symbols; a plain RNN loses it as T grows, an LSTM or GRU keeps it.
adding     Hochreiter & Schmidhuber's adding problem: each step has a value in [0, 1) and a marker;
           two steps are marked (one in each half) and the answer is the sum of their values.
           Always answering 1 scores a squared error of about 0.167.
series     a price-like series (trend + seasons + noise, or your own column of numbers) scaled to
           [0, 1] as the course does (min-max), cut into windows of ``window`` past values: predict
           the next value. Train on the first 80 % of the time, test on the rest.
text       next character of a small text (``assets/text/coriolanus.txt``): windows of T characters,
           the target at every step the character after it.
=========  ===================================================================================
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import checks, limits

TEXT_PATH = Path(__file__).resolve().parent.parent / "assets" / "text" / "coriolanus.txt"
TASKS = ("recall", "adding", "series", "text")
MAX_T, MAX_SEQUENCES, MAX_SERIES = limits.SEQ_MAX_STEPS, limits.SEQ_MAX_SEQUENCES, limits.SEQ_MAX_SERIES


@dataclass
class SequenceTask:
    name: str
    n_train: int
    x: np.ndarray | None = None        # (N, T, n_in) real inputs
    xi: np.ndarray | None = None       # (N, T) symbol indices
    y: np.ndarray | None = None        # (N, T_out, n_out) real targets
    yi: np.ndarray | None = None       # (N, T_out) class targets
    vocab: tuple[str, ...] = ()        # symbol names (input symbols; classes are the first n_out)
    n_out: int = 1
    note: str = ""
    series_values: np.ndarray | None = None  # series: the whole scaled series, for drawing
    scale: tuple[float, float] = (0.0, 1.0)  # series: (min, max) of the raw values
    codes: np.ndarray | None = None          # text: the whole text as symbol indices

    @property
    def steps(self) -> int:
        return int((self.xi if self.xi is not None else self.x).shape[1])

    @property
    def n_in(self) -> int:
        return len(self.vocab) if self.xi is not None else int(self.x.shape[2])

    @property
    def loss(self) -> str:
        return "ce" if self.yi is not None else "mse"

    @property
    def many_to_many(self) -> bool:
        return int((self.yi if self.yi is not None else self.y).shape[1]) > 1

    def __len__(self) -> int:
        return int((self.xi if self.xi is not None else self.x).shape[0])


def recall(n: int = 2000, steps: int = 20, symbols: int = 4, noise_symbols: int = 4, seed: int = 0) -> SequenceTask:
    n = checks.whole("n", n, 2, MAX_SEQUENCES)
    steps = checks.whole("steps", steps, 2, MAX_T)
    symbols = checks.whole("symbols", symbols, 2, 10)
    noise_symbols = checks.whole("noise_symbols", noise_symbols, 1, 10)
    rng = np.random.default_rng(checks.seed("seed", seed))
    first = rng.integers(0, symbols, n)
    xi = rng.integers(symbols, symbols + noise_symbols, (n, steps))
    xi[:, 0] = first
    vocab = tuple("ABCDEFGHIJ"[:symbols]) + tuple("0123456789"[:noise_symbols])
    return SequenceTask("recall", int(n * 0.8), xi=xi.astype(np.int64), yi=first[:, None].astype(np.int64),
                        vocab=vocab, n_out=symbols,
                        note=f"Remember the first of {steps} symbols: chance is {1 / symbols:.0%}.")


def adding(n: int = 2000, steps: int = 20, seed: int = 0) -> SequenceTask:
    n = checks.whole("n", n, 2, MAX_SEQUENCES)
    steps = checks.whole("steps", steps, 2, MAX_T)
    rng = np.random.default_rng(checks.seed("seed", seed))
    x = np.zeros((n, steps, 2))
    x[:, :, 0] = rng.random((n, steps))
    half = steps // 2
    a = rng.integers(0, max(1, half), n)
    b = rng.integers(half, steps, n)
    rows = np.arange(n)
    x[rows, a, 1] = 1.0
    x[rows, b, 1] = 1.0
    y = (x[rows, a, 0] + x[rows, b, 0])[:, None, None]
    return SequenceTask("adding", int(n * 0.8), x=x, y=y, n_out=1,
                        note="Add the two marked values; always answering 1 scores an error of about 0.167.")


def price_series(length: int = 1000, seed: int = 0) -> np.ndarray:
    """A price-like series: a drifting trend, a yearly and a weekly season, and noise."""
    length = checks.whole("length", length, 10, MAX_SERIES)
    rng = np.random.default_rng(checks.seed("seed", seed))
    t = np.arange(length, dtype=float)
    trend = 50 + 0.03 * t + np.cumsum(rng.normal(0, 0.15, length))
    season = 4 * np.sin(2 * np.pi * t / 250) + 1.5 * np.sin(2 * np.pi * t / 5)
    return trend + season + rng.normal(0, 0.6, length)


def series(values: np.ndarray | None = None, window: int = 60, length: int = 1000, seed: int = 0) -> SequenceTask:
    """Windows of ``window`` past values (scaled to [0, 1]) and the value after each."""
    window = checks.whole("window", window, 2, MAX_T)
    raw = price_series(length, seed) if values is None else checks.array("values", values, ndim=1)
    if raw.size > MAX_SERIES:
        raise ValueError(f"values: at most {MAX_SERIES:,} numbers, got {raw.size:,}")
    if raw.size < window + 10:
        raise ValueError(f"values: need at least window + 10 = {window + 10} numbers, got {raw.size}")
    lo, hi = float(raw.min()), float(raw.max())
    if not hi > lo:
        raise ValueError("values: all the same number; there is nothing to predict")
    scaled = (raw - lo) / (hi - lo)
    n = scaled.size - window
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]
    x = scaled[idx][:, :, None]
    y = scaled[window:][:, None, None]
    return SequenceTask("series", int(n * 0.8), x=x, y=y, n_out=1, series_values=scaled, scale=(lo, hi),
                        note=f"Predict the next value from the {window} before it (scaled to 0-1).")


def parse_column(text: str) -> np.ndarray:
    """One column of numbers from a CSV upload: the last column of each row; a header line and
    blank lines are skipped. Raises ValueError with a sentence when there is nothing usable."""
    values = []
    bad = 0
    for line in text.splitlines():
        cell = line.strip().split(",")[-1].strip().strip('"')
        if not cell:
            continue
        try:
            v = float(cell)
        except ValueError:
            bad += 1
            continue
        if np.isfinite(v):
            values.append(v)
        else:
            bad += 1
    if bad > 1 + len(values) // 10:
        raise ValueError(f"{bad} rows are not numbers; the upload needs one column of numbers")
    if len(values) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES:,} numbers, got {len(values):,}")
    return np.array(values, dtype=float)


@functools.cache
def load_text() -> str:
    """The shipped text, read once per process (a live frame colours part of it)."""
    return TEXT_PATH.read_text(encoding="utf-8")


def text(steps: int = 32, n: int = 2000, seed: int = 0, source: str | None = None) -> SequenceTask:
    """Random windows of ``steps`` characters; the target of each the text shifted by one."""
    steps = checks.whole("steps", steps, 2, MAX_T)
    n = checks.whole("n", n, 2, MAX_SEQUENCES)
    body = load_text() if source is None else source
    if len(body) < steps + 2:
        raise ValueError(f"the text needs more than {steps + 1} characters")
    vocab = tuple(sorted(set(body)))
    lookup = {ch: i for i, ch in enumerate(vocab)}
    codes = np.fromiter((lookup[ch] for ch in body), np.int64, len(body))
    rng = np.random.default_rng(checks.seed("seed", seed))
    n_train = int(n * 0.9)
    cut = int(len(codes) * 0.9)  # the last tenth of the text is only for testing
    starts = np.concatenate([rng.integers(0, max(1, cut - steps - 1), n_train),
                             rng.integers(cut, len(codes) - steps - 1, n - n_train)])
    idx = starts[:, None] + np.arange(steps + 1)[None, :]
    windows = codes[idx]
    return SequenceTask("text", n_train, xi=windows[:, :-1].astype(np.int64), yi=windows[:, 1:].astype(np.int64),
                        vocab=vocab, n_out=len(vocab), codes=codes,
                        note=f"Predict each next character ({len(vocab)} different ones).")
