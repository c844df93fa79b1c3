"""The QPanda simulator families as VQNet machines (entry points ``qpanda.*``).

Every machine translates the circuit once per structure (:mod:`vqnet_qpanda.translate`), binds
a batch of angle rows through one parameterised ``VQCircuit`` and asks its QPanda simulator
for what it answers exactly (a state vector, a density matrix, amplitudes) or, for the
sampling simulators (``qpanda.noise``, ``qpanda.stabilizer``), for measured counts. VQNet
turns those into expvals, marginals and seeded samples (QPanda's own samplers take no seed).

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in get_machine("qpanda.cpu").execute(
...     c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from vqnet_core.backend.registry import get_backend
from vqnet_core.quantum import GATES, MachineCapabilities, MachineError, UnsupportedError
from vqnet_core.quantum import kernels as K
from vqnet_core.quantum.machine import Machine
from vqnet_core.quantum.noise import NoiseModel
from vqnet_core.quantum.results import (
    REAL_DTYPE,
    make_rng,
    measure_probs,
    measure_state,
    to_active,
)

from . import translate as T

_RDT = REAL_DTYPE
_PREC = {"complex64": "float32", "complex128": "float64"}
_ALL = frozenset(GATES)


def _np_backend():
    return get_backend("numpy")


class QPandaMachine(Machine):
    """Common part: translation cache, batch binding, result assembly."""

    mode = "full"

    def __init__(self, noise_model: NoiseModel | None = None) -> None:
        super().__init__()
        self.noise_model = self.checked_noise_model(noise_model,
                                                    "qpanda.density_matrix or qpanda.noise")
        self._cache: OrderedDict = OrderedDict()
        self._sims: dict[str, Any] = {}

    # ---------------------------------------------------------------- translation
    def compiled(self, circuit) -> dict[str, Any]:
        """The translated gate list (and, lazily, its VQCircuit) of ``circuit``'s structure."""
        key = circuit.key()
        entry = self._cache.get(key)
        if entry is None:
            specs = T.translate(circuit, self.mode, self.noise_model)
            entry = {"specs": specs, "S": circuit.num_angles, "vqc": None,
                     "nm": (T.qpanda_noise_model(specs, self.noise_model, circuit.num_wires)
                            if self.noise_model is not None else None)}
            self._cache[key] = entry
            if len(self._cache) > 32:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return entry

    def programs(self, circuit, angles: np.ndarray, tail: list = ()) -> list[Any]:
        """One bound ``QProg`` per angle row (a single program when nothing varies)."""
        entry = self.compiled(circuit)
        n, S = circuit.num_wires, entry["S"]
        if S == 0 or len({r.tobytes() for r in angles[:, :S]}) == 1:
            return [T.to_qprog(entry["specs"], n, angles[0], tail)] * angles.shape[0] \
                if S else [T.to_qprog(entry["specs"], n, None, tail)] * angles.shape[0]
        if tail:
            return [T.to_qprog(entry["specs"], n, row, tail) for row in angles]
        if entry["vqc"] is None:
            entry["vqc"] = T.to_vqcircuit(entry["specs"], S)
        res = entry["vqc"](np.ascontiguousarray(angles[:, :S], dtype=np.float64))
        # a VQCircuit's programs span only the qubits its gates touch: put each on all n
        # (else a circuit leaving wire 0 idle gives a state of fewer wires)
        core = T._core()
        out = []
        for b in range(angles.shape[0]):
            prog = core.QProg(n)
            prog << res.qprog_at([b])
            out.append(prog)
        return out

    def simulator(self, dtype: str) -> Any:
        prec = _PREC[dtype]
        if prec not in self._sims:
            self._sims[prec] = self._make_simulator(prec)
        return self._sims[prec]

    def _make_simulator(self, precision: str) -> Any:
        raise NotImplementedError


# ---------------------------------------------------------------------------- state vector
class _StateMachine(QPandaMachine):
    """Machines whose simulator returns the final state vector."""

    def states(self, circuit, angles: np.ndarray, dtype: str) -> np.ndarray:
        """The final states ``[B, 2^n]`` (numpy)."""
        progs = self.programs(circuit, angles)
        sim = self.simulator(dtype)
        out, last, prev = [], None, None
        for p in progs:
            if p is not last:
                prev = self._run_state(sim, p, circuit.num_wires)
                last = p
            out.append(prev)
        return np.stack(out).astype(dtype, copy=False)

    def _run_state(self, sim, prog, n: int) -> np.ndarray:
        sim.run(prog, 1)
        return np.asarray(sim.result().get_state_vector(), dtype=np.complex128)

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        state = self.states(circuit, angles, dtype)
        return measure_state(state, circuit.num_wires, measurements, shots=shots, seed=seed,
                             dtype=dtype)


class CPUMachine(_StateMachine):
    """QPanda's full-amplitude ``CPUQVM``; adjoint gradients from ``VQCircuit``."""

    name = "qpanda.cpu"
    capabilities = MachineCapabilities(
        max_wires=26, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "state", "amplitude"}),
        shots=True, exact=True, noise=False, adjoint=True)

    def _make_simulator(self, precision):
        from pyqpanda3.core import CPUQVM
        return CPUQVM(precision)

    # ---------------------------------------------------------------- adjoint (QPanda's)
    def supports_vjp(self, measurements) -> bool:
        return all(m.kind == "expval" or (m.kind == "probs" and len(
            m.wires if m.wires is not None else ()) <= 10) for m in measurements) and all(
            m.kind != "probs" or m.wires is not None for m in measurements)

    def _vjp(self, circuit, angles, measurements, upstream, dtype):
        from pyqpanda3.vqcircuit import DiffMethod
        n = circuit.num_wires
        bsz, S = angles.shape
        Bk = get_backend()
        ups = [np.asarray(Bk.to_numpy(u), dtype=np.float64) for u in upstream]
        grads = np.zeros((bsz, S))
        if circuit.num_angles == 0:
            return Bk.from_numpy(grads.astype(_RDT[dtype]))
        entry = self.compiled(circuit)
        if entry.get("vqc_adj") is None:
            entry["vqc_adj"] = T.to_vqcircuit(T.translate(circuit, "adjoint"), entry["S"])
        vqc = entry["vqc_adj"]
        for b in range(bsz):
            items = []
            for m, u in zip(measurements, ups):
                if m.kind == "expval":
                    items.append((float(u.reshape(bsz)[b]), m.observable))
                elif m.kind == "probs":
                    items.append((1.0, T.projector_terms(m.wires, u.reshape(bsz, -1)[b])))
                else:
                    raise UnsupportedError(f"QPanda's adjoint cannot differentiate {m.kind}")
            h = T.combine_terms(items)
            terms = [(c, t) for c, t in h.terms if t and c != 0.0]
            if not terms:
                continue
            qh = T.to_hamiltonian(T.Hamiltonian(tuple(terms)), n)
            g = vqc.get_gradients(np.ascontiguousarray(angles[b, :entry["S"]]), qh,
                                  DiffMethod.ADJOINT_DIFF)
            grads[b, :entry["S"]] = np.asarray(g.gradients())
        return Bk.from_numpy(grads.astype(_RDT[dtype]))


class GPUMachine(CPUMachine):
    """QPanda's ``GPUQVM`` (CUDA). Without a usable CUDA device the machine is built but
    ``available`` is False, ``unavailable_reason`` says why and execute raises."""

    name = "qpanda.gpu"
    capabilities = MachineCapabilities(
        max_wires=30, gates=_ALL,
        measurements=frozenset({"expval", "probs", "sample", "state", "amplitude"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def __init__(self) -> None:
        super().__init__()
        self.available, self.unavailable_reason = True, ""
        try:
            self.simulator("complex128")
        except Exception as exc:  # noqa: BLE001 - QPanda raises RuntimeError without CUDA
            self.available = False
            self.unavailable_reason = f"QPanda's GPUQVM needs a CUDA device: {exc}"

    def _make_simulator(self, precision):
        from pyqpanda3.core import GPUQVM
        return GPUQVM(precision)

    def supports_vjp(self, measurements) -> bool:
        return False

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        if not self.available:
            raise MachineError(f"machine 'qpanda.gpu' cannot run here: "
                               f"{self.unavailable_reason}")
        return super()._execute(circuit, angles, measurements, shots, seed, dtype)


class MPSMachine(_StateMachine):
    """QPanda's matrix-product-state ``MPSQVM``."""

    name = "qpanda.mps"
    capabilities = MachineCapabilities(
        max_wires=24, gates=_ALL - {"QubitUnitary"},
        measurements=frozenset({"expval", "probs", "sample", "state"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def _make_simulator(self, precision):
        from pyqpanda3.core import MPSQVM
        return MPSQVM(precision)

    def _run_state(self, sim, prog, n):
        sim.run(prog, 1)
        return np.asarray(sim.result().get_state_vector(), dtype=np.complex128)


# ---------------------------------------------------------------------------- amplitudes
class _AmplitudeMachine(QPandaMachine):
    """Simulators that answer amplitudes of chosen basis states (probs: all of them)."""

    mode = "basic"

    def _amps(self, sim, prog, states: list[int], n: int) -> np.ndarray:
        raise NotImplementedError

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        n = circuit.num_wires
        progs = self.programs(circuit, angles)
        sim = self.simulator(dtype)
        # amplitudes alone: just those; anything else: all 2^n of them (the state)
        full = any(m.kind != "amplitude" for m in measurements)
        want = list(range(2**n)) if full else sorted(
            {s for m in measurements if m.kind == "amplitude" for s in m.states})
        qidx = self.compiled(circuit).get("qindex")  # VQNet -> QPanda basis index
        qwant = want if qidx is None else [int(qidx[s]) for s in want]
        rows, last, prev = [], None, None
        for p in progs:
            if p is not last:
                sim.run(p)
                prev = self._amps(sim, p, qwant, n)
                last = p
            rows.append(prev)
        amps = np.stack(rows).astype(dtype)  # [B, len(want)]
        pos = {s: i for i, s in enumerate(want)}
        others = [m for m in measurements if m.kind != "amplitude"]
        res = iter(measure_state(amps, n, others, shots=shots, seed=seed, dtype=dtype)
                   if others else [])
        out = [amps[:, [pos[s] for s in m.states]] if m.kind == "amplitude" else next(res)
               for m in measurements]
        return to_active(out, dtype)


_AMP_GATES = _ALL - {"QubitUnitary"}


class SingleAmplitudeMachine(_AmplitudeMachine):
    """QPanda's ``SingleAmplitudeQVM``: one amplitude per query."""

    name = "qpanda.single_amplitude"
    capabilities = MachineCapabilities(
        max_wires=20, gates=_AMP_GATES,
        measurements=frozenset({"amplitude", "expval", "probs", "sample", "state"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def _make_simulator(self, precision):
        from pyqpanda3.core import SingleAmplitudeQVM
        return SingleAmplitudeQVM(precision)

    def simulator(self, dtype: str):
        # a fresh one per execute: a reused SingleAmplitudeQVM (pyqpanda3 0.5.1) gets slower
        # with every circuit it has run (seconds per amplitude after a few dozen)
        return self._make_simulator(_PREC[dtype])

    def _amps(self, sim, prog, states, n):
        return np.array([complex(sim.pmeasure_dec_index(str(s))) for s in states])


class PartialAmplitudeMachine(_AmplitudeMachine):
    """QPanda's ``PartialAmplitudeQVM``: a set of amplitudes per run.

    PartialAmplitudeQVM simulates the two halves of the register (QPanda qubits ``< n // 2``
    and ``>= n // 2``) separately and sums over the paths that every two-qubit gate across the
    cut opens: each crossing CNOT / CZ / CP doubles its run time (and each query's). The
    translation ("partial" mode) keeps crossings few (one CP per controlled rotation or
    Pauli rotation, CCZ with its lone qubit as target), and a circuit needing more than
    ``2 ** max_cut_bits`` paths is refused with a :class:`MachineError` instead of running for
    minutes or hours.
    """

    name = "qpanda.partial_amplitude"
    mode = "partial"
    #: default path budget (log2): ~2^16 paths take ~5 s per run on one core
    MAX_CUT_BITS = 16.0
    capabilities = MachineCapabilities(
        max_wires=18, gates=_AMP_GATES,
        measurements=frozenset({"amplitude", "expval", "probs", "sample", "state"}),
        shots=True, exact=True, noise=False, adjoint=False)

    def __init__(self, max_cut_bits: float | None = None) -> None:
        super().__init__()
        if max_cut_bits is not None and not max_cut_bits > 0:
            raise ValueError(f"max_cut_bits must be positive, got {max_cut_bits!r}")
        self.max_cut_bits = float(max_cut_bits if max_cut_bits is not None
                                  else self.MAX_CUT_BITS)

    def _make_simulator(self, precision):
        from pyqpanda3.core import PartialAmplitudeQVM
        return PartialAmplitudeQVM(precision)

    def simulator(self, dtype: str):
        return self._make_simulator(_PREC[dtype])  # fresh, as SingleAmplitudeMachine's

    def compiled(self, circuit):
        """As the base class, with the gates laid out to cross the cut rarely
        (:func:`~vqnet_qpanda.translate.partial_layout`)."""
        key = circuit.key()
        entry = self._cache.get(key)
        if entry is None:
            layout = T.partial_layout(circuit)
            specs = T.translate(circuit, self.mode, None, layout)
            entry = {"specs": specs, "S": circuit.num_angles, "vqc": None, "nm": None,
                     "qindex": T.basis_index_map(layout),
                     "cut_bits": T.cut_cost(specs, circuit.num_wires)}
            self._cache[key] = entry
            if len(self._cache) > 32:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return entry

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        entry = self.compiled(circuit)
        if entry["cut_bits"] > self.max_cut_bits:
            raise MachineError(
                f"machine 'qpanda.partial_amplitude': this circuit needs about "
                f"2^{entry['cut_bits']:.0f} paths in QPanda's PartialAmplitudeQVM (every "
                f"two-qubit gate across the cut between qubits < "
                f"{T.partial_cut(circuit.num_wires)} and the rest doubles them), over the "
                f"limit 2^{self.max_cut_bits:.0f}; "
                "PartialAmplitudeQVM would run for minutes or hours. Use qpanda.cpu or "
                "qpanda.single_amplitude, or raise max_cut_bits")
        return super()._execute(circuit, angles, measurements, shots, seed, dtype)

    def _amps(self, sim, prog, states, n):
        # one query costs the same for one basis state or all of them
        allv = np.asarray(sim.get_state_vector([format(s, f"0{n}b") for s in range(2**n)]),
                          dtype=np.complex128)
        return allv[list(states)]


# ---------------------------------------------------------------------------- density matrix
class DensityMatrixMachine(QPandaMachine):
    """QPanda's ``DensityMatrixSimulator`` with the core ``NoiseModel`` translated to QPanda's
    (gate channels as Kraus errors; readout errors applied to the exact probabilities)."""

    name = "qpanda.density_matrix"
    capabilities = MachineCapabilities(
        max_wires=12, gates=_ALL - {"QubitUnitary"},
        measurements=frozenset({"expval", "probs", "sample", "density"}),
        shots=True, exact=True, noise=True, adjoint=False)

    def _make_simulator(self, precision):
        from pyqpanda3.core import DensityMatrixSimulator
        return DensityMatrixSimulator(precision)

    def _run(self, sim, prog, nm):
        if nm is None:
            sim.run(prog)
        else:
            sim.run(prog, nm)

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        n = circuit.num_wires
        bsz = angles.shape[0]
        sim = self.simulator(dtype)
        nm = self.compiled(circuit)["nm"]

        def per_row(tail, fetch):
            out, last, prev = [], None, None
            for p in self.programs(circuit, angles, tail):
                if p is not last:
                    self._run(sim, p, nm)
                    prev, last = fetch(), p
                out.append(prev)
            return np.stack(out)

        def probs_in_basis(rot):
            return per_row(T.basis_rotation(rot, n), lambda: np.asarray(sim.state_probs()))

        def density():
            return per_row([], lambda: np.asarray(sim.density_matrix())).astype(dtype)
        readout = self.noise_model.readout_matrices(n) if self.noise_model else None
        return measure_probs(probs_in_basis, n, measurements, batch=bsz, shots=shots,
                             seed=seed, dtype=dtype, readout=readout, density=density)


# ---------------------------------------------------------------------------- sampling
class _SamplingMachine(QPandaMachine):
    """Simulators that only measure: QPanda draws the shots (it takes no seed, so results are
    not reproducible); probs and expvals are estimated from the counts."""

    def _counts(self, sim, prog, shots: int, nm) -> dict[str, int]:
        raise NotImplementedError

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        core = T._core()
        n = circuit.num_wires
        bsz = angles.shape[0]
        sim = self.simulator(dtype)
        nm = self.compiled(circuit)["nm"]

        def empirical(rot):
            out, last, prev = [], None, None
            tail = T.basis_rotation(rot, n, self.mode == "clifford")
            for p in self.programs(circuit, angles, tail):
                if p is not last:
                    p << core.measure(list(range(n)), list(range(n)))
                    counts = self._counts(sim, p, shots, nm)
                    prev = np.zeros(2**n)
                    for k, v in counts.items():
                        prev[int(k, 2)] += v
                    prev, last = prev / shots, p
                out.append(prev)
            return np.stack(out)

        Bn = _np_backend()
        cache: dict = {}

        def probs_in_basis(rot):
            if rot not in cache:
                cache[rot] = empirical(rot)
            return cache[rot]
        out = []
        rng = make_rng(seed)
        for m in measurements:
            if m.kind == "sample":
                wires = m.wires if m.wires is not None else tuple(range(n))
                p = K.marginal(Bn, probs_in_basis(()), n, tuple(sorted(wires)))
                p = K.reorder_marginal(Bn, p, tuple(sorted(wires)), tuple(wires))
                out.append(_shuffled_shots(rng, np.asarray(p), shots, len(wires)))
            else:  # exact functions of the measured frequencies
                out.append(measure_probs(probs_in_basis, n, [m], batch=bsz, dtype=dtype)[0])
        return to_active(out, dtype)


def _shuffled_shots(rng: np.random.Generator, freq: np.ndarray, shots: int, k: int
                    ) -> np.ndarray:
    """QPanda's own shots ``[B, shots, k]`` from their measured frequencies ``[B, 2^k]``:
    the same counts, in an order drawn from ``rng`` (drawing afresh from the frequencies
    would add a second round of shot noise)."""
    out = np.empty((freq.shape[0], shots, k), dtype=np.int64)
    shifts = np.arange(k - 1, -1, -1)
    for b, row in enumerate(freq):
        counts = np.rint(row * shots).astype(np.int64)
        idx = rng.permutation(np.repeat(np.arange(row.size), counts))
        out[b] = (idx[:, None] >> shifts) & 1
    return out


class NoiseMachine(_SamplingMachine):
    """``CPUQVM`` running with a QPanda ``NoiseModel``: Monte-Carlo trajectories, shots only,
    as a noisy device would answer."""

    name = "qpanda.noise"
    capabilities = MachineCapabilities(
        max_wires=20, gates=_ALL - {"QubitUnitary"},
        measurements=frozenset({"expval", "probs", "sample"}),
        shots=True, exact=False, noise=True, adjoint=False)

    def _make_simulator(self, precision):
        from pyqpanda3.core import CPUQVM
        return CPUQVM(precision)

    def _counts(self, sim, prog, shots, nm):
        if nm is None:
            sim.run(prog, shots)
        else:
            sim.run(prog, shots, nm)
        return sim.result().get_counts()


class StabilizerMachine(_SamplingMachine):
    """QPanda's ``Stabilizer`` (Clifford circuits only; any other gate raises)."""

    name = "qpanda.stabilizer"
    mode = "clifford"
    capabilities = MachineCapabilities(
        max_wires=16, gates=T.CLIFFORD_GATES,
        measurements=frozenset({"expval", "probs", "sample"}),
        shots=True, exact=False, noise=False, adjoint=False)

    def _make_simulator(self, precision):
        from pyqpanda3.core import Stabilizer
        return Stabilizer()  # its only precision is "exact" (tableau)

    def validate(self, circuit, angles, measurements, shots, dtype):
        for op in getattr(circuit, "ops", ()):
            if op.name not in T.CLIFFORD_GATES:
                raise UnsupportedError(
                    f"machine 'qpanda.stabilizer' simulates Clifford circuits only "
                    f"({', '.join(sorted(T.CLIFFORD_GATES))}); gate {op.name} is not one")
        return super().validate(circuit, angles, measurements, shots, dtype)

    def _counts(self, sim, prog, shots, nm):
        from pyqpanda3.core import Stabilizer
        sim = Stabilizer()  # a reused Stabilizer adds each run's counts to the previous ones
        sim.run(prog, shots)
        return sim.result().get_counts()
