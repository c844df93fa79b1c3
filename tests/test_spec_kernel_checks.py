"""The suite's checks of the optimizer and loss kernels pass a right kernel and catch a wrong
one."""

from __future__ import annotations

import importlib

import pytest

from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.backend.protocol import Capabilities
from vqnet_core.nn.loss import (
    softmax_cross_entropy_backward_reference,
    softmax_cross_entropy_reference,
)
from vqnet_core.optim.adam import adam_step_reference
from vqnet_core.optim.sgd import sgd_step_reference

checks = importlib.import_module("vqnet_spec.array.test_kernels")
NAMES = ("softmax_cross_entropy", "softmax_cross_entropy_backward", "sgd_step", "adam_step")


class ReferenceKernels(NumpyBackend):
    """Declares the kernels and answers them with the core's reference compositions."""

    name = "reference-kernels"
    capabilities = Capabilities(kernels=frozenset(NAMES))

    def k_softmax_cross_entropy(self, logits, labels):
        return softmax_cross_entropy_reference(self, logits, labels)

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        return softmax_cross_entropy_backward_reference(self, logits, labels, g)

    def k_sgd_step(self, p, g, *args):
        return sgd_step_reference(self, p, g, *args)

    def k_adam_step(self, p, g, *args):
        return adam_step_reference(self, p, g, *args)


class WrongAdam(ReferenceKernels):
    def k_adam_step(self, p, g, *args):
        new_p, *rest = adam_step_reference(self, p, g, *args)
        return (self.binary("mul", new_p, 1.001), *rest)


class WrongSoftmaxGrad(ReferenceKernels):
    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        return self.binary("mul", softmax_cross_entropy_backward_reference(
            self, logits, labels, g), 2.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reference_kernels_pass(dtype):
    B = ReferenceKernels()
    checks.check_softmax_cross_entropy(B, dtype)
    checks.check_sgd_step(B, dtype)
    checks.check_adam_step(B, dtype)


def test_wrong_adam_kernel_is_caught():
    with pytest.raises(AssertionError, match="adam_step output 0"):
        checks.check_adam_step(WrongAdam(), "float64")


def test_wrong_softmax_backward_is_caught():
    with pytest.raises(AssertionError, match="softmax_cross_entropy_backward"):
        checks.check_softmax_cross_entropy(WrongSoftmaxGrad(), "float64")
