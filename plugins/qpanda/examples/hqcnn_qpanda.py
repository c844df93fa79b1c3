"""The paper's Appendix C hybrid network with its quantum node written for QPanda (pyqpanda3).

Conv(1->6,5) ReLU MaxPool -> Conv(6->16,5) ReLU MaxPool -> Linear(256,64) ReLU -> Linear(64,1)
-> QPandaLayer (one qubit: H, RY(x + w), probabilities measured on a CPUQVM) -> Linear(2,2);
cross-entropy, Adam, on MNIST digits 0/1 (the sample bundled with VQNet).

    python plugins/qpanda/examples/hqcnn_qpanda.py --epochs 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pyqpanda3.core import RY, H, QProg, measure
from vqnet_qpanda import QPandaLayer

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.data import MNIST, DataLoader
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import Adam


def qprog_with_measure(input, param, qubits, cbits, machine, shots=None):
    """The paper's circuit, ported to pyqpanda3: H, RY(input + param), measure qubit 0."""
    prog = QProg(len(qubits))
    prog << H(qubits[0]) << RY(qubits[0], float(input[0] + param[0]))
    if shots is None:  # exact probabilities
        machine.run(prog, 1)
        return np.asarray(machine.result().get_prob_list([qubits[0]]))
    prog << measure([qubits[0]], [cbits[0]])
    machine.run(prog, shots)
    counts = machine.result().get_counts()
    return np.array([counts.get("0", 0), counts.get("1", 0)]) / shots


class HQCNN(nn.Module):
    def __init__(self, shots=None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2D(1, 6, (5, 5), (1, 1), "valid")
        self.conv2 = nn.Conv2D(6, 16, (5, 5), (1, 1), "valid")
        self.pool1 = nn.MaxPool2D([2, 2], [2, 2])
        self.pool2 = nn.MaxPool2D([2, 2], [2, 2])
        self.relu = nn.ReLu()
        self.fc1 = nn.Linear(256, 64)
        self.fc2 = nn.Linear(64, 1)
        self.hybrid = QPandaLayer(qprog_with_measure, para_num=1, machine_type="CPU",
                                  num_of_qubits=1, num_of_cbits=1,
                                  diff_method="parameter_shift", shots=shots)
        self.fc3 = nn.Linear(2, 2)

    def forward(self, x):
        x = self.pool1(self.relu(self.conv1(x)))
        x = self.pool2(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(vq.flatten(x, 1)))
        return self.fc3(self.hybrid(self.fc2(x).astype("float64")).astype("float32"))


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--shots", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    vq.manual_seed(args.seed)
    train, test = MNIST(train=True, digits=[0, 1]), MNIST(train=False, digits=[0, 1])
    model = HQCNN(args.shots)
    opt, loss_fn = Adam(model.parameters(), lr=args.lr), CrossEntropyLoss()
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    t0 = time.perf_counter()
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
    print(f"test accuracy {acc:.4f} after {args.epochs} epochs, "
          f"{time.perf_counter() - t0:.1f} s")
    return acc


if __name__ == "__main__":
    main()
