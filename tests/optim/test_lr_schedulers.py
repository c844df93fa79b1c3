"""LR schedulers: the learning-rate sequences of torch.optim.lr_scheduler, and state dicts."""

from __future__ import annotations

import math

import pytest

import vqnet_core as vq
from vqnet_core import optim
from vqnet_core.optim import lr_scheduler as S

torch = pytest.importorskip("torch")
EPOCHS = 25


def _opts():
    a, b = vq.zeros(2, requires_grad=True), vq.zeros(3, requires_grad=True)
    ta, tb = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    vo = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)
    to = torch.optim.SGD([{"params": [ta]}, {"params": [tb], "lr": 0.05}], lr=0.1,
                         momentum=0.9)
    return vo, to


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),  # runs past T_max: periodic
    ("LambdaLR", {"lr_lambda": lambda e: 1.0 / (1 + e)}),
]


@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(SCHEDULERS)])
def test_lr_sequence_matches_torch(name, kw):
    vo, to = _opts()
    vs = getattr(S, name)(vo, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kw)
    for _ in range(EPOCHS):
        assert vs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in vo.param_groups] == pytest.approx(
            [g["lr"] for g in to.param_groups], rel=1e-12, abs=1e-15)
        vo.step()
        to.step()
        vs.step()
        ts.step()


def test_lambda_lr_per_group():
    vo, to = _opts()
    fs = [lambda e: 0.9 ** e, lambda e: 1.0 + e]
    vs, ts = S.LambdaLR(vo, fs), torch.optim.lr_scheduler.LambdaLR(to, fs)
    for _ in range(6):
        assert vs.get_last_lr() == pytest.approx(ts.get_last_lr())
        to.step()
        vs.step()
        ts.step()
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        S.LambdaLR(vo, fs[:1])


def test_chained_schedulers_match_torch():
    vo, to = _opts()
    v1, v2 = S.ExponentialLR(vo, 0.9), S.StepLR(vo, 3, 0.5)
    t1 = torch.optim.lr_scheduler.ExponentialLR(to, 0.9)
    t2 = torch.optim.lr_scheduler.StepLR(to, 3, 0.5)
    for _ in range(10):
        to.step()
        for s in (v1, v2, t1, t2):
            s.step()
        assert v2.get_last_lr() == pytest.approx(t2.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize("kw", [
    {},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"patience": 0, "cooldown": 2, "threshold_mode": "abs", "threshold": 0.05},
    {"patience": 1, "min_lr": [0.02, 0.001], "factor": 0.2},
], ids=["default", "max", "cooldown-abs", "min_lr"])
def test_reduce_on_plateau_matches_torch(kw):
    vo, to = _opts()
    vs = S.ReduceLROnPlateau(vo, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.81, 0.82, 0.83, 0.7, 0.7, 0.7, 0.7, 0.71,
               0.72] * 2
    for m in metrics:
        vs.step(vq.tensor(m))
        ts.step(m)
        assert vs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
        assert vs.num_bad_epochs == ts.num_bad_epochs


def test_step_with_epoch_uses_closed_form():
    vo, _ = _opts()
    s = S.StepLR(vo, step_size=3, gamma=0.5)
    s.step(7)
    assert s.get_last_lr() == pytest.approx([0.1 * 0.25, 0.05 * 0.25])
    c = S.CosineAnnealingLR(_opts()[0], T_max=10)
    c.step(5)
    assert c.get_last_lr()[0] == pytest.approx(0.05)


def test_state_dict_round_trip_continues_the_same_sequence(tmp_path):
    from vqnet_core.utils import load, save

    vo, _ = _opts()
    s = S.MultiStepLR(vo, milestones=[3, 6], gamma=0.5)
    for _ in range(4):
        s.step()
    save({"sched": s.state_dict(), "opt": vo.state_dict()}, tmp_path / "s.vqnet")
    expect = []
    for _ in range(5):
        s.step()
        expect.append(s.get_last_lr())
    vo2, _ = _opts()
    state = load(tmp_path / "s.vqnet")
    vo2.load_state_dict(state["opt"])
    s2 = S.MultiStepLR(vo2, milestones=[100])
    s2.load_state_dict(state["sched"])
    got = []
    for _ in range(5):
        s2.step()
        got.append(s2.get_last_lr())
    assert got == expect


def test_plateau_state_dict_keeps_infinite_best(tmp_path):
    from vqnet_core.utils import load, save

    s = S.ReduceLROnPlateau(_opts()[0])
    save(s.state_dict(), tmp_path / "p.vqnet")
    state = load(tmp_path / "p.vqnet")
    assert state["best"] == math.inf and state["mode"] == "min"


def test_scheduler_errors():
    vo, _ = _opts()
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(vo, step_size=0)
    with pytest.raises(ValueError, match="factor"):
        S.ReduceLROnPlateau(vo, factor=1.0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        S.ExponentialLR(object(), 0.9)
    fresh, _ = _opts()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(fresh, 2, last_epoch=3)
