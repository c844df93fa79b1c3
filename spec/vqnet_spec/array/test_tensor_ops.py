"""QTensor ops with the backend active: dtype promotion, edge shapes, NaN / inf."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq

from ..compare import check_tensor, rng_for, sample
from ._caps import require_dtype

# PyTorch's promotion, written out: (left, right) -> result of +, -, *
PROMOTION = [
    ("bool", "int32", "int32"), ("bool", "int64", "int64"), ("bool", "float32", "float32"),
    ("bool", "complex64", "complex64"), ("int32", "int64", "int64"),
    ("int32", "float32", "float32"), ("int64", "float32", "float32"),
    ("int64", "float64", "float64"), ("float32", "float64", "float64"),
    ("float32", "complex64", "complex64"), ("float64", "complex64", "complex128"),
    ("float32", "complex128", "complex128"), ("int64", "complex64", "complex64"),
    ("complex64", "complex128", "complex128"), ("int32", "int32", "int32"),
]
# true division of integers and bools gives the default float (float32)
DIVISION = [("int64", "int64", "float32"), ("int32", "int64", "float32"),
            ("bool", "bool", "float32"), ("int64", "float64", "float64")]
# tensor (dtype) op Python scalar -> result: a scalar only lifts the kind
SCALAR = [
    ("int32", "add", 2, "int32"), ("int32", "add", 2.5, "float32"), ("bool", "add", 1, "int64"),
    ("float32", "mul", 2, "float32"), ("float32", "add", 2.5, "float32"),
    ("float64", "add", 2.5, "float64"), ("float32", "add", 1j, "complex64"),
    ("float64", "mul", 1j, "complex128"), ("int64", "add", 1j, "complex64"),
    ("complex64", "add", 2.5, "complex64"), ("int64", "div", 2, "float32"),
    ("int64", "floordiv", 2, "int64"), ("int32", "pow", 2, "int32"),
    ("float32", "lt", 0.5, "bool"), ("int64", "eq", 1, "bool"),
]
_PY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
       "div": lambda a, b: a / b, "floordiv": lambda a, b: a // b, "pow": lambda a, b: a ** b,
       "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}


def _t(dtype, shape=(2, 3), tag="t"):
    x = sample(rng_for(tag, dtype, shape), shape, dtype, 1, 3)
    return x, vq.tensor(x, dtype=dtype)


# subtraction of bool tensors is not defined (as in PyTorch)
_TT = [(op, *row) for op in ("add", "sub", "mul") for row in PROMOTION
       if not (op == "sub" and "bool" in row[:2])]


@pytest.mark.parametrize("op,left,right,result", _TT, ids=[f"{o}-{a}-{b}" for o, a, b, _ in _TT])
def test_promotion_tensor_tensor(vqnet_backend, op, left, right, result):
    """Tensor-tensor ops promote like PyTorch (both operand orders)."""
    require_dtype(vqnet_backend, left, right, result)
    xa, a = _t(left, tag="a")
    xb, b = _t(right, (3,), tag="b")
    for (p, q), (hp, hq) in [((a, b), (xa, xb)), ((b, a), (xb, xa))]:
        got = _PY[op](p, q)
        ref = _PY[op](hp.astype(result), hq.astype(result))
        check_tensor(got, ref, result, f"{p.dtype.name} {op} {q.dtype.name}")


@pytest.mark.parametrize("left,right,result", DIVISION, ids=[f"{a}-{b}" for a, b, _ in DIVISION])
def test_promotion_true_division(vqnet_backend, left, right, result):
    """``/`` of integer or bool tensors gives float32 (the default float)."""
    require_dtype(vqnet_backend, left, right, result)
    xa, a = _t(left, tag="a")
    xb, b = _t(right, tag="b")
    check_tensor(a / b, xa.astype("float64") / xb.astype("float64"), result,
                 f"{left} / {right}", rtol=1e-6 if result == "float32" else None)


@pytest.mark.parametrize("dtype,op,scalar,result", SCALAR,
                         ids=[f"{d}-{o}-{s!r}" for d, o, s, _ in SCALAR])
def test_promotion_tensor_scalar(vqnet_backend, dtype, op, scalar, result):
    """Tensor-with-Python-scalar ops: the scalar lifts the kind only (both sides)."""
    require_dtype(vqnet_backend, dtype, result)
    x, t = _t(dtype)
    fn = _PY[op]
    wide = {"float32": "float64", "complex64": "complex128"}.get(result, result)
    hx = x.astype(wide if result != "bool" else x.dtype)
    check_tensor(fn(t, scalar), fn(hx, scalar), result, f"{dtype} tensor {op} {scalar!r}",
                 rtol=1e-6 if result in ("float32", "complex64") else None)
    if op in ("add", "mul", "sub", "div"):
        check_tensor(fn(scalar, t), fn(scalar, hx), result, f"{scalar!r} {op} {dtype} tensor",
                     rtol=1e-6 if result in ("float32", "complex64") else None)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_edge_shapes(vqnet_backend, dtype):
    """0-d scalars, empty tensors and size-1 axes flow through ops like NumPy."""
    require_dtype(vqnet_backend, dtype)
    s = vq.tensor(np.asarray(1.5, dtype))
    check_tensor(s.exp() * 2, np.exp(np.float64(1.5)) * 2, dtype, "0-d exp * 2")
    check_tensor(s + vq.ones(3, dtype=dtype), np.full(3, 2.5), dtype, "0-d + (3,)")
    check_tensor(vq.sum(s), 1.5, dtype, "sum of a 0-d tensor")
    e = vq.zeros(0, 3, dtype=dtype)
    check_tensor(e.exp(), np.zeros((0, 3)), dtype, "exp of an empty tensor")
    check_tensor(e + vq.ones(3, dtype=dtype), np.zeros((0, 3)), dtype, "(0,3) + (3,)")
    check_tensor(e.sum(axis=0), np.zeros(3), dtype, "sum over an empty axis")
    check_tensor(vq.matmul(vq.zeros(2, 0, dtype=dtype), vq.zeros(0, 4, dtype=dtype)),
                 np.zeros((2, 4)), dtype, "matmul with a 0-sized inner dimension")
    x, t = _t(dtype, (1, 3, 1))
    y, u = _t(dtype, (4, 1, 2), tag="u")
    check_tensor(t * u, x.astype("float64") * y, dtype, "(1,3,1) * (4,1,2)")
    check_tensor(t.sum(axis=(0, 2), keepdims=True), x.astype("float64").sum((0, 2),
                 keepdims=True), dtype, "sum over size-1 axes")


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_non_contiguous_inputs(vqnet_backend, dtype):
    """Views from permute, transpose, slicing with steps and broadcast feed every op kind."""
    require_dtype(vqnet_backend, dtype)
    x, t = _t(dtype, (3, 4, 5))
    h = x.astype({"float32": "float64"}.get(dtype, dtype))
    views = [(t.permute(2, 0, 1), h.transpose(2, 0, 1), "permute"),
             (t[:, ::2, ::-1], h[:, ::2, ::-1], "strided slice"),
             (t.transpose(0, 2), h.swapaxes(0, 2), "transpose")]
    for v, hv, what in views:
        check_tensor(v.exp(), np.exp(hv), dtype, f"exp of a {what} view")
        check_tensor(v + v, hv + hv, dtype, f"add of a {what} view")
        check_tensor(v.sum(axis=1), hv.sum(1), dtype, f"sum of a {what} view",
                     atol=1e-5 if dtype == "float32" else None)
        check_tensor(v.reshape(-1), hv.reshape(-1), dtype, f"reshape of a {what} view")
        check_tensor(v[1], hv[1], dtype, f"indexing a {what} view")
        check_tensor(vq.matmul(v, v.transpose(-1, -2)), hv @ hv.swapaxes(-1, -2), dtype,
                     f"matmul of a {what} view", atol=1e-5 if dtype == "float32" else None)
        check_tensor(vq.concatenate([v, v], 0), np.concatenate([hv, hv], 0), dtype,
                     f"concatenate of a {what} view")
    b = vq.broadcast_to(t[:1], (3, 4, 5))
    check_tensor(b * 2, np.broadcast_to(h[:1], (3, 4, 5)) * 2, dtype, "mul of a broadcast view")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_inf_propagation(vqnet_backend, dtype):
    """NaN propagates through arithmetic, reductions, max/min and maximum/minimum; IEEE
    infinities: 1/0 = inf, 0/0 = nan, log(0) = -inf, exp(-inf) = 0."""
    require_dtype(vqnet_backend, dtype)
    h = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    t = vq.tensor(h, dtype=dtype)
    with np.errstate(all="ignore"):
        cases = [(t + 1, h + 1, "add"), (t * 2, h * 2, "mul"), (t.exp(), np.exp(h), "exp"),
                 (vq.sum(t), np.sum(h), "sum"), (vq.max(t), np.max(h), "max"),
                 (vq.min(t), np.min(h), "min"), (vq.maximum(t, 0.0), np.maximum(h, 0), "maximum"),
                 (vq.minimum(t, 0.0), np.minimum(h, 0), "minimum"),
                 (vq.tensor([1.0, 0.0], dtype=dtype) / 0.0, np.array([np.inf, np.nan]), "x/0"),
                 (vq.tensor([0.0], dtype=dtype).log(), np.array([-np.inf]), "log(0)"),
                 (vq.max(t[2:]), np.inf, "max without NaN"), (vq.mean(t), np.nan, "mean"),
                 (t.isnan(), np.isnan(h), "isnan")]
    for got, ref, what in cases:
        check_tensor(got, ref, "bool" if what == "isnan" else dtype,
                     f"{what} of {h.tolist()}")
