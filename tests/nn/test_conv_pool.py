"""Convolution and pooling: fused kernels == reference compositions == PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from nn_testutils import check_vs_torch

import vqnet_core as vq
from vqnet_core.backend import get_backend
from vqnet_core.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(1234)


def test_numpy_backend_declares_kernels():
    B = get_backend("numpy")
    for name in ("conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward",
                 "max_pool2d", "max_pool2d_backward"):
        assert name in B.capabilities.kernels and callable(B.kernel(name))


def test_fused_path_is_one_tape_node():
    x = vq.randn(2, 3, 6, 6, requires_grad=True)
    w = vq.randn(4, 3, 3, 3, requires_grad=True)
    assert F.conv2d(x, w).grad_fn.name == "conv2d"
    assert F.max_pool2d(x, 2).grad_fn.name == "max_pool2d"
    with F.use_fused(False):
        assert F.conv2d(x, w).grad_fn.name != "conv2d"


CONV2D_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(groups=2, padding=1),
    dict(padding="same", dilation=2),
    dict(padding="valid", stride=3),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cfg", CONV2D_CASES, ids=str)
def test_conv2d(cfg, dtype):
    g = cfg.get("groups", 1)
    x = rng.standard_normal((2, 4, 9, 8))
    w = rng.standard_normal((6, 4 // g, 3, 2))
    b = rng.standard_normal(6)
    check_vs_torch(lambda x, w, b: F.conv2d(x, w, b, **cfg),
                   lambda x, w, b: TF.conv2d(x, w, b, **cfg), [x, w, b], dtype)


@pytest.mark.parametrize("c, hw", [(1, 28), (32, 13)])
def test_conv2d_w3_shapes_float32(c, hw):
    # the paper's CNN (workload W3): 1->32 on 28x28, then 32->32 on 13x13, 3x3 kernels
    x = rng.standard_normal((16, c, hw, hw))
    w = rng.standard_normal((32, c, 3, 3)) * 0.2
    b = rng.standard_normal(32)
    check_vs_torch(F.conv2d, TF.conv2d, [x, w, b], "float32")


def test_conv2d_no_bias_and_unbatched():
    x, w = rng.standard_normal((3, 7, 7)), rng.standard_normal((5, 3, 3, 3))
    check_vs_torch(lambda x, w: F.conv2d(x, w, padding=1),
                   lambda x, w: TF.conv2d(x, w, padding=1), [x, w])


def test_conv2d_gradcheck_reference():
    x = vq.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = vq.tensor(rng.standard_normal((3, 2, 2, 3)), requires_grad=True)
    for fused in (True, False):
        with F.use_fused(fused):
            assert vq.autograd.gradcheck(lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1),
                                         [x, w])


@pytest.mark.parametrize("cfg", [dict(), dict(stride=2), dict(stride=2, padding=1),
                                 dict(padding="same", dilation=2), dict(groups=3, stride=3)],
                         ids=str)
def test_conv1d(cfg):
    g = cfg.get("groups", 1)
    x, w, b = (rng.standard_normal((2, 6, 11)), rng.standard_normal((9, 6 // g, 4)),
               rng.standard_normal(9))
    check_vs_torch(lambda x, w, b: F.conv1d(x, w, b, **cfg),
                   lambda x, w, b: TF.conv1d(x, w, b, **cfg), [x, w, b])


CONVT_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
    dict(groups=2, dilation=2, padding=2, stride=2, output_padding=1),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cfg", CONVT_CASES, ids=str)
def test_conv_transpose2d(cfg, dtype):
    g = cfg.get("groups", 1)
    x, w, b = (rng.standard_normal((2, 4, 5, 6)), rng.standard_normal((4, 3, 3, 4)),
               rng.standard_normal(3 * g))
    check_vs_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **cfg),
                   lambda x, w, b: TF.conv_transpose2d(x, w, b, **cfg), [x, w, b], dtype)


POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
              dict(kernel_size=(3, 2), stride=1, dilation=2),
              dict(kernel_size=(2, 3), stride=(1, 2))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("cfg", POOL_CASES, ids=str)
def test_max_pool2d(cfg, ties, dtype):
    x = rng.standard_normal((2, 3, 9, 8))
    if ties:  # after a ReLU many windows hold only zeros: the first one gets the gradient
        x = np.maximum(x, 0)
    check_vs_torch(lambda x: F.max_pool2d(x, **cfg), lambda x: TF.max_pool2d(x, **cfg), [x],
                   dtype)


def test_max_pool2d_w3_float32():
    x = np.maximum(rng.standard_normal((16, 32, 26, 26)), 0)
    check_vs_torch(lambda x: F.max_pool2d(x, 2, 2), lambda x: TF.max_pool2d(x, 2, 2), [x],
                   "float32")


@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                 dict(kernel_size=3, stride=2, padding=1,
                                      count_include_pad=False),
                                 dict(kernel_size=(2, 3), stride=1, divisor_override=5)],
                         ids=str)
def test_avg_pool2d(cfg):
    x = rng.standard_normal((2, 3, 9, 8))
    check_vs_torch(lambda x: F.avg_pool2d(x, **cfg), lambda x: TF.avg_pool2d(x, **cfg), [x],
                   fused_too=False)


@pytest.mark.parametrize("fn", ["max_pool1d", "avg_pool1d"])
@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)],
                         ids=str)
def test_pool1d(fn, cfg):
    x = rng.standard_normal((2, 3, 11))
    check_vs_torch(lambda x: getattr(F, fn)(x, **cfg), lambda x: getattr(TF, fn)(x, **cfg), [x])


@pytest.mark.parametrize("size", [(4, 3), 1, (None, 2), (9, 7)], ids=str)
def test_adaptive_avg_pool2d(size):
    x = rng.standard_normal((2, 3, 9, 7))
    check_vs_torch(lambda x: F.adaptive_avg_pool2d(x, size),
                   lambda x: TF.adaptive_avg_pool2d(x, size), [x], fused_too=False)


def test_same_padding_keeps_size_with_stride_one():
    x = vq.randn(1, 2, 7, 6)
    assert F.conv2d(x, vq.randn(3, 2, 4, 3), padding="same").shape == (1, 3, 7, 6)
    assert F.max_pool2d(x, 3, 1, padding="same").shape == (1, 2, 7, 6)
    assert F.conv2d(x, vq.randn(3, 2, 3, 3), stride=2, padding="same").shape == (1, 3, 4, 3)


@pytest.mark.parametrize("call, match", [
    (lambda: F.conv2d(vq.randn(2, 3, 5), vq.randn(4, 3, 3)), "4-D"),
    (lambda: F.conv2d(vq.randn(2, 3, 5, 5, 1), vq.randn(4, 3, 3, 3)), "4-D input"),
    (lambda: F.conv2d(vq.randn(2, 3, 5, 5), vq.randn(4, 2, 3, 3)), "channels"),
    (lambda: F.conv2d(vq.randn(2, 3, 5, 5), vq.randn(4, 3, 3, 3), padding="full"), "padding"),
    (lambda: F.conv2d(vq.randn(2, 3, 5, 5), vq.randn(4, 3, 3, 3), stride=0), "positive"),
    (lambda: F.conv2d(vq.randn(2, 3, 2, 2), vq.randn(4, 3, 3, 3)), "larger"),
    (lambda: F.conv2d(vq.randn(2, 3, 5, 5), vq.randn(4, 3, 3, 3), vq.randn(3)), "bias"),
    (lambda: F.conv2d(vq.ones(2, 3, 5, 5, dtype="int64"), vq.ones(4, 3, 3, 3, dtype="int64")),
     "float"),
    (lambda: F.conv_transpose2d(vq.randn(1, 2, 3, 3), vq.randn(3, 2, 3, 3)), "channels"),
    (lambda: F.conv_transpose2d(vq.randn(1, 2, 3, 3), vq.randn(2, 2, 3, 3), stride=2,
                                output_padding=2), "output_padding"),
    (lambda: F.max_pool2d(vq.randn(1, 1, 4, 4), 2, padding="bogus"), "padding"),
    (lambda: F.max_pool2d(vq.randn(1, 1, 4, 4), 2, padding=2), "half"),
    (lambda: F.max_pool2d(vq.randn(1, 1, 1, 1), 3), "fit"),
    (lambda: F.max_pool2d(vq.randn(4, 4), 2), "4-D"),
    (lambda: F.avg_pool2d(vq.ones(1, 1, 4, 4, dtype="int64"), 2), "float"),
    (lambda: F.adaptive_avg_pool2d(vq.randn(1, 1, 4, 4), (1, 2, 3)), "output_size"),
])
def test_bad_input_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


EMPTY_BATCH_OPS = [
    ("conv2d", lambda m, x, w: m.conv2d(x, w, padding=1), (0, 2, 5, 5), (3, 2, 3, 3)),
    ("conv1d", lambda m, x, w: m.conv1d(x, w, stride=2), (0, 2, 7), (3, 2, 3)),
    ("conv_transpose2d", lambda m, x, w: m.conv_transpose2d(x, w, stride=2), (0, 2, 4, 4),
     (2, 3, 3, 3)),
    ("max_pool2d", lambda m, x, w: m.max_pool2d(x, 2), (0, 2, 4, 4), None),
    ("avg_pool2d", lambda m, x, w: m.avg_pool2d(x, 2), (0, 2, 4, 4), None),
]


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name, call, xshape, wshape", EMPTY_BATCH_OPS,
                         ids=[c[0] for c in EMPTY_BATCH_OPS])
def test_empty_batch_matches_torch(backend, name, call, xshape, wshape):
    # a batch of zero images (the last, empty shard of a split) has torch's output shape and
    # zero weight gradients; the fused kernels may assume N >= 1, so the core routes around them
    if backend not in vq.available_backends():
        pytest.skip(f"backend {backend!r} is not installed")
    w = rng.standard_normal(wshape) if wshape else None
    tx = torch.zeros(xshape, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True) if w is not None else None
    ty = call(TF, tx, tw)
    ty.sum().backward()
    with vq.backend(backend):
        x = vq.QTensor(np.zeros(xshape), requires_grad=True)
        qw = vq.QTensor(w, requires_grad=True) if w is not None else None
        y = call(F, x, qw)
        y.sum().backward()
        assert y.shape == tuple(ty.shape)
        assert x.grad.shape == xshape
        if qw is not None:
            np.testing.assert_array_equal(qw.grad.to_numpy(), tw.grad.numpy())
