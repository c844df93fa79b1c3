"""Cirq's simulators as VQNet machines (entry points ``cirq.*``).

A circuit is translated once per structure (:func:`vqnet_cirq.translate.to_cirq`, angle
column ``s`` = symbol ``a_s``); a batch of angle rows is one Cirq sweep. Exact expvals come from
``simulate_expectation_values_sweep``, probabilities and states from ``simulate_sweep``, samples
from ``run_sweep`` (the simulator seeded from ``seed``, or from VQNet's stream when it is None).
Shot estimates of expvals / probs are drawn by VQNet from the exact state, seeded the same way.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in get_machine("cirq.simulator").execute(
...     c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import cirq
import numpy as np

from vqnet_core.quantum import GATES, MachineCapabilities, UnsupportedError
from vqnet_core.quantum.machine import Machine
from vqnet_core.quantum.noise import NoiseModel
from vqnet_core.quantum.results import make_rng, measure_density, measure_state, to_active

from . import translate as T

_ALL = frozenset(GATES)
_CDT = {"complex64": np.complex64, "complex128": np.complex128}


def _seed(seed: int | None) -> int:
    """An int seed for Cirq: ``seed`` itself, or one drawn from VQNet's seeded stream."""
    return int(seed) if seed is not None else int(make_rng(None).integers(2**31 - 1))


def sample_key() -> str:
    return "vqnet"


class CirqMachine(Machine):
    """Common part: translation cache, sweeps, result assembly over a Cirq simulator."""

    #: exact expvals from Cirq's ``simulate_expectation_values_sweep`` (else from the state)
    cirq_expvals = True

    def __init__(self, noise_model: NoiseModel | None = None) -> None:
        super().__init__()
        self.noise_model = self.checked_noise_model(noise_model, "cirq.density_matrix")
        self._cache: OrderedDict = OrderedDict()

    def compiled(self, circuit) -> cirq.Circuit:
        """The Cirq circuit of ``circuit``'s structure (cached)."""
        key = circuit.key()
        c = self._cache.get(key)
        if c is None:
            c = T.to_cirq(circuit, self.noise_model)
            self._cache[key] = c
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return c

    def simulator(self, dtype: str, seed: int | None) -> Any:
        raise NotImplementedError

    def _final(self, results: list, dtype: str) -> np.ndarray:
        return np.stack([np.asarray(r.final_state_vector) for r in results]).astype(dtype)

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        n = circuit.num_wires
        q = T.qubits(n)
        prog = self.compiled(circuit)
        params = T.sweep(angles, circuit.num_angles)
        s = _seed(seed)
        sim = self.simulator(dtype, s)
        readout = self.noise_model.readout_matrices(n) if self.noise_model else {}
        out: list[Any] = [None] * len(measurements)
        # exact expvals: Cirq's own expectation values (no readout error to apply)
        ev = [i for i, m in enumerate(measurements) if m.kind == "expval" and shots is None
              and not readout and self.cirq_expvals]
        if ev:
            obs = [T.to_pauli_sum(measurements[i].observable, n) for i in ev]
            consts = [sum(c for c, t in measurements[i].observable.terms if not t) for i in ev]
            vals = np.asarray(sim.simulate_expectation_values_sweep(
                prog, [o if len(o) else cirq.PauliSum() for o in obs], params,
                qubit_order=q), dtype=complex).real.reshape(len(params), len(ev))
            for j, i in enumerate(ev):
                # Cirq drops the identity term of an all-identity PauliSum: add it back
                out[i] = vals[:, j] if len(obs[j]) else np.full(len(params), consts[j])
        # samples: Cirq's run_sweep with one measurement of the wanted wires
        for i, m in enumerate(measurements):
            if m.kind == "sample":
                out[i] = self._samples(sim, prog, params, m, n, shots, readout)
        rest = [i for i, m in enumerate(measurements) if out[i] is None]
        if rest:
            ms = [measurements[i] for i in rest]
            vals = self._from_final(sim, prog, params, q, ms, n, shots, s + 1, dtype, readout)
            for i, v in zip(rest, vals):
                out[i] = v
        return to_active(out, dtype)

    def _from_final(self, sim, prog, params, q, ms, n, shots, seed, dtype, readout):
        res = sim.simulate_sweep(prog, params, qubit_order=q)
        state = self._final(res, dtype)
        return measure_state(state, n, ms, shots=shots, seed=seed, dtype=dtype)

    def _samples(self, sim, prog, params, m, n, shots, readout) -> np.ndarray:
        wires = m.wires if m.wires is not None else tuple(range(n))
        q = T.qubits(n)
        conf = {}
        for j, w in enumerate(wires):
            if w in readout:  # Cirq's confusion matrix: rows true, columns measured
                conf[(j,)] = np.asarray(readout[w]).T
        meas = cirq.measure(*[q[w] for w in wires], key=sample_key(),
                            confusion_map=conf or None)
        # the idle wires stay in the circuit through an identity, so that all n are simulated
        full = prog + cirq.Circuit([cirq.I(x) for x in q if x not in prog.all_qubits()] +
                                   [meas])
        res = sim.run_sweep(full, params, repetitions=shots)
        return np.stack([np.asarray(r.measurements[sample_key()], dtype=np.int64)
                         for r in res])


class SimulatorMachine(CirqMachine):
    """``cirq.Simulator`` in complex128 (Cirq's default is complex64) or complex64."""

    name = "cirq.simulator"
    capabilities = MachineCapabilities(
        max_wires=24, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "state", "amplitude"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def simulator(self, dtype, seed):
        return cirq.Simulator(dtype=_CDT[dtype], seed=seed)


class DensityMatrixMachine(CirqMachine):
    """``cirq.DensityMatrixSimulator`` with the core ``NoiseModel`` translated to Cirq channels
    (``cirq.depolarize``, ``cirq.amplitude_damp``, ... after each gate) and readout errors as
    confusion maps of the measurement (samples) or applied to the exact probabilities.
    Expvals and probabilities come from Cirq's final density matrices (``simulate_sweep``)."""

    name = "cirq.density_matrix"
    # Cirq's expectation values of a density matrix are slow (cirq-core 1.7: 85 s for six
    # Pauli terms on 10 qubits, against 0.3 s from the final density matrix here)
    cirq_expvals = False
    capabilities = MachineCapabilities(
        max_wires=12, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "density"}),
        shots=True, exact=True, noise=True, adjoint=False)

    def simulator(self, dtype, seed):
        return cirq.DensityMatrixSimulator(dtype=_CDT[dtype], seed=seed)

    def _from_final(self, sim, prog, params, q, ms, n, shots, seed, dtype, readout):
        res = sim.simulate_sweep(prog, params, qubit_order=q)
        rho = np.stack([np.asarray(r.final_density_matrix) for r in res]).astype(dtype)
        return measure_density(rho, n, ms, shots=shots, seed=seed, dtype=dtype,
                               readout=readout or None)


class QSimMachine(CirqMachine):
    """qsim (``qsimcirq.QSimSimulator``): it computes in single precision only
    (``capabilities.extra["precision"] == "float32"``): a complex128 request is answered with
    float32-accurate values cast up. ``threads`` CPU threads (default: all cores), gates fused
    up to ``max_fused_gate_size`` qubits."""

    name = "cirq.qsim"
    capabilities = MachineCapabilities(
        max_wires=30, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "state", "amplitude"}),
        shots=True, exact=True, noise=False, adjoint=False,
        extra={"precision": "float32"})

    def __init__(self, threads: int | None = None, max_fused_gate_size: int = 2) -> None:
        super().__init__()
        import os
        try:
            import qsimcirq  # noqa: F401
        except ImportError as exc:  # the extra vqnet-cirq[qsim]
            raise UnsupportedError("cirq.qsim needs qsimcirq: pip install 'vqnet-cirq[qsim]'"
                                   ) from exc
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        self.threads = threads or os.cpu_count() or 1
        self.max_fused_gate_size = int(max_fused_gate_size)

    def simulator(self, dtype, seed):
        import qsimcirq
        opts = qsimcirq.QSimOptions(cpu_threads=self.threads,
                                    max_fused_gate_size=self.max_fused_gate_size)
        return qsimcirq.QSimSimulator(qsim_options=opts, seed=seed)
