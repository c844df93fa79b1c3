"""Bad input to the data loaders (IDX files): errors name the file and the sizes (issue 9)."""

import gzip
import struct

import numpy as np
import pytest

from vqnet_core.data import read_idx, write_idx
from vqnet_core.data.idx import IDXError


def _idx(dims, payload=b"", code=0x08) -> bytes:
    return struct.pack(f">HBB{len(dims)}I", 0, code, len(dims), *dims) + payload


def test_dims_whose_product_overflows_int64_are_a_size_error(tmp_path):
    # 2^32-1 cubed times 8 wraps np.prod(int64); the old reader then said "cannot reshape"
    path = tmp_path / "wrap-idx3"
    path.write_bytes(_idx((2**32 - 1,) * 3, b"\0" * 16, code=0x0E))
    with pytest.raises(IDXError, match=r"wrap-idx3: corrupt header: shape \(4294967295, "
                       r"4294967295, 4294967295\) of float64 declares "
                       f"{(2**32 - 1) ** 3 * 8} bytes of data, more than the file "
                       r"\(32 bytes\) can hold"):
        read_idx(path)


def test_dims_whose_product_wraps_to_zero_are_not_trailing_bytes(tmp_path):
    path = tmp_path / "zero-idx2"
    path.write_bytes(_idx((2**16, 2**16, 2**16, 2**16), b"\0" * 10))
    with pytest.raises(IDXError, match=r"declares 18446744073709551616 bytes .*\(30 bytes\)"):
        read_idx(path)


def test_huge_dims_in_a_small_gzip_are_refused_before_decompressing(tmp_path):
    path = tmp_path / "big-idx1.gz"
    path.write_bytes(gzip.compress(_idx((2**32 - 1,), b"\0" * 100)))
    with pytest.raises(IDXError, match=r"declares 4294967295 bytes of data, more than a gzip "
                                       r"file of \d+ bytes can hold"):
        read_idx(path)


def test_truncated_and_trailing_data_name_both_sizes(tmp_path):
    path = tmp_path / "t-idx1"
    path.write_bytes(_idx((10,), b"\0" * 4))
    with pytest.raises(IDXError, match=r"shape \(10,\) of uint8 needs 10 bytes, found 4"):
        read_idx(path)
    path.write_bytes(_idx((2,), b"\0" * 5))
    with pytest.raises(IDXError, match=r"3 trailing bytes after the 2 bytes of data"):
        read_idx(path)


def test_good_files_still_read(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for name in ("a-idx3", "a-idx3.gz"):
        write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)
