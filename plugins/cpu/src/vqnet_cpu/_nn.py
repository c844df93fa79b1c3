"""conv2d and max_pool2d kernels: C loops for the data movement, BLAS for the products.

conv2d with few taps per output (a first layer) is a direct C loop. Otherwise it is, per block
of samples, im2col (C) -> one GEMM per group (``numpy.matmul``, i.e. the BLAS NumPy ships) ->
a C pass that writes NCHW and adds the bias. The backward pass reuses each block's columns:
``gw += (col @ g^T)^T``, ``dcol = w^T @ g`` and a C col2im.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from vqnet_core.backend.blas import SMALL_MNK, gemm_size, single_thread

from . import _ext

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _pads4(padding: Any) -> tuple[int, int, int, int]:
    (pt, pb), (pl, pr) = padding
    return int(pt), int(pb), int(pl), int(pr)


def _float4d(a: Any, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray) or a.dtype not in _FLOATS:
        raise TypeError(f"{name} must be a float32/float64 numpy array, got "
                        f"{getattr(a, 'dtype', type(a).__name__)}")
    if a.ndim != 4:
        raise ValueError(f"{name} must be 4-D, got shape {a.shape}")
    return a


#: Convolutions with a reduction size C/groups * kh * kw up to this run direct (C loops, no
#: im2col / GEMM): with so few taps the GEMM is bound by writing its [O, N*P] output, which
#: then needs one more pass back to NCHW; the direct loop writes NCHW once.
DIRECT_MAX_K = 32


def _gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``, on one BLAS thread when the product is small (the NumPy backend's policy:
    a woken BLAS thread on a busy 2-core machine stalls a small GEMM for a scheduler tick)."""
    with single_thread(gemm_size(a.shape, b.shape)):
        return a @ b


def conv2d(x, w, b, stride, padding, dilation, groups):
    """Forward conv2d: ``(out [N, O, Ho, Wo], ctx)``; see ``NumpyBackend.k_conv2d``."""
    x, w = _float4d(x, "conv2d input"), _float4d(w, "conv2d weight")
    if w.dtype != x.dtype or (b is not None and getattr(b, "dtype", None) != x.dtype):
        raise TypeError(f"conv2d operands must share one dtype, got {x.dtype}, {w.dtype}"
                        f"{'' if b is None else ', ' + str(getattr(b, 'dtype', type(b)))}")
    groups = int(groups)
    o, cg, kh, kw = w.shape
    n, c = x.shape[:2]
    if groups < 1 or c != cg * groups or o % groups:
        raise ValueError(f"conv2d: input channels {c}, weight {w.shape}, groups {groups} "
                         "do not fit")
    if b is not None and b.shape != (o,):
        raise ValueError(f"conv2d bias must have shape ({o},), got {b.shape}")
    pads, stride, dilation = _pads4(padding), tuple(stride), tuple(dilation)
    if groups == 1 and cg * kh * kw <= DIRECT_MAX_K:
        out = _ext.conv2d_direct(x, w, b, stride, pads, dilation)
        return out, ("direct", x, w, stride, pads, dilation, b is not None)
    return _gemm_conv2d(x, w, b, stride, pads, dilation, groups)


def _gemm_conv2d(x, w, b, stride, pads, dilation, groups):
    """Per block of samples: im2col -> GEMM -> NCHW (+ bias); the columns are kept for the
    backward pass."""
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    k = cg * kh * kw
    w2 = np.ascontiguousarray(w).reshape(groups, o // groups, k)
    b = None if b is None else np.ascontiguousarray(b)

    def block(se: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        s, e = se
        col3 = _ext.im2col(x[s:e], (kh, kw), stride, pads, dilation).reshape(groups, k, -1)
        y = _gemm(w2[0], col3[0]) if groups == 1 else np.matmul(w2, col3).reshape(o, -1)
        return _ext.rows_to_nchw(y, b, e - s), col3

    ho, wo = _out_hw(x.shape, (kh, kw), stride, pads, dilation)
    blocks = _blocks(n, c * kh * kw * max(ho, 0) * max(wo, 0), x.itemsize)
    done = _map_blocks(block, blocks)
    out = done[0][0] if len(done) == 1 else np.concatenate([r[0] for r in done])
    cols = [(s, e, r[1]) for (s, e), r in zip(blocks, done)]
    ctx = ("gemm", x.shape, w2, cols, stride, pads, dilation, w.shape, b is not None)
    return out.reshape(n, o, ho, wo), ctx


#: The GEMM path runs over blocks of samples whose column matrix takes about this many bytes:
#: each block is multiplied (and, backward, scattered by col2im) while it is still in L2,
#: instead of one batch-wide matrix streamed through the outer caches (W3's second conv at
#: batch 64, one thread: forward 3.9 -> 2.8 ms, backward 6.6 -> 5.6 ms).
BLOCK_BYTES = 1 << 20


def _map_blocks(fn: Callable[[Any], Any], items: list) -> list:
    """``[fn(item) for item in items]``, the blocks shared between this thread and helper
    threads (``get_num_threads()`` in all). Each takes the next block when it is free, so on
    a busy machine a thread that waits for a core simply takes fewer blocks (an OpenMP team
    would wait for it at the barrier). Only NumPy's BLAS and the extension's GIL-free loops
    run concurrently; BLAS is held to one thread meanwhile (no oversubscription)."""
    workers = min(len(items), _ext.get_num_threads())
    if workers <= 1:
        return [fn(it) for it in items]
    results: list = [None] * len(items)
    order = itertools.count()

    def work() -> None:
        while (i := next(order)) < len(items):
            results[i] = fn(items[i])

    with single_thread(SMALL_MNK):  # any size in the small range caps BLAS at one thread
        helpers = [_pool(workers - 1).submit(work) for _ in range(workers - 1)]
        try:
            work()
        finally:
            for f in helpers:  # a helper that never started is not waited for
                if not f.cancel():
                    f.result()
    return results


_POOL: list = [None, 0, 0]  # executor, its size, the process it belongs to


def _pool(n: int) -> ThreadPoolExecutor:
    """The helper threads (recreated when the count changes or in a forked child)."""
    if _POOL[1:] != [n, os.getpid()]:
        if _POOL[0] is not None and _POOL[2] == os.getpid():
            _POOL[0].shutdown(wait=False)
        _POOL[:] = [ThreadPoolExecutor(n, thread_name_prefix="vqnet-cpu"), n, os.getpid()]
    return _POOL[0]


def _blocks(n: int, col_items_per_sample: int, itemsize: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: ``range(n)`` in an even number of about equal blocks of at
    most about BLOCK_BYTES of columns each (even: two threads share them). The blocks depend
    on the shapes only, never on the thread count, so results are the same on any."""
    per_sample = max(1, col_items_per_sample * itemsize)
    count = -(-n * per_sample // BLOCK_BYTES)  # ceil
    if n * per_sample >= BLOCK_BYTES // 16:  # worth sharing: round up to an even count
        count += count % 2 if count > 1 else 2 - count
    count = max(1, min(n, count))
    edges = [n * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def _out_hw(xshape, kernel, stride, pads, dilation) -> tuple[int, int]:
    ho = (xshape[2] + pads[0] + pads[1] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    wo = (xshape[3] + pads[2] + pads[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    return ho, wo


def _check_grad(g: Any, dtype: np.dtype, shape: tuple) -> np.ndarray:
    """g as an array of the forward output's dtype and shape (-1: any size)."""
    g = np.asarray(g)
    if g.dtype != dtype or g.ndim != 4 or any(s not in (-1, t) for s, t in zip(shape, g.shape)):
        raise ValueError(f"conv2d_backward: gradient {g.dtype}{g.shape} does not match the "
                         f"forward output ({dtype}, shape {shape})")
    return g


def conv2d_backward(g, ctx, needs):
    """Gradients ``(gx, gw, gb)`` of :func:`conv2d`; ``needs`` picks which to compute."""
    if ctx[0] == "direct":
        return _direct_backward(g, ctx[1:], needs)
    xshape, w2, cols, stride, pads, dilation, wshape, has_b = ctx[1:]
    groups, o = w2.shape[0], wshape[0]
    g = _check_grad(g, w2.dtype, (xshape[0], o) + _out_hw(xshape, wshape[2:], stride, pads,
                                                          dilation))

    def block(item: tuple) -> tuple:
        s, e, col3 = item
        g2 = _ext.nchw_to_rows(g[s:e].reshape(e - s, o, -1))  # [O, block*P]
        gw = _weight_grad(g2, col3, groups) if needs[1] else None
        gb = _ext.reduce(0, g2, o, g2.shape[1], 1) if needs[2] and has_b else None
        gx = _input_grad(g2, w2, (e - s,) + tuple(xshape[1:]), wshape, stride, pads,
                         dilation) if needs[0] else None
        return gx, gw, gb

    parts = _map_blocks(block, cols)
    gx = [p[0] for p in parts] if needs[0] else None
    gx = gx if gx is None else gx[0] if len(gx) == 1 else np.concatenate(gx)
    gw = _total([p[1] for p in parts])  # summed in block order: the same on any schedule
    return gx, None if gw is None else gw.reshape(wshape), _total([p[2] for p in parts])


def _total(parts: list) -> np.ndarray | None:
    if parts[0] is None:
        return None
    acc = parts[0]
    for v in parts[1:]:
        acc += v  # the blocks' own fresh arrays
    return acc


def _weight_grad(g2: np.ndarray, col3: np.ndarray, groups: int) -> np.ndarray:
    """``g @ col^T`` per group, [groups, O/groups, K]."""
    if groups == 1:  # (col @ g^T)^T: BLAS runs this orientation markedly faster
        return np.ascontiguousarray(_gemm(col3[0], g2.T).T)[None]
    g3 = g2.reshape(groups, -1, g2.shape[1])
    return np.matmul(g3, col3.transpose(0, 2, 1))


def _input_grad(g2, w2, xshape, wshape, stride, pads, dilation):
    """``col2im(w^T @ g)``: the input gradient from g in rows layout [O, N*P]."""
    groups, og, k = w2.shape
    g3 = g2.reshape(groups, og, -1)
    dcol = _gemm(w2[0].T, g3[0]) if groups == 1 else \
        np.matmul(w2.transpose(0, 2, 1), g3).reshape(groups * k, -1)
    return _ext.col2im(dcol, tuple(xshape), tuple(wshape[2:]), stride, pads, dilation)


def _direct_backward(g, ctx, needs):
    x, w, stride, pads, dilation, has_b = ctx
    g = _check_grad(g, w.dtype, (x.shape[0], w.shape[0], -1, -1))  # the C call checks H, W
    gx = gw = gb = None
    if needs[1] or (needs[2] and has_b):
        gw, gb = _ext.conv2d_direct_backward_weight(x, g, w.shape[2:], stride, pads, dilation,
                                                     bool(needs[2] and has_b))
        gw = gw if needs[1] else None
    if needs[0]:
        n, o = g.shape[:2]
        g2 = _ext.nchw_to_rows(g.reshape(n, o, -1))
        w2 = np.ascontiguousarray(w).reshape(1, o, -1)
        gx = _input_grad(g2, w2, x.shape, w.shape, stride, pads, dilation)
    return gx, gw, gb


def max_pool2d(x, kernel, stride, padding, dilation):
    """Forward max pooling: ``(out, ctx)``; ties go to the first window element."""
    x = _float4d(x, "max_pool2d input")
    out, idx = _ext.max_pool2d(x, tuple(kernel), tuple(stride), _pads4(padding),
                               tuple(dilation))
    return out, (x.shape[2], x.shape[3], idx)


def max_pool2d_backward(g, ctx):
    """Gradient of :func:`max_pool2d` with respect to its input."""
    h, w, idx = ctx
    return _ext.max_pool2d_backward(np.asarray(g), idx, h, w)
