"""Convolution layers: Conv1D, Conv2D, ConvT2D (PyTorch weight layouts)."""

from __future__ import annotations

from typing import Any

from ..tensor import QTensor
from . import functional as F
from ._conv_ops import pair
from ._layer_utils import float_dtype, init_weight_bias, new_param, pick
from .module import Module

__all__ = ["Conv1D", "Conv2D", "ConvT2D", "Conv1d", "Conv2d", "ConvTranspose2d"]


def _check_padding(padding: Any, allow_same: bool = True) -> Any:
    if isinstance(padding, str):
        if padding.lower() not in (("valid", "same") if allow_same else ("valid",)):
            raise ValueError(f"padding must be {'valid, same' if allow_same else 'valid'}, an "
                             f"int or a tuple of ints, got {padding!r}")
        return padding.lower()
    return padding


class _ConvNd(Module):
    """The shared constructor: its signature is Conv1D's and Conv2D's (ConvT2D reorders it)."""

    _nd = 2
    _dims = "H, W"  # the spatial dimensions, for the input-shape error

    def __init__(self, in_channels: int | None = None, out_channels: int | None = None,
                 kernel_size: Any = None, stride: Any = 1, padding: Any = 0,
                 dilation: Any = None, groups: int | None = None, bias: bool | None = None,
                 dtype: Any = None, *, input_channels: int | None = None,
                 output_channels: int | None = None, use_bias: bool | None = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 dilation_rate: Any = None, group: int | None = None, name: str = "",
                 _transposed: bool = False, _output_padding: Any = 0) -> None:
        # _transposed and _output_padding are ConvT2D's, not part of Conv1D's/Conv2D's API
        if kernel_size is None:
            raise TypeError(f"{type(self).__name__} needs kernel_size")
        super().__init__()
        self.name = name
        nd = self._nd
        self.in_channels = int(pick("in_channels", in_channels, input_channels, None))
        self.out_channels = int(pick("out_channels", out_channels, output_channels, None))
        self.groups = int(pick("groups", groups, group, 1))
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"in_channels {self.in_channels} and out_channels "
                             f"{self.out_channels} must be divisible by groups {self.groups}")
        self.kernel_size = pair(kernel_size, "kernel_size", nd)
        self.stride = pair(stride, "stride", nd)
        self.dilation = pair(pick("dilation", dilation, dilation_rate, 1), "dilation", nd)
        self.padding = _check_padding(padding, not _transposed)
        if not isinstance(self.padding, str):
            self.padding = pair(self.padding, "padding", nd)
        self.output_padding = pair(_output_padding, "output_padding", nd)
        for what, v, lo in (("kernel_size", self.kernel_size, 1), ("stride", self.stride, 1),
                            ("dilation", self.dilation, 1),
                            ("output_padding", self.output_padding, 0)) + (
                (("padding", self.padding, 0),) if not isinstance(self.padding, str) else ()):
            if min(v) < lo:
                raise ValueError(f"{type(self).__name__}: {what} must be "
                                 f"{'positive' if lo else 'non-negative'}, got {v}")
        has_bias = bool(pick("bias", bias, use_bias, True))
        d = float_dtype(dtype)
        if _transposed:
            wshape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            wshape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = new_param(wshape, d)
        if has_bias:
            self.bias = new_param((self.out_channels,), d)
        else:
            self.register_parameter("bias", None)
        fan_in = wshape[1]
        for k in self.kernel_size:
            fan_in *= k
        init_weight_bias(self.weight, self.bias, fan_in, kernel_initializer, bias_initializer)

    def _check_input(self, x: QTensor) -> None:
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2) or x.shape[-nd - 1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expects input [N, {self.in_channels}, "
                             f"{self._dims}], got shape {x.shape}")

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ("valid", (0,) * self._nd):
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2D(_ConvNd):
    """2-D convolution over [N, C, H, W]; ``weight`` [out, in/groups, kh, kw].

    PyTorch's ``Conv2D(in_channels, out_channels, kernel_size, stride=1, padding=0,
    dilation=1, groups=1, bias=True)`` and the paper's ``Conv2D(input_channels=1,
    output_channels=6, kernel_size=(5, 5), stride=(1, 1), padding="valid", use_bias=True)``
    both work; ``padding`` may be ``"valid"``, ``"same"``, an int or a pair.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> conv = nn.Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5),
    ...                  stride=(1, 1), padding="valid")
    >>> conv(vq.ones(2, 1, 28, 28)).shape
    (2, 6, 24, 24)
    """

    _nd = 2

    def forward(self, x: QTensor) -> QTensor:
        self._check_input(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv1D(_ConvNd):
    """1-D convolution over [N, C, L]; ``weight`` [out, in/groups, k]. Same spellings as
    :class:`Conv2D`.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.Conv1D(3, 8, 5, padding="same")(vq.ones(2, 3, 20)).shape
    (2, 8, 20)
    """

    _nd = 1
    _dims = "L"

    def forward(self, x: QTensor) -> QTensor:
        self._check_input(x)
        p = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(x, self.weight, self.bias, self.stride[0], p, self.dilation[0],
                        self.groups)


class ConvT2D(_ConvNd):
    """Transposed 2-D convolution; ``weight`` [in, out/groups, kh, kw] (PyTorch's layout).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.ConvT2D(4, 2, 3, stride=2, padding=1, output_padding=1)(vq.ones(1, 4, 5, 5)).shape
    (1, 2, 10, 10)
    """

    _nd = 2

    def __init__(self, in_channels: int | None = None, out_channels: int | None = None,
                 kernel_size: Any = None, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int | None = None, bias: bool | None = None,
                 dilation: Any = None, dtype: Any = None, *, input_channels: int | None = None,
                 output_channels: int | None = None, use_bias: bool | None = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 dilation_rate: Any = None, group: int | None = None, name: str = "") -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, dtype, input_channels=input_channels,
                         output_channels=output_channels, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, dilation_rate=dilation_rate,
                         group=group, name=name, _transposed=True,
                         _output_padding=output_padding)

    def forward(self, x: QTensor) -> QTensor:
        self._check_input(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)


Conv1d, Conv2d, ConvTranspose2d = Conv1D, Conv2D, ConvT2D
