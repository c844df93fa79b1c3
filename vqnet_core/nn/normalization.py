"""Normalisation layers: BatchNorm1d / BatchNorm2d, LayerNorm, GroupNorm."""

from __future__ import annotations

from typing import Any

from ..ops.creation import full, ones, zeros
from ..tensor import QTensor
from . import functional as F
from . import init
from ._layer_utils import float_dtype, pick
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "BatchNorm1D",
           "BatchNorm2D"]


class _BatchNorm(Module):
    _ranks: tuple[int, ...] = ()
    _unbiased_running_var = True  # torch's; pyvqnet's compatibility layer keeps the biased one

    def __init__(self, num_features: int | None = None, eps: float | None = None,
                 momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None, *,
                 channel_num: int | None = None, epsilon: float | None = None,
                 beta_initializer: Any = None, gamma_initializer: Any = None,
                 name: str = "") -> None:
        super().__init__()
        self.num_features = int(pick("num_features", num_features, channel_num, None))
        self.eps = float(pick("eps", eps, epsilon, 1e-5))
        self.momentum = momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        d = float_dtype(dtype)
        c = self.num_features
        if affine:
            self.weight = Parameter(ones(c, dtype=d))
            self.bias = Parameter(zeros(c, dtype=d))
            if gamma_initializer is not None:
                init._init_from(gamma_initializer, self.weight)
            if beta_initializer is not None:
                init._init_from(beta_initializer, self.bias)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(c, dtype=d))
            self.register_buffer("running_var", ones(c, dtype=d))
            self.register_buffer("num_batches_tracked", full((), fill_value=0, dtype="int64"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.name = name

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def forward(self, x: QTensor) -> QTensor:
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects a "
                             f"{' or '.join(map(str, self._ranks))}-D input with "
                             f"{self.num_features} channels in dim 1, got shape {x.shape}")
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data = (self.num_batches_tracked + 1)._data
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        return F.batch_norm(x, self.running_mean if (not use_batch or self.training) else None,
                            self.running_var if (not use_batch or self.training) else None,
                            self.weight, self.bias, use_batch, momentum or 0.0, self.eps,
                            unbiased_running_var=self._unbiased_running_var)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over [N, C] or [N, C, L]; running stats are buffers, used in
    eval mode. ``BatchNorm1d(num_features)`` or the paper's ``BatchNorm1d(channel_num)``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> bn = nn.BatchNorm1d(3); _ = bn(vq.randn(8, 3)); bn.eval()(vq.ones(2, 3)).shape
    (2, 3)
    """

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over [N, C, H, W]; running stats are buffers, used in eval mode.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.BatchNorm2d(4)(vq.randn(2, 4, 3, 3)).shape
    (2, 4, 3, 3)
    """

    _ranks = (4,)


BatchNorm1D, BatchNorm2D = BatchNorm1d, BatchNorm2d


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dimensions, with elementwise affine.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.LayerNorm(8)(vq.randn(2, 5, 8)).shape
    (2, 5, 8)
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None,
                 *, epsilon: float | None = None, name: str = "") -> None:
        super().__init__()
        self.normalized_shape = (int(normalized_shape),) if isinstance(
            normalized_shape, int) else tuple(int(s) for s in normalized_shape)
        self.eps = float(epsilon if epsilon is not None else eps)
        self.elementwise_affine = elementwise_affine
        d = float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=d))
            if bias:
                self.bias = Parameter(zeros(*self.normalized_shape, dtype=d))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.name = name

    def forward(self, x: QTensor) -> QTensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalise groups of channels of [N, C, ...], with per-channel affine.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.GroupNorm(2, 4)(vq.randn(2, 4, 5)).shape
    (2, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"num_channels {num_channels} must be divisible by num_groups "
                             f"{num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = float(eps), affine
        d = float_dtype(dtype)
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=d))
            self.bias = Parameter(zeros(num_channels, dtype=d))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: QTensor) -> QTensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm expects [N, {self.num_channels}, ...], got shape "
                             f"{x.shape}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


