"""ShardedMachine: the batch of each execute / vjp split over the ranks, the results gathered;
the same results and gradients as the wrapped machine."""

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.distributed import ShardedMachine
from vqnet_core.qnn import QuantumLayer
from vqnet_core.quantum import (
    Circuit,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    get_machine,
)
from vqnet_core.quantum.machine import Machine


def circuit():
    return Circuit(3, [Operation("RY", (0,), (ParamRef(0),)),
                       Operation("RX", (1,), (ParamRef(1),)),
                       Operation("CNOT", (0, 1)),
                       Operation("CRZ", (1, 2), (ParamRef(2),)),
                       Operation("H", (2,))])


class Counting(Machine):
    """The statevector machine, counting the rows it runs on this rank."""

    name = "counting"

    def __init__(self):
        self.inner = get_machine("statevector")
        self.capabilities = self.inner.capabilities
        self.rows = 0

    def execute(self, circuit, angles, measurements, shots=None, seed=None,
                dtype="complex128"):
        self.rows += np.asarray(angles).shape[0]
        return self.inner.execute(circuit, angles, measurements, shots, seed, dtype)


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_results_equal_the_wrapped_machines(dist, batch):
    a = np.random.default_rng(batch).uniform(-3, 3, size=(batch, 3))
    ms = [Expval("Z0"), Probs([1, 2]), Expval("X2")]
    sv = get_machine("statevector")
    sharded = ShardedMachine("statevector")
    assert sharded.capabilities == sv.capabilities
    for got, want in zip(sharded.execute(circuit(), a, ms), sv.execute(circuit(), a, ms)):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, atol=1e-12)
    st = sharded.execute(circuit(), a, [State()], dtype="complex64")[0]
    np.testing.assert_allclose(st, sv.execute(circuit(), a, [State()], dtype="complex64")[0],
                               atol=1e-6)


def test_each_rank_runs_its_share_only(dist):
    size, r = dist.world_size(), dist.rank()
    inner = Counting()
    m = ShardedMachine(inner)
    m.execute(circuit(), np.zeros((7, 3)), [Expval("Z0")])
    assert inner.rows == 7 // size + (r < 7 % size)
    total = dist.reduce_metrics({"rows": inner.rows})["rows"]
    assert total == 7


def test_samples_are_reproducible_and_seeded_per_rank(dist):
    a = np.full((4, 3), 0.7)
    m = ShardedMachine("statevector")
    s1 = m.execute(circuit(), a, [Sample([0, 1])], shots=64, seed=9)[0]
    s2 = m.execute(circuit(), a, [Sample([0, 1])], shots=64, seed=9)[0]
    assert s1.shape == (4, 64, 2) and s1.dtype == np.int64
    np.testing.assert_array_equal(s1, s2)
    if dist.world_size() == 1:  # one process: the wrapped machine's own draws
        want = get_machine("statevector").execute(circuit(), a, [Sample([0, 1])], shots=64,
                                                  seed=9)[0]
        np.testing.assert_array_equal(s1, want)
    # seed=None: every rank still returns the same gathered draws
    s3 = m.execute(circuit(), a, [Probs([0])], shots=32)[0]
    every = dist.all_gather(vq.tensor(np.asarray(s3))).numpy()
    np.testing.assert_array_equal(every, np.broadcast_to(s3, every.shape))


@pytest.mark.parametrize("diff_method", ["adjoint", "parameter-shift", "finite-diff"])
def test_layer_gradients_equal_the_wrapped_machines(dist, diff_method):
    def circ(q, x, w):
        q.ry(0, x[:, 0])
        q.ry(1, x[:, 1])
        q.crx(0, 1, w[0])
        q.rz(1, w[1])
        q.expval({"Z0 Z1": 0.5, "X1": 1.0})
        q.probs([0])

    x = np.random.default_rng(0).normal(size=(5, 2))
    out, grads = [], []
    for machine in ("statevector", ShardedMachine("statevector")):
        vq.manual_seed(2)
        layer = QuantumLayer(circ, 2, (2,), machine=machine, diff_method=diff_method)
        xt = vq.tensor(x, dtype="float64", requires_grad=True)
        y = layer(xt)
        (y * vq.tensor(np.arange(1, 4, dtype=np.float64))).sum().backward()
        out.append(y.numpy())
        grads.append((xt.grad.numpy(), layer.weights.grad.numpy()))
    np.testing.assert_allclose(out[1], out[0], atol=1e-12)
    for g1, g0 in zip(grads[1], grads[0]):
        np.testing.assert_allclose(g1, g0, atol=1e-9)


def test_the_shift_evaluations_are_split_too(dist):
    size = dist.world_size()
    inner = Counting()

    def circ(q, x, w):
        q.ry(0, x[:, 0])
        q.rx(0, w[0])
        q.expval({"Z0": 1.0})

    layer = QuantumLayer(circ, 1, (1,), machine=ShardedMachine(inner),
                         diff_method="parameter-shift")
    layer(vq.tensor(np.zeros((4, 1)), requires_grad=True)).sum().backward()
    # forward: 4 rows; backward: 2 angles x 2 shifts x 4 rows = 16 rows in one execute
    total = dist.reduce_metrics({"rows": inner.rows})["rows"]
    assert total == 4 + 16
    assert inner.rows <= -(-4 // size) + -(-16 // size)


def test_bad_input_raises_on_every_rank(dist):
    m = ShardedMachine("statevector")
    with pytest.raises(MachineError, match="NaN"):
        m.execute(circuit(), np.full((3, 3), np.nan), [Expval("Z0")])
    with pytest.raises(MachineError, match="out of range"):
        m.execute(circuit(), np.zeros((3, 3)), [Expval("Z7")])
    with pytest.raises(TypeError, match="already sharded"):
        ShardedMachine(m)
    assert "statevector" in repr(m)
