"""PennyLane <-> the VQNet IR: operations, observables, measurements and whole tapes.

A tape (``QuantumScript``) reaches the IR *after* PennyLane's own ``decompose`` transform has
brought it to the gate set of a VQNet machine (:func:`pl_gate_set`), so templates arrive as
gates and no template table lives here. Every operation parameter becomes one IR angle column;
parameter broadcasting becomes the angle batch ``[B, S]``.

>>> import pennylane as qml
>>> tape = qml.tape.QuantumScript([qml.RX(0.3, 0), qml.CNOT([0, 1])], [qml.expval(qml.Z(1))])
>>> ir = tape_to_ir(tape)
>>> [op.name for op in ir.circuit.ops], ir.angles.tolist()
(['RX', 'CNOT'], [[0.3]])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.wires import Wires

from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, Probs, Sample, State
from vqnet_core.quantum.convert import AffineAngle, ConversionError, ForeignCircuit

#: PennyLane operation name -> IR gate name (same conventions: the IR follows PennyLane's)
GATE_MAP: dict[str, str] = {
    "Hadamard": "H", "PauliX": "X", "PauliY": "Y", "PauliZ": "Z", "S": "S", "T": "T",
    "SX": "SX", "Adjoint(S)": "Sdg", "Adjoint(T)": "Tdg",
    "CNOT": "CNOT", "CY": "CY", "CZ": "CZ", "CH": "CH", "SWAP": "SWAP", "ISWAP": "ISWAP",
    "Toffoli": "Toffoli", "CCZ": "CCZ", "CSWAP": "CSWAP", "MultiControlledX": "MultiControlledX",
    "RX": "RX", "RY": "RY", "RZ": "RZ", "PhaseShift": "PhaseShift", "U1": "U1", "Rot": "Rot",
    "U2": "U2", "U3": "U3", "CRX": "CRX", "CRY": "CRY", "CRZ": "CRZ", "CRot": "CRot",
    "ControlledPhaseShift": "ControlledPhaseShift", "IsingXX": "RXX", "IsingYY": "RYY",
    "IsingZZ": "RZZ", "IsingXY": "IsingXY", "MultiRZ": "MultiRZ",
    "SingleExcitation": "SingleExcitation", "DoubleExcitation": "DoubleExcitation",
    "QubitUnitary": "QubitUnitary",
}
#: operations every machine runs without an IR gate (no-ops, or a phase kept aside)
FREE_OPS = frozenset({"Identity", "GlobalPhase", "Barrier", "Snapshot"})


def pl_gate_set(ir_gates: Iterable[str]) -> frozenset[str]:
    """The PennyLane operation names whose IR gate is in ``ir_gates`` (a machine's
    ``capabilities.gates``), plus the operations that need no gate."""
    ir = set(ir_gates)
    return frozenset({pl for pl, g in GATE_MAP.items() if g in ir}) | FREE_OPS


def accepts(op: Any, gate_set: frozenset[str], trainable_unitary: bool = True) -> bool:
    """The stopping condition of ``decompose``: whether ``op`` translates as it is."""
    name = getattr(op, "name", None)
    if name not in gate_set:
        # an operation PennyLane cannot decompose but knows the matrix of runs as that matrix
        return "QubitUnitary" in gate_set and as_matrix(op)
    if name == "QubitUnitary":
        m = op.data[0]
        if qml.math.ndim(m) != 2:               # a broadcast matrix: decompose it
            return False
        if not trainable_unitary and qml.math.requires_grad(m):
            return False
    if name == "MultiControlledX":
        return bool(np.all(np.asarray(op.control_values, dtype=bool)))
    if name == "Identity":
        return True
    return True


def as_matrix(op: Any) -> bool:
    """Whether ``op`` goes to the IR as a ``QubitUnitary`` of its matrix: a unitary operation
    with no decomposition, not broadcast, with no trainable parameter (the IR angles could not
    carry its gradient)."""
    try:
        if op.has_decomposition or not op.has_matrix or op.batch_size is not None:
            return False
        if any(qml.math.requires_grad(d) for d in op.data):
            return False
        if len(op.wires) > 10:
            return False
        m = qml.matrix(op)
    except Exception:  # noqa: BLE001 - PennyLane raises several kinds
        return False
    d = m.shape[0]
    return bool(np.allclose(m @ np.conj(m).T, np.eye(d), atol=1e-8))


def _value(x: Any) -> np.ndarray:
    return np.asarray(qml.math.to_numpy(qml.math.unwrap(x)))


@dataclass
class IRTape:
    """A tape in the IR: ``circuit`` on wires ``0..n-1`` (``wires[i]`` is IR wire ``i``),
    ``angles`` ``[B, S]``; ``param_of[s]`` is the tape parameter (index into
    ``tape.get_parameters(trainable_only=False)``) that column ``s`` holds; ``phase`` the
    global phase ``[B]``; ``batch`` the tape's batch size (None when not broadcast)."""

    circuit: Circuit
    angles: np.ndarray
    param_of: list[int]
    phase: np.ndarray
    wires: Wires
    batch: int | None


def wire_order(tape: Any) -> Wires:
    """The IR wire order of a tape: its wires sorted when they can be (``0..n-1`` after
    ``map_to_standard_wires``), else in the order they appear."""
    try:
        return Wires(sorted(tape.wires))
    except TypeError:
        return Wires(tape.wires)


def tape_to_ir(tape: Any, wires: Sequence[Any] | None = None,
               operations: Sequence[Any] | None = None) -> IRTape:
    """The IR of a (decomposed) tape's operations, on ``wires`` (default: the tape's)."""
    wires = wire_order(tape) if wires is None else Wires(wires)
    ops = tape.operations if operations is None else operations
    index = {w: i for i, w in enumerate(wires)}
    irops, cols, param_of = [], [], []
    phase: Any = 0.0
    p = 0
    for op in ops:
        name = op.name
        data = op.data
        try:
            ws = tuple(index[w] for w in op.wires)
        except KeyError as exc:
            raise ConversionError(f"{op} acts on wire {exc.args[0]!r}, not among {wires}") from None
        if name in ("Identity", "Barrier", "Snapshot"):
            p += len(data)
            continue
        if name == "GlobalPhase":
            phase = phase + _value(data[0])
            p += 1
            continue
        if name not in GATE_MAP and as_matrix(op):
            irops.append(Operation("QubitUnitary", ws, (), matrix=_value(qml.matrix(op))))
            p += len(data)
            continue
        if name not in GATE_MAP:
            raise ConversionError(f"PennyLane operation {name} has no VQNet gate; decompose the "
                                  "tape first (qml.devices.preprocess.decompose)")
        if name == "QubitUnitary":
            m = _value(data[0])
            if m.ndim != 2:
                raise ConversionError("a broadcast QubitUnitary has no IR form; decompose it")
            irops.append(Operation("QubitUnitary", ws, (), matrix=m))
            p += 1
            continue
        if name == "MultiControlledX" and not np.all(np.asarray(op.control_values, bool)):
            raise ConversionError("MultiControlledX with control values 0; decompose it")
        refs = []
        for d in data:
            refs.append(ParamRef(len(cols)))
            cols.append(_value(d).astype(np.float64))
            param_of.append(p)
            p += 1
        irops.append(Operation(GATE_MAP[name], ws, tuple(refs)))
    sizes = {c.shape[0] for c in cols if c.ndim == 1}
    sizes |= {np.shape(phase)[0]} if np.ndim(phase) == 1 else set()
    if any(c.ndim > 1 for c in cols) or len(sizes) > 1:
        raise ConversionError(f"parameters of shapes {[c.shape for c in cols]}: the IR takes "
                              "scalars or one broadcast dimension")
    batch = sizes.pop() if sizes else None
    b = batch or 1
    angles = np.empty((b, len(cols)))
    for j, c in enumerate(cols):
        angles[:, j] = c
    ph = np.broadcast_to(np.asarray(phase, dtype=np.float64), (b,)).copy()
    return IRTape(Circuit(max(len(wires), 1), irops), angles, param_of, ph, wires, batch)


# ------------------------------------------------------------------ observables, measurements
def observable_to_ir(obs: Any, wires: Sequence[Any]) -> Any:
    """A PennyLane observable with a Pauli form (``Z``, ``X @ Y``, ``Hamiltonian`` /
    ``LinearCombination``, ``Identity``...) as ``{"Z0 X1": coeff}``; None when it has none
    (``Hermitian``, ``Projector``: a machine measures those through ``probs``)."""
    index = {w: i for i, w in enumerate(Wires(wires))}
    ps = getattr(obs, "pauli_rep", None)
    if ps is None:
        return None
    out: dict[str, float] = {}
    for word, c in ps.items():
        c = complex(_value(c))
        if abs(c.imag) > 1e-12:
            return None
        key = " ".join(f"{p}{index[w]}" for w, p in sorted(word.items(), key=lambda t: index[t[0]]))
        key = key or "I"
        out[key] = out.get(key, 0.0) + c.real
    return out or {"I": 0.0}


def measurement_to_ir(mp: Any, wires: Sequence[Any]) -> Any:
    """The IR measurement of a PennyLane one, or None where the IR has no such kind."""
    index = {w: i for i, w in enumerate(Wires(wires))}
    name = type(mp).__name__
    if name == "ExpectationMP" and mp.obs is not None:
        h = observable_to_ir(mp.obs, wires)
        return None if h is None else Expval(h)
    if mp.obs is not None or getattr(mp, "mv", None) is not None:
        return None
    mw = None if len(mp.wires) == 0 else [index[w] for w in mp.wires]
    if name == "ProbabilityMP":
        return Probs(mw)
    if name == "SampleMP":
        return Sample(mw)
    if name == "StateMP" and (mw is None or mw == list(range(len(index)))):
        return State()
    return None


# ------------------------------------------------------------------ IR -> PennyLane
_REVERSE = {g: pl for pl, g in GATE_MAP.items() if not pl.startswith("Adjoint")}


def ir_to_pl_ops(circuit: Circuit, angles: Any = None, wires: Sequence[Any] | None = None):
    """PennyLane operations for an IR circuit (row 0 of ``angles`` [B, S], or a whole column
    when B > 1: broadcast), on ``wires`` (default ``range(n)``)."""
    wires = list(range(circuit.num_wires)) if wires is None else list(wires)
    a = None if angles is None else (
        angles if qml.math.get_interface(angles) == "autograd"
        else np.asarray(angles, dtype=np.float64))
    out = []
    for op in circuit.ops:
        ws = [wires[w] for w in op.wires]
        ps = []
        for p in op.params:
            if isinstance(p, ParamRef):
                if a is None:
                    raise ConversionError("the circuit has angle columns: pass angles")
                col = a[:, p.index]
                ps.append(col[0] if len(col) == 1 else col)
            else:
                ps.append(p)
        if op.name == "QubitUnitary":
            out.append(qml.QubitUnitary(op.matrix, wires=ws))
        elif op.name == "Sdg":
            out.append(qml.adjoint(qml.S(ws)))
        elif op.name == "Tdg":
            out.append(qml.adjoint(qml.T(ws)))
        elif op.name == "I":
            out.append(qml.Identity(ws))
        elif op.name == "RZX":
            out.append(qml.PauliRot(ps[0], "ZX", wires=ws))
        elif op.name in _REVERSE:
            out.append(getattr(qml, _REVERSE[op.name])(*ps, wires=ws))
        else:
            raise ConversionError(f"IR gate {op.name} has no PennyLane operation")
    return out


# ------------------------------------------------------------------ the converter
def _columns(tape: Any, ir: IRTape, names: Sequence[str] | None) -> tuple[AffineAngle, ...]:
    cols = []
    for j, p in enumerate(ir.param_of):
        if names is not None and p < len(names) and names[p] is not None:
            cols.append(AffineAngle(names[p]))
        else:
            cols.append(AffineAngle(None, 1.0, float(ir.angles[0, j])))
    return tuple(cols)


def decompose_for(tape: Any, ir_gates: Iterable[str] | None = None) -> Any:
    """``tape`` decomposed by PennyLane to the gates of ``ir_gates`` (all IR gates by
    default), with measurements of mid-circuit values deferred."""
    from pennylane.devices.preprocess import decompose

    from vqnet_core.quantum import GATES

    gs = pl_gate_set(GATES if ir_gates is None else ir_gates)
    (t,), _ = decompose(tape, stopping_condition=lambda op: accepts(op, gs),
                        target_gates=set(gs), skip_initial_state_prep=False, name="vqnet")
    return t


def convert_tape(tape: Any, parameter_names: Sequence[str | None] | None = None,
                 gates: Iterable[str] | None = None, **_: Any) -> ForeignCircuit:
    """A ``QuantumScript`` as a :class:`ForeignCircuit` (the ``vqnet_circuit_converters``
    answer). Each tape parameter is an angle column; ``parameter_names`` (one per tape
    parameter of the *decomposed* tape, None for a constant) makes them free parameters,
    by default ``p0, p1, ...`` for the trainable ones."""
    t = decompose_for(tape, gates)
    ir = tape_to_ir(t)
    if ir.batch is not None:
        raise ConversionError("a broadcast tape: convert one without broadcasting")
    if parameter_names is None:
        trainable = set(t.trainable_params)
        parameter_names = [f"p{i}" if i in trainable else None
                           for i in range(len(t.get_parameters(trainable_only=False)))]
    meas = []
    for mp in t.measurements:
        m = measurement_to_ir(mp, wire_order(t))
        if m is None:
            raise ConversionError(f"measurement {mp} has no VQNet form (expval of a Pauli sum, "
                                  "probs, sample, state)")
        meas.append(m)
    return ForeignCircuit(ir.circuit, _columns(t, ir, parameter_names), tuple(meas), source=tape)


def convert_qnode(qnode: Any, *args: Any, **kwargs: Any) -> ForeignCircuit:
    """A QNode called with ``args`` / ``kwargs`` (its tape built by
    ``qml.workflow.construct_tape``), converted as by :func:`convert_tape`."""
    opts = {k: kwargs.pop(k) for k in ("parameter_names", "gates") if k in kwargs}
    tape = qml.workflow.construct_tape(qnode)(*args, **kwargs)
    return convert_tape(tape, **opts)


def _convert_qnode_obj(qnode: Any, args: Sequence[Any] = (), kwargs: dict | None = None,
                       **opts: Any) -> ForeignCircuit:
    return convert_qnode(qnode, *args, **(kwargs or {}), **opts)


CONVERTERS = {
    "pennylane.tape.qscript.QuantumScript": convert_tape,
    "pennylane.workflow.qnode.QNode": _convert_qnode_obj,
}
