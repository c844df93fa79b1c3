"""Noise channels vs closed forms (PennyLane's channel conventions), readout error."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import Circuit, Density, Expval, Operation, ParamRef, Probs, get_machine
from vqnet_core.quantum.noise import (
    NoiseModel,
    amplitude_damping,
    bit_flip,
    bit_phase_flip,
    depolarizing,
    phase_damping,
    phase_flip,
    thermal_relaxation,
)


def _run(nm, ops, n, measurements, angles=None):
    m = get_machine("density_matrix", noise_model=nm)
    a = np.zeros((1, 0)) if angles is None else angles
    return m.execute(Circuit(n, ops), a, measurements)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5])
def test_depolarizing_on_zero(p):
    # PennyLane convention: <Z> of |0> becomes 1 - 4p/3
    z = _run(NoiseModel().add_channel(depolarizing(p)), [Operation("I", (0,))], 1,
             [Expval("Z0")])[0]
    assert z[0] == pytest.approx(1 - 4 * p / 3, abs=1e-12)


def test_channels_closed_forms():
    g = 0.3
    one = [Operation("X", (0,))]
    plus = [Operation("H", (0,))]
    # amplitude damping on |1>: P(1) = 1 - g
    pr = _run(NoiseModel().add_channel(amplitude_damping(g), gates="X"), one, 1, [Probs()])[0]
    np.testing.assert_allclose(pr[0], [g, 1 - g], atol=1e-12)
    # phase damping on |+>: <X> = sqrt(1 - g)
    x = _run(NoiseModel().add_channel(phase_damping(g), gates="H"), plus, 1, [Expval("X0")])[0]
    assert x[0] == pytest.approx(np.sqrt(1 - g), abs=1e-12)
    # bit flip on |0>: <Z> = 1 - 2p ; phase flip on |+>: <X> = 1 - 2p ; bit-phase on |0>
    z = _run(NoiseModel().add_channel(bit_flip(g)), [Operation("I", (0,))], 1, [Expval("Z0")])[0]
    assert z[0] == pytest.approx(1 - 2 * g)
    x = _run(NoiseModel().add_channel(phase_flip(g), gates="H"), plus, 1, [Expval("X0")])[0]
    assert x[0] == pytest.approx(1 - 2 * g)
    z = _run(NoiseModel().add_channel(bit_phase_flip(g)), [Operation("I", (0,))], 1,
             [Expval("Z0")])[0]
    assert z[0] == pytest.approx(1 - 2 * g)


def test_thermal_relaxation():
    t1, t2, tg, pe = 100.0, 80.0, 10.0, 0.1
    ch = thermal_relaxation(pe, t1, t2, tg)
    rho1 = np.array([[0, 0], [0, 1]], dtype=complex)
    out = ch.apply(rho1)
    pr = 1 - np.exp(-tg / t1)
    assert out[1, 1].real == pytest.approx(1 - (1 - pe) * pr)
    plus = np.full((2, 2), 0.5, dtype=complex)
    assert ch.apply(plus)[0, 1].real == pytest.approx(0.5 * np.exp(-tg / t2))
    with pytest.raises(ValueError, match="T2"):
        thermal_relaxation(0.0, 10.0, 30.0, 1.0)


@pytest.mark.parametrize("ch", [depolarizing(0.2), amplitude_damping(0.3), phase_damping(0.4),
                                thermal_relaxation(0.05, 50.0, 70.0, 5.0)])
def test_channels_keep_trace_and_positivity(ch):
    nm = NoiseModel().add_channel(ch)
    ops = [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
           Operation("RX", (1,), (ParamRef(1),))]
    rho = _run(nm, ops, 2, [Density()], np.array([[0.7, -1.2]]))[0][0]
    assert np.trace(rho).real == pytest.approx(1.0)
    np.testing.assert_allclose(rho, rho.conj().T, atol=1e-12)
    assert np.linalg.eigvalsh(rho).min() > -1e-12


def test_noise_only_after_chosen_gates_and_wires():
    nm = NoiseModel().add_channel(bit_flip(1.0), gates=["CNOT"], wires=[1])
    ops = [Operation("X", (0,)), Operation("CNOT", (0, 1))]
    pr = _run(nm, ops, 2, [Probs()])[0]
    np.testing.assert_allclose(pr[0], [0, 0, 1, 0], atol=1e-12)  # wire 1 flipped back


def test_readout_error():
    nm = NoiseModel().add_readout_error(0.1, 0.2)
    pr, z = _run(nm, [Operation("X", (0,))], 1, [Probs(), Expval("Z0")])
    np.testing.assert_allclose(pr[0], [0.2, 0.8], atol=1e-12)
    assert z[0] == pytest.approx(0.2 - 0.8)
    with pytest.raises(ValueError, match="probability must be in"):
        depolarizing(1.5)


def test_against_pennylane_default_mixed():
    qml = pytest.importorskip("pennylane")
    dev = qml.device("default.mixed", wires=2)

    @qml.qnode(dev)
    def f(a):
        qml.RY(a, wires=0)
        qml.DepolarizingChannel(0.1, wires=0)
        qml.CNOT(wires=[0, 1])
        qml.AmplitudeDamping(0.2, wires=1)
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1) + 0.5 * qml.PauliX(0))
    nm = NoiseModel().add_channel(depolarizing(0.1), gates="RY").add_channel(
        amplitude_damping(0.2), gates="CNOT", wires=1)
    ops = [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))]
    got = _run(nm, ops, 2, [Expval({"Z0 Z1": 1.0, "X0": 0.5})], np.array([[0.8]]))[0]
    assert got[0] == pytest.approx(float(f(0.8)), abs=1e-10)


def test_two_qubit_channel_from_kraus():
    """A Channel on two qubits (an emulated QPU's two-qubit depolarizing error): its
    superoperator acts on the 4x4 density matrix, keeps the trace, and NoiseModel.add_channel
    (one-qubit channels on each wire of a gate) refuses it with a clear error."""
    from vqnet_core.quantum.noise import Channel, NoiseModel
    paulis = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]),
              np.diag([1.0, -1.0])]
    lam = 0.3  # rho -> (1 - lam) rho + lam I/4
    ks = [np.sqrt(1 - lam * 15 / 16) * np.eye(4)] + [
        np.sqrt(lam / 16) * np.kron(a, b) for i, a in enumerate(paulis)
        for j, b in enumerate(paulis) if i or j]
    ch = Channel.from_kraus("depolarizing2", ks)
    assert ch.num_wires == 2 and ch.superop.shape == (16, 16)
    psi = np.array([1, 0, 0, 1]) / np.sqrt(2)
    rho = np.outer(psi, psi.conj())
    out = ch.apply(rho)
    np.testing.assert_allclose(out, (1 - lam) * rho + lam * np.eye(4) / 4, atol=1e-12)
    assert np.trace(out).real == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one-qubit channels"):
        NoiseModel().add_channel(ch)
    with pytest.raises(ValueError, match="not trace preserving"):
        Channel.from_kraus("bad", [np.eye(4) * 0.5])
    with pytest.raises(ValueError, match="2\\^k x 2\\^k"):
        Channel.from_kraus("bad", [np.eye(3)])
