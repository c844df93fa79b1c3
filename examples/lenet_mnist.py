"""LeNet-5 on MNIST, with the conventions of ``cnn_mnist.py`` (same flags, data and outputs).

Conv2D(1->6, 5x5, same padding) -> ReLU -> MaxPool 2x2 -> Conv2D(6->16, 5x5) -> ReLU
-> MaxPool 2x2 -> flatten (400) -> Linear(400->120) -> ReLU -> Linear(120->84) -> ReLU
-> Linear(84->10); cross-entropy and Adam (lr 1e-3) on the 5k MNIST sample shipped with VQNet.

    python examples/lenet_mnist.py                        # 3 epochs, batch 16
    python examples/lenet_mnist.py --limit 256 --epochs 1  # a smoke run
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared loop in _common.py

from _common import fit, parse_args  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core import nn  # noqa: E402


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling, in the paper's style."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5),
                               stride=(1, 1), padding="same")
        self.relu1 = nn.ReLu()
        self.pool1 = nn.MaxPool2D([2, 2], [2, 2])
        self.conv2 = nn.Conv2D(input_channels=6, output_channels=16, kernel_size=(5, 5),
                               stride=(1, 1), padding="valid")
        self.relu2 = nn.ReLu()
        self.pool2 = nn.MaxPool2D([2, 2], [2, 2])
        self.fc1 = nn.Linear(400, 120)
        self.relu3 = nn.ReLu()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLu()
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: vq.QTensor) -> vq.QTensor:
        x = self.pool1(self.relu1(self.conv1(x)))  # [B, 6, 14, 14]
        x = self.pool2(self.relu2(self.conv2(x)))  # [B, 16, 5, 5]
        x = vq.flatten(x, 1)                       # [B, 400]
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.fc3(x)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(__doc__, argv)
    vq.manual_seed(args.seed)
    return fit(LeNet5(), args, "lenet_mnist")


if __name__ == "__main__":
    main()
