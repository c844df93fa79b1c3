"""Window helpers of the pooling and convolution kernels, for any NumPy-like array module
``xp`` (NumPy, CuPy): the numpy backend's kernels use them, and so may a plugin's.

A 2-D window op over [N, C, H, W] is a sum (or max) over the ``kh * kw`` *taps*: tap (i, j) is
the strided slice of the padded input that each window's (i, j) element comes from.

>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> out, ctx = avg_pool2d(np, x, (2, 2), (2, 2), ((0, 0), (0, 0)), True, None)
>>> out[0, 0].tolist()
[[2.5, 4.5], [10.5, 12.5]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["pad4", "tap", "avg_divisor", "avg_pool2d", "avg_pool2d_backward"]

Pads = tuple[tuple[int, int], tuple[int, int]]


def pad4(xp: Any, x: Any, padding: Pads, value: float) -> Any:
    """``x`` [N, C, H, W] padded by ``((top, bottom), (left, right))`` with ``value``."""
    (pt, pb), (pl, pr) = padding
    if pt or pb or pl or pr:
        return xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), mode="constant",
                      constant_values=value)
    return x


def tap(a: Any, i: int, j: int, stride: Any, dilation: Any, ho: int, wo: int) -> Any:
    """The (i, j) kernel tap of every window: a strided slice [N, C, Ho, Wo] of ``a``."""
    r, c = i * dilation[0], j * dilation[1]
    return a[:, :, r:r + stride[0] * (ho - 1) + 1:stride[0],
             c:c + stride[1] * (wo - 1) + 1:stride[1]]


def avg_divisor(hw: Any, kernel: Any, stride: Any, padding: Pads, out_hw: Any,
                count_include_pad: bool, divisor_override: Any) -> np.ndarray:
    """[Ho, Wo] float64 divisors of average pooling (host NumPy: small): ``divisor_override``
    if given, else the window size, else (``count_include_pad`` False) the number of real
    pixels in each window."""
    if divisor_override:
        return np.full(out_hw, float(divisor_override))
    if count_include_pad:
        return np.full(out_hw, float(kernel[0] * kernel[1]))
    counts = []
    for n, k, s, (lo, _), o in zip(hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - lo  # real pixels of each window along this axis
        counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1]).astype(np.float64)


def avg_pool2d(xp: Any, x: Any, kernel: Any, stride: Any, padding: Pads,
               count_include_pad: bool, divisor_override: Any) -> tuple[Any, tuple]:
    """Window means of x [N, C, H, W] (zero padding; the divisor as :func:`avg_divisor`):
    ``(out, ctx)`` for :func:`avg_pool2d_backward`."""
    xpd = pad4(xp, x, padding, 0)
    ho = (xpd.shape[2] - kernel[0]) // stride[0] + 1
    wo = (xpd.shape[3] - kernel[1]) // stride[1] + 1
    out = xp.zeros(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out += tap(xpd, i, j, stride, (1, 1), ho, wo)
    div = xp.asarray(avg_divisor(x.shape[2:], kernel, stride, padding, (ho, wo),
                                 count_include_pad, divisor_override).astype(x.dtype))
    out /= div
    return out, (x.shape, kernel, stride, padding, div)


def avg_pool2d_backward(xp: Any, g: Any, ctx: tuple) -> Any:
    """Gradient of :func:`avg_pool2d`: ``g / divisor`` added back onto every window."""
    xshape, kernel, stride, padding, div = ctx
    (pt, pb), (pl, pr) = padding
    n, c, h, wd = xshape
    ho, wo = g.shape[2:]
    gd = g / div
    dxp = xp.zeros((n, c, h + pt + pb, wd + pl + pr), dtype=g.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            tap(dxp, i, j, stride, (1, 1), ho, wo)[...] += gd
    return xp.ascontiguousarray(dxp[:, :, pt:pt + h, pl:pl + wd])
