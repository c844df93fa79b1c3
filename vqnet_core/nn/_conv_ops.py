"""Convolutions: conv1d, conv2d, conv_transpose2d.

Each op has a reference composition in QTensor ops (im2col from ``kh * kw`` strided slices
of the padded input, stacked, then one matmul; its gradient comes from the tape) and uses
the backend's fused ``conv2d`` / ``conv_transpose2d`` kernels when declared, recording one
tape node whose backward calls the ``*_backward`` kernel.
"""

from __future__ import annotations

from typing import Any

from ..dtypes import promote_types
from ..ops import shape as sh
from ..ops._base import QTensor, make, to_tensor
from ..ops.elementwise import binary
from ..ops.linalg import matmul
from ._fused import fused_kernel

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "conv2d_reference",
           "conv_transpose2d_reference", "pair", "resolve_padding", "conv_out_size"]

Pads = tuple[tuple[int, int], tuple[int, int]]


def pair(v: Any, name: str, n: int = 2) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as an ``n``-tuple of ints."""
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"{name} must be an int or a sequence of {n} ints, got {v!r}")
        out = tuple(int(a) for a in v)
    elif isinstance(v, (int,)) and not isinstance(v, bool):
        out = (int(v),) * n
    else:
        raise TypeError(f"{name} must be an int or a sequence of {n} ints, got {v!r}")
    return out


def conv_out_size(n: int, k: int, s: int, d: int, lo: int, hi: int) -> int:
    """Output length of a window op over ``n`` positions padded by ``lo`` and ``hi``."""
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def resolve_padding(padding: Any, size: tuple[int, ...], kernel: tuple[int, ...],
                    stride: tuple[int, ...], dilation: tuple[int, ...]
                    ) -> tuple[tuple[int, int], ...]:
    """Explicit ``(before, after)`` pads per spatial axis.

    ``padding`` is an int, a tuple of ints (symmetric per axis), ``"valid"`` (none) or
    ``"same"`` (output size ``ceil(n / stride)``; for stride 1 exactly PyTorch's rule, the
    odd pixel going after).
    """
    nd = len(size)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * nd
        if mode == "same":
            out = []
            for n, k, s, d in zip(size, kernel, stride, dilation):
                want = -(-n // s)
                total = max((want - 1) * s + d * (k - 1) + 1 - n, 0)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple of ints, got "
                         f"{padding!r}")
    p = pair(padding, "padding", nd)
    if any(v < 0 for v in p):
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return tuple((v, v) for v in p)


def _check_input(x: QTensor, nd: int, op: str) -> tuple[QTensor, bool]:
    """Batched input, and whether it came unbatched (one dimension fewer)."""
    if x.ndim == nd + 1:
        return sh.unsqueeze(x, 0), True
    if x.ndim != nd + 2:
        raise ValueError(f"{op} expects a {nd + 2}-D input (batch, channels, spatial...) or a "
                         f"{nd + 1}-D unbatched one, got shape {x.shape}")
    return x, False


def _promote(*ts: QTensor | None) -> list[QTensor | None]:
    dt = None
    for t in ts:
        if t is not None:
            dt = t._dtype if dt is None else promote_types(dt, t._dtype)
    if dt is None or dt.kind not in "fc":
        raise TypeError(f"convolution needs float or complex tensors, got {dt}")
    return [t.astype(dt) if t is not None else None for t in ts]


def _taps(xp: QTensor, kernel, stride, dilation, out_hw) -> list[QTensor]:
    """The ``kh * kw`` strided slices [N, C, Ho, Wo] of a padded input, row-major."""
    ho, wo = out_hw
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            r, c = i * dilation[0], j * dilation[1]
            taps.append(xp[:, :, r:r + stride[0] * (ho - 1) + 1:stride[0],
                           c:c + stride[1] * (wo - 1) + 1:stride[1]])
    return taps


def conv2d_reference(x: QTensor, w: QTensor, b: QTensor | None, stride: tuple[int, int],
                     pads: Pads, dilation: tuple[int, int], groups: int) -> QTensor:
    """conv2d as a composition of QTensor ops (the oracle for fused kernels)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = conv_out_size(h, kh, stride[0], dilation[0], *pads[0])
    wo = conv_out_size(wd, kw, stride[1], dilation[1], *pads[1])
    xp = sh.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    cols = sh.stack(_taps(xp, (kh, kw), stride, dilation, (ho, wo)), 2)  # N, C, K, Ho, Wo
    cols = sh.reshape(cols, (n, groups, cg * kh * kw, ho * wo))
    w2 = sh.reshape(w, (1, groups, o // groups, cg * kh * kw))
    out = sh.reshape(matmul(w2, cols), (n, o, ho, wo))
    if b is not None:
        out = binary("add", out, sh.reshape(b, (1, o, 1, 1)))
    return out


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> QTensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    ``input`` [N, C, H, W] (or unbatched [C, H, W]), ``weight`` [O, C/groups, kh, kw],
    ``bias`` [O] or None; ``padding``: int, pair, ``"valid"`` or ``"same"``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.conv2d(vq.ones(1, 1, 4, 4), vq.ones(2, 1, 3, 3), padding="same").shape
    (1, 2, 4, 4)
    """
    x, w = to_tensor(input), to_tensor(weight)
    b = to_tensor(bias, x._b) if bias is not None else None
    x, unbatched = _check_input(x, 2, "conv2d")
    if w.ndim != 4:
        raise ValueError(f"conv2d weight must be 4-D [out, in/groups, kh, kw], got {w.shape}")
    groups = int(groups)
    o, cg, kh, kw = w.shape
    if groups < 1 or x.shape[1] != cg * groups or o % groups:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {w.shape} with "
                         f"groups={groups} expects {cg * groups} (and out channels divisible "
                         "by groups)")
    if b is not None and b.shape != (o,):
        raise ValueError(f"conv2d bias must have shape ({o},), got {b.shape}")
    x, w, b = _promote(x, w, b)
    st, dil = pair(stride, "stride"), pair(dilation, "dilation")
    if min(st) < 1 or min(dil) < 1:
        raise ValueError(f"stride and dilation must be positive, got {st} and {dil}")
    pads = resolve_padding(padding, x.shape[2:], (kh, kw), st, dil)
    for ax, (n, k, p) in enumerate(zip(x.shape[2:], (kh, kw), pads)):
        if n + p[0] + p[1] < dil[ax] * (k - 1) + 1:
            raise ValueError(f"conv2d: kernel {(kh, kw)} (dilation {dil}) is larger than the "
                             f"padded input {x.shape[2:]}")
    # an empty batch takes the composition: kernels may assume at least one image
    kern = fused_kernel(x._b, "conv2d", x._dtype) if x.shape[0] else None
    if kern is None:
        out = conv2d_reference(x, w, b, st, pads, dil, groups)
    else:
        fwd, bwd = kern
        B = x._b
        data, ctx = fwd(x._data, w._data, b._data if b is not None else None, st, pads, dil,
                        groups)

        def backward(g):
            needs = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
            return bwd(g, ctx, needs)
        out = make(data, B, x._dtype, (x, w, b), backward, "conv2d")
    return sh.squeeze(out, 0) if unbatched else out


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> QTensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d`` (through conv2d, H = 1).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.conv1d(vq.ones(2, 3, 10), vq.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    x, w = to_tensor(input), to_tensor(weight)
    x, unbatched = _check_input(x, 1, "conv1d")
    if w.ndim != 3:
        raise ValueError(f"conv1d weight must be 3-D [out, in/groups, k], got {w.shape}")
    if isinstance(padding, str):
        pads = resolve_padding(padding, x.shape[2:], w.shape[2:], pair(stride, "stride", 1),
                               pair(dilation, "dilation", 1))
        pad2: Any = None
        if pads[0][0] != pads[0][1]:  # asymmetric "same": pad explicitly first
            x = sh.pad(x, (pads[0][0], pads[0][1]))
            pad2 = (0, 0)
        else:
            pad2 = (0, pads[0][0])
    else:
        pad2 = (0, pair(padding, "padding", 1)[0])
    out = conv2d(sh.unsqueeze(x, 2), sh.unsqueeze(w, 2), bias,
                 (1, pair(stride, "stride", 1)[0]), pad2, (1, pair(dilation, "dilation", 1)[0]),
                 groups)
    out = sh.squeeze(out, 2)
    return sh.squeeze(out, 0) if unbatched else out


def conv_transpose2d_reference(x: QTensor, w: QTensor, b: QTensor | None,
                               stride: tuple[int, int], padding: tuple[int, int],
                               output_padding: tuple[int, int], groups: int,
                               dilation: tuple[int, int]) -> QTensor:
    """conv_transpose2d as zero insertion + padding + a stride-1 conv with the flipped,
    transposed kernel (the oracle for the fused kernel)."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    s0, s1 = stride
    if s0 > 1 or s1 > 1:  # insert (s - 1) zeros between pixels
        x = sh.reshape(x, (n, cin, h, 1, wd, 1))
        x = sh.pad(x, (0, s1 - 1, 0, 0, 0, s0 - 1))
        x = sh.reshape(x, (n, cin, h * s0, wd * s1))[:, :, :(h - 1) * s0 + 1, :(wd - 1) * s1 + 1]
    edges = []
    for k, d, p, op in zip((kh, kw), dilation, padding, output_padding):
        e = d * (k - 1) - p
        edges.append((e, e + op))
    lo = [max(-e0, 0) for e0, _ in edges]
    hi = [max(-e1, 0) for _, e1 in edges]
    x = sh.pad(x, (max(edges[1][0], 0), max(edges[1][1], 0),
                   max(edges[0][0], 0), max(edges[0][1], 0)))
    if any(lo) or any(hi):  # negative pads crop
        x = x[:, :, lo[0]:x.shape[2] - hi[0], lo[1]:x.shape[3] - hi[1]]
    cig = cin // groups
    wt = sh.reshape(w, (groups, cig, og, kh, kw))
    wt = sh.flip(sh.permute(wt, (0, 2, 1, 3, 4)), (3, 4))
    wt = sh.reshape(wt, (groups * og, cig, kh, kw))
    return conv2d_reference(x, wt, b, (1, 1), ((0, 0), (0, 0)), dilation, groups)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> QTensor:
    """Transposed 2-D convolution, as ``torch.nn.functional.conv_transpose2d``.

    ``weight`` is [in, out/groups, kh, kw]; the output size is
    ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.conv_transpose2d(vq.ones(1, 2, 3, 3), vq.ones(2, 4, 3, 3), stride=2).shape
    (1, 4, 7, 7)
    """
    x, w = to_tensor(input), to_tensor(weight)
    b = to_tensor(bias, x._b) if bias is not None else None
    x, unbatched = _check_input(x, 2, "conv_transpose2d")
    if w.ndim != 4:
        raise ValueError(f"conv_transpose2d weight must be 4-D [in, out/groups, kh, kw], got "
                         f"{w.shape}")
    groups = int(groups)
    cin, og, kh, kw = w.shape
    if groups < 1 or x.shape[1] != cin or cin % groups:
        raise ValueError(f"conv_transpose2d: input has {x.shape[1]} channels, weight {w.shape} "
                         f"expects {cin} (divisible by groups={groups})")
    if b is not None and b.shape != (og * groups,):
        raise ValueError(f"conv_transpose2d bias must have shape ({og * groups},), got {b.shape}")
    if isinstance(padding, str):
        if padding.lower() != "valid":
            raise ValueError(f"conv_transpose2d padding must be 'valid', an int or a pair, got "
                             f"{padding!r}")
        padding = 0
    x, w, b = _promote(x, w, b)
    st, dil = pair(stride, "stride"), pair(dilation, "dilation")
    pd, op = pair(padding, "padding"), pair(output_padding, "output_padding")
    if min(st) < 1 or min(dil) < 1 or min(pd) < 0 or min(op) < 0:
        raise ValueError("conv_transpose2d: stride/dilation must be positive, padding and "
                         "output_padding non-negative")
    if any(o >= max(s, d) for o, s, d in zip(op, st, dil)):
        raise ValueError(f"output_padding {op} must be smaller than stride {st} or dilation "
                         f"{dil}")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                   for n, s, p, d, k, o in zip(x.shape[2:], st, pd, dil, (kh, kw), op))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_hw} is empty")
    kern = fused_kernel(x._b, "conv_transpose2d", x._dtype) if x.shape[0] else None
    if kern is None:
        out = conv_transpose2d_reference(x, w, b, st, pd, op, groups, dil)
    else:
        fwd, bwd = kern
        pads = ((pd[0], pd[0]), (pd[1], pd[1]))
        data, ctx = fwd(x._data, w._data, b._data if b is not None else None, st, pads, dil,
                        groups, out_hw)

        def backward(g):
            needs = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
            return bwd(g, ctx, needs)
        out = make(data, x._b, x._dtype, (x, w, b), backward, "conv_transpose2d")
    return sh.squeeze(out, 0) if unbatched else out
