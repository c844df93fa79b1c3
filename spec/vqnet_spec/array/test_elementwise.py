"""Elementwise primitives called directly on the backend: ``B.unary``, ``B.binary``, ``B.where``.

The reference is computed here with plain NumPy / ``math`` in double precision from the same
input, then compared at the tolerance of the result dtype.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vqnet_core.backend.protocol import BINARY_OPS, COMPARISON_OPS, UNARY_OPS

from ..compare import (
    COMPLEX_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    assert_close,
    check_native,
    rng_for,
    sample,
)
from ._caps import require_dtype

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


# op -> (reference on float64/complex128 data, real-input domain)
UNARY_REF = {
    "neg": (np.negative, (-3, 3)), "abs": (np.abs, (-3, 3)), "sign": (np.sign, (-3, 3)),
    "exp": (np.exp, (-5, 5)), "log": (np.log, (0.1, 3)), "log1p": (np.log1p, (-0.9, 3)),
    "expm1": (np.expm1, (-5, 5)), "sqrt": (np.sqrt, (0.1, 3)), "sin": (np.sin, (-3, 3)),
    "cos": (np.cos, (-3, 3)), "tan": (np.tan, (-1.4, 1.4)), "asin": (np.arcsin, (-0.95, 0.95)),
    "acos": (np.arccos, (-0.95, 0.95)), "atan": (np.arctan, (-3, 3)),
    "sinh": (np.sinh, (-4, 4)), "cosh": (np.cosh, (-4, 4)), "tanh": (np.tanh, (-4, 4)),
    "asinh": (np.arcsinh, (-3, 3)), "acosh": (np.arccosh, (1.05, 4)),
    "atanh": (np.arctanh, (-0.95, 0.95)), "erf": (_erf, (-3, 3)),
    "floor": (np.floor, (-3, 3)), "ceil": (np.ceil, (-3, 3)), "round": (np.round, (-3, 3)),
    "trunc": (np.trunc, (-3, 3)), "conj": (np.conj, (-3, 3)), "real": (np.real, (-3, 3)),
    "imag": (np.imag, (-3, 3)), "angle": (np.angle, (-3, 3)),
    "logical_not": (np.logical_not, (-3, 3)), "isnan": (np.isnan, (-3, 3)),
    "isinf": (np.isinf, (-3, 3)), "isfinite": (np.isfinite, (-3, 3)),
    "sigmoid": (_sigmoid, (-8, 8)), "reciprocal": (np.reciprocal, (0.2, 3)),
    "square": (np.square, (-3, 3)),
}
assert set(UNARY_REF) == set(UNARY_OPS), "the suite must know every unary primitive"

_PREDICATES = {"isnan", "isinf", "isfinite", "logical_not"}
_COMPLEX_UNARY = {"neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh",
                  "tanh", "conj", "real", "imag", "angle", "isnan", "isinf", "isfinite",
                  "reciprocal", "square"}
_REAL_ONLY_INPUT = {"real", "imag"}  # the core only asks these of complex data
_INT_UNARY = {"neg", "abs", "sign", "square"}


def _unary_cases():
    for op in sorted(UNARY_OPS):
        if op == "logical_not":
            yield op, "bool"
            continue
        if op not in _REAL_ONLY_INPUT:
            yield from ((op, d) for d in FLOAT_DTYPES)
        if op in _COMPLEX_UNARY:
            yield from ((op, d) for d in COMPLEX_DTYPES)
        if op in _INT_UNARY:
            yield from ((op, d) for d in INT_DTYPES)


def _unary_input(op, dtype, rng, shape=(3, 4)):
    lo, hi = UNARY_REF[op][1]
    if dtype in COMPLEX_DTYPES:
        x = sample(rng, shape, dtype, -1.5, 1.5)
    elif op in ("floor", "ceil", "round", "trunc"):
        # halves pin the rounding rule: round half to even, as NumPy and PyTorch
        x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, -0.2, 0.2, 1.2, 2.7, 0.0])
        x = x.reshape(shape).astype(dtype)
    elif op == "reciprocal" and dtype in FLOAT_DTYPES:
        x = sample(rng, shape, dtype, lo, hi) * np.where(rng.random(shape) < 0.5, -1, 1)
        x = x.astype(dtype)
    else:
        x = sample(rng, shape, dtype, lo, hi)
    return x


def _unary_result_dtype(op, dtype):
    if op in _PREDICATES:
        return "bool"
    if dtype in COMPLEX_DTYPES and op in ("real", "imag", "abs", "angle"):
        return "float32" if dtype == "complex64" else "float64"
    return dtype


@pytest.mark.parametrize("op,dtype", list(_unary_cases()))
def test_unary(vqnet_backend, op, dtype):
    """``B.unary(op, a)`` matches NumPy, keeps the input dtype (real parts: real dtype)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = _unary_input(op, dtype, rng_for("unary", op, dtype))
    wide = x.astype(np.complex128 if dtype in COMPLEX_DTYPES else
                    np.float64 if dtype in FLOAT_DTYPES else x.dtype)
    expected = UNARY_REF[op][0](wide)
    check_native(B, B.unary(op, B.from_numpy(x)), expected, _unary_result_dtype(op, dtype),
                 f"B.unary({op!r}) on {dtype}")


_SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
_SPECIAL_OPS = ["neg", "abs", "exp", "expm1", "sqrt", "log", "tanh", "atan", "sigmoid", "erf",
                "floor", "ceil", "trunc", "isnan", "isinf", "isfinite", "square", "reciprocal"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("op", _SPECIAL_OPS)
def test_unary_nan_inf(vqnet_backend, op, dtype):
    """NaN propagates and infinities follow IEEE rules (exp(-inf) = 0, log(0) = -inf, ...)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = _SPECIAL.astype(dtype)
    with np.errstate(all="ignore"):
        expected = UNARY_REF[op][0](x.astype(np.float64))
    check_native(B, B.unary(op, B.from_numpy(x)), expected, _unary_result_dtype(op, dtype),
                 f"B.unary({op!r}) on {dtype} special values {_SPECIAL.tolist()}")


# ---------------------------------------------------------------- binary
BINARY_REF = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "floordiv": np.floor_divide, "remainder": np.remainder, "eq": np.equal,
    "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "complex": lambda a, b: a + 1j * b,
}
assert set(BINARY_REF) == set(BINARY_OPS), "the suite must know every binary primitive"

SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
          ((2, 1, 3), (2, 3)), ((0, 3), (1, 3)), ((1,), ())]


def _binary_cases():
    num = INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES
    for op in ("add", "sub", "mul"):
        yield from ((op, d) for d in num)
    yield from (("div", d) for d in FLOAT_DTYPES + COMPLEX_DTYPES)
    yield from (("pow", d) for d in num)
    for op in ("maximum", "minimum", "floordiv", "remainder"):
        yield from ((op, d) for d in INT_DTYPES + FLOAT_DTYPES)
    yield from (("atan2", d) for d in FLOAT_DTYPES)
    for op in ("lt", "le", "gt", "ge"):
        yield from ((op, d) for d in INT_DTYPES + FLOAT_DTYPES)
    for op in ("eq", "ne"):
        yield from ((op, d) for d in ("bool",) + num)
    for op in ("logical_and", "logical_or", "logical_xor"):
        yield op, "bool"
    yield from (("complex", d) for d in FLOAT_DTYPES)


def _binary_inputs(op, dtype, rng, sa, sb):
    if op == "pow":
        if dtype in INT_DTYPES:
            return sample(rng, sa, dtype, -3, 3), sample(rng, sb, dtype, 0, 3)
        if dtype in FLOAT_DTYPES:
            return sample(rng, sa, dtype, 0.2, 2), sample(rng, sb, dtype, -2, 2)
        return sample(rng, sa, dtype, -1.5, 1.5), sample(rng, sb, dtype, -1, 1)
    a = sample(rng, sa, dtype, -3, 3)
    b = sample(rng, sb, dtype, -3, 3)
    if op in ("div", "floordiv", "remainder"):
        mag = sample(rng, sb, "float64", 0.5, 3)
        sign = np.where(rng.random(sb) < 0.5, -1, 1)
        if dtype in INT_DTYPES:
            b = (np.ceil(mag) * sign).astype(dtype)
        elif dtype in FLOAT_DTYPES:
            b = (mag * sign).astype(dtype)
    if op in COMPARISON_OPS and dtype in FLOAT_DTYPES:
        a, b = np.round(a).astype(dtype), np.round(b).astype(dtype)  # ties on purpose
    return a, b


def _binary_result_dtype(op, dtype):
    if op in COMPARISON_OPS:
        return "bool"
    if op == "complex":
        return "complex64" if dtype == "float32" else "complex128"
    return dtype


@pytest.mark.parametrize("op,dtype", list(_binary_cases()))
def test_binary(vqnet_backend, op, dtype):
    """``B.binary(op, a, b)`` broadcasts like NumPy and keeps the common dtype."""
    B = vqnet_backend
    require_dtype(B, dtype, *(["complex64"] if op == "complex" and dtype == "float32" else
                              ["complex128"] if op == "complex" else []))
    for sa, sb in SHAPES:
        a, b = _binary_inputs(op, dtype, rng_for("binary", op, dtype, sa, sb), sa, sb)
        wide = {"float32": np.float64, "complex64": np.complex128}.get(dtype)
        with np.errstate(all="ignore"):
            expected = BINARY_REF[op](a.astype(wide) if wide else a, b.astype(wide) if wide else b)
        out = B.binary(op, B.from_numpy(a), B.from_numpy(b))
        check_native(B, out, expected, _binary_result_dtype(op, dtype),
                     f"B.binary({op!r}) on {dtype} shapes {sa} and {sb}")


_SCALAR_CASES = [(op, d) for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]
                 for d in INT_DTYPES + FLOAT_DTYPES + ("complex128",)
                 if not (op == "div" and d in INT_DTYPES)  # the core casts to float first
                 and not (op in ("maximum", "minimum") and d == "complex128")]


@pytest.mark.parametrize("op,dtype", _SCALAR_CASES)
def test_binary_python_scalar(vqnet_backend, op, dtype):
    """A Python scalar may stand for either operand; the array's dtype is kept (an int32
    array with a Python int stays int32, a float32 one with a Python float stays float32)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    rng = rng_for("scalar", op, dtype)
    a = sample(rng, (2, 3), dtype, 0.5, 2.0) if dtype not in INT_DTYPES else sample(
        rng, (2, 3), dtype, 1, 3)
    s = {"int32": 2, "int64": 2, "float32": 1.5, "float64": 1.5,
         "complex128": 0.5 - 1.0j}[dtype]
    ref = BINARY_REF[op]
    wide = a.astype(np.float64) if dtype == "float32" else a
    check_native(B, B.binary(op, B.from_numpy(a), s), ref(wide, s), dtype,
                 f"B.binary({op!r}, {dtype} array, {s!r})")
    check_native(B, B.binary(op, s, B.from_numpy(a)), ref(s, wide), dtype,
                 f"B.binary({op!r}, {s!r}, {dtype} array)")


@pytest.mark.parametrize("dtype", ("bool",) + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES)
def test_where(vqnet_backend, dtype):
    """``B.where(cond, a, b)`` broadcasts all three operands, including 0-d ones."""
    B = vqnet_backend
    require_dtype(B, dtype, "bool")
    rng = rng_for("where", dtype)
    for sc, sa, sb in [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()), ((4,), (3, 4), (3, 1)),
                       ((), (2, 2), (2, 2)), ((0, 2), (1, 2), (2,))]:
        c = rng.random(sc) < 0.5
        a, b = sample(rng, sa, dtype), sample(rng, sb, dtype)
        out = B.where(B.from_numpy(c), B.from_numpy(a), B.from_numpy(b))
        check_native(B, out, np.where(c, a, b), dtype, f"B.where on {dtype} shapes {sc} "
                     f"{sa} {sb}")


def test_elementwise_does_not_modify_inputs(vqnet_backend):
    """Primitives return new arrays and never write into their operands."""
    B = vqnet_backend
    x = np.arange(6.0).reshape(2, 3)
    a = B.from_numpy(x.copy())
    B.unary("neg", a)
    B.binary("add", a, a)
    B.where(B.from_numpy(x > 2), a, 0.0)
    B.index_add(a, (B.from_numpy(np.array([0, 0])),), B.from_numpy(np.ones((2, 3))))
    assert_close(B.to_numpy(a), x, "float64", "an operand after unary/binary/where/index_add")
