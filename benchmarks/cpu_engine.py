"""The vqnet-cpu engine against the NumPy backend and the anchors (issue 4's targets), one run.

W2 (WORKLOADS.md, layered circuit, forward + adjoint backward, complex128):

* n=16, B=16, L=4: VQNet on the ``numpy`` and the ``cpu`` backend, PennyLane lightning.qubit
  (adjoint) and default.qubit (backprop), pyvqnet -- target: ``cpu`` at least 10x faster than
  the fastest anchor;
* n=20, B=1, L=4: ``cpu`` against the memory-bandwidth floor -- target: within 2x. The floor
  is printed two ways: per gate pass (``2 * 16 * B * 2^n`` bytes: read + write the state once)
  against a timed single ``sv_apply`` pass, and for the whole step (``3 * (n*L + L)`` fused
  passes, as ``benchmarks/w2_layered.py`` counts them), at the bandwidth of a 256 MiB numpy
  copy measured in this run.

Every implementation runs in its own interpreter through ``benchmarks/w2_layered.py --child``
(same seed -> same x and w); the anchor runs in ``--anchor-python`` (default
``/work/benchvenv/bin/python`` when it exists, else this interpreter). Each row prints the
median seconds and the checksums (sums of outputs, d/dx, d/dw); rows that disagree with the
first beyond 1e-6 (relative) say MISMATCH.

W3 (the CNN, float32): ``benchmarks/w3_cnn.py`` with ``VQNET_BACKEND=cpu`` (VQNet vs PyTorch,
same data / init / batch order), batch 16 and 64.

    python benchmarks/cpu_engine.py                     # W2 both configurations + W3 1 epoch
    python benchmarks/cpu_engine.py --skip w3 --anchor-repeats 1
    python benchmarks/cpu_engine.py --skip w2 --w3-epochs 3
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
#: the W2 anchors at n=16, B=16 (w2_layered.py implementations)
ANCHORS = [("PennyLane lightning.qubit adjoint", "lightning"),
           ("PennyLane default.qubit backprop", "default"),
           ("pyvqnet QMachine", "pyvqnet")]
W2 = HERE / "w2_layered.py"
BENCHVENV = Path("/work/benchvenv/bin/python")


def bandwidth_gbs(mib: int = 256, repeats: int = 5) -> float:
    """GB/s of a ``mib`` MiB float64 ``numpy.copyto`` (bytes read + bytes written)."""
    src = np.ones(mib * 2**20 // 8)
    dst = np.empty_like(src)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - t)
    return 2 * src.nbytes / float(np.median(times)) / 1e9


def child(python: str, impl: str, n: int, bsz: int, L: int, repeats: int, budget: float,
          seed: int, backend: str | None = None) -> tuple[float, list[float]] | str:
    """``(median seconds, checksums)`` from a w2_layered child, or the reason it did not run."""
    env = dict(os.environ)
    if backend:
        env["VQNET_BACKEND"] = backend
    cmd = [python, str(W2), "--child", impl, "--n", str(n), "--batch", str(bsz), "--layers",
           str(L), "--repeats", str(repeats), "--budget", str(budget), "--seed", str(seed)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for ln in r.stdout.splitlines():
        if ln.startswith("RESULT "):
            t, s = json.loads(ln[7:])
            return t, s
    why = [ln for ln in r.stdout.splitlines() if ln.startswith(("skipped", "FAILED"))]
    return why[0] if why else "FAILED: " + ((r.stderr.strip().splitlines() or ["?"])[-1])


def gate_pass_seconds(n: int, bsz: int, repeats: int = 15) -> float:
    """Median seconds of one fused 1-qubit gate pass (``sv_apply``) over ``[B, 2^n]``."""
    from vqnet_cpu import _ext
    rng = np.random.default_rng(0)
    st = (rng.standard_normal((bsz, 2**n)) + 0j)
    m = (rng.standard_normal((bsz, 2, 2)) + 0j)
    times = []
    for rep in range(repeats):
        w = rep % n
        t = time.perf_counter()
        _ext.sv_apply(st, n, (w,), m)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def run_w2(args, gbs: float) -> None:
    anchor_py = args.anchor_python or (str(BENCHVENV) if BENCHVENV.exists() else sys.executable)
    L = args.layers
    for n, bsz in ((16, 16), (20, 1)):
        print(f"\n## W2  n={n}  B={bsz}  L={L}  complex128  (median seconds of forward + "
              "backward)")
        rows = [("VQNet, backend cpu", sys.executable, "vqnet", "cpu", args.repeats)]
        if "numpy" not in args.skip:
            rows.append(("VQNet, backend numpy", sys.executable, "vqnet", "numpy", 3))
        if n == 16 and "anchors" not in args.skip:
            rows += [(label, anchor_py, impl, None, args.anchor_repeats)
                     for label, impl in ANCHORS]
        print(f"{'implementation':36s} {'median s':>10s} {'x cpu':>7s}  {'sum out':>14s} "
              f"{'sum dx':>14s} {'sum dw':>14s}")
        ref, anchors = None, []
        for label, py, impl, backend, reps in rows:
            res = child(py, impl, n, bsz, L, reps, args.budget, args.seed, backend)
            if isinstance(res, str):
                print(f"{label:36s} {res}")
                continue
            t, s = res
            ref = ref or (t, s)
            if backend is None:
                anchors.append((t, label))
            print(f"{label:36s} {t:10.4f} {t / ref[0]:7.2f}  {s[0]:14.8f} {s[1]:14.8f} "
                  f"{s[2]:14.8f}")
            bad = [k for k, a, b in zip(("out", "dx", "dw"), s, ref[1])
                   if abs(a - b) > 1e-6 * max(abs(b), 1e-12)]
            if bad:
                print(f"{'':36s} MISMATCH vs the first row in: {', '.join(bad)}")
        if ref and anchors:
            t, label = min(anchors)
            print(f"fastest anchor: {label} {t:.4f} s; backend cpu is {t / ref[0]:.1f}x faster "
                  "(target: 10x)")
        state = 16 * bsz * 2**n
        per_pass = 2 * state / (gbs * 1e9)
        passes = 3 * (n * L + L)
        gp = gate_pass_seconds(n, bsz)
        print(f"floor: {2 * state / 2**20:.0f} MiB per gate pass at {gbs:.1f} GB/s = "
              f"{per_pass * 1e3:.3f} ms; one cpu sv_apply pass {gp * 1e3:.3f} ms "
              f"({gp / per_pass:.2f}x the floor)")
        if ref:
            print(f"floor of the step: {passes} passes = {passes * per_pass:.4f} s; cpu step "
                  f"{ref[0]:.4f} s ({ref[0] / (passes * per_pass):.2f}x the floor; target 2x)")
            print("  (one pass per gate, as w2_layered.py counts them; the cpu engine's "
                  "cache-blocked runs make fewer passes than that)")


def run_w3(args) -> None:
    print(f"\n## W3  (benchmarks/w3_cnn.py, VQNET_BACKEND=cpu, {args.w3_epochs} epoch(s))",
          flush=True)
    env = dict(os.environ, VQNET_BACKEND="cpu")
    cmd = [sys.executable, str(HERE / "w3_cnn.py"), "--no-pyvqnet", "--epochs",
           str(args.w3_epochs), "--batch-sizes", "16", "64"]
    if args.w3_limit:
        cmd += ["--limit", str(args.w3_limit)]
    subprocess.run(cmd, env=env, check=False)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5, help="timed VQNet cpu steps (at most)")
    ap.add_argument("--anchor-repeats", type=int, default=2,
                    help="timed lightning steps (one takes about a minute at n=16, B=16)")
    ap.add_argument("--budget", type=float, default=30.0,
                    help="seconds of timed steps per implementation")
    ap.add_argument("--anchor-python", default=None)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--w3-epochs", type=int, default=1)
    ap.add_argument("--w3-limit", type=int, default=None)
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["w2", "w3", "numpy", "anchors"])
    args = ap.parse_args(argv)
    import vqnet_cpu
    gbs = bandwidth_gbs()
    print(f"vqnet-cpu {vqnet_cpu.__version__}; threads {vqnet_cpu.get_num_threads()} "
          f"(OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}); memory bandwidth {gbs:.1f} GB/s "
          f"(256 MiB numpy copy, read + write); load average {os.getloadavg()[0]:.1f}")
    if "w2" not in args.skip:
        run_w2(args, gbs)
    if "w3" not in args.skip:
        run_w3(args)


if __name__ == "__main__":
    main()
