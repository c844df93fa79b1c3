"""The array protocol written once over an array module ``xp`` (CuPy on a device, NumPy in
the host emulation): :class:`XpBackend`.

Every primitive is a call of ``xp`` with NumPy's semantics, so CuPy keeps the data on the
device (host transfers only in ``from_numpy`` / ``to_numpy``). The random generator is a
counter-based Philox-4x32-10 written in ``xp`` integer arithmetic: the same key gives the
same numbers on the device and in the emulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from vqnet_core.backend.protocol import ArrayBackend, BackendError

DTYPES = {
    "bool": np.dtype(np.bool_), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "float32": np.dtype(np.float32), "float64": np.dtype(np.float64),
    "complex64": np.dtype(np.complex64), "complex128": np.dtype(np.complex128),
}
NAMES = {v: k for k, v in DTYPES.items()}

_UNARY_NAMES = {
    "neg": "negative", "abs": "abs", "sign": "sign", "exp": "exp", "log": "log",
    "log1p": "log1p", "expm1": "expm1", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "asinh": "arcsinh", "acosh": "arccosh",
    "atanh": "arctanh", "floor": "floor", "ceil": "ceil", "round": "round", "trunc": "trunc",
    "conj": "conj", "real": "real", "imag": "imag", "angle": "angle",
    "logical_not": "logical_not", "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite",
    "reciprocal": "reciprocal", "square": "square",
}
_BINARY_NAMES = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide", "pow": "power",
    "maximum": "maximum", "minimum": "minimum", "atan2": "arctan2",
    "floordiv": "floor_divide", "remainder": "remainder", "eq": "equal", "ne": "not_equal",
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
}
_REDUCE_NAMES = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "any": "any",
                 "all": "all"}

# Philox-4x32-10 constants (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3")
_PHILOX_M0, _PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
_PHILOX_W0, _PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


class XpBackend(ArrayBackend):
    """The protocol's primitives on the arrays of ``self.xp`` (set by the subclass)."""

    xp: Any = np

    # ---- helpers -------------------------------------------------------------------
    def _is_array(self, v: Any) -> bool:
        return isinstance(v, self.xp.ndarray)

    def _scalar_for(self, v: Any, like: Any) -> Any:
        """A Python / NumPy scalar as a 0-d array of the array operand's dtype when that is
        the protocol's rule (a scalar never changes the array's dtype), else unchanged."""
        if self._is_array(v) or not self._is_array(like):
            return v
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v[()]
        kind = like.dtype.kind
        if isinstance(v, (bool, np.bool_)):
            ok = True
        elif isinstance(v, (int, np.integer)):
            ok = kind in "iufc" and (kind != "i" or -2**31 <= int(v) < 2**31
                                     or like.dtype.itemsize == 8)
        elif isinstance(v, (float, np.floating)):
            ok = kind in "fc"
        elif isinstance(v, (complex, np.complexfloating)):
            ok = kind == "c"
        else:
            return v
        # a NumPy scalar of the array's own dtype: every promotion rule keeps that dtype, and
        # CuPy passes it to the kernel as an argument (no device allocation, no copy)
        return like.dtype.type(v) if ok else v

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        return self._scalar_for(a, b), self._scalar_for(b, a)

    # ---- creation and host transfer ----------------------------------------------------
    def from_numpy(self, array: np.ndarray) -> Any:
        if self._is_array(array):
            return array
        return self.xp.asarray(np.asarray(array))

    def to_numpy(self, a: Any) -> np.ndarray:
        if isinstance(a, np.ndarray) or self.xp is np:
            return np.asarray(a)
        return self.xp.asnumpy(a)

    def full(self, shape, value, dtype):
        return self.xp.full(tuple(shape), value, dtype=DTYPES[dtype])

    def arange(self, start, stop, step, dtype):
        return self.xp.arange(start, stop, step, dtype=DTYPES[dtype])

    def astype(self, a, dtype):
        target = DTYPES[dtype]
        if a.dtype == target:
            return a
        if a.dtype.kind == "c" and target.kind != "c":
            a = self.xp.real(a)
        return a.astype(target)

    def dtype_name(self, a):
        try:
            return NAMES[np.dtype(a.dtype)]
        except KeyError:
            raise BackendError(f"{self.name}: dtype {a.dtype} is not a VQNet dtype") from None

    def shape(self, a):
        return tuple(a.shape)

    # ---- elementwise --------------------------------------------------------------
    def unary(self, op, a):
        xp = self.xp
        if not self._is_array(a):
            a = xp.asarray(a)
        if op == "erf":
            out = self._erf(a)
        elif op == "sigmoid":
            e = xp.exp(-xp.abs(a))  # no overflow on either side
            out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        else:
            name = _UNARY_NAMES.get(op)
            if name is None:
                raise BackendError(f"{self.name}: unknown unary op {op!r}")
            out = getattr(xp, name)(a)
        if op in ("real", "imag", "angle", "abs") and a.dtype.kind == "c":
            return xp.ascontiguousarray(out)
        out = xp.asarray(out)
        if out.dtype != a.dtype and out.dtype.kind == "f" and a.dtype.kind == "f":
            out = out.astype(a.dtype)
        return out

    def _erf(self, a):
        if self.xp is np:
            f = np.frompyfunc(math.erf, 1, 1)
            return np.asarray(f(a), dtype=object).astype(a.dtype) if a.size else a.copy()
        from cupyx.scipy.special import erf
        return erf(a).astype(a.dtype, copy=False)

    def binary(self, op, a, b):
        xp = self.xp
        if op == "complex":
            a, b = xp.asarray(a), xp.asarray(b)
            cd = np.complex128 if a.dtype == np.float64 else np.complex64
            out = xp.empty(xp.broadcast(a, b).shape, dtype=cd)
            out.real, out.imag = a, b
            return out
        name = _BINARY_NAMES.get(op)
        if name is None:
            raise BackendError(f"{self.name}: unknown binary op {op!r}")
        a, b = self._pair(a, b)
        return xp.asarray(getattr(xp, name)(a, b))

    def where(self, cond, a, b):
        a, b = self._pair(a, b)
        return self.xp.where(cond, a, b)

    # ---- reductions ---------------------------------------------------------------
    def reduce(self, op, a, axes, keepdims):
        xp = self.xp
        if axes is not None and len(axes) == 0:
            return a
        if op in ("max", "min"):
            red = range(a.ndim) if axes is None else axes
            if any(a.shape[i] == 0 for i in red):
                raise ValueError(f"{op} over an axis of length 0 has no identity")
        f = getattr(xp, _REDUCE_NAMES[op])
        ax = None if axes is None else tuple(axes)
        if op in ("sum", "prod") and a.dtype.kind in "iu":
            return xp.asarray(f(a, axis=ax, keepdims=keepdims, dtype=a.dtype))
        return xp.asarray(f(a, axis=ax, keepdims=keepdims))

    def arg_reduce(self, op, a, axis, keepdims):
        f = self.xp.argmax if op == "argmax" else self.xp.argmin
        out = f(a, axis=axis)
        if keepdims:
            out = self.xp.expand_dims(out, axis) if axis is not None else \
                out.reshape((1,) * a.ndim)
        return self.xp.asarray(out, dtype=np.int64)

    def scan(self, op, a, axis):
        f = self.xp.cumsum if op == "cumsum" else self.xp.cumprod
        return f(a, axis=axis, dtype=a.dtype if a.dtype.kind != "b" else np.int64)

    def sort(self, a, axis, descending):
        xp = self.xp
        if descending:
            key = ~a if a.dtype.kind == "b" else -a
        else:
            key = a
        idx = xp.argsort(key, axis=axis, kind="stable") if xp is np else \
            xp.argsort(key, axis=axis)  # CuPy's argsort is a stable radix / merge sort
        return xp.take_along_axis(a, idx, axis), idx.astype(np.int64)

    # ---- movement -----------------------------------------------------------------
    def reshape(self, a, shape):
        return self.xp.reshape(a, tuple(shape))

    def permute(self, a, axes):
        return self.xp.transpose(a, tuple(axes))

    def broadcast_to(self, a, shape):
        return self.xp.broadcast_to(a, tuple(shape))

    def getitem(self, a, key):
        return a[key]

    def index_add(self, a, key, values):
        out = a.copy()
        self._add_at(out, key, values)
        return out

    def _add_at(self, out, key, values):
        """``add.at(out, key, values)`` in place. On CuPy that is a scatter with atomicAdd,
        which exists for some dtypes only: complex is split into its real and imaginary
        parts, and any other dtype CuPy refuses is done on the host (correct, not fast)."""
        xp = self.xp
        if xp is np:
            np.add.at(out, key, values)
            return
        try:
            if hasattr(xp.add, "at"):
                xp.add.at(out, key, values)
            else:  # older CuPy
                import cupyx
                cupyx.scatter_add(out, key, values)
            return
        except Exception:  # noqa: BLE001  an unsupported dtype: TypeError, a compile error
            if out.dtype.kind != "c":
                host = xp.asnumpy(out)
                hkey = tuple(xp.asnumpy(k) if isinstance(k, xp.ndarray) else k
                             for k in (key if isinstance(key, tuple) else (key,)))
                np.add.at(host, hkey, xp.asnumpy(xp.asarray(values)))
                out[...] = xp.asarray(host)
                return
        v = xp.asarray(values)
        re, im = xp.ascontiguousarray(out.real), xp.ascontiguousarray(out.imag)
        self._add_at(re, key, xp.real(v))
        self._add_at(im, key, xp.imag(v))
        out[...] = re + 1j * im

    def pad(self, a, pads, value):
        return self.xp.pad(a, tuple(tuple(p) for p in pads), mode="constant",
                           constant_values=value)

    def concatenate(self, arrays: Sequence[Any], axis: int):
        return self.xp.concatenate(list(arrays), axis=axis)

    def flip(self, a, axes):
        return self.xp.flip(a, tuple(axes))

    # ---- contraction and indexing -------------------------------------------------
    def matmul(self, a, b):
        return self.xp.matmul(a, b)

    def gather(self, a, axis, index):
        return self.xp.take_along_axis(a, index, axis)

    def scatter_add(self, a, axis, index, src):
        xp = self.xp
        out = a.copy()
        nd = index.ndim
        idx = []
        for ax, s in enumerate(index.shape):
            shp = [1] * nd
            shp[ax] = s
            idx.append(xp.arange(s).reshape(shp))
        idx[axis] = index
        self._add_at(out, tuple(idx), src[tuple(slice(0, s) for s in index.shape)])
        return out

    # ---- randomness ---------------------------------------------------------------
    def _philox(self, key: tuple[int, int], count: int) -> tuple[Any, Any, Any, Any]:
        """Four uint32 words (held as uint64) per counter ``0..count-1`` under ``key``."""
        xp = self.xp
        u64 = np.uint64
        k0, k1 = int(key[0]), int(key[1])
        ctr = xp.arange(count, dtype=u64)
        m = u64(_MASK32)
        c0, c1 = ctr & m, ctr >> u64(32)
        c2 = xp.full(count, (k1 & _MASK32), dtype=u64)
        c3 = xp.full(count, (k1 >> 32) & _MASK32, dtype=u64)
        ka, kb = k0 & _MASK32, (k0 >> 32) & _MASK32
        for _ in range(10):
            p0 = c0 * u64(_PHILOX_M0)
            p1 = c2 * u64(_PHILOX_M1)
            c0, c1, c2, c3 = ((p1 >> u64(32)) ^ c1 ^ u64(ka), p1 & m,
                              (p0 >> u64(32)) ^ c3 ^ u64(kb), p0 & m)
            ka, kb = (ka + _PHILOX_W0) & _MASK32, (kb + _PHILOX_W1) & _MASK32
        return c0, c1, c2, c3

    def random(self, dist, key, shape, dtype, a: Any = 0.0, b: Any = 1.0):
        xp = self.xp
        shape = tuple(shape)
        size = math.prod(shape)
        if dist not in ("uniform", "normal", "randint", "bernoulli"):
            raise BackendError(f"unknown distribution {dist!r}")
        if len(key) != 2:
            raise BackendError(f"random key must be two ints, got {key!r}")
        key = (int(key[0]) & (2**64 - 1), int(key[1]) & (2**64 - 1))
        w0, w1, w2, w3 = self._philox(key, size)
        scale = 2.0 ** -53
        u = ((w0 << np.uint64(21)) | (w1 >> np.uint64(11))).astype(np.float64) * scale
        # 53 random bits (32 of w0, the top 21 of w1) in [0, 1)
        npd = DTYPES[dtype]
        if dist == "uniform":
            out = u * (b - a) + a
        elif dist == "normal":
            v = ((w2 << np.uint64(21)) | (w3 >> np.uint64(11))).astype(np.float64) * scale
            out = xp.sqrt(-2.0 * xp.log1p(-u)) * xp.cos(2.0 * math.pi * v) * b + a
        elif dist == "randint":
            lo, hi = int(a), int(b)
            out = xp.minimum(xp.floor(u * (hi - lo)), hi - lo - 1) + lo
        else:
            out = u < a
        return out.reshape(shape).astype(npd)
