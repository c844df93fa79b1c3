"""Reductions, scans, sorting and their derivative rules."""

from __future__ import annotations

import builtins
from typing import Any

from ..dtypes import bool_, get_default_dtype, int64
from . import elementwise as ew
from ._base import QTensor, make, norm_axes, norm_axis, to_tensor


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    if axes is None:
        return tuple(1 for _ in shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(B, g, shape, axes, keepdims):
    if not keepdims:
        g = B.reshape(g, _keep_shape(shape, axes))
    return B.broadcast_to(g, shape)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None).

    >>> import vqnet_core as vq
    >>> vq.sum(vq.tensor([[1., 2.], [3., 4.]]), axis=1).tolist()
    [3.0, 7.0]
    """
    x = to_tensor(x)
    B, shape = x._b, x.shape
    axes = norm_axes(axis, len(shape))
    dt = int64 if x._dtype.kind in "bi" else x._dtype
    data = x._data if x._dtype is dt else B.astype(x._data, dt.name)
    out = B.reduce("sum", data, axes, keepdims)

    def backward(g):
        return (_expand_back(B, g, shape, axes, keepdims),)
    return make(out, B, dt, (x,), backward, "sum")


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:
    """Arithmetic mean over ``axis``; integer input gives the default float dtype."""
    x = to_tensor(x)
    if x._dtype.kind in "bi":
        x = x.astype(get_default_dtype())
    axes = norm_axes(axis, x.ndim)
    n = 1
    for i, s in enumerate(x.shape):
        if axes is None or i in axes:
            n *= s
    return ew.binary("div", sum(x, axes, keepdims), float(n) if n else float("nan"))


def var(x: Any, axis: Any = None, keepdims: bool = False, unbiased: bool = True) -> QTensor:
    """Variance over ``axis`` (Bessel-corrected when ``unbiased``)."""
    x = to_tensor(x)
    axes = norm_axes(axis, x.ndim)
    n = 1
    for i, s in enumerate(x.shape):
        if axes is None or i in axes:
            n *= s
    d = ew.binary("sub", x, mean(x, axes, True))
    sq = ew.binary("mul", d, ew.unary("conj", d)) if x._dtype.kind == "c" else ew.unary("square", d)
    if x._dtype.kind == "c":
        sq = ew.unary("real", sq)
    dof = float(builtins.max(n - (1 if unbiased else 0), 0))
    return ew.binary("div", sum(sq, axes, keepdims), dof)


def std(x: Any, axis: Any = None, keepdims: bool = False, unbiased: bool = True) -> QTensor:
    """Standard deviation over ``axis`` (gradient 0 where it is 0, as in torch)."""
    return _root(var(x, axis, keepdims, unbiased), 2.0)


def _root(s: QTensor, p: float) -> QTensor:
    """``s ** (1/p)`` for ``s >= 0``, with gradient 0 where ``s == 0`` (a norm's subgradient)
    instead of the ``inf * 0 = nan`` the chain rule would give."""
    B, dt = s._b, s._dtype
    data = s._data
    out = B.unary("sqrt", data) if p == 2.0 else B.binary("pow", data, 1.0 / p)

    def backward(g):
        zero = B.binary("eq", data, 0)
        safe = B.where(zero, B.full((), 1, dt.name), data)
        d = B.binary("div", out, B.binary("mul", safe, p))
        return (B.where(zero, B.full((), 0, dt.name), B.binary("mul", g, d)),)
    return make(out, B, dt, (s,), backward, "root")


def _extreme(op: str, x: Any, axis: Any, keepdims: bool) -> QTensor:
    x = to_tensor(x)
    if x._dtype.kind == "c":
        raise TypeError(f"{op} is not defined for complex tensors")
    B, shape = x._b, x.shape
    if 0 in shape and axis is None:
        raise ValueError(f"{op} of an empty tensor")
    axes = norm_axes(axis, len(shape))
    out = B.reduce(op, x._data, axes, keepdims)
    dt = x._dtype

    def backward(g):
        # The gradient is shared evenly between tied extremes (as torch.amax does).
        ok = _expand_back(B, out, shape, axes, keepdims)
        mask = B.astype(B.binary("eq", x._data, ok), dt.name)
        cnt = B.reduce("sum", mask, axes, True)
        return (B.binary("div", B.binary("mul", mask, _expand_back(B, g, shape, axes, keepdims)),
                         B.broadcast_to(cnt, shape)),)
    return make(out, B, dt, (x,), backward, op)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:  # noqa: A001
    """Largest value over ``axis``."""
    return _extreme("max", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:  # noqa: A001
    """Smallest value over ``axis``."""
    return _extreme("min", x, axis, keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:
    """Product over ``axis``; the gradient is exact even with zeros in the input."""
    from . import shape as sh

    x = to_tensor(x)
    if x._dtype.kind in "bi":
        x = x.astype(int64)
    axes = norm_axes(axis, x.ndim)
    if axes is None:
        axes = tuple(range(x.ndim))
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = sh.permute(x, keep + list(axes))
    lead = tuple(x.shape[i] for i in keep)
    flat = sh.reshape(moved, lead + (-1,))
    # exclusive products from the left and from the right, multiplied: zero-safe
    out = _scan_prod_last(flat)
    if keepdims:
        out = sh.reshape(out, tuple(1 if i in axes else s for i, s in enumerate(x.shape)))
    return out


def _scan_prod_last(flat: QTensor) -> QTensor:
    B, dt = flat._b, flat._dtype
    data = flat._data
    n = flat.shape[-1]
    out = B.reduce("prod", data, (flat.ndim - 1,), False)

    def backward(g):
        ones = B.full(B.shape(data)[:-1] + (1,), 1, dt.name)
        left = B.concatenate([ones, B.scan("cumprod", data, flat.ndim - 1)], flat.ndim - 1)
        left = B.getitem(left, (Ellipsis, slice(0, n)))
        rev = B.flip(data, (flat.ndim - 1,))
        right = B.concatenate([ones, B.scan("cumprod", rev, flat.ndim - 1)], flat.ndim - 1)
        right = B.flip(B.getitem(right, (Ellipsis, slice(0, n))), (flat.ndim - 1,))
        excl = B.binary("mul", left, right)
        if dt.kind == "c":
            excl = B.unary("conj", excl)
        return (B.binary("mul", B.reshape(g, B.shape(g) + (1,)), excl),)
    return make(out, B, dt, (flat,), backward, "prod")


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = to_tensor(x)
    axes = norm_axes(axis, x.ndim)
    m = _extreme("max", x.detach(), axes, True)
    m = ew.where(ew.unary("isfinite", m), m, 0.0)
    s = sum(ew.unary("exp", ew.binary("sub", x, m)), axes, True)
    out = ew.binary("add", ew.unary("log", s), m)
    if not keepdims:
        from . import shape as sh
        out = sh.reshape(out, tuple(d for i, d in enumerate(x.shape)
                                    if axes is not None and i not in axes))
    return out


def norm(x: Any, p: float = 2, axis: Any = None, keepdims: bool = False) -> QTensor:
    """Vector p-norm over ``axis`` (all elements when None)."""
    x = to_tensor(x)
    a = ew.unary("abs", x)
    if p == float("inf"):
        return max(a, axis, keepdims)
    if p == 1:
        return sum(a, axis, keepdims)
    if p == 2:
        return _root(sum(ew.unary("square", a), axis, keepdims), 2.0)
    return _root(sum(ew.binary("pow", a, float(p)), axis, keepdims), float(p))


def _arg(op: str, x: Any, axis: Any, keepdims: bool) -> QTensor:
    x = to_tensor(x)
    if x._dtype.kind == "c":
        raise TypeError(f"{op} is not defined for complex tensors")
    ax = None if axis is None else norm_axis(int(axis), x.ndim)
    if x.numel() == 0:
        raise ValueError(f"{op} of an empty tensor")
    return make(x._b.arg_reduce(op, x._data, ax, keepdims), x._b, int64, (), None)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:
    """Index of the largest value along ``axis`` (flattened when None)."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:
    """Index of the smallest value along ``axis`` (flattened when None)."""
    return _arg("argmin", x, axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:  # noqa: A001
    """Whether any element along ``axis`` is true."""
    x = to_tensor(x)
    return make(x._b.reduce("any", x._data, norm_axes(axis, x.ndim), keepdims), x._b, bool_,
                (), None)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> QTensor:  # noqa: A001
    """Whether every element along ``axis`` is true."""
    x = to_tensor(x)
    return make(x._b.reduce("all", x._data, norm_axes(axis, x.ndim), keepdims), x._b, bool_,
                (), None)


def cumsum(x: Any, axis: int = 0) -> QTensor:
    """Inclusive cumulative sum along ``axis``."""
    x = to_tensor(x)
    B = x._b
    ax = norm_axis(axis, x.ndim)
    dt = int64 if x._dtype.kind in "bi" else x._dtype
    data = x._data if dt is x._dtype else B.astype(x._data, dt.name)
    out = B.scan("cumsum", data, ax)

    def backward(g):
        return (B.flip(B.scan("cumsum", B.flip(g, (ax,)), ax), (ax,)),)
    return make(out, B, dt, (x,), backward, "cumsum")


def cumprod(x: Any, axis: int = 0) -> QTensor:
    """Inclusive cumulative product along ``axis``; the gradient is exact with zeros too."""
    x = to_tensor(x)
    B = x._b
    ax = norm_axis(axis, x.ndim)
    dt = int64 if x._dtype.kind in "bi" else x._dtype
    data = x._data if dt is x._dtype else B.astype(x._data, dt.name)
    out = B.scan("cumprod", data, ax)
    cplx = dt.kind == "c"

    def backward(g):
        if bool(B.to_numpy(B.reduce("any", B.binary("eq", data, 0), None, False))):
            return (_cumprod_grad_with_zeros(B, g, data, ax, dt),)
        # no zeros: sum_{j>=k} g_j out_j / x_k
        w = B.binary("mul", g, B.unary("conj", out) if cplx else out)
        s = B.flip(B.scan("cumsum", B.flip(w, (ax,)), ax), (ax,))
        return (B.binary("div", s, B.unary("conj", data) if cplx else data),)
    return make(out, B, dt, (x,), backward, "cumprod")


def _cumprod_grad_with_zeros(B, g, data, ax, dt):
    """grad_k = prod_{i<k} x_i * sum_{j>=k} g_j prod_{k<i<=j} x_i, division-free: O(n^2)."""
    import numpy as np

    nd = len(B.shape(data))
    perm = tuple(i for i in range(nd) if i != ax) + (ax,)
    inv = tuple(int(i) for i in np.argsort(perm))
    x = B.permute(data, perm)
    gl = B.permute(g, perm)
    shp = B.shape(x)
    n = shp[-1]
    lead = shp[:-1]
    xx = B.broadcast_to(B.reshape(x, lead + (1, n)), lead + (n, n))  # [..., k, j] = x_j
    upper = B.from_numpy(np.triu(np.ones((n, n), dtype=bool), 1))  # j > k
    one, zero = B.full((), 1, dt.name), B.full((), 0, dt.name)
    run = B.scan("cumprod", B.where(upper, xx, one), nd)  # prod_{k<i<=j} x_i (1 for j<=k)
    if dt.kind == "c":
        run = B.unary("conj", run)
    upper_eq = B.from_numpy(np.triu(np.ones((n, n), dtype=bool)))  # j >= k
    contrib = B.where(upper_eq, B.binary("mul", B.reshape(gl, lead + (1, n)), run), zero)
    s = B.reduce("sum", contrib, (nd,), False)
    ones = B.full(lead + (1,), 1, dt.name)
    excl = B.getitem(B.concatenate([ones, B.scan("cumprod", x, nd - 1)], nd - 1),
                     (Ellipsis, slice(0, n)))
    if dt.kind == "c":
        excl = B.unary("conj", excl)
    return B.permute(B.binary("mul", excl, s), inv)


def sort(x: Any, axis: int = -1, descending: bool = False) -> tuple[QTensor, QTensor]:
    """Stable sort along ``axis``: ``(values, indices)``."""
    x = to_tensor(x)
    if x._dtype.kind == "c":
        raise TypeError("sort is not defined for complex tensors")
    B, dt, shape = x._b, x._dtype, x.shape
    ax = norm_axis(axis, x.ndim)
    vals, idx = B.sort(x._data, ax, descending)

    def backward(g):
        return (B.scatter_add(B.full(shape, 0, dt.name), ax, idx, g),)
    return make(vals, B, dt, (x,), backward, "sort"), make(idx, B, int64, (), None)


def argsort(x: Any, axis: int = -1, descending: bool = False) -> QTensor:
    """Indices that sort ``x`` along ``axis``."""
    return sort(x, axis, descending)[1]


def topk(x: Any, k: int, axis: int = -1, largest: bool = True,
         sorted: bool = True) -> tuple[QTensor, QTensor]:  # noqa: A002
    """The ``k`` largest (or smallest) values along ``axis`` and their indices."""
    from . import shape as sh

    x = to_tensor(x)
    ax = norm_axis(axis, x.ndim)
    n = x.shape[ax] if x.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for a dimension of size {n}")
    vals, idx = sort(x, ax, descending=largest)
    key = [slice(None)] * x.ndim
    key[ax] = slice(0, k)
    return sh.getitem(vals, tuple(key)), sh.getitem(idx, tuple(key))
