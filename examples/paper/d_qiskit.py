"""The paper's Appendix D (a Qiskit circuit in a VQNet model through ``QiskitLayer``), as
printed, with pyvqnet's imports changed to ``vqnet_core.compat.pyvqnet``. Classifies the digits
0 and 1 of the bundled 5k MNIST sample with batch size 1.

Needs ``qiskit``, ``qiskit-aer`` and VQNet's Qiskit plugin (``vqnet_qiskit``, which provides
``QiskitLayer``: ``python tools/install.py qiskit``).

    python examples/paper/d_qiskit.py
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _mnist_files import mnist_path, paper_load_mnist  # noqa: E402

from vqnet_core.compat.pyvqnet.nn import activation as F  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.conv import Conv2D  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.linear import Linear  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.loss import CategoricalCrossEntropy  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.module import Module  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.pooling import MaxPool2D  # noqa: E402
from vqnet_core.compat.pyvqnet.optim.adam import Adam  # noqa: E402
from vqnet_core.compat.pyvqnet.qnn.utils.qiskitlayer import QiskitLayer  # noqa: E402
from vqnet_core.compat.pyvqnet.tensor import QTensor, tensor  # noqa: E402
from vqnet_core.compat.pyvqnet.utils import set_random_seed  # noqa: E402

load_mnist = paper_load_mnist()  # the paper's loader, as in C (read without pyqpanda)


class QISKIT_VQC:
    def __init__(self, n_qubits, backend, shots):
        import qiskit
        # --- Circuit definition ---
        self._circuit = qiskit.QuantumCircuit(n_qubits)

        all_qubits = [i for i in range(n_qubits)]
        self.input = [qiskit.circuit.Parameter('input')]

        self._circuit.h(all_qubits)
        self._circuit.barrier()
        self._circuit.ry(self.input[0], all_qubits)

        self._circuit.measure_all()

        self.backend = backend
        self.shots = shots

    def run(self, x):
        params = dict(zip(self.input, x))
        c1 = self._circuit.assign_parameters(params)

        job = self.backend.run(c1, shots=self.shots)

        result = job.result().get_counts()

        counts = np.array(list(result.values()))

        states = np.array(list(result.keys())).astype(float)

        # Compute probabilities for each state
        probabilities = counts / self.shots
        # Get state expectation
        expectation = np.sum(states * probabilities)

        return expectation


def make_net(circuit):
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
            self.hybrid = QiskitLayer(circuit, 0)
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
    return Net()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=400)
    args = ap.parse_args(argv)
    from qiskit_aer import AerSimulator
    simulator = AerSimulator()
    set_random_seed(1)
    path = mnist_path()
    x_train, y_train = load_mnist("training_data", path=path)
    x_test, y_test = load_mnist("testing_data", path=path)
    x_train, y_train = x_train[:args.limit] / 255.0, np.eye(2)[y_train[:args.limit].reshape(-1)]
    x_test, y_test = x_test / 255.0, np.eye(2)[y_test.reshape(-1)]

    # define Qiskit circuits class
    circuit = QISKIT_VQC(1, simulator, 100)
    model = make_net(circuit)
    optimizer = Adam(model.parameters(), lr=0.005)
    loss_func = CategoricalCrossEntropy()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for i in np.random.permutation(len(x_train)):
            optimizer.zero_grad()
            output = model(QTensor(x_train[i:i + 1].reshape(1, 1, 28, 28)))
            loss = loss_func(y_train[i:i + 1], output)
            loss.backward()
            optimizer._step()
        print(f"epoch {epoch}: last loss {float(np.array(loss.data)):.4f}", flush=True)
    model.eval()
    correct = sum(int(np.argmax(np.array(model(QTensor(x_test[i:i + 1].reshape(
        1, 1, 28, 28))).data)) == np.argmax(y_test[i])) for i in range(len(x_test)))
    acc = correct / len(x_test)
    print(f"test accuracy after {args.epochs} epochs: {acc:.4f} ({len(x_test)} images)")
    return acc


if __name__ == "__main__":
    main()
