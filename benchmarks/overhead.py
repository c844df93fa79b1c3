"""Per-op overhead: VQNet's core (NumPy backend) vs PyTorch, in the same run.

A chain of 100 small ops (mul, add, sin, sub, repeated 25 times) on 4-element tensors, then
``sum().backward()``. Both frameworks run the same chain on the same input; the time is the
median of many repeats and the checksum (the sum of the input's gradient) must agree.

    python benchmarks/overhead.py                  # default: 200 repeats of 5 chains
    python benchmarks/overhead.py --repeats 50 --dtype float64
    python benchmarks/overhead.py --quick          # what `nox -s bench -- --quick` runs
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
import vqnet_core as vq  # noqa: E402

N_BLOCKS = 25  # 4 ops each: 100 ops


def chain(x):
    """The op chain on ``x`` (a QTensor or a torch tensor: the two share these methods)."""
    y = x
    for _ in range(N_BLOCKS):
        y = y * 1.0001
        y = y + x
        y = y.sin()
        y = y - 0.5
    return y


def chain_vq(x0: np.ndarray) -> float:
    x = vq.tensor(x0, requires_grad=True)
    chain(x).sum().backward()
    return float(x.grad.numpy().sum())


def chain_torch(x0: np.ndarray) -> float:
    import torch

    x = torch.tensor(x0, requires_grad=True)
    chain(x).sum().backward()
    return float(x.grad.sum())


def median_times(fns, x0: np.ndarray, repeats: int, number: int) -> list[float]:
    """For each function, the median over ``repeats`` of the mean time of ``number``
    back-to-back calls. The functions take turns within each repeat, so that a change in the
    machine's load hits all of them alike."""
    for fn in fns:
        fn(x0)  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            for _ in range(number):
                fn(x0)
            ts.append((time.perf_counter() - t0) / number)
    return [statistics.median(ts) for ts in times]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--number", type=int, default=5, help="chains per timed repeat")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--quick", action="store_true", help="30 repeats (a smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 30)

    x0 = np.linspace(-1, 1, 4).astype(args.dtype)
    try:
        import torch
    except ImportError:
        torch = None
    print(f"chain of {4 * N_BLOCKS} ops on {x0.size} {args.dtype} elements, forward + backward, "
          f"median of {args.repeats} x {args.number}")
    if torch is None:
        (t_vq,) = median_times([chain_vq], x0, args.repeats, args.number)
    else:
        torch.set_num_threads(args.threads)
        t_vq, t_th = median_times([chain_vq, chain_torch], x0, args.repeats, args.number)
    c_vq = chain_vq(x0)
    print(f"vqnet (numpy backend): {t_vq * 1e6:9.1f} us/chain  {t_vq * 1e6 / 100:6.2f} us/op"
          f"   checksum {c_vq:.6f}")
    if torch is None:
        print("torch: not installed, no ratio")
        return 0
    c_th = chain_torch(x0)
    print(f"torch {torch.__version__} ({args.threads} threads): {t_th * 1e6:9.1f} us/chain  "
          f"{t_th * 1e6 / 100:6.2f} us/op   checksum {c_th:.6f}")
    ratio = t_vq / t_th
    ok = "meets" if ratio <= 2.0 else "misses"
    print(f"ratio vqnet/torch = {ratio:.2f}  ({ok} the <= 2x target)")
    tol = 1e-3 if args.dtype == "float32" else 1e-9
    if abs(c_vq - c_th) > tol * max(1.0, abs(c_th)):
        print(f"CHECKSUM MISMATCH: {c_vq} vs {c_th}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
