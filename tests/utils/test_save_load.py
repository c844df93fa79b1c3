"""save / load: round trips of every supported type, and refusal of foreign files."""

from __future__ import annotations

import io
import math
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.utils import NotAVQNetFileError, load, save

ALL_DTYPES = ["bool", "int32", "int64", "float32", "float64", "complex64", "complex128"]


def _sample(dtype):
    r = np.random.default_rng(0)
    a = r.standard_normal((2, 3)) * 10
    if dtype.startswith("complex"):
        a = a + 1j * r.standard_normal((2, 3))
    return a.astype(dtype) if dtype != "bool" else a > 0


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_and_array_round_trip_every_dtype(tmp_path, dtype):
    a = _sample(dtype)
    obj = {"t": vq.tensor(a, dtype=dtype), "n": a, "scalar": np.asarray(a).flat[0]}
    save(obj, tmp_path / "x.vqnet")
    got = load(tmp_path / "x.vqnet")
    assert got["t"].dtype is vq.as_dtype(dtype)
    np.testing.assert_array_equal(got["t"].numpy(), a)
    assert got["n"].dtype == a.dtype
    np.testing.assert_array_equal(got["n"], a)
    assert type(got["scalar"]) is type(obj["scalar"]) and got["scalar"] == obj["scalar"]


def test_nested_structures_and_python_values(tmp_path):
    obj = OrderedDict(
        ints={0: 1, -5: 2**70, "k": None}, floats=[math.inf, -0.0, math.nan, 0.1],
        flags=(True, False), text="héllo", c=1 + 2j, dt=vq.float64,
        empty=vq.zeros(0, 3), zero_d=vq.tensor(2.5, dtype="float64"),
        grad_leaf=vq.tensor([1.0], requires_grad=True))
    path = tmp_path / "n.vqnet"
    save(obj, path)
    got = load(str(path))
    assert isinstance(got, OrderedDict) and list(got) == list(obj)
    assert got["ints"] == {0: 1, -5: 2**70, "k": None}
    assert got["floats"][0] == math.inf and math.copysign(1, got["floats"][1]) == -1
    assert math.isnan(got["floats"][2]) and got["floats"][3] == 0.1
    assert got["flags"] == (True, False) and got["text"] == "héllo" and got["c"] == 1 + 2j
    assert got["dt"] is vq.float64
    assert got["empty"].shape == (0, 3) and got["zero_d"].item() == 2.5
    assert got["grad_leaf"].requires_grad


def test_module_state_dict_round_trip_through_file_object():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(vq.randn(3, 2))
            self.register_buffer("count", vq.tensor([4]))

    a, b = Net(), Net()
    buf = io.BytesIO()
    save(a.state_dict(), buf)
    buf.seek(0)
    b.load_state_dict(load(buf))
    np.testing.assert_array_equal(a.w.numpy(), b.w.numpy())
    assert b.count.tolist() == [4]


def test_unsupported_objects_are_named(tmp_path):
    with pytest.raises(TypeError, match="type set at root\\['bad'\\]"):
        save({"bad": {1, 2}}, tmp_path / "x")
    with pytest.raises(TypeError, match="dtype object"):
        save({"obj": np.array([object()])}, tmp_path / "y")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_refuses_pickle_files(tmp_path):
    p = tmp_path / "model.pkl"
    p.write_bytes(pickle.dumps({"w": np.ones(3)}))
    with pytest.raises(NotAVQNetFileError, match="pickle"):
        load(p)
    p0 = tmp_path / "proto0.pkl"
    p0.write_bytes(pickle.dumps({"w": 1}, protocol=0))
    with pytest.raises(NotAVQNetFileError, match="not a VQNet save file|pickle"):
        load(p0)


def test_refuses_foreign_archives_and_files(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(NotAVQNetFileError, match="without a VQNet manifest"):
        load(plain)
    objs = tmp_path / "objs.npz"
    np.savez(objs, __vqnet_manifest__=np.frombuffer(b'{"format": "other"}', np.uint8))
    with pytest.raises(NotAVQNetFileError, match="not a 'vqnet-state' manifest"):
        load(objs)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(2))
    with pytest.raises(NotAVQNetFileError, match="bare .npy"):
        load(npy)
    txt = tmp_path / "a.txt"
    txt.write_text("hello")
    with pytest.raises(NotAVQNetFileError, match="not a VQNet save file"):
        load(txt)
    zf = tmp_path / "z.zip"
    with zipfile.ZipFile(zf, "w") as z:
        z.writestr("readme", "x")
    with pytest.raises(NotAVQNetFileError):
        load(zf)


def test_refuses_pickled_array_inside_our_archive(tmp_path):
    good = tmp_path / "g.vqnet"
    save({"x": np.ones(2)}, good)
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["a0"] = np.array([{"evil": 1}], dtype=object)  # would need pickle to read
    bad = tmp_path / "b.vqnet"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(NotAVQNetFileError, match="without pickle"):
        load(bad)


def test_newer_format_version_is_refused(tmp_path):
    manifest = b'{"format": "vqnet-state", "version": 99, "root": {"t": "none"}}'
    p = tmp_path / "new.vqnet"
    np.savez(p, __vqnet_manifest__=np.frombuffer(manifest, np.uint8))
    with pytest.raises(NotAVQNetFileError, match="upgrade vqnet"):
        load(str(p) + ".npz")
