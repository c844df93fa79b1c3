"""Numerical gradient checks by central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def numerical_jacobian_vjp(fn: Callable[..., Any], inputs: Sequence[Any], seed_grad: np.ndarray,
                           eps: float) -> list[np.ndarray]:
    """d<seed_grad, fn(inputs)>/d input, by central differences (conj-Wirtinger for complex)."""
    from ..tensor import QTensor

    base = [x.numpy().copy() for x in inputs]
    grads = []

    def scalar(vals):
        ts = [QTensor(v, dtype=x.dtype, backend=x._b) for v, x in zip(vals, inputs)]
        out = fn(*ts)
        o = out.numpy()
        return float(np.real(np.sum(np.conj(seed_grad) * o)))

    for i, x in enumerate(inputs):
        if not x.requires_grad:
            grads.append(None)
            continue
        g = np.zeros_like(base[i])
        flat = g.reshape(-1)
        for j in range(base[i].size):
            dirs = [1.0] + ([1j] if np.iscomplexobj(base[i]) else [])
            for d in dirs:
                vals = [b.copy() for b in base]
                vals[i].reshape(-1)[j] += eps * d
                up = scalar(vals)
                vals[i].reshape(-1)[j] -= 2 * eps * d
                down = scalar(vals)
                flat[j] += (up - down) / (2 * eps) * d
        grads.append(g)
    return grads


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """Compare autograd's vector-Jacobian product of ``fn`` with central differences.

    Inputs that require grad are checked; use float64 / complex128 inputs.

    >>> import vqnet_core as vq
    >>> x = vq.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    >>> vq.autograd.gradcheck(lambda t: (t.sin() * t).sum(), [x])
    True
    """
    from ..tensor import QTensor

    inputs = [x if isinstance(x, QTensor) else QTensor(x) for x in inputs]
    leaves = [QTensor(x.numpy(), dtype=x.dtype, backend=x._b,
                      requires_grad=x.requires_grad) for x in inputs]
    out = fn(*leaves)
    rng = np.random.default_rng(seed)
    o = out.numpy()
    seed_grad = rng.standard_normal(o.shape)
    if np.iscomplexobj(o):
        seed_grad = seed_grad + 1j * rng.standard_normal(o.shape)
    seed_grad = seed_grad.astype(o.dtype)
    out.backward(QTensor(seed_grad, dtype=out.dtype, backend=out._b))
    numeric = numerical_jacobian_vjp(fn, inputs, seed_grad, eps)
    for k, (leaf, num) in enumerate(zip(leaves, numeric)):
        if num is None:
            continue
        ana = leaf.grad.numpy() if leaf.grad is not None else np.zeros_like(num)
        if not np.allclose(ana, num, atol=atol, rtol=rtol):
            if raise_exception:
                err = np.max(np.abs(ana - num))
                raise AssertionError(f"gradcheck failed for input {k}: max abs error {err:.3g}\n"
                                     f"analytic:\n{ana}\nnumeric:\n{num}")
            return False
    return True
