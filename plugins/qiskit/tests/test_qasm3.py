"""OpenQASM 3 through qiskit.qasm3 (reading needs qiskit-qasm3-import)."""

from __future__ import annotations

import numpy as np
import pytest
from vqnet_qiskit import from_qasm3, to_qasm3

from vqnet_core.quantum import Circuit, Operation, ParamRef, State, get_machine


def _state(c, a):
    return np.asarray(get_machine("statevector").execute(c, a, [State()])[0])


def test_round_trip_ir_qasm3_ir():
    pytest.importorskip("qiskit_qasm3_import", reason="reading OpenQASM 3 needs "
                        "qiskit-qasm3-import")
    c = Circuit(3, [Operation("RX", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
                    Operation("IsingXY", (0, 1), (ParamRef(1),)),
                    Operation("CRX", (2, 0), (0.4,)),
                    Operation("U3", (2,), (0.1, ParamRef(0), 0.3)),
                    Operation("Toffoli", (1, 2, 0))])
    text = to_qasm3(c)
    assert text.startswith("OPENQASM 3.0;") and "input float[64] a0;" in text
    fc = from_qasm3(text)
    a = np.array([[0.3, -0.8], [1.1, 0.2]])
    got = _state(fc.circuit, fc.angles({"a0": a[:, 0], "a1": a[:, 1]}))
    want = _state(c, a)
    for g, w in zip(got, want):
        ph = np.vdot(g, w)
        np.testing.assert_allclose(g * ph / abs(ph), w, atol=1e-10)


def test_quantum_circuit_to_qasm3():
    from qiskit import QuantumCircuit
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    text = to_qasm3(qc)
    assert "cx q[0], q[1];" in text
