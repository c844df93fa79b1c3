"""Every gate: unitary, PennyLane's conventions (matrices written independently), exact
derivatives and shift rules."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import GATES, get_gate, shift_rule
from vqnet_core.quantum.gates import GateError

from .reference import expected_matrix

ANGLES = [0.37, -1.21, 2.05]


def _k(name):
    g = GATES[name]
    return g.num_wires or {"MultiRZ": 3, "MultiControlledX": 3}.get(name)


PARAMETRIC_FREE = [n for n in GATES if n != "QubitUnitary"]


@pytest.mark.parametrize("name", PARAMETRIC_FREE)
def test_matrix_matches_pennylane_convention_and_is_unitary(name):
    g = GATES[name]
    k = _k(name)
    params = [np.array([a]) for a in ANGLES[:g.num_params]]
    m = g.matrix(params, k)[0]
    np.testing.assert_allclose(m @ m.conj().T, np.eye(2**k), atol=1e-12)
    np.testing.assert_allclose(m, expected_matrix(name, ANGLES[:g.num_params], k), atol=1e-12)
    if g.kind == "diag":
        np.testing.assert_allclose(g.diagonal(params, k)[0], np.diagonal(m), atol=1e-12)
        assert np.allclose(m, np.diag(np.diagonal(m)))
    if g.kind == "perm":
        p = g.permutation(k)
        np.testing.assert_allclose(m, np.eye(2**k)[p], atol=0)


@pytest.mark.parametrize("name", [n for n in GATES if GATES[n].num_params])
def test_batched_matrix_and_exact_derivatives(name):
    g = GATES[name]
    k = _k(name)
    rng = np.random.default_rng(7)
    params = [rng.uniform(-3, 3, 4) for _ in range(g.num_params)]
    m = g.matrix(params, k)
    assert m.shape == (4, 2**k, 2**k)
    for b in range(4):
        np.testing.assert_allclose(
            m[b], expected_matrix(name, [p[b] for p in params], k), atol=1e-12)
    h = 1e-6
    for j in range(g.num_params):
        up = [p + (h if i == j else 0) for i, p in enumerate(params)]
        dn = [p - (h if i == j else 0) for i, p in enumerate(params)]
        num = (g.matrix(up, k) - g.matrix(dn, k)) / (2 * h)
        np.testing.assert_allclose(g.dmatrix(params, j, k), num, atol=1e-8)
        G = g.generator(j, k)
        np.testing.assert_allclose(G, G.conj().T, atol=1e-14)  # Hermitian


@pytest.mark.parametrize("name", [n for n in GATES if GATES[n].num_params])
def test_shift_rule_is_exact_on_expectations(name):
    """The rule reproduces d<psi|U^dag O U|psi>/dp for a random state and observable."""
    g = GATES[name]
    k = _k(name)
    rng = np.random.default_rng(3)
    psi = rng.standard_normal(2**k) + 1j * rng.standard_normal(2**k)
    psi /= np.linalg.norm(psi)
    A = rng.standard_normal((2**k, 2**k)) + 1j * rng.standard_normal((2**k, 2**k))
    O = A + A.conj().T
    base = [0.4, -0.9, 1.3][:g.num_params]

    def f(vals):
        u = g.matrix([np.array([v]) for v in vals], k)[0]
        v = u @ psi
        return np.real(v.conj() @ O @ v)
    for j in range(g.num_params):
        rule = shift_rule(name, j, k)
        assert len(rule) in (2, 4)
        est = sum(c * f([v + (s if i == j else 0) for i, v in enumerate(base)])
                  for c, s in rule)
        h = 1e-6
        num = (f([v + (h if i == j else 0) for i, v in enumerate(base)])
               - f([v - (h if i == j else 0) for i, v in enumerate(base)])) / (2 * h)
        assert est == pytest.approx(num, abs=1e-7)


def test_two_and_four_term_rules():
    assert shift_rule("RX", 0, 1) == ((0.5, np.pi / 2), (-0.5, -np.pi / 2))
    rule = sorted(shift_rule("CRX", 0, 2), key=lambda cs: cs[1])
    shifts = [s for _, s in rule]
    np.testing.assert_allclose(shifts, [-3 * np.pi / 2, -np.pi / 2, np.pi / 2, 3 * np.pi / 2])
    cp = (np.sqrt(2) + 1) / (4 * np.sqrt(2))
    cm = (np.sqrt(2) - 1) / (4 * np.sqrt(2))
    np.testing.assert_allclose([c for c, _ in rule], [cm, -cp, cp, -cm])


def test_aliases_and_unknown_gate():
    assert get_gate("cx").name == "CNOT"
    assert get_gate("Toffoli") is get_gate("CCX")
    with pytest.raises(GateError, match="unknown gate 'FOO'"):
        get_gate("FOO")


def test_pennylane_matrices_agree():
    qml = pytest.importorskip("pennylane")
    pl = {"RXX": qml.IsingXX, "RYY": qml.IsingYY, "RZZ": qml.IsingZZ, "CNOT": qml.CNOT}
    skip = {"RZX", "Sdg", "Tdg", "QubitUnitary", "I"}
    for name in GATES:
        if name in skip:
            continue
        cls = pl.get(name) or getattr(qml, name)
        k = _k(name)
        g = GATES[name]
        params = ANGLES[:g.num_params]
        want = qml.matrix(cls(*params, wires=list(range(k))))
        got = g.matrix([np.array([a]) for a in params], k)[0]
        np.testing.assert_allclose(got, want, atol=1e-12, err_msg=name)
