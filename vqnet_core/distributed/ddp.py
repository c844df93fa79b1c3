"""``DistributedDataParallel``: one model per rank, gradients averaged over ranks.

Each rank runs the wrapped model on its own share of every batch; during ``backward()`` the
gradients are averaged over the ranks, so that after ``optimizer.step()`` every rank holds the
same parameters as one process that had taken the whole batch (for a loss that is the mean over
the batch, and equal shares).

The parameters are grouped into buckets of at most ``bucket_cap_mb`` (in the reverse order of
``parameters()``, roughly the order the backward sweep finishes them, one dtype per bucket).
Each parameter has a gradient-ready hook of the tape
(:func:`vqnet_core.autograd.register_grad_ready_hook`): when the last parameter of a bucket
has its final gradient, the bucket's gradients are copied into one flat host buffer and a
non-blocking ``MPI_Iallreduce`` starts on it while the sweep goes on through the layers below;
buckets start strictly in index order, the same order on every rank (MPI requires collectives
in the same order everywhere). When the last bucket has started, the sweep waits for all of
them and writes the averages back into ``.grad``; ``backward()`` returns with the gradients
synchronized.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..autograd.engine import _topo_order, is_grad_enabled, register_grad_ready_hook
from ..nn.module import Module
from ..tensor import QTensor
from .group import DistributedError, _ensure

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("params", "offsets", "size", "dtype", "ready", "flat", "request")

    def __init__(self, dtype: np.dtype) -> None:
        self.params: list[QTensor] = []
        self.offsets: list[int] = []
        self.size = 0
        self.dtype = dtype
        self.ready = 0
        self.flat: np.ndarray | None = None
        self.request: Any = None

    def add(self, p: QTensor, n: int) -> None:
        self.params.append(p)
        self.offsets.append(self.size)
        self.size += n


def _np_dtype(t: QTensor) -> np.dtype:
    return np.dtype(t._dtype.name)


def _make_buckets(tensors: list[QTensor], cap_bytes: int) -> list[_Bucket]:
    buckets: list[_Bucket] = []
    for t in tensors:
        dt = _np_dtype(t)
        n = int(t.numel())
        b = buckets[-1] if buckets else None
        if b is None or b.dtype != dt or (b.size and (b.size + n) * dt.itemsize > cap_bytes):
            b = _Bucket(dt)
            buckets.append(b)
        b.add(t, n)
    return buckets


def _pack(b: _Bucket, grads: bool) -> np.ndarray:
    flat = np.empty(b.size, dtype=b.dtype)
    for p, off in zip(b.params, b.offsets):
        n = int(p.numel())
        src = p.grad if grads else p
        if src is None:  # a parameter that took no part in this step's loss
            flat[off:off + n] = 0
        else:
            flat[off:off + n] = np.asarray(src._b.to_numpy(src._data)).reshape(-1)
    return flat


def _unpack_values(b: _Bucket, flat: np.ndarray) -> None:
    for p, off in zip(b.params, b.offsets):
        n = int(p.numel())
        p._data = p._b.from_numpy(flat[off:off + n].reshape(p.shape).copy())


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the ranks of the process group.

    At wrap time every parameter and buffer is broadcast from rank 0 (the ranks start from the
    same model even if they were initialized differently). Call the wrapper as the model; each
    forward call that records the tape (not under ``no_grad``) arms one gradient
    synchronization, which the following ``backward()`` carries out (see the module
    docstring). With one process the wrapper only forwards. Every rank must take the same
    number of steps (:class:`DistributedSampler` gives equal shares).

    Args:
        module: the model.
        bucket_cap_mb: the most megabytes (2**20 bytes) of gradients in one all-reduce.
        broadcast_buffers: broadcast the buffers (running statistics) from rank 0 at every
            forward call in training mode.
        find_unused_parameters: at every forward call, find the parameters that the output does
            not depend on and count them as ready (zero gradient) so that the synchronization
            completes; without it such a parameter makes the next forward call raise.
        overlap: start each bucket's all-reduce as soon as it fills (``True``), or reduce all
            buckets after the sweep (``False``).

    Attributes ``bytes_per_step`` (bytes all-reduced by one synchronization), ``buckets``
    (the number of all-reduce calls per step) and ``comm_seconds`` (the time the sweep has
    spent in them so far, packing and unpacking included) describe the traffic.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> from vqnet_core.distributed import DistributedDataParallel
    >>> model = DistributedDataParallel(nn.Linear(3, 2))
    >>> loss = model(vq.ones((4, 3))).sum()
    >>> loss.backward()
    >>> model.module.weight.grad.shape
    (2, 3)
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 1.0,
                 broadcast_buffers: bool = True, find_unused_parameters: bool = False,
                 overlap: bool = True) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got "
                            f"{type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        super().__init__()
        self.module = module
        s = _ensure()
        self._s = s
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.overlap = bool(overlap)
        seen: set[int] = set()
        params: list[QTensor] = []
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self._params = params
        self._buckets = _make_buckets(list(reversed(params)),
                                      max(int(bucket_cap_mb * (1 << 20)), 1))
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self.buckets = len(self._buckets)
        self.bytes_per_step = sum(b.size * b.dtype.itemsize for b in self._buckets)
        self.comm_seconds = 0.0   # time spent packing, reducing, waiting and unpacking
        self._round = False       # a synchronization armed by forward, not yet finished
        self._next = 0            # the next bucket to start
        self._ready_ids = set()   # the parameters counted in this round
        self._sync = True
        self._handles = []
        if s.size > 1:
            self._broadcast_state()
            # the hooks hold the wrapper weakly: a dropped wrapper leaves no-op hooks that go
            # with the parameters, and keeps neither itself nor the model alive
            on_ready = weakref.WeakMethod(self._on_ready)

            def hook(p: QTensor) -> None:
                m = on_ready()
                if m is not None:
                    m(p)
            for p in params:
                self._handles.append(register_grad_ready_hook(p, hook))
            weakref.finalize(self, _remove_hooks, list(self._handles))

    # ---------------------------------------------------------------- wrap time
    def _broadcast_state(self) -> None:
        for b in _make_buckets([p for p in self.module.parameters()], 16 << 20):
            flat = _pack(b, grads=False)
            self._s.comm.Bcast(flat, root=0)
            _unpack_values(b, flat)
        self._broadcast_buffers()

    def _broadcast_buffers(self) -> None:
        bufs = [t for _, t in self.module.named_buffers() if t is not None]
        for b in _make_buckets(bufs, 16 << 20):
            flat = _pack(b, grads=False)
            self._s.comm.Bcast(flat, root=0)
            _unpack_values(b, flat)

    # ---------------------------------------------------------------- forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._s.size > 1:
            if self._round and self._sync and self._ready_ids:
                # a backward that reached some parameters but not all (a forward call with no
                # backward after it, e.g. an evaluation, is simply armed again)
                missing = [p for p in self._params if id(p) not in self._ready_ids]
                started = [b.request for b in self._buckets if b.request is not None]
                if started:  # complete what every rank started before giving up the step
                    self._s.MPI.Request.Waitall(started)
                self._reset()
                names = {id(p): n for n, p in self.module.named_parameters()}
                which = ", ".join(names.get(id(p), "?") for p in missing[:8])
                raise DistributedError(
                    f"the last backward() did not reach {len(missing)} parameter(s) of the "
                    f"wrapped model ({which}), so its gradients were not synchronized; pass "
                    "find_unused_parameters=True to DistributedDataParallel, or call "
                    "synchronize() after backward()")
            if self.broadcast_buffers and self.training:
                self._broadcast_buffers()
        out = self.module(*args, **kwargs)
        if self._s.size > 1 and self._sync and self._params and is_grad_enabled() \
                and any(t.requires_grad for t in _tensors(out)):
            self._reset()
            self._round = True
            if self.find_unused_parameters:
                self._mark_unused(out)
        return out

    def _reset(self) -> None:
        for b in self._buckets:
            b.ready, b.flat, b.request = 0, None, None
        self._next = 0
        self._round = False
        self._ready_ids: set[int] = set()

    def _mark_unused(self, out: Any) -> None:
        roots = [t for t in _tensors(out) if t.requires_grad]
        reached = {id(t) for t, node in _topo_order(roots) if node is None}
        for p in self._params:
            if id(p) not in reached:
                self._count(p)

    # ---------------------------------------------------------------- backward
    def _on_ready(self, p: QTensor) -> None:
        if self._round:
            self._count(p)

    def _count(self, p: QTensor) -> None:
        if id(p) in self._ready_ids:  # a second backward through the same forward
            return
        self._ready_ids.add(id(p))
        b = self._bucket_of[id(p)]
        b.ready += 1
        if b.ready == len(b.params):
            self._launch_ready()

    def _launch_ready(self) -> None:
        t0 = time.perf_counter()
        try:
            self._launch_ready_timed()
        finally:
            self.comm_seconds += time.perf_counter() - t0

    def _launch_ready_timed(self) -> None:
        MPI = self._s.MPI
        while self._next < len(self._buckets):
            b = self._buckets[self._next]
            if b.ready < len(b.params):
                break
            b.flat = _pack(b, grads=True)
            if self.overlap:
                b.request = self._s.comm.Iallreduce(MPI.IN_PLACE, b.flat, op=MPI.SUM)
            self._next += 1
        if self._next == len(self._buckets):
            self._finish()

    def _finish(self) -> None:
        comm, MPI = self._s.comm, self._s.MPI
        if self.overlap:
            MPI.Request.Waitall([b.request for b in self._buckets])
        size = self._s.size
        for b in self._buckets:
            if not self.overlap:
                comm.Allreduce(MPI.IN_PLACE, b.flat, op=MPI.SUM)
            flat = b.flat / b.dtype.type(size) if b.dtype.kind in "fc" else b.flat // size
            for p, off in zip(b.params, b.offsets):
                n = int(p.numel())
                g = p._b.from_numpy(flat[off:off + n].reshape(p.shape))
                if p.grad is None:
                    p.grad = QTensor._wrap(g, p._b, p._dtype)
                else:
                    p.grad._data = g
        self._reset()

    def synchronize(self) -> None:
        """Finish the synchronization armed by the last forward call, counting the parameters
        that got no gradient as zero (for a model whose last backward did not reach every
        parameter; every rank must call it). Does nothing when there is none pending."""
        if self._s.size == 1 or not self._round:
            return
        for b in self._buckets:
            b.ready = len(b.params)
        self._launch_ready()

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside the block, forward calls arm no synchronization: gradients accumulate locally
        (gradient accumulation); the first backward after the block averages the sums.

        >>> import vqnet_core as vq
        >>> from vqnet_core import nn
        >>> from vqnet_core.distributed import DistributedDataParallel
        >>> ddp = DistributedDataParallel(nn.Linear(2, 1))
        >>> with ddp.no_sync():
        ...     ddp(vq.ones((1, 2))).sum().backward()
        >>> ddp(vq.ones((1, 2))).sum().backward()
        >>> ddp.module.weight.grad.tolist()
        [[2.0, 2.0]]
        """
        prev = self._sync
        self._sync = False
        try:
            yield
        finally:
            self._sync = prev

    def extra_repr(self) -> str:
        return (f"world_size={self._s.size}, buckets={self.buckets}, "
                f"bytes_per_step={self.bytes_per_step}")


def _remove_hooks(handles: list) -> None:
    for h in handles:
        h.remove()


def _tensors(out: Any) -> list[QTensor]:
    if isinstance(out, QTensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in _tensors(v)]
    if isinstance(out, list | tuple):
        return [t for v in out for t in _tensors(v)]
    return []
