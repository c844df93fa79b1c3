"""Layers vs PyTorch: state dicts map one to one (names and shapes), and with torch's
weights copied in, outputs and gradients (input and parameters) agree."""

from __future__ import annotations

import math

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import nn

torch = pytest.importorskip("torch")
tnn = torch.nn
rng = np.random.default_rng(11)


def copy_from_torch(ours: nn.Module, theirs) -> None:
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert sorted(sd) == sorted(ours.state_dict()), "state dict keys differ from torch's"
    ours.load_state_dict(sd)


def out_tensor(o):
    return o[0] if isinstance(o, tuple) else o


def compare(ours, theirs, x, dtype="float64", rtol=1e-8, atol=1e-9, train=True):
    """Copy torch's weights into ours, run both, compare output, input and param grads."""
    ours.to(dtype)
    theirs.to(getattr(torch, dtype))
    copy_from_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    x = x.astype(dtype)
    vx = vq.tensor(x, requires_grad=x.dtype.kind == "f")
    tx = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    vo, to = out_tensor(ours(vx)), out_tensor(theirs(tx))
    np.testing.assert_allclose(vo.numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.standard_normal(vo.shape).astype(dtype)
    vo.backward(vq.tensor(g))
    to.backward(torch.tensor(g))
    if x.dtype.kind == "f":
        np.testing.assert_allclose(vx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad is not None, f"no gradient for {name}"
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)
    return ours, theirs


LAYERS = [
    ("Linear", lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), (4, 5)),
    ("Linear_nobias", lambda: nn.Linear(5, 3, bias=False), lambda: tnn.Linear(5, 3, bias=False),
     (2, 4, 5)),
    ("Conv2D", lambda: nn.Conv2D(3, 4, (3, 2), stride=(2, 1), padding=1),
     lambda: tnn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1), (2, 3, 7, 6)),
    ("Conv2D_groups_same", lambda: nn.Conv2D(4, 6, 3, padding="same", groups=2, dilation=2),
     lambda: tnn.Conv2d(4, 6, 3, padding="same", groups=2, dilation=2), (2, 4, 7, 6)),
    ("Conv1D", lambda: nn.Conv1D(3, 5, 3, stride=2, padding=1),
     lambda: tnn.Conv1d(3, 5, 3, stride=2, padding=1), (2, 3, 10)),
    ("ConvT2D", lambda: nn.ConvT2D(4, 2, 3, stride=2, padding=1, output_padding=1),
     lambda: tnn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), (2, 4, 4, 5)),
    ("MaxPool2D", lambda: nn.MaxPool2D([3, 3], [2, 2], padding=1),
     lambda: tnn.MaxPool2d(3, 2, padding=1), (2, 3, 9, 8)),
    ("MaxPool1D", lambda: nn.MaxPool1D(2), lambda: tnn.MaxPool1d(2), (2, 3, 9)),
    ("AvgPool2D", lambda: nn.AvgPool2D([2, 2], [2, 2]), lambda: tnn.AvgPool2d(2, 2),
     (2, 3, 8, 8)),
    ("AvgPool1D", lambda: nn.AvgPool1D(3, 2, 1), lambda: tnn.AvgPool1d(3, 2, 1), (2, 3, 9)),
    ("AdaptiveAvgPool2D", lambda: nn.AdaptiveAvgPool2D((3, 2)),
     lambda: tnn.AdaptiveAvgPool2d((3, 2)), (2, 3, 8, 7)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda: tnn.BatchNorm1d(3), (6, 3, 4)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 3, 2)),
    ("LayerNorm", lambda: nn.LayerNorm((3, 4)), lambda: tnn.LayerNorm((3, 4)), (2, 3, 4)),
    ("GroupNorm", lambda: nn.GroupNorm(2, 4), lambda: tnn.GroupNorm(2, 4), (2, 4, 5)),
    ("Flatten", lambda: nn.Flatten(), lambda: tnn.Flatten(), (2, 3, 4)),
    ("Identity", lambda: nn.Identity(), lambda: tnn.Identity(), (2, 3)),
    ("ReLU", lambda: nn.ReLu(), lambda: tnn.ReLU(), (3, 4)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.1), lambda: tnn.LeakyReLU(0.1), (3, 4)),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda: tnn.Sigmoid(), (3, 4)),
    ("Tanh", lambda: nn.Tanh(), lambda: tnn.Tanh(), (3, 4)),
    ("Softmax", lambda: nn.Softmax(dim=0), lambda: tnn.Softmax(dim=0), (3, 4)),
    ("LogSoftmax", lambda: nn.LogSoftmax(axis=1), lambda: tnn.LogSoftmax(dim=1), (3, 4)),
    ("GELU", lambda: nn.GELU(), lambda: tnn.GELU(), (3, 4)),
    ("GELU_tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), (3, 4)),
    ("SiLU", lambda: nn.SiLU(), lambda: tnn.SiLU(), (3, 4)),
    ("ELU", lambda: nn.ELU(0.5), lambda: tnn.ELU(0.5), (3, 4)),
    ("Softplus", lambda: nn.Softplus(2.0), lambda: tnn.Softplus(2.0), (3, 4)),
]


@pytest.mark.parametrize("name, ours, theirs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(name, ours, theirs, shape):
    compare(ours(), theirs(), rng.standard_normal(shape))


@pytest.mark.parametrize("name, ours, theirs, shape",
                         [c for c in LAYERS if c[0] in ("Conv2D", "ConvT2D", "MaxPool2D",
                                                        "Linear")], ids=str)
def test_layer_matches_torch_float32(name, ours, theirs, shape):
    compare(ours(), theirs(), rng.standard_normal(shape), "float32", rtol=1e-4, atol=1e-5)


def test_embedding_layer():
    ours, theirs = nn.Embedding(10, 4, padding_idx=3), tnn.Embedding(10, 4, padding_idx=3)
    assert np.all(ours.weight.numpy()[3] == 0)
    copy_from_torch(ours.to("float64"), theirs.double())
    idx = np.array([[1, 3, 9], [3, 0, 1]])
    vo, to = ours(vq.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(vo.numpy(), to.detach().numpy())
    g = rng.standard_normal(vo.shape)
    vo.backward(vq.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


def test_dropout_layer_train_and_eval():
    d = nn.Dropout(0.4)
    x = vq.ones(2000)
    y = d(x).numpy()
    assert 0.3 < (y == 0).mean() < 0.5
    assert np.array_equal(d.eval()(x).numpy(), x.numpy())
    assert repr(d) == "Dropout(p=0.4)"


# ---------------------------------------------------------------- batch norm statistics
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_train_eval(momentum):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum), tnn.BatchNorm2d(3, momentum=momentum)
    ours.to("float64")
    theirs.double()
    for _ in range(3):
        x = rng.standard_normal((4, 3, 5, 5)) * 3 + 2
        ours(vq.tensor(x))
        theirs(torch.tensor(x))
    assert ours.num_batches_tracked.dtype == vq.int64  # .to(float64) leaves it an int
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(ours.state_dict()[k].numpy(),
                                   theirs.state_dict()[k].numpy(), rtol=1e-10, err_msg=k)
    ours.eval()
    theirs.eval()
    before = ours.running_mean.numpy().copy()
    x = rng.standard_normal((2, 3, 5, 5))
    np.testing.assert_allclose(ours(vq.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert np.array_equal(ours.running_mean.numpy(), before)  # eval leaves stats alone


def test_batchnorm_eval_gradients_and_no_tracking():
    compare(nn.BatchNorm1d(4), tnn.BatchNorm1d(4), rng.standard_normal((5, 4)), train=False)
    ours = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    theirs = tnn.BatchNorm1d(4, affine=False, track_running_stats=False)
    compare(ours, theirs, rng.standard_normal((5, 4)), train=False)
    assert list(ours.state_dict()) == []


# ---------------------------------------------------------------- recurrent layers
RNN_CASES = [
    dict(num_layers=1),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=1, bidirectional=True, batch_first=True, bias=False),
]


@pytest.mark.parametrize("cfg", RNN_CASES, ids=str)
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_matches_torch(kind, cfg):
    ours, theirs = getattr(nn, kind)(3, 4, **cfg), getattr(tnn, kind)(3, 4, **cfg)
    shape = (2, 5, 3) if cfg.get("batch_first") else (5, 2, 3)
    ours, theirs = compare(ours, theirs, rng.standard_normal(shape))
    # the final states, and a given initial state
    x = rng.standard_normal(shape)
    dirs = 2 if cfg.get("bidirectional") else 1
    h0 = rng.standard_normal((cfg["num_layers"] * dirs, 2, 4))
    if kind == "LSTM":
        c0 = rng.standard_normal(h0.shape)
        vo, (vh, vc) = ours(vq.tensor(x), (vq.tensor(h0), vq.tensor(c0)))
        to, (th, tc) = theirs(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
        np.testing.assert_allclose(vc.numpy(), tc.detach().numpy(), rtol=1e-8, atol=1e-10)
    else:
        vo, vh = ours(vq.tensor(x), vq.tensor(h0))
        to, th = theirs(torch.tensor(x), torch.tensor(h0))
    np.testing.assert_allclose(vo.numpy(), to.detach().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(vh.numpy(), th.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_rnn_relu_and_unbatched():
    compare(nn.RNN(3, 4, nonlinearity="relu"), tnn.RNN(3, 4, nonlinearity="relu"),
            rng.standard_normal((6, 3)))
    compare(nn.GRU(3, 4, num_layers=2), tnn.GRU(3, 4, num_layers=2), rng.standard_normal((6, 3)))


def test_recurrent_errors():
    with pytest.raises(ValueError, match="input"):
        nn.LSTM(3, 4)(vq.randn(5, 2, 7))
    with pytest.raises(ValueError, match="hidden state"):
        nn.GRU(3, 4)(vq.randn(5, 2, 3), vq.randn(2, 2, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")


# ---------------------------------------------------------------- default initialisation
def _bound_ok(t, bound):
    a = np.abs(t.numpy())
    return a.max() <= bound * (1 + 1e-6) and a.max() > 0.7 * bound


@pytest.mark.parametrize("ours, theirs", [
    (lambda: nn.Linear(50, 40), lambda: tnn.Linear(50, 40)),
    (lambda: nn.Conv2D(6, 16, (5, 5)), lambda: tnn.Conv2d(6, 16, 5)),
    (lambda: nn.ConvT2D(6, 16, 3, groups=2), lambda: tnn.ConvTranspose2d(6, 16, 3, groups=2)),
    (lambda: nn.Conv1D(4, 8, 3), lambda: tnn.Conv1d(4, 8, 3)),
    (lambda: nn.LSTM(10, 20, 2), lambda: tnn.LSTM(10, 20, 2)),
])
def test_default_init_matches_torch_bounds(ours, theirs):
    # seeded: the "max is near the bound" check draws few values for small biases, so it must
    # not depend on the random state other tests left behind
    vq.manual_seed(0)
    torch.manual_seed(0)
    o, t = ours(), theirs()
    tsd = t.state_dict()
    assert [(k, v.shape) for k, v in o.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tsd.items()]
    for k, v in o.state_dict().items():
        if v.ndim >= 2 and "weight_" not in k:  # kaiming-uniform(a=sqrt 5) = U(+-1/sqrt(fan_in))
            fan_in = v.numel() // v.shape[0]
        elif "weight" in k or "bias" in k and "_l" in k:  # recurrent: U(+-1/sqrt(hidden))
            fan_in = 20
        else:  # bias: U(+-1/sqrt(fan_in of the weight))
            w = tsd[k.replace("bias", "weight")]
            fan_in = w[0].numel() if w.ndim > 1 else 1
        bound = 1 / math.sqrt(fan_in)
        assert _bound_ok(v, bound), k
        tb = np.abs(tsd[k].numpy()).max()
        assert tb <= bound * (1 + 1e-6)


def test_default_init_is_seeded_and_normal_for_embedding():
    vq.manual_seed(5)
    a = nn.Linear(8, 8).weight.numpy()
    vq.manual_seed(5)
    b = nn.Linear(8, 8).weight.numpy()
    assert np.array_equal(a, b)
    e = nn.Embedding(200, 50).weight.numpy()
    assert abs(e.mean()) < 0.05 and abs(e.std() - 1) < 0.05
    bn = nn.BatchNorm2d(5)
    assert bn.weight.tolist() == [1.0] * 5 and bn.bias.tolist() == [0.0] * 5


def test_init_functions():
    from vqnet_core.nn import init
    w = vq.zeros(300, 200)
    init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.numpy()).max() <= 2.0 * math.sqrt(6 / 500) * (1 + 1e-6)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 300)) < 0.003
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.003
    t = vq.zeros(40, 50)
    init.trunc_normal_(t, std=2.0, a=-1.0, b=3.0)
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 3.0 and t.numpy().std() > 0.5
    init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), np.eye(200), atol=1e-5)
    init.constant_(w, 0.5)
    assert np.all(w.numpy() == 0.5)
    p = nn.Parameter(vq.zeros(3, 4))
    init.uniform_(p, -1, 1)  # a parameter that requires grad: filled under no_grad
    assert p.requires_grad and np.abs(p.numpy()).max() <= 1
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="2 dimensions"):
        init.kaiming_uniform_(vq.zeros(3))


# ---------------------------------------------------------------- the paper's spellings
def test_paper_spellings():
    conv = nn.Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5), stride=(1, 1),
                     padding="valid")
    assert conv.weight.shape == (6, 1, 5, 5)
    net = nn.Sequential(conv, nn.ReLu(), nn.MaxPool2D([2, 2], [2, 2], padding="valid"),
                        nn.Conv2D(6, 16, (5, 5)), nn.BatchNorm2d(16), nn.ReLu(),
                        nn.AvgPool2D([2, 2], [2, 2], padding="valid"), nn.Flatten(),
                        nn.Linear(input_channels=256, output_channels=64), nn.Linear(64, 1))
    assert net(vq.randn(3, 1, 28, 28)).shape == (3, 1)
    assert nn.Linear(4, 2, use_bias=False).bias is None
    assert nn.BatchNorm2d(channel_num=4).num_features == 4
    assert nn.Conv2D(3, 4, 3, use_bias=False).bias is None
    assert nn.Conv2D(3, 4, 3, padding="same")(vq.randn(1, 3, 5, 5)).shape == (1, 4, 5, 5)
    w0 = vq.ones(2, 4)
    assert nn.Linear(4, 2, weight_initializer=lambda t: t.fill_(1.0)).weight.tolist() == \
        w0.tolist()
    assert nn.ReLu is nn.ReLU and nn.Conv2d is nn.Conv2D and nn.MaxPool2d is nn.MaxPool2D


def test_extra_repr_is_readable():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Conv2D(1, 6, (5, 5), padding="valid")) == \
        "Conv2D(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert "padding=1" in repr(nn.Conv2D(1, 6, 3, padding=1)) or \
        "padding=(1, 1)" in repr(nn.Conv2D(1, 6, 3, padding=1))
    assert repr(nn.MaxPool2D([2, 2], [2, 2])).startswith("MaxPool2D(kernel_size=(2, 2)")
    assert repr(nn.LSTM(3, 4, 2, bidirectional=True)) == \
        "LSTM(3, 4, num_layers=2, bidirectional=True)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Conv2D(3, 4, 3)(vq.randn(2, 5, 8, 8)), "expects input"),
    (lambda: nn.Conv2D(3, 4, 3)(vq.randn(3, 8)), "expects input"),
    (lambda: nn.Conv2D(3, 4, 3, padding="full"), "padding"),
    (lambda: nn.Conv2D(3, 4, 3, groups=2), "divisible"),
    (lambda: nn.Conv2D(3, 4), "kernel_size"),
    (lambda: nn.ConvT2D(3, 4, 3, padding="same"), "padding"),
    (lambda: nn.MaxPool2D([2, 2], [2, 2], padding="wrong"), "padding"),
    (lambda: nn.MaxPool2D(2)(vq.randn(5)), "4-D"),
    (lambda: nn.Linear(4, 2)(vq.randn(3, 5)), "in_features"),
    (lambda: nn.BatchNorm2d(3)(vq.randn(2, 4, 5, 5)), "channels"),
    (lambda: nn.BatchNorm1d(3)(vq.randn(2, 3, 5, 5)), "2 or 3-D"),
    (lambda: nn.BatchNorm1d(3)(vq.randn(1, 3)), "more than one value"),
    (lambda: nn.GroupNorm(3, 4), "divisible"),
    (lambda: nn.Dropout(2.0), "probability"),
    (lambda: nn.Linear(4, 2, bias=True, use_bias=False), "twice"),
    (lambda: nn.Linear(4, 2, dtype="int64"), "float"),
])
def test_layer_bad_input_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
