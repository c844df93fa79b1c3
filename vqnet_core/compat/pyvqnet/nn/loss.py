"""pyvqnet's losses, called pyvqnet's way: ``loss(target, output)`` -- the target first.

Each class computes the VQNet (PyTorch-convention) loss with the arguments put back in
prediction-first order, so values and gradients are torch's. The core's order check still
runs on the reordered call: a call made in PyTorch's order to one of these names, where the
roles are evident, raises :class:`vqnet_core.nn.LossArgumentOrderError` saying that these
names expect ``(target, output)``.

>>> from vqnet_core.compat.pyvqnet.tensor import QTensor
>>> from vqnet_core.compat.pyvqnet.nn.loss import SoftmaxCrossEntropy
>>> from vqnet_core.compat.pyvqnet import kint64
>>> x = QTensor([[1, 2, 3, 4, 5]] * 3, requires_grad=True)
>>> y = QTensor([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=kint64)
>>> round(SoftmaxCrossEntropy()(y, x).item(), 4)
3.7852
"""

from __future__ import annotations

from typing import Any

from vqnet_core.nn import loss as _L
from vqnet_core.nn.loss import LossArgumentOrderError
from vqnet_core.nn.module import Module

__all__ = ["Loss", "MeanSquaredError", "MSELoss", "CategoricalCrossEntropy",
           "SoftmaxCrossEntropy", "BinaryCrossEntropy", "NLL_Loss", "CrossEntropyLoss",
           "fidelityLoss", "LossArgumentOrderError"]

_TORCH_NAME = {"MeanSquaredError": "MSELoss", "CategoricalCrossEntropy": "CrossEntropyLoss",
               "SoftmaxCrossEntropy": "CrossEntropyLoss", "BinaryCrossEntropy": "BCELoss",
               "NLL_Loss": "NLLLoss", "CrossEntropyLoss": "CrossEntropyLoss"}


class Loss(Module):
    """Base of pyvqnet's losses: ``__call__(target, output)``, ``forward(target, output)``."""

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self.name = name

    def __call__(self, target: Any, output: Any) -> Any:  # type: ignore[override]
        try:
            return self.forward(target, output)
        except LossArgumentOrderError as exc:
            cls = type(self).__name__
            err = LossArgumentOrderError(
                f"{cls}: the arguments look swapped ({exc.why}). pyvqnet's losses "
                f"(vqnet_core.compat.pyvqnet.nn.loss.{cls}) expect "
                f"loss(target, output), the target first; did you pass (output, target) as "
                f"PyTorch does? For PyTorch's order use "
                f"vqnet_core.nn.{_TORCH_NAME.get(cls, cls)}.")
            err.why = exc.why
            raise err from None

    def forward(self, target: Any, output: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class MeanSquaredError(Loss):
    """Mean of ``(output - target) ** 2`` (the target is cast to the output's dtype)."""

    def forward(self, target: Any, output: Any) -> Any:
        return _L.mse_loss(output, target)


MSELoss = MeanSquaredError


class CategoricalCrossEntropy(Loss):
    """Softmax cross-entropy of logits ``output`` against one-hot / probability ``target``
    (integer one-hot rows accepted) or class indices."""

    def forward(self, target: Any, output: Any) -> Any:
        return _L.softmax_cross_entropy(output, target)


class SoftmaxCrossEntropy(Loss):
    """Softmax cross-entropy; ``smoothing`` is label smoothing."""

    def __init__(self, name: str = "", smoothing: float = 0.0) -> None:
        super().__init__(name)
        self.smoothing = float(smoothing)

    def forward(self, target: Any, output: Any) -> Any:
        return _L.softmax_cross_entropy(output, target, label_smoothing=self.smoothing)


class CrossEntropyLoss(Loss):
    """Cross-entropy of raw scores ``output`` ``[N, C, ...]`` at class indices ``target``."""

    def forward(self, target: Any, output: Any) -> Any:
        return _L.softmax_cross_entropy(output, target)


class NLL_Loss(Loss):  # noqa: N801  pyvqnet's name
    """Mean negative log-likelihood of log-probabilities ``output`` at class ``target``."""

    def forward(self, target: Any, output: Any) -> Any:
        return _L.nll_loss(output, target)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of probabilities ``output`` against ``target``."""

    def forward(self, target: Any, output: Any) -> Any:
        return _L.binary_cross_entropy(output, target)


class fidelityLoss(Loss):  # noqa: N801  pyvqnet's name
    """pyvqnet's fidelity loss of its quantum autoencoder: ``1 / output`` elementwise, where
    ``output`` is the measured fidelity; called ``floss(output)`` or ``floss(target,
    output)``."""

    def __call__(self, target: Any, output: Any = None) -> Any:  # type: ignore[override]
        return self.forward(target, output)

    def forward(self, target: Any, output: Any = None) -> Any:
        out = target if output is None else output
        from vqnet_core.ops._base import to_tensor
        return 1.0 / to_tensor(out)
