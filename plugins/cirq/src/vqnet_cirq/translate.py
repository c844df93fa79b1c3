"""VQNet IR <-> ``cirq.Circuit``, observables <-> ``cirq.PauliSum``, NoiseModel -> Cirq noise.

Wire ``w`` is ``cirq.LineQubit(w)``; both libraries order basis states with the first qubit
most significant, so state vectors and bit strings agree index for index. IR -> Cirq builds one
circuit per structure whose angle column ``s`` is the sympy symbol ``a_s`` (:func:`symbol`);
a batch of angle rows is a Cirq sweep (:func:`sweep`). Cirq -> IR (:func:`from_cirq`) maps the
exponent gates with their conventions (``XPowGate(t, s) = e^{i pi t (s + 1/2)} RX(pi t)``,
checked against ``cirq.unitary`` in the tests), constant unknown gates to ``QubitUnitary`` and
parameterised unknown ones through ``cirq.decompose``.

>>> from vqnet_core.quantum import Circuit, Operation, ParamRef
>>> c = to_cirq(Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))]))
>>> print(c)
0: ───Ry(a_0)───@───
                │
1: ─────────────X───
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import cirq
import numpy as np
import sympy

from vqnet_core.quantum import (
    GATES,
    AffineAngle,
    Circuit,
    ConversionError,
    ForeignCircuit,
    Hamiltonian,
    Operation,
    ParamRef,
    Sample,
    UnsupportedError,
)
from vqnet_core.quantum.noise import Channel, NoiseModel

PI = float(np.pi)


def symbol(col: int) -> sympy.Symbol:
    """The sympy symbol of angle column ``col``."""
    return _symbol(int(col))


@cache
def _symbol(col: int) -> sympy.Symbol:
    return sympy.Symbol(f"a_{col}")


def qubits(n: int) -> list[cirq.LineQubit]:
    return cirq.LineQubit.range(n)


# ---------------------------------------------------------------------------- IR -> Cirq
class VQNetGate(cirq.Gate):
    """A VQNet gate Cirq has no parametric form of (``DoubleExcitation``): its unitary from
    VQNet's gate table, its angles resolved by Cirq's parameter protocol."""

    def __init__(self, name: str, k: int, params: tuple[Any, ...]) -> None:
        self.name, self.k, self.params = name, k, tuple(params)

    def _num_qubits_(self) -> int:
        return self.k

    def _is_parameterized_(self) -> bool:
        return any(cirq.is_parameterized(p) for p in self.params)

    def _parameter_names_(self):
        return {n for p in self.params for n in cirq.parameter_names(p)}

    def _resolve_parameters_(self, resolver, recursive):
        return VQNetGate(self.name, self.k, tuple(
            cirq.resolve_parameters(p, resolver, recursive) for p in self.params))

    def _has_unitary_(self) -> bool:
        return not self._is_parameterized_()

    def _unitary_(self):
        if self._is_parameterized_():
            return NotImplemented
        return GATES[self.name].matrix([np.array([float(p)]) for p in self.params], self.k)[0]

    def _circuit_diagram_info_(self, args):
        body = f"{self.name}({', '.join(str(p) for p in self.params)})"
        return [body] + [f"{self.name}#{i + 1}" for i in range(1, self.k)]

    def _value_equality_values_(self):
        return self.name, self.k, self.params

    def __eq__(self, other):
        return isinstance(other, VQNetGate) and self._value_equality_values_() == \
            other._value_equality_values_()

    def __hash__(self):
        return hash(self._value_equality_values_())


def _p(x: Any) -> Any:
    """A ParamRef as its symbol, a constant as a float."""
    return symbol(x.index) if isinstance(x, ParamRef) else float(x)


_CONST_1Q = {"I": cirq.I, "H": cirq.H, "X": cirq.X, "Y": cirq.Y, "Z": cirq.Z, "S": cirq.S,
             "Sdg": cirq.S**-1, "T": cirq.T, "Tdg": cirq.T**-1, "SX": cirq.X**0.5}
_CONST_NQ = {"CNOT": cirq.CNOT, "CZ": cirq.CZ, "CY": cirq.ControlledGate(cirq.Y),
             "CH": cirq.ControlledGate(cirq.H), "SWAP": cirq.SWAP, "ISWAP": cirq.ISWAP,
             "Toffoli": cirq.CCX, "CCZ": cirq.CCZ, "CSWAP": cirq.CSWAP}


def op_to_cirq(name: str, qs: Sequence[cirq.Qid], ps: Sequence[Any],
               matrix: np.ndarray | None = None) -> list[cirq.Operation]:
    """The Cirq operations of one VQNet operation (``ps``: floats or sympy expressions)."""
    qs = list(qs)
    if name in _CONST_1Q:
        return [_CONST_1Q[name].on(*qs)]
    if name in _CONST_NQ:
        return [_CONST_NQ[name].on(*qs)]
    rot = {"RX": cirq.rx, "RY": cirq.ry, "RZ": cirq.rz}
    if name in rot:
        return [rot[name](ps[0]).on(*qs)]
    if name in ("PhaseShift", "U1"):
        return [cirq.ZPowGate(exponent=ps[0] / PI).on(*qs)]
    if name == "Rot":  # RZ(omega) RY(theta) RZ(phi)
        return [cirq.rz(ps[0]).on(*qs), cirq.ry(ps[1]).on(*qs), cirq.rz(ps[2]).on(*qs)]
    if name == "U3":  # Phase(phi) RY(theta) Phase(lam)
        return [cirq.ZPowGate(exponent=ps[2] / PI).on(*qs), cirq.ry(ps[0]).on(*qs),
                cirq.ZPowGate(exponent=ps[1] / PI).on(*qs)]
    if name == "U2":
        return [cirq.ZPowGate(exponent=ps[1] / PI).on(*qs), cirq.ry(PI / 2).on(*qs),
                cirq.ZPowGate(exponent=ps[0] / PI).on(*qs)]
    crot = {"CRX": cirq.rx, "CRY": cirq.ry, "CRZ": cirq.rz}
    if name in crot:
        return [cirq.ControlledGate(crot[name](ps[0])).on(*qs)]
    if name == "ControlledPhaseShift":
        return [cirq.CZPowGate(exponent=ps[0] / PI).on(*qs)]
    if name == "CRot":
        return [cirq.ControlledGate(g(p)).on(*qs)
                for g, p in ((cirq.rz, ps[0]), (cirq.ry, ps[1]), (cirq.rz, ps[2]))]
    pauli2 = {"RXX": cirq.XXPowGate, "RYY": cirq.YYPowGate, "RZZ": cirq.ZZPowGate}
    if name in pauli2:  # exp(-i t/2 PP) = (PP)^(t/pi) with global shift -1/2
        return [pauli2[name](exponent=ps[0] / PI, global_shift=-0.5).on(*qs)]
    if name == "RZX":  # H on the target turns ZZ into ZX
        return [cirq.H.on(qs[1]), cirq.ZZPowGate(exponent=ps[0] / PI, global_shift=-0.5).on(
            *qs), cirq.H.on(qs[1])]
    if name == "IsingXY":
        return [cirq.ISwapPowGate(exponent=ps[0] / PI).on(*qs)]
    if name == "SingleExcitation":  # Givens rotation by theta / 2
        return [cirq.givens(ps[0] / 2).on(*qs)]
    if name == "MultiRZ":
        if len(qs) == 1:
            return [cirq.rz(ps[0]).on(qs[0])]
        ladder = [cirq.CNOT.on(a, b) for a, b in zip(qs, qs[1:])]
        return ladder + [cirq.rz(ps[0]).on(qs[-1])] + ladder[::-1]
    if name == "MultiControlledX":
        return [cirq.X.controlled(num_controls=len(qs) - 1).on(*qs)]
    if name == "QubitUnitary":
        return [cirq.MatrixGate(np.asarray(matrix, dtype=complex)).on(*qs)]
    if name in GATES:
        return [VQNetGate(name, len(qs), tuple(ps)).on(*qs)]
    raise UnsupportedError(f"gate {name} has no Cirq translation")


def channel_to_cirq(ch: Channel) -> cirq.Gate:
    """A core noise channel as the Cirq channel of the same name where Cirq has one
    (``cirq.depolarize``, ``cirq.amplitude_damp``, ...), else a ``cirq.KrausChannel``."""
    ks = ch.kraus or _kraus_from_superop(ch.superop)
    if ch.name == "depolarizing":
        return cirq.depolarize(1.0 - abs(ks[0][0, 0]) ** 2)
    if ch.name == "amplitude_damping":
        return cirq.amplitude_damp(abs(ks[1][0, 1]) ** 2)
    if ch.name == "phase_damping":
        return cirq.phase_damp(abs(ks[1][1, 1]) ** 2)
    if ch.name == "bit_flip":
        return cirq.bit_flip(abs(ks[1][0, 1]) ** 2)
    if ch.name == "phase_flip":
        return cirq.phase_flip(abs(ks[1][0, 0]) ** 2)
    return cirq.KrausChannel([np.asarray(k, dtype=complex) for k in ks])


def _kraus_from_superop(S: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kraus operators of a single-qubit channel from its superoperator ``sum K (x) conj K``
    (row-major vectorisation): the eigenvectors of its Choi matrix."""
    S = np.asarray(S, dtype=complex).reshape(2, 2, 2, 2)  # [i, k, j, l]: rho[j,l] -> out[i,k]
    choi = S.transpose(0, 2, 1, 3).reshape(4, 4)  # [(i, j), (k, l)]
    vals, vecs = np.linalg.eigh((choi + choi.conj().T) / 2)
    return tuple(np.sqrt(v) * vecs[:, i].reshape(2, 2) for i, v in enumerate(vals) if v > 1e-12)


def to_cirq(circuit: Circuit, noise: NoiseModel | None = None) -> cirq.Circuit:
    """The Cirq circuit of ``circuit`` on ``LineQubit``s (angle column ``s`` = ``a_s``); with
    ``noise``, each gate is followed by the model's channels on its wires."""
    q = qubits(circuit.num_wires)
    ops: list[cirq.Operation] = []
    for op in circuit.ops:
        ops += op_to_cirq(op.name, [q[w] for w in op.wires], [_p(p) for p in op.params],
                          op.matrix)
        if noise is not None and noise.has_gate_noise:
            ops += [channel_to_cirq(ch).on(q[w]) for ch, w in noise.channels_after(
                op.name, op.wires)]
    return cirq.Circuit(ops)


def sweep(angles: np.ndarray, num_angles: int) -> list[cirq.ParamResolver]:
    """One ``cirq.ParamResolver`` per angle row (``a_s`` -> ``angles[b, s]``)."""
    syms = [symbol(s) for s in range(num_angles)]
    return [cirq.ParamResolver(dict(zip(syms, map(float, row[:num_angles])))) for row in angles]


def to_pauli_sum(obs: Any, n: int) -> cirq.PauliSum:
    """A VQNet observable (Hamiltonian, dict, Pauli string) as a ``cirq.PauliSum`` on
    ``LineQubit``s."""
    h = Hamiltonian.from_any(obs)
    q = qubits(n)
    P = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}
    out = cirq.PauliSum()
    for c, term in h.terms:
        out += cirq.PauliString({q[w]: P[p] for w, p in term}, coefficient=c)
    return out


def from_pauli_sum(obs: cirq.PauliSum | cirq.PauliString, qubit_order: Sequence[cirq.Qid]
                   ) -> Hamiltonian:
    """A ``cirq.PauliSum`` / ``PauliString`` as a Hamiltonian, wire ``i`` = ``qubit_order[i]``;
    complex coefficients or qubits outside the order raise a ConversionError."""
    index = {qb: i for i, qb in enumerate(qubit_order)}
    strings = [obs] if isinstance(obs, cirq.PauliString) else list(cirq.PauliSum.wrap(obs))
    terms = []
    for ps in strings:
        c = complex(ps.coefficient)
        if abs(c.imag) > 1e-12:
            raise ConversionError(f"the Pauli string {ps} has a complex coefficient {c}; "
                                  "observables need real ones")
        term = []
        for qb, p in ps.items():
            if qb not in index:
                raise ConversionError(f"the observable acts on qubit {qb}, which is not in "
                                      f"the qubit order {list(qubit_order)}")
            term.append((index[qb], str(p)))
        terms.append((c.real, tuple(sorted(term))))
    return Hamiltonian(tuple(terms))


# ---------------------------------------------------------------------------- Cirq -> IR
class _Builder:
    """Collects IR operations and the affine angle columns they read."""

    def __init__(self, allowed: set[str] | None, keep_global_phase: bool) -> None:
        self.ops: list[Operation] = []
        self.columns: list[AffineAngle] = []
        self._col: dict[AffineAngle, int] = {}
        self.allowed = allowed
        self.keep_phase = keep_global_phase
        self.phase: list[tuple[Any, int]] = []  # (phase expression, wire) pairs, deferred

    def angle(self, expr: Any, where: str) -> ParamRef | float:
        """A float for a constant, a ParamRef to an affine column for ``a * s + b``."""
        expr = sympy.sympify(expr)
        free = expr.free_symbols
        if not free:
            return float(expr)
        if len(free) > 1:
            raise ConversionError(f"{where}: the angle {expr} depends on several symbols "
                                  f"({', '.join(sorted(map(str, free)))}); each angle must be "
                                  "affine in one symbol")
        (s,) = free
        name = str(s)
        if self.allowed is not None and name not in self.allowed:
            raise ConversionError(f"{where}: symbol {name!r} is neither an input nor a weight "
                                  f"(known: {', '.join(sorted(self.allowed)) or 'none'})")
        off, rest = expr.as_coeff_Add()
        scale, sym = rest.as_coeff_Mul()
        if sym is s:  # the common a * s + b, without sympy's diff (slow on big circuits)
            col = AffineAngle(name, float(scale), float(off))
        else:
            d = sympy.diff(expr, s)
            if d.free_symbols:
                raise ConversionError(f"{where}: the angle {expr} is not affine in {name}")
            col = AffineAngle(name, float(d), float(expr.subs(s, 0)))
        if col not in self._col:
            self._col[col] = len(self.columns)
            self.columns.append(col)
        return ParamRef(self._col[col])

    def add(self, name: str, wires: Sequence[int], params: Iterable[Any] = (), where: str = "",
            matrix: np.ndarray | None = None) -> None:
        ps = tuple(self.angle(p, where if where != "" else name) for p in params)
        self.ops.append(Operation(name, tuple(wires), ps, matrix))

    def global_phase(self, expr: Any, wire: int) -> None:
        """``e^{i expr}`` as ``PhaseShift(2 expr) RZ(-2 expr)`` on ``wire`` (kept only with
        ``keep_global_phase``: a circuit's global phase is not observable)."""
        expr = sympy.sympify(expr)
        if self.keep_phase and expr != 0:
            self.add("PhaseShift", (wire,), (2 * expr,), "global phase")
            self.add("RZ", (wire,), (-2 * expr,), "global phase")


class _Where:
    """``operation <op>`` for error messages, formatted only when one is raised."""

    def __init__(self, op: Any) -> None:
        self.op = op

    def __str__(self) -> str:
        return f"operation {self.op}"


def _is_const(x: Any) -> bool:
    return not cirq.is_parameterized(x)


def _eq(x: Any, v: float) -> bool:
    return _is_const(x) and abs(float(x) - v) < 1e-12


_PAULI_POW = {cirq.XPowGate: "RX", cirq.YPowGate: "RY", cirq.ZPowGate: "RZ"}
_PAIR_POW = {cirq.XXPowGate: "RXX", cirq.YYPowGate: "RYY", cirq.ZZPowGate: "RZZ"}


def _gate_to_ir(b: _Builder, gate: cirq.Gate, w: list[int], where: str) -> bool:
    """Append the IR of a known gate; False when the gate is not one of the known kinds."""
    pi = sympy.pi
    if isinstance(gate, cirq.IdentityGate):
        return True
    if isinstance(gate, cirq.GlobalPhaseGate):
        return True
    for cls, name in _PAULI_POW.items():
        if type(gate) is cls or (isinstance(gate, cls) and type(gate).__name__ in
                                 ("Rx", "Ry", "Rz")):
            t, s = gate.exponent, gate.global_shift
            if name == "RZ" and _eq(s, 0.0):  # Z^t = PhaseShift(pi t) exactly
                if _eq(t, 1.0):
                    b.add("Z", w)
                elif _eq(t, 0.5):
                    b.add("S", w)
                elif _eq(t, -0.5):
                    b.add("Sdg", w)
                elif _eq(t, 0.25):
                    b.add("T", w)
                elif _eq(t, -0.25):
                    b.add("Tdg", w)
                else:
                    b.add("PhaseShift", w, (pi * t,), where)
                return True
            if _eq(s, 0.0) and _eq(t, 1.0):
                b.add(name[1], w)
                return True
            if name == "RX" and _eq(s, 0.0) and _eq(t, 0.5):
                b.add("SX", w)
                return True
            b.add(name, w, (pi * t,), where)
            b.global_phase(pi * t * (s + sympy.Rational(1, 2)), w[0])
            return True
    if type(gate) is cirq.HPowGate and _eq(gate.exponent, 1.0) and _eq(gate.global_shift, 0):
        b.add("H", w)
        return True
    if type(gate) is cirq.PhasedXPowGate:  # Z^p X^t Z^-p
        p, t, s = gate.phase_exponent, gate.exponent, gate.global_shift
        b.add("PhaseShift", w, (-pi * p,), where)
        b.add("RX", w, (pi * t,), where)
        b.add("PhaseShift", w, (pi * p,), where)
        b.global_phase(pi * t * (s + sympy.Rational(1, 2)), w[0])
        return True
    if type(gate) is cirq.CZPowGate:
        t, s = gate.exponent, gate.global_shift
        if _eq(t, 1.0) and _eq(s, 0):
            b.add("CZ", w)
        else:
            b.add("ControlledPhaseShift", w, (pi * t,), where)
            b.global_phase(pi * t * s, w[0])
        return True
    if type(gate) is cirq.CXPowGate:
        t, s = gate.exponent, gate.global_shift
        if _eq(t, 1.0) and _eq(s, 0):
            b.add("CNOT", w)
        else:  # C(X^t) = C(e^{i pi t/2} RX(pi t)): CRX and a phase on the control
            b.add("CRX", w, (pi * t,), where)
            b.add("PhaseShift", w[:1], (pi * t / 2,), where)
            b.global_phase(pi * t * s, w[0])
        return True
    for cls, name in _PAIR_POW.items():
        if type(gate) is cls:
            t, s = gate.exponent, gate.global_shift
            b.add(name, w, (pi * t,), where)
            b.global_phase(pi * t * (s + sympy.Rational(1, 2)), w[0])
            return True
    if type(gate) is cirq.ISwapPowGate:
        t, s = gate.exponent, gate.global_shift
        if _eq(t, 1.0) and _eq(s, 0):
            b.add("ISWAP", w)
        else:
            b.add("IsingXY", w, (pi * t,), where)
            b.global_phase(pi * t * s, w[0])
        return True
    if type(gate) is cirq.SwapPowGate and _eq(gate.exponent, 1.0) and _eq(gate.global_shift, 0):
        b.add("SWAP", w)
        return True
    if type(gate) is cirq.FSimGate:  # IsingXY(-2 theta) then CPhase(-phi)
        b.add("IsingXY", w, (-2 * sympy.sympify(gate.theta),), where)
        b.add("ControlledPhaseShift", w, (-sympy.sympify(gate.phi),), where)
        return True
    if type(gate) is cirq.CCZPowGate and _eq(gate.exponent, 1.0) and _eq(gate.global_shift, 0):
        b.add("CCZ", w)
        return True
    if type(gate) is cirq.CCXPowGate and _eq(gate.exponent, 1.0) and _eq(gate.global_shift, 0):
        b.add("Toffoli", w)
        return True
    if type(gate) is cirq.CSwapGate:
        b.add("CSWAP", w)
        return True
    if isinstance(gate, VQNetGate):
        b.add(gate.name, w, gate.params, where)
        return True
    if isinstance(gate, cirq.ControlledGate) and gate.control_values.is_trivial and \
            all(d == 2 for d in gate.control_qid_shape):
        sub, nc = gate.sub_gate, gate.num_controls()
        if nc == 1:
            for cls, name in _PAULI_POW.items():
                if isinstance(sub, cls) and _eq(sub.global_shift, -0.5):
                    b.add("C" + name, w, (pi * sub.exponent,), where)
                    return True
            for g, name in ((cirq.Y, "CY"), (cirq.H, "CH"), (cirq.X, "CNOT"), (cirq.Z, "CZ")):
                if sub == g:
                    b.add(name, w)
                    return True
        if sub == cirq.X:
            b.add("MultiControlledX", w)
            return True
    return False


def from_cirq(circuit: cirq.AbstractCircuit, qubit_order: Sequence[cirq.Qid] | None = None,
              inputs: Sequence[str] | None = None, weights: Sequence[str] | None = None,
              keep_global_phase: bool = False, measurements: bool = True) -> ForeignCircuit:
    """A ``cirq.Circuit`` as a :class:`~vqnet_core.quantum.ForeignCircuit`.

    ``qubit_order``: the qubits in wire order (default: the circuit's qubits sorted, so
    ``LineQubit(i)`` / ``GridQubit`` rows come in their natural order). Angles must be affine
    in one sympy symbol each; with ``inputs`` / ``weights`` given, any other symbol is refused.
    Terminal measurements become one ``Sample`` of their qubits (their keys are in the error
    when they are not terminal; ``measurement_keys`` / ``measurement_wires`` keep them, per
    key); channels and other non-unitary operations are refused, naming
    them. ``keep_global_phase`` keeps each gate's global phase (as a phase pair on its first
    wire) so that the IR unitary equals ``cirq.unitary`` exactly, not only up to a phase.
    """
    if isinstance(circuit, cirq.FrozenCircuit):
        circuit = circuit.unfreeze()
    if not isinstance(circuit, cirq.AbstractCircuit):
        raise ConversionError(f"expected a cirq.Circuit, got {type(circuit).__name__}")
    order = list(qubit_order) if qubit_order is not None else sorted(circuit.all_qubits())
    index = {q: i for i, q in enumerate(order)}
    missing = sorted(set(circuit.all_qubits()) - set(index))
    if missing:
        raise ConversionError(f"the circuit acts on qubit(s) {missing} missing from "
                              f"qubit_order {order}")
    for q in order:
        if q.dimension != 2:
            raise ConversionError(f"qubit {q} is not a qubit (dimension {q.dimension})")
    allowed = None if inputs is None and weights is None else {
        str(s) for s in [*(inputs or ()), *(weights or ())]}
    b = _Builder(allowed, keep_global_phase)
    measured: list[int] = []
    keys: list[str] = []
    ops = list(circuit.all_operations())
    last_touch: dict[int, int] = {}
    for i, op in enumerate(ops):
        for q in op.qubits:
            last_touch[index[q]] = i

    def handle(op: cirq.Operation, pos: int, depth: int = 0) -> None:
        where = _Where(op)
        if cirq.is_measurement(op):
            key = cirq.measurement_key_name(op) if cirq.is_measurement(op) else "?"
            ws = [index[q] for q in op.qubits]
            if not measurements:
                raise ConversionError(f"measurement {key!r} on {list(op.qubits)}: this circuit "
                                      "is converted without measurements (a layer measures its "
                                      "observables); remove it")
            if depth or any(last_touch[x] != pos for x in ws) or \
                    not isinstance(getattr(op, "gate", None), cirq.MeasurementGate):
                raise ConversionError(f"measurement {key!r} on {list(op.qubits)} is not at the "
                                      "end of the circuit; VQNet circuits measure only at the "
                                      "end (pass the measurement you want to the machine)")
            g = op.gate
            if any(g.full_invert_mask()) or g.confusion_map:
                raise ConversionError(f"measurement {key!r} has an invert mask or a confusion "
                                      "map; VQNet's samples have neither")
            measured.extend(ws)
            keys.append((key, tuple(ws)))
            return
        if isinstance(op, cirq.TaggedOperation):
            handle(op.sub_operation, pos, depth)
            return
        w = [index[q] for q in op.qubits]
        gate = getattr(op, "gate", None)
        if gate is not None and _gate_to_ir(b, gate, w, where):
            return
        if not cirq.is_parameterized(op) and cirq.has_unitary(op):
            if len(w) == 0:
                return
            b.add("QubitUnitary", w, (), where, cirq.unitary(op))
            return
        if not cirq.is_parameterized(op) or isinstance(getattr(op, "gate", None), (
                cirq.DepolarizingChannel, cirq.AmplitudeDampingChannel, cirq.KrausChannel,
                cirq.ResetChannel)):
            raise ConversionError(f"{where} is not unitary (a channel or reset); VQNet "
                                  "circuits hold unitary gates only (noise goes into a "
                                  "machine's noise_model)")
        sub = cirq.decompose_once(op, default=None)
        if sub is None or depth > 20:
            raise ConversionError(f"{where}: Cirq cannot decompose this parameterised gate "
                                  "into gates VQNet knows")
        for s in sub:
            handle(s, pos, depth + 1)

    for i, op in enumerate(ops):
        handle(op, i)
    ms = (Sample(tuple(measured)),) if measured else ()
    fc = ForeignCircuit(Circuit(len(order), b.ops), columns=tuple(b.columns), measurements=ms,
                        source=circuit)
    object.__setattr__(fc, "measurement_keys", tuple(k for k, _ in keys))
    object.__setattr__(fc, "measurement_wires", tuple(keys))
    object.__setattr__(fc, "qubit_order", tuple(order))
    return fc
