"""The IDX reader/writer: round trips, gzip or not, and clear errors on bad files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from vqnet_core.data import IDXError, read_idx, sample_dir, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, a)
    with open(path, "rb") as f:
        assert (f.read(2) == b"\x1f\x8b") == (suffix == ".gz")
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(7, dtype=np.uint8)
    raw = tmp_path / "x.gz"  # named .gz but written raw
    with open(raw, "wb") as f:
        f.write(struct.pack(">HBBI", 0, 8, 1, 7) + a.tobytes())
    np.testing.assert_array_equal(read_idx(raw), a)
    gz = tmp_path / "y"  # gzipped but named without .gz
    with gzip.open(gz, "wb") as f:
        f.write(struct.pack(">HBBI", 0, 8, 1, 7) + a.tobytes())
    np.testing.assert_array_equal(read_idx(gz), a)


def test_header_layout_is_the_standard_one(tmp_path):
    path = tmp_path / "l-idx1-ubyte"
    write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_reads_the_shipped_sample():
    imgs = read_idx(sample_dir() / "train-images-idx3-ubyte.gz")
    lbls = read_idx(sample_dir() / "train-labels-idx1-ubyte.gz")
    assert imgs.shape == (4000, 28, 28) and imgs.dtype == np.uint8
    assert lbls.shape == (4000,) and set(np.unique(lbls)) == set(range(10))


def _write(path, data: bytes, gz: bool = False):
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)
    return path


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "too short"),
    (b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX dtype code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated header"),
    (b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + b"\x00" * 5, "truncated data"),
    (b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + b"\x00" * 7, "truncated data"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x00" * 3, "trailing bytes"),
])
@pytest.mark.parametrize("gz", [False, True])
def test_corrupt_files_raise_clear_errors(tmp_path, data, match, gz):
    path = _write(tmp_path / "bad", data, gz)
    with pytest.raises(IDXError, match=match) as e:
        read_idx(path)
    assert str(path) in str(e.value)
    assert isinstance(e.value, ValueError)


def test_truncated_gzip_stream(tmp_path):
    good = tmp_path / "good.gz"
    write_idx(good, np.arange(4000, dtype=np.int32))
    blob = good.read_bytes()
    bad = _write(tmp_path / "cut.gz", blob[: len(blob) // 2])
    with pytest.raises(IDXError, match="gzip"):
        read_idx(bad)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_write_rejects_unsupported(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "a", np.zeros(3, np.uint16))
    with pytest.raises(TypeError, match="complex"):
        write_idx(tmp_path / "a", np.zeros(3, np.complex64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))
