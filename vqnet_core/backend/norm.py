"""Batch normalisation over [N, C, ...] for any NumPy-like array module ``xp`` (NumPy, CuPy):
the numpy backend's ``batch_norm`` kernels use it, and so may a plugin's.

>>> import numpy as np
>>> y, mean, var = batch_norm(np, np.array([[1.0], [3.0]]), None, None, None, None, 0.0)
>>> y.ravel().tolist(), mean.tolist(), var.tolist()
([-1.0, 1.0], [2.0], [1.0])
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["batch_norm", "batch_norm_backward"]


def batch_norm(xp: Any, x: Any, weight: Any, bias: Any, mean: Any, var: Any,
               eps: float) -> tuple[Any, Any, Any]:
    """``(y, mean, var)``: with ``mean`` / ``var`` None the batch's mean and biased variance
    per channel [C] (training), else the given ones."""
    xs = x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))  # -1 fails on N = 0
    if mean is None:
        mean = xs.mean(axis=(0, 2))
        var = xp.square(xs - mean[:, None]).mean(axis=(0, 2))
    scale = 1 / xp.sqrt(var + x.dtype.type(eps))
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale if bias is None else bias - mean * scale
    y = xs * scale[:, None] + shift[:, None]
    return y.reshape(x.shape), mean, var


def batch_norm_backward(xp: Any, g: Any, x: Any, weight: Any, mean: Any, var: Any, eps: float,
                        training: bool, needs: Any) -> tuple[Any, Any, Any]:
    """Gradients ``(dx, dweight, dbias)`` of :func:`batch_norm` (``needs`` picks)."""
    flat = (x.shape[0], x.shape[1], math.prod(x.shape[2:]))  # -1 fails on N = 0
    xs, gs = x.reshape(flat), g.reshape(flat)
    invstd = 1 / xp.sqrt(var + x.dtype.type(eps))
    xhat = (xs - mean[:, None]) * invstd[:, None]
    sum_g, sum_gx = gs.sum(axis=(0, 2)), (gs * xhat).sum(axis=(0, 2))
    dx = None
    if needs[0]:
        scale = invstd if weight is None else invstd * weight
        if training:  # the batch statistics depend on x too
            m = xs.size // max(x.shape[1], 1)
            dx = (gs - (sum_g[:, None] + xhat * sum_gx[:, None]) / m) * scale[:, None]
        else:
            dx = gs * scale[:, None]
        dx = dx.reshape(x.shape)
    dw = sum_gx if needs[1] and weight is not None else None
    db = sum_g if needs[2] else None
    return dx, dw, db
