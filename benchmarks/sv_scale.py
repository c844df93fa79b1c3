"""W2 at scale (issue 18): first call, warm call and peak memory, as a user meets them.

W2 (WORKLOADS.md, benchmarks/w2_layered.py): RY(x_i) on every wire, then L layers of RX, RY,
RZ(w) on every wire and a CNOT ring; <Z_i> on every wire; loss = the sum; gradients w.r.t. x
and w; complex128. Every implementation runs in a FRESH process per (n, B) -- so the first
call pays what a user's first call pays (planning, caches, page faults) -- and reports:

* first: seconds of the first forward + backward (after building the model, before any call),
* warm: the median seconds of the following calls (``--repeats``, within ``--budget``),
* peak RSS (VmHWM of that process) and "states": (peak - RSS before the first call) in
  units of one state per batch row (B * 2^n * 16 bytes),
* the checksums: sums of the outputs, of d loss / dx and of d loss / dw (a checksum differing
  from the first row's by more than 1e-6 relative prints MISMATCH).

Implementations: ``vqnet-cpu`` / ``vqnet-numpy`` (QuantumLayer, adjoint, backend cpu / numpy),
``qulacs`` (ParametricQuantumCircuit.backprop, one row at a time; ``qulacs-1t`` the same on one
OpenMP thread: on a loaded 2-core machine its 2-thread runs are erratic), ``lightning`` (PennyLane
lightning.qubit, adjoint, autograd interface, one row at a time). Each is skipped with the
reason when it cannot be imported. The ``floor`` row is physics, not software: the bytes the
blocked passes must stream at this machine's bandwidth (measured in the run by copying 256
MiB): per layer one pass per block of one-qubit gates (1 for n <= 13, else ceil((n - 3) / 10)
with 2^13-amplitude blocks) plus one for the CNOT ring; forward once on the ket, backward on
the ket and the bra; each pass reads and writes the [B, 2^n] state.

    python benchmarks/sv_scale.py                               # n = 12 ... 26 (long)
    python benchmarks/sv_scale.py --n 12 16 20 --batch 1 16
    python benchmarks/sv_scale.py --n 24 --skip vqnet-numpy lightning
    python benchmarks/sv_scale.py --n 26 --only vqnet-cpu --repeats 1

Threads: 2 everywhere (OMP / OpenBLAS / MKL before any import).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
Step = Callable[[], tuple[float, float, float]]
IMPLS = ["vqnet-cpu", "vqnet-numpy", "qulacs", "qulacs-1t", "lightning"]


class Skip(Exception):
    """An implementation that cannot run here (the message says why)."""


def _status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, MB. (ru_maxrss would not do: on
    Linux it survives exec, so a child would report its parent's peak.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1e3
    raise RuntimeError(f"no {field} in /proc/self/status")


# ----------------------------------------------------------------------------- implementations
def make_vqnet(backend: str, n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    os.environ["VQNET_BACKEND"] = backend
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import w2_layered

    import vqnet_core as vq

    try:
        vq.set_backend(backend)
    except Exception as e:  # noqa: BLE001 - the plugin is not installed
        raise Skip(f"backend {backend!r} unavailable ({e})") from None
    return w2_layered.make_vqnet(n, L, X, W)


def make_qulacs(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    try:
        from qulacs import Observable, ParametricQuantumCircuit, QuantumState
    except Exception as e:  # noqa: BLE001
        raise Skip(f"qulacs is not importable ({e})") from None
    # qulacs' rotations are exp(+i t P / 2): pass -t, and negate the gradients
    circ = ParametricQuantumCircuit(n)
    for i in range(n):
        circ.add_parametric_RY_gate(i, 0.0)
    for _ in range(L):
        for i in range(n):
            circ.add_parametric_RX_gate(i, 0.0)
            circ.add_parametric_RY_gate(i, 0.0)
            circ.add_parametric_RZ_gate(i, 0.0)
        for i in range(n):
            circ.add_CNOT_gate(i, (i + 1) % n)
    obs = Observable(n)
    for i in range(n):
        obs.add_operator(1.0, f"Z {i}")
    wf = W.reshape(-1)

    def step():
        out = dx = dw = 0.0
        for row in X:
            params = np.concatenate([row, wf])
            for j, p in enumerate(params):
                circ.set_parameter(j, -float(p))
            st = QuantumState(n)
            circ.update_quantum_state(st)
            out += obs.get_expectation_value(st).real
            del st
            g = -np.asarray(circ.backprop(obs))
            dx += g[:n].sum()
            dw += g[n:].sum()
        return float(out), float(dx), float(dw)
    return step


def make_lightning(n: int, L: int, X: np.ndarray, W: np.ndarray) -> Step:
    try:
        import pennylane as qml
        from pennylane import numpy as pnp
    except Exception as e:  # noqa: BLE001
        raise Skip(f"pennylane is not importable ({e})") from None
    try:
        dev = qml.device("lightning.qubit", wires=n)
    except Exception as e:  # noqa: BLE001
        raise Skip(f"lightning.qubit unavailable ({e})") from None

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from w2_layered import w2_pennylane

    qnode = qml.qnode(dev, diff_method="adjoint", interface="autograd")(w2_pennylane(qml, n, L))

    def loss(x, w):
        return pnp.sum(pnp.stack(qnode(x, w)))

    grad = qml.grad(loss, argnums=[0, 1])

    def step():  # timed: the adjoint gradient (lightning runs the forward inside it)
        dx = dw = 0.0
        w = pnp.array(W, requires_grad=True)
        for row in X:
            gx, gw = grad(pnp.array(row, requires_grad=True), w)
            dx += float(np.sum(gx))
            dw += float(np.sum(gw))
        return 0.0, dx, dw

    def step_with_out():  # the checksums: plus one forward for the outputs (not timed)
        t = step()
        w = pnp.array(W, requires_grad=False)
        out = sum(float(loss(pnp.array(r, requires_grad=False), w)) for r in X)
        return out, t[1], t[2]
    step_with_out.timed = step  # type: ignore[attr-defined]
    return step_with_out


# ----------------------------------------------------------------------------- measurement
def bandwidth_gbs() -> float:
    """The memory bandwidth W2's floor is computed from (the W2 benchmark's own measure)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import w2_layered

    return w2_layered.bandwidth_gbs()


def floor_passes(n: int, L: int) -> int:
    """State passes of one forward + adjoint backward with blocked one-qubit layers."""
    per_layer = (1 if n <= 13 else math.ceil((n - 3) / 10)) + 1
    return 3 * L * per_layer  # forward: ket; backward: ket and bra


def floor_seconds(n: int, bsz: int, L: int, gbs: float) -> float:
    return floor_passes(n, L) * 2 * 16 * bsz * 2**n / (gbs * 1e9)


def child(args) -> None:
    n, bsz, L = args.n[0], args.batch[0], args.layers
    rng = np.random.default_rng(args.seed)
    X = rng.uniform(0, np.pi, (bsz, n))
    W = rng.uniform(0, 2 * np.pi, (L, n, 3))
    try:
        if args.child.startswith("vqnet-"):
            step = make_vqnet(args.child[6:], n, L, X, W)
        else:
            step = {"qulacs": make_qulacs, "qulacs-1t": make_qulacs,
                    "lightning": make_lightning}[args.child](n, L, X, W)
    except Skip as e:
        print(f"skipped: {e}")
        return
    timed = getattr(step, "timed", step)
    base = _status_mb("VmRSS")
    t0 = time.perf_counter()
    timed()
    first = time.perf_counter() - t0
    times = []
    t_end = time.perf_counter() + args.budget
    for _ in range(args.repeats):
        t = time.perf_counter()
        timed()
        times.append(time.perf_counter() - t)
        if time.perf_counter() > t_end:
            break
    peak = _status_mb("VmHWM")
    sums = step()  # the checksums (lightning: plus a forward for the outputs)
    print("RESULT", json.dumps({"first": first, "warm": statistics.median(times),
                                "base_mb": base, "peak_mb": peak, "sums": list(sums)}))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[12, 14, 16, 18, 20, 22, 24, 26])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--max-n-batch", type=int, default=18,
                    help="run B > 1 only up to this n (default 18)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--only", nargs="+", choices=IMPLS, default=None)
    ap.add_argument("--skip", nargs="+", choices=IMPLS + ["floor"], default=[])
    ap.add_argument("--max-n", nargs="+", default=[],
                    help="per-implementation limits, e.g. vqnet-numpy=22 lightning=22")
    ap.add_argument("--repeats", type=int, default=3, help="warm calls (at most)")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds of warm calls")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return
    impls = [k for k in (args.only or IMPLS) if k not in args.skip]
    limits = {k: int(v) for k, v in (s.split("=") for s in args.max_n)}
    gbs = bandwidth_gbs()
    load = os.getloadavg()
    print(f"W2 at scale, L={args.layers}, complex128; threads OMP={os.environ['OMP_NUM_THREADS']}"
          f"; numpy {np.__version__}; memory bandwidth {gbs:.1f} GB/s; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    hdr = (f"{'n':>3s} {'B':>3s} {'implementation':14s} {'first s':>9s} {'warm s':>9s} "
           f"{'first/warm':>10s} {'warm/floor':>10s} {'peak MB':>8s} {'states':>7s}  "
           f"{'sum out':>14s} {'sum dx':>14s} {'sum dw':>14s}")
    print(hdr)
    for n in args.n:
        for bsz in args.batch:
            if bsz > 1 and n > args.max_n_batch:
                continue
            fl = floor_seconds(n, bsz, args.layers, gbs)
            ref = None
            for key in impls:
                if n > limits.get(key, 99):
                    print(f"{n:3d} {bsz:3d} {key:14s} skipped: n > --max-n {limits[key]}")
                    continue
                cmd = [sys.executable, __file__, "--child", key, "--n", str(n), "--batch",
                       str(bsz), "--layers", str(args.layers), "--repeats", str(args.repeats),
                       "--budget", str(args.budget), "--seed", str(args.seed)]
                env = dict(os.environ)
                if key.endswith("-1t"):
                    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
                try:
                    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                                       env=env)
                except subprocess.TimeoutExpired:
                    print(f"{n:3d} {bsz:3d} {key:14s} TIMEOUT after {args.timeout:.0f} s")
                    continue
                res = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
                if not res:
                    why = [ln for ln in r.stdout.splitlines() if ln.startswith("skipped")]
                    tail = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
                    print(f"{n:3d} {bsz:3d} {key:14s} {why[0] if why else 'FAILED: ' + tail}")
                    continue
                d = json.loads(res[0][7:])
                s = d["sums"]
                states = (d["peak_mb"] - d["base_mb"]) * 1e6 / (16 * bsz * 2**n)
                print(f"{n:3d} {bsz:3d} {key:14s} {d['first']:9.3f} {d['warm']:9.3f} "
                      f"{d['first'] / d['warm']:10.2f} {d['warm'] / fl:10.2f} "
                      f"{d['peak_mb']:8.0f} {states:7.2f}  {s[0]:14.8f} {s[1]:14.8f} "
                      f"{s[2]:14.8f}", flush=True)
                if ref is None:
                    ref = s
                else:
                    bad = [nm for nm, a, b in zip(("out", "dx", "dw"), s, ref)
                           if abs(a - b) > 1e-6 * max(abs(b), 1.0)]
                    if bad:
                        print(f"{'':22s} MISMATCH vs the first row in: {', '.join(bad)}")
            if "floor" not in args.skip:
                print(f"{n:3d} {bsz:3d} {'floor':14s} {'':9s} {fl:9.3f} {'':10s} "
                      f"{1.0:10.2f} {'':8s} {'':7s}  ({floor_passes(n, args.layers)} passes of "
                      f"{16 * bsz * 2**n / 2**20:.0f} MiB)", flush=True)


if __name__ == "__main__":
    main()
