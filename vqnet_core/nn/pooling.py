"""Pooling layers. The paper's positional form ``MaxPool2D([2, 2], [2, 2], padding="valid")``
(kernel, stride) and PyTorch's ``MaxPool2d(kernel_size, stride=None, padding=0)`` both work."""

from __future__ import annotations

from typing import Any

from ..tensor import QTensor
from . import functional as F
from ._conv_ops import pair
from .module import Module

__all__ = ["MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "AdaptiveAvgPool2D",
           "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d"]


def _norm(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(v)
    return v.lower() if isinstance(v, str) else v


def _check_pad(padding: Any) -> Any:
    if isinstance(padding, str) and padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    return _norm(padding)


class _Pool(Module):
    _nd = 2

    def __init__(self, kernel: Any, stride: Any = None, padding: Any = 0, name: str = "",
                 **extra: Any) -> None:
        super().__init__()
        self.kernel_size = _norm(kernel)
        self.stride = self.kernel_size if stride is None else _norm(stride)
        self.padding = _check_pad(padding)
        self.name = name
        for k, v in extra.items():
            setattr(self, k, v)
        # refused here, where the layer is written, rather than at its first forward
        for what, v in (("kernel_size", self.kernel_size), ("stride", self.stride),
                        ("dilation", extra.get("dilation", 1))):
            if any(a < 1 for a in pair(v, f"{type(self).__name__} {what}", self._nd)):
                raise ValueError(f"{type(self).__name__}: {what} must be positive, got {v!r}")
        if not isinstance(self.padding, str) and any(
                a < 0 for a in pair(self.padding, f"{type(self).__name__} padding", self._nd)):
            raise ValueError(f"{type(self).__name__}: padding must be non-negative, got "
                             f"{padding!r}")

    def _check(self, x: QTensor) -> None:
        if x.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"{type(self).__name__} expects a {self._nd + 2}-D input (or "
                             f"{self._nd + 1}-D unbatched), got shape {x.shape}")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding!r}"


class _MaxPool(_Pool):
    _fn = "max_pool2d"  # the functional op, looked up per call

    def __init__(self, kernel: Any = None, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, name: str = "", *, kernel_size: Any = None) -> None:
        super().__init__(kernel if kernel is not None else kernel_size, stride, padding, name,
                         dilation=dilation)

    def forward(self, x: QTensor) -> QTensor:
        self._check(x)
        return getattr(F, self._fn)(x, self.kernel_size, self.stride, self.padding,
                                    self.dilation)


class _AvgPool(_Pool):
    _fn = "avg_pool2d"

    def __init__(self, kernel: Any = None, stride: Any = None, padding: Any = 0,
                 count_include_pad: bool = True, name: str = "", *,
                 kernel_size: Any = None) -> None:
        super().__init__(kernel if kernel is not None else kernel_size, stride, padding, name,
                         count_include_pad=count_include_pad)

    def forward(self, x: QTensor) -> QTensor:
        self._check(x)
        return getattr(F, self._fn)(x, self.kernel_size, self.stride, self.padding,
                                    self.count_include_pad)


class MaxPool2D(_MaxPool):
    """2-D max pooling over [N, C, H, W].

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.MaxPool2D([2, 2], [2, 2], padding="valid")(vq.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """


class MaxPool1D(_MaxPool):
    """1-D max pooling over [N, C, L].

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.MaxPool1D(2, 2)(vq.ones(1, 3, 8)).shape
    (1, 3, 4)
    """

    _nd = 1
    _fn = "max_pool1d"


class AvgPool2D(_AvgPool):
    """2-D average pooling over [N, C, H, W] (padding counted, as PyTorch's default).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.AvgPool2D([2, 2], [2, 2], padding="valid")(vq.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """


class AvgPool1D(_AvgPool):
    """1-D average pooling over [N, C, L].

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.AvgPool1D(2, 2)(vq.ones(1, 3, 8)).shape
    (1, 3, 4)
    """

    _nd = 1
    _fn = "avg_pool1d"


class AdaptiveAvgPool2D(Module):
    """Average pooling to a fixed output size (PyTorch's bins).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.AdaptiveAvgPool2D((1, 1))(vq.ones(2, 3, 7, 7)).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _norm(output_size)

    def forward(self, x: QTensor) -> QTensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d = MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D
AdaptiveAvgPool2d = AdaptiveAvgPool2D
