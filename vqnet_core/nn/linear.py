"""Linear, Flatten, Identity."""

from __future__ import annotations

from typing import Any

from ..tensor import QTensor
from . import functional as F
from ._layer_utils import float_dtype, init_weight_bias, new_param, pick
from .module import Module

__all__ = ["Linear", "Flatten", "Identity"]


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` [out_features, in_features] (PyTorch's
    layout, so state dicts map one to one).

    Accepts PyTorch's and the paper's spellings: ``Linear(in_features, out_features)``,
    ``Linear(input_channels=.., output_channels=..)``, ``bias=`` / ``use_bias=``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.Linear(4, 2)(vq.ones(3, 4)).shape
    (3, 2)
    """

    def __init__(self, in_features: int | None = None, out_features: int | None = None,
                 bias: bool | None = None, dtype: Any = None, *,
                 input_channels: int | None = None, output_channels: int | None = None,
                 use_bias: bool | None = None, weight_initializer: Any = None,
                 bias_initializer: Any = None, name: str = "") -> None:
        super().__init__()
        self.in_features = int(pick("in_features", in_features, input_channels, None))
        self.out_features = int(pick("out_features", out_features, output_channels, None))
        if self.in_features < 0 or self.out_features < 0:
            raise ValueError("Linear sizes must be non-negative")
        has_bias = bool(pick("bias", bias, use_bias, True))
        d = float_dtype(dtype)
        self.weight = new_param((self.out_features, self.in_features), d)
        self.bias = new_param((self.out_features,), d) if has_bias else None
        if not has_bias:
            self.register_parameter("bias", None)
        init_weight_bias(self.weight, self.bias, self.in_features, weight_initializer,
                         bias_initializer)
        self.name = name

    def forward(self, x: QTensor) -> QTensor:
        w, b = self.weight, self.bias
        if isinstance(x, QTensor) and x._b is w._b and x._dtype is w._dtype \
                and w._dtype.kind == "f" and (b is None or (b._b is w._b and b._dtype is w._dtype)):
            shape = x._b.shape(x._data)
            if len(shape) == 2 and shape[1] == self.in_features:
                return _linear_2d(x, w, b)
        return F.linear(x, w, b)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _linear_2d(x: QTensor, w: QTensor, b: QTensor | None) -> QTensor:
    """``F.linear`` for a real 2-D input of the weight's dtype as ONE tape node (the generic
    path records permute, matmul and add); the same backend calls, so the same numbers."""
    from ..ops._base import make, unbroadcast

    B = x._b
    xd, wd = x._data, w._data
    out = B.matmul(xd, B.permute(wd, (1, 0)))
    if b is not None:
        out = B.binary("add", out, b._data)

    def backward(g):
        gx = B.matmul(g, wd) if x.requires_grad else None
        gw = B.permute(B.matmul(B.permute(xd, (1, 0)), g), (1, 0)) if w.requires_grad \
            else None
        gb = unbroadcast(B, g, B.shape(b._data)) if b is not None and b.requires_grad \
            else None
        return gx, gw, gb
    return make(out, B, w._dtype, (x, w, b), backward, "linear")


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` (default: all but the batch dimension).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.Flatten()(vq.ones(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: QTensor) -> QTensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x
