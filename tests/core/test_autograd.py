"""The tape: accumulation, retain_graph, grad modes, autograd.grad, Function, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.autograd import Function, gradcheck

try:  # the oracle; absent on some CI Pythons, where only the torch-free tests run
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch as the oracle")


def f64(data, grad=True):
    return vq.tensor(data, dtype="float64", requires_grad=grad)


def test_accumulation_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.zero_grad()
    assert x.grad is None
    (x ** 3).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_retain_graph():
    x = f64([1.0, -2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        vq.tensor([1.0]).sum().backward()
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(vq.tensor([1.0, 2.0, 3.0]))
    (x * 2).backward(vq.tensor([1.0, 0.5], dtype="float64"))
    assert x.grad.tolist() == [2.0, 1.0]
    with pytest.raises(TypeError, match="float and complex"):
        vq.tensor([1, 2], requires_grad=True)


def test_detach_and_requires_grad_propagation():
    x = f64([1.0, 2.0])
    c = vq.tensor([3.0, 4.0], dtype="float64")
    y = x * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert not (c * 2).requires_grad and (c * 2).is_leaf
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), y.numpy())
    z = (d * x).sum() + y.data.sum()
    z.backward()
    assert x.grad.tolist() == [3.0, 8.0]  # d and .data are constants
    assert not (x > 1).requires_grad  # comparisons give bool, never tracked
    assert not x.argmax().requires_grad
    assert not x.long().requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


def test_no_grad_enable_grad_nesting():
    x = f64([1.0])
    assert vq.autograd.is_grad_enabled()
    with vq.no_grad():
        assert not (x * 2).requires_grad
        with vq.enable_grad():
            assert (x * 2).requires_grad
            with vq.no_grad():
                assert not (x * 2).requires_grad
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with vq.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    with pytest.raises(ValueError), vq.no_grad():
        raise ValueError("restores the mode on error")
    assert vq.autograd.is_grad_enabled()

    @vq.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    assert vq.autograd.is_grad_enabled()


def test_retain_grad_on_non_leaf():
    x = f64([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = y * y
    w = x * 2  # non-leaf without retain_grad keeps no grad
    (z.sum() + w.sum()).backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert w.grad is None and z.grad is None
    assert x.grad.tolist() == [20.0, 38.0]


def test_autograd_grad():
    x = f64([1.0, 2.0])
    y = f64([3.0])
    u = f64([5.0])
    out1 = (x * y).sum()
    out2 = (x ** 2).sum()
    gx, gy = vq.autograd.grad([out1, out2], [x, y], retain_graph=True)
    assert gx.tolist() == [5.0, 7.0] and gy.tolist() == [3.0]
    assert x.grad is None and y.grad is None  # .grad is untouched
    with pytest.raises(RuntimeError, match="allow_unused"):
        vq.autograd.grad(out1, [x, u], retain_graph=True)
    gx, gu = vq.autograd.grad(out1, [x, u], allow_unused=True, retain_graph=True)
    assert gu is None and gx.tolist() == [3.0, 3.0]
    v = x * 2
    (gv,) = vq.autograd.grad(out1 + (v * v).sum(), [v])  # a non-leaf input
    assert gv.tolist() == [4.0, 8.0]
    g, = vq.autograd.grad(x * x, [x], grad_outputs=[vq.tensor([1.0, 10.0], dtype="float64")])
    assert g.tolist() == [2.0, 40.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        vq.autograd.grad(vq.tensor([1.0]).sum(), [x])


def test_backward_of_several_outputs():
    x = f64([1.0, 2.0])
    a, b = x * 2, (x ** 2).sum()
    vq.autograd.backward([a, b], [vq.tensor([1.0, 1.0], dtype="float64"), None])
    assert x.grad.tolist() == [4.0, 6.0]
    with pytest.raises(RuntimeError, match="one-element"):
        vq.autograd.backward([x * 3])


@needs_torch
def test_diamond_and_reuse():
    x = f64([0.5, -1.5])
    a = x.sin()
    y = a * a + a.exp() * x + x  # x and a used several times
    y.sum().backward()
    t = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    ta = t.sin()
    (ta * ta + ta.exp() * t + t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    z = f64([2.0])
    (z * z * z).backward()
    assert z.grad.tolist() == [12.0]


@needs_torch
def test_complex_gradients_match_torch():
    zv = np.array([1 + 2j, -0.5 + 0.3j])
    z = vq.tensor(zv, requires_grad=True)
    t = torch.tensor(zv, requires_grad=True)
    l = (z * z.conj()).real.sum() + (z.exp() * 2j).imag.sum() + z.abs().sum()
    lt = (t * t.conj()).real.sum() + (t.exp() * 2j).imag.sum() + t.abs().sum()
    l.backward()
    lt.backward()
    np.testing.assert_allclose(z.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    # real parameter feeding a complex computation gets a real gradient
    r = f64([0.3])
    (vq.complex(r, r * 2).abs() ** 2).sum().backward()
    assert r.grad.dtype is vq.float64
    np.testing.assert_allclose(r.grad.numpy(), [10 * 0.3])


def test_inplace_semantics():
    x = f64([1.0, 2.0])
    for op in (lambda t: t.fill_(0.0), lambda t: t.zero_(), lambda t: t.add_(1.0),
               lambda t: t.mul_(2.0), lambda t: t.sub_(1.0), lambda t: t.div_(2.0),
               lambda t: t.copy_([5.0, 5.0]), lambda t: t.uniform_(),
               lambda t: t.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="in place"):
            op(x)
    with vq.no_grad():
        x.add_(vq.tensor([1.0, 1.0]), alpha=2.0)
        assert x.tolist() == [3.0, 4.0]
        x.mul_(2).sub_(1).div_(7)
        assert x.tolist() == [5 / 7, 1.0]
        x.fill_(3.0)
        assert x.tolist() == [3.0, 3.0] and x.dtype is vq.float64
        x.zero_()
        assert x.tolist() == [0.0, 0.0]
        x.copy_(vq.tensor(2.0))
        assert x.tolist() == [2.0, 2.0]
    assert x.requires_grad and x.is_leaf
    # on tensors that do not require grad, in-place ops are always fine
    c = vq.tensor([1, 2])
    c.add_(1)
    assert c.tolist() == [2, 3] and c.dtype is vq.int64


@needs_torch
def test_inplace_write_after_use_keeps_old_value_gradient():
    # y is used by z, then modified in place: z's gradient must reach the value it used
    x = f64([1.0, 2.0, 3.0])
    y = x * 2
    z = y * 3 + y.exp()
    y[0] = 10.0
    (z.sum() + (y * y).sum()).backward()
    t = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    ty = t * 2
    tz = ty * 3 + ty.exp()
    ty[0] = 10.0
    (tz.sum() + (ty * ty).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


# ---------------------------------------------------------------- Function
class Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


class SplitSumProd(Function):
    """Two outputs; records needs_input_grad."""

    seen: list = []

    @staticmethod
    def forward(ctx, a, b):
        SplitSumProd.seen.append(ctx.needs_input_grad)
        ctx.save_for_backward(a, b)
        return a + b, a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        a, b = ctx.saved_tensors
        return g_sum + g_prod * b, g_sum + g_prod * a


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * 1.01  # off by 1%


def test_user_function():
    x = f64([1.0, -2.0])
    y = Cube.apply(x, 2.0)
    assert y.requires_grad and y.grad_fn.name == "Cube"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]
    assert gradcheck(lambda t: Cube.apply(t, 0.5), [f64([0.3, 0.7])])
    with vq.no_grad():
        assert not Cube.apply(x, 1.0).requires_grad
    assert not Cube.apply(vq.tensor([1.0]), 1.0).requires_grad


def test_function_multiple_outputs_and_needs_input_grad():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], grad=False)
    SplitSumProd.seen.clear()
    s, p = SplitSumProd.apply(a, b)
    assert SplitSumProd.seen == [(True, False)]
    (s * 2 + p).sum().backward()
    assert a.grad.tolist() == [5.0, 6.0] and b.grad is None
    a.grad = None
    s, p = SplitSumProd.apply(a, b)
    p.sum().backward()  # only one output used
    assert a.grad.tolist() == [3.0, 4.0]
    b2 = f64([3.0, 4.0])
    assert gradcheck(lambda u, v: SplitSumProd.apply(u, v)[1] + SplitSumProd.apply(u, v)[0],
                     [f64([0.5, 1.5]), b2])


def test_function_errors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return 3

    with pytest.raises(TypeError, match="must return QTensors"):
        Bad.apply(f64([1.0]))

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return vq.ones(5, dtype="float64")

    with pytest.raises(ValueError, match="shape"):
        BadShape.apply(f64([1.0, 2.0])).sum().backward()


@needs_torch
def test_hybrid_layer_with_hand_written_backward():
    """The paper's style: a 'quantum' layer <Z> = cos(theta + x) computed outside the tape
    (here with NumPy, as a simulator would), with a parameter-shift backward."""

    class ExpvalZ(Function):
        @staticmethod
        def forward(ctx, x, theta):
            ctx.save_for_backward(x, theta)
            ang = x.numpy() + theta.numpy()
            return vq.tensor(np.cos(ang), dtype=x.dtype)

        @staticmethod
        def backward(ctx, g):
            x, theta = ctx.saved_tensors
            ang = x.numpy() + theta.numpy()
            shift = np.pi / 2
            d = (np.cos(ang + shift) - np.cos(ang - shift)) / 2  # parameter-shift rule
            gx = g * vq.tensor(d, dtype=x.dtype)
            return gx, gx.sum(0)

    lin_w = f64([[0.5], [-1.0]])
    theta = f64([0.2])
    data = vq.tensor([[0.1, 0.4], [1.0, -0.3], [0.0, 2.0]], dtype="float64")

    def model(w, th):
        h = data @ w  # (3, 1)
        q = ExpvalZ.apply(h, th)
        return (q * q).mean()

    assert gradcheck(model, [lin_w, theta])
    model(lin_w, theta).backward()
    tw = torch.tensor([[0.5], [-1.0]], dtype=torch.float64, requires_grad=True)
    tt = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
    q = torch.cos(torch.tensor(data.numpy()) @ tw + tt)
    (q * q).mean().backward()
    np.testing.assert_allclose(lin_w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(theta.grad.numpy(), tt.grad.numpy(), rtol=1e-10)


# ---------------------------------------------------------------- gradcheck
def test_gradcheck_passes_and_fails():
    x = f64([0.3, -0.8, 1.1])
    assert gradcheck(lambda t: (t.sin() * t.exp()).sum(), [x])
    assert gradcheck(lambda a, b: a @ b, [f64([[1.0, 2.0], [0.5, -1.0]]), f64([0.3, 0.9])])
    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        gradcheck(WrongGrad.apply, [x])
    assert gradcheck(WrongGrad.apply, [x], raise_exception=False) is False
    z = vq.tensor([0.3 + 0.2j, -1.0 + 0.5j], dtype="complex128", requires_grad=True)
    assert gradcheck(lambda t: (t * t).exp(), [z])
    assert gradcheck(lambda t: t.abs() * t.angle(), [z])

    class WrongComplex(Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * 2 * t  # missing the conjugate

    with pytest.raises(AssertionError):
        gradcheck(WrongComplex.apply, [z])
