"""QiskitLayer in the paper's form (a user object's run) and the converted form."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector
from vqnet_qiskit import QiskitCircuitLayer, QiskitLayer

import vqnet_core as vq
from vqnet_core.qnn import CompatibleLayer, QuantumLayer


class ExactVQC:
    """A paper-style object: <Z> of RY(x) RY(w0) RX(w1) on one qubit, by quantum_info."""

    def __init__(self, style):
        self.x, self.w = Parameter("x"), ParameterVector("w", 2)
        self.qc = QuantumCircuit(1)
        self.qc.ry(self.x, 0)
        self.qc.ry(self.w[0], 0)
        self.qc.rx(self.w[1], 0)
        self.style = style

    def _ev(self, x, w):
        b = self.qc.assign_parameters({self.x: x[0], self.w[0]: w[0], self.w[1]: w[1]})
        return Statevector(b).expectation_value(SparsePauliOp("Z")).real


class XW(ExactVQC):
    def run(self, x, w):
        return self._ev(x, w)


class KW(ExactVQC):
    def run(self, **kwargs):
        return np.array([self._ev(kwargs["x"], kwargs["w"])])


def _closed(x, w):
    return np.cos(x + w[0]) * np.cos(w[1])


@pytest.mark.parametrize("cls", [XW, KW])
def test_paper_form_values_and_grads(cls):
    layer = QiskitLayer(cls("s"), 2)
    assert isinstance(layer, CompatibleLayer)
    w = layer.weights.numpy()
    x = vq.tensor(np.array([[0.3], [-1.1]]), requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.numpy()[:, 0], _closed(x.numpy()[:, 0], w), atol=1e-10)
    y.sum().backward()
    gx = -np.sin(x.numpy()[:, 0] + w[0]) * np.cos(w[1])
    gw = [np.sum(-np.sin(x.numpy()[:, 0] + w[0]) * np.cos(w[1])),
          np.sum(-np.cos(x.numpy()[:, 0] + w[0]) * np.sin(w[1]))]
    np.testing.assert_allclose(x.grad.numpy()[:, 0], gx, atol=1e-8)
    np.testing.assert_allclose(layer.weights.grad.numpy(), gw, atol=1e-8)


def test_paper_form_run_x_only():
    class OnlyX:
        def __init__(self):
            self.t = Parameter("input")
            self.qc = QuantumCircuit(1)
            self.qc.h(0)
            self.qc.ry(self.t, 0)

        def run(self, x):
            return Statevector(self.qc.assign_parameters({self.t: x[0]})).probabilities()[1]
    layer = QiskitLayer(OnlyX(), 0)
    x = vq.tensor(np.array([[0.4]]), requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.numpy()[0, 0], (1 + np.sin(0.4)) / 2, atol=1e-10)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy()[0, 0], np.cos(0.4) / 2, atol=1e-8)
    with pytest.raises(TypeError, match="run takes only the input"):
        QiskitLayer(OnlyX(), 2)
    with pytest.raises(TypeError, match="run method"):
        QiskitLayer(object(), 0)


def test_compat_spelling_reaches_the_plugin():
    from vqnet_core.compat.pyvqnet.qnn.utils import QiskitLayer as Compat
    assert isinstance(Compat(XW("s"), 2), QiskitLayer)


def _modern():
    x, w = ParameterVector("x", 2), ParameterVector("w", 3)
    qc = QuantumCircuit(2)
    qc.ry(x[0], 0)
    qc.ry(2 * x[1] + 0.5, 1)
    qc.cx(0, 1)
    qc.rx(w[0], 0)
    qc.crz(w[1], 0, 1)
    qc.u(w[2], 0.2, -0.4, 1)
    return qc, x, w


@pytest.mark.parametrize("machine", ["statevector", "qiskit.aer", "qiskit.statevector"])
def test_converted_form_matches_qiskit(machine):
    qc, x, w = _modern()
    obs = [SparsePauliOp(["ZI"]), SparsePauliOp(["XX", "IZ"], [0.5, -1.0])]
    layer = QiskitLayer(qc, inputs=x, weights=w, observables=obs, machine=machine)
    assert isinstance(layer, QiskitCircuitLayer) and isinstance(layer, QuantumLayer)
    xs = np.array([[0.1, -0.7], [1.2, 0.4]])
    out = layer(vq.tensor(xs)).numpy()
    wv = layer.weights.numpy()
    for b in range(2):
        bound = qc.assign_parameters({**dict(zip(x, xs[b])), **dict(zip(w, wv))})
        sv = Statevector(bound)
        np.testing.assert_allclose(out[b], [sv.expectation_value(o).real for o in obs],
                                   atol=1e-10)


def test_converted_form_grads_adjoint_vs_shift():
    qc, x, w = _modern()
    grads = []
    for machine in ("statevector", "qiskit.aer"):
        vq.manual_seed(3)
        layer = QiskitLayer(qc, inputs=x, weights=w, machine=machine)
        xx = vq.tensor(np.array([[0.3, -0.2], [0.9, 1.4]]), requires_grad=True)
        layer(xx).sum().backward()
        grads.append((xx.grad.numpy(), layer.weights.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], atol=1e-9)
    np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-9)


def test_converted_form_measurements_and_errors():
    qc, x, w = _modern()
    m = qc.copy()
    m.measure_all()
    layer = QiskitLayer(m, inputs=x, weights=w)
    assert layer(vq.tensor(np.zeros((3, 2)))).shape == (3, 4)       # probs of both qubits
    extra = qc.copy()
    extra.rz(Parameter("stray"), 0)
    with pytest.raises(ValueError, match="'stray'"):
        QiskitLayer(extra, inputs=x, weights=w)
    layer = QiskitLayer(qc, inputs=x, weights=w)
    with pytest.raises(ValueError, match=r"inputs \[B, 2\]"):
        layer(vq.tensor(np.zeros((3, 1))))
