"""Bad input to autograd: in-place writes, views, and custom Functions.

In-place methods used to swap the data and keep the old tape node, so the gradient ignored
the write (``y = x * 2; y.mul_(3)`` gave ``x.grad == 2``). Each gradient here is checked
against a value worked out by hand, and against PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import optim
from vqnet_core.autograd import Function

X0 = [1.0, 2.0]


@pytest.fixture
def be(backend):  # the backend fixture of conftest.py, under a short name
    return backend


def _x(lib):
    if lib == "vq":
        return vq.tensor(X0, dtype="float64", requires_grad=True)
    import torch
    return torch.tensor(X0, dtype=torch.float64, requires_grad=True)


# name -> (fn(x, lib) returning the loss, expected x.grad). Every in-place method of QTensor
# (grep "def .*_(self" in vqnet_core/tensor.py) plus item assignment appears at least once.
CASES = {
    "add_": (lambda x, lib: (x * 2).add_(x).sum(), [3.0, 3.0]),
    "add_alpha": (lambda x, lib: (x * 2).add_(x, alpha=2.0).sum(), [4.0, 4.0]),
    "sub_": (lambda x, lib: (x * 2).sub_(x).sum(), [1.0, 1.0]),
    "sub_alpha": (lambda x, lib: (x * 2).sub_(x, alpha=3.0).sum(), [-1.0, -1.0]),
    "mul_scalar": (lambda x, lib: (x * 2).mul_(3.0).sum(), [6.0, 6.0]),
    "mul_tensor": (lambda x, lib: (x * 2).mul_(x).sum(), [4.0, 8.0]),
    "div_scalar": (lambda x, lib: (x * 2).div_(4.0).sum(), [0.5, 0.5]),
    "div_tensor": (lambda x, lib: (x * x).div_(x + 1).sum(), [0.75, 8.0 / 9.0]),
    "clamp_min": (lambda x, lib: ((x * 2).clamp_(min=2.5) * x).sum(), [2.5, 8.0]),
    "clamp_max": (lambda x, lib: ((x * 2).clamp_(max=3.0) * x).sum(), [4.0, 3.0]),
    "clamp_both": (lambda x, lib: ((x * 2).clamp_(2.5, 3.0) + x).sum(), [1.0, 1.0]),
    "fill_": (lambda x, lib: ((x * 2).fill_(5.0) * x).sum(), [5.0, 5.0]),
    "zero_": (lambda x, lib: ((x * 2).zero_() + x * x).sum(), [2.0, 4.0]),
    "copy_": (lambda x, lib: (x * 2).copy_(x * x).sum(), [2.0, 4.0]),
    "copy_broadcast": (lambda x, lib: (x * 2).copy_(x[1] * 3).sum(), [0.0, 6.0]),
    "uniform_": (lambda x, lib: ((x * 2).uniform_() + x).sum(), [1.0, 1.0]),
    "normal_": (lambda x, lib: ((x * 2).normal_() + x).sum(), [1.0, 1.0]),
    "chained": (lambda x, lib: (x * 2).mul_(3.0).add_(x).sub_(1.0).div_(2.0).sum(),
                [3.5, 3.5]),
}


def _setitem(x, lib):
    y = x * 2
    y[0] = x[1] * 3
    return (y * x).sum()


def _setitem_slice(x, lib):
    y = x * 2
    y[0:1] = x[0:1] * x[0:1]
    return y.sum()


# (item assignment was already recorded before; these two are controls)
CASES["setitem"] = (_setitem, [6.0, 11.0])
CASES["setitem_slice"] = (_setitem_slice, [2.0, 2.0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_inplace_on_non_leaf_is_recorded(be, case):
    fn, expected = CASES[case]
    x = _x("vq")
    fn(x, "vq").backward()
    assert x.grad is not None, f"{case}: no gradient reached x"
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12, atol=1e-12,
                               err_msg=case)


@pytest.mark.parametrize("case", sorted(CASES))
def test_inplace_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    fn, expected = CASES[case]
    x = _x("vq")
    fn(x, "vq").backward()
    tx = _x("torch")
    fn(tx, "torch").backward()
    np.testing.assert_allclose(tx.grad.numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12,
                               err_msg=case)
    del torch


def test_inplace_under_no_grad_is_invisible_to_autograd(be):
    # as in PyTorch: a write under no_grad() changes the values, not the recorded graph
    x = _x("vq")
    y = x * 2
    y.mul_(3.0)                 # recorded
    with vq.no_grad():
        y.add_(100.0)           # not recorded
    np.testing.assert_allclose(y.numpy(), [106.0, 112.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0], rtol=1e-12)


def test_inplace_into_a_constant_leaf_takes_the_gradient(be):
    # a tensor that does not require grad becomes part of the graph, as in PyTorch
    x = _x("vq")
    a = vq.zeros(2, dtype="float64")
    a.add_(x * 3)
    assert a.requires_grad and not a.is_leaf
    (a * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0], rtol=1e-12)


def test_value_used_before_the_write_keeps_its_gradient(be):
    # z saved y's old value; PyTorch refuses this backward (y was saved and then modified),
    # VQNet's arrays are never overwritten, so the old value is still there and exact.
    x = _x("vq")
    y = x * 2
    z = y * y            # 4 x^2: dz/dx = 8x
    y.mul_(3)            # y = 6x
    (z + y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [14.0, 22.0], rtol=1e-12)


def test_inplace_result_of_another_shape_is_refused(be):
    y = _x("vq") * 2
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(3, 2\), which does "
                                           r"not match this tensor's shape \(2,\)"):
        y.add_(vq.ones((3, 2), dtype="float64"))
    assert y.shape == (2,)
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(3,\) cannot be "
                                           r"broadcast to this tensor's shape \(2,\)"):
        y.copy_([1.0, 2.0, 3.0])


# ---------------------------------------------------------------- views
VIEWS = {
    "getitem": lambda a: a[0],
    "slice": lambda a: a[:, 1:],
    "reshape": lambda a: a.reshape(4),
    "view": lambda a: a.view(-1),
    "flatten": lambda a: a.flatten(),
    "unsqueeze": lambda a: a.unsqueeze(0),
    "transpose": lambda a: a.T,
    "expand": lambda a: a[0:1].expand(3, 2),
    "detach": lambda a: a.detach(),
    "data": lambda a: a.data,
    "iteration": lambda a: next(iter(a)),
}
WRITES = {
    "mul_": lambda v: v.mul_(2.0),
    "fill_": lambda v: v.fill_(0.0),
    "zero_": lambda v: v.zero_(),
    "copy_": lambda v: v.copy_(v.clone()),
    "setitem": lambda v: v.__setitem__(0, 7.0),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_inplace_write_to_a_view_is_refused(be, view, write):
    # In PyTorch these write through to `a`; here no memory is shared, so the write would
    # silently leave `a` unchanged. It is an error naming the view op instead.
    a = vq.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = VIEWS[view](a)
    op = {"getitem": "getitem", "slice": "getitem", "iteration": "getitem", "expand":
          "broadcast_to", "transpose": "permute", "detach": "detach", "data": "detach"}.get(
              view, "reshape")
    with pytest.raises(RuntimeError, match=rf"this tensor is a view made by {op}"):
        WRITES[write](v)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_chained_item_assignment_is_refused_but_copies_stay_writable(be):
    z = vq.zeros((2, 2))
    with pytest.raises(RuntimeError, match="view made by getitem"):
        z[0][1] = 5.0
    z[0, 1] = 5.0
    assert z.tolist() == [[0.0, 5.0], [0.0, 0.0]]
    a = vq.tensor([[1.0, 2.0], [3.0, 4.0]])
    c = a[[0, 1]]         # advanced indexing copies in PyTorch too
    c.mul_(2.0)
    r = a.reshape(4).clone()
    r.zero_()
    s = a[0].clone()
    s[0] = 9.0
    assert c.tolist() == [[2.0, 4.0], [6.0, 8.0]] and r.tolist() == [0.0] * 4
    assert s.tolist() == [9.0, 2.0] and a.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_view_error_says_what_to_do_instead():
    a = vq.ones(3)
    with pytest.raises(RuntimeError, match=r"no_grad\(\).*clone\(\)"):
        a.detach().mul_(2.0)


# ---------------------------------------------------------------- custom Function
def _run_two_inputs(returns):
    a = vq.tensor([2.0], requires_grad=True)
    b = vq.tensor([3.0], requires_grad=True)

    class Fn(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return returns(g, a, b)

    Fn.__name__ = Fn.__qualname__ = "MyFn"
    Fn.apply(a, b).sum().backward()
    return a, b


def test_function_backward_with_too_few_gradients_raises(be):
    with pytest.raises(RuntimeError, match=r"^MyFn\.backward returned 1 gradient, but forward "
                                           r"took 2 inputs"):
        _run_two_inputs(lambda g, a, b: g * b)
    with pytest.raises(RuntimeError, match=r"MyFn\.backward returned 1 gradient, but forward "
                                           r"took 2 inputs"):
        _run_two_inputs(lambda g, a, b: (g * b,))


def test_function_backward_with_too_many_gradients_raises(be):
    with pytest.raises(RuntimeError, match=r"MyFn\.backward returned 3 gradients, but forward "
                                           r"took 2 inputs"):
        _run_two_inputs(lambda g, a, b: (g * b, g * a, g))
    a, b = _run_two_inputs(lambda g, a, b: (g * b, g * a))
    assert a.grad.tolist() == [3.0] and b.grad.tolist() == [2.0]
    a, b = _run_two_inputs(lambda g, a, b: (g * b, None, None))  # PyTorch allows this too
    assert a.grad.tolist() == [3.0] and b.grad is None


def test_function_counts_non_tensor_inputs_too(be):
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k

    x = vq.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Scale\.backward returned 1 gradient, but forward "
                                           r"took 2 inputs"):
        Scale.apply(x, 3.0).sum().backward()


def test_function_saved_tensor_modified_in_place_raises(be):
    x = vq.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0

    class Square(Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * t * g

    out = Square.apply(y)
    y.mul_(10.0)  # backward would read the new values: 2 * 10 y instead of 2 y
    with pytest.raises(RuntimeError, match=r"saved_tensors\[0\].*modified by an in-place "
                                           r"operation: it is at version 1, expected version 0"):
        out.sum().backward()


def test_function_saved_parameter_updated_by_optimizer_raises(be):
    w = vq.tensor([1.0, 2.0], requires_grad=True)

    class Square(Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * t * g

    out = Square.apply(w)
    w.grad = vq.ones(2)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()
