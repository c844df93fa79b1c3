"""Benchmarks of vqnet-cirq, one run each, with checksums:

1. W2 (benchmarks/w2_layered.py) forward + backward on ``cirq.simulator`` and ``cirq.qsim``
   (parameter shift) beside the built-in ``statevector`` (adjoint);
2. W2's forward sweep (16 parameter sets, ``<Z_i>`` on every qubit) as a ``cirq.Circuit``
   through ``simulate_expectation_values_sweep`` of VQNet's Cirq ``Simulator`` (the built-in
   statevector machine), ``cirq.Simulator`` (complex128) and ``qsimcirq.QSimSimulator``.

    python plugins/cirq/bench.py --w2-qubits 4 8 --batch 1 16 --sweep-qubits 12 16 20
    python plugins/cirq/bench.py --backend cpu --w2-qubits --sweep-qubits 12 16 20
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

import cirq  # noqa: E402
import numpy as np  # noqa: E402
import sympy  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.qnn import QuantumLayer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from w2_layered import w2_circuit  # noqa: E402  (the same W2 circuit as the main benchmark)

L = 4
THREADS = 2


def w2_step(n, bsz, machine, method, reps, **opts):
    vq.manual_seed(0)
    layer = QuantumLayer(w2_circuit(n, L), n, (L, n, 3), machine=machine, diff_method=method,
                         **opts)
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


def w2_cirq(n):
    """W2's forward circuit in Cirq: RY(x_i), then L layers of RX RY RZ (weights) and a CNOT
    ring; the observables Z_i; the symbols in order (x..., w...)."""
    q = cirq.LineQubit.range(n)
    xs = sympy.symbols(f"x0:{n}")
    ws = sympy.symbols(f"w0:{L * n * 3}")
    ops = [cirq.ry(xs[i])(q[i]) for i in range(n)]
    k = 0
    for _ in range(L):
        for i in range(n):
            ops += [cirq.rx(ws[k])(q[i]), cirq.ry(ws[k + 1])(q[i]), cirq.rz(ws[k + 2])(q[i])]
            k += 3
        ops += [cirq.CNOT(q[i], q[(i + 1) % n]) for i in range(n)]
    return cirq.Circuit(ops), [cirq.Z(x) for x in q], list(xs) + list(ws)


def sweep_case(n, points, sims, warm=False):
    c, obs, syms = w2_cirq(n)
    rng = np.random.default_rng(2)
    vals = rng.uniform(-np.pi, np.pi, (points, len(syms)))
    sweep = cirq.Zip(*[cirq.Points(str(s), vals[:, j].tolist()) for j, s in enumerate(syms)])
    out = []
    for name, sim in sims:
        t0 = time.perf_counter()
        ev = np.asarray(sim.simulate_expectation_values_sweep(c, obs, sweep)).real
        t = time.perf_counter() - t0
        if warm:  # a second call: the conversion and plans of the first are cached
            t0 = time.perf_counter()
            ev = np.asarray(sim.simulate_expectation_values_sweep(c, obs, sweep)).real
            t = time.perf_counter() - t0
        out.append((name, t, float(ev.sum()), float((ev ** 2).sum())))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--w2-qubits", type=int, nargs="*", default=[4, 8])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--sweep-qubits", type=int, nargs="*", default=[12, 16, 20])
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warm", action="store_true", help="time a second sweep call (cached "
                    "conversion) instead of the first")
    ap.add_argument("--backend", default=None, help="VQNet's array backend (e.g. cpu: the "
                    "C extension of plugins/cpu); default: the active one")
    args = ap.parse_args(argv)
    if args.backend:
        vq.set_backend(args.backend)
    print(f"array backend: {vq.get_backend().name}; {THREADS} threads")
    cases = [("statevector", "adjoint", {}), ("cirq.simulator", "parameter-shift", {}),
             ("cirq.qsim", "parameter-shift", {"threads": THREADS})]
    if args.w2_qubits:
        print("W2 forward + backward (median of --reps)")
        print("n  B  machine/method                 seconds   ratio   sum(out)  sum(dx)  sum(dw)")
    for n in args.w2_qubits:
        for bsz in args.batch:
            base = None
            for machine, method, opts in cases:
                t, s = w2_step(n, bsz, machine, method, args.reps, **opts)
                base = base or t
                print(f"{n:<2} {bsz:<2} {machine + '/' + method:<30} {t:8.4f} {t / base:7.1f}x "
                      f"{s[0]:9.5f} {s[1]:8.5f} {s[2]:8.5f}", flush=True)
    if not args.sweep_qubits:
        return
    import qsimcirq
    from vqnet_cirq import Simulator
    sims = [("vqnet_cirq.Simulator", Simulator()),
            ("qsimcirq.QSimSimulator", qsimcirq.QSimSimulator(
                qsimcirq.QSimOptions(cpu_threads=THREADS))),
            ("cirq.Simulator", cirq.Simulator(dtype=np.complex128))]
    print(f"\nW2 forward sweep, {args.points} parameter sets, <Z_i> on every qubit "
          f"({'second' if args.warm else 'first'} call)")
    print("n   simulator                 seconds   vqnet is faster by   sum(ev)      sum(ev^2)")
    for n in args.sweep_qubits:
        res = sweep_case(n, args.points, sims, args.warm)
        t0 = res[0][1]
        for name, t, s1, s2 in res:
            print(f"{n:<3} {name:<24} {t:9.3f}   {t / t0:8.2f}x        {s1:11.6f} {s2:11.6f}",
                  flush=True)


if __name__ == "__main__":
    main()
