"""Batching: ``DataLoader`` (QTensor batches) and pyvqnet's ``data_generator`` (NumPy batches).

>>> import numpy as np
>>> from vqnet_core.data import DataLoader, TensorDataset
>>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
>>> [x.shape for x, y in DataLoader(ds, batch_size=4)]
[(4,), (4,), (2,)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from numbers import Number
from typing import Any

import numpy as np

from ..tensor import QTensor

__all__ = ["DataLoader", "data_generator", "default_collate"]


def _to_qtensor(a: np.ndarray) -> QTensor:
    from ..ops._base import to_tensor

    if a.dtype.kind == "u":  # uint8 pixels and the like: VQNet has no unsigned dtypes
        a = a.astype(np.int64)
    elif a.dtype.kind == "f" and a.dtype.itemsize < 4:
        a = a.astype(np.float32)
    return to_tensor(np.ascontiguousarray(a))


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tuples field by field, arrays / QTensors / numbers
    into one QTensor with a leading batch dimension, dicts key by key.

    >>> import numpy as np
    >>> from vqnet_core.data import default_collate
    >>> x, y = default_collate([(np.zeros(2, np.float32), 1), (np.ones(2, np.float32), 0)])
    >>> x.shape, y.tolist()
    ((2, 2), [1, 0])
    """
    if not samples:
        raise ValueError("default_collate: empty list of samples")
    first = samples[0]
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return type(first)(default_collate([s[k] for s in samples]) for k in range(len(first)))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, QTensor):
        return _to_qtensor(np.stack([s.numpy() for s in samples]))
    if isinstance(first, np.ndarray | np.generic | Number):
        if isinstance(first, float):
            return _to_qtensor(np.asarray(samples, dtype=np.float32))
        return _to_qtensor(np.stack([np.asarray(s) for s in samples]))
    raise TypeError(f"default_collate cannot batch samples of type {type(first).__name__}; "
                    "pass collate=")


class DataLoader:
    """Iterate over ``dataset`` in batches of QTensors.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: draw a new random order every epoch.
        seed: seed of the shuffling; two loaders with the same seed give the same orders, epoch
            after epoch. ``None`` takes a seed from VQNet's generator (``vq.manual_seed``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate: turns a list of samples into a batch (default :func:`default_collate`).
        sampler: an iterable of dataset indices that gives the order of each epoch instead of
            ``shuffle`` (e.g. :class:`vqnet_core.distributed.DistributedSampler`, this
            process's share of the dataset); ``len(sampler)`` samples per epoch.

    >>> import numpy as np
    >>> from vqnet_core.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(6))
    >>> a = [b[0].tolist() for b in DataLoader(ds, 2, shuffle=True, seed=1)]
    >>> b = [b[0].tolist() for b in DataLoader(ds, 2, shuffle=True, seed=1)]
    >>> a == b, sorted(sum(a, []))
    (True, [0, 1, 2, 3, 4, 5])
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False,
                 collate: Callable[[list], Any] | None = None, sampler: Any = None) -> None:
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader needs a dataset with __getitem__ and __len__, got "
                            f"{type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
                or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None:
            if shuffle:
                raise ValueError("DataLoader: pass either shuffle=True or a sampler, not both "
                                 "(the sampler decides the order; DistributedSampler shuffles "
                                 "itself)")
            if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
                raise TypeError(f"sampler must be an iterable of indices with a length, got "
                                f"{type(sampler).__name__}")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate = collate
        if seed is None:
            from ..ops.creation import next_key

            seed = list(next_key())
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batches(self) -> Iterator[np.ndarray]:
        """The index arrays of one epoch (draws a new order when shuffling)."""
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.int64)
            n = len(order)
        else:
            n = len(self.dataset)
            order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        for i in range(0, stop, self.batch_size):
            yield order[i:i + self.batch_size]

    def __iter__(self) -> Iterator[Any]:
        fast = getattr(self.dataset, "get_batch", None) if self.collate is None else None
        for idx in self.batches():
            if fast is not None:
                yield tuple(_to_qtensor(a) for a in fast(idx))
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate or default_collate)(samples)


def data_generator(x: Any, y: Any, batch_size: int = 32, shuffle: bool = True,
                   seed: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, y_batch)`` NumPy batches of the paired arrays ``x`` and ``y``, as
    pyvqnet's ``vqnet.data.data_generator`` does; the last batch may be smaller.

    ``shuffle`` permutes the samples first (with NumPy's global generator, as pyvqnet does,
    unless ``seed`` is given).

    >>> import numpy as np
    >>> from vqnet_core.data import data_generator
    >>> [b[1].tolist() for b in data_generator(np.zeros((5, 2)), np.arange(5), 2, False)]
    [[0, 1], [2, 3], [4]]
    """
    x = x.numpy() if isinstance(x, QTensor) else np.asarray(x)
    y = y.numpy() if isinstance(y, QTensor) else np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"data_generator: x and y need the same first dimension, got shapes "
                         f"{x.shape} and {y.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    n = x.shape[0]
    if shuffle:
        order = (np.random.permutation(n) if seed is None
                 else np.random.default_rng(seed).permutation(n))
    else:
        order = np.arange(n)
    for i in range(0, n, batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]
