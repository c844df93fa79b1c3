"""The NumPy reference backend: the embedded default and the conformance suite's oracle."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .protocol import ArrayBackend, BackendError, Capabilities

_NP_DTYPES = {
    "bool": np.dtype(np.bool_), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "float32": np.dtype(np.float32), "float64": np.dtype(np.float64),
    "complex64": np.dtype(np.complex64), "complex128": np.dtype(np.complex128),
}
_NAMES = {v: k for k, v in _NP_DTYPES.items()}

_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def _erf(a: np.ndarray) -> np.ndarray:
    return _erf_scalar(a).astype(a.dtype) if a.size else a.copy()


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # Split by sign so neither branch overflows.
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


_UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "erf": _erf, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "trunc": np.trunc, "conj": np.conj, "real": np.real, "imag": np.imag, "angle": np.angle,
    "logical_not": np.logical_not, "isnan": np.isnan, "isinf": np.isinf,
    "isfinite": np.isfinite, "sigmoid": _sigmoid, "reciprocal": np.reciprocal,
    "square": np.square,
}
_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "floordiv": np.floor_divide, "remainder": np.remainder, "eq": np.equal,
    "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}
_REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
           "all": np.all}


class NumpyBackend(ArrayBackend):
    """Reference backend on NumPy. Float results keep the input dtype (no upcasting)."""

    name = "numpy"
    capabilities = Capabilities(kernels=frozenset({"einsum"}), device="cpu")

    # ---- creation -----------------------------------------------------------------
    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(array)

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype=_NP_DTYPES[dtype])

    def arange(self, start, stop, step, dtype):
        return np.arange(start, stop, step, dtype=_NP_DTYPES[dtype])

    def astype(self, a, dtype):
        target = _NP_DTYPES[dtype]
        if a.dtype == target:
            return a
        if a.dtype.kind == "c" and target.kind != "c":
            a = a.real
        return a.astype(target)

    def dtype_name(self, a):
        try:
            return _NAMES[a.dtype]
        except KeyError:
            raise BackendError(f"numpy dtype {a.dtype} is not a VQNet dtype") from None

    def shape(self, a):
        return a.shape

    # ---- elementwise --------------------------------------------------------------
    def unary(self, op, a):
        out = _UNARY[op](a)
        if op in ("real", "imag", "angle", "abs") and a.dtype.kind == "c":
            return np.ascontiguousarray(out)
        if isinstance(out, np.ndarray) and out.dtype != a.dtype and out.dtype.kind == "f" \
                and a.dtype.kind == "f":
            out = out.astype(a.dtype)
        return np.asarray(out)

    def binary(self, op, a, b):
        if op == "complex":
            return np.asarray(a + 1j * np.asarray(b)).astype(
                np.complex128 if np.asarray(a).dtype == np.float64 else np.complex64)
        return np.asarray(_BINARY[op](a, b))

    def where(self, cond, a, b):
        return np.where(cond, a, b)

    # ---- reductions ---------------------------------------------------------------
    def reduce(self, op, a, axes, keepdims):
        return np.asarray(_REDUCE[op](a, axis=axes, keepdims=keepdims))

    def arg_reduce(self, op, a, axis, keepdims):
        f = np.argmax if op == "argmax" else np.argmin
        return np.asarray(f(a, axis=axis, keepdims=keepdims), dtype=np.int64)

    def scan(self, op, a, axis):
        f = np.cumsum if op == "cumsum" else np.cumprod
        return f(a, axis=axis, dtype=a.dtype if a.dtype.kind != "b" else np.int64)

    def sort(self, a, axis, descending):
        if descending:
            # Stable descending: sort the negated keys (reversed order for ties is not stable).
            key = -a if a.dtype.kind in "fi" else ~a if a.dtype.kind == "b" else -a
            idx = np.argsort(key, axis=axis, kind="stable")
        else:
            idx = np.argsort(a, axis=axis, kind="stable")
        return np.take_along_axis(a, idx, axis), idx.astype(np.int64)

    # ---- movement -----------------------------------------------------------------
    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def permute(self, a, axes):
        return np.transpose(a, axes)

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)

    def getitem(self, a, key):
        return a[key]

    def index_add(self, a, key, values):
        out = np.array(a, copy=True)
        np.add.at(out, key, values)
        return out

    def pad(self, a, pads, value):
        return np.pad(a, pads, mode="constant", constant_values=value)

    def concatenate(self, arrays: Sequence[np.ndarray], axis: int):
        return np.concatenate(arrays, axis=axis)

    def flip(self, a, axes):
        return np.flip(a, axes)

    # ---- contraction and indexing -------------------------------------------------
    def matmul(self, a, b):
        return np.matmul(a, b)

    def gather(self, a, axis, index):
        return np.take_along_axis(a, index, axis)

    def scatter_add(self, a, axis, index, src):
        out = np.array(a, copy=True)
        idx = list(np.indices(index.shape, sparse=True))
        idx[axis] = index
        np.add.at(out, tuple(idx), src[tuple(slice(0, s) for s in index.shape)])
        return out

    # ---- randomness ---------------------------------------------------------------
    def random(self, dist, key, shape, dtype, a: Any = 0.0, b: Any = 1.0):
        gen = np.random.Generator(np.random.Philox(key=np.array(key, dtype=np.uint64)))
        npd = _NP_DTYPES[dtype]
        if dist == "uniform":
            return (gen.random(shape) * (b - a) + a).astype(npd)
        if dist == "normal":
            return (gen.standard_normal(shape) * b + a).astype(npd)
        if dist == "randint":
            return gen.integers(int(a), int(b), size=shape).astype(npd)
        if dist == "bernoulli":
            return (gen.random(shape) < a).astype(npd)
        raise BackendError(f"unknown distribution {dist!r}")

    # ---- optional kernels ---------------------------------------------------------
    def k_einsum(self, spec: str, *operands: np.ndarray) -> np.ndarray:
        return np.einsum(spec, *operands, optimize=len(operands) > 2)
