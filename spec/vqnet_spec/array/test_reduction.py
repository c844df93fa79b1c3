"""Reductions, arg-reductions, scans and sorting, directly on the backend."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.backend.protocol import ARG_REDUCE_OPS, REDUCE_OPS, SCAN_OPS

from ..compare import COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, check_native, rng_for, sample
from ._caps import require_dtype

AXES = [None, (0,), (1,), (2,), (0, 2), (0, 1, 2)]
REDUCE_REF = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
              "all": np.all}
assert set(REDUCE_REF) == set(REDUCE_OPS), "the suite must know every reduce primitive"


def _reduce_cases():
    for op in ("sum", "prod"):
        yield from ((op, d) for d in INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES)
    for op in ("max", "min"):
        yield from ((op, d) for d in INT_DTYPES + FLOAT_DTYPES)
    yield from ((op, "bool") for op in ("any", "all"))


def _reduce_input(op, dtype, rng, shape):
    if op == "prod":
        return sample(rng, shape, dtype, -2, 2) if dtype in INT_DTYPES else \
            sample(rng, shape, dtype, 0.6, 1.4)
    if op in ("any", "all"):
        return rng.random(shape) < (0.8 if op == "all" else 0.2)
    return sample(rng, shape, dtype, -3, 3)


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("op,dtype", list(_reduce_cases()))
def test_reduce(vqnet_backend, op, dtype, keepdims):
    """``B.reduce(op, a, axes, keepdims)`` over every axis subset; the dtype is kept: an
    int32 ``sum`` / ``prod`` is int32 (the core widens to int64 itself where it wants to)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = _reduce_input(op, dtype, rng_for("reduce", op, dtype), (2, 3, 4))
    for axes in AXES:
        wide = x.astype({"float32": "float64", "complex64": "complex128"}.get(dtype, x.dtype))
        ref = REDUCE_REF[op](wide, axis=axes, keepdims=keepdims)
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        # summation order is free: allow n roundings of the largest magnitude (relative for
        # products)
        single = dtype in ("float32", "complex64")
        atol = 2e-7 * n * float(np.max(np.abs(wide))) if single and op == "sum" else None
        rtol = max(1e-5, 2e-7 * n) if single and op == "prod" else None
        check_native(B, B.reduce(op, B.from_numpy(x), axes, keepdims), ref, dtype,
                     f"B.reduce({op!r}) on {dtype} axes={axes} keepdims={keepdims}", rtol, atol)


_EMPTY_CASES = [(op, d, e) for op, e in (("sum", 0), ("prod", 1))
                for d in INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES] + \
    [("any", "bool", False), ("all", "bool", True)]


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("op,dtype,expected", _EMPTY_CASES)
def test_reduce_empty(vqnet_backend, op, dtype, expected, keepdims):
    """Reducing an axis of length 0 gives the identity of the op (sum 0, prod 1, any False,
    all True) in the input's dtype, for that axis alone and for all axes (``None``)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = np.zeros((0, 3), dtype=dtype)
    shape = (1, 3) if keepdims else (3,)
    check_native(B, B.reduce(op, B.from_numpy(x), (0,), keepdims),
                 np.full(shape, expected, dtype), dtype,
                 f"B.reduce({op!r}) on {dtype} over an empty axis (keepdims={keepdims})")
    check_native(B, B.reduce(op, B.from_numpy(x), None, keepdims),
                 np.full((1, 1) if keepdims else (), expected, dtype), dtype,
                 f"B.reduce({op!r}) on {dtype} of an empty array, axes=None")


@pytest.mark.parametrize("op", ["max", "min"])
def test_reduce_empty_max_min_raise(vqnet_backend, op):
    """``max`` / ``min`` have no identity: over an axis of length 0 they raise ValueError."""
    B = vqnet_backend
    with pytest.raises(ValueError):
        B.to_numpy(B.reduce(op, B.from_numpy(np.zeros((0, 3))), (0,), False))


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("op,dtype", list(_reduce_cases()))
def test_reduce_no_axes(vqnet_backend, op, dtype, keepdims):
    """``axes=()`` (an empty tuple, unlike ``None`` = all axes) reduces nothing: the result
    equals the input, same shape and dtype, whatever ``keepdims``."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = _reduce_input(op, dtype, rng_for("reduce-no-axes", op, dtype), (2, 3))
    check_native(B, B.reduce(op, B.from_numpy(x), (), keepdims), x, dtype,
                 f"B.reduce({op!r}) on {dtype} with axes=() (must reduce nothing)")


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
@pytest.mark.parametrize("op", sorted(ARG_REDUCE_OPS))
def test_arg_reduce(vqnet_backend, op, dtype):
    """int64 index of the first extreme (ties: the first occurrence), flattened for None."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = np.round(sample(rng_for("arg", op, dtype), (3, 4, 5), dtype, -2, 2)).astype(dtype)
    ref = np.argmax if op == "argmax" else np.argmin
    for axis in (None, 0, 1, 2):
        for keep in (False, True):
            check_native(B, B.arg_reduce(op, B.from_numpy(x), axis, keep),
                         ref(x, axis=axis, keepdims=keep), "int64",
                         f"B.arg_reduce({op!r}) on {dtype} with ties, axis={axis} keepdims={keep}")


@pytest.mark.parametrize("dtype", ("int64",) + FLOAT_DTYPES + COMPLEX_DTYPES)
@pytest.mark.parametrize("op", sorted(SCAN_OPS))
def test_scan(vqnet_backend, op, dtype):
    """Inclusive ``cumsum`` / ``cumprod`` along each axis, dtype kept."""
    B = vqnet_backend
    require_dtype(B, dtype)
    lo, hi = (-2, 2) if dtype == "int64" else ((0.7, 1.3) if op == "cumprod" else (-2, 2))
    x = sample(rng_for("scan", op, dtype), (3, 4, 2), dtype, lo, hi)
    ref = np.cumsum if op == "cumsum" else np.cumprod
    wide = x.astype({"float32": "float64", "complex64": "complex128"}.get(dtype, x.dtype))
    for axis in range(3):
        check_native(B, B.scan(op, B.from_numpy(x), axis), ref(wide, axis=axis), dtype,
                     f"B.scan({op!r}) on {dtype} axis={axis}", atol=None if dtype in (
                         "int64", "float64", "complex128") else 1e-5)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
def test_sort_stable(vqnet_backend, dtype, descending):
    """``B.sort`` is stable both ways: tied values keep their original order."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = np.round(sample(rng_for("sort", dtype), (4, 7), dtype, -2, 2)).astype(dtype)
    for axis in (0, 1):
        idx = np.argsort(-x if descending else x, axis=axis, kind="stable")
        vals, ind = B.sort(B.from_numpy(x), axis, descending)
        what = f"B.sort on {dtype} with ties, axis={axis}, descending={descending}"
        check_native(B, vals, np.take_along_axis(x, idx, axis), dtype, what + " (values)")
        check_native(B, ind, idx, "int64", what + " (indices: must be a stable sort)")
