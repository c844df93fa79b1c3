"""The NumPy reference backend: the embedded default and the conformance suite's oracle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import norm as _norm
from . import windows as _win
from ._select import MIN_SIZE as SELECT_MIN
from ._select import select
from .blas import gemm_size, single_thread
from .protocol import ArrayBackend, BackendError, Capabilities

_NP_DTYPES = {
    "bool": np.dtype(np.bool_), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "float32": np.dtype(np.float32), "float64": np.dtype(np.float64),
    "complex64": np.dtype(np.complex64), "complex128": np.dtype(np.complex128),
}
_NAMES = {v: k for k, v in _NP_DTYPES.items()}

_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def _erf(a: np.ndarray) -> np.ndarray:
    # frompyfunc gives a bare Python float for 0-d input: wrap it back into an array
    return np.asarray(_erf_scalar(a), dtype=object).astype(a.dtype) if a.size else a.copy()


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # Split by sign so neither branch overflows.
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


_UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "erf": _erf, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "trunc": np.trunc, "conj": np.conj, "real": np.real, "imag": np.imag, "angle": np.angle,
    "logical_not": np.logical_not, "isnan": np.isnan, "isinf": np.isinf,
    "isfinite": np.isfinite, "sigmoid": _sigmoid, "reciprocal": np.reciprocal,
    "square": np.square,
}
_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "floordiv": np.floor_divide, "remainder": np.remainder, "eq": np.equal,
    "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}
_REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
           "all": np.all}


class NumpyBackend(ArrayBackend):
    """Reference backend on NumPy. Float results keep the input dtype (no upcasting)."""

    name = "numpy"
    capabilities = Capabilities(kernels=frozenset({
        "einsum", "conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward",
        "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "batch_norm",
        "batch_norm_backward"}), device="cpu")

    # ---- creation -----------------------------------------------------------------
    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(array)

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype=_NP_DTYPES[dtype])

    def arange(self, start, stop, step, dtype):
        return np.arange(start, stop, step, dtype=_NP_DTYPES[dtype])

    def astype(self, a, dtype):
        target = _NP_DTYPES[dtype]
        if a.dtype == target:
            return a
        if a.dtype.kind == "c" and target.kind != "c":
            a = a.real
        return a.astype(target)

    def dtype_name(self, a):
        try:
            return _NAMES[a.dtype]
        except KeyError:
            raise BackendError(f"numpy dtype {a.dtype} is not a VQNet dtype") from None

    def shape(self, a):
        return a.shape

    # ---- elementwise --------------------------------------------------------------
    def unary(self, op, a):
        out = _UNARY[op](a)
        if op in ("real", "imag", "angle", "abs") and a.dtype.kind == "c":
            return np.ascontiguousarray(out)
        if isinstance(out, np.ndarray) and out.dtype != a.dtype and out.dtype.kind == "f" \
                and a.dtype.kind == "f":
            out = out.astype(a.dtype)
        return np.asarray(out)

    def binary(self, op, a, b):
        if op == "complex":
            return np.asarray(a + 1j * np.asarray(b)).astype(
                np.complex128 if np.asarray(a).dtype == np.float64 else np.complex64)
        return np.asarray(_BINARY[op](a, b))

    def where(self, cond, a, b):
        return select(cond, a, b)  # np.where, branch-free when large (same bits)

    # ---- reductions ---------------------------------------------------------------
    def reduce(self, op, a, axes, keepdims):
        if op in ("sum", "prod") and a.dtype.kind in "iu":  # keep int32 (NumPy widens it)
            return np.asarray(_REDUCE[op](a, axis=axes, keepdims=keepdims, dtype=a.dtype))
        return np.asarray(_REDUCE[op](a, axis=axes, keepdims=keepdims))

    def arg_reduce(self, op, a, axis, keepdims):
        f = np.argmax if op == "argmax" else np.argmin
        return np.asarray(f(a, axis=axis, keepdims=keepdims), dtype=np.int64)

    def scan(self, op, a, axis):
        f = np.cumsum if op == "cumsum" else np.cumprod
        return f(a, axis=axis, dtype=a.dtype if a.dtype.kind != "b" else np.int64)

    def sort(self, a, axis, descending):
        if descending:
            # Stable descending: sort the negated keys (reversed order for ties is not stable).
            key = -a if a.dtype.kind in "fi" else ~a if a.dtype.kind == "b" else -a
            idx = np.argsort(key, axis=axis, kind="stable")
        else:
            idx = np.argsort(a, axis=axis, kind="stable")
        return np.take_along_axis(a, idx, axis), idx.astype(np.int64)

    # ---- movement -----------------------------------------------------------------
    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def permute(self, a, axes):
        return np.transpose(a, axes)

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)

    def getitem(self, a, key):
        return a[key]

    def index_add(self, a, key, values):
        out = np.array(a, copy=True)
        np.add.at(out, key, values)
        return out

    def pad(self, a, pads, value):
        return np.pad(a, pads, mode="constant", constant_values=value)

    def concatenate(self, arrays: Sequence[np.ndarray], axis: int):
        return np.concatenate(arrays, axis=axis)

    def flip(self, a, axes):
        return np.flip(a, axes)

    # ---- contraction and indexing -------------------------------------------------
    def matmul(self, a, b):
        with single_thread(gemm_size(a.shape, b.shape)):  # small GEMMs: one BLAS thread
            return np.matmul(a, b)

    def gather(self, a, axis, index):
        return np.take_along_axis(a, index, axis)

    def scatter_add(self, a, axis, index, src):
        out = np.array(a, copy=True)
        idx = list(np.indices(index.shape, sparse=True))
        idx[axis] = index
        np.add.at(out, tuple(idx), src[tuple(slice(0, s) for s in index.shape)])
        return out

    # ---- randomness ---------------------------------------------------------------
    def random(self, dist, key, shape, dtype, a: Any = 0.0, b: Any = 1.0):
        gen = np.random.Generator(np.random.Philox(key=np.array(key, dtype=np.uint64)))
        npd = _NP_DTYPES[dtype]
        if dist == "uniform":
            return (gen.random(shape) * (b - a) + a).astype(npd)
        if dist == "normal":
            return (gen.standard_normal(shape) * b + a).astype(npd)
        if dist == "randint":
            return gen.integers(int(a), int(b), size=shape).astype(npd)
        if dist == "bernoulli":
            return (gen.random(shape) < a).astype(npd)
        raise BackendError(f"unknown distribution {dist!r}")

    # ---- optional kernels ---------------------------------------------------------
    def k_einsum(self, spec: str, *operands: np.ndarray) -> np.ndarray:
        return np.einsum(spec, *operands, optimize=len(operands) > 2)

    # ---- nn kernels: conv / pooling (reference compositions in vqnet_core.nn._conv_ops
    # and vqnet_core.nn._pool_ops). ``padding`` is always explicit ((top, bottom), (left,
    # right)); each forward returns ``(out, ctx)`` and its backward takes that opaque ctx.
    def k_conv2d(self, x, w, b, stride, padding, dilation, groups):
        """Cross-correlation of x [N, C, H, W] with w [O, C/groups, kh, kw] (+ bias b [O] or
        None): one im2col copy through a strided view, then one GEMM per group.

        Stride 1 uses a flat layout: every padded image is one row of ``N * Hp * Wp`` values
        per channel, so each kernel tap is a shifted contiguous run of it (columns past the
        valid ``Ho x Wo`` block are computed and dropped; their gradient is zero)."""
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        xp = _win.pad4(np, x, padding, 0)
        hp, wp = xp.shape[2:]
        ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        flat = stride[0] == 1 and stride[1] == 1
        if flat:
            col = _nn_flat_windows(xp, (kh, kw), dilation, ho)
            cols_n = n * ho * wp
        else:
            col = _nn_windows(xp, (kh, kw), stride, dilation, (ho, wo), "C", "kh", "kw", "N")
            cols_n = n * ho * wo
        col = col.reshape(groups, cg * kh * kw, cols_n)  # the one im2col copy
        w2 = w.reshape(groups, o // groups, cg * kh * kw)
        out = _nn_gemm(w2, col)
        if flat:
            out = out.reshape(o, n, ho, wp)[:, :, :, :wo]
        out = out.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
        res = np.empty((n, o, ho, wo), dtype=np.result_type(x, w))
        if b is not None:
            np.add(out, b.reshape(1, o, 1, 1), out=res)  # bias and the NCHW copy in one pass
        else:
            res[...] = out
        ctx = (x.shape, w, col, stride, padding, dilation, groups, b is not None, flat)
        return res, ctx

    def k_conv2d_backward(self, g, ctx, needs):
        """Gradients (x, w, b) of :meth:`k_conv2d` for upstream ``g``; ``needs`` says which
        of the three to compute (the others come back as None)."""
        xshape, w, col, stride, padding, dilation, groups, has_b, flat = ctx
        o, cg, kh, kw = w.shape
        n, _, ho, wo = g.shape
        if flat:  # g on the padded grid, zero where the forward dropped columns
            (_, _), (pl, pr) = padding
            wp = xshape[3] + pl + pr
            gt = np.zeros((o, n, ho, wp), dtype=g.dtype)
            gt[:, :, :, :wo] = g.transpose(1, 0, 2, 3)
        else:
            gt = np.ascontiguousarray(g.transpose(1, 0, 2, 3))
        g2 = gt.reshape(groups, o // groups, -1)
        gx = gw = gb = None
        if needs[1]:
            # (col @ g2^T)^T: BLAS runs this orientation markedly faster than g2 @ col^T
            gw = _nn_gemm(col, g2.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(w.shape)
        if needs[2] and has_b:
            gb = g.sum(axis=(0, 2, 3))
        if needs[0]:
            w2 = w.reshape(groups, o // groups, cg * kh * kw)
            dcol = _nn_gemm(w2.transpose(0, 2, 1), g2)
            if flat:
                gx = _nn_flat_col2im(dcol.reshape(-1, kh, kw, n, ho * wp), xshape, (kh, kw),
                                     padding, dilation)
            else:
                gx = _nn_col2im(dcol.reshape(-1, kh, kw, n, ho, wo), xshape, (kh, kw), stride,
                                padding, dilation)
        return gx, gw, gb

    def k_conv_transpose2d(self, x, w, b, stride, padding, dilation, groups, out_hw):
        """Transposed convolution of x [N, Cin, H, W] with w [Cin, Cout/groups, kh, kw]:
        the input-gradient of a conv2d, written as GEMM + col2im. ``out_hw`` is the output
        size; ``padding`` the explicit crop ((top, bottom), (left, right))."""
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        cig = cin // groups
        x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(groups, cig, -1)
        w2 = w.reshape(groups, cig, og * kh * kw)
        dcol = _nn_gemm(w2.transpose(0, 2, 1), x2).reshape(-1, kh, kw, n, h, wd)
        out = _nn_col2im(dcol, (n, og * groups) + tuple(out_hw), (kh, kw), stride, padding,
                         dilation)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        return out, (x, w, stride, padding, dilation, groups, b is not None)

    def k_conv_transpose2d_backward(self, g, ctx, needs):
        """Gradients (x, w, b) of :meth:`k_conv_transpose2d` (an im2col of ``g``)."""
        x, w, stride, padding, dilation, groups, has_b = ctx
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        cig = cin // groups
        gp = _win.pad4(np, g, padding, 0)
        col = _nn_windows(gp, (kh, kw), stride, dilation, (h, wd), "C", "kh", "kw", "N")
        col = col.reshape(groups, og * kh * kw, n * h * wd)
        gx = gw = gb = None
        if needs[0]:
            w2 = w.reshape(groups, cig, og * kh * kw)
            gx = _nn_gemm(w2, col).reshape(cin, n, h, wd).transpose(1, 0, 2, 3)
            gx = np.ascontiguousarray(gx)
        if needs[1]:
            x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(groups, cig, -1)
            gw = _nn_gemm(x2, col.transpose(0, 2, 1)).reshape(w.shape)
        if needs[2] and has_b:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb

    def k_max_pool2d(self, x, kernel, stride, padding, dilation):
        """Max over windows of x [N, C, H, W] (padding counts as -inf); ties go to the first
        window element in row-major order, as in PyTorch."""
        kh, kw = kernel
        xp = _win.pad4(np, x, padding, -np.inf)
        ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        taps = [_win.tap(xp, i, j, stride, dilation, ho, wo) for i in range(kh)
                for j in range(kw)]
        out = taps[0].copy()
        for t in taps[1:]:
            np.maximum(out, t, out=out)
        # index of the first tap that reaches the max: scan backwards, keep overwriting
        itype = np.int8 if len(taps) < 128 else np.int64
        idx = np.full(out.shape, len(taps) - 1, dtype=itype)
        small = idx.size < SELECT_MIN  # np.copyto branches per element: slow when large
        for k in range(len(taps) - 2, -1, -1):
            if small:
                np.copyto(idx, itype(k), where=taps[k] == out)
            else:
                idx = select(taps[k] == out, np.array(k, dtype=itype), idx)
        return out, (x.shape, idx, kernel, stride, padding, dilation)

    def k_max_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_max_pool2d` with respect to x."""
        xshape, idx, (kh, kw), stride, padding, dilation = ctx
        (pt, pb), (pl, pr) = padding
        n, c, h, wd = xshape
        ho, wo = g.shape[2:]
        dxp = np.zeros((n, c, h + pt + pb, wd + pl + pr), dtype=g.dtype)
        # windows that cannot overlap: every input pixel gets at most one write
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, (kh, kw)))
        zero = np.zeros((), dtype=g.dtype)
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            tap = _win.tap(dxp, i, j, stride, dilation, ho, wo)
            if disjoint and g.size < SELECT_MIN:
                np.copyto(tap, g, where=idx == k)
            elif disjoint:
                tap[...] = select(idx == k, g, zero)
            else:
                tap += select(idx == k, g, zero)
        return dxp[:, :, pt:pt + h, pl:pl + wd] if (pt or pb or pl or pr) else dxp

    def k_avg_pool2d(self, x, kernel, stride, padding, count_include_pad, divisor_override):
        """Window means of x [N, C, H, W] (zero padding); the divisor is ``divisor_override``
        if given, else the window size, else (``count_include_pad`` False) the number of
        real pixels in each window."""
        return _win.avg_pool2d(np, x, kernel, stride, padding, count_include_pad,
                               divisor_override)

    def k_avg_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_avg_pool2d`: ``g / divisor`` added back onto every window."""
        return _win.avg_pool2d_backward(np, g, ctx)

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        """Batch norm of x [N, C, ...] -> ``(y, mean, var)``: with ``mean`` / ``var`` None the
        batch's mean and biased variance per channel [C] (training), else the given ones."""
        return _norm.batch_norm(np, x, weight, bias, mean, var, eps)

    def k_batch_norm_backward(self, g, x, weight, mean, var, eps, training, needs):
        """Gradients ``(dx, dweight, dbias)`` of :meth:`k_batch_norm` (``needs`` picks)."""
        return _norm.batch_norm_backward(np, g, x, weight, mean, var, eps, training, needs)


# ---- helpers of the nn kernels ------------------------------------------------------------
def _nn_windows(xp, kernel, stride, dilation, out_hw, *lead):
    """A strided view of xp [N, C, Hp, Wp] shaped (lead axes..., Ho, Wo), no copy."""
    s0, s1, s2, s3 = xp.strides
    size = {"N": xp.shape[0], "C": xp.shape[1], "kh": kernel[0], "kw": kernel[1]}
    step = {"N": s0, "C": s1, "kh": s2 * dilation[0], "kw": s3 * dilation[1]}
    shape = tuple(size[a] for a in lead) + tuple(out_hw)
    strides = tuple(step[a] for a in lead) + (s2 * stride[0], s3 * stride[1])
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def _nn_flat_windows(xp, kernel, dilation, ho):
    """Stride-1 windows of xp [N, C, Hp, Wp] as a view [C, kh, kw, N, Ho * Wp]: each image
    flattened (plus a zero tail), tap (i, j) a shift by ``i * Wp + j``; output columns
    ``Wo..Wp-1`` of each row are garbage, dropped by the caller."""
    n, c, hp, wp = xp.shape
    tail = (kernel[1] - 1) * dilation[1]
    buf = np.zeros((c, n, hp * wp + tail), dtype=xp.dtype)
    buf[:, :, :hp * wp].reshape(c, n, hp, wp)[...] = xp.transpose(1, 0, 2, 3)
    s0, s1, s2 = buf.strides
    return np.lib.stride_tricks.as_strided(
        buf, (c, kernel[0], kernel[1], n, ho * wp),
        (s0, s2 * dilation[0] * wp, s2 * dilation[1], s1, s2), writeable=False)


def _nn_flat_col2im(dcol, xshape, kernel, padding, dilation):
    """Inverse of :func:`_nn_flat_windows`: add columns [C, kh, kw, N, Ho * Wp] back."""
    n, c, h, wd = xshape
    (pt, pb), (pl, pr) = padding
    hp, wp = h + pt + pb, wd + pl + pr
    run = dcol.shape[-1]
    tail = (kernel[1] - 1) * dilation[1]
    buf = np.zeros((c, n, hp * wp + tail), dtype=dcol.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            off = i * dilation[0] * wp + j * dilation[1]
            buf[:, :, off:off + run] += dcol[:, i, j]
    img = buf[:, :, :hp * wp].reshape(c, n, hp, wp)[:, :, pt:pt + h, pl:pl + wd]
    return np.ascontiguousarray(img.transpose(1, 0, 2, 3))


def _nn_gemm(a, b):
    """Grouped matrix product [G, m, k] @ [G, k, n]; a plain 2-D GEMM when G == 1."""
    with single_thread(gemm_size(a.shape, b.shape)):  # small GEMMs: one BLAS thread
        if a.shape[0] == 1:
            return (a[0] @ b[0])[None]
        return np.matmul(a, b)


def _nn_col2im(dcol, xshape, kernel, stride, padding, dilation):
    """Scatter-add columns [C, kh, kw, N, Ho, Wo] back onto an image [N, C, H, W]."""
    n, c, h, wd = xshape
    (pt, pb), (pl, pr) = padding
    kh, kw = kernel
    ho, wo = dcol.shape[4:]
    # accumulate channel-major so each tap add walks contiguous rows; one transpose at the end
    dxp = np.zeros((c, n, h + pt + pb, wd + pl + pr), dtype=dcol.dtype)
    for i in range(kh):
        for j in range(kw):
            r, q = i * dilation[0], j * dilation[1]
            dxp[:, :, r:r + stride[0] * (ho - 1) + 1:stride[0],
                q:q + stride[1] * (wo - 1) + 1:stride[1]] += dcol[:, i, j]
    return np.ascontiguousarray(dxp[:, :, pt:pt + h, pl:pl + wd].transpose(1, 0, 2, 3))
