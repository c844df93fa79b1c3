"""conv2d and max_pool2d kernels: C loops for the data movement, BLAS for the products.

conv2d is im2col (C, OpenMP) -> one GEMM per group (``numpy.matmul``, i.e. the BLAS NumPy
ships) -> a C pass that writes NCHW and adds the bias. The backward pass reuses the columns:
``gw = g @ col^T``, ``dcol = w^T @ g`` and a C col2im.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    pads = _pads4(padding)
    col = _ext.im2col(x, (kh, kw), tuple(stride), pads, tuple(dilation))
    k = cg * kh * kw
    ho = (x.shape[2] + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (x.shape[3] + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    w2 = np.ascontiguousarray(w).reshape(groups, o // groups, k)
    col3 = col.reshape(groups, k, col.shape[1])
    y = w2[0] @ col3[0] if groups == 1 else np.matmul(w2, col3).reshape(o, -1)
    out = _ext.rows_to_nchw(y, None if b is None else np.ascontiguousarray(b), n)
    ctx = (x.shape, w2, col3, tuple(stride), pads, tuple(dilation), w.shape, b is not None)
    return out.reshape(n, o, ho, wo), ctx


def conv2d_backward(g, ctx, needs):
    """Gradients ``(gx, gw, gb)`` of :func:`conv2d`; ``needs`` picks which to compute."""
    xshape, w2, col3, stride, pads, dilation, wshape, has_b = ctx
    g = np.asarray(g)
    if g.dtype != w2.dtype or g.ndim != 4 or g.shape[1] != wshape[0]:
        raise ValueError(f"conv2d_backward: gradient {g.dtype}{g.shape} does not match the "
                         f"forward output ({w2.dtype}, {wshape[0]} channels)")
    groups, og, k = w2.shape
    n, o = g.shape[:2]
    g2 = _ext.nchw_to_rows(g.reshape(n, o, -1))  # [O, N*P]
    g3 = g2.reshape(groups, og, -1)
    gx = gw = gb = None
    if needs[1]:
        gw = (g3[0] @ col3[0].T)[None] if groups == 1 else np.matmul(g3, col3.transpose(0, 2, 1))
        gw = gw.reshape(wshape)
    if needs[2] and has_b:
        gb = _ext.reduce(0, g2, o, g2.shape[1], 1)
    if needs[0]:
        dcol = (w2[0].T @ g3[0]) if groups == 1 else \
            np.matmul(w2.transpose(0, 2, 1), g3).reshape(groups * k, -1)
        gx = _ext.col2im(dcol, tuple(xshape), tuple(wshape[2:]), stride, pads, dilation)
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
