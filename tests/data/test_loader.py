"""DataLoader, the collate function, TensorDataset / Subset and pyvqnet's data_generator."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.data import (
    MNIST,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    data_generator,
    default_collate,
)


def _ds(n=10):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def _labels(loader):
    return [y.tolist() for _, y in loader]


def test_batches_in_order_without_shuffle():
    batches = list(DataLoader(_ds(), batch_size=4))
    assert len(batches) == 3 == len(DataLoader(_ds(), batch_size=4))
    x, y = batches[0]
    assert isinstance(x, vq.QTensor) and x.dtype == vq.float32 and x.shape == (4, 2)
    assert y.dtype == vq.int64
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[2][0].numpy(), [[16, 17], [18, 19]])


def test_drop_last():
    dl = DataLoader(_ds(), batch_size=4, drop_last=True)
    assert len(dl) == 2 and _labels(dl) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_ds(8), batch_size=4, drop_last=True)) == 2
    assert list(DataLoader(_ds(3), batch_size=4, drop_last=True)) == []


def test_seeded_shuffle_is_reproducible_and_a_permutation():
    a, b = DataLoader(_ds(), 3, shuffle=True, seed=7), DataLoader(_ds(), 3, shuffle=True, seed=7)
    e1a, e1b = _labels(a), _labels(b)
    e2a, e2b = _labels(a), _labels(b)
    assert e1a == e1b and e2a == e2b
    assert e1a != e2a  # a new order every epoch
    assert sorted(sum(e1a, [])) == list(range(10))
    assert _labels(DataLoader(_ds(), 3, shuffle=True, seed=8)) != e1a
    # x and y stay paired
    for x, y in DataLoader(_ds(), 3, shuffle=True, seed=7):
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_unseeded_shuffle_follows_manual_seed():
    vq.manual_seed(3)
    a = _labels(DataLoader(_ds(20), 5, shuffle=True))
    vq.manual_seed(3)
    b = _labels(DataLoader(_ds(20), 5, shuffle=True))
    assert a == b and a != [list(range(i, i + 5)) for i in range(0, 20, 5)]


def test_fast_and_per_sample_paths_agree():
    m = MNIST(train=False, digits=[0, 1])
    fast = list(DataLoader(m, 64, shuffle=True, seed=1))
    slow = list(DataLoader(m, 64, shuffle=True, seed=1, collate=default_collate))
    assert len(fast) == len(slow) == 4
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.shape == xs.shape and xf.dtype == xs.dtype == vq.float32
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
    assert fast[-1][0].shape == (217 - 3 * 64, 1, 28, 28)


def test_custom_collate_and_plain_dataset():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": float(i), "y": i * i}

    batches = list(DataLoader(Squares(), 2))
    assert batches[0]["x"].dtype == vq.float32 and batches[2]["y"].tolist() == [16]
    out = list(DataLoader(Squares(), 2, collate=lambda s: [d["y"] for d in s]))
    assert out == [[0, 1], [4, 9], [16]]


def test_default_collate_types():
    x, y = default_collate([(vq.tensor([1.0, 2.0]), np.uint8(3)), (vq.tensor([3.0, 4.0]),
                                                                    np.uint8(4))])
    assert x.shape == (2, 2) and y.dtype == vq.int64 and y.tolist() == [3, 4]
    with pytest.raises(TypeError, match="cannot batch"):
        default_collate(["a", "b"])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])
    with pytest.raises(ValueError, match="fields"):
        default_collate([(1, 2), (1,)])


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(), 0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(), 2.5)
    with pytest.raises(TypeError, match="__getitem__"):
        DataLoader(42)


def test_tensor_dataset_and_subset():
    ds = TensorDataset(vq.tensor([[1.0], [2.0], [3.0]]), [7, 8, 9])
    assert len(ds) == 3 and int(ds[-1][1]) == 9
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(ValueError, match="first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    sub = Subset(ds, [2, 0])
    assert len(sub) == 2 and int(sub[0][1]) == 9
    assert [y.tolist() for _, y in DataLoader(sub, 2)] == [[9, 7]]
    assert hasattr(sub, "get_batch")
    with pytest.raises(IndexError):
        Subset(ds, [3])


def test_data_generator_matches_pyvqnet_contract():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    out = list(data_generator(x, y, batch_size=4, shuffle=False))
    assert [b[1].tolist() for b in out] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(isinstance(a, np.ndarray) for b in out for a in b)
    s1 = list(data_generator(x, y, 4, shuffle=True, seed=5))
    s2 = list(data_generator(x, y, 4, shuffle=True, seed=5))
    assert [b[1].tolist() for b in s1] == [b[1].tolist() for b in s2]
    assert sorted(np.concatenate([b[1] for b in s1]).tolist()) == list(range(10))
    for bx, by in s1:
        np.testing.assert_array_equal(bx[:, 0], 2 * by)
    np.random.seed(0)
    g1 = [b[1].tolist() for b in data_generator(x, y, 3)]
    np.random.seed(0)
    assert g1 == [b[1].tolist() for b in data_generator(x, y, 3)]
    with pytest.raises(ValueError, match="first dimension"):
        list(data_generator(x, y[:5], 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(data_generator(x, y, 0))
    # QTensor inputs come back as numpy
    bx, by = next(data_generator(vq.tensor(x), vq.tensor(y), 2, shuffle=False))
    assert isinstance(bx, np.ndarray) and by.tolist() == [0, 1]
