"""Readout mitigation (tensored inversion, and mthree's on a counts dictionary) and
zero-noise extrapolation by native gate folding."""

from __future__ import annotations

import numpy as np
import pytest
from vqnet_qpu.mitigation import apply_confusion, invert_confusion, richardson, zne

from vqnet_core.quantum import Circuit, Expval, Operation, Probs, get_machine
from vqnet_core.quantum.noise import NoiseModel


def _mats(rng, n):
    return [np.array([[1 - a, b], [a, 1 - b]]) for a, b in rng.uniform(0.01, 0.2, (n, 2))]


def test_tensored_inversion_round_trip():
    rng = np.random.default_rng(0)
    mats = _mats(rng, 3)
    p = rng.dirichlet(np.ones(8), size=4)
    q = apply_confusion(p, mats)
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    # against the full 8x8 confusion matrix (wire 0 most significant)
    full = np.kron(np.kron(mats[0], mats[1]), mats[2])
    np.testing.assert_allclose(q, p @ full.T, atol=1e-14)
    np.testing.assert_allclose(invert_confusion(q, mats), p, atol=1e-12)
    with pytest.raises(ValueError, match="singular"):
        invert_confusion(q, [np.full((2, 2), 0.5)] * 3)


def test_mthree_agrees_with_the_tensored_inversion():
    pytest.importorskip("mthree")
    from vqnet_qpu.mitigation import readout_mitigated_counts_m3

    rng = np.random.default_rng(1)
    mats = _mats(rng, 3)
    p = apply_confusion(rng.dirichlet(np.ones(8), size=1), mats)[0]
    counts = {format(i, "03b"): int(round(v * 1e6)) for i, v in enumerate(p)}
    quasi = readout_mitigated_counts_m3(counts, mats)
    mine = invert_confusion(np.array([[counts[format(i, "03b")] for i in range(8)]]) / 1e6,
                            mats)[0]
    got = np.array([quasi.get(format(i, "03b"), 0.0) for i in range(8)])
    np.testing.assert_allclose(got, mine, atol=2e-3)  # mthree computes in float32


def test_readout_mitigation_on_the_machine():
    """Only readout errors: mitigated shot estimates are unbiased for the ideal values."""
    c = Circuit(2, [Operation("X", (0,))])
    raw = get_machine("qpu.ibm_torino", seed_transpiler=1)
    lay = raw.layout(c)
    nm = NoiseModel().add_readout_error(0.15, 0.25, wires=lay[0]) \
        .add_readout_error(0.1, 0.05, wires=lay[1])
    shots = 20000
    ms = [Expval("Z0"), Expval("Z1"), Probs()]
    plain = get_machine("qpu.ibm_torino", noise_model=nm, seed_transpiler=1)
    mit = get_machine("qpu.ibm_torino", noise_model=nm, seed_transpiler=1,
                      mitigation="readout")
    z0, z1, _ = (np.asarray(r)[0] for r in plain.execute(c, np.zeros((1, 0)), ms, shots=shots,
                                                         seed=2))
    assert z0 == pytest.approx(-1 + 2 * 0.25, abs=0.03) and z1 == pytest.approx(0.8, abs=0.03)
    m0, m1, pm = (np.asarray(r)[0] for r in mit.execute(c, np.zeros((1, 0)), ms, shots=shots,
                                                        seed=2))
    # the inversion scales the shot noise by at most 1 / (1 - p01 - p10) per wire
    assert m0 == pytest.approx(-1.0, abs=6 / 0.6 / np.sqrt(shots))
    assert m1 == pytest.approx(1.0, abs=6 / 0.85 / np.sqrt(shots))
    assert np.all(pm >= 0) and pm.sum() == pytest.approx(1.0) and pm[2] > 0.95
    with pytest.raises(ValueError, match="mitigation must be None or 'readout'"):
        get_machine("qpu.ibm_torino", mitigation="zne")


def test_richardson_is_exact_on_polynomials():
    s = [1, 3, 5]
    vals = np.array([[2 + 0.1 * x - 0.01 * x * x] for x in s])
    assert richardson(s, vals)[0] == pytest.approx(2.0)


def test_zne_moves_towards_the_ideal_value():
    """Folding scales the gate noise; the extrapolated <Z0 Z1> of a Bell pair on the grid
    chip's noisy CZ is closer to 1 than the raw estimate (readout mitigated in both)."""
    m = get_machine("qpu.example.grid3x3", mitigation="readout")
    c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1)), Operation("CNOT", (0, 1)),
                    Operation("CNOT", (0, 1))])
    shots = 50000
    raw = float(np.asarray(m.execute(c, np.zeros((1, 0)), [Expval("Z0 Z1")], shots=shots,
                                     seed=1)[0])[0])
    folded3 = float(np.asarray(m.folded(3).execute(c, np.zeros((1, 0)), [Expval("Z0 Z1")],
                                                   shots=shots, seed=1)[0])[0])
    assert folded3 < raw - 0.02  # three times the gate noise
    ev = zne(m, c, np.zeros((1, 0)), [Expval("Z0 Z1")], shots=shots, seed=1)[0]
    assert abs(ev[0] - 1) < abs(raw - 1) / 2
    with pytest.raises(ValueError, match="odd positive"):
        m.folded(2)
