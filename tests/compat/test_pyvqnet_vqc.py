"""pyvqnet's ``qnn.vqc`` on VQNet (without the real pyvqnet: that oracle is in
test_vqc_against_real_pyvqnet.py): states, inverses, gradients against finite differences,
training, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.compat.pyvqnet import nn, optim
from vqnet_core.compat.pyvqnet import tensor as T
from vqnet_core.compat.pyvqnet.qnn import vqc
from vqnet_core.compat.pyvqnet.qnn.vqc.gates import _GATES
from vqnet_core.quantum.gates import get_gate

rng = np.random.default_rng(3)


def _generic(qm, n):
    for w in range(n):
        vqc.hadamard(qm, w)
        vqc.ry(qm, w, params=0.3 + 0.4 * w)
        vqc.rz(qm, w, params=-0.2 * w)
    for w in range(n - 1):
        vqc.cnot(qm, [w, w + 1])


@pytest.mark.parametrize("fname", sorted(_GATES))
def test_gate_then_its_dagger_is_the_identity(fname):
    core = _GATES[fname][0]
    g = get_gate(core)
    wires = [3, 1, 0, 2][:g.num_wires or 3]
    qm = vqc.QMachine(4, dtype="complex128")
    qm.reset_states(2)
    _generic(qm, 4)
    before = qm.states.numpy()
    p = T.QTensor(rng.uniform(-2, 2, (2, g.num_params))) if g.num_params else None
    getattr(vqc, fname)(qm, wires, params=p)
    getattr(vqc, fname)(qm, wires, params=p, use_dagger=True)
    np.testing.assert_allclose(qm.states.numpy(), before, atol=1e-12)


def test_wire_zero_is_the_leading_axis():
    qm = vqc.QMachine(3, dtype="complex128")
    qm.reset_states(1)
    vqc.paulix(qm, 0)
    s = qm.states.numpy()
    assert s.shape == (1, 2, 2, 2) and s[0, 1, 0, 0] == 1
    assert vqc.Probability([0, 2])(q_machine=qm).tolist() == [[0.0, 0.0, 1.0, 0.0]]


def test_gradients_match_finite_differences():
    x0 = rng.uniform(-1, 1, (2, 3))
    w0 = rng.uniform(-1, 1, 4)

    def f(x, w):
        qm = vqc.QMachine(3, dtype="complex128")
        qm.reset_states(2)
        for i in range(3):
            vqc.ry(qm, i, params=x[:, [i]])
        vqc.rot(qm, 1, params=w[:3])
        vqc.crx(qm, [1, 2], params=w[3])
        vqc.cnot(qm, [2, 0])
        return vqc.MeasureAll(obs=[{"Z0": 1.0}, {"X1 Z2": 0.5}])(q_machine=qm)

    x = T.QTensor(x0, requires_grad=True)
    w = T.QTensor(w0, requires_grad=True)
    T.sums(f(x, w)).backward()
    eps = 1e-6
    for arr, grad in ((x0, x.grad.numpy()), (w0, w.grad.numpy())):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            hi, lo = arr.copy(), arr.copy()
            hi[idx] += eps
            lo[idx] -= eps
            args_hi = (hi, w0) if arr is x0 else (x0, hi)
            args_lo = (lo, w0) if arr is x0 else (x0, lo)
            num[idx] = (T.sums(f(*map(T.QTensor, args_hi))).item()
                        - T.sums(f(*map(T.QTensor, args_lo))).item()) / (2 * eps)
        np.testing.assert_allclose(grad, num, atol=1e-6)


def test_a_hybrid_model_trains():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.qm = vqc.QMachine(2)
            self.rot = vqc.RY(has_params=True, trainable=True, wires=1)
            self.meas = vqc.MeasureAll(obs=[{"Z0": 1.0}, {"Z1": 1.0}])

        def forward(self, x):
            a = self.fc(x)
            self.qm.reset_states(x.shape[0])
            vqc.rx(self.qm, 0, params=a[:, [0]])
            vqc.ry(self.qm, 1, params=a[:, [1]])
            self.rot(q_machine=self.qm)
            vqc.cnot(self.qm, [0, 1])
            return self.meas(q_machine=self.qm)

    net = Net()
    assert "rot.params" in dict(net.named_parameters())
    x = T.QTensor(rng.uniform(-1, 1, (8, 2)).astype(np.float32))
    target = T.QTensor(np.tile([[0.5, -0.5]], (8, 1)).astype(np.float32))
    opt = optim.Adam(net.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = T.sums((net(x) - target) ** 2)
        loss.backward()
        opt._step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("call, err, match", [
    (lambda qm: vqc.rx(qm, 0), ValueError, "RX needs params"),
    (lambda qm: vqc.rot(qm, 0, params=[0.1, 0.2]), ValueError, r"Rot takes 3 angles"),
    (lambda qm: vqc.rx(qm, 5, params=0.1), Exception, "out of range for 2 wires"),
    (lambda qm: vqc.rx(qm, 0, params=T.QTensor(np.zeros((3, 1)))), ValueError,
     "does not match the batch size 2"),
    (lambda qm: vqc.cnot(object(), [0, 1]), TypeError, "must be a QMachine"),
    (lambda qm: vqc.MeasureAll(obs=[]), ValueError, "at least one observable"),
    (lambda qm: vqc.MeasureAll(obs="Z0"), TypeError, "dict of Pauli strings"),
    (lambda qm: vqc.QMachine(0), ValueError, "positive int"),
    (lambda qm: vqc.QMachine(2, dtype="float32"), ValueError, "complex64 or complex128"),
    (lambda qm: vqc.RX(wires=0)(q_machine=qm), ValueError, "has_params=False"),
])
def test_bad_input_says_what_is_wrong(call, err, match):
    qm = vqc.QMachine(2)
    qm.reset_states(2)
    with pytest.raises(err, match=match):
        call(qm)
