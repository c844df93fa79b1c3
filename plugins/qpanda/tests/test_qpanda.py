"""vqnet-qpanda's own tests: gate translation vs VQNet's matrices, QPanda's adjoint vs
parameter shift, noise translation vs the built-in density-matrix machine, the layers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyqpanda3")

from vqnet_qpanda import QPandaLayer, QPandaNoiseLayer  # noqa: E402
from vqnet_qpanda import translate as T

import vqnet_core as vq  # noqa: E402
from vqnet_core.quantum import (  # noqa: E402
    GATES,
    Amplitude,
    Circuit,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    UnsupportedError,
    get_machine,
)
from vqnet_core.quantum.noise import NoiseModel, amplitude_damping, depolarizing  # noqa: E402


def _k(name):
    return GATES[name].num_wires or {"MultiRZ": 3, "MultiControlledX": 3,
                                     "QubitUnitary": 2}[name]


def _unitary(specs, n, row):
    """The unitary of a translated gate list, column by column on CPUQVM."""
    from pyqpanda3.core import CPUQVM
    qvm = CPUQVM()
    cols = []
    for j in range(2**n):
        e = np.zeros(2**n, dtype=complex)
        e[j] = 1
        qvm.init_state(e)
        qvm.run(T.to_qprog(specs, n, row), 1)
        cols.append(np.asarray(qvm.result().get_state_vector()))
    qvm.init_state()
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("mode", ["full", "basic", "partial", "adjoint"])
@pytest.mark.parametrize("name", sorted(GATES))
def test_translated_gate_unitary(name, mode):
    if mode in ("basic", "partial") and name == "QubitUnitary":
        pytest.skip("no Oracle in the basic gate set")
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    k = _k(name)
    g = GATES[name]
    mat = None
    if name == "QubitUnitary":
        mat, _ = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))
    wires = tuple(int(w) for w in rng.permutation(k))
    op = Operation(name, wires, tuple(ParamRef(i) for i in range(g.num_params)), mat)
    row = rng.uniform(-np.pi, np.pi, g.num_params)
    U = _unitary(T.translate(Circuit(k, [op]), mode), k, row)
    from vqnet_core.quantum.plan import op_matrix, op_params
    from vqnet_core.quantum.statevector import StatevectorMachine  # noqa: F401
    want = np.eye(2**k, dtype=complex)
    # the reference: the statevector machine on every basis column
    sv = get_machine("statevector")
    cols = []
    for j in range(2**k):
        ops = [Operation("X", (w,)) for w in range(k) if j >> (k - 1 - w) & 1] + [op]
        cols.append(sv.execute(Circuit(k, ops), row[None], [vq.quantum.State()])[0][0])
    want = np.stack(cols, axis=1)
    del op_matrix, op_params
    ov = np.vdot(want.ravel(), U.ravel())
    np.testing.assert_allclose(U, want * ov / abs(ov), atol=1e-10)


def test_adjoint_vjp_matches_statevector():
    rng = np.random.default_rng(3)
    ops, S = [], 0
    for name in ["RX", "CRY", "RZZ", "U3", "ControlledPhaseShift", "IsingXY", "Rot"]:
        g = GATES[name]
        ops.append(Operation(name, tuple(rng.permutation(3)[:_k(name)]),
                             tuple(ParamRef(S + i) for i in range(g.num_params))))
        S += g.num_params
    ops.append(Operation("RY", (1,), (ParamRef(0),)))  # a reused angle column
    c = Circuit(3, ops)
    a = rng.uniform(-3, 3, (2, S))
    ms = [Expval({"Z0 X1": 0.7, "Y2": -0.4}), Probs([2, 0])]
    up = [rng.standard_normal(2), rng.standard_normal((2, 4))]
    got = get_machine("qpanda.cpu").vjp(c, a, ms, up)
    want = get_machine("statevector").vjp(c, a, ms, up)
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_density_matrix_noise_matches_builtin():
    nm = (NoiseModel().add_channel(depolarizing(0.05))
          .add_channel(amplitude_damping(0.1)).add_readout_error(0.03))
    c = Circuit(2, [Operation("RX", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
                    Operation("RY", (1,), (ParamRef(1),))])
    a = np.array([[0.4, 1.1], [2.0, -0.3]])
    ms = [Expval({"Z0": 1.0, "X1 Z0": 0.5}), Probs([1, 0])]
    got = get_machine("qpanda.density_matrix", noise_model=nm).execute(c, a, ms)
    want = get_machine("density_matrix", noise_model=nm).execute(c, a, ms)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-10)


def test_noise_machine_samples_noisy_counts():
    nm = NoiseModel().add_channel(depolarizing(0.3))
    m = get_machine("qpanda.noise", noise_model=nm)
    c = Circuit(1, [Operation("X", (0,))])
    z = m.execute(c, np.zeros((1, 0)), [Expval("Z0")], shots=4000)[0]
    assert abs(float(z[0]) - (-(1 - 4 * 0.3 / 3))) < 0.08


def test_conflicting_noise_is_refused():
    nm = NoiseModel().add_channel(depolarizing(0.1), gates=["RX"]).add_channel(
        amplitude_damping(0.1), gates=["RY"])
    c = Circuit(1, [Operation("RX", (0,), (0.1,)), Operation("RY", (0,), (0.2,))])
    with pytest.raises(UnsupportedError, match="different channels"):
        get_machine("qpanda.density_matrix", noise_model=nm).execute(
            c, np.zeros((1, 0)), [Expval("Z0")])


def test_stabilizer_refuses_non_clifford():
    c = Circuit(1, [Operation("T", (0,))])
    with pytest.raises(UnsupportedError, match="Clifford"):
        get_machine("qpanda.stabilizer").execute(c, np.zeros((1, 0)), [Expval("Z0")],
                                                 shots=10)


def test_gpu_machine_is_honest():
    m = get_machine("qpanda.gpu")
    c = Circuit(1, [Operation("H", (0,))])
    if m.available:
        p = m.execute(c, np.zeros((1, 0)), [Probs()])[0]
        np.testing.assert_allclose(p, [[0.5, 0.5]], atol=1e-12)
    else:
        assert "CUDA" in m.unavailable_reason
        with pytest.raises(MachineError, match="cannot run here"):
            m.execute(c, np.zeros((1, 0)), [Probs()])


def test_amplitude_machines_agree():
    c = Circuit(3, [Operation("H", (0,)), Operation("CRY", (0, 2), (ParamRef(0),)),
                    Operation("CNOT", (2, 1))])
    a = np.array([[0.7], [2.1]])
    want = get_machine("statevector").execute(c, a, [Amplitude(["101", 7, 0])])[0]
    for name in ("qpanda.single_amplitude", "qpanda.partial_amplitude", "qpanda.cpu"):
        got = get_machine(name).execute(c, a, [Amplitude(["101", 7, 0])])[0]
        np.testing.assert_allclose(np.abs(got), np.abs(want), atol=1e-10)


def _qprog(x, w, qubits, cbits, machine):
    from pyqpanda3.core import RY, QProg
    machine.run(QProg(1) << RY(0, float(x[0] + w[0])), 1)
    return machine.result().get_prob_list([0])


@pytest.mark.parametrize("method", ["parameter_shift", "finite_diff"])
def test_qpanda_layer_gradients(method):
    layer = QPandaLayer(_qprog, para_num=1, diff_method=method)
    x = vq.tensor([[0.3], [1.2]], dtype="float64", requires_grad=True)
    out = layer(x)
    (out[:, 0] * vq.tensor([1.0, 2.0], dtype="float64")).sum().backward()
    w = float(layer.weights.numpy()[0])
    t = x.numpy()[:, 0] + w
    dp0 = -0.5 * np.sin(t)  # d cos^2(t/2) / dt
    np.testing.assert_allclose(out.numpy()[:, 0], np.cos(t / 2) ** 2, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy()[:, 0], dp0 * [1, 2], atol=1e-6)
    np.testing.assert_allclose(layer.weights.grad.numpy()[0], np.sum(dp0 * [1, 2]), atol=1e-6)


def test_qpanda_noise_layer():
    from pyqpanda3.core import GateType, QuantumError, measure

    def noise(nm, qubits):
        k0, k1 = np.sqrt(0.8) * np.eye(2), np.sqrt(0.2) * np.array([[0, 1], [1, 0]])
        nm.add_all_qubit_quantum_error(QuantumError([list(k0.ravel()), list(k1.ravel())]),
                                       GateType.X)

    def qprog(x, w, qubits, cbits, machine, shots):
        from pyqpanda3.core import QProg, X
        machine.run(QProg(1) << X(0) << measure([0], [0]), shots)
        return [machine.result().get_counts().get("1", 0) / shots]
    layer = QPandaNoiseLayer(qprog, 0, noise_set_config=noise, shots=4000)
    p1 = float(layer(vq.tensor([[0.0]], dtype="float64")).numpy()[0, 0])
    assert abs(p1 - 0.8) < 0.05  # a bit flip after X with probability 0.2
    with pytest.raises(ValueError, match="diff_method"):
        QPandaLayer(_qprog, 1, diff_method="adjoint")


def _ring(n, reps):
    """CNOT rings with rotations: every balanced cut of the wires is crossed twice per ring."""
    ops, S = [], 0
    for _ in range(reps):
        for w in range(n):
            ops.append(Operation("RY", (w,), (ParamRef(S),)))
            S += 1
        ops += [Operation("CNOT", (w, (w + 1) % n)) for w in range(n)]
    return Circuit(n, ops), S


def test_partial_amplitude_refuses_circuits_with_too_many_paths():
    c, S = _ring(4, 10)  # >= 20 CNOTs across any cut: 2^20 paths
    m = get_machine("qpanda.partial_amplitude")
    with pytest.raises(MachineError, match="PartialAmplitudeQVM.*max_cut_bits"):
        m.execute(c, np.zeros((1, S)), [Amplitude([0])])
    with pytest.raises(ValueError, match="max_cut_bits"):
        type(m)(max_cut_bits=0)


def test_partial_amplitude_lays_out_wires_to_avoid_the_cut():
    # gates only between wires (0, 3) and (1, 2): the default layout (wires 0, 1 | 2, 3) would
    # cross the cut with every one of them (2^24 paths), the chosen one never does
    ops, S = [], 0
    rng = np.random.default_rng(3)
    for _ in range(6):
        for a, b in ((0, 3), (1, 2)):
            ops += [Operation("RY", (a,), (ParamRef(S),)), Operation("CNOT", (a, b)),
                    Operation("CRZ", (b, a), (ParamRef(S + 1),)),
                    Operation("RZZ", (a, b), (ParamRef(S + 2),))]
            S += 3
    c = Circuit(4, ops)
    assert T.cut_cost(T.translate(c, "partial"), 4) > 16
    layout = T.partial_layout(c)
    assert T.cut_cost(T.translate(c, "partial", None, layout), 4) == 0
    a = rng.uniform(-np.pi, np.pi, (2, S))
    states = [0, 3, 6, 9, 14]
    m = get_machine("qpanda.partial_amplitude")
    got = [np.asarray(r) for r in m.execute(c, a, [Amplitude(states), Probs([2, 0])])]
    want = get_machine("statevector").execute(c, a, [Amplitude(states), Probs([2, 0])])
    for g, w in zip(got[0], np.asarray(want[0])):  # equal up to one global phase per row
        ov = np.vdot(w, g)
        np.testing.assert_allclose(g, w * ov / abs(ov), atol=1e-10)
    np.testing.assert_allclose(got[1], np.asarray(want[1]), atol=1e-10)


@pytest.mark.parametrize("name", ["qpanda.cpu", "qpanda.mps", "qpanda.density_matrix"])
def test_batched_rows_keep_idle_wires(name):
    """Rows with different angles go through a VQCircuit, whose programs span only the
    qubits its gates touch: the results still cover every wire (wire 0 idle here)."""
    c = Circuit(3, [Operation("RY", (1,), (ParamRef(0),))])
    a = np.array([[0.3], [1.0]])
    p = np.asarray(get_machine(name).execute(c, a, [Probs()])[0])
    assert p.shape == (2, 8)
    np.testing.assert_allclose(p[:, 0], np.cos(a[:, 0] / 2) ** 2, atol=1e-6)


def test_stabilizer_samples_are_qpandas_shots():
    """Samples are QPanda's measured shots in a seeded order: their counts are the counts
    behind the probs estimate, not a second draw from them."""
    m = get_machine("qpanda.stabilizer")
    c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1))])
    p, s = (np.asarray(r) for r in m.execute(c, np.zeros((1, 0)), [Probs(), Sample()],
                                             shots=1000, seed=3))
    assert s.shape == (1, 1000, 2) and np.all(s[..., 0] == s[..., 1])
    counts = np.bincount(s[0] @ np.array([2, 1]), minlength=4)
    np.testing.assert_array_equal(counts, np.rint(p[0] * 1000))
