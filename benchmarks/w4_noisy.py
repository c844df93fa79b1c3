"""Workload W4 (WORKLOADS.md): noisy circuits, exact density matrix and 10,000 shots, side by side.

n qubits, one input x[n]: RY(x_i) on wire i; then L layers of RX(w), RY(w), RZ(w) on every wire
and a CNOT ring (i -> i+1 mod n), as in W2; a depolarizing channel (p = 0.01, PennyLane's
convention: Kraus sqrt(1-p) I, sqrt(p/3) X, Y, Z) on every wire of every gate right after it, and
a symmetric readout error of 2% on every wire. Outputs <Z_i> for every wire:

* exact: the density matrix, readout error included (<Z_i> scaled by 1 - 2 * 0.02 where an
  anchor only gives the noiseless-readout expectation: Qiskit Aer's saved probabilities);
* shots: 10,000 measurements with the readout error applied to each.

Every implementation gets the SAME x and w and reports the median seconds of one evaluation and
the checksum sum_i <Z_i>; exact checksums that differ from VQNet's beyond 1e-9 print MISMATCH,
shot checksums are compared with the exact one within 5 standard errors of the sum.

Implementations (each skipped with the printed reason when it cannot be imported or run):
VQNet ``density_matrix`` (the core's machine), ``qpanda.density_matrix`` (pyqpanda3's
DensityMatrixSimulator via vqnet-qpanda), ``qpanda.noise`` (pyqpanda3's noisy CPUQVM, shots
only: Monte-Carlo trajectories), Qiskit Aer (AerSimulator, method="density_matrix") and
PennyLane ``default.mixed``.

    python benchmarks/w4_noisy.py                    # n = 4 6 8 10, L = 4
    python benchmarks/w4_noisy.py --n 4 6 --repeats 1

Threads: 2 everywhere (OMP / OpenBLAS / MKL set before any import, Aer's max_parallel_threads).
The anchors live in a separate venv (benchmarks/requirements-anchors.txt), e.g. /work/benchvenv.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
P_DEPOL = 0.01
P_READ = 0.02
SHOTS = 10_000
# one evaluation: <Z_i> for every wire
Run = Callable[[], np.ndarray]


class Skip(Exception):
    """An implementation that cannot run here (the message says why)."""


def gate_list(n: int, L: int, x: np.ndarray, w: np.ndarray) -> list[tuple[str, tuple, float]]:
    """The W4 circuit as ``(gate, wires, angle)`` (angle None for CNOT)."""
    g = [("RY", (i,), float(x[i])) for i in range(n)]
    for layer in range(L):
        for i in range(n):
            g += [("RX", (i,), float(w[layer, i, 0])), ("RY", (i,), float(w[layer, i, 1])),
                  ("RZ", (i,), float(w[layer, i, 2]))]
        g += [("CNOT", (i, (i + 1) % n), None) for i in range(n)]
    return g


# ----------------------------------------------------------------------------- implementations
def make_vqnet(machine: str, gates, n: int, shots: int | None) -> Run:
    sys.path.insert(0, str(ROOT))
    try:
        from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, get_machine
        from vqnet_core.quantum.noise import NoiseModel, depolarizing
        nm = NoiseModel().add_channel(depolarizing(P_DEPOL)).add_readout_error(P_READ)
        m = get_machine(machine, noise_model=nm)
    except Exception as exc:  # noqa: BLE001 - a plugin that is not installed, no pyqpanda3, ...
        raise Skip(f"{type(exc).__name__}: {exc}") from None
    if shots is None and not m.capabilities.exact:
        raise Skip(f"{machine} answers from shots only")
    ops, angles = [], []
    for name, wires, a in gates:
        if a is None:
            ops.append(Operation(name, wires))
        else:
            ops.append(Operation(name, wires, (ParamRef(len(angles)),)))
            angles.append(a)
    c = Circuit(n, ops)
    A = np.array([angles])
    ms = [Expval(f"Z{i}") for i in range(n)]
    seed = iter(range(1, 10**6))

    def run() -> np.ndarray:
        kw = {"shots": shots, "seed": next(seed)} if shots else {}
        out = m.execute(c, A, ms, **kw)
        return np.array([float(np.asarray(o).reshape(-1)[0]) for o in out])
    return run


def make_aer(gates, n: int, shots: int | None) -> Run:
    try:
        from qiskit import QuantumCircuit
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel, ReadoutError, pauli_error
    except ImportError as exc:
        raise Skip(f"qiskit-aer not importable: {exc}") from None
    e1 = pauli_error([("I", 1 - P_DEPOL)] + [(p, P_DEPOL / 3) for p in "XYZ"])
    nm = NoiseModel()
    nm.add_all_qubit_quantum_error(e1, ["rx", "ry", "rz"])
    nm.add_all_qubit_quantum_error(e1.tensor(e1), ["cx"])  # depolarizing on each of its qubits
    nm.add_all_qubit_readout_error(ReadoutError([[1 - P_READ, P_READ], [P_READ, 1 - P_READ]]))
    qc = QuantumCircuit(n)
    for name, wires, a in gates:
        if name == "CNOT":
            qc.cx(*wires)
        else:
            getattr(qc, name.lower())(a, wires[0])
    sim = AerSimulator(method="density_matrix", noise_model=nm, max_parallel_threads=2)
    bit = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1  # qubit i = bit i
    if shots is None:
        qc.save_probabilities()

        def run() -> np.ndarray:
            p = np.asarray(sim.run(qc, shots=1).result().data()["probabilities"])
            # saved probabilities carry no readout error: fold it in (symmetric flip)
            return (1 - 2 * P_READ) * (p @ (1 - 2 * bit))
        return run
    qc.measure_all()
    seed = iter(range(1, 10**6))

    def run_shots() -> np.ndarray:
        counts = sim.run(qc, shots=shots, seed_simulator=next(seed)).result().get_counts()
        z = np.zeros(n)
        for k, v in counts.items():
            b = int(k.replace(" ", ""), 2)
            z += v * (1 - 2 * ((b >> np.arange(n)) & 1))
        return z / shots
    return run_shots


def make_pennylane(gates, n: int, shots: int | None) -> Run:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pennylane as qml
    except ImportError as exc:
        raise Skip(f"pennylane not importable: {exc}") from None
    # readout error as a BitFlip on every wire before the Z measurements (the same map);
    # default.mixed's own readout_prob fails in PennyLane 0.45 ('float' object is not iterable)
    def circuit():
        for name, wires, a in gates:
            if name == "CNOT":
                qml.CNOT(wires=list(wires))
            else:
                getattr(qml, name)(a, wires=wires[0])
            for wi in wires:
                qml.DepolarizingChannel(P_DEPOL, wires=wi)
        for i in range(n):
            qml.BitFlip(P_READ, wires=i)
        return [qml.expval(qml.PauliZ(i)) for i in range(n)]
    qnode = qml.QNode(circuit, qml.device("default.mixed", wires=n))
    if shots:
        qnode = qml.set_shots(qnode, shots=shots) if hasattr(qml, "set_shots") else \
            qml.QNode(circuit, qml.device("default.mixed", wires=n, shots=shots))

    def run() -> np.ndarray:
        return np.array([float(v) for v in qnode()])
    return run


# ----------------------------------------------------------------------------- driver
def _time(run: Run, repeats: int) -> tuple[float, np.ndarray]:
    out = run()  # warm-up (translation caches, JIT, ...)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = run()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


IMPLS: dict[str, Callable[..., Run]] = {
    "vqnet density_matrix": lambda g, n, s: make_vqnet("density_matrix", g, n, s),
    "qpanda.density_matrix": lambda g, n, s: make_vqnet("qpanda.density_matrix", g, n, s),
    "qpanda.noise (trajectories)": lambda g, n, s: make_vqnet("qpanda.noise", g, n, s),
    "qiskit-aer density_matrix": make_aer,
    "pennylane default.mixed": make_pennylane,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[4, 6, 8, 10])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shots", type=int, default=SHOTS)
    ap.add_argument("--trajectories-max-n", type=int, default=8,
                    help="largest n for qpanda.noise (one trajectory per shot)")
    ap.add_argument("--only", nargs="+", default=None, help="substrings of implementation names")
    args = ap.parse_args(argv)
    skipped: dict[str, str] = {}
    print(f"W4: depolarizing p={P_DEPOL} after every gate (each wire), readout {P_READ}, "
          f"L={args.layers}, shots={args.shots}; median of {args.repeats}")
    print(f"{'n':>3} {'mode':>6} {'implementation':<28} {'seconds':>10} {'ratio':>8} "
          f"{'sum <Z_i>':>14}  check")
    bad = 0
    for n in args.n:
        rng = np.random.default_rng(1000 + n)
        x = rng.uniform(-np.pi, np.pi, n)
        w = rng.uniform(-np.pi, np.pi, (args.layers, n, 3))
        gates = gate_list(n, args.layers, x, w)
        exact_ref = None
        for mode, shots in (("exact", None), ("shots", args.shots)):
            base_t = None
            for label, make in IMPLS.items():
                if args.only and not any(s in label for s in args.only):
                    continue
                try:
                    if "trajectories" in label and shots and n > args.trajectories_max_n:
                        raise Skip(f"n > --trajectories-max-n {args.trajectories_max_n} "
                                   "(10,000 Monte-Carlo trajectories take minutes)")
                    run = make(gates, n, shots)
                    t, z = _time(run, args.repeats)
                except Skip as exc:
                    skipped[f"{label} ({mode}{', n=' + str(n) if 'n >' in str(exc) else ''})"] \
                        = str(exc)
                    continue
                except Exception as exc:  # noqa: BLE001 - report and go on with the others
                    skipped.setdefault(f"{label} ({mode})", f"failed: {type(exc).__name__}: "
                                       f"{str(exc)[:200]}")
                    continue
                s = float(np.sum(z))
                if base_t is None:
                    base_t = t
                if mode == "exact":
                    exact_ref = exact_ref if exact_ref is not None else s
                    ok = abs(s - exact_ref) <= 1e-9 * max(1.0, abs(exact_ref))
                    check = "ok" if ok else f"MISMATCH ({s - exact_ref:+.2e})"
                else:
                    se = 5 * np.sqrt(n / args.shots)  # 5 sigma of a sum of n +-1 means
                    ok = exact_ref is None or abs(s - exact_ref) <= se
                    check = (f"{s - exact_ref:+.4f} vs exact" if exact_ref is not None
                             else "") + ("" if ok else "  MISMATCH")
                bad += not ok
                print(f"{n:>3} {mode:>6} {label:<28} {t:>10.4f} {t / base_t:>7.2f}x "
                      f"{s:>14.10f}  {check}", flush=True)
    for k, why in skipped.items():
        print(f"skipped {k}: {why}")
    print("ratio: seconds / the first implementation's seconds in the same (n, mode)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
