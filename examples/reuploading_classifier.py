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

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared pieces in _common.py

import numpy as np  # noqa: E402
from _common import example_parser, save_curves, train_epoch  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.data import DataLoader, TensorDataset  # noqa: E402
from vqnet_core.nn.loss import MSELoss  # noqa: E402
from vqnet_core.optim import Adam  # noqa: E402
from vqnet_core.qnn import QuantumLayer  # noqa: E402


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
    ap = example_parser(__doc__, epochs=30, batch_size=16, lr=0.05,
                        limit_help="training points (default 500)")
    ap.add_argument("--layers", type=int, default=4)
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
        loss, _ = train_epoch(loader, opt, lambda xb, tb: (loss_fn(model(xb), tb), None),
                              args, epoch)
        acc, test_acc = accuracy(model, x_train, y_train), accuracy(model, x_test, y_test)
        for k, v in (("loss", loss), ("accuracy", acc), ("test_accuracy", test_acc)):
            hist[k].append(v)
        print(f"epoch {epoch}: loss {loss:.4f}  accuracy {acc:.4f}  "
              f"test accuracy {test_acc:.4f}")
    print(f"test accuracy after {args.epochs} epochs: {hist['test_accuracy'][-1]:.4f} "
          f"({time.perf_counter() - t0:.1f} s)")
    save_curves(hist, args, "reuploading_classifier", f"data re-uploading, {args.layers} layers")
    return hist


if __name__ == "__main__":
    main()
