"""Workload W1 (WORKLOADS.md): the paper's HQCNN on MNIST 0/1, side by side with the anchors.

Conv2D(1->6, 5x5) -> ReLU -> MaxPool 2x2 -> Conv2D(6->16, 5x5) -> ReLU -> MaxPool 2x2 -> flatten
-> Linear(256->64) -> ReLU -> Linear(64->1) -> one qubit: H, RY(x), <Z> -> Linear(1->2);
cross-entropy, Adam lr 1e-3, the digits 0/1 of the 5k MNIST sample (783 train / 217 test).
Every implementation starts from VQNet's initial weights (copied), sees the same batches in the
same order, and reports seconds per training epoch, seconds for the test pass, test accuracy.

Implementations (each skipped with the printed reason when it cannot be imported):
``vqnet`` (QuantumLayer, adjoint), ``vqnet-qiskit-aer`` / ``vqnet-qiskit`` (the circuit written
in Qiskit, through vqnet_qiskit's QiskitLayer: on Aer, or converted to the built-in machine),
``vqnet-qiskit-paper`` (QiskitLayer around the paper's kind of object, one Aer run per row),
``pyvqnet`` (its nn + QMachine), ``pl-backprop`` / ``pl-adjoint``
(torch + PennyLane default.qubit / lightning.qubit), ``qiskit`` (torch + EstimatorQNN +
TorchConnector), ``qpanda`` (torch + pyqpanda3, parameter shift in a torch.autograd.Function),
``torch-closed`` (torch with <Z> = -sin(x), the closed form: the classical part's floor).

    python benchmarks/w1_hqcnn.py --batch 32                    # all, one epoch, batch 32
    python benchmarks/w1_hqcnn.py --batch 1 --limit 100         # batch 1 on 100 images
    python benchmarks/w1_hqcnn.py --batch 1 --slow-limit 50     # slow anchors on 50 only
    python benchmarks/w1_hqcnn.py --only vqnet --backend cpu    # VQNet on the C backend
    python benchmarks/w1_hqcnn.py --epochs 3 --threads 1        # median of 3, 1 thread each

``--slow-limit`` trains the slow anchors (qiskit, qpanda, pl-*) on fewer images; their epoch
time is then the measured time scaled to the full training set and marked "(scaled)", and their
accuracy is that of the shorter run (marked too). Threads: 2 (set before any import).
"""

from __future__ import annotations

import os
import sys

# threads: 2 for everyone unless --threads N (read before numpy / torch load their runtimes)
_THREADS = "2"
for _i, _a in enumerate(sys.argv[:-1]):
    if _a == "--threads":
        _THREADS = sys.argv[_i + 1]
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = _THREADS if "--threads" in sys.argv else os.environ.get(_v, _THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SLOW = {"qiskit", "qpanda", "pl-backprop", "pl-adjoint"}


class Skip(Exception):
    """An implementation that cannot run here (the message says why)."""


# ----------------------------------------------------------------------------- VQNet
def vqnet_model(seed: int, quantum=None):
    """The HQCNN; ``quantum()`` builds its quantum layer (default: a QuantumLayer, adjoint)."""
    import vqnet_core as vq
    from vqnet_core import nn
    from vqnet_core.qnn import QuantumLayer

    def circuit(q, x, w):
        q.h(0)
        q.ry(0, x[:, 0])
        q.expval({"Z0": 1.0})
    if quantum is None:
        def quantum():
            return QuantumLayer(circuit, 1, diff_method="adjoint")

    class HQCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2D(input_channels=1, output_channels=6, kernel_size=(5, 5),
                                   stride=(1, 1), padding="valid")
            self.conv2 = nn.Conv2D(input_channels=6, output_channels=16, kernel_size=(5, 5),
                                   stride=(1, 1), padding="valid")
            self.pool = nn.MaxPool2D([2, 2], [2, 2])
            self.relu = nn.ReLu()
            self.fc1 = nn.Linear(256, 64)
            self.fc2 = nn.Linear(64, 1)
            self.qlayer = quantum()
            self.fc3 = nn.Linear(1, 2)

        def forward(self, x):
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            x = self.relu(self.fc1(vq.flatten(x, 1)))
            return self.fc3(self.qlayer(self.fc2(x)))

    vq.manual_seed(seed)
    return HQCNN()


ORDER = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
         "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]


def run_vqnet(weights, batches, test, args, quantum=None):
    import vqnet_core as vq
    from vqnet_core.nn.loss import CrossEntropyLoss
    from vqnet_core.optim import Adam

    model = vqnet_model(args.seed, quantum)
    if args.backend != "numpy":  # same initial weights, moved to the chosen array backend
        vq.set_backend(args.backend)
        model.to(args.backend)
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=args.lr)

    def train():
        model.train()
        for xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(model(vq.tensor(xb)), vq.tensor(yb))
            loss.backward()
            opt.step()

    def predict(x):
        model.eval()
        with vq.no_grad():
            return np.concatenate([model(vq.tensor(x[i:i + 256])).numpy()
                                   for i in range(0, len(x), 256)])
    return train, predict


def _qiskit_layer(machine: str):
    """VQNet with the circuit written in Qiskit (H, RY(x), <Z>) through vqnet_qiskit's
    QiskitLayer: on Aer (parameter shift) or converted to the built-in machine (adjoint)."""
    def run(weights, batches, test, args):
        try:
            from qiskit import QuantumCircuit
            from qiskit.circuit import Parameter
            from vqnet_qiskit import QiskitLayer
        except ImportError as e:
            raise Skip(f"qiskit / vqnet-qiskit is not installed ({e})") from None
        x = Parameter("x")
        qc = QuantumCircuit(1)
        qc.h(0)
        qc.ry(x, 0)
        return run_vqnet(weights, batches, test, args, quantum=lambda: QiskitLayer(
            qc, inputs=[x], observables=["Z"], machine=machine))
    return run


def _pennylane_layer(device: str, machine: str | None):
    """VQNet with the circuit as a PennyLane QNode (H, RY(x), <Z>) through vqnet_pennylane's
    PennyLaneLayer: on a PennyLane device, or converted to a VQNet machine (adjoint)."""
    def run(weights, batches, test, args):
        try:
            import pennylane as qml
            from vqnet_pennylane.layers import PennyLaneLayer
        except ImportError as e:
            raise Skip(f"pennylane / vqnet-pennylane is not installed ({e})") from None
        dev = qml.device(device, wires=1)

        @qml.qnode(dev, diff_method="adjoint" if machine is None else "best")
        def circ(inputs):
            qml.Hadamard(wires=0)
            qml.RY(inputs[..., 0], wires=0)
            return qml.expval(qml.PauliZ(0))

        return run_vqnet(weights, batches, test, args,
                         quantum=lambda: PennyLaneLayer(circ, {}, machine=machine))
    return run


def run_qiskit_paper(weights, batches, test, args):
    """The paper's Appendix D form: a user object whose run(x) binds the Qiskit circuit and runs
    it on Aer (exact <Z> by save_expectation_value), one Aer run per row, in QiskitLayer
    (parameter shift: two more runs per row)."""
    try:
        from qiskit import QuantumCircuit
        from qiskit.circuit import Parameter
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_aer import AerSimulator
        from qiskit_aer.library import SaveExpectationValue
        from vqnet_qiskit import QiskitLayer
    except ImportError as e:
        raise Skip(f"qiskit / qiskit-aer / vqnet-qiskit is not installed ({e})") from None

    class VQC:
        def __init__(self):
            self.x = Parameter("x")
            self.qc = QuantumCircuit(1)
            self.qc.h(0)
            self.qc.ry(self.x, 0)
            self.qc.append(SaveExpectationValue(SparsePauliOp("Z"), label="z"), [0])
            self.sim = AerSimulator(method="statevector", max_parallel_threads=1)

        def run(self, x):
            bound = self.qc.assign_parameters({self.x: float(x[0])})
            return self.sim.run(bound).result().data(0)["z"]
    return run_vqnet(weights, batches, test, args, quantum=lambda: QiskitLayer(VQC(), 0))


# ----------------------------------------------------------------------------- torch anchors
def _torch():
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch is not installed ({e})") from None
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    return torch


def torch_runner(quantum, weights, batches, test, args):
    """A torch HQCNN whose quantum layer is ``quantum(x [B]) -> <Z> [B]``."""
    torch = _torch()
    tnn = torch.nn

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 6, 5), tnn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = tnn.Linear(256, 64), tnn.Linear(64, 1), \
                tnn.Linear(1, 2)

        def forward(self, x):
            f = torch.nn.functional
            x = f.max_pool2d(f.relu(self.conv1(x)), 2)
            x = f.max_pool2d(f.relu(self.conv2(x)), 2)
            x = f.relu(self.fc1(torch.flatten(x, 1)))
            z = quantum(self.fc2(x)[:, 0]).reshape(-1, 1).to(x.dtype)
            return self.fc3(z)

    model = Net()
    with torch.no_grad():
        sd = model.state_dict()
        for k in ORDER:
            sd[k].copy_(torch.from_numpy(weights[k]))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = tnn.CrossEntropyLoss()

    def train():
        model.train()
        for xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(yb))
            loss.backward()
            opt.step()

    def predict(x):
        model.eval()
        with torch.no_grad():
            return np.concatenate([model(torch.from_numpy(x[i:i + 256])).numpy()
                                   for i in range(0, len(x), 256)])
    return train, predict


def run_torch_closed(weights, batches, test, args):
    torch = _torch()
    return torch_runner(lambda x: -torch.sin(x), weights, batches, test, args)


def _pl(device: str, diff_method: str):
    def run(weights, batches, test, args):
        torch = _torch()
        try:
            import pennylane as qml
            dev = qml.device(device, wires=1)
        except Exception as e:  # noqa: BLE001
            raise Skip(f"pennylane {device} is not available ({e})") from None

        @qml.qnode(dev, interface="torch", diff_method=diff_method)
        def circ(x):
            qml.Hadamard(wires=0)
            qml.RY(x, wires=0)
            return qml.expval(qml.PauliZ(0))

        def quantum(x):
            out = circ(x)
            return out if out.ndim else out.reshape(1)
        del torch
        return torch_runner(quantum, weights, batches, test, args)
    return run


def run_qiskit(weights, batches, test, args):
    _torch()
    try:
        from qiskit import QuantumCircuit
        from qiskit.circuit import Parameter
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_machine_learning.connectors import TorchConnector
        from qiskit_machine_learning.neural_networks import EstimatorQNN
    except Exception as e:  # noqa: BLE001
        raise Skip(f"qiskit-machine-learning is not importable ({e})") from None
    p = Parameter("x")
    qc = QuantumCircuit(1)
    qc.h(0)
    qc.ry(p, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qnn = EstimatorQNN(circuit=qc, observables=SparsePauliOp("Z"), input_params=[p],
                           weight_params=[], input_gradients=True)
        conn = TorchConnector(qnn)
    return torch_runner(lambda x: conn(x.reshape(-1, 1))[:, 0], weights, batches, test, args)


def run_qpanda(weights, batches, test, args):
    torch = _torch()
    try:
        from pyqpanda3.core import CPUQVM, RY, H, QProg
    except Exception as e:  # noqa: BLE001
        raise Skip(f"pyqpanda3 is not importable ({e})") from None
    qvm = CPUQVM()

    def expz(theta: float) -> float:
        prog = QProg()
        prog << H(0) << RY(0, float(theta))
        qvm.run(prog, 1)
        p = qvm.result().get_prob_list()
        return p[0] - p[1]

    class QFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.tensor([expz(t) for t in x.detach().tolist()], dtype=x.dtype)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            s = np.pi / 2  # the two-term shift rule of RY
            d = [(expz(t + s) - expz(t - s)) / 2 for t in x.detach().tolist()]
            return g * torch.tensor(d, dtype=g.dtype)
    return torch_runner(QFn.apply, weights, batches, test, args)


# ----------------------------------------------------------------------------- pyvqnet
def run_pyvqnet(weights, batches, test, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyvqnet import nn as pnn
            from pyvqnet import tensor as ptensor
            from pyvqnet.dtype import kint64
            from pyvqnet.optim import Adam
            from pyvqnet.qnn.vqc import MeasureAll, QMachine, hadamard, ry
            from pyvqnet.tensor import QTensor
    except Exception as e:  # noqa: BLE001
        raise Skip(f"pyvqnet is not importable ({e})") from None

    class Net(pnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = pnn.Conv2D(1, 6, (5, 5), (1, 1), "valid")
            self.conv2 = pnn.Conv2D(6, 16, (5, 5), (1, 1), "valid")
            self.pool = pnn.MaxPool2D([2, 2], [2, 2])
            self.relu = pnn.ReLu()
            self.fc1, self.fc2, self.fc3 = pnn.Linear(256, 64), pnn.Linear(64, 1), \
                pnn.Linear(1, 2)
            self.qm = QMachine(1)
            self.meas = MeasureAll(obs={"Z0": 1.0})

        def forward(self, x):
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            x = self.relu(self.fc1(ptensor.flatten(x, 1)))
            x = self.fc2(x)
            self.qm.reset_states(x.shape[0])
            hadamard(self.qm, 0)
            ry(self.qm, 0, params=x)
            return self.fc3(self.meas(q_machine=self.qm).reshape([-1, 1]))

    model = Net()
    copied = []
    for k in ORDER:  # pyvqnet names them "weights" / "bias"
        mod, attr = k.split(".")
        p = getattr(getattr(model, mod), "weights" if attr == "weight" else attr)
        w = weights[k]
        if tuple(p.shape) != w.shape and w.ndim == 2 and tuple(p.shape) == w.T.shape:
            w = w.T
        if tuple(p.shape) == w.shape:
            p.copy_value_from(QTensor(np.ascontiguousarray(w)))
            copied.append(k)
    if len(copied) != len(ORDER):
        print(f"  (pyvqnet: copied {copied}; the rest keep pyvqnet's own initialisation)")
    opt = Adam(model.parameters(), lr=args.lr)
    loss_fn = pnn.CrossEntropyLoss()

    def train():
        model.train()
        for xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(QTensor(yb, dtype=kint64), model(QTensor(xb)))
            loss.backward()
            opt._step()

    def predict(x):
        model.eval()
        return np.concatenate([model(QTensor(x[i:i + 256])).to_numpy()
                               for i in range(0, len(x), 256)])
    return train, predict


IMPLS = {
    "vqnet": ("VQNet QuantumLayer (adjoint)", run_vqnet),
    "vqnet-qiskit-aer": ("VQNet QiskitLayer on qiskit.aer (param. shift)",
                         _qiskit_layer("qiskit.aer")),
    "vqnet-qiskit": ("VQNet QiskitLayer converted (statevector)", _qiskit_layer("statevector")),
    "vqnet-qiskit-paper": ("VQNet QiskitLayer, paper's run(x) on Aer", run_qiskit_paper),
    "vqnet-pennylane": ("VQNet PennyLaneLayer on vqnet.statevector (device adjoint)",
                        _pennylane_layer("vqnet.statevector", None)),
    "vqnet-pennylane-converted": ("VQNet PennyLaneLayer converted (statevector)",
                                  _pennylane_layer("default.qubit", "statevector")),
    "pyvqnet": ("pyvqnet QMachine", run_pyvqnet),
    "pl-backprop": ("torch + PennyLane default.qubit (backprop)", _pl("default.qubit",
                                                                      "backprop")),
    "pl-adjoint": ("torch + PennyLane lightning.qubit (adjoint)", _pl("lightning.qubit",
                                                                      "adjoint")),
    "qiskit": ("torch + Qiskit EstimatorQNN/TorchConnector", run_qiskit),
    "qpanda": ("torch + pyqpanda3 (parameter shift)", run_qpanda),
    "torch-closed": ("torch, closed form <Z> = -sin(x) (floor)", run_torch_closed),
}


# ----------------------------------------------------------------------------- driver
def spawn(args, argv: list[str]) -> None:
    """Run each implementation in a fresh interpreter and print the table."""
    base = [a for a in argv]
    print(f"W1 HQCNN, MNIST 0/1 (digits 0/1 of the 5k sample); threads "
          f"OMP={os.environ['OMP_NUM_THREADS']}; {args.epochs} epoch(s) (s / epoch: median), "
          f"Adam lr {args.lr}; --limit {args.limit}; VQNet backend {args.backend!r}; "
          f"one subprocess per implementation")
    for bsz in args.batch:
        print(f"\n## W1  batch {bsz}")
        print(f"{'implementation':46s} {'s / epoch':>10s} {'ratio':>7s} {'test s':>8s} "
              f"{'test acc':>9s}")
        ref_t = None
        for key in args.only:
            label = _label(key, args)
            cmd = [sys.executable, __file__, *_strip(base), "--batch", str(bsz), "--child", key]
            r = subprocess.run(cmd, capture_output=True, text=True)
            lines = r.stdout.splitlines()
            res = [ln for ln in lines if ln.startswith("RESULT ")]
            if not res:
                why = [ln for ln in lines if "skipped" in ln or "FAILED" in ln]
                tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
                print(why[0] if why else f"{label:46s} FAILED: {tail}")
                continue
            secs, tsecs, acc, n_train = json.loads(res[0][7:])
            ref_t = ref_t or secs
            note = f"  (scaled from {n_train} images)" if n_train < 783 and not args.limit \
                else ""
            print(f"{label:46s} {secs:10.2f} {secs / ref_t:7.2f} {tsecs:8.3f} {acc:9.4f}{note}",
                  flush=True)


def _label(key: str, args) -> str:
    label = IMPLS[key][0]
    return label + f" [{args.backend}]" if key == "vqnet" and args.backend != "numpy" else label


def _strip(argv: list[str]) -> list[str]:
    """``argv`` without its --batch values (the parent passes one batch size per child)."""
    out, skip = [], False
    for a in argv:
        if a == "--batch":
            skip = True
            continue
        if skip and not a.startswith("--"):
            continue
        skip = False
        out.append(a)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32])
    ap.add_argument("--only", nargs="+", choices=list(IMPLS), default=list(IMPLS))
    ap.add_argument("--limit", type=int, default=None, help="train on the first N images")
    ap.add_argument("--slow-limit", type=int, default=None,
                    help="train the slow anchors on only N images (epoch time scaled)")
    ap.add_argument("--epochs", type=int, default=1,
                    help="train N epochs: s / epoch is their median, accuracy is after N")
    ap.add_argument("--backend", default="numpy",
                    help="VQNet's array backend for the vqnet row (numpy, cpu, ...)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads for every implementation (OpenMP / BLAS / torch)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--in-process", action="store_true",
                    help="run every implementation in this process (default: one fresh "
                         "subprocess each, so that OpenMP runtimes do not fight)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not args.in_process and not args.child:
        return spawn(args, argv if argv is not None else sys.argv[1:])

    from vqnet_core.data import MNIST
    xtr, ytr = MNIST(train=True, digits=[0, 1]).arrays()
    xte, yte = MNIST(train=False, digits=[0, 1]).arrays()
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
    ref = vqnet_model(args.seed)
    params = dict(ref.named_parameters())
    weights = {k: np.ascontiguousarray(params[k].numpy(), dtype=np.float32) for k in ORDER}
    order = np.random.default_rng(args.seed).permutation(len(xtr))
    print(f"W1 HQCNN, MNIST 0/1: {len(xtr)} train / {len(xte)} test images; threads "
          f"OMP={os.environ['OMP_NUM_THREADS']}; {args.epochs} epoch(s), Adam lr {args.lr}")
    for bsz in args.batch:
        print(f"\n## W1  batch {bsz}")
        print(f"{'implementation':46s} {'s / epoch':>10s} {'ratio':>7s} {'test s':>8s} "
              f"{'test acc':>9s}")
        ref_t = None
        for key in ([args.child] if args.child else args.only):
            label, make = _label(key, args), IMPLS[key][1]
            n_train = len(xtr)
            if key in SLOW and args.slow_limit:
                n_train = min(n_train, args.slow_limit)
            idx = order[:n_train]
            batches = [(xtr[idx[i:i + bsz]], ytr[idx[i:i + bsz]])
                       for i in range(0, n_train, bsz)]
            try:
                # warm-up (lazy initialisation, first calls) on a throwaway copy
                warm, _ = make(weights, batches[:1], (xte, yte), args)
                warm()
                train, predict = make(weights, batches, (xte, yte), args)
                times = []
                for _ in range(args.epochs):
                    t0 = time.perf_counter()
                    train()
                    times.append(time.perf_counter() - t0)
                secs = float(np.median(times)) * len(xtr) / n_train
                t1 = time.perf_counter()
                logits = predict(xte)
                tsecs = time.perf_counter() - t1
            except Skip as e:
                print(f"{label:46s} skipped: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"{label:46s} FAILED: {type(e).__name__}: {e}")
                continue
            acc = float((logits.argmax(1) == yte).mean())
            if args.child:
                print("RESULT", json.dumps([secs, tsecs, acc, n_train]))
                return
            ref_t = ref_t or secs
            note = f"  (scaled from {n_train} images)" if n_train < len(xtr) else ""
            print(f"{label:46s} {secs:10.2f} {secs / ref_t:7.2f} {tsecs:8.3f} {acc:9.4f}{note}")


if __name__ == "__main__":
    main()
