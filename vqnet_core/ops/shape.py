"""Movement and indexing ops: reshape, permute, concat, slicing, gather, scatter..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dtypes import bool_, int64, promote_types
from ._base import QTensor, make, norm_axis, to_tensor, unbroadcast


def _resolve_shape(shape: Sequence[int], size: int) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError(f"only one dimension can be -1 in shape {shape}")
    if any(s < -1 for s in shape):
        raise ValueError(f"invalid shape {shape}: negative dimension")
    if -1 in shape:
        rest = 1
        for s in shape:
            if s != -1:
                rest *= s
        if rest == 0 or size % rest:
            raise ValueError(f"cannot reshape a tensor of {size} elements into shape {shape}")
        shape = tuple(size // rest if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        n *= s
    if n != size:
        raise ValueError(f"cannot reshape a tensor of {size} elements into shape {shape}")
    return shape


def _shape_args(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _view(t: QTensor, op: str) -> QTensor:
    """Mark ``t`` as the result of a view op (PyTorch's would share memory with its input):
    the in-place methods refuse it, since here the write would not reach the input."""
    t._view = op
    return t


def reshape(x: Any, *shape: Any) -> QTensor:
    """``x`` with a new shape (one ``-1`` is inferred)."""
    x = to_tensor(x)
    B, old = x._b, x.shape
    new = _resolve_shape(_shape_args(shape), x.numel())
    if new == old:
        return x
    return _view(make(B.reshape(x._data, new), B, x._dtype, (x,),
                      lambda g: (B.reshape(g, old),), "reshape"), "reshape")


def permute(x: Any, *axes: Any) -> QTensor:
    """Reorder the axes of ``x``."""
    x = to_tensor(x)
    axes = tuple(norm_axis(int(a), x.ndim) for a in _shape_args(axes))
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of {x.ndim} axes")
    B = x._b
    inv = tuple(int(i) for i in np.argsort(axes))
    return _view(make(B.permute(x._data, axes), B, x._dtype, (x,),
                      lambda g: (B.permute(g, inv),), "permute"), "permute")


def transpose(x: Any, axis0: int | None = None, axis1: int | None = None) -> QTensor:
    """Swap two axes (the last two by default, as ``.T`` for matrices)."""
    x = to_tensor(x)
    if x.ndim < 2:
        return x
    a0 = norm_axis(-2 if axis0 is None else axis0, x.ndim)
    a1 = norm_axis(-1 if axis1 is None else axis1, x.ndim)
    axes = list(range(x.ndim))
    axes[a0], axes[a1] = axes[a1], axes[a0]
    return permute(x, axes)


def flatten(x: Any, start: int = 0, end: int = -1) -> QTensor:
    """Merge axes ``start..end`` into one."""
    x = to_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = norm_axis(start, x.ndim), norm_axis(end, x.ndim)
    shp = x.shape
    mid = 1
    for d in shp[s:e + 1]:
        mid *= d
    return reshape(x, shp[:s] + (mid,) + shp[e + 1:])


def squeeze(x: Any, axis: Any = None) -> QTensor:
    """Drop axes of size 1 (all of them, or those in ``axis``)."""
    x = to_tensor(x)
    if axis is None:
        return reshape(x, tuple(d for d in x.shape if d != 1))
    axes = {norm_axis(int(a), x.ndim) for a in ((axis,) if isinstance(axis, int) else axis)}
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if not (i in axes and d == 1)))


def unsqueeze(x: Any, axis: int) -> QTensor:
    """Insert an axis of size 1 at ``axis``."""
    x = to_tensor(x)
    ax = norm_axis(axis, x.ndim + 1)
    return reshape(x, x.shape[:ax] + (1,) + x.shape[ax:])


def broadcast_to(x: Any, *shape: Any) -> QTensor:
    """Expand ``x`` to ``shape`` (``-1`` keeps a dimension), like ``torch.expand``."""
    x = to_tensor(x)
    shape = _shape_args(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"cannot broadcast shape {x.shape} to {tuple(shape)}")
    shape = tuple(x.shape[i - lead] if s == -1 else int(s) for i, s in enumerate(shape))
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"cannot broadcast shape {x.shape} to {shape}") from None
    if shape == x.shape:
        return x
    B, old = x._b, x.shape
    return _view(make(B.broadcast_to(x._data, shape), B, x._dtype, (x,),
                      lambda g: (unbroadcast(B, g, old),), "broadcast_to"), "broadcast_to")


def _common(tensors: Sequence[Any]) -> list[QTensor]:
    ts = [to_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("expected a non-empty sequence of tensors")
    dt = ts[0]._dtype
    for t in ts[1:]:
        dt = promote_types(dt, t._dtype)
    return [t.astype(dt) for t in ts]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> QTensor:
    """Join tensors along an existing axis."""
    ts = _common(tensors)
    B, dt = ts[0]._b, ts[0]._dtype
    nd = ts[0].ndim
    if nd == 0:
        raise ValueError("cannot concatenate zero-dimensional tensors; use stack")
    ax = norm_axis(axis, nd)
    for t in ts:
        rest0 = ts[0].shape[:ax] + ts[0].shape[ax + 1:]
        if t.ndim != nd or t.shape[:ax] + t.shape[ax + 1:] != rest0:
            raise ValueError("concatenate: shapes " + ", ".join(str(t.shape) for t in ts)
                             + f" do not match outside axis {ax}")
    sizes = [t.shape[ax] for t in ts]
    out = B.concatenate([t._data for t in ts], ax)

    def backward(g):
        grads, start = [], 0
        for n in sizes:
            key = (slice(None),) * ax + (slice(start, start + n),)
            grads.append(B.getitem(g, key))
            start += n
        return grads
    return make(out, B, dt, tuple(ts), backward, "concatenate")


def stack(tensors: Sequence[Any], axis: int = 0) -> QTensor:
    """Join tensors of one shape along a new axis."""
    ts = _common(tensors)
    shapes = {t.shape for t in ts}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    ax = norm_axis(axis, ts[0].ndim + 1)
    return concatenate([unsqueeze(t, ax) for t in ts], ax)


def split(x: Any, split_size_or_sections: Any, axis: int = 0) -> list[QTensor]:
    """Split into pieces of one size (an int) or of the given sizes (a list)."""
    x = to_tensor(x)
    ax = norm_axis(axis, x.ndim)
    n = x.shape[ax]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError("split size must be positive")
        sizes = [min(step, n - i) for i in range(0, n, step)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split sizes {sizes} do not add up to {n}")
    out, start = [], 0
    for s in sizes:
        out.append(getitem(x, (slice(None),) * ax + (slice(start, start + s),)))
        start += s
    return out


def chunk(x: Any, chunks: int, axis: int = 0) -> list[QTensor]:
    """Split into ``chunks`` nearly equal pieces."""
    x = to_tensor(x)
    n = x.shape[norm_axis(axis, x.ndim)]
    return split(x, max(1, -(-n // chunks)), axis)


def tile(x: Any, reps: Sequence[int]) -> QTensor:
    """Repeat ``x`` ``reps[i]`` times along each axis (numpy.tile)."""
    x = to_tensor(x)
    reps = tuple(int(r) for r in (reps if isinstance(reps, (list, tuple)) else (reps,)))
    nd = max(len(reps), x.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    xs = reshape(x, (1,) * (nd - x.ndim) + x.shape)
    inter = []
    for d in xs.shape:
        inter += [1, d]
    y = reshape(xs, inter)
    target = []
    for r, d in zip(reps, xs.shape):
        target += [r, d]
    y = broadcast_to(y, target)
    return reshape(y, tuple(r * d for r, d in zip(reps, xs.shape)))


def repeat_interleave(x: Any, repeats: int, axis: int) -> QTensor:
    """Repeat each element ``repeats`` times along ``axis``."""
    x = to_tensor(x)
    ax = norm_axis(axis, x.ndim)
    y = unsqueeze(x, ax + 1)
    shp = list(y.shape)
    shp[ax + 1] = repeats
    y = broadcast_to(y, shp)
    return reshape(y, x.shape[:ax] + (x.shape[ax] * repeats,) + x.shape[ax + 1:])


def pad(x: Any, pads: Sequence[int], value: float = 0.0) -> QTensor:
    """Constant padding, PyTorch's order: ``(last_lo, last_hi, prev_lo, prev_hi, ...)``."""
    x = to_tensor(x)
    pads = [int(p) for p in pads]
    if len(pads) % 2 or len(pads) // 2 > x.ndim:
        raise ValueError(f"pad needs pairs for at most {x.ndim} axes, got {pads}")
    if any(p < 0 for p in pads):
        raise ValueError("negative padding is not supported")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pads) // 2):
        pairs[x.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    B, shape = x._b, x.shape
    key = tuple(slice(lo, lo + s) for (lo, _), s in zip(pairs, shape))
    return make(B.pad(x._data, tuple(pairs), value), B, x._dtype, (x,),
                lambda g: (B.getitem(g, key),), "pad")


def flip(x: Any, axis: Any = None) -> QTensor:
    """Reverse the order along ``axis`` (all axes when None)."""
    x = to_tensor(x)
    axes = tuple(range(x.ndim)) if axis is None else tuple(
        norm_axis(int(a), x.ndim) for a in ((axis,) if isinstance(axis, int) else axis))
    B = x._b
    return make(B.flip(x._data, axes), B, x._dtype, (x,), lambda g: (B.flip(g, axes),), "flip")


# ---------------------------------------------------------------- indexing
def _norm_key(x: QTensor, key: Any) -> tuple:
    """An index key with QTensors / lists turned into native index arrays; bounds checked."""
    B = x._b
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    dim = 0
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    for k in key:
        if isinstance(k, QTensor):
            if k._b is not B:
                raise ValueError("index tensor lives on another backend")
            if k._dtype.kind not in "bi":
                raise IndexError(f"tensors used as indices must be integer or bool, got "
                                 f"{k._dtype.name}")
            arr = k
        elif isinstance(k, (list, np.ndarray)):
            arr = to_tensor(np.asarray(k), B)
            if arr._dtype.kind not in "bi":
                raise IndexError("index arrays must be integer or bool")
        elif k is Ellipsis:
            out.append(k)
            dim += x.ndim - n_real
            continue
        elif k is None:
            out.append(None)
            continue
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            k = int(k)
            if dim >= x.ndim:
                raise IndexError(f"too many indices for a tensor of {x.ndim} dimensions")
            n = x.shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for axis {dim} with size {n}")
            out.append(k % n)
            dim += 1
            continue
        elif isinstance(k, slice):
            out.append(k)
            dim += 1
            continue
        else:
            raise IndexError(f"unsupported index of type {type(k).__name__}")
        if arr._dtype is bool_:
            need = arr.shape
            have = x.shape[dim:dim + len(need)]
            if need != have:
                raise IndexError(f"boolean index of shape {need} does not match the indexed "
                                 f"shape {have}")
            out.append(arr._data)
            dim += arr.ndim
        else:
            if dim >= x.ndim:
                raise IndexError(f"too many indices for a tensor of {x.ndim} dimensions")
            n = x.shape[dim]
            data = arr._data if arr._dtype is int64 else B.astype(arr._data, "int64")
            if arr.numel():
                lo = int(B.to_numpy(B.reduce("min", data, None, False)))
                hi = int(B.to_numpy(B.reduce("max", data, None, False)))
                if lo < -n or hi >= n:
                    raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for axis "
                                     f"{dim} with size {n}")
            out.append(data)
            dim += 1
    if dim > x.ndim:
        raise IndexError(f"too many indices for a tensor of {x.ndim} dimensions")
    return tuple(out)


def getitem(x: Any, key: Any) -> QTensor:
    """``x[key]`` with NumPy semantics; differentiable (scatter-add in backward)."""
    x = to_tensor(x)
    B, dt, shape = x._b, x._dtype, x.shape
    k = _norm_key(x, key)
    out = B.getitem(x._data, k)

    def backward(g):
        return (B.index_add(B.full(shape, 0, dt.name), k, g),)
    out = make(out, B, dt, (x,), backward, "getitem")
    if all(e is None or e is Ellipsis or isinstance(e, (int, slice)) for e in k):
        out._view = "getitem"  # basic indexing: a view in PyTorch (advanced indexing copies)
    return out


def index_put(x: Any, key: Any, value: Any) -> QTensor:
    """A copy of ``x`` with ``value`` written at ``key`` (out of place, differentiable)."""
    x = to_tensor(x)
    B, dt = x._b, x._dtype
    # a Python value is converted straight to x's dtype (no float32 rounding on the way)
    v = value.astype(dt) if isinstance(value, QTensor) else to_tensor(value, B, dt)
    k = _norm_key(x, key)
    sel_shape = B.shape(B.getitem(x._data, k))
    try:
        vb = B.broadcast_to(v._data, sel_shape)
    except ValueError:
        raise ValueError(f"cannot assign a value of shape {v.shape} to a selection of shape "
                         f"{tuple(sel_shape)}") from None
    # How often each element is selected: a repeated index writes the mean of its values
    # (all the same value for a broadcast scalar) instead of accumulating.
    cnt = B.index_add(B.full(x.shape, 0, dt.name), k, B.full(sel_shape, 1, dt.name))
    hit = B.binary("ne", cnt, 0)
    safe = B.where(hit, cnt, B.full((), 1, dt.name))
    written = B.binary("div", B.index_add(B.full(x.shape, 0, dt.name), k, vb), safe)
    out = B.where(hit, written, x._data)
    vshape = v.shape
    zero = B.full((), 0, dt.name)

    def backward(g):
        gx = B.where(hit, zero, g)
        gv = unbroadcast(B, B.getitem(B.binary("div", g, safe), k), vshape)
        return gx, gv
    return make(out, B, dt, (x, v), backward, "index_put")


def _index_extent(ishape: tuple[int, ...], shape: tuple[int, ...], ax: int, op: str) -> tuple:
    """The slice of ``shape`` an index of ``ishape`` covers outside axis ``ax`` (``-1``: all
    axes); a clear error where the index is larger."""
    if len(ishape) != len(shape) or any(i > n for d, (i, n) in enumerate(zip(ishape, shape))
                                        if d != ax):
        raise ValueError(f"{op}: index of shape {ishape} does not fit a tensor of shape {shape}"
                         + (f" outside axis {ax}" if ax >= 0 else ""))
    return tuple(slice(None) if d == ax else slice(0, i) for d, i in enumerate(ishape))


def gather(x: Any, axis: int, index: Any) -> QTensor:
    """``out[i][j] = x[index[i][j]][j]`` for axis 0 (torch.gather)."""
    x = to_tensor(x)
    B, dt, shape = x._b, x._dtype, x.shape
    idx = to_tensor(index, B)
    if idx._dtype.kind != "i":
        raise IndexError("gather index must be an integer tensor")
    if idx.ndim != x.ndim:
        raise ValueError(f"gather index must have {x.ndim} dimensions, got {idx.ndim}")
    ax = norm_axis(axis, x.ndim)
    idata = B.astype(idx._data, "int64")
    if idx.numel():
        lo = int(B.to_numpy(B.reduce("min", idata, None, False)))
        hi = int(B.to_numpy(B.reduce("max", idata, None, False)))
        if lo < 0 or hi >= shape[ax]:
            raise IndexError(f"gather index {hi if hi >= shape[ax] else lo} is out of range "
                             f"for axis {ax} of size {shape[ax]}")
    # torch lets the index be smaller than x outside ``axis``; the primitive wants them equal
    src = B.getitem(x._data, _index_extent(idx.shape, shape, ax, "gather"))
    out = B.gather(src, ax, idata)

    def backward(g):
        return (B.scatter_add(B.full(shape, 0, dt.name), ax, idata, g),)
    return make(out, B, dt, (x,), backward, "gather")


def scatter_add(x: Any, axis: int, index: Any, src: Any) -> QTensor:
    """A copy of ``x`` with ``src`` added at ``index`` along ``axis`` (torch.scatter_add)."""
    x = to_tensor(x)
    B, dt = x._b, x._dtype
    s = to_tensor(src, B).astype(dt)
    idx = to_tensor(index, B)
    if idx._dtype.kind != "i":
        raise IndexError("scatter_add index must be an integer tensor")
    ax = norm_axis(axis, x.ndim)
    idata = B.astype(idx._data, "int64")
    if idx.numel():
        lo = int(B.to_numpy(B.reduce("min", idata, None, False)))
        hi = int(B.to_numpy(B.reduce("max", idata, None, False)))
        if lo < 0 or hi >= x.shape[ax]:
            raise IndexError(f"scatter_add index out of range for axis {ax} of size "
                             f"{x.shape[ax]}")
    key = _index_extent(idx.shape, x.shape, ax, "scatter_add")
    _index_extent(idx.shape, s.shape, -1, "scatter_add")
    out = B.scatter_add(x._data, ax, idata, s._data)
    sshape = s.shape

    def backward(g):
        gs = B.gather(B.getitem(g, key), ax, idata)
        if B.shape(gs) != sshape:
            gs = B.pad(gs, tuple((0, a - b) for a, b in zip(sshape, B.shape(gs))), 0)
        return g, gs
    return make(out, B, dt, (x, s), backward, "scatter_add")
