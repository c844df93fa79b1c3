"""The paper's hybrid quantum-classical CNN (HQCNN) on MNIST 0/1 (VQNet 2.0, Appendix C; W1).

Conv2D(1->6, 5x5) -> ReLU -> MaxPool 2x2 -> Conv2D(6->16, 5x5) -> ReLU -> MaxPool 2x2
-> flatten (256) -> Linear(256->64) -> ReLU -> Linear(64->1) -> a one-qubit circuit
H, RY(x), <Z> (a QuantumLayer) -> Linear(1->2); cross-entropy and Adam (lr 1e-3) on the digits
0 and 1 of the 5k MNIST sample shipped with VQNet (783 train / 217 test images).

    python examples/hqcnn_mnist.py                         # 20 epochs, batch 32: >= 99% on test
    python examples/hqcnn_mnist.py --batch-size 1          # the paper's protocol (slower)
    python examples/hqcnn_mnist.py --limit 64 --epochs 1   # a smoke run

Prints the circuit, the loss and accuracy of every epoch and the test accuracy, and saves a plot
of the training curves to ``--out`` (default ``./runs/``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.data import MNIST, DataLoader, Subset
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import Adam
from vqnet_core.qnn import QuantumLayer
from vqnet_core.utils import plot_history, progress


def hqcnn_circuit(q: Any, x: vq.QTensor, w: Any) -> None:
    """The paper's one-qubit circuit: H, then RY by the classical feature, then <Z>."""
    q.h(0)
    q.ry(0, x[:, 0])
    q.expval({"Z0": 1.0})


class HQCNN(nn.Module):
    """The hybrid network of the paper's Appendix C. ``quantum`` may replace the quantum layer
    (``hqcnn_noisy.py`` passes a NoiseQuantumLayer)."""

    def __init__(self, quantum: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5),
                               stride=(1, 1), padding="valid")
        self.relu1 = nn.ReLu()
        self.pool1 = nn.MaxPool2D([2, 2], [2, 2])
        self.conv2 = nn.Conv2D(input_channels=6, output_channels=16, kernel_size=(5, 5),
                               stride=(1, 1), padding="valid")
        self.relu2 = nn.ReLu()
        self.pool2 = nn.MaxPool2D([2, 2], [2, 2])
        self.fc1 = nn.Linear(256, 64)
        self.relu3 = nn.ReLu()
        self.fc2 = nn.Linear(64, 1)
        self.qlayer = quantum if quantum is not None else QuantumLayer(hqcnn_circuit, 1)
        self.fc3 = nn.Linear(1, 2)

    def forward(self, x: vq.QTensor) -> vq.QTensor:
        x = self.pool1(self.relu1(self.conv1(x)))  # [B, 6, 12, 12]
        x = self.pool2(self.relu2(self.conv2(x)))  # [B, 16, 4, 4]
        x = self.relu3(self.fc1(vq.flatten(x, 1)))  # [B, 64]
        x = self.qlayer(self.fc2(x))               # [B, 1]: <Z> after H, RY(x)
        return self.fc3(x)                         # [B, 2]


# ----------------------------------------------------------------- shared with hqcnn_noisy.py
def parse_args(doc: str, argv: list[str] | None = None, **defaults: Any) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=defaults.get("epochs", 20))
    ap.add_argument("--batch-size", type=int, default=defaults.get("batch_size", 32),
                    help="the paper uses 1; 32 is much faster and as accurate")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=None,
                    help="use only the first N training (and N//4 test) images: smoke runs")
    ap.add_argument("--root", default=None,
                    help="folder of the standard MNIST files (default: the shipped 5k sample)")
    ap.add_argument("--out", default="runs", help="folder for the training-curve plot")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    for flag, kw in defaults.get("extra", {}).items():
        ap.add_argument(flag, **kw)
    return ap.parse_args(argv)


def load_digits(args: argparse.Namespace) -> tuple[Any, Any]:
    """MNIST digits 0 and 1 (train, test), cut to ``--limit`` when given."""
    train = MNIST(args.root, train=True, digits=[0, 1])
    test = MNIST(args.root, train=False, digits=[0, 1])
    if args.limit is not None:
        if args.limit < 1:
            raise SystemExit("--limit must be a positive number of images")
        train = Subset(train, range(min(args.limit, len(train))))
        test = Subset(test, range(min(max(args.limit // 4, 1), len(test))))
    return train, test


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: Any) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader``."""
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with vq.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += float(loss_fn(out, y)) * y.shape[0]
            correct += int((out.argmax(1) == y).sum())
            total += y.shape[0]
    return loss_sum / total, correct / total


def fit(model: nn.Module, args: argparse.Namespace, name: str) -> dict[str, list[float]]:
    """Train on MNIST 0/1 as the arguments say; prints the metrics, saves the plot."""
    train, test = load_digits(args)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test, batch_size=256)
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n_params} parameters; {len(train)} train / {len(test)} test images "
          f"(digits 0/1), batch {args.batch_size}, {args.epochs} epochs, Adam lr {args.lr}")
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "test_loss": [],
                                       "test_accuracy": []}
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        seen, correct, loss_sum = 0, 0, 0.0
        bar = progress(train_loader, force=False if args.no_progress else None,
                       desc=f"epoch {epoch}/{args.epochs}", leave=False)
        for x, y in bar:
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            n = y.shape[0]
            seen += n
            loss_sum += float(loss) * n
            correct += int((out.argmax(1) == y).sum())
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}")
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        test_secs = time.perf_counter() - t1
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(correct / seen)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(test_acc)
        print(f"epoch {epoch}: loss {loss_sum / seen:.4f}  accuracy {correct / seen:.4f}  "
              f"test loss {test_loss:.4f}  test accuracy {test_acc:.4f}  "
              f"({secs:.1f} s train, {test_secs:.1f} s test)")
    print(f"test accuracy after {args.epochs} epochs: {history['test_accuracy'][-1]:.4f} "
          f"({time.perf_counter() - t_start:.1f} s in all)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    plot_history(history, png, title=f"{name}: MNIST 0/1, batch {args.batch_size}")
    print(f"training curves saved to {png}")
    return history


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(__doc__, argv)
    vq.manual_seed(args.seed)  # the initial weights
    model = HQCNN()
    print("the quantum layer's circuit:")
    print(model.qlayer.draw(vq.zeros((1, 1)), symbolic=True))
    return fit(model, args, "hqcnn_mnist")


if __name__ == "__main__":
    main()
