"""No input from Python may crash the interpreter: each raises a clear exception."""

from __future__ import annotations

import numpy as np
import pytest
from vqnet_cpu import _ext, set_num_threads

F32 = np.float32
X4 = np.ones((1, 1, 4, 4), F32)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: _ext.unary(3, [1.0, 2.0]), TypeError, "numpy.ndarray"),
    (lambda: _ext.unary(3, np.ones(3, np.int64)), TypeError, "float32 or float64"),
    (lambda: _ext.unary(3, np.ones(3, np.complex128)), TypeError, "dtype"),
    (lambda: _ext.unary(999, np.ones(3)), ValueError, "unknown op"),
    (lambda: _ext.unary(-1, np.ones(3)), ValueError, "unknown op"),
    (lambda: _ext.unary(3, np.ones(3, ">f8")), TypeError, "byte order"),
    (lambda: _ext.binary(0, np.ones(3), np.ones(3, F32)), TypeError, "same dtype"),
    (lambda: _ext.binary(0, np.ones((2, 3)), np.ones((4, 3))), ValueError, "broadcast"),
    (lambda: _ext.where(np.ones(3), np.ones(3), np.ones(3)), TypeError, "bool"),
    (lambda: _ext.reduce(0, np.ones(6), 2, 2, 2), ValueError, "does not match"),
    (lambda: _ext.reduce(0, np.ones(6), -1, -6, 1), ValueError, "overflow|negative"),
    (lambda: _ext.reduce(0, np.ones(6), 2**62, 2**62, 1), ValueError, "overflow"),
    (lambda: _ext.reduce(2, np.ones(0), 1, 0, 1), ValueError, "zero-size"),
    (lambda: _ext.im2col(np.ones((4, 4), F32), (3, 3), (1, 1), (0,) * 4, (1, 1)),
     ValueError, "4-D"),
    (lambda: _ext.im2col(X4, (3, 3), (0, 1), (0,) * 4, (1, 1)), ValueError, "stride"),
    (lambda: _ext.im2col(X4, (-3, 3), (1, 1), (0,) * 4, (1, 1)), ValueError, "kernel"),
    (lambda: _ext.im2col(X4, (3, 3), (1, 1), (0, -1, 0, 0), (1, 1)), ValueError, "padding"),
    (lambda: _ext.im2col(X4, (9, 9), (1, 1), (0,) * 4, (1, 1)), ValueError, "larger than"),
    (lambda: _ext.im2col(X4, (3, 3), (1, 1), (2**45,) * 4, (1, 1)), ValueError, "out of range"),
    (lambda: _ext.im2col(X4, (3, 3), (1, 1), (0,) * 3, (1, 1)), ValueError, "4 entries"),
    (lambda: _ext.im2col(X4, "ab", (1, 1), (0,) * 4, (1, 1)), TypeError, "ints"),
    (lambda: _ext.col2im(np.ones((9, 5), F32), (1, 1, 4, 4), (3, 3), (1, 1), (0,) * 4, (1, 1)),
     ValueError, "axis 1 has size 5"),
    (lambda: _ext.col2im(np.ones((9, 4), F32), (1, -1, 4, 4), (3, 3), (1, 1), (0,) * 4, (1, 1)),
     ValueError, "col2im xshape"),
    (lambda: _ext.rows_to_nchw(np.ones((2, 6), F32), np.ones(3, F32), 2), ValueError, "bias"),
    (lambda: _ext.rows_to_nchw(np.ones((2, 6), F32), None, 4), ValueError, "divide"),
    (lambda: _ext.max_pool2d_backward(np.ones((1, 1, 2, 2), F32),
                                      np.full((1, 1, 2, 2), 99, np.int64), 4, 4),
     ValueError, "outside"),
    (lambda: _ext.max_pool2d_backward(np.ones((1, 1, 2, 2), F32),
                                      np.zeros((1, 1, 2, 2), np.int32), 4, 4), TypeError, "int64"),
    (lambda: _ext.max_pool2d_backward(np.ones((1, 1, 2, 2), F32),
                                      np.zeros((1, 1, 2, 2), np.int64), -4, 4),
     ValueError, "negative"),
    (lambda: _ext.softmax_xent(np.ones((2, 3), F32), np.array([0, 3])), ValueError,
     "label 3 at row 1"),
    (lambda: _ext.softmax_xent(np.ones((2, 3), F32), np.array([0, -1])), ValueError,
     "out of range"),
    (lambda: _ext.softmax_xent(np.ones((2, 3), F32), np.array([0])), ValueError, "axis 0"),
    (lambda: _ext.softmax_xent(np.ones((2, 3), F32), np.array([0.0, 1.0])), TypeError, "int64"),
    (lambda: _ext.softmax_xent_backward(np.ones((2, 3), F32), np.array([0, 1]),
                                        np.ones(2)), TypeError, "float32"),
    (lambda: _ext.sgd_step(np.ones(3, F32), np.ones(4, F32), None, 0.1, 0, 0, False, 0, False),
     ValueError, "grad"),
    (lambda: _ext.sgd_step(np.ones(3, F32), np.ones(3, F32), np.ones(3), 0.1, 0.9, 0, False, 0,
                           False), TypeError, "momentum buffer"),
    (lambda: _ext.adam_step(*[np.ones(3)] * 4, None, 0, 0.1, 0.9, 0.99, 1e-8, 0, False, False,
                            False), ValueError, "step"),
    (lambda: _ext.adam_step(*[np.ones(3)] * 4, None, 1, 0.1, 1.5, 0.99, 1e-8, 0, False, False,
                            False), ValueError, "betas"),
    (lambda: _ext.adam_step(np.ones(3), np.ones(3), None, np.ones(3), None, 1, 0.1, 0.9, 0.99,
                            1e-8, 0, False, False, False), TypeError, "exp_avg must"),
    (lambda: _ext.relu_backward(np.ones(3, F32), np.ones(3)), TypeError, "float32"),
    (lambda: _ext.relu_backward(np.ones(3, F32), np.ones(4, F32)), ValueError, "same shape"),
    (lambda: _ext.relu_backward(np.ones(3, np.int64), np.ones(3, np.int64)), TypeError,
     "float32 or float64"),
    (lambda: _ext.relu_backward([1.0], np.ones(1)), TypeError, "numpy.ndarray"),
    (lambda: set_num_threads(0), ValueError, "threads"),
    (lambda: set_num_threads(2.5), TypeError, "int"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_huge_shapes_raise_instead_of_allocating():
    # padding that makes the column matrix ~2**80 entries: caught by the checked products
    with pytest.raises(ValueError, match="overflow"):
        _ext.im2col(X4, (3, 3), (1, 1), (2**39,) * 4, (1, 1))
    with pytest.raises(ValueError, match="overflow"):
        _ext.col2im(np.ones((9, 4), F32), (1, 1, 2**40, 2**40), (3, 3), (1, 1), (0,) * 4,
                    (1, 1))


def test_views_and_aliasing_are_read_safely():
    base = np.arange(24, dtype=np.float64)
    a = np.lib.stride_tricks.as_strided(base, (5, 4), (16, 8))  # overlapping rows
    np.testing.assert_array_equal(_ext.binary(0, a, a), a + a)
    np.testing.assert_array_equal(_ext.unary(0, a[::-1, ::-2]), -a[::-1, ::-2])
    raw = np.zeros(8 * 5 + 1, np.uint8)[1:].view(np.float64)  # misaligned: copied first
    raw[:] = np.arange(5)
    np.testing.assert_array_equal(_ext.unary(0, raw), -np.arange(5.0))
    p = np.ones(4, F32)
    new_p, buf = _ext.sgd_step(p, p, p, 0.5, 0.9, 0.0, True, 0.0, False)  # p given 3 times
    assert new_p is not p and buf is not p
    np.testing.assert_array_equal(p, np.ones(4, F32))  # inputs are never written


def test_nan_and_inf_propagate():
    x = np.array([np.nan, 1.0, -np.inf, np.inf], F32)
    assert np.isnan(_ext.unary(3, x)[0])  # exp
    np.testing.assert_array_equal(_ext.binary(5, x, np.zeros(4, F32))[1:], [1, 0, np.inf])
    assert np.isnan(_ext.binary(5, x, np.zeros(4, F32))[0])  # maximum keeps NaN
    for op in range(4):
        assert np.isnan(_ext.reduce(op, x, 1, 4, 1)[0])
    pooled, _ = _ext.max_pool2d(np.array([[[[1.0, np.nan], [3.0, 2.0]]]], F32), (2, 2), (1, 1),
                                (0,) * 4, (1, 1))
    assert np.isnan(pooled).all()
    g = np.array([1.0, 2.0, 3.0, 4.0], F32)
    np.testing.assert_array_equal(_ext.relu_backward(g, x), [1.0, 2.0, 0.0, 4.0])  # NaN passes
    base = np.arange(12.0) - 6
    view = base[::3]  # a strided view: copied first, read correctly
    np.testing.assert_array_equal(_ext.relu_backward(np.ones(4), view), view > 0)
    loss = _ext.softmax_xent(np.array([[np.nan, 1.0]], F32), np.array([1]))
    assert np.isnan(loss).all()


def test_optimizer_steps_flush_subnormals_without_leaking_the_mode():
    """Subnormal moments are flushed inside the update (they cost ~100x per operation) and the
    thread's floating-point mode is restored afterwards."""
    tiny = np.float32(1e-39)  # subnormal in float32
    p, g = np.ones(4, F32), np.zeros(4, F32)
    m = v = np.full(4, tiny, F32)
    new_p, new_m, new_v, _ = _ext.adam_step(p, g, m, v, None, 3, 1e-3, 0.9, 0.999, 1e-8, 0.0,
                                            False, False, False)
    assert (new_m == 0).all() and (new_v == 0).all()  # 0.9 * 1e-39 would be subnormal
    np.testing.assert_array_equal(new_p, p)
    _, buf = _ext.sgd_step(p, g, np.full(4, tiny, F32), 0.1, 0.9, 0.0, False, 0.0, False)
    assert (buf == 0).all()
    assert np.multiply(np.full(4, tiny, F32), F32(1)).min() == tiny  # mode restored


@pytest.mark.parametrize("eps, shown", [(float("nan"), "nan"), (-0.5, "-0.5"),
                                        (float("inf"), "inf")])
def test_batch_norm_eps_error_prints_the_number(eps, shown):
    """PyErr_Format has no %g: the message used to end in a literal '%g'."""
    x = np.ones((2, 3, 4), F32)
    with pytest.raises(ValueError, match=rf"batch_norm: eps must be finite and >= 0, got "
                                         rf"{shown}$"):
        _ext.batch_norm(x, None, None, None, None, eps)
    with pytest.raises(ValueError, match=rf"got {shown}$"):
        _ext.batch_norm_backward(x, x, None, np.zeros(3, F32), np.ones(3, F32), eps, True,
                                 True, False, False)
