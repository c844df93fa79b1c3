"""The plugin as a VQNet backend: registration, threads, zero-copy storage, training."""

from __future__ import annotations

import numpy as np
import pytest
import vqnet_cpu

import vqnet_core as vq


def test_registered_as_cpu_entry_point():
    from vqnet_core.backend import available_backends

    assert "cpu" in available_backends()
    B = vq.get_backend("cpu")
    assert isinstance(B, vqnet_cpu.CpuBackend) and B.name == "cpu"
    assert {"conv2d", "max_pool2d", "sgd_step", "adam_step"} <= B.capabilities.kernels


def test_num_threads_roundtrip():
    old = vqnet_cpu.get_num_threads()
    try:
        vqnet_cpu.set_num_threads(1)
        assert vqnet_cpu.get_num_threads() == 1
        x = np.random.default_rng(0).standard_normal(100_000)
        np.testing.assert_allclose(vq.get_backend("cpu").unary("exp", x), np.exp(x))
    finally:
        vqnet_cpu.set_num_threads(old)


def test_numpy_interchange_is_zero_copy():
    B = vq.get_backend("cpu")
    a = np.arange(6.0).reshape(2, 3)
    assert np.shares_memory(B.from_numpy(a), a)
    assert np.shares_memory(B.to_numpy(B.from_numpy(a)), a)


def test_python_scalars_keep_the_array_dtype():
    B = vq.get_backend("cpu")
    out = B.binary("mul", np.ones(3, np.float32), 2.5)
    assert out.dtype == np.float32 and out.tolist() == [2.5] * 3
    assert B.binary("lt", 1.0, np.arange(3, dtype=np.float32)).tolist() == [False, False, True]


def test_small_cnn_trains_and_matches_numpy_backend():
    """Two Adam steps of conv -> relu -> maxpool -> linear + cross-entropy: the cpu backend's
    losses and parameters track the NumPy backend's (every fused kernel on the path)."""
    from vqnet_core import nn
    from vqnet_core.nn.loss import cross_entropy
    from vqnet_core.optim import Adam

    rng = np.random.default_rng(0)
    xs = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    ys = rng.integers(0, 3, 8)
    results = {}
    for name in ("cpu", "numpy"):
        with vq.backend(name):
            conv, fc = nn.Conv2d(1, 4, 3), nn.Linear(4 * 3 * 3, 3)
            if name == "cpu":
                state = (conv.state_dict(), fc.state_dict())
            else:
                conv.load_state_dict(state[0])
                fc.load_state_dict(state[1])
            opt = Adam(list(conv.parameters()) + list(fc.parameters()), lr=1e-2)
            losses = []
            for _ in range(3):
                opt.zero_grad()
                h = nn.functional.max_pool2d(nn.functional.relu(conv(vq.tensor(xs))), 2)
                loss = cross_entropy(fc(h.reshape(8, -1)), vq.tensor(ys))
                loss.backward()
                opt.step()
                losses.append(loss.item())
            results[name] = (losses, conv.weight.numpy().copy())
    np.testing.assert_allclose(results["cpu"][0], results["numpy"][0], rtol=1e-4)
    np.testing.assert_allclose(results["cpu"][1], results["numpy"][1], rtol=1e-4, atol=1e-5)
    assert results["cpu"][0][-1] < results["cpu"][0][0]


def test_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    from vqnet_core.nn import functional as F

    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s) for s in ((2, 3, 9, 7), (4, 3, 3, 2), (4,)))
    with vq.backend("cpu"):
        tx, tw, tb = (vq.tensor(a, dtype="float64", requires_grad=True) for a in (x, w, b))
        out = F.conv2d(tx, tw, tb, stride=(2, 1), padding=1)
        out.sum().backward()
    rx, rw, rb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(rx, rw, rb, stride=(2, 1), padding=1)
    ref.sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in ((tx, rx), (tw, rw), (tb, rb)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
