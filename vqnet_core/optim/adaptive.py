"""Adagrad, Adadelta and RMSProp, with PyTorch's update formulas."""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer

__all__ = ["Adagrad", "Adadelta", "RMSProp", "RMSprop"]


def _prep_grad(B: Any, p: Any, g: Any, group: dict[str, Any]) -> Any:
    if group.get("maximize"):
        g = B.unary("neg", g)
    if group["weight_decay"] != 0:
        g = B.binary("add", g, B.binary("mul", p, group["weight_decay"]))
    return g


def _zeros(B: Any, p: Any) -> Any:
    return B.full(B.shape(p), 0, B.dtype_name(p))


def _decay_add_sq(B: Any, avg: Any, g: Any, rho: float) -> Any:
    """``avg * rho + (1 - rho) * g * g``."""
    return B.binary("add", B.binary("mul", avg, rho),
                    B.binary("mul", B.binary("mul", g, 1.0 - rho), g))


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``): per-coordinate steps shrink with the squared
    gradients seen so far.

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import Adagrad
    >>> w = vq.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.9
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, B, p, g, arrays, scalars, group):
        step = scalars.get("step", 0) + 1
        g = _prep_grad(B, p, g, group)
        acc = arrays.get("sum")
        if acc is None:
            acc = B.full(B.shape(p), group["initial_accumulator_value"], B.dtype_name(p))
        clr = group["lr"] / (1.0 + (step - 1) * group["lr_decay"])
        acc = B.binary("add", acc, B.binary("mul", g, g))
        std = B.binary("add", B.unary("sqrt", acc), group["eps"])
        new_p = B.binary("add", p, B.binary("mul", B.binary("div", g, std), -clr))
        return new_p, {"sum": acc}, {"step": step}


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import Adadelta
    >>> w = vq.tensor([1.0], dtype="float64", requires_grad=True)
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 6)
    0.996838
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, B, p, g, arrays, scalars, group):
        step = scalars.get("step", 0) + 1
        g = _prep_grad(B, p, g, group)
        rho, eps = group["rho"], group["eps"]
        sq = _decay_add_sq(B, arrays.get("square_avg", _zeros(B, p)), g, rho)
        acc_delta = arrays.get("acc_delta", _zeros(B, p))
        std = B.unary("sqrt", B.binary("add", sq, eps))
        delta = B.binary("mul", B.binary("div", B.unary("sqrt", B.binary("add", acc_delta, eps)),
                                         std), g)
        acc_delta = _decay_add_sq(B, acc_delta, delta, rho)
        new_p = B.binary("sub", p, B.binary("mul", delta, group["lr"]))
        return new_p, {"square_avg": sq, "acc_delta": acc_delta}, {"step": step}


class RMSProp(Optimizer):
    """RMSProp (``torch.optim.RMSprop``) with ``momentum`` and the ``centered`` variant.

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import RMSProp
    >>> w = vq.tensor([1.0], dtype="float64", requires_grad=True)
    >>> opt = RMSProp([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.9
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, B, p, g, arrays, scalars, group):
        step = scalars.get("step", 0) + 1
        g = _prep_grad(B, p, g, group)
        alpha = group["alpha"]
        sq = _decay_add_sq(B, arrays.get("square_avg", _zeros(B, p)), g, alpha)
        new_arrays = {"square_avg": sq}
        if group["centered"]:
            ga = arrays.get("grad_avg", _zeros(B, p))
            d = B.binary("sub", g, ga)
            # lerp(ga, g, 1 - alpha), as torch evaluates it
            ga = B.binary("add", ga, B.binary("mul", d, 1.0 - alpha)) if 1.0 - alpha < 0.5 \
                else B.binary("sub", g, B.binary("mul", d, alpha))
            new_arrays["grad_avg"] = ga
            avg = B.unary("sqrt", B.binary("sub", sq, B.binary("mul", ga, ga)))
        else:
            avg = B.unary("sqrt", sq)
        avg = B.binary("add", avg, group["eps"])
        if group["momentum"] > 0:
            buf = arrays.get("momentum_buffer", _zeros(B, p))
            buf = B.binary("add", B.binary("mul", buf, group["momentum"]),
                           B.binary("div", g, avg))
            new_arrays["momentum_buffer"] = buf
            new_p = B.binary("sub", p, B.binary("mul", buf, group["lr"]))
        else:
            new_p = B.binary("add", p, B.binary("mul", B.binary("div", g, avg), -group["lr"]))
        return new_p, new_arrays, {"step": step}


#: PyTorch's spelling.
RMSprop = RMSProp
