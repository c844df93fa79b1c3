"""DistributedDataParallel. The central test: N ranks with per-rank batch b end with the same
parameters, after several optimizer steps, as one process with batch N*b, for a classical and a
hybrid (QuantumLayer) model. At one process the same tests check the wrapper changes nothing."""

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import SGD, Adam
from vqnet_core.qnn import QuantumLayer

B_PER_RANK = 3
STEPS = 4


def classical():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def _circuit(q, x, w):
    q.ry(0, x[:, 0])
    q.ry(1, x[:, 1])
    q.rx(0, w[0])
    q.rx(1, w[1])
    q.cnot(0, 1)
    q.expval({"Z0": 1.0})
    q.expval({"Z1": 1.0})


def hybrid(diff_method):
    def make():
        return nn.Sequential(nn.Linear(4, 2), QuantumLayer(_circuit, 2, (2,),
                                                           diff_method=diff_method),
                             nn.Linear(2, 3))
    return make


MODELS = {"classical": classical, "hybrid-adjoint": hybrid("adjoint"),
          "hybrid-parameter-shift": hybrid("parameter-shift")}


def data(size):
    rng = np.random.default_rng(11)
    n = STEPS * size * B_PER_RANK
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


def build(make, seed):
    vq.manual_seed(seed)
    return make().to("float64")


def train(model, opt, batches):
    loss_fn = CrossEntropyLoss()
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(vq.tensor(x)), vq.tensor(y)).backward()
        opt.step()


def params(model):
    return [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("opt_cls", [Adam, SGD])
@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("cfg", [{}, {"bucket_cap_mb": 1e-4}, {"overlap": False}],
                         ids=["one-bucket", "bucket-per-param", "no-overlap"])
def test_n_ranks_batch_b_equal_one_process_batch_nb(dist, name, opt_cls, cfg):
    size, r = dist.world_size(), dist.rank()
    X, Y = data(size)
    gb = size * B_PER_RANK
    # the reference: one process, batch N*b, from rank 0's initial weights
    ref = build(MODELS[name], 100)
    train(ref, opt_cls(ref.parameters(), lr=0.05), [(X[i:i + gb], Y[i:i + gb])
                                                   for i in range(0, len(X), gb)])
    # the ranks start from different weights: the wrapper broadcasts rank 0's
    ddp = dist.DistributedDataParallel(build(MODELS[name], 100 + r), **cfg)
    mine = [(X[i + r * B_PER_RANK:i + (r + 1) * B_PER_RANK],
             Y[i + r * B_PER_RANK:i + (r + 1) * B_PER_RANK]) for i in range(0, len(X), gb)]
    train(ddp, opt_cls(ddp.parameters(), lr=0.05), mine)
    got, want = params(ddp.module), params(ref)
    assert len(got) == len(want)
    start = params(build(MODELS[name], 100))
    for g, w, s in zip(got, want, start):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
        assert not np.allclose(g, s)  # the steps moved every parameter
    # every rank holds the same parameters
    for g in got:
        every = dist.all_gather(vq.tensor(g)).numpy()
        np.testing.assert_array_equal(every, np.broadcast_to(g, every.shape))


def test_wrap_broadcasts_rank_0s_parameters_and_buffers(dist):
    vq.manual_seed(5 + dist.rank())
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model[1].running_mean._data = model[1].running_mean._b.from_numpy(
        np.full(4, float(dist.rank()), dtype=np.float32))
    dist.DistributedDataParallel(model)
    vq.manual_seed(5)
    ref = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert model[1].running_mean.tolist() == [0.0] * 4


def test_traffic_figures():
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3)).to("float64")
    ddp = vq.distributed.DistributedDataParallel(model)
    n = sum(p.numel() for p in model.parameters())
    assert ddp.bytes_per_step == 8 * n
    assert ddp.buckets == 1
    assert vq.distributed.DistributedDataParallel(model, bucket_cap_mb=1e-4).buckets == 4
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        vq.distributed.DistributedDataParallel(model, bucket_cap_mb=0)
    with pytest.raises(TypeError, match="wraps an nn.Module"):
        vq.distributed.DistributedDataParallel(lambda x: x)


class WithSpare(nn.Module):
    def __init__(self):
        super().__init__()
        self.spare = nn.Linear(3, 2)  # registered first: its buckets come last
        self.used = nn.Linear(3, 2)

    def forward(self, x):
        return self.used(x)


def test_unused_parameters(dist):
    size, r = dist.world_size(), dist.rank()
    x = vq.tensor(np.full((2, 3), r + 1.0))
    ddp = dist.DistributedDataParallel(WithSpare(), find_unused_parameters=True)
    for _ in range(2):
        ddp.zero_grad()
        ddp(x).sum().backward()
    mean_x = (size + 1) / 2
    np.testing.assert_allclose(ddp.module.used.weight.grad.numpy(), 2 * mean_x)
    if size > 1:  # synchronized: the spare layer's gradient is the average of zeros
        np.testing.assert_array_equal(ddp.module.spare.weight.grad.numpy(), 0)
        # a bucket per parameter: the used layer's buckets are in flight when the error comes
        strict = dist.DistributedDataParallel(WithSpare(), bucket_cap_mb=1e-5)
        strict(x).sum().backward()
        with pytest.raises(dist.DistributedError, match="find_unused_parameters=True"):
            strict(x)
        # synchronize() finishes a round explicitly
        strict.zero_grad()
        strict(x).sum().backward()
        strict.synchronize()
        np.testing.assert_allclose(strict.module.used.weight.grad.numpy(), 2 * mean_x)


def test_no_sync_accumulates_then_averages(dist):
    size, r = dist.world_size(), dist.rank()
    vq.manual_seed(3)
    ddp = dist.DistributedDataParallel(nn.Linear(2, 1).to("float64"))
    xs = [np.full((1, 2), 10.0 * k + r) for k in range(3)]
    with ddp.no_sync():
        for x in xs[:2]:
            ddp(vq.tensor(x)).sum().backward()
        local = ddp.module.weight.grad.numpy().copy()
    np.testing.assert_allclose(local, xs[0] + xs[1])  # not averaged inside the block
    ddp(vq.tensor(xs[2])).sum().backward()
    want = sum(10.0 * k for k in range(3)) + 3 * (size - 1) / 2
    np.testing.assert_allclose(ddp.module.weight.grad.numpy(), np.full((1, 2), want))


def test_a_dropped_wrapper_keeps_nothing_alive(dist):
    import gc
    import weakref

    from vqnet_core.autograd import engine

    model = nn.Linear(2, 1)
    ddp = dist.DistributedDataParallel(model)
    ref = weakref.ref(ddp)
    del ddp
    gc.collect()
    assert ref() is None
    assert id(model.weight) not in engine._GRAD_READY  # its hooks went with it
    (model(vq.ones((1, 2))).sum()).backward()  # and the model trains on alone
    mref = weakref.ref(model)
    del model
    gc.collect()
    assert mref() is None


def test_buckets_start_during_the_backward_sweep(dist):
    """With a bucket per parameter, the all-reduce of the last layer's gradients is in flight
    (its request exists) by the time the middle layer's weight gets its gradient, and the
    first layer's buckets have not started yet."""
    if dist.world_size() == 1:
        pytest.skip("one process reduces nothing")
    from vqnet_core.autograd import register_grad_ready_hook

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(),
                          nn.Linear(4, 2))
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=1e-5)
    assert ddp.buckets == 6  # [last bias, last weight, middle bias, middle weight, first ...]
    seen = []
    register_grad_ready_hook(model[2].weight, lambda t: seen.append(
        [b.request is not None for b in ddp._buckets]))
    ddp(vq.ones((2, 3))).sum().backward()
    assert len(seen) == 1
    assert seen[0][:2] == [True, True] and seen[0][4:] == [False, False], seen
    assert ddp.comm_seconds > 0
    assert all(b.request is None for b in ddp._buckets)  # finished and reset after the sweep
