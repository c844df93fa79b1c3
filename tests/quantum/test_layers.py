"""QuantumLayer, NoiseQuantumLayer, CompatibleLayer, templates and the recorder."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.qnn import (
    AmplitudeEmbeddingCircuit,
    AngleEmbeddingCircuit,
    BasicEntangler,
    BasisEmbeddingCircuit,
    CompatibleLayer,
    HardwareEfficientAnsatz,
    IQPEmbedding,
    NoiseModel,
    NoiseQuantumLayer,
    ProbsMeasure,
    QuantumLayer,
    QuantumMeasure,
    StronglyEntangling,
    depolarizing,
    qaoa_cost_layer,
    qaoa_mixer_layer,
)
from vqnet_core.quantum.builder import Recorder

from .reference import H as Hm
from .reference import apply, observable_matrix, rx, ry


def test_layer_forward_backward_and_parameters():
    def circ(q, x, w):
        AngleEmbeddingCircuit(q, x, rotation="Y")
        BasicEntangler(q, w)
        QuantumMeasure(q, [0, 1])
    vq.manual_seed(0)
    layer = QuantumLayer(circ, 2, (2, 2))
    (name, p), = list(layer.named_parameters())
    assert p.shape == (2, 2) and np.all((p.numpy() >= 0) & (p.numpy() < 2 * np.pi))
    x = vq.tensor([[0.1, 0.2], [0.3, -0.4]], requires_grad=True)  # float32 input
    y = layer(x)
    assert y.shape == (2, 2) and y.dtype == vq.float32
    y.sum().backward()
    assert x.grad.shape == (2, 2) and p.grad.shape == (2, 2)
    # closed form check of the first row via the reference
    w = p.numpy()
    psi = np.zeros(4, complex)
    psi[0] = 1
    for i, a in enumerate([0.1, 0.2]):
        psi = apply(psi, ry(a), [i], 2)
    cnot = np.eye(4)[[0, 1, 3, 2]]
    for layer_w in w:
        for i in range(2):
            psi = apply(psi, rx(layer_w[i]), [i], 2)
        psi = apply(psi, cnot, [0, 1], 2)
    z0 = np.real(psi.conj() @ observable_matrix({"Z0": 1.0}, 2) @ psi)
    assert y.numpy()[0, 0] == pytest.approx(z0, abs=1e-6)


def test_structure_is_cached_between_calls():
    layer = QuantumLayer(lambda q, x, w: (q.rx(0, x[:, 0]), q.expval("Z0")), 1)
    layer(vq.tensor([[0.1]]))
    c1 = layer._last
    layer(vq.tensor([[0.5], [0.2]]))
    assert layer._last is c1


def test_templates_match_reference_states():
    x = np.array([[0.3, -0.5, 0.1, 0.7, -0.2]])
    q = Recorder(3)
    AmplitudeEmbeddingCircuit(q, vq.tensor(x, dtype="float64"))
    q.state()
    c, a, ms = q.build()
    st = vq.quantum.get_machine("statevector").execute(c, a._data, ms)[0]
    want = np.pad(x[0], (0, 3)) / np.linalg.norm(x)
    np.testing.assert_allclose(st[0], want, atol=1e-12)
    q = Recorder(3)
    BasisEmbeddingCircuit(q, vq.tensor([[1.0, 0.0, 1.0]], dtype="float64"))
    q.probs()
    c, a, ms = q.build()
    pr = vq.quantum.get_machine("statevector").execute(c, a._data, ms)[0]
    assert pr[0, 0b101] == pytest.approx(1.0)


def test_entangling_templates_record_the_right_gates():
    q = Recorder(3)
    StronglyEntangling(q, vq.zeros((2, 3, 3)))
    assert [op.name for op in q.ops].count("Rot") == 6
    assert [op.wires for op in q.ops if op.name == "CNOT"][3:] == [(0, 2), (1, 0), (2, 1)]
    q = Recorder(2)
    HardwareEfficientAnsatz(q, vq.zeros((1, 2, 2)))
    IQPEmbedding(q, vq.tensor([[0.1, 0.2]]))
    qaoa_cost_layer(q, 0.3, {"Z0 Z1": 1.0})
    qaoa_mixer_layer(q, 0.2)
    assert [op.name for op in q.ops] == ["RY", "RZ", "RY", "RZ", "CNOT", "H", "RZ", "H", "RZ",
                                         "MultiRZ", "MultiRZ", "RX", "RX"]


def test_qaoa_layer_is_exp_of_cost():
    q = Recorder(2)
    q.h(0)
    q.h(1)
    qaoa_cost_layer(q, 0.37, {"Z0 Z1": 1.0, "Z1": -0.5})
    q.state()
    c, a, ms = q.build()
    st = vq.quantum.get_machine("statevector").execute(c, a._data, ms)[0][0]
    Hc = observable_matrix({"Z0 Z1": 1.0, "Z1": -0.5}, 2)
    plus = np.kron(Hm, Hm) @ np.array([1, 0, 0, 0])
    want = np.diag(np.exp(-0.37j * np.diag(Hc))) @ plus
    np.testing.assert_allclose(st, want, atol=1e-12)


def test_noise_layer():
    nm = NoiseModel().add_channel(depolarizing(0.1))
    layer = NoiseQuantumLayer(lambda q, x, w: (q.ry(0, w[0]), ProbsMeasure(q, [0])), 1, 1, nm)
    out = layer()
    out[0, 0].backward()
    th = layer.weights.numpy()[0]
    z = (1 - 0.4 / 3) * np.cos(th)
    assert out.numpy()[0, 0] == pytest.approx((1 + z) / 2)
    assert layer.weights.grad.numpy()[0] == pytest.approx(-(1 - 0.4 / 3) * np.sin(th) / 2)
    with pytest.raises(TypeError, match="NoiseModel"):
        NoiseQuantumLayer(lambda q, x, w: None, 1, 1, "bad")


def test_compatible_layer_gradients():
    class Foreign(CompatibleLayer):
        def run(self, x, w):  # <Z0> after RY(x0 + w0) and <Z> after RX(x1) RX(w1)
            return np.stack([np.cos(x[:, 0] + w[0]), np.cos(x[:, 1] + w[1])], axis=1)
    for method in ("parameter-shift", "finite-diff"):
        layer = Foreign(2, diff_method=method)
        x = vq.tensor([[0.3, -0.2], [1.0, 0.5]], dtype="float64", requires_grad=True)
        layer(x).sum().backward()
        w = layer.weights.numpy()
        np.testing.assert_allclose(x.grad.numpy(), -np.sin(x.numpy() + w), atol=1e-6)
        np.testing.assert_allclose(layer.weights.grad.numpy(),
                                   -np.sin(x.numpy() + w).sum(0), atol=1e-6)


def test_recorder_errors():
    q = Recorder(2, 3)
    with pytest.raises(Exception, match="out of range"):
        q.rx(2, 0.1)
    with pytest.raises(ValueError, match="does not match the batch size"):
        q.rx(0, vq.ones(4))
    with pytest.raises(TypeError, match="must be a number or a QTensor"):
        q.rx(0, "a")
    with pytest.raises(AttributeError, match="no gate or method 'foo'"):
        q.foo(0)
    with pytest.raises(ValueError, match="no measurement"):
        Recorder(1).build()
    with pytest.raises(ValueError, match="unknown diff_method"):
        QuantumLayer(lambda q, x, w: None, 1, diff_method="magic")


def test_noise_layer_without_noise_model_keeps_the_machines_noise():
    """noise_model=None: the machine's own noise (an emulated QPU's calibration); a machine
    without noise is refused by name."""
    layer = NoiseQuantumLayer(lambda q, x, w: (q.ry(0, w[0]), q.expval("Z0")), 1, 1)
    assert layer.machine.name == "density_matrix" and layer.machine.noise_model is None
    with pytest.raises(ValueError, match="'statevector' does not"):
        NoiseQuantumLayer(lambda q, x, w: q.expval("Z0"), 1, None, machine="statevector")
