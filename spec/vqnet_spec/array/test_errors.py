"""Bad input raises a Python exception of the right type whose message names the problem."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.backend import UnknownBackendError, get_backend


def _x(shape=(2, 3), dtype="float32", requires_grad=False):
    return vq.tensor(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape),
                     dtype=dtype, requires_grad=requires_grad)


ERRORS = {
    "matmul_mismatch": (ValueError, r"do not align",
                        lambda: vq.matmul(_x((2, 3)), _x((4, 5)))),
    "matmul_batch_mismatch": (ValueError, r"batch shapes",
                              lambda: vq.matmul(_x((2, 3, 4)), _x((3, 4, 5)))),
    "matmul_0d": (ValueError, r"at least one dimension", lambda: vq.matmul(_x(()), _x((2,)))),
    "reshape_size": (ValueError, r"cannot reshape.*6 elements.*\(4, 2\)",
                     lambda: _x((2, 3)).reshape(4, 2)),
    "reshape_two_minus_one": (ValueError, r"only one dimension can be -1",
                              lambda: _x((2, 3)).reshape(-1, -1)),
    "concat_mismatch": (ValueError, r"do not match outside axis 0",
                        lambda: vq.concatenate([_x((2, 3)), _x((2, 4))], 0)),
    "stack_mismatch": (ValueError, r"one shape", lambda: vq.stack([_x((2, 3)), _x((3, 2))])),
    "broadcast_mismatch": (ValueError, r"broadcast", lambda: _x((3,)) + _x((4,))),
    "broadcast_to_bad": (ValueError, r"cannot broadcast", lambda: _x((3,)).broadcast_to(2, 4)),
    "unknown_dtype_name": (TypeError, r"unsupported dtype 'float16'",
                           lambda: vq.tensor([1.0], dtype="float16")),
    "unknown_dtype_astype": (TypeError, r"unsupported dtype", lambda: _x().astype("int8")),
    "axis_out_of_range_sum": (IndexError, r"axis 2 is out of range.*2 dimensions",
                              lambda: _x().sum(axis=2)),
    "axis_out_of_range_softmax": (IndexError, r"axis -3 is out of range",
                                  lambda: vq.softmax(_x(), axis=-3)),
    "axis_out_of_range_concat": (IndexError, r"out of range",
                                 lambda: vq.concatenate([_x(), _x()], 5)),
    "index_out_of_range": (IndexError, r"index 5 is out of bounds for axis 1 with size 3",
                           lambda: _x()[0, 5]),
    "index_tensor_out_of_range": (IndexError, r"out of bounds for axis 0 with size 2",
                                  lambda: _x()[vq.tensor([0, 2])]),
    "too_many_indices": (IndexError, r"too many indices", lambda: _x()[0, 0, 0]),
    "float_index_tensor": (IndexError, r"integer or bool", lambda: _x()[vq.tensor([0.0])]),
    "bool_mask_shape": (IndexError, r"boolean index of shape \(3,\)",
                        lambda: _x()[vq.tensor([True, False, True])]),
    "gather_float_index": (IndexError, r"integer",
                           lambda: vq.gather(_x(), 1, vq.tensor([[0.0], [1.0]]))),
    "gather_out_of_range": (IndexError, r"out of range",
                            lambda: vq.gather(_x(), 1, vq.tensor([[0], [3]]))),
    "scatter_out_of_range": (IndexError, r"out of range",
                             lambda: vq.scatter_add(_x(), 0, vq.tensor([[2, 0, 0]]),
                                                    _x((1, 3)))),
    "backward_non_scalar": (RuntimeError, r"one-element",
                            lambda: (_x(requires_grad=True) * 2).backward()),
    "backward_without_grad": (RuntimeError, r"does not require grad",
                              lambda: (_x() * 2).sum().backward()),
    "backward_twice": (RuntimeError, r"second time",
                       lambda: [y.backward() for y in [(_x(requires_grad=True) ** 2).sum()] * 2]),
    "requires_grad_int": (TypeError, r"only float and complex tensors can require grad",
                          lambda: vq.tensor([1, 2], requires_grad=True)),
    "max_of_complex": (TypeError, r"max is not defined for complex",
                       lambda: vq.max(_x(dtype="complex64"))),
    "argmax_of_complex": (TypeError, r"complex", lambda: vq.argmax(_x(dtype="complex64"))),
    "sort_of_complex": (TypeError, r"complex", lambda: vq.sort(_x(dtype="complex64"))),
    "maximum_of_complex": (TypeError, r"complex",
                           lambda: vq.maximum(_x(dtype="complex64"), 1.0)),
    "clip_of_complex": (TypeError, r"complex", lambda: vq.clip(_x(dtype="complex64"), 0, 1)),
    "max_of_empty": (ValueError, r"empty", lambda: vq.max(vq.zeros(0))),
    "topk_k_too_large": (ValueError, r"k=4 is out of range", lambda: vq.topk(_x(), 4)),
    "split_sizes": (ValueError, r"do not add up", lambda: vq.split(_x(), [1, 1], axis=1)),
    "permute_not_permutation": (ValueError, r"not a permutation",
                                lambda: _x().permute(0, 0)),
    "pad_negative": (ValueError, r"negative padding", lambda: vq.pad(_x(), (-1, 0))),
    "item_of_many": (ValueError, r"one element", lambda: _x().item()),
    "bool_of_many": (ValueError, r"ambiguous", lambda: bool(_x())),
    "unknown_backend": (UnknownBackendError, r"unknown array backend 'no-such-backend'",
                        lambda: get_backend("no-such-backend")),
    "einsum_operand_count": (ValueError, r"names 2 operands, got 1",
                             lambda: vq.einsum("ij,jk->ik", _x())),
    "einsum_size_mismatch": (ValueError, r"subscript 'j' has sizes",
                             lambda: vq.einsum("ij,jk->ik", _x((2, 3)), _x((4, 2)))),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_input_raises(vqnet_backend, case):
    """Each bad call raises the documented exception type with a message naming the problem."""
    if "complex" in case and "complex64" not in vqnet_backend.capabilities.dtypes:
        pytest.skip(f"backend {vqnet_backend.name!r} does not declare dtype complex64")
    exc, pattern, call = ERRORS[case]
    with pytest.raises(exc, match=pattern):
        call()


def _other_backend(B):
    """A second, distinct backend instance to mix with the one under test."""
    if B.name != "numpy":
        return get_backend("numpy")
    other = copy.copy(B)
    other.name = "numpy-twin"
    return other


def test_mixed_backends_raise(vqnet_backend):
    """Operands on two different backends are refused with a hint to move one."""
    other = _other_backend(vqnet_backend)
    a = _x()
    b = vq.tensor(np.ones((2, 3), np.float32), backend=other)
    assert b.backend == other.name
    with pytest.raises(ValueError, match=r"different backends.*\.to\(backend\)"):
        a + b
    with pytest.raises(ValueError, match=r"different backends"):
        vq.matmul(a, b.T)
    with pytest.raises(ValueError, match=r"another backend"):
        a[vq.tensor([0], backend=other)]


def test_undeclared_dtype_is_refused(vqnet_backend):
    """Creating a tensor of a dtype the backend does not declare raises TypeError."""
    B = vqnet_backend
    missing = [d for d in ("complex128", "complex64", "float64", "int32", "bool")
               if d not in B.capabilities.dtypes]
    if not missing:
        pytest.skip(f"backend {B.name!r} declares every VQNet dtype")
    with pytest.raises(TypeError, match=f"does not support dtype {missing[0]}"):
        vq.tensor(np.zeros(2), dtype=missing[0])
