"""Safe save / load of state dicts: a ``.npz`` of plain arrays plus a JSON manifest.

Nothing is pickled, on saving or on loading: arrays are stored with NumPy's own format and
read with ``allow_pickle=False``; the structure around them (dicts, lists, numbers, strings)
is described by a JSON manifest. Loading refuses any file that is not such an archive.

>>> import os, tempfile
>>> import vqnet_core as vq
>>> from vqnet_core.utils import load, save
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.vqnet")
>>> save({"w": vq.tensor([1.0, 2.0]), "epoch": 3}, path)
>>> state = load(path)
>>> state["w"].tolist(), state["epoch"]
([1.0, 2.0], 3)
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from ..dtypes import DType, as_dtype
from ..tensor import QTensor

__all__ = ["save", "load", "NotAVQNetFileError", "FORMAT", "VERSION"]

FORMAT = "vqnet-state"
VERSION = 1
_MANIFEST = "__vqnet_manifest__"
_SAFE_KINDS = "biufc"  # numpy dtype kinds an array may have (never object)
# the deepest nesting of dicts / lists / tuples save writes and load reads (a state dict is a
# few levels deep; the limit keeps both far from Python's recursion limit)
MAX_DEPTH = 128
_DEFLATE_MAX_RATIO = 1032  # the most a deflate stream can expand (zlib's technical note)


class NotAVQNetFileError(ValueError):
    """The file is not an archive written by :func:`vqnet_core.utils.save`."""


# ---------------------------------------------------------------- encoding
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # ids of the containers being encoded (cycle check)

    def array(self, a: np.ndarray, where: str) -> str:
        if a.dtype.kind not in _SAFE_KINDS:
            raise TypeError(f"save: cannot store an array of dtype {a.dtype} at {where}")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a
        return key

    def encode(self, obj: Any, where: str, depth: int = 0) -> dict[str, Any]:
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.open:
                raise ValueError(f"save: {where} contains itself (a reference cycle); a save "
                                 "file stores a tree of values")
            if depth >= MAX_DEPTH:
                raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} dicts / lists "
                                 "/ tuples deep; flatten the structure")
            self.open.add(id(obj))
            try:
                return self._container(obj, where, depth + 1)
            finally:
                self.open.discard(id(obj))
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, np.generic):  # before the Python types: np.float64 is a float
            return {"t": "npscalar", "a": self.array(np.asarray(obj), where)}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(obj)}
        if isinstance(obj, complex):
            return {"t": "complex", "v": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, QTensor):
            return {"t": "qtensor", "a": self.array(obj.numpy(), where), "dtype": obj.dtype.name,
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"t": "ndarray", "a": self.array(obj, where)}
        if isinstance(obj, DType):
            return {"t": "dtype", "v": obj.name}
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {where} "
                        "(supported: QTensor, numpy arrays and scalars, numbers, str, bool, "
                        "None, and dicts / lists / tuples of them)")

    def _container(self, obj: Any, where: str, depth: int) -> dict[str, Any]:
        if isinstance(obj, dict):
            items = [[self.encode(k, f"{where}[key {k!r}]", depth),
                      self.encode(v, f"{where}[{k!r}]", depth)] for k, v in obj.items()]
            return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        return {"t": "list" if isinstance(obj, list) else "tuple",
                "items": [self.encode(v, f"{where}[{i}]", depth) for i, v in enumerate(obj)]}


def save(obj: Any, path: str | os.PathLike | Any) -> None:
    """Write ``obj`` (nested dicts / lists / tuples of QTensors, NumPy arrays, numbers and
    strings -- a model's or an optimizer's ``state_dict()``) to ``path`` without pickle.

    ``path`` may also be a writable binary file object. A path is written atomically.
    """
    if isinstance(path, io.TextIOBase):
        raise TypeError("save: the file object is open in text mode; open it in binary mode "
                        "(open(path, 'wb'))")
    w = _Writer()
    manifest = {"format": FORMAT, "version": VERSION, "root": w.encode(obj, "root")}
    blob = np.frombuffer(json.dumps(manifest, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    arrays = dict(w.arrays)
    arrays[_MANIFEST] = blob
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".vqnet-save-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # a file object: numpy adds no ".npz" suffix
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- decoding
class _Reader:
    def __init__(self, npz: Any, backend: Any, name: str, size: int) -> None:
        self.npz = npz
        self.backend = backend
        self.name = name
        self.size = size  # of the whole file, in bytes

    def bad(self, why: str) -> NotAVQNetFileError:
        return NotAVQNetFileError(f"{self.name}: corrupt VQNet save file ({why})")

    def array(self, key: Any) -> np.ndarray:
        if not isinstance(key, str) or key == _MANIFEST or key not in self.npz.files:
            raise self.bad(f"missing array {key!r}")
        self.check_size(key)
        try:
            a = self.npz[key]
        except ValueError as exc:  # object arrays need pickle: refused
            raise self.bad(f"array {key!r} cannot be read without pickle: {exc}") from None
        if a.dtype.kind not in _SAFE_KINDS:
            raise self.bad(f"array {key!r} has unsupported dtype {a.dtype}")
        return a

    def check_size(self, key: str) -> None:
        """Refuse an array whose header declares more data than the file holds, before numpy
        allocates it (a 1 KiB file may claim 10^12 elements)."""
        zf = getattr(self.npz, "zip", None)
        if zf is None:
            return
        member = f"{key}.npy" if f"{key}.npy" in zf.NameToInfo else key
        info = zf.getinfo(member)
        ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO
        if info.compress_size > self.size or info.file_size > ratio * info.compress_size + 64:
            raise self.bad(f"array {key!r}: the archive entry claims {info.file_size} bytes "
                           f"({info.compress_size} compressed), the file is {self.size} bytes")
        try:
            with zf.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
                header = f.tell()
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise self.bad(f"array {key!r} has an unreadable header: {exc}") from None
        if dtype.hasobject:
            raise self.bad(f"array {key!r} of dtype {dtype} cannot be read without pickle; "
                           "VQNet never unpickles")
        if dtype.kind not in _SAFE_KINDS:
            raise self.bad(f"array {key!r} has unsupported dtype {dtype}")
        need = math.prod(int(d) for d in shape) * dtype.itemsize  # Python ints: no overflow
        have = info.file_size - header
        if need > have:
            raise self.bad(f"array {key!r} declares shape {tuple(shape)} of {dtype} = {need} "
                           f"bytes, but its archive entry holds {max(have, 0)} bytes of data "
                           f"(the file is {self.size} bytes); the file is truncated or was "
                           "altered, save it again")

    def decode(self, node: Any, depth: int = 0) -> Any:
        if not isinstance(node, dict) or "t" not in node:
            raise self.bad("malformed manifest node")
        if depth > MAX_DEPTH:
            raise self.bad(f"the manifest nests more than {MAX_DEPTH} dicts / lists / tuples")
        t = node["t"]
        try:
            if t == "none":
                return None
            if t == "bool":
                return bool(node["v"])
            if t == "int":
                return int(node["v"])
            if t == "float":
                return float(node["v"])
            if t == "complex":
                return complex(float(node["v"][0]), float(node["v"][1]))
            if t == "str":
                return str(node["v"])
            if t == "dtype":
                return as_dtype(node["v"])
            if t == "qtensor":
                a = self.array(node["a"])
                out = QTensor(a, dtype=as_dtype(node["dtype"]), backend=self.backend)
                if node.get("requires_grad"):
                    out.requires_grad_(True)
                return out
            if t == "ndarray":
                return self.array(node["a"])
            if t == "npscalar":
                return self.array(node["a"])[()]
            if t in ("dict", "odict"):
                pairs = [(self.decode(k, depth + 1), self.decode(v, depth + 1))
                         for k, v in node["items"]]
                return OrderedDict(pairs) if t == "odict" else dict(pairs)
            if t == "list":
                return [self.decode(v, depth + 1) for v in node["items"]]
            if t == "tuple":
                return tuple(self.decode(v, depth + 1) for v in node["items"])
        except NotAVQNetFileError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad(f"bad {t!r} node: {exc}") from None
        raise self.bad(f"unknown node type {t!r}")


def _sniff(head: bytes, name: str) -> None:
    if head.startswith(b"PK"):
        return
    if head[:1] == b"\x80" or head.startswith((b"(dp", b"(lp", b"c__builtin__", b"ccopy_reg")):
        raise NotAVQNetFileError(
            f"{name}: this looks like a pickle file; VQNet never unpickles files (unpickling "
            "can run arbitrary code). Re-save the state with vqnet_core.utils.save")
    if head.startswith(b"\x93NUMPY"):
        raise NotAVQNetFileError(f"{name}: this is a bare .npy array, not a VQNet save file; "
                                 "read it with numpy.load(path, allow_pickle=False)")
    raise NotAVQNetFileError(f"{name}: not a VQNet save file (expected the .npz archive that "
                             "vqnet_core.utils.save writes)")


def load(path: str | os.PathLike | Any, backend: Any = None) -> Any:
    """Read what :func:`save` wrote; tensors are created on ``backend`` (default: the active
    one). Raises :class:`NotAVQNetFileError` for anything else, pickle files included.
    """
    if hasattr(path, "read"):
        name = getattr(path, "name", "<file>")
        if isinstance(path, io.TextIOBase):
            raise TypeError(f"load: {name} is open in text mode; open it in binary mode "
                            "(open(path, 'rb'))")
        data = path.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"load: {name}.read() returned {type(data).__name__}, not bytes; "
                            "open the file in binary mode (open(path, 'rb'))")
        data = bytes(data)
    else:
        name = os.fspath(path)
        with open(name, "rb") as f:
            data = f.read()
    _sniff(data[:16], str(name))
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise NotAVQNetFileError(f"{name}: not a VQNet save file ({exc})") from None
    with npz:
        if not hasattr(npz, "files") or _MANIFEST not in npz.files:
            raise NotAVQNetFileError(f"{name}: a zip / .npz archive without a VQNet manifest; "
                                     "not written by vqnet_core.utils.save")
        reader = _Reader(npz, backend, str(name), len(data))
        reader.check_size(_MANIFEST)
        try:
            raw = npz[_MANIFEST]
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise ValueError(f"expected uint8 bytes, got a {raw.dtype} array of shape "
                                 f"{raw.shape}")
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotAVQNetFileError(f"{name}: unreadable VQNet manifest ({exc})") from None
        except RecursionError:
            raise NotAVQNetFileError(f"{name}: corrupt VQNet save file (the JSON manifest is "
                                     "nested too deeply to read)") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise NotAVQNetFileError(f"{name}: the manifest is not a {FORMAT!r} manifest")
        version = manifest.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise NotAVQNetFileError(f"{name}: save-format version {version!r} is newer than "
                                     f"this VQNet understands ({VERSION}); upgrade vqnet")
        try:
            return reader.decode(manifest.get("root"))
        except RecursionError:
            raise reader.bad("the manifest is nested too deeply to read") from None
