"""The Interleaved compiler pipeline: two vector iterations per loop trip, for its kernels only."""
from __future__ import annotations

import re

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from engine.kernels import pipeline


def _divide(x, out):
    for i in range(x.size):
        out[i] = x[i] / (x[i] + 3.0)


def _packed_divisions(kernel) -> int:
    """Vector divide instructions in the machine code: one per vector iteration of the loop."""
    x = np.linspace(0.0, 1.0, 64)
    out = np.empty_like(x)
    kernel(x, out)
    np.testing.assert_allclose(out, x / (x + 3.0), rtol=1e-15)
    return len(re.findall(r"\bv?divpd\b", kernel.inspect_asm(kernel.signatures[0])))


def test_interleaved_kernels_get_two_vector_iterations_and_others_keep_llvms_choice():
    before = _packed_divisions(njit(error_model="numpy")(_divide))
    interleaved = _packed_divisions(njit(error_model="numpy", pipeline_class=pipeline.Interleaved)(_divide))
    after = _packed_divisions(njit(error_model="numpy")(_divide))
    assert before >= 1, "the plain loop should vectorise"
    assert interleaved == pipeline.INTERLEAVE * before
    assert after == before, "the option must be put back once the interleaved kernel is compiled"
    assert pipeline._depth[0] == 0


def test_a_failed_compile_puts_the_option_back():
    @njit(pipeline_class=pipeline.Interleaved)
    def broken(x):
        return x + "text"

    with pytest.raises(TypingError):
        broken(1.0)
    assert pipeline._depth[0] == 0
    assert _packed_divisions(njit(error_model="numpy")(_divide)) < _packed_divisions(
        njit(error_model="numpy", pipeline_class=pipeline.Interleaved)(_divide))
