"""The paper's Appendix A (classical CNN on MNIST), as printed, with pyvqnet's imports changed
to ``vqnet_core.compat.pyvqnet``. Trains on all ten digits of the bundled 5k MNIST sample.

    python examples/paper/a_cnn_mnist.py               # 3 epochs: >= 93 % test accuracy
    python examples/paper/a_cnn_mnist.py --limit 256   # a smoke run
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _mnist_files import mnist_path  # noqa: E402

# --- the paper's imports, with "pyvqnet" -> "vqnet_core.compat.pyvqnet"
from vqnet_core.compat.pyvqnet.data import data_generator  # noqa: E402
from vqnet_core.compat.pyvqnet.nn import activation as F  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.conv import Conv2D  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.linear import Linear  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.loss import SoftmaxCrossEntropy  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.module import Module  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.pooling import MaxPool2D  # noqa: E402
from vqnet_core.compat.pyvqnet.optim.adam import Adam  # noqa: E402
from vqnet_core.compat.pyvqnet.tensor import tensor  # noqa: E402
from vqnet_core.compat.pyvqnet.utils import set_random_seed  # noqa: E402


def load_mnist(dataset="training_data", digits=np.arange(10), path="..//..//data//MNIST_data"):
    import os  # noqa: E401
    import struct
    from array import array as pyarray
    if dataset == "training_data":
        fname_image = os.path.join(path, 'train-images.idx3-ubyte').replace('\\', '/')
        fname_label = os.path.join(path, 'train-labels.idx1-ubyte').replace('\\', '/')
    elif dataset == "testing_data":
        fname_image = os.path.join(path, 't10k-images.idx3-ubyte').replace('\\', '/')
        fname_label = os.path.join(path, 't10k-labels.idx1-ubyte').replace('\\', '/')
    else:
        raise ValueError("dataset must be 'training_data' or 'testing_data'")

    flbl = open(fname_label, 'rb')
    magic_nr, size = struct.unpack(">II", flbl.read(8))
    lbl = pyarray("b", flbl.read())
    flbl.close()

    fimg = open(fname_image, 'rb')
    magic_nr, size, rows, cols = struct.unpack(">IIII", fimg.read(16))
    img = pyarray("B", fimg.read())
    fimg.close()

    ind = [k for k in range(size) if lbl[k] in digits]
    N = len(ind)
    images = np.zeros((N, rows, cols))
    labels = np.zeros((N, 1), dtype=int)
    for i in range(len(ind)):
        images[i] = np.array(img[ind[i] * rows * cols: (ind[i] + 1) * rows * cols]).reshape(
            (rows, cols))
        labels[i] = lbl[ind[i]]

    return images, labels


class CNN(Module):
    def __init__(self):
        super(CNN, self).__init__()
        self.maxpool4 = MaxPool2D([2, 2], [2, 2], padding="valid")
        self.maxpool2 = MaxPool2D([2, 2], [2, 2], padding="valid")
        self.conv5 = Conv2D(input_channels=1, output_channels=32, kernel_size=(3, 3),
                            stride=(1, 1), padding="valid")
        self.conv6 = Conv2D(input_channels=32, output_channels=32, kernel_size=(3, 3),
                            stride=(1, 1), padding="valid")
        self.fc3 = Linear(input_channels=800, output_channels=10)
        self.Relu2 = F.ReLu()

    def forward(self, x):
        x = self.maxpool2(self.Relu2(self.conv5(x)))
        x = self.maxpool4(self.Relu2(self.conv6(x)))
        x = tensor.flatten(x, 1)
        x = self.fc3(x)
        return x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="use the first N train images")
    args = ap.parse_args(argv)
    set_random_seed(0)
    path = mnist_path()
    x_train, y_train = load_mnist("training_data", path=path)
    x_test, y_test = load_mnist("testing_data", path=path)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_train, x_test = x_train / 255.0, x_test / 255.0
    y_train = np.eye(10)[y_train.reshape(-1)]  # one-hot labels, as pyvqnet's example
    y_test = np.eye(10)[y_test.reshape(-1)]
    epochs = args.epochs + 1  # the paper loops range(1, epochs)

    # --- the paper's training code
    model = CNN()
    model.train()

    loss_func = SoftmaxCrossEntropy()

    model_hybrid = model

    optimizer_hybrid = Adam(model_hybrid.parameters(), lr=0.001)

    for epoch in range(1, epochs):
        total_loss = []
        train_acc = 0
        n = 0
        for x, y in data_generator(x_train, y_train, batch_size=16, shuffle=True):

            x = x.reshape(-1, 1, 28, 28)
            optimizer_hybrid.zero_grad()

            # Forward pass
            output = model_hybrid(x)
            np_output = np.array(output.data)
            loss = loss_func(y, output)
            loss_np = np.array(loss.data)

            # Backward pass
            loss.backward()
            optimizer_hybrid._step()
            total_loss.append(loss_np)
            train_acc += int(np.sum(np.argmax(np_output, 1) == np.argmax(y, 1)))
            n += len(y)
        print(f"epoch {epoch}: loss {np.mean(total_loss):.4f}  train accuracy "
              f"{train_acc / n:.4f}", flush=True)

    model.eval()
    correct = 0
    for x, y in data_generator(x_test, y_test, batch_size=64, shuffle=False):
        output = model(x.reshape(-1, 1, 28, 28))
        correct += int(np.sum(np.argmax(np.array(output.data), 1) == np.argmax(y, 1)))
    acc = correct / len(x_test)
    print(f"test accuracy after {args.epochs} epochs: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
