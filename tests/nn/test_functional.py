"""Activations, linear, normalisation, dropout, embedding and pad vs PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from nn_testutils import check_vs_torch

import vqnet_core as vq
from vqnet_core.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(7)

ACTS = [
    ("relu", lambda x: F.relu(x), TF.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("softmax", lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    ("softmax_last", lambda x: F.softmax(x), lambda x: TF.softmax(x, -1)),
    ("log_softmax", lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("softplus", lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, ours, theirs", ACTS, ids=[a[0] for a in ACTS])
def test_activation(name, ours, theirs, dtype):
    x = rng.standard_normal((4, 5, 3)) * 3
    x[0, 0, 0] = 0.0  # the kink of relu / leaky_relu / elu
    x[0, 0, 1] = 400.0  # large values: no overflow in the unused branches
    x[0, 0, 2] = -400.0
    check_vs_torch(ours, theirs, [x], dtype, fused_too=False)


def test_linear():
    x, w, b = rng.standard_normal((3, 2, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    check_vs_torch(F.linear, TF.linear, [x, w, b], fused_too=False)
    check_vs_torch(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w),
                   [rng.standard_normal(5), w], fused_too=False)
    with pytest.raises(ValueError, match="in_features"):
        F.linear(vq.randn(2, 3), vq.randn(4, 5))


@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4), (4, 3, 2, 5)])
def test_batch_norm_training_and_eval(shape):
    x, w, b = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)
    rm0, rv0 = rng.standard_normal(3), rng.random(3) + 0.5
    rm, rv = vq.tensor(rm0), vq.tensor(rv0)
    trm, trv = torch.tensor(rm0), torch.tensor(rv0)
    check_vs_torch(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, True, 0.3, 1e-4),
                   lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, True, 0.3, 1e-4),
                   [x, w, b], fused_too=False)
    # check_vs_torch ran ours twice (probe + run): torch's stats after two updates
    TF.batch_norm(torch.tensor(x), trm, trv, None, None, True, 0.3, 1e-4)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-10)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-10)
    check_vs_torch(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False),
                   lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, False), [x, w, b],
                   fused_too=False)


def test_layer_norm():
    x, w, b = (rng.standard_normal((3, 4, 5)), rng.standard_normal((4, 5)),
               rng.standard_normal((4, 5)))
    check_vs_torch(lambda x, w, b: F.layer_norm(x, (4, 5), w, b, 1e-3),
                   lambda x, w, b: TF.layer_norm(x, (4, 5), w, b, 1e-3), [x, w, b],
                   fused_too=False)
    check_vs_torch(lambda x: F.layer_norm(x, 5), lambda x: TF.layer_norm(x, (5,)), [x],
                   fused_too=False)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(vq.randn(3, 4), (5,))


def test_group_norm():
    x, w, b = rng.standard_normal((2, 6, 4, 3)), rng.standard_normal(6), rng.standard_normal(6)
    check_vs_torch(lambda x, w, b: F.group_norm(x, 3, w, b),
                   lambda x, w, b: TF.group_norm(x, 3, w, b), [x, w, b], fused_too=False)
    with pytest.raises(ValueError, match="divisible"):
        F.group_norm(vq.randn(2, 6, 3), 4)


def test_dropout_seeded_and_scaled():
    x = vq.ones(1000, requires_grad=True)
    vq.manual_seed(3)
    y1 = F.dropout(x, 0.3)
    vq.manual_seed(3)
    y2 = F.dropout(x, 0.3)
    a = y1.numpy()
    assert np.array_equal(a, y2.numpy())
    kept = a[a != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert 0.2 < (a == 0).mean() < 0.4
    y1.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a)  # gradient passes through the same mask
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 1.0).numpy().sum() == 0
    with pytest.raises(ValueError, match="probability"):
        F.dropout(x, 1.5)


def test_embedding_and_padding_idx():
    w = rng.standard_normal((7, 3))
    idx = np.array([[1, 2, 0], [6, 2, 2]])
    check_vs_torch(lambda w: F.embedding(vq.tensor(idx), w),
                   lambda w: TF.embedding(torch.tensor(idx), w), [w], fused_too=False)
    check_vs_torch(lambda w: F.embedding(vq.tensor(idx), w, padding_idx=2),
                   lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=2), [w],
                   fused_too=False)
    with pytest.raises(TypeError, match="integer"):
        F.embedding(vq.tensor([0.5]), vq.tensor(w))
    with pytest.raises(IndexError):
        F.embedding(vq.tensor([7]), vq.tensor(w))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(mode):
    x = rng.standard_normal((2, 3, 5, 4))
    pads = (1, 2, 3, 0)
    kw = dict(value=0.5) if mode == "constant" else {}
    check_vs_torch(lambda x: F.pad(x, pads, mode, **kw),
                   lambda x: TF.pad(x, pads, mode, **kw), [x], fused_too=False)


def test_pad_errors():
    with pytest.raises(ValueError, match="mode"):
        F.pad(vq.randn(2, 3), (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="smaller"):
        F.pad(vq.randn(2, 3), (3, 0), mode="reflect")


def test_gradcheck_composites():
    x = vq.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for fn in (F.gelu, F.silu, F.elu, F.softplus, lambda t: F.layer_norm(t, 4),
               lambda t: F.group_norm(t.reshape(1, 4, 3), 2)):
        assert vq.autograd.gradcheck(fn, [x])
