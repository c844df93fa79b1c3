"""pyvqnet's ``pyvqnet.data``: ``data_generator`` (NumPy batches cast as pyvqnet casts them)
and the core's datasets and loader.

>>> import numpy as np
>>> from vqnet_core.compat.pyvqnet.data import data_generator
>>> x, y = next(data_generator(np.zeros((4, 2)), np.eye(2)[[0, 1, 0, 1]], 2, False))
>>> x.dtype, y.dtype
(dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from vqnet_core.data import DataLoader, Dataset, TensorDataset  # noqa: F401
from vqnet_core.data import data_generator as _core_data_generator

__all__ = ["data_generator", "DataLoader", "Dataset", "TensorDataset"]


def data_generator(inputs: Any, labels: Any, batch_size: int = 32, shuffle: bool = True,
                   dtype: Any = np.float32, ldtype: Any = np.int64
                   ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of ``(inputs, labels)`` as NumPy arrays of ``dtype`` / ``ldtype`` (pyvqnet's
    float32 / int64 defaults); shuffled with NumPy's global generator."""
    for x, y in _core_data_generator(inputs, labels, batch_size, shuffle):
        yield np.asarray(x, dtype=dtype), np.asarray(y, dtype=ldtype)
