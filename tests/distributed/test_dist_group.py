"""The process group and its collectives on QTensors, at the size the tests run at."""

import os

import numpy as np
import pytest

import vqnet_core as vq


def test_rank_and_size_agree_with_the_launcher(dist):
    size, r = dist.world_size(), dist.rank()
    assert 0 <= r < size
    env_size = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE")
    assert size == (int(env_size) if env_size else 1)
    assert dist.is_main_process() == (r == 0)
    assert dist.launched() == (env_size is not None)
    dist.barrier()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "complex128"])
def test_all_reduce_sum_and_mean(dist, dtype):
    size, r = dist.world_size(), dist.rank()
    x = vq.tensor(np.arange(6).reshape(2, 3) + 10 * r, dtype=dtype)
    total = sum(np.arange(6).reshape(2, 3) + 10 * k for k in range(size))
    s = dist.all_reduce(x)
    assert s.dtype == x.dtype and s.shape == (2, 3)
    np.testing.assert_allclose(s.numpy(), total)
    m = dist.all_reduce(x, op="mean")
    want = total // size if dtype == "int64" else total / size
    np.testing.assert_allclose(m.numpy(), want, rtol=1e-6)
    # the input is left as it was
    np.testing.assert_allclose(x.numpy(), np.arange(6).reshape(2, 3) + 10 * r)


def test_all_reduce_max_min_prod_and_bool(dist):
    size, r = dist.world_size(), dist.rank()
    x = vq.tensor([float(r), -float(r), 2.0])
    assert dist.all_reduce(x, op="max").tolist() == [size - 1, 0, 2.0]
    assert dist.all_reduce(x, op="min").tolist() == [0, -(size - 1), 2.0]
    assert dist.all_reduce(x, op="prod").tolist()[2] == 2.0 ** size
    flags = vq.tensor(np.array([r == 0, True, False]))
    assert dist.all_reduce(flags, op="max").tolist() == [True, True, False]
    assert dist.all_reduce(flags, op="min").tolist() == [size == 1, True, False]


def test_collectives_stay_off_the_tape(dist):
    w = vq.tensor([1.0, 2.0], requires_grad=True)
    for out in (dist.all_reduce(w), dist.broadcast(w), dist.all_gather(w)):
        assert not out.requires_grad


def test_broadcast_from_the_last_rank(dist):
    size, r = dist.world_size(), dist.rank()
    x = vq.tensor(np.full((3,), float(r)), dtype="float32")
    got = dist.broadcast(x, src=size - 1)
    assert got.dtype == x.dtype
    assert got.tolist() == [size - 1.0] * 3


def test_all_gather_stacks_in_rank_order(dist):
    size, r = dist.world_size(), dist.rank()
    x = vq.tensor([[r, r + 100]], dtype="int64")
    g = dist.all_gather(x)
    assert g.shape == (size, 1, 2)
    assert g.numpy()[:, 0, 0].tolist() == list(range(size))
    assert g.numpy()[:, 0, 1].tolist() == [k + 100 for k in range(size)]


def test_bad_input_is_refused(dist):
    x = vq.tensor([1.0])
    with pytest.raises(ValueError, match="unknown reduction op"):
        dist.all_reduce(x, op="avg")
    with pytest.raises(ValueError, match="complex"):
        dist.all_reduce(vq.tensor([1j]), op="max")
    with pytest.raises(ValueError, match="bool"):
        dist.all_reduce(vq.tensor(np.array([True])), op="sum")
    with pytest.raises(ValueError, match="not a rank"):
        dist.broadcast(x, src=dist.world_size())


def test_mismatched_shapes_raise_on_every_rank(dist):
    if dist.world_size() == 1:
        pytest.skip("needs two ranks")
    x = vq.ones((dist.rank() + 1,))
    for fn in (dist.all_reduce, dist.broadcast, dist.all_gather):
        with pytest.raises(dist.DistributedError, match="different shapes"):
            fn(x)


def test_reduce_metrics(dist):
    size, r = dist.world_size(), dist.rank()
    m = dist.reduce_metrics({"loss_sum": 1.5 * (r + 1), "seen": 10})
    assert m["seen"] == 10 * size
    assert m["loss_sum"] == pytest.approx(1.5 * size * (size + 1) / 2)
    assert dist.reduce_metrics({"a": float(r)}, op="max")["a"] == size - 1
    assert dist.reduce_metrics({"a": float(r)}, op="mean")["a"] == pytest.approx((size - 1) / 2)
    with pytest.raises(ValueError, match="unknown op"):
        dist.reduce_metrics({"a": 1.0}, op="avg")
    with pytest.raises(TypeError, match="dict of numbers"):
        dist.reduce_metrics({"a": "x"})


def test_rank_zero_only_output(dist, tmp_path, capsys):
    from vqnet_core import nn

    dist.print0("hello from rank 0")
    out = capsys.readouterr().out
    assert ("hello from rank 0" in out) == dist.is_main_process()
    calls = []
    assert dist.rank_zero_only(lambda: calls.append(1) or "ran")() == \
        ("ran" if dist.is_main_process() else None)
    bar = dist.progress(range(3), force=True)
    assert bar.disable == (not dist.is_main_process())
    assert list(bar) == [0, 1, 2]
    # one checkpoint path for every rank (rank 0's): only rank 0 writes it
    path = tmp_path / "ckpt.vqnet"
    shared = str(path) if dist.world_size() == 1 else None
    if dist.world_size() > 1:
        shared = dist.comm().bcast(str(path) if dist.is_main_process() else None)
    dist.save(nn.Linear(2, 1).state_dict(), shared)
    assert os.path.exists(shared)  # after save's barrier, every rank sees the file
    if dist.world_size() > 1:
        assert not path.exists() or dist.is_main_process()
    rec = []

    class H(__import__("logging").Handler):
        def emit(self, record):
            rec.append(record.getMessage())
    log = dist.get_logger("vqnet.test.dist")
    log.addHandler(H())
    log.warning("logged")
    assert rec == (["logged"] if dist.is_main_process() else [])
