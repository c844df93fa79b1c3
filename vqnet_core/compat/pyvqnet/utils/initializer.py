"""pyvqnet's ``utils.initializer``: functions ``init(shape) -> QTensor``, and the seed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import vqnet_core as vq

_SEED: list[Any] = [None]


def set_random_seed(seed: int) -> None:
    """Seed VQNet's generator and NumPy's global one (pyvqnet's data_generator shuffles
    with it)."""
    vq.manual_seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _SEED[0] = int(seed)


def get_random_seed() -> Any:
    return _SEED[0]


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        return shape[0] if shape else 1, shape[0] if shape else 1
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def zeros(shape: Any, device: Any = 0, dtype: Any = None) -> vq.QTensor:
    return vq.zeros(_shape(shape), dtype=dtype)


def ones(shape: Any, device: Any = 0, dtype: Any = None) -> vq.QTensor:
    return vq.ones(_shape(shape), dtype=dtype)


def normal(shape: Any, device: Any = 0, dtype: Any = None) -> vq.QTensor:
    return vq.normal(_shape(shape), dtype=dtype)


def uniform(shape: Any, device: Any = 0, dtype: Any = None) -> vq.QTensor:
    return vq.uniform(_shape(shape), dtype=dtype)


def quantum_uniform(shape: Any, device: Any = 0, dtype: Any = None) -> vq.QTensor:
    """Uniform on [0, 2 pi): rotation angles."""
    return vq.uniform(_shape(shape), 0.0, 2 * math.pi, dtype=dtype)


def xavier_normal(shape: Any, gain: float = 1.0, device: Any = 0, dtype: Any = None):
    fi, fo = _fans(_shape(shape))
    return vq.normal(_shape(shape), 0.0, gain * math.sqrt(2.0 / (fi + fo)), dtype=dtype)


def xavier_uniform(shape: Any, gain: float = 1.0, device: Any = 0, dtype: Any = None):
    fi, fo = _fans(_shape(shape))
    a = gain * math.sqrt(6.0 / (fi + fo))
    return vq.uniform(_shape(shape), -a, a, dtype=dtype)


def he_normal(shape: Any, a: float = 0, device: Any = 0, dtype: Any = None):
    fi, _ = _fans(_shape(shape))
    return vq.normal(_shape(shape), 0.0, math.sqrt(2.0 / ((1 + a * a) * fi)), dtype=dtype)


def he_uniform(shape: Any, a: float = 0, device: Any = 0, dtype: Any = None):
    fi, _ = _fans(_shape(shape))
    b = math.sqrt(6.0 / ((1 + a * a) * fi))
    return vq.uniform(_shape(shape), -b, b, dtype=dtype)
