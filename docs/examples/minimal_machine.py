"""A complete quantum machine in pure NumPy that passes ``vqnet_spec``'s machine suite.

It is the worked example of ``docs/writing-a-backend.md`` (the guide includes this file
verbatim, and ``tests/test_guide_examples.py`` runs the machine suite on it).
"""

from __future__ import annotations

import numpy as np

from vqnet_core.quantum import GATES, Machine, MachineCapabilities, ParamRef
from vqnet_core.quantum.results import measure_state


def _angles(op, angles):
    """The op's parameters as ``[B]`` / ``[1]`` float arrays, the form ``GateDef.matrix``
    takes (a ``ParamRef(s)`` is column ``s`` of the angle batch, a float a constant)."""
    return [angles[:, p.index] if isinstance(p, ParamRef) else np.array([p])
            for p in op.params]


def _apply(psi, wires, mat):
    """``mat`` ``[1 or B, 2^k, 2^k]`` (its rows in the order of ``wires``, the first wire
    most significant) applied to ``psi`` ``[B, 2, ..., 2]``."""
    k, bsz = len(wires), psi.shape[0]
    axes = [1 + w for w in wires]
    moved = np.moveaxis(psi, axes, range(1, k + 1))
    out = np.matmul(mat, moved.reshape(bsz, 2**k, -1)).reshape(moved.shape)
    return np.moveaxis(out, range(1, k + 1), axes)


class TinyMachine(Machine):
    """A dense state-vector simulator: every gate as a matrix product."""

    name = "tiny"
    capabilities = MachineCapabilities(
        max_wires=10,
        gates=frozenset(GATES),
        measurements=frozenset({"expval", "probs", "sample", "state", "density"}),
        shots=True, exact=True, noise=False, adjoint=False,
        dtypes=frozenset({"complex64", "complex128"}))

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        # Everything is validated: angles is float64 numpy [B, S], dtype is declared, every
        # gate and measurement is declared, shots is None or a positive int.
        n, bsz = circuit.num_wires, angles.shape[0]
        psi = np.zeros((bsz,) + (2,) * n, dtype=np.complex128)
        psi[(slice(None),) + (0,) * n] = 1.0                        # |0...0>
        for op in circuit.ops:
            mat = op.matrix[None] if op.matrix is not None else \
                GATES[op.name].matrix(_angles(op, angles), len(op.wires))
            psi = _apply(psi, op.wires, mat)
        # one array of the active backend per measurement, seeded shots, right dtypes
        return measure_state(psi.reshape(bsz, 2**n), n, measurements, shots=shots,
                             seed=seed, dtype=dtype)
