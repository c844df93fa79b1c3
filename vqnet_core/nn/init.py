"""Parameter initialisers matching PyTorch's ``torch.nn.init`` (distributions and bounds),
drawing from VQNet's seeded generator. Each fills its tensor in place and returns it.

>>> import vqnet_core as vq
>>> from vqnet_core.nn import init
>>> w = vq.zeros(64, 32)
>>> _ = init.kaiming_uniform_(w, a=5 ** 0.5)
>>> bool(abs(w).max().item() <= 1 / 32 ** 0.5)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.engine import no_grad
from ..tensor import QTensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "orthogonal_", "trunc_normal_", "eye_", "calculate_fan_in_and_fan_out"]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor: QTensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight laid out as PyTorch's ([out, in, *kernel])."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got "
                         f"shape {tensor.shape}")
    rf = 1
    for s in tensor.shape[2:]:
        rf *= s
    return tensor.shape[1] * rf, tensor.shape[0] * rf


def _fan(tensor: QTensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fi, fo = calculate_fan_in_and_fan_out(tensor)
    return fi if mode == "fan_in" else fo


def uniform_(tensor: QTensor, a: float = 0.0, b: float = 1.0) -> QTensor:
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor: QTensor, mean: float = 0.0, std: float = 1.0) -> QTensor:
    """Fill with N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std)


def constant_(tensor: QTensor, val: float) -> QTensor:
    """Fill with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: QTensor) -> QTensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor: QTensor) -> QTensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def eye_(tensor: QTensor) -> QTensor:
    """The identity matrix into a 2-D tensor."""
    if tensor.ndim != 2:
        raise ValueError("eye_ needs a 2-D tensor")
    with no_grad():
        return tensor._assign(tensor._b.from_numpy(np.eye(*tensor.shape,
                                                          dtype=tensor.dtype.name)))


def xavier_uniform_(tensor: QTensor, gain: float = 1.0) -> QTensor:
    """Glorot uniform: U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fi, fo = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: QTensor, gain: float = 1.0) -> QTensor:
    """Glorot normal: N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fi, fo = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fi + fo)))


def kaiming_uniform_(tensor: QTensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> QTensor:
    """He uniform: U(-b, b), ``b = gain * sqrt(3 / fan)`` (``gain`` from ``a``)."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: QTensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> QTensor:
    """He normal: N(0, std^2), ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def _erfinv(y: np.ndarray) -> np.ndarray:
    # Giles' single-precision approximation refined by two Newton steps (float64 accurate).
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws, wl = w - 2.5, np.sqrt(w) - 3.0
    ps = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        ps = c + ps * ws
    pl = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        pl = c + pl * wl
    x = np.where(small, ps, pl) * y
    erf = np.vectorize(math.erf)
    for _ in range(2):
        x = x - (erf(x) - y) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
    return x


def trunc_normal_(tensor: QTensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> QTensor:
    """N(mean, std^2) truncated to [a, b], by inverse CDF of a uniform draw (as PyTorch)."""
    def cdf(v: float) -> float:
        return (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    with no_grad():
        u = QTensor(np.zeros(tensor.shape), dtype="float64", backend=tensor._b).uniform_(
            2 * lo - 1, 2 * hi - 1).numpy()
        v = np.clip(_erfinv(u) * std * math.sqrt(2.0) + mean, a, b)
        return tensor._assign(tensor._b.from_numpy(v.astype(tensor.dtype.name)))




def orthogonal_(tensor: QTensor, gain: float = 1.0) -> QTensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a seeded normal draw."""
    if tensor.ndim < 2:
        raise ValueError("orthogonal_ needs a tensor of at least 2 dimensions")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        flat = QTensor(np.zeros((rows, cols)), dtype="float64", backend=tensor._b).normal_()
        a = flat.numpy()
        if rows < cols:
            a = a.T
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return tensor._assign(tensor._b.from_numpy(
            (gain * q).reshape(tensor.shape).astype(tensor.dtype.name)))


def _init_from(init: Any, tensor: QTensor) -> QTensor:
    """Apply a user initializer: a callable on the tensor, or a tensor / array of values."""
    if callable(init):
        with no_grad():  # user initializers fill in place, like the ones here
            out = init(tensor)
        return out if isinstance(out, QTensor) else tensor
    arr = init.numpy() if isinstance(init, QTensor) else np.asarray(init)
    if tuple(arr.shape) != tensor.shape:
        raise ValueError(f"initializer value has shape {tuple(arr.shape)}, expected "
                         f"{tensor.shape}")
    with no_grad():
        return tensor._assign(tensor._b.from_numpy(arr.astype(tensor.dtype.name)))
