"""Workload W7 (WORKLOADS.md): scale-out over MPI ranks on this machine, and what N nodes cost.

* W3 (the paper's CNN, all ten digits of the 5k sample) and W1 (the HQCNN, digits 0/1), global
  batch 32, Adam: seconds per training epoch with DistributedDataParallel at 1 and 2 ranks
  (the 2 ranks take 16 images each per step; the same 125 / 25 steps per epoch as one rank),
  the scaling efficiency, the bytes all-reduced per step and the measured time of one such
  all-reduce;
* W2 (n = 16, L = 4, B = 32, complex128, adjoint) on ShardedMachine("statevector"): median
  seconds of one forward + backward at 1 and 2 ranks, the bytes gathered, and checksums (the
  2-rank results must equal the 1-rank ones);
* an estimate for N nodes from these measurements and the communication volume, under two
  stated networks (see ``NETWORKS``).

Rows: "1 rank x 1 thread" (the unit of the scaling efficiency), "1 rank x 2 threads" (one
process using both cores through BLAS), "2 ranks x 1 thread" (one core each). Efficiency =
t(1 x 1) / (ranks x t(ranks x 1)).

    python benchmarks/w7_mpi.py                  # one epoch of W3 and W1, W2 3 repeats
    python benchmarks/w7_mpi.py --quick          # 1,000 W3 images, W2 n = 12
    python benchmarks/w7_mpi.py --epochs 2 --repeats 5

Needs ``vqnet[mpi]`` (mpi4py and an mpiexec) for the 2-rank rows; without it they are skipped
with a note. Timings on a loaded 2-core machine are inflated; ratios of one run hold better.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: (name, latency alpha in seconds, bandwidth beta in bytes/s) of the networks the estimate
#: assumes: an InfiniBand-class HPC fabric and commodity 10 Gigabit Ethernet (TCP).
NETWORKS = [("HDR InfiniBand (alpha 2 us, beta 12 GB/s)", 2e-6, 12e9),
            ("10 GbE TCP (alpha 30 us, beta 1.1 GB/s)", 30e-6, 1.1e9)]
NODES = [1, 2, 4, 8, 16, 32]


# ------------------------------------------------------------------------------ the workers
def _threads(n: int) -> None:
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(n)


def _allreduce_seconds(nbytes: int, reps: int = 200) -> float:
    """Median seconds of one MPI all-reduce of ``nbytes`` (float32) between the ranks."""
    import numpy as np

    from vqnet_core import distributed as dist

    if dist.world_size() == 1:
        return 0.0
    from mpi4py import MPI

    buf = np.ones(max(nbytes // 4, 1), np.float32)
    times = []
    for _ in range(reps):
        dist.barrier()
        t0 = time.perf_counter()
        dist.comm().Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def train_workload(name: str, args: argparse.Namespace) -> dict:
    import vqnet_core as vq
    from vqnet_core import distributed as dist
    from vqnet_core.data import MNIST, DataLoader, Subset
    from vqnet_core.nn.loss import CrossEntropyLoss
    from vqnet_core.optim import Adam

    dist.init()
    n_ranks = dist.world_size()
    vq.manual_seed(0)
    if name == "W3":
        from cnn_mnist import CNN
        model, digits, limit = CNN(), None, (1000 if args.quick else None)
    else:
        from hqcnn_mnist import HQCNN
        model, digits, limit = HQCNN(), [0, 1], None
    train = MNIST(train=True, digits=digits)
    if limit:
        train = Subset(train, range(limit))
    batch = args.batch
    if batch % n_ranks:
        raise SystemExit(f"batch {batch} does not split over {n_ranks} ranks")
    ddp = dist.DistributedDataParallel(model)
    sampler = dist.DistributedSampler(train, seed=0, drop_last=True)
    loader = DataLoader(train, batch_size=batch // n_ranks, sampler=sampler, drop_last=True)
    opt = Adam(ddp.parameters(), lr=1e-3)
    loss_fn = CrossEntropyLoss()
    epochs, comm = [], []
    last = None
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        dist.barrier()
        t0, c0 = time.perf_counter(), ddp.comm_seconds
        loss_sum, seen = 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(ddp(x), y)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * y.shape[0]
            seen += y.shape[0]
        dist.barrier()
        epochs.append(time.perf_counter() - t0)
        comm.append(dist.reduce_metrics({"c": ddp.comm_seconds - c0}, op="max")["c"])
        m = dist.reduce_metrics({"loss_sum": loss_sum, "seen": seen})
        last = m["loss_sum"] / m["seen"]
    step_s = {}
    if n_ranks == 1 and args.threads == 1:  # the step time at the per-rank batch of N nodes
        xs, ys = next(iter(DataLoader(train, batch_size=batch, shuffle=True, seed=1)))
        for b in _per_rank_batches(batch):
            x, y = xs[:b], ys[:b]
            ts = []
            for _ in range(13):
                t0 = time.perf_counter()
                opt.zero_grad()
                loss_fn(ddp(x), y).backward()
                opt.step()
                ts.append(time.perf_counter() - t0)
            step_s[b] = min(ts[1:])  # the least disturbed by the other jobs here
    return {"s_per_epoch": statistics.median(epochs), "comm_s": statistics.median(comm),
            "steps": len(loader),
            "bytes_per_step": ddp.bytes_per_step, "buckets": ddp.buckets,
            "allreduce_s": _allreduce_seconds(ddp.bytes_per_step), "loss": last,
            "images": len(train), "step_s": step_s}


def _per_rank_batches(batch: int) -> list[int]:
    return sorted({batch // n for n in NODES if batch // n >= 1}, reverse=True)


def w2_workload(args: argparse.Namespace) -> dict:
    import numpy as np
    from w2_layered import w2_circuit

    import vqnet_core as vq
    from vqnet_core import distributed as dist
    from vqnet_core.qnn import QuantumLayer

    dist.init()
    n, L, B = (12 if args.quick else 16), 4, 32
    rng = np.random.default_rng(0)
    X, W = rng.uniform(0, np.pi, (B, n)), rng.uniform(0, 2 * np.pi, (L, n, 3))
    machine = dist.ShardedMachine("statevector")
    layer = QuantumLayer(w2_circuit(n, L), n, (L, n, 3), machine=machine,
                         diff_method="adjoint", dtype="complex128")
    layer.weights = vq.nn.Parameter(vq.tensor(W, dtype="float64"))
    times, sums = [], None
    for _ in range(args.repeats + 1):  # the first run compiles the plan
        layer.weights.grad = None
        x = vq.tensor(X, dtype="float64", requires_grad=True)
        before = machine.bytes_gathered
        dist.barrier()
        t0 = time.perf_counter()
        out = layer(x)
        out.sum().backward()
        times.append(time.perf_counter() - t0)
        gathered = machine.bytes_gathered - before
        sums = [float(out.numpy().sum()), float(x.grad.numpy().sum()),
                float(layer.weights.grad.numpy().sum())]
    t = [dist.reduce_metrics({"t": v}, op="max")["t"] for v in times[1:]]
    rows_s = {}
    if dist.world_size() == 1 and args.threads == 1:  # one rank's share of N nodes' split
        for b in _per_rank_batches(B):
            ts = []
            for _ in range(max(args.repeats, 2)):
                layer.weights.grad = None
                x = vq.tensor(X[:b], dtype="float64", requires_grad=True)
                t0 = time.perf_counter()
                layer(x).sum().backward()
                ts.append(time.perf_counter() - t0)
            rows_s[b] = min(ts)
    return {"s_fwd_bwd": statistics.median(t), "n": n, "B": B, "L": L,
            "bytes_gathered": gathered, "checksums": sums, "rows_s": rows_s}


def worker(args: argparse.Namespace) -> None:
    _threads(args.threads)
    from vqnet_core import distributed as dist

    dist.init()
    res = {"W3": train_workload("W3", args), "W1": train_workload("W1", args),
           "W2": w2_workload(args)}
    if dist.is_main_process():
        Path(args.json).write_text(json.dumps(res))


# ------------------------------------------------------------------------------ the driver
def spawn(ranks: int, threads: int, args: argparse.Namespace) -> dict | str:
    out = Path(tempfile.mkdtemp()) / "w7.json"
    argv = [sys.executable, __file__, "--worker", "--json", str(out), "--threads",
            str(threads), "--epochs", str(args.epochs), "--repeats", str(args.repeats),
            "--batch", str(args.batch)] + (["--quick"] if args.quick else [])
    env = {**os.environ, "VQNET_PROGRESS": "0"}
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = str(threads)
    if ranks > 1:
        from vqnet_core.distributed import mpiexec_command

        try:
            import mpi4py  # noqa: F401
            argv = mpiexec_command(ranks) + argv
        except (ImportError, FileNotFoundError) as exc:
            return f"skipped: no MPI here ({exc}); pip install 'vqnet[mpi]'"
        env["MPIEXEC_TIMEOUT"] = "1800"
    res = subprocess.run(argv, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        return f"failed (exit {res.returncode}): {(res.stdout + res.stderr)[-2000:]}"
    return json.loads(out.read_text())


def _allreduce_model(nbytes: int, n: int, alpha: float, beta: float) -> float:
    """Seconds of one all-reduce of ``nbytes`` over ``n`` nodes: recursive doubling's latency
    (2 log2 n messages) plus the ring's bandwidth term 2 (n - 1) / n x bytes / beta."""
    if n == 1:
        return 0.0
    return 2 * math.ceil(math.log2(n)) * alpha + 2 * (n - 1) / n * nbytes / beta


def _allgather_model(nbytes: int, n: int, alpha: float, beta: float) -> float:
    if n == 1:
        return 0.0
    return math.ceil(math.log2(n)) * alpha + (n - 1) / n * nbytes / beta


def report(rows: dict, args: argparse.Namespace) -> None:
    base = rows.get("1 rank x 1 thread")
    print(f"\nW7 on this machine (global batch {args.batch}; {args.epochs} epoch(s); "
          f"{os.cpu_count()} cores, shared with other jobs: timings are inflated)\n")
    for wl, title in (("W3", "W3 CNN"), ("W1", "W1 HQCNN")):
        print(f"{title}: s/epoch, efficiency vs 1 rank x 1 thread")
        print("| run | s/epoch | efficiency | in gradient sync (s/epoch) | steps/epoch | "
              "bytes all-reduced/step | buckets | one all-reduce (measured) | mean loss |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, r in rows.items():
            if isinstance(r, str):
                print(f"| {label} | {r} |")
                continue
            w = r[wl]
            ranks = int(label.split()[0])
            eff = (base[wl]["s_per_epoch"] / (ranks * w["s_per_epoch"])
                   if isinstance(base, dict) else float("nan"))
            print(f"| {label} | {w['s_per_epoch']:.2f} | {eff:.2f} | {w['comm_s']:.3f} | "
                  f"{w['steps']} | "
                  f"{w['bytes_per_step']:,} | {w['buckets']} | "
                  f"{w['allreduce_s'] * 1e6:.0f} us | {w['loss']:.4f} |")
        print()
    print("W2 on ShardedMachine('statevector'), adjoint, median s of forward + backward")
    print("| run | n | B | s | speed-up vs 1 x 1 | bytes gathered/step | checksums |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, r in rows.items():
        if isinstance(r, str):
            print(f"| {label} | {r} |")
            continue
        w = r["W2"]
        sp = (base["W2"]["s_fwd_bwd"] / w["s_fwd_bwd"]) if isinstance(base, dict) else 0
        print(f"| {label} | {w['n']} | {w['B']} | {w['s_fwd_bwd']:.3f} | {sp:.2f} | "
              f"{w['bytes_gathered']:,} | {', '.join(f'{c:.6f}' for c in w['checksums'])} |")
    two = rows.get("2 ranks x 1 thread")
    if isinstance(base, dict) and isinstance(two, dict):
        c1, c2 = base["W2"]["checksums"], two["W2"]["checksums"]
        ok = all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(c1, c2))
        print(f"2-rank W2 results {'equal' if ok else 'DIFFER FROM'} the 1-rank ones")
        estimate(base, two, args)


def estimate(base: dict, two: dict, args: argparse.Namespace) -> None:
    """t(N) per epoch = steps x (t_step(batch / N) + allreduce(N)): the step time at the
    per-rank batch of N nodes measured in ONE process (one thread; the fastest of 12 steps, so
    that the other jobs on this machine and the ranks' competition for its two cores stay out
    of it), plus the modelled all-reduce of the measured bytes per step; one rank per node.
    Not modelled: stragglers (every step waits for the slowest rank) and the data loading."""
    print("\nEstimate for N nodes, one rank (one core) each, global batch "
          f"{args.batch} (strong scaling: the same steps per epoch, batch/N images per rank and "
          "step). Step time at batch/N measured in one process; all-reduce of the measured "
          "bytes/step modelled as 2 ceil(log2 N) alpha + 2 (N-1)/N bytes/beta; step time = the "
          "fastest of 12 steps in one process:")
    for wl in ("W3", "W1"):
        b1 = base[wl]
        steps, nbytes = b1["steps"], b1["bytes_per_step"]
        step_s = {int(k): v for k, v in b1["step_s"].items()}
        print(f"\n{wl}: {nbytes:,} bytes/step, {steps} steps/epoch; measured step time at "
              "batch b: " + ", ".join(f"b={b}: {t * 1e3:.1f} ms" for b, t in step_s.items()))
        print("| N | images/rank/step | " + " | ".join(f"s/epoch, {n[0]}" for n in NETWORKS)
              + " | efficiency (first network) |")
        print("|---:|---:|" + "---:|" * (len(NETWORKS) + 1))
        t_one = steps * step_s[args.batch]
        for N in NODES:
            b = args.batch // N
            if b < 1 or b not in step_s:
                break
            ts = [steps * (step_s[b] + _allreduce_model(nbytes, N, a, bw))
                  for _, a, bw in NETWORKS]
            print(f"| {N} | {b} | " + " | ".join(f"{t:.2f}" for t in ts)
                  + f" | {t_one / (N * ts[0]):.2f} |")
    w1, w2 = base["W2"], two["W2"]
    rows_s = {int(k): v for k, v in w1["rows_s"].items()}
    B, n = w1["B"], w1["n"]
    # per N: each rank receives (N-1)/N of the outputs [B, n] and of the vjp [B, S] (float64)
    per_row = w2["bytes_gathered"] / (B / 2)  # bytes per gathered row, both collectives
    print(f"\nW2 sharded, n = {n}, B = {B}: one rank's share measured in one process (fastest "
          f"of {max(args.repeats, 2)}); "
          f"{per_row * B:,.0f} bytes of results per forward + backward (outputs and vjp), "
          "gathered by two allgathers modelled as ceil(log2 N) alpha + (N-1)/N bytes/beta")
    print("| N | rows/rank | " + " | ".join(f"s, {x[0]}" for x in NETWORKS) + " | speed-up |")
    print("|---:|---:|" + "---:|" * (len(NETWORKS) + 1))
    for N in NODES:
        b = -(-B // N)
        if b not in rows_s:
            break
        ts = [rows_s[b] + 2 * _allgather_model(int(per_row * B / 2), N, a, bw)
              for _, a, bw in NETWORKS]
        print(f"| {N} | {b} | " + " | ".join(f"{t:.3f}" for t in ts)
              + f" | {rows_s[B] / ts[0]:.2f} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="W2 forward + backward runs")
    ap.add_argument("--batch", type=int, default=32, help="the global batch of W3 and W1")
    ap.add_argument("--quick", action="store_true", help="1,000 W3 images and W2 n = 12")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return
    rows: dict = {}
    for label, ranks, threads in (("1 rank x 1 thread", 1, 1), ("1 rank x 2 threads", 1, 2),
                                  ("2 ranks x 1 thread", 2, 1)):
        t0 = time.perf_counter()
        rows[label] = spawn(ranks, threads, args)
        print(f"{label}: done in {time.perf_counter() - t0:.0f} s", flush=True)
    report(rows, args)


if __name__ == "__main__":
    main()
