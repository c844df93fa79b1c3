"""adjoint vs parameter shift vs finite differences vs gradcheck, for inputs and weights."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
import vqnet_core.qnn  # noqa: F401
import vqnet_core.quantum  # noqa: F401
from vqnet_core.quantum import Expval, Probs, State, UnsupportedError, get_machine
from vqnet_core.quantum.builder import Recorder
from vqnet_core.quantum.gradients import run_circuit

from .conftest import random_circuit

OBS = {"Z0 Z1": 0.5, "X2": 1.0, "Y1": -0.4}


def _vjp_all(machine, c, a, ms, up, method):
    t = vq.tensor(a, dtype="float64", requires_grad=True)
    out = run_circuit(machine, c, t, ms, method)
    out.backward(vq.tensor(up, dtype=out.dtype))
    return t.grad.numpy()


@pytest.mark.parametrize("seed", [0, 1])
def test_methods_agree_on_whole_gate_set(seed):
    rng = np.random.default_rng(seed)
    names = [n for n in vq.quantum.GATES]
    c, _, S = random_circuit(rng, 3, 45, names)
    a = rng.uniform(-3, 3, (2, S))
    ms = [Expval(OBS), Probs([2, 0])]
    up = rng.standard_normal((2, 5))
    sv = get_machine("statevector")
    adj = _vjp_all(sv, c, a, ms, up, "adjoint")
    ps = _vjp_all(sv, c, a, ms, up, "parameter-shift")
    fd = _vjp_all(sv, c, a, ms, up, "finite-diff")
    np.testing.assert_allclose(adj, ps, atol=1e-10)
    np.testing.assert_allclose(adj, fd, atol=1e-6)
    dm = _vjp_all(get_machine("density_matrix"), c, a, ms, up, "best")
    np.testing.assert_allclose(dm, adj, atol=1e-10)


def test_adjoint_of_state_output(rng):
    c, _, S = random_circuit(rng, 3, 30)
    a = rng.uniform(-3, 3, (2, S))

    def fn(t):
        return run_circuit(get_machine("statevector"), c, t, [State()], "adjoint")
    assert vq.autograd.gradcheck(fn, [vq.tensor(a, dtype="float64", requires_grad=True)])


def _circuit(q, x, w):
    q.ry(0, x[:, 0])
    q.crx(0, 1, w[0] * x[:, 1])
    q.isingxy([0, 1], w[1])
    q.rot(1, w[2], x[:, 0], w[3])
    q.u3(0, w[4], w[5], x[:, 1] * x[:, 0])
    q.cnot(1, 0)
    q.expval({"Z0 Z1": 0.5, "X1": 1.0})
    q.probs([1, 0])


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift", "finite-diff"])
def test_gradcheck_inputs_and_weights(method):
    m = get_machine("statevector")
    rng = np.random.default_rng(0)

    def fn(x, w):
        q = Recorder(2)
        _circuit(q, x, w)
        c, a, ms = q.build()
        return run_circuit(m, c, a, ms, method)
    x = vq.tensor(rng.uniform(-1, 1, (3, 2)), dtype="float64", requires_grad=True)
    w = vq.tensor(rng.uniform(0, 6, 6), dtype="float64", requires_grad=True)
    assert vq.autograd.gradcheck(fn, [x, w], atol=1e-5 if method != "finite-diff" else 1e-4)


def test_parameter_shift_with_shots_is_unbiased():
    layer = vq.qnn.QuantumLayer(lambda q, x, w: (q.ry(0, w[0]), q.expval("Z0")), 1, 1,
                                shots=40000, seed=11)
    out = layer()
    out.sum().backward()
    th = layer.weights.numpy()[0]
    assert out.item() == pytest.approx(np.cos(th), abs=5 / np.sqrt(40000))
    # each shifted term has std <= 0.5/sqrt(shots); two of them
    assert layer.weights.grad.numpy()[0] == pytest.approx(-np.sin(th), abs=5 / np.sqrt(40000))


def test_method_errors():
    sv = get_machine("statevector")
    c, _, S = random_circuit(np.random.default_rng(0), 2, 5, ["RX", "CNOT"])
    t = vq.tensor(np.zeros((1, S)), dtype="float64", requires_grad=True)
    with pytest.raises(UnsupportedError, match="needs exact results"):
        run_circuit(sv, c, t, [Expval("Z0")], "adjoint", shots=10)
    with pytest.raises(UnsupportedError, match="differentiates expval and probs only"):
        run_circuit(sv, c, t, [State()], "parameter-shift")
    with pytest.raises(UnsupportedError, match="no adjoint vjp"):
        run_circuit(get_machine("density_matrix"), c, t, [Expval("Z0")], "adjoint")
    with pytest.raises(ValueError, match="unknown diff_method"):
        run_circuit(sv, c, t, [Expval("Z0")], "magic")


def test_against_pennylane():
    qml = pytest.importorskip("pennylane")
    pnp = qml.numpy
    dev = qml.device("default.qubit", wires=3)
    x0, w0 = np.array([0.3, -0.7, 1.1]), np.array([0.2, 1.4, -0.5, 0.9])

    @qml.qnode(dev)
    def f(x, w):
        for i in range(3):
            qml.RY(x[i], wires=i)
        qml.CRZ(w[0], wires=[0, 1])
        qml.IsingXY(w[1], wires=[1, 2])
        qml.Rot(w[2], x[0], w[3], wires=2)
        qml.CNOT(wires=[2, 0])
        return qml.expval(0.5 * qml.PauliZ(0) @ qml.PauliX(2) + qml.PauliY(1))

    def mine(q, x, w):
        for i in range(3):
            q.ry(i, x[:, i])
        q.crz(0, 1, w[0])
        q.isingxy(1, 2, w[1])
        q.rot(2, w[2], x[:, 0], w[3])
        q.cnot(2, 0)
        q.expval({"Z0 X2": 0.5, "Y1": 1.0})
    xp, wp = pnp.array(x0, requires_grad=True), pnp.array(w0, requires_grad=True)
    want = f(xp, wp)
    gx, gw = qml.grad(f)(xp, wp)
    layer = vq.qnn.QuantumLayer(mine, 3, 4, diff_method="adjoint")
    layer.weights.data = vq.tensor(w0, dtype="float64")
    x = vq.tensor(x0[None], dtype="float64", requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.item() == pytest.approx(float(want), abs=1e-10)
    np.testing.assert_allclose(x.grad.numpy()[0], gx, atol=1e-10)
    np.testing.assert_allclose(layer.weights.grad.numpy(), gw, atol=1e-10)
