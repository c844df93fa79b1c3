"""VQNet as a Cirq simulator, judged by Cirq: ``vqnet_cirq.Simulator`` against
``cirq.Simulator`` on seeded random circuits and sweeps, through Cirq's own interfaces."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy
from vqnet_cirq import Simulator

SYMS = sympy.symbols("t0:4")


def _circuit(seed: int, n: int = 4) -> cirq.Circuit:
    """A random circuit (Cirq's generator: X/Y/Z/H powers, CZ, CNOT, ISWAP, ...) with
    parameterised layers around it."""
    q = cirq.LineQubit.range(n)
    rng = np.random.default_rng(seed)
    body = cirq.testing.random_circuit(q, n_moments=10, op_density=0.8, random_state=seed)
    pre = [cirq.rx(SYMS[0] * rng.uniform(0.5, 2))(q[0]),
           cirq.ry(SYMS[1] + rng.uniform(-1, 1))(q[1 % n]),
           cirq.PhasedXPowGate(phase_exponent=0.2, exponent=SYMS[2])(q[2 % n])]
    post = [cirq.ZZ(q[0], q[-1]) ** SYMS[3], cirq.FSimGate(SYMS[0], 0.4)(q[1], q[2]),
            cirq.CZ(q[0], q[1]) ** SYMS[2]]
    return cirq.Circuit(pre, body, post)


def _sweep(seed: int) -> cirq.Sweep:
    rng = np.random.default_rng(seed + 100)
    return (cirq.Points("t0", rng.uniform(-3, 3, 3).tolist())
            * cirq.Linspace("t1", -1, 1, 2)
            * cirq.Zip(cirq.Points("t2", [0.3, -0.7]), cirq.Points("t3", [1.1, 0.2])))


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_cirq_simulator(seed):
    c, sweep = _circuit(seed), _sweep(seed)
    q = sorted(c.all_qubits())
    ref, me = cirq.Simulator(dtype=np.complex128), Simulator()
    for a, b in zip(ref.simulate_sweep(c, sweep), me.simulate_sweep(c, sweep)):
        assert isinstance(b, cirq.StateVectorTrialResult)
        assert b.params == a.params
        ov = np.vdot(a.final_state_vector, b.final_state_vector)
        np.testing.assert_allclose(b.final_state_vector, a.final_state_vector * ov / abs(ov),
                                   atol=1e-6)
    obs = [cirq.Z(q[0]) * cirq.X(q[2]) - 0.5 * cirq.Y(q[1]), cirq.X(q[3]) + 0.25,
           cirq.PauliString(cirq.Y(q[0]), cirq.Y(q[1]), cirq.Z(q[3]))]
    ea = np.array(ref.simulate_expectation_values_sweep(c, obs, sweep))
    eb = np.array(me.simulate_expectation_values_sweep(c, obs, sweep))
    np.testing.assert_allclose(eb, ea.real, atol=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_sample_distribution_matches(seed):
    c, sweep = _circuit(seed, 3), _sweep(seed)
    q = sorted(c.all_qubits())
    cm = c + cirq.Circuit(cirq.measure(q[0], q[2], key="a"), cirq.measure(q[1], key="b"))
    shots = 4000
    ref = cirq.Simulator(dtype=np.complex128)
    runs = Simulator(seed=seed).run_sweep(cm, sweep, repetitions=shots)
    for res, st in zip(runs, ref.simulate_sweep(c, sweep)):
        assert res.measurements["a"].shape == (shots, 2)
        assert res.measurements["b"].shape == (shots, 1)
        p = np.abs(st.final_state_vector) ** 2  # q0 q1 q2, q0 most significant
        bits = np.concatenate([res.measurements["a"][:, :1], res.measurements["b"],
                               res.measurements["a"][:, 1:]], axis=1)
        idx = bits @ np.array([4, 2, 1])
        freq = np.bincount(idx, minlength=8) / shots
        assert np.all(np.abs(freq - p) <= 6 * np.sqrt(p * (1 - p) / shots) + 1e-3)


def test_seeded_and_sampler_code_runs_unchanged():
    q = cirq.LineQubit.range(2)
    t = sympy.Symbol("t")
    c = cirq.Circuit(cirq.ry(t)(q[0]), cirq.CNOT(*q), cirq.measure(*q, key="m"))
    s1, s2 = Simulator(seed=5), Simulator(seed=5)
    r1 = s1.run(c, {"t": 1.0}, repetitions=50)
    assert r1 == s2.run(c, {"t": 1.0}, repetitions=50)
    sampler: cirq.Sampler = Simulator(seed=1)
    df = sampler.sample(c, repetitions=10, params=cirq.Linspace("t", 0, np.pi, 3))
    assert len(df) == 30 and set(df.columns) == {"t", "m"}
    assert np.all(df[df.t == 0].m == 0)
    counts = sampler.run(c, {"t": np.pi}, repetitions=20).histogram(key="m")
    assert counts == {3: 20}
    assert isinstance(sampler, (cirq.SimulatesSamples, cirq.SimulatesExpectationValues,
                                cirq.SimulatesFinalState))
    with pytest.raises(ValueError, match="terminal measurements"):
        sampler.simulate_expectation_values(c, cirq.Z(q[0]), {"t": 0.0})
    ev = sampler.simulate_expectation_values(c, cirq.Z(q[0]), {"t": 0.0},
                                             permit_terminal_measurements=True)
    assert ev[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no value"):
        sampler.run(c, {}, repetitions=1)


def test_on_other_machines():
    c, sweep = _circuit(1), _sweep(1)
    ref = cirq.Simulator(dtype=np.complex128).simulate_sweep(c, sweep)
    for m in ("cirq.simulator", "density_matrix"):
        if m == "density_matrix":
            obs = [cirq.Z(sorted(c.all_qubits())[0])]
            got = Simulator(m).simulate_expectation_values_sweep(c, obs, sweep)
            want = cirq.Simulator(dtype=np.complex128).simulate_expectation_values_sweep(
                c, obs, sweep)
            np.testing.assert_allclose(np.array(got), np.array(want).real, atol=1e-8)
            continue
        for a, b in zip(ref, Simulator(m).simulate_sweep(c, sweep)):
            assert abs(abs(np.vdot(a.final_state_vector, b.final_state_vector)) - 1) < 1e-6
