"""A small model trained end to end with the backend active: plain QTensor ops + autograd."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq

from ..compare import rng_for


def _blobs(n=200):
    """XOR quadrants with a margin: separable by a 2-layer MLP, not by a line."""
    rng = rng_for("blobs")
    x = rng.uniform(0.15, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x.astype(np.float32), y


def _accuracy(logits, y):
    return float(np.mean((logits.numpy().reshape(-1) > 0) == (y == 1)))


def _train(model, params, X, Y, steps=300, lr=0.5):
    """Full-batch SGD of the logistic loss of ``model(X)`` against 0/1 targets ``Y``;
    returns the first and the last loss."""
    first = None
    for _ in range(steps):
        logits = model(X)
        # logistic loss log(1 + e^z) - y z, written stably with logsumexp over [0, z]
        z2 = vq.concatenate([vq.zeros_like(logits), logits], 1)
        loss = (vq.logsumexp(z2, 1, keepdims=True) - Y * logits).mean()
        first = float(loss.item()) if first is None else first
        for p in params:
            p.grad = None
        loss.backward()
        with vq.no_grad():
            for p in params:
                p.sub_(p.grad * lr)
    return first, float(loss.item())


def test_mlp_trains_with_manual_sgd(vqnet_backend):
    """A 2-16-1 tanh MLP with a logistic loss, full-batch SGD: >= 95% training accuracy."""
    x, y = _blobs()
    rng = rng_for("init")
    X = vq.tensor(x)
    Y = vq.tensor(y.astype(np.float32).reshape(-1, 1))
    w1 = vq.tensor(rng.normal(0, 1.0, (2, 16)).astype(np.float32), requires_grad=True)
    b1 = vq.zeros(16, requires_grad=True)
    w2 = vq.tensor(rng.normal(0, 0.25, (16, 1)).astype(np.float32), requires_grad=True)
    b2 = vq.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]

    def mlp(X):
        return vq.tanh(X @ w1 + b1) @ w2 + b2

    first, last = _train(mlp, params, X, Y)
    acc = _accuracy(mlp(X), y)
    assert last < 0.5 * first, f"loss went from {first} to {last}"
    assert acc >= 0.95, f"training accuracy {acc:.3f} < 0.95 on backend {vqnet_backend.name!r}"


def test_linear_layer_trains(vqnet_backend):
    """The same with ``vqnet_core.nn.Linear`` layers, when the nn package provides them."""
    nn = pytest.importorskip("vqnet_core.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("vqnet_core.nn.Linear is not available")
    x, y = _blobs()
    vq.manual_seed(3)
    l1, l2 = nn.Linear(2, 16), nn.Linear(16, 1)
    params = list(l1.parameters()) + list(l2.parameters())
    X = vq.tensor(x)
    Y = vq.tensor(y.astype(np.float32).reshape(-1, 1))
    _train(lambda X: l2(vq.tanh(l1(X))), params, X, Y)
    acc = _accuracy(l2(vq.tanh(l1(X))), y)
    assert acc >= 0.95, f"training accuracy {acc:.3f} < 0.95 with nn.Linear"
