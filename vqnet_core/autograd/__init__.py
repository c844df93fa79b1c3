"""Autograd: the tape, ``backward``, ``grad``, ``Function`` and ``gradcheck``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .engine import enable_grad, is_grad_enabled, no_grad, run_backward, set_grad_enabled
from .function import Function, FunctionCtx
from .gradcheck import gradcheck

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool = False) -> None:
    """Run ``backward`` from one or several outputs at once."""
    from ..tensor import QTensor

    ts = [tensors] if isinstance(tensors, QTensor) else list(tensors)
    gs = [None] * len(ts) if grad_tensors is None else (
        [grad_tensors] if isinstance(grad_tensors, QTensor) else list(grad_tensors))
    seeds = []
    for t, g in zip(ts, gs):
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for one-element outputs")
            seeds.append(t._b.full(t.shape, 1, t._dtype.name))
        else:
            seeds.append((g if isinstance(g, QTensor) else QTensor(g, backend=t._b))._data)
    run_backward(ts, seeds, retain_graph)


def grad(outputs: Any, inputs: Sequence[Any], grad_outputs: Any = None,
         retain_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import vqnet_core as vq
    >>> x = vq.tensor([2.0], requires_grad=True)
    >>> vq.autograd.grad((x ** 3).sum(), [x])[0].tolist()
    [12.0]
    """
    from ..tensor import QTensor

    outs = [outputs] if isinstance(outputs, QTensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, QTensor) else list(inputs)
    gos = [None] * len(outs) if grad_outputs is None else (
        [grad_outputs] if isinstance(grad_outputs, QTensor) else list(grad_outputs))
    for o in outs:
        if not o.requires_grad:
            raise RuntimeError("an output does not require grad")
    seeds = []
    for o, g in zip(outs, gos):
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad_outputs is needed for outputs with more than one element")
            seeds.append(o._b.full(o.shape, 1, o._dtype.name))
        else:
            seeds.append((g if isinstance(g, QTensor) else QTensor(g, backend=o._b))._data)
    got = run_backward(outs, seeds, retain_graph, capture=ins)
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
