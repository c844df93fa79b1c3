"""The qpu.* machines: options and errors, the compile cache and layout, the two engines,
idle relaxation, a user noise model, seeds, and training through NoiseQuantumLayer."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.quantum import (
    Circuit,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    UnknownMachineError,
    UnsupportedError,
    get_machine,
)
from vqnet_core.quantum.noise import NoiseModel, depolarizing


def _bell(n=2):
    ops = [Operation("H", (0,))] + [Operation("CNOT", (i, i + 1)) for i in range(n - 1)]
    return Circuit(n, ops + [Operation("RY", (n - 1,), (ParamRef(0),))])


def test_capabilities_are_honest():
    m = get_machine("qpu.ibm_torino")
    caps = m.capabilities
    assert caps.shots and not caps.exact and not caps.adjoint and caps.noise
    assert caps.measurements == {"expval", "probs", "sample"}
    assert caps.extra["num_qubits"] == 133 and caps.max_wires == 20
    with pytest.raises(UnsupportedError, match="needs shots"):
        m.execute(_bell(), np.zeros((1, 1)), [Expval("Z0")])


def test_wider_than_the_device_and_unknown_names(tmp_path):
    m = get_machine("qpu.ibm_manila")
    with pytest.raises(MachineError, match="at most 5 wires"):
        m.execute(_bell(6), np.zeros((1, 1)), [Expval("Z0")], shots=10)
    with pytest.raises(MachineError, match="has 5 qubits"):
        m.compiled(_bell(6))
    with pytest.raises(UnknownMachineError, match="no emulated device 'ibm_nowhere'.*qpu.ibm_"):
        get_machine("qpu.ibm_nowhere")
    with pytest.raises(TypeError, match="needs device="):
        get_machine("qpu")


def test_gate_the_device_cannot_express(tmp_path):
    chip = tmp_path / "pair.toml"
    chip.write_text('name = "pair"\nnum_qubits = 2\nbasis_gates = ["rz", "sx"]\n')
    m = get_machine("qpu", device=str(chip))
    assert m.name == "qpu(pair)"
    ev = m.execute(Circuit(1, [Operation("H", (0,))]), np.zeros((1, 0)), [Expval("X0")],
                   shots=100, seed=1)[0]
    assert float(ev[0]) == pytest.approx(1.0)
    # no two-qubit gate on the chip: it declares none, and the compiler says why
    assert "CNOT" not in m.capabilities.gates and "RY" in m.capabilities.gates
    with pytest.raises(UnsupportedError, match="gate CNOT is not supported"):
        m.execute(_bell(), np.zeros((1, 1)), [Expval("Z0")], shots=10)
    with pytest.raises(UnsupportedError, match="cannot express this circuit .*CNOT"):
        m.compiled(_bell())


def test_compiles_once_per_structure_and_reports_the_layout():
    m = get_machine("qpu.ibm_torino")
    c = _bell(3)
    for t in (0.1, 0.7, 1.3):
        m.execute(c, np.array([[t]]), [Expval("Z0 Z2")], shots=100, seed=1)
    assert m.cache.compiles == 1
    m.execute(c, np.array([[0.2]]), [Expval("X0")], shots=100, seed=1)
    assert m.cache.compiles == 2  # the X basis: its rotation is compiled onto the device
    lay = m.layout(c)
    assert len(set(lay)) == 3 and all(0 <= q < 133 for q in lay)
    cc = m.compiled(c)
    assert set(lay) <= set(cc.active) and len(cc.active) < 10  # only the touched qubits


def test_trajectories_agree_with_the_density_matrix():
    """The trajectory engine's mean distribution vs the exact one: every entry is a mean of T
    values in [0, 1], within 6 of its standard deviations (<= sqrt(p (1 - p) / T))."""
    c = _bell(3)
    a = np.array([[0.9], [2.0]])
    dm = get_machine("qpu.example.grid3x3")
    T = 4000
    tr = get_machine("qpu.example.grid3x3", dm_max_qubits=0, trajectories=T)
    want = dm.distribution(c, a)
    got = tr.distribution(c, a, seed=5)
    tol = 6 * np.sqrt(want * (1 - want) / T) + 1e-12
    assert np.all(np.abs(got - want) <= tol), (got, want)
    assert not np.allclose(got, want, atol=1e-6)  # it did sample
    again = tr.distribution(c, a, seed=5)
    np.testing.assert_array_equal(got, again)


def test_idle_relaxation_lowers_the_fidelity():
    c = Circuit(3, [Operation("X", (2,)), Operation("H", (0,)), Operation("CNOT", (0, 1)),
                    Operation("CNOT", (1, 0)), Operation("CNOT", (0, 1))])
    p0 = get_machine("qpu.example.grid3x3").distribution(c, np.zeros((1, 0)))
    p1 = get_machine("qpu.example.grid3x3", idle=True).distribution(c, np.zeros((1, 0)))
    one = [i for i in range(8) if i & 1]  # wire 2 (least significant) reads 1
    assert p1[0, one].sum() < p0[0, one].sum() - 1e-4  # qubit 2 decays while it waits


def test_user_noise_model_replaces_the_calibration():
    m = get_machine("qpu.ibm_torino", seed_transpiler=3)
    c = Circuit(1, [Operation("X", (0,))])
    q = m.layout(c)[0]
    nm = NoiseModel().add_readout_error(0.1, 0.25, wires=q)
    um = get_machine("qpu.ibm_torino", noise_model=nm, seed_transpiler=3)
    p = um.distribution(c, np.zeros((1, 0)))
    np.testing.assert_allclose(p, [[0.25, 0.75]], atol=1e-12)  # only the given readout error
    nm2 = NoiseModel().add_channel(depolarizing(0.3), gates="X")
    p2 = get_machine("qpu.ibm_torino", noise_model=nm2).distribution(c, np.zeros((1, 0)))
    np.testing.assert_allclose(p2, [[0.2, 0.8]], atol=1e-12)  # X then depolarizing: 2p/3


def test_seeds_reproduce_and_vary():
    m = get_machine("qpu.ibm_torino")
    c, a = _bell(), np.array([[0.4]])
    ms = [Expval("Z0 Z1"), Probs([1]), Sample()]
    r1 = [np.asarray(x) for x in m.execute(c, a, ms, shots=500, seed=9)]
    r2 = [np.asarray(x) for x in m.execute(c, a, ms, shots=500, seed=9)]
    r3 = [np.asarray(x) for x in m.execute(c, a, ms, shots=500, seed=10)]
    for x, y in zip(r1, r2):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(r1[2], r3[2])
    assert r1[2].shape == (1, 500, 2)


def test_noise_layer_trains_on_ibm_torino():
    """NoiseQuantumLayer with the device's own noise: parameter shift on shots gives the
    derivative of the noisy expectation (checked against central differences of the exact
    noisy distribution), and a few Adam steps lower the loss."""
    from vqnet_core.qnn import NoiseQuantumLayer

    def circuit(q, x, w):
        q.ry(0, x[:, 0])
        q.cnot(0, 1)
        q.rx(1, w[0])
        q.expval({"Z1": 1.0})

    vq.manual_seed(0)
    shots = 20000
    layer = NoiseQuantumLayer(circuit, 2, 1, None, machine="qpu.ibm_torino", shots=shots,
                              seed=3)
    assert layer.machine.name == "qpu.ibm_torino"
    x = vq.tensor([[0.3]])
    out = layer(x)
    out.sum().backward()
    g = float(layer.weights.grad.numpy()[0])
    w = float(layer.weights.numpy()[0])
    m = layer.machine
    rec = layer.record(x)
    c, angles, _ = rec.build("float64")
    a = np.asarray(angles.numpy() if hasattr(angles, "numpy") else angles, dtype=float)
    col = next(p.index for op in c.ops for p in op.params
               if isinstance(p, ParamRef) and op.name == "RX")
    sign = np.array([1.0 if (i >> 0) & 1 == 0 else -1.0 for i in range(4)])

    def ev(t):
        b = a.copy()
        b[:, col] = t
        return float(m.distribution(c, b)[0] @ sign)
    fd = (ev(w + 1e-4) - ev(w - 1e-4)) / 2e-4
    # two shot estimates of <Z1> (spread <= 1/sqrt(shots) each), halved by the shift rule
    assert abs(g - fd) <= 6 * np.sqrt(2) / 2 / np.sqrt(shots)

    from vqnet_core.optim import Adam
    opt = Adam(layer.parameters(), lr=0.2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = (layer(x) + 1.0) ** 2  # push <Z1> towards -1
        loss.sum().backward()
        opt.step()
        losses.append(float(loss.numpy().sum()))
    assert losses[-1] < losses[0] - 0.1
