"""Adam, AdamW (decoupled weight decay) and Adamax, with PyTorch's update formulas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW", "Adamax", "adam_step_reference"]


def _lerp(B: Any, start: Any, end: Any, w: float) -> Any:
    """``start + w (end - start)``, evaluated as torch.lerp does on CPU."""
    d = B.binary("sub", end, start)
    if w < 0.5:
        return B.binary("add", start, B.binary("mul", d, w))
    return B.binary("sub", end, B.binary("mul", d, 1.0 - w))


def adam_step_reference(B: Any, p: Any, g: Any, exp_avg: Any, exp_avg_sq: Any,
                        max_exp_avg_sq: Any, step: int, lr: float, beta1: float, beta2: float,
                        eps: float, weight_decay: float, amsgrad: bool, maximize: bool,
                        decoupled: bool) -> tuple[Any, Any, Any, Any]:
    """One Adam / AdamW update in backend primitives (the reference of ``adam_step``).

    ``step`` is the step number after incrementing (1 on the first update); moment arrays
    are never ``None`` (zeros before the first step), ``max_exp_avg_sq`` may be ``None``
    unless ``amsgrad``. ``decoupled`` selects AdamW's weight decay. Returns
    ``(new_param, exp_avg, exp_avg_sq, max_exp_avg_sq)``.
    """
    if maximize:
        g = B.unary("neg", g)
    if weight_decay != 0:
        if decoupled:
            p = B.binary("mul", p, 1.0 - lr * weight_decay)
        else:
            g = B.binary("add", g, B.binary("mul", p, weight_decay))
    exp_avg = _lerp(B, exp_avg, g, 1.0 - beta1)
    exp_avg_sq = B.binary("add", B.binary("mul", exp_avg_sq, beta2),
                          B.binary("mul", B.binary("mul", g, 1.0 - beta2), g))
    step_size = lr / (1.0 - beta1 ** step)
    bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
    if amsgrad:
        max_exp_avg_sq = exp_avg_sq if max_exp_avg_sq is None else \
            B.binary("maximum", max_exp_avg_sq, exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    denom = B.binary("add", B.binary("div", B.unary("sqrt", second), bc2_sqrt), eps)
    new_p = B.binary("add", p, B.binary("mul", B.binary("div", exp_avg, denom), -step_size))
    return new_p, exp_avg, exp_avg_sq, max_exp_avg_sq


def _adam_step_numpy(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                     weight_decay, amsgrad, maximize, decoupled):
    """:func:`adam_step_reference` on the NumPy backend, the same operations in the same order
    (bitwise the same result) without the per-op dispatch; temporaries are updated in place,
    the inputs never."""
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        if decoupled:
            p = p * (1.0 - lr * weight_decay)
        else:
            g = g + p * weight_decay
    w = 1.0 - beta1
    d = g - exp_avg
    if w < 0.5:
        d *= w
        m = exp_avg + d
    else:
        d *= 1.0 - w
        m = g - d
    t = g * (1.0 - beta2)
    t *= g
    v = exp_avg_sq * beta2
    v += t
    step_size = lr / (1.0 - beta1 ** step)
    bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
    if amsgrad:
        max_exp_avg_sq = v if max_exp_avg_sq is None else np.maximum(max_exp_avg_sq, v)
        second = max_exp_avg_sq
    else:
        second = v
    denom = np.sqrt(second)
    denom /= bc2_sqrt
    denom += eps
    u = m / denom
    u *= -step_size
    return p + u, m, v, max_exp_avg_sq


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``), with ``amsgrad`` and L2 ``weight_decay``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import Adam
    >>> w = vq.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -0.9]
    """

    _decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, B, p, g, arrays, scalars, group):
        step = scalars.get("step", 0) + 1
        zeros = None
        if "exp_avg" not in arrays:
            zeros = B.full(B.shape(p), 0, B.dtype_name(p))
        m = arrays.get("exp_avg", zeros)
        v = arrays.get("exp_avg_sq", zeros)
        vmax = arrays.get("max_exp_avg_sq", zeros if group["amsgrad"] else None)
        b1, b2 = group["betas"]
        args = (m, v, vmax, step, group["lr"], b1, b2, group["eps"], group["weight_decay"],
                group["amsgrad"], group["maximize"], self._decoupled)
        kernel = B.kernel("adam_step")
        if kernel is not None:
            new_p, m, v, vmax = kernel(p, g, *args)
        elif B.name == "numpy" and isinstance(p, np.ndarray) and p.ndim > 0:
            new_p, m, v, vmax = _adam_step_numpy(p, g, *args)
        else:
            new_p, m, v, vmax = adam_step_reference(B, p, g, *args)
        new_arrays = {"exp_avg": m, "exp_avg_sq": v}
        if group["amsgrad"]:
            new_arrays["max_exp_avg_sq"] = vmax
        return new_p, new_arrays, {"step": step}


class AdamW(Adam):
    """Adam with decoupled weight decay (``torch.optim.AdamW``; default decay 1e-2).

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import AdamW
    >>> w = vq.tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.85
    """

    _decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (``torch.optim.Adamax``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import Adamax
    >>> w = vq.tensor([1.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.9
    """

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, B, p, g, arrays, scalars, group):
        step = scalars.get("step", 0) + 1
        b1, b2 = group["betas"]
        if group["maximize"]:
            g = B.unary("neg", g)
        if group["weight_decay"] != 0:
            g = B.binary("add", g, B.binary("mul", p, group["weight_decay"]))
        zeros = B.full(B.shape(p), 0, B.dtype_name(p)) if "exp_avg" not in arrays else None
        m = _lerp(B, arrays.get("exp_avg", zeros), g, 1.0 - b1)
        u = B.binary("maximum", B.binary("mul", arrays.get("exp_inf", zeros), b2),
                     B.binary("add", B.unary("abs", g), group["eps"]))
        clr = group["lr"] / (1.0 - b1 ** step)
        new_p = B.binary("add", p, B.binary("mul", B.binary("div", m, u), -clr))
        return new_p, {"exp_avg": m, "exp_inf": u}, {"step": step}
