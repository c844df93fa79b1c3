"""The ``cpu`` array backend: NumPy arrays as storage, C kernels for the compute.

Primitives with a C implementation (float32 / float64 operands): elementwise unary and
binary ops with broadcasting, ``where``, the reductions ``sum / prod / max / min``, and the
fused kernels listed in :attr:`CpuBackend.capabilities`. Everything else -- other dtypes
(bool, ints, complex), movement ops that are views (reshape, permute, broadcast_to, getitem,
flip), concatenate / pad / sort / scans / gather, ``matmul`` (NumPy's BLAS) and the RNG -- is
inherited from the NumPy reference backend, so results are NumPy's there by construction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.backend.protocol import Capabilities

from . import _ext, _nn, _pool_norm

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# op codes: the order of the enums in csrc/common.h
_UNARY = {name: i for i, name in enumerate(
    ["neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin",
     "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "floor", "ceil",
     "round", "trunc", "sigmoid", "reciprocal", "square"])}
_BINARY = {name: i for i, name in enumerate(
    ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "eq", "ne", "lt", "le",
     "gt", "ge"])}
_REDUCE = {"sum": 0, "prod": 1, "max": 2, "min": 3}
_RELU = len(_UNARY)  # U_RELU follows U_SQUARE in csrc/common.h (not a protocol unary op)

#: The fused kernels this backend declares. ``einsum`` and ``conv_transpose2d`` are the
#: NumPy reference backend's (BLAS-bound already); the rest run in C.
KERNELS = frozenset({
    "conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_backward", "batch_norm", "batch_norm_backward",
    "softmax_cross_entropy", "softmax_cross_entropy_backward", "sgd_step", "adam_step",
    "relu", "relu_backward",
    "einsum", "conv_transpose2d", "conv_transpose2d_backward",
    "sv_apply_1q", "sv_apply_2q", "sv_expval_pauli", "sv_overlap", "sv_apply_seq",
    "sv_adjoint_seq", "sv_apply_affine",
})
_COMPLEX = (np.dtype(np.complex64), np.dtype(np.complex128))


def _is_float_array(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype in _FLOATS


def _as_operand(v: Any, dtype: np.dtype) -> np.ndarray | None:
    """``v`` as an array of ``dtype`` when that keeps NumPy's result, else None."""
    if isinstance(v, np.ndarray):
        return v if v.dtype == dtype else None
    if isinstance(v, (bool, int, float)):  # Python scalars take the array's dtype (NEP 50)
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
            return None  # leave NumPy's own overflow rules to NumPy
        return np.array(v, dtype=dtype)
    return None


def _operand_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``a`` and ``b`` as arrays of the first float array's dtype, or None where the kernel
    would not give NumPy's result (see :func:`_as_operand`)."""
    ref = a if _is_float_array(a) else b if _is_float_array(b) else None
    if ref is None:
        return None
    x, y = _as_operand(a, ref.dtype), _as_operand(b, ref.dtype)
    return None if x is None or y is None else (x, y)


class CpuBackend(NumpyBackend):
    """VQNet's C-extension CPU backend (``vqnet_core.set_backend("cpu")``).

    >>> from vqnet_cpu import CpuBackend
    >>> import numpy as np
    >>> B = CpuBackend()
    >>> B.binary("add", np.ones((2, 1), np.float32), np.arange(3, dtype=np.float32)).shape
    (2, 3)
    """

    name = "cpu"
    capabilities = Capabilities(kernels=KERNELS, device="cpu",
                                extra={"openmp": _ext.has_openmp()})

    # ---- elementwise --------------------------------------------------------------
    def unary(self, op, a):
        code = _UNARY.get(op)
        if code is not None and _is_float_array(a):
            return _ext.unary(code, a)
        return super().unary(op, a)

    def binary(self, op, a, b):
        code = _BINARY.get(op)
        if code is not None and (xy := _operand_pair(a, b)) is not None:
            return _ext.binary(code, *xy)
        return super().binary(op, a, b)

    def where(self, cond, a, b):
        if (isinstance(cond, np.ndarray) and cond.dtype == np.bool_
                and (xy := _operand_pair(a, b)) is not None):
            return _ext.where(cond, *xy)
        return super().where(cond, a, b)

    # ---- reductions ---------------------------------------------------------------
    def reduce(self, op, a, axes, keepdims):
        code = _REDUCE.get(op)
        if code is None or not _is_float_array(a) or a.size == 0:
            return super().reduce(op, a, axes, keepdims)
        nd = a.ndim
        red = tuple(range(nd)) if axes is None else tuple(sorted({int(x) % max(nd, 1)
                                                                  for x in axes}))
        if not red or nd == 0:
            return super().reduce(op, a, axes, keepdims)
        kept = [i for i in range(nd) if i not in red]
        out_shape = tuple(1 if i in red else a.shape[i] for i in range(nd)) if keepdims \
            else tuple(a.shape[i] for i in kept)
        if red[-1] - red[0] + 1 == len(red):  # one block of axes: view as [outer, r, inner]
            outer = math.prod(a.shape[:red[0]])
            r = math.prod(a.shape[red[0]:red[-1] + 1])
            inner = math.prod(a.shape[red[-1] + 1:])
            src = a
        else:  # move the reduced axes last (one copy)
            src = np.ascontiguousarray(a.transpose(kept + list(red)))
            outer, r, inner = math.prod(a.shape[i] for i in kept), \
                math.prod(a.shape[i] for i in red), 1
        return _ext.reduce(code, src, outer, r, inner).reshape(out_shape)

    # ---- fused nn kernels -----------------------------------------------------------
    def k_conv2d(self, x, w, b, stride, padding, dilation, groups):
        """conv2d forward (im2col in C + BLAS GEMM); see ``NumpyBackend.k_conv2d``."""
        return _nn.conv2d(x, w, b, stride, padding, dilation, groups)

    def k_conv2d_backward(self, g, ctx, needs):
        """conv2d gradients ``(gx, gw, gb)`` (GEMMs + col2im in C)."""
        return _nn.conv2d_backward(g, ctx, needs)

    def k_max_pool2d(self, x, kernel, stride, padding, dilation):
        """Max pooling over windows of x [N, C, H, W], in C."""
        return _nn.max_pool2d(x, kernel, stride, padding, dilation)

    def k_max_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_max_pool2d`, in C."""
        return _nn.max_pool2d_backward(g, ctx)

    def k_avg_pool2d(self, x, kernel, stride, padding, count_include_pad, divisor_override):
        """Average pooling over windows of x [N, C, H, W], in C."""
        return _pool_norm.avg_pool2d(x, kernel, stride, padding, count_include_pad,
                                     divisor_override)

    def k_avg_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_avg_pool2d`, in C."""
        return _pool_norm.avg_pool2d_backward(g, ctx)

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        """Batch norm of x [N, C, ...] -> ``(y, mean, var)``, one OpenMP task per channel."""
        return _pool_norm.batch_norm(x, weight, bias, mean, var, eps)

    def k_batch_norm_backward(self, g, x, weight, mean, var, eps, training, needs):
        """``(dx, dweight, dbias)`` of :meth:`k_batch_norm`, one pass per channel, in C."""
        return _pool_norm.batch_norm_backward(g, x, weight, mean, var, eps, training, needs)

    def k_softmax_cross_entropy(self, logits, labels):
        """Per-sample ``logsumexp(logits) - logits[label]`` of [N, C] logits, in C."""
        if not _is_float_array(logits):
            from vqnet_core.nn.loss import softmax_cross_entropy_reference
            return softmax_cross_entropy_reference(self, logits, labels)
        return _ext.softmax_xent(logits, _labels(labels))

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        """``(softmax(logits) - onehot(labels)) * g[:, None]``, in C."""
        if not _is_float_array(logits):
            from vqnet_core.nn.loss import softmax_cross_entropy_backward_reference
            return softmax_cross_entropy_backward_reference(self, logits, labels, g)
        return _ext.softmax_xent_backward(logits, _labels(labels),
                                          np.asarray(g, dtype=logits.dtype))

    def k_relu(self, x):
        """``max(x, 0)`` in one C pass (NaN stays NaN, as ``torch.relu``)."""
        if not _is_float_array(x):
            from vqnet_core.nn.functional import relu_reference
            return relu_reference(self, x)
        return _ext.unary(_RELU, x)

    def k_relu_backward(self, g, x):
        """``dx = where(x <= 0, 0, g)`` in one C pass."""
        g, x = _arrays(g, x)
        if not (_is_float_array(g) and g.dtype == getattr(x, "dtype", None)):
            from vqnet_core.nn.functional import relu_backward_reference
            return relu_backward_reference(self, g, x)
        return _ext.relu_backward(g, x)

    # ---- state-vector kernels (vqnet_core.quantum.kernels) ----------------------------
    def k_sv_apply_1q(self, state, n, wire, mat):
        """A 2x2 ``mat [Bm, 2, 2]`` on ``wire`` of ``state [Bs, 2^n]``, in C."""
        if _sv_native(state, mat):
            return _ext.sv_apply(state, int(n), (int(wire),), mat)
        from vqnet_core.quantum.kernels import apply_matrix_reference
        return apply_matrix_reference(self, state, n, (wire,), mat)

    def k_sv_apply_2q(self, state, n, wires, mat):
        """A 4x4 ``mat [Bm, 4, 4]`` on ascending ``wires`` of ``state [Bs, 2^n]``, in C."""
        if _sv_native(state, mat):
            return _ext.sv_apply(state, int(n), tuple(int(w) for w in wires), mat)
        from vqnet_core.quantum.kernels import apply_matrix_reference
        return apply_matrix_reference(self, state, n, tuple(wires), mat)

    def k_sv_expval_pauli(self, state, n, word):
        """``<psi|P|psi>`` for a Pauli ``word`` over all n wires, real ``[Bs]``, in C."""
        if _sv_native(state):
            return _ext.sv_expval_pauli(state, int(n), str(word))
        from vqnet_core.quantum.kernels import expval_pauli_reference
        return expval_pauli_reference(self, state, n, word)

    def k_sv_overlap(self, phi, psi, n, wires):
        """``R[b, i, j] = sum_rest conj(phi[b, rest, i]) psi[b, rest, j]`` (1 or 2 wires)."""
        if len(wires) <= 2 and _sv_native(phi, psi):
            return _ext.sv_overlap(phi, psi, int(n), tuple(int(w) for w in wires))
        from vqnet_core.quantum.kernels import overlap_reference
        return overlap_reference(self, phi, psi, n, wires)

    def k_sv_apply_seq(self, state, n, gates, inplace=False):
        """Gates ``[(wires, mat), ...]`` in order, cache-blocked in C (see csrc/sv_seq.c);
        ``inplace``: the result may overwrite ``state`` (kernels.py's contract)."""
        if _sv_native(state, *(m for _, m in gates)) and all(len(w) <= 2 for w, _ in gates):
            return _ext.sv_apply_seq(state, int(n), [(_wires(w), _dense(m)) for w, m in gates],
                                     bool(inplace))
        from vqnet_core.quantum.kernels import apply_seq_reference
        return apply_seq_reference(self, state, n, gates)

    def k_sv_adjoint_seq(self, ket, brac, n, gates, inplace=False):
        """One run of the adjoint sweep, cache-blocked in C: ``(ket, brac, [R, ...])``;
        ``inplace``: the results may overwrite ``ket`` and ``brac``."""
        if _sv_native(ket, brac, *(m for g in gates for m in g[1:3])) \
                and all(len(g[0]) <= 2 for g in gates):
            k, b, rs = _ext.sv_adjoint_seq(ket, brac, int(n), [
                (_wires(w), _dense(mk), _dense(mb), bool(want)) for w, mk, mb, want in gates],
                bool(inplace))
            diag = [mk.ndim == 2 for _, mk, _, want in gates if want]
            return k, b, [np.diagonal(r, axis1=1, axis2=2) if d else r
                          for r, d in zip(rs, diag)]
        from vqnet_core.quantum.kernels import adjoint_seq_reference
        return adjoint_seq_reference(self, ket, brac, n, gates)

    def k_sv_apply_affine(self, state, n, cols, c):
        """An affine basis permutation ``out[:, i] = state[:, f(i)]`` in one C pass."""
        if _sv_native(state):
            return _ext.sv_apply_affine(state, int(n), tuple(int(v) for v in cols), int(c))
        from vqnet_core.quantum.kernels import apply_affine_reference
        return apply_affine_reference(self, state, n, cols, c)

    def getitem(self, a, key):
        # the statevector machine's permutation gates: state[:, index] -> a C gather
        if (type(key) is tuple and len(key) == 2 and isinstance(key[0], slice)
                and key[0] == slice(None)
                and isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype in _COMPLEX
                and isinstance(key[1], np.ndarray) and key[1].dtype == np.int64
                and key[1].shape == (a.shape[1],)):
            return _ext.sv_gather(a, key[1])
        return super().getitem(a, key)

    # ---- fused optimizer updates ----------------------------------------------------
    def k_sgd_step(self, p, g, buf, lr, momentum, dampening, nesterov, weight_decay,
                   maximize):
        """One ``torch.optim.SGD`` update in C: ``(new_param, new_buffer or None)``."""
        if not _is_float_array(p):
            from vqnet_core.optim.sgd import sgd_step_reference
            return sgd_step_reference(self, p, g, buf, lr, momentum, dampening, nesterov,
                                      weight_decay, maximize)
        p, g, buf = _arrays(p, g, buf)
        return _ext.sgd_step(p, g, buf, float(lr), float(momentum), float(dampening),
                             bool(nesterov), float(weight_decay), bool(maximize))

    def k_adam_step(self, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                    eps, weight_decay, amsgrad, maximize, decoupled):
        """One Adam / AdamW update in C: ``(new_param, exp_avg, exp_avg_sq, max_exp_avg_sq)``."""
        if not _is_float_array(p):
            from vqnet_core.optim.adam import adam_step_reference
            return adam_step_reference(self, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step,
                                       lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                                       decoupled)
        p, g, exp_avg, exp_avg_sq, max_exp_avg_sq = _arrays(p, g, exp_avg, exp_avg_sq,
                                                             max_exp_avg_sq)
        return _ext.adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, int(step), float(lr),
                              float(beta1), float(beta2), float(eps), float(weight_decay),
                              bool(amsgrad), bool(maximize), bool(decoupled))


def _sv_native(*xs: Any) -> bool:
    """All complex64 or all complex128 NumPy arrays (else the reference composition runs)."""
    return (all(isinstance(x, np.ndarray) for x in xs) and xs[0].dtype in _COMPLEX
            and all(x.dtype == xs[0].dtype for x in xs))


def _wires(w: Any) -> tuple[int, ...]:
    return tuple(int(x) for x in w)


def _dense(m: np.ndarray) -> np.ndarray:
    """A gate matrix ``[B, d, d]``; a diagonal ``[B, d]`` is spread onto one."""
    if m.ndim != 2:
        return m
    out = np.zeros(m.shape + (m.shape[1],), dtype=m.dtype)
    idx = np.arange(m.shape[1])
    out[:, idx, idx] = m
    return out


def _arrays(*xs: Any) -> list[Any]:
    """Native arrays (a NumPy scalar becomes a 0-d array; None stays None)."""
    return [x if x is None or isinstance(x, np.ndarray) else np.asarray(x) for x in xs]


def _labels(labels: Any) -> np.ndarray:
    lab = np.asarray(labels)
    if lab.dtype.kind not in "iu":
        raise TypeError(f"softmax_cross_entropy labels must be integers, got {lab.dtype}")
    return lab.astype(np.int64, copy=False)
