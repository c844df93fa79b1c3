"""download_mnist without the internet: unreachable mirrors, timeouts, checksum mismatches and a
real download from a local HTTP server (serving the shipped sample)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading

import pytest

from vqnet_core.data import (
    MNIST,
    MNIST_FILES,
    MNIST_MIRRORS,
    MNISTDownloadError,
    download_mnist,
    sample_dir,
)


def _sample_hashes():
    return {n: hashlib.sha256((sample_dir() / n).read_bytes()).hexdigest() for n in MNIST_FILES}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_dir(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/'www'; yields (url, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(www))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/", www
    srv.shutdown()
    srv.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_known_hashes_are_the_canonical_ones():
    assert set(MNIST_FILES) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert MNIST_FILES["t10k-labels-idx1-ubyte.gz"].startswith("f7ae60f9")
    assert all(len(h) == 64 for h in MNIST_FILES.values())
    assert MNIST_MIRRORS and all(m.startswith("http") for m in MNIST_MIRRORS)


def test_offline_fails_clearly_and_points_to_sample(tmp_path, monkeypatch):
    # the default mirror list, patched to places that cannot answer
    monkeypatch.setattr("vqnet_core.data.mnist.MNIST_MIRRORS", [
        f"http://127.0.0.1:{_closed_port()}/mnist/", (tmp_path / "nowhere").as_uri() + "/"])
    with pytest.raises(MNISTDownloadError, match="offline") as e:
        download_mnist(tmp_path / "out", timeout=1.0)
    msg = str(e.value)
    assert "MNIST() with no root" in msg and "127.0.0.1" in msg and "nowhere" in msg
    assert not list((tmp_path / "out").iterdir())  # no partial files left


def test_timeout_is_quick(tmp_path):
    # a server that accepts the connection and never answers
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    try:
        with pytest.raises(MNISTDownloadError, match="offline"):
            download_mnist(tmp_path, mirrors=[f"http://127.0.0.1:{srv.getsockname()[1]}/"],
                           timeout=0.2)
    finally:
        srv.close()


def test_sha256_mismatch(tmp_path, http_dir):
    url, www = http_dir
    for name in MNIST_FILES:  # a corrupted copy of every file
        blob = bytearray((sample_dir() / name).read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        (www / name).write_bytes(bytes(blob))
    with pytest.raises(MNISTDownloadError, match="sha256") as e:
        download_mnist(tmp_path / "out", mirrors=[url], files=_sample_hashes())
    assert "expected" in str(e.value) and "MNIST() with no root" in str(e.value)
    assert not list((tmp_path / "out").iterdir())
    # the canonical hashes reject the 5k sample too
    for name in MNIST_FILES:
        (www / name).write_bytes((sample_dir() / name).read_bytes())
    with pytest.raises(MNISTDownloadError, match=MNIST_FILES["train-images-idx3-ubyte.gz"]):
        download_mnist(tmp_path / "out", mirrors=[url])


def test_download_falls_through_mirrors_then_verifies(tmp_path, http_dir):
    url, www = http_dir
    for name in MNIST_FILES:
        (www / name).write_bytes((sample_dir() / name).read_bytes())
    dead = f"http://127.0.0.1:{_closed_port()}/"
    root = download_mnist(tmp_path / "out", mirrors=[dead, url], files=_sample_hashes())
    assert sorted(p.name for p in root.iterdir()) == sorted(MNIST_FILES)
    assert len(MNIST(root, train=False, digits=[0, 1])) == 217
    # files already there with the right hash are kept: no network needed
    (www / "t10k-labels-idx1-ubyte.gz").unlink()
    assert download_mnist(root, mirrors=[dead], files=_sample_hashes()) == root
    with pytest.raises(MNISTDownloadError):
        download_mnist(root, mirrors=[dead], files=_sample_hashes(), force=True)
    with pytest.raises(ValueError, match="no mirrors"):
        download_mnist(root, mirrors=[])
