"""Type promotion of tensor-tensor and tensor-scalar ops, against PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.dtypes import ALL_DTYPES, scalar_result_type

torch = pytest.importorskip("torch")

NAMES = [d.name for d in ALL_DTYPES]
VALUES = {
    "bool": [True, False, True], "int32": [1, 2, 3], "int64": [2, 1, 3],
    "float32": [0.5, 1.5, 2.0], "float64": [1.25, 0.5, 3.0],
    "complex64": [1 + 1j, 0.5, 2j], "complex128": [0.5 - 1j, 1.0, 2 + 0.5j],
}
OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "floordiv": lambda a, b: a // b,
    "remainder": lambda a, b: a % b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "ge": lambda a, b: a >= b,
}
SCALARS = [True, False, 2, -3, 0, 2.5, -0.5, 1.5j, 1 + 2j]


def _pair(name):
    return (vq.tensor(VALUES[name], dtype=name),
            torch.tensor(VALUES[name], dtype=getattr(torch, name)))


def _compare(fn_vq, fn_torch):
    """Both raise, or both give the same dtype and values."""
    try:
        r = fn_torch()
    except (RuntimeError, NotImplementedError, TypeError, ZeroDivisionError):
        r = None
    if r is None:
        with pytest.raises((TypeError, ZeroDivisionError, ValueError)):
            fn_vq()
        return
    v = fn_vq()
    assert v.dtype.name == str(r.dtype).replace("torch.", "")
    np.testing.assert_allclose(v.numpy(), r.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_table(a, b):
    got = vq.promote_types(vq.as_dtype(a), vq.as_dtype(b))
    want = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert got.name == str(want).replace("torch.", "")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_scalar_result_type(name, scalar):
    t = torch.tensor(VALUES[name], dtype=getattr(torch, name))
    want = torch.result_type(t, scalar)
    assert scalar_result_type(vq.as_dtype(name), scalar).name == str(want).replace("torch.", "")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("op", list(OPS))
def test_tensor_tensor_ops(op):
    f = OPS[op]
    for a, b in itertools.product(NAMES, NAMES):
        (va, ta), (vb, tb) = _pair(a), _pair(b)
        _compare(lambda: f(va, vb), lambda: f(ta, tb))  # noqa: B023


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("op", list(OPS))
def test_tensor_scalar_ops(op):
    f = OPS[op]
    for name, s in itertools.product(NAMES, SCALARS):
        va, ta = _pair(name)
        _compare(lambda: f(va, s), lambda: f(ta, s))  # noqa: B023
        _compare(lambda: f(s, va), lambda: f(s, ta))  # noqa: B023


def test_clear_errors_where_torch_refuses():
    b = vq.tensor([True, False])
    with pytest.raises(TypeError, match="bool"):
        _ = b - b
    with pytest.raises(TypeError, match="bool"):
        vq.tensor([1.0]) - True
    with pytest.raises(TypeError, match="complex"):
        _ = vq.tensor([1j]) < 1
    with pytest.raises(TypeError, match="complex"):
        vq.maximum(vq.tensor([1j]), vq.tensor([2j]))
    with pytest.raises(ZeroDivisionError, match="by zero"):
        vq.tensor([3, 4]) // vq.tensor([1, 0])
    with pytest.raises(ZeroDivisionError, match="by zero"):
        vq.tensor([3, 4]) % 0
    # float division by zero is IEEE, as in torch
    with np.errstate(divide="ignore"):
        assert vq.tensor([1.0]) // 0.0 is not None


def test_numpy_and_list_operands():
    x = vq.tensor([1.0, 2.0])
    assert (x + np.array([1.0, 1.0])).dtype is vq.float64  # numpy float64 array is a tensor
    assert (x + [1, 2]).dtype is vq.float32
    assert (x * np.float64(2.0)).dtype is vq.float32  # numpy scalars act as Python scalars
    r = np.array([1.0, 1.0]) + x
    assert isinstance(r, vq.QTensor)
