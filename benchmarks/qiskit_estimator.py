"""VQNet's Qiskit ``Estimator`` (vqnet_qiskit.primitives) against Aer's ``EstimatorV2`` and
Qiskit's ``StatevectorEstimator`` on W2's circuit, side by side.

The circuit is W2's (benchmarks/w2_layered.py): RY(x_i) on qubit i, then L layers of RX, RY, RZ
on every qubit and a CNOT ring, written once as a Qiskit ``QuantumCircuit`` over
ParameterVectors; forward only: one PUB ``(circuit, [<Z_i>] as [n, 1], values [16, P])`` whose
result is ``evs [n, 16]``. Every estimator gets the same PUB and reports the median seconds of
one ``run(...).result()`` and the checksum ``sum(evs)``; a checksum that disagrees with the first
row beyond 1e-8 (relative) prints MISMATCH.

    python benchmarks/qiskit_estimator.py                 # n = 12 16, 16 parameter sets
    python benchmarks/qiskit_estimator.py --n 8 --sets 64 --repeats 9
    python benchmarks/qiskit_estimator.py --backend cpu     # VQNet on the C backend (vqnet[cpu])

Threads: 2 everywhere (set before any import; Aer's ``max_parallel_threads=2``).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from w2_layered import w2_qiskit  # noqa: E402  (W2's circuit, shared with the W2 benchmark)


def estimators():
    from qiskit.primitives import StatevectorEstimator
    from vqnet_qiskit.primitives import Estimator

    out = {"vqnet": ("VQNet Estimator (statevector machine)", lambda: Estimator())}
    try:
        from qiskit_aer.primitives import EstimatorV2
        out["aer"] = ("Aer EstimatorV2 (statevector)", lambda: EstimatorV2(options={
            "default_precision": 0.0,
            "backend_options": {"method": "statevector", "max_parallel_threads": 2}}))
    except ImportError as e:
        print(f"qiskit-aer is not installed ({e}); its row is skipped")
    out["reference"] = ("Qiskit StatevectorEstimator", lambda: StatevectorEstimator())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[12, 16])
    ap.add_argument("--sets", type=int, default=16, help="parameter sets in the PUB")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per row at most")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--backend", default="numpy",
                    help="VQNet's array backend for its Estimator's machine (numpy, cpu, ...)")
    ap.add_argument("--skip-reference-above", type=int, default=16,
                    help="skip StatevectorEstimator above this many qubits (it is slow)")
    args = ap.parse_args(argv)
    import qiskit
    from qiskit.quantum_info import SparsePauliOp
    print(f"Estimator on W2's circuit, forward; qiskit {qiskit.__version__}; threads "
          f"OMP={os.environ['OMP_NUM_THREADS']}; {args.sets} parameter sets, L={args.layers}")
    for n in args.n:
        qc, xp, wp = w2_qiskit(n, args.layers)
        rng = np.random.default_rng(args.seed)
        X = rng.uniform(0, np.pi, (args.sets, n))
        W = rng.uniform(0, 2 * np.pi, (args.layers * n * 3,))
        order = {p: j for j, p in enumerate(list(xp) + list(wp))}
        full = np.concatenate([X, np.broadcast_to(W, (args.sets, W.size))], axis=1)
        vals = full[:, [order[p] for p in qc.parameters]]          # circuit.parameters order
        obs = [[SparsePauliOp("I" * (n - 1 - i) + "Z" + "I" * i)] for i in range(n)]
        pub = (qc, obs, vals)
        print(f"\n## n={n}  PUB: observables [{n}, 1] x values [{args.sets}, {vals.shape[1]}]")
        print(f"{'estimator':42s} {'median s':>10s} {'vs VQNet':>9s}  {'sum evs':>16s}")
        ref_t = ref_s = None
        for key, (label, make) in estimators().items():
            if key == "reference" and n > args.skip_reference_above:
                print(f"{label:42s} skipped: n > --skip-reference-above")
                continue
            est = make()
            t0 = time.perf_counter()
            evs = est.run([pub]).result()[0].data.evs
            first = time.perf_counter() - t0
            reps = max(1, min(args.repeats, int(args.budget / max(first, 1e-9))))
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                est.run([pub]).result()
                times.append(time.perf_counter() - t)
            med, s = statistics.median(times), float(np.sum(evs))
            if ref_t is None:
                ref_t, ref_s = med, s
            print(f"{label:42s} {med:10.4f} {med / ref_t:9.2f}  {s:16.10f}")
            if abs(s - ref_s) > 1e-8 * max(1.0, abs(ref_s)):
                print(f"{'':42s} MISMATCH vs the first row")


if __name__ == "__main__":
    main()
