"""Rank-0-only output (progress bars, printing, logging, checkpoints) and metric reduction."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from .group import _ensure, barrier, is_main_process

__all__ = ["rank_zero_only", "print0", "progress", "save", "reduce_metrics", "get_logger"]

F = TypeVar("F", bound=Callable[..., Any])


def rank_zero_only(fn: F) -> F:
    """Decorate ``fn`` so that it runs on rank 0 only (returning None elsewhere).

    >>> from vqnet_core.distributed import rank_zero_only
    >>> @rank_zero_only
    ... def report(x):
    ...     return x * 2
    >>> report(21)                # one process: rank 0
    42
    """
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if is_main_process() else None
    return wrapper  # type: ignore[return-value]


def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only.

    >>> from vqnet_core.distributed import print0
    >>> print0("epoch", 1)
    epoch 1
    """
    if is_main_process():
        print(*args, **kwargs)


def progress(iterable: Iterable[Any] | None = None, force: bool | None = None,
             **kwargs: Any) -> Any:
    """:func:`vqnet_core.utils.progress` on rank 0; disabled on every other rank (one bar per
    job, not one per process).

    >>> from vqnet_core.distributed import progress
    >>> sum(progress(range(3), force=False))
    3
    """
    from ..utils.progress import progress as _progress

    if not is_main_process():
        kwargs["disable"] = True
    return _progress(iterable, force=force, **kwargs)


class _RankZeroFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return is_main_process()


def get_logger(name: str = "vqnet") -> logging.Logger:
    """``logging.getLogger(name)`` whose records are dropped on every rank but 0.

    >>> from vqnet_core.distributed import get_logger
    >>> get_logger("vqnet.train").name
    'vqnet.train'
    """
    log = logging.getLogger(name)
    if not any(isinstance(f, _RankZeroFilter) for f in log.filters):
        log.addFilter(_RankZeroFilter())
    return log


def save(obj: Any, path: str | os.PathLike) -> None:
    """:func:`vqnet_core.utils.save` on rank 0 only, then a :func:`barrier`, so that every
    rank can read the file once this returns (on a file system the ranks share).

    >>> import os, tempfile
    >>> from vqnet_core import nn
    >>> from vqnet_core.distributed import save
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.vqnet")
    >>> save(nn.Linear(2, 1).state_dict(), path)
    >>> os.path.exists(path)
    True
    """
    from ..utils.serialization import save as _save

    if is_main_process():
        _save(obj, path)
    barrier()


def reduce_metrics(metrics: Mapping[str, float], op: str = "sum") -> dict[str, float]:
    """Reduce a dict of numbers over the ranks in ONE all-reduce: ``"sum"`` (counts, sums of
    losses), ``"mean"``, ``"max"`` or ``"min"``. Sum the numerators and denominators and
    divide afterwards for exact means over shares of different sizes.

    >>> from vqnet_core.distributed import reduce_metrics
    >>> m = reduce_metrics({"loss_sum": 3.0, "correct": 7, "seen": 10})
    >>> m["loss_sum"] / m["seen"], m["correct"] / m["seen"]
    (0.3, 0.7)
    """
    ops = ("sum", "mean", "max", "min")
    if op not in ops:
        raise ValueError(f"unknown op {op!r}; choose one of {ops}")
    keys = list(metrics)
    try:
        vals = np.array([float(metrics[k]) for k in keys], dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("reduce_metrics takes a dict of numbers (float(value) must work)") \
            from None
    s = _ensure()
    if s.comm is not None and s.size > 1 and keys:
        MPI = s.MPI
        out = np.empty_like(vals)
        s.comm.Allreduce(vals, out, op={"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX,
                                        "min": MPI.MIN}[op])
        vals = out / s.size if op == "mean" else out
    return {k: float(v) for k, v in zip(keys, vals)}
