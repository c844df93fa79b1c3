"""The built-in ``density_matrix`` machine: batched density matrices with noise channels.

``rho`` ``[B, 2^n, 2^n]`` is held as a vector on 2n wires (row wires 0..n-1, column wires
n..2n-1), so a gate ``U`` on wires ``w`` is ``U`` on ``w`` and ``conj(U)`` on ``w + n``, and a
single-qubit channel is its 4x4 superoperator on wires ``(w, w + n)``; the state-vector
primitives of :mod:`vqnet_core.quantum.kernels` do all the work.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, Expval, get_machine
>>> from vqnet_core.quantum.noise import NoiseModel, depolarizing
>>> m = get_machine("density_matrix", noise_model=NoiseModel().add_channel(depolarizing(0.3)))
>>> c = Circuit(1, [Operation("I", (0,))])
>>> round(float(m.execute(c, np.zeros((1, 0)), [Expval("Z0")])[0][0]), 6)    # 1 - 4p/3
0.6
"""

from __future__ import annotations

import numpy as np

from ..backend.registry import get_backend
from . import kernels as K
from .circuit import Circuit
from .machine import Machine, MachineCapabilities
from .measure_eval import evaluate
from .noise import NoiseModel
from .plan import (
    AffinePerm,
    LocalPerm,
    compile_plan,
    op_matrix,
    op_params,
    perm_stages,
    segment_matrix,
)
from .statevector import PlanCache, _estimate

_RDT = {"complex64": "float32", "complex128": "float64"}


class DensityMatrixMachine(Machine):
    """Exact mixed-state simulation; ``noise_model`` adds channels and readout errors."""

    name = "density_matrix"
    capabilities = MachineCapabilities(
        max_wires=13, measurements=frozenset({"expval", "probs", "sample", "density"}),
        shots=True, exact=True, noise=True, adjoint=False)

    def __init__(self, noise_model: NoiseModel | None = None) -> None:
        super().__init__()
        if noise_model is not None and not isinstance(noise_model, NoiseModel):
            raise TypeError(f"noise_model must be a NoiseModel, got {type(noise_model).__name__}")
        self.noise_model = noise_model
        self._plans = PlanCache(fuse=True)

    def memory_estimate(self, circuit, batch, measurements, shots, dtype, adjoint=False):
        n = circuit.num_wires
        # a density measurement is a view of the evolved matrices: nothing extra
        return _estimate(n, 4**n, batch, [m for m in measurements if m.kind != "density"],
                         shots, dtype, 3, "vectorised density matrix")

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _perm2(n: int, stages) -> list:
        """A permutation's stages on the row and the column wires (``P rho P^T``)."""
        out = []
        for st in stages:
            if isinstance(st, AffinePerm):
                out.append(st.doubled())
            else:
                out += [st, LocalPerm(tuple(w + n for w in st.wires), st.p)]
        return out

    def _unitary(self, B, rho, n: int, kind: str, wires, m: np.ndarray, dtype: str):
        """``U rho U^dag`` at once (the measurement-basis rotations)."""
        return K.apply_seq(B, rho, 2 * n, self._unitary_gates(B, n, kind, wires, m, dtype))

    @staticmethod
    def _unitary_gates(B, n: int, kind: str, wires, m: np.ndarray, dtype: str) -> list:
        """``U`` on the row wires and ``conj(U)`` on the column wires, as gate-run entries
        (``[Bm, d]`` diagonals for a diagonal gate)."""
        cols = tuple(w + n for w in wires)
        return [(tuple(wires), B.from_numpy(np.ascontiguousarray(m.astype(dtype)))),
                (cols, B.from_numpy(np.ascontiguousarray(m.conj().astype(dtype))))]

    def evolve(self, circuit: Circuit, angles: np.ndarray, dtype: str):
        """The final density matrices, vectorised ``[B, 4^n]``. Gates and one-qubit channels
        between permutations go to ``kernels.apply_seq`` as one run (an engine may
        cache-block it); a gate on more than two wires is applied on its own."""
        B = get_backend()
        n = circuit.num_wires
        init = np.zeros((1, 4**n), dtype=dtype)
        init[0, 0] = 1
        rho = B.from_numpy(init)
        nm = self.noise_model
        run: list = []

        def flush():
            nonlocal rho, run
            if run:
                rho = K.apply_seq(B, rho, 2 * n, run) if all(len(w) <= 2 for w, _ in run) \
                    else K.apply_seq_reference(B, rho, 2 * n, run)
                run = []

        def perm(stages):
            nonlocal rho
            flush()
            rho = K.apply_perm_stages(B, rho, 2 * n, self._perm2(n, stages))

        def unitary(kind, wires, m):
            if len(wires) > 2:
                flush()
            run.extend(self._unitary_gates(B, n, kind, wires, m, dtype))
            if len(wires) > 2:
                flush()

        if nm is None or not nm.has_gate_noise:
            plan = self._plans.get(circuit)
            for seg in plan.segments:
                if seg.kind == "perm":
                    perm(seg.perm)
                else:
                    unitary(seg.kind, seg.wires, segment_matrix(plan, seg, angles))
        else:
            from .gates import get_gate
            for op in circuit.ops:
                g = get_gate(op.name)
                if g.kind == "perm":
                    perm((perm_stages(n, op.wires, g.permutation(len(op.wires))),))
                else:
                    kind = "diag" if g.kind == "diag" and op.matrix is None else "dense"
                    m = op_matrix(op, op_params(op, angles), diag=kind == "diag")
                    unitary(kind, tuple(sorted(op.wires)), m)
                for ch, w in nm.channels_after(op.name, op.wires):
                    run.append(((w, w + n), B.from_numpy(ch.superop[None].astype(dtype))))
        flush()
        bsz = angles.shape[0]
        if B.shape(rho)[0] != bsz:
            rho = B.broadcast_to(rho, (bsz, 4**n))
        return rho

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        B = get_backend()
        n = circuit.num_wires
        rho = self.evolve(circuit, angles, dtype)
        bsz = angles.shape[0]
        diag_idx = B.from_numpy(np.arange(2**n) * (2**n + 1))

        def probs_in_basis(rot):
            r = rho
            for w, p in rot:
                r = self._unitary(B, r, n, "dense", (w,), K.BASIS_ROT[p][None], dtype)
            return B.unary("real", B.getitem(r, (slice(None), diag_idx)))

        readout = self.noise_model.readout_matrices(n) if self.noise_model else None
        return evaluate(B, n, measurements, probs_in_basis, None,
                        lambda: B.reshape(rho, (bsz, 2**n, 2**n)), shots, seed, _RDT[dtype],
                        bsz, readout)


__all__ = ["DensityMatrixMachine", "compile_plan"]
