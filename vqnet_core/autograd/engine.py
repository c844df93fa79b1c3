"""The dynamic tape: nodes recorded by ops, and the reverse sweep that runs them.

Each op that produces a tensor from inputs that require grad records a :class:`Node` holding
its input tensors and a ``backward`` closure. The closure maps the upstream gradient (a native
backend array) to one gradient per input, written in backend primitives; ``None`` stands for
"no gradient". Complex gradients follow PyTorch's conjugate-Wirtinger convention: for a real
loss L and complex z, ``z.grad = dL/dx + i dL/dy``.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

if TYPE_CHECKING:
    from ..tensor import QTensor

__all__ = ["Node", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "run_backward"]


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops record the tape in this thread."""
    return _mode.enabled


@contextlib.contextmanager
def set_grad_enabled(flag: bool) -> Iterator[None]:
    """Enable or disable tape recording inside the block."""
    prev = _mode.enabled
    _mode.enabled = bool(flag)
    try:
        yield
    finally:
        _mode.enabled = prev


def no_grad():
    """Context manager (and decorator) that stops recording the tape.

    >>> import vqnet_core as vq
    >>> x = vq.ones(2, requires_grad=True)
    >>> with vq.no_grad():
    ...     (x * 2).requires_grad
    False
    """
    return set_grad_enabled(False)


def enable_grad():
    """Context manager that turns recording back on inside a ``no_grad`` block."""
    return set_grad_enabled(True)


class Node:
    """One recorded op: its input tensors and the rule that maps grad-out to grad-ins."""

    __slots__ = ("inputs", "backward", "name")

    def __init__(self, inputs: Sequence[QTensor], backward: Callable[[Any], Sequence[Any]],
                 name: str = "") -> None:
        self.inputs = inputs
        self.backward = backward
        self.name = name

    def __repr__(self) -> str:
        return f"<Node {self.name or 'op'}>"


def _freed(_g):
    raise RuntimeError(
        "trying to backward through the graph a second time; its saved values were freed. "
        "Pass retain_graph=True to the first backward() if you need to.")


def _topo_order(roots: Sequence[QTensor]) -> list[QTensor]:
    """Tensors reachable from ``roots`` through nodes, inputs before outputs."""
    order: list[QTensor] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[QTensor, int]] = [(root, 0)]
        while stack:
            t, i = stack[-1]
            node = t._node
            inputs = node.inputs if node is not None else ()
            while i < len(inputs):
                p = inputs[i]
                i += 1
                if p is not None and p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    stack[-1] = (t, i)
                    stack.append((p, 0))
                    break
            else:
                stack.pop()
                order.append(t)
    return order


def _fit(B, g, target: QTensor):
    """Cast a gradient to the dtype of the tensor it belongs to (complex -> real part)."""
    name = target._dtype.name
    if B.dtype_name(g) != name:
        g = B.astype(g, name)
    return g


def run_backward(roots: Sequence[QTensor], grads: Sequence[Any], retain_graph: bool = False,
                 capture: Sequence[QTensor] | None = None) -> list[Any] | None:
    """Sweep the tape from ``roots`` (seeded with native ``grads``).

    Without ``capture``, gradients accumulate into ``.grad`` of leaves (and of tensors that
    called ``retain_grad()``). With ``capture``, nothing is accumulated; the gradients of the
    ``capture`` tensors are returned instead (``None`` where a tensor is not reached).
    """
    from ..tensor import QTensor

    order = _topo_order(roots)
    pending: dict[int, Any] = {}
    for r, g in zip(roots, grads):
        B = r._b
        g = _fit(B, g, r)
        pending[id(r)] = B.binary("add", pending[id(r)], g) if id(r) in pending else g
    wanted = {id(t): k for k, t in enumerate(capture)} if capture is not None else None
    captured: list[Any] = [None] * (len(capture) if capture is not None else 0)

    for t in reversed(order):
        g = pending.pop(id(t), None)
        if g is None:
            continue
        B = t._b
        if wanted is not None:
            k = wanted.get(id(t))
            if k is not None:
                captured[k] = g
        elif t._node is None or t._retain:
            if t.grad is None:
                t.grad = QTensor._wrap(g, B, t._dtype)
            else:
                t.grad._data = B.binary("add", t.grad._data, g)
        node = t._node
        if node is None:
            continue
        in_grads = node.backward(g)
        if not retain_graph:
            node.backward = _freed
        for p, pg in zip(node.inputs, in_grads):
            if pg is None or p is None or not p.requires_grad:
                continue
            pg = _fit(B, pg, p)
            key = id(p)
            prev = pending.get(key)
            pending[key] = pg if prev is None else B.binary("add", prev, pg)
    return captured if capture is not None else None
