"""register_grad_ready_hook: called once per backward, after the last contribution to .grad."""

import gc

import pytest

import vqnet_core as vq
from vqnet_core.autograd import engine, register_grad_ready_hook


def test_the_hook_sees_the_final_gradient_once_per_backward():
    w = vq.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    register_grad_ready_hook(w, lambda t: seen.append(t.grad.tolist()))
    # w reaches the loss along three paths: the hook runs after all of them
    ((w * w).sum() + (w * 3).sum() + w.sum()).backward()
    assert seen == [[6.0, 8.0]]
    (w * 2).sum().backward()  # accumulates: the hook sees the sum
    assert seen == [[6.0, 8.0], [8.0, 10.0]]


def test_order_follows_the_sweep_and_remove_unregisters():
    a = vq.tensor([1.0], requires_grad=True)
    b = vq.tensor([2.0], requires_grad=True)
    order = []
    ha = register_grad_ready_hook(a, lambda t: order.append("a"))
    register_grad_ready_hook(b, lambda t: order.append("b"))
    h = a * 2         # a is used first, b last: b's gradient is final first
    (h * b).sum().backward()
    assert order == ["b", "a"]
    ha.remove()
    ha.remove()  # twice is harmless
    (a * b).sum().backward()
    assert order == ["b", "a", "b"]


def test_not_called_by_autograd_grad_and_called_for_retained_non_leaves():
    x = vq.tensor([3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    calls = []
    register_grad_ready_hook(x, lambda t: calls.append("x"))
    register_grad_ready_hook(y, lambda t: calls.append(("y", t.grad.tolist())))
    vq.autograd.grad((y * y).sum(), [x], retain_graph=True)
    assert calls == []
    (y * y).sum().backward()
    assert calls == [("y", [12.0]), "x"]


def test_the_registry_forgets_dead_tensors_and_refuses_non_callables():
    t = vq.tensor([1.0], requires_grad=True)
    key = id(t)
    register_grad_ready_hook(t, print)
    assert key in engine._GRAD_READY
    del t
    gc.collect()
    assert key not in engine._GRAD_READY
    with pytest.raises(TypeError, match="callable"):
        register_grad_ready_hook(vq.tensor([1.0], requires_grad=True), 3)
