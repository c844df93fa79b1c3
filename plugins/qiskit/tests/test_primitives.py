"""vqnet_qiskit.primitives against Qiskit's reference StatevectorEstimator / StatevectorSampler
on seeded random circuits and PUB shapes."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import ParameterVector
from qiskit.circuit.random import random_circuit
from qiskit.primitives import (
    BaseEstimatorV2,
    BaseSamplerV2,
    BitArray,
    StatevectorEstimator,
    StatevectorSampler,
)
from qiskit.quantum_info import SparsePauliOp
from vqnet_qiskit.primitives import Estimator, Sampler


def _param_circuit(n, depth, rng):
    p = ParameterVector("p", 2 * n)
    qc = QuantumCircuit(n)
    k = 0
    for d in range(depth):
        for q in range(n):
            (qc.ry if (q + d) % 2 else qc.rz)(p[k % len(p)] * (1 + 0.5 * d), q)
            k += 1
        for q in range(n - 1):
            qc.cx(q, q + 1) if rng.random() < 0.7 else qc.cz(q + 1, q)
        if n > 1:
            qc.rxx(0.3, 0, n - 1)
    return qc


def _obs(n, rng, k=3):
    labels = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(k)]
    return SparsePauliOp(labels, rng.normal(size=k))


@pytest.mark.parametrize("seed", range(12))
def test_estimator_matches_statevector_estimator(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    if seed % 3 == 0:
        qc = random_circuit(n, 4, seed=seed)
        vals = np.zeros((0,))
        pubs = [(qc, _obs(n, rng))]
    else:
        qc = _param_circuit(n, 3, rng)
        shapes = [((4,), (4, qc.num_parameters)), ((2, 1), (3, qc.num_parameters)),
                  ((), (2, 3, qc.num_parameters)), ((3,), (qc.num_parameters,))]
        oshape, pshape = shapes[seed % len(shapes)]
        obs = np.empty(oshape, dtype=object)
        for idx in np.ndindex(oshape):
            obs[idx] = _obs(n, rng)
        obs = obs.tolist() if oshape else _obs(n, rng)
        vals = rng.uniform(-np.pi, np.pi, pshape)
        pubs = [(qc, obs, vals)]
    want = StatevectorEstimator().run(pubs).result()
    got = Estimator().run(pubs).result()
    assert isinstance(Estimator(), BaseEstimatorV2)
    assert got[0].data.evs.shape == want[0].data.evs.shape
    np.testing.assert_allclose(got[0].data.evs, want[0].data.evs, atol=1e-10)
    del vals


def test_estimator_on_aer_and_precision():
    rng = np.random.default_rng(3)
    qc = _param_circuit(3, 2, rng)
    vals = rng.uniform(-1, 1, (5, qc.num_parameters))
    obs = _obs(3, rng)
    want = StatevectorEstimator().run([(qc, obs, vals)]).result()[0].data.evs
    got = Estimator("qiskit.aer").run([(qc, obs, vals)]).result()[0].data.evs
    np.testing.assert_allclose(got, want, atol=1e-10)
    r1 = Estimator(seed=5).run([(qc, obs, vals)], precision=0.01).result()[0]
    r2 = Estimator(seed=5).run([(qc, obs, vals)], precision=0.01).result()[0]
    np.testing.assert_array_equal(r1.data.evs, r2.data.evs)
    assert 0 < np.abs(r1.data.evs - want).max() < 0.1
    assert r1.metadata["target_precision"] == 0.01 and np.all(r1.data.stds == 0.01)


def _measured(n, rng):
    qc = _param_circuit(n, 2, rng)
    q = QuantumRegister(n)
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(n, "b")
    full = QuantumCircuit(q, a, b)
    full.compose(qc, qubits=list(range(n)), inplace=True)
    full.measure(0, a[1])
    full.measure(range(n), b)
    return full


@pytest.mark.parametrize("seed", range(4))
def test_sampler_distribution_matches_statevector_sampler(seed):
    rng = np.random.default_rng(seed)
    n = 3
    qc = _measured(n, rng)
    vals = rng.uniform(-np.pi, np.pi, (2, qc.num_parameters))
    shots = 4000
    want = StatevectorSampler(seed=seed).run([(qc, vals)], shots=shots).result()[0]
    got = Sampler(seed=seed).run([(qc, vals)], shots=shots).result()[0]
    assert isinstance(Sampler(), BaseSamplerV2)
    for reg in ("a", "b"):
        g, w = getattr(got.data, reg), getattr(want.data, reg)
        assert isinstance(g, BitArray) and g.shape == w.shape == (2,)
        assert g.num_shots == shots and g.num_bits == w.num_bits
        for i in range(2):
            cg, cw = g[i].get_counts(), w[i].get_counts()
            for key in set(cg) | set(cw):
                assert abs(cg.get(key, 0) - cw.get(key, 0)) / shots < 0.05, (reg, key)
    # the unmeasured bit a[0] reads 0, a[1] equals b[0]
    ints = got.data.a.get_int_counts(0)
    assert all(k & 1 == 0 for k in ints)


def test_sampler_seeded_and_exact_bits():
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.x(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    res = Sampler(seed=1).run([qc], shots=10).result()[0]
    assert res.data.c.get_counts() == {"101": 10}
    assert res.metadata["shots"] == 10
    p = ParameterVector("t", 1)
    q2 = QuantumCircuit(1)
    q2.ry(p[0], 0)
    q2.measure_all()
    r1 = Sampler(seed=4).run([(q2, [[0.5], [2.0]])], shots=50).result()[0].data.meas
    r2 = Sampler(seed=4).run([(q2, [[0.5], [2.0]])], shots=50).result()[0].data.meas
    assert r1 == r2 and r1.shape == (2,)


def test_estimator_qnn_runs_unchanged():
    pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not "
                        "installed (optional: the EstimatorQNN check)")
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    from qiskit_machine_learning.neural_networks import EstimatorQNN
    x, w = ParameterVector("x", 2), ParameterVector("w", 4)
    qc = QuantumCircuit(2)
    qc.ry(x[0], 0)
    qc.ry(x[1], 1)
    qc.cx(0, 1)
    qc.rx(w[0], 0)
    qc.ry(w[1], 1)
    qc.crz(w[2], 0, 1)
    qc.rzz(w[3], 0, 1)
    obs = [SparsePauliOp("ZI"), SparsePauliOp(["XX", "IZ"], [0.5, 0.3])]
    X = np.random.default_rng(0).uniform(-1, 1, (5, 2))
    W = np.random.default_rng(1).uniform(-1, 1, 4)
    res = []
    for est in (StatevectorEstimator(), Estimator()):
        qnn = EstimatorQNN(circuit=qc, observables=obs, input_params=list(x),
                           weight_params=list(w), estimator=est, default_precision=0.0,
                           input_gradients=True, gradient=ParamShiftEstimatorGradient(est))
        f = qnn.forward(X, W)
        gx, gw = qnn.backward(X, W)
        res.append((f, gx, gw))
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, atol=1e-10)


def test_estimator_diagonal_observables_path():
    rng = np.random.default_rng(11)
    n = 4
    qc = _param_circuit(n, 3, rng)
    obs = [[SparsePauliOp(["".join(rng.choice(list("IZ"), n)) for _ in range(3)],
                          rng.normal(size=3))] for _ in range(5)]
    vals = rng.uniform(-np.pi, np.pi, (7, qc.num_parameters))
    want = StatevectorEstimator().run([(qc, obs, vals)]).result()[0].data.evs
    for machine in ("statevector", "qiskit.aer"):
        got = Estimator(machine).run([(qc, obs, vals)]).result()[0].data.evs
        assert got.shape == (5, 7)
        np.testing.assert_allclose(got, want, atol=1e-10)


def test_qiskit_algorithms_vqe_runs_unchanged():
    pytest.importorskip("qiskit_algorithms", reason="qiskit-algorithms is not installed "
                        "(optional: the VQE check)")
    from qiskit.circuit.library import real_amplitudes
    from qiskit_algorithms import VQE
    from qiskit_algorithms.optimizers import SLSQP
    H = SparsePauliOp(["II", "IZ", "ZI", "ZZ", "XX"], [-1.05, 0.39, -0.39, -0.01, 0.18])
    out = []
    for est in (StatevectorEstimator(), Estimator()):
        vqe = VQE(est, real_amplitudes(2, reps=2), SLSQP(maxiter=200),
                  initial_point=np.full(6, 0.1))
        out.append(vqe.compute_minimum_eigenvalue(H).eigenvalue)
    exact = np.linalg.eigvalsh(H.to_matrix()).min()
    assert abs(out[1] - out[0]) < 1e-8 and abs(out[1] - exact) < 1e-6
