"""avg_pool2d and batch_norm kernels (+ backward) in C; see ``NumpyBackend.k_avg_pool2d`` and
``NumpyBackend.k_batch_norm`` for the contracts. Sums run in double; batch norm is one
OpenMP task per channel (statistics, normalisation and the backward's sums in one sweep of
that channel's rows)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ext
from ._nn import _pads4


def _divisor(divisor_override: Any) -> float:
    return float(divisor_override) if divisor_override else 0.0  # 0: no override


def avg_pool2d(x, kernel, stride, padding, count_include_pad, divisor_override):
    """Forward average pooling of x [N, C, H, W]: ``(out, ctx)``."""
    geom = (tuple(kernel), tuple(stride), _pads4(padding), bool(count_include_pad),
            _divisor(divisor_override))
    out = _ext.avg_pool2d(x, *geom)
    return out, (x.shape[2], x.shape[3]) + geom


def avg_pool2d_backward(g, ctx):
    """Gradient of :func:`avg_pool2d` with respect to its input."""
    return _ext.avg_pool2d_backward(np.asarray(g), *ctx)


def _opt(a: Any) -> Any:
    return None if a is None else np.asarray(a)


def batch_norm(x, weight, bias, mean, var, eps):
    """``(y, mean, var)``: batch statistics when ``mean`` / ``var`` are None."""
    return _ext.batch_norm(x, _opt(weight), _opt(bias), _opt(mean), _opt(var), float(eps))


def batch_norm_backward(g, x, weight, mean, var, eps, training, needs):
    """``(dx, dweight, dbias)`` of :func:`batch_norm`; ``needs`` picks which."""
    return _ext.batch_norm_backward(np.asarray(g), x, _opt(weight), mean, var, float(eps),
                                    bool(training), *(bool(n) for n in needs))
