"""avg_pool2d and batch_norm: fused kernels == reference compositions == PyTorch, one tape
node on the fused path, and the spec's checks catch a wrong kernel."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from nn_testutils import check_vs_torch

import vqnet_core as vq
from vqnet_core.autograd import gradcheck
from vqnet_core.backend import backend, get_backend
from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.nn import functional as F

rng = np.random.default_rng(7)


def test_numpy_backend_declares_kernels():
    B = get_backend("numpy")
    for name in ("avg_pool2d", "avg_pool2d_backward", "batch_norm", "batch_norm_backward"):
        assert name in B.capabilities.kernels and callable(B.kernel(name))


def test_fused_path_is_one_tape_node():
    x = vq.randn(2, 3, 6, 6, requires_grad=True)
    w, b = vq.ones(3, requires_grad=True), vq.zeros(3, requires_grad=True)
    assert F.avg_pool2d(x, 2).grad_fn.name == "avg_pool2d"
    assert F.batch_norm(x, None, None, w, b, training=True).grad_fn.name == "batch_norm"
    with F.use_fused(False):
        assert F.avg_pool2d(x, 2).grad_fn.name != "avg_pool2d"
        assert F.batch_norm(x, None, None, w, b, training=True).grad_fn.name != "batch_norm"


POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
              dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), count_include_pad=False),
              dict(kernel_size=3, stride=1, padding=1, divisor_override=4)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cfg", POOL_CASES, ids=str)
def test_avg_pool2d_vs_torch(cfg, dtype):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 7, 6))
    check_vs_torch(lambda x: F.avg_pool2d(x, **cfg),
                   lambda x: torch.nn.functional.avg_pool2d(x, **cfg), [x], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_vs_torch(shape, training, dtype):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def ours(x, w, b):
        return F.batch_norm(x, vq.tensor(rm, dtype=x.dtype), vq.tensor(rv, dtype=x.dtype), w, b,
                            training=training, momentum=0.2)

    def theirs(x, w, b):
        return torch.nn.functional.batch_norm(x, torch.tensor(rm, dtype=x.dtype),
                                              torch.tensor(rv, dtype=x.dtype), w, b,
                                              training=training, momentum=0.2)
    check_vs_torch(ours, theirs, [x, w, b], dtype)


@pytest.mark.parametrize("fused", [True, False])
def test_batch_norm_running_stats_vs_torch(fused):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 3, 4, 4))
    ours = vq.nn.BatchNorm2d(3, dtype="float64")
    theirs = torch.nn.BatchNorm2d(3, momentum=0.1).double()
    with F.use_fused(fused):
        for _ in range(2):
            ours(vq.tensor(x))
            theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), 1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), 1e-12)


def _f64(*shape, requires_grad=True):
    return vq.tensor(rng.standard_normal(shape), dtype="float64", requires_grad=requires_grad)


@pytest.mark.parametrize("fused", [True, False])
def test_gradcheck(fused):
    rm, rv = _f64(3, requires_grad=False), vq.tensor([0.5, 1.0, 2.0], dtype="float64")
    with F.use_fused(fused):
        assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                         [_f64(1, 2, 5, 6)])
        assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         [_f64(4, 3, 5), _f64(3), _f64(3)])
        assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b),
                         [_f64(2, 3, 2, 2), _f64(3), _f64(3)])


def test_batch_norm_falls_back_where_the_kernel_does_not_apply():
    x = vq.randn(4, 3, 5, requires_grad=True)
    w64 = vq.ones(3, dtype="float64", requires_grad=True)
    y = F.batch_norm(x, None, None, w64, training=True)  # mixed dtypes: promoted reference
    assert y.dtype.name == "float64" and y.grad_fn.name != "batch_norm"
    rm, rv = vq.zeros(3, requires_grad=True), vq.ones(3, requires_grad=True)
    y = F.batch_norm(x, rm, rv)  # running stats that want gradients
    y.sum().backward()
    assert rm.grad is not None and rv.grad is not None


checks = importlib.import_module("vqnet_spec.array.test_kernels")


class WrongBatchNormGrad(NumpyBackend):
    name = "wrong-batch-norm"

    def k_batch_norm_backward(self, g, x, weight, mean, var, eps, training, needs):
        dx, dw, db = super().k_batch_norm_backward(g, x, weight, mean, var, eps, training,
                                                   needs)
        return dx, dw, None if db is None else db * 1.01


class WrongAvgPool(NumpyBackend):
    name = "wrong-avg-pool"

    def k_avg_pool2d(self, *args):
        out, ctx = super().k_avg_pool2d(*args)
        return out * 1.01, ctx


@pytest.mark.parametrize("cls, check, match", [
    (WrongBatchNormGrad, checks.check_batch_norm, "batch_norm_backward: gradient of input 2"),
    (WrongAvgPool, checks.check_avg_pool2d, "avg_pool2d forward")])
def test_spec_checks_catch_a_wrong_kernel(cls, check, match):
    B = cls()
    with backend(B), pytest.raises(AssertionError, match=match):
        check(B, "float64")
