"""Kernels link their callees optimised once (engine.kernels.linking).

The compile time it saves is measured by ``python -m tests.bench --only jit_cold``; these tests
check what it does to the code: the same results, a caller that still holds every callee it calls
(what Numba's cache stores and loads alone), a big callee's code exactly as its own library
optimised it, small callees inlined, nothing of the kind outside the engine's kernels.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import llvmlite.binding as ll
import pytest
from numba import njit
from numba.core import codegen

from engine.kernels import linking

ROOT = Path(__file__).resolve().parents[2]


def _big(x, out):
    """Well over linking.BIG instructions once compiled: five loops with branches."""
    n = x.size
    for i in range(n):
        out[i] = x[i] * 2.0 + 1.0
    for i in range(n):
        if out[i] > 1.5:
            out[i] = out[i] - 0.25
        else:
            out[i] = out[i] * 0.5
    s = 0.0
    for i in range(n):
        s += out[i] * out[i]
    for i in range(n):
        out[i] = out[i] / (1.0 + s)
    for i in range(1, n):
        out[i] = out[i] + 0.5 * out[i - 1]
    return s


def _small(v):
    return v * 3.0 - 1.0


def _caller(x, out):
    s = _big_kernel(x, out)
    for i in range(out.size):
        out[i] = _small_kernel(out[i])
    return s


def _reference(x):
    out = x * 2.0 + 1.0
    out = np.where(out > 1.5, out - 0.25, out * 0.5)
    s = float(np.sum(out * out))
    out = out / (1.0 + s)
    for i in range(1, out.size):
        out[i] = out[i] + 0.5 * out[i - 1]
    return s, out * 3.0 - 1.0


def _compile(module: str):
    """The three functions above as kernels of ``module``, the caller compiled."""
    global _big_kernel, _small_kernel
    for func in (_big, _small, _caller):
        func.__module__ = module
    _big_kernel, _small_kernel = njit(_big), njit(_small)
    caller = njit(_caller)
    x = np.linspace(-1.0, 1.0, 37)
    out = np.empty_like(x)
    s = caller(x, out)
    return caller, _big_kernel, _small_kernel, x, s, out


def _defined(module) -> dict[str, str]:
    """Each function's text, attribute groups and metadata unnumbered (numbers differ per module),
    without comments (lists of predecessors) or its linkage (a callee's copy in a caller is
    linkonce_odr)."""
    def text(fn) -> str:
        body = re.sub(r"([#!])\d+", r"\1", re.sub(r";.*", "", str(fn)))
        return body.replace("define linkonce_odr ", "define ", 1)
    return {fn.name: text(fn) for fn in module.functions if not fn.is_declaration}


@pytest.fixture
def before_codegen(monkeypatch):
    """Each library's final module as text just before machine code is made from it (making it
    rewrites the module in place: constants hoisted, addresses sunk)."""
    seen: dict[str, ll.ModuleRef] = {}
    original = codegen.CPUCodeLibrary._finalize_final_module

    def snapshot(library):
        seen[library.name] = library._final_module.clone()
        return original(library)

    monkeypatch.setattr(codegen.CPUCodeLibrary, "_finalize_final_module", snapshot)
    return seen


def _linked(dispatcher) -> ll.ModuleRef:
    """What callers of ``dispatcher``'s (only) compiled function link in: its library's final module
    (as its machine code was made from it)."""
    return dispatcher.overloads[dispatcher.signatures[0]].library._get_module_for_linking()


def _native(dispatcher) -> str:
    """The symbol of ``dispatcher``'s (only) compiled function."""
    return dispatcher.overloads[dispatcher.signatures[0]].fndesc.mangled_name


def test_the_engine_installs_it_with_this_numba():
    assert linking.installed()


def test_a_kernel_holds_its_big_callee_as_that_callees_library_made_it_and_inlines_the_small_one(monkeypatch,
                                                                                                   before_codegen):
    seen = []
    original = linking._visible_for_inlining
    monkeypatch.setattr(linking, "_visible_for_inlining", lambda lib: seen.append(lib) or original(lib))
    caller, big, small, x, s, out = _compile("engine.kernels._linking_probe")
    want_s, want_out = _reference(x)
    assert s == want_s
    np.testing.assert_allclose(out, want_out, rtol=1e-14)

    assert seen   # this compile took the engine's path
    mine = _defined(before_codegen["_caller"])
    assert _native(big) in mine                  # held: a cached caller needs nothing else
    assert _native(small) not in mine            # inlined, as Numba's own finalize does
    own = _defined(linking._linkable(big.overloads[big.signatures[0]].library))
    assert mine[_native(big)] == own[_native(big)]   # made once in its library, not again in the caller
    assert not any(b"optnone" in attrs for name in mine
                   for attrs in before_codegen["_caller"].get_function(name).attributes)
    assert linking._depth[0] == 0


def test_functions_outside_the_engines_kernels_link_as_numba_does(monkeypatch, before_codegen):
    seen = []
    original = linking._visible_for_inlining
    monkeypatch.setattr(linking, "_visible_for_inlining", lambda lib: seen.append(lib) or original(lib))
    caller, big, _, x, s, out = _compile("tests.linking_probe")
    want_s, want_out = _reference(x)
    assert s == want_s
    np.testing.assert_allclose(out, want_out, rtol=1e-14)
    assert seen == []
    mine, own = _defined(before_codegen["_caller"]), _defined(_linked(big))
    assert mine[_native(big)] != own[_native(big)]   # O3 ran over the callee's copy again


def test_a_kernel_loaded_from_the_cache_runs_alone(tmp_path):
    """Compiled in one process, loaded from Numba's cache in another where nothing else is compiled:
    the convolution's backward pass and the row kernel it calls (a big callee) give the same numbers."""
    script = textwrap.dedent("""
        import json, sys
        import numpy as np
        from engine.kernels import conv
        rng = np.random.default_rng(3)
        x, w, g = rng.random((2, 3, 6, 20)), rng.random((4, 3, 3, 3)), rng.random((2, 4, 4, 18))
        gx, gw, gb = np.zeros_like(x), np.zeros_like(w), np.zeros(4)
        conv.conv_backward(x, w, g, 1, gx, gw, gb, True)
        stats = conv.conv_backward.stats
        print(json.dumps({"gx": gx.ravel().tolist(), "gw": gw.ravel().tolist() + gb.tolist(),
                          "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
    """)
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def run() -> dict:
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    cold, warm = run(), run()
    assert (cold["hits"], cold["misses"]) == (0, 1)
    assert (warm["hits"], warm["misses"]) == (1, 0)
    assert warm["gx"] == cold["gx"] and warm["gw"] == cold["gw"]
    assert any(cold["gx"]) and any(cold["gw"])
