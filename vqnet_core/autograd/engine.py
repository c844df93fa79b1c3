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
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tensor import QTensor

__all__ = ["Node", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "run_backward", "register_grad_ready_hook", "GradReadyHandle"]


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


#: Marks an input that takes no gradient (None, or not requiring grad when recorded).
_SKIP = object()


class Node:
    """One recorded op: its input tensors and the rule that maps grad-out to grad-ins.

    ``parents`` snapshots, per input, the node that produced it *when this op was recorded*
    (``None`` for a leaf, ``_SKIP`` for an input that takes no gradient). The sweep follows
    the snapshot, so an input modified in place afterwards (``y[0] = v`` gives ``y`` a new
    node) still sends this op's gradient to the value it actually used.
    """

    __slots__ = ("inputs", "parents", "backward", "name")

    def __init__(self, inputs: Sequence[QTensor], backward: Callable[[Any], Sequence[Any]],
                 name: str = "", parents: tuple | None = None) -> None:
        self.inputs = inputs
        if parents is None:
            if len(inputs) == 2:  # the common case, without building a list
                a, b = inputs
                parents = (a._node if a is not None and a.requires_grad else _SKIP,
                           b._node if b is not None and b.requires_grad else _SKIP)
            else:
                parents = tuple([p._node if p is not None and p.requires_grad else _SKIP
                                 for p in inputs])
        self.parents = parents
        self.backward = backward
        self.name = name

    def __repr__(self) -> str:
        return f"<Node {self.name or 'op'}>"


#: id(tensor) -> functions ``hook(tensor)`` run once the sweep has accumulated the tensor's
#: ``.grad`` for the last time in that sweep (see :func:`register_grad_ready_hook`).
_GRAD_READY: dict[int, list[Callable[[Any], None]]] = {}


class GradReadyHandle:
    """What :func:`register_grad_ready_hook` returns: ``remove()`` unregisters the hook."""

    __slots__ = ("_key", "_fn")

    def __init__(self, key: int, fn: Callable[[Any], None]) -> None:
        self._key, self._fn = key, fn

    def remove(self) -> None:
        hooks = _GRAD_READY.get(self._key)
        if hooks is not None and self._fn in hooks:
            hooks.remove(self._fn)
            if not hooks:
                del _GRAD_READY[self._key]


def register_grad_ready_hook(tensor: QTensor, fn: Callable[[QTensor], None]) -> GradReadyHandle:
    """Call ``fn(tensor)`` during every ``backward()`` right after the sweep has added the
    tensor's last gradient contribution to ``tensor.grad`` (a leaf, or a tensor that called
    ``retain_grad()``): from then on that sweep leaves ``.grad`` alone, so the hook may read it,
    e.g. to start communicating it while the rest of the sweep runs (distributed training).
    Not called by :func:`vqnet_core.autograd.grad`, which accumulates nothing.

    >>> import vqnet_core as vq
    >>> from vqnet_core.autograd.engine import register_grad_ready_hook
    >>> w = vq.tensor([1.0, 2.0], requires_grad=True)
    >>> seen = []
    >>> h = register_grad_ready_hook(w, lambda t: seen.append(t.grad.tolist()))
    >>> (w * w).sum().backward()
    >>> seen
    [[2.0, 4.0]]
    >>> h.remove()
    """
    if not callable(fn):
        raise TypeError(f"the hook must be callable, got {type(fn).__name__}")
    key = id(tensor)
    if key not in _GRAD_READY:
        # the entry goes with the tensor, so that a new tensor reusing its id gets no hook
        import weakref

        weakref.finalize(tensor, _GRAD_READY.pop, key, None)
    _GRAD_READY.setdefault(key, []).append(fn)
    return GradReadyHandle(key, fn)


def _freed(_g):
    raise RuntimeError(
        "trying to backward through the graph a second time; its saved values were freed. "
        "Pass retain_graph=True to the first backward() if you need to.")


def _key(t: QTensor, node: Node | None) -> int:
    """A graph vertex: the producing node of a non-leaf, the tensor itself for a leaf."""
    return id(node) if node is not None else id(t)


def _topo_order(roots: Sequence[QTensor]) -> list[tuple[QTensor, Node | None]]:
    """Vertices ``(tensor, node)`` reachable from ``roots``, inputs before outputs."""
    order: list[tuple[QTensor, Node | None]] = []
    append = order.append
    seen: set[int] = set()
    for root in roots:
        n0 = root._node
        k0 = id(n0) if n0 is not None else id(root)
        if k0 in seen:
            continue
        seen.add(k0)
        if n0 is None:
            append((root, None))
            continue
        stack: list[tuple[QTensor, Node, int]] = [(root, n0, 0)]
        while stack:
            t, node, i = stack[-1]
            inputs, parents = node.inputs, node.parents
            n = len(inputs)
            while i < n:
                pn = parents[i]
                i += 1
                if pn is _SKIP:
                    continue
                p = inputs[i - 1]
                if pn is None:  # a leaf: nothing above it
                    if id(p) not in seen:
                        seen.add(id(p))
                        append((p, None))
                    continue
                if id(pn) not in seen:
                    seen.add(id(pn))
                    stack[-1] = (t, node, i)
                    stack.append((p, pn, 0))
                    break
            else:
                stack.pop()
                append((t, node))
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
        k = _key(r, r._node)
        pending[k] = B.binary("add", pending[k], g) if k in pending else g
    wanted = {_key(t, t._node): k for k, t in enumerate(capture)} if capture is not None \
        else None
    captured: list[Any] = [None] * (len(capture) if capture is not None else 0)
    pop = pending.pop

    for t, node in reversed(order):
        g = pop(id(node) if node is not None else id(t), None)
        if g is None:
            continue
        B = t._b
        if wanted is not None:
            k = wanted.get(id(node) if node is not None else id(t))
            if k is not None:
                captured[k] = g
        elif node is None or (t._retain and t._node is node):
            if t.grad is None:
                t.grad = QTensor._wrap(g, B, t._dtype)
            else:
                t.grad._data = B.binary("add", t.grad._data, g)
            if _GRAD_READY:
                for hook in _GRAD_READY.get(id(t), ()):
                    hook(t)
        if node is None:
            continue
        in_grads = node.backward(g)
        if not retain_graph:
            node.backward = _freed
        for p, pn, pg in zip(node.inputs, node.parents, in_grads):
            if pg is None or pn is _SKIP:
                continue
            if B.dtype_name(pg) != p._dtype.name:
                pg = B.astype(pg, p._dtype.name)
            key = id(pn) if pn is not None else id(p)
            prev = pending.get(key)
            pending[key] = pg if prev is None else B.binary("add", prev, pg)
    return captured if capture is not None else None
