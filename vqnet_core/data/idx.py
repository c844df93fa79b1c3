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


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _read_bytes(path: str) -> bytes:
    # Sniff the gzip magic rather than trust the suffix: mirrors serve both.
    if not _is_gzip(path):
        with open(path, "rb") as f:
            return f.read()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(f"{path}: corrupt or truncated gzip stream ({e})") from e


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzipped or not), in native byte order.

    Raises :class:`IDXError` (a ``ValueError``) naming the problem when the magic number, the
    dtype code or the size of the data is wrong, and ``FileNotFoundError`` when there is no
    file.

    >>> from vqnet_core.data.mnist import sample_dir
    >>> read_idx(sample_dir() / "t10k-labels-idx1-ubyte.gz").shape
    (1000,)
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: file too short for an IDX header ({len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise IDXError(f"{path}: bad magic number 0x{raw[:4].hex()}; an IDX file starts with "
                       "two zero bytes")
    if code not in _CODES:
        raise IDXError(f"{path}: unknown IDX dtype code 0x{code:02x} (expected one of "
                       f"{', '.join(f'0x{c:02x}' for c in _CODES)})")
    if ndim == 0:
        raise IDXError(f"{path}: IDX header declares 0 dimensions")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise IDXError(f"{path}: truncated header: {ndim} dimensions need {head} bytes, the "
                       f"file has {len(raw)}")
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    dt = _CODES[code]
    need = int(np.prod(dims, dtype=np.int64)) * dt.itemsize
    have = len(raw) - head
    if have < need:
        raise IDXError(f"{path}: truncated data: shape {dims} of {dt.name} needs {need} bytes, "
                       f"found {have}")
    if have > need:
        raise IDXError(f"{path}: {have - need} trailing bytes after the data of shape {dims}")
    arr = np.frombuffer(raw, dtype=dt, count=need // dt.itemsize, offset=head)
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
