"""The paper's four appendix programs (examples/paper/), run as a user would: smoke runs on a
few images (the full runs reach the accuracies in docs/from-pyvqnet.md)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "examples" / "paper"
HAS_PQ = importlib.util.find_spec("pyqpanda") is not None
NO_PQ = "pyqpanda (QPanda's pre-3 API the paper uses) is not installed; it has wheels for " \
        "CPython 3.11 only"


def _run(script, *args, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", VQNET_PAPER_MNIST=str(tmp_path / "mnist"))
    r = subprocess.run([sys.executable, str(PAPER / script), *args], capture_output=True,
                       text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.mark.examples
def test_appendix_a_cnn(tmp_path):
    out = _run("a_cnn_mnist.py", "--limit", "128", "--epochs", "1", tmp_path=tmp_path)
    assert re.search(r"epoch 1: loss \d+\.\d+", out) and "test accuracy after 1 epochs" in out


@pytest.mark.examples
@pytest.mark.skipif(not HAS_PQ, reason=NO_PQ)
def test_appendix_b_autoencoder(tmp_path):
    out = _run("b_quantum_autoencoder.py", "--limit", "4", "--epochs", "2", tmp_path=tmp_path)
    assert re.search(r"fidelity first epoch \d\.\d+ -> last epoch \d\.\d+", out), out


@pytest.mark.examples
@pytest.mark.skipif(not HAS_PQ, reason=NO_PQ)
def test_appendix_c_hybrid(tmp_path):
    out = _run("c_hybrid_qpanda.py", "--limit", "32", "--epochs", "1", tmp_path=tmp_path)
    assert "test accuracy after 1 epochs" in out


@pytest.mark.examples
@pytest.mark.skipif(importlib.util.find_spec("vqnet_qiskit") is None
                    or importlib.util.find_spec("qiskit") is None,
                    reason="appendix D needs the Qiskit plugin (vqnet_qiskit, which provides "
                           "QiskitLayer, and qiskit-aer): python tools/install.py qiskit")
def test_appendix_d_qiskit(tmp_path):
    out = _run("d_qiskit.py", "--limit", "32", "--epochs", "1", tmp_path=tmp_path)
    assert "test accuracy after 1 epochs" in out


# ---- the appendix snippets in-process (not marked: they run with the unit tests)
def _load(name):
    sys.path.insert(0, str(PAPER))
    try:
        spec = importlib.util.spec_from_file_location(name, PAPER / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(PAPER))


def test_appendix_a_snippet_one_step():
    import numpy as np
    a = _load("a_cnn_mnist")
    model = a.CNN()
    opt = a.Adam(model.parameters(), lr=0.001)
    x = np.random.rand(4, 1, 28, 28).astype(np.float32)
    y = np.eye(10, dtype=np.int64)[[0, 1, 2, 3]]
    out = model(x)
    loss = a.SoftmaxCrossEntropy()(y, out)
    loss.backward()
    opt._step()
    assert out.shape == (4, 10) and np.isfinite(loss.item())


@pytest.mark.skipif(not HAS_PQ, reason=NO_PQ)
def test_appendix_c_snippet_hybrid_node():
    import numpy as np
    c = _load("c_hybrid_qpanda")
    net = c.Net()
    out = net(c.QTensor(np.random.rand(1, 1, 28, 28)))
    loss = c.CategoricalCrossEntropy()(np.array([[1, 0]]), out)
    loss.backward()
    assert net.fc2.weights.grad is not None and out.shape == (1, 2)


@pytest.mark.skipif(not HAS_PQ, reason=NO_PQ)
def test_appendix_b_snippet_qaelayer():
    import numpy as np
    b = _load("b_quantum_autoencoder")
    model = b.Model()
    out = model(b.QTensor(np.random.rand(1, 4)))
    b.fidelityLoss()(out).sum().backward()
    assert model.pqc.weights.grad.shape == (60,)
