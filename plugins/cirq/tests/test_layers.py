"""The Cirq layers: pyvqnet's CirqLayer (black box, parameter shift) and CirqQuantumLayer
(converted once, any machine), against Cirq's own simulator and finite differences."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy
from vqnet_cirq import CirqLayer, CirqQuantumLayer

import vqnet_core as vq


class QCircuit:
    """A pyvqnet-style cirq_vqc: a circuit and run(thetas) -> <Z0>, <Z1>."""

    def __init__(self):
        self.q = cirq.LineQubit.range(2)
        self.t = sympy.symbols("x w0 w1")
        self.circuit = cirq.Circuit(cirq.ry(self.t[0])(self.q[0]), cirq.rx(self.t[1])(self.q[1]),
                                    cirq.CNOT(*self.q), cirq.ry(self.t[2])(self.q[1]))
        self.sim = cirq.Simulator(dtype=np.complex128)

    def run(self, thetas):
        r = self.sim.simulate_expectation_values(
            self.circuit, [cirq.Z(self.q[0]), cirq.Z(self.q[1])],
            dict(zip(self.t, map(float, thetas))))
        return np.real(r)


def _fd(f, v, eps=1e-6):
    g = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        d = np.zeros_like(v)
        d[i] = eps
        g[i] = (f(v + d) - f(v - d)) / (2 * eps)
    return g


def test_cirqlayer_forward_and_parameter_shift_gradients():
    layer = CirqLayer(QCircuit(), para_num=2)
    x = vq.tensor([[0.3], [-1.2]], dtype="float64", requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 2)
    (y * vq.tensor([[1.0, 2.0], [0.5, -1.0]], dtype="float64")).sum().backward()
    w0 = layer.weights.numpy().copy()
    qc = QCircuit()
    up = np.array([[1.0, 2.0], [0.5, -1.0]])

    def loss_w(w):
        return sum(np.dot(up[b], qc.run([xv, *w])) for b, xv in enumerate([0.3, -1.2]))

    def loss_x(xs):
        return sum(np.dot(up[b], qc.run([xs[b, 0], *w0])) for b in range(2))
    np.testing.assert_allclose(layer.weights.grad.numpy(), _fd(loss_w, w0), atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), _fd(loss_x, np.array([[0.3], [-1.2]])),
                               atol=1e-6)


def test_cirqlayer_two_argument_run_and_errors():
    class Two:
        def run(self, x, w):
            return [np.cos(x[0] + w[0])]
    layer = CirqLayer(Two(), 1)
    out = layer(vq.tensor([[0.1]], dtype="float64")).numpy()
    assert out[0, 0] == pytest.approx(np.cos(0.1 + layer.weights.numpy()[0]))
    with pytest.raises(TypeError, match="run method"):
        CirqLayer(object(), 1)
    with pytest.raises(ValueError, match="diff_method"):
        CirqLayer(Two(), 1, diff_method="adjoint")


def test_pyvqnet_compat_spelling_reaches_the_plugin():
    from vqnet_core.compat.pyvqnet.qnn.utils import CirqLayer as Compat
    assert isinstance(Compat(QCircuit(), 2), CirqLayer)


@pytest.mark.parametrize("machine", ["statevector", "cirq.simulator", "cirq.qsim"])
def test_cirq_quantum_layer_matches_cirq_and_its_gradients(machine):
    q = cirq.GridQubit.rect(1, 3)
    x0, x1, a, b = sympy.symbols("x0 x1 a b")
    circuit = cirq.Circuit(cirq.ry(np.pi * x0)(q[0]), cirq.rx(x1)(q[1]), cirq.H(q[2]),
                           cirq.ISWAP(q[0], q[1]) ** a, cirq.CZ(q[1], q[2]),
                           cirq.PhasedXPowGate(phase_exponent=0.25, exponent=b)(q[2]))
    obs = [cirq.Z(q[0]) * cirq.Z(q[1]), cirq.X(q[2]) - 0.5 * cirq.Y(q[1])]
    layer = CirqQuantumLayer(circuit, inputs=[x0, x1], weights=[a, b], observables=obs,
                             machine=machine)
    xs = np.array([[0.2, 0.7], [-0.4, 1.9]])
    x = vq.tensor(xs, dtype="float64", requires_grad=True)
    y = layer(x)
    w = layer.weights.numpy()
    sim = cirq.Simulator(dtype=np.complex128)
    want = np.array([np.real(sim.simulate_expectation_values(
        circuit, obs, {"x0": r[0], "x1": r[1], "a": w[0], "b": w[1]})) for r in xs])
    tol = 1e-5 if machine == "cirq.qsim" else 1e-10
    np.testing.assert_allclose(y.numpy(), want, atol=tol)
    y.sum().backward()

    def total(ww, xx):
        return sum(np.real(sim.simulate_expectation_values(
            circuit, obs, {"x0": r[0], "x1": r[1], "a": ww[0], "b": ww[1]})).sum() for r in xx)
    np.testing.assert_allclose(layer.weights.grad.numpy(), _fd(lambda v: total(v, xs), w),
                               atol=1e-4 if machine == "cirq.qsim" else 1e-6)
    np.testing.assert_allclose(x.grad.numpy(), _fd(lambda v: total(w, v), xs),
                               atol=1e-4 if machine == "cirq.qsim" else 1e-6)


def test_cirq_quantum_layer_refuses_unknown_symbols():
    q = cirq.LineQubit(0)
    a, z = sympy.symbols("a z")
    with pytest.raises(vq.quantum.ConversionError, match="'z' is neither"):
        CirqQuantumLayer(cirq.Circuit(cirq.rx(a)(q), cirq.ry(z)(q)), weights=[a],
                         observables=[cirq.Z(q)])
    layer = CirqQuantumLayer(cirq.Circuit(cirq.rx(a)(q)), weights=[a])  # probabilities
    assert layer().shape == (1, 2)


def test_cirq_quantum_layer_refuses_measurements():
    q = cirq.LineQubit(0)
    a = sympy.Symbol("a")
    with pytest.raises(vq.quantum.ConversionError, match="measurement 'm'.*without"):
        CirqQuantumLayer(cirq.Circuit(cirq.rx(a)(q), cirq.measure(q, key="m")), weights=[a])
