"""Comparing a backend's results with the NumPy reference, with messages that say what differs.

>>> import numpy as np
>>> tolerance("float32")
(1e-05, 1e-06)
>>> assert_close(np.float32([1, 2]), np.array([1.0, 2.0]), "float32", "add")
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

__all__ = ["TOLERANCES", "tolerance", "assert_close", "check_native", "check_tensor", "rng_for",
           "sample", "FLOAT_DTYPES", "COMPLEX_DTYPES", "INT_DTYPES", "ALL_DTYPES"]

FLOAT_DTYPES = ("float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
INT_DTYPES = ("int32", "int64")
ALL_DTYPES = ("bool",) + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES

#: (rtol, atol) per dtype: single precision ~1e-5 relative, double ~1e-12; integers exact.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-5, 1e-6), "complex64": (1e-5, 1e-6),
    "float64": (1e-12, 1e-13), "complex128": (1e-12, 1e-13),
    "int32": (0.0, 0.0), "int64": (0.0, 0.0), "bool": (0.0, 0.0),
}


def tolerance(dtype: str) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for results of ``dtype``."""
    return TOLERANCES[dtype]


def _fmt(x: Any) -> str:
    return np.array2string(np.asarray(x), precision=8, threshold=20)


def assert_close(actual: np.ndarray, expected: Any, dtype: str, what: str,
                 rtol: float | None = None, atol: float | None = None) -> None:
    """Values of ``actual`` match ``expected`` within ``dtype``'s tolerance (NaN equals NaN)."""
    __tracebackhide__ = True  # show the test's line, not this helper
    r0, a0 = tolerance(dtype)
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    exp = np.asarray(expected)
    act = np.asarray(actual)
    if act.shape != exp.shape:
        raise AssertionError(f"{what}: result has shape {act.shape}, expected {exp.shape}")
    if dtype in ("bool", "int32", "int64") or exp.dtype.kind in "biu":
        bad = act != exp
    else:
        a = act.astype(np.complex128 if act.dtype.kind == "c" or exp.dtype.kind == "c"
                       else np.float64)
        e = exp.astype(a.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
            # isclose treats inf == inf (same sign) as close, which is what we want
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if act.ndim else ()
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.nanmax(np.abs(act.astype(np.complex128) - exp.astype(np.complex128))) \
                if act.size else 0
        raise AssertionError(
            f"{what}: {int(np.sum(bad))} of {max(act.size, 1)} values differ from the NumPy "
            f"reference (dtype {dtype}, rtol={rtol:g}, atol={atol:g}); first at index {idx}: "
            f"got {act[idx]!r}, expected {exp[idx]!r}; max abs error {err:.3g}\n"
            f"got:\n{_fmt(act)}\nexpected:\n{_fmt(exp)}")


def check_native(B: Any, native: Any, expected: Any, dtype: str, what: str,
                 rtol: float | None = None, atol: float | None = None) -> np.ndarray:
    """Check a backend-native result: its reported dtype and shape, then its values."""
    __tracebackhide__ = True  # show the test's line, not this helper
    got_dtype = B.dtype_name(native)
    if got_dtype != dtype:
        raise AssertionError(f"{what}: backend {B.name!r} returned dtype {got_dtype}, "
                             f"expected {dtype}")
    shp = tuple(B.shape(native))
    exp = np.asarray(expected)
    if shp != exp.shape:
        raise AssertionError(f"{what}: backend {B.name!r} returned shape {shp}, "
                             f"expected {exp.shape}")
    host = B.to_numpy(native)
    if not isinstance(host, np.ndarray):
        raise AssertionError(f"{what}: to_numpy returned {type(host).__name__}, "
                             "expected a numpy.ndarray")
    if host.dtype.name != dtype and not (dtype == "bool" and host.dtype == np.bool_):
        raise AssertionError(f"{what}: to_numpy gave numpy dtype {host.dtype}, expected {dtype}")
    assert_close(host, exp, dtype, what, rtol, atol)
    return host


def check_tensor(t: Any, expected: Any, dtype: str, what: str,
                 rtol: float | None = None, atol: float | None = None) -> np.ndarray:
    """Check a QTensor: its dtype, shape and values."""
    __tracebackhide__ = True  # show the test's line, not this helper
    if t.dtype.name != dtype:
        raise AssertionError(f"{what}: QTensor has dtype {t.dtype.name}, expected {dtype}")
    return check_native(t._b, t._data, expected, dtype, what, rtol, atol)


def rng_for(*parts: Any) -> np.random.Generator:
    """A generator seeded from the test's identity, so every run draws the same inputs."""
    return np.random.default_rng(zlib.crc32(repr(parts).encode()))


def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, low: float = -2.0,
           high: float = 2.0) -> np.ndarray:
    """Random host data of a VQNet dtype (complex: both parts in [low, high))."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_DTYPES:
        return rng.integers(int(low), int(high) + 1, size=shape).astype(dtype)
    x = rng.uniform(low, high, size=shape)
    if dtype in COMPLEX_DTYPES:
        x = x + 1j * rng.uniform(low, high, size=shape)
    return np.asarray(x).astype(dtype)
