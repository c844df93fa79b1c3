"""CompatibleLayer: the base of layers that run a foreign circuit (QPanda, Qiskit, Cirq...).

A subclass supplies ``run(inputs_np [B, n_in], weights_np [W]) -> np.ndarray [B, F]`` and gets
gradients with respect to both inputs and weights, by the parameter-shift rule (valid when
every input and weight enters the foreign circuit as the angle of one Pauli rotation) or by
central finite differences.

>>> import numpy as np, vqnet_core as vq
>>> class Cos(CompatibleLayer):
...     def run(self, x, w):                       # <Z> after RY(x) RY(w) on |0>
...         return np.cos(x + w[0])
>>> layer = Cos(num_weights=1)
>>> y = layer(vq.tensor([[0.1]], dtype="float64"))
>>> y.shape
(1, 1)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..nn.module import Module, Parameter
from ..ops._base import make, to_tensor
from ..tensor import QTensor


class CompatibleLayer(Module):
    """Abstract base: implement :meth:`run`."""

    def __init__(self, num_weights: int, diff_method: str = "parameter-shift",
                 dtype: Any = "float64", eps: float = 1e-6) -> None:
        super().__init__()
        if diff_method not in ("parameter-shift", "finite-diff"):
            raise ValueError(f"CompatibleLayer differentiates by 'parameter-shift' or "
                             f"'finite-diff', got {diff_method!r}")
        self.diff_method = diff_method
        self.eps = eps
        from ..ops.creation import uniform
        self.weights = Parameter(uniform((num_weights,), 0.0, 2 * math.pi, dtype=dtype)) \
            if num_weights else None

    def run(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Run the foreign circuit for every row of ``inputs``; returns ``[B, F]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement run(inputs, weights)")

    def _run(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = np.asarray(self.run(x, w), dtype=np.float64)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != x.shape[0]:
            raise ValueError(f"{type(self).__name__}.run must return [B, F] for B={x.shape[0]}, "
                             f"got shape {out.shape}")
        return out

    def _shifts(self) -> list[tuple[float, float]]:
        if self.diff_method == "parameter-shift":
            return [(0.5, math.pi / 2), (-0.5, -math.pi / 2)]
        return [(0.5 / self.eps, self.eps), (-0.5 / self.eps, -self.eps)]

    def forward(self, x: Any) -> QTensor:
        x = to_tensor(x)
        if x.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects inputs [B, n_in], got {x.shape}")
        w = self.weights
        B = x._b
        x_np = x.numpy().astype(np.float64)
        w_np = w.numpy().astype(np.float64) if w is not None else np.zeros(0)
        out = self._run(x_np, w_np)
        dt = x.dtype if x.dtype.kind == "f" else w.dtype if w is not None else x.dtype

        def backward(g):
            g_np = B.to_numpy(g).astype(np.float64)
            gx = np.zeros_like(x_np)
            gw = np.zeros_like(w_np)
            for c, s in self._shifts():
                if x.requires_grad:
                    for i in range(x_np.shape[1]):
                        xs = x_np.copy()
                        xs[:, i] += s
                        gx[:, i] += c * np.sum(g_np * self._run(xs, w_np), axis=1)
                for j in range(w_np.size):
                    ws = w_np.copy()
                    ws[j] += s
                    gw[j] += c * np.sum(g_np * self._run(x_np, ws))
            return (B.from_numpy(gx.astype(x.dtype.name)) if x.requires_grad else None,
                    B.from_numpy(gw.astype(w.dtype.name)) if w is not None else None)
        inputs = (x, w) if w is not None else (x, None)
        return make(B.from_numpy(out.astype(dt.name)), B, dt, inputs, backward,
                    type(self).__name__)
