"""The Interleaved compiler pipeline: LLVM's interleave option is set while its kernels compile,
and only then.

What LLVM then emits depends on the CPU (an AVX-512 host vectorises and unrolls the same loop
differently from an AVX2 one), so these tests assert what the pipeline itself does, on any
x86-64: results unchanged, the option set for the outermost compile, put back after it, also
when the compile fails. The speed it buys is measured by ``python -m tests.bench.ab``.
"""
from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from engine.kernels import pipeline


def _divide(x, out):
    for i in range(x.size):
        out[i] = x[i] / (x[i] + 3.0)


@pytest.fixture
def settings(monkeypatch):
    """Every value the pipeline gives LLVM's interleave option, in order."""
    seen: list[int] = []
    original = pipeline._set_interleave

    def record(count: int) -> None:
        seen.append(count)
        original(count)

    monkeypatch.setattr(pipeline, "_set_interleave", record)
    return seen


def test_interleaved_kernels_compile_with_the_option_and_put_it_back(settings):
    kernel = njit(error_model="numpy", pipeline_class=pipeline.Interleaved)(_divide)
    x = np.linspace(0.0, 1.0, 1001)
    out = np.empty_like(x)
    kernel(x, out)
    np.testing.assert_allclose(out, x / (x + 3.0), rtol=1e-15)
    assert settings == [pipeline.INTERLEAVE, 0]
    assert pipeline._depth[0] == 0


def test_other_kernels_leave_the_option_alone(settings):
    kernel = njit(error_model="numpy")(_divide)
    x = np.linspace(0.0, 1.0, 17)
    out = np.empty_like(x)
    kernel(x, out)
    np.testing.assert_allclose(out, x / (x + 3.0), rtol=1e-15)
    assert settings == []


def test_a_callee_compiled_inside_keeps_the_option_until_the_outermost_ends(settings):
    inner = njit(pipeline_class=pipeline.Interleaved)(lambda v: v * 2.0)

    @njit(pipeline_class=pipeline.Interleaved)
    def outer(v):
        return inner(v) + 1.0

    assert outer(1.5) == 4.0
    assert settings[0] == pipeline.INTERLEAVE and settings[-1] == 0
    assert settings.count(0) == settings.count(pipeline.INTERLEAVE) == 1
    assert pipeline._depth[0] == 0


def test_a_failed_compile_puts_the_option_back(settings):
    @njit(pipeline_class=pipeline.Interleaved)
    def broken(x):
        return x + "text"

    with pytest.raises(TypingError):
        broken(1.0)
    assert settings == [pipeline.INTERLEAVE, 0]
    assert pipeline._depth[0] == 0
