"""Workload W2 (WORKLOADS.md): a layered variational circuit, forward + backward, side by side.

n qubits, a batch x[B, n]: RY(x_i) on wire i; then L layers of RX(w), RY(w), RZ(w) on every wire
followed by a CNOT ring (i -> i+1 mod n); outputs <Z_i> on every wire; loss = the sum of all
outputs; gradients w.r.t. the inputs and the weights (complex128). Every implementation gets the
SAME x and w and reports the median seconds of one forward + backward and three checksums (the
sums of the outputs, of d loss / dx and of d loss / dw); a checksum that disagrees with VQNet's
beyond 1e-6 (relative) prints a MISMATCH warning.

Implementations (each skipped with the reason when it cannot be imported or run):
VQNet (statevector machine, adjoint, the active array backend), PennyLane lightning.qubit
(adjoint) and default.qubit (backprop) through torch, pyvqnet's batched QMachine (its autograd),
the same pyvqnet program on VQNet through `vqnet_core.compat.pyvqnet` (imports changed only),
Qiskit Aer (EstimatorQNN, small n only: ``--aer-max-n``).

The "floor" row is physics, not software: the bytes one forward + adjoint backward must stream
(the fused gate passes: n*L one-qubit matrices and L ring permutations, each reading and writing
the [B, 2^n] state once forward and twice backward) divided by this machine's memory bandwidth,
measured in the same run by copying a 256 MiB array.

    python benchmarks/w2_layered.py                       # n = 4 8 12 16, B = 1 16
    python benchmarks/w2_layered.py --n 12 --batch 16     # the target configuration
    python benchmarks/w2_layered.py --n 20 --only vqnet lightning --repeats 3

Threads: 2 everywhere (OMP / OpenBLAS / MKL set before any import, torch.set_num_threads(2)).
The anchors are installed by benchmarks/requirements-anchors.txt (a separate venv).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
Step = Callable[[], tuple[float, float, float]]


class Skip(Exception):
    """An implementation that cannot run here (the message says why)."""


# ----------------------------------------------------------------------------- implementations
def w2_circuit(n: int, L: int) -> Callable[..., None]:
    """The W2 circuit as a VQNet circuit function ``circuit(q, x, w)`` for a QuantumLayer of
    ``n`` qubits and weights [L, n, 3] (also used by plugins/qpanda/bench_w2.py)."""
    def circuit(q, x, w):
        for i in range(n):
            q.ry(i, x[:, i])
        for layer in range(L):
            for i in range(n):
                q.rx(i, w[layer, i, 0])
                q.ry(i, w[layer, i, 1])
                q.rz(i, w[layer, i, 2])
            for i in range(n):
                q.cnot(i, (i + 1) % n)
        for i in range(n):
            q.expval({f"Z{i}": 1.0})
    return circuit


def make_vqnet(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    sys.path.insert(0, str(ROOT))
    import vqnet_core as vq
    from vqnet_core.qnn import QuantumLayer

    qlayer = QuantumLayer(w2_circuit(n, L), n, (L, n, 3), diff_method="adjoint", dtype="complex128")
    qlayer.weights = vq.nn.Parameter(vq.tensor(W, dtype="float64"))

    def step():
        qlayer.weights.grad = None
        x = vq.tensor(X, dtype="float64", requires_grad=True)
        out = qlayer(x)
        out.sum().backward()
        return (float(out.numpy().sum()), float(x.grad.numpy().sum()),
                float(qlayer.weights.grad.numpy().sum()))
    return step


def _torch():
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch is not installed ({e})") from None
    torch.set_num_threads(2)
    return torch


def w2_pennylane(qml, n: int, L: int, batched: bool = False) -> Callable[..., list]:
    """W2 as the body of a PennyLane QNode, ``body(x, w)``: ``x`` [n] (or [B, n] with
    ``batched``), ``w`` [L, n, 3]; returns the n <Z_i>. Shared by the W2 benchmarks."""
    def body(x, w):
        for i in range(n):
            qml.RY(x[:, i] if batched else x[i], wires=i)
        for layer in range(L):
            for i in range(n):
                qml.RX(w[layer, i, 0], wires=i)
                qml.RY(w[layer, i, 1], wires=i)
                qml.RZ(w[layer, i, 2], wires=i)
            for i in range(n):
                qml.CNOT(wires=[i, (i + 1) % n])
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]
    return body


def _pennylane(device: str, diff_method: str, n: int, L: int, X: np.ndarray,
               W: np.ndarray) -> Step:
    torch = _torch()
    try:
        import pennylane as qml
    except ImportError as e:
        raise Skip(f"pennylane is not installed ({e})") from None
    try:
        dev = qml.device(device, wires=n)
    except Exception as e:  # noqa: BLE001 - a missing plugin
        raise Skip(f"{device} is not available ({e})") from None

    circuit = qml.qnode(dev, interface="torch", diff_method=diff_method)(
        w2_pennylane(qml, n, L, batched=True))

    def step():
        x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
        w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
        out = torch.stack(list(circuit(x, w)), dim=-1).reshape(X.shape[0], n)
        out.sum().backward()
        return float(out.detach().sum()), float(x.grad.sum()), float(w.grad.sum())
    return step


def make_lightning(n, L, X, W):
    return _pennylane("lightning.qubit", "adjoint", n, L, X, W)


def make_default_qubit(n, L, X, W):
    return _pennylane("default.qubit", "backprop", n, L, X, W)


def _pyvqnet_step(n: int, L: int, X: np.ndarray, W: np.ndarray, vqc, QTensor, kcomplex128,
                  kfloat64) -> Step:
    """W2 written against pyvqnet's ``qnn.vqc`` API, for whichever implementation of it."""
    bsz = X.shape[0]
    meas = vqc.MeasureAll(obs=[{f"Z{i}": 1.0} for i in range(n)])
    wf = W.reshape(-1)

    def step():
        x = QTensor(X, dtype=kfloat64, requires_grad=True)
        w = QTensor(wf, dtype=kfloat64, requires_grad=True)
        qm = vqc.QMachine(n, dtype=kcomplex128)
        qm.reset_states(bsz)
        for i in range(n):
            vqc.ry(qm, i, params=x[:, [i]])
        for layer in range(L):
            for i in range(n):
                k = (layer * n + i) * 3
                vqc.rx(qm, i, params=w[k])
                vqc.ry(qm, i, params=w[k + 1])
                vqc.rz(qm, i, params=w[k + 2])
            for i in range(n):
                vqc.cnot(qm, [i, (i + 1) % n])
        out = meas(q_machine=qm)
        out.sum().backward()
        return (float(out.to_numpy().sum()), float(x.grad.to_numpy().sum()),
                float(w.grad.to_numpy().sum()))
    return step


def make_pyvqnet(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyvqnet.dtype import kcomplex128, kfloat64
            from pyvqnet.qnn import vqc
            from pyvqnet.tensor import QTensor
    except Exception as e:  # noqa: BLE001 - not installed / broken build
        raise Skip(f"pyvqnet is not importable ({e})") from None
    return _pyvqnet_step(n, L, X, W, vqc, QTensor, kcomplex128, kfloat64)


def make_pyvqnet_on_vqnet(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    """The same pyvqnet program through VQNet's compatibility layer (imports changed only)."""
    from vqnet_core.compat.pyvqnet import kcomplex128, kfloat64
    from vqnet_core.compat.pyvqnet.qnn import vqc
    from vqnet_core.compat.pyvqnet.tensor import QTensor
    return _pyvqnet_step(n, L, X, W, vqc, QTensor, kcomplex128, kfloat64)


def w2_qiskit(n: int, L: int):
    """W2 as a Qiskit circuit: ``(circuit, input ParameterVector x, weight ParameterVector w)``
    with the weights in ``[L, n, 3]`` order, as :func:`w2_circuit`."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    xp, wp = ParameterVector("x", n), ParameterVector("w", L * n * 3)
    qc = QuantumCircuit(n)
    for i in range(n):
        qc.ry(xp[i], i)
    for layer in range(L):
        for i in range(n):
            k = (layer * n + i) * 3
            qc.rx(wp[k], i)
            qc.ry(wp[k + 1], i)
            qc.rz(wp[k + 2], i)
        for i in range(n):
            qc.cx(i, (i + 1) % n)
    return qc, xp, wp


def make_aer(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    try:
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_aer.primitives import EstimatorV2
        from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
        from qiskit_machine_learning.neural_networks import EstimatorQNN
    except Exception as e:  # noqa: BLE001
        raise Skip(f"qiskit / qiskit-aer / qiskit-machine-learning not importable ({e})") \
            from None
    qc, xp, wp = w2_qiskit(n, L)
    # qiskit orders Pauli labels from the highest qubit down
    obs = [SparsePauliOp("I" * (n - 1 - i) + "Z" + "I" * i) for i in range(n)]
    est = EstimatorV2(options={"default_precision": 0.0, "backend_options": {
        "method": "statevector", "max_parallel_threads": 2}})
    qnn = EstimatorQNN(circuit=qc, observables=obs, input_params=list(xp),
                       weight_params=list(wp), estimator=est, input_gradients=True,
                       gradient=ParamShiftEstimatorGradient(est))
    wf = W.reshape(-1)

    def step():
        out = qnn.forward(X, wf)
        gx, gw = qnn.backward(X, wf)
        return float(out.sum()), float(gx.sum()), float(gw.sum())
    return step


IMPLS: dict[str, tuple[str, Callable[..., Step]]] = {
    "vqnet": ("VQNet statevector (adjoint)", make_vqnet),
    "lightning": ("PennyLane lightning.qubit (adjoint)", make_lightning),
    "default": ("PennyLane default.qubit (backprop)", make_default_qubit),
    "pyvqnet": ("pyvqnet QMachine (autograd)", make_pyvqnet),
    "pyvqnet-on-vqnet": ("pyvqnet's code on VQNet (compat vqc)", make_pyvqnet_on_vqnet),
    "aer": ("Qiskit Aer EstimatorQNN (param. shift)", make_aer),
}


# ----------------------------------------------------------------------------- measurement
def bandwidth_gbs(mib: int = 256, repeats: int = 5) -> float:
    """Memory bandwidth (GB/s, read + write) from copying a ``mib`` MiB float64 array."""
    src = np.ones(mib * 2**20 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * src.nbytes / best / 1e9


def floor_seconds(n: int, bsz: int, L: int, gbs: float) -> float:
    """Seconds to stream the state through the fused gate passes at ``gbs`` GB/s."""
    state = 16 * bsz * 2**n  # complex128
    passes = 3 * (n * L + L)  # forward once, the adjoint sweep twice (bra and ket)
    return passes * 2 * state / (gbs * 1e9)


def time_step(step: Step, repeats: int, budget: float) -> tuple[float, tuple[float, float, float]]:
    """Median seconds of ``step`` (after one warm-up call) and its checksums."""
    t0 = time.perf_counter()
    sums = step()
    first = time.perf_counter() - t0
    reps = max(1, min(repeats, int(budget / max(first, 1e-9))))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times), sums


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def run(n: int, bsz: int, L: int, impls: list[str], args, gbs: float) -> None:
    rng = np.random.default_rng(args.seed)
    X = rng.uniform(0, np.pi, (bsz, n))
    W = rng.uniform(0, 2 * np.pi, (L, n, 3))
    print(f"\n## W2  n={n}  B={bsz}  L={L}  complex128")
    print(f"{'implementation':42s} {'median s':>10s} {'ratio':>7s}  {'sum out':>14s} "
          f"{'sum dx':>14s} {'sum dw':>14s}")
    ref_t, ref_s = None, None
    for key in impls:
        label, make = IMPLS[key]
        if key == "aer" and n > args.aer_max_n:
            print(f"{label:42s} skipped: n > --aer-max-n {args.aer_max_n}")
            continue
        if args.in_process:
            try:
                step = make(n, L, X, W)
                t, s = time_step(step, args.repeats, args.budget)
            except Skip as e:
                print(f"{label:42s} skipped: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - report and go on with the others
                print(f"{label:42s} FAILED: {type(e).__name__}: {e}")
                continue
        else:  # a fresh interpreter each: OpenMP runtimes of different anchors do not fight
            cmd = [sys.executable, __file__, "--child", key, "--n", str(n), "--batch", str(bsz),
                   "--layers", str(L), "--repeats", str(args.repeats), "--budget",
                   str(args.budget), "--seed", str(args.seed)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            res = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
            if not res:
                why = [ln for ln in r.stdout.splitlines() if ln.startswith(("skipped", "FAILED"))]
                tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
                print(f"{label:42s} {why[0] if why else 'FAILED: ' + tail}")
                continue
            t, s = json.loads(res[0][7:])
        if ref_t is None:
            ref_t, ref_s = t, s
        ratio = t / ref_t
        print(f"{label:42s} {t:10.4f} {ratio:7.2f}  {s[0]:14.8f} {s[1]:14.8f} {s[2]:14.8f}")
        bad = [nm for nm, a, b in zip(("out", "dx", "dw"), s, ref_s) if _rel(a, b) > 1e-6]
        if bad:
            print(f"{'':42s} MISMATCH vs the first row in: {', '.join(bad)}")
    fl = floor_seconds(n, bsz, L, gbs)
    print(f"{'floor (bytes / bandwidth)':42s} {fl:10.4f} "
          f"{(fl / ref_t if ref_t else float('nan')):7.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[4, 8, 12, 16],
                    help="qubit counts (any of 4 8 12 16 20)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--only", nargs="+", choices=list(IMPLS), default=list(IMPLS),
                    help="implementations to run (vqnet first is the ratio's reference)")
    ap.add_argument("--repeats", type=int, default=7, help="timed calls (at most)")
    ap.add_argument("--budget", type=float, default=20.0,
                    help="seconds of timed calls per implementation and configuration")
    ap.add_argument("--aer-max-n", type=int, default=4,
                    help="run Qiskit Aer up to this many qubits (parameter shift is slow)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--in-process", action="store_true",
                    help="run every implementation in this process (default: a subprocess each)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        n, bsz = args.n[0], args.batch[0]
        rng = np.random.default_rng(args.seed)
        X = rng.uniform(0, np.pi, (bsz, n))
        W = rng.uniform(0, 2 * np.pi, (args.layers, n, 3))
        try:
            t, s = time_step(IMPLS[args.child][1](n, args.layers, X, W), args.repeats,
                             args.budget)
        except Skip as e:
            print(f"skipped: {e}")
            return
        except Exception as e:  # noqa: BLE001
            print(f"FAILED: {type(e).__name__}: {e}")
            return
        print("RESULT", json.dumps([t, list(s)]))
        return
    impls = ["vqnet"] + [k for k in args.only if k != "vqnet"] if "vqnet" in args.only \
        else list(args.only)
    gbs = bandwidth_gbs()
    print(f"W2 layered circuit; threads: OMP={os.environ['OMP_NUM_THREADS']} "
          f"OPENBLAS={os.environ['OPENBLAS_NUM_THREADS']}; numpy {np.__version__}; "
          f"memory bandwidth {gbs:.1f} GB/s (copy, read + write)")
    for n in args.n:
        for bsz in args.batch:
            run(n, bsz, args.layers, impls, args, gbs)


if __name__ == "__main__":
    main()
