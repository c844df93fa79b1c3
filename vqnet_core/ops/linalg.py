"""Contractions: matmul, einsum and friends."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dtypes import promote_types
from ._base import QTensor, make, to_tensor, unbroadcast
from .shape import broadcast_to, reshape


def matmul(a: Any, b: Any) -> QTensor:
    """Matrix product with NumPy's rules for 1-D operands and batch broadcasting.

    >>> import vqnet_core as vq
    >>> vq.matmul(vq.eye(2), vq.tensor([1., 2.])).tolist()
    [1.0, 2.0]
    """
    a, b = to_tensor(a), to_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs tensors of at least one dimension")
    if a._b is not b._b:
        raise ValueError("matmul operands live on different backends")
    dt = promote_types(a._dtype, b._dtype)
    a, b = a.astype(dt), b.astype(dt)
    if a.ndim == 1 and b.ndim == 1:
        if a.shape != b.shape:
            raise ValueError(f"matmul: 1-D operands of sizes {a.shape[0]} and {b.shape[0]} "
                             "differ")
        return reshape(matmul(reshape(a, (1, -1)), reshape(b, (-1, 1))), ())
    if a.ndim == 1:
        return reshape(matmul(reshape(a, (1, -1)), b), b.shape[:-2] + b.shape[-1:])
    if b.ndim == 1:
        return reshape(matmul(a, reshape(b, (-1, 1))), a.shape[:-1])
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({a.shape[-1]} != {b.shape[-2]})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch shapes {a.shape[:-2]} and {b.shape[:-2]} do not "
                         "broadcast") from None
    B = a._b
    da, db = a._data, b._data
    sa, sb = a.shape, b.shape
    cplx = dt.kind == "c"

    def _h(x):  # conjugate transpose of the last two axes
        n = len(B.shape(x))
        x = B.permute(x, tuple(range(n - 2)) + (n - 1, n - 2))
        return B.unary("conj", x) if cplx else x

    def backward(g):
        ga = unbroadcast(B, B.matmul(g, _h(db)), sa) if a.requires_grad else None
        gb = unbroadcast(B, B.matmul(_h(da), g), sb) if b.requires_grad else None
        return ga, gb
    return make(B.matmul(da, db), B, dt, (a, b), backward, "matmul")


def dot(a: Any, b: Any) -> QTensor:
    """Inner product of two 1-D tensors (no conjugation, like ``torch.dot``)."""
    a, b = to_tensor(a), to_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("dot needs two 1-D tensors")
    return matmul(a, b)


def outer(a: Any, b: Any) -> QTensor:
    """Outer product of two 1-D tensors."""
    a, b = to_tensor(a), to_tensor(b)
    return matmul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


# ---------------------------------------------------------------- einsum
def _parse(spec: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    spec = spec.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: spec {spec!r} names {len(ins)} operands, got {len(shapes)}")
    used = set(spec) - set(".,->")
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    ell = max((len(s) - (len(t) - 3) for t, s in zip(ins, shapes) if "..." in t), default=0)
    ell_letters = "".join(spare[:ell])
    full = []
    for t, s in zip(ins, shapes):
        if "..." in t:
            n = len(s) - (len(t) - 3)
            t = t.replace("...", ell_letters[ell - n:] if n else "")
        if len(t) != len(s):
            raise ValueError(f"einsum: operand spec {t!r} does not match a shape {s}")
        if not all(c.isalpha() for c in t):
            raise ValueError(f"einsum: invalid subscripts in {spec!r}")
        full.append(t)
    if arrow:
        out = out.replace("...", ell_letters)
    else:
        counts: dict[str, int] = {}
        for t in full:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell_letters + "".join(sorted(c for c, k in counts.items()
                                           if k == 1 and c not in ell_letters))
    for c in out:
        if not any(c in t for t in full):
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand")
    for t in full:
        if len(set(t)) != len(t):
            raise ValueError(f"einsum: repeated subscript within operand {t!r} (diagonals) "
                             "is not supported")
    return full, out


def einsum_reference(B, spec_in: Sequence[str], spec_out: str, arrays: Sequence[Any]) -> Any:
    """Reference composition of einsum from primitives: align, multiply, sum."""
    letters = list(spec_out) + sorted({c for t in spec_in for c in t} - set(spec_out))
    prod = None
    for t, x in zip(spec_in, arrays):
        order = [c for c in letters if c in t]
        x = B.permute(x, tuple(t.index(c) for c in order))
        shp = B.shape(x)
        it = iter(shp)
        x = B.reshape(x, tuple(next(it) if c in t else 1 for c in letters))
        prod = x if prod is None else B.binary("mul", prod, x)
    summed = tuple(range(len(spec_out), len(letters)))
    out = B.reduce("sum", prod, summed, False) if summed else prod
    sizes = {}
    for t, x in zip(spec_in, arrays):
        for c, s in zip(t, B.shape(x)):
            sizes[c] = s
    return B.broadcast_to(out, tuple(sizes[c] for c in spec_out))


def _einsum_raw(B, spec_in, spec_out, arrays):
    k = B.kernel("einsum")
    if k is not None:
        return k(",".join(spec_in) + "->" + spec_out, *arrays)
    return einsum_reference(B, spec_in, spec_out, arrays)


def einsum(spec: str, *operands: Any) -> QTensor:
    """Einstein summation, differentiable in every operand.

    >>> import vqnet_core as vq
    >>> vq.einsum("ij,j->i", vq.eye(2), vq.tensor([3., 4.])).tolist()
    [3.0, 4.0]
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [to_tensor(o) for o in operands]
    dt = ts[0]._dtype
    for t in ts[1:]:
        dt = promote_types(dt, t._dtype)
    ts = [t.astype(dt) for t in ts]
    spec_in, spec_out = _parse(spec, [t.shape for t in ts])
    # make every letter's size agree (broadcast size-1 axes explicitly)
    sizes: dict[str, int] = {}
    for t, x in zip(spec_in, ts):
        for c, s in zip(t, x.shape):
            if s != 1:
                if sizes.get(c, s) != s:
                    raise ValueError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {s}")
                sizes[c] = s
    ts = [broadcast_to(x, tuple(sizes.get(c, 1) for c in t)) for t, x in zip(spec_in, ts)]
    B = ts[0]._b
    arrays = [t._data for t in ts]
    out = _einsum_raw(B, spec_in, spec_out, arrays)
    cplx = dt.kind == "c"

    def backward(g):
        grads = []
        for i, (t, x) in enumerate(zip(spec_in, ts)):
            if not x.requires_grad:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(spec_in, arrays)) if j != i]
            present = set(spec_out).union(*[set(s) for s, _ in others])
            kept = "".join(c for c in t if c in present)
            ops = [g] + [B.unary("conj", a) if cplx else a for _, a in others]
            gi = _einsum_raw(B, [spec_out] + [s for s, _ in others], kept, ops)
            if kept != t:
                it = iter(B.shape(gi))
                gi = B.reshape(gi, tuple(next(it) if c in kept else 1 for c in t))
                gi = B.broadcast_to(gi, x.shape)
            grads.append(gi)
        return grads
    return make(out, B, dt, tuple(ts), backward, "einsum")


def kron(a: Any, b: Any) -> QTensor:
    """Kronecker product of two 2-D tensors."""
    a, b = to_tensor(a), to_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError("kron needs two 2-D tensors")
    out = einsum("ij,kl->ikjl", a, b)
    return reshape(out, (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))
