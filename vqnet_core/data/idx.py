"""Reading and writing IDX files, the format of the MNIST database.

An IDX file is: two zero bytes, a dtype code, the number of dimensions ``n``, then ``n``
big-endian uint32 sizes, then the data in C order, big-endian. Files ending in ``.gz`` are
gzip-compressed.

>>> import os, tempfile, numpy as np
>>> from vqnet_core.data import read_idx, write_idx
>>> path = os.path.join(tempfile.mkdtemp(), "a-idx2-ubyte.gz")
>>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
>>> read_idx(path).tolist()
[[0, 1, 2], [3, 4, 5]]
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

__all__ = ["IDXError", "read_idx", "write_idx"]

# dtype code -> big-endian numpy dtype (the codes of the IDX specification)
_CODES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_KINDS = {(v.kind, v.itemsize): k for k, v in _CODES.items()}


class IDXError(ValueError):
    """An IDX file is corrupt, truncated or not an IDX file at all."""


_DEFLATE_MAX_RATIO = 1032  # the most a deflate stream expands (zlib's technical note)
_CHUNK = 1 << 20


def _read_exact(f, n: int, path: str) -> bytes:
    try:
        return f.read(n)
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(f"{path}: corrupt or truncated gzip stream ({e})") from e


def _trailing(f, path: str) -> int:
    """How many bytes are left in ``f`` (read in chunks, never held at once)."""
    extra = 0
    while chunk := _read_exact(f, _CHUNK, path):
        extra += len(chunk)
    return extra


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzipped or not), in native byte order.

    Raises :class:`IDXError` (a ``ValueError``) naming the problem when the magic number, the
    dtype code or the size of the data is wrong, and ``FileNotFoundError`` when there is no
    file. The header's sizes are checked against the file's size before anything is
    allocated.

    >>> from vqnet_core.data.mnist import sample_dir
    >>> read_idx(sample_dir() / "t10k-labels-idx1-ubyte.gz").shape
    (1000,)
    """
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as raw_f:
        # Sniff the gzip magic rather than trust the suffix: mirrors serve both.
        gz = raw_f.read(2) == b"\x1f\x8b"
        raw_f.seek(0)
        f = gzip.GzipFile(fileobj=raw_f, mode="rb") if gz else raw_f
        # the most data bytes the file can hold: its size, or what its deflate stream can
        # expand to
        limit = size * _DEFLATE_MAX_RATIO if gz else size
        where = f"a gzip file of {size} bytes" if gz else f"the file ({size} bytes)"
        head4 = _read_exact(f, 4, path)
        if len(head4) < 4:
            raise IDXError(f"{path}: file too short for an IDX header ({len(head4)} bytes)")
        zero, code, ndim = struct.unpack(">HBB", head4)
        if zero != 0:
            raise IDXError(f"{path}: bad magic number 0x{head4.hex()}; an IDX file starts "
                           "with two zero bytes")
        if code not in _CODES:
            raise IDXError(f"{path}: unknown IDX dtype code 0x{code:02x} (expected one of "
                           f"{', '.join(f'0x{c:02x}' for c in _CODES)})")
        if ndim == 0:
            raise IDXError(f"{path}: IDX header declares 0 dimensions")
        head = 4 + 4 * ndim
        dims_raw = _read_exact(f, 4 * ndim, path)
        if len(dims_raw) < 4 * ndim:
            raise IDXError(f"{path}: truncated header: {ndim} dimensions need {head} bytes, "
                           f"the file has {4 + len(dims_raw)}")
        dims = struct.unpack(f">{ndim}I", dims_raw)
        dt = _CODES[code]
        need = math.prod(dims) * dt.itemsize  # Python ints: no overflow
        if need > limit:
            raise IDXError(f"{path}: corrupt header: shape {dims} of {dt.name} declares "
                           f"{need} bytes of data, more than {where} can hold")
        data = _read_exact(f, need, path)
        have = len(data)
        if have < need:
            raise IDXError(f"{path}: truncated data: shape {dims} of {dt.name} needs {need} "
                           f"bytes, found {have}")
        extra = _trailing(f, path)
        if extra:
            raise IDXError(f"{path}: {extra} trailing bytes after the {need} bytes of data of "
                           f"shape {dims}")
    arr = np.frombuffer(data, dtype=dt, count=need // dt.itemsize)
    return arr.reshape(dims).astype(dt.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    Supported dtypes: uint8, int8, int16, int32, float32, float64.
    """
    path = os.fspath(path)
    a = np.asarray(array)
    code = _KINDS.get((a.dtype.kind, a.dtype.itemsize))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {a.dtype}; use uint8, int8, int16, int32, "
                        "float32 or float64")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got {a.ndim}")
    body = struct.pack(f">HBB{a.ndim}I", 0, code, a.ndim, *a.shape)
    body += np.ascontiguousarray(a, dtype=_CODES[code]).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(body)
