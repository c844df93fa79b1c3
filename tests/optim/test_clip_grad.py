"""clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core import utils
from vqnet_core.optim import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")


def _grads(scale):
    r = np.random.default_rng(3)
    gs = [r.standard_normal((3, 4)) * scale, r.standard_normal(5) * scale]
    vp, tp = [], []
    for g in gs:
        v = vq.tensor(np.zeros_like(g), requires_grad=True)
        v.grad = vq.tensor(g)
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g)
        vp.append(v)
        tp.append(t)
    return vp, tp


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 10.0)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, scale):
    vp, tp = _grads(scale)
    old = [p.grad._data for p in vp]
    n = clip_grad_norm_(vp, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    assert n.item() == pytest.approx(tn.item(), rel=1e-12)
    for v, t, o in zip(vp, tp, old):
        np.testing.assert_allclose(v.grad.numpy(), t.grad.numpy(), rtol=1e-12)
        assert v.grad._data is not o  # a new array, the old one untouched


def test_clip_grad_value_matches_torch_and_is_reexported():
    vp, tp = _grads(2.0)
    utils.clip_grad_value_(vp, 0.7)
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for v, t in zip(vp, tp):
        np.testing.assert_array_equal(v.grad.numpy(), t.grad.numpy())
    assert utils.clip_grad_norm_ is clip_grad_norm_


def test_clip_errors_and_edge_cases():
    vp, _ = _grads(1.0)
    vp[0].grad = vq.tensor(np.full((3, 4), np.inf))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(vp, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="non-negative"):
        clip_grad_value_(vp, -1.0)
    assert clip_grad_norm_([vq.zeros(2, requires_grad=True)], 1.0).item() == 0.0
