"""Emulated noisy QPUs as VQNet machines: ``qpu.<device>`` (and ``qpu`` with ``device=``).

A run: the circuit (plus the basis rotations its X / Y expvals need) is compiled onto the
device (:mod:`vqnet_qpu.compile`, cached per structure), the native program with the
calibrated noise (:mod:`vqnet_qpu.noise`) runs on the active physical qubits only
(:mod:`vqnet_qpu.engine`: density matrix up to ``dm_max_qubits``, seeded trajectories above),
the distribution of the logical wires (read through the final layout) passes through each
qubit's readout confusion, and ``shots`` seeded draws give the results -- shots only, as on
hardware. ``mitigation="readout"`` inverts the confusion on the shot estimates
(:mod:`vqnet_qpu.mitigation`).

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> m = get_machine("qpu.example.grid3x3")
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> ev = m.execute(c, np.array([[0.0], [np.pi]]), [Expval("Z0")], shots=4000, seed=1)[0]
>>> [bool(0.8 < abs(float(v)) < 0.99) for v in ev]     # readout errors pull <Z> off +-1
[True, True]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vqnet_core.quantum import GATES, Machine, MachineCapabilities, MachineError
from vqnet_core.quantum.noise import NoiseModel
from vqnet_core.quantum.results import make_rng, measure_probs, sample_bits, to_active

from . import engine as E
from . import noise as N
from .compile import CompileCache, Compiled
from .devices import Device, load_device
from .mitigation import apply_confusion, invert_confusion

#: the most logical wires a run takes (the engines simulate the active physical qubits)
MAX_LOGICAL = 20
MEASUREMENTS = frozenset({"expval", "probs", "sample"})


def _caps(num_qubits: int, name: str, entangling: bool = True) -> MachineCapabilities:
    # a device without a two-qubit gate (ibm_armonk: one qubit) runs one-qubit gates only
    gates = frozenset(GATES) if entangling else frozenset(
        g for g, spec in GATES.items() if spec.num_wires == 1)
    return MachineCapabilities(
        max_wires=min(num_qubits, MAX_LOGICAL), gates=gates,
        measurements=MEASUREMENTS, shots=True, exact=False, noise=True, adjoint=False,
        extra={"device": name, "num_qubits": num_qubits,
               # the conformance suite checks the noiseless pipeline (compile, route, sample)
               "conformance_options": {"noise": False}})


class QPUMachine(Machine):
    """An emulated noisy QPU.

    ``device``: a device name (``"ibm_torino"``), a TOML device file or a
    :class:`~vqnet_qpu.devices.Device` (fixed for ``qpu.<device>`` machines).
    ``noise``: False for the ideal device (same compilation, no errors). ``noise_model``: a
    core NoiseModel that replaces the calibrated noise (its rules name IR gates -- ``SX``,
    ``RZ``, ``CZ``, ``CNOT`` ... -- and physical qubits; its readout errors are per physical
    qubit). ``idle``: thermal relaxation of waiting qubits (ASAP schedule). ``mitigation``:
    None or ``"readout"``. ``optimization_level`` / ``seed_transpiler``: the preset pass
    manager's. ``dm_max_qubits``: the widest active set run as a density matrix (default 10;
    trajectories above). ``trajectories``: per batch row above it (default
    ``min(shots, 1000)``). ``fold``: native gate folding (zero-noise extrapolation).
    """

    name = "qpu"
    device_name: str | None = None
    capabilities = _caps(MAX_LOGICAL, "qpu")

    def __init__(self, device: str | Path | Device | None = None, *, noise: bool = True,
                 noise_model: NoiseModel | None = None, idle: bool = False,
                 mitigation: str | None = None, optimization_level: int = 1,
                 seed_transpiler: int = 0, dm_max_qubits: int = 10,
                 trajectories: int | None = None, fold: int = 1) -> None:
        super().__init__()
        if self.device_name is not None:
            if device is not None:
                raise TypeError(f"machine {self.name!r} is device {self.device_name!r}; use "
                                f"get_machine('qpu', device=...) for another device")
            device = self.device_name
        if device is None:
            raise TypeError("machine 'qpu' needs device= (a name like 'ibm_torino', a TOML "
                            "device file, or a Device); or use get_machine('qpu.<device>')")
        self.device = load_device(device)
        if self.device_name is None:
            self.name = f"qpu({self.device.name})"
        self.capabilities = _caps(self.device.num_qubits, self.device.name,
                                  bool(self.device.coupling_map))
        self.noise_model = self.checked_noise_model(noise_model)
        if not isinstance(noise, bool):
            raise TypeError(f"noise must be True or False, got {noise!r}")
        if mitigation not in (None, "readout"):
            raise ValueError(f"mitigation must be None or 'readout', got {mitigation!r} (for "
                             "zero-noise extrapolation use vqnet_qpu.mitigation.zne)")
        if optimization_level not in (0, 1, 2, 3):
            raise ValueError(f"optimization_level must be 0..3, got {optimization_level!r}")
        if not isinstance(dm_max_qubits, int) or not 0 <= dm_max_qubits <= 12:
            raise ValueError(f"dm_max_qubits must be an int in [0, 12], got {dm_max_qubits!r}")
        if trajectories is not None and (not isinstance(trajectories, int) or trajectories < 1):
            raise ValueError(f"trajectories must be a positive int, got {trajectories!r}")
        self.noise, self.idle, self.mitigation = noise, idle, mitigation
        self.dm_max_qubits, self.trajectories = dm_max_qubits, trajectories
        if not isinstance(fold, int) or fold < 1 or fold % 2 == 0:
            raise ValueError(f"fold must be an odd positive int, got {fold!r}")
        self.fold = fold
        self.cache = CompileCache(self.device, seed_transpiler, optimization_level)
        self._programs: dict[int, tuple[Compiled, E.Program]] = {}

    def folded(self, fold: int) -> QPUMachine:
        """This machine with every native gate folded ``fold`` times (odd; 1: itself),
        sharing the compiled circuits (zero-noise extrapolation)."""
        if fold == self.fold:
            return self
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        if not isinstance(fold, int) or fold < 1 or fold % 2 == 0:
            raise ValueError(f"fold must be an odd positive int, got {fold!r}")
        other.fold, other._programs = fold, {}
        return other

    # ---------------------------------------------------------------- compilation
    def compiled(self, circuit, rotation: tuple = ()) -> Compiled:
        """The compiled circuit (its ``layout``: the physical qubit of each logical wire)."""
        self._check_width(circuit)
        return self.cache.get(circuit, rotation)

    def layout(self, circuit) -> tuple[int, ...]:
        """The physical qubit each logical wire ends on (computational basis)."""
        return self.compiled(circuit).layout

    def _check_width(self, circuit) -> None:
        if circuit.num_wires > self.device.num_qubits:
            raise MachineError(f"machine {self.name!r}: the circuit has {circuit.num_wires} "
                               f"wires but device {self.device.name!r} has "
                               f"{self.device.num_qubits} qubits")

    def program(self, cc: Compiled) -> E.Program:
        hit = self._programs.get(id(cc))
        if hit is not None and hit[0] is cc:
            return hit[1]
        prog = E.build_program(cc, self._gate_noise(cc), self._final_noise(cc), self.fold)
        if len(self._programs) > 256:
            self._programs.clear()
        self._programs[id(cc)] = (cc, prog)
        return prog

    def _gate_noise(self, cc: Compiled):
        if not self.noise:
            return None
        dev, nm = self.device, self.noise_model
        index = {q: i for i, q in enumerate(cc.active)}
        clock = [0.0] * cc.num_wires

        def noise(nop, i):
            wires = nop.op.wires
            before = []
            if self.idle:
                cal = dev.gate(nop.name, nop.qubits)
                start = max(clock[w] for w in wires)
                for w, q in zip(wires, nop.qubits):
                    ch = N.relaxation(dev.qubits[q], start - clock[w])
                    if ch is not None:
                        before.append((ch, (w,)))
                    clock[w] = start + (cal.duration if cal else 0.0)
            if nm is not None:
                after = [(ch, (index[q],)) for ch, q in nm.channels_after(nop.op.name,
                                                                          nop.qubits)]
            else:
                after = [(ch, wires) for ch in N.gate_channels(dev, nop.name, nop.qubits)]
            return before, after
        return noise

    def _final_noise(self, cc: Compiled):
        if not (self.noise and self.idle):
            return None

        def final():
            # the clock after the last gate (replayed: build_program called gate_noise)
            clock = [0.0] * cc.num_wires
            for nop in cc.ops:
                cal = self.device.gate(nop.name, nop.qubits)
                start = max(clock[w] for w in nop.op.wires)
                for w in nop.op.wires:
                    clock[w] = start + (cal.duration if cal else 0.0)
            end = max(clock, default=0.0)
            out = []
            for w in cc.measured:
                ch = N.relaxation(self.device.qubits[cc.active[w]], end - clock[w])
                if ch is not None:
                    out.append((ch, (w,)))
            return out
        return final

    def readout_matrices(self, cc: Compiled) -> list[np.ndarray] | None:
        """The confusion matrix ``M[measured, true]`` of each logical wire's qubit."""
        if not self.noise:
            return None
        if self.noise_model is not None:
            ro = self.noise_model.readout_matrices(self.device.num_qubits)
            mats = [ro.get(q) for q in cc.layout]
            return None if all(m is None for m in mats) else \
                [np.eye(2) if m is None else np.asarray(m) for m in mats]
        return [N.readout_matrix(self.device.qubits[q]) for q in cc.layout]

    # ---------------------------------------------------------------- simulation
    def distribution(self, circuit, angles: Any, rotation: tuple = (), *,
                     readout: bool = True, seed: int | None = None,
                     dtype: str = "complex128") -> np.ndarray:
        """The noisy distribution ``[B, 2^n]`` of the logical wires (wire 0 most significant)
        that the shots are drawn from: exact on the density-matrix engine, a trajectory
        estimate above ``dm_max_qubits`` (seeded by ``seed``). For verification and
        benchmarks; ``execute`` returns shot results only."""
        a = np.asarray(angles, dtype=float)
        a = a.reshape(1, -1) if a.ndim == 1 else a
        cc = self.compiled(circuit, rotation)
        return self._distribution(cc, a, readout, make_rng(seed), dtype, None)

    def _engine_probs(self, cc: Compiled, derived: np.ndarray, rng, dtype: str,
                      shots: int | None) -> np.ndarray:
        prog = self.program(cc)
        k, bsz = prog.k, derived.shape[0]
        if prog.noisy and k <= self.dm_max_qubits:
            per = E.memory_rows(k, density=True)
            return np.concatenate([E.density_probs(prog, derived[i:i + per], dtype)
                                   for i in range(0, bsz, per)])
        if k > 26:
            raise MachineError(f"machine {self.name!r}: the routed circuit touches {k} "
                               "physical qubits, more than the trajectory engine runs (26)")
        if not prog.noisy:
            per = E.memory_rows(k)
            return np.concatenate([E.trajectory_probs(prog, derived[i:i + per], 1, rng, dtype)
                                   for i in range(0, bsz, per)])
        T = self.trajectories or min(shots or 1000, 1000)
        # blocks of trajectories of about 16 MiB: they stay in cache (a 64 MiB block of 1000
        # trajectories on 12 qubits ran 4x slower per trajectory than blocks of 256)
        block = max(1, min(T, E.memory_rows(k, budget=16 << 20)))
        out = []
        for b in range(bsz):
            acc, done = 0.0, 0
            while done < T:
                t = min(block, T - done)
                acc = acc + t * E.trajectory_probs(prog, derived[b:b + 1], t, rng, dtype)
                done += t
            out.append(acc / T)
        return np.concatenate(out)

    def _distribution(self, cc: Compiled, angles: np.ndarray, readout: bool, rng,
                      dtype: str, shots: int | None) -> np.ndarray:
        from vqnet_core.backend import get_backend
        from vqnet_core.quantum import kernels as K

        p = self._engine_probs(cc, cc.derived_angles(angles), rng, dtype, shots)
        Bn = get_backend("numpy")
        ws = tuple(sorted(cc.measured))
        p = K.reorder_marginal(Bn, K.marginal(Bn, p, cc.num_wires, ws), ws, cc.measured)
        mats = self.readout_matrices(cc) if readout else None
        if mats is not None:
            p = apply_confusion(p, mats)
        return np.asarray(p)

    def memory_estimate(self, circuit, batch, measurements, shots, dtype, adjoint=False):
        n = circuit.num_wires
        need = batch * 2**n * 8 * 4  # the logical distributions and their estimates
        for m in measurements:
            if m.kind == "sample" and shots is not None:
                k = len(m.wires) if m.wires is not None else n
                need += batch * shots * 8 * (2 + 2 * k)
        return need, f"{batch} x 2^{n} logical probabilities and the samples"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        self._check_width(circuit)
        n = circuit.num_wires
        bsz = angles.shape[0]
        rng = make_rng(seed)
        bases: dict[tuple, None] = {}
        for m in measurements:
            if m.kind == "expval":
                for _, term in m.observable.terms:
                    if term:
                        bases.setdefault(tuple((w, p) for w, p in term if p != "Z"), None)
            else:
                bases.setdefault((), None)
        true_p, est = {}, {}
        for rot in bases:
            cc = self.compiled(circuit, rot)
            p = self._distribution(cc, angles, True, rng, dtype, shots)
            true_p[rot] = p
            counts = np.stack([rng.multinomial(shots, _clean(row)) for row in p])
            e = counts / shots
            if self.mitigation == "readout":
                mats = self.readout_matrices(cc)
                if mats is not None:
                    e = invert_confusion(e, mats)
            est[rot] = e
        rest = [m for m in measurements if m.kind != "sample"]
        it = iter(measure_probs(lambda rot: est[tuple(rot)], n, rest, batch=bsz, shots=None,
                                dtype=dtype) if rest else [])
        out = []
        for m in measurements:
            if m.kind == "sample":
                from vqnet_core.backend import get_backend
                from vqnet_core.quantum import kernels as K
                Bn = get_backend("numpy")
                ws = tuple(m.wires) if m.wires is not None else tuple(range(n))
                srt = tuple(sorted(ws))
                pm = K.reorder_marginal(Bn, K.marginal(Bn, true_p[()], n, srt), srt, ws)
                out.append(to_active([sample_bits(rng, np.asarray(pm), shots, len(ws))],
                                     dtype)[0])
            else:
                r = next(it)
                if m.kind == "probs" and self.mitigation == "readout":
                    from vqnet_core.backend import get_backend
                    B = get_backend()
                    q = np.clip(np.asarray(B.to_numpy(r), dtype=float), 0.0, None)
                    q = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300)
                    r = to_active([q], dtype)[0]
                out.append(r)
        return out

    def __repr__(self) -> str:
        return f"<QPUMachine {self.name!r}: {self.device.describe()}>"


def _clean(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    return p / p.sum()


_CLASSES: dict[str, type[QPUMachine]] = {}


def device_machine_class(name: str) -> type[QPUMachine]:
    """The machine class of ``qpu.<device>`` (made once per name; ``qpu`` itself is
    :class:`QPUMachine`, which takes ``device=``)."""
    if name == "qpu":
        return QPUMachine
    cls = _CLASSES.get(name)
    if cls is None:
        safe = "".join(ch if ch.isalnum() else "_" for ch in name[len("qpu."):])
        cls = type(f"QPU_{safe}", (QPUMachine,), {
            "name": name, "device_name": name,
            "__doc__": f"The emulated QPU {name!r} (see :class:`QPUMachine`)."})
        _CLASSES[name] = cls
    return cls
