"""pyvqnet's documented nn / optim / QuantumLayer / template examples, imports changed only."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.compat.pyvqnet.tensor import QTensor


def test_classical_training_loop():
    from vqnet_core.compat.pyvqnet.data import data_generator
    from vqnet_core.compat.pyvqnet.nn import Linear, Module
    from vqnet_core.compat.pyvqnet.nn.activation import ReLu
    from vqnet_core.compat.pyvqnet.nn.loss import CategoricalCrossEntropy
    from vqnet_core.compat.pyvqnet.optim import Adam
    from vqnet_core.compat.pyvqnet.utils import set_random_seed

    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    y = np.eye(2)[labels]

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Linear(input_channels=4, output_channels=16)
            self.act = ReLu()
            self.fc2 = Linear(input_channels=16, output_channels=2)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    model = Net()
    assert model.fc1.weights.shape == (16, 4)
    opt = Adam(model.parameters(), lr=0.05)
    crit = CategoricalCrossEntropy()
    for _ in range(15):
        for xb, yb in data_generator(x, y, batch_size=32, shuffle=True):
            opt.zero_grad()
            loss = crit(yb, model(xb))
            loss.backward()
            opt._step()
    acc = (np.argmax(model(x).numpy(), 1) == labels).mean()
    assert acc > 0.9
    with pytest.raises(RuntimeError, match="no GPU array backend"):
        model.toGPU()


def test_parameter_and_paper_layers():
    from vqnet_core.compat.pyvqnet.nn import Conv2D, MaxPool2D, Parameter, conv, linear, pooling  # noqa: F401
    from vqnet_core.compat.pyvqnet.nn import activation as F
    assert Parameter(60).shape == (60,) and Parameter([2, 3]).requires_grad
    c = Conv2D(input_channels=1, output_channels=2, kernel_size=(3, 3), stride=(1, 1),
               padding="valid")
    out = MaxPool2D([2, 2], [2, 2], padding="valid")(F.ReLu()(c(vq.randn(1, 1, 6, 6))))
    assert out.shape == (1, 2, 2, 2) and c.weights is c.weight


def test_optimizers_have_step_alias():
    from vqnet_core.compat.pyvqnet.optim import SGD, Adam
    from vqnet_core.compat.pyvqnet.optim.adam import Adam as Adam2
    assert Adam is Adam2
    w = vq.nn.Parameter(vq.ones(2))
    opt = SGD([w], lr=0.5)
    (w * w).sum().backward()
    opt._step()
    assert w.tolist() == [0.0, 0.0]


def test_templates_called_pyvqnet_way_on_the_core_say_where_to_go():
    from vqnet_core.qnn import AngleEmbeddingCircuit
    with pytest.raises(TypeError, match="compat.pyvqnet.qnn.template.AngleEmbeddingCircuit"):
        AngleEmbeddingCircuit([0.1, 0.2], [0, 1])


def test_qiskit_and_cirq_spellings_reach_the_plugins():
    from vqnet_core.compat.pyvqnet.qnn.utils import CirqLayer, QiskitLayer
    try:
        import vqnet_qiskit  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="vqnet-qiskit plugin"):
            QiskitLayer(object(), 0)
    try:
        import vqnet_cirq  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="vqnet-cirq plugin"):
            CirqLayer(object(), 0)
    from vqnet_core.compat.pyvqnet.qnn import vqc
    with pytest.raises(ImportError, match="recorder"):
        vqc.QNG  # noqa: B018


# ---------------------------------------------------------------- pyqpanda (3.11 only)
def _pq():
    return pytest.importorskip("pyqpanda", reason="pyqpanda (QPanda's pre-3 API) has wheels "
                               "for CPython 3.11 only")


def test_quantumlayer_doc_example():
    pq = _pq()
    from vqnet_core.compat.pyvqnet.qnn import ProbsMeasure, QuantumLayer

    def pqctest(input, param, qubits, cbits, m_machine):
        circuit = pq.QCircuit()
        for i in range(4):
            circuit.insert(pq.H(qubits[i]))
        for i in range(4):
            circuit.insert(pq.RZ(qubits[i], input[i]))
        for i in range(3):
            circuit.insert(pq.CNOT(qubits[i], qubits[i + 1]))
            circuit.insert(pq.RZ(qubits[i + 1], param[i]))
            circuit.insert(pq.CNOT(qubits[i], qubits[i + 1]))
        prog = pq.QProg()
        prog.insert(circuit)
        return ProbsMeasure([0, 2], prog, m_machine, qubits)

    pqc = QuantumLayer(pqctest, 3, "cpu", 4, 1)
    input = QTensor([[1, 2, 3.0, 4], [4, 2, 2, 3], [3, 3, 2, 2]])
    rlt = pqc(input)
    np.testing.assert_allclose(rlt.numpy(), 0.25, atol=1e-6)
    grad = QTensor(np.ones(rlt.data.shape) * 1000)
    rlt.backward(grad)
    assert pqc.m_para.grad.shape == (3,)


def test_quantumlayer_gradients_match_finite_differences():
    pq = _pq()
    from vqnet_core.compat.pyvqnet.qnn import QuantumLayer, expval

    def qfun(input, param, qubits, cbits, machine):
        prog = pq.QProg()
        prog << pq.RY(qubits[0], input[0]) << pq.RX(qubits[1], param[0]) \
            << pq.CNOT(qubits[0], qubits[1]) << pq.RY(qubits[1], param[1])
        return [expval(machine, prog, {"Z1": 1.0}, qubits),
                expval(machine, prog, {"Z0 Z1": 0.5, "X0": 1.0}, qubits)]

    for method in ("parameter_shift", "finite_diff"):
        layer = QuantumLayer(qfun, 2, "cpu", 2, 0, diff_method=method, delta=1e-4,
                             dtype="float64")
        x = QTensor(np.array([[0.3], [1.1]]), requires_grad=True)
        out = layer(x)
        out.sum().backward()
        w0 = layer.m_para.numpy().copy()
        eps = 1e-5
        num = []
        for j in range(2):
            e = np.zeros(2)
            e[j] = eps
            layer.m_para.data = vq.tensor(w0 + e, dtype="float64")
            up = layer(x.detach()).numpy().sum()
            layer.m_para.data = vq.tensor(w0 - e, dtype="float64")
            dn = layer(x.detach()).numpy().sum()
            num.append((up - dn) / (2 * eps))
        layer.m_para.data = vq.tensor(w0, dtype="float64")
        np.testing.assert_allclose(layer.m_para.grad.numpy(), num, atol=1e-4)


def test_noise_quantumlayer_doc_example():
    pq = _pq()
    from vqnet_core.compat.pyvqnet.qnn import NoiseQuantumLayer

    def circuit(weights, param, qubits, cbits, machine):
        circuit = pq.QCircuit()
        circuit.insert(pq.H(qubits[0]))
        circuit.insert(pq.RY(qubits[0], weights[0]))
        circuit.insert(pq.RY(qubits[0], param[0]))
        prog = pq.QProg()
        prog.insert(circuit)
        prog << pq.measure_all(qubits, cbits)
        result = machine.run_with_configuration(prog, cbits, 100)
        counts = np.array(list(result.values()))
        states = np.array(list(result.keys())).astype(float)
        probabilities = counts / 100
        return np.sum(states * probabilities)

    def default_noise_config(qvm, q):
        p = 0.01
        qvm.set_noise_model(pq.NoiseModel.BITFLIP_KRAUS_OPERATOR, pq.GateType.RY_GATE, p)
        qvm.set_noise_model(pq.NoiseModel.BITFLIP_KRAUS_OPERATOR, pq.GateType.HADAMARD_GATE,
                            p)
        return qvm

    qvc = NoiseQuantumLayer(circuit, 24, "noise", 1, 1, diff_method="parameter_shift",
                            delta=0.01, noise_set_config=default_noise_config)
    input = QTensor([[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]])
    rlt = qvc(input)
    assert rlt.shape == (3, 1) and np.all((rlt.numpy() >= 0) & (rlt.numpy() <= 1))
    rlt.backward(QTensor(np.ones(rlt.data.shape) * 1000))
    assert qvc.m_para.grad.shape == (24,)


def test_pyqpanda_templates():
    pq = _pq()
    from vqnet_core.compat.pyvqnet.qnn.template import (
        AmplitudeEmbeddingCircuit,
        AngleEmbeddingCircuit,
        BasicEmbeddingCircuit,
        BasicEntanglerTemplate,
        RotCircuit,
        StronglyEntanglingTemplate,
    )
    m = pq.CPUQVM()
    m.init_qvm()
    q = m.qAlloc_many(2)

    def probs(circ):
        prog = pq.QProg()
        prog.insert(circ)
        return np.array(m.prob_run_list(prog, q, -1))

    p = probs(AngleEmbeddingCircuit(np.array([np.pi, 0.0]), q, "X"))
    assert np.isclose(p.sum(), 1) and np.isclose(p.max(), 1)
    assert np.isclose(probs(BasicEmbeddingCircuit(QTensor([1, 1]), q))[3], 1)
    amp = probs(AmplitudeEmbeddingCircuit(np.array([1.0, 1.0, 1.0, 1.0]), q))
    np.testing.assert_allclose(amp, 0.25, atol=1e-9)
    assert np.isclose(probs(RotCircuit(np.array([0.1, np.pi, 0.3]), q[0])).sum(), 1)
    be = BasicEntanglerTemplate(np.random.rand(1, 2), 2).create_circuit(q)
    se = StronglyEntanglingTemplate(np.random.rand(2, 2, 3), 2).create_circuit(q)
    assert np.isclose(probs(be).sum(), 1) and np.isclose(probs(se).sum(), 1)
    from vqnet_core.quantum.builder import Recorder
    with pytest.raises(TypeError, match="VQNet recorder"):
        AngleEmbeddingCircuit([0.1], Recorder(1))


def test_pyqpanda_missing_message(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pyqpanda", None)
    from vqnet_core.compat.pyvqnet.qnn import QuantumLayer
    with pytest.raises(ImportError, match="QPandaLayer"):
        QuantumLayer(lambda *a: 0.0, 1, "cpu", 1)
