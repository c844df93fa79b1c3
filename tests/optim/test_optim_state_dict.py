"""Optimizer state_dict: torch's layout, and a mid-training round trip through save/load."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import optim
from vqnet_core.utils import load, save

OPTS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adadelta", {}),
    ("RMSProp", {"lr": 0.01, "centered": True, "momentum": 0.5}),
]


def _params(seed=0, dtype="float32"):
    r = np.random.default_rng(seed)
    return [vq.tensor(r.standard_normal((4, 3)), dtype=dtype, requires_grad=True),
            vq.tensor(r.standard_normal(3), dtype=dtype, requires_grad=True),
            vq.tensor(r.standard_normal(2) + 1j * r.standard_normal(2), dtype="complex64",
                      requires_grad=True)]


def _train(opt, params, steps, start=0):
    for k in range(start, start + steps):
        opt.zero_grad()
        loss = (params[0].sin() * (k + 1)).sum() + (params[1] * params[1]).sum() \
            + (params[2] * params[2].conj()).real.sum() * 0.5
        loss.backward()
        opt.step()


@pytest.mark.parametrize("name,kw", OPTS, ids=[n for n, _ in OPTS])
def test_round_trip_mid_training_gives_identical_updates(tmp_path, name, kw):
    ps = _params()
    opt = getattr(optim, name)(ps, **kw)
    _train(opt, ps, 3)
    path = tmp_path / "ckpt.vqnet"
    save({"params": [p.detach() for p in ps], "optim": opt.state_dict()}, path)
    _train(opt, ps, 3, start=3)

    ckpt = load(path)
    ps2 = [vq.tensor(t.numpy(), requires_grad=True) for t in ckpt["params"]]
    opt2 = getattr(optim, name)(ps2, lr=123.0)  # options come from the state dict
    opt2.load_state_dict(ckpt["optim"])
    assert opt2.param_groups[0]["lr"] == kw.get("lr", opt.defaults["lr"])
    _train(opt2, ps2, 3, start=3)
    for a, b in zip(ps, ps2):
        assert a.dtype is b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_layout_is_torchs():
    ps = _params()
    opt = optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1)
    _train(opt, ps, 1)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sorted(sd["state"][2]) == ["exp_avg", "exp_avg_sq", "step"]
    assert sd["state"][2]["exp_avg"].dtype is vq.complex64
    assert sd["param_groups"][1]["lr"] == 0.5


def test_load_state_dict_errors():
    ps = _params()
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    _train(opt, ps, 1)
    sd = opt.state_dict()
    other = optim.SGD(ps[:2], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="has 3 parameters in the loaded state dict"):
        other.load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        other.load_state_dict({"state": {}})
