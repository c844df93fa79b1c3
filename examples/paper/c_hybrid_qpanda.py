"""The paper's Appendix C (hybrid quantum-classical network, QPanda inside a custom graph
node), as printed, with pyvqnet's imports changed to ``vqnet_core.compat.pyvqnet``. Classifies
the digits 0 and 1 of the bundled 5k MNIST sample with batch size 1, as the paper does.

Needs ``pyqpanda`` (QPanda's pre-3 API; CPython 3.11 wheels only: pip install pyqpanda==3.8.5).

    python examples/paper/c_hybrid_qpanda.py               # >= 99 % test accuracy
    python examples/paper/c_hybrid_qpanda.py --limit 64    # a smoke run
"""

import argparse
import os
import sys

import numpy as np
import pyqpanda as pq
from pyqpanda import measure_all

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _mnist_files import mnist_path  # noqa: E402

# --- the paper's imports, with "pyvqnet" -> "vqnet_core.compat.pyvqnet"
from vqnet_core.compat.pyvqnet.nn import activation as F  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.conv import Conv2D  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.linear import Linear  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.loss import CategoricalCrossEntropy  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.module import Module  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.pooling import MaxPool2D  # noqa: E402
from vqnet_core.compat.pyvqnet.optim.adam import Adam  # noqa: E402
from vqnet_core.compat.pyvqnet.tensor import QTensor, tensor  # noqa: E402
from vqnet_core.compat.pyvqnet.utils import set_random_seed  # noqa: E402


def load_mnist(dataset="training_data", digits=np.arange(2), path="../../../dataset/MNIST_data"):
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



def circuit(weights):
    num_qubits = 1
    machine = pq.CPUQVM()
    machine.init_qvm()
    qubits = machine.qAlloc_many(num_qubits)
    cbits = machine.cAlloc_many(num_qubits)
    circuit = pq.QCircuit()

    circuit.insert(pq.H(qubits[0]))
    # float(...): the one change to the paper's code -- pyqpanda 3.8.5's RY refuses the
    # 1-element array weights[0] that the printed code passes
    circuit.insert(pq.RY(qubits[0], float(np.ravel(weights[0])[0])))

    prog = pq.QProg()
    prog.insert(circuit)
    prog << measure_all(qubits, cbits)

    result = machine.run_with_configuration(prog, cbits, 100)

    counts = np.array(list(result.values()))
    states = np.array(list(result.keys())).astype(float)
    # Compute probabilities for each state
    probabilities = counts / 100
    # Get state expectation
    expectation = np.sum(states * probabilities)
    return expectation


class Hybrid(Module):
    def __init__(self, shift):
        super(Hybrid, self).__init__()
        self.shift = shift

    def forward(self, input):
        self.input = input
        expectation_z = circuit(np.array(input.data))
        result = [[expectation_z]]
        requires_grad = input.requires_grad and not QTensor.NO_GRAD

        def _backward_mnist(g, input):
            input_list = np.array(input.data)
            shift_right = input_list + np.ones(input_list.shape) * self.shift
            shift_left = input_list - np.ones(input_list.shape) * self.shift

            gradients = []
            for i in range(len(input_list)):
                expectation_right = circuit(shift_right[i])
                expectation_left = circuit(shift_left[i])

                gradient = expectation_right - expectation_left
                gradients.append(gradient)
            gradients = np.array([gradients]).T
            return gradients * np.array(g)

        nodes = []
        if input.requires_grad:
            nodes.append(QTensor.ComputationalGraphNode(tensor=input, df=lambda g
                         : _backward_mnist(g, input)))

        return QTensor(data=result, requires_grad=requires_grad, nodes=nodes)


class Net(Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5),
                            stride=(1, 1), padding="valid")
        self.maxpool1 = MaxPool2D([2, 2], [2, 2], padding="valid")
        self.conv2 = Conv2D(input_channels=6, output_channels=16, kernel_size=(5, 5),
                            stride=(1, 1), padding="valid")
        self.maxpool2 = MaxPool2D([2, 2], [2, 2], padding="valid")
        self.fc1 = Linear(input_channels=256, output_channels=64)
        self.fc2 = Linear(input_channels=64, output_channels=1)
        self.hybrid = Hybrid(np.pi / 2)
        self.fc3 = Linear(input_channels=1, output_channels=2)

    def forward(self, x):
        x = F.ReLu()(self.conv1(x))
        x = self.maxpool1(x)
        x = F.ReLu()(self.conv2(x))
        x = self.maxpool2(x)
        x = tensor.flatten(x, 1)
        x = F.ReLu()(self.fc1(x))
        x = self.fc2(x)
        x = self.hybrid(x)
        x = self.fc3(x)
        return x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=400, help="train images (0/1) to use")
    args = ap.parse_args(argv)
    set_random_seed(1)
    path = mnist_path()
    x_train, y_train = load_mnist("training_data", path=path)
    x_test, y_test = load_mnist("testing_data", path=path)
    x_train, y_train = x_train[:args.limit] / 255.0, y_train[:args.limit]
    if args.limit < 400:
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_test = x_test / 255.0
    y_train = np.eye(2)[y_train.reshape(-1)]  # one-hot, as pyvqnet's example
    y_test = np.eye(2)[y_test.reshape(-1)]

    model = Net()
    optimizer = Adam(model.parameters(), lr=0.005)
    loss_func = CategoricalCrossEntropy()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, correct = [], 0
        order = np.random.permutation(len(x_train))
        for i in order:
            x = QTensor(x_train[i:i + 1].reshape(1, 1, 28, 28))
            y = y_train[i:i + 1]
            optimizer.zero_grad()
            output = model(x)
            loss = loss_func(y, output)
            loss.backward()
            optimizer._step()
            total_loss.append(float(np.array(loss.data)))
            correct += int(np.argmax(np.array(output.data)) == np.argmax(y))
        print(f"epoch {epoch}: loss {np.mean(total_loss):.4f}  train accuracy "
              f"{correct / len(x_train):.4f}", flush=True)
    model.eval()
    correct = 0
    for i in range(len(x_test)):
        output = model(QTensor(x_test[i:i + 1].reshape(1, 1, 28, 28)))
        correct += int(np.argmax(np.array(output.data)) == np.argmax(y_test[i]))
    acc = correct / len(x_test)
    print(f"test accuracy after {args.epochs} epochs: {acc:.4f} ({len(x_test)} images)")
    return acc


if __name__ == "__main__":
    main()
