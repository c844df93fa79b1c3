"""The paper's Appendix B (quantum autoencoder), as printed, with pyvqnet's imports changed to
``vqnet_core.compat.pyvqnet``. The paper does not print ``pqc`` and ``_grad``; they are written
here: the 4 training qubits hold a 2x2-pooled MNIST 0/1 image as RY angles, the encoder is
rotations + controlled rotations + rotations, and a SWAP test on the auxiliary qubit compares the
2 trash qubits with fresh |0> qubits, so P(aux = 0) = (1 + fidelity) / 2.

Needs ``pyqpanda`` (QPanda's pre-3 API; CPython 3.11 wheels only).

    python examples/paper/b_quantum_autoencoder.py            # the fidelity rises epoch by epoch
    python examples/paper/b_quantum_autoencoder.py --limit 8  # a smoke run
"""

import argparse
import sys

import numpy as np
import pyqpanda as pq

# --- the paper's imports, with "pyvqnet" -> "vqnet_core.compat.pyvqnet"
from vqnet_core.compat.pyvqnet.nn.loss import fidelityLoss  # noqa: E402
from vqnet_core.compat.pyvqnet.nn.module import Module, Parameter  # noqa: E402
from vqnet_core.compat.pyvqnet.optim.adam import Adam  # noqa: E402
from vqnet_core.compat.pyvqnet.tensor import QTensor  # noqa: E402
from vqnet_core.compat.pyvqnet.utils import set_random_seed  # noqa: E402


def _encoder(x, w, q, n_qubits, n_aux_qubits, n_trash_qubits):
    """Input RY angles, then rotations, controlled rotations, rotations on the training
    qubits ``q[n_aux + n_trash:]``."""
    t = list(q[n_aux_qubits + n_trash_qubits:])
    n = len(t)
    c = pq.QCircuit()
    for i in range(n):
        c.insert(pq.RY(t[i], float(x[i])))
    k = 0
    for i in range(n):
        c.insert(pq.RX(t[i], float(w[k]))).insert(pq.RY(t[i], float(w[k + 1]))) \
            .insert(pq.RZ(t[i], float(w[k + 2])))
        k += 3
    for i in range(n):
        for j in range(n):
            if i != j:
                g = pq.QCircuit()
                g.insert(pq.RZ(t[j], float(w[k]))).insert(pq.RY(t[j], float(w[k + 1]))) \
                    .insert(pq.RZ(t[j], float(w[k + 2])))
                c.insert(g.control([t[i]]))
                k += 3
    for i in range(n):
        c.insert(pq.RX(t[i], float(w[k]))).insert(pq.RY(t[i], float(w[k + 1]))) \
            .insert(pq.RZ(t[i], float(w[k + 2])))
        k += 3
    return c


def _swap_test(q, n_aux_qubits, n_trash_qubits):
    """SWAP test between the trash qubits (the first training qubits) and the reference
    qubits ``q[n_aux : n_aux + n_trash]`` (left in |0>)."""
    c = pq.QCircuit()
    aux = q[0]
    c.insert(pq.H(aux))
    for i in range(n_trash_qubits):
        ref, trash = q[n_aux_qubits + i], q[n_aux_qubits + n_trash_qubits + i]
        c.insert(pq.SWAP(ref, trash).control([aux]))
    c.insert(pq.H(aux))
    return c


def pqc(x, w, qlist, clist, n_qubits, n_aux_qubits, n_trash_qubits, measure=True):
    x = np.asarray(x).reshape(-1)
    w = np.asarray(w).reshape(-1)
    prog = pq.QProg()
    prog.insert(_encoder(x, w, qlist, n_qubits, n_aux_qubits, n_trash_qubits))
    prog.insert(_swap_test(qlist, n_aux_qubits, n_trash_qubits))
    if measure:
        prog.insert(pq.Measure(qlist[0], clist[0]))
    return prog


def _grad(g, pqc, x, w, machine, qlist, clist, n_qubits, n_aux_qubits, n_trash_qubits):
    """d P(aux=0) / d w by the parameter-shift rule, on exact probabilities, times g."""
    w = np.asarray(w).reshape(-1).astype(np.float64)
    x = np.asarray(x).reshape(-1, x.shape[-1])[0] if np.ndim(x) > 1 else np.asarray(x)

    def p0(ws):
        prog = pqc(x, ws, qlist, clist, n_qubits, n_aux_qubits, n_trash_qubits, measure=False)
        return machine.prob_run_list(prog, [qlist[0]], -1)[0]
    grad = np.zeros_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = np.pi / 2
        grad[i] = (p0(w + e) - p0(w - e)) / 2
    return grad * float(np.sum(np.array(g)))


class QAElayer(Module):
    def __init__(self, trash_qubits_number: int = 2, total_qubits_number: int = 7,
                 machine: str = "cpu"):
        super().__init__()

        self.machine = machine
        if machine != "cpu":
            raise ValueError("machine only tested on cpu simulation")

        self.machine = pq.CPUQVM()
        self.machine.init_qvm()
        self.qlist = self.machine.qAlloc_many(total_qubits_number)
        aux_qubits_number = 1
        self.clist = self.machine.cAlloc_many(aux_qubits_number)

        self.history_prob = []

        self.n_qubits = total_qubits_number
        self.n_aux_qubits = aux_qubits_number

        self.n_trash_qubits = trash_qubits_number

        training_qubits_size = self.n_qubits - self.n_aux_qubits - self.n_trash_qubits

        weight_shapes = {"params_rot_begin": training_qubits_size * 3,
                         "params_crot": training_qubits_size * (training_qubits_size - 1) * 3,
                         "params_rot_end": training_qubits_size * 3}

        self.weights = Parameter(weight_shapes['params_rot_begin']
                                 + weight_shapes['params_crot']
                                 + weight_shapes['params_rot_end'])

    def forward(self, x):
        self.history_prob = []
        batchsize = x.shape[0]
        batch_measure = np.zeros([batchsize])

        prog = pqc(x.data,
                   self.weights.data,
                   self.qlist,
                   self.clist,
                   self.n_qubits,
                   self.n_aux_qubits,
                   self.n_trash_qubits)

        result = self.machine.run_with_configuration(prog, self.clist, 100)

        counts = result['0']
        probabilities = counts / 100
        print("probabilities", probabilities)
        batch_measure[0] = probabilities

        requires_grad = (x.requires_grad or self.weights.requires_grad) and not QTensor.NO_GRAD

        nodes = []
        if x.requires_grad:
            nodes.append(QTensor.GraphNode(tensor=x, df=lambda g: 1))

        if self.weights.requires_grad:
            nodes.append(QTensor.GraphNode(
                tensor=self.weights,
                df=lambda g: _grad(g,
                                   pqc,
                                   x.data,
                                   self.weights.data,
                                   self.machine,
                                   self.qlist, self.clist,
                                   self.n_qubits,
                                   self.n_aux_qubits,
                                   self.n_trash_qubits
                                   )))

        return QTensor(data=[batch_measure], requires_grad=requires_grad, nodes=nodes)


class Model(Module):

    def __init__(self, trash_num: int = 2, total_num: int = 7):
        super().__init__()
        self.pqc = QAElayer(trash_num, total_num)

    def forward(self, x):
        x = self.pqc(x)
        return x


def _load(limit):
    from vqnet_core.data import MNIST
    ds = MNIST(train=True, digits=[0, 1])
    imgs = np.stack([np.asarray(ds[i][0]).reshape(28, 28) for i in range(limit)])
    pooled = imgs.reshape(limit, 2, 14, 2, 14).mean(axis=(2, 4)).reshape(limit, 4)
    return pooled / max(pooled.max(), 1e-9) * np.pi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--limit", type=int, default=40, help="training images")
    args = ap.parse_args(argv)
    set_random_seed(0)
    x_train = _load(args.limit)
    model = Model()
    optimizer = Adam(model.parameters(), lr=0.02)
    loss_func = fidelityLoss()
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        losses, fids = [], []
        for i in np.random.permutation(len(x_train)):
            x = QTensor(x_train[i:i + 1])
            optimizer.zero_grad()
            output = model(x)
            loss = loss_func(output)
            loss.backward()
            optimizer._step()
            losses.append(float(np.array(loss.data).mean()))
            fids.append(2 * float(np.array(output.data).mean()) - 1)  # P0 = (1 + F) / 2
        history.append(float(np.mean(fids)))
        print(f"epoch {epoch}: loss {np.mean(losses):.4f}  fidelity {history[-1]:.4f}",
              flush=True)
    return history


if __name__ == "__main__":
    import builtins
    import contextlib
    import io

    quiet = "--verbose" not in sys.argv
    if not quiet:
        sys.argv.remove("--verbose")
    # the paper's forward prints every probability; --verbose shows them
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        hist = main()
    builtins.print("\n".join(f"epoch {i + 1}: fidelity {f:.4f}" for i, f in enumerate(hist)))
    builtins.print(f"fidelity first epoch {hist[0]:.4f} -> last epoch {hist[-1]:.4f}")
