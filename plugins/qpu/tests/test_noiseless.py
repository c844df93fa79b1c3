"""With the noise switched off a ``qpu.*`` machine is the exact state vector: the compiled,
routed circuit on the active physical qubits, read through the final layout (also for the X / Y
bases, whose rotations are compiled onto the device), gives the logical circuit's exact
probabilities -- so layout and observables follow the routing."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import Expval, Probs, get_machine
from vqnet_core.quantum.statevector import StatevectorMachine

DEVICES = ["qpu.ibm_manila", "qpu.ibm_torino", "qpu.ibm_brisbane", "qpu.example.grid3x3"]


@pytest.mark.parametrize("name", DEVICES)
def test_noiseless_distribution_is_exact(name, make_circuit):
    m = get_machine(name, noise=False)
    ref = StatevectorMachine()
    rng = np.random.default_rng(len(name))
    moved = 0
    for _ in range(6):
        n = int(rng.integers(2, 6))
        c, S = make_circuit(rng, n, 14)
        a = rng.uniform(-np.pi, np.pi, (3, S))
        want = ref.execute(c, a, [Probs()])[0]
        np.testing.assert_allclose(m.distribution(c, a), want, atol=1e-9)
        for rot in (((0, "X"),), ((n - 1, "Y"), (0, "X"))):
            # the probabilities after the basis rotation: those of the rotated circuit
            from vqnet_core.quantum import Circuit, Operation
            extra = []
            for w, p in rot:
                extra += [Operation("Sdg", (w,)), Operation("H", (w,))] if p == "Y" else \
                    [Operation("H", (w,))]
            want_r = ref.execute(Circuit(n, c.ops + extra), a, [Probs()])[0]
            np.testing.assert_allclose(m.distribution(c, a, rot), want_r, atol=1e-9)
        moved += m.layout(c) != tuple(range(n))
    if name != "qpu.ibm_manila":
        assert moved, "no circuit was placed away from qubits 0..n-1: layout untested"


def test_noiseless_shots_estimate_exact_expvals(make_circuit):
    m = get_machine("qpu.ibm_torino", noise=False)
    rng = np.random.default_rng(3)
    c, S = make_circuit(rng, 3, 12)
    a = rng.uniform(-np.pi, np.pi, (2, S))
    obs = {"Z0 Z1": 0.5, "X2": 1.0, "Y0": -0.3}
    want = StatevectorMachine().execute(c, a, [Expval(obs)])[0]
    shots = 20000
    got = np.asarray(m.execute(c, a, [Expval(obs)], shots=shots, seed=4)[0])
    # each term's estimate has standard deviation <= |coefficient| / sqrt(shots)
    assert np.all(np.abs(got - want) <= 6 * (0.5 + 1.0 + 0.3) / np.sqrt(shots))
