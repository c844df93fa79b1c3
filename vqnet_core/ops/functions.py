"""The public tensor functions (``vqnet_core.exp``, ``x.exp()``, ...), gathered in one place."""

from __future__ import annotations

from typing import Any

from . import elementwise as _ew
from .creation import (  # noqa: F401
    arange,
    bernoulli,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    get_rng_state,
    linspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    set_rng_state,
    tensor,
    uniform,
    zeros,
    zeros_like,
)
from .elementwise import astype, binary, clip, unary, where  # noqa: F401
from .elementwise import complex_ as complex  # noqa: F401,A001
from .linalg import dot, einsum, kron, matmul, outer  # noqa: F401
from .reduction import (  # noqa: F401
    all,
    any,
    argmax,
    argmin,
    argsort,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    sort,
    std,
    sum,
    topk,
    var,
)
from .shape import (  # noqa: F401
    broadcast_to,
    chunk,
    concatenate,
    flatten,
    flip,
    gather,
    getitem,
    index_put,
    pad,
    permute,
    repeat_interleave,
    reshape,
    scatter_add,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unsqueeze,
)

_UNARY_PUBLIC = [
    "neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "floor", "ceil",
    "round", "trunc", "conj", "angle", "logical_not", "isnan", "isinf", "isfinite", "sigmoid",
    "reciprocal", "square",
]
_BINARY_PUBLIC = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow",
    "maximum": "maximum", "minimum": "minimum", "atan2": "atan2", "floor_divide": "floordiv",
    "remainder": "remainder", "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt",
    "ge": "ge", "logical_and": "logical_and", "logical_or": "logical_or",
    "logical_xor": "logical_xor",
}


def _make_unary(op: str):
    def f(x: Any):
        return _ew.unary(op, x)
    f.__name__ = op
    f.__doc__ = f"Elementwise ``{op}``."
    return f


def _make_binary(name: str, op: str):
    def f(a: Any, b: Any):
        return _ew.binary(op, a, b)
    f.__name__ = name
    f.__doc__ = f"Elementwise, broadcasting ``{op}``."
    return f


for _op in _UNARY_PUBLIC:
    globals()[_op] = _make_unary(_op)
for _name, _op in _BINARY_PUBLIC.items():
    globals()[_name] = _make_binary(_name, _op)

real = _make_unary("real")
imag = _make_unary("imag")
negative = globals()["neg"]
multiply = globals()["mul"]
divide = globals()["div"]
subtract = globals()["sub"]
power = globals()["pow"]
clamp = clip
concat = concatenate
cat = concatenate
swapaxes = transpose
expand = broadcast_to
view = reshape
amax = max
amin = min


def rsqrt(x: Any):
    """Elementwise ``1 / sqrt(x)``."""
    return _ew.unary("reciprocal", _ew.unary("sqrt", x))


def relu(x: Any):
    """Elementwise ``max(x, 0)`` (:func:`vqnet_core.nn.functional.relu`)."""
    from ..nn.functional import relu as _relu
    return _relu(x)


def softmax(x: Any, axis: int = -1):
    """Softmax along ``axis``."""
    e = _ew.unary("exp", _ew.binary("sub", x, max(x, axis, True).detach()))
    return _ew.binary("div", e, sum(e, axis, True))


def log_softmax(x: Any, axis: int = -1):
    """Log of the softmax along ``axis``, computed stably."""
    return _ew.binary("sub", x, logsumexp(x, axis, True))


def diag(x: Any):
    """The diagonal of a matrix, or a diagonal matrix from a vector."""
    from ._base import to_tensor

    x = to_tensor(x)
    if x.ndim == 1:
        n = x.shape[0]
        return _ew.binary("mul", eye(n, dtype=x.dtype, backend=x._b), reshape(x, (1, n)))
    if x.ndim == 2:
        n = x.shape[0] if x.shape[0] < x.shape[1] else x.shape[1]
        idx = arange(n, backend=x._b)
        return getitem(x, (idx, idx))
    raise ValueError("diag needs a 1-D or 2-D tensor")


def trace(x: Any):
    """Sum of the diagonal of a matrix."""
    return sum(diag(x))


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether two tensors are elementwise equal within tolerances."""
    import numpy as np

    from ._base import to_tensor
    return bool(np.allclose(to_tensor(a).numpy(), to_tensor(b).numpy(), rtol=rtol, atol=atol))


#: Functions that are also QTensor methods (``x.exp()``, ``x.sum(axis=1)``, ...).
TENSOR_METHODS = _UNARY_PUBLIC + list(_BINARY_PUBLIC) + [
    "rsqrt", "relu", "softmax", "log_softmax", "clip", "clamp", "sum", "mean", "var", "std",
    "max", "min", "amax", "amin", "prod", "logsumexp", "norm", "argmax", "argmin", "any", "all",
    "cumsum", "cumprod", "sort", "argsort", "topk", "reshape", "view", "permute", "transpose",
    "swapaxes", "flatten", "squeeze", "unsqueeze", "broadcast_to", "expand", "split", "chunk",
    "tile", "repeat_interleave", "flip", "gather", "scatter_add", "matmul", "dot", "diag",
    "trace", "where_",
]


def where_(x: Any, cond: Any, other: Any):
    """``x`` where ``cond`` else ``other`` (method form: ``x.where_(cond, other)``)."""
    return _ew.where(cond, x, other)


def expand_as(x: Any, other: Any):
    """``x`` broadcast to the shape of ``other``."""
    return broadcast_to(x, other.shape)


def reshape_as(x: Any, other: Any):
    return reshape(x, other.shape)


def view_as(x: Any, other: Any):
    return reshape(x, other.shape)


TENSOR_METHODS += ["expand_as", "reshape_as", "view_as"]
