"""The paper's Appendix C hybrid network with its quantum node written in Cirq.

Conv(1->6,5) ReLU MaxPool -> Conv(6->16,5) ReLU MaxPool -> Linear(256,64) ReLU -> Linear(64,1)
-> a one-qubit Cirq circuit (H, RY(x), RY(w), probabilities) -> Linear(2,2); cross-entropy,
Adam, on MNIST digits 0/1 (the sample bundled with VQNet). The quantum node is either

* ``--layer converted`` (default): a ``cirq.Circuit`` with sympy symbols ``x`` (input) and
  ``w`` (weight) converted once by :class:`vqnet_cirq.CirqQuantumLayer` and run on a VQNet
  machine (``--machine statevector``: adjoint gradients; or ``cirq.simulator``, ``cirq.qsim``),
* ``--layer cirqlayer``: pyvqnet's :class:`vqnet_cirq.CirqLayer`, a user object whose ``run``
  simulates the circuit with ``cirq.Simulator`` (a black box; parameter-shift gradients).

    python plugins/cirq/examples/hqcnn_cirq.py --epochs 5
    python plugins/cirq/examples/hqcnn_cirq.py --layer cirqlayer --epochs 5
"""

from __future__ import annotations

import argparse
import time

import cirq
import numpy as np
import sympy
from vqnet_cirq import CirqLayer, CirqQuantumLayer

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.data import MNIST, DataLoader
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import Adam

X, W = sympy.symbols("x w")
Q = cirq.LineQubit(0)
CIRCUIT = cirq.Circuit(cirq.H(Q), cirq.ry(X)(Q), cirq.ry(W)(Q))


class QCircuit:
    """pyvqnet's cirq_vqc: the circuit and ``run(thetas)`` -> the probabilities of |0>, |1>."""

    def __init__(self) -> None:
        self.circuit = CIRCUIT
        self.simulator = cirq.Simulator(dtype=np.complex128)

    def run(self, thetas: np.ndarray) -> np.ndarray:
        res = self.simulator.simulate(self.circuit, {X: float(thetas[0]), W: float(thetas[1])})
        return np.abs(res.final_state_vector) ** 2


class HQCNN(nn.Module):
    def __init__(self, layer: str = "converted", machine: str = "statevector") -> None:
        super().__init__()
        self.conv1 = nn.Conv2D(1, 6, (5, 5), (1, 1), "valid")
        self.conv2 = nn.Conv2D(6, 16, (5, 5), (1, 1), "valid")
        self.pool1 = nn.MaxPool2D([2, 2], [2, 2])
        self.pool2 = nn.MaxPool2D([2, 2], [2, 2])
        self.relu = nn.ReLu()
        self.fc1 = nn.Linear(256, 64)
        self.fc2 = nn.Linear(64, 1)
        if layer == "cirqlayer":
            self.hybrid = CirqLayer(QCircuit(), para_num=1)
        else:  # no observables: the probabilities of the qubit
            self.hybrid = CirqQuantumLayer(CIRCUIT, inputs=[X], weights=[W], machine=machine)
        self.fc3 = nn.Linear(2, 2)

    def forward(self, x):
        x = self.pool1(self.relu(self.conv1(x)))
        x = self.pool2(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(vq.flatten(x, 1)))
        return self.fc3(self.hybrid(self.fc2(x).astype("float64")).astype("float32"))


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layer", choices=["converted", "cirqlayer"], default="converted")
    ap.add_argument("--machine", default="statevector")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=None, help="train on this many images")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    vq.manual_seed(args.seed)
    train, test = MNIST(train=True, digits=[0, 1]), MNIST(train=False, digits=[0, 1])
    if args.limit:
        from vqnet_core.data import Subset
        train = Subset(train, list(range(min(args.limit, len(train)))))
    model = HQCNN(args.layer, args.machine)
    print(CIRCUIT)
    opt, loss_fn = Adam(model.parameters(), lr=args.lr), CrossEntropyLoss()
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    t0 = time.perf_counter()
    acc = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        seen = correct = 0
        for x, y in loader:
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            seen += y.shape[0]
            correct += int((out.argmax(1) == y).sum())
        model.eval()
        hit = total = 0
        with vq.no_grad():
            for x, y in DataLoader(test, batch_size=256):
                hit += int((model(x).argmax(1) == y).sum())
                total += y.shape[0]
        acc = hit / total
        print(f"epoch {epoch}: train accuracy {correct / seen:.4f}  test accuracy {acc:.4f}  "
              f"({time.perf_counter() - t0:.1f} s)")
    print(f"test accuracy {acc:.4f} after {args.epochs} epochs ({args.layer}"
          f"{'' if args.layer == 'cirqlayer' else ' on ' + args.machine}), "
          f"{time.perf_counter() - t0:.1f} s")
    return acc


if __name__ == "__main__":
    main()
