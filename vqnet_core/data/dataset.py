"""Map-style datasets: the ``Dataset`` base, ``TensorDataset`` and ``Subset``.

A dataset returns one sample per index; :class:`~vqnet_core.data.DataLoader` batches them. A
dataset may also define ``get_batch(indices)`` returning a tuple of stacked NumPy arrays, which
the loader then uses instead of one ``__getitem__`` call per sample.

>>> import numpy as np
>>> from vqnet_core.data import TensorDataset
>>> ds = TensorDataset(np.zeros((3, 2), np.float32), np.array([0, 1, 2]))
>>> len(ds), int(ds[1][1])
(3, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import QTensor

__all__ = ["Dataset", "TensorDataset", "Subset"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _index(i: Any, n: int) -> int:
    if not isinstance(i, (int, np.integer)):
        raise TypeError(f"dataset index must be an int, got {type(i).__name__}")
    j = int(i) + n if i < 0 else int(i)
    if not 0 <= j < n:
        raise IndexError(f"index {i} is out of range for a dataset of {n} samples")
    return j


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays (QTensors or anything NumPy accepts).

    ``ds[i]`` is the tuple ``(a[i], b[i], ...)`` as NumPy values; the loader turns batches of
    them into QTensors.

    >>> import numpy as np
    >>> from vqnet_core.data import TensorDataset
    >>> x, y = TensorDataset(np.eye(2, dtype=np.float32), np.array([5, 7]))[0]
    >>> x.tolist(), int(y)
    ([1.0, 0.0], 5)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(a.numpy() if isinstance(a, QTensor) else np.asarray(a)
                            for a in arrays)
        for k, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {k} is 0-d; it needs a first dimension")
        n = {a.shape[0] for a in self.arrays}
        if len(n) != 1:
            raise ValueError("TensorDataset: arrays differ in their first dimension: "
                             f"{[a.shape[0] for a in self.arrays]}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple:
        i = _index(index, len(self))
        return tuple(a[i] for a in self.arrays)

    def get_batch(self, indices: Sequence[int]) -> tuple[np.ndarray, ...]:
        idx = np.asarray(indices, dtype=np.int64)
        return tuple(a[idx] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> import numpy as np
    >>> from vqnet_core.data import Subset, TensorDataset
    >>> s = Subset(TensorDataset(np.arange(10)), [7, 3])
    >>> len(s), int(s[0][0])
    (2, 7)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of {n} samples")
        self.indices = np.where(self.indices < 0, self.indices + n, self.indices)
        # Offer the fast batch path only when the wrapped dataset has one.
        if hasattr(dataset, "get_batch"):
            self.get_batch = self._get_batch

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[_index(index, len(self))])]

    def _get_batch(self, indices: Sequence[int]) -> tuple[np.ndarray, ...]:
        return self.dataset.get_batch(self.indices[np.asarray(indices, dtype=np.int64)])
