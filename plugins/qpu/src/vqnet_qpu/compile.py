"""Compilation onto a device: Qiskit's preset pass manager (layout, routing onto the coupling
map, translation to the native gates), seeded and cached per circuit structure.

The IR circuit becomes a parametrised ``QuantumCircuit`` through vqnet-qiskit's
:func:`vqnet_qiskit.translate.to_qiskit` (column ``s`` of the angle batch is the parameter
``a[s]``); the measurement-basis rotations an ``Expval`` of X / Y needs are appended as gates
(``H``; ``Sdg, H``) before compiling, as on hardware. The transpiled circuit is read back
native instruction by native instruction (``from_qiskit`` would decompose an ``ecr`` into
non-native gates, and the noise belongs to the native ones): an angle of the compiled circuit
is affine in the logical angles (``rz(a[0] + pi/2)``), kept as a coefficient matrix so that a
whole batch is mapped with one matmul. Only the physical qubits the routed circuit touches
(and those the logical qubits end on) are kept, renumbered ``0..k-1`` in ascending order.

>>> from vqnet_core.quantum import Circuit, Operation, ParamRef
>>> from vqnet_qpu.devices import load_device
>>> c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))])
>>> cc = compile_circuit(load_device("qpu.example.grid3x3"), c, seed=1)
>>> len(cc.active), {o.name for o in cc.ops} <= {"cz", "rz", "sx", "x"}
(2, True)
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from vqnet_core.quantum import Circuit, MachineError, Operation, ParamRef, UnsupportedError

from .devices import Device

#: native Qiskit instruction -> IR gate (ecr has no IR gate: a constant QubitUnitary)
NATIVE_TO_IR = {"id": "I", "rz": "RZ", "sx": "SX", "x": "X", "rx": "RX", "ry": "RY",
                "h": "H", "s": "S", "sdg": "Sdg", "t": "T", "tdg": "Tdg", "y": "Y", "z": "Z",
                "u": "U3", "u1": "U1", "u2": "U2", "u3": "U3", "cz": "CZ", "cx": "CNOT",
                "rzz": "RZZ", "iswap": "ISWAP", "swap": "SWAP"}
_SKIP = {"barrier", "delay"}


@dataclass
class NativeOp:
    """One native instruction: its Qiskit ``name`` and physical ``qubits`` (for the
    calibration) and the IR ``op`` on compact wires (angles refer to derived columns)."""

    name: str
    qubits: tuple[int, ...]
    op: Operation


@dataclass
class Compiled:
    """A circuit compiled onto a device.

    ``qc``: the transpiled ``QuantumCircuit`` (physical qubits, no measurement);
    ``active``: the simulated physical qubits (compact wire ``i`` is ``active[i]``);
    ``ops``: the native instructions; ``layout``: the physical qubit each logical wire ends
    on; ``measured``: the compact wire of each logical wire; ``coef`` ``[S, D]`` and
    ``offset`` ``[D]``: derived angle columns ``angles @ coef + offset``."""

    qc: Any
    active: tuple[int, ...]
    ops: list[NativeOp]
    layout: tuple[int, ...]
    measured: tuple[int, ...]
    coef: np.ndarray
    offset: np.ndarray

    @property
    def num_wires(self) -> int:
        return len(self.active)

    def derived_angles(self, angles: np.ndarray) -> np.ndarray:
        """The compiled circuit's angle columns ``[B, D]`` for logical angles ``[B, S]``."""
        a = angles[:, :self.coef.shape[0]]
        return a @ self.coef + self.offset if self.coef.shape[1] else np.zeros((len(a), 0))

    def circuit(self) -> Circuit:
        """The compiled circuit as an IR circuit on the compact wires."""
        return Circuit(self.num_wires, [o.op for o in self.ops])


def _basis_rotation(qc: Any, rotation: tuple) -> None:
    for w, p in rotation:
        if p == "X":
            qc.h(w)
        elif p == "Y":
            qc.sdg(w)
            qc.h(w)
        else:
            raise ValueError(f"unknown measurement basis {p!r}")


def compile_circuit(device: Device, circuit: Circuit, rotation: tuple = (), seed: int = 0,
                    optimization_level: int = 1, pass_manager: Any = None) -> Compiled:
    """Transpile ``circuit`` (plus the basis ``rotation``) onto ``device``."""
    from qiskit.circuit import ParameterExpression
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit.transpiler.exceptions import TranspilerError
    from vqnet_qiskit.translate import reverse_matrix, to_qiskit

    n = circuit.num_wires
    if n > device.num_qubits:
        raise MachineError(f"the circuit has {n} wires but device {device.name!r} has "
                           f"{device.num_qubits} qubits")
    qc = to_qiskit(circuit)
    _basis_rotation(qc, rotation)
    pm = pass_manager or generate_preset_pass_manager(
        optimization_level=optimization_level, target=device.target(), seed_transpiler=seed)
    try:
        tqc = pm.run(qc)
    except TranspilerError as exc:
        names = sorted({op.name for op in circuit.ops})
        raise UnsupportedError(f"device {device.name!r} (native {', '.join(device.basis_gates)}"
                               f") cannot express this circuit (gates {', '.join(names)}): "
                               f"{exc}") from None
    S = circuit.num_angles
    columns: dict[tuple, int] = {}
    coefs: list[np.ndarray] = []
    offsets: list[float] = []

    def angle(v: Any) -> ParamRef | float:
        if not isinstance(v, ParameterExpression):
            return float(v)
        ps = list(v.parameters)
        if not ps:
            return float(complex(v).real)
        c = np.zeros(S)
        for p in ps:
            g = v.gradient(p)
            if isinstance(g, ParameterExpression) and g.parameters:
                raise MachineError(f"the compiled angle {v} is not affine in the circuit's "
                                   "angles")
            c[p.index] += float(complex(g).real)
        off = float(complex(v.bind({p: 0.0 for p in ps})).real)
        key = (tuple(np.round(c, 15)), round(off, 15))
        j = columns.get(key)
        if j is None:
            j = columns[key] = len(coefs)
            coefs.append(c)
            offsets.append(off)
        return ParamRef(j)

    raw: list[tuple[str, tuple[int, ...], tuple, Any]] = []
    for inst in tqc.data:
        name = inst.operation.name
        if name in _SKIP:
            continue
        qs = tuple(tqc.find_bit(q).index for q in inst.qubits)
        if name not in device.basis_gates:
            raise UnsupportedError(f"the transpiled circuit has {name!r} on {qs}, which device "
                                   f"{device.name!r} cannot run (native: "
                                   f"{', '.join(device.basis_gates)})")
        mat = None
        if name not in NATIVE_TO_IR:  # ecr: a constant two-qubit unitary
            mat = reverse_matrix(np.asarray(inst.operation.to_matrix()))
        raw.append((name, qs, tuple(angle(p) for p in inst.operation.params), mat))
    layout = tuple(tqc.layout.final_index_layout()[:n]) if tqc.layout is not None \
        else tuple(range(n))
    active = tuple(sorted({q for _, qs, _, _ in raw for q in qs} | set(layout)))
    index = {q: i for i, q in enumerate(active)}
    ops = []
    for name, qs, params, mat in raw:
        wires = tuple(index[q] for q in qs)
        if mat is not None:
            op = Operation("QubitUnitary", wires, (), matrix=mat)
        else:
            op = Operation(NATIVE_TO_IR[name], wires, params)
        ops.append(NativeOp(name, qs, op))
    coef = np.stack(coefs, axis=1) if coefs else np.zeros((S, 0))
    return Compiled(tqc, active, ops, layout, tuple(index[q] for q in layout), coef,
                    np.asarray(offsets, dtype=float))


class CompileCache:
    """Compiled circuits by (circuit structure, basis rotation): a training loop compiles
    each structure once."""

    def __init__(self, device: Device, seed: int, optimization_level: int,
                 size: int = 128) -> None:
        self.device, self.seed, self.level, self.size = device, seed, optimization_level, size
        self._d: OrderedDict = OrderedDict()
        self._pm = None
        self.compiles = 0

    def pass_manager(self) -> Any:
        if self._pm is None:
            from qiskit.transpiler import generate_preset_pass_manager
            self._pm = generate_preset_pass_manager(
                optimization_level=self.level, target=self.device.target(),
                seed_transpiler=self.seed)
        return self._pm

    def get(self, circuit: Circuit, rotation: tuple = ()) -> Compiled:
        key = (circuit.key(), rotation)
        hit = self._d.get(key)
        if hit is not None:
            self._d.move_to_end(key)
            return hit
        out = compile_circuit(self.device, circuit, rotation, self.seed, self.level,
                              self.pass_manager())
        self.compiles += 1
        self._d[key] = out
        if len(self._d) > self.size:
            self._d.popitem(last=False)
        return out
