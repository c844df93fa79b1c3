"""HQCNN on MNIST 0/1 with a noisy quantum layer (a NoiseQuantumLayer on the density-matrix
machine): the network of ``hqcnn_mnist.py`` with depolarizing noise after every gate and a
readout error on the measured qubit.

    python examples/hqcnn_noisy.py                         # p = 0.05, readout error 0.02
    python examples/hqcnn_noisy.py --noise 0.2 --readout 0.1
    python examples/hqcnn_noisy.py --limit 64 --epochs 1   # a smoke run

Noise shrinks <Z> towards 0 (depolarizing by 1 - 4p/3 per gate, readout by 1 - 2r), which the
final Linear(1->2) learns to rescale: the accuracy stays close to the noiseless network's.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # hqcnn_mnist.py, _common.py

from _common import fit, parse_args  # noqa: E402
from hqcnn_mnist import DEFAULTS, DIGITS, HQCNN, hqcnn_circuit  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.qnn import NoiseModel, NoiseQuantumLayer, depolarizing  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    extra = {"--noise": dict(type=float, default=0.05,
                             help="depolarizing probability after every gate"),
             "--readout": dict(type=float, default=0.02, help="readout error probability")}
    args = parse_args(__doc__, argv, **DEFAULTS, extra=extra)
    vq.manual_seed(args.seed)  # the initial weights
    noise = NoiseModel().add_channel(depolarizing(args.noise)).add_readout_error(args.readout)
    qlayer = NoiseQuantumLayer(hqcnn_circuit, 1, None, noise)
    print(f"the quantum layer's circuit (density matrix; depolarizing p={args.noise} after "
          f"every gate, readout error {args.readout}):")
    print(qlayer.draw(vq.zeros((1, 1)), symbolic=True))
    return fit(HQCNN(qlayer), args, "hqcnn_noisy", digits=DIGITS)


if __name__ == "__main__":
    main()
