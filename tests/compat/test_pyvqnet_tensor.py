"""pyvqnet's tensor surface: ``tensor.xxx`` functions, the ``QTensor`` constructor with
``nodes=``, and the extra QTensor names, run as pyvqnet's documentation writes them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.compat.pyvqnet import kfloat32, kint64
from vqnet_core.compat.pyvqnet.tensor import QTensor, tensor


def test_import_vqnet_core_does_not_import_the_compat_layer():
    code = ("import sys, vqnet_core; "
            "print(any(m.startswith('vqnet_core.compat') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_tensor_namespace_and_qtensor():
    x = QTensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3
    assert tensor.flatten(tensor.reshape(x, [3, 2]), 0).shape == (6,)
    assert tensor.sums(x).item() == 21.0
    assert tensor.sums(x, axis=1, keepdims=True).shape == (2, 1)
    assert x.sums(0).tolist() == [5.0, 7.0, 9.0]
    assert isinstance(vq.ones(2), QTensor)
    assert QTensor([1, 2]).dtype is vq.float32  # pyvqnet's default dtype for lists
    assert QTensor([1, 2], dtype=kint64).dtype is vq.int64
    assert x.astype(4).dtype is vq.int32 and x.astype(7).dtype is vq.float64


def test_nonscalar_backward_seeds_ones_for_pyvqnet_graphs_only():
    a = QTensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (a * 2).backward()
    assert a.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    b = vq.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly"):
        (b * 2).backward()


def test_graph_node_spellings():
    x = QTensor([1.0, 2.0, 3.0], requires_grad=True)
    for node in (QTensor.GraphNode, QTensor.ComputationalGraphNode):
        x.grad = None
        y = QTensor(data=x.numpy() ** 2, requires_grad=True,
                    nodes=[node(tensor=x, df=lambda g: g * 2 * x.numpy())])
        (y * 3).sum().backward()
        assert x.grad.tolist() == [6.0, 12.0, 18.0]
    # df returning a number broadcasts (the paper's df=lambda g: 1)
    x.grad = None
    y = QTensor(data=[[5.0]], requires_grad=True, nodes=[QTensor.GraphNode(x, lambda g: 1)])
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    with vq.no_grad():
        assert QTensor.NO_GRAD
    assert not QTensor.NO_GRAD


def test_missing_names_from_the_issue():
    t = QTensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    assert tensor.to_tensor(2.0).item() == 2.0
    assert tensor.randu([2, 3], 0.0, 1.0).shape == (2, 3)
    assert tensor.greater(t, 2).tolist() == [[True, False, False], [False, True, True]]
    assert tensor.less_equal(t, 1).tolist() == [[False, True, False], [True, False, False]]
    assert tensor.equal(t, 0).numpy().sum() == 1 and tensor.not_equal(t, 0).numpy().sum() == 5
    assert tensor.masked_fill(t, t > 3, -1).tolist() == [[3, 1, 2], [0, -1, -1]]
    assert tensor.topK(t, 2).tolist() == [[3, 2], [5, 4]]
    assert tensor.topK(t, 1, if_descent=False).tolist() == [[1], [0]]
    assert tensor.median(t).item() == 2.5  # pyvqnet (and NumPy) average the middle two
    assert tensor.median(t, axis=1).tolist() == [2.0, 4.0]
    assert tensor.tril(t).tolist() == [[3, 0, 0], [0, 5, 0]]
    assert tensor.triu(t).tolist() == [[3, 1, 2], [0, 5, 4]]
    assert tensor.swapaxis(t, 0, 1).shape == (3, 2)
    assert tensor.moveaxis(vq.zeros(2, 3, 4), 0, -1).shape == (3, 4, 2)
    assert tensor.nonzero(t).shape == (5, 2)
    assert tensor.scatter(vq.zeros(2, 3), 1, vq.tensor([[0], [2]]),
                          vq.tensor([[5.0], [6.0]])).tolist() == [[5, 0, 0], [0, 0, 6]]
    np.testing.assert_allclose(tensor.logspace(0, 2, 3, 10).numpy(), [1, 10, 100])
    w, v = tensor.eigh(vq.tensor([[2.0, 0.0], [0.0, 1.0]]))
    assert w.tolist() == [1.0, 2.0]
    assert not t.isGPU() and t.toCPU() is t
    with pytest.raises(RuntimeError, match="no GPU array backend"):
        t.toGPU()
    tensor.median(t, axis=1).sum().backward()  # median is differentiable
    assert t.grad.tolist() == [[0, 0, 1], [0, 0, 1]]


def test_set_random_seed_reproduces():
    from vqnet_core.compat.pyvqnet.utils import set_random_seed
    set_random_seed(3)
    a = tensor.randn([4]).tolist()
    set_random_seed(3)
    assert tensor.randn([4]).tolist() == a


def test_pyvqnet_doc_style_ops():
    # shapes as lists, dtype codes, pyvqnet's transpose(t, perm) and squeeze default
    a = QTensor(np.arange(24).reshape(2, 3, 4), dtype=kfloat32)
    assert tensor.transpose(a, [2, 0, 1]).shape == (4, 2, 3)
    assert tensor.permute(a, [1, 0, 2]).shape == (3, 2, 4)
    assert tensor.squeeze(QTensor(np.zeros((1, 3, 1)))).shape == (3,)
    assert tensor.concatenate([a, a], 1).shape == (2, 6, 4)
    assert tensor.stack([a, a], 0).shape == (2, 2, 3, 4)
    assert tensor.argmax(a, 2).shape == (2, 3)
    assert tensor.zeros([2, 2]).tolist() == [[0, 0], [0, 0]]
    assert tensor.arange(0, 4).dtype is vq.float32
