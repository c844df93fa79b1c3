"""OpenQASM 2.0 export and import: round trips over the whole gate set, the parser, errors."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import (
    GATES,
    Circuit,
    Operation,
    ParamRef,
    QasmError,
    State,
    from_qasm,
    get_machine,
    to_qasm,
)

from .conftest import random_circuit

SV = get_machine("statevector")


def _state(c: Circuit, angles=None) -> np.ndarray:
    a = np.zeros((1, 0)) if angles is None else np.atleast_2d(angles)
    return SV.execute(c, a, [State()])[0][0]


def _exportable(c: Circuit) -> Circuit:
    return Circuit(c.num_wires, [op for op in c.ops
                                 if not (op.name == "QubitUnitary" and len(op.wires) > 1)])


@pytest.mark.parametrize("seed", range(6))
def test_round_trip_random_circuits(seed):
    rng = np.random.default_rng(seed)
    c, _, S = random_circuit(rng, 5, 70)
    c = _exportable(c)
    a = rng.uniform(-np.pi, np.pi, (1, S))
    c2 = from_qasm(to_qasm(c, a))
    assert c2.num_wires == 5 and c2.num_angles == 0
    np.testing.assert_allclose(_state(c2), _state(c, a), atol=1e-10)


@pytest.mark.parametrize("name", sorted(GATES))
def test_round_trip_each_gate(name):
    """Each gate alone, on a random (entangled) input state, so that phases count."""
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    g = GATES[name]
    n = 5
    prep = [Operation("RY", (w,), (float(rng.uniform(0, 3)),)) for w in range(n)]
    prep += [Operation("CNOT", (w, w + 1)) for w in range(n - 1)]
    prep += [Operation("RZ", (w,), (float(rng.uniform(0, 3)),)) for w in range(n)]
    sizes = [g.num_wires] if g.num_wires else range(max(g.min_wires, 1), n + 1)
    for k in sizes:
        if name == "QubitUnitary" and k > 1:
            continue
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        mat = None
        if name == "QubitUnitary":
            mat, _ = np.linalg.qr(rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)))
        ps = tuple(ParamRef(i) for i in range(g.num_params))
        c = Circuit(n, prep + [Operation(name, wires, ps, mat)])
        a = rng.uniform(-np.pi, np.pi, (1, g.num_params))
        text = to_qasm(c, a)
        np.testing.assert_allclose(_state(from_qasm(text)), _state(c, a), atol=1e-10,
                                   err_msg=f"{name} on {wires}:\n{text}")


def test_export_text_and_pi_formatting():
    c = Circuit(3, [Operation("RX", (0,), (np.pi / 2,)),
                    Operation("U3", (1,), (-np.pi, 0.1, 3 * np.pi / 4)),
                    Operation("Rot", (2,), (ParamRef(0), 0.0, 1.5)), Operation("CCZ", (0, 1, 2))])
    text = to_qasm(c, [0.25], measure=True)
    lines = text.splitlines()
    assert lines[:2] == ["OPENQASM 2.0;", 'include "qelib1.inc";']
    assert "gate rot(phi,theta,omega) a { rz(phi) a; ry(theta) a; rz(omega) a; }" in lines
    assert "gate ccz a,b,c { h c; ccx a,b,c; h c; }" in lines
    i = lines.index("qreg q[3];")
    assert lines[i + 1:] == ["creg c[3];", "rx(pi/2) q[0];", "u3(-pi,0.1,3*pi/4) q[1];",
                             "rot(0.25,0.0,1.5) q[2];", "ccz q[0],q[1],q[2];",
                             "measure q -> c;"]


def test_export_errors():
    c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
    with pytest.raises(QasmError, match="free parameters"):
        to_qasm(c)
    with pytest.raises(QasmError, match="one row"):
        to_qasm(c, np.zeros((2, 1)))
    with pytest.raises(QasmError, match="needs 1 angle"):
        to_qasm(c, np.zeros(0))
    u, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))
    with pytest.raises(QasmError, match="QubitUnitary on 2 wires"):
        to_qasm(Circuit(2, [Operation("QubitUnitary", (0, 1), (), u)]))
    with pytest.raises(TypeError, match="Circuit"):
        to_qasm("h q[0];")


def test_parser_features():
    text = """
    OPENQASM 2.0;
    include "qelib1.inc";   // the standard library
    qreg a[2];
    qreg b[1];
    creg m[3];
    gate mygate(alpha, beta) x, y {
        rx(alpha / 2) x;
        barrier x, y;
        cx x, y;
        rz(-beta * 2 + pi) y;
    }
    gate twice(t) z { mygate(t, -t) z, z2; }
    """
    with pytest.raises(QasmError, match=r"line 13: gate twice: unknown qubit argument 'z2'"):
        from_qasm(text)
    text = text.replace("gate twice(t) z { mygate(t, -t) z, z2; }", "")
    text += """
    h a;                          // broadcast over the register
    mygate(pi/2, -0.5e-1) a[1], b[0];
    cx a, b;                      // a[0],b[0] then a[1],b[0]
    U(sin(pi/2), cos(0), 2^2 - -1) b[0];
    u2(ln(1), sqrt(4)) a[0];
    barrier a, b;
    measure a -> m[0:1];
    """
    # the slice m[0:1] is not QASM 2
    with pytest.raises(QasmError, match="line 21: unexpected character"):
        from_qasm(text)
    text = text.replace("measure a -> m[0:1];", "measure a[0] -> m[0];\n    measure b -> m;")
    c = from_qasm(text)
    assert c.num_wires == 3
    got = [(op.name, op.wires, tuple(round(p, 12) for p in op.params)) for op in c.ops]
    assert got == [
        ("H", (0,), ()), ("H", (1,), ()),
        ("RX", (1,), (round(np.pi / 4, 12),)), ("CNOT", (1, 2), ()),
        ("RZ", (2,), (round(0.1 + np.pi, 12),)),
        ("CNOT", (0, 2), ()), ("CNOT", (1, 2), ()),
        ("U3", (2,), (1.0, 1.0, 5.0)),
        ("U2", (0,), (0.0, 2.0)),
    ]


def test_cu3_and_extras_match_their_matrices():
    rng = np.random.default_rng(5)
    t, f, lam, gam = rng.uniform(-3, 3, 4)
    c = from_qasm(f'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q; '
                  f'cu3({t},{f},{lam}) q[0],q[1]; cu({t},{f},{lam},{gam}) q[1],q[0]; '
                  f'sxdg q[0]; csx q[1],q[0]; p({f}) q[1]; cp({lam}) q[0],q[1]; id q[0];')
    u3 = GATES["U3"].matrix([np.array([t]), np.array([f]), np.array([lam])])[0]

    def ctrl(u):
        m = np.eye(4, dtype=complex)
        m[2:, 2:] = u
        return m
    swap = np.eye(4)[[0, 2, 1, 3]]
    sx = GATES["SX"].matrix([])[0]
    psi = np.full(4, 0.5, dtype=complex)
    psi = ctrl(u3) @ psi
    psi = swap @ ctrl(np.exp(1j * gam) * u3) @ swap @ psi
    psi = np.kron(sx.conj().T, np.eye(2)) @ psi
    psi = swap @ ctrl(sx) @ swap @ psi
    psi = np.diag([1, np.exp(1j * f), 1, np.exp(1j * f)]) @ psi
    psi = np.diag([1, 1, 1, np.exp(1j * lam)]) @ psi
    np.testing.assert_allclose(_state(c), psi, atol=1e-12)


@pytest.mark.parametrize("text, match", [
    ("qreg q[1];", "line 1: a program must start with 'OPENQASM 2.0;'"),
    ("OPENQASM 3.0;\nqreg q[1];", "line 1: only OpenQASM 2.x"),
    ('OPENQASM 2.0;\ninclude "stdgates.inc";', "line 2: cannot include"),
    ("OPENQASM 2.0;\nqreg q[2];\nh q[2];", "line 3: index 2 is out of range"),
    ("OPENQASM 2.0;\nqreg q[2];\nfoo q[0];", "line 3: unknown gate 'foo'"),
    ("OPENQASM 2.0;\nqreg q[2];\ncx q[0], q[0];", "line 3: cx is applied to the same qubit"),
    ("OPENQASM 2.0;\nqreg q[2];\nrx q[0];", r"line 3: rx takes 1 parameter\(s\) and 1 qubit"),
    ("OPENQASM 2.0;\nqreg q[2];\nrx(1 +) q[0];", "line 3: expected an expression, found '\\)'"),
    ("OPENQASM 2.0;\nqreg q[2];\nrx(theta) q[0];", "line 3: unknown identifier 'theta'"),
    ("OPENQASM 2.0;\nqreg q[2];\nrx(1/0) q[0];", "line 3: division by zero"),
    ("OPENQASM 2.0;\nqreg q[2];\nh r[0];", "line 3: unknown qreg 'r'"),
    ("OPENQASM 2.0;\nqreg q[2];\nh q[0]", "line 3: expected ';', found end of input"),
    ("OPENQASM 2.0;\nqreg q[2];\n\nh q[0]; $", "line 4: unexpected character '\\$'"),
    ("OPENQASM 2.0;\nqreg q[2];\nqreg q[1];", "line 3: register 'q' is declared twice"),
    ("OPENQASM 2.0;\nqreg q[2];\nqreg r[3];\ncx q, r;", "line 4: cx: registers of different"),
    ("OPENQASM 2.0;\nqreg q[1];\nreset q[0];", "line 3: reset is not supported"),
    ("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nif(c==1) x q[0];", "line 4: classically"),
    ("OPENQASM 2.0;\nqreg q[1];\nopaque g q;", "line 3: opaque"),
    ("OPENQASM 2.0;\nqreg q[1];\nmeasure q -> c;", "line 3: unknown creg 'c'"),
    ("OPENQASM 2.0;\ngate g a { nope a; }", "line 2: unknown gate 'nope' in the definition"),
    ("OPENQASM 2.0;\ncreg c[1];", "declares no qreg"),
])
def test_parse_errors(text, match):
    with pytest.raises(QasmError, match=match):
        from_qasm(text)


def test_from_qasm_type_error():
    with pytest.raises(TypeError, match="program text"):
        from_qasm(b"OPENQASM 2.0;")


def test_qiskit_loads_the_export():
    """An independent reader: qiskit's OpenQASM 2 loader gives the same state."""
    qiskit = pytest.importorskip("qiskit")
    from qiskit.quantum_info import Statevector

    rng = np.random.default_rng(7)
    for _ in range(3):
        c, _, S = random_circuit(rng, 5, 60)
        c = _exportable(c)
        a = rng.uniform(-np.pi, np.pi, (1, S))
        # the extended qelib1.inc (crx, cry, swap, rxx...) that qiskit's own exporter writes
        qc = qiskit.qasm2.loads(to_qasm(c, a),
                                custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        # qiskit orders qubit 0 least significant; ours is most significant
        theirs = Statevector(qc.reverse_bits()).data
        np.testing.assert_allclose(theirs, _state(c, a), atol=1e-9)
