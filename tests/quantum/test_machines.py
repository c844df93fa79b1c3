"""statevector and density_matrix vs the independent numpy reference; measurements, shots,
dtypes, registry and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
import vqnet_core.qnn  # noqa: F401
import vqnet_core.quantum  # noqa: F401
from vqnet_core.quantum import (
    Circuit,
    Density,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    UnknownMachineError,
    UnsupportedError,
    available_machines,
    get_machine,
)

from .conftest import random_circuit
from .reference import observable_matrix, simulate

OBS = {"Z0 Z1": 0.5, "X2": 1.0, "Y3 Z0": -0.3, "": 0.2}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_statevector_matches_reference_on_whole_gate_set(seed):
    rng = np.random.default_rng(seed)
    n = 4
    c, ref, S = random_circuit(rng, n, 60)
    angles = rng.uniform(-np.pi, np.pi, (3, S))
    m = get_machine("statevector")
    st, ev, pr = m.execute(c, angles, [State(), Expval(OBS), Probs([2, 0])])
    Hm = observable_matrix(OBS, n)
    for b in range(3):
        psi = simulate(ref, n, angles[b])
        np.testing.assert_allclose(st[b], psi, atol=1e-12)
        assert ev[b] == pytest.approx(np.real(psi.conj() @ Hm @ psi), abs=1e-12)
        p = (np.abs(psi) ** 2).reshape(2, 2, 2, 2).sum(axis=(1, 3)).T.reshape(-1)
        np.testing.assert_allclose(pr[b], p, atol=1e-12)


def test_fusion_off_gives_same_states(rng):
    from vqnet_core.quantum.statevector import StatevectorMachine
    c, _, S = random_circuit(rng, 5, 50)
    a = rng.uniform(-3, 3, (2, S))
    s1 = StatevectorMachine(fuse=True).execute(c, a, [State()])[0]
    s2 = StatevectorMachine(fuse=False).execute(c, a, [State()])[0]
    np.testing.assert_allclose(s1, s2, atol=1e-12)


def test_density_matrix_matches_statevector(rng):
    c, ref, S = random_circuit(rng, 3, 45)
    a = rng.uniform(-3, 3, (2, S))
    obs = {"Z0 X1": 0.7, "Y2": -1.0}
    st, ev, pr = get_machine("statevector").execute(c, a, [State(), Expval(obs), Probs([1])])
    rho, ev2, pr2 = get_machine("density_matrix").execute(c, a, [Density(), Expval(obs),
                                                                  Probs([1])])
    np.testing.assert_allclose(rho, np.einsum("bi,bj->bij", st, st.conj()), atol=1e-12)
    np.testing.assert_allclose(ev2, ev, atol=1e-12)
    np.testing.assert_allclose(pr2, pr, atol=1e-12)


def test_complex64_close_to_complex128(rng):
    c, _, S = random_circuit(rng, 4, 40)
    a = rng.uniform(-3, 3, (2, S))
    m = get_machine("statevector")
    lo = m.execute(c, a, [State(), Expval(OBS)], dtype="complex64")
    hi = m.execute(c, a, [State(), Expval(OBS)], dtype="complex128")
    assert lo[0].dtype == np.complex64 and lo[1].dtype == np.float32
    np.testing.assert_allclose(lo[0], hi[0], atol=1e-5)
    np.testing.assert_allclose(lo[1], hi[1], atol=1e-5)


@pytest.mark.parametrize("name", ["statevector", "density_matrix"])
def test_shots_statistics_and_seeding(name):
    m = get_machine(name)
    c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))])
    a = np.array([[0.9], [2.0]])
    exact = m.execute(c, a, [Expval({"Z0": 1.0, "Z0 Z1": 0.5}), Probs([0, 1])])
    shots = 20000
    r1 = m.execute(c, a, [Expval({"Z0": 1.0, "Z0 Z1": 0.5}), Probs([0, 1])], shots, seed=5)
    r2 = m.execute(c, a, [Expval({"Z0": 1.0, "Z0 Z1": 0.5}), Probs([0, 1])], shots, seed=5)
    np.testing.assert_array_equal(r1[0], r2[0])
    # 5 standard deviations of a mean of +-1 outcomes (1.5 * 5 / sqrt(shots))
    assert np.all(np.abs(r1[0] - exact[0]) < 1.5 * 5 / np.sqrt(shots))
    assert np.all(np.abs(r1[1] - exact[1]) < 5 * 0.5 / np.sqrt(shots))
    s = m.execute(c, a, [Sample([0, 1])], shots, seed=1)[0]
    assert s.shape == (2, shots, 2) and s.dtype == np.int64
    assert np.all(s[:, :, 0] == s[:, :, 1])  # Bell-like: the bits agree
    np.testing.assert_allclose(s[:, :, 0].mean(1), exact[1][:, 3], atol=5 * 0.5 / np.sqrt(shots))


def test_seeded_from_vqnet_stream():
    m = get_machine("statevector")
    c = Circuit(1, [Operation("H", (0,))])
    vq.manual_seed(3)
    a = m.execute(c, np.zeros((1, 0)), [Sample()], 50)[0]
    vq.manual_seed(3)
    b = m.execute(c, np.zeros((1, 0)), [Sample()], 50)[0]
    np.testing.assert_array_equal(a, b)


def test_registry():
    assert {"statevector", "density_matrix"} <= set(available_machines())
    with pytest.raises(UnknownMachineError, match="installed: .*density_matrix.*statevector"):
        get_machine("nope")
    # a family with no plugin installed: a hint only where vqnet declares that extra
    from importlib import metadata

    with pytest.raises(UnknownMachineError) as ei:
        get_machine("nosuchfamily.simulator")
    assert "nosuchfamily" not in (metadata.metadata("vqnet").get_all("Provides-Extra") or [])
    assert "pip install" not in str(ei.value)


def test_errors():
    m = get_machine("statevector")
    c = Circuit(2, [Operation("RX", (0,), (ParamRef(1),))])
    good = np.zeros((2, 2))
    with pytest.raises(MachineError, match="angles must have shape \\[B, S\\]"):
        m.execute(c, np.zeros(2), [Expval("Z0")])
    with pytest.raises(MachineError, match="refers to 2 angle columns"):
        m.execute(c, np.zeros((2, 1)), [Expval("Z0")])
    with pytest.raises(MachineError, match="NaN"):
        m.execute(c, np.full((2, 2), np.nan), [Expval("Z0")])
    with pytest.raises(MachineError, match="wire 5: out of range"):
        m.execute(Circuit(2, [Operation("X", (5,))]), good, [Expval("Z0")])
    with pytest.raises(MachineError, match="measures wire 3"):
        m.execute(c, good, [Expval("Z3")])
    with pytest.raises(MachineError, match="needs shots"):
        m.execute(c, good, [Sample()])
    with pytest.raises(MachineError, match="shots must be a positive int"):
        m.execute(c, good, [Expval("Z0")], shots=0)
    with pytest.raises(UnsupportedError, match="measurement 'state' is not supported by "
                                               "machine 'density_matrix'"):
        get_machine("density_matrix").execute(c, good, [State()])
    with pytest.raises(UnsupportedError, match="dtype float64"):
        m.execute(c, good, [Expval("Z0")], dtype="float64")
    from vqnet_core.quantum.gates import GateError
    with pytest.raises(GateError, match="CNOT acts on 2 wire"):
        Operation("CNOT", (0,))
    with pytest.raises(GateError, match="RX takes 1 angle"):
        Operation("RX", (0,), ())
    with pytest.raises(GateError, match="not unitary"):
        Operation("QubitUnitary", (0,), (), np.ones((2, 2)))
    with pytest.raises(ValueError, match="cannot parse"):
        Expval("Q0")


def test_unsupported_gate_names_the_gate_and_machine():
    from vqnet_core.quantum.machine import MachineCapabilities
    from vqnet_core.quantum.statevector import StatevectorMachine

    class Small(StatevectorMachine):
        name = "small"
        capabilities = MachineCapabilities(gates=frozenset({"H", "CNOT"}))
    c = Circuit(1, [Operation("RX", (0,), (0.1,))])
    with pytest.raises(UnsupportedError, match="gate RX is not supported by machine 'small'"):
        Small().execute(c, np.zeros((1, 0)), [Expval("Z0")])
