"""Qiskit's simulators as VQNet machines (entry points ``qiskit.*``).

Each machine translates a circuit structure once (:func:`vqnet_qiskit.translate.to_qiskit`:
one ``QuantumCircuit`` over a ``ParameterVector``), cached per ``Circuit.key()``, and runs a
whole angle batch ``[B, S]`` in **one** simulator call (Aer: ``run(circuit,
parameter_binds=[{a[s]: column s}])``, i.e. one circuit bound to ``B`` parameter rows). It asks
the simulator for what it computes exactly (the final state vector, or the density matrix
with noise) and VQNet derives expvals, marginals and, with ``shots``, seeded samples from it,
so that ``seed=`` reproduces shots on every machine.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in get_machine("qiskit.aer").execute(
...     c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from vqnet_core.quantum import GATES, Machine, MachineCapabilities, MachineError
from vqnet_core.quantum.noise import NoiseModel
from vqnet_core.quantum.results import measure_density, measure_state

from . import translate as T

_ALL = frozenset(GATES)
_STATE_KINDS = frozenset({"expval", "probs", "sample", "state", "density", "amplitude"})


def bind_columns(qc: Any, angles: np.ndarray) -> dict[Any, list[float]]:
    """``{parameter: [B values]}`` for the ``ParameterVector`` elements ``qc`` uses (the form of
    Aer's ``parameter_binds`` entries)."""
    out = {}
    for p in qc.parameters:
        out[p] = angles[:, p.index].tolist()
    return out


#: gates whose parameters Aer 0.18 binds wrongly through ``parameter_binds`` (their Qiskit
#: definitions, in rz / ry / p and cx, bind correctly)
AER_DECOMPOSE = ["crx", "cry", "crz", "cp"]


class QiskitMachine(Machine):
    """Common part: the translation cache and result assembly."""

    def __init__(self, noise_model: NoiseModel | None = None) -> None:
        super().__init__()
        if noise_model is not None:
            if not self.capabilities.noise:
                raise TypeError(f"machine {self.name!r} does not simulate noise; use "
                                "qiskit.aer.density_matrix")
            if not isinstance(noise_model, NoiseModel):
                raise TypeError(f"noise_model must be a vqnet NoiseModel, got "
                                f"{type(noise_model).__name__}")
        self.noise_model = noise_model
        self._cache: OrderedDict = OrderedDict()

    def compiled(self, circuit) -> dict[str, Any]:
        """The translated (and, for Aer, transpiled) circuit of ``circuit``'s structure."""
        key = circuit.key()
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(circuit)
            self._cache[key] = entry
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return entry

    def _compile(self, circuit) -> dict[str, Any]:
        return {"qc": T.to_qiskit(circuit, noise_model=self.noise_model)}

    def memory_estimate(self, circuit, batch, measurements, shots, dtype, adjoint=False):
        n = circuit.num_wires
        per = 16 * (4**n if self.capabilities.noise else 2**n)
        return (3 * batch * per, f"{batch} x 2^{n} amplitudes and their copies")


# ---------------------------------------------------------------------------- Aer
class _AerMachine(QiskitMachine):
    """``AerSimulator`` with one method; results read from ``save_statevector`` /
    ``save_density_matrix``."""

    method = "statevector"
    save = "statevector"

    def simulator(self) -> Any:
        sim = getattr(self, "_sim", None)
        if sim is None:
            from qiskit_aer import AerSimulator
            nm = None
            if self.noise_model is not None and self.noise_model.has_gate_noise:
                nm = T.to_aer_noise_model(NoiseModel(rules=list(self.noise_model.rules)))
            sim = self._sim = AerSimulator(method=self.method, noise_model=nm,
                                           max_parallel_threads=1)
        return sim

    def _compile(self, circuit) -> dict[str, Any]:
        from qiskit import transpile
        from qiskit_aer.library import SaveDensityMatrix, SaveStatevector

        qc = T.to_qiskit(circuit, noise_model=self.noise_model)
        kind = SaveStatevector if self.save == "statevector" else SaveDensityMatrix
        qc.append(kind(qc.num_qubits), qc.qubits)
        sim = self.simulator()
        # Aer 0.18 binds parameters of crx / cry / crz / cp wrongly through parameter_binds
        # (tests/test_machines.py::test_aer_parameter_binds): those are decomposed first
        qc = qc.decompose(gates_to_decompose=AER_DECOMPOSE)
        tqc = transpile(qc, sim, optimization_level=0)
        return {"qc": qc, "tqc": tqc}

    def raw(self, circuit, angles: np.ndarray) -> np.ndarray:
        """The saved states (or density matrices) ``[B, ...]`` in Qiskit's qubit order."""
        entry = self.compiled(circuit)
        tqc = entry["tqc"]
        sim = self.simulator()
        bsz = angles.shape[0]
        if tqc.num_parameters == 0:
            res = sim.run(tqc).result()
            one = np.asarray(res.data(0)[self.save])
            return np.broadcast_to(one, (bsz,) + one.shape)
        res = sim.run(tqc, parameter_binds=[bind_columns(tqc, angles)]).result()
        if not res.success:
            raise MachineError(f"machine {self.name!r}: Aer failed: {res.status}")
        return np.stack([np.asarray(res.data(b)[self.save]) for b in range(bsz)])

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        n = circuit.num_wires
        if self.save == "density_matrix":
            rho = T.to_vqnet_order(self.raw(circuit, angles), n, density=True)
            ro = self.noise_model.readout_matrices(n) if self.noise_model is not None else None
            return measure_density(rho, n, measurements, shots=shots, seed=seed, dtype=dtype,
                                   readout=ro or None)
        psi = T.to_vqnet_order(self.raw(circuit, angles), n)
        return measure_state(psi, n, measurements, shots=shots, seed=seed, dtype=dtype)


class AerMachine(_AerMachine):
    """Aer's ``statevector`` method: exact expval, probs, state (and density, amplitudes);
    samples drawn by VQNet (seeded) from the exact state."""

    name = "qiskit.aer"
    capabilities = MachineCapabilities(max_wires=26, gates=_ALL, measurements=_STATE_KINDS,
                                       shots=True, exact=True, noise=False, adjoint=False)


class AerDensityMatrixMachine(_AerMachine):
    """Aer's ``density_matrix`` method with the core ``NoiseModel`` translated to an Aer noise
    model (:func:`~vqnet_qiskit.translate.to_aer_noise_model`); readout errors are applied to the
    exact probabilities."""

    name = "qiskit.aer.density_matrix"
    method = "density_matrix"
    save = "density_matrix"
    capabilities = MachineCapabilities(
        max_wires=12, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "density"}),
        shots=True, exact=True, noise=True, adjoint=False)


class AerMPSMachine(_AerMachine):
    """Aer's ``matrix_product_state`` method (the final state read back as a vector)."""

    name = "qiskit.aer.mps"
    method = "matrix_product_state"
    capabilities = MachineCapabilities(max_wires=24, gates=_ALL, measurements=_STATE_KINDS,
                                       shots=True, exact=True, noise=False, adjoint=False)


# ---------------------------------------------------------------------------- quantum_info
class StatevectorMachine(QiskitMachine):
    """``qiskit.quantum_info.Statevector``, the reference: each row bound and evolved."""

    name = "qiskit.statevector"
    capabilities = MachineCapabilities(max_wires=20, gates=_ALL, measurements=_STATE_KINDS,
                                       shots=True, exact=True, noise=False, adjoint=False)

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        from qiskit.quantum_info import Statevector

        n = circuit.num_wires
        qc = self.compiled(circuit)["qc"]
        params = list(qc.parameters)
        rows, seen = [], {}
        for row in angles:
            vals = tuple(row[p.index] for p in params)
            if vals not in seen:
                bound = qc.assign_parameters(dict(zip(params, vals))) if params else qc
                seen[vals] = Statevector(bound).data
            rows.append(seen[vals])
        psi = T.to_vqnet_order(np.stack(rows), n)
        return measure_state(psi, n, measurements, shots=shots, seed=seed, dtype=dtype)
