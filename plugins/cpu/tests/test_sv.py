"""State-vector kernels: hypothesis fuzz against the core's reference compositions, bad input,
and the statevector machine end to end on the ``cpu`` backend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vqnet_cpu import CpuBackend, _ext

from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.quantum import kernels as K

B, REF = CpuBackend(), NumpyBackend()
# no deadline or speed health check: a loaded machine or an ASan build must not fail them
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
CDT = st.sampled_from([np.complex64, np.complex128])
TOL = {np.dtype(np.complex64): dict(rtol=1e-4, atol=1e-5),
       np.dtype(np.complex128): dict(rtol=1e-11, atol=1e-12)}
C128 = np.complex128


def _cplx(rng, shape, dtype, normalise=False):
    v = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if normalise:
        v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return v.astype(dtype)


def _view(data, a):
    """``a`` itself or an equal non-contiguous view (the kernels copy such inputs first)."""
    if data.draw(st.booleans()):
        return a
    big = np.repeat(a, 2, axis=-1)
    return big[..., ::2]


@st.composite
def _case(draw, k):
    """(dtype, n, wires, state batch, second batch, seed)"""
    dtype = draw(CDT)
    n = draw(st.integers(k, 9))
    wires = tuple(sorted(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k,
                                       unique=True))))
    bs, bm = draw(st.sampled_from([(1, 1), (2, 1), (1, 3), (3, 3), (0, 0)]))
    return dtype, n, wires, bs, bm, draw(st.integers(0, 2**32 - 1))


@FUZZ
@given(case=st.one_of(_case(1), _case(2)), data=st.data())
def test_apply_matches_reference(case, data):
    dtype, n, wires, bs, bm, seed = case
    rng = np.random.default_rng(seed)
    state = _view(data, _cplx(rng, (bs, 2**n), dtype))
    mat = _view(data, _cplx(rng, (bm, 2 ** len(wires), 2 ** len(wires)), dtype))
    kern = B.k_sv_apply_1q if len(wires) == 1 else B.k_sv_apply_2q
    got = kern(state, n, wires[0] if len(wires) == 1 else wires, mat)
    want = K.apply_matrix_reference(REF, state, n, wires, mat)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL[np.dtype(dtype)])


@FUZZ
@given(case=st.one_of(_case(1), _case(2)), data=st.data())
def test_overlap_matches_reference(case, data):
    dtype, n, wires, bp, bq, seed = case
    rng = np.random.default_rng(seed)
    phi = _view(data, _cplx(rng, (bp, 2**n), dtype))
    psi = _view(data, _cplx(rng, (bq, 2**n), dtype))
    got = B.k_sv_overlap(phi, psi, n, wires)
    want = K.overlap_reference(REF, phi, psi, n, wires)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL[np.dtype(dtype)]["rtol"] * 10,
                               atol=TOL[np.dtype(dtype)]["atol"] * 2**n)


@FUZZ
@given(dtype=CDT, n=st.integers(1, 9), bs=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_expval_pauli_matches_reference(dtype, n, bs, seed, data):
    rng = np.random.default_rng(seed)
    state = _cplx(rng, (bs, 2**n), dtype, normalise=True)
    word = data.draw(st.text("IXYZ", min_size=n, max_size=n))
    got = B.k_sv_expval_pauli(state, n, word)
    want = K.expval_pauli_reference(REF, state, n, word)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL[np.dtype(dtype)]["rtol"] * 10,
                               atol=TOL[np.dtype(dtype)]["atol"] * 10)


@FUZZ
@given(dtype=CDT, n=st.integers(1, 9), bs=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_gather_matches_numpy(dtype, n, bs, seed):
    rng = np.random.default_rng(seed)
    state = _cplx(rng, (bs, 2**n), dtype)
    idx = rng.permutation(2**n).astype(np.int64)
    np.testing.assert_array_equal(B.getitem(state, (slice(None), idx)), state[:, idx])


@st.composite
def _gate_seq(draw):
    """(dtype, n, state batch, gates [(wires, mat or diagonal)], wants, seed)"""
    dtype = draw(CDT)
    n = draw(st.integers(1, 15))
    bs = draw(st.sampled_from([1, 2]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gates, wants = [], []
    for _ in range(draw(st.integers(0, 12))):
        k = 1 if n == 1 else draw(st.integers(1, 2))
        wires = tuple(sorted(int(w) for w in rng.choice(n, k, replace=False)))
        shape = (draw(st.sampled_from([1, bs])), 2**k)
        if draw(st.booleans()):
            shape += (2**k,)
        gates.append((wires, _cplx(rng, shape, dtype)))
        wants.append(draw(st.booleans()))
    return dtype, n, bs, gates, wants, rng


@FUZZ
@given(case=_gate_seq(), data=st.data())
def test_gate_sequences_match_reference(case, data):
    """Cache-blocked runs of gates (forward and adjoint) against the one-gate-at-a-time
    compositions, on states up to 15 wires (several blocks, several passes)."""
    dtype, n, bs, gates, wants, rng = case
    state = _view(data, _cplx(rng, (bs, 2**n), dtype, normalise=True))
    tol = TOL[np.dtype(dtype)]
    got = B.k_sv_apply_seq(state, n, gates)
    want = K.apply_seq_reference(REF, state, n, gates)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)
    brac = _cplx(rng, (bs, 2**n), dtype, normalise=True)
    agates = [(w, m, np.conj(m), want) for (w, m), want in zip(gates, wants)]
    got = B.k_sv_adjoint_seq(state, brac, n, agates)
    ref = K.adjoint_seq_reference(REF, state, brac, n, agates)
    assert len(got[2]) == len(ref[2]) == sum(wants)
    for a, r in zip(got[:2] + tuple(got[2]), ref[:2] + tuple(ref[2])):
        assert a.dtype == r.dtype and a.shape == r.shape
        np.testing.assert_allclose(a, r, rtol=tol["rtol"] * 100, atol=tol["atol"] * 100)


def test_large_states_use_the_parallel_paths():
    rng = np.random.default_rng(1)
    n = 15
    for bs in (1, 4):
        state = _cplx(rng, (bs, 2**n), C128, normalise=True)
        for wires in [(0,), (7,), (14,), (0, 14), (3, 9)]:
            mat = _cplx(rng, (bs, 2 ** len(wires), 2 ** len(wires)), C128)
            np.testing.assert_allclose(_ext.sv_apply(state, n, wires, mat),
                                       K.apply_matrix_reference(REF, state, n, wires, mat),
                                       rtol=1e-12, atol=1e-13)
            np.testing.assert_allclose(_ext.sv_overlap(state[:1], state, n, wires),
                                       K.overlap_reference(REF, state[:1], state, n, wires),
                                       rtol=1e-10, atol=1e-12)
        word = "XYZI" * 3 + "ZYX"
        np.testing.assert_allclose(_ext.sv_expval_pauli(state, n, word),
                                   K.expval_pauli_reference(REF, state, n, word), atol=1e-12)


def test_fallbacks_keep_reference_semantics():
    """Real or mixed-dtype operands are not the C kernels' business: the reference runs."""
    st1 = np.array([[1.0, 0, 0, 0]])
    x = np.array([[[0, 1], [1, 0]]], np.complex64)
    np.testing.assert_allclose(B.k_sv_apply_1q(st1, 2, 1, x),
                               K.apply_matrix_reference(REF, st1, 2, (1,), x))
    assert B.getitem(np.arange(6).reshape(2, 3), (slice(None), np.array([2, 0, 1]))).tolist() \
        == [[2, 0, 1], [5, 3, 4]]
    c = np.arange(6).reshape(2, 3) + 0j  # other keys of a complex state stay NumPy's
    for key in [(np.array([1, 0]), slice(None)), (slice(0, 1), np.array([2, 0, 1])),
                (slice(None), np.array([2, 0]))]:
        np.testing.assert_array_equal(B.getitem(c, key), c[key])


S2 = np.zeros((1, 4), C128)
M2 = np.eye(2, dtype=C128)[None]


@pytest.mark.parametrize("call,exc,match", [
    (lambda: _ext.sv_apply([[1, 0]], 1, (0,), M2), TypeError, "numpy.ndarray"),
    (lambda: _ext.sv_apply(S2.real.copy(), 2, (0,), M2), TypeError, "complex64 or complex128"),
    (lambda: _ext.sv_apply(S2, 2, (0,), M2.astype(np.complex64)), TypeError, "complex128"),
    (lambda: _ext.sv_apply(S2, 3, (0,), M2), ValueError, "axis 1 has size 4"),
    (lambda: _ext.sv_apply(S2, 0, (0,), M2), ValueError, r"n = 0"),
    (lambda: _ext.sv_apply(S2, 99, (0,), M2), ValueError, r"n = 99"),
    (lambda: _ext.sv_apply(S2, 2, (2,), M2), ValueError, "wire 2 is out of range"),
    (lambda: _ext.sv_apply(S2, 2, (-1,), M2), ValueError, "out of range"),
    (lambda: _ext.sv_apply(S2, 2, (1, 1), np.eye(4, dtype=C128)[None]), ValueError, "distinct"),
    (lambda: _ext.sv_apply(S2, 2, (1, 0), np.eye(4, dtype=C128)[None]), ValueError, "ascending"),
    (lambda: _ext.sv_apply(S2, 2, (0, 1, 1), M2), ValueError, "1 or 2 wires"),
    (lambda: _ext.sv_apply(S2, 2, (), M2), ValueError, "1 or 2 wires"),
    (lambda: _ext.sv_apply(S2, 2, "ab", M2), TypeError, "ints"),
    (lambda: _ext.sv_apply(S2, 2, (0, 1), M2), ValueError, "axis 1 has size 2"),
    (lambda: _ext.sv_apply(S2, 2, (0,), np.eye(2, dtype=C128)), ValueError, "3-D"),
    (lambda: _ext.sv_apply(np.zeros((2, 4), C128), 2, (0,), np.zeros((3, 2, 2), C128)),
     ValueError, "do not broadcast"),
    (lambda: _ext.sv_apply(S2.astype(">c16"), 2, (0,), M2), TypeError, "byte order"),
    (lambda: _ext.sv_expval_pauli(S2, 2, "XA"), ValueError, "other than I, X, Y, Z"),
    (lambda: _ext.sv_expval_pauli(S2, 2, "XXX"), ValueError, "length 3"),
    (lambda: _ext.sv_expval_pauli(S2, 2, 5), TypeError, ""),
    (lambda: _ext.sv_overlap(S2, S2.astype(np.complex64), 2, (0,)), TypeError, "complex128"),
    (lambda: _ext.sv_overlap(np.zeros((2, 4), C128), np.zeros((3, 4), C128), 2, (0,)),
     ValueError, "do not broadcast"),
    (lambda: _ext.sv_apply_seq(S2, 2, [((0,), M2), ((2,), M2)]), ValueError, "out of range"),
    (lambda: _ext.sv_apply_seq(S2, 2, [((0,), M2, M2)]), TypeError, "tuple"),
    (lambda: _ext.sv_apply_seq(S2, 2, [[(0,), M2]]), TypeError, "tuple"),
    (lambda: _ext.sv_apply_seq(S2, 2, 5), TypeError, "sequence"),
    (lambda: _ext.sv_apply_seq(S2, 2, [((0, 1), M2)]), ValueError, "axis 1 has size 2"),
    (lambda: _ext.sv_apply_seq(S2, 2, [((0,), M2.astype(np.complex64))]), TypeError,
     "complex128"),
    (lambda: _ext.sv_apply_seq(np.zeros((2, 4), C128), 2, [((0,), np.zeros((3, 2, 2), C128))]),
     ValueError, "do not broadcast"),
    (lambda: _ext.sv_apply_seq(S2, 41, []), ValueError, "n = 41"),
    (lambda: _ext.sv_adjoint_seq(S2, S2, 2, [((0,), M2)]), TypeError, "want_overlap"),
    (lambda: _ext.sv_adjoint_seq(S2, S2.astype(np.complex64), 2, []), TypeError, "complex128"),
    (lambda: _ext.sv_adjoint_seq(np.zeros((2, 4), C128), np.zeros((3, 4), C128), 2, []),
     ValueError, "do not broadcast"),
    (lambda: _ext.sv_adjoint_seq(S2, S2, 2, [((1, 0), M2, M2, True)]), ValueError,
     "ascending"),
    (lambda: _ext.sv_gather(S2, np.array([0, 1, 2, 4])), IndexError, "out of range"),
    (lambda: _ext.sv_gather(S2, np.array([0, 1, 2, -1])), IndexError, "out of range"),
    (lambda: _ext.sv_gather(S2, np.array([0, 1, 2])), ValueError, "axis 0"),
    (lambda: _ext.sv_gather(S2, np.array([0, 1, 2, 3], np.int32)), TypeError, "int64"),
    (lambda: _ext.sv_gather(S2.real.copy(), np.array([0, 1, 2, 3])), TypeError, "complex"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2, 4), 0), ValueError, "expected n = 2 cols"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1,), 0), ValueError, "expected n = 2 cols"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 4), 0), ValueError, r"cols\[1\]"),
    (lambda: _ext.sv_apply_affine(S2, 2, (-1, 2), 0), ValueError, r"cols\[0\]"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2**70), 0), ValueError, r"cols\[1\]"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2.0), 0), ValueError, r"cols\[1\]"),
    (lambda: _ext.sv_apply_affine(S2, 2, 5, 0), TypeError, "sequence"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2), 4), ValueError, "c must be"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2), -1), ValueError, "c must be"),
    (lambda: _ext.sv_apply_affine(S2, 2, (1, 2), "a"), ValueError, "c must be"),
    (lambda: _ext.sv_apply_affine(S2, 2, (3, 3), 0), ValueError, "not invertible"),
    (lambda: _ext.sv_apply_affine(S2, 2, (0, 2), 0), ValueError, "not invertible"),
    (lambda: _ext.sv_apply_affine(S2, 3, (1, 2, 4), 0), ValueError, "axis 1 has size 4"),
    (lambda: _ext.sv_apply_affine(S2, 41, (1,) * 41, 0), ValueError, "n = 41"),
    (lambda: _ext.sv_apply_affine(S2.real.copy(), 2, (1, 2), 0), TypeError, "complex"),
    (lambda: _ext.sv_apply_affine([[1, 0, 0, 0]], 2, (1, 2), 0), TypeError, "numpy.ndarray"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_empty_batches_broadcast_like_numpy():
    assert _ext.sv_apply(np.zeros((0, 4), C128), 2, (0,), M2).shape == (0, 4)
    assert _ext.sv_overlap(np.zeros((0, 4), C128), S2, 2, (0, 1)).shape == (0, 4, 4)
    assert _ext.sv_expval_pauli(np.zeros((0, 4), C128), 2, "XZ").shape == (0,)
    assert _ext.sv_apply_seq(np.zeros((0, 4), C128), 2, [((0,), M2)]).shape == (0, 4)
    k, b, rs = _ext.sv_adjoint_seq(np.zeros((0, 4), C128), S2, 2, [((0,), M2, M2, True)])
    assert k.shape == b.shape == (0, 4) and rs[0].shape == (0, 2, 2)


def test_inputs_are_never_written_and_nan_propagates():
    s = np.full((1, 4), np.nan + 0j)
    s[0, 1] = 1
    keep = s.copy()
    out = _ext.sv_apply(s, 2, (1,), M2)
    assert out is not s
    np.testing.assert_array_equal(np.isnan(out), np.isnan(K.apply_matrix_reference(
        REF, s, 2, (1,), M2)))
    assert np.isnan(_ext.sv_expval_pauli(s, 2, "ZZ")).all()
    _ext.sv_apply_seq(s, 2, [((0,), M2), ((0, 1), np.eye(4, dtype=C128)[None])])
    _ext.sv_adjoint_seq(s, s, 2, [((1,), M2, M2, True)])
    np.testing.assert_array_equal(s, keep)


@pytest.mark.parametrize("n", [5, 15])
def test_statevector_machine_on_cpu_matches_numpy(n):
    """A W2-style circuit with diagonal, controlled and permutation gates: forward and adjoint
    gradients agree across the two backends (n=15: several cache blocks and passes per run)."""
    import vqnet_core as vq
    from vqnet_core.qnn import QuantumLayer

    L = 2

    def circuit(q, x, w):
        for i in range(n):
            q.ry(i, x[:, i])
        for layer in range(L):
            for i in range(n):
                q.rx(i, w[layer, i, 0])
                q.rz(i, w[layer, i, 1])
            for i in range(n):
                q.cnot(i, (i + 1) % n)
            q.crx(0, 3, w[layer, 0, 0])
            q.rz(2, w[layer, 2, 1])
            q.cz(1, n - 1)
            q.ry(n - 1, w[layer, n - 1, 0])
        for i in range(n):
            q.expval({f"Z{i}": 1.0})
        q.expval({"X0 Y2": 0.5})

    rng = np.random.default_rng(0)
    X, W = rng.uniform(0, 3, (3, n)), rng.uniform(0, 6, (L, n, 2))
    res = []
    for be in ("numpy", "cpu"):
        with vq.backend(be):
            layer = QuantumLayer(circuit, n, (L, n, 2), diff_method="adjoint",
                                 dtype="complex128")
            layer.weights = vq.nn.Parameter(vq.tensor(W, dtype="float64"))
            x = vq.tensor(X, dtype="float64", requires_grad=True)
            out = layer(x)
            out.sum().backward()
            res.append((out.numpy(), x.grad.numpy(), layer.weights.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_inplace_gate_runs_reuse_only_what_cannot_alias():
    """inplace=True writes into a state the caller owns, and never into one that is a view of,
    or overlaps, another argument: the results equal the out-of-place ones either way."""
    rng = np.random.default_rng(5)
    n = 15
    m = (rng.standard_normal((1, 2, 2)) + 1j * rng.standard_normal((1, 2, 2))).astype(C128)
    gates = [((w,), m, m.conj(), True) for w in range(n)]
    buf = (rng.standard_normal((2, 2**n)) + 1j * rng.standard_normal((2, 2**n))).astype(C128)
    ket, brac = buf[0:1].copy(), buf[1:2].copy()
    want = _ext.sv_adjoint_seq(ket, brac, n, gates)
    # owned arrays: updated in place and returned
    k2, b2 = ket.copy(), brac.copy()
    got = _ext.sv_adjoint_seq(k2, b2, n, gates, True)
    assert got[0] is k2 and got[1] is b2
    for a, b in zip(got[:2], want[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for a, b in zip(got[2], want[2]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    # the same array as ket and bra, views, and a matrix inside the state: never reused
    same = ket.copy()
    got = _ext.sv_adjoint_seq(same, same, n, gates, True)
    ref = _ext.sv_adjoint_seq(ket, ket.copy(), n, gates)
    assert got[0] is not same or got[1] is not same
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-12)
    two = buf.copy()
    got = _ext.sv_adjoint_seq(two[0:1], two[1:2], n, gates, True)
    assert got[0].base is None or got[0].ctypes.data != two.ctypes.data
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(two, buf)  # the views' base was not written
    holder = ket.copy()
    mat_view = holder.reshape(-1)[:4].reshape(1, 2, 2)
    out = _ext.sv_apply_seq(holder, n, [((0,), mat_view)], True)
    assert out is not holder
    np.testing.assert_allclose(out, _ext.sv_apply_seq(ket, n, [((0,), mat_view.copy())]),
                               rtol=1e-12, atol=1e-12)
    ro = ket.copy()
    ro.flags.writeable = False
    assert _ext.sv_apply_seq(ro, n, [((0,), m)], True) is not ro
