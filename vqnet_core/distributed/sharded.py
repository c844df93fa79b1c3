"""``ShardedMachine``: any VQNet machine, with each batch of circuits split over the ranks.

Every rank runs the same program on the same data (one network, replicated); inside each
``execute`` the rows of the angle batch are split into ``world_size()`` contiguous shares,
each rank runs its share on the wrapped machine, and the results are gathered
(``MPI_Allgatherv``) so that every rank returns the whole batch. The parameter-shift and
finite-difference gradients of :func:`vqnet_core.quantum.gradients.run_circuit` batch every
shifted evaluation into one ``execute`` call, so they are split too; the adjoint ``vjp`` is
split by rows the same way. A quantum layer on this machine thus uses every rank.

Use it where the ranks share one batch (not together with
:class:`~vqnet_core.distributed.DistributedDataParallel`, whose ranks each have their own).

>>> import numpy as np
>>> from vqnet_core.distributed import ShardedMachine
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval
>>> m = ShardedMachine("statevector")
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in m.execute(c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend.registry import get_backend
from ..quantum.circuit import Circuit, Measurement
from ..quantum.machine import Machine, MachineCapabilities
from ..quantum.registry import get_machine
from .group import _ensure

__all__ = ["ShardedMachine", "INNER_ENV"]

#: The machine ``ShardedMachine()`` wraps when none is given (default ``statevector``): how the
#: conformance suite, which builds machines by name, runs ``sharded`` over another machine.
INNER_ENV = "VQNET_SHARDED_MACHINE"


def _shares(n: int, size: int) -> np.ndarray:
    """Row offsets ``[size + 1]`` of ``n`` rows in ``size`` contiguous, near-equal shares."""
    counts = np.full(size, n // size, dtype=np.int64)
    counts[:n % size] += 1
    return np.concatenate([[0], np.cumsum(counts)])


def _rank_seed(seed: int, r: int) -> int:
    """The seed of rank ``r``'s share: ``seed`` itself on rank 0 (so that one process gives the
    wrapped machine's results), a different stream on every other rank."""
    if r == 0:
        return seed
    return zlib.crc32(f"{seed}/{r}".encode()) & 0x7FFFFFFF


class ShardedMachine(Machine):
    """Wrap ``machine`` (a registered name or a Machine instance; default ``"statevector"``,
    or ``$VQNET_SHARDED_MACHINE``) so that each ``execute`` / ``vjp`` batch is split over the
    ranks of the process group and the results gathered on every rank. ``options`` go to the
    wrapped machine's constructor. Its capabilities are the wrapped machine's. With one
    process it is the wrapped machine.

    With shots, rank 0's share uses ``seed`` and every other rank's share a seed derived from
    ``seed`` and the rank: results are reproducible for a given number of ranks (and the same
    as the wrapped machine's with one), but differ between different numbers of ranks.
    ``bytes_gathered`` counts the bytes this rank has received from the others.
    """

    name = "sharded"

    def __init__(self, machine: str | Machine | None = None, **options: Any) -> None:
        if machine is None:
            machine = os.environ.get(INNER_ENV) or "statevector"
        if isinstance(machine, ShardedMachine):
            raise TypeError("the machine is already sharded")
        self.inner = get_machine(machine, **options)
        self._s = _ensure()
        #: bytes this rank has received in gathers (the traffic the sharding costs)
        self.bytes_gathered = 0

    @property
    def capabilities(self) -> MachineCapabilities:  # type: ignore[override]
        return self.inner.capabilities

    def supports_vjp(self, measurements: Sequence[Measurement]) -> bool:
        return self.inner.supports_vjp(measurements)

    def memory_estimate(self, circuit: Circuit, batch: int,
                        measurements: Sequence[Measurement], shots: int | None, dtype: str,
                        adjoint: bool = False) -> tuple[int, str] | None:
        per_rank = -(-batch // self._s.size)
        return self.inner.memory_estimate(circuit, per_rank, measurements, shots, dtype,
                                          adjoint)

    def validate(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
                 shots: int | None, dtype: str) -> np.ndarray:
        return self.inner.validate(circuit, angles, measurements, shots, dtype)

    # ---------------------------------------------------------------- the split
    def execute(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
                shots: int | None = None, seed: int | None = None,
                dtype: str = "complex128") -> list[Any]:
        s = self._s
        if s.size == 1:
            return self.inner.execute(circuit, angles, measurements, shots, seed, dtype)
        # every rank checks the whole batch, so that bad input raises everywhere, not on the
        # ranks that happen to hold the bad row while the others wait in the gather
        a = self.inner.validate(circuit, angles, measurements, shots, dtype)
        self.check_memory(circuit, a.shape[0], measurements, shots, dtype)
        if shots is not None and seed is None:
            # one fresh seed, drawn on rank 0 from VQNet's stream, for every share
            from ..ops.creation import next_key

            fresh = int(np.random.default_rng(list(next_key())).integers(2**31))
            seed = int(s.comm.bcast(fresh if s.rank == 0 else None, root=0))
        lo, hi = self._rows(a.shape[0])
        local = None
        if hi > lo:
            sd = None if seed is None else _rank_seed(seed, s.rank)
            local = self.inner.execute(circuit, a[lo:hi], measurements, shots, sd, dtype)
        return self._gather(local, a.shape[0])

    def vjp(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
            upstream: Sequence[Any], dtype: str = "complex128") -> Any:
        s = self._s
        if s.size == 1:
            return self.inner.vjp(circuit, angles, measurements, upstream, dtype)
        a = self.inner.validate(circuit, angles, measurements, None, dtype)
        if not self.inner.capabilities.adjoint:
            return self.inner.vjp(circuit, a, measurements, upstream, dtype)  # raises
        B = get_backend()
        lo, hi = self._rows(a.shape[0])
        local = None
        if hi > lo:
            ups = [B.from_numpy(np.ascontiguousarray(_np(u)[lo:hi])) for u in upstream]
            local = [self.inner.vjp(circuit, a[lo:hi], measurements, ups, dtype)]
        return self._gather(local, a.shape[0])[0]

    def _rows(self, n: int) -> tuple[int, int]:
        off = _shares(n, self._s.size)
        return int(off[self._s.rank]), int(off[self._s.rank + 1])

    def _gather(self, local: list[Any] | None, n: int) -> list[Any]:
        """Each rank's rows of every result, gathered in rank order on every rank."""
        s = self._s
        off = _shares(n, s.size)
        rows = np.diff(off)
        # the row shape and dtype of each result: from rank 0, which always has rows
        meta = None if local is None else [(_np(r).shape[1:], _np(r).dtype.str) for r in local]
        if rows.min() == 0:  # some ranks hold no rows and so cannot know them
            meta = s.comm.bcast(meta, root=0)
        B = get_backend()
        out = []
        for k, (shape, dt) in enumerate(meta):
            width = int(np.prod(shape, dtype=np.int64))
            send = (np.ascontiguousarray(_np(local[k])).reshape(-1) if local is not None
                    else np.empty(0, dtype=np.dtype(dt)))
            full = np.empty((n, *shape), dtype=np.dtype(dt))
            s.comm.Allgatherv(send, [full.reshape(-1), (rows * width).tolist()])
            self.bytes_gathered += full.nbytes - send.nbytes
            out.append(B.from_numpy(full))
        return out

    def __repr__(self) -> str:
        return f"<ShardedMachine over {self._s.size} rank(s) of {self.inner!r}>"


def _np(a: Any) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else np.asarray(get_backend().to_numpy(a))
