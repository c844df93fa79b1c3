"""The host emulation (``gpu-emulated``: the gpu backend's Python code on NumPy) against the
NumPy reference backend, end to end: the statevector machine (W2's circuit, adjoint
gradients), the CNN kernels in training, the moves between backends.

These check the plugin's logic (dispatch, shapes, broadcasting, the kernels' index arithmetic,
the in-place rules); they do not run the CUDA code (test_gpu.py does, on a device)."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.qnn import QuantumLayer


def w2(n, L):
    def circuit(q, x, w):
        for i in range(n):
            q.ry(i, x[:, i])
        for layer in range(L):
            for i in range(n):
                q.rx(i, w[layer, i, 0])
                q.ry(i, w[layer, i, 1])
                q.rz(i, w[layer, i, 2])
            for i in range(n):
                q.cnot(i, (i + 1) % n)
            q.cz(0, n - 1)
            q.swap(1, 2)
        for i in range(n):
            q.expval({f"Z{i}": 1.0})
        q.expval({f"X0 Y1 Z{n - 1}": 0.5})
    return circuit


def run_w2(backend, n=6, L=2, B=3, dtype="complex128"):
    rng = np.random.default_rng(7)
    X, W = rng.uniform(-1, 1, (B, n)), rng.uniform(-np.pi, np.pi, (L, n, 3))
    with vq.backend(backend):
        layer = QuantumLayer(w2(n, L), n, (L, n, 3), diff_method="adjoint", dtype=dtype)
        layer.weights = vq.nn.Parameter(vq.tensor(W, dtype="float64"))
        x = vq.tensor(X, dtype="float64", requires_grad=True)
        out = layer(x)
        (out * vq.tensor(np.arange(out.shape[1]) + 1.0)).sum().backward()
        return out.numpy(), x.grad.numpy(), layer.weights.grad.numpy()


@pytest.mark.parametrize("dtype, tol", [("complex128", 1e-10), ("complex64", 2e-4)])
def test_w2_on_emulation_matches_numpy(dtype, tol):
    got = run_w2("gpu-emulated", dtype=dtype)
    ref = run_w2("numpy", dtype=dtype)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


def test_emulation_takes_the_plugin_kernels(monkeypatch):
    """The statevector machine on the emulation goes through the plugin's sv kernels (not the
    core's reference compositions): count the calls."""
    from vqnet_gpu import _sv

    calls = {}
    for name in ("apply_seq", "adjoint_seq", "expval_pauli", "apply_affine"):
        orig = getattr(_sv.SvOps, name)

        def wrapped(self, *a, _orig=orig, _name=name, **k):
            calls[_name] = calls.get(_name, 0) + 1
            return _orig(self, *a, **k)
        monkeypatch.setattr(_sv.SvOps, name, wrapped)
    run_w2("gpu-emulated", n=4, L=1, B=2)
    assert calls.get("apply_seq", 0) + calls.get("adjoint_seq", 0) > 0, calls


def test_inplace_gate_run_reuses_an_owned_state(emulated):
    rng = np.random.default_rng(1)
    n = 5
    st = (rng.standard_normal((2, 2**n)) + 1j * rng.standard_normal((2, 2**n)))
    m = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))[0][None]
    gates = [((1, 3), m), ((0,), m[:, :2, :2].copy()), ((2,), np.array([[1, 1j]]))]
    from vqnet_core.quantum.kernels import apply_seq_reference
    ref = apply_seq_reference(vq.get_backend("numpy"), st.copy(), n, gates)
    own = st.copy()
    out = emulated.k_sv_apply_seq(own, n, gates, inplace=True)
    assert out is own  # written in place
    np.testing.assert_allclose(out, ref, atol=1e-12)
    view = st.copy()[:, :]  # a view: never overwritten
    keep = view.copy()
    emulated.k_sv_apply_seq(view, n, gates, inplace=True)
    np.testing.assert_array_equal(view, keep)


def test_random_is_the_same_on_every_backend_of_the_plugin(emulated):
    """The Philox stream is written in xp arithmetic: on a GPU ``gpu`` gives these very
    numbers (test_gpu.py checks it there)."""
    a = emulated.random("uniform", (3, 4), (1000,), "float64")
    assert a.min() >= 0 and a.max() < 1 and abs(a.mean() - 0.5) < 0.05
    z = emulated.random("normal", (3, 4), (20000,), "float64", 1.0, 2.0)
    assert abs(z.mean() - 1.0) < 0.1 and abs(z.std() - 2.0) < 0.1
    r = emulated.random("randint", (3, 4), (5000,), "int64", -2, 3)
    assert set(np.unique(r).tolist()) == {-2, -1, 0, 1, 2}


def _cnn_steps(backend, opt_name, steps=3):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    nn = vq.nn
    with vq.backend("numpy"):  # the same initial weights (each backend has its own RNG stream)
        vq.manual_seed(3)
        # with Adam, no batch norm: the conv bias before it gets a zero gradient, whose sign
        # (rounding noise) Adam would turn into a full step
        norm = [nn.BatchNorm2d(4)] if opt_name == "sgd" else []
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), *norm, nn.ReLU(),
                              nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.ReLU(), nn.AvgPool2d(2),
                              nn.Flatten(), nn.Linear(16, 10))
    model.to(backend)
    with vq.backend(backend):
        opt = vq.optim.Adam(model.parameters(), lr=1e-2) if opt_name == "adam" else \
            vq.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(vq.tensor(x)), vq.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.numpy() for p in model.parameters()]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_cnn_training_on_emulation_matches_numpy(opt_name):
    got_l, got_p = _cnn_steps("gpu-emulated", opt_name)
    ref_l, ref_p = _cnn_steps("numpy", opt_name)
    np.testing.assert_allclose(got_l, ref_l, rtol=1e-4)
    for g, r in zip(got_p, ref_p):
        np.testing.assert_allclose(g, r, rtol=1e-3, atol=1e-4)


def test_tensor_and_module_move_between_backends():
    t = vq.tensor([[1.0, -2.0]], requires_grad=True)
    e = t.to("gpu-emulated")
    assert e.backend == "gpu-emulated" and e.tolist() == [[1.0, -2.0]]
    (e * e).sum().backward()  # the gradient comes back through the move
    assert t.grad.tolist() == [[2.0, -4.0]]
    back = e.to("numpy")
    assert back.backend == "numpy"
    m = vq.nn.Linear(2, 3)
    m.to("gpu-emulated")
    assert {p.backend for p in m.parameters()} == {"gpu-emulated"}
    with vq.backend("gpu-emulated"):
        assert m(vq.tensor([[1.0, 2.0]])).shape == (1, 3)
    m.to("numpy")
    assert {p.backend for p in m.parameters()} == {"numpy"}


def test_move_to_cpu_backend():
    try:
        vq.get_backend("cpu")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"vqnet-cpu is not installed here ({exc})")
    t = vq.tensor([1.0, 2.0]).to("gpu-emulated").to("cpu")
    assert t.backend == "cpu" and t.tolist() == [1.0, 2.0]
    m = vq.nn.Linear(2, 2).to("cpu")
    assert {p.backend for p in m.parameters()} == {"cpu"}


def test_statevector_machine_suite_on_the_emulation(tmp_path):
    """The conformance suite's machine half with the statevector machine on ``gpu-emulated``
    (``VQNET_BACKEND``), in a child pytest: every gate, measurement and the adjoint gradients
    through the plugin's sv kernels."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "VQNET_BACKEND": "gpu-emulated"}
    run = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "vqnet_spec",
                          "--vqnet-machine", "statevector", "-p", "no:cacheprovider"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout.splitlines()[-1]
