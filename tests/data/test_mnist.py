"""MNIST from the shipped 5k sample and from a folder of standard files."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.data import MNIST, IDXError, read_idx, sample_dir, write_idx


def test_shipped_sample_splits_and_samples():
    train, test = MNIST(), MNIST(train=False)
    assert len(train) == 4000 and len(test) == 1000
    x, y = train[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
    assert isinstance(y, int) and 0 <= y <= 9
    # every class present, in both splits
    assert set(np.unique(train.targets)) == set(range(10))
    assert set(np.unique(test.targets)) == set(range(10))
    assert (sample_dir() / "README.md").is_file()


def test_digits_filter_counts_and_labels():
    tr, te = MNIST(digits=[0, 1]), MNIST(train=False, digits=(1, 0))
    assert (len(tr), len(te)) == (783, 217)  # WORKLOADS.md
    assert set(tr.targets.tolist()) == {0, 1}
    # labels keep their original values
    assert set(MNIST(train=False, digits=[3, 7]).targets.tolist()) == {3, 7}
    # the filter keeps exactly the matching samples, in order
    full = MNIST(train=False)
    mask = np.isin(full.targets, [0, 1])
    np.testing.assert_array_equal(te.data, full.data[mask])


def test_normalize_and_get_batch_agree_with_getitem():
    m, raw = MNIST(train=False), MNIST(train=False, normalize=False)
    x, y = m.get_batch([5, 2, 5])
    assert x.shape == (3, 1, 28, 28) and y.dtype == np.int64
    np.testing.assert_array_equal(x[1], m[2][0])
    np.testing.assert_allclose(raw[2][0], m[2][0] * 255, rtol=1e-6)
    assert raw[2][0].max() > 1
    xa, ya = m.arrays()
    assert xa.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(xa[-1], m[-1][0])
    np.testing.assert_array_equal(ya, m.targets)


def test_bad_arguments():
    m = MNIST(train=False)
    with pytest.raises(IndexError, match="out of range"):
        m[1000]
    with pytest.raises(TypeError, match="int"):
        m["a"]
    with pytest.raises(ValueError, match="digits"):
        MNIST(digits=[10])
    with pytest.raises(ValueError, match="digits"):
        MNIST(digits=[])


def _write_split(folder, n, gz, train=True, seed=0):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    lbls = rng.integers(0, 10, n).astype(np.uint8)
    sfx = ".gz" if gz else ""
    pre = "train" if train else "t10k"
    write_idx(folder / f"{pre}-images-idx3-ubyte{sfx}", imgs)
    write_idx(folder / f"{pre}-labels-idx1-ubyte{sfx}", lbls)
    return imgs, lbls


@pytest.mark.parametrize("gz", [False, True])
def test_from_root_folder(tmp_path, gz):
    imgs, lbls = _write_split(tmp_path, 12, gz, train=False)
    m = MNIST(tmp_path, train=False)
    assert len(m) == 12
    np.testing.assert_allclose(m[3][0][0], imgs[3] / 255.0, rtol=1e-6)
    assert m[3][1] == int(lbls[3])
    with pytest.raises(FileNotFoundError, match="download_mnist"):
        MNIST(tmp_path, train=True)  # only the test split is there


def test_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_split(raw, 5, False)
    assert len(MNIST(tmp_path)) == 5


def test_root_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        MNIST(tmp_path / "missing")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 784), np.uint8))
    with pytest.raises(ValueError, match="uint8 images"):
        MNIST(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(IDXError, match="truncated header"):
        MNIST(tmp_path)


def test_sample_matches_readme_hashes():
    import hashlib
    import re

    readme = (sample_dir() / "README.md").read_text()
    pairs = re.findall(r"- (\S+\.gz) ([0-9a-f]{64})", readme)
    assert len(pairs) == 4
    for name, sha in pairs:
        assert hashlib.sha256((sample_dir() / name).read_bytes()).hexdigest() == sha
    assert read_idx(sample_dir() / "t10k-labels-idx1-ubyte.gz").shape == (1000,)
