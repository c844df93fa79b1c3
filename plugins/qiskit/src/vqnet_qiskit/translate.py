"""VQNet IR <-> Qiskit: circuits, observables and noise models.

Wire ``w`` of a VQNet circuit is Qiskit qubit ``w``. The two libraries order basis states
differently: VQNet's wire 0 is the *most* significant bit of a state index, Qiskit's qubit 0
the *least* significant one (and the rightmost letter of a Pauli label). :func:`to_vqnet_order`
turns a Qiskit state (or density matrix) into VQNet's order; matrices of unitaries are reversed
in the same way, so that a gate means the same thing on the same wires in both libraries.

IR -> Qiskit (:func:`to_qiskit`): one parametrised ``QuantumCircuit`` for a circuit structure;
column ``s`` of the angle batch is ``ParameterVector("a")[s]``, so one circuit serves a whole
batch. Gates Qiskit has by name are used by name; ``IsingXY``, ``SingleExcitation``,
``DoubleExcitation`` and ``MultiRZ`` become a ``PauliEvolutionGate`` of their generator (its
Pauli terms commute, so the evolution is exact); ``QubitUnitary`` a ``UnitaryGate``.

Qiskit -> IR (:func:`from_qiskit`, registered for ``QuantumCircuit`` through the
``vqnet_circuit_converters`` hook): bound and free parameters (``Parameter``,
``ParameterVector`` elements, expressions affine in one parameter such as ``2*t + 1``);
standard gates by name, any other gate through its Qiskit ``definition``; barriers and delays
are ignored and final measurements become a ``Sample`` (clbit order). Resets, mid-circuit
measurements, classical control flow and parameters outside the given inputs / weights raise
a :class:`~vqnet_core.quantum.ConversionError` that names them. The IR has no global phase: a
circuit's ``global_phase`` is dropped (it changes no expval, probability or sample).

>>> from qiskit import QuantumCircuit
>>> from qiskit.circuit import Parameter
>>> t = Parameter("t")
>>> qc = QuantumCircuit(2); _ = qc.ry(2 * t + 1, 0); _ = qc.cx(0, 1)
>>> fc = from_qiskit(qc)
>>> fc.parameters, fc.columns[0]
(('t',), AffineAngle(name='t', scale=2.0, offset=1.0))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from vqnet_core.quantum import (
    GATES,
    AffineAngle,
    Circuit,
    ConversionError,
    Expval,
    ForeignCircuit,
    Hamiltonian,
    Operation,
    ParamRef,
    Sample,
)
from vqnet_core.quantum.noise import NoiseModel

# ---------------------------------------------------------------------------- bit order


def to_vqnet_order(a: np.ndarray, n: int, density: bool = False) -> np.ndarray:
    """A Qiskit state ``[..., 2^n]`` (or, with ``density``, a density matrix or operator
    ``[..., 2^n, 2^n]``) in VQNet's order, wire 0 most significant; its own inverse."""
    a = np.asarray(a)
    if n <= 1:
        return a
    nd = 2 if density else 1
    lead = a.shape[:-nd]
    k = len(lead)
    t = a.reshape(lead + (2,) * (nd * n))
    axes = list(range(k))
    for j in range(nd):
        axes += [k + j * n + n - 1 - i for i in range(n)]
    return t.transpose(axes).reshape(a.shape)


def reverse_matrix(m: np.ndarray) -> np.ndarray:
    """A ``2^k x 2^k`` matrix with its qubit order reversed (big- <-> little-endian)."""
    m = np.asarray(m)
    k = int(round(np.log2(m.shape[0])))
    return to_vqnet_order(m, k, density=True)


# ---------------------------------------------------------------------------- observables


def to_sparse_pauli_op(observable: Any, num_qubits: int) -> Any:
    """A VQNet observable (Hamiltonian, dict or Pauli string) as a ``SparsePauliOp`` on
    ``num_qubits`` qubits (wire ``w`` is qubit ``w``, the ``w``-th letter from the right)."""
    from qiskit.quantum_info import SparsePauliOp

    h = Hamiltonian.from_any(observable)
    if any(w >= num_qubits for w in h.wires):
        raise ConversionError(f"observable {h!r} acts on wire {max(h.wires)}, outside "
                              f"{num_qubits} qubits")
    labels, coeffs = [], []
    for c, term in h.terms:
        chars = ["I"] * num_qubits
        for w, p in term:
            chars[num_qubits - 1 - w] = p
        labels.append("".join(chars))
        coeffs.append(c)
    if not labels:
        labels, coeffs = ["I" * num_qubits], [0.0]
    return SparsePauliOp(labels, np.asarray(coeffs, dtype=complex))


def from_sparse_pauli_op(op: Any) -> Hamiltonian:
    """A Hermitian ``SparsePauliOp`` (or ``Pauli``, or a Qiskit Pauli label string) as a VQNet
    :class:`~vqnet_core.quantum.Hamiltonian`; raises on complex coefficients."""
    from qiskit.quantum_info import Pauli, SparsePauliOp

    if isinstance(op, str):
        op = SparsePauliOp(op)
    elif isinstance(op, Pauli):
        op = SparsePauliOp(op)
    if not isinstance(op, SparsePauliOp):
        raise ConversionError(f"expected a SparsePauliOp, Pauli or label, got "
                              f"{type(op).__name__}")
    terms = []
    for label, c in op.to_list():
        c = complex(c)
        if abs(c.imag) > 1e-12 * max(1.0, abs(c)):
            raise ConversionError(f"the coefficient of {label!r} is {c}; an observable needs "
                                  "real coefficients (a Hermitian operator)")
        n = len(label)
        word = " ".join(f"{p}{n - 1 - i}" for i, p in enumerate(label) if p != "I")
        terms.append((word, c.real))
    return Hamiltonian.from_any([(c, w) for w, c in terms])


# ---------------------------------------------------------------------------- IR -> Qiskit

# VQNet gate -> Qiskit QuantumCircuit method name, when the parameters map one to one
_DIRECT = {
    "I": "id", "H": "h", "X": "x", "Y": "y", "Z": "z", "S": "s", "Sdg": "sdg", "T": "t",
    "Tdg": "tdg", "SX": "sx", "CNOT": "cx", "CY": "cy", "CZ": "cz", "CH": "ch",
    "SWAP": "swap", "ISWAP": "iswap", "Toffoli": "ccx", "CCZ": "ccz", "CSWAP": "cswap",
    "RX": "rx", "RY": "ry", "RZ": "rz", "PhaseShift": "p", "U1": "p", "U3": "u",
    "CRX": "crx", "CRY": "cry", "CRZ": "crz", "ControlledPhaseShift": "cp", "RXX": "rxx",
    "RYY": "ryy", "RZZ": "rzz", "RZX": "rzx",
}
#: gates translated as the evolution under their (commuting-Pauli) generator
_EVOLVED = ("IsingXY", "SingleExcitation", "DoubleExcitation", "MultiRZ")


@lru_cache(maxsize=64)
def _generator_op(name: str, k: int) -> Any:
    """The generator of ``name`` on ``k`` wires as a SparsePauliOp in Qiskit's qubit order of
    the gate's wires (the op is appended on the wires as given)."""
    from qiskit.quantum_info import Operator, SparsePauliOp

    G = GATES[name].generator(0, k)
    op = SparsePauliOp.from_operator(Operator(reverse_matrix(G)))
    return op.simplify()


def append_operation(qc: Any, op: Operation, value: Any) -> None:
    """Append IR operation ``op`` to ``qc``; ``value(p)`` turns a parameter (a ParamRef or a
    float) into what Qiskit takes (a ParameterVector element or a float)."""
    name, w = op.name, list(op.wires)
    ps = [value(p) for p in op.params]
    if name in _DIRECT:
        getattr(qc, _DIRECT[name])(*ps, *w)
    elif name == "U2":
        qc.u(np.pi / 2, ps[0], ps[1], w[0])
    elif name == "Rot":
        qc.rz(ps[0], w[0])
        qc.ry(ps[1], w[0])
        qc.rz(ps[2], w[0])
    elif name == "CRot":
        qc.crz(ps[0], w[0], w[1])
        qc.cry(ps[1], w[0], w[1])
        qc.crz(ps[2], w[0], w[1])
    elif name == "MultiControlledX":
        qc.mcx(w[:-1], w[-1])
    elif name == "MultiRZ" and len(w) == 1:
        qc.rz(ps[0], w[0])
    elif name in _EVOLVED:
        from qiskit.circuit.library import PauliEvolutionGate
        qc.append(PauliEvolutionGate(_generator_op(name, len(w)), time=ps[0]), w)
    elif name == "QubitUnitary":
        from qiskit.circuit.library import UnitaryGate
        qc.append(UnitaryGate(reverse_matrix(op.matrix), check_input=False), w)
    else:  # pragma: no cover - every gate of the table is handled above
        raise ConversionError(f"no Qiskit translation for gate {name}")


def to_qiskit(circuit: Circuit, parameter_name: str = "a", noise_marks: bool = False,
              noise_model: NoiseModel | None = None) -> Any:
    """``circuit`` as a parametrised ``QuantumCircuit``: ``ParamRef(s)`` is
    ``ParameterVector(parameter_name, S)[s]``. With a ``noise_model``, an identity gate labelled
    ``vqnet_noise_<j>`` follows each gate on each wire that channel ``j`` acts on (see
    :func:`to_aer_noise_model`).

    >>> from vqnet_core.quantum import Circuit, Operation, ParamRef
    >>> qc = to_qiskit(Circuit(1, [Operation("RX", (0,), (ParamRef(0),))]))
    >>> [i.operation.name for i in qc.data], qc.num_parameters
    (['rx'], 1)
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import IGate

    S = circuit.num_angles
    vec = ParameterVector(parameter_name, S)
    qc = QuantumCircuit(circuit.num_wires)

    def value(p: Any) -> Any:
        return vec[p.index] if isinstance(p, ParamRef) else float(p)

    labels = noise_labels(noise_model) if noise_model is not None else {}
    for op in circuit.ops:
        append_operation(qc, op, value)
        if noise_model is not None:
            for ch, w in noise_model.channels_after(op.name, op.wires):
                qc.append(IGate(label=labels[id(ch)]), [w])
    return qc


def to_qiskit_observables(measurements: Iterable[Any], num_qubits: int) -> list[Any]:
    """The ``SparsePauliOp`` of every ``Expval`` in ``measurements``."""
    return [to_sparse_pauli_op(m.observable, num_qubits) for m in measurements
            if m.kind == "expval"]


# ---------------------------------------------------------------------------- noise


def kraus_of(channel: Any) -> list[np.ndarray]:
    """Kraus operators of a core noise ``Channel`` (from its superoperator when it has none)."""
    if channel.kraus:
        return [np.asarray(k) for k in channel.kraus]
    # S = sum_k K (x) conj(K) on the row-major vec: S[(i,j),(k,l)] = sum K[i,k] conj(K[j,l]);
    # the Choi matrix C[(i,k),(j,l)] = S[(i,j),(k,l)] = sum vec(K) vec(K)^dagger
    S = np.asarray(channel.superop).reshape(2, 2, 2, 2)
    C = S.transpose(0, 2, 1, 3).reshape(4, 4)
    ev, vecs = np.linalg.eigh((C + C.conj().T) / 2)
    return [np.sqrt(e) * vecs[:, i].reshape(2, 2) for i, e in enumerate(ev) if e > 1e-14]


def noise_labels(noise_model: NoiseModel) -> dict[int, str]:
    """``id(channel) -> label`` for the channels of a noise model, in rule order."""
    out: dict[int, str] = {}
    for r in noise_model.rules:
        out.setdefault(id(r.channel), f"vqnet_noise_{len(out)}")
    return out


def to_aer_noise_model(noise_model: NoiseModel, num_qubits: int | None = None) -> Any:
    """The core ``NoiseModel`` as a ``qiskit_aer.noise.NoiseModel`` for circuits built by
    :func:`to_qiskit` with the same ``noise_model``: each channel is the Kraus error of the
    identity marker gates labelled for it; readout errors become Aer ``ReadoutError`` s (per
    qubit when ``num_qubits`` is given, for every qubit otherwise)."""
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_aer.noise import ReadoutError, kraus_error

    aer = AerNoiseModel(basis_gates=None)
    labels = noise_labels(noise_model)
    done = set()
    for r in noise_model.rules:
        key = id(r.channel)
        if key in done:
            continue
        done.add(key)
        aer.add_all_qubit_quantum_error(kraus_error(kraus_of(r.channel)), labels[key])

    def ro(M: np.ndarray) -> Any:  # M[measured, true]; Aer's rows are the true outcomes
        return ReadoutError(np.asarray(M).T.tolist())
    if num_qubits is None:
        if noise_model.readout_all is not None:
            aer.add_all_qubit_readout_error(ro(noise_model.readout_all))
        for w, M in noise_model.readout.items():
            aer.add_readout_error(ro(M), [w])
    else:
        for w, M in noise_model.readout_matrices(num_qubits).items():
            aer.add_readout_error(ro(M), [w])
    return aer


# ---------------------------------------------------------------------------- Qiskit -> IR

# Qiskit instruction name -> VQNet gate, the parameters in the same order
_BY_NAME = {
    "id": "I", "h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "sdg": "Sdg", "t": "T",
    "tdg": "Tdg", "sx": "SX", "cx": "CNOT", "cy": "CY", "cz": "CZ", "ch": "CH",
    "swap": "SWAP", "iswap": "ISWAP", "ccx": "Toffoli", "ccz": "CCZ", "cswap": "CSWAP",
    "rx": "RX", "ry": "RY", "rz": "RZ", "p": "PhaseShift", "u1": "U1", "u": "U3", "u3": "U3",
    "u2": "U2", "crx": "CRX", "cry": "CRY", "crz": "CRZ", "cp": "ControlledPhaseShift",
    "cu1": "ControlledPhaseShift", "rxx": "RXX", "ryy": "RYY", "rzz": "RZZ", "rzx": "RZX",
    "mcx": "MultiControlledX", "mcx_gray": "MultiControlledX", "mcx_recursive":
    "MultiControlledX", "mcx_vchain": None,
}
_IGNORED = {"barrier", "delay", "global_phase"}
_REFUSED = {"reset": "a reset", "initialize": "initialize (it begins with resets)",
            "if_else": "classical control flow (if_else)", "while_loop":
            "classical control flow (while_loop)", "for_loop": "classical control flow "
            "(for_loop)", "switch_case": "classical control flow (switch_case)",
            "box": "a box (control-flow scope)", "store": "a classical store"}


def parameter_names(items: Any) -> list[str] | None:
    """Parameter names from Parameters, ParameterVectors, names or a mix (None stays None)."""
    if items is None:
        return None
    from qiskit.circuit import Parameter, ParameterVector

    if isinstance(items, (Parameter, ParameterVector, str)):
        items = [items]
    out: list[str] = []
    for it in items:
        if isinstance(it, ParameterVector):
            out.extend(p.name for p in it)
        elif isinstance(it, Parameter):
            out.append(it.name)
        elif isinstance(it, str):
            out.append(it)
        else:
            raise TypeError(f"expected Parameters, ParameterVectors or names, got {it!r}")
    return out


class _Builder:
    def __init__(self, allowed: set[str] | None) -> None:
        self.allowed = allowed
        self.columns: list[AffineAngle] = []
        self.index: dict[AffineAngle, int] = {}
        self.ops: list[Operation] = []

    def angle(self, value: Any, where: str) -> ParamRef | float:
        from qiskit.circuit import ParameterExpression

        if not isinstance(value, ParameterExpression):
            try:
                v = complex(value)
            except TypeError:
                raise ConversionError(f"{where}: parameter {value!r} is not a number") from None
            if abs(v.imag) > 1e-12:
                raise ConversionError(f"{where}: the angle {value!r} is complex")
            return float(v.real)
        params = list(value.parameters)
        if not params:
            return self.angle(complex(value), where)
        if len(params) > 1:
            raise ConversionError(f"{where}: the angle {value} depends on "
                                  f"{len(params)} parameters "
                                  f"({', '.join(sorted(p.name for p in params))}); an angle "
                                  "must be affine in one parameter (like 2*t + 1)")
        p = params[0]
        if self.allowed is not None and p.name not in self.allowed:
            raise ConversionError(f"{where}: parameter {p.name!r} is unbound and neither an "
                                  "input nor a weight; bind it (assign_parameters) or list it "
                                  "in inputs= / weights=")
        grad = value.gradient(p)
        if getattr(grad, "parameters", None):
            raise ConversionError(f"{where}: the angle {value} is not affine in {p.name} "
                                  "(an angle must be like scale * t + offset)")
        scale = complex(grad)
        offset = complex(value.bind({p: 0.0}))
        if abs(scale.imag) > 1e-12 or abs(offset.imag) > 1e-12:
            raise ConversionError(f"{where}: the angle {value} is complex")
        col = AffineAngle(p.name, float(scale.real), float(offset.real))
        j = self.index.get(col)
        if j is None:
            j = self.index[col] = len(self.columns)
            self.columns.append(col)
        return ParamRef(j)


def from_qiskit(qc: Any, inputs: Any = None, weights: Any = None,
                observables: Sequence[Any] | None = None) -> ForeignCircuit:
    """A ``QuantumCircuit`` as a :class:`~vqnet_core.quantum.ForeignCircuit`.

    ``inputs`` / ``weights``: the free parameters the circuit may have (Parameters,
    ParameterVectors or names); when both are None every free parameter is allowed.
    ``observables``: ``SparsePauliOp`` s (or VQNet observables) to measure as ``Expval`` s,
    instead of the circuit's own final measurements.
    """
    from qiskit import QuantumCircuit

    if not isinstance(qc, QuantumCircuit):
        raise TypeError(f"expected a qiskit QuantumCircuit, got {type(qc).__name__}")
    allowed = None
    if inputs is not None or weights is not None:
        allowed = set(parameter_names(inputs) or []) | set(parameter_names(weights) or [])
    b = _Builder(allowed)
    n = qc.num_qubits
    measured: dict[int, int] = {}  # clbit -> wire
    done: set[int] = set()
    _walk(qc, list(range(n)), b, measured, done, top=True)
    ms: tuple = ()
    if observables is not None:
        ms = tuple(Expval(o if isinstance(o, (Hamiltonian, dict, str)) and not _is_label(o)
                          else from_sparse_pauli_op(o)) for o in observables)
    elif measured:
        # a qubit measured into several clbits is sampled once (in its first clbit's place)
        ms = (Sample(list(dict.fromkeys(measured[c] for c in sorted(measured)))),)
    return ForeignCircuit(Circuit(n, b.ops), tuple(b.columns), ms, source=qc)


def _is_label(o: Any) -> bool:
    return isinstance(o, str) and bool(o) and set(o) <= set("IXYZ")


def _walk(qc: Any, qmap: list[int], b: _Builder, measured: dict[int, int], done: set[int],
          top: bool, depth: int = 0) -> None:
    from qiskit.circuit import ControlFlowOp, Gate

    if depth > 24:
        raise ConversionError("the circuit's gate definitions nest more than 24 levels deep")
    for pos, inst in enumerate(qc.data):
        op = inst.operation
        name = op.name
        wires = [qmap[qc.find_bit(q).index] for q in inst.qubits]
        where = f"instruction {pos} ({name} on qubits {wires})"
        if name in _IGNORED:
            continue
        if name == "measure":
            if not top:
                raise ConversionError(f"{where}: a measurement inside a gate definition")
            clbit = qc.find_bit(inst.clbits[0]).index
            if clbit in measured:
                raise ConversionError(f"{where}: clbit {clbit} is measured twice "
                                      "(mid-circuit measurement)")
            measured[clbit] = wires[0]
            done.add(wires[0])
            continue
        if isinstance(op, ControlFlowOp) or name in _REFUSED:
            what = _REFUSED.get(name, f"classical control flow ({name})")
            raise ConversionError(f"{where}: {what} cannot be converted to the VQNet IR")
        if inst.clbits:
            raise ConversionError(f"{where}: an instruction with classical bits")
        hit = done.intersection(wires)
        if hit:
            raise ConversionError(f"{where}: acts on qubit {min(hit)} after it was measured "
                                  "(mid-circuit measurement is not supported)")
        if not isinstance(op, Gate) and name not in ("unitary",):
            if op.definition is None:
                raise ConversionError(f"{where}: {name} is not a gate and has no definition")
        vname = _BY_NAME.get(name)
        if vname is not None and name.startswith("mcx") and op.num_ctrl_qubits + 1 != len(wires):
            vname = None  # an mcx with ancillas: take its definition
        if vname is not None:
            ps = tuple(b.angle(v, where) for v in op.params)
            b.ops.append(Operation(vname, tuple(wires), ps))
            continue
        if name == "unitary":
            m = np.asarray(op.to_matrix())
            b.ops.append(Operation("QubitUnitary", tuple(wires), (), matrix=reverse_matrix(m)))
            continue
        if name == "xx_plus_yy" and _is_zero(op.params[1]):
            b.ops.append(Operation("IsingXY", tuple(wires), (_neg(b.angle(op.params[0],
                                                                            where), b),)))
            continue
        definition = op.definition
        if definition is None:
            raise ConversionError(f"{where}: gate {name} has no VQNet equivalent and no Qiskit "
                                  "definition to decompose it")
        _walk(definition, wires, b, measured, done, top=False, depth=depth + 1)


def _is_zero(v: Any) -> bool:
    try:
        return float(v) == 0.0
    except TypeError:
        return False


def _neg(p: ParamRef | float, b: _Builder) -> ParamRef | float:
    if not isinstance(p, ParamRef):
        return -p
    c = b.columns[p.index]
    col = AffineAngle(c.name, -c.scale, -c.offset)
    j = b.index.get(col)
    if j is None:
        j = b.index[col] = len(b.columns)
        b.columns.append(col)
    return ParamRef(j)


# ---------------------------------------------------------------------------- OpenQASM 3


def to_qasm3(circuit: Circuit | Any) -> str:
    """OpenQASM 3 text of an IR circuit or of a ``QuantumCircuit``, by ``qiskit.qasm3.dumps``.
    An IR circuit's angle column ``s`` becomes the program input ``input float a<s>``.

    >>> from vqnet_core.quantum import Circuit, Operation, ParamRef
    >>> "input float[64] a0;" in to_qasm3(Circuit(1, [Operation("RX", (0,), (ParamRef(0),))]))
    True
    """
    from qiskit import qasm3
    from qiskit.circuit import Parameter

    if isinstance(circuit, Circuit):
        qc = to_qiskit(circuit)
        qc = qc.assign_parameters({p: Parameter(f"a{p.index}") for p in qc.parameters})
    else:
        qc = circuit
    return qasm3.dumps(qc)


def from_qasm3(text: str, **options: Any) -> ForeignCircuit:
    """An OpenQASM 3 program (read by ``qiskit.qasm3.loads``, which needs
    ``qiskit-qasm3-import``) as a :class:`ForeignCircuit`."""
    from qiskit import qasm3

    return from_qiskit(qasm3.loads(text), **options)
