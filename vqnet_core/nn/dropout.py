"""Dropout."""

from __future__ import annotations

from ..tensor import QTensor
from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero elements with probability ``p`` in training (VQNet's seeded generator), scaling
    the rest by ``1 / (1 - p)``; the identity in eval mode. pyvqnet: ``dropout_rate``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.Dropout(0.5).eval()(vq.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float | None = None, name: str = "", *,
                 dropout_rate: float | None = None) -> None:
        super().__init__()
        p = 0.5 if p is None and dropout_rate is None else float(
            p if p is not None else dropout_rate)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p
        self.name = name

    def forward(self, x: QTensor) -> QTensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
