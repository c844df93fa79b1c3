"""The loss argument order: pyvqnet's names take (target, output); the core's take torch's
(input, target); an evidently swapped call to either raises instead of computing."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.compat.pyvqnet import kfloat32, kint64
from vqnet_core.compat.pyvqnet.nn import loss as pl
from vqnet_core.compat.pyvqnet.tensor import QTensor
from vqnet_core.nn import LossArgumentOrderError

torch = pytest.importorskip("torch")


# ---- pyvqnet's documented loss examples, in pyvqnet's order (values from pyvqnet 2.18.1)
def test_pyvqnet_bce_example():
    x = QTensor([[0.3, 0.7, 0.2], [0.2, 0.3, 0.1]], requires_grad=True)
    y = QTensor([[0.0, 1.0, 0], [0.0, 0, 1]], requires_grad=False)
    result = pl.BinaryCrossEntropy()(y, x)
    result.backward()
    assert result.item() == pytest.approx(0.6364828, rel=1e-6)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tx, torch.tensor(y.numpy())).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("cls", [pl.CategoricalCrossEntropy, pl.SoftmaxCrossEntropy])
def test_pyvqnet_softmax_ce_examples(cls):
    x = QTensor([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], requires_grad=True,
                dtype=kfloat32)
    y = QTensor([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]], requires_grad=False,
                dtype=kint64)
    result = cls()(y, x)
    result.backward()
    assert result.item() == pytest.approx(3.7852478, rel=1e-6)


def _nll_example():
    x = QTensor([0.9476322568516703, 0.226547421131723, 0.5944201443911326,
                 0.42830868492969476, 0.76414068655387, 0.00286059168094277,
                 0.3574236812873617, 0.9096948856639084, 0.4560809854582528,
                 0.9818027091583286, 0.8673569904602182, 0.9860275114020933,
                 0.9232667066664217, 0.303693313961628, 0.8461034903175555])
    x = x.reshape([1, 3, 1, 5])
    x.requires_grad = True
    y = QTensor([[[2, 1, 0, 0, 2]]], dtype=kint64)
    return x, y


def test_pyvqnet_nll_and_cross_entropy_examples():
    x, y = _nll_example()
    assert pl.NLL_Loss()(y, x).item() == pytest.approx(-0.6187226, rel=1e-6)
    assert pl.CrossEntropyLoss()(y, x).item() == pytest.approx(1.1508201, rel=1e-6)


def test_pyvqnet_mse_example():
    target = QTensor([[0, 0, 1, 0, 0, 0, 0, 0, 0, 0]], requires_grad=False)
    output = QTensor([[0.1, 0.05, 0.7, 0, 0.05, 0.1, 0, 0, 0, 0]], requires_grad=True)
    result = pl.MeanSquaredError()(target, output)
    result.backward()
    assert result.item() == pytest.approx(0.0115, rel=1e-5)


# ---- the issue's silent failures: now errors that name the expected order
def test_core_bce_swapped_raises():
    label = vq.tensor([[0.0, 1.0, 0], [0.0, 0, 1]])
    result = vq.tensor([[0.3, 0.7, 0.2], [0.2, 0.3, 0.1]], requires_grad=True)
    assert nn.BinaryCrossEntropy()(result, label).item() == pytest.approx(0.6364828, rel=1e-6)
    with pytest.raises(LossArgumentOrderError, match=r"loss\(input/output, target\).*pyvqnet"):
        nn.BinaryCrossEntropy()(label, result)
    with pytest.raises(LossArgumentOrderError):
        nn.functional.binary_cross_entropy(label, result) if hasattr(
            nn.functional, "binary_cross_entropy") else nn.loss.binary_cross_entropy(label,
                                                                                    result)


@pytest.mark.parametrize("name", ["SoftmaxCrossEntropy", "CategoricalCrossEntropy",
                                  "CrossEntropyLoss"])
def test_core_ce_swapped_onehot_raises(name):
    y = vq.tensor(np.eye(10, dtype=np.float32)[[1, 2, 3]])
    out = vq.randn(3, 10, requires_grad=True) * 3
    with pytest.raises(LossArgumentOrderError, match="did you pass"):
        getattr(nn, name)()(y, out)
    with pytest.raises(LossArgumentOrderError):  # softmax outputs in [0, 1] as the target
        getattr(nn, name)()(y, out.softmax(1))
    with pytest.raises(LossArgumentOrderError):  # integer one-hot / class labels first
        getattr(nn, name)()(vq.tensor([1, 2, 3]), out)
    assert np.isfinite(getattr(nn, name)()(out, y).item())


def test_core_nll_bcelogits_kl_swapped_raise():
    logp = vq.randn(4, 3).log_softmax(1)
    with pytest.raises(LossArgumentOrderError):
        nn.NLLLoss()(vq.tensor([0, 1, 2, 0]), logp)
    logits = vq.randn(4, 3, requires_grad=True) * 4
    y = vq.tensor((np.arange(12).reshape(4, 3) % 2).astype(np.float32))
    with pytest.raises(LossArgumentOrderError):
        nn.BCEWithLogitsLoss()(y, logits)
    p = vq.tensor([[0.25, 0.75]])
    with pytest.raises(LossArgumentOrderError):
        nn.KLDivLoss()(p, p.log())


def test_compat_torch_order_raises_and_says_target_first():
    label = QTensor([[0.0, 1.0, 0], [0.0, 0, 1]])
    result = QTensor([[0.3, 0.7, 0.2], [0.2, 0.3, 0.1]], requires_grad=True)
    with pytest.raises(LossArgumentOrderError, match=r"loss\(target, output\)"):
        pl.BinaryCrossEntropy()(result, label)
    y = QTensor(np.eye(3)[[0, 1]], dtype=kint64)
    out = vq.randn(2, 3, requires_grad=True)
    with pytest.raises(LossArgumentOrderError, match="vqnet_core.nn.CrossEntropyLoss"):
        pl.SoftmaxCrossEntropy()(out, y)


def test_issue_cnn_case_paper_order_gives_the_right_loss():
    """The paper's loss_func(y, output) with one-hot labels: pyvqnet's name gives torch's
    cross-entropy; the core's name refuses the call."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((16, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    y = np.eye(10)[labels].astype(np.int64)
    out = vq.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    assert pl.SoftmaxCrossEntropy()(y, out).item() == pytest.approx(ref, rel=1e-5)
    with pytest.raises(LossArgumentOrderError):
        nn.SoftmaxCrossEntropy()(y.astype(np.float32), out)


def test_symmetric_losses_need_no_order():
    a, b = vq.randn(3, 2, requires_grad=True), vq.randn(3, 2)
    assert nn.MSELoss()(a, b).item() == pytest.approx(nn.MSELoss()(b, a).item())
