"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer

__all__ = ["SGD", "sgd_step_reference"]


def sgd_step_reference(B: Any, p: Any, g: Any, buf: Any, lr: float, momentum: float,
                       dampening: float, nesterov: bool, weight_decay: float,
                       maximize: bool) -> tuple[Any, Any]:
    """One SGD update in backend primitives (the reference of the ``sgd_step`` kernel).

    ``buf`` is the momentum buffer or ``None`` before the first step. Returns
    ``(new_param, new_buffer)``; the buffer is ``None`` when ``momentum == 0``. The formula is
    ``torch.optim.SGD``'s.
    """
    if maximize:
        g = B.unary("neg", g)
    if weight_decay != 0:
        g = B.binary("add", g, B.binary("mul", p, weight_decay))
    new_buf = None
    if momentum != 0:
        if buf is None:
            new_buf = g
        else:
            new_buf = B.binary("add", B.binary("mul", buf, momentum),
                               B.binary("mul", g, 1.0 - dampening))
        g = B.binary("add", g, B.binary("mul", new_buf, momentum)) if nesterov else new_buf
    return B.binary("sub", p, B.binary("mul", g, lr)), new_buf


class SGD(Optimizer):
    """Stochastic gradient descent (``torch.optim.SGD``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import SGD
    >>> w = vq.tensor([1.0], dtype="float64", requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 6)
    0.2224
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, B, p, g, arrays, scalars, group):
        args = (arrays.get("momentum_buffer"), group["lr"], group["momentum"],
                group["dampening"], group["nesterov"], group["weight_decay"], group["maximize"])
        kernel = B.kernel("sgd_step")
        if kernel is not None:
            new_p, buf = kernel(p, g, *args)
        else:
            new_p, buf = sgd_step_reference(B, p, g, *args)
        return new_p, ({"momentum_buffer": buf} if buf is not None else {}), {}
