"""Activation layers (and the paper's spelling ``ReLu``)."""

from __future__ import annotations

from ..tensor import QTensor
from . import functional as F
from .module import Module

__all__ = ["ReLU", "ReLu", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU",
           "SiLU", "ELU", "Softplus"]


class _Act(Module):
    def __init__(self, name: str = "") -> None:
        super().__init__()
        self.name = name


class ReLU(_Act):
    """``max(x, 0)``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.ReLU()(vq.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def forward(self, x: QTensor) -> QTensor:
        return F.relu(x)


ReLu = ReLU  # the paper's spelling


class LeakyReLU(_Act):
    """``x`` where positive, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01, name: str = "", *,
                 alpha: float | None = None) -> None:
        super().__init__(name)
        self.negative_slope = float(alpha if alpha is not None else negative_slope)

    def forward(self, x: QTensor) -> QTensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(_Act):
    """``1 / (1 + exp(-x))``."""

    def forward(self, x: QTensor) -> QTensor:
        return F.sigmoid(x)


class Tanh(_Act):
    """Hyperbolic tangent."""

    def forward(self, x: QTensor) -> QTensor:
        return F.tanh(x)


class Softmax(_Act):
    """Softmax along ``dim`` (pyvqnet: ``axis``; default the last)."""

    def __init__(self, dim: int | None = None, name: str = "", *, axis: int | None = None) -> None:
        super().__init__(name)
        self.dim = -1 if dim is None and axis is None else int(dim if dim is not None else axis)

    def forward(self, x: QTensor) -> QTensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim`` (pyvqnet: ``axis``; default the last)."""

    def forward(self, x: QTensor) -> QTensor:
        return F.log_softmax(x, self.dim)


class GELU(_Act):
    """GELU, exact (``approximate="none"``) or the tanh approximation."""

    def __init__(self, approximate: str = "none", name: str = "") -> None:
        super().__init__(name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: QTensor) -> QTensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Act):
    """``x * sigmoid(x)``."""

    def forward(self, x: QTensor) -> QTensor:
        return F.silu(x)


class ELU(_Act):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, name: str = "") -> None:
        super().__init__(name)
        self.alpha = float(alpha)

    def forward(self, x: QTensor) -> QTensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(_Act):
    """``log(1 + exp(beta x)) / beta`` (linear above ``threshold``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0, name: str = "") -> None:
        super().__init__(name)
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: QTensor) -> QTensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


