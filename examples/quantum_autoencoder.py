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

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared pieces in _common.py

import numpy as np  # noqa: E402
from _common import example_parser, save_curves, train_epoch  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.data import MNIST, DataLoader, TensorDataset  # noqa: E402
from vqnet_core.optim import Adam  # noqa: E402
from vqnet_core.qnn import AngleEmbeddingCircuit, QuantumLayer, StronglyEntangling  # noqa: E402

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
    ap = example_parser(__doc__, epochs=10, batch_size=32, lr=0.05,
                        limit_help="use only the first N training (and N//4 test) images")
    ap.add_argument("--layers", type=int, default=2)
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
        loss, _ = train_epoch(loader, opt, lambda xb: ((1 - fidelity(model, xb)).mean(), None),
                              args, epoch)
        with vq.no_grad():
            test_f = float(fidelity(model, vq.tensor(x_test)).mean())
        hist["loss"].append(loss)
        hist["test_loss"].append(1 - test_f)
        print(f"epoch {epoch}: loss {loss:.4f}  test fidelity {test_f:.4f}")
    print(f"test trash fidelity after {args.epochs} epochs: {1 - hist['test_loss'][-1]:.4f} "
          f"(from {f0:.4f}; {time.perf_counter() - t0:.1f} s)")
    save_curves(hist, args, "quantum_autoencoder", "quantum autoencoder: 1 - trash fidelity")
    return hist


if __name__ == "__main__":
    main()
