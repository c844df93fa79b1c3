"""The ``gpu`` array backend (CuPy arrays, RawKernels) and its host emulation.

:class:`GpuBackend` is :class:`~vqnet_gpu._xp.XpBackend` with ``xp = cupy`` and the CUDA
kernels; constructing it without a usable device raises
:class:`~vqnet_core.backend.BackendUnavailableError` with the reason.
:class:`HostEmulationBackend` (``gpu-emulated``) runs the very same Python code with
``xp = numpy`` and the kernels' ``xp`` transcriptions: it verifies the plugin's Python logic
(dispatch, shapes, broadcasting, index arithmetic, in-place rules) on any machine, not the
CUDA code itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vqnet_core.backend.protocol import BackendUnavailableError, Capabilities

from . import _device
from ._nn import NnOps
from ._sv import SvOps
from ._xp import XpBackend

#: The fused kernels both backends declare.
KERNELS = frozenset({
    "einsum", "conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward",
    "max_pool2d", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_backward", "batch_norm", "batch_norm_backward",
    "softmax_cross_entropy", "softmax_cross_entropy_backward", "sgd_step", "adam_step",
    "relu", "relu_backward",
    "sv_apply_1q", "sv_apply_2q", "sv_expval_pauli", "sv_overlap", "sv_apply_seq",
    "sv_adjoint_seq", "sv_apply_affine",
})


class _KernelMixin:
    """The ``k_*`` methods, delegating to :class:`SvOps` / :class:`NnOps`."""

    sv: SvOps
    nn: NnOps
    xp: Any

    # ---- nn ----------------------------------------------------------------------------
    def k_einsum(self, spec: str, *operands: Any) -> Any:
        """``einsum`` (cuBLAS-backed contractions through CuPy on a device)."""
        return self.xp.einsum(spec, *operands)

    def k_conv2d(self, x, w, b, stride, padding, dilation, groups):
        """conv2d: one im2col copy and one batched GEMM; ``(out, ctx)``."""
        return self.nn.conv2d(x, w, b, stride, padding, dilation, groups)

    def k_conv2d_backward(self, g, ctx, needs):
        """``(gx, gw, gb)`` of :meth:`k_conv2d` (GEMMs and a tap-by-tap col2im)."""
        return self.nn.conv2d_backward(g, ctx, needs)

    def k_conv_transpose2d(self, x, w, b, stride, padding, dilation, groups, out_hw):
        """Transposed convolution: one batched GEMM and a col2im; ``(out, ctx)``."""
        return self.nn.conv_transpose2d(x, w, b, stride, padding, dilation, groups, out_hw)

    def k_conv_transpose2d_backward(self, g, ctx, needs):
        """``(gx, gw, gb)`` of :meth:`k_conv_transpose2d` (an im2col of ``g``, two GEMMs)."""
        return self.nn.conv_transpose2d_backward(g, ctx, needs)

    def k_max_pool2d(self, x, kernel, stride, padding, dilation):
        """Max pooling; ties to the first window element (PyTorch's rule)."""
        return self.nn.max_pool2d(x, kernel, stride, padding, dilation)

    def k_max_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_max_pool2d`."""
        return self.nn.max_pool2d_backward(g, ctx)

    def k_avg_pool2d(self, x, kernel, stride, padding, count_include_pad, divisor_override):
        """Average pooling (the divisor rules of ``NumpyBackend.k_avg_pool2d``)."""
        return self.nn.avg_pool2d(x, kernel, stride, padding, count_include_pad,
                                  divisor_override)

    def k_avg_pool2d_backward(self, g, ctx):
        """Gradient of :meth:`k_avg_pool2d`."""
        return self.nn.avg_pool2d_backward(g, ctx)

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        """Batch norm -> ``(y, mean, var)`` (batch statistics when ``mean`` is None)."""
        return self.nn.batch_norm(x, weight, bias, mean, var, eps)

    def k_batch_norm_backward(self, g, x, weight, mean, var, eps, training, needs):
        """``(dx, dweight, dbias)`` of :meth:`k_batch_norm`."""
        return self.nn.batch_norm_backward(g, x, weight, mean, var, eps, training, needs)

    def k_softmax_cross_entropy(self, logits, labels):
        """Per-sample ``logsumexp(logits) - logits[label]``: one CUDA kernel on a device."""
        _check_labels(labels)
        return self.nn.softmax_xent(logits, labels)

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        """``(softmax(logits) - onehot(labels)) * g[:, None]``: one CUDA kernel on a device."""
        _check_labels(labels)
        return self.nn.softmax_xent_backward(logits, labels, g)

    def k_relu(self, x):
        """``max(x, 0)`` (NaN stays NaN)."""
        return self.xp.maximum(x, x.dtype.type(0))  # a scalar argument, no device allocation

    def k_relu_backward(self, g, x):
        """``where(x <= 0, 0, g)``."""
        return self.xp.where(x <= 0, g.dtype.type(0), g)

    def k_sgd_step(self, p, g, buf, lr, momentum, dampening, nesterov, weight_decay,
                   maximize):
        """One ``torch.optim.SGD`` update in one kernel: ``(new_param, new_buffer)``."""
        return self.nn.sgd(p, g, buf, lr, momentum, dampening, nesterov, weight_decay,
                           maximize)

    def k_adam_step(self, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                    eps, weight_decay, amsgrad, maximize, decoupled):
        """One Adam / AdamW update in one kernel: ``(param, exp_avg, exp_avg_sq, max)``."""
        return self.nn.adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                            eps, weight_decay, amsgrad, maximize, decoupled)

    # ---- state vector ----------------------------------------------------------------------
    def k_sv_apply_1q(self, state, n, wire, mat):
        """A 2x2 gate ``mat [Bm, 2, 2]`` on ``wire`` of ``state [Bs, 2^n]``."""
        if self.sv.native(state, mat):
            return self.sv.apply_dense(state, int(n), (int(wire),), mat)
        from vqnet_core.quantum.kernels import apply_matrix_reference
        return apply_matrix_reference(self, state, n, (wire,), mat)

    def k_sv_apply_2q(self, state, n, wires, mat):
        """A 4x4 gate ``mat [Bm, 4, 4]`` on ascending ``wires``."""
        if self.sv.native(state, mat):
            return self.sv.apply_dense(state, int(n), tuple(int(w) for w in wires), mat)
        from vqnet_core.quantum.kernels import apply_matrix_reference
        return apply_matrix_reference(self, state, n, tuple(wires), mat)

    def k_sv_expval_pauli(self, state, n, word):
        """``<psi|P|psi>`` for a Pauli ``word`` over all n wires -> real ``[Bs]``."""
        if self.sv.native(state):
            return self.sv.expval_pauli(state, int(n), str(word))
        from vqnet_core.quantum.kernels import expval_pauli_reference
        return expval_pauli_reference(self, state, n, word)

    def k_sv_overlap(self, phi, psi, n, wires):
        """``R[b, i, j] = sum_rest conj(phi[b, rest, i]) psi[b, rest, j]`` (1 or 2 wires)."""
        if len(wires) <= 2 and self.sv.native(phi, psi):
            return self.sv.overlap(phi, psi, int(n), tuple(int(w) for w in wires))
        from vqnet_core.quantum.kernels import overlap_reference
        return overlap_reference(self, phi, psi, n, wires)

    def k_sv_apply_seq(self, state, n, gates, inplace=False):
        """Gates ``[(wires, mat), ...]`` in order, one kernel each, in place after the first
        (or from the start with ``inplace=True`` on an owned state)."""
        if self.sv.native(state, *(m for _, m in gates)) and all(len(w) <= 2 for w, _ in gates):
            return self.sv.apply_seq(state, int(n), [(tuple(int(x) for x in w), m)
                                                     for w, m in gates], bool(inplace))
        from vqnet_core.quantum.kernels import apply_seq_reference
        return apply_seq_reference(self, state, n, gates)

    def k_sv_adjoint_seq(self, ket, brac, n, gates, inplace=False):
        """One run of the adjoint sweep: ``(ket, brac, [R, ...])``."""
        if self.sv.native(ket, brac, *(m for g in gates for m in g[1:3])) \
                and all(len(g[0]) <= 2 for g in gates):
            return self.sv.adjoint_seq(ket, brac, int(n), [
                (tuple(int(x) for x in w), mk, mb, bool(want)) for w, mk, mb, want in gates],
                bool(inplace))
        from vqnet_core.quantum.kernels import adjoint_seq_reference
        return adjoint_seq_reference(self, ket, brac, n, gates)

    def k_sv_apply_affine(self, state, n, cols, c):
        """An affine basis permutation ``out[:, i] = state[:, f(i)]`` in one pass."""
        if self.sv.native(state):
            return self.sv.apply_affine(state, int(n), tuple(int(v) for v in cols), int(c))
        from vqnet_core.quantum.kernels import apply_affine_reference
        return apply_affine_reference(self, state, n, cols, c)


def _check_labels(labels: Any) -> None:
    kind = np.dtype(labels.dtype).kind if hasattr(labels, "dtype") else "?"
    if kind not in "iu":
        raise TypeError(f"softmax_cross_entropy labels must be integers, got "
                        f"{getattr(labels, 'dtype', type(labels).__name__)}")


class GpuBackend(_KernelMixin, XpBackend):
    """VQNet's CUDA array backend on CuPy (``vqnet_core.set_backend("gpu")``).

    Without a usable GPU the constructor raises ``BackendUnavailableError`` saying why
    (CuPy missing, no / old CUDA driver, no device) and what to do:

    >>> import vqnet_core as vq
    >>> from vqnet_gpu import is_available
    >>> if is_available():
    ...     with vq.backend("gpu"):
    ...         vals = (vq.ones(3) * 2).tolist()
    ... else:
    ...     vals = [2.0, 2.0, 2.0]  # vq.set_backend("gpu") raises, saying why
    >>> vals
    [2.0, 2.0, 2.0]
    """

    name = "gpu"
    capabilities = Capabilities(kernels=KERNELS, device="cuda")

    def __init__(self) -> None:
        status = _device.probe()
        if not status.available:
            raise BackendUnavailableError(_device.unavailable_message(status))
        import cupy

        from ._cuda import CudaKernels
        self.xp = cupy
        self.cuda = CudaKernels(cupy)
        self.sv = SvOps(cupy, self.cuda)
        self.nn = NnOps(cupy, self.cuda)
        self.capabilities = Capabilities(
            kernels=KERNELS, device="cuda",
            extra={"device": status.device_name, "cupy": status.cupy_version,
                   "cuda_runtime": status.runtime_version})


class HostEmulationBackend(_KernelMixin, XpBackend):
    """The ``gpu`` backend's Python code on NumPy (``gpu-emulated``): a test mode that checks
    the plugin's logic without a GPU (not its CUDA kernels, and not a fast backend).

    >>> from vqnet_gpu import HostEmulationBackend
    >>> import numpy as np
    >>> B = HostEmulationBackend()
    >>> st = np.array([[1, 0]], dtype=np.complex128)
    >>> x = np.array([[[0, 1], [1, 0]]], dtype=np.complex128)
    >>> B.k_sv_apply_1q(st, 1, 0, x).real.tolist()
    [[0.0, 1.0]]
    """

    name = "gpu-emulated"
    capabilities = Capabilities(kernels=KERNELS, device="cpu",
                                extra={"emulates": "gpu (Python logic only, NumPy arrays)"})

    def __init__(self) -> None:
        self.xp = np
        self.cuda = None
        self.sv = SvOps(np, None)
        self.nn = NnOps(np, None)
