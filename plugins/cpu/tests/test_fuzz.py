"""Hypothesis fuzz of every C kernel against NumPy / the core's reference compositions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vqnet_cpu import CpuBackend, _backend

from vqnet_core.backend.numpy_backend import NumpyBackend

B, REF = CpuBackend(), NumpyBackend()
# no deadline or speed health check: a loaded machine or an ASan build must not fail them
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=1e-6),
       np.dtype(np.float64): dict(rtol=1e-12, atol=1e-13)}


def _values(dtype, shape, lo=-3.0, hi=3.0):
    lo, hi = (float(np.dtype(dtype).type(v)) for v in (lo, hi))  # representable bounds
    return hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=np.dtype(dtype).itemsize * 8))


@st.composite
def _array_and_view(draw, lo=-3.0, hi=3.0):
    """A float array, sometimes as a non-contiguous view (stepped, transposed, flipped)."""
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    a = draw(_values(dtype, shape, lo, hi))
    kind = draw(st.sampled_from(["plain", "T", "flip", "step"]))
    if kind == "T":
        a = a.T
    elif kind == "flip" and a.ndim:
        a = a[::-1]
    elif kind == "step" and a.ndim:
        a = np.repeat(a, 2, axis=0)[::2]
    return a


def _close(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype,
                                                                  want.shape, want.dtype)
    kw = TOL.get(got.dtype, dict(rtol=0, atol=0))
    np.testing.assert_allclose(got, want, equal_nan=True, **kw)


SAFE_DOMAIN = {"log": (0.01, 5), "sqrt": (0, 5), "log1p": (-0.9, 5), "asin": (-1, 1),
               "acos": (-1, 1), "atanh": (-0.99, 0.99), "acosh": (1, 5), "reciprocal": (0.1, 5)}


@pytest.mark.parametrize("op", sorted(_backend._UNARY))
@FUZZ
@given(data=st.data())
def test_unary_matches_numpy(op, data):
    lo, hi = SAFE_DOMAIN.get(op, (-3.0, 3.0))
    a = data.draw(_array_and_view(lo, hi))
    a_copy = a.copy()
    if op == "erf":  # the reference backend's erf returns a Python float for 0-d input
        want = np.vectorize(math.erf, otypes=[a.dtype])(a)
    else:
        want = REF.unary(op, a)
    _close(B.unary(op, a), np.asarray(want))
    np.testing.assert_array_equal(a, a_copy)  # inputs are never written


@pytest.mark.parametrize("op", sorted(_backend._BINARY))
@FUZZ
@given(data=st.data())
def test_binary_broadcasting_matches_numpy(op, data):
    dtype = data.draw(DTYPES)
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                         max_side=4))
    lo = 0.1 if op == "pow" else -3.0
    a = data.draw(_values(dtype, shapes.input_shapes[0], lo))
    b = data.draw(_values(dtype, shapes.input_shapes[1], -3.0 if op != "pow" else -2.0))
    if data.draw(st.booleans()) and b.ndim:  # a broadcast (stride-0) view as operand
        b = np.broadcast_to(b, shapes.result_shape)
    _close(B.binary(op, a, b), REF.binary(op, a, b))
    s = data.draw(st.floats(0.5, 2.0))  # a Python scalar keeps the array's dtype
    _close(B.binary(op, a, s), REF.binary(op, a, s))


@FUZZ
@given(data=st.data())
def test_where_matches_numpy(data):
    dtype = data.draw(DTYPES)
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    c = data.draw(hnp.arrays(np.bool_, shapes.input_shapes[0]))
    a = data.draw(_values(dtype, shapes.input_shapes[1]))
    b = data.draw(_values(dtype, shapes.input_shapes[2]))
    _close(B.where(c, a, b), REF.where(c, a, b))


@pytest.mark.parametrize("op", ["sum", "prod", "max", "min"])
@FUZZ
@given(data=st.data())
def test_reduce_matches_numpy(op, data):
    a = data.draw(_array_and_view(-1.5, 1.5))
    axes = None
    if a.ndim and data.draw(st.booleans()):
        axes = tuple(sorted(data.draw(st.sets(st.integers(0, a.ndim - 1), min_size=1))))
    keep = data.draw(st.booleans())
    if a.size == 0 and op in ("max", "min"):
        return
    got, want = B.reduce(op, a, axes, keep), REF.reduce(op, a, axes, keep)
    kw = dict(TOL[a.dtype])
    kw["atol"] = kw["atol"] * max(a.size, 1) * 10
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **kw)


@st.composite
def _conv_case(draw):
    dtype = draw(DTYPES)
    groups = draw(st.integers(1, 2))
    n, cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pads = ((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
            (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - sum(pads[0])), 8))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - sum(pads[1])), 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.uniform(-1, 1, (n, cg * groups, h, w)).astype(dtype)
    wt = rng.uniform(-1, 1, (og * groups, cg, kh, kw)).astype(dtype)
    b = rng.uniform(-1, 1, og * groups).astype(dtype) if draw(st.booleans()) else None
    return x, wt, b, (sh, sw), pads, (dh, dw), groups, rng


@FUZZ
@given(case=_conv_case())
def test_conv2d_matches_numpy_backend(case):
    x, w, b, stride, pads, dil, groups, rng = case
    out, ctx = B.k_conv2d(x, w, b, stride, pads, dil, groups)
    ref, rctx = REF.k_conv2d(x, w, b, stride, pads, dil, groups)
    k = TOL[x.dtype]
    np.testing.assert_allclose(out, ref, rtol=k["rtol"] * 10, atol=k["atol"] * 100)
    g = rng.uniform(-1, 1, out.shape).astype(x.dtype)
    got = B.k_conv2d_backward(g, ctx, (True, True, True))
    want = REF.k_conv2d_backward(g, rctx, (True, True, True))
    for a, r in zip(got, want):
        if r is None:
            assert a is None
        else:
            assert a.shape == r.shape and a.dtype == r.dtype
            np.testing.assert_allclose(a, r, rtol=k["rtol"] * 10, atol=k["atol"] * 100)


@FUZZ
@given(data=st.data())
def test_max_pool2d_matches_numpy_backend(data):
    dtype = data.draw(DTYPES)
    kh, kw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    pads = ((data.draw(st.integers(0, kh // 2)),) * 2, (data.draw(st.integers(0, kw // 2)),) * 2)
    h = data.draw(st.integers(dil[0] * (kh - 1) + 1, 8))
    w = data.draw(st.integers(dil[1] * (kw - 1) + 1, 8))
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = (rng.permutation(n * c * h * w).reshape(n, c, h, w) / 7.0).astype(dtype)  # no ties
    out, ctx = B.k_max_pool2d(x, (kh, kw), stride, pads, dil)
    ref, rctx = REF.k_max_pool2d(x, (kh, kw), stride, pads, dil)
    np.testing.assert_array_equal(out, ref)
    g = rng.uniform(-1, 1, out.shape).astype(dtype)
    np.testing.assert_allclose(B.k_max_pool2d_backward(g, ctx),
                               REF.k_max_pool2d_backward(g, rctx), **TOL[np.dtype(dtype)])


@FUZZ
@given(data=st.data())
def test_softmax_cross_entropy_matches_reference(data):
    from vqnet_core.nn.loss import (
        softmax_cross_entropy_backward_reference,
        softmax_cross_entropy_reference,
    )
    dtype = data.draw(DTYPES)
    n, c = data.draw(st.integers(0, 6)), data.draw(st.integers(1, 6))
    x = data.draw(_values(dtype, (n, c), -20, 20))
    lab = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)),
                   dtype=np.int64)
    g = data.draw(_values(dtype, (n,)))
    k = TOL[np.dtype(dtype)]
    np.testing.assert_allclose(B.k_softmax_cross_entropy(x, lab),
                               softmax_cross_entropy_reference(REF, x, lab),
                               rtol=k["rtol"] * 10, atol=k["atol"] * 10)
    np.testing.assert_allclose(B.k_softmax_cross_entropy_backward(x, lab, g),
                               softmax_cross_entropy_backward_reference(REF, x, lab, g),
                               rtol=k["rtol"] * 10, atol=k["atol"] * 10)


@FUZZ
@given(data=st.data())
def test_optimizer_steps_match_reference(data):
    from vqnet_core.optim.adam import adam_step_reference
    from vqnet_core.optim.sgd import sgd_step_reference
    dtype = data.draw(DTYPES)
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    p, g, s1, s2 = (data.draw(_values(dtype, shape)) for _ in range(4))
    s2 = np.abs(s2)
    k = TOL[np.dtype(dtype)]
    mom = data.draw(st.sampled_from([0.0, 0.9]))
    nest = mom > 0 and data.draw(st.booleans())
    args = (data.draw(st.sampled_from([None, s1])) if mom else None, 0.1, mom,
            0.0 if nest else data.draw(st.sampled_from([0.0, 0.3])), nest,
            data.draw(st.sampled_from([0.0, 0.01])), data.draw(st.booleans()))
    got, want = B.k_sgd_step(p, g, *args), sgd_step_reference(REF, p, g, *args)
    for a, r in zip(got, want):
        assert (a is None) == (r is None)
        if r is not None:
            np.testing.assert_allclose(a, r, **k)
    ams = data.draw(st.booleans())
    vmax = data.draw(st.sampled_from([None, s2 * 2])) if ams else None
    args = (s1, s2, vmax, data.draw(st.integers(1, 50)), 1e-2, 0.9, 0.999, 1e-8,
            data.draw(st.sampled_from([0.0, 0.01])), ams, data.draw(st.booleans()),
            data.draw(st.booleans()))
    got, want = B.k_adam_step(p, g, *args), adam_step_reference(REF, p, g, *args)
    for a, r in zip(got, want):
        assert (a is None) == (r is None)
        if r is not None:
            np.testing.assert_allclose(a, r, rtol=k["rtol"] * 10, atol=k["atol"] * 10)


@FUZZ
@given(data=st.data())
def test_sv_apply_affine_matches_the_index_gather(data):
    """Random invertible affine maps (X / CNOT / SWAP networks and beyond) on random states,
    complex64 / complex128, batches, and non-contiguous inputs."""
    from vqnet_core.quantum.plan import AffinePerm

    n = data.draw(st.integers(1, 14))
    cols = [1 << t for t in range(n)]
    for a, b in data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                   max_size=3 * n)):
        if a != b:  # row a += row b keeps the linear part invertible
            cols = [v ^ (1 << a) if v >> b & 1 else v for v in cols]
    c = data.draw(st.integers(0, 2**n - 1))
    bs = data.draw(st.integers(1, 3))
    dt = data.draw(st.sampled_from([np.complex64, np.complex128]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    s = (rng.standard_normal((bs, 2 * 2**n)) + 1j * rng.standard_normal((bs, 2 * 2**n))).astype(dt)
    state = s[:, ::2] if data.draw(st.booleans()) else np.ascontiguousarray(s[:, : 2**n])
    index = AffinePerm(n, tuple(cols), c).index()
    got = B.k_sv_apply_affine(state, n, cols, c)
    assert got.dtype == state.dtype and got.shape == state.shape
    np.testing.assert_array_equal(got, state[:, index])
