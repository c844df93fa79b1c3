"""Device models: the IBM fake backends read from their JSON (never imported to list them), the
TOML format and its validation, the calibration -> noise channels."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from vqnet_qpu import noise as N
from vqnet_qpu.devices import DeviceError, QubitCal, load_device, parse_device_toml

from vqnet_core.quantum.noise import thermal_relaxation


def test_listing_imports_neither_qiskit_nor_the_runtime():
    code = textwrap.dedent("""
        import sys
        from vqnet_core.quantum import available_machines
        names = available_machines()
        print(len([n for n in names if n.startswith("qpu.ibm_")]), "qpu.ibm_torino" in names,
              "qpu.example.grid3x3" in names)
        print(sorted(m for m in ("qiskit", "qiskit_ibm_runtime", "qiskit_aer")
                     if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    count, torino, grid = out[0].split()
    assert int(count) >= 50 and torino == "True" and grid == "True"
    assert out[1] == "[]"


def test_ibm_device_matches_the_fake_backend():
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    d = load_device("ibm_torino")
    fake = FakeTorino()
    t = fake.target
    assert d.num_qubits == fake.num_qubits == 133
    assert set(d.basis_gates) == {"cz", "id", "rz", "sx", "x"}
    assert set(d.coupling_map) == set(t["cz"].keys())
    for q in (0, 17, 132):
        assert d.qubits[q].t1 == pytest.approx(t.qubit_properties[q].t1)
        assert d.qubits[q].t2 == pytest.approx(t.qubit_properties[q].t2)
        assert d.gate("sx", (q,)).error == pytest.approx(t["sx"][(q,)].error)
        assert d.gate("sx", (q,)).duration == pytest.approx(t["sx"][(q,)].duration)
        assert d.qubits[q].readout_duration == pytest.approx(t["measure"][(q,)].duration)
    pair = d.coupling_map[5]
    assert d.gate("cz", pair).error == pytest.approx(t["cz"][pair].error)
    # the asymmetric readout errors of the props file (the Target keeps only their mean)
    q0 = d.qubits[0]
    assert (q0.p01, q0.p10) == pytest.approx((0.16845703125, 0.1650390625))


def test_example_device_file():
    d = load_device("qpu.example.grid3x3")
    assert d.illustrative and d.num_qubits == 9 and len(d.coupling_map) == 24
    assert d.gate("cz", (4, 5)).error == 0.035 and d.gate("cz", (5, 4)).error == 0.035
    assert d.gate("cz", (0, 1)).error == 0.02 and d.gate("sx", (8,)).error == 0.004
    assert d.qubits[4].t1 == pytest.approx(18e-6) and d.qubits[0].t1 == pytest.approx(30e-6)
    assert d.gate("cz", (0, 4)) is None  # not neighbours


GOOD = """
name = "tiny"
num_qubits = 2
basis_gates = ["rz", "sx", "cz"]
coupling = [[0, 1]]
"""


@pytest.mark.parametrize("change, match", [
    ("num_qubits = 0", "'num_qubits' must be a positive integer"),
    ('basis_gates = ["rz", "foo"]', "unknown native gate 'foo'"),
    ('basis_gates = ["sx", "cz"]', "must contain 'rz'"),
    ("coupling = [[0, 5]]", r"coupling\[0\] must be two different qubit indices"),
    ("colour = 1", "unknown field\\(s\\) colour"),
    ("[defaults]\nt1_us = -3", "defaults.t1_us must be in"),
    ("[defaults]\nreadout_p01 = 1.5", "defaults.readout_p01 must be in \\[0"),
    ("[[qubit]]\nindex = 7", r"qubit\[0\].index must be an integer in \[0, 1\]"),
    ("[[qubit]]\nindex = 0\nt1_us = 10\nt2_us = 30", "T2 .* must be <= 2\\*T1"),
    ('[[gate]]\nname = "cz"\nqubits = [0]', r"gate\[0\].qubits must be 2 qubit"),
    ('[[gate]]\nname = "x"\nqubits = [0]', r"gate\[0\].name: 'x' is not in basis_gates"),
    ('[[gate]]\nname = "sx"\nqubits = [1]\nerror = "big"', r"gate\[0\].error must be a number"),
])
def test_toml_validation_names_the_field(change, match):
    lines = [ln for ln in GOOD.strip().splitlines()
             if not ln.startswith(change.split("=")[0].strip() + " ")]
    text = "\n".join(lines) + "\n" + change + "\n" if not change.startswith("[") else \
        GOOD + change + "\n"
    with pytest.raises(DeviceError, match=match):
        parse_device_toml(text, "chip.toml")
    d = parse_device_toml(GOOD, "chip.toml")
    assert d.num_qubits == 2 and d.coupling_map == [(0, 1), (1, 0)]


def test_missing_field_and_bad_toml():
    with pytest.raises(DeviceError, match="missing field 'basis_gates'"):
        parse_device_toml('name = "x"\nnum_qubits = 1\n')
    with pytest.raises(DeviceError, match="not valid TOML"):
        parse_device_toml("name = ")
    with pytest.raises(DeviceError, match="does not exist"):
        load_device("no/such/chip.toml")


@pytest.mark.parametrize("t1, t2, t", [(100e-6, 80e-6, 50e-9), (30e-6, 60e-6, 1e-6),
                                       (200e-6, 20e-6, 300e-9)])
def test_relaxation_is_the_core_thermal_relaxation(t1, t2, t):
    """The Kraus form (for the trajectories) has the core channel's superoperator."""
    ch = N.relaxation(QubitCal(t1=t1, t2=t2), t)
    np.testing.assert_allclose(ch.superop, thermal_relaxation(0.0, t1, t2, t).superop,
                               atol=1e-12)


@pytest.mark.parametrize("k, err, dur", [(1, 3e-4, 32e-9), (2, 5e-3, 68e-9), (2, 0.02, 0),
                                         (1, 1e-5, 1e-6)])
def test_gate_error_equals_the_calibrated_one(k, err, dur):
    """Depolarizing then relaxation: the average gate infidelity is the calibrated error (or
    the relaxation's alone when that is larger)."""
    q = QubitCal(t1=120e-6, t2=90e-6)
    relax = N.tensor([N.relaxation(q, dur)] * k) if dur else None
    lam = N.depolarizing_parameter(err, k, relax)
    chans = ([N.depolarizing_k(lam, k)] if lam else []) + ([relax] if relax else [])
    S = np.eye(4**k)
    for ch in chans:
        S = ch.superop @ S
    d = 2**k
    f_avg = (d * np.trace(S).real / d**2 + 1) / (d + 1)
    relax_only = 1 - (d * N.process_fidelity(relax) + 1) / (d + 1)
    assert 1 - f_avg == pytest.approx(max(err, relax_only), rel=1e-9, abs=1e-15)
    assert math.isfinite(lam) and lam >= 0


@pytest.mark.parametrize("processor, qubits", [("rainbow", 23), ("weber", 53),
                                               ("willow_pink", 105)])
def test_google_virtual_processors(processor, qubits):
    pytest.importorskip("cirq_google")
    import cirq
    import cirq_google

    d = load_device(f"qpu.google.{processor}")
    props = cirq_google.engine.load_device_noise_properties(processor)
    assert d.num_qubits == qubits == len(props.readout_errors)
    grid = sorted(props.readout_errors)
    q = grid[3]
    assert (d.qubits[3].p01, d.qubits[3].p10) == tuple(props.readout_errors[q])
    assert d.qubits[3].t1 == pytest.approx(props.t1_ns[q] * 1e-9)
    # the coupling map: neighbours on the grid only
    for a, b in d.coupling_map:
        assert abs(grid[a].row - grid[b].row) + abs(grid[a].col - grid[b].col) == 1
    assert isinstance(grid[0], cirq.GridQubit)
    from vqnet_core.quantum import Circuit, Expval, Operation, get_machine
    m = get_machine(f"qpu.google.{processor}")
    ev = m.execute(Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1))]),
                   np.zeros((1, 0)), [Expval("Z0 Z1")], shots=2000, seed=1)[0]
    assert 0.5 < float(ev[0]) < 1.0


def test_u_basis_devices_run_on_rz_sx_x():
    """ibm_almaden's u1 / u2 / u3 basis becomes rz / sx / x with u2's figures for sx and u3's
    for x (u1 is virtual)."""
    import json

    from vqnet_qpu.devices import ibm_devices

    d = load_device("ibm_almaden")
    assert set(d.basis_gates) == {"id", "rz", "sx", "x", "cx"}
    props = json.loads((ibm_devices()["ibm_almaden"].parent / "props_almaden.json").read_text())
    u2 = next(g for g in props["gates"] if g["gate"] == "u2" and g["qubits"] == [3])
    err = next(p["value"] for p in u2["parameters"] if p["name"] == "gate_error")
    assert d.gate("sx", (3,)).error == pytest.approx(err)
    assert d.gate("rz", (3,)).duration == 0
