"""Distributed training and circuit execution over MPI (mpi4py; ``pip install 'vqnet[mpi]'``).

Launch the same script on N processes, ``mpiexec -n N python train.py``; without a launcher a
script is a group of one process and needs no MPI library.

* the process group: :func:`init`, :func:`rank`, :func:`world_size`, :func:`barrier`, and the
  collectives :func:`all_reduce`, :func:`broadcast`, :func:`all_gather` on QTensors;
* data parallelism: :class:`DistributedDataParallel` (gradients averaged by bucketed
  all-reduce during ``backward()``) and :class:`DistributedSampler` (each rank's share of a
  dataset, for ``DataLoader(sampler=...)``);
* rank-0-only output: :func:`progress`, :func:`print0`, :func:`get_logger`, :func:`save`,
  :func:`rank_zero_only`; :func:`reduce_metrics` for metrics over every rank;
* sharded circuit batches: :class:`ShardedMachine` splits each batch of circuits (and the
  parameter-shift evaluations) of any machine over the ranks.

>>> import vqnet_core as vq
>>> from vqnet_core import nn, distributed as dist
>>> dist.init()
>>> model = dist.DistributedDataParallel(nn.Linear(4, 2))
>>> dist.world_size(), model.bytes_per_step        # 4*2 + 2 float32 gradients
(1, 40)
"""

from .ddp import DistributedDataParallel
from .group import (
    REDUCE_OPS,
    DistributedError,
    abort,
    abort_on_error,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    comm,
    init,
    is_initialized,
    is_main_process,
    launched,
    rank,
    world_size,
)
from .launch import find_mpiexec, mpiexec_command
from .sampler import DistributedSampler
from .sharded import ShardedMachine
from .utils import get_logger, print0, progress, rank_zero_only, reduce_metrics, save

__all__ = ["init", "is_initialized", "launched", "rank", "world_size", "is_main_process",
           "comm", "barrier", "all_reduce", "broadcast", "all_gather", "abort",
           "abort_on_error", "DistributedError", "REDUCE_OPS", "DistributedDataParallel",
           "DistributedSampler", "ShardedMachine", "progress", "print0", "get_logger", "save",
           "rank_zero_only", "reduce_metrics", "find_mpiexec", "mpiexec_command"]
