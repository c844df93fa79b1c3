"""vqnet-cirq's translation tests: every IR gate against VQNet's matrix through
``cirq.unitary``, Cirq's exponent gates against ``cirq.unitary`` through VQNet's statevector
machine, observables, noise, the errors, and the converter hook."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy
from vqnet_cirq import translate as T

from vqnet_core.quantum import (
    GATES,
    Circuit,
    ConversionError,
    Expval,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    convert_circuit,
    get_machine,
)
from vqnet_core.quantum.noise import (
    NoiseModel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    phase_damping,
    thermal_relaxation,
)


def _k(name):
    return GATES[name].num_wires or {"MultiRZ": 3, "MultiControlledX": 3,
                                     "QubitUnitary": 2}[name]


@pytest.mark.parametrize("name", sorted(GATES))
def test_ir_gate_to_cirq_unitary(name):
    """The Cirq circuit of one IR gate (on permuted wires) has exactly VQNet's unitary,
    global phase included (``cirq.unitary``)."""
    rng = np.random.default_rng(sum(map(ord, name)))
    g, k = GATES[name], _k(name)
    mat = None
    if name == "QubitUnitary":
        mat, _ = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))
    row = rng.uniform(-np.pi, np.pi, g.num_params)
    wires = tuple(int(w) for w in rng.permutation(k))
    op = Operation(name, wires, tuple(ParamRef(i) for i in range(g.num_params)), mat)
    c = cirq.resolve_parameters(T.to_cirq(Circuit(k, [op])), T.sweep(row[None], len(row))[0])
    got = cirq.unitary(c.unitary(qubit_order=T.qubits(k)))
    # VQNet's matrix, moved onto ``wires``
    base = mat if mat is not None else g.matrix([np.array([v]) for v in row], k)[0]
    perm = np.zeros((2**k, 2**k))
    for i in range(2**k):  # basis index over ``wires`` -> basis index over 0..k-1
        bits = [(i >> (k - 1 - j)) & 1 for j in range(k)]
        out = sum(b << (k - 1 - w) for b, w in zip(bits, wires))
        perm[out, i] = 1
    want = perm @ base @ perm.T
    np.testing.assert_allclose(got, want, atol=1e-10)


S = sympy.Symbol("s")
_CIRQ_GATES = [
    cirq.X**0.3, cirq.Y**S, cirq.Z**(2 * S + 0.1), cirq.rx(S), cirq.ry(0.4), cirq.rz(S / 3),
    cirq.XPowGate(exponent=S, global_shift=0.3), cirq.H, cirq.H**0.5, cirq.S, cirq.T**-1,
    cirq.X**0.5, cirq.PhasedXPowGate(phase_exponent=0.3, exponent=S),
    cirq.PhasedXPowGate(phase_exponent=S, exponent=0.7, global_shift=0.2),
    cirq.CZ, cirq.CZ**S, cirq.CNOT, cirq.CNOT**S, cirq.XX**S, cirq.YY**0.3, cirq.ZZ**S,
    cirq.ISWAP, cirq.ISWAP**S, cirq.SWAP, cirq.SWAP**S, cirq.FSimGate(theta=S, phi=0.3),
    cirq.FSimGate(0.2, S), cirq.PhasedISwapPowGate(phase_exponent=0.3, exponent=S),
    cirq.givens(S), cirq.CCZ, cirq.CCX, cirq.CSWAP, cirq.CCZ**0.5, cirq.ry(S).controlled(),
    cirq.Y.controlled(), cirq.X.controlled(2), cirq.PhasedFSimGate(0.1, 0.2, 0.3, S, 0.5),
    cirq.MatrixGate(cirq.testing.random_unitary(4, random_state=1)),
    cirq.CZPowGate(exponent=S, global_shift=0.25), cirq.riswap(S), cirq.cphase(S),
    cirq.ZPowGate(exponent=0.7, global_shift=-0.3), cirq.HPowGate(exponent=S),
    cirq.QuantumFourierTransformGate(3), cirq.IdentityGate(2)]


@pytest.mark.parametrize("keep", [False, True], ids=["up-to-phase", "exact-phase"])
@pytest.mark.parametrize("gate", _CIRQ_GATES, ids=[repr(g)[:40] for g in _CIRQ_GATES])
def test_cirq_gate_to_ir_unitary(gate, keep):
    """Cirq gate -> IR: the IR's unitary (columns from VQNet's statevector machine) equals
    ``cirq.unitary`` up to a global phase, and exactly with ``keep_global_phase``."""
    n = cirq.num_qubits(gate)
    q = cirq.LineQubit.range(n)
    c = cirq.Circuit(gate.on(*q))
    fc = T.from_cirq(c, qubit_order=q, keep_global_phase=keep)
    val = 0.37
    want = cirq.unitary(cirq.resolve_parameters(c, {"s": val}).unitary(qubit_order=q))
    a = fc.angles({"s": val} if fc.parameters else {})
    sv = get_machine("statevector")
    cols = []
    for j in range(2**n):
        prep = [Operation("X", (w,)) for w in range(n) if j >> (n - 1 - w) & 1]
        cols.append(np.asarray(sv.execute(Circuit(n, prep + fc.circuit.ops), a,
                                          [State()])[0][0]))
    got = np.stack(cols, axis=1)
    if not keep:
        ov = np.vdot(got.ravel(), want.ravel())
        got = got * ov / abs(ov)
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_qubit_order_grid_and_affine_columns():
    a, b = sympy.symbols("a b")
    q = [cirq.GridQubit(1, 0), cirq.GridQubit(0, 1), cirq.GridQubit(0, 0)]
    c = cirq.Circuit(cirq.rx(2 * a + 0.5).on(q[0]), cirq.ry(a).on(q[1]), cirq.CNOT(q[2], q[0]),
                     cirq.rz(b / 2).on(q[2]))
    fc = T.from_cirq(c)  # sorted: (0,0), (0,1), (1,0)
    assert fc.qubit_order == (cirq.GridQubit(0, 0), cirq.GridQubit(0, 1), cirq.GridQubit(1, 0))
    assert [op.wires for op in fc.circuit.ops] == [(2,), (1,), (0, 2), (0,)]
    assert fc.columns[0].name == "a" and fc.columns[0].scale == 2.0 and \
        fc.columns[0].offset == 0.5
    assert fc.parameters == ("a", "b")
    rev = T.from_cirq(c, qubit_order=q)  # explicit order
    assert [op.wires for op in rev.circuit.ops] == [(0,), (1,), (2, 0), (2,)]
    # the two orders give the same physics, with the wires permuted
    vals = {"a": 0.3, "b": -1.1}
    p1 = np.asarray(get_machine("statevector").execute(fc.circuit, fc.angles(vals),
                                                       [Probs([2, 1, 0])])[0])
    p2 = np.asarray(get_machine("statevector").execute(rev.circuit, rev.angles(vals),
                                                       [Probs([0, 1, 2])])[0])
    np.testing.assert_allclose(p1, p2, atol=1e-12)
    sim = cirq.Simulator(dtype=np.complex128).simulate(c, {"a": 0.3, "b": -1.1},
                                                       qubit_order=q)
    np.testing.assert_allclose(np.abs(sim.final_state_vector) ** 2, p2[0], atol=1e-12)


def test_errors_name_the_culprit():
    q = cirq.LineQubit.range(2)
    a, b, z = sympy.symbols("a b z")
    with pytest.raises(ConversionError, match="several symbols"):
        T.from_cirq(cirq.Circuit(cirq.rx(a * b).on(q[0])))
    with pytest.raises(ConversionError, match="not affine"):
        T.from_cirq(cirq.Circuit(cirq.rx(a**2).on(q[0])))
    with pytest.raises(ConversionError, match="'z' is neither an input nor a weight"):
        T.from_cirq(cirq.Circuit(cirq.rx(a).on(q[0]), cirq.ry(z).on(q[1])), inputs=["a"],
                    weights=["b"])
    with pytest.raises(ConversionError, match="measurement 'm0'.*not at the end"):
        T.from_cirq(cirq.Circuit(cirq.measure(q[0], key="m0"), cirq.X(q[0])))
    with pytest.raises(ConversionError, match="not unitary"):
        T.from_cirq(cirq.Circuit(cirq.depolarize(0.1).on(q[0])))
    with pytest.raises(ConversionError, match="not unitary"):
        T.from_cirq(cirq.Circuit(cirq.reset(q[0])))
    with pytest.raises(ConversionError, match="missing from qubit_order"):
        T.from_cirq(cirq.Circuit(cirq.X(q[1])), qubit_order=[q[0]])


def test_terminal_measurements_become_a_sample():
    q = cirq.LineQubit.range(3)
    c = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[2]), cirq.measure(q[2], q[0], key="m"))
    assert T.from_cirq(c).measurements[0].wires == (1, 0)  # sorted: q0, q2 only
    fc = T.from_cirq(c, qubit_order=q)  # the idle q1 kept as wire 1
    assert isinstance(fc.measurements[0], Sample) and fc.measurements[0].wires == (2, 0)
    assert fc.measurement_keys == ("m",)
    s = np.asarray(get_machine("cirq.simulator").execute(fc.circuit, np.zeros((1, 0)),
                                                          fc.measurements, shots=50, seed=3)[0])
    assert s.shape == (1, 50, 2) and np.all(s[..., 0] == s[..., 1])


def test_converter_hook_is_registered():
    x = sympy.Symbol("x")
    q = cirq.LineQubit(0)
    fc = convert_circuit(cirq.Circuit(cirq.ry(x).on(q)))
    v = get_machine("statevector").execute(fc.circuit, fc.angles({"x": [0.0, np.pi]}),
                                           [Expval("Z0")])[0]
    np.testing.assert_allclose(np.asarray(v), [1.0, -1.0], atol=1e-12)
    fc2 = convert_circuit(cirq.FrozenCircuit(cirq.ry(x).on(q)))
    assert fc2.parameters == ("x",)


def test_pauli_sum_round_trip():
    q = cirq.LineQubit.range(3)
    ps = 0.5 * cirq.Z(q[0]) * cirq.Z(q[2]) - 1.5 * cirq.X(q[1]) + 0.25 * cirq.Y(q[2])
    h = T.from_pauli_sum(ps, q)
    assert sorted(h.terms) == sorted([(0.5, ((0, "Z"), (2, "Z"))), (-1.5, ((1, "X"),)),
                                      (0.25, ((2, "Y"),))])
    assert T.to_pauli_sum(h, 3) == ps
    with pytest.raises(ConversionError, match="complex coefficient"):
        T.from_pauli_sum(1j * cirq.Z(q[0]), q)
    assert T.from_pauli_sum(cirq.X(q[1]) * cirq.Z(q[0]), q).terms == (
        (1.0, ((0, "Z"), (1, "X"))),)


@pytest.mark.parametrize("channel", [depolarizing(0.1), amplitude_damping(0.2),
                                     phase_damping(0.3), bit_flip(0.15),
                                     thermal_relaxation(0.1, 2.0, 1.5, 0.3)],
                         ids=lambda c: c.name)
def test_noise_translation_matches_builtin_density_matrix(channel):
    nm = NoiseModel().add_channel(channel, gates=["RX", "CNOT"]).add_readout_error(0.05, 0.1)
    c = Circuit(2, [Operation("RX", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
                    Operation("RY", (1,), (ParamRef(1),))])
    a = np.array([[0.3, 1.2], [2.0, -0.4]])
    ms = [Expval({"Z0": 1.0, "X1": 0.5}), Probs([1, 0])]
    got = get_machine("cirq.density_matrix", noise_model=nm).execute(c, a, ms)
    want = get_machine("density_matrix", noise_model=nm).execute(c, a, ms)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=1e-10)


def test_named_channels_become_cirq_channels():
    d = T.channel_to_cirq(depolarizing(0.1))
    assert isinstance(d, cirq.DepolarizingChannel) and d.p == pytest.approx(0.1)
    ad = T.channel_to_cirq(amplitude_damping(0.2))
    assert isinstance(ad, cirq.AmplitudeDampingChannel) and ad.gamma == pytest.approx(0.2)
    ks = cirq.kraus(T.channel_to_cirq(thermal_relaxation(0.1, 2.0, 1.5, 0.3)))
    assert sum(k.conj().T @ k for k in ks) == pytest.approx(np.eye(2))


def test_readout_errors_reach_cirq_samples():
    nm = NoiseModel().add_readout_error(0.3, 0.0, wires=[0])
    c = Circuit(1, [Operation("I", (0,))])
    s = np.asarray(get_machine("cirq.density_matrix", noise_model=nm).execute(
        c, np.zeros((1, 0)), [Sample()], shots=4000, seed=2)[0])
    assert abs(s.mean() - 0.3) < 0.04
