"""Every optimizer against torch.optim over several steps on the same parameters and loss."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import optim
from vqnet_core.backend.numpy_backend import NumpyBackend
from vqnet_core.backend.protocol import Capabilities

torch = pytest.importorskip("torch")

STEPS = 5
CONFIGS = [
    ("SGD", "SGD", {"lr": 0.1}),
    ("SGD", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", "Adam", {"lr": 0.05}),
    ("Adam", "Adam", {"lr": 0.05, "weight_decay": 0.1, "betas": (0.8, 0.9)}),
    ("Adam", "Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", "Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.05, "eps": 1e-3}),
    ("AdamW", "AdamW", {"lr": 0.05}),
    ("AdamW", "AdamW", {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}),
    ("Adamax", "Adamax", {"lr": 0.05}),
    ("Adamax", "Adamax", {"lr": 0.05, "weight_decay": 0.1, "betas": (0.7, 0.95)}),
    ("Adagrad", "Adagrad", {"lr": 0.1}),
    ("Adagrad", "Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1,
                            "initial_accumulator_value": 0.5}),
    ("Adadelta", "Adadelta", {}),
    ("Adadelta", "Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("RMSProp", "RMSprop", {}),
    ("RMSProp", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", "RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSProp", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5,
                            "weight_decay": 0.1, "alpha": 0.9}),
]
IDS = [f"{a}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for a, _, kw in CONFIGS]


def _init(dtype=np.float64, complex_=False, seed=0):
    r = np.random.default_rng(seed)
    shapes = [(3, 4), (5,)]
    arrs = [r.standard_normal(s) for s in shapes]
    if complex_:
        arrs = [a + 1j * r.standard_normal(a.shape) for a in arrs]
    consts = [r.standard_normal(s) for s in shapes]
    if complex_:
        dtype = np.complex128
    return [a.astype(dtype) for a in arrs], consts


def _vq_loss(params, consts):
    total = None
    for p, c in zip(params, consts):
        if p.dtype.kind == "c":
            term = ((p * p.conj()).real * vq.tensor(c) + p.real.sin()).sum()
        else:
            term = (p.sin() * vq.tensor(c) + p * p).sum()
        total = term if total is None else total + term
    return total


def _torch_loss(params, consts):
    total = 0
    for p, c in zip(params, consts):
        if p.is_complex():
            total = total + ((p * p.conj()).real * torch.tensor(c) + p.real.sin()).sum()
        else:
            total = total + (p.sin() * torch.tensor(c) + p * p).sum()
    return total


def _run_both(vq_cls, torch_cls, kw, steps=STEPS, dtype=np.float64, complex_=False):
    arrs, consts = _init(dtype, complex_)
    vp = [vq.tensor(a, requires_grad=True) for a in arrs]
    tp = [torch.tensor(a, requires_grad=True) for a in arrs]
    vo = getattr(optim, vq_cls)(vp, **kw)
    to = getattr(torch.optim, torch_cls)(tp, **kw)
    for _ in range(steps):
        vo.zero_grad()
        _vq_loss(vp, consts).backward()
        vo.step()
        to.zero_grad()
        _torch_loss(tp, consts).backward()
        to.step()
    return vp, tp, vo, to


@pytest.mark.parametrize("vq_cls,torch_cls,kw", CONFIGS, ids=IDS)
def test_matches_torch(vq_cls, torch_cls, kw):
    vp, tp, vo, to = _run_both(vq_cls, torch_cls, kw)
    for a, b in zip(vp, tp):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)
    # same state layout as torch: the same state entries for every parameter
    vs, ts = vo.state_dict(), to.state_dict()
    assert sorted(vs["state"]) == sorted(ts["state"])
    for i in ts["state"]:
        assert set(vs["state"][i]) == set(ts["state"][i])
        for k, v in ts["state"][i].items():
            if k == "step":
                assert vs["state"][i][k] == int(v)
            else:
                np.testing.assert_allclose(vs["state"][i][k].numpy(), v.numpy(), rtol=1e-12,
                                           atol=1e-13)
    assert set(vs["param_groups"][0]) <= set(ts["param_groups"][0])


@pytest.mark.parametrize("vq_cls,torch_cls,kw", [
    ("SGD", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", "Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", "AdamW", {"lr": 0.05}),
    ("Adamax", "Adamax", {"lr": 0.05}),
    ("Adagrad", "Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adadelta", "Adadelta", {"lr": 0.5}),
    ("RMSProp", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_complex_parameters_match_torch(vq_cls, torch_cls, kw):
    vp, tp, _, _ = _run_both(vq_cls, torch_cls, kw, steps=3, complex_=True)
    for a, b in zip(vp, tp):
        assert a.dtype is vq.complex128
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_float32_keeps_dtype_and_matches_torch():
    vp, tp, _, _ = _run_both("Adam", "Adam", {"lr": 0.05, "amsgrad": True},
                             dtype=np.float32)
    for a, b in zip(vp, tp):
        assert a.dtype is vq.float32
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=2e-5, atol=1e-6)


def test_param_groups_and_add_param_group_match_torch():
    arrs, consts = _init()
    vp = [vq.tensor(a, requires_grad=True) for a in arrs]
    tp = [torch.tensor(a, requires_grad=True) for a in arrs]
    vo = optim.Adam([{"params": [vp[0]], "lr": 0.1}], lr=0.01)
    to = torch.optim.Adam([{"params": [tp[0]], "lr": 0.1}], lr=0.01)
    vo.add_param_group({"params": vp[1], "betas": (0.5, 0.6)})
    to.add_param_group({"params": tp[1], "betas": (0.5, 0.6)})
    assert [g["lr"] for g in vo.param_groups] == [0.1, 0.01]
    for _ in range(3):
        for o, params, loss in ((vo, vp, _vq_loss), (to, tp, _torch_loss)):
            o.zero_grad()
            loss(params, consts).backward()
            o.step()
    for a, b in zip(vp, tp):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)


def test_parameters_without_grad_are_skipped_and_data_is_never_mutated():
    a = vq.tensor([1.0, 2.0], requires_grad=True)
    b = vq.tensor([3.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    old = a._data
    old_copy = old.copy()
    (a * a).sum().backward()
    opt.step()
    assert b.tolist() == [3.0] and b not in opt.state
    assert a._data is not old and np.array_equal(old, old_copy)  # a new array was assigned
    assert a.tolist() == [0.0, 0.0]


def test_closure_and_zero_grad():
    w = vq.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == pytest.approx(1.6)
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0]
    opt.zero_grad()
    assert w.grad is None


def test_bad_arguments_raise_clear_errors():
    w = vq.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate"):
        optim.Adam([w], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="float or complex"):
        optim.SGD([vq.tensor([1, 2])], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


class _KernelBackend(NumpyBackend):
    """NumPy backend declaring the fused optimizer kernels; records their use."""

    name = "numpy-optim-kernels"
    capabilities = Capabilities(kernels=frozenset({"sgd_step", "adam_step"}))
    calls: list[str] = []

    def k_sgd_step(self, p, g, *args):
        self.calls.append("sgd")
        return optim.sgd_step_reference(NumpyBackend(), p, g, *args)

    def k_adam_step(self, p, g, *args):
        self.calls.append("adam")
        return optim.adam_step_reference(NumpyBackend(), p, g, *args)


@pytest.mark.parametrize("cls,kw,kernel", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "sgd"),
    ("Adam", {"lr": 0.05, "amsgrad": True}, "adam"),
    ("AdamW", {"lr": 0.05}, "adam"),
])
def test_fused_kernels_are_used_when_declared(cls, kw, kernel):
    B = _KernelBackend()
    B.calls.clear()
    arrs, consts = _init()
    fused = [vq.tensor(a, requires_grad=True, backend=B) for a in arrs]
    plain = [vq.tensor(a, requires_grad=True) for a in arrs]
    of, op = getattr(optim, cls)(fused, **kw), getattr(optim, cls)(plain, **kw)
    for _ in range(3):
        for o, params in ((of, fused), (op, plain)):
            o.zero_grad()
            total = None
            for p, c in zip(params, consts):
                t = (p.sin() * vq.tensor(c, backend=p._b) + p * p).sum()
                total = t if total is None else total + t
            total.backward()
            o.step()
    assert B.calls == [kernel] * 6
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
