"""DistributedSampler: disjoint equal shares, seeded per-epoch order, DataLoader(sampler=)."""

import numpy as np
import pytest

from vqnet_core.data import DataLoader, TensorDataset
from vqnet_core.distributed import DistributedSampler


def shares(n, reps, **kw):
    ds = TensorDataset(np.arange(n))
    return [DistributedSampler(ds, num_replicas=reps, rank=r, **kw) for r in range(reps)]


@pytest.mark.parametrize("n,reps", [(10, 2), (10, 3), (7, 4), (3, 5), (1, 1)])
def test_padded_shares_cover_everything_with_equal_lengths(n, reps):
    ss = shares(n, reps, seed=4)
    idx = [s.indices() for s in ss]
    assert {len(i) for i in idx} == {-(-n // reps)}
    assert all(len(s) == len(i) for s, i in zip(ss, idx))
    flat = np.concatenate(idx)
    assert set(flat.tolist()) == set(range(n))
    assert len(flat) - n < reps  # only the padding repeats
    assert all(0 <= v < n for v in flat)


@pytest.mark.parametrize("n,reps", [(10, 3), (9, 2), (4, 4)])
def test_drop_last_shares_are_disjoint(n, reps):
    ss = shares(n, reps, seed=1, drop_last=True)
    idx = [s.indices().tolist() for s in ss]
    assert {len(i) for i in idx} == {n // reps}
    flat = sum(idx, [])
    assert len(set(flat)) == len(flat) == (n // reps) * reps


def test_set_epoch_reshuffles_and_the_seed_repeats():
    a, b = shares(50, 2, seed=7), shares(50, 2, seed=7)
    e0 = a[0].indices().tolist()
    assert e0 == b[0].indices().tolist()
    a[0].set_epoch(1)
    e1 = a[0].indices().tolist()
    assert e1 != e0
    b[0].set_epoch(1)
    assert b[0].indices().tolist() == e1
    # the two shares of one epoch stay disjoint after set_epoch
    a[1].set_epoch(1)
    assert not set(e1) & set(a[1].indices().tolist())
    assert shares(50, 2, seed=8)[0].indices().tolist() != e0
    assert shares(6, 2, shuffle=False)[1].indices().tolist() == [1, 3, 5]


def test_data_loader_with_a_sampler():
    ds = TensorDataset(np.arange(10) * 10)
    s = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    loader = DataLoader(ds, batch_size=2, sampler=s)
    assert len(loader) == 3
    got = np.concatenate([b[0].numpy() for b in loader]).tolist()
    assert got == [10 * i for i in s.indices().tolist()]
    assert len(DataLoader(ds, batch_size=2, sampler=s, drop_last=True)) == 2
    with pytest.raises(ValueError, match="either shuffle=True or a sampler"):
        DataLoader(ds, batch_size=2, sampler=s, shuffle=True)
    with pytest.raises(TypeError, match="sampler must be"):
        DataLoader(ds, batch_size=2, sampler=5)


def test_bad_arguments():
    ds = TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(ds, num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="rank must be"):
        DistributedSampler(ds, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="leaves every rank nothing"):
        DistributedSampler(ds, num_replicas=5, rank=0, drop_last=True)
    with pytest.raises(TypeError, match="seed must be"):
        DistributedSampler(ds, num_replicas=2, rank=0, seed=1.5)
    with pytest.raises(ValueError, match="epoch"):
        DistributedSampler(ds, num_replicas=2, rank=0).set_epoch(-1)
    with pytest.raises(TypeError, match="__len__"):
        DistributedSampler(object())


def test_the_group_default_shares_the_dataset_over_the_real_ranks(dist):
    import vqnet_core as vq

    ds = TensorDataset(np.arange(13))
    s = DistributedSampler(ds, seed=5)
    s.set_epoch(2)
    assert (s.rank, s.num_replicas) == (dist.rank(), dist.world_size())
    mine = vq.tensor(s.indices())
    every = dist.all_gather(mine).numpy()
    assert set(every.reshape(-1).tolist()) == set(range(13))
    # every rank drew the same permutation: rank 0's share, computed here, matches
    ref = DistributedSampler(ds, num_replicas=dist.world_size(), rank=0, seed=5)
    ref.set_epoch(2)
    assert every[0].tolist() == ref.indices().tolist()
