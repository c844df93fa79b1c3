"""Functional forms of the layers: ``from vqnet_core.nn import functional as F``.

Every op here is written in QTensor ops (its gradient comes from the tape), except the
convolutions, pooling and batch norm, which use a backend's fused kernels when it declares them
(see :mod:`vqnet_core.nn._fused`).

>>> import vqnet_core as vq
>>> from vqnet_core.nn import functional as F
>>> F.relu(vq.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.engine import no_grad
from ..ops import creation as cr
from ..ops import reduction as rd
from ..ops import shape as sh
from ..ops._base import QTensor, make, norm_axis, to_tensor
from ..ops.elementwise import binary, unary, where
from ..ops.functions import log_softmax as _log_softmax
from ..ops.functions import softmax as _softmax
from ..ops.linalg import matmul
from ._conv_ops import conv1d, conv2d, conv_transpose2d  # noqa: F401
from ._fused import fused_enabled, fused_kernel, use_fused  # noqa: F401
from ._pool_ops import (  # noqa: F401
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
    "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm", "dropout",
    "embedding", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu",
    "silu", "elu", "softplus", "pad", "flatten", "use_fused", "fused_enabled",
]


# ---------------------------------------------------------------- linear
def linear(input: Any, weight: Any, bias: Any = None) -> QTensor:
    """``input @ weight.T + bias`` with ``weight`` [out, in], as in PyTorch.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.linear(vq.ones(2, 3), vq.ones(4, 3), vq.zeros(4)).tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
    """
    x, w = to_tensor(input), to_tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"linear weight must be 2-D [out, in], got shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not end in in_features="
                         f"{w.shape[1]}")
    out = matmul(x, sh.permute(w, (1, 0)))
    if bias is not None:
        out = binary("add", out, bias)
    return out


def flatten(input: Any, start_dim: int = 1, end_dim: int = -1) -> QTensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    return sh.flatten(input, start_dim, end_dim)


# ---------------------------------------------------------------- activations
def relu(input: Any) -> QTensor:
    """``max(x, 0)`` (gradient 0 at 0 and NaN kept, as PyTorch); one tape node through the
    backend's ``relu`` / ``relu_backward`` kernels when it has them.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.relu(vq.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    x = to_tensor(input)
    kern = fused_kernel(x._b, "relu", x._dtype)
    if kern is None:
        return where(binary("le", x, 0), 0.0, x)
    fwd, bwd = kern
    data = x._data
    return make(fwd(data), x._b, x._dtype, (x,), lambda g: (bwd(g, data),), "relu")


def relu_reference(B: Any, x: Any) -> Any:
    """The ``relu`` kernel's reference on native arrays: ``where(x <= 0, 0, x)``."""
    return B.where(B.binary("le", x, 0), B.full((), 0, B.dtype_name(x)), x)


def relu_backward_reference(B: Any, g: Any, x: Any) -> Any:
    """The ``relu_backward`` kernel's reference: ``where(x <= 0, 0, g)`` (the gradient of
    :func:`relu_reference` by the tape)."""
    return B.where(B.binary("le", x, 0), B.full((), 0, B.dtype_name(g)), g)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> QTensor:
    """``x`` for ``x > 0`` else ``negative_slope * x``."""
    x = to_tensor(input)
    return where(binary("gt", x, 0), x, binary("mul", x, float(negative_slope)))


def sigmoid(input: Any) -> QTensor:
    """``1 / (1 + exp(-x))``."""
    return unary("sigmoid", input)


def tanh(input: Any) -> QTensor:
    """Hyperbolic tangent."""
    return unary("tanh", input)


def _dim(dim: Any, axis: Any) -> int:
    return -1 if dim is None and axis is None else int(dim if dim is not None else axis)


def softmax(input: Any, dim: int | None = None, axis: int | None = None) -> QTensor:
    """Softmax along ``dim`` (alias ``axis``; default the last).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.softmax(vq.zeros(2)).tolist()
    [0.5, 0.5]
    """
    return _softmax(input, _dim(dim, axis))


def log_softmax(input: Any, dim: int | None = None, axis: int | None = None) -> QTensor:
    """Log-softmax along ``dim`` (alias ``axis``; default the last), computed stably."""
    return _log_softmax(input, _dim(dim, axis))


def gelu(input: Any, approximate: str = "none") -> QTensor:
    """GELU: ``x * Phi(x)`` exactly (``approximate="none"``) or with the tanh formula.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> round(F.gelu(vq.tensor([1.0])).item(), 4)
    0.8413
    """
    x = to_tensor(input)
    if approximate == "none":
        cdf = binary("mul", binary("add", unary("erf", binary("mul", x, 1 / math.sqrt(2))), 1), 0.5)
    elif approximate == "tanh":
        inner = binary("add", x, binary("mul", binary("pow", x, 3), 0.044715))
        cdf = binary("mul", binary("add", unary("tanh", binary(
            "mul", inner, math.sqrt(2 / math.pi))), 1), 0.5)
    else:
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return binary("mul", x, cdf)


def silu(input: Any) -> QTensor:
    """``x * sigmoid(x)`` (swish)."""
    x = to_tensor(input)
    return binary("mul", x, unary("sigmoid", x))


def elu(input: Any, alpha: float = 1.0) -> QTensor:
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    x = to_tensor(input)
    pos = binary("gt", x, 0)
    # expm1 of x clamped to <= 0 (by where, so the gradient at 0 is whole): the unused
    # branch never overflows, so backward never meets inf * 0
    neg = binary("mul", unary("expm1", where(pos, 0.0, x)), float(alpha))
    return where(pos, x, neg)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> QTensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (as PyTorch)."""
    x = to_tensor(input)
    bx = binary("mul", x, float(beta))
    lin = binary("gt", bx, float(threshold))
    soft = binary("div", unary("log1p", unary("exp", where(lin, 0.0, bx))), float(beta))
    return where(lin, x, soft)


# ---------------------------------------------------------------- normalisation
def _check_stat(t: Any, c: int, name: str) -> QTensor | None:
    if t is None:
        return None
    t = to_tensor(t)
    if t.shape != (c,):
        raise ValueError(f"{name} must have shape ({c},), got {t.shape}")
    return t


def batch_norm_reference(x: QTensor, mean: QTensor | None, var: QTensor | None,
                         weight: QTensor | None, bias: QTensor | None, eps: float
                         ) -> tuple[QTensor, QTensor, QTensor]:
    """batch_norm in QTensor ops (the oracle of the fused kernel): ``(y, mean, var)``.

    With ``mean`` / ``var`` None (training) the batch's mean and biased variance per channel
    normalise and come back as [C]; otherwise the given [C] statistics do.
    """
    c = x.shape[1]
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if mean is None or var is None:
        axes = (0,) + tuple(range(2, x.ndim))
        m = rd.mean(x, axes, keepdims=True)
        v = rd.var(x, axes, keepdims=True, unbiased=False)
    else:
        m, v = sh.reshape(mean, bshape), sh.reshape(var, bshape)
    y = binary("mul", binary("sub", x, m), unary("reciprocal", unary("sqrt", binary(
        "add", v, float(eps)))))
    if weight is not None:
        y = binary("mul", y, sh.reshape(weight, bshape))
    if bias is not None:
        y = binary("add", y, sh.reshape(bias, bshape))
    return y, sh.reshape(m, (c,)), sh.reshape(v, (c,))


def _batch_norm_fused(x: QTensor, mean: QTensor | None, var: QTensor | None,
                      weight: QTensor | None, bias: QTensor | None, eps: float
                      ) -> tuple[QTensor, QTensor, QTensor] | None:
    """:func:`batch_norm_reference` as one tape node through the backend's ``batch_norm``
    kernels, or None where they do not apply (no kernel, mixed dtypes or backends, or
    running statistics that require grad: the kernel gives them no gradient)."""
    kern = fused_kernel(x._b, "batch_norm", x._dtype)
    given = [t for t in (mean, var, weight, bias) if t is not None]
    if kern is None or any(t._b is not x._b or t._dtype != x._dtype for t in given):
        return None
    if mean is not None and (mean.requires_grad or var.requires_grad):
        return None
    fwd, bwd = kern
    B, training = x._b, mean is None

    def nat(t):
        return None if t is None else t._data
    y, m, v = fwd(x._data, nat(weight), nat(bias), nat(mean), nat(var), float(eps))

    def backward(g):
        needs = (x.requires_grad, weight is not None and weight.requires_grad,
                 bias is not None and bias.requires_grad)
        return bwd(g, x._data, nat(weight), m, v, float(eps), training, needs)
    out = make(y, B, x._dtype, (x, weight, bias), backward, "batch_norm")
    return out, QTensor._wrap(m, B, x._dtype), QTensor._wrap(v, B, x._dtype)


def _update_running(rm: QTensor, rv: QTensor, mean: QTensor, var: QTensor, n: int,
                    momentum: float, unbiased: bool = True) -> None:
    """``r = (1 - momentum) r + momentum * stat`` in place, with the unbiased variance (or
    the biased one)."""
    with no_grad():
        m = float(momentum)
        bm = mean.detach().astype(rm._dtype)
        bv = binary("mul", var.detach(), n / (n - 1) if unbiased else 1.0).astype(rv._dtype)
        rm._data = binary("add", binary("mul", rm.detach(), 1 - m), binary("mul", bm, m))._data
        rv._data = binary("add", binary("mul", rv.detach(), 1 - m), binary("mul", bv, m))._data


def batch_norm(input: Any, running_mean: QTensor | None, running_var: QTensor | None,
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5, *,
               unbiased_running_var: bool = True) -> QTensor:
    """Batch normalisation over [N, C, ...], as ``torch.nn.functional.batch_norm``.

    In training, batch statistics normalise and the running stats (if given) are updated
    in place: ``r = (1 - momentum) r + momentum * stat`` with the unbiased variance (the
    biased one with ``unbiased_running_var=False``, as pyvqnet and Keras keep it). Uses
    the backend's fused ``batch_norm`` kernels when declared (one tape node).

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> y = F.batch_norm(vq.tensor([[1.0], [3.0]]), None, None, training=True)
    >>> [round(v, 3) for v in y.reshape(-1).tolist()]
    [-1.0, 1.0]
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2-D [N, C, ...], got shape "
                         f"{x.shape}")
    c = x.shape[1]
    rm, rv = _check_stat(running_mean, c, "running_mean"), _check_stat(running_var, c,
                                                                        "running_var")
    w, b = _check_stat(weight, c, "weight"), _check_stat(bias, c, "bias")
    n = x.numel() // c if c else 0
    if training and n <= 1:
        raise ValueError(f"batch_norm in training needs more than one value per channel, "
                         f"got input shape {x.shape}")
    if not training and (rm is None or rv is None):
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    stats = (None, None) if training else (rm, rv)
    res = _batch_norm_fused(x, *stats, w, b, eps)
    y, mean, var = res if res is not None else batch_norm_reference(x, *stats, w, b, eps)
    if training and rm is not None and rv is not None:
        _update_running(rm, rv, mean, var, n, momentum, unbiased_running_var)
    return y


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> QTensor:
    """Normalise over the trailing ``normalized_shape`` dimensions, as PyTorch.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> [round(v, 3) for v in F.layer_norm(vq.tensor([1.0, 3.0]), (2,)).tolist()]
    [-1.0, 1.0]
    """
    x = to_tensor(input)
    ns = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(
        int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or x.shape[x.ndim - k:] != ns or x.ndim < k:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end in normalized_shape "
                         f"{ns}")
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = rd.mean(x, axes, keepdims=True)
    var = rd.var(x, axes, keepdims=True, unbiased=False)
    y = binary("mul", binary("sub", x, mean),
               unary("reciprocal", unary("sqrt", binary("add", var, float(eps)))))
    if weight is not None:
        y = binary("mul", y, weight)
    if bias is not None:
        y = binary("add", y, bias)
    return y


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> QTensor:
    """Normalise each group of channels of [N, C, ...] over its channels and positions.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.group_norm(vq.randn(2, 4, 3), 2).shape
    (2, 4, 3)
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm expects [N, C, ...], got shape {x.shape}")
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    xg = sh.reshape(x, (n, num_groups, -1))
    mean = rd.mean(xg, 2, keepdims=True)
    var = rd.var(xg, 2, keepdims=True, unbiased=False)
    y = binary("mul", binary("sub", xg, mean),
               unary("reciprocal", unary("sqrt", binary("add", var, float(eps)))))
    y = sh.reshape(y, x.shape)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = binary("mul", y, sh.reshape(_check_stat(weight, c, "weight"), bshape))
    if bias is not None:
        y = binary("add", y, sh.reshape(_check_stat(bias, c, "bias"), bshape))
    return y


# ---------------------------------------------------------------- dropout / embedding / pad
def dropout(input: Any, p: float = 0.5, training: bool = True) -> QTensor:
    """Zero each element with probability ``p`` (from VQNet's seeded generator) and scale
    the rest by ``1 / (1 - p)``; the identity when not ``training``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.dropout(vq.ones(3), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = to_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return binary("mul", x, 0.0)
    keep = cr.bernoulli(x.shape, 1.0 - p, dtype=x._dtype if x._dtype.kind == "f" else None,
                        backend=x._b)
    return binary("mul", x, binary("mul", keep, 1.0 / (1.0 - p)))


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> QTensor:
    """Rows of ``weight`` [num, dim] picked by the integer ``input``; the row at
    ``padding_idx`` gets no gradient.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.embedding(vq.tensor([2, 0]), vq.arange(6.0).reshape(3, 2)).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    idx, w = to_tensor(input), to_tensor(weight)
    if idx._dtype.kind not in "i":
        raise TypeError(f"embedding indices must be an integer tensor, got {idx._dtype.name}")
    if w.ndim != 2:
        raise ValueError(f"embedding weight must be 2-D [num_embeddings, dim], got {w.shape}")
    out = sh.getitem(w, idx)
    if padding_idx is not None:
        pi = norm_axis(int(padding_idx), w.shape[0])
        keep = sh.unsqueeze(binary("ne", idx, pi), -1)
        out = where(keep, out, out.detach())
    return out


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> QTensor:
    """Pad the last ``len(pad) // 2`` dimensions; ``pad`` is PyTorch's
    ``(last_lo, last_hi, prev_lo, prev_hi, ...)``. Modes: constant, reflect, replicate,
    circular.

    >>> import vqnet_core as vq
    >>> from vqnet_core.nn import functional as F
    >>> F.pad(vq.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect").tolist()
    [3.0, 2.0, 1.0, 2.0, 3.0, 2.0]
    """
    x = to_tensor(input)
    pads = [int(p) for p in pad]
    if mode == "constant":
        return sh.pad(x, pads, value)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad mode must be constant, reflect, replicate or circular, got "
                         f"{mode!r}")
    if len(pads) % 2 or len(pads) // 2 > x.ndim or any(p < 0 for p in pads):
        raise ValueError(f"pad needs non-negative pairs for at most {x.ndim} axes, got {pads}")
    for i in range(len(pads) // 2):
        ax = x.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if not (lo or hi):
            continue
        n = x.shape[ax]
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(f"reflect padding {(lo, hi)} must be smaller than the size {n}")
        if mode == "circular" and max(lo, hi) > n:
            raise ValueError(f"circular padding {(lo, hi)} must be at most the size {n}")
        idx = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
        x = sh.getitem(x, (slice(None),) * ax + (idx,))
    return x
