"""Shared plumbing of the ops: turning operands into tensors and recording tape nodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.engine import Node, _mode
from ..backend.registry import get_backend
from ..dtypes import DType, as_dtype, get_default_dtype
from ..tensor import QTensor

__all__ = ["make", "to_tensor", "unbroadcast", "norm_axis", "norm_axes", "QTensor"]

# numpy dtypes that VQNet has no twin for, and what they become
_NP_WIDEN = {"u": "int64", "i": "int64", "f": "float32"}


def numpy_to_vqnet(arr: np.ndarray, dtype: DType | None) -> np.ndarray:
    """``arr`` as a numpy array of a VQNet dtype (``dtype`` or the closest one)."""
    if dtype is not None:
        target = dtype.name
    elif arr.dtype.kind == "b":
        target = "bool"
    elif arr.dtype.name in ("int32", "int64", "float32", "float64", "complex64", "complex128"):
        target = arr.dtype.name
    elif arr.dtype.kind in _NP_WIDEN:
        target = _NP_WIDEN[arr.dtype.kind]
    elif arr.dtype.kind == "c":
        target = "complex128"
    else:
        raise TypeError(f"cannot make a QTensor from numpy data of dtype {arr.dtype}")
    if arr.dtype.name != target:
        if arr.dtype.kind == "c" and target not in ("complex64", "complex128"):
            arr = arr.real
        arr = arr.astype(target)
    return arr


def python_to_numpy(data: Any, dtype: DType | None) -> np.ndarray:
    """Nested lists / scalars as numpy, with Python floats taking the default float dtype."""
    if isinstance(data, (list, tuple)) and any(isinstance(x, QTensor) for x in data):
        data = [x.numpy() if isinstance(x, QTensor) else x for x in data]
    try:
        arr = np.asarray(data)
    except (ValueError, OverflowError):
        arr = None
    if arr is None or arr.dtype.kind in "OUS" or (arr.dtype == np.uint64 and dtype is None):
        err = _why_not_an_array(data, dtype)
        if err is not None:
            raise err
        if arr is None:
            raise ValueError(f"cannot make a QTensor from ragged nested sequences "
                             f"({type(data).__name__} whose rows differ in length)")
        if arr.dtype.kind == "O" and dtype is not None and dtype.kind in "fc":
            arr = np.asarray(data, dtype=dtype.name)  # e.g. ints beyond int64 as floats
    if dtype is None and arr.dtype.kind == "f":
        arr = arr.astype(get_default_dtype().name)
    elif dtype is None and arr.dtype.kind == "c":
        arr = arr.astype(get_default_dtype().to_complex().name)
    if arr.dtype.kind == "O":
        raise TypeError(f"cannot make a QTensor from {type(data).__name__} of ragged or "
                        "non-numeric data")
    return numpy_to_vqnet(arr, dtype)


_MAX_NDIM = 64  # numpy's limit on dimensions
_NUMBER = (bool, int, float, complex, np.generic)


def _why_not_an_array(data: Any, dtype: DType | None) -> Exception | None:
    """What is wrong with nested sequences numpy would not make a numeric array of: the first
    rows of different lengths, a sequence next to a number, nesting past numpy's 64
    dimensions, an int beyond int64 or a non-number, each with its index. Walks level by
    level (no recursion: the input may be nested arbitrarily deep)."""
    level = [("", data)]
    for depth in range(_MAX_NDIM + 1):
        seqs = [(p, x) for p, x in level if isinstance(x, (list, tuple, np.ndarray, QTensor))]
        if not seqs:
            break
        if len(seqs) != len(level):
            p_num = next(p for p, x in level if not isinstance(x, (list, tuple, np.ndarray,
                                                                   QTensor)))
            return ValueError(f"cannot make a QTensor from ragged nested sequences: "
                              f"data{seqs[0][0]} is a sequence but data{p_num} is not")
        if depth == _MAX_NDIM:
            return ValueError(f"cannot make a QTensor from sequences nested more than "
                              f"{_MAX_NDIM} deep (numpy's limit on dimensions); flatten or "
                              "reshape the data")
        if any(isinstance(x, (np.ndarray, QTensor)) for _, x in seqs):
            return None  # arrays inside lists: numpy's own message is as good
        n0 = len(seqs[0][1])
        odd = next(((p, x) for p, x in seqs if len(x) != n0), None)
        if odd is not None:
            return ValueError(f"cannot make a QTensor from ragged nested sequences: "
                              f"data{seqs[0][0]} has length {n0} but data{odd[0]} has length "
                              f"{len(odd[1])}")
        level = [(f"{p}[{i}]", y) for p, x in seqs for i, y in enumerate(x)]
    for p, x in level:
        if not isinstance(x, _NUMBER):
            return TypeError(f"cannot make a QTensor from non-numeric data: data{p} is of type "
                             f"{type(x).__name__} ({x!r:.40}), not a number")
    if dtype is None or dtype.kind not in "fc":
        for p, x in level:
            if isinstance(x, int) and not isinstance(x, bool) and not -2**63 <= x < 2**63:
                return OverflowError(f"cannot make a QTensor: the integer data{p} = {x} does "
                                     "not fit in int64; pass it as a float (float(x)) or "
                                     "give dtype='float64'")
    return None


def to_tensor(x: Any, B=None, dtype: Any = None) -> QTensor:
    """``x`` as a QTensor on backend ``B`` (the active one by default)."""
    if isinstance(x, QTensor):
        return x
    B = get_backend(B)
    d = as_dtype(dtype) if dtype is not None else None
    arr = numpy_to_vqnet(x, d) if isinstance(x, np.ndarray) else python_to_numpy(x, d)
    dt = as_dtype(arr.dtype.name)
    if dt.name not in B.capabilities.dtypes:
        raise TypeError(f"backend {B.name!r} does not support dtype {dt.name}")
    return QTensor._wrap(B.from_numpy(arr), B, dt)


def make(data: Any, B, dtype: DType, inputs: Sequence[QTensor | None],
         backward: Callable[[Any], Sequence[Any]] | None, name: str = "") -> QTensor:
    """Wrap an op's result, recording a node when grad is on and an input requires grad."""
    t = QTensor._wrap(data, B, dtype)
    if backward is not None and _mode.enabled and dtype.kind in "fc":
        for p in inputs:
            if p is not None and p.requires_grad:
                t.requires_grad = True
                t._node = Node(inputs, backward, name)
                break
    return t


def unbroadcast(B, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back down to ``shape``."""
    gs = B.shape(g)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gs[i + lead] != 1)
    if axes:
        g = B.reduce("sum", g, axes, False)
    return B.reshape(g, shape)


def norm_axis(axis: int, ndim: int) -> int:
    """A possibly negative axis as a non-negative one; a clear error when out of range."""
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % max(ndim, 1)


def norm_axes(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``None``, an int or a sequence of ints as a sorted tuple of distinct axes."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        a = norm_axis(int(axis), ndim)
        return (a,) if ndim else ()  # a 0-d tensor accepts axis 0 / -1, as in torch
    axes = tuple(sorted({norm_axis(int(a), ndim) for a in axis}))
    if len(axes) != len(tuple(axis)):
        raise ValueError(f"repeated axis in {tuple(axis)}")
    return axes if ndim else ()
