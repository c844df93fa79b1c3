"""Translation, gate by gate, against Qiskit's own Operator and Statevector, and back."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector
from vqnet_qiskit.translate import (
    from_qiskit,
    from_sparse_pauli_op,
    reverse_matrix,
    to_qiskit,
    to_sparse_pauli_op,
    to_vqnet_order,
)

from vqnet_core.quantum import (
    GATES,
    Circuit,
    ConversionError,
    Expval,
    Operation,
    ParamRef,
    Sample,
    State,
    convert_circuit,
    get_machine,
)

RNG = np.random.default_rng(7)


def _wires(name):
    g = GATES[name]
    k = g.num_wires if g.num_wires is not None else (3 if name != "QubitUnitary" else 2)
    return k


def _op(name, k, angles):
    g = GATES[name]
    params = tuple(ParamRef(j) for j in range(g.num_params))
    wires = tuple(reversed(range(k))) if k > 1 else (0,)   # not the trivial order
    m = None
    if name == "QubitUnitary":
        q, _ = np.linalg.qr(RNG.normal(size=(4, 4)) + 1j * RNG.normal(size=(4, 4)))
        m = q
    return Operation(name, wires, params, matrix=m), wires


def _vqnet_unitary(circuit, angles):
    n = circuit.num_wires
    eye = np.eye(2**n, dtype=complex)
    cols = []
    sv = get_machine("statevector")
    for i in range(2**n):  # U|i> from the reference machine, by preparing |i> with X gates
        bits = [(i >> (n - 1 - w)) & 1 for w in range(n)]
        prep = [Operation("X", (w,)) for w in range(n) if bits[w]]
        c = Circuit(n, prep + list(circuit.ops))
        cols.append(np.asarray(sv.execute(c, angles[None], [State()])[0])[0])
    del eye
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_matches_qiskit_operator(name):
    k = _wires(name)
    angles = RNG.uniform(-np.pi, np.pi, size=GATES[name].num_params)
    op, wires = _op(name, k, angles)
    c = Circuit(k, [op])
    qc = to_qiskit(c).assign_parameters(angles) if angles.size else to_qiskit(c)
    got = reverse_matrix(Operator(qc).data)          # Qiskit's unitary in VQNet's order
    want = _vqnet_unitary(c, angles)
    np.testing.assert_allclose(got, want, atol=1e-10)


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_round_trip(name):
    k = _wires(name)
    angles = RNG.uniform(-np.pi, np.pi, size=GATES[name].num_params)
    op, wires = _op(name, k, angles)
    c = Circuit(k, [op])
    qc = to_qiskit(c)
    fc = from_qiskit(qc)
    vals = {p.name: angles[p.index] for p in qc.parameters}
    back = _vqnet_unitary(fc.circuit, fc.angles(vals)[0] if fc.columns else np.zeros(0))
    want = _vqnet_unitary(c, angles)
    # decompositions (PauliEvolution, mcx) may differ by a global phase only
    ph = np.vdot(back.ravel(), want.ravel())
    ph = ph / abs(ph)
    np.testing.assert_allclose(back * ph, want, atol=1e-9)


def test_state_order_matches_statevector():
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.h(2)
    qc.cx(2, 1)
    fc = convert_circuit(qc)                     # through the hook
    got = np.asarray(get_machine("statevector").execute(fc.circuit, np.zeros((1, 0)),
                                                        [State()])[0])[0]
    np.testing.assert_allclose(got, to_vqnet_order(Statevector(qc).data, 3), atol=1e-12)


def test_observables_little_endian():
    op = SparsePauliOp(["IXZ", "YII"], [0.5, -2.0])      # Z on qubit 0, X on 1; Y on 2
    h = from_sparse_pauli_op(op)
    assert dict((t, c) for c, t in h.terms) == {((0, "Z"), (1, "X")): 0.5, ((2, "Y"),): -2.0}
    back = to_sparse_pauli_op(h, 3)
    assert back.simplify() == op.simplify()
    qc = QuantumCircuit(3)
    qc.ry(0.4, 0)
    qc.rx(0.9, 1)
    qc.rz(0.2, 2)
    qc.h(2)
    fc = from_qiskit(qc)
    ev = get_machine("statevector").execute(fc.circuit, np.zeros((1, 0)), [Expval(h)])[0]
    np.testing.assert_allclose(float(np.asarray(ev)[0]),
                               Statevector(qc).expectation_value(op).real, atol=1e-12)
    with pytest.raises(ConversionError, match="real coefficients"):
        from_sparse_pauli_op(SparsePauliOp(["Z"], [1j]))


def test_parameters_affine_vector_and_bound():
    t, u = Parameter("t"), Parameter("u")
    v = ParameterVector("x", 2)
    qc = QuantumCircuit(2)
    qc.ry(2 * t + 1, 0)
    qc.rx(v[0], 1)
    qc.rz(-v[1] / 2, 0)
    qc.rzz(0.25, 0, 1)
    qc.crx(u, 0, 1)
    qc = qc.assign_parameters({u: 0.7})
    fc = from_qiskit(qc)
    assert set(fc.parameters) == {"t", "x[0]", "x[1]"}
    vals = {"t": 0.3, "x[0]": -0.4, "x[1]": 1.1}
    bound = qc.assign_parameters({t: 0.3, v[0]: -0.4, v[1]: 1.1})
    got = np.asarray(get_machine("statevector").execute(fc.circuit, fc.angles(vals),
                                                        [State()])[0])[0]
    np.testing.assert_allclose(got, to_vqnet_order(Statevector(bound).data, 2), atol=1e-12)


def test_nonstandard_gates_decompose():
    from qiskit.circuit.library import QFTGate, XXMinusYYGate
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.append(XXMinusYYGate(0.3, 0.2), [0, 2])
    qc.append(QFTGate(3), [0, 1, 2])
    qc.sxdg(1)
    qc.barrier()
    fc = from_qiskit(qc)
    got = np.asarray(get_machine("statevector").execute(fc.circuit, np.zeros((1, 0)),
                                                        [State()])[0])[0]
    want = to_vqnet_order(Statevector(qc).data, 3)
    ph = np.vdot(got, want)
    np.testing.assert_allclose(got * ph / abs(ph), want, atol=1e-10)


def test_final_measurements_become_samples():
    qc = QuantumCircuit(3, 2)
    qc.x(2)
    qc.measure(2, 0)
    qc.measure(0, 1)
    fc = from_qiskit(qc)
    assert len(fc.measurements) == 1 and isinstance(fc.measurements[0], Sample)
    assert fc.measurements[0].wires == (2, 0)
    qc2 = QuantumCircuit(2)
    qc2.h(0)
    qc2.measure_all()
    assert from_qiskit(qc2).measurements[0].wires == (0, 1)


@pytest.mark.parametrize("build,match", [
    (lambda qc: qc.reset(0), "reset"),
    (lambda qc: (qc.measure(0, 0), qc.x(0)), "after it was measured"),
])
def test_refused_instructions_are_named(build, match):
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    build(qc)
    with pytest.raises(ConversionError, match=match):
        from_qiskit(qc)


def test_control_flow_refused():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(ConversionError, match="if_else"):
        from_qiskit(qc)


def test_parameters_outside_inputs_and_weights_refused():
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    qc = QuantumCircuit(1)
    qc.rx(a, 0)
    qc.ry(b, 0)
    qc.rz(c, 0)
    with pytest.raises(ConversionError, match="'c'"):
        from_qiskit(qc, inputs=[a], weights=[b])
    with pytest.raises(ConversionError, match="affine in one parameter"):
        q2 = QuantumCircuit(1)
        q2.rx(a * b, 0)
        from_qiskit(q2)
    with pytest.raises(ConversionError, match="not affine"):
        q3 = QuantumCircuit(1)
        q3.rx(a * a, 0)
        from_qiskit(q3)


@pytest.mark.parametrize("seed", range(25))
def test_random_qiskit_circuits_convert(seed):
    from qiskit.circuit.random import random_circuit
    n = 1 + seed % 5
    qc = random_circuit(n, 6, max_operands=min(n, 4), seed=seed)
    fc = from_qiskit(qc)
    got = np.asarray(get_machine("statevector").execute(fc.circuit, np.zeros((1, 0)),
                                                        [State()])[0])[0]
    want = to_vqnet_order(Statevector(qc).data, n)
    ph = np.vdot(got, want)
    np.testing.assert_allclose(got * ph / abs(ph), want, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_random_ir_circuits_to_qiskit(seed):
    rng = np.random.default_rng(100 + seed)
    n = 3
    names = [g for g in sorted(GATES) if g != "QubitUnitary"]
    ops = []
    for _ in range(12):
        name = names[rng.integers(len(names))]
        g = GATES[name]
        k = g.num_wires if g.num_wires is not None else int(rng.integers(g.min_wires, n + 1))
        if k > n:
            continue
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        ops.append(Operation(name, wires, tuple(ParamRef(int(rng.integers(3)))
                                                for _ in range(g.num_params))))
    c = Circuit(n, ops)
    a = rng.uniform(-np.pi, np.pi, (1, 3))
    qc = to_qiskit(c)
    bound = qc.assign_parameters({p: a[0, p.index] for p in qc.parameters})
    want = np.asarray(get_machine("statevector").execute(c, a, [State()])[0])[0]
    np.testing.assert_allclose(to_vqnet_order(Statevector(bound).data, n), want, atol=1e-9)
