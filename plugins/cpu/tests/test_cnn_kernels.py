"""The CNN (W3) fast paths: direct convolution, the 2x2 max-pool vector path, the contiguous
``where``, col2im / im2col, each against NumPy / the reference backend, PyTorch where
installed, plus their bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import vqnet_cpu
from vqnet_cpu import CpuBackend, _ext, _nn

from vqnet_core.backend.numpy_backend import NumpyBackend

B, REF = CpuBackend(), NumpyBackend()
F32 = np.float32
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}
NO_PAD = ((0, 0), (0, 0))

# (N, C, H, W, O, kernel, stride, padding, dilation): W3's two layers, then odd geometries
GEOMETRIES = [
    (4, 1, 28, 28, 32, (3, 3), (1, 1), NO_PAD, (1, 1)),
    (3, 32, 13, 13, 32, (3, 3), (1, 1), NO_PAD, (1, 1)),
    (2, 3, 9, 8, 5, (3, 2), (2, 1), ((1, 2), (0, 1)), (1, 2)),
    (2, 2, 7, 9, 4, (2, 3), (1, 2), ((0, 1), (2, 0)), (2, 1)),
    (2, 1, 70, 66, 3, (3, 3), (1, 1), NO_PAD, (1, 1)),  # a plane too big for the flat scratch
    (1, 2, 5, 5, 3, (1, 1), (1, 1), NO_PAD, (1, 1)),
]


@pytest.fixture(params=["direct", "gemm", "gemm-blocks"])
def conv_path(request, monkeypatch):
    """Run each conv test through every implementation of the cpu backend (the GEMM path
    also with one sample per block)."""
    if request.param != "direct":
        monkeypatch.setattr(_nn, "DIRECT_MAX_K", 0)
    if request.param == "gemm-blocks":
        monkeypatch.setattr(_nn, "BLOCK_BYTES", 1)
    return request.param.split("-")[0]


def _conv_operands(geom, dtype, bias, seed=0):
    n, c, h, w, o, k, *_ = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    return x, wt, b, rng


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_reference(conv_path, geom, dtype, bias):
    x, w, b, rng = _conv_operands(geom, dtype, bias)
    stride, pads, dil = geom[6:]
    out, ctx = B.k_conv2d(x, w, b, stride, pads, dil, 1)
    ref, rctx = REF.k_conv2d(x, w, b, stride, pads, dil, 1)
    assert ctx[0] == conv_path or conv_path == "direct"  # K > 32 stays on the GEMM path
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, ref, **TOL[dtype])
    g = rng.standard_normal(out.shape).astype(dtype)
    got = B.k_conv2d_backward(g, ctx, (True, True, True))
    want = REF.k_conv2d_backward(g, rctx, (True, True, True))
    for a, r in zip(got, want):
        assert (a is None) == (r is None)
        if r is not None:
            assert a.dtype == dtype and a.shape == r.shape
            np.testing.assert_allclose(a, r, **TOL[dtype])


@pytest.mark.parametrize("needs", [(False, True, False), (False, False, True),
                                   (True, False, False), (False, True, True)])
def test_conv2d_backward_computes_only_what_is_needed(conv_path, needs):
    x, w, b, rng = _conv_operands(GEOMETRIES[0], np.float64, True)
    out, ctx = B.k_conv2d(x, w, b, (1, 1), NO_PAD, (1, 1), 1)
    _, rctx = REF.k_conv2d(x, w, b, (1, 1), NO_PAD, (1, 1), 1)
    g = rng.standard_normal(out.shape)
    got = B.k_conv2d_backward(g, ctx, needs)
    want = REF.k_conv2d_backward(g, rctx, needs)
    for need, a, r in zip(needs, got, want):
        assert (a is None) == (not need)
        if need:
            np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)


def test_conv2d_inputs_are_not_written_and_views_are_read(conv_path):
    x, w, b, _ = _conv_operands(GEOMETRIES[0], F32, True)
    xv, wv = x[:, :, ::-1, :], np.asfortranarray(w)  # non-contiguous views
    copies = [a.copy() for a in (xv, wv, b)]
    out, ctx = B.k_conv2d(xv, wv, b, (1, 1), NO_PAD, (1, 1), 1)
    ref, _ = REF.k_conv2d(np.ascontiguousarray(xv), w, b, (1, 1), NO_PAD, (1, 1), 1)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    g = np.ones(out.shape, F32)
    B.k_conv2d_backward(g, ctx, (True, True, True))
    for a, c in zip((xv, wv, b), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(g, 1)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("geom", [(8, 1, 28, 28, 32, (3, 3)), (9, 32, 13, 13, 32, (3, 3))])
def test_conv2d_agrees_on_any_thread_count(threads, geom):
    x, w, b, _ = _conv_operands(geom, F32, True)
    old = vqnet_cpu.get_num_threads()
    try:
        vqnet_cpu.set_num_threads(1)
        out1, ctx1 = B.k_conv2d(x, w, b, (1, 1), NO_PAD, (1, 1), 1)
        gw1 = B.k_conv2d_backward(out1, ctx1, (True, True, True))
        vqnet_cpu.set_num_threads(threads)
        out2, ctx2 = B.k_conv2d(x, w, b, (1, 1), NO_PAD, (1, 1), 1)
        gw2 = B.k_conv2d_backward(out2, ctx2, (True, True, True))
    finally:
        vqnet_cpu.set_num_threads(old)
    # float tolerance: the GEMMs inside may be split differently by BLAS on another thread count
    np.testing.assert_allclose(out2, out1, rtol=1e-5, atol=1e-5)
    for a, c in zip(gw1, gw2):
        np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-4)


def test_block_errors_propagate_and_blocks_cover_the_batch():
    def fail_on_3(i):
        if i == 3:
            raise RuntimeError("block 3")
        return i

    old = vqnet_cpu.get_num_threads()
    try:
        vqnet_cpu.set_num_threads(2)
        assert _nn._map_blocks(lambda i: i * i, list(range(7))) == [i * i for i in range(7)]
        with pytest.raises(RuntimeError, match="block 3"):
            _nn._map_blocks(fail_on_3, list(range(7)))
    finally:
        vqnet_cpu.set_num_threads(old)
    for n in (0, 1, 2, 5, 64):
        blocks = _nn._blocks(n, 288 * 121, 4)
        assert blocks[0][0] == 0 and blocks[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))


def test_w3_layer_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b, rng = _conv_operands(GEOMETRIES[0], F32, True)
    out, ctx = B.k_conv2d(x, w, b, (1, 1), NO_PAD, (1, 1), 1)
    pooled, pctx = B.k_max_pool2d(np.where(out > 0, out, 0), (2, 2), (2, 2), NO_PAD, (1, 1))
    g = rng.standard_normal(pooled.shape).astype(F32)
    gy = B.k_max_pool2d_backward(g, pctx) * (out > 0)
    _, gw, gb = B.k_conv2d_backward(gy, ctx, (False, True, True))

    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    tout = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(tx, tw, tb)), 2)
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(pooled, tout.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-3, atol=1e-3)


# ---- max pooling: the 2x2 / stride-2 vector path ---------------------------------------
def _pool_reference(x, dh=1):
    """First maximum of each 2x2 / stride-2 window in row-major order; the first NaN wins."""
    n, c, h, w = x.shape
    ho, wo = (h - dh - 1) // 2 + 1, w // 2
    out = np.empty((n, c, ho, wo), x.dtype)
    idx = np.empty((n, c, ho, wo), np.int64)
    for p in np.ndindex(n, c, ho, wo):
        taps = [(2 * p[2] + i * dh) * w + 2 * p[3] + j for i in (0, 1) for j in (0, 1)]
        vals = x[p[0], p[1]].ravel()[taps]
        nan = np.flatnonzero(np.isnan(vals))
        k = nan[0] if nan.size else int(np.argmax(vals))
        out[p], idx[p] = vals[k], taps[k]
    return out, idx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("w", [8, 9, 14, 23, 26])
@pytest.mark.parametrize("dh", [1, 2])
def test_max_pool_2x2_ties_and_nans(dtype, w, dh):
    rng = np.random.default_rng(w)
    x = np.round(rng.standard_normal((2, 3, 7, w)) * 2).astype(dtype)  # many ties
    x.flat[rng.choice(x.size, 6, replace=False)] = np.nan
    out, idx = _ext.max_pool2d(x, (2, 2), (2, 2), (0,) * 4, (dh, 1))
    ref, ridx = _pool_reference(x, dh)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(idx, ridx)


def test_max_pool_2x2_matches_reference_backend():
    x = np.random.default_rng(3).standard_normal((4, 8, 26, 26)).astype(F32)
    out, ctx = B.k_max_pool2d(x, (2, 2), (2, 2), NO_PAD, (1, 1))
    ref, rctx = REF.k_max_pool2d(x, (2, 2), (2, 2), NO_PAD, (1, 1))
    np.testing.assert_array_equal(out, ref)
    g = np.random.default_rng(4).standard_normal(out.shape).astype(F32)
    np.testing.assert_array_equal(B.k_max_pool2d_backward(g, ctx),
                                  REF.k_max_pool2d_backward(g, rctx))


# ---- where: the contiguous fast paths ------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_contiguous_paths(dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(50_001).astype(dtype) for _ in range(2))
    c = rng.random(50_001) < 0.5
    np.testing.assert_array_equal(B.where(c, a, b), np.where(c, a, b))
    np.testing.assert_array_equal(B.where(c, a, 0.0), np.where(c, a, dtype(0)))
    np.testing.assert_array_equal(B.where(c, 2.5, b), np.where(c, dtype(2.5), b))
    np.testing.assert_array_equal(B.where(c[::2], a[::2], b[::2]),
                                  np.where(c[::2], a[::2], b[::2]))  # strided: general path


# ---- bad inputs of the new entry points ----------------------------------------------
X = np.ones((2, 1, 6, 6), F32)
W = np.ones((4, 1, 3, 3), F32)
G = np.ones((2, 4, 4, 4), F32)
GEOM = ((1, 1), (0,) * 4, (1, 1))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: _ext.conv2d_direct(X.astype(np.float64), W, None, *GEOM), TypeError, "dtype"),
    (lambda: _ext.conv2d_direct(X, np.ones((4, 2, 3, 3), F32), None, *GEOM), ValueError,
     "axis 1"),
    (lambda: _ext.conv2d_direct(X, W, np.ones(3, F32), *GEOM), ValueError, "bias"),
    (lambda: _ext.conv2d_direct(X, W, np.ones(4), *GEOM), TypeError, "bias"),
    (lambda: _ext.conv2d_direct(X[0], W, None, *GEOM), ValueError, "4-D"),
    (lambda: _ext.conv2d_direct(X.astype(np.int64), W, None, *GEOM), TypeError, "float"),
    (lambda: _ext.conv2d_direct([[1.0]], W, None, *GEOM), TypeError, "numpy.ndarray"),
    (lambda: _ext.conv2d_direct(X, W, None, (0, 1), (0,) * 4, (1, 1)), ValueError, "stride"),
    (lambda: _ext.conv2d_direct(X, W, None, (1, 1), (-1, 0, 0, 0), (1, 1)), ValueError,
     "padding"),
    (lambda: _ext.conv2d_direct(X, np.ones((4, 1, 9, 9), F32), None, *GEOM), ValueError,
     "larger than"),
    (lambda: _ext.conv2d_direct(X, W, None, (1, 1), (2**45,) * 4, (1, 1)), ValueError,
     "out of range"),
    (lambda: _ext.conv2d_direct(X, W, None, (1, 1), (2**39,) * 4, (1, 1)), ValueError,
     "overflow"),
    (lambda: _ext.im2col(X, (2**40, 1), (1, 1), (0,) * 4, (2**40, 1)), ValueError,
     "larger than"),  # dilation * kernel would wrap around
    (lambda: _ext.conv2d_direct_backward_weight(X, G[:, :, :3], (3, 3), *GEOM, True),
     ValueError, "axis 2"),
    (lambda: _ext.conv2d_direct_backward_weight(X, G.astype(np.float64), (3, 3), *GEOM, True),
     TypeError, "dtype"),
    (lambda: _ext.conv2d_direct_backward_weight(X, G, (3, -3), *GEOM, True), ValueError,
     "kernel"),
    (lambda: _ext.conv2d_direct_backward_weight(X, G, (3, 3), (1, 1), (0,) * 3, (1, 1), True),
     ValueError, "4 entries"),
    (lambda: _ext.conv2d_direct_backward_weight(X, G[0], (3, 3), *GEOM, True), ValueError,
     "4-D"),
    (lambda: B.k_conv2d_backward(G[:, :3], B.k_conv2d(X, W, None, (1, 1), NO_PAD, (1, 1), 1)[1],
                                 (True, True, True)), ValueError, "does not match"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("bad", [G[:1], G[:, :, :3], G.astype(np.float64), G[0]])
def test_gemm_backward_checks_the_gradient(monkeypatch, bad):
    monkeypatch.setattr(_nn, "DIRECT_MAX_K", 0)
    _, ctx = B.k_conv2d(X, W, None, (1, 1), NO_PAD, (1, 1), 1)
    with pytest.raises(ValueError, match="does not match"):
        B.k_conv2d_backward(bad, ctx, (True, True, True))


def test_direct_backward_weight_shapes_and_empty_batch():
    gw, gb = _ext.conv2d_direct_backward_weight(X, G, (3, 3), *GEOM, False)
    assert gw.shape == (4, 1, 3, 3) and gb is None
    gw, gb = _ext.conv2d_direct_backward_weight(X[:0], G[:0], (3, 3), *GEOM, True)
    np.testing.assert_array_equal(gw, 0)
    np.testing.assert_array_equal(gb, 0)
    assert _ext.conv2d_direct(X[:0], W, None, *GEOM).shape == (0, 4, 4, 4)
