"""The paper's classical CNN on MNIST (VQNet 2.0, Appendix A; workload W3 of the benchmarks).

Conv2D(1->32, 3x3) -> ReLU -> MaxPool 2x2 -> Conv2D(32->32, 3x3) -> ReLU -> MaxPool 2x2
-> flatten (800) -> Linear(800->10), trained with cross-entropy and Adam (lr 1e-3) on all ten
digits of the 5k MNIST sample shipped with VQNet (4,000 train / 1,000 test images).

    python examples/cnn_mnist.py                       # 3 epochs, batch 16: about 95% on test
    python examples/cnn_mnist.py --limit 256 --epochs 1  # a smoke run
    python examples/cnn_mnist.py --root ~/data/mnist   # full MNIST (see download_mnist)

Prints the loss and accuracy of every epoch and the test accuracy, and saves a plot of the
training curves to ``--out`` (default ``./runs/``).
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
from vqnet_core.utils import plot_history, progress


class CNN(nn.Module):
    """The classical network of the paper's Appendix A, in the paper's style."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2D(input_channels=1, output_channels=32, kernel_size=(3, 3),
                               stride=(1, 1), padding="valid")
        self.relu1 = nn.ReLu()
        self.pool1 = nn.MaxPool2D([2, 2], [2, 2])
        self.conv2 = nn.Conv2D(input_channels=32, output_channels=32, kernel_size=(3, 3),
                               stride=(1, 1), padding="valid")
        self.relu2 = nn.ReLu()
        self.pool2 = nn.MaxPool2D([2, 2], [2, 2])
        self.fc = nn.Linear(800, 10)

    def forward(self, x: vq.QTensor) -> vq.QTensor:
        x = self.pool1(self.relu1(self.conv1(x)))  # [B, 32, 13, 13]
        x = self.pool2(self.relu2(self.conv2(x)))  # [B, 32, 5, 5]
        return self.fc(vq.flatten(x, 1))           # [B, 10]


# ----------------------------------------------------------------- shared by the MNIST examples
def parse_args(doc: str, argv: list[str] | None = None, **defaults: Any) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=defaults.get("epochs", 3))
    ap.add_argument("--batch-size", type=int, default=defaults.get("batch_size", 16))
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=None,
                    help="use only the first N training (and N//4 test) images: smoke runs")
    ap.add_argument("--root", default=None,
                    help="folder of the standard MNIST files (default: the shipped 5k sample)")
    ap.add_argument("--out", default="runs", help="folder for the training-curve plot")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    return ap.parse_args(argv)


def load_data(args: argparse.Namespace) -> tuple[Any, Any]:
    train, test = MNIST(args.root, train=True), MNIST(args.root, train=False)
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
    """Train ``model`` on MNIST as the arguments say; returns the history and saves its plot."""
    vq.manual_seed(args.seed)
    train, test = load_data(args)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test, batch_size=256)
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n_params} parameters; {len(train)} train / {len(test)} test images, "
          f"batch {args.batch_size}, {args.epochs} epochs, Adam lr {args.lr}")
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "test_loss": [],
                                       "test_accuracy": []}
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
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(correct / seen)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(test_acc)
        print(f"epoch {epoch}: loss {loss_sum / seen:.4f}  accuracy {correct / seen:.4f}  "
              f"test loss {test_loss:.4f}  test accuracy {test_acc:.4f}  ({secs:.1f} s)")
    print(f"test accuracy after {args.epochs} epochs: {history['test_accuracy'][-1]:.4f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    plot_history(history, png, title=f"{name}: MNIST 5k, batch {args.batch_size}")
    print(f"training curves saved to {png}")
    return history


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(__doc__, argv)
    vq.manual_seed(args.seed)  # the initial weights
    return fit(CNN(), args, "cnn_mnist")


if __name__ == "__main__":
    main()
