"""Elementwise ops and their derivative rules (conjugate-Wirtinger for complex inputs)."""

from __future__ import annotations

import math
from typing import Any

from ..dtypes import DType, as_dtype, bool_, get_default_dtype, promote_types, scalar_result_type
from ._base import QTensor, make, to_tensor, unbroadcast

_SCALARS = (bool, int, float, complex)


def _cast(t: QTensor, dtype: DType) -> Any:
    return t._data if t._dtype is dtype else t._b.astype(t._data, dtype.name)


# ---------------------------------------------------------------- unary
def _conj(B, x, dtype):
    return B.unary("conj", x) if dtype.kind == "c" else x


def _unary_rule(op: str):
    """Backward rule of a unary op: (B, g, a, out, dtype) -> grad of a (before conj fix)."""
    def mul_conj(B, g, d, dtype):
        return B.binary("mul", g, _conj(B, d, dtype))

    def div_conj(B, g, d, dtype):
        return B.binary("div", g, _conj(B, d, dtype))

    rules = {
        "neg": lambda B, g, a, o, t: B.unary("neg", g),
        "exp": lambda B, g, a, o, t: mul_conj(B, g, o, t),
        "log": lambda B, g, a, o, t: div_conj(B, g, a, t),
        "log1p": lambda B, g, a, o, t: div_conj(B, g, B.binary("add", a, 1), t),
        "expm1": lambda B, g, a, o, t: mul_conj(B, g, B.binary("add", o, 1), t),
        "sqrt": lambda B, g, a, o, t: div_conj(B, g, B.binary("mul", o, 2), t),
        "sin": lambda B, g, a, o, t: mul_conj(B, g, B.unary("cos", a), t),
        "cos": lambda B, g, a, o, t: B.unary("neg", mul_conj(B, g, B.unary("sin", a), t)),
        "tan": lambda B, g, a, o, t: mul_conj(B, g, B.binary("add", B.unary("square", o), 1), t),
        "asin": lambda B, g, a, o, t: div_conj(
            B, g, B.unary("sqrt", B.binary("sub", 1, B.unary("square", a))), t),
        "acos": lambda B, g, a, o, t: B.unary("neg", div_conj(
            B, g, B.unary("sqrt", B.binary("sub", 1, B.unary("square", a))), t)),
        "atan": lambda B, g, a, o, t: div_conj(B, g, B.binary("add", B.unary("square", a), 1), t),
        "sinh": lambda B, g, a, o, t: mul_conj(B, g, B.unary("cosh", a), t),
        "cosh": lambda B, g, a, o, t: mul_conj(B, g, B.unary("sinh", a), t),
        "tanh": lambda B, g, a, o, t: mul_conj(B, g, B.binary("sub", 1, B.unary("square", o)), t),
        "asinh": lambda B, g, a, o, t: div_conj(
            B, g, B.unary("sqrt", B.binary("add", B.unary("square", a), 1)), t),
        # sqrt(a-1)*sqrt(a+1), not sqrt(a^2-1): the latter is the wrong branch for complex a
        "acosh": lambda B, g, a, o, t: div_conj(B, g, B.binary(
            "mul", B.unary("sqrt", B.binary("sub", a, 1)), B.unary("sqrt", B.binary("add", a, 1))),
            t),
        "atanh": lambda B, g, a, o, t: div_conj(B, g, B.binary("sub", 1, B.unary("square", a)), t),
        "erf": lambda B, g, a, o, t: B.binary("mul", g, B.binary(
            "mul", B.unary("exp", B.unary("neg", B.unary("square", a))), 2.0 / math.sqrt(math.pi))),
        "sigmoid": lambda B, g, a, o, t: mul_conj(
            B, g, B.binary("mul", o, B.binary("sub", 1, o)), t),
        "reciprocal": lambda B, g, a, o, t: B.unary("neg", mul_conj(B, g, B.unary("square", o), t)),
        "square": lambda B, g, a, o, t: mul_conj(B, g, B.binary("mul", a, 2), t),
        "conj": lambda B, g, a, o, t: B.unary("conj", g),
    }
    return rules.get(op)


_RULES: dict[str, Any] = {}
_NO_GRAD = {"floor", "ceil", "round", "trunc", "sign"}
_FLOAT_ONLY = {"exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin", "acos",
               "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "sigmoid",
               "reciprocal"}


def unary(op: str, x: Any) -> QTensor:
    """Apply the elementwise primitive ``op`` to ``x``."""
    x = to_tensor(x)
    B, dt = x._b, x._dtype
    data = x._data
    if op in _FLOAT_ONLY and dt.kind in "bi":
        dt = get_default_dtype()
        data = B.astype(data, dt.name)
    if op in ("isnan", "isinf", "isfinite", "logical_not"):
        return make(B.unary(op, data), B, bool_, (), None)
    if op == "erf" and dt.kind == "c":
        raise TypeError("erf is not defined for complex tensors")
    if op in ("real", "imag", "angle") or (op == "abs" and dt.kind == "c"):
        return _complex_to_real(op, x)
    out = B.unary(op, data)
    if op in _NO_GRAD:
        return make(out, B, dt, (x,), lambda g: (B.full(B.shape(g), 0, dt.name),), op)
    if op == "abs":
        def backward(g):
            return (B.binary("mul", g, B.unary("sign", data)),)
        return make(out, B, dt, (x,), backward, op)
    rule = _RULES.get(op)
    if rule is None:
        rule = _RULES[op] = _unary_rule(op)

    def backward(g):
        return (rule(B, g, data, out, dt),)
    return make(out, B, dt, (x,), backward, op)


def _complex_to_real(op: str, x: QTensor) -> QTensor:
    B, dt = x._b, x._dtype
    a = x._data
    if dt.kind != "c":
        if op == "real":
            return x
        if op == "imag":
            raise TypeError("imag is not defined for real tensors")
        out = B.unary(op, a)
        return make(out, B, dt if dt.kind == "f" else get_default_dtype(), (x,),
                    lambda g: (B.full(B.shape(g), 0, dt.name),), op)
    out = B.unary(op, a)
    rdt = dt.to_real()
    cname = dt.name

    def backward(g):
        gc = B.astype(g, cname)
        if op == "real":
            return (gc,)
        if op == "imag":
            return (B.binary("mul", gc, 1j),)
        if op == "abs":  # g * z / |z|, zero where z == 0
            safe = B.where(B.binary("eq", out, 0), B.full((), 1, rdt.name), out)
            return (B.binary("mul", gc, B.binary("div", a, B.astype(safe, cname))),)
        # angle: g * (i z) / |z|^2
        sq = B.unary("square", B.unary("abs", a))
        safe = B.where(B.binary("eq", sq, 0), B.full((), 1, rdt.name), sq)
        return (B.binary("div", B.binary("mul", gc, B.binary("mul", a, 1j)),
                         B.astype(safe, cname)),)
    t = make(out, B, rdt, (x,), backward, op)
    if op in ("real", "imag"):
        t._view = op  # a view in PyTorch: in-place writes to it are refused
    return t


# ---------------------------------------------------------------- binary
_CMP = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"}


def _operands(a: Any, b: Any, op: str):
    """Promote two operands: returns (B, dtype, ta, da, tb, db); a Python scalar stays one."""
    if isinstance(a, QTensor) and isinstance(b, QTensor):
        if a._b is not b._b:
            raise ValueError(f"operands live on different backends ({a._b.name!r} and "
                             f"{b._b.name!r}); move one with .to(backend)")
        dt = promote_types(a._dtype, b._dtype)
        return a._b, dt, a, _cast(a, dt), b, _cast(b, dt)
    if isinstance(a, QTensor):
        if isinstance(b, _SCALARS):
            dt = scalar_result_type(a._dtype, b)
            return a._b, dt, a, _cast(a, dt), None, b
        b = to_tensor(b, a._b)
        return _operands(a, b, op)
    if isinstance(b, QTensor):
        if isinstance(a, _SCALARS):
            dt = scalar_result_type(b._dtype, a)
            return b._b, dt, None, a, b, _cast(b, dt)
        return _operands(to_tensor(a, b._b), b, op)
    return _operands(to_tensor(a), b, op)


_ORDER = {"lt", "le", "gt", "ge"}


def _check_nonfloat(op: str, B, dt: DType, ta, da, tb, db):
    """Errors and int -> float lifts of a binary op whose common dtype is bool, int or complex
    (as PyTorch: no ``-`` on bools, integer division by zero raises, ``/`` gives a float)."""
    kind = dt.kind
    if kind == "c":
        if op in ("floordiv", "remainder", "maximum", "minimum", "atan2"):
            raise TypeError(f"{op} is not defined for complex tensors")
        return dt, da, db
    if op in ("div", "atan2"):
        dt = get_default_dtype()
        return (dt, B.astype(da, dt.name) if ta is not None else da,
                B.astype(db, dt.name) if tb is not None else db)
    if dt is bool_ and op in ("floordiv", "remainder", "pow"):
        if op == "pow" and tb is None:  # bool ** bool scalar stays bool, as in torch
            return dt, B.astype(da, "int64"), int(db)
        raise TypeError(f"{op} is not defined for bool tensors")
    if op in ("floordiv", "remainder"):
        zero = (db == 0) if tb is None else bool(B.to_numpy(B.reduce(
            "any", B.binary("eq", db, 0), None, False)))
        if zero:
            raise ZeroDivisionError(f"integer {op} by zero")
    return dt, da, db


def binary(op: str, a: Any, b: Any) -> QTensor:
    """Apply the broadcasting primitive ``op`` to ``a`` and ``b`` with torch-like promotion."""
    # fast paths (no promotion needed): same-dtype tensors, float tensor with a float
    if type(a) is QTensor and (
            (type(b) is QTensor and a._dtype is b._dtype and a._b is b._b)
            or (type(b) is float and a._dtype.kind in "fc")):
        B, dt, ta, da = a._b, a._dtype, a, a._data
        tb, db = (b, b._data) if type(b) is QTensor else (None, b)
    else:
        B, dt, ta, da, tb, db = _operands(a, b, op)
    kind = dt.kind
    if op in _CMP:
        if kind == "c" and op in _ORDER:
            raise TypeError(f"{op} is not defined for complex tensors (they are not ordered)")
        return make(B.binary(op, da, db), B, bool_, (), None)
    if op == "sub" and (isinstance(da, bool) or isinstance(db, bool) or (
            ta is not None and ta._dtype is bool_) or (tb is not None and tb._dtype is bool_)):
        raise TypeError("subtraction with a bool operand is not supported; use logical_xor() "
                        "or ~ (logical_not) instead")
    if kind != "f":
        dt, da, db = _check_nonfloat(op, B, dt, ta, da, tb, db)
        kind = dt.kind
    out = B.binary(op, da, db)
    if B.dtype_name(out) != dt.name:
        out = B.astype(out, dt.name)
    if kind not in "fc":
        return make(out, B, dt, (), None)
    sa = B.shape(da) if ta is not None else ()
    sb = B.shape(db) if tb is not None else ()
    cplx = dt.kind == "c"

    def cj(x):
        return B.unary("conj", x) if cplx and not isinstance(x, (int, float)) else (
            x.conjugate() if isinstance(x, complex) else x)

    if op == "add":
        def backward(g):
            return (unbroadcast(B, g, sa) if ta is not None else None,
                    unbroadcast(B, g, sb) if tb is not None else None)
    elif op == "sub":
        def backward(g):
            return (unbroadcast(B, g, sa) if ta is not None else None,
                    unbroadcast(B, B.unary("neg", g), sb) if tb is not None and tb.requires_grad
                    else None)
    elif op == "mul":
        def backward(g):
            ga = unbroadcast(B, B.binary("mul", g, cj(db)), sa) \
                if ta is not None and ta.requires_grad else None
            gb = unbroadcast(B, B.binary("mul", g, cj(da)), sb) \
                if tb is not None and tb.requires_grad else None
            return ga, gb
    elif op == "div":
        def backward(g):
            q = B.binary("div", g, cj(db))
            ga = unbroadcast(B, q, sa) if ta is not None and ta.requires_grad else None
            gb = unbroadcast(B, B.unary("neg", B.binary("mul", q, cj(out))), sb) \
                if tb is not None and tb.requires_grad else None
            return ga, gb
    elif op == "pow":
        def backward(g):
            ga = gb = None
            if ta is not None and ta.requires_grad:
                d = B.binary("mul", db, B.binary("pow", da, B.binary("sub", db, 1)))
                ga = unbroadcast(B, B.binary("mul", g, cj(d)), sa)
            if tb is not None and tb.requires_grad:
                # d/db a^b = a^b log a; defined as 0 where a == 0 (as PyTorch does)
                zero = B.binary("eq", da, 0)
                safe_a = B.where(zero, B.full((), 1, dt.name), da)
                d = B.where(zero, B.full((), 0, dt.name),
                            B.binary("mul", out, B.unary("log", safe_a)))
                gb = unbroadcast(B, B.binary("mul", g, cj(d)), sb)
            return ga, gb
    elif op in ("maximum", "minimum"):
        def backward(g):
            cmp = "gt" if op == "maximum" else "lt"
            wa = B.astype(B.binary(cmp, da, db), dt.name)
            tie = B.binary("mul", B.astype(B.binary("eq", da, db), dt.name), 0.5)
            wa = B.binary("add", wa, tie)
            ga = unbroadcast(B, B.binary("mul", g, wa), sa) if ta is not None else None
            gb = unbroadcast(B, B.binary("mul", g, B.binary("sub", 1, wa)), sb) \
                if tb is not None else None
            return ga, gb
    elif op == "atan2":
        def backward(g):
            den = B.binary("add", B.unary("square", da), B.unary("square", db))
            # at (0, 0) both numerators vanish: give 0 (as torch), not 0/0
            den = B.where(B.binary("eq", den, 0), B.full((), 1, dt.name), den)
            ga = unbroadcast(B, B.binary("div", B.binary("mul", g, db), den), sa) \
                if ta is not None else None
            gb = unbroadcast(B, B.unary("neg", B.binary("div", B.binary("mul", g, da), den)), sb) \
                if tb is not None else None
            return ga, gb
    elif op == "remainder":
        def backward(g):
            ga = unbroadcast(B, g, sa) if ta is not None else None
            gb = None
            if tb is not None and tb.requires_grad:
                gb = unbroadcast(B, B.binary("mul", B.unary("neg", g),
                                             B.binary("floordiv", da, db)), sb)
            return ga, gb
    else:  # floordiv: piecewise constant
        def backward(g):
            return (B.full(sa, 0, dt.name) if ta is not None else None,
                    B.full(sb, 0, dt.name) if tb is not None else None)
    return make(out, B, dt, (ta, tb), backward, op)


# ---------------------------------------------------------------- public functions
def where(cond: Any, a: Any, b: Any) -> QTensor:
    """Elements of ``a`` where ``cond`` is true, else of ``b`` (broadcasting).

    >>> import vqnet_core as vq
    >>> vq.where(vq.tensor([True, False]), 1.0, 0.0).tolist()
    [1.0, 0.0]
    """
    cond = to_tensor(cond)
    B, dt, ta, da, tb, db = _operands(a, b, "where")
    c = cond._data if cond._dtype is bool_ else B.astype(cond._data, "bool")
    if ta is None:
        da = B.full((), da, dt.name)
    if tb is None:
        db = B.full((), db, dt.name)
    out = B.where(c, da, db)
    sa, sb = B.shape(da), B.shape(db)
    zero = B.full((), 0, dt.name)

    def backward(g):
        ga = unbroadcast(B, B.where(c, g, zero), sa) if ta is not None else None
        gb = unbroadcast(B, B.where(c, zero, g), sb) if tb is not None else None
        return ga, gb
    return make(out, B, dt, (ta, tb), backward, "where")


def clip(x: Any, min: Any = None, max: Any = None) -> QTensor:  # noqa: A002
    """Clamp values into ``[min, max]``; the gradient passes where the value was inside."""
    x = to_tensor(x)
    if x._dtype.kind == "c":
        raise TypeError("clip is not defined for complex tensors")
    out = x
    if min is not None:
        out = where(binary("lt", x, min), min, out)
    if max is not None:
        out = where(binary("gt", x, max), max, out)
    if out._dtype is not x._dtype and x._dtype.kind in "fc":
        out = out.astype(x._dtype)
    return out


def complex_(real: Any, imag: Any) -> QTensor:
    """A complex tensor from real and imaginary parts."""
    r = to_tensor(real)
    i = to_tensor(imag, r._b)
    dt = promote_types(r._dtype, i._dtype)
    if dt.kind not in "f":
        dt = get_default_dtype()
    cdt = dt.to_complex()
    return binary("add", r.astype(cdt), binary("mul", i.astype(cdt), 1j))


def astype(x: QTensor, dtype: Any) -> QTensor:
    """``x`` cast to ``dtype``; differentiable between float and complex dtypes."""
    d = as_dtype(dtype)
    if x._dtype is d:
        return x
    B = x._b
    if d.name not in B.capabilities.dtypes:
        raise TypeError(f"backend {B.name!r} does not support dtype {d.name}")
    src = x._dtype

    def backward(g):
        return (B.astype(g, src.name),)
    return make(B.astype(x._data, d.name), B, d, (x,),
                backward if src.kind in "fc" else None, "astype")

