"""Movement, indexing and contraction primitives, directly on the backend."""

from __future__ import annotations

import numpy as np
import pytest

from ..compare import COMPLEX_DTYPES, FLOAT_DTYPES, check_native, rng_for, sample
from ._caps import require_dtype

DTYPES = ("bool", "int32", "int64") + FLOAT_DTYPES + COMPLEX_DTYPES
NUMERIC = ("int64",) + FLOAT_DTYPES + COMPLEX_DTYPES


def _x(B, dtype, shape=(2, 3, 4), tag="x"):
    require_dtype(B, dtype)
    return sample(rng_for(tag, dtype, shape), shape, dtype, -3, 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_permute_broadcast(vqnet_backend, dtype):
    """reshape in C order (also of permuted, non-contiguous data), permute, broadcast_to."""
    B = vqnet_backend
    x = _x(B, dtype)
    a = B.from_numpy(x)
    for shape in [(6, 4), (24,), (4, 1, 6), (2, 12)]:
        check_native(B, B.reshape(a, shape), x.reshape(shape), dtype, f"B.reshape to {shape}")
    for axes in [(2, 0, 1), (1, 0, 2), (0, 1, 2)]:
        p = B.permute(a, axes)
        check_native(B, p, x.transpose(axes), dtype, f"B.permute {axes}")
        check_native(B, B.reshape(p, (24,)), x.transpose(axes).reshape(24),
                     dtype, f"B.reshape of permute {axes} (C order of the permuted view)")
    s = B.from_numpy(np.asarray(x[0, 0, 0]))
    check_native(B, B.reshape(s, (1, 1)), x[0, 0, 0].reshape(1, 1), dtype, "reshape of 0-d")
    e = B.from_numpy(np.zeros((0, 3), dtype))
    check_native(B, B.reshape(e, (3, 0)), np.zeros((3, 0), dtype), dtype, "reshape of empty")
    col = B.from_numpy(x[:, :1, :1].reshape(2, 1, 1))
    check_native(B, B.broadcast_to(col, (2, 3, 4)), np.broadcast_to(x[:, :1, :1], (2, 3, 4)),
                 dtype, "B.broadcast_to (2,1,1)->(2,3,4)")
    check_native(B, B.broadcast_to(s, (2, 2)), np.full((2, 2), x[0, 0, 0]), dtype,
                 "B.broadcast_to ()->(2,2)")
    b = B.broadcast_to(B.from_numpy(x[0]), (5, 3, 4))
    check_native(B, B.reshape(b, (5, 12)), np.broadcast_to(x[0], (5, 3, 4)).reshape(5, 12),
                 dtype, "B.reshape of a broadcast view")


def _keys(B):
    """Index keys (host form, backend form) with NumPy semantics."""
    i1 = np.array([3, 0, 0, -1])
    i2 = np.array([[1, 2], [0, 4]])
    m0 = np.array([True, False, True, True])
    m01 = sample(rng_for("mask"), (4, 5), "bool")
    n = B.from_numpy
    return [
        ((1,), (1,)), ((slice(1, 3),), (slice(1, 3),)),
        ((slice(None, None, -1),), (slice(None, None, -1),)),
        ((slice(None, None, 2), 1), (slice(None, None, 2), 1)),
        ((Ellipsis, 2), (Ellipsis, 2)), ((None, 1, Ellipsis), (None, 1, Ellipsis)),
        ((slice(None), None, slice(1, 4)), (slice(None), None, slice(1, 4))),
        ((slice(3, 1, -1), slice(None), slice(None, None, 3)),) * 2,
        ((i1,), (n(i1),)), ((slice(None), i2), (slice(None), n(i2))),
        ((i1, slice(None), i1[::-1].copy()), (n(i1), slice(None), n(i1[::-1].copy()))),
        ((i1[:, None], np.array([0, 1, 2])), (n(i1[:, None].copy()), n(np.array([0, 1, 2])))),
        ((m0,), (n(m0),)), ((m01,), (n(m01),)), ((slice(None), m01[0]), (slice(None), n(m01[0]))),
        ((Ellipsis, np.array([5, 0, 2])), (Ellipsis, n(np.array([5, 0, 2])))),
        ((1, np.array([0, 0, 3]), slice(None)), (1, n(np.array([0, 0, 3])), slice(None))),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem(vqnet_backend, dtype):
    """Basic (ints, slices with steps, None, Ellipsis) and advanced (int arrays incl. negative,
    broadcast index arrays, bool masks) indexing with NumPy semantics."""
    B = vqnet_backend
    x = _x(B, dtype, (4, 5, 6))
    a = B.from_numpy(x)
    for host, native in _keys(B):
        check_native(B, B.getitem(a, native), x[host], dtype, f"B.getitem with key {host!r}")


@pytest.mark.parametrize("dtype", NUMERIC)
def test_index_add(vqnet_backend, dtype):
    """``B.index_add`` accumulates repeated indices and returns a new array."""
    B = vqnet_backend
    x = _x(B, dtype, (4, 5, 6))
    for host, native in _keys(B):
        v = sample(rng_for("vals", dtype, repr(host)), x[host].shape, dtype)
        ref = x.copy()
        np.add.at(ref, host, v)
        check_native(B, B.index_add(B.from_numpy(x), native, B.from_numpy(v)), ref, dtype,
                     f"B.index_add with key {host!r} (repeated indices must accumulate)")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_concatenate_flip(vqnet_backend, dtype):
    """Constant padding, concatenation (incl. an empty piece) and flipping."""
    B = vqnet_backend
    x = _x(B, dtype)
    a = B.from_numpy(x)
    val = {"bool": True, "int32": 7, "int64": -7}.get(dtype, 1.5)
    for pads in [((0, 0), (1, 2), (0, 1)), ((2, 0), (0, 0), (0, 0)), ((0, 0),) * 3]:
        check_native(B, B.pad(a, pads, val), np.pad(x, pads, constant_values=val), dtype,
                     f"B.pad {pads} with {val!r}")
    y = _x(B, dtype, (2, 1, 4), "y")
    z = np.zeros((2, 0, 4), dtype)
    check_native(B, B.concatenate([a, B.from_numpy(y), B.from_numpy(z)], 1),
                 np.concatenate([x, y, z], 1), dtype, "B.concatenate along axis 1")
    check_native(B, B.concatenate([a, a], 0), np.concatenate([x, x], 0), dtype,
                 "B.concatenate along axis 0")
    check_native(B, B.concatenate([a, B.from_numpy(x[..., :1].copy())], 2),
                 np.concatenate([x, x[..., :1]], 2), dtype, "B.concatenate along axis 2")
    for axes in [(0,), (1,), (2,), (0, 2), (0, 1, 2)]:
        check_native(B, B.flip(a, axes), np.flip(x, axes), dtype, f"B.flip {axes}")


@pytest.mark.parametrize("dtype", ("int64",) + FLOAT_DTYPES + COMPLEX_DTYPES)
def test_matmul(vqnet_backend, dtype):
    """``B.matmul`` with batch broadcasting, size-1 and size-0 inner dimensions."""
    B = vqnet_backend
    require_dtype(B, dtype)
    rng = rng_for("matmul", dtype)
    for sa, sb in [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
                   ((2, 1, 3, 4), (5, 4, 2)), ((1, 1), (1, 3)), ((3, 0), (0, 2)),
                   ((2, 6, 7), (2, 7, 3))]:
        a, b = sample(rng, sa, dtype), sample(rng, sb, dtype)
        wide = {"float32": np.float64, "complex64": np.complex128}.get(dtype)
        ref = np.matmul(a.astype(wide), b.astype(wide)) if wide else np.matmul(a, b)
        check_native(B, B.matmul(B.from_numpy(a), B.from_numpy(b)), ref, dtype,
                     f"B.matmul {sa} @ {sb}", atol=None if not wide else 1e-5 * max(1, sa[-1]))


def _gather_ref(x, axis, idx):
    return np.take_along_axis(x, idx, axis)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_gather_scatter_add(vqnet_backend, dtype):
    """torch.gather / torch.scatter_add semantics; repeated indices accumulate. ``gather``'s
    index matches ``a`` outside ``axis`` (the core slices first); ``scatter_add``'s index may be
    smaller than ``src`` and ``a`` in every dimension."""
    B = vqnet_backend
    x = _x(B, dtype, (3, 4, 5))
    rng = rng_for("gather", dtype)
    for axis, ishape in [(0, (2, 4, 5)), (1, (3, 6, 5)), (2, (3, 4, 2)), (1, (3, 1, 5))]:
        idx = rng.integers(0, x.shape[axis], size=ishape)
        got = B.gather(B.from_numpy(x), axis, B.from_numpy(idx))
        check_native(B, got, _gather_ref(x, axis, idx), dtype,
                     f"B.gather axis={axis} index shape {ishape}")
    for axis, ishape, sshape in [(0, (5, 4, 5), (5, 4, 5)), (1, (3, 7, 5), (3, 7, 5)),
                                 (2, (2, 2, 3), (3, 4, 5))]:
        idx = rng.integers(0, x.shape[axis], size=ishape)
        src = sample(rng, sshape, dtype)
        ref = x.copy()
        full = list(np.indices(ishape, sparse=True))
        full[axis] = idx
        np.add.at(ref, tuple(full), src[tuple(slice(0, s) for s in ishape)])
        got = B.scatter_add(B.from_numpy(x), axis, B.from_numpy(idx), B.from_numpy(src))
        check_native(B, got, ref, dtype, f"B.scatter_add axis={axis} index shape {ishape} "
                     f"src shape {sshape} (repeated indices must accumulate)")
