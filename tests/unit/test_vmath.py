"""The vectorisable exp / expm1 / tanh / sigmoid / log against NumPy (long double where it helps).

The functions are called from a loop compiled with the MLP kernels' fast-math flags (reassociation
included), the way the kernels call them: that is where a careless flag would break the two-part
range reduction.
"""
import numpy as np
import pytest
from numba import njit

from engine.kernels import vmath
from engine.kernels.mlp import FAST

ULP = np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny  # below it results are subnormal and carry fewer bits


def _loop(fn):
    @njit(fastmath=FAST, error_model="numpy")
    def run(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])
    return run


LOOPS = {name: _loop(getattr(vmath, name))
         for name in ("exp_v", "expm1_v", "tanh_v", "sigmoid_v", "log1p_unit", "log_v")}


def _apply(name, x):
    out = np.empty_like(x)
    LOOPS[name](x, out)
    return out


def _sigmoid_ld(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.longdouble)))


rng = np.random.default_rng(7)
WIDE = np.concatenate([rng.normal(0, 4, 20000), rng.uniform(-800, 800, 20000),
                       np.linspace(-1e-6, 1e-6, 2001), np.linspace(-40, 40, 8001),
                       [0.0, 1e-300, -1e-300, 5e-324, 0.3465, -0.3466, 709.0, -708.0, 745.0, -745.0]])
CASES = {
    "exp_v": (WIDE, np.exp, 2),
    "expm1_v": (WIDE, np.expm1, 2),
    "tanh_v": (WIDE, np.tanh, 2),
    "sigmoid_v": (WIDE, _sigmoid_ld, 2),
    "log1p_unit": (np.concatenate([rng.random(20000), np.linspace(0, 1, 4001), [0.0, 1e-300, 1e-17, 1.0]]),
                   np.log1p, 1),
    "log_v": (np.concatenate([np.exp(rng.uniform(-700, 700, 20000)), rng.uniform(0.5, 2, 20000),
                              [1.0, TINY, 1.7e308, 2.0, 0.5]]), np.log, 1),
}


@pytest.mark.parametrize("name", CASES)
def test_within_a_few_ulps_of_numpy(name):
    x, ref_fn, ulps = CASES[name]
    got = _apply(name, x)
    with np.errstate(over="ignore", under="ignore"):
        ref = ref_fn(x.astype(np.longdouble)).astype(np.float64)
    normal = np.isfinite(ref) & (np.abs(ref) >= TINY)
    rel = np.abs(got[normal] - ref[normal]) / np.abs(ref[normal])
    assert rel.max() <= ulps * ULP, f"{name}: worst {rel.max() / ULP:.1f} ulp at x={x[normal][rel.argmax()]!r}"
    # outside the normal range: same limits (0, inf, +-1) and subnormals within one subnormal step
    rest = ~normal
    np.testing.assert_allclose(got[rest], ref[rest], rtol=1e-12, atol=1e-320)


@pytest.mark.parametrize("name", ["exp_v", "expm1_v", "tanh_v", "sigmoid_v", "log_v"])
def test_nan_stays_nan(name):
    assert np.isnan(_apply(name, np.array([np.nan]))[0])


def test_limits_and_signs():
    inf = np.inf
    np.testing.assert_array_equal(_apply("exp_v", np.array([-inf, inf, 710.0, -746.0, 0.0])), [0, inf, inf, 0, 1])
    np.testing.assert_array_equal(_apply("expm1_v", np.array([-inf, inf, -50.0, 0.0])), [-1, inf, -1, 0])
    np.testing.assert_array_equal(_apply("tanh_v", np.array([-inf, inf, 25.0, -25.0])), [-1, 1, 1, -1])
    np.testing.assert_array_equal(_apply("sigmoid_v", np.array([-inf, inf, 0.0])), [0, 1, 0.5])
    assert _apply("log_v", np.array([inf]))[0] == inf
    # odd symmetry is exact, zero keeps its sign (as np.tanh)
    x = rng.normal(0, 3, 1000)
    np.testing.assert_array_equal(_apply("tanh_v", -x), -_apply("tanh_v", x))
    assert np.signbit(_apply("tanh_v", np.array([-0.0]))[0])
    assert not np.signbit(_apply("tanh_v", np.array([0.0]))[0])


def test_sigmoid_keeps_relative_accuracy_far_into_the_negative_tail():
    # 1 - sigmoid(-x) style formulas lose everything here; the true values are e^x / (1 + e^x)
    x = np.array([-30.0, -100.0, -700.0])
    got = _apply("sigmoid_v", x)
    np.testing.assert_allclose(got, np.exp(x) / (1 + np.exp(x)), rtol=4 * ULP)


def _slice_copies(source: str) -> list[str]:
    """Lines of ``source`` that assign an array expression into a slice (``a[:] = b``, ``a[i:j] += b``)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        value = getattr(node, "value", None)
        scalar = isinstance(value, ast.Constant) or (isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant))
        for target in targets:
            if isinstance(target, ast.Subscript) and not scalar and any(isinstance(n, ast.Slice) for n in ast.walk(target.slice)):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_cpu_kernel_copies_an_array_into_a_slice():
    """Numba compiles ``a[:] = b`` (b an array) with an error path that formats both shapes as text,
    which pulled its whole string library into five kernels: about 10 s of a cold start. Kernels
    copy with loops (``vmath.copy2``). This finds the slice forms; ``a[i] = row`` (an index short of
    the array's dimensions) has the same cost and is left to review."""
    from pathlib import Path

    kernels = Path(vmath.__file__).parent
    offenders = {p.name: _slice_copies(p.read_text()) for p in sorted(kernels.glob("*.py"))
                 if not p.name.startswith("cuda_")}
    assert {name: lines for name, lines in offenders.items() if lines} == {}
    assert _slice_copies("def f(a, b):\n    a[:] = b\n    a[1:, :] += b.T\n    a[:] = 0.0\n") == \
        ["line 2: a[:] = b", "line 3: a[1:, :] += b.T"]   # the finder itself finds them


def test_copy2_copies_a_2d_array_into_another():
    src = np.arange(12.0).reshape(3, 4)
    dst = np.zeros((3, 4))
    vmath.copy2(dst, src)
    np.testing.assert_array_equal(dst, src)
    strided = np.zeros((3, 8))
    vmath.copy2(strided[:, ::2], src)   # a strided view is written element by element
    np.testing.assert_array_equal(strided[:, ::2], src)
    assert not strided[:, 1::2].any()
