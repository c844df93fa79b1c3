"""vqnet-pennylane's own tests: gate conventions, translation both ways, the converter hook,
the reverse devices against default.qubit (values, shots, broadcasting, adjoint derivatives),
PennyLaneLayer on its device and on a VQNet machine, and PennyLane's own device test suite
(``pl-device-test``) for every reverse device, analytic and with shots."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

qml = pytest.importorskip("pennylane")

from vqnet_pennylane import translate as T  # noqa: E402
from vqnet_pennylane.layers import PennyLaneLayer  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.quantum import GATES, Expval, Probs, State, get_machine  # noqa: E402
from vqnet_core.quantum.convert import convert_circuit  # noqa: E402

RNG = np.random.default_rng(7)


def _pl_op(name, rng):
    cls = getattr(qml, name)
    nw = cls.num_wires if isinstance(cls.num_wires, int) else 3
    return cls(*rng.uniform(-2, 2, cls.num_params), wires=list(range(nw))), nw


@pytest.mark.parametrize("name", sorted(set(T.GATE_MAP) - {"QubitUnitary", "Adjoint(S)",
                                                           "Adjoint(T)"}))
def test_gate_conventions_match(name):
    op, nw = _pl_op(name, np.random.default_rng(abs(hash(name)) % 2**32))
    ir = T.tape_to_ir(qml.tape.QuantumScript([op]))
    (irop,) = ir.circuit.ops
    mine = GATES[irop.name].matrix([ir.angles[:, p.index] for p in irop.params], nw)[0]
    assert np.allclose(mine, qml.matrix(op)), name
    back = T.ir_to_pl_ops(ir.circuit, ir.angles)
    assert np.allclose(qml.matrix(back[0], wire_order=range(nw)), qml.matrix(op))


def _circuit(x, w):
    qml.AngleEmbedding(x, wires=range(3))
    qml.StronglyEntanglingLayers(w, wires=range(3))
    qml.adjoint(qml.S(0))
    qml.MultiControlledX(wires=[0, 1, 2], control_values=[0, 1])
    return (qml.expval(qml.Z(0) @ qml.X(2)),
            qml.expval(qml.Hamiltonian([0.4, -1.1], [qml.Y(1), qml.Z(0) @ qml.Z(1)])),
            qml.probs(wires=[2, 0]))


X = np.array([0.3, -0.7, 1.1])
W = RNG.uniform(0, 2 * np.pi, (2, 3, 3))


def test_converter_hook_runs_on_any_machine():
    tape = qml.workflow.construct_tape(qml.QNode(_circuit, qml.device("default.qubit")))(X, W)
    # found through the vqnet.hooks entry point; no names: every parameter a constant
    fc = convert_circuit(tape, parameter_names=())
    want = qml.execute([tape], qml.device("default.qubit"))[0]
    a = fc.angles({})
    got = get_machine("statevector").execute(fc.circuit, a, fc.measurements)
    assert np.allclose(got[0][0], want[0]) and np.allclose(got[1][0], want[1])
    assert np.allclose(got[2][0], want[2])
    assert [m.kind for m in fc.measurements] == ["expval", "expval", "probs"]


def test_converter_names_trainable_parameters():
    x = qml.numpy.array(0.4, requires_grad=True)
    tape = qml.tape.QuantumScript([qml.RX(x, 0), qml.RY(0.2, 0)], [qml.expval(qml.Z(0))],
                                  trainable_params=[0])
    fc = convert_circuit(tape)
    assert fc.parameters == ("p0",)
    v = get_machine("statevector").execute(fc.circuit, fc.angles({"p0": [0.4, 1.0]}),
                                           fc.measurements)[0]
    assert np.allclose(v, np.cos([0.4, 1.0]) * np.cos(0.2))


def test_qnode_converter():
    qn = qml.QNode(_circuit, qml.device("default.qubit"))
    fc = convert_circuit(qn, args=(X, W))
    assert fc.circuit.num_wires == 3 and len(fc.measurements) == 3


@pytest.mark.parametrize("name", ["vqnet.statevector", "vqnet.density_matrix"])
def test_device_matches_default_qubit(name):
    a = qml.QNode(_circuit, qml.device(name, wires=3))(X, W)
    b = qml.QNode(_circuit, qml.device("default.qubit", wires=3))(X, W)
    for u, v in zip(a, b):
        assert np.allclose(u, v)


def test_device_broadcasting_and_state():
    def c(x):
        qml.RX(x, 0)
        qml.CNOT([0, 1])
        qml.GlobalPhase(0.3)
        return qml.state()
    xs = np.array([0.1, 0.7, 2.0])
    a = qml.QNode(c, qml.device("vqnet.statevector", wires=2))(xs)
    b = qml.QNode(c, qml.device("default.qubit", wires=2))(xs)
    assert a.shape == (3, 4) and np.allclose(a, b)


def test_density_device_refuses_state():
    qn = qml.QNode(lambda: qml.state(), qml.device("vqnet.density_matrix", wires=1))
    with pytest.raises(qml.exceptions.DeviceError, match="not supported"):
        qn()


def test_shots_are_seeded():
    dev = qml.device("vqnet.statevector", wires=2, seed=5)
    dev2 = qml.device("vqnet.statevector", wires=2, seed=5)

    def c():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.sample(wires=[0, 1]), qml.expval(qml.X(0) @ qml.X(1))
    s1, e1 = qml.set_shots(qml.QNode(c, dev), 200)()
    s2, e2 = qml.set_shots(qml.QNode(c, dev2), 200)()
    assert np.array_equal(s1, s2) and e1 == e2
    assert np.all(s1[:, 0] == s1[:, 1]) and e1 == 1.0


@pytest.mark.parametrize("diff_method", ["device", "adjoint"])
def test_adjoint_derivatives_match_default_qubit(diff_method):
    w = qml.numpy.array(W, requires_grad=True)
    x = qml.numpy.array(X, requires_grad=False)

    def cost(qn):
        return lambda w: qml.math.hstack(qn(x, w))
    qa = qml.QNode(_circuit, qml.device("vqnet.statevector", wires=3), diff_method=diff_method)
    qb = qml.QNode(_circuit, qml.device("default.qubit", wires=3), diff_method="backprop")
    ja, jb = qml.jacobian(cost(qa))(w), qml.jacobian(cost(qb))(w)
    assert np.allclose(ja, jb, atol=1e-10)
    # broadcast inputs, vjp (scalar loss)
    xs = qml.numpy.array(np.stack([X, X[::-1]]).T.T, requires_grad=False)

    def loss(qn):
        return lambda w: qml.math.sum(qml.math.hstack(qn(xs, w)[:2]) ** 2)
    ga, gb = qml.grad(loss(qa))(w), qml.grad(loss(qb))(w)
    assert np.allclose(ga, gb, atol=1e-10)


def test_compute_derivatives_direct():
    dev = qml.device("vqnet.statevector", wires=2)
    tape = qml.tape.QuantumScript([qml.RX(0.3, 0), qml.CRY(0.8, [0, 1])],
                                  [qml.expval(qml.Z(1)), qml.probs(wires=[1])],
                                  trainable_params=[0, 1])
    jac = dev.compute_derivatives(tape)
    ref = qml.gradients.param_shift(tape)
    tapes, fn = ref
    want = fn(qml.execute(tapes, qml.device("default.qubit")))
    for a, b in zip(jac, want):
        for u, v in zip(a, b):
            assert np.allclose(u, v)


def test_torch_interface():
    torch = pytest.importorskip("torch")
    w = torch.tensor(W, requires_grad=True)
    for dm in ("adjoint", "parameter-shift"):
        qn = qml.QNode(_circuit, qml.device("vqnet.statevector", wires=3), interface="torch",
                       diff_method=dm)
        out = qn(torch.tensor(X), w)
        loss = sum((o ** 2).sum() for o in out)
        (g,) = torch.autograd.grad(loss, w)
        qb = qml.QNode(_circuit, qml.device("default.qubit", wires=3), interface="torch")
        out_b = qb(torch.tensor(X), w)
        (gb,) = torch.autograd.grad(sum((o ** 2).sum() for o in out_b), w)
        assert torch.allclose(g, gb, atol=1e-6)


def test_generic_machine_device():
    dev = qml.device("vqnet.machine", wires=2, machine="pennylane.lightning.qubit")
    assert dev.name == "vqnet.pennylane.lightning.qubit"
    qn = qml.QNode(lambda: (qml.RY(0.5, 0), qml.expval(qml.Z(0)))[1], dev)
    assert np.isclose(qn(), np.cos(0.5))


def _qnode(dev_name="default.qubit", **kw):
    @qml.qnode(qml.device(dev_name, wires=3), **kw)
    def qnode(inputs, w):
        qml.AngleEmbedding(inputs, wires=range(3))
        qml.StronglyEntanglingLayers(w, wires=range(3))
        return [qml.expval(qml.Z(i)) for i in range(3)]
    return qnode


@pytest.mark.parametrize("where", [("default.qubit", None), ("lightning.qubit", None),
                                   ("default.qubit", "statevector"),
                                   ("default.qubit", "pennylane.lightning.qubit")])
def test_pennylane_layer_gradients(where):
    dev_name, machine = where
    vq.manual_seed(3)
    layer = PennyLaneLayer(_qnode(dev_name), {"w": (2, 3, 3)}, machine=machine)
    x = vq.tensor(np.array([[0.1, 0.2, 0.3], [0.5, -0.1, 0.9]]), requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 3)
    (y * y).sum().backward()
    w = qml.numpy.array(layer.w.numpy(), requires_grad=True)
    xr = qml.numpy.array(x.numpy(), requires_grad=True)
    ref = _qnode("default.qubit", diff_method="backprop")

    def f(xv, wv):
        return qml.math.sum(qml.math.stack(ref(xv, wv)) ** 2)
    gx, gw = qml.grad(f, argnums=[0, 1])(xr, w)
    assert np.allclose(y.numpy(), np.stack(ref(x.numpy(), layer.w.numpy())).T)
    assert np.allclose(layer.w.grad.numpy(), gw, atol=1e-8)
    assert np.allclose(x.grad.numpy(), gx, atol=1e-8)


def test_lightning_machine_vjp_matches_statevector():
    from vqnet_core.quantum import Circuit, Operation, ParamRef
    c = Circuit(3, [Operation("U3", (0,), (ParamRef(0), ParamRef(1), ParamRef(2))),
                    Operation("CRot", (0, 2), (ParamRef(3), ParamRef(0), 0.4)),
                    Operation("IsingXY", (1, 2), (ParamRef(4),))])
    a = RNG.uniform(-2, 2, (3, 5))
    ms = [Expval({"Z0 X2": 0.5, "Y1": 1.0}), Probs([2, 1])]
    up = [RNG.standard_normal(3), RNG.standard_normal((3, 4))]
    got = get_machine("pennylane.lightning.qubit").vjp(c, a, ms, up)
    want = get_machine("statevector").vjp(c, a, ms, up)
    assert np.allclose(got, want, atol=1e-10)
    st = get_machine("pennylane.default.qubit").execute(c, a, [State()])[0]
    assert np.allclose(st, get_machine("statevector").execute(c, a, [State()])[0])


# ----------------------------------------------------------------- PennyLane's device suite
def _pl_device_test(device, shots):
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-c", "import sys; from pennylane.devices.tests import cli; "
           "sys.exit(cli())", "--device", device, "--skip-ops", "-q", "-p", "no:cacheprovider"]
    if shots:
        cmd += ["--shots", str(shots)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    last = (r.stdout.strip().splitlines() or [""])[-1]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|xfailed|error)",
                                                last)}
    return r, last, counts


@pytest.mark.parametrize("shots", [None, 10000], ids=["analytic", "shots"])
@pytest.mark.parametrize("device", ["vqnet.statevector", "vqnet.density_matrix"])
def test_pennylane_device_suite(device, shots):
    r, last, counts = _pl_device_test(device, shots)
    print(f"pl-device-test --device {device} {'--shots ' + str(shots) if shots else ''}: "
          f"{last}")
    assert r.returncode == 0 and counts.get("passed", 0) > 300 and not counts.get("failed"), \
        r.stdout[-4000:] + r.stderr[-2000:]


def test_broadcast_trainable_input_gradient():
    """A parameter broadcast over the batch gets its per-row gradient (the machine's VJP)."""
    x = qml.numpy.array([0.3, 1.2, -0.5], requires_grad=True)

    def f(x):
        qml.Hadamard(0)
        qml.RY(x, 0)
        return qml.expval(qml.Z(0))
    ja = qml.jacobian(qml.QNode(f, qml.device("vqnet.statevector", wires=1),
                                diff_method="adjoint"))(x)
    jb = qml.jacobian(qml.QNode(f, qml.device("default.qubit", wires=1)))(x)
    assert np.allclose(ja, jb)


# ----------------------------------------------------------------- examples (smoke runs)
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def _run_example(name, *args):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout


def test_variational_classifier_example():
    out = _run_example("variational_classifier.py")
    assert "vqnet.statevector: final accuracy 1.000" in out


def test_hqcnn_qnode_example_smoke(tmp_path):
    out = _run_example("hqcnn_qnode.py", "--limit", "64", "--epochs", "1", "--out",
                       str(tmp_path))
    assert "test accuracy after 1 epochs" in out


def test_default_mixed_noise_matches_density_matrix():
    from vqnet_core.quantum import Circuit, Operation, ParamRef
    from vqnet_core.quantum.noise import NoiseModel, depolarizing, thermal_relaxation
    nm = (NoiseModel().add_channel(depolarizing(0.05))
          .add_channel(thermal_relaxation(0.2, 1.0, 0.8, 0.1), gates=["CNOT"])
          .add_readout_error(0.03))
    c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1)),
                    Operation("RX", (1,), (ParamRef(1),))])
    a = np.array([[0.3, 0.5], [1.1, -0.4]])
    ms = [Expval({"Z0 Z1": 1.0, "X1": 0.5}), Probs([1, 0])]
    got = get_machine("pennylane.default.mixed", noise_model=nm).execute(c, a, ms)
    want = get_machine("density_matrix", noise_model=nm).execute(c, a, ms)
    for u, v in zip(got, want):
        assert np.allclose(u, v)
