"""A quantum autoencoder (the paper's Appendix B): compress 4-qubit encodings of MNIST 0/1
into 2 latent qubits.

Each image is average-pooled to 2x2 = 4 pixels and angle-embedded (RY(pi * pixel)) on the data
qubits 1..4. A trainable encoder (StronglyEntangling layers) should leave the "trash" qubits 3, 4
in |00>, so that all the information sits in the latent qubits 1, 2. A swap test between the
trash qubits and two fresh reference qubits 5, 6 (ancilla 0: H, CSWAPs, H) measures the
fidelity F = 2 P(ancilla = 0) - 1; the loss is 1 - F. A decoder is the encoder's inverse.

    python examples/quantum_autoencoder.py                       # 10 epochs
    python examples/quantum_autoencoder.py --limit 64 --epochs 1  # a smoke run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import vqnet_core as vq
from vqnet_core.data import MNIST, DataLoader, TensorDataset
from vqnet_core.optim import Adam
from vqnet_core.qnn import AngleEmbeddingCircuit, QuantumLayer, StronglyEntangling
from vqnet_core.utils import plot_history, progress

DATA, TRASH, REFERENCE, ANCILLA = [1, 2, 3, 4], [3, 4], [5, 6], 0


def pooled_digits(train: bool, limit: int | None) -> np.ndarray:
    """MNIST 0/1 images average-pooled to 2x2, as [N, 4] in [0, 1]."""
    x, _ = MNIST(train=train, digits=[0, 1]).arrays()
    if limit is not None:
        x = x[:limit]
    x = x[:, 0].reshape(-1, 2, 14, 2, 14).mean(axis=(2, 4)).reshape(-1, 4)
    return (x / x.max()).astype(np.float64)


def autoencoder(q, x, w):
    AngleEmbeddingCircuit(q, x * np.pi, wires=DATA, rotation="Y")
    StronglyEntangling(q, w, wires=DATA)
    q.h(ANCILLA)  # swap test of the trash qubits against |00>
    for t, r in zip(TRASH, REFERENCE):
        q.cswap(ANCILLA, t, r)
    q.h(ANCILLA)
    q.probs([ANCILLA])


def fidelity(model: QuantumLayer, x: vq.QTensor) -> vq.QTensor:
    return model(x)[:, 0] * 2 - 1


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=None,
                    help="use only the first N training (and N//4 test) images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    x_train = pooled_digits(True, args.limit)
    x_test = pooled_digits(False, None if args.limit is None else max(args.limit // 4, 1))
    vq.manual_seed(args.seed)
    model = QuantumLayer(autoencoder, 7, (args.layers, 4, 3))
    print(model.draw(vq.tensor(x_train[:1]), symbolic=True))
    loader = DataLoader(TensorDataset(x_train), batch_size=args.batch_size, shuffle=True,
                        seed=args.seed)
    opt = Adam(model.parameters(), lr=args.lr)
    with vq.no_grad():
        f0 = float(fidelity(model, vq.tensor(x_test)).mean())
    print(f"{len(x_train)} train / {len(x_test)} test images; trash fidelity before training "
          f"{f0:.4f}")
    hist: dict[str, list[float]] = {"loss": [], "test_loss": []}
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, seen = 0.0, 0
        bar = progress(loader, force=False if args.no_progress else None,
                       desc=f"epoch {epoch}/{args.epochs}", leave=False)
        for (xb,) in bar:
            opt.zero_grad()
            loss = (1 - fidelity(model, xb)).mean()
            loss.backward()
            opt.step()
            total += float(loss) * xb.shape[0]
            seen += xb.shape[0]
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / seen:.4f}")
        with vq.no_grad():
            test_f = float(fidelity(model, vq.tensor(x_test)).mean())
        hist["loss"].append(total / seen)
        hist["test_loss"].append(1 - test_f)
        print(f"epoch {epoch}: loss {total / seen:.4f}  test fidelity {test_f:.4f}")
    print(f"test trash fidelity after {args.epochs} epochs: {1 - hist['test_loss'][-1]:.4f} "
          f"(from {f0:.4f}; {time.perf_counter() - t0:.1f} s)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_history(hist, out / "quantum_autoencoder.png",
                       title="quantum autoencoder: 1 - trash fidelity")
    print(f"training curves saved to {png}")
    return hist


if __name__ == "__main__":
    main()
