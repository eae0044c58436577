"""Weight initializers for a dense layer with ``fan_in`` inputs and ``fan_out`` outputs.

=================  =======================================================================
name               weights drawn from
=================  =======================================================================
zeros              0 everywhere: every neuron of a layer stays identical (symmetry)
constant           one value everywhere (``value``, default 1.0: the "large number" case)
uniform            U(-scale, scale), scale default 0.05
normal             N(0, scale^2), scale default 0.05
xavier_uniform     U(-l, l), l = sqrt(6 / (fan_in + fan_out))           (Glorot & Bengio)
xavier_normal      N(0, 2 / (fan_in + fan_out))
he_uniform         U(-l, l), l = sqrt(6 / fan_in)                          (He et al., ReLU)
he_normal          N(0, 2 / fan_in)
tf_playground      U(-0.5, 0.5), TensorFlow Playground's (``Math.random() - 0.5``); its biases
                   start at 0.1, which the MLP sets
=================  =======================================================================
"""
from __future__ import annotations

import numpy as np

from engine import checks
from engine.limits import MAX_ELEMENTS

INITIALIZERS = ("zeros", "constant", "uniform", "normal", "xavier_uniform", "xavier_normal",
                "he_uniform", "he_normal", "tf_playground")


def initialize(name: str, fan_in: int, fan_out: int, rng: np.random.Generator,
               scale: float = 0.05, value: float = 1.0) -> np.ndarray:
    """A (fan_in, fan_out) weight matrix drawn with ``rng`` (seeded by the caller)."""
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {checks.describe(name)}; choose one of {', '.join(INITIALIZERS)}")
    fan_in = checks.whole("fan_in", fan_in, 1, MAX_ELEMENTS)
    fan_out = checks.whole("fan_out", fan_out, 1, MAX_ELEMENTS)
    checks.budget("fan_in x fan_out", float(fan_in) * fan_out)
    scale = checks.real("scale", scale, 0.0, 1e6)
    value = checks.real("value", value, -1e6, 1e6)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {checks.describe(rng)}")
    shape = (int(fan_in), int(fan_out))
    if name == "zeros":
        return np.zeros(shape)
    if name == "constant":
        return np.full(shape, float(value))
    if name == "uniform":
        return rng.uniform(-scale, scale, shape)
    if name == "normal":
        return rng.normal(0.0, scale, shape)
    if name == "xavier_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)
    if name == "xavier_normal":
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape)
    if name == "tf_playground":
        return rng.uniform(-0.5, 0.5, shape)
    if name == "he_uniform":
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, shape)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
