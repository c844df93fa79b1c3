"""``DistributedSampler``: each rank's share of a dataset, for ``DataLoader(sampler=...)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .group import rank as _rank
from .group import world_size as _world_size

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """The indices of one rank's share of ``dataset``, epoch after epoch.

    Every rank draws the same permutation (from ``seed`` and the epoch set by
    :meth:`set_epoch`) and takes every ``num_replicas``-th index of it, starting at its rank,
    so the shares are disjoint and, together, the whole dataset. Every share has the same
    length: with ``drop_last=False`` the permutation is padded by repeating its first indices
    up to a multiple of ``num_replicas``; with ``drop_last=True`` its tail is dropped instead.
    Equal lengths matter: every rank must take the same number of steps, or a collective waits
    forever for the rank that stopped.

    Args:
        dataset: a map-style dataset (only ``len(dataset)`` is used).
        num_replicas: the number of shares (default: :func:`world_size`).
        rank: which share (default: :func:`rank`).
        shuffle: a new permutation every epoch (call :meth:`set_epoch` before each epoch);
            ``False`` keeps the dataset's order.
        seed: the seed of the permutations; it must be the same on every rank.
        drop_last: drop the tail instead of padding.

    >>> import numpy as np
    >>> from vqnet_core.data import DataLoader, TensorDataset
    >>> from vqnet_core.distributed import DistributedSampler
    >>> ds = TensorDataset(np.arange(5))
    >>> shares = [list(DistributedSampler(ds, num_replicas=2, rank=r, shuffle=False))
    ...           for r in range(2)]
    >>> shares                                   # padded with index 0 to 3 + 3
    [[0, 2, 4], [1, 3, 0]]
    >>> s = DistributedSampler(ds, num_replicas=2, rank=0, seed=3)
    >>> s.set_epoch(1)
    >>> len(DataLoader(ds, batch_size=2, sampler=s))
    2
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler needs a dataset with __len__, got "
                            f"{type(dataset).__name__}")
        n_rep = _world_size() if num_replicas is None else num_replicas
        r = _rank() if rank is None else rank
        if isinstance(n_rep, bool) or not isinstance(n_rep, int | np.integer) or n_rep < 1:
            raise ValueError(f"num_replicas must be a positive int, got {num_replicas!r}")
        if isinstance(r, bool) or not isinstance(r, int | np.integer) or not 0 <= r < n_rep:
            raise ValueError(f"rank must be an int in [0, {n_rep}), got {rank!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be an int (the same on every rank), got {seed!r}")
        n = len(dataset)
        if drop_last and n < n_rep:
            raise ValueError(f"drop_last=True with {n} samples and {n_rep} ranks leaves every "
                             "rank nothing; use drop_last=False (padding) or fewer ranks")
        if n == 0:
            raise ValueError("DistributedSampler: the dataset is empty")
        self.dataset = dataset
        self.num_replicas = int(n_rep)
        self.rank = int(r)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self.num_samples = n // self.num_replicas if self.drop_last else \
            -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` (call it with the same epoch on every rank)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            reps = -(-(self.total_size - n) // n)
            order = np.concatenate([order, np.tile(order, reps)[:self.total_size - n]])
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples
