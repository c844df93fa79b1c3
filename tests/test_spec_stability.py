"""The array suite's numerical-robustness and dtype-rule cases catch the bug each is written
for: every fixture below is the NumPy backend with exactly one such bug, and the named case of
the suite must fail on it (with a message naming the case) while the reference passes."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.backend.protocol import Capabilities
from vqnet_core.optim.adam import adam_step_reference

kernels = importlib.import_module("vqnet_spec.array.test_kernels")
elementwise = importlib.import_module("vqnet_spec.array.test_elementwise")
reduction = importlib.import_module("vqnet_spec.array.test_reduction")
creation = importlib.import_module("vqnet_spec.array.test_creation")

_FUSED = frozenset({"softmax_cross_entropy", "softmax_cross_entropy_backward", "adam_step"})


class WithKernels(NumpyBackend):
    """NumPy plus reference softmax-CE / Adam kernels (and its own nn kernels)."""

    name = "spec-stability"
    capabilities = Capabilities(kernels=NumpyBackend.capabilities.kernels | _FUSED)

    def k_softmax_cross_entropy(self, logits, labels):
        from vqnet_core.nn.loss import softmax_cross_entropy_reference
        return softmax_cross_entropy_reference(self, logits, labels)

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        from vqnet_core.nn.loss import softmax_cross_entropy_backward_reference
        return softmax_cross_entropy_backward_reference(self, logits, labels, g)

    def k_adam_step(self, p, g, *args):
        return adam_step_reference(self, p, g, *args)


# ---- broken fused kernels ----------------------------------------------------------------
class NaiveSoftmaxCE(WithKernels):
    """log(sum(exp(x))) without subtracting the row max first."""

    def k_softmax_cross_entropy(self, logits, labels):
        with np.errstate(all="ignore"):
            lse = np.log(np.exp(logits).sum(axis=1))
            return (lse - logits[np.arange(len(labels)), labels]).astype(logits.dtype)

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        with np.errstate(all="ignore"):
            e = np.exp(logits)
            p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return (p * g[:, None]).astype(logits.dtype)


def _channels(x):
    return x.reshape(x.shape[0], x.shape[1], -1)


class OnePassVarianceBN(WithKernels):
    """Batch variance as E[x^2] - E[x]^2 in the input's precision."""

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        if mean is None:
            xs = _channels(x)
            mean = xs.mean(axis=(0, 2))
            var = (xs * xs).mean(axis=(0, 2)) - mean * mean
        return super().k_batch_norm(x, weight, bias, mean, var, eps)


class EpsOutsideSqrtBN(WithKernels):
    """(x - mean) / (sqrt(var) + eps)."""

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        y, mean, var = super().k_batch_norm(x, None, None, mean, var, eps)
        sd = np.sqrt(var + np.asarray(eps, x.dtype))
        y = y * (sd / (np.sqrt(var) + np.asarray(eps, x.dtype)))[None, :, None].reshape(
            (1, -1) + (1,) * (x.ndim - 2))
        if weight is not None:
            y = y * weight.reshape((1, -1) + (1,) * (x.ndim - 2))
        if bias is not None:
            y = y + bias.reshape((1, -1) + (1,) * (x.ndim - 2))
        return y.astype(x.dtype), mean, var


class NoEpsBN(WithKernels):
    """eps left out: (x - mean) / sqrt(var)."""

    def k_batch_norm(self, x, weight, bias, mean, var, eps):
        with np.errstate(all="ignore"):
            return super().k_batch_norm(x, weight, bias, mean, var, 0.0)


class ZeroPadMaxPool(WithKernels):
    """max_pool2d that pads with 0 instead of -inf."""

    def k_max_pool2d(self, x, kernel, stride, padding, dilation):
        (t, b), (left, r) = padding
        xp = np.pad(x, ((0, 0), (0, 0), (t, b), (left, r)), constant_values=0)
        out, ctx = super().k_max_pool2d(xp, kernel, stride, ((0, 0), (0, 0)), dilation)
        return out, (ctx, padding)

    def k_max_pool2d_backward(self, g, ctx):
        ctx, ((t, b), (left, r)) = ctx
        dx = super().k_max_pool2d_backward(g, ctx)
        return dx[:, :, t:dx.shape[2] - b, left:dx.shape[3] - r]


class AdamEpsInsideSqrt(WithKernels):
    """lr * m_hat / sqrt(v_hat + eps) instead of / (sqrt(v_hat) + eps)."""

    def k_adam_step(self, p, g, m, v, vmax, step, lr, b1, b2, eps, wd, amsgrad, maximize,
                    decoupled):
        if wd or amsgrad or maximize:
            return adam_step_reference(self, p, g, m, v, vmax, step, lr, b1, b2, eps, wd,
                                       amsgrad, maximize, decoupled)
        m2, v2 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mh, vh = m2 / (1 - b1 ** step), v2 / (1 - b2 ** step)
        return (p - lr * mh / np.sqrt(vh + eps)).astype(p.dtype), m2, v2, None


# ---- broken primitives -------------------------------------------------------------------
class ScalarAsInt64(NumpyBackend):
    """Turns a Python int operand into an int64 array first, so int32 + 2 becomes int64."""

    def binary(self, op, a, b):
        a, b = (np.asarray(v, np.int64) if isinstance(v, int) and not isinstance(v, bool)
                else v for v in (a, b))
        return super().binary(op, a, b)


class WideningIntSum(NumpyBackend):
    """NumPy's own rule: a sum / prod of int32 is int64."""

    def reduce(self, op, a, axes, keepdims):
        f = {"sum": np.sum, "prod": np.prod}.get(op)
        if f is not None and a.dtype == np.int32:
            return np.asarray(f(a, axis=axes, keepdims=keepdims))
        return super().reduce(op, a, axes, keepdims)


class EmptyAxesMeanAll(NumpyBackend):
    """``axes=()`` taken as "every axis" (``if not axes: axes = None``)."""

    def reduce(self, op, a, axes, keepdims):
        return super().reduce(op, a, axes or None, keepdims)


class BernoulliAlwaysFloat(NumpyBackend):
    """bernoulli that returns float32 whatever dtype was asked for."""

    def random(self, dist, key, shape, dtype, a=0.0, b=1.0):
        if dist == "bernoulli":
            return super().random(dist, key, shape, "float32", a, b)
        return super().random(dist, key, shape, dtype, a, b)


# ---- the suite passes the reference and catches each bug -------------------------------
def _bn_case(B, dtype, index):
    case, fn, makers, tol = kernels.batch_norm_stability_cases(dtype)[index]
    with vq.backend(B):
        kernels._fused_vs_reference(B, dtype, "batch_norm", fn, makers, tol, case)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reference_passes_every_new_case(dtype):
    B = WithKernels()
    with vq.backend(B):
        kernels.check_softmax_cross_entropy(B, dtype)
        kernels.check_batch_norm(B, dtype)
        kernels.check_max_pool2d(B, dtype)
        kernels.check_adam_step(B, dtype)
    for op in ("add", "mul", "pow"):
        elementwise.test_binary_python_scalar(B, op, "int32")
    reduction.test_reduce(B, "sum", "int32", False)
    reduction.test_reduce_no_axes(B, "sum", dtype, False)
    creation.test_random_is_counter_based(B, "bernoulli", "int32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_naive_softmax_cross_entropy_is_caught(dtype):
    with pytest.raises(AssertionError, match="logits of magnitude 1000"):
        kernels.check_softmax_cross_entropy(NaiveSoftmaxCE(), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_pass_variance_is_caught(dtype):
    B = OnePassVarianceBN()
    for index in (1, 2):  # the other cases do not notice ...
        _bn_case(B, dtype, index)
    with pytest.raises(AssertionError, match="one-pass variance"):  # ... this one does
        _bn_case(B, dtype, 0)


def test_eps_outside_the_square_root_is_caught():
    B = EpsOutsideSqrtBN()
    _bn_case(B, "float32", 0)
    with pytest.raises(AssertionError, match="eps goes under the square root"):
        _bn_case(B, "float32", 1)


def test_missing_eps_is_caught_by_the_constant_channel():
    with pytest.raises(AssertionError, match="a constant channel"):
        _bn_case(NoEpsBN(), "float32", 2)


def test_zero_padding_in_max_pool_is_caught():
    with vq.backend(ZeroPadMaxPool()) as B, \
            pytest.raises(AssertionError, match="near -1000 with padding"):
        kernels.check_max_pool2d(B, "float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_eps_inside_the_square_root_is_caught(dtype):
    match = "gradients of 1e-10" if dtype == "float32" else "adam_step output 0"
    with pytest.raises(AssertionError, match=match):
        kernels.check_adam_step(AdamEpsInsideSqrt(), dtype)


def test_int32_with_a_python_int_must_stay_int32():
    with pytest.raises(AssertionError, match="returned dtype int64, expected int32"):
        elementwise.test_binary_python_scalar(ScalarAsInt64(), "add", "int32")
    elementwise.test_binary_python_scalar(ScalarAsInt64(), "add", "int64")


def test_int32_sum_must_stay_int32():
    B = WideningIntSum()
    with pytest.raises(AssertionError, match="returned dtype int64, expected int32"):
        reduction.test_reduce(B, "sum", "int32", False)
    with pytest.raises(AssertionError, match="returned dtype int64, expected int32"):
        reduction.test_reduce_empty(B, "prod", "int32", 1, False)


def test_empty_axes_reduce_nothing():
    with pytest.raises(AssertionError, match=r"axes=\(\) \(must reduce nothing\)"):
        reduction.test_reduce_no_axes(EmptyAxesMeanAll(), "sum", "float64", False)


def test_bernoulli_returns_the_requested_dtype():
    with pytest.raises(AssertionError, match="must return dtype int32"):
        creation.test_random_is_counter_based(BernoulliAlwaysFloat(), "bernoulli", "int32")
