"""Bad input to vqnet_core.utils.save / load: every error names the problem (issue 9)."""

import gzip
import io
import zipfile

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.utils import load, save
from vqnet_core.utils.serialization import MAX_DEPTH, NotAVQNetFileError


def _npy_header(shape, descr="<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _archive(path, members: dict[str, bytes], deflate: bool = False) -> None:
    kind = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", kind) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _manifest(root) -> bytes:
    import json
    text = json.dumps({"format": "vqnet-state", "version": 1, "root": root}).encode()
    return _npy_header((len(text),), "|u1") + text


def test_header_claiming_a_trillion_elements_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.vqnet"
    root = {"t": "ndarray", "a": "a0"}
    _archive(path, {"__vqnet_manifest__.npy": _manifest(root),
                    "a0.npy": _npy_header((10**12,)) + b"\0" * 64})
    assert path.stat().st_size < 1024
    with pytest.raises(NotAVQNetFileError,
                       match=r"huge\.vqnet.*'a0' declares shape \(1000000000000,\) of float64 = "
                             r"8000000000000 bytes.*holds 64 bytes.*the file is \d+ bytes"):
        load(path)


def test_header_whose_element_count_overflows_int64_is_refused(tmp_path):
    path = tmp_path / "wrap.vqnet"
    _archive(path, {"__vqnet_manifest__.npy": _manifest({"t": "ndarray", "a": "a0"}),
                    "a0.npy": _npy_header((2**32, 2**32, 2**32)) + b"\0" * 8})
    with pytest.raises(NotAVQNetFileError, match=r"= 633825300114114700748351602688 bytes"):
        load(path)


def test_manifest_whose_header_lies_is_refused(tmp_path):
    path = tmp_path / "m.vqnet"
    _archive(path, {"__vqnet_manifest__.npy": _npy_header((10**15,), "|u1") + b"[]"})
    with pytest.raises(NotAVQNetFileError, match="'__vqnet_manifest__' declares shape"):
        load(path)


def test_deflated_entry_claiming_more_than_deflate_can_expand_is_refused(tmp_path):
    path = tmp_path / "d.vqnet"
    _archive(path, {"__vqnet_manifest__.npy": _manifest({"t": "ndarray", "a": "a0"}),
                    "a0.npy": _npy_header((4,)) + b"\0" * 32}, deflate=True)
    raw = bytearray(path.read_bytes())
    # patch the uncompressed size of a0.npy in its central-directory record to 2**31
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"a0.npy"))
    raw[cd + 24:cd + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(NotAVQNetFileError, match=r"'a0': the archive entry claims 2147483648"):
        load(path)


def test_manifest_nested_100000_deep_is_a_corrupt_file_error(tmp_path):
    path = tmp_path / "deep.vqnet"
    text = b"[" * 100_000 + b"]" * 100_000
    _archive(path, {"__vqnet_manifest__.npy": _npy_header((len(text),), "|u1") + text})
    with pytest.raises(NotAVQNetFileError, match=r"deep\.vqnet.*nested too deeply"):
        load(path)


def test_manifest_nodes_nested_past_the_limit_are_refused(tmp_path):
    node = {"t": "int", "v": "1"}
    for _ in range(MAX_DEPTH + 5):
        node = {"t": "list", "items": [node]}
    path = tmp_path / "n.vqnet"
    _archive(path, {"__vqnet_manifest__.npy": _manifest(node)})
    with pytest.raises(NotAVQNetFileError, match=f"nests more than {MAX_DEPTH}"):
        load(path)


def test_save_refuses_what_load_would_refuse(tmp_path):
    deep = [1]
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH}"):
        save(deep, tmp_path / "x.vqnet")
    ok = [1]
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    save(ok, tmp_path / "ok.vqnet")
    assert load(tmp_path / "ok.vqnet") == ok


def test_save_of_a_reference_cycle_names_it(tmp_path):
    cyc: list = [1]
    cyc.append(cyc)
    with pytest.raises(ValueError, match=r"root\[1\] contains itself \(a reference cycle\)"):
        save(cyc, tmp_path / "c.vqnet")


def test_load_of_a_text_mode_file_says_open_it_binary(tmp_path):
    path = tmp_path / "t.vqnet"
    save({"w": vq.tensor([1.0])}, path)
    with open(path, encoding="latin-1") as f, \
            pytest.raises(TypeError, match=r"text mode; open it in binary mode \(open\(path, "
                                           r"'rb'\)\)"):
        load(f)
    with open(path, "rb") as f:
        assert load(f)["w"].tolist() == [1.0]


def test_load_of_a_reader_returning_str_says_open_it_binary():
    class Reader:
        name = "r"

        def read(self):
            return "PK not bytes"
    with pytest.raises(TypeError, match=r"r\.read\(\) returned str, not bytes"):
        load(Reader())


def test_save_to_a_text_mode_file_says_open_it_binary(tmp_path):
    with open(tmp_path / "s.vqnet", "w") as f, pytest.raises(TypeError, match="'wb'"):
        save({"a": 1}, f)


def test_gzip_is_not_a_save_file(tmp_path):
    path = tmp_path / "g.vqnet"
    path.write_bytes(gzip.compress(b"x"))
    with pytest.raises(NotAVQNetFileError, match="not a VQNet save file"):
        load(path)
