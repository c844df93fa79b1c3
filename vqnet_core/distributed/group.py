"""The process group: which process this is, how many there are, and collectives on QTensors.

Under an MPI launcher (``mpiexec -n N python train.py``, ``srun``) the group is MPI's
``COMM_WORLD`` through mpi4py (``pip install 'vqnet[mpi]'``); a process started without a
launcher is a group of one that needs no MPI library at all, and every collective returns its
input. Tensors travel as contiguous host NumPy buffers through mpi4py's buffer interface
(``Allreduce``, ``Bcast``, ``Allgather``), never pickled.

>>> import vqnet_core as vq
>>> from vqnet_core import distributed as dist
>>> dist.init()
>>> dist.rank(), dist.world_size()            # no launcher: one process
(0, 1)
>>> dist.all_reduce(vq.tensor([1.0, 2.0]), op="mean").tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..tensor import QTensor

__all__ = ["init", "is_initialized", "launched", "rank", "world_size", "is_main_process",
           "barrier", "all_reduce", "broadcast", "all_gather", "abort", "abort_on_error",
           "DistributedError", "REDUCE_OPS"]

#: Environment variables a launcher sets in every process it starts (MPICH / Intel MPI's
#: Hydra, Open MPI, PMIx, Slurm's srun with PMI).
_LAUNCHER_ENV = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS",
                 "MV2_COMM_WORLD_SIZE")
REDUCE_OPS = ("sum", "mean", "max", "min", "prod")
_GRACE = 0.5  # seconds between an error report and MPI_Abort
_INSTALL = ("pip install 'vqnet[mpi]' (mpi4py and the MPICH wheel, with its mpiexec), or "
            "pip install mpi4py against your cluster's MPI")


class DistributedError(RuntimeError):
    """The process group cannot do what was asked (no MPI library, mismatched tensors)."""


class _State:
    comm: Any = None        # mpi4py's COMM_WORLD, or None for the group of one
    MPI: Any = None         # the mpi4py.MPI module when in use
    rank = 0
    size = 1
    initialized = False
    hook_installed = False


_state = _State()


def launched() -> bool:
    """Whether this process was started by an MPI launcher (its environment says so)."""
    return any(os.environ.get(k) for k in _LAUNCHER_ENV)


def init(use_mpi: bool | None = None, abort_on_exception: bool = True) -> None:
    """Set up the process group (once; later calls do nothing).

    ``use_mpi``: ``None`` (default) uses MPI when :func:`launched`, else the group of one;
    ``True`` always imports mpi4py (an MPI "singleton" of size 1 without a launcher);
    ``False`` never does. ``abort_on_exception``: with more than one process, an exception that
    reaches the top of any rank prints its traceback and calls ``MPI_Abort``, so that the whole
    job ends with the error instead of the other ranks waiting forever in a collective.

    >>> from vqnet_core import distributed as dist
    >>> dist.init(); dist.is_initialized()
    True
    """
    if _state.initialized:
        return
    want = launched() if use_mpi is None else bool(use_mpi)
    if want:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise DistributedError(
                f"this process was started by an MPI launcher (or use_mpi=True), but mpi4py "
                f"cannot be imported ({exc}); install it: {_INSTALL}") from None
        _state.MPI = MPI
        _state.comm = MPI.COMM_WORLD
        _state.rank = _state.comm.Get_rank()
        _state.size = _state.comm.Get_size()
    _state.initialized = True
    if abort_on_exception and _state.size > 1 and not _state.hook_installed:
        _install_excepthook()


def is_initialized() -> bool:
    """Whether :func:`init` has run (every function here runs it when needed)."""
    return _state.initialized


def _ensure() -> _State:
    if not _state.initialized:
        init()
    return _state


def rank() -> int:
    """This process's index in the group, ``0 <= rank() < world_size()``."""
    return _ensure().rank


def world_size() -> int:
    """The number of processes in the group (1 without a launcher)."""
    return _ensure().size


def is_main_process() -> bool:
    """Whether this is rank 0, the process that prints, logs and writes checkpoints."""
    return rank() == 0


def comm() -> Any:
    """mpi4py's communicator of the group, or None for the group of one (for code that wants
    MPI calls of its own)."""
    return _ensure().comm


def barrier() -> None:
    """Wait until every process of the group has called ``barrier()``."""
    s = _ensure()
    if s.comm is not None:
        s.comm.Barrier()


def abort(code: int = 1) -> None:
    """End every process of the job now (``MPI_Abort``); with one process, ``os._exit``."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    s = _ensure()
    if s.comm is not None and s.size > 1:
        time.sleep(_GRACE)  # the launcher forwards what this rank wrote before it dies
        s.comm.Abort(code)
    os._exit(code)


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(etype, value, tb):  # an uncaught exception on this rank ends the whole job
        try:
            _report("".join(traceback.format_exception(etype, value, tb)))
        except Exception:  # noqa: BLE001 - never let the report keep the job alive
            previous(etype, value, tb)
        finally:
            abort(1)

    sys.excepthook = hook
    _state.hook_installed = True


@contextlib.contextmanager
def abort_on_error(code: int = 1) -> Iterator[None]:
    """Inside the block, an exception on any rank prints its traceback and aborts the whole job
    (for code whose exceptions are caught before they reach ``sys.excepthook``, e.g. under a
    framework). With one process the exception propagates as usual.

    >>> from vqnet_core import distributed as dist
    >>> with dist.abort_on_error():
    ...     x = 1 + 1
    """
    try:
        yield
    except BaseException:
        if world_size() > 1:
            _report(traceback.format_exc())
            abort(code)
        raise


def _report(text: str) -> None:
    """The traceback of this rank's error, in one write (one piece for the launcher)."""
    sys.stderr.write(f"[vqnet.distributed] rank {_state.rank} of {_state.size} raised; "
                     f"aborting the job\n{text}")
    sys.stderr.flush()


# ---------------------------------------------------------------- host buffers
def _host(t: QTensor | np.ndarray) -> np.ndarray:
    if isinstance(t, QTensor):
        a = t._b.to_numpy(t._data)
    else:
        a = np.asarray(t)
    return np.ascontiguousarray(a)


def _like(a: np.ndarray, t: QTensor | np.ndarray) -> QTensor:
    if isinstance(t, QTensor):
        return QTensor._wrap(t._b.from_numpy(a), t._b, t._dtype)
    from ..ops._base import to_tensor

    return to_tensor(a)


def _check_same(s: _State, a: np.ndarray, what: str) -> None:
    """Every rank passes an array of the same shape and dtype (one small Allgather)."""
    meta = np.array([a.ndim, a.size, zlib.crc32(repr((a.shape, a.dtype.str)).encode())],
                    dtype=np.int64)
    everyone = np.empty((s.size, 3), dtype=np.int64)
    s.comm.Allgather(meta, everyone)
    if not (everyone == meta).all():
        raise DistributedError(f"{what}: the ranks passed tensors of different shapes or "
                               f"dtypes (this rank: shape {a.shape}, {a.dtype}); every rank "
                               "must pass the same shape and dtype")


def _mpi_op(s: _State, op: str, a: np.ndarray) -> Any:
    if op not in REDUCE_OPS:
        raise ValueError(f"unknown reduction op {op!r}; choose one of {REDUCE_OPS}")
    if op in ("max", "min") and a.dtype.kind == "c":
        raise ValueError(f"op={op!r} is not defined for complex tensors")
    if a.dtype.kind == "b" and op in ("sum", "mean", "prod"):
        raise ValueError(f"op={op!r} on a bool tensor: cast it to an integer dtype first")
    if s.MPI is None:
        return None
    return {"sum": s.MPI.SUM, "mean": s.MPI.SUM, "max": s.MPI.MAX, "min": s.MPI.MIN,
            "prod": s.MPI.PROD}[op]


def all_reduce(tensor: QTensor, op: str = "sum", check: bool = True) -> QTensor:
    """The elementwise reduction of ``tensor`` over every rank (``"sum"``, ``"mean"``,
    ``"max"``, ``"min"``, ``"prod"``), the same on every rank. Returns a new tensor (VQNet's
    arrays are never written into) on the input's backend, not on the tape. ``"mean"`` of an
    integer tensor is the integer division of the sum. ``check`` compares shapes and dtypes
    across ranks first (one small extra message; a mismatch raises instead of corrupting).

    >>> import vqnet_core as vq
    >>> from vqnet_core import distributed as dist
    >>> dist.all_reduce(vq.tensor([3, 4]), op="max").tolist()
    [3, 4]
    """
    s = _ensure()
    a = _host(tensor)
    mop = _mpi_op(s, op, a)
    if s.comm is None or s.size == 1:
        return _like(a.copy(), tensor)
    if check:
        _check_same(s, a, "all_reduce")
    if a.dtype.kind == "b":  # MPI's MAX / MIN take integers, not C bools
        out = np.empty(a.shape, np.uint8)
        s.comm.Allreduce(a.view(np.uint8), out, op=mop)
        return _like(out.view(np.bool_), tensor)
    out = np.empty_like(a)
    s.comm.Allreduce(a, out, op=mop)
    if op == "mean":
        out = out // s.size if out.dtype.kind in "iu" else out / out.dtype.type(s.size)
    return _like(out, tensor)


def broadcast(tensor: QTensor, src: int = 0, check: bool = True) -> QTensor:
    """Rank ``src``'s ``tensor`` on every rank (the others pass a tensor of the same shape and
    dtype, whose values are ignored). Returns a new tensor, not on the tape.

    >>> import vqnet_core as vq
    >>> from vqnet_core import distributed as dist
    >>> dist.broadcast(vq.tensor([1.5])).tolist()
    [1.5]
    """
    s = _ensure()
    if not 0 <= src < s.size:
        raise ValueError(f"src={src} is not a rank of this group of {s.size}")
    a = _host(tensor)
    if s.comm is None or s.size == 1:
        return _like(a.copy(), tensor)
    if check:
        _check_same(s, a, "broadcast")
    buf = a.copy()
    s.comm.Bcast(buf, root=src)
    return _like(buf, tensor)


def all_gather(tensor: QTensor, check: bool = True) -> QTensor:
    """Every rank's ``tensor`` stacked along a new first axis: shape ``[world_size(), *shape]``
    (rank order), the same on every rank. Not on the tape.

    >>> import vqnet_core as vq
    >>> from vqnet_core import distributed as dist
    >>> dist.all_gather(vq.tensor([1.0, 2.0])).shape
    (1, 2)
    """
    s = _ensure()
    a = _host(tensor)
    if s.comm is None or s.size == 1:
        return _like(a[None].copy(), tensor)
    if check:
        _check_same(s, a, "all_gather")
    out = np.empty((s.size, *a.shape), dtype=a.dtype)
    s.comm.Allgather(a, out)
    return _like(out, tensor)
