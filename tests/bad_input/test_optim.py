"""Bad input to the optimizers, schedulers and gradient clipping.

A gradient of the wrong shape used to reshape the parameter (numpy backend), and NaN / inf
hyper-parameters were accepted and turned the parameters into NaN.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import optim
from vqnet_core.optim import lr_scheduler

OPTIMIZERS = {
    "SGD": (optim.SGD, dict(lr=0.1, momentum=0.9)),
    "Adam": (optim.Adam, dict(lr=0.1)),
    "AdamW": (optim.AdamW, dict(lr=0.1)),
    "Adamax": (optim.Adamax, dict(lr=0.1)),
    "Adagrad": (optim.Adagrad, dict(lr=0.1)),
    "Adadelta": (optim.Adadelta, dict(lr=0.1)),
    "RMSProp": (optim.RMSProp, dict(lr=0.1, momentum=0.5)),
}

# every numeric hyper-parameter of every optimizer
HYPERS = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay"],
    "Adam": ["lr", "eps", "weight_decay", "betas[0]", "betas[1]"],
    "AdamW": ["lr", "eps", "weight_decay", "betas[0]", "betas[1]"],
    "Adamax": ["lr", "eps", "weight_decay", "betas[0]", "betas[1]"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "Adadelta": ["lr", "rho", "eps", "weight_decay"],
    "RMSProp": ["lr", "alpha", "eps", "weight_decay", "momentum"],
}
CASES = [(o, h) for o, hs in HYPERS.items() for h in hs]


@pytest.fixture
def be(backend):  # the backend fixture of conftest.py, under a short name
    return backend


def _esc_shape(shape):
    return re.escape(str(tuple(shape)))


def _build(opt, hyper, value, params):
    """Optimizer ``opt`` on ``params`` with ``hyper`` (``betas[i]`` too) set to ``value``."""
    cls, kw = OPTIMIZERS[opt]
    kw = dict(kw)
    if hyper.startswith("betas"):
        betas = [0.9, 0.999]
        betas[int(hyper[6])] = value
        kw["betas"] = tuple(betas)
    else:
        kw[hyper] = value
    return cls(params, **kw)


# ---------------------------------------------------------------- gradient shape
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("pshape,gshape", [((1,), (3,)), ((3,), (1,)), ((2, 3), (3,)),
                                           ((2,), ())])
def test_gradient_of_another_shape_is_refused(be, opt, pshape, gshape):
    p = vq.ones(pshape, requires_grad=True)
    o = _build(opt, "lr", 0.1, [p])
    p.grad = vq.ones(gshape)
    with pytest.raises(ValueError, match=rf"{opt}\.step: a parameter of shape "
                                         rf"{_esc_shape(pshape)} has a gradient of shape "
                                         rf"{_esc_shape(gshape)}; they must match"):
        o.step()
    assert p.shape == pshape and p.tolist() == np.ones(pshape).tolist()


# ---------------------------------------------------------------- hyper-parameters
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float32("nan")],
                         ids=["nan", "inf", "-inf", "np.float32-nan"])
@pytest.mark.parametrize("opt,hyper", CASES, ids=[f"{o}-{h}" for o, h in CASES])
def test_non_finite_hyper_parameter_is_refused(opt, hyper, bad):
    p = vq.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=rf"^{re.escape(hyper)} must be a finite real number, "
                                         rf"got {re.escape(repr(float(bad)))}$"):
        _build(opt, hyper, bad, [p])


@pytest.mark.parametrize("opt,hyper", CASES, ids=[f"{o}-{h}" for o, h in CASES])
def test_string_hyper_parameter_names_its_type(opt, hyper):
    p = vq.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=rf"^{re.escape(hyper)} must be a finite real number, "
                                        r"got str '0\.01'$"):
        _build(opt, hyper, "0.01", [p])


def test_lr_error_message_is_exact():
    with pytest.raises(TypeError, match=r"^lr must be a finite real number, got str '0\.01'$"):
        optim.Adam([vq.ones(1, requires_grad=True)], lr="0.01")
    with pytest.raises(TypeError, match=r"lr must be a finite real number, got bool True"):
        optim.SGD([vq.ones(1, requires_grad=True)], lr=True)
    with pytest.raises(TypeError, match=r"betas must be a pair of real numbers, got float 0\.9"):
        optim.Adam([vq.ones(1, requires_grad=True)], betas=0.9)


def test_non_finite_hyper_parameter_in_a_param_group_is_refused():
    a, b = vq.ones(1, requires_grad=True), vq.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="lr must be a finite real number, got nan"):
        optim.SGD([{"params": [a]}, {"params": [b], "lr": math.nan}], lr=0.1)
    o = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="weight_decay must be a finite real number, got inf"):
        o.add_param_group({"params": [b], "weight_decay": math.inf})
    sd = o.state_dict()
    sd["param_groups"][0]["lr"] = math.nan
    with pytest.raises(ValueError, match="lr must be a finite real number, got nan"):
        o.load_state_dict(sd)
    assert o.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_numpy_scalar_hyper_parameters_are_accepted(be, opt):
    cls, kw = OPTIMIZERS[opt]
    start = np.array([1.0, -2.0], dtype=np.float32)
    results = []
    for conv in (float, np.float32, np.float64):
        p = vq.tensor(start, requires_grad=True)
        kw2 = {k: conv(v) for k, v in kw.items()}
        if "betas" in cls.__init__.__code__.co_varnames:
            kw2["betas"] = (conv(0.9), conv(0.999))
        o = cls([p], **kw2)
        assert all(type(v) is float for k, v in o.param_groups[0].items()
                   if k in ("lr", "momentum")), o.param_groups[0]
        for _ in range(3):
            o.zero_grad()
            (p * p).sum().backward()
            o.step()
        results.append(p.numpy())
    # np.float32(0.1) is not the double 0.1, so allow float32-level differences
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[2], results[0], rtol=1e-6, atol=1e-7)
    assert np.all(np.isfinite(results[0]))


# ---------------------------------------------------------------- clipping
def _with_grad(be):
    w = vq.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    return w


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
def test_clip_grad_norm_refuses_non_finite_max_norm(be, bad):
    w = _with_grad(be)
    with pytest.raises(ValueError, match=rf"max_norm must be a finite real number, got {bad}"):
        optim.clip_grad_norm_([w], max_norm=bad)
    assert w.grad.tolist() == [6.0, 8.0]


def test_clip_grad_norm_checks_max_norm_and_norm_type(be):
    w = _with_grad(be)
    with pytest.raises(ValueError, match=r"max_norm must be non-negative, got -1\.0"):
        optim.clip_grad_norm_([w], max_norm=-1.0)
    with pytest.raises(TypeError, match=r"max_norm must be a finite real number, got str '1'"):
        optim.clip_grad_norm_([w], max_norm="1")
    with pytest.raises(ValueError, match=r"norm_type must be a real number, got nan"):
        optim.clip_grad_norm_([w], 1.0, norm_type=math.nan)
    with pytest.raises(ValueError, match=r"norm_type must be positive, got 0\.0"):
        optim.clip_grad_norm_([w], 1.0, norm_type=0)
    assert w.grad.tolist() == [6.0, 8.0]
    total = optim.clip_grad_norm_([w], np.float32(5.0), norm_type=math.inf)  # inf: max-norm
    assert total.item() == 8.0
    np.testing.assert_allclose(w.grad.numpy(), [3.75, 5.0], rtol=1e-5)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.5"], ids=["nan", "inf", "str"])
def test_clip_grad_value_refuses_non_finite_clip_value(be, bad):
    w = _with_grad(be)
    err = TypeError if isinstance(bad, str) else ValueError
    got = "str '0.5'" if isinstance(bad, str) else str(bad)
    with pytest.raises(err, match=rf"clip_value must be a finite real number, got {got}"):
        optim.clip_grad_value_([w], bad)
    assert w.grad.tolist() == [6.0, 8.0]
    optim.clip_grad_value_([w], np.float64(5.0))
    assert w.grad.tolist() == [5.0, 5.0]


# ---------------------------------------------------------------- schedulers
def _opt():
    return optim.SGD([vq.ones(1, requires_grad=True)], lr=0.1)


SCHEDULERS = {
    "StepLR-gamma": lambda v: lr_scheduler.StepLR(_opt(), step_size=1, gamma=v),
    "MultiStepLR-gamma": lambda v: lr_scheduler.MultiStepLR(_opt(), [1], gamma=v),
    "ExponentialLR-gamma": lambda v: lr_scheduler.ExponentialLR(_opt(), gamma=v),
    "CosineAnnealingLR-eta_min": lambda v: lr_scheduler.CosineAnnealingLR(_opt(), 5,
                                                                          eta_min=v),
    "ReduceLROnPlateau-factor": lambda v: lr_scheduler.ReduceLROnPlateau(_opt(), factor=v),
    "ReduceLROnPlateau-min_lr": lambda v: lr_scheduler.ReduceLROnPlateau(_opt(), min_lr=v),
    "ReduceLROnPlateau-threshold": lambda v: lr_scheduler.ReduceLROnPlateau(_opt(),
                                                                            threshold=v),
    "ReduceLROnPlateau-eps": lambda v: lr_scheduler.ReduceLROnPlateau(_opt(), eps=v),
}


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("case", sorted(SCHEDULERS))
def test_scheduler_refuses_non_finite_factors(case, bad):
    name = case.split("-")[1]
    with pytest.raises(ValueError, match=rf"^{name} must be a finite real number, got {bad}$"):
        SCHEDULERS[case](bad)


def test_scheduler_refuses_a_non_finite_learning_rate_it_computed():
    o = _opt()
    s = lr_scheduler.LambdaLR(o, lambda e: 1.0 if e < 2 else math.inf)
    s.step()
    with pytest.raises(ValueError, match=r"the learning rate LambdaLR computed for "
                                         r"param_groups\[0\] must be a finite real number, "
                                         r"got inf"):
        s.step()
    assert o.param_groups[0]["lr"] == 0.1
    o = _opt()  # NumPy scalars stay fine
    s = lr_scheduler.StepLR(o, step_size=1, gamma=np.float32(0.5))
    s.step()
    assert math.isclose(o.param_groups[0]["lr"], 0.05, rel_tol=1e-7)
