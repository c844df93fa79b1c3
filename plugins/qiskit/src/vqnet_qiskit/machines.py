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
        self.noise_model = self.checked_noise_model(noise_model, "qiskit.aer.density_matrix")
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
            # runtime binding: Aer binds the [B] parameter columns inside one job (about 2x
            # faster than its default per-experiment binding for small circuits)
            sim = self._sim = AerSimulator(method=self.method, noise_model=nm,
                                           max_parallel_threads=1,
                                           runtime_parameter_bind_enable=nm is None)
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
        binds = [bind_columns(tqc, angles)]
        res = sim.run(tqc, parameter_binds=binds).result()
        if not res.success and sim.options.runtime_parameter_bind_enable:
            # Aer's runtime binding refuses some circuits: bind per experiment instead
            res = sim.run(tqc, parameter_binds=binds, runtime_parameter_bind_enable=False).result()
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


# ---------------------------------------------------------------------------- any V2 primitive
def walsh_probs(zexp: np.ndarray, k: int) -> np.ndarray:
    """Probabilities ``[B, 2^k]`` from ``<Z_S>`` ``[B, 2^k]`` for every subset ``S`` of k wires
    (subset bit ``j`` = wire ``j`` of the list, the first wire most significant):
    ``p(b) = 2^-k sum_S (-1)^{|b & S|} <Z_S>``."""
    idx = np.arange(2**k)
    par = np.array([[bin(b & s).count("1") & 1 for s in idx] for b in idx])
    return (zexp @ (1 - 2 * par).T) / 2**k


def bases_needed(measurements) -> list[tuple]:
    """The measurement bases (``((wire, "X" | "Y"), ...)``, ``()`` the computational one) that
    VQNet's result assembly reads for these measurements, computational first."""
    out = {(): None}
    for m in measurements:
        if m.kind == "expval":
            for _, term in m.observable.terms:
                if term:
                    out.setdefault(tuple((w, p) for w, p in term if p != "Z"), None)
    return list(out)


class PrimitivesMachine(QiskitMachine):
    """Any Qiskit V2 primitive behind the machine protocol: a user's ``BaseEstimatorV2`` and /
    or ``BaseSamplerV2`` (``estimator=``, ``sampler=``), or a ``BackendV2`` (``backend=``, run
    through ``BackendEstimatorV2`` / ``BackendSamplerV2`` after transpiling to its target, so
    that a real device plugs in the same way). Without arguments: Qiskit's reference
    ``StatevectorEstimator`` / ``StatevectorSampler``.

    Exact results (``shots=None``) come from the estimator: expvals as one PUB ``(circuit,
    observables [M, 1], values [B, P])``; probabilities from the ``<Z_S>`` of every subset of
    the measured wires (at most ``max_probs_wires``). With ``shots`` everything comes from the
    sampler: one PUB per measurement basis (X / Y wires rotated), all in one ``run`` call;
    expvals and probabilities are the shot estimates. ``seed`` reaches the reference sampler and
    a backend's ``seed_simulator``; a user's own sampler draws with its own seed.
    """

    name = "qiskit.primitives"
    capabilities = MachineCapabilities(
        max_wires=20, gates=_ALL, measurements=frozenset({"expval", "probs", "sample"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def __init__(self, estimator: Any = None, sampler: Any = None, backend: Any = None,
                 max_probs_wires: int = 10, optimization_level: int = 1) -> None:
        super().__init__()
        from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2

        if estimator is not None and not isinstance(estimator, BaseEstimatorV2):
            raise TypeError(f"estimator must be a BaseEstimatorV2, got "
                            f"{type(estimator).__name__}")
        if sampler is not None and not isinstance(sampler, BaseSamplerV2):
            raise TypeError(f"sampler must be a BaseSamplerV2, got {type(sampler).__name__}")
        self.backend = backend
        self.pass_manager = None
        if backend is not None:
            from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
            from qiskit.providers import BackendV2
            from qiskit.transpiler import generate_preset_pass_manager

            if not isinstance(backend, BackendV2):
                raise TypeError(f"backend must be a BackendV2, got {type(backend).__name__}")
            estimator = estimator or BackendEstimatorV2(backend=backend)
            sampler = sampler or BackendSamplerV2(backend=backend)
            self.pass_manager = generate_preset_pass_manager(
                optimization_level=optimization_level, backend=backend)
        self.estimator, self.sampler = estimator, sampler
        self._default = estimator is None and sampler is None
        kinds = set()
        if estimator is not None or self._default:
            kinds |= {"expval", "probs"}
        if sampler is not None or self._default:
            kinds |= {"expval", "probs", "sample"}
        exact = self._default or (estimator is not None and backend is None)
        nq = backend.num_qubits if backend is not None else 20
        self.capabilities = MachineCapabilities(
            max_wires=nq, gates=_ALL, measurements=frozenset(kinds),
            shots=sampler is not None or self._default, exact=exact, noise=False,
            adjoint=False)
        self.max_probs_wires = max_probs_wires

    def _transpiled(self, qc: Any) -> Any:
        return qc if self.pass_manager is None else self.pass_manager.run(qc)

    def _estimator(self) -> Any:
        if self.estimator is not None:
            return self.estimator
        from qiskit.primitives import StatevectorEstimator
        return StatevectorEstimator()

    def _sampler(self, seed: int) -> Any:
        if self.sampler is None:
            from qiskit.primitives import StatevectorSampler
            return StatevectorSampler(seed=seed)
        opts = getattr(self.sampler, "options", None)
        if opts is not None and hasattr(opts, "seed_simulator"):
            opts.seed_simulator = seed
        return self.sampler

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        from vqnet_core.quantum.results import make_rng, measure_probs

        n = circuit.num_wires
        qc = self.compiled(circuit)["qc"]
        vals = angles[:, [p.index for p in qc.parameters]]
        bsz = angles.shape[0]
        if shots is None:
            return self._exact(circuit, qc, vals, measurements, bsz, dtype)
        # shots: sampled probabilities in every basis the measurements need, one run call
        bases = bases_needed(measurements)
        s = int(make_rng(seed).integers(2**31)) if seed is None else int(seed)
        measured = self.compiled(circuit).setdefault("bases", {})   # rot -> transpiled circuit
        pubs = []
        for rot in bases:
            if rot not in measured:
                c = qc.copy()
                for w, p in rot:
                    if p == "X":
                        c.h(w)
                    else:
                        c.sdg(w)
                        c.h(w)
                c.measure_all()
                measured[rot] = self._transpiled(c)
            pubs.append((measured[rot], vals) if qc.num_parameters else (measured[rot],))
        res = self._sampler(s).run(pubs, shots=shots).result()
        bits, probs = {}, {}
        for rot, r in zip(bases, res):
            b = r.data.meas.to_bool_array(order="little").reshape(-1, shots, n)  # qubit j: [j]
            b = np.broadcast_to(b, (bsz, shots, n)) if b.shape[0] == 1 else b
            bits[rot] = b
            idx = (b.astype(np.int64) * (1 << np.arange(n - 1, -1, -1))).sum(-1)
            p = np.zeros((bsz, 2**n))
            for row in range(bsz):
                p[row] = np.bincount(idx[row], minlength=2**n) / shots
            probs[rot] = p
        from vqnet_core.quantum.results import to_active

        rest = [m for m in measurements if m.kind != "sample"]
        it = iter(measure_probs(lambda rot: probs[tuple(rot)], n, rest, batch=bsz,
                                shots=None, dtype=dtype) if rest else [])
        results = []
        for m in measurements:
            if m.kind == "sample":
                ws = list(m.wires) if m.wires is not None else list(range(n))
                results.append(to_active([bits[()][:, :, ws].astype(np.int64)], dtype)[0])
            else:
                results.append(next(it))
        return results

    def _exact(self, circuit, qc, vals, measurements, bsz, dtype):
        from vqnet_core.quantum.results import to_active

        n = circuit.num_wires
        obs, slots = [], []
        for m in measurements:
            if m.kind == "expval":
                slots.append((len(obs), 1))
                obs.append(T.to_sparse_pauli_op(m.observable, n))
            else:  # probs: <Z_S> for every subset S of the wires
                ws = list(m.wires) if m.wires is not None else list(range(n))
                k = len(ws)
                if k > self.max_probs_wires:
                    raise MachineError(f"machine {self.name!r}: exact probabilities of {k} "
                                       f"wires need 2^{k} estimator observables (the limit "
                                       f"is max_probs_wires={self.max_probs_wires}); use shots")
                slots.append((len(obs), 2**k))
                for sub in range(2**k):
                    word = " ".join(f"Z{ws[j]}" for j in range(k) if sub >> (k - 1 - j) & 1)
                    obs.append(T.to_sparse_pauli_op(word or {}, n) if word else
                               T.to_sparse_pauli_op({"": 1.0}, n))
        entry = self.compiled(circuit)
        if "tqc" not in entry:
            entry["tqc"] = self._transpiled(qc)
        tqc = entry["tqc"]
        layout = getattr(tqc, "layout", None)
        if layout is not None:
            obs = [o.apply_layout(layout) for o in obs]
        pub = (tqc, [[o] for o in obs], vals) if qc.num_parameters else (tqc, [[o] for o in obs])
        evs = np.asarray(self._estimator().run([pub]).result()[0].data.evs, dtype=np.float64)
        evs = np.broadcast_to(evs.reshape(len(obs), -1), (len(obs), bsz))
        out = []
        for m, (start, width) in zip(measurements, slots):
            if m.kind == "expval":
                out.append(evs[start].copy())
            else:
                k = int(np.log2(width))
                p = walsh_probs(evs[start:start + width].T, k)
                out.append(np.clip(p, 0.0, 1.0))
        return to_active(out, dtype)
