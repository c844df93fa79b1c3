"""The fused nn / loss / optimizer kernels of the ``gpu`` backend, over an array module ``xp``.

conv2d is one im2col copy (a strided view made contiguous) and one batched GEMM per step
(cuBLAS through ``cupy.matmul`` on a device); its input gradient scatters the columns back tap
by tap. Pooling works on the ``kh * kw`` strided taps of the padded input; batch norm on
per-channel reductions. Softmax-cross-entropy and the SGD / Adam updates are single CUDA
kernels on a device (``_cuda_src``), and their ``xp`` transcriptions (same formulas, same
order) in the host emulation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vqnet_core.backend.norm import batch_norm, batch_norm_backward
from vqnet_core.backend.windows import avg_pool2d, avg_pool2d_backward, pad4, tap

_THREADS = 256
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _grid(total: int) -> tuple[int]:
    return (max(1, min((total + _THREADS - 1) // _THREADS, 65535 * 8)),)


def _real(a: Any) -> str:
    return "float" if a.dtype == np.float32 else "double"


def _strided(xp: Any):
    if xp is np:
        return np.lib.stride_tricks.as_strided
    from cupy.lib.stride_tricks import as_strided
    return as_strided


class NnOps:
    """The nn kernels for one backend (``cuda`` None in the host emulation)."""

    def __init__(self, xp: Any, cuda: Any = None) -> None:
        self.xp = xp
        self.cuda = cuda

    def _cuda_ok(self, *xs: Any) -> bool:
        return (self.cuda is not None and all(isinstance(x, self.xp.ndarray) for x in xs)
                and xs[0].dtype in _FLOATS and all(x.dtype == xs[0].dtype for x in xs))

    # ---- conv2d ------------------------------------------------------------------------
    def conv2d(self, x, w, b, stride, padding, dilation, groups):
        xp = self.xp
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        xpd = pad4(xp, x, padding, 0)
        hp, wp = xpd.shape[2:]
        ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        col = self.im2col(xpd, (kh, kw), stride, dilation, (ho, wo)).reshape(
            groups, cg * kh * kw, n * ho * wo)
        w2 = xp.ascontiguousarray(w).reshape(groups, o // groups, cg * kh * kw)
        out = xp.matmul(w2, col).reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
        out = out + b.reshape(1, o, 1, 1) if b is not None else xp.ascontiguousarray(out)
        return out, (x.shape, w, col, stride, padding, dilation, groups, b is not None)

    def conv2d_backward(self, g, ctx, needs):
        xp = self.xp
        xshape, w, col, stride, padding, dilation, groups, has_b = ctx
        o, cg, kh, kw = w.shape
        n, _, ho, wo = g.shape
        g2 = xp.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(groups, o // groups, -1)
        gx = gw = gb = None
        if needs[1]:
            gw = xp.matmul(g2, col.transpose(0, 2, 1)).reshape(w.shape)
        if needs[2] and has_b:
            gb = g.sum(axis=(0, 2, 3))
        if needs[0]:
            w2 = xp.ascontiguousarray(w).reshape(groups, o // groups, cg * kh * kw)
            dcol = xp.matmul(w2.transpose(0, 2, 1), g2).reshape(-1, kh, kw, n, ho, wo)
            gx = self.col2im(dcol, xshape, (kh, kw), stride, padding, dilation)
        return gx, gw, gb

    def im2col(self, xpd, kernel, stride, dilation, out_hw):
        """The windows of a padded xpd [N, C, Hp, Wp] as one contiguous copy
        [C, kh, kw, N, Ho, Wo] (a strided view, then the copy)."""
        xp = self.xp
        xpd = xp.ascontiguousarray(xpd)
        n, c = xpd.shape[:2]
        s0, s1, s2, s3 = xpd.strides
        view = _strided(xp)(xpd, (c, kernel[0], kernel[1], n) + tuple(out_hw),
                            (s1, s2 * dilation[0], s3 * dilation[1], s0, s2 * stride[0],
                             s3 * stride[1]))
        return xp.ascontiguousarray(view)

    def conv_transpose2d(self, x, w, b, stride, padding, dilation, groups, out_hw):
        xp = self.xp
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        cig = cin // groups
        x2 = xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(groups, cig, -1)
        w2 = xp.ascontiguousarray(w).reshape(groups, cig, og * kh * kw)
        dcol = xp.matmul(w2.transpose(0, 2, 1), x2).reshape(-1, kh, kw, n, h, wd)
        out = self.col2im(dcol, (n, og * groups) + tuple(out_hw), (kh, kw), stride, padding,
                          dilation)
        if b is not None:
            out = out + b.reshape(1, -1, 1, 1)
        return out, (x, w, stride, padding, dilation, groups, b is not None)

    def conv_transpose2d_backward(self, g, ctx, needs):
        xp = self.xp
        x, w, stride, padding, dilation, groups, has_b = ctx
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        cig = cin // groups
        col = self.im2col(pad4(xp, g, padding, 0), (kh, kw), stride, dilation, (h, wd))
        col = col.reshape(groups, og * kh * kw, n * h * wd)
        gx = gw = gb = None
        if needs[0]:
            w2 = xp.ascontiguousarray(w).reshape(groups, cig, og * kh * kw)
            gx = xp.ascontiguousarray(
                xp.matmul(w2, col).reshape(cin, n, h, wd).transpose(1, 0, 2, 3))
        if needs[1]:
            x2 = xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(groups, cig, -1)
            gw = xp.matmul(x2, col.transpose(0, 2, 1)).reshape(w.shape)
        if needs[2] and has_b:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb

    def col2im(self, dcol, xshape, kernel, stride, padding, dilation):
        xp = self.xp
        n, c, h, wd = xshape
        (pt, pb), (pl, pr) = padding
        ho, wo = dcol.shape[4:]
        dxp = xp.zeros((c, n, h + pt + pb, wd + pl + pr), dtype=dcol.dtype)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                r, q = i * dilation[0], j * dilation[1]
                dxp[:, :, r:r + stride[0] * (ho - 1) + 1:stride[0],
                    q:q + stride[1] * (wo - 1) + 1:stride[1]] += dcol[:, i, j]
        return xp.ascontiguousarray(dxp[:, :, pt:pt + h, pl:pl + wd].transpose(1, 0, 2, 3))

    # ---- pooling -----------------------------------------------------------------------
    def max_pool2d(self, x, kernel, stride, padding, dilation):
        xp = self.xp
        kh, kw = kernel
        xpd = pad4(xp, x, padding, -np.inf)
        ho = (xpd.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (xpd.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        taps = [tap(xpd, i, j, stride, dilation, ho, wo) for i in range(kh) for j in range(kw)]
        out = taps[0].copy()
        for t in taps[1:]:
            out = xp.maximum(out, t)
        idx = xp.full(out.shape, len(taps) - 1, dtype=np.int32)
        for k in range(len(taps) - 2, -1, -1):  # the first tap that reaches the max wins
            idx = xp.where(taps[k] == out, np.int32(k), idx)
        return out, (x.shape, idx, kernel, stride, padding, dilation)

    def max_pool2d_backward(self, g, ctx):
        xp = self.xp
        xshape, idx, (kh, kw), stride, padding, dilation = ctx
        (pt, pb), (pl, pr) = padding
        n, c, h, wd = xshape
        ho, wo = g.shape[2:]
        dxp = xp.zeros((n, c, h + pt + pb, wd + pl + pr), dtype=g.dtype)
        zero = g.dtype.type(0)
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            tap(dxp, i, j, stride, dilation, ho, wo)[...] += xp.where(idx == k, g, zero)
        return xp.ascontiguousarray(dxp[:, :, pt:pt + h, pl:pl + wd])

    def avg_pool2d(self, x, kernel, stride, padding, count_include_pad, divisor_override):
        return avg_pool2d(self.xp, x, kernel, stride, padding, count_include_pad,
                          divisor_override)

    def avg_pool2d_backward(self, g, ctx):
        return avg_pool2d_backward(self.xp, g, ctx)

    # ---- batch norm ----------------------------------------------------------------------
    def batch_norm(self, x, weight, bias, mean, var, eps):
        return batch_norm(self.xp, x, weight, bias, mean, var, eps)

    def batch_norm_backward(self, g, x, weight, mean, var, eps, training, needs):
        return batch_norm_backward(self.xp, g, x, weight, mean, var, eps, training, needs)

    # ---- softmax cross-entropy ----------------------------------------------------------
    def softmax_xent(self, logits, labels):
        xp = self.xp
        lab = xp.ascontiguousarray(labels.astype(np.int64, copy=False))
        n, c = logits.shape
        if self._cuda_ok(logits):
            out = xp.empty(n, dtype=logits.dtype)
            if n:
                self.cuda.fn("xent", _real(logits))(
                    _grid(n), (_THREADS,),
                    (xp.ascontiguousarray(logits), lab, out, np.int64(n), np.int64(c)))
            return out
        m = logits.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(logits - m).sum(axis=1)) + m[:, 0]
        return lse - xp.take_along_axis(logits, lab[:, None], 1)[:, 0]

    def softmax_xent_backward(self, logits, labels, g):
        xp = self.xp
        lab = xp.ascontiguousarray(labels.astype(np.int64, copy=False))
        n, c = logits.shape
        g = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(g, dtype=logits.dtype), (n,)))
        if self._cuda_ok(logits, g):
            out = xp.empty((n, c), dtype=logits.dtype)
            if n:
                self.cuda.fn("xent_bwd", _real(logits))(
                    _grid(n), (_THREADS,),
                    (xp.ascontiguousarray(logits), lab, g, out, np.int64(n), np.int64(c)))
            return out
        m = logits.max(axis=1, keepdims=True)
        e = xp.exp(logits - m)
        p = e / e.sum(axis=1, keepdims=True)
        onehot = (xp.arange(c)[None, :] == lab[:, None]).astype(logits.dtype)
        return (p - onehot) * g[:, None]

    # ---- optimizers ---------------------------------------------------------------------
    def sgd(self, p, g, buf, lr, momentum, dampening, nesterov, weight_decay, maximize):
        xp = self.xp
        if self._cuda_ok(p, g, *([buf] if buf is not None else [])) and p.flags.c_contiguous:
            n = p.size
            new_p = xp.empty_like(p)
            new_buf = xp.empty_like(p) if momentum != 0 else None
            if n:
                self.cuda.fn("sgd", _real(p))(
                    _grid(n), (_THREADS,),
                    (p, xp.ascontiguousarray(g), xp.ascontiguousarray(buf)
                     if buf is not None else p, new_p,
                     new_buf if new_buf is not None else new_p, np.int64(n), np.float64(lr),
                     np.float64(momentum), np.float64(dampening), np.int32(bool(nesterov)),
                     np.float64(weight_decay), np.int32(bool(maximize)),
                     np.int32(buf is not None)))
            return new_p, new_buf
        # the kernel's formula, elementwise in xp
        gi = -g if maximize else g
        if weight_decay != 0:
            gi = gi + p * weight_decay
        new_buf = None
        if momentum != 0:
            new_buf = gi if buf is None else buf * momentum + gi * (1.0 - dampening)
            gi = gi + new_buf * momentum if nesterov else new_buf
        return p - gi * lr, new_buf

    def adam(self, p, g, m1, m2, mx, step, lr, beta1, beta2, eps, weight_decay, amsgrad,
             maximize, decoupled):
        xp = self.xp
        step_size = lr / (1.0 - beta1 ** step)
        bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
        ops = [p, g, m1, m2] + ([mx] if mx is not None else [])
        if self._cuda_ok(*ops) and p.flags.c_contiguous:
            n = p.size
            new_p, nm1, nm2 = xp.empty_like(p), xp.empty_like(p), xp.empty_like(p)
            nmx = xp.empty_like(p) if amsgrad else None
            if n:
                c = xp.ascontiguousarray
                self.cuda.fn("adam", _real(p))(
                    _grid(n), (_THREADS,),
                    (p, c(g), c(m1), c(m2), c(mx) if mx is not None else p, new_p, nm1, nm2,
                     nmx if nmx is not None else nm2, np.int64(n), np.float64(lr),
                     np.float64(beta1), np.float64(beta2), np.float64(eps),
                     np.float64(weight_decay), np.int32(bool(amsgrad)),
                     np.int32(bool(maximize)), np.int32(bool(decoupled)),
                     np.int32(mx is not None), np.float64(step_size), np.float64(bc2_sqrt)))
            return new_p, nm1, nm2, nmx
        gi = -g if maximize else g
        if weight_decay != 0:
            if decoupled:
                p = p * (1.0 - lr * weight_decay)
            else:
                gi = gi + p * weight_decay
        d = gi - m1
        a = m1 + d * (1.0 - beta1) if (1.0 - beta1) < 0.5 else gi - d * beta1
        v = m2 * beta2 + gi * (1.0 - beta2) * gi
        second = v
        if amsgrad:
            second = v if mx is None else xp.maximum(mx, v)
            mx = second
        denom = xp.sqrt(second) / bc2_sqrt + eps
        return p + (a / denom) * (-step_size), a, v, mx
