"""The qiskit.* machines beyond the conformance suite: batching in one Aer call, noise
translation against the core's density_matrix machine, and the Aer binding workaround."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from vqnet_qiskit.translate import kraus_of, to_aer_noise_model

from vqnet_core.quantum import (
    Circuit,
    Density,
    Expval,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    available_machines,
    get_machine,
)
from vqnet_core.quantum.noise import (
    NoiseModel,
    amplitude_damping,
    depolarizing,
    phase_flip,
    thermal_relaxation,
)

MACHINES = ["qiskit.aer", "qiskit.aer.density_matrix", "qiskit.aer.mps", "qiskit.statevector"]


def test_registered():
    assert set(MACHINES) <= set(available_machines())


def _circuit():
    return Circuit(3, [
        Operation("RX", (0,), (ParamRef(0),)), Operation("CRY", (0, 2), (ParamRef(1),)),
        Operation("CNOT", (2, 1)), Operation("ControlledPhaseShift", (1, 0), (ParamRef(2),)),
        Operation("Rot", (1,), (ParamRef(0), 0.3, ParamRef(2))),
        Operation("CRZ", (2, 1), (ParamRef(1),)), Operation("CRX", (1, 2), (ParamRef(0),))])


@pytest.mark.parametrize("name", MACHINES)
def test_batch_matches_reference(name):
    c = _circuit()
    a = np.random.default_rng(1).uniform(-3, 3, (5, 3))
    ms = [Expval({"Z0 X1": 0.5, "Y2": -1.0}), Probs([2, 0])]
    ref = get_machine("statevector").execute(c, a, ms)
    got = get_machine(name).execute(c, a, ms)
    for r, g in zip(ref, got):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), atol=1e-10)


def test_one_aer_call_per_execute(monkeypatch):
    m = get_machine("qiskit.aer")
    sim = m.simulator()
    calls = []
    real = type(sim).run

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("parameter_binds"))
        return real(self, *args, **kwargs)
    monkeypatch.setattr(type(sim), "run", counting)
    m.execute(_circuit(), np.zeros((7, 3)), [State()])
    assert len(calls) == 1 and len(calls[0]) == 1                 # one circuit, one bind set
    assert all(len(v) == 7 for v in calls[0][0].values())          # the [B] column of each


def test_aer_parameter_binds_of_controlled_rotations():
    """Aer 0.18 ignores the bound angle of cp/crx/cry/crz given through parameter_binds (the
    reason the Aer machines decompose them); if this starts passing, Aer fixed it."""
    from qiskit_aer import AerSimulator
    t = Parameter("t")
    qc = QuantumCircuit(2)
    qc.h([0, 1])
    qc.crx(t, 1, 0)
    qc.save_statevector()
    sim = AerSimulator()
    a = sim.run(qc, parameter_binds=[{t: [0.7]}]).result().data(0)["statevector"].data
    b = sim.run(qc.assign_parameters({t: 0.7})).result().data(0)["statevector"].data
    assert not np.allclose(a, b)          # the Aer defect the machines work around


def _noise():
    return (NoiseModel().add_channel(depolarizing(0.1), gates=["RX", "CNOT"])
            .add_channel(amplitude_damping(0.2), wires=[1])
            .add_channel(thermal_relaxation(0.1, 1.0, 1.5, 0.3), gates=["CRY"])
            .add_channel(phase_flip(0.05))
            .add_readout_error(0.05, 0.1, wires=[0]).add_readout_error(0.02, wires=[2]))


def test_noise_matches_core_density_matrix():
    nm = _noise()
    c = _circuit()
    a = np.random.default_rng(2).uniform(-3, 3, (3, 3))
    ms = [Density(), Probs([0, 2]), Expval("Z0 Z1"), Expval("X2")]
    ref = get_machine("density_matrix", noise_model=nm).execute(c, a, ms)
    got = get_machine("qiskit.aer.density_matrix", noise_model=nm).execute(c, a, ms)
    for r, g in zip(ref, got):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), atol=1e-10)


def test_kraus_from_superoperator():
    ch = thermal_relaxation(0.2, 1.0, 0.7, 0.4)
    ks = kraus_of(ch)
    S = sum(np.kron(k, k.conj()) for k in ks)
    np.testing.assert_allclose(S, ch.superop, atol=1e-12)


def test_aer_noise_model_readout():
    aer = to_aer_noise_model(_noise(), 3)
    assert "measure" in aer.noise_instructions
    assert {"vqnet_noise_0", "vqnet_noise_3"} <= set(aer.noise_instructions)


def test_noise_refused_on_exact_machines():
    with pytest.raises(TypeError, match="does not simulate noise"):
        get_machine("qiskit.aer", noise_model=_noise())


# ---------------------------------------------------------------- qiskit.primitives
def _small():
    c = Circuit(3, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
                    Operation("CRX", (1, 2), (ParamRef(1),)), Operation("H", (2,))])
    return c, np.array([[0.3, 1.0], [2.0, -0.5]])


def test_primitives_machine_on_a_generic_backend():
    from qiskit.providers.fake_provider import GenericBackendV2
    c, a = _small()
    ms = [Expval({"Z0 Z1": 1.0, "X2": 0.5}), Probs([2, 0])]
    ref = get_machine("statevector").execute(c, a, ms)
    m = get_machine("qiskit.primitives", backend=GenericBackendV2(5, seed=3, noise_info=False))
    assert not m.capabilities.exact and m.capabilities.max_wires == 5
    got = m.execute(c, a, ms + [Sample([0, 1])], shots=4000, seed=7)
    again = m.execute(c, a, ms + [Sample([0, 1])], shots=4000, seed=7)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), atol=0.06)
    for g, h in zip(got, again):                       # seed_simulator reaches the backend
        np.testing.assert_array_equal(np.asarray(g), np.asarray(h))
    s = np.asarray(got[2])
    assert s.shape == (2, 4000, 2) and np.all(s[:, :, 0] == s[:, :, 1])   # a Bell pair


def test_primitives_machine_with_a_users_estimator():
    from qiskit.primitives import StatevectorEstimator
    c, a = _small()
    ms = [Expval({"Z0 Z1": 1.0, "X2": 0.5}), Probs([2, 0])]
    ref = get_machine("statevector").execute(c, a, ms)
    m = get_machine("qiskit.primitives", estimator=StatevectorEstimator())
    assert m.capabilities.exact and "sample" not in m.capabilities.measurements
    for g, r in zip(m.execute(c, a, ms), ref):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), atol=1e-12)
    with pytest.raises(TypeError, match="BaseEstimatorV2"):
        get_machine("qiskit.primitives", estimator=object())


def test_primitives_machine_probs_limit():
    m = get_machine("qiskit.primitives", max_probs_wires=2)
    c = Circuit(3, [Operation("H", (0,))])
    with pytest.raises(Exception, match="max_probs_wires=2"):
        m.execute(c, np.zeros((1, 0)), [Probs()])


def test_aer_estimator_v2_has_the_same_binding_defect():
    """Aer's own EstimatorV2 ignores a bound crx angle too (why qiskit.aer decomposes it);
    a user passing Aer's primitives to qiskit.primitives inherits this."""
    from qiskit.circuit import ParameterVector
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer.primitives import EstimatorV2
    p = ParameterVector("a", 1)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.crx(p[0], 0, 1)
    pub = (qc, SparsePauliOp("ZI"), [[1.0]])
    good = StatevectorEstimator().run([pub]).result()[0].data.evs
    aer = EstimatorV2().run([pub]).result()[0].data.evs
    assert not np.allclose(good, aer)
