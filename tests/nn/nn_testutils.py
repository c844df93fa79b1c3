"""Shared helpers of the nn tests: run a VQNet function and its PyTorch twin on the same
arrays and compare outputs and input gradients."""

from __future__ import annotations

import numpy as np

import vqnet_core as vq
from vqnet_core.nn import functional as F

TOL = {"float64": dict(rtol=1e-9, atol=1e-10), "float32": dict(rtol=2e-4, atol=2e-5)}


def run_vq(fn, arrays, seed_grad, fused=True, grad_mask=None):
    """Output and input gradients (numpy) of ``fn`` applied to leaf tensors of ``arrays``."""
    mask = grad_mask or [a.dtype.kind == "f" for a in arrays]
    ts = [vq.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
    with F.use_fused(fused):
        out = fn(*ts)
        out.backward(vq.tensor(seed_grad.astype(out.dtype.name)))
    return out.numpy(), [t.grad.numpy() if m else None for t, m in zip(ts, mask)]


def run_torch(fn, arrays, seed_grad, grad_mask=None):
    import torch

    mask = grad_mask or [a.dtype.kind == "f" for a in arrays]
    ts = [torch.tensor(a, requires_grad=bool(m)) for a, m in zip(arrays, mask)]
    out = fn(*ts)
    out.backward(torch.tensor(seed_grad.astype(str(out.dtype).replace("torch.", ""))))
    return out.detach().numpy(), [t.grad.numpy() if m else None for t, m in zip(ts, mask)]


def assert_close(a, b, dtype, what=""):
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    tol = dict(TOL[dtype])
    if dtype == "float32":  # long float32 sums: absolute error scales with the magnitude
        tol["atol"] *= max(1.0, float(np.abs(b).max(initial=0.0)))
    np.testing.assert_allclose(a, b, err_msg=what, **tol)


def check_vs_torch(vq_fn, torch_fn, arrays, dtype="float64", fused_too=True, seed=0,
                   grad_mask=None):
    """ours (fused and reference) == torch, values and gradients of every float input."""
    rng = np.random.default_rng(seed)
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    t_out, t_grads = None, None
    import torch  # noqa: F401

    probe = vq_fn(*[vq.tensor(a) for a in arrays])
    g = rng.standard_normal(probe.shape).astype(dtype)
    t_out, t_grads = run_torch(torch_fn, arrays, g, grad_mask)
    results = []
    for fused in ((True, False) if fused_too else (True,)):
        out, grads = run_vq(vq_fn, arrays, g, fused, grad_mask)
        assert_close(out, t_out, dtype, f"output (fused={fused})")
        for k, (a, b) in enumerate(zip(grads, t_grads)):
            if b is not None:
                assert_close(a, b, dtype, f"grad of input {k} (fused={fused})")
        results.append((out, grads))
    if len(results) == 2:  # fused == reference, tighter than either vs torch
        (o1, g1), (o2, g2) = results
        assert_close(o1, o2, dtype, "fused vs reference output")
        for a, b in zip(g1, g2):
            if a is not None:
                assert_close(a, b, dtype, "fused vs reference grad")
