"""Losses against torch.nn.functional: values and gradients, every reduction and option."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.backend.protocol import Capabilities
from vqnet_core.nn import loss as L

torch = pytest.importorskip("torch")
TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(1234)


def _pair(a: np.ndarray, grad: bool = True):
    """The same float64 data as a VQNet tensor and a torch tensor."""
    return (vq.tensor(a, requires_grad=grad),
            torch.tensor(a, requires_grad=grad) if a.dtype.kind == "f" else torch.tensor(a))


def _compare(vq_fn, torch_fn, arrays, grads=(0,), atol=1e-10, rtol=1e-9):
    """Evaluate both, compare values and the gradients of ``arrays[i]`` for i in grads."""
    vs, ts = [], []
    for i, a in enumerate(arrays):
        if a is None:
            vs.append(None)
            ts.append(None)
            continue
        v, t = _pair(a, grad=i in grads and a.dtype.kind == "f")
        vs.append(v)
        ts.append(t)
    out_v = vq_fn(*vs)
    out_t = torch_fn(*ts)
    np.testing.assert_allclose(out_v.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=atol)
    seed = rng.standard_normal(out_t.shape)
    out_v.backward(vq.tensor(seed))
    out_t.backward(torch.tensor(seed))
    for i in grads:
        np.testing.assert_allclose(vs[i].grad.numpy(), ts[i].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of argument {i}")


# ---------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3), (4,)])
@pytest.mark.parametrize("opts", [
    {},
    {"weight": True},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"weight": True, "ignore_index": 2, "label_smoothing": 0.1},
])
def test_cross_entropy_class_indices(reduction, shape, opts):
    c = shape[1] if len(shape) > 1 else shape[0]
    x = rng.standard_normal(shape)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, c, size=tshape)
    if "ignore_index" in opts and t.ndim:
        t.flat[0] = opts["ignore_index"]
    w = rng.uniform(0.5, 2.0, size=c) if opts.get("weight") else None
    kw = {k: v for k, v in opts.items() if k != "weight"}
    _compare(lambda a, b, ww: L.cross_entropy(a, b, weight=ww, reduction=reduction, **kw),
             lambda a, b, ww: TF.cross_entropy(a, b, weight=ww, reduction=reduction, **kw),
             [x, t, w])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
@pytest.mark.parametrize("weight,smoothing", [(False, 0.0), (True, 0.0), (True, 0.3),
                                              (False, 0.15)])
def test_cross_entropy_probability_targets(reduction, shape, weight, smoothing):
    x = rng.standard_normal(shape)
    p = rng.uniform(size=shape)
    p = p / p.sum(axis=1, keepdims=True)
    w = rng.uniform(0.5, 2.0, size=shape[1]) if weight else None
    _compare(lambda a, b, ww: L.cross_entropy(a, b, weight=ww, reduction=reduction,
                                              label_smoothing=smoothing),
             lambda a, b, ww: TF.cross_entropy(a, b, weight=ww, reduction=reduction,
                                               label_smoothing=smoothing),
             [x, p, w], grads=(0, 1))


def test_cross_entropy_module_and_paper_name():
    x = rng.standard_normal((6, 3))
    t = rng.integers(0, 3, size=6)
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert nn.CrossEntropyLoss()(vq.tensor(x), vq.tensor(t)).item() == pytest.approx(ref)
    assert nn.SoftmaxCrossEntropy()(vq.tensor(x), vq.tensor(t)).item() == pytest.approx(ref)
    onehot = np.eye(3, dtype=np.int64)[t]  # pyvqnet-style one-hot labels
    assert nn.SoftmaxCrossEntropy()(vq.tensor(x), vq.tensor(onehot)).item() == pytest.approx(ref)
    assert nn.CategoricalCrossEntropy()(vq.tensor(x), vq.tensor(onehot.astype(float))).item() \
        == pytest.approx(ref)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = vq.tensor(rng.standard_normal((2, 3)))
    t = vq.tensor([-100, -100])
    assert np.isnan(L.cross_entropy(x, t).item())
    assert L.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_cross_entropy_float32_close_to_torch():
    x = rng.standard_normal((8, 10)).astype(np.float32)
    t = rng.integers(0, 10, size=8)
    got = L.cross_entropy(vq.tensor(x), vq.tensor(t)).item()
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert got == pytest.approx(ref, rel=1e-6)


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_class_target_errors(fn):
    x = vq.tensor(rng.standard_normal((4, 3)))
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        fn(x, vq.tensor([0, 1, 3, 0]))
    with pytest.raises(IndexError, match="out of bounds"):
        fn(x, vq.tensor([0, -1, 2, 0]))
    with pytest.raises(ValueError, match="must have shape \\(4,\\)"):
        fn(x, vq.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="weight must have shape \\(3,\\)"):
        fn(x, vq.tensor([0, 1, 2, 0]), weight=vq.ones(4))
    with pytest.raises(TypeError, match="pyvqnet"):
        fn(vq.tensor([0, 1, 2, 0]), x)  # arguments swapped, pyvqnet style
    with pytest.raises(ValueError, match="reduction"):
        fn(x, vq.tensor([0, 1, 2, 0]), reduction="avg")


def test_probability_target_shape_error():
    with pytest.raises(ValueError, match="does not match input shape"):
        L.cross_entropy(vq.randn(4, 3), vq.rand(4, 2))


class _FusedBackend(NumpyBackend):
    """NumPy backend that declares the fused softmax-cross-entropy kernels (counting calls)."""

    name = "numpy-fused-sce"
    capabilities = Capabilities(kernels=frozenset(
        {"softmax_cross_entropy", "softmax_cross_entropy_backward"}))
    calls: list[str] = []

    def k_softmax_cross_entropy(self, logits, labels):
        self.calls.append("fwd")
        shifted = logits - logits.max(axis=1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=1))
        return lse - shifted[np.arange(len(labels)), labels]

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        self.calls.append("bwd")
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1.0
        return p * g[:, None]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_kernel_used_and_matches_composition(reduction):
    B = _FusedBackend()
    B.calls.clear()
    x = rng.standard_normal((6, 5))
    t = np.array([0, 4, -100, 2, 3, 1])
    xf = vq.tensor(x, requires_grad=True, backend=B)
    out = L.cross_entropy(xf, vq.tensor(t, backend=B), reduction=reduction)
    out.sum().backward()
    assert B.calls == ["fwd", "bwd"]
    xr = torch.tensor(x, requires_grad=True)
    ref = TF.cross_entropy(xr, torch.tensor(t), reduction=reduction)
    ref.sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xf.grad.numpy(), xr.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_softmax_cross_entropy_reference_compositions():
    B = vq.get_backend("numpy")
    x = rng.standard_normal((4, 3))
    t = np.array([2, 0, 1, 1])
    g = rng.standard_normal(4)
    xt = torch.tensor(x, requires_grad=True)
    per = TF.cross_entropy(xt, torch.tensor(t), reduction="none")
    per.backward(torch.tensor(g))
    np.testing.assert_allclose(L.softmax_cross_entropy_reference(B, x, t), per.detach().numpy())
    np.testing.assert_allclose(L.softmax_cross_entropy_backward_reference(B, x, t, g),
                               xt.grad.numpy(), atol=1e-14)


# ---------------------------------------------------------------- nll
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,ignore", [(False, -100), (True, -100), (True, 0)])
def test_nll_loss(reduction, weight, ignore):
    x = np.log(rng.uniform(0.05, 1.0, size=(5, 4, 2)))
    t = rng.integers(0, 4, size=(5, 2))
    t[0, 0] = 0
    w = rng.uniform(0.5, 2.0, size=4) if weight else None
    _compare(lambda a, b, ww: nn.NLLLoss(ww, ignore, reduction)(a, b),
             lambda a, b, ww: TF.nll_loss(a, b, weight=ww, ignore_index=ignore,
                                          reduction=reduction),
             [x, t, w])


# ---------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [False, True])
def test_binary_cross_entropy(reduction, weight):
    x = rng.uniform(0.01, 0.99, size=(4, 3))
    t = rng.uniform(size=(4, 3))
    w = rng.uniform(0.5, 2.0, size=(3,)) if weight else None

    def ours(a, b, ww):
        return nn.BinaryCrossEntropy(ww, reduction)(a, b)

    def theirs(a, b, ww):
        return TF.binary_cross_entropy(a, b, weight=ww, reduction=reduction)
    _compare(ours, theirs, [x, t, w], grads=(0, 1))
    # Inputs of exactly 0 and 1: the logs are clamped at -100 and the input gradient divides
    # by max(x(1-x), 1e-12), as torch does. (torch's *target* gradient is +-inf there; ours
    # is the finite derivative of the clamped forward, so it is not compared at these points.)
    x[0, 0], x[0, 1] = 0.0, 1.0
    _compare(ours, theirs, [x, t, w], grads=(0,), rtol=1e-7)


def test_binary_cross_entropy_rejects_non_probabilities():
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        L.binary_cross_entropy(vq.tensor([0.5, 1.5]), vq.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="does not match input shape"):
        L.binary_cross_entropy(vq.tensor([[0.5, 0.5]]), vq.tensor([1.0, 0.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(False, False), (True, False), (False, True),
                                               (True, True)])
def test_bce_with_logits(reduction, weight, pos_weight):
    x = rng.standard_normal((5, 3)) * 4
    x[0, 0], x[0, 1], x[0, 2] = 0.0, 200.0, -200.0  # exact zero and extreme logits
    t = rng.uniform(size=(5, 3))
    w = rng.uniform(0.5, 2.0, size=(5, 1)) if weight else None
    pw = rng.uniform(0.5, 3.0, size=(3,)) if pos_weight else None
    _compare(lambda a, b, ww, pp: nn.BCEWithLogitsLoss(ww, reduction, pp)(a, b),
             lambda a, b, ww, pp: TF.binary_cross_entropy_with_logits(
                 a, b, weight=ww, reduction=reduction, pos_weight=pp),
             [x, t, w, pw], grads=(0, 1))


# ---------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make_vq,make_torch", [
    (lambda r: nn.MSELoss(r), lambda r: torch.nn.MSELoss(reduction=r)),
    (lambda r: nn.L1Loss(r), lambda r: torch.nn.L1Loss(reduction=r)),
    (lambda r: nn.SmoothL1Loss(r), lambda r: torch.nn.SmoothL1Loss(reduction=r)),
    (lambda r: nn.SmoothL1Loss(r, beta=0.3), lambda r: torch.nn.SmoothL1Loss(reduction=r,
                                                                             beta=0.3)),
    (lambda r: nn.SmoothL1Loss(r, beta=0.0), lambda r: torch.nn.SmoothL1Loss(reduction=r,
                                                                             beta=0.0)),
    (lambda r: nn.HuberLoss(r), lambda r: torch.nn.HuberLoss(reduction=r)),
    (lambda r: nn.HuberLoss(r, delta=0.4), lambda r: torch.nn.HuberLoss(reduction=r,
                                                                        delta=0.4)),
], ids=["mse", "l1", "smoothl1", "smoothl1-beta", "smoothl1-beta0", "huber", "huber-delta"])
def test_regression_losses(reduction, make_vq, make_torch):
    x = rng.standard_normal((4, 5)) * 2
    t = rng.standard_normal((4, 5))
    x[0, 0] = t[0, 0]  # zero difference: the kink
    _compare(lambda a, b: make_vq(reduction)(a, b), lambda a, b: make_torch(reduction)(a, b),
             [x, t], grads=(0, 1))


def test_regression_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="target shape \\(4,\\) does not match input shape"):
        nn.MSELoss()(vq.randn(4, 1), vq.randn(4))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    p[0, 0] = 0.0
    p[0] /= p[0].sum()
    t = np.log(np.where(p > 0, p, 1.0)) if log_target else p
    if log_target:
        t[0, 0] = -50.0
    _compare(lambda a, b: nn.KLDivLoss(reduction, log_target)(a, b),
             lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
             [x, t], grads=(0,))


def test_gradcheck_of_composed_losses():
    x = vq.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = vq.tensor([1, 3, 0])
    assert vq.autograd.gradcheck(lambda a: L.cross_entropy(a, t, label_smoothing=0.1), [x])
    y = vq.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    p = vq.tensor(rng.uniform(size=(3, 4)))
    assert vq.autograd.gradcheck(lambda a: L.binary_cross_entropy_with_logits(a, p), [y])


def test_bad_reduction_in_module():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
