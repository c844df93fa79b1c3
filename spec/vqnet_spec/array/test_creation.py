"""Creation, host transfer, casts and the counter-based random generator."""

from __future__ import annotations

import numpy as np
import pytest

from ..compare import (
    ALL_DTYPES,
    COMPLEX_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    check_native,
    rng_for,
    sample,
)
from ._caps import require_dtype


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_host_round_trip(vqnet_backend, dtype):
    """from_numpy / to_numpy keep values, dtype and shape (0-d, empty, non-contiguous input)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    x = sample(rng_for("host", dtype), (3, 4), dtype)
    for arr, what in [(x, "2-D"), (x.T, "a transposed (non-contiguous) view"),
                      (x[::2, ::-1], "a strided view"), (np.asarray(x[1, 2]), "0-d"),
                      (np.zeros((0, 5), dtype), "empty")]:
        check_native(B, B.from_numpy(arr), arr.copy(), dtype, f"from_numpy/to_numpy of {what}")


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_full_arange(vqnet_backend, dtype):
    """``B.full`` (incl. 0-d and empty) and ``B.arange`` (int, float, negative step)."""
    B = vqnet_backend
    require_dtype(B, dtype)
    v = {"bool": True, "int32": -3, "int64": 2**40}.get(dtype, 1.25)
    if dtype in COMPLEX_DTYPES:
        v = 1.5 - 2j
    for shape in [(2, 3), (), (0, 4)]:
        check_native(B, B.full(shape, v, dtype), np.full(shape, v, dtype), dtype,
                     f"B.full({shape}, {v!r})")
    if dtype in INT_DTYPES:
        for args in [(0, 10, 3), (5, -3, -2), (0, 0, 1)]:
            check_native(B, B.arange(*args, dtype), np.arange(*args, dtype=dtype), dtype,
                         f"B.arange{args}")
    if dtype in FLOAT_DTYPES:
        for args in [(0.0, 1.0, 0.25), (2.0, -1.0, -0.5), (-1, 3, 1)]:
            check_native(B, B.arange(*args, dtype), np.arange(*args, dtype=dtype), dtype,
                         f"B.arange{args}")


_CAST_VALUES = np.array([-2.7, -1.0, -0.2, 0.0, 0.5, 1.0, 3.9])


@pytest.mark.parametrize("src", ALL_DTYPES)
def test_astype(vqnet_backend, src):
    """Casts between all dtypes: float->int truncates toward zero, complex->real keeps the real
    part, anything->bool is ``!= 0``."""
    B = vqnet_backend
    require_dtype(B, src)
    x = _CAST_VALUES.astype(src) if src not in COMPLEX_DTYPES else (
        _CAST_VALUES + 1j * _CAST_VALUES[::-1]).astype(src)
    a = B.from_numpy(x)
    for dst in ALL_DTYPES:
        if dst not in B.capabilities.dtypes:
            continue
        ref = (x.real if src in COMPLEX_DTYPES and dst not in COMPLEX_DTYPES else x)
        ref = (x != 0) if dst == "bool" else ref.astype(dst)
        check_native(B, B.astype(a, dst), ref, dst, f"B.astype {src} -> {dst}")


@pytest.mark.parametrize("dist,dtype", [("uniform", d) for d in FLOAT_DTYPES]
                         + [("normal", d) for d in FLOAT_DTYPES]
                         + [("randint", d) for d in INT_DTYPES]
                         + [("bernoulli", d) for d in ("bool",) + INT_DTYPES + FLOAT_DTYPES])
def test_random_is_counter_based(vqnet_backend, dist, dtype):
    """The same key gives the same numbers; another seed or counter gives different ones. The
    result has the requested dtype for every distribution: ``bernoulli`` gives 0/1 (False /
    True for bool) in whatever dtype was asked for."""
    B = vqnet_backend
    require_dtype(B, dtype)
    a, b = {"uniform": (-1.0, 2.0), "normal": (0.5, 2.0), "randint": (-3, 7),
            "bernoulli": (0.3, 0.0)}[dist]
    first = B.to_numpy(B.random(dist, (7, 3), (50, 40), dtype, a, b))
    again = B.to_numpy(B.random(dist, (7, 3), (50, 40), dtype, a, b))
    assert B.dtype_name(B.random(dist, (7, 3), (50, 40), dtype, a, b)) == dtype, \
        f"B.random({dist!r}) must return dtype {dtype}"
    assert first.shape == (50, 40), f"B.random({dist!r}) returned shape {first.shape}"
    assert np.array_equal(first, again), f"B.random({dist!r}) with the same key must repeat"
    if dist == "bernoulli":
        assert set(np.unique(first.astype(np.float64)).tolist()) == {0.0, 1.0}, \
            f"B.random('bernoulli') in {dtype} must give both 0 and 1 and nothing else"
    for key in [(7, 4), (8, 3)]:
        other = B.to_numpy(B.random(dist, key, (50, 40), dtype, a, b))
        assert not np.array_equal(first, other), \
            f"B.random({dist!r}) gave the same numbers for keys (7, 3) and {key}"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_random_moments(vqnet_backend, dtype):
    """uniform [a, b) and normal (mean a, std b) moments within 6 standard errors; randint
    covers exactly [a, b); bernoulli has mean p."""
    B = vqnet_backend
    require_dtype(B, dtype)
    n = 40000
    u = B.to_numpy(B.random("uniform", (1, 1), (n,), dtype, -1.0, 3.0)).astype(np.float64)
    assert u.min() >= -1.0 and u.max() < 3.0, f"uniform on [-1, 3) gave [{u.min()}, {u.max()}]"
    se_mean = 4 / np.sqrt(12 * n)
    assert abs(u.mean() - 1.0) < 6 * se_mean, f"uniform mean {u.mean()}, expected 1.0"
    assert abs(u.var() - 16 / 12) < 0.05, f"uniform variance {u.var()}, expected {16 / 12}"
    z = B.to_numpy(B.random("normal", (1, 2), (n,), dtype, 0.5, 2.0)).astype(np.float64)
    assert abs(z.mean() - 0.5) < 6 * 2 / np.sqrt(n), f"normal mean {z.mean()}, expected 0.5"
    assert abs(z.std() - 2.0) < 0.05, f"normal std {z.std()}, expected 2.0"
    assert abs(np.mean(np.abs(z - 0.5) < 2.0) - 0.6827) < 0.015, \
        "normal: the share within one std is not ~68%"
    r = B.to_numpy(B.random("randint", (1, 3), (n,), "int64", -3, 7))
    assert set(np.unique(r).tolist()) == set(range(-3, 7)), \
        f"randint on [-3, 7) gave values {sorted(set(r.tolist()))}"
    p = B.to_numpy(B.random("bernoulli", (1, 4), (n,), dtype, 0.3, 0.0)).astype(np.float64)
    assert set(np.unique(p).tolist()) <= {0.0, 1.0}, "bernoulli must give 0/1"
    assert abs(p.mean() - 0.3) < 6 * np.sqrt(0.21 / n), f"bernoulli mean {p.mean()}, expected 0.3"
