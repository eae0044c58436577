"""A Numba compiler pipeline that builds its kernels with LLVM's loop interleaving forced to two.

LLVM's loop vectoriser chooses how many vector iterations to interleave from a cost model that
counts registers, and leaves long element-wise loops (tanh, sigmoid: ~25 dependent operations per
element) at one, so they run bound by latency. Two iterations side by side keep the FP units
busier: the playground's training step (500 points, 2-8-8-1 tanh) ran 62 -> 57 us, 9.6x -> 10.5x
the NumPy reference, over five alternating A/B runs on a 2-core EPYC. Forcing it for every kernel
slowed the CNN epoch by a quarter (conv loops the cost model interleaves more), so only the
kernels given ``pipeline_class=Interleaved`` get it: the option is set while they compile (under
Numba's compiler lock, which serialises compilation) and put back to LLVM's default after. A
kernel called from Python has its module optimised later, on its first call (``lazy``), with the
option set as its compile had it (``interleaving``); the code of the kernels it calls is optimised
there, under its setting (as before, when every caller optimised its callees' code again).
"""
from __future__ import annotations

import contextlib

import llvmlite.binding as llvm
from numba.core.compiler import Compiler

INTERLEAVE = 2
_depth = [0]  # nested compiles (a kernel's callees) keep the option until the outermost ends


def _set_interleave(count: int) -> None:
    llvm.set_option("", f"-force-vector-interleave={count}")  # 0: LLVM's own choice


class Interleaved(Compiler):
    """numba's default pipeline, run with ``-force-vector-interleave=INTERLEAVE``."""

    def _compile_core(self):
        if _depth[0] == 0:
            _set_interleave(INTERLEAVE)
        _depth[0] += 1
        try:
            return super()._compile_core()
        finally:
            _depth[0] -= 1
            if _depth[0] == 0:
                _set_interleave(0)


def active() -> bool:
    """Whether a kernel of this pipeline is being compiled now (the option is set)."""
    return _depth[0] > 0


@contextlib.contextmanager
def interleaving(on: bool):
    """Run a block with the option as the compile of a kernel of this pipeline (``on``) or of another
    one had it; put back after. For work on a kernel's code done later than its compile."""
    if on == active():
        yield
        return
    _set_interleave(INTERLEAVE if on else 0)
    try:
        yield
    finally:
        _set_interleave(INTERLEAVE if active() else 0)
