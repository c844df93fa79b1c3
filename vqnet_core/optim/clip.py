"""Gradient clipping: by global norm and by value (PyTorch's ``clip_grad_*_``)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..tensor import QTensor
from ._validate import real_hyper

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Iterable[QTensor] | QTensor) -> list[QTensor]:
    params = [parameters] if isinstance(parameters, QTensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[QTensor] | QTensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> QTensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping. Each gradient gets a new array.

    >>> import vqnet_core as vq
    >>> w = vq.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()              # grad = [6, 8], norm 10
    >>> round(clip_grad_norm_([w], 1.0).item(), 4)
    10.0
    >>> [round(v, 3) for v in w.grad.tolist()]
    [0.6, 0.8]
    """
    max_norm = real_hyper(max_norm, "max_norm", low=0.0)
    norm_type = real_hyper(norm_type, "norm_type", low=0.0, low_open=True, allow_inf=True)
    params = _with_grads(parameters)
    if not params:
        return QTensor(0.0)
    B = params[0].grad._b
    real = params[0].dtype.to_real()
    norms = []
    for p in params:
        g = p.grad._data
        a = B.unary("abs", g)
        if p.grad.dtype.kind == "c":
            a = B.astype(a, p.grad.dtype.to_real().name)
        if norm_type == math.inf:
            n = B.reduce("max", a, None, False)
        else:
            n = B.binary("pow", B.reduce("sum", B.binary("pow", a, norm_type), None, False),
                         1.0 / norm_type)
        norms.append(float(B.to_numpy(n)))
    if norm_type == math.inf:
        total = max(norms)
    else:
        total = math.fsum(n ** norm_type for n in norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                           "non-finite, so it cannot be clipped; pass "
                           "error_if_nonfinite=False to skip this check")
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        g = p.grad
        p.grad = QTensor._wrap(g._b.binary("mul", g._data, coef), g._b, g.dtype)
    return QTensor(total, dtype=real)


def clip_grad_value_(parameters: Iterable[QTensor] | QTensor, clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]`` (new arrays).

    >>> import vqnet_core as vq
    >>> w = vq.tensor([3.0, -4.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> clip_grad_value_([w], 1.0); w.grad.tolist()
    [1.0, -1.0]
    """
    v = real_hyper(clip_value, "clip_value", low=0.0)
    for p in _with_grads(parameters):
        g = p.grad
        if g.dtype.kind == "c":
            raise TypeError("clip_grad_value_ is not defined for complex gradients")
        B = g._b
        p.grad = QTensor._wrap(B.binary("minimum", B.binary("maximum", g._data, -v), v), B,
                               g.dtype)
