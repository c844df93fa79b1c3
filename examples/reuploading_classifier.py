"""A data re-uploading classifier (Perez-Salinas et al., 2020) on a 2-D toy dataset.

One qubit; each of L layers uploads the point again: Rot(w0 * x0 + b0, w1 * x1 + b1, w2), so
the angles are QTensor expressions of the input and the weights, and the ordinary autograd
carries the machine's angle gradients to both. Points in [-1, 1]^2 are labelled 1 inside the
circle of radius sqrt(2/pi) (half of the area), 0 outside; <Z> is trained towards +1 / -1 with
the mean squared error, and the class is its sign.

    python examples/reuploading_classifier.py              # 4 layers, 30 epochs
    python examples/reuploading_classifier.py --limit 32 --epochs 1
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import vqnet_core as vq
from vqnet_core.data import DataLoader, TensorDataset
from vqnet_core.nn.loss import MSELoss
from vqnet_core.optim import Adam
from vqnet_core.qnn import QuantumLayer
from vqnet_core.utils import plot_history, progress


def circle_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = (np.sum(x**2, axis=1) < 2 / math.pi).astype(np.int64)
    return x, y


def make_circuit(layers: int):
    def circuit(q, x, w):
        for layer in range(layers):
            q.rot(0, w[layer, 0] * x[:, 0] + w[layer, 1], w[layer, 2] * x[:, 1] + w[layer, 3],
                  w[layer, 4])
        q.expval({"Z0": 1.0})
    return circuit


def accuracy(model: QuantumLayer, x: np.ndarray, y: np.ndarray) -> float:
    with vq.no_grad():
        z = model(vq.tensor(x)).numpy()[:, 0]
    return float(np.mean((z < 0).astype(np.int64) == y))


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=None, help="training points (default 500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    n_train = 500 if args.limit is None else args.limit
    x_train, y_train = circle_data(n_train, args.seed)
    x_test, y_test = circle_data(500, args.seed + 1)
    vq.manual_seed(args.seed)
    model = QuantumLayer(make_circuit(args.layers), 1, (args.layers, 5))
    print(model.draw(vq.tensor(x_train[:1]), symbolic=True))
    target = 1.0 - 2.0 * y_train  # class 0 -> <Z> = +1, class 1 -> -1
    loader = DataLoader(TensorDataset(x_train, target[:, None]), batch_size=args.batch_size,
                        shuffle=True, seed=args.seed)
    opt = Adam(model.parameters(), lr=args.lr)
    loss_fn = MSELoss()
    hist: dict[str, list[float]] = {"loss": [], "accuracy": [], "test_accuracy": []}
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, seen = 0.0, 0
        bar = progress(loader, force=False if args.no_progress else None,
                       desc=f"epoch {epoch}/{args.epochs}", leave=False)
        for xb, tb in bar:
            opt.zero_grad()
            loss = loss_fn(model(xb), tb)
            loss.backward()
            opt.step()
            total += float(loss) * xb.shape[0]
            seen += xb.shape[0]
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / seen:.4f}")
        acc, test_acc = accuracy(model, x_train, y_train), accuracy(model, x_test, y_test)
        for k, v in (("loss", total / seen), ("accuracy", acc), ("test_accuracy", test_acc)):
            hist[k].append(v)
        print(f"epoch {epoch}: loss {total / seen:.4f}  accuracy {acc:.4f}  "
              f"test accuracy {test_acc:.4f}")
    print(f"test accuracy after {args.epochs} epochs: {hist['test_accuracy'][-1]:.4f} "
          f"({time.perf_counter() - t0:.1f} s)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_history(hist, out / "reuploading_classifier.png",
                       title=f"data re-uploading, {args.layers} layers")
    print(f"training curves saved to {png}")
    return hist


if __name__ == "__main__":
    main()
