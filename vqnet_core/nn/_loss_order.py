"""Refuse loss calls whose arguments are evidently swapped (pyvqnet's (target, output) order).

VQNet's losses take ``loss(input, target)`` like PyTorch; pyvqnet's take ``loss(target,
output)``. Most swapped calls would *run* and return a wrong number, so each order-sensitive
loss checks, before computing, whether the roles of its two arguments are evident from their
dtypes, values and grad history and contradict the order they were passed in. Only calls that
are unambiguously wrong raise; a call that fits torch's order (or cannot be told apart) runs as
torch's would. MSE, L1, smooth-L1 and Huber are symmetric in their arguments, so a swap cannot
change their value or gradients and they are not checked.

The rules (``x`` the first argument, ``t`` the second; "binary" = every value is 0 or 1):

* cross_entropy, softmax_cross_entropy, nll_loss, binary_cross_entropy(_with_logits), kl_div:
  an integer or bool ``x`` with a float ``t`` (labels passed as the prediction).
* cross_entropy with probability targets: ``t`` has values outside [0, 1] while ``x`` lies in
  [0, 1] (logits passed as the target); or ``x`` is exactly one-hot, does not require grad, and
  ``t`` is not binary (labels passed as the logits, soft predictions as the target).
* binary_cross_entropy: ``x`` is binary, does not require grad, and ``t`` is not binary.
* binary_cross_entropy_with_logits: ``t`` outside [0, 1] while ``x`` lies in [0, 1]; or the
  binary-``x`` rule above.
* kl_div (``log_target=False``): ``t`` has negative values while ``x`` is all >= 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LossArgumentOrderError", "check_loss_order"]

# the pyvqnet-compatible class for each core loss function (for the error message)
_COMPAT = {
    "cross_entropy": "CrossEntropyLoss", "softmax_cross_entropy": "SoftmaxCrossEntropy",
    "nll_loss": "NLL_Loss", "binary_cross_entropy": "BinaryCrossEntropy",
    "binary_cross_entropy_with_logits": "BinaryCrossEntropy",
}


class LossArgumentOrderError(TypeError, ValueError):
    """A loss was called with its (prediction, target) arguments evidently swapped;
    ``why`` says what gave it away."""

    why = ""


def _np(t: Any) -> np.ndarray:
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t)


def _binary(a: np.ndarray) -> bool:
    return a.size > 0 and bool(np.all((a == 0) | (a == 1)))


def _in01(a: np.ndarray) -> bool:
    return a.size == 0 or (float(a.min()) >= 0.0 and float(a.max()) <= 1.0)


def _order_error(name: str, why: str) -> LossArgumentOrderError:
    compat = _COMPAT.get(name)
    use = (f" For pyvqnet's order use vqnet_core.compat.pyvqnet.nn.loss.{compat} (called "
           "loss(target, output)).") if compat else ""
    err = LossArgumentOrderError(
        f"{name}: the arguments look swapped ({why}). VQNet's losses expect "
        f"loss(input/output, target), the prediction first, like PyTorch; did you pass "
        f"(target, output) as pyvqnet does?{use}")
    err.why = why
    return err


def check_loss_order(name: str, x: Any, t: Any, log_target: bool = False) -> None:
    """Raise :class:`LossArgumentOrderError` when ``name(x, t)`` is evidently swapped."""
    xk = x.dtype.kind
    tk = t.dtype.kind if hasattr(t, "dtype") and hasattr(t.dtype, "kind") else \
        np.asarray(t).dtype.kind
    if xk in "bi" and tk == "f":
        raise _order_error(name, f"the prediction argument is an integer tensor "
                                 f"({x.dtype.name}) and the target a float one")
    if xk != "f" or tk != "f":
        return
    xn = None

    def xv() -> np.ndarray:
        nonlocal xn
        if xn is None:
            xn = _np(x)
        return xn
    tn = _np(t)
    x_grad = bool(getattr(x, "requires_grad", False))
    if name in ("cross_entropy", "softmax_cross_entropy"):
        if tn.shape != xv().shape or x.ndim == 0:
            return  # class-index targets, or a shape error the loss reports itself
        if not _in01(tn) and _in01(xv()):
            raise _order_error(name, "the probability target has values outside [0, 1] "
                                     "while the logits argument lies in [0, 1]")
        axis = 0 if x.ndim == 1 else 1
        if not x_grad and _binary(xv()) and np.all(xv().sum(axis=axis) == 1) \
                and not _binary(tn):
            raise _order_error(name, "the logits argument is exactly one-hot labels without "
                                     "grad and the target is not")
    elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        if tn.shape != xv().shape:
            return
        if name.endswith("logits") and not _in01(tn) and _in01(xv()):
            raise _order_error(name, "the target has values outside [0, 1] while the logits "
                                     "argument lies in [0, 1]")
        if not x_grad and _binary(xv()) and not _binary(tn):
            raise _order_error(name, "the prediction argument holds exact 0/1 labels without "
                                     "grad and the target holds other values")
    elif name == "kl_div" and not log_target:
        if tn.size and float(tn.min()) < 0.0 and xv().size and float(xv().min()) >= 0.0:
            raise _order_error(name, "the target has negative values (log-probabilities?) "
                                     "while the input is all >= 0")
