"""Autograd: the tape, ``backward``, ``grad``, ``Function`` and ``gradcheck``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .engine import (
    enable_grad,
    is_grad_enabled,
    no_grad,
    register_grad_ready_hook,
    run_backward,
    set_grad_enabled,
)
from .function import Function, FunctionCtx
from .gradcheck import gradcheck

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "register_grad_ready_hook"]


def _as_list(x: Any) -> list:
    from ..tensor import QTensor

    return [x] if isinstance(x, QTensor) else list(x)


def _seeds(outputs: list, grad_outputs: Any) -> list:
    """The native upstream gradients of ``outputs``: ones for one-element outputs by default."""
    from ..tensor import QTensor

    given = [None] * len(outputs) if grad_outputs is None else _as_list(grad_outputs)
    seeds = []
    for o, g in zip(outputs, given):
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for one-element outputs; "
                                   f"pass a gradient for the output of shape {o.shape}")
            seeds.append(o._b.full(o.shape, 1, o._dtype.name))
        else:
            seeds.append((g if isinstance(g, QTensor) else QTensor(g, backend=o._b))._data)
    return seeds


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool = False) -> None:
    """Run ``backward`` from one or several outputs at once."""
    ts = _as_list(tensors)
    run_backward(ts, _seeds(ts, grad_tensors), retain_graph)


def grad(outputs: Any, inputs: Sequence[Any], grad_outputs: Any = None,
         retain_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import vqnet_core as vq
    >>> x = vq.tensor([2.0], requires_grad=True)
    >>> vq.autograd.grad((x ** 3).sum(), [x])[0].tolist()
    [12.0]
    """
    from ..tensor import QTensor

    outs, ins = _as_list(outputs), _as_list(inputs)
    for o in outs:
        if not o.requires_grad:
            raise RuntimeError("an output does not require grad")
    got = run_backward(outs, _seeds(outs, grad_outputs), retain_graph, capture=ins)
    result = []
    for t, g in zip(ins, got):
        if g is None:
            if not allow_unused:
                raise RuntimeError("one of the inputs was not used to compute the outputs; "
                                   "pass allow_unused=True")
            result.append(None)
        else:
            result.append(QTensor._wrap(g, t._b, t._dtype))
    return tuple(result)
