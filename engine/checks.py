"""The engine's public boundary: every value from outside is checked here before a kernel sees it.

Kernels are compiled loops without bounds checks: an array one column too narrow is read past its
end (numbers from unrelated memory, or a segmentation fault that ends every session of a shared
server). So every public constructor, ``step`` and method that takes data passes its arguments
through these functions first. Each returns the value in the form the kernels want (a C-contiguous
float64 or int64 array, a Python int or float) or raises a ``ValueError`` that names the
argument, says what it needs and what it got. Caps come from ``engine.limits``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.limits import MAX_ELEMENTS, MAX_SEED


def describe(value: Any) -> str:
    """A short account of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole(name: str, value: Any, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi]; a float must be whole (3.0 is 3), a bool is refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number from {lo:,} to {hi:,}, got {describe(value)}")
    if isinstance(value, numbers.Integral):
        out = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise ValueError(f"{name} must be a whole number from {lo:,} to {hi:,}, got {describe(value)}")
        out = int(f)
    if not lo <= out <= hi:
        raise ValueError(f"{name} must be a whole number from {lo:,} to {hi:,}, got {describe(value)}")
    return out


def real(name: str, value: Any, lo: float = -math.inf, hi: float = math.inf, *,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite float in the interval (open at an end where asked)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    f = float(value) if ok else math.nan
    if ok and math.isfinite(f):
        ok = (lo < f if lo_open else lo <= f) and (f < hi if hi_open else f <= hi)
    else:
        ok = False
    if not ok:
        left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
        raise ValueError(f"{name} must be a finite number in {left}{lo:g}, {hi:g}{right}, got {describe(value)}")
    return f


def seed(name: str, value: Any) -> int:
    """A seed for ``numpy.random.default_rng``: a whole number from 0 to 2**63 - 1."""
    return whole(name, value, 0, MAX_SEED)


def one_of(name: str, value: Any, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(str, options))}, got {describe(value)}")
    return value


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None,
          shape: tuple[int | None, ...] | None = None, dtype: type = np.float64, finite: bool = True,
          lo: float | None = None, hi: float | None = None, min_rows: int = 0,
          max_elements: int = MAX_ELEMENTS) -> np.ndarray:
    """``value`` as a C-contiguous array of ``dtype`` (float64 or int64), checked.

    ``shape``: the exact shape, ``None`` for an axis of any length (implies ``ndim``).
    ``finite``: no NaN or infinity. ``lo`` / ``hi``: every element within. ``min_rows``: at least
    this many entries along the first axis. Integer arrays must hold whole numbers.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{name} must be an array of numbers, got {describe(value)}")
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers, got {describe(value)}") from None
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got {describe(raw)}")
    if raw.size > max_elements:
        raise ValueError(f"{name} has {raw.size:,} elements; the limit is {max_elements:,}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if raw.ndim not in allowed:
            dims = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {dims} array, got shape {raw.shape}")
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, raw.shape)):
            if want is not None and want != got:
                need = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
                raise ValueError(f"{name} must have shape {need}, got {raw.shape} (axis {axis} differs)")
    if raw.ndim and len(raw) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {len(raw)}")
    if raw.ndim == 0 and min_rows:
        raise ValueError(f"{name} must be an array, got a single number")
    if np.dtype(dtype).kind == "i":
        if raw.dtype.kind == "f":
            if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
                raise ValueError(f"{name} must hold whole numbers, got {describe(raw)} with fractions or NaN")
        if raw.dtype.kind in "fu" and raw.size and (raw.max() > np.iinfo(np.int64).max
                                                    or raw.min() < np.iinfo(np.int64).min):
            raise ValueError(f"{name} holds numbers too large for 64-bit integers")
    out = np.asarray(raw, dtype=dtype, order="C")  # C-contiguous, and a 0-d value stays 0-d
    if finite and out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if lo is not None and out.size and out.min() < lo:
        raise ValueError(f"{name} must be at least {lo:g} everywhere, got a minimum of {out.min():g}")
    if hi is not None and out.size and out.max() > hi:
        raise ValueError(f"{name} must be at most {hi:g} everywhere, got a maximum of {out.max():g}")
    return out


def labels(name: str, value: Any, n_classes: int, n: int | None = None) -> np.ndarray:
    """Class labels: a 1-D int64 array of whole numbers 0..n_classes-1 (``n`` of them if given)."""
    y = array(name, value, shape=(n,), dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must be class numbers 0 to {n_classes - 1}, got values from {y.min()} to {y.max()}")
    return y


def budget(name: str, elements: float, limit: int = MAX_ELEMENTS) -> None:
    """Refuse a call that would allocate more than ``limit`` numbers at once."""
    if elements > limit:
        raise ValueError(f"{name} would need {elements:,.0f} numbers in memory at once; the limit is {limit:,}: "
                         "ask for less per call")


def flat_like(name: str, vector: Any, params: np.ndarray) -> np.ndarray:
    """``params`` itself when ``vector`` is None, else ``vector`` if it is laid out as ``params``
    (a flat float array of the same size: a gradient, say)."""
    if vector is None:
        return params
    if not isinstance(vector, np.ndarray) or vector.shape != params.shape or vector.dtype != params.dtype:
        raise ValueError(f"{name} must be a flat array of {params.size} numbers, got {describe(vector)}")
    return vector
