"""W2 (WORKLOADS.md) on qpanda.cpu (parameter shift, QPanda's adjoint) beside the built-in
statevector: median seconds of one forward + backward, ratios and checksums.

    python plugins/qpanda/bench_w2.py --qubits 4 8 --batch 1 16
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import vqnet_core as vq
from vqnet_core.qnn import QuantumLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from w2_layered import w2_circuit  # noqa: E402  (the same W2 circuit as the main benchmark)

L = 4


def run(n, bsz, machine, method, reps):
    vq.manual_seed(0)
    layer = QuantumLayer(w2_circuit(n, L), n, (L, n, 3), machine=machine, diff_method=method)
    x_np = np.random.default_rng(1).uniform(-1, 1, (bsz, n))
    times = []
    for _ in range(reps):
        layer.zero_grad()
        x = vq.tensor(x_np, dtype="float64", requires_grad=True)
        t0 = time.perf_counter()
        out = layer(x)
        out.sum().backward()
        times.append(time.perf_counter() - t0)
    sums = (float(out.sum()), float(x.grad.sum()), float(layer.weights.grad.sum()))
    return statistics.median(times), sums


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qubits", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    cases = [("statevector", "adjoint"), ("qpanda.cpu", "adjoint"),
             ("qpanda.cpu", "parameter-shift")]
    print("n  B  machine/method                 seconds   ratio   sum(out)  sum(dx)  sum(dw)")
    for n in args.qubits:
        for bsz in args.batch:
            base = None
            for machine, method in cases:
                t, s = run(n, bsz, machine, method, args.reps)
                base = base or t
                print(f"{n:<2} {bsz:<2} {machine + '/' + method:<30} {t:8.4f} {t / base:7.1f}x "
                      f"{s[0]:9.5f} {s[1]:8.5f} {s[2]:8.5f}")


if __name__ == "__main__":
    main()
