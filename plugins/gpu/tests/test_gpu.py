"""On a GPU only (each test skips with the reason elsewhere): the CUDA kernels against the
host emulation and the NumPy reference, data residency, the RNG stream, W2 end to end."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.quantum import kernels as K


def _state(rng, b, n, dtype):
    v = rng.standard_normal((b, 2**n)) + 1j * rng.standard_normal((b, 2**n))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(dtype)


def _unitary(rng, b, d, dtype):
    q = np.linalg.qr(rng.standard_normal((b, d, d)) + 1j * rng.standard_normal((b, d, d)))[0]
    return q.astype(dtype)


TOL = {"complex64": 2e-5, "complex128": 1e-12}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("bs, bm", [(1, 1), (4, 1), (1, 4), (4, 4)])
def test_sv_kernels_match_the_emulation(gpu, emulated, dtype, bs, bm):
    rng = np.random.default_rng(bs * 10 + bm)
    n = 13
    st = _state(rng, bs, n, dtype)
    d_st = gpu.from_numpy(st)
    tol = TOL[dtype]
    for wires in [(0,), (6,), (12,), (0, 1), (3, 9), (11, 12), (0, 12)]:
        m = _unitary(rng, bm, 2 ** len(wires), dtype)
        kern = gpu.k_sv_apply_1q if len(wires) == 1 else gpu.k_sv_apply_2q
        arg = wires[0] if len(wires) == 1 else wires
        got = kern(d_st, n, arg, gpu.from_numpy(m))
        assert type(got).__module__.startswith("cupy")
        ref = K.apply_matrix_reference(vq.get_backend("numpy"), st, n, wires, m)
        np.testing.assert_allclose(gpu.to_numpy(got), ref, atol=tol)
        phi = _state(rng, bs, n, dtype)
        got = gpu.k_sv_overlap(gpu.from_numpy(phi), d_st, n, wires)
        ref = K.overlap_reference(vq.get_backend("numpy"), phi, st, n, wires)
        np.testing.assert_allclose(gpu.to_numpy(got), ref, atol=tol * 10)
    for word in ["Z" + "I" * (n - 1), "XYZ" + "I" * (n - 4) + "Y", "Y" * n, "X" * n]:
        got = gpu.to_numpy(gpu.k_sv_expval_pauli(d_st, n, word))
        np.testing.assert_allclose(got, emulated.k_sv_expval_pauli(st, n, word), atol=tol * 10)
    cols, c = [1 << ((t + 3) % n) for t in range(n)], 5
    np.testing.assert_allclose(gpu.to_numpy(gpu.k_sv_apply_affine(d_st, n, cols, c)),
                               K.apply_affine_reference(vq.get_backend("numpy"), st, n,
                                                        cols, c))


def test_gate_runs_in_place_on_the_device(gpu):
    rng = np.random.default_rng(0)
    n = 12
    st = _state(rng, 2, n, "complex128")
    gates = [((2,), _unitary(rng, 1, 2, "complex128")), ((1, 5), _unitary(rng, 2, 4, "complex128")),
             ((4,), np.exp(1j * rng.standard_normal((2, 2))))]
    ref = K.apply_seq_reference(vq.get_backend("numpy"), st, n, gates)
    own = gpu.from_numpy(st.copy())
    out = gpu.k_sv_apply_seq(own, n, [(w, gpu.from_numpy(m)) for w, m in gates], inplace=True)
    assert out is own
    np.testing.assert_allclose(gpu.to_numpy(out), ref, atol=1e-12)
    ket, bra = gpu.from_numpy(st.copy()), gpu.from_numpy(np.conj(st))
    g4 = [(w, gpu.from_numpy(m), gpu.from_numpy(np.conj(m)), True) for w, m in gates]
    k, b, rs = gpu.k_sv_adjoint_seq(ket, bra, n, g4, inplace=True)
    rk, rb, rr = K.adjoint_seq_reference(vq.get_backend("numpy"), st, np.conj(st), n,
                                         [(w, m, np.conj(m), True) for w, m in gates])
    np.testing.assert_allclose(gpu.to_numpy(k), rk, atol=1e-12)
    for a, r in zip(rs, rr):
        np.testing.assert_allclose(gpu.to_numpy(a), r, atol=1e-10)


def test_random_stream_equals_the_emulation(gpu, emulated):
    for dist, dt in [("uniform", "float64"), ("normal", "float32"), ("randint", "int64"),
                     ("bernoulli", "bool")]:
        a, b = (0.0, 1.0) if dist != "randint" else (-5, 9)
        if dist == "bernoulli":
            a = 0.3
        g = gpu.to_numpy(gpu.random(dist, (11, 12), (257, 3), dt, a, b))
        e = emulated.random(dist, (11, 12), (257, 3), dt, a, b)
        np.testing.assert_allclose(g.astype(float), e.astype(float), rtol=1e-6, atol=1e-6)


def test_tensor_to_gpu_and_back(gpu):
    t = vq.tensor([[1.0, 2.0]], requires_grad=True)
    g = t.to("gpu")
    assert g.backend == "gpu" and g.device == "cuda"
    assert type(g._data).__module__.startswith("cupy")
    (g * 3).sum().backward()
    assert t.grad.tolist() == [[3.0, 3.0]]
    assert g.to("numpy").tolist() == [[1.0, 2.0]] and g.to("cpu").device == "cpu"
    m = vq.nn.Linear(2, 2).to("gpu")
    assert {p.backend for p in m.parameters()} == {"gpu"}


def test_w2_end_to_end_on_the_device(gpu):
    from test_emulated import run_w2

    got = run_w2("gpu", n=10, L=2, B=4)
    ref = run_w2("numpy", n=10, L=2, B=4)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-9)


def test_cnn_training_on_the_device(gpu):
    from test_emulated import _cnn_steps

    for opt_name in ("sgd", "adam"):
        got_l, got_p = _cnn_steps("gpu", opt_name)
        ref_l, ref_p = _cnn_steps("numpy", opt_name)
        np.testing.assert_allclose(got_l, ref_l, rtol=1e-4)
        for g, r in zip(got_p, ref_p):
            np.testing.assert_allclose(g, r, rtol=1e-3, atol=1e-4)
