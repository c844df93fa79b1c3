"""Loss functions: Modules (``nn.CrossEntropyLoss()``) and functional forms (``cross_entropy``).

Every loss is called **like PyTorch**: ``loss(input, target)`` -- the prediction first.
(pyvqnet calls some of its losses as ``loss(target, output)``; VQNet does not.) ``reduction``
is ``"mean"`` (default), ``"sum"`` or ``"none"``; formulas, clamps and normalisations follow
PyTorch's, so values and gradients match ``torch.nn.functional``.

>>> import vqnet_core as vq
>>> from vqnet_core import nn
>>> logits = vq.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
>>> loss = nn.CrossEntropyLoss()(logits, vq.tensor([0]))
>>> round(loss.item(), 4)
0.2413
>>> loss.backward()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import functions as F
from ..ops._base import make, to_tensor
from ..tensor import QTensor
from ._loss_order import LossArgumentOrderError, check_loss_order
from .module import Module

__all__ = [
    "LossArgumentOrderError",
    # modules
    "CrossEntropyLoss", "SoftmaxCrossEntropy", "CategoricalCrossEntropy", "NLLLoss", "NLL_Loss",
    "BinaryCrossEntropy", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "MeanSquaredError",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
    # functional forms
    "cross_entropy", "softmax_cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "kl_div",
    # reference compositions of the optional fused kernel
    "softmax_cross_entropy_reference", "softmax_cross_entropy_backward_reference",
]

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- checks and helpers
def _check_reduction(reduction: str, extra: tuple[str, ...] = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(f"reduction must be one of {_REDUCTIONS + extra}, got {reduction!r}")


def _check_order(name: str, input: Any, target: Any, log_target: bool = False) -> None:
    """Refuse an evidently swapped (target, output) call; see :mod:`._loss_order`."""
    x = to_tensor(input)
    check_loss_order(name, x, to_tensor(target, x._b), log_target)


def _float_input(x: Any, name: str, what: str = "input") -> QTensor:
    x = to_tensor(x)
    if x.dtype.kind != "f":
        hint = ""
        if x.dtype.kind in "bi":
            hint = (" (VQNet losses take (input, target) like PyTorch; pyvqnet's order is "
                    "(target, output))")
        raise TypeError(f"{name}: {what} must be a real floating tensor, got "
                        f"{x.dtype.name}{hint}")
    return x


def _like(t: Any, x: QTensor, name: str, what: str = "target") -> QTensor:
    """``t`` as a tensor on ``x``'s backend with ``x``'s float dtype."""
    t = to_tensor(t, x._b)
    if t.dtype.kind == "c":
        raise TypeError(f"{name}: {what} must be real, got {t.dtype.name}")
    return t.astype(x.dtype) if t.dtype is not x.dtype else t


def _same_shape(x: QTensor, t: QTensor, name: str) -> None:
    if x.shape != t.shape:
        raise ValueError(f"{name}: target shape {t.shape} does not match input shape {x.shape}")


def _reduce(loss: QTensor, reduction: str) -> QTensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def _class_axis(x: QTensor, name: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    return 0 if x.ndim == 1 else 1


def _weight_vector(weight: Any, x: QTensor, n_classes: int, name: str) -> QTensor | None:
    if weight is None:
        return None
    w = _like(weight, x, name, "weight")
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: weight must have shape ({n_classes},) for {n_classes} "
                         f"classes, got {w.shape}")
    return w


def _class_broadcast(w: QTensor, x: QTensor, axis: int) -> QTensor:
    """A class-weight vector shaped to broadcast along ``axis`` of ``x``."""
    shape = [1] * x.ndim
    shape[axis] = w.shape[0]
    return w.reshape(tuple(shape))


def _class_targets(x: QTensor, t: QTensor, axis: int, ignore_index: int,
                   name: str) -> tuple[QTensor, QTensor, int]:
    """Validate integer class targets: returns (safe targets, valid mask, number valid)."""
    if t.dtype.kind not in "i":
        raise TypeError(f"{name}: class-index targets must be an integer tensor, got "
                        f"{t.dtype.name}")
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if t.shape != expected:
        raise ValueError(f"{name}: for input of shape {x.shape} (classes on axis {axis}) the "
                         f"class-index target must have shape {expected}, got {t.shape}")
    n_classes = x.shape[axis]
    tn = t.numpy()
    valid_np = tn != ignore_index
    bad = tn[valid_np & ((tn < 0) | (tn >= n_classes))]
    if bad.size:
        raise IndexError(f"{name}: target {int(bad.flat[0])} is out of bounds for "
                         f"{n_classes} classes (valid: 0..{n_classes - 1}, or "
                         f"ignore_index={ignore_index})")
    valid = t != ignore_index
    safe = F.where(valid, t, 0).astype("int64")
    return safe, valid, int(valid_np.sum())


def _nll(logp: QTensor, t: QTensor, weight: QTensor | None, ignore_index: int,
         reduction: str, axis: int, name: str) -> tuple[QTensor, QTensor, QTensor, int]:
    """Weighted negative log-likelihood; also returns (safe targets, valid mask, denominator)."""
    safe, valid, n_valid = _class_targets(logp, t, axis, ignore_index, name)
    picked = logp.gather(axis, safe.unsqueeze(axis)).squeeze(axis)
    if weight is not None:
        wt = F.where(valid, weight[safe], 0.0)
        loss = -(picked * wt)
        denom: Any = wt.sum()
    else:
        loss = -F.where(valid, picked, 0.0)
        denom = float(n_valid) if n_valid else float("nan")
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = loss.sum()
    else:
        out = loss.sum() / denom
    return out, safe, valid, denom


# ---------------------------------------------------------------- fused softmax-cross-entropy
def softmax_cross_entropy_reference(B: Any, logits: Any, labels: Any) -> Any:
    """Reference of the optional kernel ``softmax_cross_entropy``, in backend primitives.

    ``logits``: native ``[N, C]`` float array; ``labels``: native int64 ``[N]`` in ``[0, C)``.
    Returns the per-sample losses ``[N]`` (``logsumexp(logits) - logits[label]``).
    """
    m = B.reduce("max", logits, (1,), True)
    lse = B.binary("add", B.unary("log", B.reduce(
        "sum", B.unary("exp", B.binary("sub", logits, m)), (1,), True)), m)
    picked = B.gather(logits, 1, B.reshape(labels, (B.shape(labels)[0], 1)))
    return B.reshape(B.binary("sub", lse, picked), (B.shape(labels)[0],))


def softmax_cross_entropy_backward_reference(B: Any, logits: Any, labels: Any, g: Any) -> Any:
    """Reference of ``softmax_cross_entropy_backward``: ``(softmax(logits) - onehot) * g``."""
    n, c = B.shape(logits)
    m = B.reduce("max", logits, (1,), True)
    e = B.unary("exp", B.binary("sub", logits, m))
    p = B.binary("div", e, B.reduce("sum", e, (1,), True))
    cls = B.arange(0, c, 1, "int64")
    onehot = B.astype(B.binary("eq", B.reshape(labels, (n, 1)), B.reshape(cls, (1, c))),
                      B.dtype_name(logits))
    return B.binary("mul", B.binary("sub", p, onehot), B.reshape(g, (n, 1)))


def _fused_sce(x: QTensor, safe: QTensor) -> QTensor:
    """Per-sample losses of 2-D logits as one tape node: the backend's fused kernel when it
    declares one, else the reference composition in primitives."""
    B = x._b
    fwd = B.kernel("softmax_cross_entropy")
    bwd = B.kernel("softmax_cross_entropy_backward")
    logits, labels = x._data, safe._data

    def backward(g):
        if bwd is not None:
            return (bwd(logits, labels, g),)
        return (softmax_cross_entropy_backward_reference(B, logits, labels, g),)
    out = fwd(logits, labels) if fwd is not None else \
        softmax_cross_entropy_reference(B, logits, labels)
    return make(out, B, x.dtype, (x,), backward, "softmax_cross_entropy")


# ---------------------------------------------------------------- functional forms
def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> QTensor:
    """Softmax cross-entropy of logits ``input`` (classes on axis 1, or axis 0 when 1-D).

    ``target`` holds integer class indices (shape of ``input`` without the class axis) or
    class probabilities (float, the shape of ``input``; one-hot rows included). ``weight``
    rescales each class, ``ignore_index`` drops entries (index targets only),
    ``label_smoothing`` mixes the target with the uniform distribution. Same as
    ``torch.nn.functional.cross_entropy``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import cross_entropy
    >>> round(cross_entropy(vq.tensor([[0.0, 0.0]]), vq.tensor([1])).item(), 4)
    0.6931
    """
    _check_order("cross_entropy", input, target)
    name = "cross_entropy"
    _check_reduction(reduction)
    x = _float_input(input, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = _class_axis(x, name)
    n_classes = x.shape[axis]
    w = _weight_vector(weight, x, n_classes, name)
    t = to_tensor(target, x._b)
    if t.dtype.kind in "fc":
        return _cross_entropy_probs(x, _like(t, x, name), w, axis, reduction, label_smoothing)
    if t.dtype.kind in "i" and x.ndim == 2 and w is None and label_smoothing == 0.0:
        # the common case: one node for softmax + NLL (fused kernel or reference composition)
        safe, valid, n_valid = _class_targets(x, t, axis, ignore_index, name)
        per = _fused_sce(x, safe)
        if n_valid != t.numel():
            per = F.where(valid, per, 0.0)
        if reduction == "none":
            return per
        if reduction == "sum":
            return per.sum()
        return per.sum() / (float(n_valid) if n_valid else float("nan"))
    logp = F.log_softmax(x, axis)
    nll, safe, valid, denom = _nll(logp, t, w, ignore_index, reduction, axis, name)
    if label_smoothing == 0.0:
        return nll
    wb = _class_broadcast(w, x, axis) if w is not None else None
    smooth = -((logp * wb) if wb is not None else logp).sum(axis)
    smooth = F.where(valid, smooth, 0.0)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        smooth = smooth.sum() / denom
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(x: QTensor, t: QTensor, w: QTensor | None, axis: int, reduction: str,
                         label_smoothing: float) -> QTensor:
    _same_shape(x, t, "cross_entropy (probability targets)")
    n_classes = x.shape[axis]
    logp = F.log_softmax(x, axis)
    if label_smoothing > 0.0:
        t = t * (1.0 - label_smoothing) + label_smoothing / n_classes
    prod = logp * t
    if w is not None:
        prod = prod * _class_broadcast(w, x, axis)
    if reduction == "none":
        return -prod.sum(axis)
    if reduction == "sum":
        return -prod.sum()
    n = x.numel() // n_classes if n_classes else 0
    return -prod.sum() / (float(n) if n else float("nan"))


def softmax_cross_entropy(input: Any, target: Any, weight: Any = None,
                          ignore_index: int = -100, reduction: str = "mean",
                          label_smoothing: float = 0.0) -> QTensor:
    """The paper's name for :func:`cross_entropy`; integer one-hot targets are also accepted.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import softmax_cross_entropy
    >>> onehot = vq.tensor([[0, 1]])
    >>> round(softmax_cross_entropy(vq.tensor([[0.0, 0.0]]), onehot).item(), 4)
    0.6931
    """
    _check_order("softmax_cross_entropy", input, target)
    x = to_tensor(input)
    t = to_tensor(target, x._b)
    if t.dtype.kind in "bi" and t.shape == x.shape and x.ndim >= 1 and t.ndim >= 1:
        # pyvqnet accepts one-hot label rows: treat them as class probabilities.
        t = t.astype(x.dtype if x.dtype.kind == "f" else "float32")
    return cross_entropy(x, t, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> QTensor:
    """Negative log-likelihood of log-probabilities ``input`` at integer class ``target``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import nll_loss
    >>> nll_loss(vq.tensor([[-0.5, -2.0]]), vq.tensor([1])).item()
    2.0
    """
    _check_order("nll_loss", input, target)
    name = "nll_loss"
    _check_reduction(reduction)
    x = _float_input(input, name)
    axis = _class_axis(x, name)
    w = _weight_vector(weight, x, x.shape[axis], name)
    t = to_tensor(target, x._b)
    return _nll(x, t, w, ignore_index, reduction, axis, name)[0]


def _weight_like(weight: Any, x: QTensor, name: str, what: str = "weight") -> QTensor | None:
    if weight is None:
        return None
    w = _like(weight, x, name, what)
    try:
        np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        raise ValueError(f"{name}: {what} of shape {w.shape} does not broadcast to the input "
                         f"shape {x.shape}") from None
    return w


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> QTensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] (logs clamped at -100).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import binary_cross_entropy
    >>> round(binary_cross_entropy(vq.tensor([0.5]), vq.tensor([1.0])).item(), 4)
    0.6931
    """
    _check_order("binary_cross_entropy", input, target)
    name = "binary_cross_entropy"
    _check_reduction(reduction)
    x = _float_input(input, name)
    t = _like(target, x, name)
    _same_shape(x, t, name)
    w = _weight_like(weight, x, name)
    B, dt = x._b, x.dtype
    if x.numel():
        lo = float(B.to_numpy(B.reduce("min", x._data, None, False)))
        hi = float(B.to_numpy(B.reduce("max", x._data, None, False)))
        if not (0.0 <= lo and hi <= 1.0):
            raise ValueError(f"{name}: every input element must be a probability in [0, 1] "
                             f"(got values in [{lo}, {hi}]); use BCEWithLogitsLoss on logits")
    xd, td = x._data, t._data

    def clamped_log(a):
        # log(max(a, 1e-44)) clamped at -100 equals torch's clamp(log(a), -100) everywhere,
        # without evaluating log(0).
        return B.binary("maximum", B.unary("log", B.binary("maximum", a, 1e-44)), -100.0)

    log_x = clamped_log(xd)
    log_1mx = clamped_log(B.binary("sub", 1.0, xd))
    out = B.unary("neg", B.binary("add", B.binary("mul", td, log_x),
                                  B.binary("mul", B.binary("sub", 1.0, td), log_1mx)))

    def backward(g):
        # torch's rule: (x - t) / max(x (1 - x), 1e-12) for the input
        den = B.binary("maximum", B.binary("mul", xd, B.binary("sub", 1.0, xd)), 1e-12)
        gx = B.binary("div", B.binary("mul", g, B.binary("sub", xd, td)), den)
        gt = B.binary("mul", g, B.binary("sub", log_1mx, log_x))
        return gx, gt
    loss = make(out, B, dt, (x, t), backward, "binary_cross_entropy")
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> QTensor:
    """Sigmoid + binary cross-entropy in one numerically stable step.

    ``pos_weight`` weights the positive term (broadcast along the last axis, as in torch).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import binary_cross_entropy_with_logits as bce
    >>> round(bce(vq.tensor([0.0]), vq.tensor([1.0])).item(), 4)
    0.6931
    """
    _check_order("binary_cross_entropy_with_logits", input, target)
    name = "binary_cross_entropy_with_logits"
    _check_reduction(reduction)
    x = _float_input(input, name)
    t = _like(target, x, name)
    _same_shape(x, t, name)
    w = _weight_like(weight, x, name)
    pw = _weight_like(pos_weight, x, name, "pos_weight")
    B, dt = x._b, x.dtype
    xd, td = x._data, t._data
    # softplus(-x) = log1p(exp(-|x|)) + max(-x, 0), stable for any x
    sp = B.binary("add", B.unary("log1p", B.unary("exp", B.unary("neg", B.unary("abs", xd)))),
                  B.binary("maximum", B.unary("neg", xd), 0.0))
    lw = B.binary("add", B.binary("mul", B.binary("sub", pw._data, 1.0), td), 1.0) \
        if pw is not None else None
    out = B.binary("mul", B.binary("sub", 1.0, td), xd)
    out = B.binary("add", out, B.binary("mul", lw, sp) if lw is not None else sp)

    def backward(g):
        s = B.unary("sigmoid", xd)
        if lw is None:
            gx = B.binary("sub", s, td)
            gt = B.unary("neg", xd)
        else:
            gx = B.binary("sub", B.binary("mul", lw, s), B.binary("mul", pw._data, td))
            gt = B.binary("sub", B.binary("mul", B.binary("sub", pw._data, 1.0), sp), xd)
        shape = B.shape(xd)
        gx, gt = B.binary("mul", g, gx), B.binary("mul", g, gt)
        if B.shape(gx) != shape:  # pos_weight broadcast beyond the input's shape
            from ..ops._base import unbroadcast
            gx, gt = unbroadcast(B, gx, shape), unbroadcast(B, gt, shape)
        return gx, gt
    loss = make(out, B, dt, (x, t), backward, "binary_cross_entropy_with_logits")
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def _pair(input: Any, target: Any, name: str, reduction: str) -> tuple[QTensor, QTensor]:
    _check_reduction(reduction)
    x = _float_input(input, name)
    t = _like(target, x, name)
    _same_shape(x, t, name)
    return x, t


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> QTensor:
    """Mean squared error ``(input - target)**2`` (shapes must match).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import mse_loss
    >>> mse_loss(vq.tensor([1.0, 3.0]), vq.tensor([0.0, 1.0])).item()
    2.5
    """
    x, t = _pair(input, target, "mse_loss", reduction)
    return _reduce((x - t).square(), reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> QTensor:
    """Mean absolute error ``|input - target|`` (shapes must match).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import l1_loss
    >>> l1_loss(vq.tensor([1.0, 3.0]), vq.tensor([0.0, 1.0])).item()
    1.5
    """
    x, t = _pair(input, target, "l1_loss", reduction)
    return _reduce((x - t).abs(), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean",
                   beta: float = 1.0) -> QTensor:
    """Quadratic below ``beta`` (``0.5 d**2 / beta``), linear above (``d - beta/2``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import smooth_l1_loss
    >>> smooth_l1_loss(vq.tensor([0.5, 3.0]), vq.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    x, t = _pair(input, target, "smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = x - t
    if beta == 0.0:
        return _reduce(d.abs(), reduction)
    a = d.abs()
    loss = F.where(a < beta, d.square() * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> QTensor:
    """Quadratic below ``delta`` (``0.5 d**2``), linear above (``delta (d - delta/2)``).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import huber_loss
    >>> huber_loss(vq.tensor([0.5, 3.0]), vq.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    x, t = _pair(input, target, "huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = x - t
    a = d.abs()
    loss = F.where(a < delta, d.square() * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False
           ) -> QTensor:
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``.

    Pointwise ``target * (log(target) - input)`` (0 where target is 0), or
    ``exp(target) * (target - input)`` with ``log_target``. ``reduction="batchmean"`` divides
    the sum by the batch size (the mathematically correct KL); ``"mean"`` averages over all
    elements, as in torch.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn.loss import kl_div
    >>> p = vq.tensor([[0.5, 0.5]])
    >>> kl_div(p.log(), p, reduction="batchmean").item()
    0.0
    """
    _check_order("kl_div", input, target, log_target)
    name = "kl_div"
    _check_reduction(reduction, ("batchmean",))
    x = _float_input(input, name)
    t = _like(target, x, name)
    _same_shape(x, t, name)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        zero = t == 0
        xlogx = F.where(zero, 0.0, t * F.where(zero, 1.0, t).log())
        loss = xlogx - t * x
    if reduction == "batchmean":
        n = x.shape[0] if x.ndim else 1
        return loss.sum() / float(n)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- modules
class _Loss(Module):
    """Base of the loss modules: holds ``reduction`` and checks it."""

    _extra_reductions: tuple[str, ...] = ()

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, self._extra_reductions)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits; see :func:`cross_entropy`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> crit(vq.randn(4, 3), vq.tensor([0, 2, 1, 0])).shape
    ()
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.weight = None if weight is None else to_tensor(weight)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Any, target: Any) -> QTensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


class SoftmaxCrossEntropy(CrossEntropyLoss):
    """The paper's (pyvqnet's) name for :class:`CrossEntropyLoss`; also takes one-hot labels.

    Called ``loss(output, target)`` like torch (pyvqnet's order is ``loss(target, output)``).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> round(nn.SoftmaxCrossEntropy()(vq.tensor([[0.0, 0.0]]), vq.tensor([1])).item(), 4)
    0.6931
    """

    def forward(self, input: Any, target: Any) -> QTensor:
        return softmax_cross_entropy(input, target, self.weight, self.ignore_index,
                                     self.reduction, self.label_smoothing)


#: pyvqnet's name for cross-entropy against one-hot / probability labels.
CategoricalCrossEntropy = SoftmaxCrossEntropy


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities; see :func:`nll_loss`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.NLLLoss()(vq.tensor([[-0.5, -2.0]]), vq.tensor([0])).item()
    0.5
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = None if weight is None else to_tensor(weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input: Any, target: Any) -> QTensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


NLL_Loss = NLLLoss


class BinaryCrossEntropy(_Loss):
    """Binary cross-entropy on probabilities; see :func:`binary_cross_entropy`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> round(nn.BinaryCrossEntropy()(vq.tensor([0.9]), vq.tensor([1.0])).item(), 4)
    0.1054
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = None if weight is None else to_tensor(weight)

    def forward(self, input: Any, target: Any) -> QTensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


BCELoss = BinaryCrossEntropy


class BCEWithLogitsLoss(_Loss):
    """Stable sigmoid + binary cross-entropy; see :func:`binary_cross_entropy_with_logits`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> crit = nn.BCEWithLogitsLoss(pos_weight=vq.tensor([2.0]))
    >>> round(crit(vq.tensor([0.0]), vq.tensor([1.0])).item(), 4)
    1.3863
    """

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = None if weight is None else to_tensor(weight)
        self.pos_weight = None if pos_weight is None else to_tensor(pos_weight)

    def forward(self, input: Any, target: Any) -> QTensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                self.pos_weight)


class MSELoss(_Loss):
    """Mean squared error; see :func:`mse_loss`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.MSELoss()(vq.tensor([1.0, 3.0]), vq.tensor([0.0, 1.0])).item()
    2.5
    """

    def forward(self, input: Any, target: Any) -> QTensor:
        return mse_loss(input, target, self.reduction)


MeanSquaredError = MSELoss


class L1Loss(_Loss):
    """Mean absolute error; see :func:`l1_loss`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.L1Loss(reduction="sum")(vq.tensor([1.0, 3.0]), vq.tensor([0.0, 1.0])).item()
    3.0
    """

    def forward(self, input: Any, target: Any) -> QTensor:
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 with threshold ``beta``; see :func:`smooth_l1_loss`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.SmoothL1Loss(beta=0.5)(vq.tensor([2.0]), vq.tensor([0.0])).item()
    1.75
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"beta must be non-negative, got {beta}")
        self.beta = float(beta)

    def forward(self, input: Any, target: Any) -> QTensor:
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta``; see :func:`huber_loss`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.HuberLoss(delta=0.5)(vq.tensor([2.0]), vq.tensor([0.0])).item()
    0.875
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input: Any, target: Any) -> QTensor:
        return huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities from a target; see :func:`kl_div`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> p = vq.tensor([[0.25, 0.75]])
    >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
    0.0
    """

    _extra_reductions = ("batchmean",)

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def forward(self, input: Any, target: Any) -> QTensor:
        return kl_div(input, target, self.reduction, self.log_target)
