"""Pooling: max / average pooling in 1-D and 2-D, adaptive average pooling.

Max pooling has a reference composition (the window taps stacked on a new last axis, then
``argmax`` + ``gather``, so the gradient reaches the first maximum as in PyTorch) and uses
the backend's fused ``max_pool2d`` kernel when declared. Average pooling is a sum of the
window taps (or the fused ``avg_pool2d`` kernel); adaptive average pooling is two matmuls
with averaging matrices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend.windows import avg_divisor
from ..ops import shape as sh
from ..ops._base import QTensor, make, to_tensor
from ..ops.elementwise import binary
from ..ops.linalg import matmul
from ..ops.reduction import argmax
from ._conv_ops import _check_input, _taps, conv_out_size, pair, resolve_padding
from ._fused import fused_kernel

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "max_pool2d_reference", "avg_pool2d_reference"]


def _pool_args(x: QTensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               op: str):
    if x._dtype.kind != "f":
        raise TypeError(f"{op} needs a real float tensor, got {x._dtype.name}")
    k = pair(kernel_size, "kernel_size")
    st = k if stride is None else pair(stride, "stride")
    dil = pair(dilation, "dilation")
    if min(k) < 1 or min(st) < 1 or min(dil) < 1:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive")
    pads = resolve_padding(padding, x.shape[2:], k, st, dil)
    if not isinstance(padding, str) and any(p[0] > kk // 2 for p, kk in zip(pads, k)):
        raise ValueError(f"{op}: padding {padding!r} must be at most half the kernel size {k}")
    out = tuple(conv_out_size(n, kk, s, d, *p)
                for n, kk, s, d, p in zip(x.shape[2:], k, st, dil, pads))
    if min(out) < 1:
        raise ValueError(f"{op}: kernel {k} does not fit the input {x.shape[2:]} with padding "
                         f"{padding!r}")
    return k, st, pads, dil, out


def max_pool2d_reference(x: QTensor, kernel, stride, pads, dilation, out_hw) -> QTensor:
    """max_pool2d in QTensor ops: taps stacked last, argmax, gather (first max wins)."""
    xp = sh.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=-math.inf)
    win = sh.stack(_taps(xp, kernel, stride, dilation, out_hw), -1)  # N, C, Ho, Wo, K
    idx = argmax(win.detach(), axis=-1, keepdims=True)
    return sh.squeeze(sh.gather(win, -1, idx), -1)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> QTensor:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d`` (``stride`` defaults to the
    kernel size; ``padding`` may also be ``"valid"`` or ``"same"``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.max_pool2d(vq.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    x, unbatched = _check_input(to_tensor(input), 2, "max_pool2d")
    k, st, pads, dil, out_hw = _pool_args(x, kernel_size, stride, padding, dilation,
                                         "max_pool2d")
    kern = fused_kernel(x._b, "max_pool2d", x._dtype)
    if kern is None:
        out = max_pool2d_reference(x, k, st, pads, dil, out_hw)
    else:
        fwd, bwd = kern
        data, ctx = fwd(x._data, k, st, pads, dil)
        out = make(data, x._b, x._dtype, (x,), lambda g: (bwd(g, ctx),), "max_pool2d")
    return sh.squeeze(out, 0) if unbatched else out


def _avg_divisor(x: QTensor, kernel, stride, pads, out_hw, count_include_pad: bool,
                 divisor_override: float | None) -> float | np.ndarray:
    """What each window's sum is divided by: a number, or [Ho, Wo] counts of real pixels."""
    if divisor_override:
        return float(divisor_override)
    if count_include_pad or not any(p for pp in pads for p in pp):
        return float(kernel[0] * kernel[1])
    return avg_divisor(x.shape[2:], kernel, stride, pads, out_hw, False, None)


def avg_pool2d_reference(x: QTensor, kernel, stride, pads, out_hw, count_include_pad: bool,
                         divisor_override: float | None) -> QTensor:
    """avg_pool2d in QTensor ops (the oracle of the fused kernel): the window taps of the
    zero-padded input summed, then divided by :func:`_avg_divisor`."""
    xp = sh.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    taps = _taps(xp, kernel, stride, (1, 1), out_hw)
    total = taps[0]
    for t in taps[1:]:
        total = binary("add", total, t)
    div = _avg_divisor(x, kernel, stride, pads, out_hw, count_include_pad, divisor_override)
    if isinstance(div, np.ndarray):
        div = to_tensor(div.astype(x._dtype.name), x._b)
    return binary("div", total, div)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True, divisor_override: int | None = None) -> QTensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (``padding`` may also be
    ``"valid"`` or ``"same"``). Uses the backend's fused ``avg_pool2d`` kernel when declared.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.avg_pool2d(vq.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x, unbatched = _check_input(to_tensor(input), 2, "avg_pool2d")
    k, st, pads, _, out_hw = _pool_args(x, kernel_size, stride, padding, 1, "avg_pool2d")
    cip, div = bool(count_include_pad), divisor_override or None
    kern = fused_kernel(x._b, "avg_pool2d", x._dtype)
    if kern is None:
        out = avg_pool2d_reference(x, k, st, pads, out_hw, cip, div)
    else:
        fwd, bwd = kern
        data, ctx = fwd(x._data, k, st, pads, cip, div)
        out = make(data, x._b, x._dtype, (x,), lambda g: (bwd(g, ctx),), "avg_pool2d")
    return sh.squeeze(out, 0) if unbatched else out


def _as_2d(input: Any, op: str) -> tuple[QTensor, bool]:
    x, unbatched = _check_input(to_tensor(input), 1, op)
    return sh.unsqueeze(x, 2), unbatched


def _one(v: Any, name: str) -> int:
    return pair(v, name, 1)[0]


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> QTensor:
    """1-D max pooling over [N, C, L] (through max_pool2d with H = 1).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.max_pool1d(vq.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    x, unbatched = _as_2d(input, "max_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None else _one(stride, "stride")
    p = padding if isinstance(padding, str) else (0, _one(padding, "padding"))
    out = sh.squeeze(max_pool2d(x, (1, k), (1, s), p, (1, _one(dilation, "dilation"))), 2)
    return sh.squeeze(out, 0) if unbatched else out


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> QTensor:
    """1-D average pooling over [N, C, L].

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.avg_pool1d(vq.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    x, unbatched = _as_2d(input, "avg_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None else _one(stride, "stride")
    p = padding if isinstance(padding, str) else (0, _one(padding, "padding"))
    out = sh.squeeze(avg_pool2d(x, (1, k), (1, s), p, count_include_pad), 2)
    return sh.squeeze(out, 0) if unbatched else out


def _adaptive_matrix(n: int, m: int, dtype: str) -> np.ndarray:
    """[m, n] averaging matrix with PyTorch's bins [floor(i n / m), ceil((i + 1) n / m))."""
    a = np.zeros((m, n), dtype=dtype)
    for i in range(m):
        lo, hi = (i * n) // m, -((-(i + 1) * n) // m)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


def adaptive_avg_pool2d(input: Any, output_size: Any) -> QTensor:
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``
    (``None`` in ``output_size`` keeps that dimension).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.adaptive_avg_pool2d(vq.ones(2, 3, 7, 5), (2, 1)).shape
    (2, 3, 2, 1)
    """
    x, unbatched = _check_input(to_tensor(input), 2, "adaptive_avg_pool2d")
    if x._dtype.kind != "f":
        raise TypeError(f"adaptive_avg_pool2d needs a real float tensor, got {x._dtype.name}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 2:
            raise ValueError(f"output_size must be an int or a pair, got {output_size!r}")
        oh, ow = (x.shape[2] if output_size[0] is None else int(output_size[0]),
                  x.shape[3] if output_size[1] is None else int(output_size[1]))
    else:
        oh = ow = int(output_size)
    if oh < 1 or ow < 1:
        raise ValueError(f"output_size must be positive, got {output_size!r}")
    dt = x._dtype.name
    ph = to_tensor(_adaptive_matrix(x.shape[2], oh, dt), x._b)
    pw = to_tensor(_adaptive_matrix(x.shape[3], ow, dt).T.copy(), x._b)
    out = matmul(matmul(ph, x), pw)
    return sh.squeeze(out, 0) if unbatched else out
