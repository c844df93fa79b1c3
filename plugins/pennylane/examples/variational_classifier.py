"""PennyLane's "Variational classifier" tutorial (the parity function), unchanged except for the
device name: it runs on ``vqnet.statevector``. Autograd interface, PennyLane's
NesterovMomentumOptimizer, square loss; the 16 four-bit strings as data (the tutorial reads the
same function from ``parity.txt``).

    python plugins/pennylane/examples/variational_classifier.py                # vqnet.statevector
    python plugins/pennylane/examples/variational_classifier.py default.qubit  # the original
"""

import sys

import pennylane as qml
from pennylane import numpy as np
from pennylane.optimize import NesterovMomentumOptimizer

DEVICE = sys.argv[1] if len(sys.argv) > 1 else "vqnet.statevector"
dev = qml.device(DEVICE)


def layer(layer_weights):
    for wire in range(4):
        qml.Rot(*layer_weights[wire], wires=wire)
    for wires in ([0, 1], [1, 2], [2, 3], [3, 0]):
        qml.CNOT(wires)


def state_preparation(x):
    qml.BasisState(x, wires=[0, 1, 2, 3])


@qml.qnode(dev)
def circuit(weights, x):
    state_preparation(x)
    for layer_weights in weights:
        layer(layer_weights)
    return qml.expval(qml.PauliZ(0))


def variational_classifier(weights, bias, x):
    return circuit(weights, x) + bias


def square_loss(labels, predictions):
    return np.mean((labels - qml.math.stack(predictions)) ** 2)


def accuracy(labels, predictions):
    acc = sum(abs(l - p) < 1e-5 for l, p in zip(labels, predictions))
    return acc / len(labels)


def cost(weights, bias, X, Y):
    predictions = [variational_classifier(weights, bias, x) for x in X]
    return square_loss(Y, predictions)


def main():
    bits = np.array([[int(b) for b in f"{i:04b}"] for i in range(16)], requires_grad=False)
    X = bits
    Y = np.array([1.0 if sum(b) % 2 else -1.0 for b in bits], requires_grad=False)  # parity
    np.random.seed(0)
    num_qubits, num_layers = 4, 2
    weights_init = 0.01 * np.random.randn(num_layers, num_qubits, 3, requires_grad=True)
    bias_init = np.array(0.0, requires_grad=True)
    opt = NesterovMomentumOptimizer(0.5)
    batch_size = 5
    weights, bias = weights_init, bias_init
    for it in range(100):
        batch_index = np.random.randint(0, len(X), (batch_size,))
        X_batch, Y_batch = X[batch_index], Y[batch_index]
        weights, bias = opt.step(cost, weights, bias, X=X_batch, Y=Y_batch)
        predictions = [np.sign(variational_classifier(weights, bias, x)) for x in X]
        current_cost = cost(weights, bias, X, Y)
        acc = accuracy(Y, predictions)
        if it % 10 == 9 or acc == 1.0:
            print(f"Iter: {it + 1:4d} | Cost: {current_cost:0.7f} | Accuracy: {acc:0.7f}")
        if acc == 1.0:
            break
    print(f"{DEVICE}: final accuracy {acc:.3f}")
    return float(acc)


if __name__ == "__main__":
    main()
