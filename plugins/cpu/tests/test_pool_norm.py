"""avg_pool2d and batch_norm kernels in C: hypothesis fuzz against the core's reference
compositions, gradcheck and PyTorch on backend ``cpu``, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vqnet_cpu import CpuBackend, _ext

import vqnet_core as vq
from vqnet_core.autograd import gradcheck
from vqnet_core.backend import backend
from vqnet_core.nn import functional as F
from vqnet_core.nn._pool_ops import avg_pool2d_reference
from vqnet_core.nn.functional import batch_norm_reference

B = CpuBackend()
# no deadline or speed health check: a loaded machine or an ASan build must not fail them
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
TOL = {np.dtype(np.float32): dict(rtol=1e-4, atol=1e-5),
       np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}


def _close(got, want, what):
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.shape, got.dtype,
                                                                  want.shape, want.dtype)
    tol = dict(TOL[got.dtype])
    tol["atol"] *= max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, err_msg=what, **tol)


def _maybe_view(draw, a):
    """``a`` or an equal non-contiguous view of it (the kernels copy such inputs)."""
    kind = draw(st.sampled_from(["plain", "step", "fortran"]))
    if kind == "step":
        return np.repeat(a, 2, axis=0)[::2]
    if kind == "fortran":
        return np.asfortranarray(a)
    return a


def _reference(fn, arrays, g, needs):
    """Output(s) of ``fn`` on backend numpy and the gradients of ``arrays`` for seed ``g``."""
    with backend("numpy"):
        ts = [None if a is None else vq.tensor(a, requires_grad=bool(n))
              for a, n in zip(arrays, needs)]
        outs = fn(*ts)
        y = outs[0] if isinstance(outs, tuple) else outs
        if y.requires_grad:
            y.backward(vq.tensor(g))
        grads = [t.grad.numpy() if t is not None and t.grad is not None else None for t in ts]
        return [o.numpy() for o in (outs if isinstance(outs, tuple) else (outs,))], grads


@st.composite
def _pool_case(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(2))
    hw = tuple(draw(st.integers(max(1, kk - sum(p)), 7)) for kk, p in zip(k, pads))
    n, c = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = _maybe_view(draw, rng.uniform(-2, 2, (n, c) + hw).astype(dtype))
    cip = draw(st.booleans())
    div = draw(st.sampled_from([None, None, 3, -2, 0.5]))
    return x, k, s, pads, cip, div, rng


@FUZZ
@given(case=_pool_case())
def test_avg_pool2d_matches_reference(case):
    x, k, s, pads, cip, div, rng = case
    x_copy = x.copy()
    out, ctx = B.k_avg_pool2d(x, k, s, pads, cip, div)
    g = rng.uniform(-1, 1, out.shape).astype(x.dtype)
    gx = B.k_avg_pool2d_backward(g, ctx)
    (ref,), (ref_gx,) = _reference(
        lambda t: avg_pool2d_reference(t, k, s, pads, out.shape[2:], cip, div), [x], g, [True])
    _close(out, ref, "avg_pool2d forward")
    _close(gx, ref_gx, "avg_pool2d backward")
    np.testing.assert_array_equal(x, x_copy)  # inputs are never written


@st.composite
def _bn_case(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rest = tuple(draw(st.lists(st.integers(1, 4), max_size=2)))
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    training = draw(st.booleans()) and n * int(np.prod(rest)) > 1
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = _maybe_view(draw, (rng.standard_normal((n, c) + rest) * 3 + 1).astype(dtype))

    def vec(lo=-1.0):
        return rng.uniform(lo, 2, c).astype(dtype) if draw(st.booleans()) else None
    w, b = vec(), vec()
    mean, var = (None, None) if training else (rng.uniform(-1, 1, c).astype(dtype),
                                               rng.uniform(0.1, 2, c).astype(dtype))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.0 if training else 1e-5]))
    needs = (draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    return x, w, b, mean, var, eps, training, needs, rng


@FUZZ
@given(case=_bn_case())
def test_batch_norm_matches_reference(case):
    x, w, b, mean, var, eps, training, needs, rng = case
    copies = [a.copy() for a in (x, w, b, mean, var) if a is not None]
    y, m, v = B.k_batch_norm(x, w, b, mean, var, eps)
    g = rng.standard_normal(x.shape).astype(x.dtype)
    got = B.k_batch_norm_backward(g, x, w, m, v, eps, training, needs)

    def ref_fn(x, w, b):
        stats = [None if a is None else vq.tensor(a) for a in (mean, var)]
        return batch_norm_reference(x, *stats, w, b, eps)
    (ry, rm, rv), ref_grads = _reference(ref_fn, [x, w, b], g, needs)
    _close(y, ry, "batch_norm y")
    _close(m, rm, "batch_norm mean")
    _close(v, rv, "batch_norm var")
    for name, a, r, need, given_ in zip(("dx", "dweight", "dbias"), got, ref_grads, needs,
                                        (x, w, b)):
        if not need or given_ is None:
            assert a is None or name == "dbias", f"{name} was not asked for"
            continue
        _close(a, r, f"batch_norm_backward {name}")
    for a, c in zip([a for a in (x, w, b, mean, var) if a is not None], copies):
        np.testing.assert_array_equal(a, c)  # inputs are never written


def test_gradcheck_on_cpu():
    rng = np.random.default_rng(3)
    with backend("cpu"):
        def t(*s):
            return vq.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True)
        rm = vq.tensor([0.1, -0.3, 0.2], dtype="float64")
        rv = vq.tensor([0.5, 1.0, 2.0], dtype="float64")
        for pool in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                 count_include_pad=False)):
            x = t(2, 2, 5, 6)
            assert F.avg_pool2d(x, **pool).grad_fn.name == "avg_pool2d"
            assert gradcheck(lambda x, pool=pool: F.avg_pool2d(x, **pool), [x])
        assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         [t(4, 3, 2, 3), t(3), t(3)])
        assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b), [t(3, 3, 4), t(3), t(3)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_match_torch_on_cpu(dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((8, 4, 6, 6)).astype(dtype)
    with backend("cpu"):
        bn = vq.nn.BatchNorm2d(4, dtype=dtype)
        xt = vq.tensor(x, requires_grad=True)
        y = vq.nn.AvgPool2D(2)(bn(xt))
        (y * y).sum().backward()
    tbn = torch.nn.BatchNorm2d(4).to(getattr(torch, dtype))
    xr = torch.tensor(x, requires_grad=True)
    yr = torch.nn.functional.avg_pool2d(tbn(xr), 2)
    (yr * yr).sum().backward()
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y.numpy(), yr.detach().numpy(), **tol)
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), **tol)
    np.testing.assert_allclose(bn.weight.grad.numpy(), tbn.weight.grad.numpy(), **tol)
    np.testing.assert_allclose(bn.running_var.numpy(), tbn.running_var.numpy(), **tol)


F32, F64 = np.float32, np.float64
X4 = np.ones((1, 2, 4, 4), F32)
P0 = (0, 0, 0, 0)
V2 = np.ones(2, F32)
G4 = np.ones((1, 2, 2, 2), F32)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: _ext.avg_pool2d([[1.0]], (1, 1), (1, 1), P0, True, 0.0), TypeError, "ndarray"),
    (lambda: _ext.avg_pool2d(X4.astype(np.int64), (2, 2), (2, 2), P0, True, 0.0), TypeError,
     "float32 or float64"),
    (lambda: _ext.avg_pool2d(X4.astype(np.float16), (2, 2), (2, 2), P0, True, 0.0), TypeError,
     "dtype"),
    (lambda: _ext.avg_pool2d(np.ones((2, 4, 4), F32), (2, 2), (2, 2), P0, True, 0.0),
     ValueError, "4-D"),
    (lambda: _ext.avg_pool2d(X4, (-2, 2), (2, 2), P0, True, 0.0), ValueError, "kernel"),
    (lambda: _ext.avg_pool2d(X4, (2, 2), (0, 2), P0, True, 0.0), ValueError, "stride"),
    (lambda: _ext.avg_pool2d(X4, (2, 2), (2, 2), (0, -1, 0, 0), True, 0.0), ValueError,
     "padding"),
    (lambda: _ext.avg_pool2d(X4, (2**41, 2), (1, 1), P0, True, 0.0), ValueError, "range"),
    (lambda: _ext.avg_pool2d(X4, (9, 9), (1, 1), P0, True, 0.0), ValueError, "larger than"),
    (lambda: _ext.avg_pool2d(X4, (2, 2), (1, 1), (2**40,) * 4, True, 0.0), ValueError,
     "overflow"),
    (lambda: _ext.avg_pool2d(X4, (2, 2), (2, 2), P0, True, float("inf")), ValueError, "finite"),
    (lambda: _ext.avg_pool2d_backward(G4, -4, 4, (2, 2), (2, 2), P0, True, 0.0), ValueError,
     "out of range"),
    (lambda: _ext.avg_pool2d_backward(G4, 2**41, 4, (2, 2), (2, 2), P0, True, 0.0), ValueError,
     "out of range"),
    (lambda: _ext.avg_pool2d_backward(G4, 6, 4, (2, 2), (2, 2), P0, True, 0.0), ValueError,
     "axis 2 has size 2, expected 3"),
    (lambda: _ext.avg_pool2d_backward(G4.astype(np.int32), 4, 4, (2, 2), (2, 2), P0, True, 0.0),
     TypeError, "float32 or float64"),
    (lambda: _ext.batch_norm(np.ones(3, F32), None, None, None, None, 1e-5), ValueError, "2-D"),
    (lambda: _ext.batch_norm(X4, np.ones(3, F32), None, None, None, 1e-5), ValueError,
     "weight"),
    (lambda: _ext.batch_norm(X4, V2.astype(F64), None, None, None, 1e-5), TypeError, "float32"),
    (lambda: _ext.batch_norm(X4, None, None, V2, None, 1e-5), ValueError, "both"),
    (lambda: _ext.batch_norm(X4, None, None, V2, np.ones((2, 1), F32), 1e-5), ValueError,
     "1-D"),
    (lambda: _ext.batch_norm(X4, None, None, None, None, -1.0), ValueError, "eps"),
    (lambda: _ext.batch_norm(X4, None, None, None, None, float("nan")), ValueError, "eps"),
    (lambda: _ext.batch_norm(X4.astype(np.int64), None, None, None, None, 1e-5), TypeError,
     "float32 or float64"),
    (lambda: _ext.batch_norm_backward(X4[:, :, :2], X4, None, V2, V2, 1e-5, True, 1, 1, 1),
     ValueError, "axis 2 has size 2"),
    (lambda: _ext.batch_norm_backward(X4.astype(F64), X4, None, V2, V2, 1e-5, True, 1, 1, 1),
     TypeError, "float32"),
    (lambda: _ext.batch_norm_backward(X4, X4, None, None, V2, 1e-5, True, 1, 1, 1), ValueError,
     "mean and var"),
    (lambda: _ext.batch_norm_backward(X4, X4, None, np.ones(5, F32), V2, 1e-5, True, 1, 1, 1),
     ValueError, "mean"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_views_and_empty_inputs():
    x = np.random.default_rng(0).standard_normal((3, 2, 5, 4))
    view = x.transpose(0, 1, 3, 2)  # non-contiguous: copied first, same result
    out, _ = _ext.avg_pool2d(view, (2, 2), (1, 1), P0, False, 0.0), None
    np.testing.assert_allclose(out, _ext.avg_pool2d(view.copy(), (2, 2), (1, 1), P0, False,
                                                     0.0))
    y, m, v = _ext.batch_norm(x[:, :, ::2], None, None, None, None, 1e-5)
    np.testing.assert_allclose(m, x[:, :, ::2].mean(axis=(0, 2, 3)))
    empty = np.ones((0, 2, 4, 4))
    assert _ext.avg_pool2d(empty, (2, 2), (2, 2), P0, True, 0.0).shape == (0, 2, 2, 2)
    assert _ext.avg_pool2d_backward(np.ones((0, 2, 2, 2)), 4, 4, (2, 2), (2, 2), P0, True,
                                    0.0).shape == (0, 2, 4, 4)
    assert _ext.batch_norm(np.ones((3, 0, 2)), None, None, None, None, 1e-5)[0].shape == (3, 0, 2)
