"""Tensor creation, dtype defaults, conversion and repr, with PyTorch as the oracle."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.backend.registry import UnknownBackendError

torch = pytest.importorskip("torch")

# numpy dtype -> the VQNet dtype it becomes (VQNet has no uint8/int8/int16/float16).
NP_CASES = [
    (np.bool_, "bool"), (np.uint8, "int64"), (np.int8, "int64"), (np.int16, "int64"),
    (np.int32, "int32"), (np.int64, "int64"), (np.uint32, "int64"), (np.float16, "float32"),
    (np.float32, "float32"), (np.float64, "float64"), (np.complex64, "complex64"),
    (np.complex128, "complex128"),
]


@pytest.mark.parametrize("npd,expected", NP_CASES, ids=[c[1] + "-" + c[0].__name__
                                                       for c in NP_CASES])
def test_tensor_from_numpy_dtypes(npd, expected):
    a = np.array([[1, 0], [3, 2]]).astype(npd)
    t = vq.tensor(a)
    assert t.dtype is vq.as_dtype(expected)
    assert t.shape == (2, 2)
    np.testing.assert_array_equal(t.numpy(), a.astype(expected))
    # where torch has the same dtype, it agrees (torch.tensor keeps float64, etc.)
    td = str(torch.tensor(a).dtype).replace("torch.", "")
    if td in {d.name for d in vq.dtypes.ALL_DTYPES}:
        assert td == expected


@pytest.mark.parametrize("data", [
    [1, 2, 3], [1.0, 2.0], [[1, 2], [3, 4]], True, 3, 2.5, [1, 2.5], [True, False],
    [1 + 2j, 3.0], [True, 2], [[1.0], [2.0]],
])
def test_tensor_from_python_matches_torch_dtype(data):
    t = vq.tensor(data)
    r = torch.tensor(data)
    assert t.dtype.name == str(r.dtype).replace("torch.", "")
    assert t.shape == tuple(r.shape)
    np.testing.assert_array_equal(t.numpy(), r.numpy())


def test_tensor_explicit_dtype_and_errors():
    assert vq.tensor([1, 2], dtype="float64").dtype is vq.float64
    assert vq.tensor([1.7, -1.7], dtype=vq.int64).tolist() == [1, -1]  # truncation, as numpy
    assert vq.tensor([1.0], dtype=vq.kcomplex128).dtype is vq.complex128
    with pytest.raises(TypeError, match="unsupported dtype"):
        vq.tensor([1.0], dtype="float16")
    with pytest.raises(ValueError, match="ragged"):
        vq.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="non-numeric"):
        vq.tensor([object()])
    with pytest.raises(TypeError, match="numpy data of dtype"):
        vq.tensor(np.array(["a", "b"]))


def test_default_dtype_switch():
    try:
        vq.set_default_dtype("float64")
        assert vq.tensor([1.0]).dtype is vq.float64
        assert vq.zeros(2).dtype is vq.float64
        assert vq.tensor([1j]).dtype is vq.complex128
        torch_default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            assert str(torch.tensor([1]).float().dtype) == "torch.float32"
            assert vq.arange(0.0, 1.0, 0.5).dtype is vq.float64
        finally:
            torch.set_default_dtype(torch_default)
        with pytest.raises(TypeError, match="floating"):
            vq.set_default_dtype("int64")
    finally:
        vq.set_default_dtype("float32")
    assert vq.tensor([1.0]).dtype is vq.float32


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(fn):
    f = getattr(vq, fn)
    for args in [(3,), (2, 3), ((2, 3),), ([4],), ((),)]:
        t = f(*args)
        r = getattr(torch, fn)(*args)
        assert t.shape == tuple(r.shape) and t.dtype is vq.float32
        if fn != "empty":
            np.testing.assert_array_equal(t.numpy(), r.numpy())
    assert f(2, dtype="int32").dtype is vq.int32
    assert f(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="negative"):
        f(-1)


@pytest.mark.parametrize("fill", [3, 2.5, True, 1 + 1j])
def test_full_dtype_follows_fill(fill):
    t = vq.full((2, 3), fill)
    r = torch.full((2, 3), fill)
    assert t.dtype.name == str(r.dtype).replace("torch.", "")
    np.testing.assert_array_equal(t.numpy(), r.numpy())
    assert vq.full(4, fill, dtype="complex128").dtype is vq.complex128


def test_arange_linspace_eye():
    for args in [(5,), (1, 7, 2), (0.0, 1.0, 0.25), (5, 0, -1), (0, 1, 0.3)]:
        t, r = vq.arange(*args), torch.arange(*args)
        assert t.dtype.name == str(r.dtype).replace("torch.", ""), args
        np.testing.assert_allclose(t.numpy(), r.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="step"):
        vq.arange(0, 3, 0)
    t, r = vq.linspace(-1, 2, 7), torch.linspace(-1, 2, 7)
    assert t.dtype is vq.float32
    np.testing.assert_allclose(t.numpy(), r.numpy(), rtol=1e-6)
    assert vq.linspace(0, 1, 1).tolist() == [0.0]
    for n, m in [(3, None), (2, 4), (4, 2)]:
        t = vq.eye(n, m)
        r = torch.eye(n, m) if m is not None else torch.eye(n)
        np.testing.assert_array_equal(t.numpy(), r.numpy())
        assert t.dtype is vq.float32
    assert vq.eye(2, dtype="complex128").dtype is vq.complex128


def test_like_functions():
    x = vq.tensor([[1, 2, 3]], dtype="float64")
    for name in ["zeros_like", "ones_like", "empty_like"]:
        t = getattr(vq, name)(x)
        assert t.shape == (1, 3) and t.dtype is vq.float64 and t.backend == x.backend
    assert vq.full_like(x, 7).tolist() == [[7.0, 7.0, 7.0]]
    assert vq.ones_like(x, dtype="int32").dtype is vq.int32
    assert vq.zeros_like(vq.tensor([1, 2])).dtype is vq.int64
    assert vq.zeros_like(x, requires_grad=True).requires_grad


def test_seeded_random_reproducible():
    for fn, kw in [(vq.rand, {}), (vq.randn, {}), (vq.rand, {"dtype": "float64"})]:
        vq.manual_seed(123)
        a = fn(3, 4, **kw)
        b = fn(3, 4, **kw)
        vq.manual_seed(123)
        c = fn(3, 4, **kw)
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        assert not np.array_equal(a.numpy(), b.numpy())
        assert a.dtype is vq.as_dtype(kw.get("dtype", "float32"))
    vq.manual_seed(0)
    u = vq.rand(20000).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = vq.randn(20000).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    r = vq.randint(2, 5, (1000,))
    assert r.dtype is vq.int64 and set(r.tolist()) == {2, 3, 4}
    vq.manual_seed(7)
    state = vq.get_rng_state()
    a = vq.randn(5)
    vq.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), vq.randn(5).numpy())
    assert sorted(vq.randperm(10).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="empty range"):
        vq.randint(3, 3, (2,))
    with pytest.raises(ValueError, match="probability"):
        vq.bernoulli((2,), 1.5)


def test_repr_is_readable():
    assert repr(vq.tensor([1.0, 2.0])) == "QTensor([1., 2.])"
    assert repr(vq.tensor([1, 2])) == "QTensor([1, 2])"
    assert repr(vq.tensor(3.0, dtype="float64")) == "QTensor(3., dtype=float64)"
    x = vq.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "QTensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "QTensor([2., 4.], grad_fn=<mul>)"
    assert "\n" in repr(vq.ones(2, 2)) and str(vq.ones(1)) == repr(vq.ones(1))


def test_conversions():
    x = vq.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x.shape == (2, 2) and x.ndim == 2 and x.numel() == 4 and len(x) == 2
    assert x.size() == (2, 2) and x.size(1) == 2
    assert x.backend == "numpy" and x.device == "cpu"
    assert x.dtype is vq.float32
    assert vq.tensor(2.5).item() == 2.5 and isinstance(vq.tensor(2).item(), int)
    assert isinstance(vq.tensor([True]).item(), bool)
    assert vq.tensor([[1j]]).item() == 1j
    with pytest.raises(ValueError, match="one element"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="0-d"):
        len(vq.tensor(1.0))
    assert float(vq.tensor([3.0])) == 3.0 and int(vq.tensor(4)) == 4
    assert [t.tolist() for t in x] == [[1.5, 2.0], [3.0, 4.0]]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


def test_to_cpu_and_dtype():
    x = vq.tensor([1.5, -2.5], requires_grad=True)
    # no "cpu" backend installed here: host data stays where it is (see QTensor.to)
    if "cpu" not in vq.available_backends():
        assert x.to("cpu") is x
    assert x.to("numpy") is x
    with pytest.raises(UnknownBackendError, match="installed: .*numpy"):
        x.to("no_such_backend")
    y = x.to(vq.float64)
    assert y.dtype is vq.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype is vq.float32 and x.grad.tolist() == [1.0, 1.0]
    assert x.to("int64").tolist() == [1, -2] and x.to("int64").dtype is vq.int64
    assert x.to("complex64").dtype is vq.complex64
    assert x.double().dtype is vq.float64 and x.long().dtype is vq.int64
    assert x.int().dtype is vq.int32 and x.bool().tolist() == [True, True]
    assert x.cdouble().dtype is vq.complex128 and x.cfloat().dtype is vq.complex64
    assert x.astype(vq.float32) is x
    assert not x.long().requires_grad
