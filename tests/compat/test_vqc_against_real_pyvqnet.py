"""``vqnet_core.compat.pyvqnet.qnn.vqc`` against the real pyvqnet's ``qnn.vqc`` (the oracle):
every gate function (and its ``use_dagger``) on a generic state, the measurements, the gate
modules, and the gradients of a layered circuit w.r.t. inputs and weights. Skipped where
pyvqnet is not installed (``nox -s pyvqnet_oracle`` installs it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pytest.importorskip("pyvqnet", reason="the real pyvqnet is not installed (nox -s "
                        "pyvqnet_oracle installs it)")
    from pyvqnet import tensor as pt
    from pyvqnet.dtype import kcomplex128
    from pyvqnet.qnn import vqc as pv

from vqnet_core.compat.pyvqnet import tensor as ct  # noqa: E402
from vqnet_core.compat.pyvqnet.qnn import vqc as cv  # noqa: E402
from vqnet_core.compat.pyvqnet.qnn.vqc.gates import _GATES, _QUARTER  # noqa: E402
from vqnet_core.quantum.gates import get_gate  # noqa: E402

N, BATCH = 4, 3
rng = np.random.default_rng(7)
PREP = rng.uniform(0, np.pi, (BATCH, N, 2))


def _prepare(mod, Q, qm):
    """A generic batched state: H, RY, RZ on every wire, then a CNOT chain."""
    for w in range(N):
        mod.hadamard(qm, w)
        mod.ry(qm, w, params=Q(PREP[:, w, :1]))
        mod.rz(qm, w, params=Q(PREP[:, w, 1:]))
    for w in range(N - 1):
        mod.cnot(qm, [w, w + 1])


def _machine(mod):
    dt = kcomplex128 if mod is pv else "complex128"
    qm = mod.QMachine(N, dtype=dt)
    qm.reset_states(BATCH)
    return qm


def _wires_for(core):
    k = get_gate(core).num_wires or (2 if core == "MultiRZ" else 3)  # (pyvqnet's multirz: 2)
    return [2, 0, 3, 1][:k]


GATE_CASES = [(f, use_dagger) for f in sorted(_GATES) if hasattr(pv, f)
              for use_dagger in (False, True)]


@pytest.mark.parametrize("fname, use_dagger", GATE_CASES,
                         ids=[f"{f}{'-dagger' if d else ''}" for f, d in GATE_CASES])
def test_gate_function_state(fname, use_dagger):
    core = _GATES[fname][0]
    k = get_gate(core).num_params
    params = rng.uniform(-np.pi, np.pi, (BATCH, k)) if k else None
    if core == "MultiRZ":  # pyvqnet 2.18's multirz fails on a batch of angles: one for all
        params = params[0]
    states = []
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        qm = _machine(mod)
        _prepare(mod, Q, qm)
        kw = {"params": Q(params)} if k else {}
        getattr(mod, fname)(qm, _wires_for(core), use_dagger=use_dagger, **kw)
        states.append(np.asarray(qm.states.to_numpy()).reshape(BATCH, -1))
    np.testing.assert_allclose(states[1], states[0], atol=1e-10)


def test_quarter_turns_and_modules_without_functions():
    # x1 / y1 / z1, and the gate classes whose functions pyvqnet 2.18 does not export
    want = None
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        qm = _machine(mod)
        _prepare(mod, Q, qm)
        for f in _QUARTER:
            getattr(mod, f)(qm, 1)
            getattr(mod, f)(qm, 2, use_dagger=True)
        mod.X1(wires=3)(q_machine=qm)
        mod.CH(wires=[3, 0])(q_machine=qm)
        mod.CCZ(wires=[0, 2, 1])(q_machine=qm)
        got = np.asarray(qm.states.to_numpy())
        if want is None:
            want = got
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_crot_module_in_single_precision():
    # (pyvqnet 2.18's CRot builds a complex64 matrix whatever the machine's dtype)
    states = []
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        qm = mod.QMachine(N)
        qm.reset_states(BATCH)
        _prepare(mod, Q, qm)
        mod.CRot(has_params=True, init_params=Q(np.array([[0.3, -0.7, 1.1]], np.float32)),
                 wires=[1, 3])(q_machine=qm)
        states.append(np.asarray(qm.states.to_numpy()))
    np.testing.assert_allclose(states[1], states[0], atol=2e-6)


@pytest.mark.parametrize("make", [
    lambda m: m.MeasureAll(obs={"Z0": 1.0, "X1 Y2": 0.5}),
    lambda m: m.MeasureAll(obs=[{"Z0": 1.0}, {"Z3": 2.0}, {"X0 X1 Z3": -1.0}]),
    lambda m: m.Probability(wires=[1, 3]),
    lambda m: m.Probability(wires=2),
    lambda m: m.Probability(wires=[3, 0, 1]),
], ids=["hamiltonian", "list", "probs_13", "probs_2", "probs_301"])
def test_measurements(make):
    outs = []
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        qm = _machine(mod)
        _prepare(mod, Q, qm)
        outs.append(np.asarray(make(mod)(q_machine=qm).to_numpy()))
    assert outs[0].shape == outs[1].shape
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-10)


def test_gate_modules_with_their_own_parameters():
    init = rng.uniform(-1, 1, 3)
    outs = []
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        qm = _machine(mod)
        _prepare(mod, Q, qm)
        rot = mod.Rot(has_params=True, trainable=True, init_params=Q(init[None]), wires=1,
                      dtype=kcomplex128 if mod is pv else "complex128")
        rx = mod.RX(has_params=True, trainable=True, init_params=Q(init[:1][None]), wires=3,
                    dtype=kcomplex128 if mod is pv else "complex128")
        rot(q_machine=qm)
        rx(q_machine=qm)
        mod.CNOT(wires=[1, 3])(q_machine=qm)
        out = mod.MeasureAll(obs=[{"Z1": 1.0}, {"Z3": 1.0}])(q_machine=qm)
        (pt if mod is pv else ct).sums(out).backward()
        outs.append((np.asarray(out.to_numpy()), np.asarray(rot.params.grad.to_numpy()),
                     np.asarray(rx.params.grad.to_numpy())))
    for p, c in zip(*outs):
        np.testing.assert_allclose(c, p, atol=1e-9)


def test_layered_circuit_gradients():
    # W2's circuit on 4 wires, 2 layers: outputs and the gradients of inputs and weights
    x0 = rng.uniform(-1, 1, (BATCH, N))
    w0 = rng.uniform(-1, 1, 2 * N * 3)
    res = []
    for mod, Q in ((pv, pt.QTensor), (cv, ct.QTensor)):
        x = Q(x0, requires_grad=True)
        w = Q(w0, requires_grad=True)
        qm = _machine(mod)
        for i in range(N):
            mod.ry(qm, i, params=x[:, [i]])
        for layer in range(2):
            for i in range(N):
                k = (layer * N + i) * 3
                mod.rx(qm, i, params=w[k])
                mod.ry(qm, i, params=w[k + 1])
                mod.rz(qm, i, params=w[k + 2])
            for i in range(N):
                mod.cnot(qm, [i, (i + 1) % N])
        out = mod.MeasureAll(obs=[{f"Z{i}": 1.0} for i in range(N)])(q_machine=qm)
        (pt if mod is pv else ct).sums(out).backward()
        res.append([np.asarray(t.to_numpy()) for t in (out, x.grad, w.grad)])
    for p, c in zip(*res):
        np.testing.assert_allclose(c, p, atol=1e-9)
