"""A circuit written in Qiskit (a Z feature map and RealAmplitudes from qiskit.circuit.library),
converted once to VQNet's IR and trained on VQNet's built-in statevector machine with adjoint
gradients, inside a VQNet model (QiskitLayer -> Linear), on a two-class 2-D dataset.

    python plugins/qiskit/examples/train_imported_circuit.py [--epochs 30] [--machine qiskit.aer]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit.circuit.library import real_amplitudes, z_feature_map
from vqnet_qiskit import QiskitLayer

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import Adam


def dataset(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric classes in [0, pi]^2: inside / outside a circle."""
    x = rng.uniform(0, np.pi, (n, 2))
    y = (np.linalg.norm(x - np.pi / 2, axis=1) > 0.9).astype(np.int64)
    return x, y


class Model(nn.Module):
    def __init__(self, machine: str) -> None:
        super().__init__()
        fm, ansatz = z_feature_map(2, reps=2), real_amplitudes(2, reps=3)
        qc = fm.compose(ansatz)
        self.q = QiskitLayer(qc, inputs=fm.parameters, weights=ansatz.parameters,
                             observables=["ZI", "IZ", "ZZ"], machine=machine)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(self.q(x))


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--machine", default="statevector")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args(argv)
    vq.manual_seed(0)
    rng = np.random.default_rng(0)
    xtr, ytr = dataset(256, rng)
    xte, yte = dataset(256, rng)
    model = Model(args.machine)
    print(model.q.foreign.circuit.draw())
    opt = Adam(model.parameters(), lr=0.05)
    loss_fn = CrossEntropyLoss()
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(xtr))
        for i in range(0, len(xtr), args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(vq.tensor(xtr[idx])), vq.tensor(ytr[idx]))
            loss.backward()
            opt.step()
        if epoch % 10 == 0 or epoch == args.epochs:
            print(f"epoch {epoch}: loss {float(loss.numpy()):.4f}", flush=True)
    model.eval()
    with vq.no_grad():
        acc = float((model(vq.tensor(xte)).numpy().argmax(1) == yte).mean())
    print(f"test accuracy {acc:.4f} ({len(xte)} points, machine {args.machine!r}, "
          f"{time.perf_counter() - t0:.1f} s)")
    return acc


if __name__ == "__main__":
    main()
