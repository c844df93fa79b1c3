"""Distributions of ``qpu.<device>`` agree with Qiskit Aer's ``from_backend`` noise model on the
same transpiled circuits.

For each of 24 seeded random circuits on each of three IBM devices (5-qubit Falcon with CX,
127-qubit Eagle with ECR, 133-qubit Heron with CZ), VQNet's exact noisy distribution (density
matrix engine, calibrated gate noise and readout) is compared with the counts of
``AerSimulator`` running the circuit VQNet compiled, with ``NoiseModel.from_backend(fake)``
(depolarizing + thermal relaxation per gate). Aer's ``from_backend`` takes a symmetric readout
error from the Target; VQNet uses the calibrated ``prob_meas1_prep0`` / ``prob_meas0_prep1``,
so Aer gets those as its readout errors. The bound on the total variation distance is the one
a correct sampler exceeds with probability < 1e-6 (``vqnet_spec``'s ``tvd_bound``, from the
shot count): a model difference larger than shot noise fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import get_machine

pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime")

SHOTS = 200_000  # cheap for Aer: its density-matrix method samples the final state
DEVICES = {"ibm_manila": "FakeManilaV2", "ibm_brisbane": "FakeBrisbane",
           "ibm_torino": "FakeTorino"}
CIRCUITS = 24


def _aer(fake_cls: str):
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from vqnet_qpu.devices import load_device

    fake = getattr(fp, fake_cls)()
    nm = NoiseModel.from_backend(fake, readout_error=False)
    dev = load_device("ibm_" + fake_cls.lower().replace("fake", "").replace("v2", ""))
    for q, cal in enumerate(dev.qubits):
        nm.add_readout_error(ReadoutError([[1 - cal.p01, cal.p01], [cal.p10, 1 - cal.p10]]),
                             [q])
    return AerSimulator(noise_model=nm, method="density_matrix")


@pytest.mark.parametrize("device", list(DEVICES))
def test_distributions_agree_with_aer(device, make_circuit):
    from qiskit import ClassicalRegister
    from vqnet_qpu.devices import load_device
    from vqnet_spec.machine.reference import tvd_bound

    assert load_device(device).num_qubits >= 5
    m = get_machine(f"qpu.{device}", seed_transpiler=7)
    sim = _aer(DEVICES[device])
    rng = np.random.default_rng(sorted(DEVICES).index(device) + 11)
    cases, qcs = [], []
    for _ in range(CIRCUITS):
        n = int(rng.integers(2, 5))
        c, S = make_circuit(rng, n, int(rng.integers(4, 12)))
        a = rng.uniform(-np.pi, np.pi, (1, S))
        cc = m.compiled(c)
        qc = cc.qc.copy()
        if qc.num_parameters:
            qc = qc.assign_parameters({p: float(a[0, p.index]) for p in qc.parameters})
        creg = ClassicalRegister(n)
        qc.add_register(creg)
        for w, q in enumerate(cc.layout):
            qc.measure(q, creg[w])
        qcs.append(qc)
        cases.append((n, len(cc.ops), m.distribution(c, a)[0]))  # exact: density matrix
    # one Aer job for all circuits (its per-run set-up dominates on a 133-qubit device)
    result = sim.run(qcs, shots=SHOTS, seed_simulator=100).result()
    worst = 0.0
    for i, (n, nops, want) in enumerate(cases):
        got = np.zeros(2**n)
        for bits, k in result.get_counts(i).items():
            got[int(bits.replace(" ", "")[::-1], 2)] += k  # clbit 0 (wire 0) first
        got /= SHOTS
        tvd = 0.5 * float(np.abs(got - want).sum())
        bound = tvd_bound(want, SHOTS)
        worst = max(worst, tvd / bound)
        assert tvd <= bound, (f"{device}, circuit {i} ({n} wires, {nops} native ops): "
                              f"TVD {tvd:.4f} to Aer > {bound:.4f}\n  vqnet {want.round(4)}\n  "
                              f"aer   {got.round(4)}")
    assert worst > 0  # the comparison ran
