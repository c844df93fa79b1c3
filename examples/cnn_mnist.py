"""The paper's classical CNN on MNIST (VQNet 2.0, Appendix A; workload W3 of the benchmarks).

Conv2D(1->32, 3x3) -> ReLU -> MaxPool 2x2 -> Conv2D(32->32, 3x3) -> ReLU -> MaxPool 2x2
-> flatten (800) -> Linear(800->10), trained with cross-entropy and Adam (lr 1e-3) on all ten
digits of the 5k MNIST sample shipped with VQNet (4,000 train / 1,000 test images).

    python examples/cnn_mnist.py                       # 3 epochs, batch 16: about 95% on test
    python examples/cnn_mnist.py --limit 256 --epochs 1  # a smoke run
    python examples/cnn_mnist.py --root ~/data/mnist   # full MNIST (see download_mnist)
    mpiexec -n 2 python examples/cnn_mnist.py          # data-parallel on 2 MPI processes

Prints the loss and accuracy of every epoch and the test accuracy, and saves a plot of the
training curves to ``--out`` (default ``./runs/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared loop in _common.py

from _common import fit, parse_args  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core import nn  # noqa: E402


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


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(__doc__, argv)
    vq.manual_seed(args.seed)  # the initial weights
    return fit(CNN(), args, "cnn_mnist")


if __name__ == "__main__":
    main()
