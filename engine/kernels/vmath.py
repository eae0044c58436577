"""exp, expm1, tanh, sigmoid and log that LLVM can vectorise, accurate to about one ulp.

A loop that calls libm's ``tanh`` or ``exp`` runs one element at a time (~30 ns each here): Numba
has no vector maths library without Intel's SVML, which pip's llvmlite lacks. These versions are
plain arithmetic (Cody-Waite range reduction, fdlibm's polynomials, 2^n built from its bits), so a
loop over samples that calls them runs four doubles per instruction under AVX2.

Rules for callers, or the speed is lost:
- call them from kernels compiled with ``error_model="numpy"``; Numba's default error model puts a
  ZeroDivisionError check on every float division, and that branch stops the vectoriser;
- never inline them at Numba IR level (``inline="always"``): the caller's fast-math flags would
  then apply to their bodies, and "reassoc" undoes the two-part range reduction. LLVM inlines them
  anyway, keeping each instruction's own flags.

NaN in gives NaN out (divergence stays visible); results saturate where the true value rounds to
its limit (tanh beyond |x| = 20).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so n * LN2_HI is exact for |n| < 2^11
LN2_LO = 1.90821492927058770002e-10
MAGIC = 6755399441055744.0  # 1.5 * 2^52: adding it puts a whole number into the low mantissa bits
MAGIC_BITS = 0x4338000000000000
SQRT2 = 1.4142135623730951
# fdlibm e_exp.c: e^r = 1 + 2r / (2 - c), c = r - r^2 (P1 + P2 r^2 + ... + P5 r^8), |r| <= ln2 / 2
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08
# fdlibm e_log.c: log(1 + f) on sqrt(2)/2 - 1 <= f <= sqrt(2) - 1
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01

FLAGS = {"contract"}  # fused multiply-adds only: no reassociation (see the module docstring)


@intrinsic
def int_bits_as_float(typingctx, i):
    """The float64 whose bit pattern is the int64 ``i``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def float_bits_as_int(typingctx, x):
    """The int64 with the bit pattern of the float64 ``x``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def pow2(n: float) -> float:
    """2^n for a whole number -1022 <= n <= 1023, built from its bits."""
    return int_bits_as_float((float_bits_as_int(n + MAGIC) - MAGIC_BITS + 1023) << 52)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def _c(z: float) -> float:
    """fdlibm's c(r) / r^2 - ... as a polynomial in z = r^2, Estrin's scheme (shorter chain)."""
    z2 = z * z
    return (P1 + z * P2) + z2 * ((P3 + z * P4) + z2 * P5)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def exp_parts(x: float) -> tuple[float, float, float]:
    """(n, N, D) with e^x = 2^n (D + N) / D, |N| <= ln 2; any finite x (n is not bounded here)."""
    n = np.rint(x * LOG2E)
    r = (x - n * LN2_HI) - n * LN2_LO
    c = r - (r * r) * _c(r * r)
    return n, 2.0 * r, 2.0 - c


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def exp_v(x: float) -> float:
    """e^x over the whole double range: 0 below -745.2, inf above 709.78, subnormals between."""
    xc = -746.0 if x < -746.0 else (710.0 if x > 710.0 else x)
    n, num, den = exp_parts(xc)
    half = np.floor(n * 0.5)  # 2^n in two factors, so subnormal results and 2^1024 overflow work
    y = (pow2(half) * ((den + num) / den)) * pow2(n - half)
    return y if x == xc else (np.inf if x > 0.0 else (0.0 if x < 0.0 else x))


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def expm1_v(x: float) -> float:
    """e^x - 1 with full relative accuracy near 0; -1 below -40, inf above 709.78."""
    xc = -40.0 if x < -40.0 else (710.0 if x > 710.0 else x)
    n, num, den = exp_parts(xc)
    s = pow2(n if n < 1000.0 else 0.0)
    small = s * num / den + (s - 1.0)  # 2^n - 1 is exact, so no cancellation near 0
    half = np.floor(n * 0.5)
    large = (pow2(half) * (1.0 + num / den)) * pow2(n - half)  # n up to 1024: 2^n in two factors
    y = small if n < 1000.0 else large
    return np.inf if x > 710.0 else y


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def tanh_v(x: float) -> float:
    a = abs(x)
    a = 20.0 if a > 20.0 else a  # tanh(20) rounds to 1; NaN passes through
    # e^-2a = 2^n (den + num) / den as in exp_parts, written out to shorten the dependency chain
    # (this loop is latency-bound). One-constant reduction: with n >= -58, the error of LN2
    # moves e^-2a by < 2e-15 relative, far below an ulp of tanh.
    n = np.rint(a * (-2.0 * LOG2E))
    r = n * (-LN2) - 2.0 * a
    z = r * r
    den = (2.0 - r) + z * _c(z)
    s = pow2(n)
    sn = s * (2.0 * r)
    # tanh(a) = -expm1(-2a) / (2 + expm1(-2a)) over one division
    t = (den * (1.0 - s) - sn) / (den * (1.0 + s) + sn)
    return np.copysign(t, x)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def sigmoid_v(x: float) -> float:
    """1 / (1 + e^-x), with full relative accuracy for negative x (no 1 - p cancellation)."""
    a = abs(x)
    a = 746.0 if a > 746.0 else a
    n, num, den = exp_parts(-a)
    half = np.floor(n * 0.5)
    q = (pow2(half) * (den + num)) * pow2(n - half)  # den * e^-|x|
    return (den if x >= 0.0 else q) / (den + q)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def _log1p_reduced(f: float, k: float) -> float:
    """k ln2 + log(1 + f) for sqrt(2)/2 - 1 <= f <= sqrt(2) - 1 (fdlibm's kernel)."""
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6))
    hfsq = 0.5 * f * f
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def log1p_unit(e: float) -> float:
    """log(1 + e) for 0 <= e <= 1 (the softplus / cross-entropy term log1p(exp(-|z|)))."""
    big = e > SQRT2 - 1.0
    f = (e - 1.0) * 0.5 if big else e  # (1 + e) / 2 - 1
    return _log1p_reduced(f, 1.0 if big else 0.0)


@njit(cache=True, nogil=True, fastmath=FLAGS, error_model="numpy")
def log_v(x: float) -> float:
    """Natural log of a positive normal number (NaN for NaN, inf for inf)."""
    bits = float_bits_as_int(x)
    k = (bits >> 52) - 1023
    m = int_bits_as_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    big = m > SQRT2
    m = m * 0.5 if big else m
    kf = int_bits_as_float(k + (1 if big else 0) + MAGIC_BITS) - MAGIC
    y = _log1p_reduced(m - 1.0, kf)
    return x if (x != x or x > 1.7976931348623157e308) else y


@njit(cache=True, nogil=True)
def copy2(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[:, :] = src`` for two 2-D arrays of one shape, as a loop.

    Numba compiles an array-to-array slice assignment with an error path that formats both shapes
    as text, which pulls its whole string library into the caller: about 10 s of a cold start over
    the engine's kernels. This loop checks the shapes with a fixed message instead (no broadcasting:
    a slice assignment would spread a (B, 1) source over every column, which once hid a bug)."""
    if dst.shape[0] != src.shape[0] or dst.shape[1] != src.shape[1]:
        raise ValueError("copy2: the arrays' shapes differ")
    for r in range(dst.shape[0]):
        for c in range(dst.shape[1]):
            dst[r, c] = src[r, c]
