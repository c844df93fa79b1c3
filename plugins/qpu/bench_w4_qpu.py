"""W4-QPU (WORKLOADS.md): the W2-style circuit routed onto ``qpu.ibm_torino``, 10,000 shots,
VQNet against Qiskit Aer on the same transpiled circuit, with the distance between them.

n logical qubits (4, 6, 8, 10), one input x[n]: RY(x_i), then L layers of RX, RY, RZ on every
wire and a CNOT ring (benchmarks/w2_layered.py's circuit, as in W4). VQNet compiles it onto
ibm_torino (Qiskit's preset pass manager, level 1, seeded) and runs the native program with the
calibrated noise on the touched physical qubits; Aer runs *that same* transpiled circuit
(bound, measured on the final layout) with ``NoiseModel.from_backend(FakeTorino())`` -- its
readout errors replaced by the calibrated asymmetric ones VQNet uses (Aer's from_backend takes
their mean from the Target) -- method ``density_matrix`` up to 12 active qubits as VQNet
(``automatic`` above). Reported: active physical qubits, native ops, VQNet's engine, the
median seconds of one 10,000-shot run (compiled; the first call's compile time separately),
Aer's, and the total variation distance between the two 10,000-shot histograms with the bound
two correct samplers of the same distribution stay under with probability 1 - 1e-6.

    python plugins/qpu/bench_w4_qpu.py                 # n = 4 6 8 10, L = 2, 10,000 shots
    python plugins/qpu/bench_w4_qpu.py --n 4 6 --layers 4 --repeats 5

Threads: 2 (OMP / OpenBLAS set before any import; Aer's max_parallel_threads=2).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def w2_ir(n: int, L: int):
    """The W2 circuit as an IR circuit and its angle row (x then w, seeded)."""
    from vqnet_core.quantum import Circuit, Operation, ParamRef

    ops, S = [], 0
    for i in range(n):
        ops.append(Operation("RY", (i,), (ParamRef(S),)))
        S += 1
    for _ in range(L):
        for i in range(n):
            for g in ("RX", "RY", "RZ"):
                ops.append(Operation(g, (i,), (ParamRef(S),)))
                S += 1
        for i in range(n):
            ops.append(Operation("CNOT", (i, (i + 1) % n)))
    rng = np.random.default_rng(n)
    return Circuit(n, ops), rng.uniform(-np.pi, np.pi, (1, S))


def histogram(bits: np.ndarray, n: int) -> np.ndarray:
    idx = bits.reshape(-1, n) @ (1 << np.arange(n - 1, -1, -1))
    return np.bincount(idx, minlength=2**n) / len(idx)


def two_sample_bound(p: np.ndarray, shots: int, delta: float = 1e-6) -> float:
    """TVD between two independent ``shots``-draw histograms of ``p``: the mean is at most
    ``sum_i sqrt(2 p_i (1 - p_i) / N) / 2`` and one draw moves it by at most 1/N, so
    McDiarmid over the 2N draws gives ``+ sqrt(log(1/delta) / N)``."""
    return 0.5 * float(np.sum(np.sqrt(2 * np.clip(p * (1 - p), 0, None) / shots))) + \
        math.sqrt(math.log(1 / delta) / shots)


def aer_simulator(fake, method: str):
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from vqnet_qpu.devices import load_device

    nm = NoiseModel.from_backend(fake, readout_error=False)
    for q, cal in enumerate(load_device("ibm_torino").qubits):
        nm.add_readout_error(ReadoutError([[1 - cal.p01, cal.p01], [cal.p10, 1 - cal.p10]]),
                             [q])
    return AerSimulator(noise_model=nm, method=method, max_parallel_threads=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[4, 6, 8, 10])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--shots", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="ibm_torino")
    args = ap.parse_args()

    from qiskit import ClassicalRegister
    from qiskit_ibm_runtime import fake_provider

    from vqnet_core.quantum import Sample, get_machine

    fake = getattr(fake_provider, "Fake" + args.device.split("_", 1)[1].capitalize())()
    m = get_machine(f"qpu.{args.device}", seed_transpiler=1)
    print(f"W4-QPU on qpu.{args.device}: W2 circuit, L={args.layers}, {args.shots} shots, "
          f"median of {args.repeats}")
    print(f"{'n':>3} {'active':>6} {'ops':>5} {'engine':>12} {'compile s':>9} {'vqnet s':>8} "
          f"{'aer s':>8} {'TVD':>7} {'bound':>6}")
    for n in args.n:
        c, a = w2_ir(n, args.layers)
        t0 = time.perf_counter()
        cc = m.compiled(c)
        t_compile = time.perf_counter() - t0
        prog = m.program(cc)
        engine = "density" if cc.num_wires <= m.dm_max_qubits else "trajectories"
        times, bits = [], None
        for r in range(args.repeats):
            t0 = time.perf_counter()
            out = m.execute(c, a, [Sample()], shots=args.shots, seed=100 + r)[0]
            times.append(time.perf_counter() - t0)
            bits = np.asarray(out)
        ours = histogram(bits, n)
        qc = cc.qc.assign_parameters({p: float(a[0, p.index]) for p in cc.qc.parameters})
        creg = ClassicalRegister(n)
        qc.add_register(creg)
        for w, q in enumerate(cc.layout):
            qc.measure(q, creg[w])
        sim = aer_simulator(fake, "density_matrix" if cc.num_wires <= 12 else "automatic")
        aer_times, counts = [], None
        for r in range(args.repeats):
            t0 = time.perf_counter()
            counts = sim.run(qc, shots=args.shots, seed_simulator=200 + r).result().get_counts()
            aer_times.append(time.perf_counter() - t0)
        theirs = np.zeros(2**n)
        for key, k in counts.items():
            theirs[int(key.replace(" ", "")[::-1], 2)] += k
        theirs /= args.shots
        tvd = 0.5 * float(np.abs(ours - theirs).sum())
        bound = two_sample_bound((ours + theirs) / 2, args.shots)
        print(f"{n:>3} {cc.num_wires:>6} {len(prog.steps):>5} {engine:>12} {t_compile:>9.3f} "
              f"{statistics.median(times):>8.3f} {statistics.median(aer_times):>8.3f} "
              f"{tvd:>7.4f} {bound:>6.3f}", flush=True)


if __name__ == "__main__":
    main()
